"""How searchkit writes Whoosh segments: the same index Whoosh's writer makes, faster.

- :class:`SegmentWriter` inverts documents in memory (one posting list per term) instead
  of sorting a pool of posting tuples, analyses text without Whoosh token objects
  (``schema.indexer``), and writes each term's posting blocks, term information and
  term-index entry in one piece (:class:`_TermWriter`).  Past ``limitmb`` it hands its
  postings to Whoosh's pool, which spills sorted runs to disk.
- Posting blocks are pickled with protocol 3 (Whoosh's protocol 2 has no bytes type).
  Stored records are JSON, deflated in blocks (``_records.py``); posting blocks of
  :data:`_DEFLATE_BLOCKS` bytes or more are deflated at zlib's fastest level, a third
  of their size (document numbers and positions repeat a lot).  Readers need no setting:
  pickles say their protocol, each posting block whether it is compressed.
- Flushing through the pool reads each length column once (:class:`_Lengths`), where
  Whoosh's asks the file system about a column once per posting.

:func:`writer` also offers Whoosh's multi-process writer (``procs`` > 1, Linux only), made
safe to kill and cancel in ``_mpwriter.py``.  Merging segments is ``_merge.py``'s.
"""

from __future__ import annotations

import contextlib
import io
import pickle
import struct
import zlib
from array import array
from collections.abc import Callable, Sequence
from itertools import repeat
from operator import sub
from pathlib import Path
from typing import Any, NamedTuple

from whoosh import writing as wwriting
from whoosh.codec.whoosh3 import (
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
)
from whoosh.fields import UnknownFieldError
from whoosh.system import pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import IndexingError

from . import _colbuild, _colcache, _commits, _records, _whoosh, semantic
from ._settings import writes_vectors
from .schema import BodyField, Posting, TextTerms, indexer, memoized

__all__ = ["SegmentWriter", "codec"]

_BYTE_TO_LENGTH = [byte_to_length(b) for b in range(256)]


def codec() -> W3Codec:
    """Whoosh's default codec, deflating posting blocks at zlib's fastest level (Whoosh's
    own writer, used for spills and the merges ``_merge.py`` cannot copy, deflates every
    block of 20 bytes or more; :class:`_TermWriter` those of :data:`_DEFLATE_BLOCKS`)."""
    return W3Codec(compression=1)


class _Lengths:
    """A per-document reader whose ``doc_field_length`` reads each column once.

    Whoosh's asks the file system whether a field's length column exists on every call
    for a field without one, and seeks and reads one byte per call for a field with one.
    """

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        # Field name -> every document's length; None for a field without lengths.
        self._columns: dict[str, list[int | None] | None] = {}

    def _column(self, fieldname: str) -> list[int | None] | None:
        col = _whoosh.length_column(self._reader, fieldname)
        if col is None:
            return None
        raw = _whoosh.column_bytes(col)
        return [_BYTE_TO_LENGTH[b] if b else None for b in raw]

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int | None:
        try:
            values = self._columns[fieldname]
        except KeyError:
            try:
                values = self._columns[fieldname] = self._column(fieldname)
            except AttributeError:  # not the W3 codec's reader: ask it every time
                return self._reader.doc_field_length(docnum, fieldname, default)  # type: ignore[no-any-return]
        if values is None:
            return default
        return values[docnum] if docnum < len(values) else None

    def close(self) -> None:
        self._reader.close()


# Estimated bytes held in memory, for the ``limitmb`` bound: a posting (its list slots
# and encoded positions' object; whole weights are shared floats), each position in the
# encoding, a new term, a document's length in a scorable field.
_POSTING_BYTES = 64
_POSITION_BYTES = 3
_TERM_BYTES = 160
_DOC_LENGTH_BYTES = 72


class _FieldPlan(NamedTuple):
    """What adding a value of one field takes, worked out once per writer."""

    field: Any
    to_postings: Callable[[Any], Sequence[Posting] | TextTerms] | None  # None: not indexed
    scorable: bool
    stored: bool
    column: Any
    to_column: Callable[[Any], Any] | None
    only_stored: bool  # stored, and nothing else: most fields of a chunk


class SegmentWriter(wwriting.SegmentWriter):  # type: ignore[misc]
    """Whoosh's segment writer, inverting documents in memory instead of in a sorting pool.

    Whoosh puts every posting in a pool as a ``(field, term, docnum, weight, value)``
    tuple, sorts the whole pool when the segment closes, and looks up each posting's
    field length again to write it.  This writer keeps one list of postings per term,
    appended in document order, and the field lengths it has just computed; closing the
    segment sorts only the terms.  Past ``limitmb`` of postings (or when merged segments
    arrive through ``add_reader``), what it holds moves to Whoosh's pool, which spills
    sorted runs to disk, and the segment closes the way Whoosh's does: memory stays
    bounded however many documents one writer takes.

    Field values go through ``schema.indexer`` (what each field's ``index()`` gives, more
    cheaply).  Unlike Whoosh's writer, field names starting with ``_`` (per-document boosts
    and stored overrides) and fields with term vectors or spelling words are refused.
    """

    # What the commit record lists as the index's sources (see _commits.py); ``None``
    # keeps what the previous commit recorded.
    sources: tuple[str, ...] | None = None

    def __init__(self, ix: Any, limitmb: int = 128, **kwargs: Any) -> None:
        super().__init__(ix, limitmb=limitmb, **kwargs)
        self._init_inverted(limitmb)

    # Set by the merge policy (``_merge.py``) to merge segments once this writer's own
    # segment is written: ``finish_merge(writer, segments)`` gives the commit's segments.
    finish_merge: Callable[[Any, list[Any]], list[Any]] | None = None

    def _commit_toc(self, segments: list[Any]) -> None:
        """Write the commit record (sources, checksums), then Whoosh's table of contents:
        the record of a generation exists whenever the generation does."""
        if self.finish_merge is not None:
            segments = self.finish_merge(self, segments)
        folder = getattr(self.storage, "folder", None)
        if folder is None:  # an index in memory: nothing to record
            super()._commit_toc(segments)
            return
        where = Path(folder)
        try:
            previous = _commits.read(where, self.generation - 1)
        except ValueError:  # damaged: checksum every file afresh
            previous = None
        sources = self.sources
        if sources is None:
            sources = tuple(previous["sources"]) if previous else ()
        _commits.write(where, self.generation, segments, sources, previous)
        super()._commit_toc(segments)
        _commits.clean(where, self.generation)

    def _init_inverted(self, limitmb: int) -> None:
        # field -> term -> [docnum, weight, value, docnum, weight, value, ...]
        self._inverted: dict[str, dict[bytes, list[Any]]] = {}
        # field -> docnum -> length, for scorable fields
        self._lengths: dict[str, dict[int, int]] = {}
        self._memory = 0
        self._memory_limit = limitmb * 1024 * 1024
        self._failed = False
        self._plans: dict[str, _FieldPlan] = {}
        _records.use_records(self.perdocwriter)
        # Each document's text to embed (``_vectors.py``), with searchkit[semantic] only,
        # in an index created with vectors.
        wanted = semantic.available() and writes_vectors(getattr(self.storage, "folder", None))
        self._texts: list[str] | None = [] if wanted else None
        # Field -> its columns' arrays, gathered while the segment was written.
        self._gathered: dict[str, dict[str, Any]] = {}
        # Field -> a length byte per document from ``_lengths_from`` on (0: none), and
        # their sum: written to the field's length column at once when the segment is
        # (or before merged documents arrive), not a column write per document and field.
        self._length_bytes: dict[str, bytearray] = {}
        self._length_totals: dict[str, int] = {}
        self._lengths_from = 0

    def _finalize_segment(self) -> Any:
        """Whoosh's, then the segment's vectors (``_vectors.py``) and the columns of its
        body fields gathered as they were written (``_colbuild.py``), before any commit
        names the segment: in each writer process, for the documents it wrote."""
        segment = super()._finalize_segment()
        folder = getattr(self.storage, "folder", None)
        texts = self._texts
        if texts is not None and folder is not None and len(texts) == segment.doc_count_all():
            from . import _vectors

            _vectors.write_vectors(folder, segment.segment_id(), semantic.embed_by_length(texts))
        gathered, self._gathered = self._gathered, {}
        if isinstance(folder, str):
            for name, arrays in gathered.items():
                _colcache.write_gathered(folder, segment, name, arrays)
        return segment

    def add_reader(self, reader: Any) -> None:
        """Whoosh's (the merge of segments :func:`._merge.can_copy` refuses), keeping
        the added documents' texts to embed."""
        if self._texts is not None:
            for _docnum, stored in reader.iter_docs():
                self._texts.append(semantic.paragraph_text(stored.get("title"), stored.get("text")))
        self._write_lengths()  # the added documents' lengths follow this writer's own
        super().add_reader(reader)
        self._lengths_from = self.docnum  # and any added after them follow theirs

    def _plan(self, name: str) -> _FieldPlan:
        if name.startswith("_"):
            raise ValueError(f"searchkit's writer takes no {name!r} argument")
        if name not in self.schema:
            raise UnknownFieldError(f"No field named {name!r} in {self.schema}")
        field = self.schema[name]
        if field.vector or field.separate_spelling():
            raise ValueError(f"searchkit's writer writes no term vectors or spelling ({name!r})")
        index = indexer(field) if field.indexed else None
        column = field.column_type
        to_column = memoized(field.to_column_value) if column else None
        only_stored = field.stored and index is None and to_column is None
        plan = _FieldPlan(
            field, index, field.scorable, field.stored, column, to_column, only_stored
        )
        self._plans[name] = plan
        return plan

    def add_document(self, **fields: Any) -> None:
        """Add one document: ``fields`` maps field names to values (``None`` is skipped).

        Every value is analysed before anything is written, so a value its field cannot
        take (an unknown field, a bad date) raises with the writer unchanged.  After a
        failure while writing (a stored value that cannot be pickled, a full disk) the
        writer refuses everything but ``cancel``.
        """
        self._check_state()
        self._refuse_if_failed()
        plans = self._plans
        # Analyse: (name, plan, postings, column value) per field indexed or in a column;
        # the stored values, in the order given.
        todo = []
        keep = {}
        for name, value in fields.items():
            if value is None:
                continue
            plan = plans.get(name) or self._plan(name)
            if plan.stored:
                keep[name] = value  # what W3PerDocWriter.add_field does with it
                if plan.only_stored:
                    continue
            items = plan.to_postings(value) if plan.to_postings is not None else ()
            column = plan.to_column(value) if plan.to_column is not None else None
            todo.append((name, plan, items, column))

        docnum = self.docnum
        perdoc = self.perdocwriter
        inverted = self._inverted
        length_bytes, totals = self._length_bytes, self._length_totals
        memory = 0
        perdoc.start_doc(docnum)
        stored = _whoosh.stored_fields_list(perdoc)
        self._failed = True  # until this document is wholly written
        try:
            stored.update(keep)
            for name, plan, items, column in todo:
                if items:
                    terms = inverted.get(name)
                    if terms is None:
                        terms = inverted[name] = {}
                    if type(items) is TextTerms:
                        length, new = items.add_to(terms, docnum)
                        memory += _TERM_BYTES * new
                    else:
                        length = 0
                        for text, freq, weight, vbytes in items:
                            length += freq
                            postings = terms.get(text)
                            if postings is None:
                                terms[text] = [docnum, weight, vbytes]
                                memory += _TERM_BYTES
                            else:
                                postings += (docnum, weight, vbytes)
                    # A posting's list slots, weight and positions; a position's encoding.
                    memory += _POSTING_BYTES * len(items) + _POSITION_BYTES * length
                    if plan.scorable and length:
                        self._lengths.setdefault(name, {})[docnum] = length
                        memory += _DOC_LENGTH_BYTES
                        lengths = length_bytes.get(name)
                        if lengths is None:
                            lengths = length_bytes[name] = bytearray()
                            totals[name] = 0
                        missing = docnum - self._lengths_from - len(lengths)
                        if missing:
                            lengths += bytes(missing)
                        lengths.append(_length_byte(length))
                        totals[name] += length
                if plan.to_column is not None:
                    perdoc.add_column_value(name, plan.column, column)
            perdoc.finish_doc()
        except BaseException:
            # Leave nothing for closing or cancelling to trip on; the writer refuses all
            # but cancel from now on (this document's postings may be half added).
            stored.clear()
            perdoc.cancel_doc()
            raise
        self._failed = False
        self._added = True
        self.docnum += 1
        if self._texts is not None:
            self._texts.append(semantic.paragraph_text(fields.get("title"), fields.get("text")))
        self._memory += memory
        if self._memory > self._memory_limit:
            self._spill()

    def _refuse_if_failed(self) -> None:
        if self._failed:
            raise IndexingError(
                "a document failed half-written (out of memory or disk?); cancel this writer"
            )

    def _spill(self, to_disk: bool = True) -> None:
        """Move the postings held in memory into Whoosh's pool, which then writes them to
        disk as a sorted run (``to_disk``), so at most one table's worth is ever held."""
        add = self.pool.add
        inverted = self._inverted
        for name in sorted(inverted):
            terms = inverted.pop(name)
            for text in sorted(terms):
                postings = terms.pop(text)
                for i in range(0, len(postings), 3):
                    add((name, text, postings[i], postings[i + 1], postings[i + 2] or None))
        self._lengths.clear()
        self._memory = 0
        if to_disk and self.pool.current:
            self.pool.save()

    def _write_lengths(self) -> None:
        """Write the field lengths held since ``_lengths_from`` to their columns."""
        for name, data in self._length_bytes.items():
            total = self._length_totals[name]
            _whoosh.append_lengths(self.perdocwriter, name, self._lengths_from, data, total)
        self._length_bytes.clear()
        self._length_totals.clear()
        self._lengths_from = self.docnum

    def _flush_segment(self) -> None:
        self._refuse_if_failed()
        self._write_lengths()
        self.perdocwriter.close()
        pool = self.pool
        if pool.runs or pool.current:
            # Postings also came through the pool (merged segments, or a spill): let the
            # pool merge everything in order, and read the lengths back from the columns.
            self._spill(to_disk=False)
            lengths = _Lengths(self.per_document_reader()) if self.codec.length_stats else None
            self.fieldwriter.add_postings(self.schema, lengths, pool.iter_postings())
            if lengths is not None:
                lengths.close()
        else:
            self._write_inverted()
        self.fieldwriter.close()

    def _write_inverted(self) -> None:
        fw = self.fieldwriter
        schema = self.schema
        out = _TermWriter(fw)
        for name in sorted(self._inverted):
            terms = self._inverted[name]
            lengths = self._lengths.get(name)
            out.start_field(name, schema[name])
            # A body field's columns, which every query reads, are gathered on the way
            # (the searching process would otherwise read every posting back to build them).
            # Positions too large for the columns leave them to be built (or not) later.
            gather = None
            if type(schema[name]) is BodyField:
                gather = _colbuild.Gather(self.docnum, True, stored32=True)
            for text in sorted(terms):
                postings = terms[text]
                out.write(text, postings, lengths)
                if gather is not None:
                    try:
                        gather.add(postings[0::3], postings[1::3], postings[2::3])
                        gather.end_term(text)
                    except _colbuild.UnavailableError:
                        gather = None
            if gather is not None:
                with contextlib.suppress(_colbuild.UnavailableError):
                    self._gathered[name] = gather.arrays()
            fw.finish_field()
        self._inverted.clear()
        self._lengths.clear()


_LENGTH_BYTES = [length_to_byte(n) for n in range(4096)]


def _length_byte(length: int | None) -> int:
    """Whoosh's ``length_to_byte`` (0 for ``None``), from a table for common lengths."""
    if length is None:
        return 0
    return _LENGTH_BYTES[length] if length < 4096 else length_to_byte(length)  # type: ignore[no-any-return]


# Whoosh pickles posting blocks with protocol 2, which has no bytes type: each posting's
# encoded positions becomes a call to _codecs.encode, five to ten times slower to write
# and read and twice the size.  Protocol 3 has bytes and no framing; readers take any.
_BLOCK_PROTOCOL = 3
# A field's lengths by document number: the documents with one, or every document's.
_FieldLengths = dict[int, int] | Sequence[int]
_INT = struct.Struct("!i").pack
_EXTENT = struct.Struct("!qi").pack  # a term's postings: offset, length
_TERMINFO = _whoosh.TERM_INFO_PACK
_KEY_VALUE_LENGTHS = struct.Struct("!ii").pack  # a term index entry's head
_KEY_VALUE_LENGTHS_SIZE = 8
# Posting blocks pickled to fewer bytes than this are written as they are: deflating
# saves little on them (most terms have one short posting) and costs zlib's set-up.
_DEFLATE_BLOCKS = 128


def _deflated(data: bytes, level: int) -> tuple[bytes, int]:
    """A posting block's pickled ``data`` deflated at ``level`` when that is worth it,
    and the level it was deflated at (0: as it was), which its header records."""
    if level and len(data) >= _DEFLATE_BLOCKS:
        packed = zlib.compress(data, level)
        if len(packed) < len(data):
            return packed, level
    return data, 0


def _dumps(obj: Any, protocol: int) -> bytes:
    """``pickle.dumps`` without memo entries: nothing in a block is shared or recursive,
    and a memo entry costs a byte or two for every value.  With :func:`_whole` weights,
    the postings of all of Reuters-21578 take 25.8 MiB instead of 31.7."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol)
    pickler.fast = True
    pickler.dump(obj)
    return out.getvalue()


def _whole(weight: float) -> float:
    """A weight that is a whole number as an ``int``: pickled in 2 bytes instead of 9,
    and read back as the same number (every use of it is arithmetic with floats)."""
    return int(weight) if float(weight).is_integer() else weight


class _TermWriter:
    """Writes whole posting lists through a W3 field writer, as Whoosh's writer would.

    Each term's blocks, block headers, term information and term-index entry hold what
    ``start_term``, one ``add`` per posting and ``finish_term`` write (the blocks pickled
    with protocol 3, not 2), built a block at a time from slices instead of a method call
    and type checks per posting.  Both files' positions are counted here rather than asked
    of the files.
    """

    def __init__(self, fw: Any) -> None:
        self.fw = fw
        self.postfile, self.tindex = _whoosh.field_writer_parts(fw)
        self.post_at = self.postfile.tell()
        self.termfile = self.tindex.dbfile
        self.term_at = self.termfile.tell()

    def start_field(self, name: str, field: Any) -> None:
        fw = self.fw
        fw.start_field(name, field)
        self.limit, self.compression, posting_format, fieldid = _whoosh.current_field(fw)
        self.fixed = posting_format.fixed_value_size()
        self.field_key = pack_ushort(fieldid)

    def write(self, text: bytes, postings: list[Any], lengths: _FieldLengths | None) -> None:
        """Write the term ``text`` of the current field: ``postings`` is flat (``docnum,
        weight, value`` repeated, in document order); ``lengths`` the field's lengths (by
        document number: a dict of the documents with one, or a list of every one)."""
        if len(postings) == 3:
            self._write_one(text, postings, lengths)
            return
        compression = self.compression
        fixed = self.fixed
        out = [WHOOSH3_HEADER_MAGIC]
        weight_sum = 0.0
        term_minlength: int | None = None
        term_maxlength = 0
        term_maxweight: Any = 0
        step = 3 * self.limit
        end = len(postings)
        for b in range(0, end, step):
            ids = postings[b : b + step : 3]
            raw_weights = postings[b + 1 : b + step : 3]
            weights = array("f", raw_weights)
            if fixed is None or fixed < 0:
                values: Any = tuple(filter(None, postings[b + 2 : b + step : 3]))
            elif fixed == 0:
                values = None
            else:
                values = b"".join(postings[b + 2 : b + step : 3])
            first = weights[0]
            if weights.count(first) == len(weights):
                mini_weights: Any = None if first == 1.0 else first
            else:
                # Whole numbers, most blocks: compared at once, not tested one by one.
                whole = list(map(int, weights))
                same = whole == weights.tolist()
                mini_weights = tuple(whole) if same else tuple(map(_whole, weights))
            deltas = (ids[0], *map(sub, ids[1:], ids))
            data, compressed = _deflated(
                _dumps((deltas, mini_weights, values), _BLOCK_PROTOCOL), compression
            )
            maxweight = max(raw_weights)
            if maxweight <= 0:  # Whoosh's starts from 0
                maxweight = 0
            minlength: int | None
            if lengths:
                if not isinstance(lengths, dict):
                    lens = list(map(lengths.__getitem__, ids))
                else:
                    lens = list(map(lengths.get, ids, repeat(0)))
                minlength = min(lens)
                if not minlength:  # Whoosh's blocks skip lengths of 0
                    nonzero = [n for n in lens if n]
                    minlength = min(nonzero) if nonzero else None
                maxlength = max(lens)
            else:
                minlength, maxlength = None, 0
            header = _dumps(
                (
                    len(ids),
                    ids[-1],
                    _whole(maxweight),
                    compressed,
                    _length_byte(minlength),
                    _length_byte(maxlength),
                ),
                2,
            )
            size = len(header) + len(data)
            out += (_INT(-size if b + step >= end else size), header, data)
            # What W3TermInfo.add_block records of each block.
            weight_sum += sum(weights)
            if term_minlength is None:
                term_minlength = minlength
            elif minlength is not None:
                term_minlength = min(term_minlength, minlength)
            term_maxlength = max(term_maxlength, maxlength)
            term_maxweight = max(term_maxweight, maxweight)
        raw = b"".join(out)
        # W3TermInfo.to_bytes of a term whose postings are not inlined.
        info = _TERMINFO(
            0,
            weight_sum,
            end // 3,
            _length_byte(term_minlength),
            _length_byte(term_maxlength),
            term_maxweight,
            postings[0],
            postings[-3],
        )
        self._add(text, info, raw)

    def _write_one(self, text: bytes, posting: list[Any], lengths: _FieldLengths | None) -> None:
        """:meth:`write` for a term in one document, most terms: one block of one posting."""
        docnum, weight, value = posting
        fixed = self.fixed
        if fixed is None or fixed < 0:
            values: Any = (value,) if value else ()
        else:
            values = None if fixed == 0 else value
        stored_weight = weight if weight == 1.0 else array("f", (weight,))[0]  # float32
        maxweight = weight if weight > 0 else 0
        if not lengths:
            length = 0
        elif not isinstance(lengths, dict):
            length = lengths[docnum]
        else:
            length = lengths.get(docnum, 0)
        length_byte = _length_byte(length or None)
        data, compressed = _deflated(
            _dumps(
                ((docnum,), None if stored_weight == 1.0 else stored_weight, values),
                _BLOCK_PROTOCOL,
            ),
            self.compression,
        )
        header = _dumps((1, docnum, _whole(maxweight), compressed, length_byte, length_byte), 2)
        raw = WHOOSH3_HEADER_MAGIC + _INT(-len(header) - len(data)) + header + data
        info = _TERMINFO(0, stored_weight, 1, length_byte, length_byte, maxweight, docnum, docnum)
        self._add(text, info, raw)

    def _add(self, text: bytes, info: bytes, raw: bytes) -> None:
        """Write a term's postings and its term index entry (as OrderedHashWriter.add)."""
        self.postfile.write(raw)
        key = self.field_key + text
        value = info + _EXTENT(self.post_at, len(raw))
        tindex = self.tindex
        if key <= tindex.lastkey:
            raise ValueError(f"terms out of order: {tindex.lastkey!r} .. {key!r}")
        tindex.index.append(self.term_at)
        self.termfile.write(_KEY_VALUE_LENGTHS(len(key), len(value)) + key + value)
        h = tindex.hashfn(key)
        tindex.buckets[h & 255].append((h, self.term_at))
        tindex.lastkey = key
        self.term_at += _KEY_VALUE_LENGTHS_SIZE + len(key) + len(value)
        self.post_at += len(raw)


# Segments fall into size classes (``_merge.merge_policy``): "small" below _SMALL_DOCS
# documents, then one class per factor of _FANOUT.  _MIN_MERGE small segments, or _FANOUT
# of one larger class, merge.
_SMALL_DOCS = 2000
_MIN_MERGE = 3
_FANOUT = 16
