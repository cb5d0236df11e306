"""searchkit.watch: files added, changed, moved and removed reach the index; a folder
that leaves and comes back; a clean stop commits the last batch; kill -9 loses nothing.

Each check waits (up to 30 s, polling) for the index to show a change, and asserts it:
a wait for an event, not a timing threshold.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import searchkit
from searchkit.watch import WatchBatch

WAIT = 30.0


def _until(check: Callable[[], bool]) -> bool:
    """Poll ``check`` until it holds or ``WAIT`` seconds pass; its last answer."""
    deadline = time.monotonic() + WAIT
    while not check():
        if time.monotonic() > deadline:
            return check()
        time.sleep(0.1)
    return True


def _paths(index_dir: Path, word: str) -> list[str]:
    with searchkit.Index.open(index_dir) as ix:
        return sorted(Path(h.path).name for h in ix.search(word))


class _Watcher:
    def __init__(self, index_dir: Path, *paths: Path) -> None:
        self.stop = threading.Event()
        self.batches: list[WatchBatch] = []
        self.errors: list[BaseException] = []
        self.index_dir = index_dir
        self.thread = threading.Thread(target=self._run, args=paths, daemon=True)

    def _run(self, *paths: Path) -> None:
        try:
            with searchkit.Index.open(self.index_dir) as ix:
                ix.watch(
                    *paths,
                    stop=self.stop,
                    on_batch=self.batches.append,
                    debounce_ms=400,
                    step_ms=50,
                    poll_ms=200,
                )
        except BaseException as exc:  # shown by the test that stops the watcher
            self.errors.append(exc)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(WAIT)
        assert not self.thread.is_alive()
        assert self.errors == []


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[tuple[Path, Path, _Watcher]]:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "first.md").write_text("# First\n\nThe alpha note.\n")
    index_dir = tmp_path / "index"
    searchkit.Index.create(index_dir).close()
    watcher = _Watcher(index_dir, folder)
    watcher.thread.start()
    assert _until(lambda: bool(watcher.batches))  # the first sync ran
    yield folder, index_dir, watcher
    if watcher.thread.is_alive():
        watcher.close()


def test_created_changed_renamed_and_deleted_files_reach_the_index(
    watched: tuple[Path, Path, _Watcher],
) -> None:
    folder, index_dir, watcher = watched
    assert _paths(index_dir, "alpha") == ["first.md"]
    (folder / "second.md").write_text("# Second\n\nA bravo note.\n")
    assert _until(lambda: _paths(index_dir, "bravo") == ["second.md"])
    (folder / "second.md").write_text("# Second\n\nNow a charlie note.\n")
    assert _until(lambda: _paths(index_dir, "charlie") == ["second.md"])
    assert _paths(index_dir, "bravo") == []
    (folder / "second.md").rename(folder / "moved.md")
    assert _until(lambda: _paths(index_dir, "charlie") == ["moved.md"])
    # The watcher reports a batch after committing it: a search may see it first.
    assert _until(lambda: [b.report.renamed for b in watcher.batches if b.report.renamed] == [1])
    (folder / "moved.md").unlink()
    assert _until(lambda: _paths(index_dir, "charlie") == [])
    assert _paths(index_dir, "alpha") == ["first.md"]
    watcher.close()
    assert watcher.batches[0].reason == "start" and watcher.batches[-1].reason == "stop"
    assert {b.reason for b in watcher.batches[1:-1]} == {"changes"}


def test_a_folder_that_disappears_and_comes_back(watched: tuple[Path, Path, _Watcher]) -> None:
    folder, index_dir, watcher = watched
    moved = folder.with_name("away")
    folder.rename(moved)  # an unmounted disk: its documents are kept
    assert _until(lambda: any(b.missing == (str(folder),) for b in watcher.batches))
    assert _paths(index_dir, "alpha") == ["first.md"]
    shutil.rmtree(moved)
    folder.mkdir()
    (folder / "back.md").write_text("# Back\n\nThe delta note.\n")
    assert _until(lambda: _paths(index_dir, "delta") == ["back.md"])
    assert _paths(index_dir, "alpha") == []  # first.md went with the old folder
    (folder / "later.md").write_text("# Later\n\nAn echo note.\n")  # watched again
    assert _until(lambda: _paths(index_dir, "echo") == ["later.md"])
    watcher.close()


def test_stopping_commits_the_last_changes(watched: tuple[Path, Path, _Watcher]) -> None:
    folder, index_dir, watcher = watched
    (folder / "last.md").write_text("# Last\n\nThe foxtrot note.\n")
    watcher.close()  # at once: the burst may not have been gathered yet
    assert _paths(index_dir, "foxtrot") == ["last.md"]


_CHILD = """
import sys, searchkit
def said(batch):
    print(batch.reason, batch.report.added, flush=True)
with searchkit.Index.open(sys.argv[1]) as ix:
    ix.watch(sys.argv[2], on_batch=said, batch_size=5, debounce_ms=300, poll_ms=200)
"""


def _watcher_process(index_dir: Path, folder: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(index_dir), str(folder)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def _count(index_dir: Path) -> int:
    with searchkit.Index.open(index_dir) as ix:
        return len(ix.documents())


def test_a_watcher_killed_mid_batch_loses_nothing_after_a_restart(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    index_dir = tmp_path / "index"
    searchkit.Index.create(index_dir).close()
    child = _watcher_process(index_dir, folder)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().split() == ["start", "0"]
        total = 400
        for i in range(total):
            (folder / f"n{i:03}.md").write_text(f"# Note {i}\n\nWord golf{i} and hotel.\n")
        # Kill it while it is part way through (commits come every 5 documents).
        assert _until(lambda: _count(index_dir) > 0)
        child.send_signal(signal.SIGKILL)
        child.wait(WAIT)
    finally:
        if child.poll() is None:
            child.kill()
    child = _watcher_process(index_dir, folder)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().split()[0] == "start"  # its first sync is done
        assert _count(index_dir) == total
        with searchkit.Index.open(index_dir) as ix:
            assert ix.search("hotel", limit=1, collapse="none").total == total
            assert [Path(h.path).name for h in ix.search("golf399", collapse="none")] == ["n399.md"]
    finally:
        child.send_signal(signal.SIGINT)
        child.wait(WAIT)
    assert searchkit.check_index(index_dir).ok


def _watch_in_thread(
    index_dir: Path, folder: Path, stop: threading.Event, batches: list[WatchBatch]
) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with searchkit.Index.open(index_dir, lock_timeout=0.2) as ix:
                ix.watch(folder, stop=stop, on_batch=batches.append, debounce_ms=300, poll_ms=100)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, errors


def test_a_sync_put_off_by_another_writer_runs_when_the_lock_is_free(tmp_path: Path) -> None:
    from searchkit._lock import WriteLock

    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "kilo.md").write_text("# Kilo\n\nThe kilo note.\n")
    index_dir = tmp_path / "index"
    searchkit.Index.create(index_dir).close()
    stop = threading.Event()
    batches: list[WatchBatch] = []
    with WriteLock(index_dir):  # another process indexing, longer than lock_timeout
        thread, errors = _watch_in_thread(index_dir, folder, stop, batches)
        assert _until(lambda: len(batches) >= 2)  # put off, and tried again: put off again
        assert _paths(index_dir, "kilo") == []
    first = batches[0]
    assert (first.reason, first.report.added) == ("start", 0)
    assert first.busy is not None and "is locked" in first.busy
    assert thread.is_alive() and errors == []  # the watch goes on
    assert _until(lambda: _paths(index_dir, "kilo") == ["kilo.md"])
    done = next(b for b in batches if b.busy is None)
    assert (done.reason, done.report.added) == ("start", 1)  # the put-off sync, run
    stop.set()
    thread.join(WAIT)
    assert errors == []


def test_the_last_sync_put_off_by_another_writer_is_an_error(tmp_path: Path) -> None:
    from searchkit._lock import WriteLock

    folder = tmp_path / "notes"
    folder.mkdir()
    index_dir = tmp_path / "index"
    searchkit.Index.create(index_dir).close()
    stop = threading.Event()
    batches: list[WatchBatch] = []
    thread, errors = _watch_in_thread(index_dir, folder, stop, batches)
    assert _until(lambda: bool(batches))  # the first sync ran
    with WriteLock(index_dir):
        (folder / "lima.md").write_text("# Lima\n\nThe lima note.\n")
        stop.set()
        thread.join(WAIT)
    assert len(errors) == 1 and isinstance(errors[0], searchkit.IndexLockedError)
    assert _paths(index_dir, "lima") == []  # the next watch's first sync will add it


def test_the_command_says_each_skipped_file_once_and_a_put_off_sync() -> None:
    from click.testing import CliRunner

    from searchkit.cli.watch import _Say
    from searchkit.models import IndexReport
    from searchkit.reports import Skipped

    bad = Skipped("/notes/bad.pdf", "not a PDF: no %PDF header")
    say = _Say()
    runner = CliRunner()

    def said(batch: WatchBatch) -> list[str]:
        with runner.isolation() as (_out, err, *_rest):
            say(batch)
            return err.getvalue().decode().splitlines()

    start = WatchBatch("start", 0, IndexReport(added=2, skipped=(bad,)))
    assert said(start) == [
        "Skipped /notes/bad.pdf: not a PDF: no %PDF header",
        "start: 2 added, 0 updated, 0 removed, 0 renamed",
    ]
    again = WatchBatch("changes", 1, IndexReport(updated=1, skipped=(bad,)))
    assert said(again) == ["changes: 0 added, 1 updated, 0 removed, 0 renamed"]
    busy = WatchBatch("changes", 3, IndexReport(), busy="index ix is locked by pid 7")
    assert said(busy) == ["changes: put off, index ix is locked by pid 7; trying again"]
