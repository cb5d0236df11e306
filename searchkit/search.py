"""Running a parsed query: paging, sorting, grouping, highlights and context.

Takes an open Whoosh searcher and returns :class:`Results`; Whoosh hits never leave this
module.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any, Literal

import attrs
from whoosh import query as wq
from whoosh import sorting
from whoosh.searching import Searcher

from ._columns import top_docs
from ._limits import Deadline, QueryLimits, bound_query, check_page, check_text, collect
from ._topk import best, tie_key
from .analysis import highlight_spans
from .analysis.languages import body_field, span_finder
from .analysis.synonyms import Synonyms
from .errors import FilterError
from .models import Chunk, Hit, Results
from .query import Operator, language_fields, parse_query
from .schema import HIGHLIGHT_FIELDS, STOP_FIELD, chunk_from_stored, chunk_kwargs
from .typos import expand_fuzzy, suggest

__all__ = ["SORTS", "Sort", "check_whole", "neighbours", "run_search"]

Sort = Literal["relevance", "date", "oldest"]
SORTS: tuple[str, ...] = ("relevance", "date", "oldest")
MAX_LIMIT = 10_000
# Index terms to highlight, and stop words to highlight.
_Highlight = tuple[frozenset[str], frozenset[str], dict[str, frozenset[str]]]


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
) -> Results:
    """Run ``text`` (query text, or a query already parsed) against ``searcher`` and
    build one page of :class:`Results`.

    ``limits`` bound what the query may cost (default: :meth:`QueryLimits.from_env`);
    ``timeout`` is a time budget in seconds, after which what was found is returned.
    ``parsed`` is ``text`` already parsed (a search over several indexes parses once).
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
    sortedby = _sort_facet(sort)
    offset = (page - 1) * limit

    if group:
        found = collect(
            searcher,
            q,
            deadline,
            limit=None,
            filter=filter,
            sortedby=sortedby,
            collapse="doc_id",
            collapse_limit=group_size,
        )
        groups: dict[str, list[Any]] = {}
        for h in found:
            groups.setdefault(h["doc_id"], []).append(h)
        total = len(groups)
        ordered = list(groups.values())
        if sortedby is None:  # equal scores in a stable order, as the fast path orders them
            ordered.sort(key=lambda g: (-g[0].score, tie_key(g[0].fields())))
        chosen = ordered[offset : offset + limit]
        terms = _highlight_terms(q, searcher)
        hits = tuple(
            attrs.evolve(
                _hit(searcher, g[0].fields(), g[0].score, offset + i + 1, terms, context),
                more=tuple(
                    _hit(searcher, h.fields(), h.score, offset + i + 1, terms, 0) for h in g[1:]
                ),
            )
            for i, g in _until(deadline, chosen)
        )
    else:
        fast = top_docs(searcher, q, offset + limit, filter, deadline) if sortedby is None else None
        if fast is not None:
            top, total = fast
        elif sortedby is None:
            top, total = _every_match(searcher, q, filter, offset + limit, deadline)
        else:
            found = collect(
                searcher, q, deadline, limit=offset + limit, filter=filter, sortedby=sortedby
            )
            top = found.top_n
            total = len(top) if deadline.expired else _count(searcher, q, filter, found)
        terms = _highlight_terms(q, searcher)
        hits = tuple(
            _hit(searcher, searcher.stored_fields(docnum), raw, offset + i + 1, terms, context)
            for i, (raw, docnum) in _until(deadline, top[offset : offset + limit])
        )
    return Results(
        hits=hits,
        total=total,
        page=page,
        pages=max(1, math.ceil(total / limit)),
        limit=limit,
        query=str(bounded),
        grouped=group,
        suggestions=suggest(searcher, text) if isinstance(text, str) else (),
        timed_out=deadline.expired,
    )


def _every_match(
    searcher: Searcher, q: wq.Query, filter: wq.Query | None, limit: int, deadline: Deadline
) -> tuple[list[tuple[float, int]], int]:
    """The best ``limit`` by Whoosh's collector, and the total, ordered as the fast path orders.

    Every match is scored (Whoosh's top-N collector keeps the lowest document numbers of
    a tie that straddles the cut), so equal scores can be ordered by document id and
    place: the order that does not depend on segments, which shards and several indexes
    searched as one share.  After ``deadline``, what was scored by then.
    """
    found = collect(searcher, q, deadline, limit=None, filter=filter)
    scores = {d: s for s, d in found.top_n}
    if filter is not None:  # Whoosh ignores a filter that matches nothing
        allowed = set(searcher.docs_for_query(filter))
        scores = {d: s for d, s in scores.items() if d in allowed}
    stored = searcher.stored_fields
    return best(scores, limit, lambda d: tie_key(stored(d))), len(scores)


def _until(deadline: Deadline, items: Sequence[Any]) -> Iterator[tuple[int, Any]]:
    """``enumerate(items)``, stopping early when ``deadline`` passes."""
    for i, item in enumerate(items):
        if i and deadline.passed():
            return
        yield i, item


def _count(searcher: Searcher, q: wq.Query, filter: wq.Query | None, found: Any) -> int:
    """Every match that passes ``filter``.

    Whoosh's ``len(results)`` counts matches the filter dropped, and its filtered id list
    ignores a filter that matches nothing, so a filtered total is counted here.
    """
    if filter is None:
        return len(found)
    allowed = set(searcher.docs_for_query(filter))
    return sum(1 for d in searcher.docs_for_query(q) if d in allowed)


def check_whole(name: str, value: int, lo: int, hi: int | None = None) -> None:
    """Raise :class:`FilterError` unless ``value`` is a whole number in ``[lo, hi]``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < lo or (hi and value > hi):
        bound = f" and at most {hi}" if hi else ""
        raise FilterError(f"{name} must be a whole number of at least {lo}{bound}, not {value!r}")


def _sort_facet(sort: Sort) -> sorting.FacetType | None:
    if sort == "relevance":
        return None
    newest_first = sort == "date"
    # Whoosh sorts a missing date as the latest of all; undated chunks go last either way.
    undated_last = sorting.QueryFacet({0: wq.DateRange("published", None, None)}, other=1)
    return sorting.MultiFacet(
        [undated_last, sorting.FieldFacet("published", reverse=newest_first), sorting.ScoreFacet()]
    )


def _highlight_terms(q: wq.Query, searcher: Searcher) -> _Highlight:
    """The index terms a hit's words are matched against, the stop words (a query made
    only of stop words searches them in their own field), and the terms of each other
    language's body field."""
    # expand=True turns wildcards and fuzzy terms into the index words they matched.  Leaf
    # by leaf: Whoosh's loop over a whole tree skips every field after the first it meets.
    reader = searcher.reader()
    found = {t for leaf in q.leaves() for t in leaf.existing_terms(reader, True, True)}
    words = [(f, t.decode("utf-8") if isinstance(t, bytes) else str(t)) for f, t in found]
    languages: dict[str, set[str]] = {}
    for f, t in words:
        if f.startswith("body_"):
            languages.setdefault(f, set()).add(t)
    return (
        frozenset(t for f, t in words if f in HIGHLIGHT_FIELDS),
        frozenset(t for f, t in words if f == STOP_FIELD),
        {f: frozenset(ts) for f, ts in languages.items()},
    )


def _hit(
    searcher: Searcher,
    stored: dict[str, Any],
    raw_score: Any,
    rank: int,
    terms: _Highlight,
    context: int,
) -> Hit:
    text: str = stored["text"]
    title: str = stored["title"]
    language = stored.get("language")
    field = body_field(language)
    if field == "body":
        spans = tuple(highlight_spans(text, terms[0], terms[1]))
        title_spans = tuple(highlight_spans(title, terms[0], terms[1]))
    else:  # the title and text of a hit in another language, in that language's analysis
        find, mine = span_finder(language), terms[2].get(field, frozenset())
        spans, title_spans = tuple(find(text, mine)), tuple(find(title, mine))
    words: dict[str, None] = {}
    for s, e in title_spans:
        words.setdefault(title[s:e], None)
    for s, e in spans:
        words.setdefault(text[s:e], None)
    before: Sequence[Chunk] = ()
    after: Sequence[Chunk] = ()
    if context:
        before, after = neighbours(
            searcher, stored["doc_id"], stored["paragraph"], stored.get("seq", 1), context
        )
    return Hit(
        **chunk_kwargs(stored),
        score=_score(raw_score),
        rank=rank,
        highlights=tuple(words),
        spans=spans,
        title_spans=title_spans,
        before=tuple(before),
        after=tuple(after),
    )


def _score(raw: Any) -> float:
    """The relevance score of a Whoosh hit.

    A sorted search reports its sort key instead: a tuple whose last item is the score,
    negated (the :class:`~whoosh.sorting.ScoreFacet` that :func:`_sort_facet` ends with).
    """
    if raw is None:
        return 0.0
    if isinstance(raw, tuple):
        return -float(raw[-1])
    return float(raw)


def neighbours(
    searcher: Searcher, doc_id: str, paragraph: int, seq: int, n: int
) -> tuple[list[Chunk], list[Chunk]]:
    """The ``n`` chunks before and after chunk ``seq`` (in ``paragraph``) of a document.

    Reads only paragraphs ``paragraph - n`` to ``paragraph + n``: every paragraph has at
    least one chunk, so the ``n`` chunks on each side lie within them.
    """
    near = wq.And(
        [
            wq.Term("doc_id", doc_id),
            wq.NumericRange("paragraph", max(0, paragraph - n), paragraph + n),
        ]
    )
    chunks = sorted(
        (chunk_from_stored(searcher.stored_fields(d)) for d in searcher.docs_for_query(near)),
        key=lambda c: c.seq,
    )
    before = [c for c in chunks if seq - n <= c.seq < seq]
    after = [c for c in chunks if seq < c.seq <= seq + n]
    return before, after
