"""Term proximity: a bonus for paragraphs where the query's words sit close together.

In the spirit of the sequential dependence model (Metzler and Croft, 2005): each pair of
query words next to each other in the query (in one field) is an extra, unordered
"window" feature.  A paragraph's count for a pair is the number of places where one
word of the pair has the other within :data:`WINDOW` positions (8 words, either side),
scored as BM25 scores a term: ``min(idf) * f * (k1 + 1) / (f + norm)`` with the
paragraph's length norm, times :data:`WEIGHT`.  Positions are the ones already indexed
(the ``body`` fields store them); nothing is re-analysed.  From a searcher's second
query on they come from the column cache the scorer has opened (``_colcache.py``: every
posting's positions decoded into arrays once), a slice per word and segment; a one-off
search reads them from Whoosh's postings instead, and builds no cache.  Either way the
numbers are the same, and so is the bonus.

The bonus of a paragraph depends only on it and the collection's statistics (the
searcher's weighting, which for a part of several indexes has all parts' statistics),
so several indexes score it as one index does.  ``_rerank.py`` adds it to the BM25 score
of the candidates it re-ranks.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from whoosh import query as wq
from whoosh.searching import Searcher

from . import _colcache
from .scoring import bm25_idf, bm25_norm, bm25_tf

__all__ = ["WEIGHT", "WINDOW", "bonuses", "query_pairs"]

WINDOW = 8
WEIGHT = 0.1

Pair = tuple[str, bytes, bytes]


def query_pairs(q: wq.Query, searcher: Searcher) -> list[Pair]:
    """``(field, word, next word)`` for each two words next to each other in ``q``
    (its plain terms, in order, in fields with positions)."""
    schema = searcher.schema
    by_field: dict[str, list[bytes]] = {}
    for leaf in q.leaves():
        if type(leaf) is not wq.Term or leaf.fieldname not in schema:
            continue
        field = schema[leaf.fieldname]
        if not (field.scorable and field.format.supports("positions")):
            continue
        try:
            text = field.to_bytes(leaf.text)
        except ValueError:
            continue
        by_field.setdefault(leaf.fieldname, []).append(text)
    pairs: list[Pair] = []
    for name, words in by_field.items():
        for a, b in pairwise(words):
            if a != b:
                pairs.append((name, a, b))
    return pairs


def bonuses(searcher: Searcher, pairs: Sequence[Pair], docnums: Sequence[int]) -> dict[int, float]:
    """The proximity bonus of each of ``docnums`` (those with none left out)."""
    if not pairs or not docnums:
        return {}
    weighting = searcher.weighting
    stats = getattr(weighting, "stats", None)
    k1, b = weighting.k1, weighting.b
    wanted = sorted(set(docnums))
    words = dict.fromkeys((field, w) for field, first, second in pairs for w in (first, second))
    found = {key: _read(searcher, *key, wanted) for key in words}
    out: dict[int, float] = {}
    for field, first, second in pairs:
        (df_a, at_a), (df_b, at_b) = found[field, first], found[field, second]
        idf = min(
            _idf(searcher, stats, field, first, df_a), _idf(searcher, stats, field, second, df_b)
        )
        if stats is not None:
            avgfl = float(stats.avg_field_length(field) or 1.0)
        else:
            avgfl = searcher.avg_field_length(field) or 1.0
        for d in wanted:
            pa, pb = at_a.get(d), at_b.get(d)
            if pa is None or pb is None:
                continue
            f = _near(pa, pb)
            if f:
                length = searcher.doc_field_length(d, field, 0)
                norm = bm25_norm(float(length), avgfl, k1, b)
                out[d] = out.get(d, 0.0) + WEIGHT * bm25_tf(idf, float(f), norm, k1)
    return out


def _idf(searcher: Searcher, stats: Any, field: str, text: bytes, df: int) -> float:
    """BM25's idf of a term in ``df`` of the searcher's documents, or in all parts'."""
    n = searcher.doc_count_all()
    if stats is not None:
        n, df = stats.doc_count, stats.doc_frequencies.get((field, text), df)
    return bm25_idf(n, df)


def _near(a: list[int], b: list[int]) -> int:
    """How many positions of ``a`` have a position of ``b`` within the window."""
    count = 0
    for p in a:
        i = bisect_left(b, p - WINDOW + 1)
        if (i < len(b) and b[i] < p + WINDOW and b[i] != p) or (
            i + 1 < len(b) and b[i] == p and b[i + 1] < p + WINDOW
        ):
            count += 1
    return count


def _read(
    searcher: Searcher, field: str, text: bytes, docnums: list[int]
) -> tuple[int, dict[int, list[int]]]:
    """The number of the searcher's documents holding ``text`` (its document frequency),
    and its positions in each of ``docnums`` (ascending) that holds it.

    A segment whose columns a query has opened (``_colcache.py``: from a searcher's second
    query on) gives them from there, a slice of arrays; the others (a one-off search) from
    Whoosh's postings, skipping to each document.
    """
    df = 0
    out: dict[int, list[int]] = {}
    for reader, offset in searcher.reader().leaf_readers():
        end = offset + reader.doc_count_all()
        mine = [
            d - offset for d in docnums[bisect_left(docnums, offset) : bisect_left(docnums, end)]
        ]
        found = _from_columns(reader, field, text, mine)
        if found is None:
            found = _from_postings(reader, field, text, mine)
        count, positions = found
        df += count
        out.update((d + offset, p) for d, p in positions.items())
    return df, out


def _from_columns(
    reader: Any, field: str, text: bytes, docnums: list[int]
) -> tuple[int, dict[int, list[int]]] | None:
    """What :func:`_read` reads of one segment, from its columns; ``None`` when it has
    none open (or they have no positions, or prove damaged)."""
    cols = _colcache.opened(reader, field)
    if cols is None or not cols.has_positions():
        return None
    try:
        postings = cols.postings(reader, text)
    except _colcache.DamagedError:
        return None  # rebuilt by the next query that scores over them
    if postings is None:
        return 0, {}
    ids = postings[0]
    if not docnums or not len(ids):
        return len(ids), {}
    import numpy as np

    want = np.asarray(docnums, dtype=np.int64)
    rows = np.minimum(np.searchsorted(ids, want), len(ids) - 1)
    held = ids[rows] == want
    counts, where = cols.positions(text, rows[held].astype(np.int64))
    flat, ends = where.tolist(), np.cumsum(counts).tolist()
    out: dict[int, list[int]] = {}
    begin = 0
    for d, stop in zip(want[held].tolist(), ends, strict=True):
        out[d] = flat[begin:stop]
        begin = stop
    return len(ids), out


def _from_postings(
    reader: Any, field: str, text: bytes, docnums: list[int]
) -> tuple[int, dict[int, list[int]]]:
    """What :func:`_read` reads of one segment, from Whoosh's postings."""
    if (field, text) not in reader:
        return 0, {}
    out: dict[int, list[int]] = {}
    if docnums:
        m = reader.postings(field, text)
        for d in docnums:
            if m.is_active() and m.id() < d:
                m.skip_to(d)
            if m.is_active() and m.id() == d:
                out[d] = sorted(m.value_as("positions"))
    return reader.doc_frequency(field, text), out
