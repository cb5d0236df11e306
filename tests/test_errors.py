"""The error tree and its one table: each error's exit code and HTTP status, the same at
every edge (the command line, the web app), and bad arguments raised as ArgumentError."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import searchkit
from searchkit import errors
from searchkit.cli import cli
from searchkit.errors import OUTCOMES, Outcome, exit_code, http_status

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def _error_classes() -> list[type[searchkit.SearchkitError]]:
    return [
        value
        for _, value in inspect.getmembers(errors, inspect.isclass)
        if issubclass(value, searchkit.SearchkitError) and value.__module__ == errors.__name__
    ]


def _instance(cls: type[searchkit.SearchkitError]) -> searchkit.SearchkitError:
    """An instance of ``cls`` with the message ``boom``, whatever its constructor takes."""
    exc = cls.__new__(cls)
    Exception.__init__(exc, "boom")
    return exc


def test_every_error_has_a_row_and_a_public_name() -> None:
    classes = _error_classes()
    assert len(classes) >= 20
    assert set(classes) == set(OUTCOMES)
    assert {c.__name__ for c in classes} <= set(searchkit.__all__)
    assert {c.__name__ for c in classes} <= set(errors.__all__)


def test_the_tree_at_the_top_of_errors_py_shows_the_table() -> None:
    assert errors.__doc__ is not None
    shown = {
        m[1]: Outcome(int(m[2]), int(m[3]))
        for m in re.finditer(r"(\w+Error)\b.*?\s(\d)\s+(\d{3})$", errors.__doc__, re.M)
    }
    assert shown == {cls.__name__: outcome for cls, outcome in OUTCOMES.items()}


def test_docs_errors_md_shows_the_table() -> None:
    page = (Path(__file__).resolve().parent.parent / "docs" / "errors.md").read_text("utf-8")
    rows = dict(re.findall(r"^\| `(\w+Error)` \| (\d \| \d{3}) \|", page, re.M))
    assert rows == {cls.__name__: f"{o.exit_code} | {o.http_status}" for cls, o in OUTCOMES.items()}


def test_an_error_defined_elsewhere_takes_its_parents_row() -> None:
    class Held(searchkit.IndexLockedError):
        pass

    class Gone(searchkit.NotFoundError):
        pass

    class Mine(searchkit.SearchkitError):
        pass

    assert (exit_code(_instance(Held)), http_status(_instance(Held))) == (4, 503)
    assert (exit_code(_instance(Gone)), http_status(_instance(Gone))) == (2, 404)
    assert (exit_code(_instance(Mine)), http_status(_instance(Mine))) == (2, 400)


@pytest.mark.parametrize("cls", list(OUTCOMES), ids=lambda c: c.__name__)
def test_the_command_line_exits_with_the_tables_code(
    cls: type[searchkit.SearchkitError], seed_index_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise _instance(cls)

    monkeypatch.setattr(searchkit.Index, "search", fail)
    result = CliRunner().invoke(
        cli, ["search", "belarus", "--index", str(seed_index_path)], prog_name="searchkit"
    )
    assert (result.exit_code, result.stderr) == (OUTCOMES[cls].exit_code, "Error: boom\n")


@pytest.mark.parametrize("cls", list(OUTCOMES), ids=lambda c: c.__name__)
def test_the_web_app_answers_with_the_tables_status(
    cls: type[searchkit.SearchkitError], seed_index_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from searchkit.web import create_app

    def fail(*args: object, **kwargs: object) -> None:
        raise _instance(cls)

    monkeypatch.setattr(searchkit.Index, "search", fail)
    with TestClient(create_app(seed_index_path), base_url="http://localhost") as client:
        got = client.get("/api/search", params={"q": "belarus"})
    assert (got.status_code, got.json()) == (OUTCOMES[cls].http_status, {"error": "boom"})


# -- bad arguments -------------------------------------------------------------------------


def test_a_bad_search_option_is_an_argument_error(seed_index: searchkit.Index) -> None:
    bad_options = ({"limit": 0}, {"page": 0}, {"timeout": 0}, {"sort": "size"}, {"since": "June"})
    for bad in bad_options:
        with pytest.raises(searchkit.ArgumentError) as err:
            seed_index.search("belarus", **bad)  # type: ignore[arg-type]
        assert isinstance(err.value, ValueError)
        assert exit_code(err.value) == 2 and http_status(err.value) == 400
    assert issubclass(searchkit.FilterError, searchkit.ArgumentError)


def test_bad_arguments_to_write_are_argument_errors_not_index_errors(tmp_path: Path) -> None:
    for shards in (1, 2):
        with searchkit.Index.create(tmp_path / f"ix{shards}", shards=shards) as ix:
            with pytest.raises(searchkit.ArgumentError, match="batch_size must be at least 1"):
                ix.add(SEEDS, batch_size=0)
            with pytest.raises(searchkit.ArgumentError, match="needs at least one file"):
                ix.add()
            assert ix.stats().documents == 0
        with pytest.raises(searchkit.ArgumentError, match="max_chars must be at least 200"):
            searchkit.Index.create(tmp_path / f"small{shards}", shards=shards, max_chars=100)
    with pytest.raises(searchkit.ArgumentError) as err:
        searchkit.Index.create(tmp_path / "none", shards=0)
    assert not isinstance(err.value, searchkit.SearchkitIndexError | searchkit.FilterError)


def test_an_argument_of_the_wrong_type_is_an_argument_error_naming_it(tmp_path: Path) -> None:
    """They raised TypeError or AttributeError from deep inside (``'NoneType' object has
    no attribute 'rpartition'``)."""
    path = "must be a path (str or os.PathLike), not"
    with searchkit.Index.create(tmp_path / "ix") as ix:
        many = searchkit.open_many([tmp_path / "ix"])
        calls = [
            ("chunk_id must be text, not NoneType None", lambda: ix.passage(None)),
            ("doc_id must be text, not int 5", lambda: ix.document(5)),
            ("text must be text, not NoneType None", lambda: ix.complete(None)),
            ("text must be text, not bytes b'x'", lambda: many.complete(b"x")),
            (f"each file or folder {path} NoneType None", lambda: ix.add(None)),
            (f"each file or folder {path} list ['d1']", lambda: ix.rebuild(["d1"])),
            (f"synonyms {path} int 5", lambda: ix.set_synonyms(5)),
            (f"path {path} NoneType None", lambda: searchkit.Index.open(None)),
            (f"path {path} int 5", lambda: searchkit.Index.create(5)),
            (f"path {path} NoneType None", lambda: searchkit.load_document(None)),
        ]
        for message, call in calls:
            with pytest.raises(searchkit.ArgumentError) as caught:
                call()
            assert str(caught.value) == message
        many.close()


def test_a_shard_count_an_index_does_not_have_exits_2(tmp_path: Path) -> None:
    searchkit.Index.create(tmp_path / "ix", shards=2).close()
    result = CliRunner().invoke(
        cli, ["index", str(SEEDS), "--shards", "3", "--index", str(tmp_path / "ix")]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: index {tmp_path / 'ix'} has 2 shards;")


def test_the_dask_errors_are_in_the_tree() -> None:
    from searchkit import distributed

    assert distributed.DaskUnavailableError is searchkit.DaskUnavailableError
    assert distributed.ClusterTimeoutError is searchkit.ClusterTimeoutError
    late = searchkit.ClusterTimeoutError("a build", ["shard-1"], 2.0)
    assert (exit_code(late), http_status(late)) == (2, 504)
    assert isinstance(late, searchkit.DaskUnavailableError)
