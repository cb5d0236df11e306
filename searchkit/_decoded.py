"""Checks on what Whoosh's pickles decode to: the table of contents and stored records.

The allow-list unpickler (``_unpickle``) decides which objects a pickle may build; this
module decides whether what it built is a table of contents or a record searchkit could
have written.  Whoosh takes both on trust: a segment list that is an integer, a segment
named ``../../victim``, a document count of a billion, or a record whose text is a
number would reach its readers and fail (or run) far from the file.  Anything that does
not fit is :class:`~searchkit._unpickle.DamagedPickleError`, which ``damage_guard``
reports as ``IndexDamagedError`` naming the index.

:func:`install` wraps Whoosh's ``TOC.read`` and the W3 codec's ``stored_fields``.  Records
are read as ``_records`` stores them where searchkit's writers wrote them (JSON in
blocks, not pickles), and checked in searchkit's indexes only (the segments of tables of
contents read through :class:`IndexStorage`): a program may use Whoosh itself, with its
own fields and Whoosh's own records, beside searchkit.
"""

from __future__ import annotations

import collections
import datetime as dt
import operator
import re
import weakref
from collections.abc import Callable
from typing import Any

from whoosh.codec.whoosh3 import W3Codec, W3PerDocReader, W3Segment
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC

from . import _records, _whoosh
from ._unpickle import DamagedPickleError

__all__ = ["IndexStorage", "check_record", "install", "record_reader", "segments"]


class IndexStorage(FileStorage):  # type: ignore[misc]
    """The files of a searchkit index's data folder: Whoosh's own storage, whose stored
    records are checked as searchkit writes them (:func:`check_record`)."""


# The segments of searchkit's indexes, as their tables of contents were read.  A segment
# a writer has just made is not here until the commit's table is read: its records are
# the writer's own.
_CHECKED: weakref.WeakSet[W3Segment] = weakref.WeakSet()


# Whoosh names a segment <index name>_<random id> from these characters.
_SEGMENT_ID = re.compile(r"[0-9a-z]{1,64}")
_INDEX_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")
_MAX_SEGMENTS = 100_000
_MAX_DOCS = 2**31 - 1  # Whoosh's document numbers are 32-bit
_SEGMENT_KEYS = frozenset(
    {"indexname", "segid", "_codec", "_doccount", "_deleted", "compound", "_fieldlengths"}
)
_CODEC_KEYS = ("_blocklimit", "_compression", "_inlinelimit")


def _damaged(what: str) -> DamagedPickleError:
    return DamagedPickleError(f"table of contents: {what}")


def _int(value: object, lo: int, hi: int, what: str) -> int:
    if type(value) is not int or not lo <= value <= hi:
        raise _damaged(f"{what} is {value!r:.40}, not a whole number from {lo} to {hi}")
    return value


def segments(decoded: object, indexname: str, storage: Any) -> list[W3Segment]:
    """The segment list of a table of contents, rebuilt as plain Whoosh objects once
    every value is of its type and range and each document count agrees with the
    segment's files."""
    if type(decoded) is not list or len(decoded) > _MAX_SEGMENTS:
        raise _damaged(f"the segment list is a {type(decoded).__name__}")
    found: list[W3Segment] = []
    seen: set[str] = set()
    for item in decoded:
        state = getattr(item, "__dict__", None)
        if not isinstance(item, W3Segment) or not isinstance(state, dict):
            raise _damaged(f"a segment is a {type(item).__name__}")
        if not {"indexname", "segid", "_codec", "_doccount"} <= set(state) <= _SEGMENT_KEYS:
            raise _damaged("a segment has other attributes than Whoosh writes")
        name, segid = state["indexname"], state["segid"]
        if name != indexname or type(segid) is not str or not _SEGMENT_ID.fullmatch(segid):
            raise _damaged(f"segment name {name!r:.40}_{segid!r:.40} is not one Whoosh makes")
        if segid in seen:
            raise _damaged(f"segment {segid} is listed twice")
        seen.add(segid)
        codec = state["_codec"]
        if not isinstance(codec, W3Codec) or set(vars(codec)) != set(_CODEC_KEYS):
            raise _damaged(f"segment {segid} has a codec of type {type(codec).__name__}")
        docs = _int(state["_doccount"], 0, _MAX_DOCS, f"segment {segid}'s document count")
        deleted = state.get("_deleted")
        if deleted is not None:
            if type(deleted) not in (set, frozenset) or len(deleted) > docs:
                raise _damaged(f"segment {segid}'s deletions are not a set of documents")
            for d in deleted:
                _int(d, 0, docs - 1, f"a deleted document of segment {segid}")
            deleted = set(deleted)
        compound = state.get("compound", False)
        if type(compound) is not bool:
            raise _damaged(f"segment {segid}'s compound flag is {compound!r:.40}")
        lengths = state.get("_fieldlengths", {})
        if not isinstance(lengths, dict) or not all(
            type(k) is str and type(v) is int and 0 <= v < 2**63 for k, v in lengths.items()
        ):
            raise _damaged(f"segment {segid}'s field lengths are not numbers by field")
        segment = W3Segment(
            W3Codec(*(_int(vars(codec)[k], -1, 2**16, f"codec {k}") for k in _CODEC_KEYS)),
            indexname,
            docs,
            segid,
            deleted,
        )
        segment.compound = compound
        _whoosh.set_field_lengths(segment, collections.defaultdict(int, lengths))
        _check_count(segment, storage)
        found.append(segment)
    return found


def _check_count(segment: W3Segment, storage: Any) -> None:
    """A segment's document count against its files: the stored-records column keeps at
    least one byte a document, a length column at most one.  A missing segment file is
    left to Whoosh (a writer may just have merged it away), and so is a compound file
    whose directory is damaged (Whoosh's reader meets it, ``check`` its checksum)."""
    files: Any = storage
    if segment.compound:
        try:
            files = segment.open_compound_file(storage)
        except Exception:
            return
    try:
        docs = segment.doc_count_all()
        prefix = segment.segment_id() + "."
        names = [name for name in files.list() if name.startswith(prefix)]
        stored = prefix + "_stored.col"
        if docs and segment.compound and stored not in names:
            raise _damaged(f"segment {segment.segid} counts {docs} documents but stores none")
        # A compound file's directory naming no term table or postings is damaged (else
        # Whoosh looks for them as files of their own, and reports them missing).
        for kind in ("trm", "pst"):
            if docs and segment.compound and prefix + kind not in names:
                raise _damaged(f"segment {segment.segid} has no {kind} file in its directory")
        for name in names:
            try:
                size = files.file_length(name)
            except (KeyError, TypeError, IndexError):  # its directory entry lacks a length
                size = None
            if not isinstance(size, int) or size < 0:
                raise _damaged(f"segment {segment.segid}'s directory has no length for {name}")
            if (name == stored and size <= docs) or (name.endswith("_len.col") and size > docs):
                raise _damaged(
                    f"segment {segment.segid} counts {docs} documents, "
                    f"which its file {name} of {size} bytes cannot hold"
                )
    finally:
        if files is not storage:
            files.close()


# Stored field -> the types its value may have (searchkit's schema).
_STR, _INT = (str,), (int,)
_RECORD: dict[str, tuple[type, ...]] = {
    **dict.fromkeys(
        ("chunk_id", "doc_id", "path", "language", "title", "text", "author", "source_url"),
        _STR,
    ),
    **dict.fromkeys(("domain", "content_hash", "disclaimer", "format", "encoding"), _STR),
    **dict.fromkeys(("paragraph", "part", "seq", "start", "end", "record_line"), _INT),
    **dict.fromkeys(("size", "mtime_ns", "inode", "file_documents", "paragraphs", "chunks"), _INT),
    "authors": (list, tuple),
    "published": (dt.datetime,),
    "page": _INT,
    "chapter": _STR,
    "code": (list, tuple),
}
_REQUIRED = ("chunk_id", "doc_id", "path", "paragraph", "start", "end", "title", "text")


def _is_span(span: object) -> bool:
    """Whether ``span`` is a code span's ``[start, end]``."""
    return (
        type(span) in (list, tuple)
        and len(span) == 2  # type: ignore[arg-type]
        and all(type(n) is int and n >= 0 for n in span)  # type: ignore[attr-defined]
    )


def check_record(record: object) -> dict[str, Any]:
    """``record`` when it is a stored record searchkit writes, else the damage.

    Records come in a few shapes (an index's chunks have the same fields, of the same
    types): the kinds of a shape are checked once (:func:`_check_fields`), and what a
    shape leaves open (the whole numbers' signs, the authors' and code spans' items) for
    each record, through C calls (12 against 3 us a SciFact abstract's record)."""
    if type(record) is not dict:
        raise DamagedPickleError(f"a stored record is a {type(record).__name__}, not a dict")
    shape = (tuple(record), tuple(map(type, record.values())))
    left = _SHAPES.get(shape)
    if left is None:
        _check_fields(record)
        if len(_SHAPES) >= _MAX_SHAPES:
            _SHAPES.clear()
        left = _SHAPES[shape] = _left_to_check(record)
    whole_numbers, authors, code = left
    if (
        min(whole_numbers(record)) < 0
        or (authors and not _TEXT.issuperset(map(type, record["authors"])))
        or (code and not all(map(_is_span, record["code"])))
    ):
        _check_fields(record)  # says what is wrong
    return record


# (field names, their values' types) of records whose kinds were checked -> what is left
# to check of a record of that shape (:func:`_left_to_check`).
_Left = tuple[Callable[[dict[str, Any]], tuple[int, ...]], bool, bool]
_SHAPES: dict[tuple[tuple[str, ...], tuple[type, ...]], _Left] = {}
_MAX_SHAPES = 512
_TEXT = frozenset({str})


def _left_to_check(record: dict[str, Any]) -> _Left:
    """What :func:`check_record` checks of each record shaped as ``record``: its whole
    numbers (``_REQUIRED`` has three, so the getter gives a tuple), and whether it has
    authors and code spans."""
    numbers = [key for key in record if _RECORD.get(key) is _INT]
    return operator.itemgetter(*numbers), "authors" in record, "code" in record


def _check_fields(record: dict[str, Any]) -> None:
    """Raise the damage of ``record`` (a dict), if any: a field missing, or one whose
    value is not what searchkit writes."""
    for key in _REQUIRED:
        if key not in record:
            raise DamagedPickleError(f"a stored record has no {key!r}")
    for key, value in record.items():
        kinds = _RECORD.get(key)
        if kinds is None:
            continue  # a field searchkit does not read
        if type(value) not in kinds or (kinds is _INT and value < 0):
            raise DamagedPickleError(
                f"a stored record's {key!r} is {type(value).__name__} {value!r:.40}"
            )
        if key == "authors" and not all(type(a) is str for a in value):
            raise DamagedPickleError("a stored record's 'authors' are not all text")
        if key == "code" and not all(_is_span(span) for span in value):
            raise DamagedPickleError("a stored record's 'code' is not a list of spans")


def record_reader(perdoc: Any) -> Callable[[int], dict[str, Any]]:
    """``perdoc.stored_fields`` as :func:`install` makes it, with the segment's records
    and whether they are checked found once (a page of hits reads ten records of a few
    segments; looking both up for each record was a tenth of reading it)."""
    records = _records.records_of(perdoc)
    if records is None:  # pickles, as Whoosh's own writer writes them
        read: Callable[[int], dict[str, Any]] = perdoc.stored_fields
        return read
    checked = _whoosh.perdoc_segment(perdoc) in _CHECKED

    def read_record(docnum: int) -> dict[str, Any]:
        found = records[docnum]
        record = found if found is not None else {}
        return check_record(record) if checked else record

    return read_record


def install() -> None:
    """Check every table of contents and stored record Whoosh reads, and read the records
    searchkit's writers wrote as ``_records`` stores them.  Idempotent."""
    if getattr(TOC.read, "_searchkit", False):
        return
    read = TOC.read.__func__

    def checked_read(cls: Any, storage: Any, indexname: str, *args: Any, **kwargs: Any) -> Any:
        toc = read(cls, storage, indexname, *args, **kwargs)
        toc.segments = segments(toc.segments, indexname, storage)
        if isinstance(storage, IndexStorage):
            _CHECKED.update(toc.segments)
        return toc

    checked_read._searchkit = True  # type: ignore[attr-defined]
    TOC.read = classmethod(checked_read)
    stored = W3PerDocReader.stored_fields

    def stored_fields(self: Any, docnum: int) -> dict[str, Any]:
        records = _records.records_of(self)
        if records is None:  # pickles, as Whoosh's own writer writes them
            record: dict[str, Any] = stored(self, docnum)
        else:
            found = records[docnum]
            record = found if found is not None else {}
        if _whoosh.perdoc_segment(self) in _CHECKED:
            return check_record(record)
        return record  # an index of the program's own, with its own fields

    W3PerDocReader.stored_fields = stored_fields
