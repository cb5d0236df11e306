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

import pytest

import searchkit
import searchkit._mpwriter
from searchkit import Document, Paragraph, _writer
from searchkit._lock import WriteLock

from .conftest import ROOT

needs_fork = pytest.mark.skipif(
    not _writer.parallel_supported(), reason="the multi-process writer needs Linux and fork"
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
        m.setattr(searchkit.index, "_WRITER_PROCS", 1)
        serial.add_documents(_documents(1500), batch_size=1000)
    parallel = searchkit.Index.create(tmp_path / "parallel")
    with monkeypatch.context() as m:
        m.setattr(searchkit.index, "_WRITER_PROCS", 2)
        parallel.add_documents(_documents(1500), batch_size=1000)
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
    monkeypatch.setattr(searchkit.index, "_WRITER_PROCS", 2)
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
    assert _writer.merge_policy(None, segments) == segments


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
    monkeypatch.setattr(searchkit.index, "_WRITER_PROCS", 2)
    started: list[object] = []
    monkeypatch.setattr(
        searchkit._mpwriter.MpWriter, "_new_task", lambda self: started.append(self)
    )
    ix = searchkit.Index.create(tmp_path / "ix")
    ix.add_documents(_documents(20), batch_size=1000)  # 40 chunks: less than one job
    assert started == []
    assert len(ix) == 40
    assert _answers(ix, "alpha")
