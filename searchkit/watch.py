"""Keep an index in sync with folders as files are added, changed, moved and removed.

:func:`watch` (also ``Index.watch``) first syncs the folders once, as ``Index.add`` does,
then waits for file-system events (the ``watchfiles`` package, in the ``watch`` extra).
A burst of events (a checkout, a copy of many files) is gathered until the folders are
quiet for ``step_ms`` (at most ``debounce_ms``) and becomes one sync: ``Index.add`` of
the folders again, which reads only the files whose size or time changed, removes the
documents of files that are gone and keeps the id of a file moved within them.  So
there is one sync in searchkit; the watcher only decides when to run it.

- A folder that disappears (an unmounted disk, a folder deleted and restored) is left
  out of the syncs while it is gone, and its documents are kept, as ``Index.add`` keeps
  them for a path that does not exist; the watcher looks for it every ``poll_ms`` and
  syncs it again when it is back.
- ``stop`` (a :class:`threading.Event`) ends the watch, and so does Ctrl-C
  (``KeyboardInterrupt``, raised again afterwards): either way a last sync runs first,
  so changes made before the stop are committed.
- A sync that finds the index's write lock held past the index's ``lock_timeout``
  (another process indexing or rebuilding it) does not end the watch: it is reported
  (``WatchBatch.busy``) and tried again at each of the watcher's wakes until it runs.
  Only the last sync, at the stop, raises :class:`~searchkit.errors.IndexLockedError`:
  its changes could not be committed (the next watch's first sync will).
- A watcher killed outright loses nothing that was committed (each sync commits in
  batches), and the first sync of the next watch picks up the rest.

The index folder itself is never watched, so its own commits do not wake the watcher.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import attrs

from .errors import ArgumentError, IndexLockedError, SearchkitError
from .models import IndexReport


class Index(Protocol):
    """What a watch needs of an index (``searchkit.Index``), named here so that this
    module does not import ``index``, which imports it."""

    path: Any

    def add(
        self, *paths: str | os.PathLike[str], batch_size: int = ..., follow_links: bool = ...
    ) -> IndexReport: ...


__all__ = ["WatchBatch", "watch"]

EXTRA = "pip install 'searchkit[watch]'"


@attrs.frozen
class WatchBatch:
    """One sync a watch ran: why (``"start"``, ``"changes"``, ``"folders"`` when a
    watched folder left or came back, ``"stop"``), how many file events it gathered,
    the sync's report, and the folders gone at the moment (their documents kept).

    ``busy`` is the reason a sync could not run (another process held the index's
    write lock past its ``lock_timeout``), its report then empty: the watcher tries it
    again, with the events since, at its next wake."""

    reason: str
    events: int
    report: IndexReport
    missing: tuple[str, ...] = ()
    busy: str | None = None


OnBatch = Callable[[WatchBatch], None]


class WatchUnavailableError(SearchkitError):
    """The ``watch`` extra (watchfiles) is not installed."""


def watch(
    index: Index,
    *paths: str | os.PathLike[str],
    stop: threading.Event | None = None,
    on_batch: OnBatch | None = None,
    debounce_ms: int = 1600,
    step_ms: int = 50,
    poll_ms: int = 1000,
    follow_links: bool = False,
    batch_size: int = 5000,
) -> None:
    """Sync ``index`` with ``paths`` now and whenever files under them change, until
    ``stop`` is set or Ctrl-C (see the module docstring).

    Args:
        index: an open, writable index.
        paths: the files and folders to keep in sync (at least one must exist now).
        stop: set it (from another thread) to end the watch after a last sync.
        on_batch: called with a :class:`WatchBatch` after every sync.
        debounce_ms: the longest a burst of events is gathered before a sync.
        step_ms: the quiet time that ends a burst.
        poll_ms: how often the watcher wakes to look for folders that left or came back.
        follow_links: as for ``Index.add``.
        batch_size: documents a commit, as for ``Index.add`` (its default).
    """
    try:
        import watchfiles
    except ImportError:
        raise WatchUnavailableError(f"searchkit watch needs the watch extra: {EXTRA}") from None
    if not paths:
        raise ArgumentError("watch() needs at least one file or folder")
    roots = [Path(p).absolute() for p in paths]
    stop = stop or threading.Event()
    state = _Roots(roots)

    # A sync the write lock put off: its reason and events, tried again at each wake.
    put_off: list[tuple[str, int]] = []

    def sync(reason: str, events: int, last: bool = False) -> None:
        if put_off:  # this sync also runs the one put off
            was, waiting = put_off.pop()
            reason, events = (reason if last else was), events + waiting
        present = state.present()
        try:
            report = (
                index.add(*present, batch_size=batch_size, follow_links=follow_links)
                if present
                else IndexReport()
            )
        except IndexLockedError as exc:
            if last:
                raise
            put_off.append((reason, events))
            if on_batch is not None:
                on_batch(WatchBatch(reason, events, IndexReport(), state.missing(), str(exc)))
            return
        if on_batch is not None:
            on_batch(WatchBatch(reason, events, report, state.missing()))

    if not state.present():
        raise SearchkitError(
            "watch(): none of the paths exists: " + ", ".join(str(r) for r in roots)
        )
    sync("start", 0)
    ignore = str(Path(index.path).absolute())
    flt = _Filter(ignore)
    try:
        while not stop.is_set():
            present = state.present()
            state.settle()
            if not present:
                stop.wait(poll_ms / 1000)
                if state.changed() or put_off:
                    sync("folders", 0)
                continue
            for changes in watchfiles.watch(
                *present,
                watch_filter=flt,
                debounce=debounce_ms,
                step=step_ms,
                stop_event=stop,
                rust_timeout=poll_ms,
                yield_on_timeout=True,
                ignore_permission_denied=True,
            ):
                if state.changed():
                    sync("folders", len(changes))
                    break  # watch the folders as they are now
                if changes or put_off:
                    sync("changes", len(changes))
    except KeyboardInterrupt:
        sync("stop", 0, last=True)
        raise
    sync("stop", 0, last=True)


class _Roots:
    """The watched paths, which of them exist, and whether that changed since settled."""

    def __init__(self, roots: Sequence[Path]) -> None:
        self.roots = list(roots)
        self.seen = self._identity()

    def _identity(self) -> tuple[tuple[int, int] | None, ...]:
        out: list[tuple[int, int] | None] = []
        for r in self.roots:
            try:
                st = r.stat()
                out.append((st.st_dev, st.st_ino))
            except OSError:
                out.append(None)
        return tuple(out)

    def present(self) -> list[Path]:
        return [r for r in self.roots if r.exists()]

    def missing(self) -> tuple[str, ...]:
        return tuple(str(r) for r in self.roots if not r.exists())

    def settle(self) -> None:
        self.seen = self._identity()

    def changed(self) -> bool:
        """A root left, came back or was replaced (a new folder at its path)."""
        return self._identity() != self.seen


class _Filter:
    """watchfiles' default filter (editor swap files, ``.git``, caches), and never the
    index folder, nor hidden folders (a folder walk does not index them)."""

    def __init__(self, index_dir: str) -> None:
        import watchfiles

        self.default = watchfiles.DefaultFilter()
        self.index_dir = index_dir.rstrip(os.sep) + os.sep

    def __call__(self, change: object, path: str) -> bool:
        if path.startswith(self.index_dir) or path + os.sep == self.index_dir:
            return False
        return bool(self.default(change, path))  # type: ignore[arg-type]
