"""A bulk load into one index: build time, memory, disk (final and peak), segments, p50.

Reuters-21578 is written ``--copies`` times with new ids (as ``shards.py`` writes it,
1,000 articles a JSON Lines file: 3 copies are 321,969 paragraphs, 10 are 1,073,230).
Each build runs in a fresh process that adds every file to a new single index, notes
each commit's segments and how long each merge took, watches the folder's size, and
then answers 191 article titles as queries.  ``--before PATH`` names a copy of other
searchkit code (``git archive main | tar -x -C PATH``): its builds and this tree's take
turns, ``--repeat`` rounds, so both meet the same noise on a shared machine.  Run by
hand; no test reads a timing.

    python benchmarks/bulk.py --copies 3 --before /tmp/searchkit-main --repeat 2
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import _common as c
import _reuters


def worker(files: Path, folder: Path, queries_file: Path) -> None:
    """One build in this process; prints one JSON row (and the commit log on stderr)."""
    import searchkit
    import searchkit.index

    clock = time.perf_counter()
    merges: list[float] = []

    def note(message: str) -> None:
        print(f"{time.perf_counter() - clock:7.1f}s {message}", file=sys.stderr, flush=True)

    # What to time: the copying merge where there is one, else the merge policy (which in
    # older code re-adds the merged postings; writing them out follows in the commit).
    merging = getattr(searchkit, "_merge", None)
    if merging is not None and hasattr(merging, "merge_segments"):
        owner, name = merging, "merge_segments"
    else:
        owner, name = searchkit._writer, "merge_policy"
    original = getattr(owner, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        result = original(*args, **kwargs)
        if name == "merge_segments" or result != args[1]:
            merges.append(time.perf_counter() - t0)
            note(f"merged in {merges[-1]:.1f}s")
        return result

    setattr(owner, name, timed)
    peak = [0]
    done = threading.Event()

    def watch() -> None:
        while not done.wait(1.0):
            with contextlib.suppress(OSError):  # a file went away while counted
                peak[0] = max(peak[0], c.dir_size(folder))

    threading.Thread(target=watch, daemon=True).start()
    queries = json.loads(queries_file.read_text(encoding="utf-8"))
    with searchkit.Index.create(folder) as ix, c.Stopwatch() as t:
        report = ix.add(files)
    done.set()
    rss = c.peak_rss_mb()
    with searchkit.Index.open(folder) as ix:
        segments = [s.doc_count_all() for s in ix._ix._segments()]

        def search(text: str) -> list[str]:
            return [h.chunk_id for h in ix.search(text)]

        _ranked, latencies = c.run_queries(search, list(enumerate(queries)), 1)
    disk = c.dir_size(folder)
    row = {
        "paragraphs": report.chunks,
        "index_s": t.seconds,
        "index_cpu_s": t.cpu_seconds,
        "merge_s": sum(merges),
        "main_rss_mb": rss["self_mb"],
        "writer_rss_mb": rss["children_mb"],
        "index_mb": disk / 2**20,
        "peak_disk_mb": max(peak[0], disk) / 2**20,
        "segments": len(segments),
        "segment_sizes": segments,
        **c.latency_summary(latencies),
    }
    print(json.dumps(row))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", help="shared data folder (default ../shared/data)")
    ap.add_argument("--copies", type=int, default=3, help="times Reuters is repeated")
    ap.add_argument("--before", help="a copy of other searchkit code to compare with")
    ap.add_argument("--repeat", type=int, default=1, help="builds of each code")
    ap.add_argument("--work", help="folder for the files and indexes (default: a temp folder)")
    ap.add_argument("--json", help="write the rows and the machine here")
    ap.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(*map(Path, args.worker))
        return 0
    root = c.data_root(args.data) / "reuters21578"
    c.require(root / "reut2-000.sgm", "Reuters-21578")
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="bulk-bench-"))
    files = work / f"files-{args.copies}"
    if not files.exists():
        articles = _reuters.write_jsonl(root, files, per_file=1000, copies=args.copies)
        print(f"wrote {articles:,} articles to {files}", file=sys.stderr)
    from searchkit.query import plain_query

    queries_file = work / "queries.json"
    queries_file.write_text(
        json.dumps([plain_query(t) for t in _reuters.titles(root)]), encoding="utf-8"
    )
    codes = {"this": str(c.REPO)}
    if args.before:
        codes = {"before": str(Path(args.before).resolve()), **codes}
    rows: list[dict[str, Any]] = []
    for _round in range(args.repeat):
        for name, code in codes.items():
            folder = work / f"index-{name}"
            shutil.rmtree(folder, ignore_errors=True)
            try:
                out = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--worker",
                        str(files),
                        str(folder),
                        str(queries_file),
                    ],
                    check=True,
                    stdout=subprocess.PIPE,
                    text=True,
                    env={**os.environ, "PYTHONPATH": code, "PYTHONWARNINGS": "ignore"},
                )
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            row = {"code": name, **json.loads(out.stdout.strip().splitlines()[-1])}
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
    columns = [
        ("code", "code"),
        ("paragraphs", "paragraphs"),
        ("index_s", "index s"),
        ("index_cpu_s", "CPU s"),
        ("merge_s", "merge s"),
        ("main_rss_mb", "main MiB"),
        ("writer_rss_mb", "writer MiB"),
        ("index_mb", "disk MiB"),
        ("peak_disk_mb", "peak disk MiB"),
        ("segments", "segments"),
        ("p50_ms", "p50 ms"),
    ]
    print(c.table(rows, columns))
    c.write_json(args.json, {"machine": c.machine(), "rows": rows})
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
