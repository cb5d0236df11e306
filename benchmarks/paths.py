"""Queries/s on every search path: relevance, date, oldest, grouped and deep pages.

    python benchmarks/paths.py [--docs 5000] [--rounds 3] [--every 100] [--index DIR]
                               [--json FILE]

Indexes the first ``--docs`` Reuters-21578 articles (or opens ``--index`` if it holds an
index already, so two versions of searchkit can be timed on one index, taking turns),
then runs one query set through each path, ``--rounds`` timed passes after one warm-up,
one query at a time, and prints queries/s per path with the total matches seen (equal
totals on every path are a quick check that they answer the same set).

The query set: every 100th title (``--every``, as ``_reuters.titles`` picks them), each
title's first two words as ``a ANDNOT b`` and ``a ANDMAYBE b``, and its first word's first
four letters as a wildcard.

Skips cleanly, with a message, when the data is not on this machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import _common as c
import _reuters

PATHS: dict[str, dict[str, Any]] = {
    "relevance": {},
    "date": {"sort": "date"},
    "oldest": {"sort": "oldest"},
    "grouped": {"group": True},
    "grouped by date": {"group": True, "sort": "date"},
    "page 5": {"page": 5},
    "date, page 5": {"sort": "date", "page": 5},
    "since a date": {"since": "1987-03-10"},
}


def queries(root: Path, every: int) -> list[str]:
    out: list[str] = []
    for title in _reuters.titles(root, every):
        words = [w for w in c.words(title) if len(w) > 3]
        out.append(" ".join(c.words(title)))
        if len(words) >= 2:
            out.append(f"{words[0]} ANDNOT {words[1]}")
            out.append(f"{words[0]} ANDMAYBE {words[1]}")
        if words:
            out.append(words[0][:4] + "*")
    return [q for q in out if q.strip()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _reuters.index_arguments(ap, docs=5000)
    ap.add_argument("--rounds", type=int, default=3, help="timed passes over the queries")
    args = ap.parse_args(argv)
    root = c.data_root(args.data) / "reuters21578"
    c.require(root, "Reuters-21578")

    import searchkit

    work = _reuters.index_at(args.index, root, args.docs)
    texts = queries(root, args.every)
    rows: list[dict[str, Any]] = []
    with searchkit.Index.open(work) as ix:
        for name, options in PATHS.items():
            total = 0
            for t in texts:  # warm-up
                total += ix.search(t, **options).total
            best = float("inf")
            for _ in range(args.rounds):
                start = time.perf_counter()
                for t in texts:
                    ix.search(t, **options)
                best = min(best, time.perf_counter() - start)
            rows.append({"path": name, "queries_per_s": len(texts) / best, "matches": total})
    print(f"{len(texts)} queries, {args.docs} articles, fastest of {args.rounds} rounds")
    print(c.table(rows, [("path", "path"), ("queries_per_s", "queries/s"), ("matches", "matches")]))
    c.write_json(args.json, {"machine": c.machine(), "queries": len(texts), "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
