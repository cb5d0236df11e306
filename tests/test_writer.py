"""searchkit's Whoosh writer: the multi-process writer gives the single one's index, and its
child processes never outlive a cancelled write or a killed parent."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from whoosh.filedb.filestore import FileStorage

import searchkit
import searchkit._batch
import searchkit._mpwriter
from searchkit import Document, Paragraph, _merge, _whoosh, _writer, _writers
from searchkit._lock import WriteLock

from .conftest import ROOT

needs_fork = pytest.mark.skipif(
    not _writers.parallel_supported(), reason="the multi-process writer needs Linux and fork"
)

WORDS = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa")


def _documents(n: int, fail_at: int | None = None) -> Iterator[Document]:
    for i in range(n):
        if i == fail_at:
            raise RuntimeError("the source broke")
        text = " ".join(WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(12))
        paragraphs = (Paragraph(1, text, 0, len(text)), Paragraph(2, text[::-1], 0, len(text)))
        yield Document(
            id=f"d{i}", path=f"gen/{i}", title=WORDS[i % len(WORDS)], paragraphs=paragraphs
        )


def _answers(ix: searchkit.Index, query: str) -> dict[str, float]:
    return {h.chunk_id: round(h.score, 9) for h in ix.search(query, limit=10_000)}


@needs_fork
def test_parallel_writer_builds_the_same_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serial = searchkit.Index.create(tmp_path / "serial")
    with monkeypatch.context() as m:
        m.setattr(searchkit._batch, "_WRITER_PROCS", 1)
        serial.add_documents(_documents(1500), batch_size=1000)
    parallel = searchkit.Index.create(tmp_path / "parallel")

    temporary: list[str] = []
    create_file = FileStorage.create_file

    def recorded(storage: FileStorage, name: str, **kwargs: Any) -> Any:
        if storage.folder.endswith(".tmp"):
            temporary.append(name)
        return create_file(storage, name, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(searchkit._batch, "_WRITER_PROCS", 2)
        m.setattr(FileStorage, "create_file", recorded)
        parallel.add_documents(_documents(1500), batch_size=1000)
    # Jobs reached the writer processes through a pipe, never as job files (Whoosh's
    # ``.doclist``) in the index's folder that someone who may write there could swap
    # before a child read them.
    assert temporary and not [name for name in temporary if name.endswith(".doclist")]
    assert len(parallel._ix._segments()) > len(serial._ix._segments())
    assert len(parallel) == len(serial) == 3000
    assert [d.id for d in parallel.documents()] == [d.id for d in serial.documents()]
    for query in ("alpha", "beta gamma", "ahpla", "title:kappa", "iota AND theta"):
        assert _answers(parallel, query) == _answers(serial, query)
    assert multiprocessing.active_children() == []


@needs_fork
def test_cancelled_parallel_write_leaves_no_process_and_a_working_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(searchkit._batch, "_WRITER_PROCS", 2)
    ix = searchkit.Index.create(tmp_path / "ix")
    ix.add_documents(_documents(10))
    with pytest.raises(RuntimeError, match="the source broke"):
        ix.add_documents(_documents(900, fail_at=850), batch_size=1000)
    assert multiprocessing.active_children() == []
    assert len(ix) == 20
    ix.add_documents(_documents(30))
    assert len(ix) == 60


_KILLED_WRITER = """
import sys, time
from searchkit import Document, Index, Paragraph
def docs():
    for i in range(10**6):
        text = "word%d other%d text" % (i % 977, i % 131)
        para = Paragraph(1, text, 0, len(text))
        yield Document(id=str(i), path=str(i), title="t", paragraphs=(para,))
        if i == 5000:
            print("children started", flush=True)
Index.create(sys.argv[1]).add_documents(docs(), batch_size=10**6)
"""


def _processes_with(marker: str) -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in cmdline:
                found.append(int(pid))
    return found


@needs_fork
def test_killed_parent_takes_its_writer_processes_and_locks_with_it(tmp_path: Path) -> None:
    marker = f"searchkit-kill-test-{os.getpid()}"
    index = tmp_path / marker
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_KILLED_WRITER), str(index)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "children started"
    assert len(_processes_with(marker)) >= 2  # the writer and at least one child
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while _processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_with(marker) == []
    with WriteLock(index, timeout=5):
        pass
    with searchkit.Index.open(index) as ix:
        assert len(ix) == 0  # nothing was committed, and what is there opens
        ix.add_documents(_documents(5))
        assert len(ix) == 10


def test_many_small_commits_do_not_pile_up_segments(tmp_path: Path) -> None:
    ix = searchkit.Index.create(tmp_path / "ix")
    ix.add_documents(_documents(40), batch_size=1)  # forty commits of one document
    assert len(ix._ix._segments()) <= _writer._MIN_MERGE
    assert len(ix) == 80
    assert ix.search("alpha").total == len(_answers(ix, "alpha")) > 0


def test_big_segments_merge_only_many_at_a_time() -> None:
    class Seg:
        def __init__(self, docs: int) -> None:
            self.docs = docs

        def doc_count(self) -> int:
            return self.docs

    segments = [Seg(10_000) for _ in range(_writer._FANOUT - 1)] + [Seg(50), Seg(60)]
    assert _merge.merge_policy(None, segments) == segments


def test_segments_of_replaced_documents_merge_away(tmp_path: Path) -> None:
    ix = searchkit.Index.create(tmp_path / "ix")
    for _ in range(6):  # the same documents again and again, as a resumed run does
        ix.add_documents(_documents(30), batch_size=30)
    assert len(ix) == 60
    assert len(ix._ix._segments()) <= _writer._MIN_MERGE


@needs_fork
def test_a_small_parallel_batch_is_written_without_child_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(searchkit._batch, "_WRITER_PROCS", 2)
    started: list[object] = []
    monkeypatch.setattr(
        searchkit._mpwriter.MpWriter, "_new_task", lambda self: started.append(self)
    )
    ix = searchkit.Index.create(tmp_path / "ix")
    ix.add_documents(_documents(20), batch_size=1000)  # 40 chunks: less than one job
    assert started == []
    assert len(ix) == 40
    assert _answers(ix, "alpha")


# -- the in-memory inversion writes what Whoosh's own writer writes --------------------


def _chunk_fields(n: int) -> list[dict[str, object]]:
    """Field values of ``n`` generated documents and the seed, as the index writes them."""
    from searchkit import chunk_document, load_document
    from searchkit.schema import chunk_rows, manifest_fields

    from .conftest import SEED

    docs = [load_document(SEED), *_documents(n)]
    rows: list[dict[str, object]] = []
    for doc in docs:
        chunks = list(chunk_document(doc, 4000))
        rows += chunk_rows(chunks, manifest_fields(doc, len(chunks), 1, 2))
    return rows


def _segment_contents(folder: Path) -> dict[str, object]:
    """Each term's statistics, postings and blocks; stored fields; field lengths."""
    from whoosh import index as windex

    from searchkit.schema import build_schema

    ix = windex.open_dir(str(folder), schema=build_schema())
    with ix.reader() as r:
        terms = {}
        for field, text in r.all_terms():
            info = r.term_info(field, text)
            stats = (info.weight(), info.doc_frequency(), info.min_length(), info.max_length())
            stats += (info.max_weight(), info.min_id(), info.max_id())
            postings = []
            m = r.postings(field, text)
            while m.is_active():
                postings.append((m.id(), m.weight(), m.value()))
                m.next()
            blocks = []
            m = r.postings(field, text)
            while m.is_active():
                if m._data is None:
                    m._read_data()
                blocks.append(
                    (m.block_max_weight(), m.block_min_length(), m.block_max_length(), m._data)
                )
                m._next_block()
            terms[(field, text)] = (stats, postings, blocks)
        perdoc = _whoosh.per_document_reader(r)
        contents = {
            "terms": terms,
            "stored": list(r.all_stored_fields()),
            "lengths": {
                f: [r.doc_field_length(d, f) for d in range(r.doc_count_all())]
                for f in ("body", "stops", "title", "author")
            },
            "totals": {f: r.field_length(f) for f in ("body", "stops", "title", "author")},
            "length columns": {
                f: bytes(_whoosh.column_bytes(_whoosh.length_column(perdoc, f)))
                for f in ("body", "stops", "title", "author")
            },
        }
    ix.close()
    return contents


def _raw_index(folder: Path) -> Any:
    """A bare Whoosh index with searchkit's schema, in a new ``folder``."""
    from whoosh import index as windex

    from searchkit.schema import build_schema

    folder.mkdir()
    return windex.create_in(str(folder), build_schema())


def _direct(ix: object) -> _writer.SegmentWriter:
    return _writer.SegmentWriter(ix, codec=_writer.codec())


def _write_with(
    folder: Path,
    make_writer: object,
    rows: list[dict[str, object]],
    committed: list[dict[str, object]] = (),  # type: ignore[assignment]
) -> None:
    """Write ``rows`` with a writer from ``make_writer``; with ``committed``, those first
    go into a segment of their own (by Whoosh's writer), which the second writer merges."""
    from whoosh import writing as wwriting

    ix = _raw_index(folder)
    if committed:
        w = wwriting.SegmentWriter(ix, codec=_writer.codec())
        for fields in committed:
            w.add_document(**fields)
        w.commit()
    w = make_writer(ix)  # type: ignore[operator]
    for fields in rows:
        w.add_document(**fields)
    w.commit(optimize=bool(committed))
    ix.close()


def test_inverted_writer_writes_what_whoosh_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from whoosh import writing as wwriting

    rows = _chunk_fields(300)  # 617 chunks: common words take three posting blocks
    long = "word " * 2500 + " ".join(f"w{i}" for i in range(2500))
    rows.insert(0, {**rows[-1], "chunk_id": "long:1", "doc_id": "long", "body": ("", long)})
    # Documents with no length in a field, among the others and last: Whoosh leaves the
    # last ones out of the field's length column.
    bare = {k: v for k, v in rows[-1].items() if k not in ("body", "stops", "title")}
    rows[5:5] = [{**bare, "chunk_id": "bare:1", "doc_id": "bare"}]
    rows.append({**bare, "chunk_id": "bare:2", "doc_id": "bare2"})

    def whoosh(ix: object) -> object:
        return wwriting.SegmentWriter(ix, codec=_writer.codec())

    def spilling(ix: object) -> _writer.SegmentWriter:
        w = _direct(ix)
        # Spill to Whoosh's pool (and its runs on disk) every few hundred chunks, so the
        # flush merges runs with what is still in memory.
        w._memory_limit = 1_000_000
        return w

    _write_with(tmp_path / "whoosh", whoosh, rows)
    expected = _segment_contents(tmp_path / "whoosh")
    terms = expected["terms"]
    assert isinstance(terms, dict)
    assert max(len(blocks) for _, _, blocks in terms.values()) >= 3
    assert {field for field, _ in terms} >= {"body", "title", "author", "published", "first"}
    lengths = expected["lengths"]
    assert isinstance(lengths, dict) and max(n or 0 for n in lengths["body"]) >= 4096
    assert lengths["body"][5] is None and lengths["body"][-1] is None
    _write_with(tmp_path / "direct", _direct, rows)
    assert _segment_contents(tmp_path / "direct") == expected
    spills: list[tuple[bool, int]] = []  # (to disk, terms still in memory)
    spill = _writer.SegmentWriter._spill

    def counted(self: _writer.SegmentWriter, to_disk: bool = True) -> None:
        spills.append((to_disk, sum(len(t) for t in self._inverted.values())))
        spill(self, to_disk)

    monkeypatch.setattr(_writer.SegmentWriter, "_spill", counted)
    _write_with(tmp_path / "spilled", spilling, rows)
    assert spills[0][0] and not spills[-1][0] and spills[-1][1] > 0
    assert _segment_contents(tmp_path / "spilled") == expected

    # Merging: an existing segment comes in through add_reader (Whoosh's pool) while this
    # writer's own documents are in memory; the merged segment is the same either way.
    _write_with(tmp_path / "merged-whoosh", whoosh, rows[:300], committed=rows[300:])
    _write_with(tmp_path / "merged-direct", _direct, rows[:300], committed=rows[300:])
    merged = _segment_contents(tmp_path / "merged-whoosh")
    assert _segment_contents(tmp_path / "merged-direct") == merged


def test_documents_added_after_a_merged_segment_keep_their_lengths(tmp_path: Path) -> None:
    from whoosh import writing as wwriting

    rows = _chunk_fields(60)
    bare = {k: v for k, v in rows[-1].items() if k not in ("body", "stops", "title")}
    rows.insert(40, {**bare, "chunk_id": "bare:1", "doc_id": "bare"})

    def write(folder: Path, make_writer: Any) -> dict[str, object]:
        ix = _raw_index(folder)
        w = wwriting.SegmentWriter(ix, codec=_writer.codec())
        for fields in rows[80:]:
            w.add_document(**fields)
        w.commit()
        w = make_writer(ix)
        for fields in rows[:30]:
            w.add_document(**fields)
        with ix.reader() as reader:
            w.add_reader(reader)  # as a merge does, with this writer's documents before
        for fields in rows[30:80]:
            w.add_document(**fields)
        w.commit(mergetype=wwriting.CLEAR)  # the new segment alone
        ix.close()
        return _segment_contents(folder)

    def whoosh(ix: object) -> object:
        return wwriting.SegmentWriter(ix, codec=_writer.codec())

    expected = write(tmp_path / "whoosh", whoosh)
    assert write(tmp_path / "direct", _direct) == expected


def test_a_value_its_field_cannot_take_leaves_the_writer_unchanged(tmp_path: Path) -> None:
    from whoosh.fields import UnknownFieldError

    rows = _chunk_fields(3)
    ix = _raw_index(tmp_path / "ix")
    w = _direct(ix)
    w.add_document(**rows[0])
    with pytest.raises(UnknownFieldError, match="colour"):
        w.add_document(**rows[1], colour="red")
    with pytest.raises(Exception, match="is not a date"):
        w.add_document(**{**rows[1], "published": "last Tuesday"})
    with pytest.raises(ValueError, match="_boost"):
        w.add_document(**rows[1], _boost=2.0)
    for fields in rows[1:]:
        w.add_document(**fields)
    w.commit()
    ix.close()
    _write_with(tmp_path / "clean", _direct, rows)
    assert _segment_contents(tmp_path / "ix") == _segment_contents(tmp_path / "clean")


def test_a_document_failing_half_written_stops_the_writer(tmp_path: Path) -> None:
    from whoosh.writing import IndexingError

    rows = _chunk_fields(2)
    ix = _raw_index(tmp_path / "ix")
    w = _direct(ix)
    w.add_document(**rows[0])
    with pytest.raises(TypeError, match="JSON"):  # a stored value that JSON cannot hold
        w.add_document(**{**rows[1], "record_line": lambda: None})
    with pytest.raises(IndexingError, match="cancel this writer"):
        w.add_document(**rows[1])
    with pytest.raises(IndexingError, match="cancel this writer"):
        w.commit()
    w.cancel()
    assert ix.doc_count() == 0
    ix.close()


@needs_fork
def test_the_parallel_writer_writes_one_segment_per_process_only(tmp_path: Path) -> None:
    from searchkit._mpwriter import MpWriter

    ix = _raw_index(tmp_path / "ix")
    with pytest.raises(ValueError, match="one segment per process"):
        MpWriter(ix, procs=1, multisegment=False, lock_path=None)
    ix.close()


@needs_fork
def test_a_bulk_load_under_the_writers_memory_commits_once_a_segment_a_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bulk load commits when its writer processes' share would outgrow their memory,
    not every few thousand documents: each commit writes a segment a writer, and each
    segment repeats its term table and column caches (all of Reuters-21578 committed
    every 5,000 documents took 8 segments, 70 MiB, in one commit 2 segments, 61 MiB)."""
    monkeypatch.setattr(searchkit._batch, "_WRITER_PROCS", 2)
    commits: list[int] = []
    commit = searchkit._batch.Batch.commit

    def counted(self: searchkit._batch.Batch, force: bool = False) -> None:
        if self._writer is not None:
            commits.append(self._chunks)
        commit(self, force)

    monkeypatch.setattr(searchkit._batch.Batch, "commit", counted)
    with searchkit.Index.create(tmp_path / "ix") as ix:
        report = ix.add_documents(_documents(6000))
        assert report.chunks == len(ix) == 12_000
        assert commits == [12_000] and len(ix._ix._segments()) == 2
        assert len(_answers(ix, "title:kappa")) == 600  # a hit a document
