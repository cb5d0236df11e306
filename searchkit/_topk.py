"""Term-at-a-time top-k for the queries most searches are: plain words joined by OR/AND.

Whoosh scores a disjunction document-at-a-time through a tree of union matchers (several
Python calls per posting per tree level), then walks every match a second time to count
the total.  For a query made only of ``Term``, ``Or``, ``And`` and ``AndNot`` nodes this
module reads each term's postings a block at a time instead, adds each posting's score
into a dict keyed by document number, and takes the top k with a heap; the dict's size is
the exact total, so counting is free.

Scores come from the searcher's own weighting model (its scorer objects, with BM25F's
formula inlined when the scorer is Whoosh's own), so hits, scores and order match
Whoosh's collector up to the order in which floating-point scores are added.  Anything
else (phrases, wildcards, ranges, a scorer that needs more than weight and length, a
``final()`` hook) makes :func:`top_docs` return ``None``, and the caller runs Whoosh's
collector as before.
"""

from __future__ import annotations

import heapq
import weakref
from collections.abc import Iterator
from itertools import accumulate
from typing import Any

from whoosh import query as wq
from whoosh.scoring import BM25FScorer, WeightLengthScorer, WeightScorer
from whoosh.searching import Searcher

__all__ = ["top_docs"]

Scores = dict[int, float]
# (field name, term bytes, boost) for a term; (kind, children) for a boolean node.
_Term = tuple[str, bytes, float]
_Node = Any


class _UnsupportedError(Exception):
    """The query or the weighting needs Whoosh's general collector."""


def top_docs(
    searcher: Searcher, q: wq.Query, limit: int, filter: wq.Query | None = None
) -> tuple[list[tuple[float, int]], int] | None:
    """The best ``limit`` ``(score, docnum)`` pairs for ``q`` and the number of matches.

    Ordered as Whoosh's ``TopCollector`` orders them: score descending, then document
    number ascending.  Returns ``None`` when ``q`` or the weighting is not one this
    module handles.
    """
    if getattr(searcher.weighting, "use_final", False):
        return None
    try:
        plan = _compile(q, searcher, 1.0)
        scores = _Evaluator(searcher).run(plan)
    except _UnsupportedError:
        return None
    if filter is not None and scores:
        allowed = set(searcher.docs_for_query(filter))
        scores = {d: s for d, s in scores.items() if d in allowed}
    return _best(scores, limit), len(scores)


def _best(scores: Scores, limit: int) -> list[tuple[float, int]]:
    """The ``limit`` best ``(score, docnum)``: score descending, ties by docnum ascending."""
    if len(scores) > limit:
        # The limit-th best score, found in C; only documents at or above it are sorted.
        floor = heapq.nlargest(limit, scores.values())[-1]
        items = [(-s, d) for d, s in scores.items() if s >= floor]
    else:
        items = [(-s, d) for d, s in scores.items()]
    items.sort()
    return [(-s, d) for s, d in items[:limit]]


# -- compiling a Whoosh query into a plan --------------------------------------------


def _compile(q: wq.Query, searcher: Searcher, boost: float) -> _Node:
    kind = type(q)
    if kind is wq.Term:
        field = q.fieldname
        schema = searcher.schema
        if field not in schema:
            return ("or", [])
        try:
            text = schema[field].to_bytes(q.text)
        except ValueError:
            return ("or", [])
        return (field, text, boost * q.boost)
    if kind is wq.Or:
        if q.scale or q.minmatch:
            raise _UnsupportedError
        children: list[_Node] = []
        for sub in q.subqueries:
            node = _compile(sub, searcher, boost * q.boost)
            if node[0] == "or":  # flatten nested disjunctions into one accumulator
                children.extend(node[1])
            else:
                children.append(node)
        return ("or", children)
    if kind is wq.And:
        return ("and", [_compile(sub, searcher, boost * q.boost) for sub in q.subqueries])
    if kind is wq.AndNot:
        return ("andnot", [_compile(q.a, searcher, boost), _compile(q.b, searcher, 1.0)])
    raise _UnsupportedError


# -- evaluating a plan -------------------------------------------------------------------


class _Evaluator:
    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher
        self.weighting = searcher.weighting
        self.leaves = searcher.leaf_searchers()

    def run(self, node: _Node) -> Scores:
        kind = node[0]
        if kind == "or":
            acc: Scores = {}
            for child in node[1]:
                if child[0] in ("or", "and", "andnot"):
                    for d, s in self.run(child).items():
                        acc[d] = acc.get(d, 0.0) + s
                else:
                    self._add_term(acc, child)
            return acc
        if kind == "and":
            parts = sorted((self.run(child) for child in node[1]), key=len)
            if not parts:
                return {}
            first, rest = parts[0], parts[1:]
            out: Scores = {}
            for d, s in first.items():
                if all(d in p for p in rest):
                    out[d] = s + sum(p[d] for p in rest)
            return out
        if kind == "andnot":
            positive = self.run(node[1][0])
            if positive:
                for d in self.run(node[1][1]):
                    positive.pop(d, None)
            return positive
        acc = {}
        self._add_term(acc, node)
        return acc

    def _add_term(self, acc: Scores, term: _Term) -> None:
        field, text, boost = term
        scorer = None
        for sub, offset in self.leaves:
            reader = sub.reader()
            if (field, text) not in reader:
                continue
            if scorer is None:
                # Scorers take idf and average length from the top-level searcher, so
                # one serves every segment (Whoosh makes one per segment).
                scorer = self.weighting.scorer(self.searcher, field, text)
            get = acc.get
            if type(scorer) is BM25FScorer:
                # Whoosh's bm25() with the length part precomputed per document:
                # idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl)))
                norms = _norms(reader, field, scorer.B, scorer.K1, scorer.avgfl)
                idf, k1p1 = scorer.idf, scorer.K1 + 1
                for ids, weights in _blocks(reader, field, text):
                    for d, w in zip(ids, weights, strict=True):
                        g = d + offset
                        acc[g] = get(g, 0.0) + idf * ((w * k1p1) / (w + norms[d])) * boost
            elif isinstance(scorer, WeightLengthScorer) and (
                type(scorer).score is WeightLengthScorer.score
            ):
                lengths = _lengths(reader, field)
                score = scorer._score
                for ids, weights in _blocks(reader, field, text):
                    for d, w in zip(ids, weights, strict=True):
                        g = d + offset
                        acc[g] = get(g, 0.0) + score(w, lengths[d]) * boost
            elif type(scorer) is WeightScorer:
                for ids, weights in _blocks(reader, field, text):
                    for d, w in zip(ids, weights, strict=True):
                        g = d + offset
                        acc[g] = get(g, 0.0) + w * boost
            else:
                raise _UnsupportedError
            if reader.has_deletions():
                for d in reader.deleted_docs_set:
                    acc.pop(d + offset, None)


# -- postings and field lengths ----------------------------------------------------------


def _blocks(reader: Any, field: str, text: bytes) -> Iterator[tuple[Any, Any]]:
    """Yield ``(ids, weights)`` sequences of one term's postings, deletions included.

    Whoosh's W3 codec keeps postings in blocks of up to 128; reading a block's arrays
    directly skips three method calls per posting.  Another codec's matcher is walked
    one posting at a time.
    """
    terms = getattr(reader, "_terms", None)
    m = None
    if terms is not None:
        try:
            m = terms.matcher(field, text, reader.schema[field].format)
        except Exception:  # any codec surprise: take the public road below
            m = None
    if m is not None and all(
        hasattr(m, a) for a in ("_read_data", "_read_weights", "_next_block", "_byteids")
    ):
        while m.is_active():
            if m._data is None:
                m._read_data()
            raw = m._data[0]
            # Whoosh decodes the id deltas in a Python generator; accumulate() is C.
            ids = raw if m._byteids else accumulate(raw)
            if m._weights is None:
                m._read_weights()
            yield ids, m._weights
            m._next_block()
        return
    m = reader.postings(field, text)
    each_id: list[int] = []
    each_weight: list[float] = []
    while m.is_active():
        each_id.append(m.id())
        each_weight.append(m.weight())
        m.next()
    yield each_id, each_weight


_BYTE_TO_LENGTH: list[int] | None = None
# Per segment reader: {(field, B, K1, avgfl) or field: per-document list}.  Weak keys,
# so an entry goes when Whoosh closes and drops the reader.
_CACHE: weakref.WeakKeyDictionary[Any, dict[Any, list[Any]]] = weakref.WeakKeyDictionary()


def _lengths(reader: Any, field: str) -> list[int]:
    """Every document's length in ``field``, as ``doc_field_length(d, field, 1)`` gives it."""
    cache = _CACHE.setdefault(reader, {})
    found = cache.get(field)
    if found is not None:
        return found
    global _BYTE_TO_LENGTH
    n = reader.doc_count_all()
    lengths: list[int] | None = None
    try:  # one read of the length column instead of one seek per document
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

        col = reader._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
        if col is not None:
            if _BYTE_TO_LENGTH is None:
                from whoosh.util.numeric import byte_to_length

                _BYTE_TO_LENGTH = [byte_to_length(b) for b in range(256)]
            table = _BYTE_TO_LENGTH
            raw = col._dbfile.get(col._basepos, col._count)
            lengths = [table[b] if b else 1 for b in raw]
            lengths.extend([1] * (n - len(lengths)))
    except Exception:  # another codec: ask per document
        lengths = None
    if lengths is None or len(lengths) != n:
        lengths = [reader.doc_field_length(d, field, 1) or 1 for d in range(n)]
    cache[field] = lengths
    return lengths


def _norms(reader: Any, field: str, b: float, k1: float, avgfl: float) -> list[float]:
    """``K1 * ((1 - B) + B * length / avgfl)`` for every document, as Whoosh's bm25() has it."""
    cache = _CACHE.setdefault(reader, {})
    key = (field, b, k1, avgfl)
    found = cache.get(key)
    if found is None:
        found = cache[key] = [k1 * ((1 - b) + b * fl / avgfl) for fl in _lengths(reader, field)]
    return found
