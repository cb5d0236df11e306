"""Measure ranking quality: test collections, trec_eval metrics, and :func:`evaluate`.

>>> import searchkit
>>> report = searchkit.evaluate("../shared/data/scifact")       # doctest: +SKIP
>>> report.ndcg_10, report.qps                                   # doctest: +SKIP

readers.py reads BEIR and SMART collections, metrics.py computes nDCG, recall, MRR and
MAP as trec_eval does, runner.py builds the index, runs the queries and reports.
"""

from __future__ import annotations

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
from .runner import DEFAULT_DEPTH, EvaluationReport, QueryResult, evaluate, to_document

__all__ = [
    "DEFAULT_DEPTH",
    "FORMATS",
    "METRICS",
    "Collection",
    "CollectionDocument",
    "EvaluationReport",
    "Format",
    "QueryResult",
    "average_precision",
    "detect_format",
    "evaluate",
    "ndcg",
    "ranking",
    "read_beir",
    "read_collection",
    "read_smart",
    "recall",
    "reciprocal_rank",
    "score_query",
    "to_document",
]
