"""Running a parsed query: paging, sorting, grouping, highlights and context.

Takes an open Whoosh searcher and returns :class:`Results`; Whoosh hits never leave this
module and ``_hits.py`` (which turns a page of ranked documents into hits).
"""

from __future__ import annotations

import math

from whoosh import query as wq
from whoosh.searching import Searcher

from ._columns import top_docs
from ._hits import NO_HIGHLIGHT, Records, build_hits, highlight_terms, neighbours
from ._limits import Deadline, QueryLimits, bound_query, check_page, check_text
from ._order import SORTS, Ranked, Sort, by_document, ordered
from ._topk import all_matches
from .analysis.synonyms import Synonyms
from .errors import FilterError
from .models import Results
from .query import Operator, language_fields, parse_query
from .typos import Suggestions, expand_fuzzy, suggestions

__all__ = ["SORTS", "Sort", "check_whole", "neighbours", "run_search"]

MAX_LIMIT = 10_000


def run_search(
    searcher: Searcher,
    text: str | wq.Query,
    *,
    limit: int = 10,
    page: int = 1,
    operator: Operator = "or",
    filter: wq.Query | None = None,
    sort: Sort = "relevance",
    group: bool = False,
    group_size: int = 3,
    context: int = 0,
    synonyms: Synonyms | None = None,
    limits: QueryLimits | None = None,
    timeout: float | None = None,
    parsed: wq.Query | None = None,
    highlight: bool = True,
    suggest: bool = True,
) -> Results:
    """Run ``text`` (query text, or a query already parsed) against ``searcher`` and
    build one page of :class:`Results`.

    Every path starts from the same full set of matches (:func:`~searchkit._topk.all_matches`):
    ``sort``, ``group``, ``limit``, ``page`` and ``context`` only order, group and cut
    it, so the total and the set are the same whatever they are (docs/query-paths.md).

    ``limits`` bound what the query may cost (default: :meth:`QueryLimits.from_env`);
    ``timeout`` is a time budget in seconds, after which what was found is returned.
    ``parsed`` is ``text`` already parsed (a search over several indexes parses once).
    ``highlight=False`` leaves every hit's highlights and spans empty, for a caller that
    reads ids, scores or text only.  ``suggest`` (when ``text`` is query text) offers
    corrected queries ("did you mean"), within ``limits`` and what is left of ``timeout``.
    """
    deadline = Deadline(timeout)
    limits = QueryLimits.from_env() if limits is None else limits
    check_whole("limit", limit, 1, MAX_LIMIT)
    check_whole("page", page, 1, None)
    check_whole("context", context, 0, None)
    check_whole("group_size", group_size, 1, None)
    if sort not in SORTS:
        raise FilterError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    shown = str(text)
    if isinstance(text, str):
        check_text(text, limits)
    check_page(limit, context, limits, shown)
    if parsed is None and isinstance(text, wq.Query):
        parsed = text
    elif parsed is None:
        fields = language_fields(searcher.reader())
        parsed = parse_query(text, searcher.schema, operator, fields, synonyms)
    bounded = bound_query(parsed, searcher, limits, deadline, shown)
    q = expand_fuzzy(bounded, searcher)  # after the limits: it reuses their expansion
    offset = (page - 1) * limit
    records = Records(searcher)  # each document's stored record read once
    # The page: each entry a hit and, grouped, its document's further chunks.
    entries: list[Ranked]
    if sort == "relevance" and not group:
        # Only the best offset + limit are put in order.
        found = top_docs(searcher, q, offset + limit, filter, deadline, records)
        if found is None:
            found = _top(searcher, q, offset + limit, filter, deadline)
        top, total = found
        entries = [[hit] for hit in top[offset : offset + limit]]
    else:
        ranked = ordered(searcher, all_matches(searcher, q, filter, deadline), sort)
        if group:
            everyone = by_document(searcher, ranked, group_size)
            total = len(everyone)
            entries = everyone[offset : offset + limit]
        else:
            total = len(ranked)
            entries = [[hit] for hit in ranked[offset : offset + limit]]
    terms = highlight_terms(q, searcher) if highlight else NO_HIGHLIGHT
    hits = build_hits(searcher, entries, offset + 1, terms, context, records, deadline)
    timed_out = deadline.expired  # the hits' budget; suggestions say their own cut
    offered = Suggestions()
    if suggest and isinstance(text, str):
        offered = suggestions(searcher, text, limits=limits, deadline=deadline)
    return Results(
        hits=hits,
        total=total,
        page=page,
        pages=max(1, math.ceil(total / limit)),
        limit=limit,
        query=str(bounded),
        grouped=group,
        suggestions=offered.queries,
        suggestions_cut=offered.cut,
        timed_out=timed_out,
    )


def _top(
    searcher: Searcher, q: wq.Query, limit: int, filter: wq.Query | None, deadline: Deadline
) -> tuple[Ranked, int]:
    """The best ``limit`` of every match and their number, for a scorer in ``top_docs``'s
    place that passes on a query."""
    ranked = ordered(searcher, all_matches(searcher, q, filter, deadline), "relevance")
    return ranked[:limit], len(ranked)


def check_whole(name: str, value: int, lo: int, hi: int | None = None) -> None:
    """Raise :class:`FilterError` unless ``value`` is a whole number in ``[lo, hi]``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < lo or (hi and value > hi):
        bound = f" and at most {hi}" if hi else ""
        raise FilterError(f"{name} must be a whole number of at least {lo}{bound}, not {value!r}")
