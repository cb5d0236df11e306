"""Measure ranking quality: test collections, trec_eval metrics, and :func:`evaluate`.

>>> import searchkit
>>> report = searchkit.evaluate("../shared/data/scifact")       # doctest: +SKIP
>>> report.ndcg_10, report.qps                                   # doctest: +SKIP

readers.py reads BEIR and SMART collections, metrics.py computes nDCG, recall, MRR and
MAP as trec_eval does, runner.py builds the index, runs the queries and reports, and
compare.py tests two rankings' per-query differences (``eval --compare``).
"""

from __future__ import annotations

from .compare import Comparison, compare, sign_flip_p
from .metrics import (
    METRICS,
    average_precision,
    ndcg,
    ranking,
    recall,
    reciprocal_rank,
    score_query,
)
from .readers import (
    FORMATS,
    Collection,
    CollectionDocument,
    Format,
    detect_format,
    read_beir,
    read_collection,
    read_smart,
)
from .runner import (
    DEFAULT_DEPTH,
    EvaluationReport,
    QueryResult,
    Ranking,
    Setup,
    evaluate,
    evaluate_rankings,
    to_document,
)

__all__ = [
    "DEFAULT_DEPTH",
    "FORMATS",
    "METRICS",
    "Collection",
    "CollectionDocument",
    "Comparison",
    "EvaluationReport",
    "Format",
    "QueryResult",
    "Ranking",
    "Setup",
    "average_precision",
    "compare",
    "detect_format",
    "evaluate",
    "evaluate_rankings",
    "ndcg",
    "ranking",
    "read_beir",
    "read_collection",
    "read_smart",
    "recall",
    "reciprocal_rank",
    "score_query",
    "sign_flip_p",
    "to_document",
]
