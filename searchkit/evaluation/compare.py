"""Two rankings of one collection side by side, with a paired randomisation test.

A mean nDCG@10 a little higher may be noise: a few queries that happened to go one way.
:func:`compare` runs both rankings over the same index and queries and tests the
per-query differences with a paired randomisation (sign-flip) test (Smucker, Allan and
Carterette, 2007): if the two rankings were interchangeable, each query's difference
would be as likely to have the other sign, so the signs are flipped at random
:data:`TRIALS` times and ``p`` is the share of those whose mean difference is at least
as far from zero as the one observed (two-sided, counting the observed one).  The
random signs come from a fixed seed, so a comparison gives the same ``p`` every run.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from .readers import Format
from .runner import DEFAULT_DEPTH, EvaluationReport, Progress, Ranking, Setup, evaluate_rankings

__all__ = ["TRIALS", "Comparison", "compare", "sign_flip_p"]

TRIALS = 10_000
_SEED = 27
_BLOCK = 1_000  # trials drawn at a time


@attrs.frozen
class Comparison:
    """Rankings ``a`` and ``b`` of one collection: each one's report, and how their
    per-query nDCG@10 differ (``b - a``)."""

    a: Ranking
    b: Ranking
    report_a: EvaluationReport
    report_b: EvaluationReport
    differences: tuple[float, ...]
    p_value: float
    trials: int = TRIALS

    @property
    def difference(self) -> float:
        """Mean nDCG@10 of ``b`` minus that of ``a``."""
        return self.report_b.ndcg_10 - self.report_a.ndcg_10

    @property
    def better(self) -> int:
        """Queries ``b`` ranks better than ``a`` (by nDCG@10)."""
        return sum(1 for d in self.differences if d > 0)

    @property
    def worse(self) -> int:
        return sum(1 for d in self.differences if d < 0)

    @property
    def same(self) -> int:
        return sum(1 for d in self.differences if d == 0)

    def as_dict(self, *, per_query: bool = False) -> dict[str, Any]:
        """The JSON form: each ranking's figures, the difference, its counts and ``p``."""
        out: dict[str, Any] = {
            "metric": "ndcg@10",
            "a": {"ranking": str(self.a), **self.report_a.as_dict()},
            "b": {"ranking": str(self.b), **self.report_b.as_dict()},
            "difference": self.difference,
            "better": self.better,
            "worse": self.worse,
            "same": self.same,
            "p_value": self.p_value,
            "trials": self.trials,
        }
        if per_query:
            out["per_query"] = [
                {"id": qa.id, "text": qa.text, "a": qa.ndcg_10, "b": qb.ndcg_10, "difference": d}
                for qa, qb, d in zip(
                    self.report_a.per_query, self.report_b.per_query, self.differences, strict=True
                )
            ]
        return out


def compare(
    path: str | Path,
    a: Ranking | str,
    b: Ranking | str,
    *,
    format: Format = "auto",
    split: str = "test",
    index_path: str | Path | None = None,
    rebuild: bool = False,
    depth: int = DEFAULT_DEPTH,
    progress: Progress | None = None,
    trials: int = TRIALS,
) -> Comparison:
    """Evaluate rankings ``a`` and ``b`` (a :class:`Ranking`, or its text: ``lexical``,
    ``hybrid``, ``lexical+proximity``, ``hybrid+proximity``) over one index of the
    collection at ``path``, and test their per-query nDCG@10 differences."""
    first = a if isinstance(a, Ranking) else Ranking.parse(a)
    second = b if isinstance(b, Ranking) else Ranking.parse(b)
    setup = Setup(format, split, index_path, rebuild, depth, progress)
    report_a, report_b = evaluate_rankings(path, [first, second], setup)
    diffs = tuple(
        qb.ndcg_10 - qa.ndcg_10
        for qa, qb in zip(report_a.per_query, report_b.per_query, strict=True)
    )
    return Comparison(first, second, report_a, report_b, diffs, sign_flip_p(diffs, trials), trials)


def sign_flip_p(differences: Sequence[float], trials: int = TRIALS) -> float:
    """Two-sided ``p`` of a paired randomisation test of ``differences`` (mean 0?)."""
    import numpy as np

    d = np.asarray(differences, dtype=np.float64)
    if not d.size or not np.any(d):
        return 1.0
    observed = abs(float(d.mean()))
    rng = np.random.default_rng(_SEED)
    at_least = 0
    done = 0
    while done < trials:
        n = min(_BLOCK, trials - done)
        signs = rng.choice(np.array([-1.0, 1.0]), size=(n, d.size))
        means = np.abs(signs @ d) / d.size
        at_least += int(np.count_nonzero(means >= observed - 1e-12))
        done += n
    return (at_least + 1) / (trials + 1)
