"""Merging by copying postings (``_merge.py``) gives what Whoosh's ``add_reader`` gives.

Segment by segment: the merged segment holds the same terms, statistics, postings,
posting blocks, stored fields and lengths as Whoosh's merge of the same segments, with
deleted documents dropped.  Index by index: the same documents written with the same
batches (so the same merges) under the old and the new merge answer every query with
the same hits in the same order with the same scores, and pass ``check``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import searchkit
from searchkit import Document, Paragraph, _merge, _writer

from .test_writer import _chunk_fields, _raw_index, _segment_contents, needs_fork

_VOCABULARY = [f"{a}{b}" for a in ("har", "riv", "bel", "cor", "mon", "zet") for b in "aeiou"]


def _documents(n: int, version: int = 0, start: int = 0) -> Iterator[Document]:
    """``n`` documents of a few paragraphs each, words drawn unevenly from a small vocabulary
    (so common words take several posting blocks), with authors and dates."""
    for i in range(start, start + n):
        rng = random.Random(i * 7919 + version)
        paragraphs = []
        for p in range(1, rng.randint(2, 5)):
            words = rng.choices(_VOCABULARY, weights=range(len(_VOCABULARY), 0, -1), k=30)
            text = " ".join(words)
            paragraphs.append(Paragraph(p, text, 0, len(text)))
        yield Document(
            id=f"doc{i}",
            path=f"gen/{i}",
            title=f"{rng.choice(_VOCABULARY)} {rng.choice(_VOCABULARY)}",
            paragraphs=tuple(paragraphs),
            author=rng.choice(("Ann Lee", "Bo Chan", "Cy Diaz")),
            published=dt.datetime(2020 + i % 5, 1 + i % 12, 1 + i % 28, tzinfo=dt.UTC),
        )


def _build(path: Path, copy: bool, monkeypatch: pytest.MonkeyPatch, parallel: bool) -> None:
    """The same history of writes: small batches (many merges), replaced and removed
    documents (deletions in merged segments), and one batch big enough for child writer
    processes when ``parallel``."""
    with monkeypatch.context() as m:
        m.setattr(_merge, "COPY_MERGE", copy)
        with searchkit.Index.create(path) as ix:
            for k in range(8):
                ix.add_documents(_documents(40, start=40 * k), batch_size=40)
            ix.add_documents(_documents(30, version=1, start=100), batch_size=10)
            ix.remove(*(f"doc{i}" for i in range(0, 320, 9)))
            if parallel:
                ix.add_documents(_documents(400, start=400), batch_size=1000)
            ix.add_documents(_documents(50, version=2, start=200), batch_size=25)
            ix.add_documents(_documents(40, start=1400), batch_size=40)


def _answers(ix: searchkit.Index, query: str, **kw: Any) -> tuple[Any, ...]:
    found = ix.search(query, limit=50, **kw)
    return (found.total, [(h.rank, h.chunk_id, h.score, h.text) for h in found], found.facets)


@pytest.mark.parametrize("parallel", [False, pytest.param(True, marks=needs_fork)])
def test_an_index_merged_by_copying_answers_as_the_old_merge_did(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parallel: bool
) -> None:
    merged = 0
    merge = _merge.merge_segments

    def counted(writer: Any, segments: Any, **kw: Any) -> Any:
        nonlocal merged
        merged += 1
        return merge(writer, segments, **kw)

    monkeypatch.setattr(_merge, "merge_segments", counted)
    _build(tmp_path / "old", False, monkeypatch, parallel)
    assert merged == 0
    _build(tmp_path / "new", True, monkeypatch, parallel)
    assert merged >= 3
    old, new = searchkit.Index.open(tmp_path / "old"), searchkit.Index.open(tmp_path / "new")
    with old, new:
        assert len(new) == len(old) > 0
        assert new.documents() == old.documents()
        sizes = [s.doc_count_all() for s in new._ix._segments()]
        assert sizes == [s.doc_count_all() for s in old._ix._segments()]
        queries = [*_VOCABULARY, "hara rivu", '"hara hare"', "title:bele", "zetu OR mone"]
        for q in queries:
            assert _answers(new, q) == _answers(old, q), q
        for kw in ({"sort": "date"}, {"author": ["Bo Chan"]}, {"facets": ["author", "year"]}):
            assert _answers(new, "hare riva", **kw) == _answers(old, "hare riva", **kw), kw
    for where in ("old", "new"):
        report = searchkit.check_index(tmp_path / where)
        assert report.ok, report.problems


def test_a_copied_segment_holds_what_whoosh_merges(tmp_path: Path) -> None:
    from whoosh import writing as wwriting

    rows = _chunk_fields(300)  # common words take several posting blocks
    merged = {}
    for name, copy in (("whoosh", False), ("copied", True)):
        ix = _raw_index(tmp_path / name)
        for part in (rows[:250], rows[250:400], rows[400:]):
            w = _writer.SegmentWriter(ix, codec=_writer.codec())
            for fields in part:
                w.add_document(**fields)
            w.commit(merge=False)
        w = wwriting.SegmentWriter(ix, codec=_writer.codec())
        for docnum in (0, 3, 251, 260, 401, len(rows) - 1):  # deletions in every segment
            w.delete_document(docnum)
        w.commit(merge=False)
        assert len(ix._segments()) == 3
        w = _writer.SegmentWriter(ix, codec=_writer.codec())
        with pytest.MonkeyPatch.context() as m:
            m.setattr(_merge, "COPY_MERGE", copy)
            w.commit(mergetype=_merge._merged)
        (segment,) = ix._segments()
        assert segment.doc_count() == len(rows) - 6
        merged[name] = (_segment_contents(tmp_path / name), dict(segment._fieldlengths))
        ix.close()
    assert merged["copied"] == merged["whoosh"]


def test_a_merge_of_only_deleted_documents_leaves_no_segment(tmp_path: Path) -> None:
    rows = _chunk_fields(3)
    ix = _raw_index(tmp_path / "ix")
    w = _writer.SegmentWriter(ix, codec=_writer.codec())
    for fields in rows:
        w.add_document(**fields)
    w.commit()
    w = _writer.SegmentWriter(ix, codec=_writer.codec())
    for docnum in range(len(rows)):
        w.delete_document(docnum)
    w.commit(mergetype=lambda writer, segments: _merge._merged(writer, segments))
    assert ix._segments() == []
    ix.close()


_KILLED_MID_MERGE = """
import sys, time
import searchkit
from searchkit import _merge
from tests.test_merge import _documents

copy = _merge._copy_postings

def stalled(*args):
    copy(*args)  # the merged segment's files are written; its commit is not
    print("merging", flush=True)
    time.sleep(60)

_merge._copy_postings = stalled
with searchkit.Index.open(sys.argv[1]) as ix:
    ix.add_documents(_documents(30, version=1, start=0), batch_size=30)
"""


def test_a_kill_mid_merge_leaves_the_index_as_it_was(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    from .conftest import ROOT

    where = tmp_path / "ix"
    with searchkit.Index.create(where) as ix:
        for k in range(3):  # three small segments: the next commit merges them
            ix.add_documents(_documents(30, start=30 * k), batch_size=30)
        before = {q: _answers(ix, q) for q in _VOCABULARY[:6]}
        docs = ix.documents()
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_MID_MERGE, str(where)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "merging\n"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    report = searchkit.check_index(where)
    assert report.ok, report.problems
    assert report.leftovers  # the merged segment's files, left by a dead writer
    with searchkit.Index.open(where) as ix:
        assert ix.documents() == docs
        assert {q: _answers(ix, q) for q in _VOCABULARY[:6]} == before
        ix.add_documents(_documents(30, version=1, start=0), batch_size=30)  # finishes it
        assert len(ix.documents()) == 90
    report = searchkit.check_index(where)
    assert report.ok and not report.leftovers, report
