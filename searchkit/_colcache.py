"""The columns of one field of one segment: built from Whoosh, kept in a verified file.

A Whoosh segment never changes once written (deletions live in the table of contents,
not in the segment), so each ``(segment, field)`` can keep its postings as flat arrays:
every term's document numbers and weights side by side, found through a term table.
``_columns.py`` scores queries over them.

The file ``<segment id>.<field>.skcol`` sits beside the segment in the index's data
folder, so Whoosh's own clean-up deletes it with the segment (its pattern takes any
suffix after the segment id); leftovers of an interrupted write or of a reader that
raced a merge are removed here.  A file is memory-mapped, never unpickled, and trusted
only after checks:

- the header (magic, length, CRC-32 of the header) names this segment's id, document
  count, total field length and the byte size of its files, and the arrays' types and
  bounds fit the file;
- the arrays' bytes have the CRC-32 the header records (read once, when the file is
  opened: a changed weight would otherwise change rankings for as long as a process
  keeps the file open);
- the first time a term is used, its posting count must equal Whoosh's document
  frequency for it in that segment, its document numbers must rise strictly and stay
  below the segment's document count, and its weights must be finite and positive; a
  word the table lacks must be missing from the segment too (did-you-mean, which only
  suggests, takes the table of a file that passed the opening checks as it is:
  :meth:`Columns.has_terms`, :meth:`Columns.terms_from`).

A file that fails a check is rebuilt from the segment (kept in memory only when the
folder cannot be written).  Field lengths come from Whoosh's own length column, one
byte a document, read into an array.  numpy is imported only when columns are used.
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import json
import mmap
import os
import re
import time
import weakref
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from whoosh.searching import Searcher

from . import _colbuild, _positions, _topk, _whoosh
from ._colbuild import UnavailableError
from ._mapped import write_mapped
from .scoring import bm25_norm

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Floats = npt.NDArray[np.float64]

__all__ = [
    "SUFFIX",
    "Columns",
    "KEPT_NORMS",
    "DamagedError",
    "UnavailableError",
    "build_columns",
    "columns",
    "drop_orphans",
    "existing",
    "opened",
    "write_gathered",
]

SUFFIX = ".skcol"
_MAGIC = b"SKCOLS1\n"
# 2: the header holds the arrays' CRC-32; 3: positions; 4: the term table as hashes,
# integer weights and position counts in the narrowest type (a third smaller); 5: every
# integer array in the narrowest type (document numbers in 2 bytes in a segment of under
# 65,536 paragraphs, positions in 1 under 256): all of Reuters' caches 21.0 -> 13.2 MiB
_FORMAT = 5

_ALIGN = 64
_MAX_HEADER = 1 << 16
# Array name -> the dtypes a file may give it.
_DTYPES: dict[str, tuple[str, ...]] = {
    # The terms' bytes one after another, and where each starts (one more than terms).
    "blob": ("|u1",),
    "offsets": ("<u4", "<i8"),
    # The terms' CRC-32s ascending, and the term each is of: a term is found by bisection,
    # without a dictionary of every term in memory.
    "hashes": ("<u4",),
    "order": ("<u4",),
    # Per term, where its postings start (one more than terms).
    "starts": ("<u4", "<i8"),
    "ids": ("<u2", "<u4"),
    # Term frequencies as integers where they all are (a field's boosts can make fractions).
    "weights": ("|u1", "<u2", "<f4", "<f8"),
    # Per term, where its positions start in ``positions`` (one more than terms), and per
    # posting its number of positions (empty, as ``positions``, for a field without them;
    # not the weights: a page's title words weigh one more in its first paragraph).
    "tpositions": ("<u4", "<i8"),
    "pcounts": ("|u1", "<u2", "<u4"),
    # Every posting's positions, ascending within a posting.
    "positions": ("|u1", "<u2", "<u4"),
}
# Terms found through the hashes that a Columns remembers (a query's words repeat).
_REMEMBERED = 4096
_FIELD_NAME = re.compile(r"^[A-Za-z0-9_]+$")
# Temporary files of writes that did not finish are removed once this old (seconds).
_STALE_TMP_S = 600.0
# How many norm arrays (a field's under one set of statistics each) a Columns and a reader keep.
KEPT_NORMS = 8


class DamagedError(Exception):
    """A cache file that does not describe its segment; it is rebuilt."""


# Per segment reader: field -> its columns.  Weak keys: they go with the reader.
_OPEN: weakref.WeakKeyDictionary[Any, dict[str, Columns]] = weakref.WeakKeyDictionary()


# -- the columns of one field of one segment -------------------------------------------------


class Columns:
    """One field of one segment: a term table, postings and (in memory) field lengths."""

    def __init__(self, arrays: dict[str, Any], docs: int, field: str, trusted: bool) -> None:
        self.arrays = arrays
        self.docs = docs
        self.field = field
        self._found: dict[bytes, int | None] = {}
        # Terms already checked against Whoosh (all of them when built from the segment).
        self._checked: set[bytes] | None = None if trusted else set()
        self._lengths: Floats | None = None
        self._norms: dict[tuple[float, float, float], Floats] = {}
        self.damaged = False

    def term(self, text: bytes) -> int | None:
        """The number of the term ``text`` in this segment's table, or ``None``."""
        found = self._found.get(text, -1)
        if found != -1:
            return found
        import numpy as np

        h = zlib.crc32(text)
        found = self._lookup(text, h, int(np.searchsorted(self.arrays["hashes"], h)))
        if len(self._found) >= _REMEMBERED:
            self._found.clear()
        self._found[text] = found
        return found

    def has_terms(self, texts: Sequence[bytes]) -> list[bool]:
        """Whether each of ``texts`` is in this segment's term table, all hashed and
        looked up at once (did-you-mean's candidates: hundreds a word, where Whoosh's
        term look-up reads its hash table from the file each time).  The table is taken
        as the file holds it: suggestions only, never a search's hits, read it so."""
        import numpy as np

        out = [False] * len(texts)
        hashes = self.arrays["hashes"]
        if not hashes.size:
            return out
        wanted = np.fromiter(map(zlib.crc32, texts), dtype=np.uint32, count=len(texts))
        at = np.searchsorted(hashes, wanted)
        held = (at < hashes.size) & (hashes[np.minimum(at, hashes.size - 1)] == wanted)
        for k in np.flatnonzero(held).tolist():  # a hash of the table: compare the bytes
            out[k] = self._lookup(texts[k], int(wanted[k]), int(at[k])) is not None
        return out

    def terms_from(self, prefix: bytes) -> list[bytes]:
        """The terms of this segment's table that start with ``prefix``, in the table's
        (the segment's lexicon's) order: what Whoosh's ``expand_prefix`` gives, read from
        the mapped table, not from the term file a key at a time."""
        offsets, blob, text = self.arrays["offsets"], self.arrays["blob"], self._text
        count = offsets.size - 1
        lo = bisect.bisect_left(range(count), prefix, key=text)
        # The prefix's terms are contiguous from lo: the first after them, by bisection.
        hi = lo + bisect.bisect_left(
            range(lo, count), True, key=lambda i: not text(i).startswith(prefix)
        )
        start = int(offsets[lo])
        chunk = blob[start : int(offsets[hi])].tobytes()
        bounds = [int(x) - start for x in offsets[lo : hi + 1].tolist()]
        return [chunk[x:y] for x, y in itertools.pairwise(bounds)]

    def _lookup(self, text: bytes, h: int, j: int) -> int | None:
        """The number of ``text`` in the table, given its CRC-32 ``h`` and ``j``, where
        ``h`` sorts among the table's hashes (several terms may share a hash)."""
        hashes, order = self.arrays["hashes"], self.arrays["order"]
        while j < hashes.size and int(hashes[j]) == h:
            i = int(order[j])
            if self._text(i) == text:
                return i
            j += 1
        return None

    def texts(self, numbers: Iterable[int]) -> list[bytes]:
        """The bytes of the terms numbered ``numbers``."""
        return [self._text(i) for i in numbers]

    def _text(self, i: int) -> bytes:
        """Term number ``i``'s bytes."""
        a, b = self.arrays["offsets"][i : i + 2].tolist()
        return self.arrays["blob"][a:b].tobytes()  # type: ignore[no-any-return]

    def postings(self, reader: Any, text: bytes) -> tuple[Any, Any] | None:
        """``(document numbers, weights)`` of ``text`` in this segment, or ``None``."""
        try:
            return self._postings(reader, text)
        except DamagedError:
            self.damaged = True  # columns() builds them afresh next time
            raise

    def _postings(self, reader: Any, text: bytes) -> tuple[Any, Any] | None:
        i = self.term(text)
        if i is None:
            if self._checked is not None and text not in self._checked:
                if (self.field, text) in reader:
                    raise DamagedError("a term of the segment is missing")
                self._checked.add(text)
            return None
        a, b = self.arrays["starts"][i : i + 2].tolist()
        ids, weights = self.arrays["ids"][a:b], self.arrays["weights"][a:b]
        if self._checked is not None and text not in self._checked:
            _check_term(reader, self.field, text, ids, weights, self.docs)
            self._check_positions(i)
            self._checked.add(text)
        return ids, weights

    def has_positions(self) -> bool:
        return bool(self.arrays["positions"].size)

    def positions(self, text: bytes, rows: Any) -> tuple[Any, Any]:
        """``(counts, positions)`` of the postings ``rows`` (indexes into what
        :meth:`postings` gave for ``text``, which must have been asked for first):
        each posting's number of positions, and all their positions one after another."""
        return _positions.gather(*self.term_positions(text), rows)

    def term_positions(self, text: bytes) -> tuple[Any, Any]:
        """``(counts, positions)`` of every posting of ``text`` (asked for first), views."""
        i = self.term(text)
        assert i is not None  # postings() found it
        a, b = self.arrays["starts"][i : i + 2].tolist()
        counts = self.arrays["pcounts"][a:b]
        first = int(self.arrays["tpositions"][i])
        return counts, self.arrays["positions"][first : first + int(counts.sum())]

    def _pstarts(self, i: int) -> Any:
        """Where each posting of term ``i`` starts in ``positions``, and one past its last."""
        import numpy as np

        a, b = self.arrays["starts"][i : i + 2].tolist()
        pstarts = np.empty(b - a + 1, dtype=np.int64)
        pstarts[0] = self.arrays["tpositions"][i]
        np.cumsum(self.arrays["pcounts"][a:b], out=pstarts[1:])
        pstarts[1:] += pstarts[0]
        return pstarts

    def _check_positions(self, i: int) -> None:
        """The postings of term ``i`` each hold positions, ascending (when the field has any)."""
        import numpy as np

        if not self.has_positions():
            return
        pstarts = self._pstarts(i)
        if not bool(np.all(pstarts[1:] > pstarts[:-1])):
            raise DamagedError("a posting without positions")
        steps = np.diff(self.arrays["positions"][pstarts[0] : pstarts[-1]].astype(np.int64))
        first = pstarts[1:-1] - pstarts[0] - 1  # the steps from one posting to the next
        rising = steps > 0
        rising[first] = True
        if not bool(rising.all()):
            raise DamagedError("positions out of order")

    def norms(self, k1: float, b: float, avgfl: float) -> Floats:
        """``scoring.bm25_norm`` of every document: ``k1 * (1 - b + b * length / avgfl)``."""
        key = (k1, b, avgfl)
        found = self._norms.get(key)
        if found is None:
            assert self._lengths is not None
            if len(self._norms) >= KEPT_NORMS:
                self._norms.clear()
            found = self._norms[key] = bm25_norm(self._lengths, avgfl, k1, b)
        return found


def _check_term(reader: Any, field: str, text: bytes, ids: Any, weights: Any, docs: int) -> None:
    import numpy as np

    if len(ids) != reader.doc_frequency(field, text):
        raise DamagedError("a term's posting count differs from the segment's")
    if len(ids) and (int(ids[-1]) >= docs or not bool(np.all(ids[1:] > ids[:-1]))):
        raise DamagedError("document numbers out of order or out of range")
    if not bool(np.all((weights > 0) & (weights < np.inf))):
        raise DamagedError("a weight is not a positive number")


def columns(searcher: Searcher, reader: Any, field: str) -> Columns:
    """The columns of ``field`` in the segment ``reader`` reads: opened, or built (and
    written) when there is no file, or the file or the columns opened from it are damaged."""
    cols = _columns(searcher, reader, field, build=True)
    assert cols is not None
    return cols


def existing(searcher: Searcher, reader: Any, field: str) -> Columns | None:
    """The columns of ``field`` in the segment ``reader`` reads if a query opened them or
    a sound file holds them (the writer writes the body fields'); never built."""
    try:
        return _columns(searcher, reader, field, build=False)
    except UnavailableError:
        return None


def _columns(searcher: Searcher, reader: Any, field: str, build: bool) -> Columns | None:
    per_reader = _OPEN.setdefault(reader, {})
    cols = per_reader.get(field)
    if cols is None or cols.damaged:
        import numpy as np

        segment = reader.segment() if reader.is_atomic() else None
        if segment is None or _FIELD_NAME.match(field) is None:
            raise UnavailableError
        expect = _identity(searcher, reader, segment, field)
        path = _cache_path(searcher, segment, field)
        found = _open(path, expect, field) if path is not None and cols is None else None
        if found is None and not build:
            return None
        if found is None:
            fmt = searcher.schema[field].format
            found = _build(reader, field, expect, bool(fmt and fmt.supports("positions")))
            if path is not None:
                _write(path, found, expect)
                # Read from the file from now on: its pages are the kernel's to drop,
                # where the built arrays would stay in this process's memory.
                found = _open(path, expect, field, trusted=True) or found
        if searcher.schema[field].scorable:
            found._lengths = np.asarray(_topk._lengths(reader, field), dtype=np.float64)
        cols = per_reader[field] = found
    return cols


def build_columns(searcher: Searcher, fields: Iterable[str]) -> None:
    """Open, or build and write, the columns of ``fields`` in every segment ``searcher`` reads."""
    for sub, _offset in searcher.leaf_searchers():
        reader = sub.reader()
        for field in fields:
            if field in searcher.schema and searcher.schema[field].scorable:
                with contextlib.suppress(UnavailableError):
                    columns(searcher, reader, field)


def opened(reader: Any, field: str) -> Columns | None:
    """The columns of ``field`` in ``reader``'s segment if a query opened them, else ``None``."""
    cols = _OPEN.get(reader, {}).get(field)
    return None if cols is None or cols.damaged else cols


def _identity(searcher: Searcher, reader: Any, segment: Any, field: str) -> dict[str, Any]:
    """What a cache file must say about the segment it describes."""
    folder = getattr(_whoosh.searcher_storage(searcher), "folder", None)
    length = reader.field_length(field) or 0
    return _expect(folder, segment.segment_id(), field, reader.doc_count_all(), length)


def _expect(folder: str | None, segid: str, field: str, docs: int, length: int) -> dict[str, Any]:
    size = 0
    if folder is not None:
        for name in os.listdir(folder):
            if name.startswith(segid + ".") and not name.endswith(SUFFIX):
                with contextlib.suppress(OSError):
                    size += os.stat(os.path.join(folder, name)).st_size
    return {
        "format": _FORMAT,
        "segment": segid,
        "field": field,
        "docs": docs,
        "length": length,
        "bytes": size,
    }


def write_gathered(folder: str, segment: Any, field: str, arrays: dict[str, Any]) -> None:
    """Write the columns a writer gathered (``_colbuild.Gather``) for ``field`` of the
    ``segment`` it has just written, once every file of the segment is in ``folder``."""
    if _FIELD_NAME.match(field) is None:
        return
    segid, docs = segment.segment_id(), segment.doc_count_all()
    length = _whoosh.field_lengths(segment).get(field, 0)
    expect = _expect(folder, segid, field, docs, length)
    cols = Columns(arrays, docs, field, trusted=True)
    _write(Path(folder) / f"{segid}.{field}{SUFFIX}", cols, expect)


def _cache_path(searcher: Searcher, segment: Any, field: str) -> Path | None:
    storage = _whoosh.searcher_storage(searcher)
    folder = getattr(storage, "folder", None)
    if not isinstance(folder, str) or getattr(storage, "readonly", False):
        return None
    return Path(folder) / f"{segment.segment_id()}.{field}{SUFFIX}"


# -- building, writing and opening cache files -----------------------------------------------


def _build(reader: Any, field: str, expect: dict[str, Any], positions: bool) -> Columns:
    """Every term's postings of ``field`` in the segment as arrays (positions too if asked)."""
    arrays = _colbuild.from_segment(reader, field, expect["docs"], positions)
    return Columns(arrays, expect["docs"], field, trusted=True)


def _write(path: Path, cols: Columns, expect: dict[str, Any]) -> None:
    """Write ``cols`` to ``path`` atomically; a folder that refuses writes is left alone."""
    layout: dict[str, list[Any]] = {}
    pos = 0
    for name, arr in cols.arrays.items():
        layout[name] = [pos, arr.dtype.str, int(arr.size)]
        pos += -(-arr.nbytes // _ALIGN) * _ALIGN
    # Room for the header with absolute offsets (each at most 20 digits longer).
    crc = _crc(cols.arrays)
    draft = json.dumps({**expect, "arrays": layout, "crc": crc}, sort_keys=True)
    start = -(-(16 + len(draft) + 20 * len(layout)) // _ALIGN) * _ALIGN
    for entry in layout.values():
        entry[0] += start
    header = json.dumps({**expect, "arrays": layout, "crc": crc}, sort_keys=True).encode("ascii")
    arrays = ((layout[name][0], arr.tobytes()) for name, arr in cols.arrays.items())
    try:
        write_mapped(path, _MAGIC, header, arrays)
    except OSError:
        return
    drop_orphans(path.parent)


def _open(path: Path, expect: dict[str, Any], field: str, trusted: bool = False) -> Columns | None:
    """The verified columns in ``path``, or ``None`` when it is missing or not right.

    Verifying reads every page of the file; they are then released (``madvise``), so
    that the process keeps only the pages its queries read again, not the whole file.
    ``trusted``: the file was just written from the segment, its terms need no checks.
    """
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < 16:
                return None
            buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    try:
        arrays = _verify(buf, size, expect)
    except (ValueError, TypeError, UnicodeDecodeError, OverflowError, RecursionError):
        arrays = None
    if arrays is None:
        # BufferError: an array still views it; the mapping goes with the array.
        with contextlib.suppress(BufferError):
            buf.close()
        return None
    _release(buf)
    return Columns(arrays, expect["docs"], field, trusted=trusted)


def _release(buf: mmap.mmap) -> None:
    """Let the kernel take back the pages of ``buf`` read so far (it reads them again,
    from its cache, when they are next used); nothing where ``madvise`` is missing."""
    advice = getattr(mmap, "MADV_DONTNEED", None)
    if advice is not None and hasattr(buf, "madvise"):
        with contextlib.suppress(OSError, ValueError):
            buf.madvise(advice)


def _verify(buf: mmap.mmap, size: int, expect: dict[str, Any]) -> dict[str, Any] | None:
    """The arrays of a cache file whose header and structure fit ``expect``, else ``None``."""
    import numpy as np

    if buf[:8] != _MAGIC:
        return None
    hlen = int.from_bytes(buf[8:12], "little")
    if hlen > _MAX_HEADER or 16 + hlen > size:
        return None
    raw = buf[16 : 16 + hlen]
    if zlib.crc32(raw) != int.from_bytes(buf[12:16], "little"):
        return None
    header = json.loads(raw)
    if not isinstance(header, dict) or {k: header.get(k) for k in expect} != expect:
        return None
    layout = header.get("arrays")
    if not isinstance(layout, dict) or set(layout) != set(_DTYPES):
        return None
    arrays: dict[str, Any] = {}
    for name, allowed in _DTYPES.items():
        entry = layout[name]
        if not (isinstance(entry, list) and len(entry) == 3):
            return None
        offset, dtype, count = entry
        if not (
            type(offset) is int
            and type(count) is int
            and dtype in allowed
            and offset >= 16 + hlen
            and count >= 0
        ):
            return None
        dt = np.dtype(dtype)
        if offset % dt.itemsize or offset + count * dt.itemsize > size:
            return None
        arrays[name] = np.frombuffer(buf, dtype=dt, count=count, offset=offset)
    terms = arrays["offsets"].size - 1
    postings = arrays["ids"].size
    if terms < 0 or arrays["starts"].size != terms + 1 or arrays["weights"].size != postings:
        return None
    if arrays["hashes"].size != terms or arrays["order"].size != terms:
        return None
    if arrays["tpositions"].size != terms + 1:
        return None
    if arrays["pcounts"].size != (postings if arrays["positions"].size else 0):
        return None
    for name, end in (
        ("offsets", arrays["blob"].size),
        ("starts", postings),
        ("tpositions", arrays["positions"].size),
    ):
        a = arrays[name]
        if a[0] != 0 or a[-1] != end or not bool(np.all(a[1:] >= a[:-1])):
            return None
    hashes, order = arrays["hashes"], arrays["order"]
    if terms and (not bool(np.all(hashes[1:] >= hashes[:-1])) or int(order.max()) >= terms):
        return None
    if arrays["pcounts"].size:
        ends = np.zeros(postings + 1, dtype=np.int64)
        np.cumsum(arrays["pcounts"], out=ends[1:])
        if not np.array_equal(ends[arrays["starts"]], arrays["tpositions"]):
            return None
    if header.get("crc") != _crc(arrays):
        return None
    return arrays


def _crc(arrays: dict[str, Any]) -> int:
    """CRC-32 of the arrays' bytes, in :data:`_DTYPES` order."""
    crc = 0
    for name in _DTYPES:
        crc = zlib.crc32(memoryview(arrays[name]).cast("B"), crc)
    return crc


def drop_orphans(folder: Path) -> None:
    """Remove cache files whose segment is gone, and old unfinished temporary files.

    Whoosh deletes a segment's cache files with it; a cache written by a reader that
    raced a merge, or a write cut short, is left over and removed here.
    """
    try:
        names = os.listdir(folder)
    except OSError:
        return
    segments = {n.split(".", 1)[0] for n in names if not n.endswith(SUFFIX) and "." in n}
    now = time.time()
    for name in names:
        path = folder / name
        try:
            if name.endswith(SUFFIX) and not name.startswith("."):
                if name.split(".", 1)[0] not in segments:
                    path.unlink()
            elif (
                name.startswith(".")
                and name.endswith(".tmp")
                and SUFFIX in name
                and now - path.stat().st_mtime > _STALE_TMP_S
            ):
                path.unlink()
        except OSError:
            pass
