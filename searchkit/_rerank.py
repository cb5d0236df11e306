"""Ranking beyond BM25: ``mode="hybrid"`` and ``proximity=True``, over a pool of candidates.

Both re-rank the best :data:`POOL` paragraphs BM25 finds: the candidates the scorer
already holds, in the order it gives them (score, then ``_topk.tie_key``).  The rest of
the matches keep BM25's order below every candidate, and the set of matches and the
total do not change.  The pool is the same whatever page is asked for, so the pages of
one search follow one order (a pool of ``page * limit`` once changed the candidates'
scores, and so their order, from page to page past the pool).

- ``proximity=True`` adds ``_proximity.py``'s bonus to the BM25 score of the best
  :data:`NEAR_POOL` candidates (positions are read for those only).
- ``mode="hybrid"`` fuses that lexical score with the cosine of the paragraph's vector
  (``_vectors.py``) and the query's (embedded once): ``0.7 * minmax(lexical) + 0.3 *
  minmax(cosine)``, each scaled to [0, 1] over the candidates (1 when all are equal).

Collapsed by document (the default), the re-ranked scores of every match are ordered as
``_collapse.py`` orders BM25's (:func:`reranked_documents`); over the columns' score
arrays, once they answer, so a collapsed re-ranked search costs what a flat one does.

The normalisation is over the candidates of the whole collection: a search of several
indexes or shards first asks each part for its candidates (:func:`part_candidates`),
takes the best :data:`POOL` of them all as one index would (:func:`shared_pool`: the
last one's score and tie key, the bounds of both scores), and each part then fuses its
own candidates within that cut with those bounds.  So every part computes the one
index's fused scores from the same numbers, and the merge orders them as one index does.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from whoosh import query as wq
from whoosh.searching import Searcher

from . import _proximity
from ._collapse import Documents, best_documents
from ._columns import answered_before, column_scores
from ._order import at_least_kth, by_document, document_ids, ordered
from ._settings import writes_vectors
from ._topk import all_matches, best, tie_key
from ._types import Ranked, Scores, SearchRequest, SimilarRequest
from .errors import IndexDamagedError, VectorsMissingError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from ._limits import Deadline

    Floats = npt.NDArray[np.float64]

__all__ = [
    "LEXICAL_WEIGHT",
    "NEAR_POOL",
    "POOL",
    "Candidate",
    "Reranking",
    "SharedPool",
    "part_candidates",
    "pool_size",
    "query_vector",
    "reranked_all",
    "reranked_documents",
    "reranked_top",
    "reranks",
    "shared_pool",
]

POOL = 100
# Of them, the best NEAR_POOL get a proximity bonus (reading positions costs).
NEAR_POOL = 20
LEXICAL_WEIGHT = 0.7

# (BM25 score, document id, place): a candidate's rank among them all, best first when
# sorted by (-score, id, place); then its lexical score (BM25 and any proximity bonus)
# and its cosine (0.0 outside hybrid mode).
Candidate = tuple[float, str, int, float, float]
# A document's stored record, by document number.
Stored = Callable[[int], dict[str, Any]]


@attrs.frozen
class SharedPool:
    """What the parts of several indexes share so their fused scores are one index's:
    the query's vector, the last candidate's ``(score, id, place)``, and the bounds of
    the candidates' lexical scores and cosines."""

    vector: tuple[float, ...] | None
    last: tuple[float, str, int] | None
    # The last candidate that gets a proximity bonus (:data:`NEAR_POOL`).
    near: tuple[float, str, int] | None = None
    bm25: tuple[float, float] = (0.0, 0.0)
    lexical: tuple[float, float] = (0.0, 0.0)
    cosine: tuple[float, float] = (0.0, 0.0)


@attrs.frozen
class Reranking:
    """One searcher's re-ranking of ``q``'s matches for ``request``: ``key`` orders tied
    candidates, and ``shared`` is what the parts of several indexes share (``None``: one
    index, whose own candidates set the bounds).  Built by :func:`reranking`."""

    searcher: Searcher
    q: wq.Query
    request: SearchRequest
    key: Callable[[int], tuple[str, int]]
    shared: SharedPool | None = None


def reranking(
    searcher: Searcher,
    q: wq.Query,
    request: SearchRequest | SimilarRequest,
    key: Callable[[int], tuple[str, int]],
    shared: SharedPool | None = None,
) -> Reranking | None:
    """The :class:`Reranking` of ``request``, or ``None`` when it asks for BM25's
    ranking alone (:func:`reranks`)."""
    if not isinstance(request, SearchRequest) or not reranks(request):
        return None
    return Reranking(searcher, q, request, key, shared)


def reranks(request: SearchRequest | SimilarRequest) -> bool:
    """Whether ``request`` asks for more than BM25's ranking."""
    return isinstance(request, SearchRequest) and (request.mode == "hybrid" or request.proximity)


def pool_size(request: SearchRequest | SimilarRequest) -> int:
    """How many of BM25's best are candidates: :data:`POOL` (hybrid) or
    :data:`NEAR_POOL` (proximity alone), whatever the page."""
    deep = isinstance(request, SearchRequest) and request.mode == "hybrid"
    return POOL if deep else NEAR_POOL


def query_vector(request: SearchRequest) -> tuple[float, ...] | None:
    """The query's vector (hybrid mode), computed once for every part of a search."""
    if request.mode != "hybrid":
        return None
    from .semantic import embed

    return tuple(float(x) for x in embed([request.query])[0])


def rerank(r: Reranking, candidates: Ranked) -> Scores:
    """The new scores of ``candidates`` (BM25's best, in its order), every one above
    any lower BM25 match once :func:`below` is applied to the rest."""
    searcher, request, shared = r.searcher, r.request, r.shared
    near = candidates[:NEAR_POOL]
    if shared is not None and shared.last is not None:
        candidates = _within(searcher, candidates, shared.last)
        near = _within(searcher, near, shared.near)
    if not candidates:
        return {}
    lexical = _lexical(searcher, r.q, request, candidates, near)
    if request.mode != "hybrid":
        return lexical
    vector = shared.vector if shared is not None else query_vector(request)
    assert vector is not None
    cosines = _cosines(searcher, [d for _, d in candidates], vector)
    if shared is not None and shared.last is not None:
        lex_bounds, cos_bounds = shared.lexical, shared.cosine
    else:
        lex_bounds = (min(lexical.values()), max(lexical.values()))
        cos_bounds = (min(cosines.values()), max(cosines.values()))
    return {d: fuse(lexical[d], cosines[d], lex_bounds, cos_bounds) for d in lexical}


def fuse(
    lexical: float, cosine: float, lex: tuple[float, float], cos: tuple[float, float]
) -> float:
    return LEXICAL_WEIGHT * _minmax(lexical, lex) + (1.0 - LEXICAL_WEIGHT) * _minmax(cosine, cos)


def _minmax(x: float, bounds: tuple[float, float]) -> float:
    lo, hi = bounds
    return (x - lo) / (hi - lo) if hi > lo else 1.0


def below(
    scores: Scores, rescored: Scores, request: SearchRequest, shared: SharedPool | None
) -> Scores:
    """Every match's score: the candidates' new ones, and the rest below them all, in
    BM25's order (hybrid scores sit in [0, 1], so the rest get their BM25 score scaled
    to at most -1 by the candidates' BM25 bounds; proximity only adds, so the rest keep
    theirs)."""
    bounds = _rest_bounds(scores, rescored, request, shared)
    if bounds is None:
        return {**scores, **rescored}
    floor, span = bounds
    out = {d: LEXICAL_WEIGHT * (s - floor) / span - 1.0 for d, s in scores.items()}
    out.update(rescored)
    return out


def _rest_bounds(
    scores: Scores | Floats, rescored: Scores, request: SearchRequest, shared: SharedPool | None
) -> tuple[float, float] | None:
    """The floor and span :func:`below` scales the rest's BM25 scores by (hybrid mode),
    or ``None``: the rest keep their scores."""
    if request.mode != "hybrid":
        return None
    if shared is not None and shared.last is not None:
        floor, top = shared.bm25
    elif rescored:
        floor = min(float(scores[d]) for d in rescored)
        top = max(float(scores[d]) for d in rescored)
    else:
        return None
    return floor, top - floor if top > floor else 1.0


def reranked_top(
    r: Reranking, limit: int, top_docs: Callable[[int, Stored], tuple[Ranked, int]]
) -> tuple[Ranked, int]:
    """The best ``limit`` matches, the candidates re-ranked and the rest below them in
    BM25's order, and the number of matches; ``top_docs(n, stored)`` is the scorer's
    best ``n`` (ties ordered by the records ``stored`` gives) and that number."""
    size = pool_size(r.request)
    found, total = top_docs(max(size, limit), pool_record(r.searcher))
    rescored = rerank(r, found[:size])
    scores = below({d: s for s, d in found}, rescored, r.request, r.shared)
    return best(scores, limit, r.key), total


def reranked_all(r: Reranking, matches: Scores) -> Scores:
    """Every match's score, the candidates among them re-ranked."""
    candidates = best(matches, pool_size(r.request), pool_key(r.searcher))
    return below(matches, rerank(r, candidates), r.request, r.shared)


def reranked_documents(
    r: Reranking, limit: int, filter: wq.Query | None, deadline: Deadline
) -> tuple[Documents, int, int]:
    """``_collapse.top_documents`` of the re-ranked scores: the best ``limit`` documents,
    each as its best chunk, with its number of matching chunks; the numbers of matching
    documents and chunks.

    It is :func:`reranked_all` then ``_collapse.documents``' order (the definition, and
    the way taken when the columns do not answer), computed over the columns' score
    arrays when they do: the candidates are the best of the arrays in the same order,
    and the same scores are written back into a copy of them.
    """
    searcher, q = r.searcher, r.q
    found = column_scores(searcher, q, filter, deadline) if answered_before(searcher) else None
    if found is None:
        matches = reranked_all(r, all_matches(searcher, q, filter, deadline))
        every = by_document(searcher, ordered(searcher, matches, "relevance"), 1)
        return every[:limit], len(every), len(matches)
    import numpy as np

    scores, matched = found.scores, found.matched
    docs, values = found.matches()
    size = pool_size(r.request)
    docs, values = at_least_kth(docs, values, size)  # as ``_columns`` keeps its best
    pool = dict(zip(docs.tolist(), values.tolist(), strict=True))
    rescored = rerank(r, best(pool, size, pool_key(searcher)))
    bounds = _rest_bounds(scores, rescored, r.request, r.shared)
    if bounds is None:
        final = scores.copy()
    else:
        floor, span = bounds
        final = LEXICAL_WEIGHT * (scores - floor) / span - 1.0
    if rescored:
        final[np.fromiter(rescored, dtype=np.int64)] = np.fromiter(
            rescored.values(), dtype=np.float64
        )
    return best_documents(searcher, final, matched, limit)


def _within(searcher: Searcher, candidates: Ranked, last: tuple[float, str, int] | None) -> Ranked:
    """The ``candidates`` (in BM25's order) up to the one ``last`` names."""
    if last is None:
        return []
    cut, place = last[0], last[1:]
    at = pool_key(searcher)
    return [(s, d) for s, d in candidates if s > cut or (s == cut and at(d) <= place)]


def _lexical(
    searcher: Searcher, q: wq.Query, request: SearchRequest, candidates: Ranked, near: Ranked
) -> Scores:
    """BM25, plus a proximity bonus for the ``near`` candidates when asked for."""
    scores = {d: s for s, d in candidates}
    if request.proximity:
        pairs = _proximity.query_pairs(q, searcher)
        for d, bonus in _proximity.bonuses(searcher, pairs, [d for _, d in near]).items():
            scores[d] += bonus
    return scores


def part_candidates(
    searcher: Searcher,
    q: wq.Query,
    request: SearchRequest,
    candidates: Ranked,
    vector: tuple[float, ...] | None,
) -> list[Candidate]:
    """One part's candidates with what :func:`shared_pool` needs of each."""
    if not candidates:
        return []
    lexical = _lexical(searcher, q, request, candidates, candidates[:NEAR_POOL])
    docs = [d for _, d in candidates]
    cosines = _cosines(searcher, docs, vector) if vector is not None else dict.fromkeys(docs, 0.0)
    at = pool_key(searcher)
    return [(s, *at(d), lexical[d], cosines[d]) for s, d in candidates]


def shared_pool(
    parts: Sequence[Sequence[Candidate]], size: int, vector: tuple[float, ...] | None
) -> SharedPool:
    """The best ``size`` candidates of all ``parts``, as one index would choose them."""
    everyone = sorted((c for part in parts for c in part), key=lambda c: (-c[0], c[1], c[2]))
    chosen = everyone[:size]
    if not chosen:
        return SharedPool(vector, None)
    last = chosen[-1]
    near = chosen[: min(NEAR_POOL, len(chosen))][-1]
    # A part's candidates carry their bonus as far as its own NEAR_POOL: beyond the
    # shared one, BM25 alone.
    lexical = [c[3] if i < NEAR_POOL else c[0] for i, c in enumerate(chosen)]
    cosine = [c[4] for c in chosen]
    return SharedPool(
        vector,
        (last[0], last[1], last[2]),
        (near[0], near[1], near[2]),
        (last[0], chosen[0][0]),
        (min(lexical), max(lexical)),
        (min(cosine), max(cosine)),
    )


def _cosines(
    searcher: Searcher, docnums: Sequence[int], vector: Sequence[float]
) -> dict[int, float]:
    """Each paragraph's cosine with ``vector`` (float64 sums of float32 rows, row by row,
    so the same paragraph gives the same number in any index)."""
    import numpy as np

    from . import _vectors

    folder = _vectors.searcher_folder(searcher)
    leaves = searcher.reader().leaf_readers()
    offsets = [offset for _, offset in leaves]
    q = np.asarray(vector, dtype=np.float64)
    by_leaf: dict[int, list[int]] = {}
    for d in docnums:
        by_leaf.setdefault(bisect_right(offsets, d) - 1, []).append(d)
    out: dict[int, float] = {}
    for k, docs in by_leaf.items():
        reader, offset = leaves[k]
        try:
            rows = _vectors.segment_vectors(folder, reader)
        except _vectors.DamagedVectorsError as exc:
            raise IndexDamagedError(_root(folder), str(exc)) from None
        if rows is None:
            raise VectorsMissingError(_root(folder), chosen=not writes_vectors(folder))
        local = np.asarray(docs, dtype=np.int64) - offset
        values = (rows[local].astype(np.float64) * q).sum(axis=1)
        out.update(zip(docs, values.tolist(), strict=True))
    return out


def pool_record(searcher: Searcher) -> Stored:
    """What ``_topk.tie_key`` reads of a candidate to order ties, cheaply: its document
    id from the ``doc_id`` column, and its document number for its place (a document's
    paragraphs are written in order, and live in one part of several indexes)."""
    if not searcher.reader().has_column("doc_id"):
        stored: Stored = searcher.stored_fields
        return stored
    doc_ids = document_ids(searcher)  # read once per reader
    return lambda d: {"doc_id": doc_ids[d], "seq": d}


def pool_key(searcher: Searcher) -> Callable[[int], tuple[str, int]]:
    """The order of tied candidates in the pool: ``tie_key`` of :func:`pool_record`."""
    record = pool_record(searcher)
    return lambda d: tie_key(record(d))


def _root(folder: str | None) -> str:
    """The index folder around the data folder ``folder``, as messages name it."""
    return str(Path(folder).parent) if folder else "(an index in memory)"
