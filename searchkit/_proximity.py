"""Term proximity: a bonus for paragraphs where the query's words sit close together.

In the spirit of the sequential dependence model (Metzler and Croft, 2005): each pair of
query words next to each other in the query (in one field) is an extra, unordered
"window" feature.  A paragraph's count for a pair is the number of places where one
word of the pair has the other within :data:`WINDOW` positions (8 words, either side),
scored as BM25 scores a term: ``min(idf) * f * (k1 + 1) / (f + norm)`` with the
paragraph's length norm, times :data:`WEIGHT`.  Positions are the ones already indexed
(the ``body`` fields store them); nothing is re-analysed.

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
    out: dict[int, float] = {}
    for field, first, second in pairs:
        idf = min(_idf(searcher, stats, field, first), _idf(searcher, stats, field, second))
        if stats is not None:
            avgfl = float(stats.avg_field_length(field) or 1.0)
        else:
            avgfl = searcher.avg_field_length(field) or 1.0
        at_a = _positions(searcher, field, first, wanted)
        at_b = _positions(searcher, field, second, wanted)
        for d, pa in at_a.items():
            pb = at_b.get(d)
            if pb is None:
                continue
            f = _near(pa, pb)
            if f:
                length = searcher.doc_field_length(d, field, 0)
                norm = bm25_norm(float(length), avgfl, k1, b)
                out[d] = out.get(d, 0.0) + WEIGHT * bm25_tf(idf, float(f), norm, k1)
    return out


def _idf(searcher: Searcher, stats: Any, field: str, text: bytes) -> float:
    n, df = searcher.doc_count_all(), searcher.doc_frequency(field, text)
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


def _positions(
    searcher: Searcher, field: str, text: bytes, docnums: list[int]
) -> dict[int, list[int]]:
    """The positions of ``text`` in each of ``docnums`` (ascending) that holds it."""
    out: dict[int, list[int]] = {}
    for reader, offset in searcher.reader().leaf_readers():
        end = offset + reader.doc_count_all()
        mine = docnums[bisect_left(docnums, offset) : bisect_left(docnums, end)]
        if not mine or (field, text) not in reader:
            continue
        m = reader.postings(field, text)
        for d in mine:
            if not m.is_active():
                break
            local = d - offset
            if m.id() < local:
                m.skip_to(local)
                if not m.is_active():
                    break
            if m.id() == local:
                out[d] = sorted(m.value_as("positions"))
    return out
