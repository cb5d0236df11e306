"""Putting the full set of matches in order: by relevance, by date, grouped by document.

Every ordering here takes the ``{docnum: score}`` of :func:`searchkit._topk.all_matches`
and orders all of it, so the sort, the grouping and the page a caller asks for change
the order of one set, never the set.  Each order is total (ties go to the lower document
number), so pages of one order, put end to end, are the unpaged list.

Dates and documents come from the ``published`` and ``doc_id`` columns, read once per
index reader and kept while the reader lives: documents as integer codes in id order
(:func:`document_codes`), the ids themselves only for the callers that need them and
for a process's first search.

The best ``k`` of an array of scores (:func:`kth_largest`, :func:`at_least_kth`) is here
too, for every road that ranks over the columns (``_columns``, ``_collapse``,
``_rerank``).
"""

from __future__ import annotations

import weakref
from bisect import bisect_right
from typing import Any

from whoosh.searching import Searcher

from . import _whoosh
from ._topk import column
from ._types import SORTS, Ranked, Sort

__all__ = [
    "SORTS",
    "Ranked",
    "Sort",
    "at_least_kth",
    "by_document",
    "document_codes",
    "one_chunk_each",
    "document_ids",
    "kth_largest",
    "ordered",
]


# Per top-level reader: {"published" or "doc_id": per-document list}.  Weak keys, so an
# entry goes when Whoosh closes and drops the reader.
_CACHE: weakref.WeakKeyDictionary[Any, dict[str, list[Any]]] = weakref.WeakKeyDictionary()
# Per top-level reader: each chunk's document as a number in document-id order.
_CODES: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
_ONE_EACH: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()
# Ids of fewer chunks than the index's count over this are read one by one (as many
# reads as chunks named; every id is read when more are asked for, and kept).
_FEW = 4


def ordered(searcher: Searcher, scores: dict[int, float], sort: Sort) -> Ranked:
    """Every match of ``scores`` in ``sort`` order, as ``(score, docnum)`` pairs.

    ``relevance``: score descending.  ``date``: newest first; ``oldest``: oldest first;
    chunks without a date come last either way, and chunks of the same date by score.
    Ties left after that go by document id, then by the chunk's place in its document
    (a document's chunks are stored one after another, in order): the order of
    :func:`searchkit._topk.top_docs` and of a search over several indexes.
    """
    docs = list(scores)
    keys = _tie_keys(searcher, docs)
    keyed: list[tuple[Any, ...]]
    if sort == "relevance":
        keyed = sorted(zip([-s for s in scores.values()], keys, docs, strict=True))
        return [(-k[0], k[-1]) for k in keyed]
    dates = _dates(searcher)
    missing = searcher.schema["published"].column_type.default_value(False)
    if sort == "date":
        keyed = sorted(
            (dates[d] == missing, -dates[d], -s, c, d)
            for (d, s), c in zip(scores.items(), keys, strict=True)
        )
    else:  # the missing value is the largest, so undated chunks already sort last
        keyed = sorted((dates[d], -s, c, d) for (d, s), c in zip(scores.items(), keys, strict=True))
    return [(-k[-3], k[-1]) for k in keyed]


def by_document(searcher: Searcher, ranked: Ranked, size: int) -> list[tuple[Ranked, int]]:
    """``ranked`` grouped by document, in the order of each document's first chunk there,
    keeping each document's first ``size`` chunks; one group for every document, each
    with the number of its chunks in ``ranked`` (what a collapsed hit's ``more_count``
    counts, plus one)."""
    keys = _tie_keys(searcher, [d for _score, d in ranked])
    groups: dict[Any, tuple[Ranked, list[int]]] = {}
    for (score, d), key in zip(ranked, keys, strict=True):
        group, count = groups.setdefault(key, ([], [0]))
        count[0] += 1
        if len(group) < size:
            group.append((score, d))
    return [(group, count[0]) for group, count in groups.values()]


def _dates(searcher: Searcher) -> list[int]:
    """Every chunk's ``published`` column value (an integer); the largest integer the
    column holds for a chunk without a date."""
    cache = _CACHE.setdefault(searcher.reader(), {})
    found = cache.get("published")
    if found is None:
        found = []
        for sub, _offset in searcher.leaf_searchers():
            found.extend(column(sub.reader(), "published"))
        cache["published"] = found
    return found


def document_ids(searcher: Searcher) -> list[str]:
    """Every chunk's ``doc_id``, from the field's column (kept while the reader lives:
    for the callers that compare ids across indexes; a search within one index orders
    and groups by :func:`document_codes`)."""
    cache = _CACHE.setdefault(searcher.reader(), {})
    found = cache.get("doc_id")
    if found is None:
        found = cache["doc_id"] = _read_ids(searcher)
    return found


def _read_ids(searcher: Searcher) -> list[str]:
    found: list[str] = []
    for sub, _offset in searcher.leaf_searchers():
        if sub.reader().doc_count_all():  # an empty index's reader has no columns
            found.extend(_whoosh.column_values(sub.reader(), "doc_id"))
    return found


def _tie_keys(searcher: Searcher, docs: list[int]) -> list[Any]:
    """What orders the documents of ``docs`` among themselves: their
    :func:`document_codes` once a search has built them, else (a process's first search,
    which does not import numpy) their ids."""
    codes = _CODES.get(searcher.reader())
    if codes is None:
        return _ids_of(searcher, docs)
    return codes[docs].tolist() if docs else []


def _ids_of(searcher: Searcher, docs: list[int]) -> list[str]:
    """The ``doc_id`` of each of ``docs``: each read alone where they are under a
    :data:`_FEW` of the index's chunks (a command line's one search: the 4,039 ids
    "prisoner exchange" orders over all of Reuters-21578 in 16-26 ms, every one of the
    107,323 in 55-74), else from :func:`document_ids` (kept)."""
    ids = _CACHE.get(searcher.reader(), {}).get("doc_id")
    if ids is None and len(docs) * _FEW < searcher.doc_count_all():
        leaves = [
            (offset, sub.reader().column_reader("doc_id"))
            for sub, offset in searcher.leaf_searchers()
            if sub.reader().doc_count_all()  # an empty index's reader has no columns
        ]
        starts = [offset for offset, _column in leaves]
        out = []
        for d in docs:
            offset, column = leaves[bisect_right(starts, d) - 1]
            out.append(column[d - offset])
        return out
    ids = document_ids(searcher)
    return [ids[d] for d in docs]


def one_chunk_each(searcher: Searcher) -> bool:
    """Whether no two chunks of the index share a document (abstracts, one-paragraph
    pages): then any matches are as many documents as chunks.  A document replaced by a
    new version keeps its old chunks, deleted, until a merge: the index is then not
    taken for one."""
    reader = searcher.reader()
    found = _ONE_EACH.get(reader)
    if found is None:
        codes = document_codes(searcher)
        found = _ONE_EACH[reader] = bool(not codes.size or int(codes.max()) + 1 == codes.size)
    return found


def document_codes(searcher: Searcher) -> Any:
    """Every chunk's document as an integer array: the place of its ``doc_id`` among the
    index's document ids sorted, so comparing codes compares ids (numpy sorts and groups
    them without a Python comparison per chunk)."""
    import numpy as np

    reader = searcher.reader()
    found = _CODES.get(reader)
    if found is None:
        # The ids a first search kept go: the codes order and group from now on.
        cached = _CACHE.get(reader, {}).pop("doc_id", None)
        ids = np.array([d or "" for d in cached or _read_ids(searcher)], dtype=object)
        if not ids.size:
            found = np.zeros(0, dtype=np.int64)
        else:
            found = np.unique(ids, return_inverse=True)[1].reshape(-1).astype(np.int64)
        _CODES[reader] = found
    return found


# -- the best k of many scores (numpy arrays) ------------------------------------------

# How many of the values :func:`kth_largest` looks at first (up to twice as many).
# numpy's partition costs about 6 ns a value here (16 us over SciFact's 2,600 matches of
# an average claim): the best 10 of 2,600, 10,000 and 100,000 random scores took 19, 27
# and 46 us sampling 2,048, and 10, 10 and 41 sampling 512 (1,024 to 2,600 values are
# now sampled, not partitioned whole).
_SAMPLE = 512


def kth_largest(values: Any, k: int) -> Any:
    """``np.partition(values, values.size - k)[values.size - k]``, the ``k``-th largest
    of ``values`` (1 <= k <= size), without partitioning them all: a floor that about
    ``4 k`` values reach is read off an evenly spaced sample, and only the values at or
    above it are partitioned (all of them when fewer than ``k`` reach it).  Over 100,000
    scores: 50 us instead of 840."""
    import numpy as np

    n = values.size
    step = n // _SAMPLE
    if step > 1:
        sample = values[::step]
        m = sample.size
        t = min(m - 1, 4 * k * m // n + 1)
        above = values[values >= np.partition(sample, m - 1 - t)[m - 1 - t]]
        if above.size >= k:
            values, n = above, above.size
    return np.partition(values, n - k)[n - k]


def at_least_kth(docs: Any, values: Any, k: int) -> tuple[Any, Any]:
    """``docs`` and their ``values`` kept where the value is at least the ``k``-th
    largest (every tie at the cut too): all of them when there are no more than ``k``."""
    if docs.size <= k:
        return docs, values
    keep = values >= kth_largest(values, k)
    return docs[keep], values[keep]
