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

from . import _whoosh
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
    # Positions read so far: (field, word) -> {document: positions, or None: not there}.
    seen: dict[tuple[str, bytes], dict[int, list[int] | None]] = {}

    def positions(field: str, text: bytes, docs: list[int]) -> dict[int, list[int] | None]:
        known = seen.setdefault((field, text), {})
        missing = [d for d in docs if d not in known]
        if missing:
            known.update(dict.fromkeys(missing))
            known.update(_positions(searcher, field, text, missing))
        return known

    out: dict[int, float] = {}
    for field, first, second in pairs:
        idf = min(_idf(searcher, stats, field, first), _idf(searcher, stats, field, second))
        if stats is not None:
            avgfl = float(stats.avg_field_length(field) or 1.0)
        else:
            avgfl = searcher.avg_field_length(field) or 1.0
        at_a = positions(field, first, wanted)
        holding = [d for d in wanted if at_a[d] is not None]
        at_b = positions(field, second, holding)
        for d in holding:
            pa, pb = at_a[d], at_b[d]
            if pa is None or pb is None:
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
    """The positions of ``text`` in each of ``docnums`` (ascending) that holds it.

    A W3 posting list is read a block at a time: blocks holding none of ``docnums`` are
    skipped unread, and a document's place in a block is found by bisection.
    """
    out: dict[int, list[int]] = {}
    decode = searcher.schema[field].format.decode_positions
    for reader, offset in searcher.reader().leaf_readers():
        end = offset + reader.doc_count_all()
        mine = [
            d - offset for d in docnums[bisect_left(docnums, offset) : bisect_left(docnums, end)]
        ]
        if not mine or (field, text) not in reader:
            continue
        m = _whoosh.codec_matcher(reader, field, text)
        if m is None or not _whoosh.reads_w3_ids(m):
            m = reader.postings(field, text)
            for d in mine:
                if m.is_active() and m.id() < d:
                    m.skip_to(d)
                if m.is_active() and m.id() == d:
                    out[d + offset] = sorted(m.value_as("positions"))
            continue
        i, n = 0, len(mine)
        while i < n and m.is_active():
            top = _whoosh.block_max_id(m)
            if mine[i] <= top:
                ids, values = _whoosh.block_ids_and_values(m)
                while i < n and mine[i] <= top:
                    k = bisect_left(ids, mine[i])
                    if k < len(ids) and ids[k] == mine[i]:
                        out[mine[i] + offset] = sorted(decode(values[k]))
                    i += 1
            _whoosh.next_block(m)
    return out
