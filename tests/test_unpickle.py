"""The allow-list unpickler: an index from somewhere else cannot run code when opened."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import searchkit
from searchkit import _unpickle
from searchkit.cli import cli

from .conftest import SEEDS


class _Planted:
    """Pickles as a call that creates the file ``path``: proof that code ran."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.path), "w"))


def test_loads_refuses_what_searchkit_does_not_write(tmp_path: Path) -> None:
    planted = tmp_path / "ran"
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        with pytest.raises(pickle.UnpicklingError, match=r"refused to load io\.open"):
            _unpickle.loads(pickle.dumps(_Planted(planted), protocol))
    assert not planted.exists()
    with pytest.raises(pickle.UnpicklingError, match=r"refused to load os\.system"):
        _unpickle.loads(b"cos\nsystem\n(S'touch ran'\ntR.")


def test_loads_reads_what_searchkit_and_whoosh_write() -> None:
    import datetime as dt

    value = ((1, 5, 9), None, (b"\x00\x01",), {"d": dt.datetime(2024, 5, 1, tzinfo=dt.UTC)})
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        assert _unpickle.loads(pickle.dumps(value, protocol)) == value
    assert _unpickle.loads(memoryview(pickle.dumps([1.5, "x"], 3))) == [1.5, "x"]


def test_no_whoosh_module_unpickles_without_the_allow_list() -> None:
    import whoosh.index

    import searchkit._mpwriter  # noqa: F401  (installs the allow-list in all of Whoosh)

    unsafe = {id(pickle.loads), id(pickle.load), id(pickle)}
    leaks = [
        f"{name}.{attr}"
        for name, module in list(sys.modules.items())
        if name.startswith("whoosh")
        for attr, value in vars(module).items()
        if id(value) in unsafe or value is pickle
    ]
    assert leaks == []
    assert whoosh.index.pickle.loads is _unpickle.loads
    assert whoosh.index.toc_loaders == {}


def _planted_toc(index_path: Path, planted: Path) -> None:
    """Replace the index's table of contents with one whose segment list runs code."""
    from whoosh.index import TOC

    with searchkit.Index.open(index_path) as ix:
        whoosh_ix = ix._ix
        toc = TOC(whoosh_ix.schema, [_Planted(planted)], whoosh_ix.latest_generation() + 1)
        toc.write(whoosh_ix.storage, whoosh_ix.indexname)


@pytest.mark.parametrize("command", ["search", "stats", "check", "docs", "index", "open"])
def test_a_planted_table_of_contents_runs_nothing(tmp_path: Path, command: str) -> None:
    index_path = tmp_path / "ix"
    with searchkit.Index.create(index_path) as ix:
        ix.add(SEEDS)
    planted = tmp_path / "ran"
    _planted_toc(index_path, planted)
    if command == "open":
        with pytest.raises(searchkit.IndexDamagedError, match=r"refused to load io\.open"):
            searchkit.Index.open(index_path)
    else:
        args = {"search": ["prisoner"], "index": [str(SEEDS)]}.get(command, [])
        result = CliRunner().invoke(cli, [command, *args, "--index", str(index_path)])
        assert result.exit_code == 3, result.output
        assert "io.open" in result.output
        if command != "check":
            assert result.output.startswith(f"Error: index damaged at {index_path}: ")
            assert result.output.endswith(f"`searchkit check --repair --index {index_path}`\n")
    assert not planted.exists()


def test_a_planted_stored_field_runs_nothing(tmp_path: Path) -> None:
    """A stored record that is a pickle of a call (schema 11 and before stored records
    as pickles): searching fails as damage, nothing runs."""
    from searchkit import _writers

    index_path = tmp_path / "ix"
    searchkit.Index.create(index_path).close()
    planted = tmp_path / "ran"
    with searchkit.Index.open(index_path) as ix:
        w = _writers.writer(ix._ix)
        stored = w.perdocwriter._colwriters["_stored"]
        raw = pickle.dumps({"chunk_id": "d:1", "text": _Planted(planted)})
        stored.add = lambda docnum, value: stored.add_raw(docnum, raw)
        w.add_document(doc_id="d", chunk_id="d:1", body=("T", "prisoner"), text="x")
        w.commit()
    result = CliRunner().invoke(cli, ["search", "prisoner", "--index", str(index_path)])
    assert result.exit_code == 3, result.output
    assert result.output.startswith(f"Error: index damaged at {index_path}: a stored record")
    assert not planted.exists()
