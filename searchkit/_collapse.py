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
from ._order import by_document, document_codes, kth_largest, one_chunk_each, ordered
from ._topk import all_matches
from ._types import Ranked, Sort

__all__ = ["Documents", "best_documents", "best_of_matches", "documents", "top_documents"]

# Each document's first chunks in an order, and how many of its chunks match.
Documents = list[tuple[Ranked, int]]
# The best documents in order: each one's code and its best chunk as ``(score, docnum)``.
Page = list[tuple[int, tuple[float, int]]]


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
    return best_of_matches(searcher, *found.matches(), limit)


def best_documents(
    searcher: Searcher, scores: Any, matched: Any, limit: int
) -> tuple[Documents, int, int]:
    """:func:`top_documents` over every chunk's ``scores`` and whether it ``matched``
    (arrays over the searcher's chunks)."""
    import numpy as np

    docs = np.flatnonzero(matched)
    return best_of_matches(searcher, docs, scores[docs], limit)


def best_of_matches(
    searcher: Searcher, docs: Any, values: Any, limit: int
) -> tuple[Documents, int, int]:
    """:func:`best_documents` over the matching chunks ``docs`` (ascending) and their
    scores ``values``."""
    import numpy as np

    if not docs.size:
        return [], 0, 0
    if one_chunk_each(searcher):
        return _best_chunks(searcher, docs, values, limit), int(docs.size), int(docs.size)
    # Each chunk's document as its place among the index's document ids, sorted (a code);
    # every document's number of matching chunks, counted over the codes (O(n), no sort).
    codes = document_codes(searcher)[docs]
    if docs.size <= _SORT_ALL:
        collapsed, held = _all_sorted(np, docs, values, codes, limit)
        return collapsed, len(held), int(docs.size)
    counts = np.bincount(codes)
    documents = int(np.count_nonzero(counts))
    page = None
    if documents > limit:
        page = _among_best_chunks(docs, values, codes, limit, documents)
    if page is None:
        page = _by_document(docs, values, codes, counts.size, limit)
    return [([hit], int(counts[code])) for code, hit in page], documents, int(docs.size)


# Up to this many matching chunks, all of them are put in order at once: looking among
# the best chunks would take most of them, and reducing by document spans every document
# of the index (a word in 30 of SciFact's 5,183 abstracts: 94-135 us, against 10-19 us
# sorted; at 128 matches the two cost the same, past it the best chunks cost less).
_SORT_ALL = 128


def _all_sorted(
    np: Any, docs: Any, values: Any, codes: Any, limit: int
) -> tuple[Documents, dict[int, int]]:
    """:func:`best_of_matches`' page from every match put in order (score descending,
    code, chunk: a document's first chunk is its best), and each matching document's
    number of matching chunks, by code."""
    order = np.lexsort((docs, codes, -values)).tolist()
    listed, scores, codes_of = docs.tolist(), values.tolist(), codes.tolist()
    counts: dict[int, int] = {}
    firsts: list[int] = []
    for i in order:
        code = codes_of[i]
        if code in counts:
            counts[code] += 1
        else:
            counts[code] = 1
            firsts.append(i)
    page = [([(scores[i], listed[i])], counts[codes_of[i]]) for i in firsts[:limit]]
    return page, counts


def _best_chunks(searcher: Searcher, docs: Any, values: Any, limit: int) -> Documents:
    """:func:`best_of_matches` in an index of one chunk a document: the best ``limit``
    chunks, score descending, ties by document (no chunk has another to count)."""
    import numpy as np

    if limit < 1:
        return []
    if docs.size > limit:
        pick = np.flatnonzero(values >= kth_largest(values, limit))  # ties at the cut too
    else:
        pick = np.arange(docs.size)
    codes = document_codes(searcher)[docs[pick]]
    pick = pick[np.lexsort((codes, -values[pick]))][:limit]
    return [([(float(values[i]), int(docs[i]))], 1) for i in pick.tolist()]


# The best chunks are looked through while they are fewer than this share of the matches;
# past it, reducing every match by document costs less (a page's documents holding most
# of the top chunks, as one long page of a few documents does).
_PICK_SHARE = 8


def _among_best_chunks(
    docs: Any, values: Any, codes: Any, limit: int, documents: int
) -> Page | None:
    """The best ``limit`` documents' codes and best chunks, found among the best chunks:
    those scoring at least the k-th best chunk's score, k widened until they hold
    ``limit`` documents (a document left out scores below every one kept); ``None`` when
    that would take more than a share of the matches (see :func:`_by_document`).

    The first k is the chunks ``limit`` documents hold on average (of the ``documents``
    matching), twice over: the best chunks of a page of documents cluster (a news
    article's title, on each of its paragraphs, lifts them together), and ``limit``
    chunks took a second round for 178 of Reuters' 191 title queries."""
    import numpy as np

    # Every match a document of its own (abstracts, one-paragraph pages): the best
    # ``limit`` chunks are the page, each its document's first.
    distinct = documents == docs.size
    k = max(limit, 1) if distinct else max(limit, 1, 2 * limit * docs.size // max(documents, 1))
    while k * _PICK_SHARE < docs.size:
        floor = kth_largest(values, k)
        pick = np.flatnonzero(values >= floor)  # every tie at the cut too
        # In the order score descending, code, chunk, a document's first chunk is its
        # best (the first in it at that score), and the documents come in page order.
        pick = pick[np.lexsort((docs[pick], codes[pick], -values[pick]))]
        firsts = pick if distinct else _firsts(np, pick, codes[pick])
        if firsts.size >= limit:
            return [
                (int(codes[i]), (float(values[i]), int(docs[i]))) for i in firsts[:limit].tolist()
            ]
        # Wider, by what these chunks held: twice the chunks that ``limit`` documents
        # would take at this many chunks a document, and at least four times as many.
        k = max(4 * k, 2 * limit * pick.size // max(firsts.size, 1))
    return None


def _firsts(np: Any, pick: Any, codes: Any) -> Any:
    """The entries of ``pick`` whose code (``codes``, in the same order) comes first."""
    if pick.size > _FEW:
        return pick[np.sort(np.unique(codes, return_index=True)[1])]
    seen: set[int] = set()
    kept = []
    for i, code in zip(pick.tolist(), codes.tolist(), strict=True):
        if code not in seen:
            seen.add(code)
            kept.append(i)
    return np.array(kept, dtype=pick.dtype)


# Up to this many best chunks, each document's first is found in Python: numpy's unique
# (a sort and its bookkeeping) took 10 us over a page's twenty.
_FEW = 256


def _by_document(docs: Any, values: Any, codes: Any, size: int, limit: int) -> Page:
    """The best ``limit`` documents' codes and best chunks, from every document's best
    score and first chunk with that score, reduced over every match (O(n), no sort)."""
    import numpy as np

    best_values = np.full(size, -np.inf)
    np.maximum.at(best_values, codes, values)
    tops = values == best_values[codes]
    best_docs = np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(best_docs, codes[tops], docs[tops])
    group_codes = np.flatnonzero(best_docs != np.iinfo(np.int64).max)
    best_values, best_docs = best_values[group_codes], best_docs[group_codes]
    # The documents by their best score descending, ties by code (a document's place in
    # id order); only the best ``limit`` are sorted.
    best_which = np.arange(group_codes.size)
    if group_codes.size > limit:
        keep = np.argpartition(-best_values, limit - 1)[:limit] if limit else best_which[:0]
        cut = best_values[keep].min() if keep.size else np.inf
        best_which = np.flatnonzero(best_values >= cut)  # every tie at the cut too
    ranking = best_which[np.lexsort((group_codes[best_which], -best_values[best_which]))][:limit]
    return [
        (int(group_codes[i]), (float(best_values[i]), int(best_docs[i]))) for i in ranking.tolist()
    ]
