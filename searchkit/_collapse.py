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
    # Each chunk's document as its place among the index's document ids, sorted (a code);
    # every document's number of matching chunks, counted over the codes (O(n), no sort).
    codes = document_codes(searcher)[docs]
    counts = np.bincount(codes)
    # The best documents' best chunks are among the best chunks: those scoring at least
    # the k-th best chunk's score, k growing until they hold ``limit`` documents (a
    # document left out scores below every one kept).  In the order score descending,
    # code, chunk, a document's first chunk is its best (the first in it at that score).
    k = max(limit, 1)
    while True:
        if k < docs.size:
            floor = np.partition(values, docs.size - k)[docs.size - k]
            pick = np.flatnonzero(values >= floor)
        else:
            pick = np.arange(docs.size)
        pick = pick[np.lexsort((docs[pick], codes[pick], -values[pick]))]
        firsts = np.sort(np.unique(codes[pick], return_index=True)[1])
        if firsts.size >= limit or pick.size == docs.size:
            break
        k *= 4
    page = [
        ([(float(values[i]), int(docs[i]))], int(counts[codes[i]]))
        for i in pick[firsts[:limit]].tolist()
    ]
    return page, int(np.count_nonzero(counts)), int(docs.size)
