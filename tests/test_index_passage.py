"""Index.open_or_create and Index.passage."""

from __future__ import annotations

from pathlib import Path

import pytest

import searchkit

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def test_open_or_create_creates_then_opens(tmp_path: Path) -> None:
    path = tmp_path / "ix"
    with searchkit.Index.open_or_create(path) as ix:
        assert len(ix) == 0
        ix.add(SEEDS)
    with searchkit.Index.open_or_create(path) as again:
        assert len(again) == 17


def test_open_or_create_refuses_a_folder_of_other_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(searchkit.SearchkitIndexError, match="not a searchkit index"):
        searchkit.Index.open_or_create(tmp_path)


def test_passage(tmp_path: Path) -> None:
    with searchkit.Index.create(tmp_path / "ix") as ix:
        ix.add(SEEDS)
        doc_id = ix.documents()[0].id
        middle = ix.passage(f"{doc_id}:7", context=2)
        assert middle.chunk.paragraph == 7
        assert [c.paragraph for c in middle.before] == [5, 6]
        assert [c.paragraph for c in middle.after] == [8, 9]
        first = ix.passage(f"{doc_id}:1")
        assert (first.before, [c.paragraph for c in first.after]) == ((), [2])
        assert ix.passage(f"{doc_id}:17", context=0).after == ()
        with pytest.raises(searchkit.ArgumentError):
            ix.passage(f"{doc_id}:1", context=-1)
        with pytest.raises(searchkit.NotFoundError):
            ix.passage("nope:1")
