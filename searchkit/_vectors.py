"""Paragraph vectors, one file per segment: written with the segment, read memory-mapped.

With ``searchkit[semantic]`` installed, the segment writer (``_writer.py``, in each
writer process) embeds its paragraphs in batches when it finishes its segment and
writes ``<segment id>.skvec`` beside the segment's files, before the commit that makes
the segment visible: the commit record (``_commits.py``) checksums it with the
segment's other files, so ``check`` verifies it, and Whoosh deletes it with its segment
(its clean-up takes any suffix after the segment id).  The copying merge (``_merge.py``)
carries the live documents' rows into the merged segment's file; nothing is embedded
twice.

The file: an 8-byte magic, the header's length and CRC-32, a JSON header (format, model,
segment id, document count, dimensions, the rows' offset and their CRC-32), zero padding
to a 64-byte boundary, then one little-endian ``float32`` row per document, in document
order.  It is memory-mapped, never unpickled, and trusted only when the header names
this segment and its document count and the rows' bytes have the recorded CRC-32 (read
once, when the file is opened).  A segment without a file, or with a file that fails a
check, cannot be searched in ``mode="hybrid"``: :class:`~searchkit.errors.VectorsMissingError`
says to rebuild, :class:`~searchkit.errors.IndexDamagedError` to repair.
"""

from __future__ import annotations

import contextlib
import json
import mmap
import os
import weakref
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import _whoosh
from ._mapped import write_mapped
from .semantic import DIMENSIONS, MODEL

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Vectors = npt.NDArray[np.float32]

__all__ = ["SUFFIX", "DamagedVectorsError", "read_rows", "segment_vectors", "write_vectors"]

SUFFIX = ".skvec"
_MAGIC = b"SKVECS1\n"
_FORMAT = 1
_ALIGN = 64
_MAX_HEADER = 1 << 16
_DTYPE = "<f4"


class DamagedVectorsError(Exception):
    """A vector file that is not what its segment's vectors must be (the reason)."""


def vector_path(folder: str | os.PathLike[str], segment_id: str) -> Path:
    return Path(folder) / f"{segment_id}{SUFFIX}"


def write_vectors(folder: str | os.PathLike[str], segment_id: str, rows: Vectors) -> None:
    """Write ``rows`` (one per document of the segment) as the segment's vector file."""
    import numpy as np

    data = np.ascontiguousarray(rows, dtype=_DTYPE)
    header = json.dumps(
        {
            "format": _FORMAT,
            "model": MODEL,
            "segment": segment_id,
            "docs": int(data.shape[0]),
            "dims": DIMENSIONS,
            "crc": zlib.crc32(data.tobytes()),
        },
        sort_keys=True,
    ).encode("ascii")
    start = -(-(16 + len(header)) // _ALIGN) * _ALIGN
    path = vector_path(folder, segment_id)
    write_mapped(path, _MAGIC, header, [(start, data.tobytes())])


def _open(path: Path, segment_id: str, docs: int) -> Vectors | None:
    """The verified rows in ``path``; ``None`` when there is no file.  Raises
    :class:`DamagedVectorsError` for a file that fails a check."""
    import numpy as np

    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < 16:
                raise DamagedVectorsError(f"{path.name} is cut short")
            buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise DamagedVectorsError(f"cannot read {path.name}: {exc.strerror}") from None
    try:
        if buf[:8] != _MAGIC:
            raise DamagedVectorsError(f"{path.name} is not a searchkit vector file")
        hlen = int.from_bytes(buf[8:12], "little")
        raw = buf[16 : 16 + hlen]
        if (
            hlen > _MAX_HEADER
            or 16 + hlen > size
            or zlib.crc32(raw) != int.from_bytes(buf[12:16], "little")
        ):
            raise DamagedVectorsError(f"{path.name}'s header fails its checksum")
        try:
            header = json.loads(raw)
        except ValueError:
            raise DamagedVectorsError(f"{path.name}'s header is not JSON") from None
        expect = {"format": _FORMAT, "model": MODEL, "segment": segment_id, "docs": docs}
        if not isinstance(header, dict) or {k: header.get(k) for k in expect} != expect:
            raise DamagedVectorsError(f"{path.name} does not describe its segment's documents")
        if header.get("dims") != DIMENSIONS:
            raise DamagedVectorsError(f"{path.name} holds vectors of another size")
        start = -(-(16 + hlen) // _ALIGN) * _ALIGN
        if size != start + docs * DIMENSIONS * 4:
            raise DamagedVectorsError(f"{path.name} has {size} bytes, not what its header says")
        rows = np.frombuffer(buf, dtype=_DTYPE, count=docs * DIMENSIONS, offset=start)
        if zlib.crc32(buf[start : start + rows.nbytes]) != header.get("crc"):
            raise DamagedVectorsError(f"{path.name}'s vectors fail their checksum")
    except BaseException:
        with contextlib.suppress(BufferError):
            buf.close()
        raise
    return rows.reshape(docs, DIMENSIONS)


# Per segment reader: its rows (opened once; weak keys: they go with the reader).
_OPEN: weakref.WeakKeyDictionary[Any, Vectors | None] = weakref.WeakKeyDictionary()


def segment_vectors(folder: str | os.PathLike[str] | None, reader: Any) -> Vectors | None:
    """The rows of the segment ``reader`` reads (``None``: it has no vector file).

    Raises :class:`DamagedVectorsError` for a file that fails a check.
    """
    if reader in _OPEN:
        return _OPEN[reader]
    segment = reader.segment() if reader.is_atomic() else None
    if folder is None or segment is None:
        return None
    rows = _open(
        vector_path(folder, segment.segment_id()), segment.segment_id(), reader.doc_count_all()
    )
    _OPEN[reader] = rows
    return rows


def searcher_folder(searcher: Any) -> str | None:
    """The data folder ``searcher``'s segments live in (``None``: an index in memory)."""
    folder = getattr(_whoosh.searcher_storage(searcher), "folder", None)
    return folder if isinstance(folder, str) else None


def read_rows(folder: str | os.PathLike[str], segments: Sequence[Any]) -> list[Vectors | None]:
    """Each of ``segments``' rows, read from its file (``None`` where there is none);
    a file that fails a check counts as none (its documents are embedded afresh)."""
    out: list[Vectors | None] = []
    for seg in segments:
        try:
            out.append(
                _open(vector_path(folder, seg.segment_id()), seg.segment_id(), seg.doc_count_all())
            )
        except DamagedVectorsError:
            out.append(None)
    return out
