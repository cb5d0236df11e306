"""The write lock: one writer per index, waiting politely, never stale.

An ``flock`` on ``write.lock`` in the index directory.  The kernel drops the lock when its
holder exits for any reason (SIGKILL included), so a lock left by a dead process is never
a problem and no one deletes lock files by hand.  The holder writes who it is into the
file, so a waiting writer can name it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import socket
import time
from pathlib import Path
from types import TracebackType

from .errors import IndexLockedError

__all__ = ["LOCK_NAME", "WriteLock"]

LOCK_NAME = "write.lock"
_POLL = 0.05


class WriteLock:
    """Context manager holding the index's write lock; waits up to ``timeout`` seconds."""

    def __init__(self, index_dir: Path, timeout: float = 30.0) -> None:
        self.path = index_dir / LOCK_NAME
        self.index_dir = index_dir
        self.timeout = timeout
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + max(0.0, self.timeout)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = self.holder()
                    os.close(fd)
                    raise IndexLockedError(self.index_dir, holder, self.timeout) from None
                time.sleep(_POLL)
        now = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()} since {now}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def holder(self) -> str | None:
        """Who holds the lock, as its holder described itself (``None`` if unknown)."""
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            return None
        return text or None

    def __enter__(self) -> WriteLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
