"""One search over several indexes: global statistics, a search of each part, one merge.

BM25 reads three statistics of the whole collection: the number of documents, each
query term's document frequency, and each field's average length.  Searched one by
one, indexes would score with their own, so the same paragraph would score differently
in a small index and a large one.  Here a search runs in three steps:

1. :func:`parse` once (the query checked and parsed for all parts), then
   :func:`part_statistics` on every part: its document count, field lengths, and the
   document frequency of every term the query reaches in it (wildcards expanded);
2. :class:`CorpusStats` added up over the parts;
3. :func:`search_part` on every part, scoring with the added-up statistics through
   :class:`GlobalBM25`, then :func:`merge_results`.

Steps 1 and 3 take plain values and return plain values, so they run in this process
or on a Dask worker alike (``distributed.py``).  The integers add up exactly, so every
score equals the score one index holding every document gives, to the last bit.  The
merge orders hits by score, then by document id and place (``_topk.tie_key``), the order
one index's term-at-a-time path uses too.
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
from whoosh import query as wq
from whoosh.searching import Searcher

from . import _lexicon
from ._columns import top_docs
from ._limits import Deadline, QueryLimits, bound_query, check_text
from ._rerank import Candidate, SharedPool, pool_record, pool_size
from ._rerank import part_candidates as rerank_candidates
from ._types import SearchRequest, SimilarRequest, Sort
from .analysis.synonyms import Synonyms
from .explore import count_facets, date_histogram, matching_docnums
from .models import Bucket, Hit, Results
from .query import language_fields, parse_query
from .scoring import BM25, bm25_idf
from .search import run_search
from .typos import expand_fuzzy

if TYPE_CHECKING:
    from ._base import Part

__all__ = [
    "CorpusStats",
    "GlobalBM25",
    "merge_results",
    "parse",
    "part_candidates",
    "part_statistics",
    "search_part",
]

Term = tuple[str, bytes]


@attrs.frozen
class CorpusStats:
    """The statistics BM25 needs, of one part or (added up) of all of them."""

    doc_count: int
    field_lengths: Mapping[str, int]
    doc_frequencies: Mapping[Term, int]

    def __add__(self, other: CorpusStats) -> CorpusStats:
        lengths = dict(self.field_lengths)
        for field, n in other.field_lengths.items():
            lengths[field] = lengths.get(field, 0) + n
        freqs = dict(self.doc_frequencies)
        for term, n in other.doc_frequencies.items():
            freqs[term] = freqs.get(term, 0) + n
        return CorpusStats(self.doc_count + other.doc_count, lengths, freqs)

    def avg_field_length(self, field: str) -> float:
        """As Whoosh's ``Searcher.avg_field_length``: total length over every document."""
        return self.field_lengths.get(field, 0) / (self.doc_count or 1)


def total(stats: Sequence[CorpusStats]) -> CorpusStats:
    """The statistics of all the parts together."""
    out = CorpusStats(0, {}, {})
    for s in stats:
        out = out + s
    return out


class GlobalBM25(BM25):
    """searchkit's BM25 with the document count, frequencies and lengths of all parts.

    A term missing from the statistics (none should be) falls back to the part's own.
    """

    def __init__(self, stats: CorpusStats) -> None:
        super().__init__()
        self.stats = stats

    def idf(self, searcher: Any, fieldname: str, text: bytes) -> float:
        df = self.stats.doc_frequencies.get((fieldname, _as_bytes(searcher, fieldname, text)))
        if df is None:
            df = searcher.get_parent().doc_frequency(fieldname, text)
        return bm25_idf(self.stats.doc_count, df)

    def scorer(self, searcher: Any, fieldname: str, text: bytes, qf: int = 1) -> Any:
        scorer = super().scorer(searcher, fieldname, text, qf)
        if hasattr(scorer, "avgfl"):
            scorer.avgfl = self.stats.avg_field_length(fieldname) or 1.0
        return scorer


def _as_bytes(searcher: Any, field: str, text: str | bytes) -> bytes:
    if isinstance(text, bytes):
        return text
    return bytes(searcher.schema[field].to_bytes(text))


def parse(
    index: Part,
    request: SearchRequest,
    others: Sequence[Part] = (),
    synonyms: Synonyms | None = None,
) -> wq.Query:
    """``request.query`` checked and parsed once for every part (each index has
    searchkit's one schema), searching the languages any of ``index`` and ``others``
    holds, its words widened by ``synonyms`` (a sharded index's, kept once for all its
    shards)."""
    check_text(request.query, QueryLimits.from_env() if request.limits is None else request.limits)
    fields: dict[str, float] = {}
    for part in (index, *others):
        fields.update(language_fields(part._reader().reader()))
    return parse_query(request.query, index._reader().schema, request.operator, fields, synonyms)


def part_statistics(index: Part, q: wq.Query) -> CorpusStats:
    """One part's statistics for the parsed query ``q``: what :class:`GlobalBM25` needs."""
    searcher = index._reader()
    reader = searcher.reader()
    freqs: dict[Term, int] = {}
    # Leaf by leaf: Whoosh's loop over a whole tree skips every field after the first.
    found = {t for leaf in q.leaves() for t in leaf.existing_terms(reader, True, True)}
    for field, text in found:
        term = (field, _as_bytes(searcher, field, text))
        freqs[term] = int(reader.doc_frequency(field, text))
    lengths = {f: int(reader.field_length(f)) for f in searcher.schema.scorable_names()}
    return CorpusStats(int(reader.doc_count_all()), lengths, freqs)


def search_part(
    index: Part,
    stats: CorpusStats,
    q: wq.Query,
    request: SearchRequest | SimilarRequest,
    filter: wq.Query | None,
    shared: SharedPool | None = None,
) -> Results:
    """The best ``page * limit`` hits of one part for ``request`` (its query parsed as
    ``q``, its filter built as ``filter``), scored with ``stats``; explained when asked,
    with every part's statistics, so that the explanations add up to the merged scores.
    Facets and histograms are counted by :func:`explore_part` and added up.  ``shared``:
    the re-ranking all parts share (:func:`part_candidates`)."""
    part = attrs.evolve(
        request, limit=request.page * request.limit, page=1, facets=(), histogram=None
    )
    # No suggestions: the merge keeps none, so each part's would be work thrown away.
    searcher = _part_searcher(index, stats)
    return run_search(searcher, part, parsed=q, filter=filter, suggest=False, shared=shared)


def _part_searcher(index: Part, stats: CorpusStats) -> Searcher:
    base = index._reader()
    return Searcher(
        base.reader(), weighting=GlobalBM25(stats), closereader=False, fromindex=index._ix
    )


def part_candidates(
    index: Part,
    stats: CorpusStats,
    q: wq.Query,
    request: SearchRequest,
    filter: wq.Query | None,
    vector: tuple[float, ...] | None,
) -> list[Candidate]:
    """One part's candidates for re-ranking (``_rerank.py``), scored with ``stats``:
    :func:`~searchkit._rerank.shared_pool` chooses among every part's."""
    searcher = _part_searcher(index, stats)
    bounded = bound_query(
        q,
        searcher,
        QueryLimits.from_env() if request.limits is None else request.limits,
        Deadline(request.timeout),
        request.query,
        _lexicon.words,
    )
    q = expand_fuzzy(bounded, searcher)
    top, _total = top_docs(searcher, q, pool_size(request), filter, None, pool_record(searcher))
    return rerank_candidates(searcher, q, request, top, vector)


def explore_part(
    index: Part,
    q: wq.Query,
    filter: wq.Query | None,
    facets: Sequence[str],
    histogram: str | None,
) -> tuple[dict[str, dict[str, int]], tuple[Bucket, ...]]:
    """One part's whole facet counts and histogram for ``q``: what the merge adds up.

    Which chunks match does not depend on the scores, so the part's own searcher counts.
    """
    searcher = index._reader()
    docnums = matching_docnums(searcher, q, filter)
    counts = count_facets(searcher, docnums, facets, sys.maxsize) if facets else {}
    buckets = date_histogram(searcher, docnums, histogram) if histogram else ()  # type: ignore[arg-type]
    return counts, buckets


_ZERO = dt.timedelta(0)
_EPOCH = dt.datetime(1, 1, 1)


def _merge_key(sort: Sort) -> Any:
    """The order of merged hits: the sort a single index uses, ties by id and place."""

    def when(hit: Hit) -> dt.timedelta:
        p = hit.published
        return p.replace(tzinfo=None) - _EPOCH if p is not None else _ZERO

    if sort == "date":
        return lambda h: (h.published is None, -when(h), -h.score, h.doc_id, h.seq)
    if sort == "oldest":
        return lambda h: (h.published is None, when(h), -h.score, h.doc_id, h.seq)
    return lambda h: (-h.score, h.doc_id, h.seq)


def merge_results(
    parts: Sequence[Results],
    labels: Sequence[str | None],
    options: SearchRequest | SimilarRequest,
) -> Results:
    """One page of the parts' hits together; ``labels`` name each part's index on its hits."""
    hits = [attrs.evolve(h, index=label) for r, label in zip(parts, labels, strict=True) for h in r]
    hits.sort(key=_merge_key(options.sort))
    offset = (options.page - 1) * options.limit
    page = [
        attrs.evolve(
            h,
            rank=offset + i + 1,
            more=tuple(attrs.evolve(m, rank=offset + i + 1, index=h.index) for m in h.more),
        )
        for i, h in enumerate(hits[offset : offset + options.limit])
    ]
    found = sum(r.total for r in parts)
    return Results(
        hits=tuple(page),
        total=found,
        page=options.page,
        pages=max(1, math.ceil(found / options.limit)),
        limit=options.limit,
        query=parts[0].query if parts else "",
        grouped=options.group,
        timed_out=any(r.timed_out for r in parts),
        collapsed=any(r.collapsed for r in parts),
        paragraphs=sum(r.paragraphs for r in parts),
    )
