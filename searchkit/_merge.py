"""Merging segments: when (:func:`merge_policy`), and by copying their postings, not
re-adding them one at a time (:func:`merge_segments`).

Whoosh merges a segment into a writer with ``add_reader``: every posting of every term
becomes a tuple in the writer's pool, the pool sorts them all (spilling sorted runs to
disk, several times the index's size for a big merge) and writes them out again, about
as slow as indexing the documents afresh.  At a million paragraphs merging took most of
a bulk load's time.  :func:`merge_segments` writes the merged segment directly:

- per document, in order, each live document's stored fields, field-length bytes and
  column values are copied, its new number being its place among the live documents
  (what ``add_reader`` gives it too);
- per field, the segments' term lists are merged (each is sorted), and each term's
  posting blocks are read whole (a pickle load each), renumbered (an offset, or a map
  when documents were deleted), and written by ``_termwriter.TermWriter``.

Nothing is analysed again, and every pickle is read through ``_unpickle`` (an index
folder is untrusted input).  The result holds what ``add_reader`` would give for the same
segments: the same documents, postings, weights, positions, stored fields, columns and
length bytes, and the same field-length totals (summed from the stored, rounded length
bytes, as Whoosh's merge sums them), so scores do not change.  Segments it cannot copy
(term vectors, another codec) are merged the old way, through ``add_reader``.

Whoosh's merge puts the merged documents in the segment the commit writes, after the
writer's own; so does this one, copying the writer's own segment first once it is
written (keeping its exact length totals), so that later merges see the same segments.
The merged segment is part of the commit that merges: until that commit's table of
contents is written it is invisible, and a kill leaves only files that the next writer
removes as leftovers.
"""

from __future__ import annotations

import copy
import functools
import heapq
import io
import math
import zlib
from collections import defaultdict
from collections.abc import Container, Iterator, Sequence
from itertools import accumulate, chain, repeat
from typing import Any

from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3TermInfo,
)
from whoosh.reading import SegmentReader
from whoosh.system import pack_ushort
from whoosh.util.numeric import byte_to_length

from . import _records, _unpickle, _whoosh, _writer
from ._settings import writes_vectors
from ._termwriter import TermWriter

__all__ = ["can_copy", "merge_all", "merge_policy", "merge_segments"]

_BYTE_TO_LENGTH = [byte_to_length(b) for b in range(256)]
_BYTE_TO_LENGTH[0] = 0
_INT_SIZE = 4


def can_copy(writer: Any, segments: Sequence[Any]) -> bool:
    """Whether :func:`merge_segments` can merge ``segments`` for ``writer``: all written
    by the W3 codec, and a schema without term vectors."""
    if not isinstance(writer.codec, W3Codec):
        return False
    if any(writer.schema[name].vector for name in writer.schema.names()):
        return False
    return all(isinstance(seg.codec(), W3Codec) for seg in segments)


def merge_segments(writer: Any, segments: Sequence[Any], exact: Sequence[Any] = ()) -> Any | None:
    """One new segment holding the live documents of ``segments``, in order.

    Field-length totals are summed from the documents' stored, rounded length bytes, as
    Whoosh's merge sums them, except for the segments in ``exact``, whose recorded totals
    are taken as they are, less their deleted documents' rounded lengths (the committing
    writer's own, whose documents Whoosh's merge would have counted exactly; for
    ``Index.optimize``, every one, so that scores do not change where nothing was
    deleted, and come nearest a fresh build's where something was).  Returns the segment
    (its files written, not yet in any table of contents), or None when no document is
    live.
    """
    storage, schema, codec = writer.storage, writer.schema, writer.codec
    readers = [SegmentReader(_unmapped(storage), schema, seg) for seg in segments]
    try:
        live = sum(r.doc_count() for r in readers)
        if not live:
            return None
        segment = codec.new_segment(storage, writer.indexname)
        perdoc = codec.per_document_writer(storage, segment)
        _records.use_records(perdoc)
        exact_at = {k for k, s in enumerate(segments) if any(s is e for e in exact)}
        renumber, lengths = _copy_per_document(schema, readers, perdoc, exact_at)
        totals = _whoosh.field_lengths(perdoc)
        for k in sorted(exact_at):
            for name, total in _whoosh.field_lengths(segments[k]).items():
                totals[name] += total - _deleted_length(readers[k], name)
        perdoc.close()
        segment.set_doc_count(live)
        fields = codec.field_writer(storage, segment)
        _copy_postings(schema, readers, renumber, lengths, fields)
        fields.close()
        if writer.compound:
            segment.create_compound_file(storage)
        _merge_vectors(storage, segments, readers, segment)
        return segment
    finally:
        for r in readers:
            r.close()


def _merge_vectors(
    storage: Any, segments: Sequence[Any], readers: Sequence[Any], into: Any
) -> None:
    """The merged segment's vector file (``_vectors.py``): the live documents' rows of
    each segment, in order; a segment without them has its documents embedded, when
    searchkit[semantic] is installed and the index was created with vectors (else the
    merged segment has none)."""
    folder = getattr(storage, "folder", None)
    if folder is None:
        return
    from . import _vectors, semantic

    found = _vectors.read_rows(folder, segments)
    if any(rows is None for rows in found) and not (
        semantic.available() and writes_vectors(folder)
    ):
        return
    import numpy as np

    parts = []
    for rows, reader in zip(found, readers, strict=True):
        if rows is None:
            texts = [
                semantic.paragraph_text(stored.get("title"), stored.get("text"))
                for _, stored in reader.iter_docs()
            ]
            parts.append(semantic.embed_by_length(texts))
        elif reader.has_deletions():
            parts.append(rows[np.fromiter(reader.all_doc_ids(), dtype=np.int64)])
        else:
            parts.append(rows)
    _vectors.write_vectors(folder, into.segment_id(), np.concatenate(parts))


def _unmapped(storage: Any) -> Any:
    """``storage``, reading segments with plain reads, not memory maps.

    Whoosh opens a file inside a memory-mapped segment as a ``BytesIO`` of it, a copy:
    a merge, which holds every segment open at once, would copy all their postings and
    stored fields into memory.  Read this way, a file inside a segment is a window on
    the file, and memory holds what is being copied.
    """
    if not getattr(storage, "supports_mmap", False):
        return storage
    plain = copy.copy(storage)
    plain.supports_mmap = False
    return plain


# How a segment's old document numbers become new ones: an offset (no deletions) or a
# map of the live documents (deleted ones absent).
_Renumber = int | dict[int, int]


def _copy_per_document(
    schema: Any, readers: Sequence[Any], perdoc: Any, exact_at: Container[int] = ()
) -> tuple[list[_Renumber], dict[str, bytearray]]:
    """Copy each live document's stored fields, length bytes and column values.

    Stored records are copied as encoded (``_records.py``), without parsing them.
    Returns each reader's renumbering and, per field with lengths, every new document's
    length byte, which posting blocks record.
    The readers at ``exact_at`` add nothing to the totals (their own are added instead).
    """
    # Only fields some segment has lengths of: most language fields hold nothing.
    scorable = [
        n
        for n in schema.names()
        if schema[n].scorable
        and any(_whoosh.per_document_reader(r).has_column(_whoosh.length_field(n)) for r in readers)
    ]
    columned = [(n, schema[n].column_type) for n in schema.names() if schema[n].column_type]
    lengths = {n: bytearray() for n in scorable}
    totals = _whoosh.field_lengths(perdoc)
    stored_out = _whoosh.column_writer(perdoc, "_stored")
    renumbers: list[_Renumber] = []
    docnum = 0
    for k, reader in enumerate(readers):
        counted = totals if k not in exact_at else defaultdict(int)
        pdr = _whoosh.per_document_reader(reader)
        stored_in = _records.records_of(pdr)
        raw_lengths = []
        for name in scorable:
            raw = _length_bytes(pdr, name)
            raw_lengths.append((name, _whoosh.length_field(name), raw, lengths[name]))
        columns = [
            (name, coltype, pdr.column_reader(name, coltype))
            for name, coltype in columned
            if reader.has_column(name)
        ]
        deleted = reader.has_deletions()
        docmap: dict[int, int] = {}
        renumbers.append(docmap if deleted else docnum)
        for old in reader.all_doc_ids():
            if deleted:
                docmap[old] = docnum
            perdoc.start_doc(docnum)
            if stored_in is not None:
                record = stored_in.raw(old)
                if record:
                    stored_out.add_raw(docnum, record)
            elif stored := reader.stored_fields(old):  # records Whoosh's writer wrote
                stored_out.add(docnum, stored)
            for name, lenfield, raw, out in raw_lengths:
                b = raw[old] if old < len(raw) else 0
                out.append(b)
                if b:
                    perdoc.add_column_value(lenfield, LENGTHS_COLUMN, b)
                    counted[name] += _BYTE_TO_LENGTH[b]
            for name, coltype, creader in columns:
                perdoc.add_column_value(name, coltype, creader[old])
            _whoosh.end_document(perdoc)
            docnum += 1
    return renumbers, lengths


def _length_bytes(pdr: Any, name: str) -> bytes:
    """Every document's length byte of field ``name`` (a per-document reader's), or
    nothing where no document has one."""
    col = _whoosh.length_column(pdr, name)
    return bytes(_whoosh.column_bytes(col)) if col is not None else b""


def _deleted_length(reader: Any, name: str) -> int:
    """The lengths of field ``name`` in ``reader``'s deleted documents, as their length
    bytes read back (0 without deletions)."""
    if not reader.has_deletions():
        return 0
    raw = _length_bytes(_whoosh.per_document_reader(reader), name)
    return sum(_BYTE_TO_LENGTH[raw[d]] for d in reader.deleted_docs_set if d < len(raw))


def _terms(reader: Any, name: str, k: int) -> Iterator[tuple[bytes, int, bytes]]:
    """``(text, k, term info bytes)`` for each term of field ``name`` in ``reader``, sorted."""
    terms = _whoosh.terms_table(reader)
    fieldnum = _whoosh.field_number(terms, name)
    if fieldnum is None:
        return
    prefix = pack_ushort(fieldnum)
    for key, value in _whoosh.term_index(terms).items_from(prefix):
        if not key.startswith(prefix):
            return
        yield key[2:], k, value


def _copy_postings(
    schema: Any,
    readers: Sequence[Any],
    renumber: Sequence[_Renumber],
    lengths: dict[str, bytearray],
    fields: Any,
) -> None:
    out = TermWriter(fields)
    for name in sorted(schema.names()):
        field = schema[name]
        if not field.indexed:
            continue
        streams = [_terms(r, name, k) for k, r in enumerate(readers)]
        merged = heapq.merge(*streams)
        first = next(merged, None)
        if first is None:
            continue
        fixed = field.format.fixed_value_size()
        field_lengths = lengths.get(name)
        out.start_field(name, field)
        postfiles = [_whoosh.postings_file(_whoosh.terms_table(r)) for r in readers]
        text, k, info = first
        flat: list[Any] = []
        for next_text, next_k, next_info in chain(merged, [(None, 0, b"")]):
            _append(flat, info, postfiles[k], renumber[k], fixed)
            if next_text != text:
                if flat:
                    out.write(text, flat, field_lengths)
                    flat = []
                if next_text is None:
                    break
            text, k, info = next_text, next_k, next_info
        fields.finish_field()


def _append(flat: list[Any], info: bytes, postfile: Any, renumber: _Renumber, fixed: Any) -> None:
    """Append one segment's postings of a term to ``flat`` (``docnum, weight, value``
    repeated), renumbered; postings of deleted documents are left out."""
    terminfo = W3TermInfo.from_bytes(info)
    if terminfo.is_inlined():
        ids, weights, values = terminfo.inlined_postings()
        _extend(flat, ids, weights, values, renumber)
        return
    offset, length = terminfo.extent()
    if isinstance(length, tuple):  # Whoosh's from_bytes leaves struct.unpack's tuple
        (length,) = length
    raw = bytes(postfile.get(offset, length))
    if raw[:4] != WHOOSH3_HEADER_MAGIC:
        raise ValueError(f"posting block tag error at {offset}")
    f = io.BytesIO(raw)
    at = 4
    while True:
        size = int.from_bytes(raw[at : at + _INT_SIZE], "big", signed=True)
        end = at + _INT_SIZE + abs(size)
        f.seek(at + _INT_SIZE)
        count, _maxid, _maxweight, compression, _minlen, _maxlen = _unpickle.load(f)
        data = raw[f.tell() : end]
        if compression:
            data = zlib.decompress(data)
        deltas, weights, values = _unpickle.loads(data)
        ids = list(accumulate(deltas))
        if weights is None:
            weights = repeat(1.0, count)
        elif isinstance(weights, float):
            weights = repeat(weights, count)
        if fixed is None or fixed < 0:
            if len(values) != count:
                raise ValueError(f"a posting block of {count} postings has {len(values)} values")
        elif fixed == 0:
            values = repeat(None, count)
        else:
            values = [values[i : i + fixed] for i in range(0, len(values), fixed)]
        _extend(flat, ids, weights, values, renumber)
        if size < 0:
            return
        at = end


def _extend(flat: list[Any], ids: Any, weights: Any, values: Any, renumber: _Renumber) -> None:
    if isinstance(renumber, int):
        new = map(renumber.__add__, ids) if renumber else ids
        flat.extend(chain.from_iterable(zip(new, weights, values, strict=True)))
        return
    get = renumber.get
    for docnum, weight, value in zip(ids, weights, values, strict=True):
        n = get(docnum)
        if n is not None:
            flat += (n, weight, value)


def _size_class(docs: int) -> int:
    small, fanout = _writer._SMALL_DOCS, _writer._FANOUT
    return 0 if docs < small else 1 + int(math.log(docs / small, fanout))


def merge_policy(writer: Any, segments: list[Any]) -> list[Any]:
    """A Whoosh merge policy: merge segments of one size class once enough pile up.

    Small leftovers of small commits merge in threes, bigger segments sixteen of a size
    at a time, so the count of segments (each a cost to every query) grows with the
    logarithm of the index size.  The merged segment is written by copying postings
    (:func:`merge_segments`), a new segment of this commit; segments it cannot copy go through
    Whoosh's ``add_reader``, which re-adds every posting into this writer's segment.
    """
    classes: dict[int, list[Any]] = {}
    for seg in segments:
        # Live documents: a segment whose documents were replaced shrinks into a
        # smaller class, and merging it drops its deleted documents for good.
        classes.setdefault(_size_class(seg.doc_count()), []).append(seg)
    for size_class in sorted(classes):
        group = classes[size_class]
        if len(group) >= (_writer._MIN_MERGE if size_class == 0 else _writer._FANOUT):
            rest = [s for s in segments if s not in group]
            return rest + _merged(writer, group)
    return segments


def merge_all(writer: Any, segments: list[Any]) -> list[Any]:
    """A Whoosh merge policy for ``Index.optimize``: every segment merged into one, its
    deleted documents dropped for good, unless the index is one such segment already
    (or none)."""
    if not segments or (len(segments) == 1 and not segments[0].has_deletions()):
        return segments
    return _merged(writer, list(segments), exact=True)


def _merged(writer: Any, group: list[Any], exact: bool = False) -> list[Any]:
    """The segments that replace ``group`` now: none, its documents going into the
    segment the commit writes, which Whoosh's merge makes of this writer's own documents
    followed by the group's.  searchkit's writer copies them there once its own segment
    is written (:func:`_finish_merge`), so the result is the same segment.  With
    ``exact``, the group's segments keep their recorded length totals as well."""
    if COPY_MERGE and can_copy(writer, group) and hasattr(writer, "finish_merge"):
        writer.finish_merge = functools.partial(_finish_merge, group, exact)
        return []
    for seg in group:
        reader = SegmentReader(writer.storage, writer.schema, seg)
        writer.add_reader(reader)
        reader.close()
    return []


def _finish_merge(group: list[Any], exact: bool, writer: Any, segments: list[Any]) -> list[Any]:
    """The commit's segments with ``writer``'s own (if it wrote one) and ``group`` merged
    into one, in that order, at the end, where Whoosh's merge leaves it; the length
    totals of ``writer``'s own kept exact, and of the group's too with ``exact``."""
    own = next((s for s in segments if s is writer.newsegment), None)
    mine = [own] if own is not None else []
    kept = [*mine, *group] if exact else mine
    merged = merge_segments(writer, [*mine, *group], exact=kept)
    rest = [s for s in segments if s is not own]
    return rest if merged is None else [*rest, merged]


# Merge by copying postings (:func:`merge_segments`); False re-adds them through
# Whoosh's pool, the way every merge went before (the tests compare the two).
COPY_MERGE = True
