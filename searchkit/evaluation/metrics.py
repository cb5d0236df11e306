"""Ranking metrics with trec_eval's definitions (``trec_eval -c``, relevance level 1).

A *run* for one query is a ranking: document ids, best first.  ``qrels`` for the query
map document id to grade; a grade of 0 or less is judged not relevant, and a document
missing from ``qrels`` is not relevant either.

- ``ndcg@k`` (``ndcg_cut.k``): DCG = sum over ranks i <= k of gain / log2(i + 1), gain =
  the grade (linear, as trec_eval and BEIR), divided by the DCG of the ideal ranking of
  all judged grades, cut at k.
- ``recall@k`` (``recall.k``): relevant documents in the top k / all relevant documents.
- ``mrr@k`` (``recip_rank`` cut at k, BEIR's MRR@10): 1 / rank of the first relevant
  document within the top k, else 0.
- ``map@k`` (``map_cut.k``): sum of precision at the rank of each relevant document in
  the top k, divided by the number of relevant documents (all of them, not only k).

A query with no relevant documents scores 0 on every metric; :func:`evaluate_run` asks
only about queries with at least one.  trec_eval orders a run by score, breaking ties by
document id in decreasing order; :func:`ranking` does the same for scored documents.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

__all__ = [
    "METRICS",
    "average_precision",
    "mean",
    "ndcg",
    "ranking",
    "reciprocal_rank",
    "recall",
    "score_query",
]

# The metrics searchkit reports, named as in its JSON output.
METRICS: tuple[str, ...] = ("ndcg@10", "recall@100", "mrr@10", "map@100")


def ranking(scores: Mapping[str, float]) -> list[str]:
    """Document ids by decreasing score, ties by decreasing id (as trec_eval sorts)."""
    return [d for d, _ in sorted(scores.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)]


def _relevant(qrels: Mapping[str, int]) -> int:
    return sum(1 for g in qrels.values() if g > 0)


def ndcg(run: Sequence[str], qrels: Mapping[str, int], k: int = 10) -> float:
    """nDCG at ``k`` with linear gains (trec_eval ``ndcg_cut``)."""
    dcg = sum(max(0, qrels.get(d, 0)) / math.log2(i + 2) for i, d in enumerate(run[:k]))
    ideal = sorted((g for g in qrels.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall(run: Sequence[str], qrels: Mapping[str, int], k: int = 100) -> float:
    """Share of the relevant documents found in the top ``k`` (trec_eval ``recall``)."""
    total = _relevant(qrels)
    found = sum(1 for d in run[:k] if qrels.get(d, 0) > 0)
    return found / total if total else 0.0


def reciprocal_rank(run: Sequence[str], qrels: Mapping[str, int], k: int = 10) -> float:
    """1 / rank of the first relevant document in the top ``k``, else 0."""
    for i, d in enumerate(run[:k]):
        if qrels.get(d, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def average_precision(run: Sequence[str], qrels: Mapping[str, int], k: int = 100) -> float:
    """Average precision cut at ``k`` (trec_eval ``map_cut``): over all relevant documents."""
    total = _relevant(qrels)
    if not total:
        return 0.0
    hits = 0
    summed = 0.0
    for i, d in enumerate(run[:k]):
        if qrels.get(d, 0) > 0:
            hits += 1
            summed += hits / (i + 1)
    return summed / total


def score_query(run: Sequence[str], qrels: Mapping[str, int]) -> dict[str, float]:
    """The four reported metrics for one query, keyed as in :data:`METRICS`."""
    return {
        "ndcg@10": ndcg(run, qrels, 10),
        "recall@100": recall(run, qrels, 100),
        "mrr@10": reciprocal_rank(run, qrels, 10),
        "map@100": average_precision(run, qrels, 100),
    }


def mean(values: Sequence[float]) -> float:
    """The arithmetic mean; 0 for no values."""
    return math.fsum(values) / len(values) if values else 0.0
