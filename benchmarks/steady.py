"""Reuters' title queries timed so that two commits can be compared on a busy machine.

    python benchmarks/steady.py INDEX [--rounds 15] [--turns 3]
    python benchmarks/steady.py --against CHECKOUT OTHER_INDEX INDEX

``scale.py`` keeps the faster of two timed passes over the 191 title queries, as its
baselines are timed: on a machine whose two cores other work shares, two runs of one
commit differ by up to 25%, more than most changes.  Here each query's fastest time of
``--rounds`` passes (after one untimed pass) is summed: a pause in one pass costs
nothing, and the sum moves by a few per cent between runs of one commit.  It measures
what a change did, not the speed a user sees (``scale.py`` says that).

``INDEX`` is a searchkit index of all of Reuters-21578 (``python benchmarks/disk.py
--build DIR`` makes one).  ``--against CHECKOUT OTHER_INDEX`` also times the searchkit
of another checkout (``git worktree add /tmp/old REV``) on an index it can read, each in
a process of its own, the two taking turns ``--turns`` times; the ratio is this
checkout's speed over the other's.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import _common as c

HERE = Path(__file__).resolve().parent

# Run in a fresh process with the chosen checkout first on the path.
_CHILD = """
import json, sys, time
root, index, data, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
sys.meta_path = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path.insert(0, root)
sys.path.insert(1, {here!r})
from pathlib import Path
import _reuters, searchkit
queries = _reuters.titles(Path(data))
ix = searchkit.Index.open(index)
def search(q):
    try:
        ix.search(q, limit=10)
    except searchkit.QueryError:
        pass
for q in queries:
    search(q)
best = [float("inf")] * len(queries)
for _ in range(rounds):
    for i, q in enumerate(queries):
        t = time.perf_counter()
        search(q)
        best[i] = min(best[i], time.perf_counter() - t)
print(json.dumps({{"file": searchkit.__file__, "sum_ms": sum(best) * 1e3, "queries": len(best)}}))
"""


def _time(root: Path, index: Path, data: Path, rounds: int) -> dict[str, float]:
    code = _CHILD.format(here=str(HERE))
    out = subprocess.run(
        [sys.executable, "-c", code, str(root), str(index), str(data), str(rounds)],
        check=True,
        capture_output=True,
        text=True,
    )
    found: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("index", type=Path, help="an index of all of Reuters-21578")
    ap.add_argument("--rounds", type=int, default=15, help="timed passes (each query's fastest)")
    ap.add_argument("--turns", type=int, default=3, help="runs of each checkout, in turn")
    ap.add_argument("--against", nargs=2, metavar=("CHECKOUT", "INDEX"), type=Path)
    ap.add_argument("--data", help="the shared data folder (default ../shared/data)")
    args = ap.parse_args(argv)
    data = c.data_root(args.data) / "reuters21578"
    c.require(data / "reut2-000.sgm", "Reuters-21578")
    runs = {"this": (HERE.parent, args.index)}
    if args.against:
        runs["other"] = (args.against[0].resolve(), args.against[1])
    sums: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(max(1, args.turns)):
        for name, (root, index) in runs.items():
            found = _time(root, index, data, args.rounds)
            sums[name].append(found["sum_ms"])
            print(
                f"{name:5}  {root}  sum of fastest times {found['sum_ms']:.1f} ms"
                f" -> {found['queries'] / found['sum_ms'] * 1e3:.1f} q/s"
            )
    if "other" in sums:
        ratio = min(sums["other"]) / min(sums["this"])
        print(f"this / other: {ratio:.3f}x the speed (best of {len(sums['this'])} runs each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
