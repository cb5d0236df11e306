"""How searchkit writes Whoosh segments: the same index Whoosh's writer makes, faster.

- :class:`SegmentWriter` inverts documents in memory (one posting list per term) instead
  of sorting a pool of posting tuples, analyses text without Whoosh token objects
  (``schema.indexer``), and writes each term's posting blocks, term information and
  term-index entry in one piece (``_termwriter.TermWriter``).  Past ``limitmb`` it hands its
  postings to Whoosh's pool, which spills sorted runs to disk.
- Posting blocks are pickled with protocol 3 (Whoosh's protocol 2 has no bytes type).
  Stored records are JSON, deflated in blocks (``_records.py``); posting blocks of
  ``_termwriter.DEFLATE_BLOCKS`` bytes or more are deflated at zlib's fastest level, a third
  of their size (document numbers and positions repeat a lot).  Readers need no setting:
  pickles say their protocol, each posting block whether it is compressed.
- Flushing through the pool reads each length column once (:class:`_Lengths`), where
  Whoosh's asks the file system about a column once per posting.

:func:`writer` also offers Whoosh's multi-process writer (``procs`` > 1, Linux only), made
safe to kill and cancel in ``_mpwriter.py``.  Merging segments is ``_merge.py``'s.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from whoosh import writing as wwriting
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import UnknownFieldError
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import IndexingError

from . import _colbuild, _colcache, _commits, _records, _whoosh, semantic
from ._settings import writes_vectors
from ._termwriter import TermWriter
from .schema import BodyField, Posting, TextTerms, indexer, memoized

__all__ = ["SegmentWriter", "codec"]

_BYTE_TO_LENGTH = [byte_to_length(b) for b in range(256)]


def codec() -> W3Codec:
    """Whoosh's default codec, deflating posting blocks at zlib's fastest level (Whoosh's
    own writer, used for spills and the merges ``_merge.py`` cannot copy, deflates every
    block of 20 bytes or more; ``TermWriter`` those of ``DEFLATE_BLOCKS``)."""
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


_LENGTH_BYTES = [length_to_byte(n) for n in range(4096)]


def length_byte(length: int) -> int:
    """Whoosh's ``length_to_byte`` of a length of 1 or more, from a table for common
    lengths: what a field's length column and its posting blocks record."""
    return _LENGTH_BYTES[length] if length < 4096 else length_to_byte(length)  # type: ignore[no-any-return]


# Estimated bytes held in memory, for the ``limitmb`` bound: a posting (its list slots
# and encoded positions' object; whole weights are shared floats), each position in the
# encoding, a new term.  (A document's length in a field is one byte.)
_POSTING_BYTES = 64
_POSITION_BYTES = 3
_TERM_BYTES = 160


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
        # Field -> a length byte per document of the segment (0: none; merged documents
        # none), which its posting blocks record, and the sum of those from
        # ``_lengths_from`` on: written to the field's length column at once when the
        # segment is (or before merged documents arrive), not a column write per document.
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
                        lengths = length_bytes.get(name)
                        if lengths is None:
                            lengths = length_bytes[name] = bytearray()
                        missing = docnum - len(lengths)
                        if missing:
                            lengths += bytes(missing)
                        lengths.append(length_byte(length))
                        totals[name] = totals.get(name, 0) + length
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
        self._memory = 0
        if to_disk and self.pool.current:
            self.pool.save()

    def _write_lengths(self) -> None:
        """Write the field lengths of the documents since ``_lengths_from`` to their
        columns."""
        start = self._lengths_from
        for name, data in self._length_bytes.items():
            if len(data) > start:  # a document since has a length
                total = self._length_totals[name]
                _whoosh.append_lengths(self.perdocwriter, name, start, data[start:], total)
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
        out = TermWriter(fw)
        for name in sorted(self._inverted):
            terms = self._inverted[name]
            lengths = self._length_bytes.get(name)
            if lengths is not None and len(lengths) < self.docnum:  # the last have none
                lengths += bytes(self.docnum - len(lengths))
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
        self._length_bytes.clear()


# Segments fall into size classes (``_merge.merge_policy``): "small" below _SMALL_DOCS
# documents, then one class per factor of _FANOUT.  _MIN_MERGE small segments, or _FANOUT
# of one larger class, merge.
_SMALL_DOCS = 2000
_MIN_MERGE = 3
_FANOUT = 16
