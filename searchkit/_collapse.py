"""One hit per document: each matching document's best chunk, the documents ranked by it.

A document of many short paragraphs (a page of example lines) would otherwise fill the
top of a flat ranking with itself; collapsed, as Elasticsearch's field collapsing and
web engines' host crowding show results, the page holds one hit per document and each
hit counts its document's other matches (``hit.more_count``).

:func:`top_documents` is the relevance order.  It is :func:`searchkit._order.by_document`
over :func:`searchkit._order.ordered` (every match, ordered, each document's first
chunk kept: what grouping does), computed over the columns' score arrays with numpy
when the columns answer the query (``_columns.py``, from a searcher's second query on),
so the default search keeps the columns' speed.  Both ways give the same order: score
descending, ties by document id, then the chunk's place in its document (its number).
"""

from __future__ import annotations

from typing import Any

from whoosh import query as wq
from whoosh.searching import Searcher

from ._columns import answered_before, column_scores
from ._limits import Deadline
from ._order import by_document, document_codes, ordered
from ._topk import all_matches
from ._types import Ranked, Sort

__all__ = ["Documents", "best_documents", "documents", "top_documents"]

# Each document's first chunks in an order, and how many of its chunks match.
Documents = list[tuple[Ranked, int]]


def documents(
    searcher: Searcher,
    q: wq.Query,
    filter: wq.Query | None,
    deadline: Deadline,
    sort: Sort,
    size: int,
) -> tuple[Documents, int]:
    """Every matching document in ``sort`` order with its first ``size`` chunks, and the
    number of matching chunks: the grouped view and the collapsed one in another order."""
    ranked = ordered(searcher, all_matches(searcher, q, filter, deadline), sort)
    return by_document(searcher, ranked, size), len(ranked)


def top_documents(
    searcher: Searcher,
    q: wq.Query,
    limit: int,
    filter: wq.Query | None,
    deadline: Deadline,
) -> tuple[Documents, int, int]:
    """The best ``limit`` documents by relevance, each as its best chunk, with the number
    of its matching chunks; the number of matching documents and of matching chunks."""
    found = column_scores(searcher, q, filter, deadline) if answered_before(searcher) else None
    if found is None:
        every, chunks = documents(searcher, q, filter, deadline, "relevance", 1)
        return every[:limit], len(every), chunks
    return best_documents(searcher, *found, limit)


def best_documents(
    searcher: Searcher, scores: Any, matched: Any, limit: int
) -> tuple[Documents, int, int]:
    """:func:`top_documents` over every chunk's ``scores`` and whether it ``matched``
    (arrays over the searcher's chunks)."""
    import numpy as np

    docs = np.flatnonzero(matched)
    if not docs.size:
        return [], 0, 0
    values = scores[docs]
    # Each chunk's document as its place among the index's document ids, sorted: every
    # document's count, best score and first chunk with that score, in arrays over the
    # codes (O(n), no sort), kept for the documents that match.
    codes = document_codes(searcher)[docs]
    counts = np.bincount(codes)
    size = counts.size
    best_values = np.full(size, -np.inf)
    np.maximum.at(best_values, codes, values)
    tops = values == best_values[codes]
    best_docs = np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(best_docs, codes[tops], docs[tops])
    group_codes = np.flatnonzero(counts)
    counts, best_values, best_docs = (
        counts[group_codes],
        best_values[group_codes],
        best_docs[group_codes],
    )
    # The documents by their best score descending, ties by document id (a code is a
    # document's place in id order); only the best ``limit`` are sorted.
    best_which = np.arange(counts.size)
    if counts.size > limit:
        keep = np.argpartition(-best_values, limit - 1)[:limit] if limit else best_which[:0]
        cut = best_values[keep].min() if keep.size else np.inf
        best_which = np.flatnonzero(best_values >= cut)  # every tie at the cut too
    ranking = best_which[np.lexsort((group_codes[best_which], -best_values[best_which]))][:limit]
    page = [
        ([(float(best_values[i]), int(best_docs[i]))], int(counts[i])) for i in ranking.tolist()
    ]
    return page, int(counts.size), int(docs.size)
