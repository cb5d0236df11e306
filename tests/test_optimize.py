"""``Index.optimize`` and ``searchkit optimize``: every segment merged into one, the same
hits and scores after, deleted paragraphs gone, an interrupted run changing nothing."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import searchkit
from searchkit import Document, Paragraph, _merge
from searchkit.cli import cli
from searchkit.shards import check_index

WORDS = ["river", "bank", "money", "school", "teacher", "wheat", "storm", "market", "price"]
QUERIES = ["river bank", "wheat OR storm", '"bank money"', "teacher -school", "market price"]


def _documents(n: int, seed: int) -> Iterator[Document]:
    rnd = random.Random(seed)
    for i in range(n):
        texts = [" ".join(rnd.choices(WORDS, k=rnd.randint(3, 30))) for _ in range(2)]
        paragraphs, at = [], 0
        for number, text in enumerate(texts, 1):
            paragraphs.append(Paragraph(number, text, at, at + len(text)))
            at += len(text) + 2
        yield Document(
            id=f"doc{i}",
            path=f"synthetic/{i}.txt",
            title=" ".join(rnd.choices(WORDS, k=3)),
            paragraphs=tuple(paragraphs),
            format="test",
        )


def _several_segments(path: Path, shards: int = 1) -> searchkit.Index | searchkit.ShardedIndex:
    ix = searchkit.Index.create(path, shards=shards, vectors=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(searchkit._writer, "_MIN_MERGE", 1000)  # keep every segment
        ix.add_documents(_documents(120, seed=1), batch_size=30)
    return ix


def _answers(ix: searchkit.Index | searchkit.ShardedIndex) -> list[list[tuple[str, float]]]:
    return [
        [(h.chunk_id, h.score) for h in ix.search(q, limit=20, collapse="none").hits]
        for q in QUERIES
    ]


def test_optimize_merges_every_segment_and_keeps_hits_and_scores(tmp_path: Path) -> None:
    with _several_segments(tmp_path / "ix") as ix:
        before = ix.stats()
        answers = _answers(ix)
        assert before.segments == 4
        after = ix.optimize()
        assert (after.segments, after.documents, after.chunks) == (1, 120, 240)
        assert _answers(ix) == answers  # exactly: the length totals are kept as recorded
        assert all(answers)
        # The merged segment's column cache is written for the body, the field a bare
        # query searches, and no other.
        data = ix.path / ix._settings.data
        segment = ix._reader().reader().segment().segment_id()
        assert sorted(p.name for p in data.glob("*.skcol")) == [f"{segment}.body.skcol"]
    with searchkit.Index.open(tmp_path / "ix") as again:  # a new process's view
        assert again.stats().segments == 1
        assert _answers(again) == answers
    assert check_index(tmp_path / "ix").ok


def test_optimize_drops_removed_paragraphs_for_good(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _several_segments(tmp_path / "ix") as ix:
        monkeypatch.setattr(searchkit._writer, "_MIN_MERGE", 1000)  # keep the deletions
        assert ix.remove("doc3", "doc77") == 2
        reader = ix._reader().reader()
        assert reader.doc_count_all() == 240 and reader.doc_count() == 236
        after = ix.optimize()
        assert (after.segments, after.documents, after.chunks) == (1, 118, 236)
        reader = ix._reader().reader()
        assert reader.doc_count_all() == reader.doc_count() == 236  # nothing deleted left
        ids = {h.doc_id for q in QUERIES for h in ix.search(q, limit=300).hits}
        assert "doc3" not in ids and "doc77" not in ids and "doc4" in ids


def test_optimize_after_removals_ranks_as_a_fresh_build_of_what_is_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = [f"doc{i}" for i in range(0, 120, 3)]
    with _several_segments(tmp_path / "ix") as ix:
        monkeypatch.setattr(searchkit._writer, "_MIN_MERGE", 1000)  # keep the deletions
        before = _answers(ix)
        ix.remove(*gone)
        ix.optimize()
        optimized = _answers(ix)
    with searchkit.Index.create(tmp_path / "fresh", vectors=False) as fresh:
        fresh.add_documents(d for d in _documents(120, seed=1) if d.id not in gone)
        expected = _answers(fresh)
    assert optimized != before  # the statistics no longer count the removed paragraphs
    assert [[c for c, _ in a] for a in optimized] == [[c for c, _ in e] for e in expected]
    for got, want in zip(optimized, expected, strict=True):
        # Near, not equal: the removed paragraphs' lengths come off the recorded totals
        # as their length bytes read back, which round (3,307 words left against 3,331).
        assert [s for _, s in got] == pytest.approx([s for _, s in want], rel=5e-3)


def test_optimize_of_one_segment_or_none_changes_nothing(tmp_path: Path) -> None:
    with searchkit.Index.create(tmp_path / "empty", vectors=False) as empty:
        assert (empty.optimize().segments, len(empty)) == (0, 0)
    with searchkit.Index.create(tmp_path / "one", vectors=False) as one:
        one.add_documents(_documents(10, seed=2))
        answers = _answers(one)
        segment = one._reader().reader().segment().segment_id()
        assert one.optimize().segments == 1
        assert one._reader().reader().segment().segment_id() == segment  # not rewritten
        assert _answers(one) == answers


def test_an_optimize_that_fails_leaves_the_index_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _several_segments(tmp_path / "ix") as ix:
        answers = _answers(ix)

        def broken(*args: object, **kwargs: object) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(_merge, "merge_segments", broken)
        with pytest.raises(searchkit.SearchkitError):
            ix.optimize()
        monkeypatch.undo()
        assert ix.stats().segments == 4
        assert _answers(ix) == answers
    with searchkit.Index.open(tmp_path / "ix") as again:
        assert again.stats().segments == 4
        assert _answers(again) == answers
        again.add_documents(_documents(1, seed=3))  # the next writer works, and tidies up
    report = check_index(tmp_path / "ix")
    assert report.ok and report.leftovers == ()


def test_a_sharded_index_optimizes_each_shard(tmp_path: Path) -> None:
    with _several_segments(tmp_path / "sharded", shards=2) as ix:
        answers = _answers(ix)
        shards = ix.shards()
        assert all(s.stats().segments > 1 for s in shards)
        after = ix.optimize()
        assert (after.documents, after.chunks) == (120, 240)
        assert [s.stats().segments for s in ix.shards()] == [1, 1]
        assert after.segments == 2
        assert _answers(ix) == answers


def test_cli_optimize_prints_the_segments_before_and_after(tmp_path: Path) -> None:
    _several_segments(tmp_path / "ix").close()
    runner = CliRunner()
    result = runner.invoke(cli, ["optimize", "--index", str(tmp_path / "ix")])
    assert result.exit_code == 0, result.output
    line = (
        r"4 segments \(\d+\.\d MiB\) -> 1 segment \(\d+\.\d MiB with its column caches\): "
        r"120 documents, 240 paragraphs\n"
    )
    assert re.fullmatch(line, result.output)
    again = runner.invoke(cli, ["optimize", "--index", str(tmp_path / "ix"), "--json"])
    assert again.exit_code == 0
    shown = json.loads(again.output)
    assert (shown["before"]["segments"], shown["after"]["segments"]) == (1, 1)
    assert shown["after"]["chunks"] == 240


def test_cli_optimize_of_no_index_is_one_line_and_exit_3(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["optimize", "--index", str(tmp_path / "none")])
    assert result.exit_code == 3
    assert result.output.count("\n") == 1
    assert result.output.startswith("Error: no searchkit index at ")
