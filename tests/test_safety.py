"""Data safety: what an index records with its commits, and damage that must not pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import searchkit
from searchkit.cli import cli

from .test_index import _corpus


def _data(index_path: Path) -> Path:
    settings = json.loads((index_path / "searchkit.json").read_text(encoding="utf-8"))
    return index_path / settings["data"]


def _check(index_path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["check", *args, "--index", str(index_path)])
    return result.exit_code, result.output


# -- sources commit with the documents ------------------------------------------------


class _Killed(BaseException):
    """Stands for a SIGKILL: nothing after it runs, no clean-up code either."""


def test_sources_are_committed_with_the_first_documents(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    _corpus(corpus, 6)
    index_path = tmp_path / "ix"

    def die_after_three(done: int, total: int, path: str) -> None:
        if done == 3:
            raise _Killed

    with searchkit.Index.create(index_path) as ix, pytest.raises(_Killed):
        ix.add(corpus, batch_size=1, progress=die_after_three)
    with searchkit.Index.open(index_path) as ix:
        assert len(ix.documents()) == 3  # committed one file at a time
        assert ix.sources() == (str(corpus.absolute()),)
    # So a rebuild (or a repair) finds what was being added.
    report = searchkit.rebuild_index(index_path)
    assert report.added == 6
    assert searchkit.check_index(index_path).ok


def test_an_add_with_nothing_new_still_records_its_source(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    _corpus(corpus, 2)
    index_path = tmp_path / "ix"
    with searchkit.Index.create(index_path) as ix:
        ix.add(corpus / "doc000.txt", corpus / "doc001.txt")
        assert ix.add(corpus).unchanged == 2
        assert ix.sources() == tuple(
            str(p.absolute()) for p in (corpus / "doc000.txt", corpus / "doc001.txt", corpus)
        )
    assert "sources" not in json.loads((index_path / "searchkit.json").read_text("utf-8"))


# -- check verifies every file's checksum ---------------------------------------------


@pytest.fixture
def small_index(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    _corpus(corpus, 12)
    index_path = tmp_path / "ix"
    with searchkit.Index.create(index_path) as ix:
        ix.add(corpus, batch_size=4)
        ix.remove(ix.documents()[0].id)
    return index_path


def test_check_finds_every_flipped_byte(small_index: Path) -> None:
    assert _check(small_index) == (0, "ok: 11 documents, 33 paragraphs, 1 segment\n")
    [seg] = _data(small_index).glob("*.seg")
    original = seg.read_bytes()
    for at in range(7, len(original), len(original) // 40):
        damaged = bytearray(original)
        damaged[at] ^= 0x10
        seg.write_bytes(bytes(damaged))
        code, out = _check(small_index)
        assert code == 3, f"byte {at} flipped passed check"
        assert f"{seg.name} is damaged: its checksum differs from the one recorded" in out
    seg.write_bytes(original)
    assert _check(small_index)[0] == 0


def test_check_repair_rebuilds_a_damaged_segment(small_index: Path) -> None:
    [seg] = _data(small_index).glob("*.seg")
    damaged = bytearray(seg.read_bytes())
    damaged[len(damaged) // 2] ^= 0x01
    seg.write_bytes(bytes(damaged))
    code, out = _check(small_index, "--repair")
    assert code == 0
    assert out.endswith("repaired: 12 documents, 36 paragraphs, 1 segment\n")
    assert searchkit.check_index(small_index).ok


def test_check_finds_a_changed_deletion_list(small_index: Path) -> None:
    """Deletions live in the table of contents, not in a segment file."""
    with searchkit.Index.open(small_index) as ix:
        whoosh_ix = ix._ix
        toc = whoosh_ix._read_toc()
        toc.segments[0]._deleted = set()  # the removed document comes back
        (_data(small_index) / f"_MAIN_{toc.generation}.toc").unlink()
        toc.write(whoosh_ix.storage, whoosh_ix.indexname)
    code, out = _check(small_index)
    assert code == 3
    assert "documents or deletions differ from its record" in out


def test_a_search_that_meets_damage_exits_3_in_one_line(small_index: Path) -> None:
    [seg] = _data(small_index).glob("*.seg")
    seg.write_bytes(seg.read_bytes()[: seg.stat().st_size // 2])  # cut short
    for command in (["search", "harbour"], ["docs"], ["index", str(small_index.parent / "corpus")]):
        result = CliRunner().invoke(cli, [*command, "--index", str(small_index)])
        assert result.exit_code == 3, (command, result.output)
        [line] = result.output.splitlines()
        assert line.startswith(f"Error: index damaged at {small_index}: ")
        assert line.endswith(f"run `searchkit check --repair --index {small_index}`")
