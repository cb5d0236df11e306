"""Operating-system errors met in an index folder, as one line that says what to do.

Whoosh and the standard library report a full disk, a read-only mount, a folder the user
may not read, or an index deleted while in use as bare ``OSError`` s.  :func:`access_error`
turns one into an :class:`IndexAccessError` naming the index, what happened and what to
do; :func:`translated` does it for a block of code.  The table is by ``errno``, as httpx
maps transport errors, so a new case is one row.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import IndexAccessError

__all__ = ["access_error", "translated"]

_RETRY = "work committed before it is kept; run the command again"

# errno -> (what happened, what to do); {path} is the index folder.
_TABLE: dict[int, tuple[str, str]] = {
    errno.ENOSPC: (
        "no space left on the device that holds index {path}",
        f"free some space; {_RETRY}",
    ),
    errno.EDQUOT: (
        "disk quota exceeded on the device that holds index {path}",
        f"free some space or raise the quota; {_RETRY}",
    ),
    errno.EFBIG: (
        "a file of index {path} grew past the size this process may write",
        "raise the file size limit (ulimit -f) and run the command again",
    ),
    errno.EROFS: (
        "index {path} is on a read-only file system",
        "searching it works; to change it, copy the folder somewhere writable "
        "(and index with --index there) or mount it read-write",
    ),
    errno.EACCES: (
        "permission denied for index {path}",
        "run as a user who may read it (and write it, to index), or change the "
        "folder's owner or permissions (chown, chmod)",
    ),
    errno.ENOENT: (
        "index {path} was removed or moved while in use",
        "run the command again; if the folder is gone, build it anew with "
        "`searchkit index PATH --index {path}`",
    ),
    errno.EIO: (
        "input/output error reading or writing index {path}",
        "check the disk; then run `searchkit check --index {path}`",
    ),
}
_TABLE[errno.EPERM] = _TABLE[errno.EACCES]
_TABLE[errno.ENOTDIR] = _TABLE[errno.ENOENT]
_TABLE[errno.ESTALE] = _TABLE[errno.ENOENT]


def access_error(path: object, exc: OSError) -> IndexAccessError:
    """The :class:`IndexAccessError` for ``exc``, met while using the index at ``path``."""
    what, advice = _TABLE.get(
        exc.errno or 0,
        ("cannot use index {path}", "check the folder and run the command again"),
    )
    reason = what.format(path=path)
    detail = exc.strerror or type(exc).__name__
    if exc.filename is not None and exc.errno not in (errno.ENOSPC, errno.EDQUOT):
        detail += f": {_short(exc.filename, path)}"
    return IndexAccessError(path, f"{reason} ({detail})", exc.errno, advice.format(path=path))


def _short(filename: object, root: object) -> str:
    """``filename`` relative to the index folder when inside it, else as given."""
    name = str(filename)
    for base in (Path(str(root)), Path(os.path.abspath(str(root)))):
        try:
            return str(Path(name).relative_to(base))
        except ValueError:
            continue
    return name


@contextmanager
def translated(path: object) -> Iterator[None]:
    """Raise :func:`access_error` for any ``OSError`` leaving the block."""
    try:
        yield
    except OSError as exc:
        raise access_error(path, exc) from None
