"""What the benchmark scripts share: data paths, timing, percentiles, nDCG, tables, JSON.

Not part of the package.  Each script in this folder puts its own folder on ``sys.path``
(Python does that for a script), so ``import _common`` works when run as
``python benchmarks/<name>.py`` from anywhere.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import re
import resource
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data"

_WORD = re.compile(r"\w+", re.UNICODE)


def data_root(arg: str | None) -> Path:
    """The shared data folder: ``--data``, else ``$SEARCHKIT_DATA``, else ``../shared/data``."""
    return Path(arg or os.environ.get("SEARCHKIT_DATA") or DEFAULT_DATA)


def require(path: Path, what: str) -> None:
    """Exit cleanly (status 0, one line) when a data set is not on this machine."""
    if not path.exists():
        print(f"skipped: {what} not found at {path} (pass --data or set SEARCHKIT_DATA)")
        sys.exit(0)


def words(text: str) -> list[str]:
    """The words of a query, for engines that need their own query syntax (FTS5)."""
    return _WORD.findall(text)


# -- timing --------------------------------------------------------------------------


class Stopwatch:
    """``with Stopwatch() as t: ...`` then ``t.seconds`` (wall clock) and ``t.cpu_seconds``.

    CPU time counts this process and any child it waited for (a multi-process writer's
    workers), so it shows the work done even when other programs share the cores.
    """

    seconds: float = 0.0
    cpu_seconds: float = 0.0

    @staticmethod
    def _cpu() -> float:
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    def __enter__(self) -> Stopwatch:
        self._t0 = time.perf_counter()
        self._c0 = self._cpu()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._t0
        self.cpu_seconds = self._cpu() - self._c0


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0-100) of sorted values, linearly interpolated."""
    if not sorted_values:
        return math.nan
    k = (len(sorted_values) - 1) * p / 100.0
    lo = math.floor(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def latency_summary(latencies: Sequence[float]) -> dict[str, float]:
    """Queries per second and p50/p95/p99 latency in milliseconds."""
    s = sorted(latencies)
    total = sum(s)
    return {
        "queries": len(s),
        "qps": len(s) / total if total else math.nan,
        "p50_ms": percentile(s, 50) * 1000,
        "p95_ms": percentile(s, 95) * 1000,
        "p99_ms": percentile(s, 99) * 1000,
    }


def run_queries(
    search: Callable[[str], list[str]],
    queries: Sequence[tuple[str, str]],
    rounds: int,
    warmup: int = 1,
) -> tuple[dict[str, list[str]], list[float]]:
    """Run every query ``warmup`` times untimed, then ``rounds`` times timed.

    Returns the ranked ids of the last timed round and every timed latency in seconds.
    """
    for _ in range(warmup):
        for _qid, text in queries:
            search(text)
    latencies: list[float] = []
    ranked: dict[str, list[str]] = {}
    clock = time.perf_counter
    for _ in range(rounds):
        for qid, text in queries:
            t0 = clock()
            ids = search(text)
            latencies.append(clock() - t0)
            ranked[qid] = ids
    return ranked, latencies


def run_interleaved(
    searches: Mapping[str, Callable[[str], list[str]]],
    queries: Sequence[tuple[str, str]],
    rounds: int,
) -> dict[str, tuple[dict[str, list[str]], list[float], list[float]]]:
    """Each search answers every query once untimed, then ``rounds`` timed passes, the
    searches taking turns a pass at a time so that they share the machine's noise.

    Returns, per search: the ranked ids of its last pass, the latencies of its fastest
    pass, and every pass's queries/s.
    """
    for search in searches.values():
        run_queries(search, queries, 0)
    best: dict[str, list[float]] = {}
    ranked: dict[str, dict[str, list[str]]] = {}
    per_pass: dict[str, list[float]] = {name: [] for name in searches}
    for _ in range(max(1, rounds)):
        for name, search in searches.items():
            ranked[name], latencies = run_queries(search, queries, 1, warmup=0)
            total = sum(latencies)
            per_pass[name].append(len(latencies) / total if total else math.nan)
            if name not in best or total < sum(best[name]):
                best[name] = latencies
    return {name: (ranked[name], best[name], per_pass[name]) for name in searches}


def peak_rss_mb() -> dict[str, float]:
    """Peak resident set size of this process and of its largest waited-for child, MiB."""
    to_mb = 1 / 1024 if sys.platform != "darwin" else 1 / (1024 * 1024)
    return {
        "self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * to_mb,
        "children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * to_mb,
    }


def own_peak_rss_mb() -> float:
    """Peak resident set size of this process since it started its program, MiB.

    Linux carries ``ru_maxrss`` across ``fork`` and ``exec``, so a process started by a big
    parent reports the parent's peak; ``VmHWM`` counts this program's memory only.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return peak_rss_mb()["self_mb"]


def dir_size(path: Path) -> int:
    """Bytes of every file under ``path``."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# -- relevance -------------------------------------------------------------------------


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """BEIR qrels (``query-id corpus-id score`` with a header) -> {query: {doc: grade}}."""
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f):
            parts = line.split()
            if n == 0 and parts and not parts[-1].lstrip("-").isdigit():
                continue
            if len(parts) >= 3:
                qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    return qrels


def mean_ndcg(
    ranked: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, int]], k: int = 10
) -> float:
    """Mean nDCG@k over the judged queries (a query with no results scores 0).

    The metric is searchkit's own (trec_eval's ``ndcg_cut``), so every system in a
    benchmark is scored by the code ``searchkit eval`` uses.
    """
    from searchkit.evaluation.metrics import ndcg

    scores = [ndcg(ranked.get(q, []), rel, k) for q, rel in qrels.items()]
    return sum(scores) / len(scores) if scores else math.nan


def dedupe(ids: Iterable[str]) -> list[str]:
    """Ids in first-seen order: paragraph hits -> a document ranking (best paragraph wins)."""
    return list(dict.fromkeys(ids))


# -- reporting -------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """Where and when a benchmark ran."""
    mem = 0
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            mem = int(f.readline().split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "memory_gib": round(mem / 2**30, 1) if mem else None,
    }


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str]]) -> str:
    """A plain-text table: ``columns`` are ``(key, heading)`` pairs."""

    def cell(v: Any) -> str:
        if v is None:
            return "-"
        if isinstance(v, float):
            if math.isnan(v):
                return "-"
            return f"{v:,.3f}" if abs(v) < 10 else f"{v:,.1f}"
        if isinstance(v, int):
            return f"{v:,}"
        return str(v)

    cells = [[cell(r.get(k)) for k, _ in columns] for r in rows]
    widths = [
        max(len(h), *(len(c[i]) for c in cells)) if cells else len(h)
        for i, (_, h) in enumerate(columns)
    ]
    lines = ["  ".join(h.rjust(w) for (_, h), w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for c in cells:
        lines.append("  ".join(v.rjust(w) for v, w in zip(c, widths, strict=True)))
    return "\n".join(lines)


def ratio(a: float | None, b: float | None) -> float | None:
    """``a / b``, or ``None`` when either is missing or ``b`` is zero."""
    if a is None or b is None or not b or math.isnan(a) or math.isnan(b):
        return None
    return a / b


def write_json(path: str | None, payload: Mapping[str, Any]) -> None:
    """Write ``payload`` to ``path`` (``-`` for stdout) when a path was given."""
    if not path:
        return
    text = json.dumps(payload, indent=2, default=str)
    if path == "-":
        print(text)
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text + "\n", encoding="utf-8")
        print(f"wrote {path}")
