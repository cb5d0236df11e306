"""Running a parsed query: paging, sorting, grouping, highlights and context.

Takes an open Whoosh searcher and returns :class:`Results`; Whoosh hits never leave this
module.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import attrs
from whoosh import query as wq
from whoosh.searching import Searcher

from ._columns import top_docs
from ._limits import Deadline, QueryLimits, bound_query, check_page, check_text
from ._order import SORTS, Ranked, Sort, by_document, ordered
from ._topk import all_matches
from .analysis import highlight_spans
from .analysis.languages import body_field, span_finder
from .analysis.synonyms import Synonyms
from .errors import FilterError
from .models import Chunk, Hit, Results
from .query import Operator, language_fields, parse_query
from .schema import HIGHLIGHT_FIELDS, STOP_FIELD, chunk_from_stored, chunk_kwargs
from .typos import expand_fuzzy, suggest

__all__ = ["SORTS", "Sort", "check_whole", "neighbours", "run_search"]

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

    Every path starts from the same full set of matches (:func:`~searchkit._topk.all_matches`):
    ``sort``, ``group``, ``limit``, ``page`` and ``context`` only order, group and cut
    it, so the total and the set are the same whatever they are (docs/query-paths.md).

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
    offset = (page - 1) * limit
    # The page: each entry a hit and, grouped, its document's further chunks.
    entries: list[Ranked]
    if sort == "relevance" and not group:
        # Only the best offset + limit are put in order.
        found = top_docs(searcher, q, offset + limit, filter, deadline)
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
    terms = _highlight_terms(q, searcher)
    hits = tuple(
        attrs.evolve(
            _hit(searcher, g[0], offset + i + 1, terms, context),
            more=tuple(_hit(searcher, h, offset + i + 1, terms, 0) for h in g[1:]),
        )
        for i, g in _until(deadline, entries)
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


def _top(
    searcher: Searcher, q: wq.Query, limit: int, filter: wq.Query | None, deadline: Deadline
) -> tuple[Ranked, int]:
    """The best ``limit`` of every match and their number, for a scorer in ``top_docs``'s
    place that passes on a query."""
    ranked = ordered(searcher, all_matches(searcher, q, filter, deadline), "relevance")
    return ranked[:limit], len(ranked)


def _until(deadline: Deadline, items: Sequence[Any]) -> Iterator[tuple[int, Any]]:
    """``enumerate(items)``, stopping early when ``deadline`` passes."""
    for i, item in enumerate(items):
        if i and deadline.passed():
            return
        yield i, item


def check_whole(name: str, value: int, lo: int, hi: int | None = None) -> None:
    """Raise :class:`FilterError` unless ``value`` is a whole number in ``[lo, hi]``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < lo or (hi and value > hi):
        bound = f" and at most {hi}" if hi else ""
        raise FilterError(f"{name} must be a whole number of at least {lo}{bound}, not {value!r}")


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
    match: tuple[float, int],
    rank: int,
    terms: _Highlight,
    context: int,
) -> Hit:
    score, docnum = match
    stored = searcher.stored_fields(docnum)
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
        score=float(score),
        rank=rank,
        highlights=tuple(words),
        spans=spans,
        title_spans=title_spans,
        before=tuple(before),
        after=tuple(after),
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
