"""Every touch of Whoosh's private attributes, each behind one small named function.

searchkit reads and writes Whoosh's files faster than Whoosh's public API lets it (postings
and columns a block at a time, a segment's stored records, its term table, the table of
contents) and so reaches into attributes and names that start with ``_``.  They are all
here: upgrading Whoosh means checking this one file against the new version.  The three
subclasses of Whoosh's own classes are the other place to look: by design they override
and call its private methods and flags from inside (``_writer.SegmentWriter``:
``_commit_toc``, ``_check_state``, ``_added``; ``_mpwriter.MpWriter``: ``_new_task``,
``_added_sub``; ``_records.RecordReader``, a ``VarBytesColumn.Reader``: ``_lengths``,
``_doccount``).  And ``_decoded.py`` checks, by name, the private state Whoosh pickles
into a table of contents (``_doccount``, ``_codec``, ...) before Whoosh uses it.

Functions that read say what they return when the object is not shaped as expected
(another codec): the callers then take Whoosh's public road.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from itertools import accumulate
from typing import Any

from whoosh import columns as wcolumns
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3TermInfo
from whoosh.codec.whoosh3 import _lenfield as _length_field

__all__ = [
    "TERM_INFO_PACK",
    "append_lengths",
    "cached_column",
    "cached_stored_column",
    "codec_matcher",
    "column_bytes",
    "column_values",
    "column_writer",
    "current_field",
    "end_document",
    "expanded_bytes",
    "expansion_source",
    "field_lengths",
    "field_number",
    "field_writer_parts",
    "file_region",
    "length_column",
    "length_field",
    "pattern_parts",
    "per_document_reader",
    "perdoc_segment",
    "postings_file",
    "reads_w3_blocks",
    "replace_expansion",
    "replace_stored_writer",
    "searcher_storage",
    "segment_count",
    "set_field_lengths",
    "stored_column",
    "stored_fields_list",
    "term_index",
    "terms_table",
    "toc",
    "toc_segments",
    "w3_blocks",
]

# -- the index and its table of contents ---------------------------------------------


def toc_segments(ix: Any) -> list[Any]:
    """The segments named by the index's current table of contents, read afresh."""
    return list(ix._read_toc().segments)


def toc(ix: Any) -> tuple[int, list[Any]]:
    """The generation and segments of the index's current table of contents, read
    afresh (both from one reading)."""
    found = ix._read_toc()
    return int(found.generation), list(found.segments)


def segment_count(ix: Any) -> int:
    """How many segments the index's current commit has."""
    return len(ix._segments())


def searcher_storage(searcher: Any) -> Any:
    """The storage (folder) of the index ``searcher`` reads, or ``None``."""
    return getattr(getattr(searcher, "_ix", None), "storage", None)


# -- a segment's readers ----------------------------------------------------------------


def perdoc_segment(perdoc: Any) -> Any:
    """The segment a per-document reader reads."""
    return perdoc._segment


def per_document_reader(reader: Any) -> Any:
    """A segment reader's per-document reader (stored records, lengths, columns)."""
    return reader._perdoc


def terms_table(reader: Any) -> Any:
    """A segment reader's W3 term table, or ``None`` (another kind of reader)."""
    return getattr(reader, "_terms", None)


def codec_matcher(reader: Any, field: str, text: bytes) -> Any:
    """The codec's own matcher of the term (W3: block by block), or ``None`` when the
    reader has no W3 term table; raises ``TermNotFound`` for a term it lacks."""
    terms = terms_table(reader)
    if terms is None:
        return None
    return terms.matcher(field, text, reader.schema[field].format)


def field_number(terms: Any, name: str) -> int | None:
    """The number a W3 term table gives field ``name`` (``None``: it has no terms)."""
    found = terms._fieldmap.get(name)
    return None if found is None else int(found)


def term_index(terms: Any) -> Any:
    """A W3 term table's index of terms (key: field number and term, value: term info)."""
    return terms._tindex


def postings_file(terms: Any) -> Any:
    """A W3 term table's postings file."""
    return terms._postfile


def length_field(field: str) -> str:
    """The name of the column holding ``field``'s lengths."""
    return str(_length_field(field))


def cached_column(perdoc: Any, name: str, column: Any) -> Any:
    """A per-document reader's column ``name`` (as ``column`` stores it), or ``None``."""
    return perdoc._cached_reader(name, column)


def column_values(reader: Any, field: str, translate: bool = True) -> list[Any]:
    """Every document's value in ``field``'s column of the segment ``reader`` reads, what
    iterating its column reader gives (``translate``: as the field reads them back), read
    at once where the column is a numeric or variable-bytes one: iterating reads the file
    once a document (about 5 us each: 0.5 s for all of Reuters-21578's dates)."""
    column = reader.column_reader(field, translate=False)
    convert = reader.schema[field].from_column_value if translate else None
    try:
        values = _whole_column(column, reader.doc_count_all(), convert)
    except AttributeError:  # not shaped as this Whoosh's readers are: read it as it reads
        values = None
    if values is None:
        values = list(column) if convert is None else [convert(v) for v in column]
    return values


def _whole_column(column: Any, docs: int, convert: Callable[[Any], Any] | None) -> list[Any] | None:
    """The values of a Whoosh column reader of a numeric or variable-bytes column, read in
    one piece, each through ``convert`` when given (``None`` for another kind of column)."""
    kind = type(column)
    values: list[Any]
    if kind is wcolumns.NumericColumn.Reader:
        n = min(column._count, docs)
        data = column._dbfile.get(column._basepos, column._fixedlen * n)
        values = list(struct.unpack(f"!{n}{column._typecode}", data))
        values += [column._default] * (docs - n)
        return values if convert is None else [convert(v) for v in values]
    if kind is wcolumns.VarBytesColumn.Reader:
        lengths, offsets = column._lengths, column._offsets
        if len(lengths) != docs or len(offsets) != docs:
            return None
        size = max((o + n for o, n in zip(offsets, lengths, strict=True)), default=0)
        blob = column._dbfile.get(column._basepos, size) if size else b""
        pieces = zip(offsets, lengths, strict=True)
        if convert is None:
            return [blob[o : o + n] for o, n in pieces]
        return [convert(blob[o : o + n]) for o, n in pieces]
    return None


def length_column(perdoc: Any, field: str) -> Any:
    """A per-document reader's column of ``field``'s length bytes, or ``None``."""
    return cached_column(perdoc, length_field(field), LENGTHS_COLUMN)


def column_bytes(col: Any) -> Any:
    """A fixed-width column's bytes, one read (one byte a document for lengths)."""
    return col._dbfile.get(col._basepos, col._count)


def file_region(dbfile: Any) -> tuple[Any, int, int] | None:
    """The open file a structured file of a compound segment reads, and the region of
    it the structured file is: ``(file, offset, length)``.  ``None`` when ``dbfile`` is
    not one (a memory map, a file of its own, another storage)."""
    sub = getattr(dbfile, "file", None)
    inner = getattr(sub, "_file", None)
    offset, length = getattr(sub, "_offset", None), getattr(sub, "_length", None)
    if type(offset) is not int or type(length) is not int or not hasattr(inner, "fileno"):
        return None
    return inner, offset, length


# -- W3 posting blocks ------------------------------------------------------------------

_BLOCK_READS = ("_read_data", "_read_weights", "_read_values", "_next_block", "_byteids")


def reads_w3_blocks(m: Any) -> bool:
    """Whether :func:`w3_blocks` can read matcher ``m``."""
    return all(hasattr(m, a) for a in _BLOCK_READS)


def w3_blocks(m: Any, values: bool) -> Iterator[tuple[Any, Any, Any]]:
    """``(ids, weights, values)`` of each block of a W3 matcher (``values`` only when
    asked for, else ``None``)."""
    while m.is_active():
        if m._data is None:
            m._read_data()
        raw = m._data[0]
        # Whoosh decodes the id deltas in a Python generator; accumulate() is C.
        ids = raw if m._byteids else accumulate(raw)
        if m._weights is None:
            m._read_weights()
        if values and m._values is None:
            m._read_values()
        yield ids, m._weights, m._values if values else None
        m._next_block()


# -- the words a multi-term query stands for ---------------------------------------------


def expanded_bytes(q: Any, reader: Any) -> Iterator[bytes]:
    """The indexed words (as bytes) a multi-term query (prefix, wildcard, fuzzy) matches
    in ``reader``."""
    found: Iterator[bytes] = q._btexts(reader)
    return found


def expansion_source(q: Any) -> Callable[[Any], Iterator[bytes]]:
    """A multi-term query's own way to its words (what :func:`expanded_bytes` calls)."""
    found: Callable[[Any], Iterator[bytes]] = q._btexts
    return found


def pattern_parts(q: Any) -> tuple[str, str]:
    """A wildcard's (or any pattern query's) regular expression, and the literal text
    every word it matches starts with: what its ``_btexts`` matches words with."""
    return q._get_pattern(), q._find_prefix(q.text)


def replace_expansion(q: Any, source: Callable[[Any], Iterator[bytes]]) -> None:
    """Make ``q`` find its words through ``source`` (a cache of them) from now on."""
    q._btexts = source


# -- writing a segment ------------------------------------------------------------------

# Packs a term's information as the W3 codec stores it.
TERM_INFO_PACK: Callable[..., bytes] = W3TermInfo._struct.pack


def field_lengths(holder: Any) -> Any:
    """The total length of each field: a per-document writer's (to add to) or a
    segment's."""
    return holder._fieldlengths


def set_field_lengths(segment: Any, lengths: Any) -> None:
    """Give a segment its total length of each field (as its table of contents holds)."""
    segment._fieldlengths = lengths


def append_lengths(
    perdoc: Any, field: str, start: int, data: bytes | bytearray, total: int
) -> None:
    """Write ``data``, one length byte a document from document ``start`` on (0: none),
    into ``field``'s length column of a W3 per-document writer, and add ``total`` to the
    field's total length: what ``add_field`` does a document at a time, at once.  The
    column is made on first use, and documents without a length after the last with
    one are left out of it, as Whoosh leaves them."""
    name = _length_field(field)
    writers = perdoc._colwriters
    if name not in writers:
        perdoc._create_column(name, LENGTHS_COLUMN)
    perdoc._fieldlengths[field] += total
    data = data.rstrip(b"\0")
    if data:
        column = writers[name]
        column.fill(start)  # zeros for the documents since its last value
        column._dbfile.write(data)
        column._count = start + len(data)


def column_writer(perdoc: Any, name: str) -> Any:
    """A per-document writer's writer of column ``name``, or ``None``."""
    return getattr(perdoc, "_colwriters", {}).get(name)


def stored_fields_list(perdoc: Any) -> Any:
    """The stored fields of the document a per-document writer is writing (to fill)."""
    return perdoc._storedfields


def end_document(perdoc: Any) -> None:
    """``finish_doc`` for a per-document writer with no stored fields left to add."""
    perdoc._indoc = False


def replace_stored_writer(perdoc: Any, make: Callable[[Any], Any]) -> None:
    """Make a W3 per-document writer, before its first document, write stored records
    with ``make(file)``'s writer (into the column file Whoosh made for them)."""
    perdoc._colwriters["_stored"] = make(perdoc._colwriters["_stored"]._child._dbfile)


def cached_stored_column(perdoc: Any) -> Any:
    """The reader of stored records a per-document reader has made already, or ``None``."""
    return perdoc._readers.get("_stored")


def stored_column(perdoc: Any, column: Any) -> Any:
    """A per-document reader's column of stored records (as ``column`` stores them), or
    ``None`` (none stored)."""
    return cached_column(perdoc, "_stored", column)


def field_writer_parts(fw: Any) -> tuple[Any, Any]:
    """A W3 field writer's postings file and term index."""
    return fw._postfile, fw._tindex


def current_field(fw: Any) -> tuple[int, int, Any, int]:
    """Of a W3 field writer's current field: its block size limit, compression level,
    posting format and field number."""
    pw = fw._postwriter
    return pw._blocklimit, pw._compression, fw._format, fw._fieldid
