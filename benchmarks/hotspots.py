"""Where a SciFact search spends its time: cProfile over the 300 test queries.

    python benchmarks/hotspots.py [--limits 10,100] [--top 30] [--index DIR]

Indexes SciFact (or opens ``--index`` if it holds an index already, and builds one there
if it does not), answers the queries once to warm up (so the column caches exist and the
searcher is past its first query, as in ``scifact.py``'s timed passes), then profiles one
pass at each ``--limits`` depth.  At depths above 10 each hit's text and snippet are
read, as ``scifact.py``'s depth-100 pass reads them.  Prints the queries/s of an
unprofiled pass, the share of the search time spent in each step (its cumulative time
under the profiler, which inflates code that makes many small calls), and the functions
with the most cumulative time.

Skips cleanly, with a message, when the data is not on this machine.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import _common as c
import scifact

# A step of a search, and the functions whose cumulative time is that step's.
STEPS: dict[str, tuple[str, ...]] = {
    "the whole search": ("search.py:run_search",),
    "parsing the query": ("query.py:parse_query",),
    # Collapsed by document (the default) or flat.
    "scoring (top k and total)": ("_collapse.py:top_documents", "_columns.py:top_docs"),
    # Whoosh's own reader of stored fields, as _decoded.install() replaces it.
    "reading stored fields": ("_decoded.py:stored_fields",),
    "highlight spans": ("_hits.py:_spans",),
    "building hits (spans included)": ("_hits.py:build_hits",),
    "suggestions": ("typos.py:suggestions",),
    "query limits and fuzzy terms": ("_limits.py:bound_query", "typos.py:expand_fuzzy"),
    "highlight terms": ("_hits.py:highlight_terms",),
    "reading snippets": ("models.py:snippet",),
}


def open_index(records: list[dict[str, str]], folder: Path) -> Any:
    import searchkit
    from searchkit import Document, Paragraph

    try:
        return searchkit.Index.open(folder)
    except searchkit.IndexNotFoundError:
        pass

    index = searchkit.Index.create(folder, vectors=False)  # queries are lexical here
    index.add_documents(
        Document(
            id=r["_id"],
            path=f"scifact/corpus.jsonl#{r['_id']}",
            title=r["title"],
            paragraphs=(Paragraph(1, r["text"], 0, len(r["text"])),) if r["text"] else (),
            format="beir",
        )
        for r in records
    )
    return index


def one_pass(index: Any, queries: list[str], limit: int) -> None:
    import searchkit

    for text in queries:
        try:
            if limit > 10:
                [h.doc_id for h in index.search(text, limit=limit) if h.text and h.snippet()]
            else:
                [h.doc_id for h in index.search(text, limit=limit)]
        except searchkit.QueryError:
            pass


def shares(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Each step's cumulative seconds, from the profiler's per-function totals."""
    totals: dict[str, float] = {}
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (filename, _line, name), (_cc, _nc, _tt, ct, _callers) in raw.items():
        where = f"{filename}:{name}".replace("\\", "/")
        for step, names in STEPS.items():
            if any(where.endswith(n) for n in names):
                totals[step] = totals.get(step, 0.0) + ct
    return [(step, totals.get(step, 0.0)) for step in STEPS]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", help="shared data folder (default ../shared/data)")
    ap.add_argument("--limits", default="10,100", help="depths to profile, comma-separated")
    ap.add_argument("--top", type=int, default=30, help="functions listed per depth")
    ap.add_argument("--index", help="an index folder to reuse (built there when empty)")
    args = ap.parse_args(argv)

    root = c.data_root(args.data) / "scifact"
    c.require(root / "corpus.jsonl", "SciFact")
    qrels = c.read_qrels(root / "qrels" / "test.tsv")
    queries = [text for _qid, text in scifact.load_queries(root, qrels)]
    work = Path(args.index) if args.index else Path(tempfile.mkdtemp(prefix="searchkit-prof-"))
    try:
        index = open_index(scifact.load_corpus(root), work)
        for limit in [int(x) for x in args.limits.split(",") if x.strip()]:
            one_pass(index, queries, limit)  # warm-up
            started = time.perf_counter()
            one_pass(index, queries, limit)
            qps = len(queries) / (time.perf_counter() - started)
            profiler = cProfile.Profile()
            profiler.enable()
            one_pass(index, queries, limit)
            profiler.disable()
            stats = pstats.Stats(profiler)
            found = shares(stats)
            whole = found[0][1] or 1.0
            print(f"\nlimit={limit}: {qps:.1f} q/s unprofiled; under the profiler:")
            for step, seconds in found:
                ms = seconds / len(queries) * 1000
                print(f"  {step:<30} {ms:8.3f} ms/query  {seconds / whole:6.1%}")
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
            print(out.getvalue())
    finally:
        if not args.index:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
