"""Reading an add's files: slow kinds read ahead in a pool of processes.

pypdf reads a page of PDF in about 50 ms of Python (a 117-page script in 6 s), and
DOCX, ODT and EPUB go through XML parsers in Python too, while the writer processes
wait.  When an add has at least :data:`POOL_FILES` such files to read, :class:`Loads`
reads them in a pool of worker processes (up to :data:`MAX_WORKERS`, one a core),
:data:`AHEAD` files a worker ahead of the file being written, and hands their documents
over in the files' order; every other file is read in the adding process, when its turn
comes, as before.  At its turn a file is looked at again, as before, and what was read
ahead is taken only when the file's size, modification time and inode are still those
it had when it was sent (else it is read again): the status recorded is one taken before
the text was read.  What a file holds does not depend on where it was read: the same
loaders, limits and checks run in the worker.

The pool's processes are forked (where the system has ``fork``; elsewhere every file is
read in the adding process: a spawned process would run the importing script again),
all at once before the first file is written, so they hold none of the writer
processes' pipes; they ignore Ctrl-C, which the adding process handles, and are shut
down (the files not yet started cancelled) however the add ends.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .errors import DocumentError
from .loaders import load_file
from .models import Document, Skipped

if TYPE_CHECKING:  # multiprocessing loads only to read many files: a search never needs it
    from concurrent.futures import Future, ProcessPoolExecutor

__all__ = ["AHEAD", "MAX_WORKERS", "POOL_FILES", "POOLED_SUFFIXES", "Loaded", "Loads", "pool"]

# The kinds of file read in the pool: those a loader reads in Python for long.
POOLED_SUFFIXES = frozenset({".pdf", ".docx", ".odt", ".epub"})
# The fewest such files for which a pool is worth its start (tens of milliseconds).
POOL_FILES = 8
MAX_WORKERS = 4
# Files in flight a worker: enough to keep each busy, few enough to bound the memory of
# documents read and not yet written.
AHEAD = 2

# A file's documents and the records skipped in it, or why it could not be read.
Loaded = tuple[list[Document], list[Skipped]] | DocumentError
_Read = tuple[list[Document], list[Skipped]] | str


class Loads:
    """The documents of the files an add reads, asked for in its order by :meth:`get`;
    ``ahead`` lists the files of slow kinds to read ahead (resolved, their status, their
    field map).  A context manager that shuts its pool down."""

    def __init__(
        self,
        ahead: Sequence[tuple[Path, os.stat_result, Mapping[str, str] | None]],
        pooled: bool = True,
    ) -> None:
        workers = min(MAX_WORKERS, os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None
        if pooled and len(ahead) >= POOL_FILES and workers > 1 and _can_fork():
            self._pool = pool(workers)
        self._files = list(ahead) if self._pool is not None else []
        self._place: dict[Path, int] = {}  # a file's place in ``_files`` (its first)
        for place, (path, _st, _map) in enumerate(self._files):
            self._place.setdefault(path, place)
        self._next = 0  # the place of the next file to send
        self._sent: dict[int, tuple[Future[_Read], tuple[int, int, int]]] = {}
        self._room = workers * AHEAD

    def __enter__(self) -> Loads:
        self._fill()  # every worker forked now, before any file is written
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def get(self, path: Path, field_map: Mapping[str, str] | None, st: os.stat_result) -> Loaded:
        """``path``'s documents (``st`` its status at its turn): read ahead by the pool,
        when the file's status is still the one it had then, else read now.

        Files sent before ``path`` whose turn passed without asking (gone by then, or
        named twice) are dropped, so they never hold the pool's room."""
        found: _Read | None = None
        place = self._place.pop(path, None)
        if place is not None:
            for passed in [p for p in self._sent if p < place]:
                self._sent.pop(passed)[0].cancel()
            self._next = max(self._next, place + 1)
            held = self._sent.pop(place, None)
            if held is not None:
                future, was = held
                if was == _status(st):
                    found = future.result()
                else:  # changed since it was read ahead: its status and text must agree
                    future.cancel()
            self._fill()
        if found is None:
            found = _read(path, field_map)
        return DocumentError(path, found) if isinstance(found, str) else found

    def _fill(self) -> None:
        pool = self._pool
        while pool is not None and self._next < len(self._files) and len(self._sent) < self._room:
            path, st, field_map = self._files[self._next]
            self._sent[self._next] = (pool.submit(_read, path, field_map), _status(st))
            self._next += 1


def _status(st: os.stat_result) -> tuple[int, int, int]:
    return st.st_size, st.st_mtime_ns, st.st_ino


def pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` forked processes that ignore Ctrl-C."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_ignore_interrupts,
    )


def _read(path: Path, field_map: Mapping[str, str] | None) -> _Read:
    """:func:`load_file`'s documents, or the reason of the :class:`DocumentError` it
    raised (an error would not come back whole from a worker: unpickling makes it again
    from its message alone)."""
    try:
        return load_file(path, field_map)
    except DocumentError as exc:
        return exc.reason


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _ignore_interrupts(*_: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
