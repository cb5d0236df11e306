"""Cold start: wall time of a fresh ``searchkit search`` process on an index of ``seeds/``.

    python benchmarks/cold.py [--runs 21] [--query "prisoner exchange"] [--json FILE]

Builds an index of the repository's ``seeds/`` in a temporary folder, then times each
command as a new process, ``--runs`` times after two untimed runs (so the OS file cache is
warm, the Python caches are not), and reports the median and the fastest run:

- ``python -c pass``: the floor, an interpreter that does nothing;
- ``import searchkit``: what importing the library costs;
- ``searchkit search``: the installed console script (beside this Python), or
  ``python -m searchkit`` when no script is installed, or, before the command line
  existed, the same search through the Python API in ``python -c``;
- the Python API search in ``python -c``, for comparison.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _common as c

TARGET_S = 0.35


def cli_command(index: Path, query: str) -> tuple[str, list[str]]:
    """How to run ``searchkit search`` here: the console script, ``-m``, or the API."""
    script = Path(sys.executable).with_name("searchkit")
    if script.exists():
        return "searchkit search", [str(script), "search", query, "--index", str(index)]
    try:
        import searchkit.cli  # noqa: F401
    except ImportError:
        return "API search (no CLI yet)", api_command(index, query)
    return "python -m searchkit search", [
        sys.executable, "-m", "searchkit", "search", query, "--index", str(index)
    ]  # fmt: skip


def api_command(index: Path, query: str) -> list[str]:
    code = (
        "import searchkit, sys\n"
        f"r = searchkit.Index.open({str(index)!r}).search({query!r})\n"
        "for h in r: print(h.rank, h.title, h.paragraph, h.snippet())\n"
    )
    return [sys.executable, "-c", code]


def time_runs(argv: list[str], runs: int) -> list[float]:
    for _ in range(2):
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return times


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=21, help="timed runs per command")
    ap.add_argument("--query", default="prisoner exchange")
    ap.add_argument("--json", metavar="FILE", help="write the results as JSON (- for stdout)")
    args = ap.parse_args(argv)

    seeds = c.REPO / "seeds"
    c.require(seeds, "the seed articles")
    import searchkit

    work = Path(tempfile.mkdtemp(prefix="searchkit-cold-"))
    rows: list[dict[str, Any]] = []
    try:
        index = work / "index"
        with searchkit.Index.create(index) as ix:
            ix.add(seeds)
        label, cli = cli_command(index, args.query)
        commands = [
            ("python -c pass", [sys.executable, "-c", "pass"]),
            ("import searchkit", [sys.executable, "-c", "import searchkit"]),
            (label, cli),
            ("API search in python -c", api_command(index, args.query)),
        ]
        for name, command in commands:
            times = time_runs(command, args.runs)
            rows.append(
                {
                    "command": name,
                    "median_s": statistics.median(times),
                    "min_s": min(times),
                    "max_s": max(times),
                    "runs": len(times),
                }
            )
            print(f"{name}: median {rows[-1]['median_s']:.3f} s", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    floor = rows[0]["median_s"]
    for r in rows:
        r["over_floor_s"] = r["median_s"] - floor
    print()
    print(
        c.table(
            rows,
            [
                ("command", "command"),
                ("median_s", "median s"),
                ("min_s", "min s"),
                ("max_s", "max s"),
                ("over_floor_s", "above floor s"),
            ],
        )
    )
    search = rows[2]
    verdict = "meets" if search["median_s"] < TARGET_S else "misses"
    print(f"\n{search['command']}: median {search['median_s']:.3f} s, {verdict} {TARGET_S} s")
    c.write_json(
        args.json,
        {
            "benchmark": "cold",
            "machine": c.machine(),
            "query": args.query,
            "target_s": TARGET_S,
            "results": rows,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
