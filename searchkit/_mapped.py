"""The file layout the column cache (``.skcol``) and the vector files (``.skvec``) share,
written in one place: an 8-byte magic, the header's length and CRC-32 (4 bytes each,
little-endian), the JSON header, then the arrays, each at the offset the header gives
it (aligned, so that a reader maps them straight from the file).

A file is written beside its final name and renamed over it, so a reader sees the old
file or the new one, never a part of one.
"""

from __future__ import annotations

import contextlib
import os
import threading
import zlib
from collections.abc import Iterable
from pathlib import Path

__all__ = ["write_mapped"]


def write_mapped(
    path: Path, magic: bytes, header: bytes, arrays: Iterable[tuple[int, bytes]]
) -> None:
    """Write ``magic``, ``header`` and each ``(offset, bytes)`` of ``arrays`` (in offset
    order) to ``path`` atomically.  On any failure the half-written file is removed and
    the error raised; ``path`` is then as it was."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(magic + len(header).to_bytes(4, "little"))
            f.write(zlib.crc32(header).to_bytes(4, "little") + header)
            for offset, data in arrays:
                f.write(b"\0" * (offset - f.tell()))
                f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
