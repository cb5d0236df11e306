"""A page of ranked documents -> :class:`Hit` values, at a cost in proportion to the page.

Each document's stored record is read once (:class:`Records`: ranking reads a few to
break ties, and the page reuses them), and the highlight spans of every English hit of
the page are found in one pass (:func:`~searchkit.analysis.spans.page_spans`); hits in
other languages use their language's span finder, one hit at a time.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from typing import Any

from whoosh import query as wq
from whoosh.searching import Searcher

from . import _colcache, _whoosh
from ._decoded import record_reader
from ._later import Deferred, Part
from ._limits import Deadline
from ._stored import chunk_from_stored, chunk_kwargs
from .analysis import highlight_spans
from .analysis.languages import body_field, span_finder
from .analysis.spans import Spans, page_spans
from .models import Chunk, Hit
from .schema import HIGHLIGHT_FIELDS, STOP_FIELD

__all__ = ["NO_HIGHLIGHT", "Highlight", "Records", "build_hits", "highlight_terms", "neighbours"]

# Index terms to highlight, stop words to highlight, and each other language's terms by
# its body field (and under ``title`` the title field's own terms, which a hit in another
# language marks in its title: that field is read in English whatever the language).
Highlight = tuple[frozenset[str], frozenset[str], dict[str, frozenset[str]]]
# Nothing to highlight (``search(..., highlight=False)``).
NO_HIGHLIGHT: Highlight = (frozenset(), frozenset(), {})


class Records:
    """The stored records of one query's documents, each read from the index once."""

    def __init__(self, searcher: Searcher) -> None:
        self.read: Callable[[int], dict[str, Any]] = _record_reader(searcher)
        self.seen: dict[int, dict[str, Any]] = {}

    def __call__(self, docnum: int) -> dict[str, Any]:
        found = self.seen.get(docnum)
        if found is None:
            found = self.seen[docnum] = self.read(docnum)
        return found


def _record_reader(searcher: Searcher) -> Callable[[int], dict[str, Any]]:
    """``searcher.stored_fields``, reading each segment's records directly.

    Whoosh's own keeps only the fields its schema has, asking the schema once for every
    field of every record; here each field name is asked about once.  Falls back to
    Whoosh's method when its readers are not shaped as expected.
    """
    fallback: Callable[[int], dict[str, Any]] = searcher.stored_fields
    reader = searcher.reader()
    try:
        if reader.is_atomic():
            segments, offsets = [_whoosh.per_document_reader(reader)], [0]
        else:
            segments = [_whoosh.per_document_reader(r) for r in reader.readers]
            offsets = list(reader.doc_offsets)
    except AttributeError:
        return fallback
    if not all(hasattr(s, "stored_fields") for s in segments):
        return fallback
    schema = searcher.schema
    known: set[str] = set()  # names the schema has (most records hold no other)
    # Each segment's reader of records, made when the page first reads one of them.
    readers: list[Callable[[int], dict[str, Any]] | None] = [None] * len(segments)

    def read(docnum: int) -> dict[str, Any]:
        i = bisect_right(offsets, docnum) - 1
        reader = readers[i]
        if reader is None:
            reader = readers[i] = record_reader(segments[i])
        record = reader(docnum - offsets[i])
        if known.issuperset(record):
            return record
        known.update(name for name in record if name in schema)
        return {name: value for name, value in record.items() if name in known}

    return read


def highlight_terms(q: wq.Query, searcher: Searcher) -> Highlight:
    """The index terms a hit's words are matched against, the stop words (a query made
    only of stop words searches them in their own field), and the terms of each other
    language's body field."""
    # expand=True turns wildcards and fuzzy terms into the index words they matched.  Leaf
    # by leaf: Whoosh's loop over a whole tree skips every field after the first it meets.
    reader = searcher.reader()
    held: dict[str, list[Any] | None] = {}  # each field's columns in every segment, if open
    found = {t for leaf in q.leaves() for t in _existing_terms(leaf, searcher, reader, held)}
    words = [(f, t.decode("utf-8") if isinstance(t, bytes) else str(t)) for f, t in found]
    languages: dict[str, set[str]] = {}
    for f, t in words:
        if f.startswith("body_") or f == "title":
            languages.setdefault(f, set()).add(t)
    return (
        frozenset(t for f, t in words if f in HIGHLIGHT_FIELDS),
        frozenset(t for f, t in words if f == STOP_FIELD),
        {f: frozenset(ts) for f, ts in languages.items()},
    )


def _existing_terms(
    leaf: wq.Query, searcher: Searcher, reader: Any, held: dict[str, list[Any] | None]
) -> Any:
    """``leaf.existing_terms(reader, True, True)``; a word's from the column caches its
    search opened, when every segment has them (a dictionary look-up each, where Whoosh
    reads each segment's term table from its file).  ``held`` keeps each field's columns
    for the query's other words."""
    if type(leaf) is wq.Term and isinstance(leaf.text, str):
        field = leaf.fieldname
        if field not in held:
            segments = [sub for sub, _offset in reader.leaf_readers()]
            opened = [_colcache.opened(sub, field) for sub in segments]
            ready = segments and all(cols is not None for cols in opened)
            held[field] = opened if ready else None
        columns = held[field]
        if columns is not None:
            key = searcher.schema[field].to_bytes(leaf.text)
            if any(cols.term(key) is not None for cols in columns):
                return {(field, leaf.text)}
            return set()
    return leaf.existing_terms(reader, True, True)


def build_hits(
    searcher: Searcher,
    entries: Sequence[Sequence[tuple[float, int]]],
    first_rank: int,
    terms: Highlight,
    context: int,
    records: Records,
    deadline: Deadline,
    more_counts: Sequence[int] = (),
) -> tuple[Hit, ...]:
    """One :class:`Hit` per entry (a ranked document and, grouped, its document's further
    chunks in ``more``), ranked from ``first_rank``; the ``i``-th's ``more_count`` is
    ``more_counts[i]`` (its document's other matching chunks, when collapsed).  When
    ``deadline`` passes, the entries not yet read are left out.

    The hits' highlights are found when one of them is first read, for the whole page at
    once (``_later.py``): a caller reading ids and text does not pay for them."""
    page: list[list[tuple[float, dict[str, Any]]]] = []
    for i, entry in enumerate(entries):
        if i and deadline.passed():
            break
        page.append([(score, records(docnum)) for score, docnum in entry])
    stored = [record for entry in page for _score, record in entry]
    marks: list[_Marks] = [((), (), ())] * len(stored)
    if terms[0] or terms[1] or terms[2]:
        found = Deferred(lambda: list(map(_highlights, stored, _spans(stored, terms))))
        marks = [
            (Part(found, i, 0), Part(found, i, 1), Part(found, i, 2)) for i in range(len(stored))
        ]
    out: list[Hit] = []
    at = 0
    for i, read in enumerate(page):
        rank = first_rank + i
        more = tuple(
            _hit(searcher, record, score, rank, marks[at + j], 0)
            for j, (score, record) in enumerate(read[1:], 1)
        )
        score, record = read[0]
        count = more_counts[i] if i < len(more_counts) else 0
        out.append(_hit(searcher, record, score, rank, marks[at], context, more, count))
        at += len(read)
    return tuple(out)


# A hit's highlights, spans in its text and spans in its title (or what stands for them
# until read: a ``_later.Part`` each).
_Marks = tuple[Any, Any, Any]


def _highlights(stored: dict[str, Any], spans: tuple[Spans, Spans]) -> _Marks:
    """A hit's highlights (the matched words as written, title first, each once) and its
    text and title spans."""
    text: str = stored["text"]
    title: str = stored["title"]
    text_spans, title_spans = spans
    words: dict[str, None] = {}
    for s, e in title_spans:
        words.setdefault(title[s:e], None)
    for s, e in text_spans:
        words.setdefault(text[s:e], None)
    return tuple(words), text_spans, title_spans


def _spans(stored: Sequence[dict[str, Any]], terms: Highlight) -> list[tuple[Spans, Spans]]:
    """Each record's ``(text spans, title spans)``: English records in one pass."""
    english = [i for i, record in enumerate(stored) if body_field(record.get("language")) == "body"]
    texts = [stored[i][key] for i in english for key in ("text", "title")]
    found = page_spans(texts, terms[0], terms[1])
    out: list[tuple[Spans, Spans]] = [((), ())] * len(stored)
    for n, i in enumerate(english):
        out[i] = (found[2 * n], found[2 * n + 1])
    for i, record in enumerate(stored):
        language = record.get("language")
        field = body_field(language)
        if field != "body":  # the title and text of a hit in another language, in its analysis
            find, mine = span_finder(language), terms[2].get(field, frozenset())
            title = record["title"]
            spans = list(find(title, mine))
            spans += highlight_spans(title, terms[2].get("title", frozenset()))  # title:word
            out[i] = (tuple(find(record["text"], mine)), _joined(spans))
    return out


def _joined(spans: list[tuple[int, int]]) -> Spans:
    """``spans`` in order, those that overlap or touch made one."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return tuple(out)


def _hit(
    searcher: Searcher,
    stored: dict[str, Any],
    score: float,
    rank: int,
    marks: _Marks,
    context: int,
    more: tuple[Hit, ...] = (),
    more_count: int = 0,
) -> Hit:
    before: Sequence[Chunk] = ()
    after: Sequence[Chunk] = ()
    if context:
        before, after = neighbours(
            searcher, stored["doc_id"], stored["paragraph"], stored.get("seq", 1), context
        )
    highlights, text_spans, title_spans = marks
    return Hit(
        **chunk_kwargs(stored),
        score=float(score),
        rank=rank,
        highlights=highlights,
        spans=text_spans,
        title_spans=title_spans,
        before=tuple(before),
        after=tuple(after),
        more=more,
        more_count=more_count,
    )


def neighbours(
    searcher: Searcher, doc_id: str, paragraph: int, seq: int, n: int
) -> tuple[list[Chunk], list[Chunk]]:
    """The ``n`` chunks before and after chunk ``seq`` (in ``paragraph``) of a document.

    A document's chunks are written together, in order, so their document numbers sort
    as their places do: the neighbours are read by position among the document's own
    postings, ``2n + 1`` stored records at most.  Should the order ever differ, every
    chunk of the document is read and sorted instead.
    """
    docnums = sorted(searcher.docs_for_query(wq.Term("doc_id", doc_id)))
    lo, hi = max(0, seq - 1 - n), min(len(docnums), seq + n)
    chunks = [chunk_from_stored(searcher.stored_fields(d)) for d in docnums[lo:hi]]
    if [c.seq for c in chunks] != list(range(lo + 1, hi + 1)):
        every = (chunk_from_stored(searcher.stored_fields(d)) for d in docnums)
        chunks = sorted((c for c in every if abs(c.seq - seq) <= n), key=lambda c: c.seq)
    before = [c for c in chunks if seq - n <= c.seq < seq]
    after = [c for c in chunks if seq < c.seq <= seq + n]
    return before, after
