"""Scoring: BM25 as Lucene and Elasticsearch compute it, for Whoosh's searcher.

Whoosh's own ``BM25F`` uses ``log(N / (df + 1)) + 1`` for idf, which goes negative-free
but flat for common words and differs from every BM25 reference.  This module keeps
Whoosh's matching machinery (including block-max pruning) and scores each matched term

    idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))
    idf = ln(1 + (N - df + 0.5) / (df + 0.5))

with Robertson's textbook ``k1 = 1.2``, ``b = 0.75`` (Lucene's defaults too).  ``tf`` is
the posting's weight, so the ``body`` field's title-weighted counts (see ``schema.py``)
make this BM25F.  A word repeated in the query is one term with its count as boost
(``query.py``), so query term frequency counts linearly.

Two changes for folders of very short paragraphs (one-line command examples, titles),
measured on ``benchmarks/realfolder.py`` and neutral on SciFact and Cranfield (see
docs/evaluation.md):

- a field shorter than :data:`SHORT_LENGTH` words counts as half-way between its length
  and :data:`SHORT_LENGTH` in ``dl`` (:func:`counted_length`): below it, ``b``'s slope
  is halved, so a 3-word line matching one word no longer scores far above a sentence;
- a chunk matching more of an OR's clauses scores a little more: the sum is multiplied
  by ``1 + coverage * (matched - 1) / (clauses - 1)`` (:func:`coverage`, with
  :data:`DEFAULT_COVERAGE`), so a paragraph holding every query word comes before one
  holding one of them twice.

This module holds the one formula: :func:`bm25_idf`, :func:`length_norm`,
:func:`bm25_norm`, :func:`bm25_tf` and :func:`coverage` (each written with arithmetic
operators only, so the same definition scores one float here and Whoosh's matchers,
``_topk.py`` and ``explain.py``, or a numpy array of postings at once in
``_columns.py``).  Every path computes the same operations in the same order, so their
scores agree to the last bit.
"""

from __future__ import annotations

from math import log
from typing import TYPE_CHECKING, Any, TypeVar

from whoosh.scoring import WeightingModel, WeightLengthScorer, WeightScorer

__all__ = [
    "BM25",
    "DEFAULT_B",
    "DEFAULT_COVERAGE",
    "DEFAULT_K1",
    "SHORT_LENGTH",
    "bm25",
    "bm25_idf",
    "bm25_norm",
    "bm25_tf",
    "counted_length",
    "coverage",
    "default_weighting",
    "length_norm",
]

DEFAULT_K1 = 1.2
DEFAULT_B = 0.75
# How much a chunk matching all of an OR's clauses gains over one matching one: 5%.
DEFAULT_COVERAGE = 0.05
# Below this field length (in weighted words), a length counts half-way to it.
SHORT_LENGTH = 10.0

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

# A float, or a numpy array of them: the formula below is written for both.
_N = TypeVar("_N", float, "npt.NDArray[np.float64]")


class BM25(WeightingModel):  # type: ignore[misc]
    """Okapi BM25 with the Lucene/Robertson idf and per-field length normalisation;
    ``coverage`` scales an OR's sum by how many of its clauses a chunk matches (0: not)."""

    def __init__(
        self, k1: float = DEFAULT_K1, b: float = DEFAULT_B, coverage: float = DEFAULT_COVERAGE
    ) -> None:
        self.k1 = k1
        self.b = b
        self.coverage = coverage

    def supports_block_quality(self) -> bool:
        return True

    def idf(self, searcher: Any, fieldname: str, text: bytes) -> float:
        parent = searcher.get_parent()
        return bm25_idf(parent.doc_count_all(), parent.doc_frequency(fieldname, text))

    def scorer(self, searcher: Any, fieldname: str, text: bytes, qf: int = 1) -> Any:
        if not searcher.schema[fieldname].scorable:
            return WeightScorer.for_(searcher, fieldname, text)
        return _BM25Scorer(searcher, fieldname, text, self.k1, self.b)


class _BM25Scorer(WeightLengthScorer):  # type: ignore[misc]
    def __init__(self, searcher: Any, fieldname: str, text: bytes, k1: float, b: float) -> None:
        parent = searcher.get_parent()
        self.idf = parent.idf(fieldname, text)
        self.avgfl = parent.avg_field_length(fieldname) or 1.0
        self.k1 = k1
        self.b = b
        self.setup(searcher, fieldname, text)

    def _score(self, weight: float, length: float) -> float:
        return float(bm25(self.idf, weight, length, self.avgfl, self.k1, self.b))


def bm25_idf(n: int, df: int) -> float:
    """Lucene's BM25 idf of a term in ``df`` of ``n`` documents."""
    return log(1.0 + (n - df + 0.5) / (df + 0.5))


def counted_length(length: _N) -> _N:
    """The length BM25 normalises by: ``length``, or half-way between it and
    :data:`SHORT_LENGTH` when shorter (a 2-word field counts 6, a 9-word one 9.5)."""
    return length + (SHORT_LENGTH - length) * 0.5 * (length < SHORT_LENGTH)


def length_norm(length: _N, avg_length: float, b: float) -> _N:
    """``1 - b + b * counted_length(length) / avg_length``: how a field's length scales a
    term's weight (about 1 for a field of average length; ``explain`` reports it as
    ``norm``)."""
    return 1.0 - b + b * counted_length(length) / avg_length


def bm25_norm(length: _N, avg_length: float, k1: float, b: float) -> _N:
    """``k1 * length_norm``: the length part of BM25's denominator, which depends on the
    document alone (``_columns`` keeps it per document of a segment)."""
    return k1 * length_norm(length, avg_length, b)


def bm25_tf(idf: float, tf: _N, norm: _N, k1: float, *, in_place: bool = False) -> _N:
    """One term's BM25 score in a field: ``idf * tf * (k1 + 1) / (tf + norm)``, with
    ``norm`` from :func:`bm25_norm`.  ``in_place`` (two float arrays of the caller's own)
    computes it in ``tf``'s memory, ``norm``'s holding the denominator: the same
    operations, so the same bits, without four temporaries as long."""
    if in_place:
        norm += tf  # norm + tf is tf + norm, bit for bit
        tf *= idf  # and tf * idf is idf * tf
        tf *= k1 + 1.0
        tf /= norm
        return tf
    return idf * tf * (k1 + 1.0) / (tf + norm)


def bm25(idf: float, tf: _N, length: _N, avg_length: float, k1: float, b: float) -> _N:
    """One term's BM25 score in a field of ``length`` words (:func:`bm25_tf` of
    :func:`bm25_norm`)."""
    return bm25_tf(idf, tf, bm25_norm(length, avg_length, k1, b), k1)


def coverage(score: _N, matched: _N | int, clauses: int, weight: float) -> _N:
    """An OR's ``score`` (the sum of its clauses' scores) for a chunk matching ``matched``
    of its ``clauses`` (at least 2): ``score * (1 + weight * (matched - 1) / (clauses - 1))``."""
    return score * (1.0 + weight * (matched - 1) / (clauses - 1))


def default_weighting() -> BM25:
    """The weighting every searchkit searcher uses."""
    return BM25()
