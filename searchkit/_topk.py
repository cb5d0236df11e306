"""Term-at-a-time top-k for the queries most searches are: words and phrases, OR/AND/NOT.

Whoosh scores a disjunction document-at-a-time through a tree of union matchers (several
Python calls per posting per tree level), then walks every match a second time to count
the total.  For a query made only of ``Term``, ``Phrase`` (slop 1), ``Or``, ``And``, ``AndNot``
and ``AndMaybe`` nodes this module reads each term's postings a block at a time instead, adds
each posting's score into a dict keyed by document number, and takes the top k with a
heap; the dict's size is the exact total, so counting is free.  A phrase matches where
its words sit at consecutive positions and scores the sum of its words, as in Whoosh.

Scores come from the searcher's own weighting model (its scorer objects, with BM25F's
formula inlined when the scorer is Whoosh's own), so hits, scores and order match
Whoosh's collector up to the order in which floating-point scores are added.  Anything
else (phrases with a slop, wildcards, ranges, a scorer that needs more than weight and
length, a ``final()`` hook) makes :func:`top_docs` return ``None``, and the caller runs
Whoosh's collector as before.
"""

from __future__ import annotations

import heapq
import weakref
from collections.abc import Callable, Iterator
from itertools import accumulate
from typing import Any

from whoosh import query as wq
from whoosh.reading import TermNotFound
from whoosh.scoring import BM25FScorer, WeightLengthScorer, WeightScorer
from whoosh.searching import Searcher

from ._limits import Deadline

__all__ = ["best", "match_scores", "tie_key", "top_docs"]

Scores = dict[int, float]
_Node = Any


class _UnsupportedError(Exception):
    """The query or the weighting needs Whoosh's general collector."""


def top_docs(
    searcher: Searcher,
    q: wq.Query,
    limit: int,
    filter: wq.Query | None = None,
    deadline: Deadline | None = None,
) -> tuple[list[tuple[float, int]], int] | None:
    """The best ``limit`` ``(score, docnum)`` pairs for ``q`` and the number of matches.

    Ordered by score descending, then by :func:`tie_key` (document id, then the chunk's
    place in it): an order that does not depend on how documents fall into segments,
    so one index and the same documents spread over several indexes or shards agree
    (``shards.py`` merges by the same key).  Returns ``None`` when ``q`` or the
    weighting is not one this module handles.  When ``deadline`` passes, the terms not
    yet read are left out (the scores are then those of the terms read so far).
    """
    if getattr(searcher.weighting, "use_final", False):
        return None
    try:
        plan = _compile(q, searcher, 1.0)
        scores = _Evaluator(searcher, deadline).run(plan)
    except _UnsupportedError:
        return None
    if filter is not None and scores:
        allowed = set(searcher.docs_for_query(filter))
        scores = {d: s for d, s in scores.items() if d in allowed}
    stored = searcher.stored_fields
    return best(scores, limit, lambda d: tie_key(stored(d))), len(scores)


def match_scores(searcher: Searcher, q: wq.Query) -> list[float]:
    """The score of every document ``q`` matches, in no order; ``q`` must be made of
    the nodes this module handles (Whoosh's collector is not a fallback here)."""
    try:
        return list(_Evaluator(searcher).run(_compile(q, searcher, 1.0)).values())
    except _UnsupportedError:
        raise ValueError(f"cannot score {q!r} term at a time") from None


def tie_key(stored: dict[str, Any]) -> tuple[str, int]:
    """Equal scores are ordered by document id, then by the chunk's place in its document."""
    return (str(stored.get("doc_id", "")), int(stored.get("seq", 1)))


def best(
    scores: Scores, limit: int, key: Callable[[int], tuple[str, int]]
) -> list[tuple[float, int]]:
    """The ``limit`` best ``(score, docnum)``: score descending, ties by ``key(docnum)``.

    ``key`` reads stored fields, so it is asked only for documents that tie with another
    within the best ``limit`` (every one of a tie that straddles the cut).
    """
    if len(scores) > limit:
        # The limit-th best score, found in C; only documents at or above it are sorted.
        floor = heapq.nlargest(limit, scores.values())[-1]
        items = [(-s, d) for d, s in scores.items() if s >= floor]
    else:
        items = [(-s, d) for d, s in scores.items()]
    items.sort()
    out: list[tuple[float, int]] = []
    i = 0
    while i < len(items) and len(out) < limit:
        j = i + 1
        while j < len(items) and items[j][0] == items[i][0]:
            j += 1
        tied = [d for _s, d in items[i:j]]
        if len(tied) > 1:
            tied.sort(key=key)
        out.extend((-items[i][0], d) for d in tied)
        i = j
    return out[:limit]


# -- compiling a Whoosh query into a plan --------------------------------------------
#
# A plan is a tree of tuples: ("term", field, text, boost), ("phrase", field, [text, ...],
# boost), ("or", [node, ...]), ("and", [node, ...]), ("andnot", [positive, negative]) and
# ("andmaybe", [required, optional]).

_NOTHING: _Node = ("or", [])


def _compile(q: wq.Query, searcher: Searcher, boost: float) -> _Node:
    kind = type(q)
    schema = searcher.schema
    if kind is wq.Term:
        if q.fieldname not in schema:
            return _NOTHING
        try:
            text = schema[q.fieldname].to_bytes(q.text)
        except ValueError:
            return _NOTHING
        return ("term", q.fieldname, text, boost * q.boost)
    if kind is wq.Phrase:
        return _compile_phrase(q, searcher, boost)
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
    if kind is wq.AndMaybe:
        return ("andmaybe", [_compile(q.a, searcher, boost), _compile(q.b, searcher, boost)])
    raise _UnsupportedError


def _compile_phrase(q: wq.Phrase, searcher: Searcher, boost: float) -> _Node:
    """Whoosh matches a phrase as words at consecutive positions (slop 1) and scores it
    as the sum of its words' scores; other slops take Whoosh's path."""
    schema = searcher.schema
    if q.fieldname not in schema or q.slop != 1:
        raise _UnsupportedError
    field = schema[q.fieldname]
    if not field.format or not field.format.supports("positions"):
        raise _UnsupportedError  # Whoosh raises a QueryError for this; let it
    try:
        words = [field.to_bytes(w) for w in q.words]
    except ValueError:
        return _NOTHING
    if not words:
        return _NOTHING
    if len(words) == 1:
        return ("term", q.fieldname, words[0], boost * q.boost)
    return ("phrase", q.fieldname, words, boost * q.boost)


# -- evaluating a plan -------------------------------------------------------------------


class _Evaluator:
    def __init__(self, searcher: Searcher, deadline: Deadline | None = None) -> None:
        self.searcher = searcher
        self.deadline = deadline
        self.weighting = searcher.weighting
        self.leaves = searcher.leaf_searchers()

    def run(self, node: _Node) -> Scores:
        kind = node[0]
        if kind == "or":
            acc: Scores = {}
            for child in node[1]:
                if child[0] == "term":
                    self._add_term(acc, child)
                else:
                    for d, s in self.run(child).items():
                        acc[d] = acc.get(d, 0.0) + s
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
        if kind == "andmaybe":  # a's matches, plus b's score where b matches too
            required = self.run(node[1][0])
            if required:
                for d, s in self.run(node[1][1]).items():
                    if d in required:
                        required[d] += s
            return required
        if kind == "phrase":
            return self._phrase(node)
        acc = {}
        self._add_term(acc, node)
        return acc

    def _scorer(self, field: str, text: bytes) -> Any:
        # Scorers take idf and average length from the top-level searcher, so one
        # serves every segment (Whoosh makes one per segment).
        return self.weighting.scorer(self.searcher, field, text)

    def _add_term(self, acc: Scores, term: _Node) -> None:
        if self.deadline is not None and self.deadline.passed():
            return
        _kind, field, text, boost = term
        scorer = None
        for sub, offset in self.leaves:
            reader = sub.reader()
            blocks = _postings(reader, field, text)
            if blocks is None:
                continue
            if scorer is None:
                scorer = self._scorer(field, text)
            get = acc.get
            if type(scorer) is BM25FScorer:
                # Whoosh's bm25() with the length part precomputed per document:
                # idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl)))
                norms = _norms(reader, field, scorer.B, scorer.K1, scorer.avgfl)
                idf, k1p1 = scorer.idf, scorer.K1 + 1
                for ids, weights, _v in blocks:
                    for d, w in zip(ids, weights, strict=True):
                        g = d + offset
                        acc[g] = get(g, 0.0) + idf * ((w * k1p1) / (w + norms[d])) * boost
            elif _is_length_scorer(scorer):
                # Lengths are quantised to 256 values and most weights are small counts,
                # so a term sees few distinct (weight, length) pairs: score each once.
                lengths = _lengths(reader, field)
                score = scorer._score
                seen: dict[tuple[float, int], float] = {}
                for ids, weights, _v in blocks:
                    for d, w in zip(ids, weights, strict=True):
                        key = (w, lengths[d])
                        s = seen.get(key)
                        if s is None:
                            s = seen[key] = score(*key) * boost
                        g = d + offset
                        acc[g] = get(g, 0.0) + s
            elif type(scorer) is WeightScorer:
                for ids, weights, _v in blocks:
                    for d, w in zip(ids, weights, strict=True):
                        g = d + offset
                        acc[g] = get(g, 0.0) + w * boost
            else:
                raise _UnsupportedError
            _drop_deleted(acc, reader, offset)

    def _phrase(self, node: _Node) -> Scores:
        if self.deadline is not None and self.deadline.passed():
            return {}
        _kind, field, words, boost = node
        decode = self.searcher.schema[field].format.decode_positions
        scorers = {
            w: self._scorer(field, w) for w in set(words) if (field, w) in self.searcher.reader()
        }
        if len(scorers) < len(set(words)):
            return {}
        acc: Scores = {}
        for sub, offset in self.leaves:
            reader = sub.reader()
            if any((field, w) not in reader for w in scorers):
                continue
            # Each distinct word's postings: docnum -> (score, encoded positions).
            postings = {w: _scored_postings(reader, field, w, scorers[w]) for w in scorers}
            smallest = min(postings.values(), key=len)
            per_word = [postings[w] for w in words]
            for d in smallest:
                if not all(d in p for p in per_word):
                    continue
                positions = [decode(p[d][1]) for p in per_word]
                if _consecutive(positions):
                    acc[d + offset] = sum(p[d][0] for p in per_word) * boost
            _drop_deleted(acc, reader, offset)
        return acc


def _is_length_scorer(scorer: Any) -> bool:
    """A scorer whose score is ``_score(weight, length)``, as WeightLengthScorer defines."""
    return isinstance(scorer, WeightLengthScorer) and (
        type(scorer).score is WeightLengthScorer.score
    )


def _scored_postings(reader: Any, field: str, text: bytes, scorer: Any) -> dict[int, Any]:
    """docnum -> (score, encoded value) for one term in one segment."""
    out: dict[int, Any] = {}
    if type(scorer) is BM25FScorer:
        norms = _norms(reader, field, scorer.B, scorer.K1, scorer.avgfl)
        idf, k1p1 = scorer.idf, scorer.K1 + 1
        for ids, weights, values in _postings(reader, field, text, values=True) or ():
            for d, w, v in zip(ids, weights, values, strict=True):
                out[d] = (idf * ((w * k1p1) / (w + norms[d])), v)
    elif _is_length_scorer(scorer):
        lengths = _lengths(reader, field)
        score = scorer._score
        for ids, weights, values in _postings(reader, field, text, values=True) or ():
            for d, w, v in zip(ids, weights, values, strict=True):
                out[d] = (score(w, lengths[d]), v)
    else:
        raise _UnsupportedError
    return out


def _consecutive(positions: list[list[int]]) -> bool:
    """Whether some position p of the first word has p+1 for the second word, p+2 ..."""
    rest = [set(p) for p in positions[1:]]
    return any(all(p + i in s for i, s in enumerate(rest, 1)) for p in positions[0])


def _drop_deleted(acc: Scores, reader: Any, offset: int) -> None:
    if reader.has_deletions():
        for d in reader.deleted_docs_set:
            acc.pop(d + offset, None)


# -- postings and field lengths ----------------------------------------------------------


def _postings(
    reader: Any, field: str, text: bytes, values: bool = False
) -> Iterator[tuple[Any, Any, Any]] | None:
    """``(ids, weights, values)`` blocks of one term's postings in one segment, deletions
    included; ``None`` when the segment does not hold the term.

    ``values`` (the encoded positions) only when asked for, else ``None``.  Whoosh's W3
    codec keeps postings in blocks of up to 128; reading a block's arrays directly skips
    three method calls per posting, and opening the matcher is the one term look-up.
    Another codec's matcher is walked one posting at a time.
    """
    terms = getattr(reader, "_terms", None)
    if terms is not None:
        try:
            m = terms.matcher(field, text, reader.schema[field].format)
        except TermNotFound:
            return None
        except Exception:  # any codec surprise: take the public road below
            m = None
        if m is not None and all(
            hasattr(m, a)
            for a in ("_read_data", "_read_weights", "_read_values", "_next_block", "_byteids")
        ):
            return _w3_blocks(m, values)
    if (field, text) not in reader:
        return None
    return _each_posting(reader.postings(field, text), values)


def _w3_blocks(m: Any, values: bool) -> Iterator[tuple[Any, Any, Any]]:
    while m.is_active():
        if m._data is None:
            m._read_data()
        raw = m._data[0]
        # Whoosh decodes the id deltas in a Python generator; accumulate() is C.
        ids = raw if m._byteids else accumulate(raw)
        if m._weights is None:
            m._read_weights()
        if values and m._values is None:
            m._read_values()
        yield ids, m._weights, m._values if values else None
        m._next_block()


def _each_posting(m: Any, values: bool) -> Iterator[tuple[Any, Any, Any]]:
    each_id: list[int] = []
    each_weight: list[float] = []
    each_value: list[Any] = []
    while m.is_active():
        each_id.append(m.id())
        each_weight.append(m.weight())
        if values:
            each_value.append(m.value())
        m.next()
    yield each_id, each_weight, each_value if values else None


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
