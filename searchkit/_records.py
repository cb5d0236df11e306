"""Stored records: JSON, compressed eight documents at a time (schema 12 on).

Whoosh keeps a chunk's stored fields as one record a document: by default its dict
pickled, then deflated on its own.  A short paragraph's record is mostly what the records
around it hold too (the field names, its document's title, path, date and format), which
deflating one record at a time cannot share, and reading a pickle safely costs a walk
over its opcodes (``_unpickle._scan``) before the C unpickler may run it.

:class:`RecordColumn` stores them instead as UTF-8 JSON (``published``, the one date, as
ISO 8601 text), up to :data:`BLOCK` consecutive documents' records compressed together
with Zstandard against :data:`RECORD_DICTIONARY` (a typical record, whose field names and
common values the first record of a block can refer to).  All of Reuters-21578's
records take half the bytes they took pickled and deflated one by one against a
dictionary (schema 11).  Blocks were deflated with zlib against the same dictionary
until Zstandard replaced it: as small (1,037 bytes a Reuters block against 1,031),
written in 57 us against 129, and read in 10 us against 18 in a search (the block is
cold by then); blocks of either kind are read, so an index written before still reads,
and a merge rewrites its blocks.  ``json.loads`` needs only a count of the record's
brackets and commas to bound what it builds (:func:`decode`).

Only searchkit's writers store records so (:func:`use_records`), and a segment is read
so when its records are (:func:`records_of`, which ``_decoded`` asks): a Whoosh index a
program keeps beside searchkit's still writes and reads Whoosh's pickles (through the
allow-list unpickler).

On disk the column is Whoosh's ``VarBytesColumn``: a value per document, most of them
empty.  A block is the value of the last document it covers: the tag ``SKZ`` and the
dictionary's Adler-32, then one Zstandard frame that says its size and carries a
checksum (or, written before, a zlib stream naming the dictionary).  Decompressed, it is

- one byte: how many documents it covers, ``n`` (1 to :data:`BLOCK`), the last being
  the one that holds it;
- ``n`` lengths, each a little-endian 32-bit number: each document's record's bytes (0:
  the document has no record);
- the records, one after the other.

To read document ``d``, the reader looks from ``d`` forwards (at most :data:`BLOCK`
values) for the first non-empty value: the block that covers ``d`` if any does, read
with one ``os.pread``.  The readers keep the (small) blocks they decompressed, up to
2 MiB of them in a process (:data:`_KEPT_TOTAL`, :class:`KeptBlocks`), the least
recently read dropped first: a page of hits
from one stretch of documents, a pass over all of them, or the hits of queries asked
again decompress each block once.  Merging copies a block's records without parsing them
(:meth:`RecordReader.raw`, :meth:`RecordWriter.add_raw`).

A block covers at most :data:`BLOCK` documents and 4 KiB of records (a longer record
has a block of its own).  A record that decoding could make allocate more than
``_unpickle.MAX_ALLOCATION`` (what reading a stored pickle was bounded by) is refused
when written (:class:`~searchkit.DocumentError`).  Everything read is checked: a block
that does not decompress, does not say its size, says or holds more than
:data:`MAX_BLOCK_BYTES` (checked before anything is allocated), fails its checksum, has
bytes after its end, or whose lengths do not add up, a record over the same bound, or
one that is not a JSON object of the expected shape, is
:class:`~._unpickle.DamagedPickleError` (an ``IndexDamagedError``).  The dictionary can
never change without a new schema version: a test holds its checksum.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import os
import struct
import threading
import zlib
from collections import OrderedDict
from typing import Any

import orjson
from whoosh.columns import Column, VarBytesColumn

from . import _whoosh
from ._unpickle import MAX_ALLOCATION, DamagedPickleError
from .errors import DocumentError

__all__ = [
    "BLOCK",
    "KEPT",
    "MAX_BLOCK_BYTES",
    "KeptBlocks",
    "RECORD_DICTIONARY",
    "RecordColumn",
    "RecordReader",
    "RecordWriter",
    "decode",
    "encode",
    "records_of",
    "use_records",
]

# The most documents one block covers: 8 halves the bytes of single records; 16 saves
# 10% more but makes reading one record 50% slower (it inflates twice the bytes).
BLOCK = 8
# Zstandard's level: 6 makes Reuters' blocks as small as zlib's level 6 did (1,037
# bytes against 1,031 a block), written in 57 us against 129; 3 is 4% larger.
LEVEL = 6
# What one block may inflate to: what reading one stored pickle could allocate before
# (a record is as large as its document's metadata makes it: a title is not bounded).
MAX_BLOCK_BYTES = MAX_ALLOCATION
# The most bytes of records a block holds unless one record is longer: reading a record
# inflates its block whole, about 3.5 us a KiB.  SciFact's abstracts (1.5 KiB records),
# eight to a block, took 76 us a random record against 46 pickled one by one; at most
# 4 KiB, 41.  Reuters' short records still fill blocks of eight (its records 0.1 MiB
# larger than without the bound).
_BLOCK_BYTES = 4096
# The inflated blocks the readers of a process keep, in bytes all told, the least
# recently read dropped first (tantivy keeps 100 of its blocks a segment).  Inflating a
# block is 10-20 us here, most of reading a record: a page of hits a query reads ten.
# SciFact's 300 claims, keeping every block: 16% fewer instructions a query.  1 MiB a
# reader until 2026-12-07 (night): 20 MiB for an index of 20 segments.
_KEPT_TOTAL = 2 * 2**20
# Whether this system reads a file at a place without moving its position (not Windows).
_PREAD = hasattr(os, "pread")

# A first chunk's record with every stored field and common values, then a later chunk's
# (zlib finds the last bytes of its dictionary most cheaply).
RECORD_DICTIONARY = (
    b'{"chunk_id":"doc:1","doc_id":"doc","path":"/home/notes/a.md","paragraph":1,'
    b'"part":1,"seq":1,"start":0,"end":100,"language":"en","title":"Title","text":"Text",'
    b'"author":"A. Author","authors":["A. Author"],"published":"2000-01-01T00:00:00+00:00",'
    b'"source_url":"https://www.example.org/","domain":"example.org","record_line":1,'
    b'"page":1,"chapter":"1","code":[[0,1]],"relative_path":"a.md","format":"markdown",'
    b'"paragraphs":10,"chunks":10,"content_hash":"0123456789abcdef","size":1000,'
    b'"mtime_ns":1700000000000000000,"file_documents":1,"disclaimer":"","encoding":"utf-8"}'
    b" plain text html pdf jsonl epub office mail latin-1 windows-1252 de fr es "
    b'{"chunk_id":"doc:2","doc_id":"doc","path":"/home/notes/a.md","paragraph":2,'
    b'"part":1,"seq":2,"start":102,"end":300,"language":"en","title":"Title",'
    b'"text":"The text of the paragraph.","published":"2000-01-01T00:00:00",'
    b'"relative_path":"a.md","format":"article"}'
)
# The dictionary's Adler-32: a zlib block (before Zstandard) names it in its header,
# after the flag FDICT (0x20); a Zstandard block after the tag "SKZ".
_DICT_ID = zlib.adler32(RECORD_DICTIONARY).to_bytes(4, "big")
_ZSTD_TAG = b"SKZ" + _DICT_ID
# The largest window a Zstandard block may ask for: one whole block's.
_MAX_WINDOW = 1 << (MAX_BLOCK_BYTES - 1).bit_length()

# The one stored field whose value is not JSON's own: a date-time, kept as ISO 8601.
_DATE = "published"
# Records are written and read with orjson (a SciFact abstract's record read in 2.3 us
# against json's 6.8, written in 2.7 against 11.9), the same bytes json writes for what
# searchkit stores: text, whole numbers, truth values, None, and lists and dicts of them
# (:func:`_plain`).  A record holding anything else goes to json, which orjson writes or
# reads otherwise: a float (NaN as null, 1e-05 as 0.00001), a type json does not know, a
# subclass; and what orjson refuses (a lone surrogate, an integer past 64 bits) or reads
# otherwise (the same integer, read as a float).
_ORJSON_AS_JSON = (
    orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)
_SCALARS = frozenset({str, int, bool, type(None)})
_NESTED = frozenset({dict, list, tuple})
# What decoding a record may allocate, estimated as ``_unpickle`` estimates a pickle's:
# up to 160 bytes an object (each ``{``, ``[`` and ``,`` starts at most one) and 4 a
# byte of text (a character past Latin-1 takes 4 in a Python string).  At most
# MAX_ALLOCATION: ``[{},{},...]`` builds a 64-byte dict for every 3 bytes.
_ITEM_COST = 160
# The largest inflated block a reader keeps (its own are 4 KiB, unless one long record).
_KEPT_BYTES = 64 * 2**10


def _too_costly(raw: bytes) -> bool:
    """Whether decoding ``raw`` could allocate more than ``MAX_ALLOCATION`` by the
    estimate above.  A byte costs at most ``4 + _ITEM_COST`` (were each one a bracket),
    so a record under 1.6 MB is not counted: three passes over it were a tenth of
    reading a SciFact abstract's record."""
    if (4 + _ITEM_COST) * len(raw) <= MAX_ALLOCATION:
        return False
    cost = 4 * len(raw) + _ITEM_COST * (raw.count(b"{") + raw.count(b"[") + raw.count(b","))
    return cost > MAX_ALLOCATION


def _plain(record: dict[str, Any]) -> bool:
    """Whether every value in ``record``, at any depth, is text, a whole number, a truth
    value or None (in lists and dicts): what orjson writes and reads as json does, but
    for the integers past 64 bits that it refuses to write.  A walk, not a recursion:
    nothing a record nests can exhaust the stack."""
    if _SCALARS.issuperset(map(type, record.values())):  # most records: nothing nested
        return True
    stack: list[Any] = [record]
    while stack:
        node = stack.pop()
        for value in node.values() if type(node) is dict else node:
            kind = type(value)
            if kind in _NESTED:
                stack.append(value)
            elif kind not in _SCALARS:
                return False
    return True


def encode(record: dict[str, Any]) -> bytes:
    """``record`` as the UTF-8 JSON a block holds, the bytes json writes (a lone surrogate
    kept, as pickle keeps it)."""
    published = record.get(_DATE)
    if isinstance(published, dt.datetime):
        record = {**record, _DATE: published.isoformat()}
    if _plain(record):
        try:
            return orjson.dumps(record, option=_ORJSON_AS_JSON)
        except orjson.JSONEncodeError:  # a lone surrogate, an int past 64 bits
            pass
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8", "surrogatepass")


def decode(raw: bytes) -> dict[str, Any]:
    """The record :func:`encode` made of ``raw``; :class:`DamagedPickleError` when it is
    not one."""
    if _too_costly(raw):
        raise DamagedPickleError(f"a stored record would allocate more than {MAX_ALLOCATION} bytes")
    try:
        try:
            record = orjson.loads(raw)
        except orjson.JSONDecodeError:  # what json reads and orjson refuses, or damage
            record = json.loads(raw.decode("utf-8", "surrogatepass"))
        else:
            if type(record) is dict and not _plain(record):  # a float, or a misread integer
                record = json.loads(raw.decode("utf-8", "surrogatepass"))
        if type(record) is not dict:
            raise DamagedPickleError(f"a stored record is a {type(record).__name__}, not a dict")
        published = record.get(_DATE)
        if type(published) is str:
            record[_DATE] = dt.datetime.fromisoformat(published)
    except (ValueError, RecursionError) as exc:  # JSON, UTF-8 or a date, garbled
        raise DamagedPickleError(f"a stored record is damaged ({type(exc).__name__})") from None
    return record


class _Zstd:
    """Zstandard's module and the record dictionary, loaded on first use (importing it
    costs a search that reads no record nothing), and a decompressor for each thread
    (one may not serve two at once)."""

    def __init__(self) -> None:
        import zstandard

        self.module = zstandard
        self.dictionary = zstandard.ZstdCompressionDict(
            RECORD_DICTIONARY, dict_type=zstandard.DICT_TYPE_RAWCONTENT
        )
        self.dictionary.precompute_compress(level=LEVEL)  # shared: made here, once
        self._local = threading.local()

    def compressor(self) -> Any:
        return self.module.ZstdCompressor(
            level=LEVEL, dict_data=self.dictionary, write_checksum=True, write_dict_id=False
        )

    def decompressor(self) -> Any:
        found = getattr(self._local, "decompressor", None)
        if found is None:
            found = self._local.decompressor = self.module.ZstdDecompressor(
                dict_data=self.dictionary, max_window_size=_MAX_WINDOW
            )
        return found


_ZSTD: _Zstd | None = None
_ZSTD_LOCK = threading.Lock()


def _zstd() -> _Zstd:
    global _ZSTD
    if _ZSTD is None:
        with _ZSTD_LOCK:
            if _ZSTD is None:
                _ZSTD = _Zstd()
    return _ZSTD


def _pack(raws: list[bytes], packer: Any) -> bytes:
    """The block of ``raws`` (one record, or ``b""``, per document covered), compressed
    by ``packer`` (a Zstandard compressor of :func:`_zstd`'s)."""
    head = struct.pack(f"<B{len(raws)}I", len(raws), *map(len, raws))
    packed: bytes = packer.compress(head + b"".join(raws))
    return _ZSTD_TAG + packed


def _inflate(data: bytes) -> tuple[bytes, tuple[int, ...]]:
    """The block ``data`` inflated, and where its records start in it (then where the
    last ends): record ``i`` is ``out[ends[i]:ends[i + 1]]``."""
    if data[: len(_ZSTD_TAG)] == _ZSTD_TAG:
        out = _unzstd(data[len(_ZSTD_TAG) :])
    elif _deflated(data):
        out = _unzlib(data)
    else:
        raise DamagedPickleError("a block of stored records does not name their dictionary")
    count = out[0] if out else 0
    if not 1 <= count <= BLOCK or len(out) < 1 + 4 * count:
        raise DamagedPickleError(f"a block of stored records covers {count} documents")
    ends = tuple(
        itertools.accumulate(struct.unpack_from(f"<{count}I", out, 1), initial=1 + 4 * count)
    )
    if ends[-1] != len(out):
        raise DamagedPickleError("a block of stored records does not hold what it counts")
    return out, ends


def _unzstd(frame: bytes) -> bytes:
    """A Zstandard block's frame decompressed: it must say its size (at most
    :data:`MAX_BLOCK_BYTES`, what is allocated for it) and carry a checksum, which
    decompressing verifies; nothing may follow it."""
    z = _zstd()
    try:
        size = z.module.frame_content_size(frame)
        checked = z.module.get_frame_parameters(frame).has_checksum
    except z.module.ZstdError as exc:
        raise DamagedPickleError(f"a block of stored records is damaged ({exc})") from None
    if not 0 <= size <= MAX_BLOCK_BYTES or not checked:
        raise DamagedPickleError("a block of stored records has no size, or too large, or no check")
    unpacker = z.decompressor()
    try:
        out: bytes = unpacker.decompress(frame, max_output_size=size, allow_extra_data=False)
    except z.module.ZstdError as exc:
        raise DamagedPickleError(f"a block of stored records is damaged ({exc})") from None
    if len(out) != size:
        raise DamagedPickleError("a block of stored records is cut short or too long")
    return out


def _unzlib(data: bytes) -> bytes:
    """A block deflated against the dictionary (searchkit before Zstandard) inflated."""
    try:
        unpacker = zlib.decompressobj(zdict=RECORD_DICTIONARY)
        out = unpacker.decompress(data, MAX_BLOCK_BYTES)
    except zlib.error as exc:
        raise DamagedPickleError(f"a block of stored records is damaged ({exc})") from None
    if not unpacker.eof or unpacker.unused_data or unpacker.unconsumed_tail:
        raise DamagedPickleError("a block of stored records is cut short or too long")
    return out


class RecordWriter:
    """Writes a segment's records, :data:`BLOCK` documents' at a time (Whoosh calls
    :meth:`add` for each document that has stored fields, in order)."""

    def __init__(self, dbfile: Any) -> None:
        self._values = VarBytesColumn.Writer(dbfile)
        self._packer = _zstd().compressor()
        self._first = 0  # the first document the pending block covers
        self._pending: list[bytes] = []  # its records so far, b"" where a document has none
        self._bytes = 0  # theirs

    def add(self, docnum: int, record: dict[str, Any] | None) -> None:
        """Store ``record`` as document ``docnum``'s."""
        if record is None:
            self.add_raw(docnum, b"")
        else:
            self.add_raw(docnum, encode(record), record.get("path"))

    def add_raw(self, docnum: int, raw: bytes, where: object = None) -> None:
        """Store a record already encoded (:meth:`RecordReader.raw`); ``where`` names its
        file when it is refused (else its document number does)."""
        if _too_costly(raw):  # then also len(raw) < MAX_BLOCK_BYTES / 4
            where = where if where is not None else f"document {docnum}"
            raise DocumentError(
                where, f"its stored record of {len(raw):,} bytes is more than searchkit reads"
            )
        if self._pending and (
            docnum - self._first >= BLOCK or self._bytes + len(raw) > _BLOCK_BYTES
        ):
            self._flush()
        if not self._pending:
            self._first = docnum
        self._pending.extend(b"" for _ in range(docnum - self._first - len(self._pending)))
        self._pending.append(raw)
        self._bytes += len(raw)

    def _flush(self) -> None:
        last = self._first + len(self._pending) - 1
        self._values.add(last, _pack(self._pending, self._packer))
        self._pending = []
        self._bytes = 0

    def finish(self, doccount: int) -> None:
        if self._pending:
            self._flush()
        self._values.finish(doccount)


_Block = tuple[bytes, tuple[int, ...]]


class KeptBlocks:
    """The small blocks every reader of the process inflated, :data:`_KEPT_TOTAL` bytes
    of them all told, the least recently read dropped first: one bound however many
    segments and indexes are open.  Keyed by ``(reader serial, block)``: a serial is
    never reused, so a closed reader's blocks are only dropped in turn.  Searches in
    several threads share it: every change is made under a lock."""

    def __init__(self) -> None:
        self.blocks: OrderedDict[tuple[int, int], _Block] = OrderedDict()
        self.size = 0  # their bytes
        self._lock = threading.Lock()

    def get(self, key: tuple[int, int]) -> _Block | None:
        """The block kept under ``key`` (now the most recently read), or ``None``."""
        found = self.blocks.get(key)
        if found is not None:
            with self._lock, contextlib.suppress(KeyError):  # unless dropped meanwhile
                self.blocks.move_to_end(key)
        return found

    def put(self, key: tuple[int, int], block: _Block) -> _Block:
        """``block``, kept if at most :data:`_KEPT_BYTES`, dropping the least recently
        read blocks past :data:`_KEPT_TOTAL` bytes."""
        size = len(block[0])
        if size <= _KEPT_BYTES:
            with self._lock:
                if key not in self.blocks:
                    self.blocks[key] = block
                    self.size += size
                while self.size > _KEPT_TOTAL:
                    _key, (dropped, _ends) = self.blocks.popitem(last=False)
                    self.size -= len(dropped)
        return block


KEPT = KeptBlocks()
_SERIALS = itertools.count()


class RecordReader(VarBytesColumn.Reader):  # type: ignore[misc]
    """Reads a segment's records (``reader[docnum]``: the record, or ``None``)."""

    def __init__(self, dbfile: Any, basepos: int, length: int, doccount: int) -> None:
        super().__init__(dbfile, basepos, length, doccount)
        self._serial = next(_SERIALS)  # its blocks' keys among every reader's
        # The segment's file and where the column's values start in it, for os.pread;
        # the last byte they may reach (the column's end, as Whoosh's reads are bounded).
        self._file: Any = None
        region = _whoosh.file_region(dbfile) if _PREAD else None
        if region is not None:
            self._file, start, size = region
            self._start = start + basepos
            self._end = start + min(basepos + length, size)

    def raw(self, docnum: int) -> bytes:
        """Document ``docnum``'s record as stored (encoded JSON), or ``b""``."""
        if not 0 <= docnum < self._doccount:
            raise IndexError(f"no document {docnum} of {self._doccount}")
        lengths = self._lengths
        end = min(docnum + BLOCK, self._doccount)
        holder = docnum
        while holder < end and not lengths[holder]:
            holder += 1
        if holder == end:
            return b""
        key = (self._serial, holder)
        block = KEPT.get(key)
        if block is None:
            block = KEPT.put(key, _inflate(self._value(holder)))
        out, ends = block
        place = docnum - holder + len(ends) - 2
        return out[ends[place] : ends[place + 1]] if place >= 0 else b""

    def _value(self, docnum: int) -> bytes:
        """Document ``docnum``'s value: one ``os.pread`` of the segment's file, where
        Whoosh seeks and reads through three file objects (two system calls and an 8 KiB
        buffer: 8 us a block in a search, against 2, and no shared file position for two
        threads to move under each other); else Whoosh's read."""
        f = self._file
        size = self._lengths[docnum]
        if size and f is not None and not f.closed:
            at = self._start + self._offsets[docnum]
            if at + size <= self._end:
                return os.pread(f.fileno(), size, at)
        value: bytes = VarBytesColumn.Reader.__getitem__(self, docnum)
        return value

    def __getitem__(self, docnum: int) -> dict[str, Any] | None:
        raw = self.raw(docnum)
        return decode(raw) if raw else None

    def __iter__(self) -> Any:
        for docnum in range(self._doccount):
            yield self[docnum]

    def load(self) -> list[dict[str, Any] | None]:
        return list(self)


class RecordColumn(Column):  # type: ignore[misc]
    """The column of stored records (see the module's docstring)."""

    _default = None

    def writer(self, dbfile: Any) -> RecordWriter:
        return RecordWriter(dbfile)

    def reader(self, dbfile: Any, basepos: int, length: int, doccount: int) -> RecordReader:
        return RecordReader(dbfile, basepos, length, doccount)


RECORDS = RecordColumn()


def use_records(perdoc: Any) -> None:
    """Make a per-document writer of searchkit's (before its first document) store its
    records in blocks (a Whoosh index of a program's own keeps Whoosh's pickles)."""
    _whoosh.replace_stored_writer(perdoc, RecordWriter)


def records_of(perdoc: Any) -> RecordReader | None:
    """The records of a segment (its per-document reader's) when they are stored as
    searchkit's writers store them; ``None`` when it has none, or when Whoosh's own
    writer wrote them (pickles, which Whoosh reads: a program's own Whoosh index, or a
    merge by Whoosh's writer).  Told by the first value: a block names the dictionary."""
    cached = _whoosh.cached_stored_column(perdoc)
    if cached is not None:
        return cached if isinstance(cached, RecordReader) else None
    if not perdoc.has_column("_stored"):
        return None
    first = next((v for v in perdoc.column_reader("_stored", VarBytesColumn()) if v), b"")
    if not _names_dictionary(first):
        return None
    found: RecordReader | None = _whoosh.stored_column(perdoc, RECORDS)
    return found


def _names_dictionary(data: bytes) -> bool:
    """Whether ``data`` starts as a block of records: a Zstandard block's tag, or a zlib
    stream deflated against the record dictionary."""
    return data[: len(_ZSTD_TAG)] == _ZSTD_TAG or _deflated(data)


def _deflated(data: bytes) -> bool:
    """Whether ``data`` starts as a zlib stream deflated against the record dictionary."""
    return len(data) >= 6 and bool(data[1] & 0x20) and data[2:6] == _DICT_ID
