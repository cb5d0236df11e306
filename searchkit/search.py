"""Running a search request: parsing, paging, sorting, grouping, highlights and context.

Takes an open Whoosh searcher and a :class:`~searchkit._types.SearchRequest` (or
``SimilarRequest``) and returns :class:`Results`; Whoosh hits never leave this module
and ``_hits.py`` (which turns a page of ranked documents into hits).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import attrs
from whoosh import query as wq
from whoosh.searching import Searcher

from . import _lexicon
from ._collapse import top_documents
from ._columns import top_docs
from ._hits import NO_HIGHLIGHT, Records, build_hits, highlight_terms, neighbours
from ._limits import Deadline, QueryLimits, bound_query, check_page, check_text
from ._order import by_document, ordered
from ._rerank import SharedPool, reranked_all, reranked_documents, reranked_top, reranking
from ._topk import all_matches, tie_key
from ._types import MAX_LIMIT, SORTS, Ranked, SearchRequest, SimilarRequest, Sort, check_whole
from .analysis.synonyms import Synonyms
from .explore import annotate, similar_query
from .models import Results
from .query import build_filter, language_fields, parse_query
from .suggest import Suggestions, corrected_query, suggestions
from .typos import expand_fuzzy

__all__ = [
    "MAX_LIMIT",
    "SORTS",
    "Sort",
    "check_whole",
    "neighbours",
    "parse_request",
    "request_filter",
    "run_search",
]


def run_search(
    searcher: Searcher,
    request: SearchRequest | SimilarRequest,
    *,
    parsed: wq.Query | None = None,
    filter: wq.Query | None = None,
    synonyms: Synonyms | None = None,
    suggest: bool = True,
    shared: SharedPool | None = None,
) -> Results:
    """One page of :class:`Results` for ``request`` from ``searcher``: its hits, and the
    facets, histogram and explanations it asks for.

    The query is checked, parsed (:func:`parse_request`; a "more like this" query built
    from its source) and bounded once.  Every path starts from the same full set of
    matches (:func:`~searchkit._topk.all_matches`): ``sort``, ``collapse``, ``group``,
    ``limit``, ``page`` and ``context`` only order, group and cut it, so the total and the set are
    the same whatever they are (docs/query-paths.md).

    ``parsed`` is the query already parsed, and ``filter`` the request's filter already
    built (:func:`request_filter`): a search over several indexes does each once for
    all its parts.  ``synonyms`` widen the words of a query this function parses.
    ``shared`` is what the parts of several indexes share to re-rank as one index
    (``_rerank.py``: ``mode="hybrid"``, ``proximity=True``).
    The time budget (``request.timeout``) starts here and covers parsing too.
    ``suggest`` (for a :class:`SearchRequest`) offers corrected queries ("did you
    mean"), within the request's limits and what is left of its time budget; a part of
    several indexes offers none (the merge would drop them).  Unless ``request.exact``,
    a word in no paragraph that has a correction is searched as corrected (the
    suggestions are then looked for first), and the results say so
    (``corrected_query``).
    """
    deadline = Deadline(request.timeout)
    limits = QueryLimits.from_env() if request.limits is None else request.limits
    flt = request_filter(request) if filter is None else filter
    if parsed is None and isinstance(request, SimilarRequest):
        parsed = similar_query(searcher, request.chunk_or_doc_id, request.document)
    text = request.query if isinstance(request, SearchRequest) else None
    shown = str(parsed) if text is None else text
    if parsed is None:
        check_text(shown, limits)
    check_page(request.limit, request.context, limits, shown)
    offered: Suggestions | None = None
    corrected = ""
    if parsed is None:
        assert isinstance(request, SearchRequest)  # a similar query is made above
        if suggest and not request.exact:
            offered = suggestions(searcher, request.query, limits=limits, deadline=deadline)
            corrected = corrected_query(request.query, offered.absent)
            if corrected:
                request = attrs.evolve(request, query=corrected)
        parsed = parse_request(searcher, request, synonyms)
    bounded = bound_query(parsed, searcher, limits, deadline, shown, _lexicon.words)
    q = expand_fuzzy(bounded, searcher)  # after the limits: it reuses their expansion
    limit, offset = request.limit, (request.page - 1) * request.limit
    records = Records(searcher)  # each document's stored record read once
    # The page: each entry a hit and, grouped, its document's further chunks.
    entries: list[Ranked]
    counts: list[int] = []  # collapsed or grouped: each entry's document's matching chunks
    collapse = isinstance(request, SearchRequest) and request.collapses()
    rerank = reranking(searcher, q, request, _tie_key(records), shared)
    if request.sort == "relevance" and not request.group:
        # Only the best offset + limit are put in order.
        if collapse:
            if rerank is not None:
                best, total, paragraphs = reranked_documents(rerank, offset + limit, flt, deadline)
            else:
                best, total, paragraphs = top_documents(searcher, q, offset + limit, flt, deadline)
            entries, counts = [g for g, _ in best[offset:]], [n for _, n in best[offset:]]
        else:
            if rerank is not None:
                top, total = reranked_top(
                    rerank,
                    offset + limit,
                    lambda n, stored: top_docs(searcher, q, n, flt, deadline, stored),
                )
            else:
                top, total = top_docs(searcher, q, offset + limit, flt, deadline, records)
            paragraphs = total
            entries = [[hit] for hit in top[offset : offset + limit]]
    else:
        matches = all_matches(searcher, q, flt, deadline)
        if rerank is not None:
            matches = reranked_all(rerank, matches)
        ranked = ordered(searcher, matches, request.sort)
        paragraphs = len(ranked)
        if request.group or collapse:
            size = request.group_size if request.group else 1
            every = by_document(searcher, ranked, size)
            total = len(every)
            entries = [group for group, _ in every[offset : offset + limit]]
            counts = [n for _, n in every[offset : offset + limit]]
        else:
            total = paragraphs
            entries = [[hit] for hit in ranked[offset : offset + limit]]
    terms = highlight_terms(q, searcher) if request.highlight else NO_HIGHLIGHT
    more_counts = [n - 1 for n in counts] if counts else ()
    hits = build_hits(
        searcher, entries, offset + 1, terms, request.context, records, deadline, more_counts
    )
    timed_out = deadline.expired  # the hits' budget; suggestions say their own cut
    if offered is None:
        offered = Suggestions()
        if suggest and text is not None:
            offered = suggestions(searcher, text, limits=limits, deadline=deadline)
    results = Results(
        hits=hits,
        total=total,
        page=request.page,
        pages=max(1, math.ceil(total / limit)),
        limit=limit,
        query=str(bounded),
        grouped=request.group,
        collapsed=collapse,
        paragraphs=paragraphs,
        suggestions=offered.queries,
        suggestions_cut=offered.cut,
        timed_out=timed_out,
        corrected_query=corrected,
        original_query=text if corrected and text is not None else "",
    )
    return annotate(searcher, results, q, flt, request)


def _tie_key(records: Records) -> Callable[[int], tuple[str, int]]:
    return lambda d: tie_key(records(d))


def parse_request(
    searcher: Searcher, request: SearchRequest, synonyms: Synonyms | None = None
) -> wq.Query:
    """``request.query`` parsed for ``searcher``'s index: its words search every language
    the index holds, widened by ``synonyms``."""
    fields = language_fields(searcher.reader())
    return parse_query(request.query, searcher.schema, request.operator, fields, synonyms)


def request_filter(request: SearchRequest | SimilarRequest) -> wq.Query | None:
    """The filter ``request`` names (author, dates, source, document, folder), or ``None``."""
    return build_filter(**{name: getattr(request, name) for name in _FILTERS})


# The fields of a request that :func:`~searchkit.query.build_filter` takes, by the same names.
_FILTERS = ("author", "since", "until", "source", "doc_id", "under")
