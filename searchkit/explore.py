"""Looking around a collection: facets, date histograms, more like this, completion.

Everything here works on Whoosh document numbers (one per chunk) and returns searchkit
values.  Facets and histograms count over **every** match of a query after its filters,
never over one page: the matches are the document numbers the query and the filter
select (:func:`matching_docnums`), read straight from the index, and each is mapped to
its document through per-segment tables (:class:`_SegmentTable`) built once per segment
from the index's columns and posting lists, then kept while the segment lives.

Counting articles rather than paragraphs means counting distinct ``doc_id`` s: a
document with three matching paragraphs counts once, and a document with two authors
counts once under each.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import weakref
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
from whoosh import query as wq
from whoosh.searching import Searcher

from . import _whoosh
from ._columns import answered_before, column_scores
from ._stored import chunk_from_stored
from ._topk import all_matches
from ._types import (
    DEFAULT_FACET_LIMIT,
    FACETS,
    INTERVALS,
    Interval,
    SearchRequest,
    SimilarRequest,
)
from .analysis import normalize_name
from .analysis.languages import body_field, position_adder
from .completion import complete, complete_over
from .errors import FilterError, NotFoundError
from .explain import explain as explain_terms
from .explain import find_docnum
from .models import Bucket, Chunk, Hit, Results

__all__ = [
    "DEFAULT_FACET_LIMIT",
    "FACETS",
    "INTERVALS",
    "MAX_BUCKETS",
    "Interval",
    "annotate",
    "complete",
    "complete_over",
    "count_facets",
    "date_histogram",
    "merge_facets",
    "merge_histograms",
    "matching_docnums",
    "similar_query",
    "similar_query_over",
]

# A histogram longer than this is refused: dates come from untrusted files, and a day
# histogram from year 1 to 9999 would be millions of buckets.
MAX_BUCKETS = 10_000


def matching_docnums(searcher: Searcher, q: wq.Query, filter: wq.Query | None) -> list[int]:
    """Every chunk (document number, ascending) that ``q`` matches and ``filter`` keeps.

    The matches of :func:`searchkit._topk.all_matches`, the one definition of a query's
    matches that every search path starts from, so facets and histograms count exactly
    the chunks the search's ``total`` counts.  Once the searcher has answered a query,
    its columns give the same set as one array (``_columns.column_scores``, held equal to
    ``all_matches`` by the tests) without scoring each chunk in Python.
    """
    found = column_scores(searcher, q, filter) if answered_before(searcher) else None
    if found is not None:
        import numpy as np

        return np.flatnonzero(found[1]).tolist()
    return sorted(all_matches(searcher, q, filter))


# -- per-segment tables ------------------------------------------------------------------


class _SegmentTable:
    """What one segment says about each of its chunks, read once and kept.

    ``doc_ids`` and ``dates`` come from the segment's columns (one value a chunk);
    ``authors`` and ``sources`` from the posting lists of ``author_key`` and ``domain``,
    whose terms are few, so inverting them costs one pass over their postings.
    """

    def __init__(self, reader: Any) -> None:
        # Weakly: the tables are kept in a WeakKeyDictionary keyed by the reader, and a
        # strong reference from a value to its key would keep both for ever.
        self._reader = weakref.ref(reader)
        self._doc_ids: list[str] | None = None
        self._raw_dates: list[int] | None = None
        self._dates: dict[int, dt.datetime] = {}  # raw column value -> date, as read
        self._by_term: dict[str, dict[int, list[str]]] = {}

    @property
    def reader(self) -> Any:
        reader = self._reader()
        if reader is None:  # pragma: no cover - a table is only used with its reader
            raise RuntimeError("the segment reader of this table is gone")
        return reader

    def doc_ids(self) -> list[str]:
        if self._doc_ids is None:
            self._doc_ids = _whoosh.column_values(self.reader, "doc_id")
        return self._doc_ids

    def date(self, d: int) -> dt.datetime | None:
        """Chunk ``d``'s date (``None`` when it has none): the column read whole once, a
        value turned into a date when first asked for (a search counts its matches' dates,
        not the index's)."""
        field = self.reader.schema["published"]
        if self._raw_dates is None:
            self._raw_dates = _whoosh.column_values(self.reader, "published", translate=False)
        value = self._raw_dates[d]
        if value == field.default:
            return None
        found = self._dates.get(value)
        if found is None:
            found = self._dates[value] = field.from_column_value(value)
        return found

    def values(self, facet: str, d: int) -> list[str]:
        """The values of ``facet`` chunk ``d`` has (author keys, a domain, a folder, a
        format, a year or a month; none when it has no author, source, folder or date)."""
        field = _FACET_FIELDS.get(facet)
        if field is not None:
            return self.terms(field).get(d, [])
        when = self.date(d)
        if when is None:
            return []
        return [f"{when.year:04d}" if facet == "year" else f"{when.year:04d}-{when.month:02d}"]

    def terms(self, field: str) -> dict[int, list[str]]:
        """Chunk number -> the terms of ``field`` it holds (only chunks holding any)."""
        found = self._by_term.get(field)
        if found is None:
            found = {}
            for term in self.reader.lexicon(field):
                text = term.decode("utf-8")
                for d in self.reader.postings(field, term).all_ids():
                    found.setdefault(d, []).append(text)
            self._by_term[field] = found
        return found


# The facets read from an indexed field's terms, and that field.
_FACET_FIELDS = {
    "author": "author_key",
    "source": "domain",
    "folder": "directory",
    "format": "format",
}

_TABLES: weakref.WeakKeyDictionary[Any, _SegmentTable] = weakref.WeakKeyDictionary()


def _tables(
    searcher: Searcher, docnums: Sequence[int]
) -> Iterable[tuple[_SegmentTable, list[int]]]:
    """Each segment's table with the segment-local numbers of ``docnums`` (ascending)."""
    leaves = searcher.leaf_searchers()
    offsets = [offset for _, offset in leaves]
    for i, (sub, offset) in enumerate(leaves):
        end = offsets[i + 1] if i + 1 < len(offsets) else math.inf
        lo = bisect.bisect_left(docnums, offset)
        hi = bisect.bisect_left(docnums, end) if end != math.inf else len(docnums)
        if lo == hi:
            continue
        reader = sub.reader()
        table = _TABLES.get(reader)
        if table is None:
            table = _TABLES[reader] = _SegmentTable(reader)
        yield table, [d - offset for d in docnums[lo:hi]]


# -- facets ------------------------------------------------------------------------------


def count_facets(
    searcher: Searcher,
    docnums: Sequence[int],
    facets: Sequence[str],
    limit: int = DEFAULT_FACET_LIMIT,
) -> dict[str, dict[str, int]]:
    """``{facet: {value: articles}}`` over the chunks ``docnums`` (ascending).

    Each value counts the distinct documents among the chunks that have it; the
    ``limit`` values with most documents are kept, ties by name.  Chunks without a
    value (no author, no date) count under no value.  A document's metadata is the same
    on all its chunks, so one chunk of each document is read.
    """
    documents = _one_chunk_each(searcher, docnums)
    out: dict[str, dict[str, int]] = {}
    for name in facets:
        counts: Counter[str] = Counter()
        for table, d in documents:
            counts.update(table.values(name, d))
        ranked = sorted(counts.items(), key=lambda c: (-c[1], c[0]))[:limit]
        if name == "author":
            named = [(_author_name(searcher, key), n) for key, n in ranked]
            ranked = sorted(named, key=lambda c: (-c[1], c[0]))
        out[name] = dict(ranked)
    return out


def merge_facets(
    parts: Sequence[Mapping[str, Mapping[str, int]]], names: Sequence[str], limit: int
) -> dict[str, dict[str, int]]:
    """Facet counts of several parts holding different documents, as one index's would be.

    Each part's counts must be whole (not cut to a limit): a document lives in one part,
    so the counts add up.  Ranked as :func:`count_facets` ranks, then cut to ``limit``.
    """
    out: dict[str, dict[str, int]] = {}
    for name in names:
        counts: Counter[str] = Counter()
        for part in parts:
            counts.update(part.get(name, {}))
        out[name] = dict(sorted(counts.items(), key=lambda c: (-c[1], c[0]))[:limit])
    return out


def merge_histograms(parts: Sequence[Sequence[Bucket]], interval: str) -> tuple[Bucket, ...]:
    """Histograms of several parts holding different documents, as one index's would be:
    buckets of the same period add up, and the empty periods between parts are filled."""
    sums: dict[dt.date, list[int]] = {}
    for buckets in parts:
        for b in buckets:
            entry = sums.setdefault(b.since, [0, 0])
            entry[0] += b.articles
            entry[1] += b.paragraphs
    return _buckets({start: (a, p) for start, (a, p) in sums.items()}, interval)


def _one_chunk_each(searcher: Searcher, docnums: Sequence[int]) -> list[tuple[_SegmentTable, int]]:
    """One ``(segment table, local chunk number)`` per document among ``docnums``."""
    first: dict[str, tuple[_SegmentTable, int]] = {}
    for table, local in _tables(searcher, docnums):
        doc_ids = table.doc_ids()
        for d in local:
            if doc_ids[d] not in first:
                first[doc_ids[d]] = (table, d)
    return list(first.values())


def _author_name(searcher: Searcher, key: str) -> str:
    """The name as written for an author's exact-match key (from one of their chunks)."""
    for d in searcher.docs_for_query(wq.Term("author_key", key)):
        for name in searcher.stored_fields(d).get("authors", ()):
            if normalize_name(name) == key:
                return str(name)
    return key


# -- date histograms ---------------------------------------------------------------------


def date_histogram(
    searcher: Searcher, docnums: Sequence[int], interval: Interval
) -> tuple[Bucket, ...]:
    """Matches per period from the first dated match to the last, empty periods included.

    Undated chunks are left out.  Raises :class:`FilterError` for an unknown interval,
    or when the range would take more than :data:`MAX_BUCKETS` buckets.
    """
    if interval not in INTERVALS:
        raise FilterError(
            f"histogram interval must be one of {', '.join(INTERVALS)}, not {interval!r}"
        )
    paragraphs: Counter[dt.date] = Counter()
    docs: dict[dt.date, set[str]] = {}
    for table, local in _tables(searcher, docnums):
        doc_ids = table.doc_ids()
        for d in local:
            when = table.date(d)
            if when is None:
                continue
            start = _period_start(when.date(), interval)
            paragraphs[start] += 1
            docs.setdefault(start, set()).add(doc_ids[d])
    return _buckets({start: (len(docs[start]), n) for start, n in paragraphs.items()}, interval)


def _buckets(counts: Mapping[dt.date, tuple[int, int]], interval: str) -> tuple[Bucket, ...]:
    """``(articles, paragraphs)`` by period start as buckets from the first period to the
    last, the empty ones between included; :class:`FilterError` past :data:`MAX_BUCKETS`."""
    if not counts:
        return ()
    first, last = min(counts), max(counts)
    count = _periods_between(first, last, interval) + 1
    if count > MAX_BUCKETS:
        raise FilterError(
            f"a {interval} histogram from {first} to {last} needs {count} buckets, more than "
            f"{MAX_BUCKETS}; choose a longer interval or narrow the dates with since/until"
        )
    out = []
    start = first
    for i in range(count):
        end = _period_end(start, interval)
        articles, paragraphs = counts.get(start, (0, 0))
        out.append(Bucket(_label(start, interval), articles, paragraphs, start, end))
        if i + 1 < count:
            start = end + dt.timedelta(days=1)
    return tuple(out)


def _period_start(day: dt.date, interval: str) -> dt.date:
    if interval == "year":
        return day.replace(month=1, day=1)
    if interval == "month":
        return day.replace(day=1)
    if interval == "week":
        return day - dt.timedelta(days=day.weekday())
    return day


def _period_end(start: dt.date, interval: str) -> dt.date:
    if interval == "year":
        return start.replace(month=12, day=31)
    if interval == "month":
        nxt = 12 * start.year + start.month  # months since year 0, of the next month
        if nxt // 12 > dt.MAXYEAR:
            return dt.date(dt.MAXYEAR, 12, 31)
        return dt.date(nxt // 12, nxt % 12 + 1, 1) - dt.timedelta(days=1)
    if interval == "week":
        try:
            return start + dt.timedelta(days=6)
        except OverflowError:
            return dt.date.max
    return start


def _periods_between(first: dt.date, last: dt.date, interval: str) -> int:
    if interval == "year":
        return last.year - first.year
    if interval == "month":
        return 12 * (last.year - first.year) + last.month - first.month
    days = (last - first).days
    return days // 7 if interval == "week" else days


def _label(start: dt.date, interval: str) -> str:
    if interval == "year":
        return f"{start.year:04d}"
    if interval == "month":
        return f"{start.year:04d}-{start.month:02d}"
    return start.isoformat()


# -- more like this ----------------------------------------------------------------------

# The most telling terms of the source that the "more like this" query keeps.
SIMILAR_TERMS = 25


def similar_query(searcher: Searcher, source: str, document: bool = False) -> wq.Query:
    """A query for the paragraphs most like ``source`` (a chunk id or a document id),
    which never matches the source itself.

    As Lucene's MoreLikeThis: the source's terms are weighed by ``tf * idf`` (idf as
    BM25's), counting only the paragraphs outside the source, and the
    :data:`SIMILAR_TERMS` heaviest become an OR query, each boosted by its weight over
    the heaviest one's.  Terms no other paragraph holds are left out: they can find
    nothing.  The source is a whole document (its title and every paragraph) for a
    document id, or for any id with ``document``; else one paragraph (its text, all its
    parts if it was split; not the title, which its neighbours share).
    :class:`NotFoundError` when no chunk or document has that id.
    """
    return similar_query_over([searcher], source, document)


def similar_query_over(
    searchers: Sequence[Searcher], source: str, document: bool = False
) -> wq.Query:
    """:func:`similar_query` over several indexes searched as one: the source is found in
    whichever holds it, and its words are weighed by the statistics of them all, so the
    query equals the one a single index holding every document would build."""
    for searcher in searchers:
        try:
            chunks, whole = _source_chunks(searcher, source, document)
        except NotFoundError:
            continue
        break
    else:
        raise NotFoundError(f"no chunk or document {source!r} in the index")
    readers = [searcher.reader() for searcher in searchers]
    # The source's language says its words' analysis and the body field they are in.
    language = chunks[0].language or "en"
    field = body_field(language)
    tf: Counter[str] = Counter()
    inside: Counter[str] = Counter()
    texts = [c.text for c in chunks]
    if whole:
        texts.append(chunks[0].title)
    for text in texts:
        tf.update(_term_counts(language, text))
    for c in chunks:
        inside.update(_term_counts(language, c.title + " " + c.text).keys())
    n = sum(r.doc_count() for r in readers)
    weights: dict[str, float] = {}
    for term, count in tf.items():
        df = sum(r.doc_frequency(field, term) for r in readers) - inside[term]
        if df > 0:
            weights[term] = count * math.log(1.0 + (n - df + 0.5) / (df + 0.5))
    best = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:SIMILAR_TERMS]
    top = best[0][1] if best else 1.0
    like = wq.Or([wq.Term(field, t, boost=w / top) for t, w in best])
    c = chunks[0]
    doc: wq.Query = wq.Term("doc_id", c.doc_id)
    itself = doc if whole else wq.And([doc, wq.Term("paragraph", c.paragraph)])
    return wq.AndNot(like, itself)


def _term_counts(language: str, text: str) -> dict[str, int]:
    """How often each index term of ``text`` occurs in it, as the index analysed text in
    ``language`` (stop words left out)."""
    positions: dict[bytes, list[int]] = {}
    position_adder(language)(text, 0, positions)
    return {key.decode("utf-8"): len(found) for key, found in positions.items()}


def _source_chunks(searcher: Searcher, source: str, document: bool) -> tuple[list[Chunk], bool]:
    """The chunks of the source, and whether it is a whole document."""
    doc_id, colon, place = source.rpartition(":")
    number = place.partition(".")[0]
    if colon and number.isdigit() and number.isascii() and int(number) < 2**32:
        near = wq.And([wq.Term("doc_id", doc_id), wq.Term("paragraph", int(number))])
        found = [searcher.stored_fields(d) for d in searcher.docs_for_query(near)]
        if any(s["chunk_id"] == source for s in found):
            if not document:
                return sorted(map(chunk_from_stored, found), key=lambda c: c.seq), False
            source = doc_id
    found = [searcher.stored_fields(d) for d in searcher.docs_for_query(wq.Term("doc_id", source))]
    if found:
        return sorted(map(chunk_from_stored, found), key=lambda c: c.seq), True
    raise NotFoundError(f"no chunk or document {source!r} in the index")


# -- a search, looked at more closely -----------------------------------------------------


def annotate(
    searcher: Searcher,
    results: Results,
    q: wq.Query,
    filter: wq.Query | None,
    request: SearchRequest | SimilarRequest,
) -> Results:
    """``results`` (of ``q`` under ``filter``) with the facets, histogram and explanations
    ``request`` asks for.  A search that ran out of time (``results.timed_out``) gets no
    facets or histogram: counting every match is what the time budget stopped."""
    changes: dict[str, Any] = {}
    if request.looks_closer() and not results.timed_out:
        docnums = matching_docnums(searcher, q, filter)
        if request.facets:
            changes["facets"] = count_facets(searcher, docnums, request.facets, request.facet_limit)
        if request.histogram:
            changes["histogram"] = date_histogram(searcher, docnums, request.histogram)
    if request.explain:
        changes["hits"] = tuple(_explained(searcher, q, h) for h in results.hits)
    return attrs.evolve(results, **changes) if changes else results


def _explained(searcher: Searcher, q: wq.Query, hit: Hit) -> Hit:
    docnum = find_docnum(searcher, hit.doc_id, hit.paragraph, hit.id)
    terms = explain_terms(searcher, q, docnum) if docnum is not None else ()
    more = tuple(_explained(searcher, q, m) for m in hit.more)
    return attrs.evolve(hit, explanation=terms, more=more)
