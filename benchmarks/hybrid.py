"""What hybrid ranking and proximity cost: query time on SciFact at 10 hits a query, as
multipliers on BM25 alone (hits collapsed by document, the default, and flat), and
indexing time with and without paragraph vectors.

usage: python benchmarks/hybrid.py [--data DIR] [--rounds N] [--json OUT]

The searches take turns a pass at a time (``_common.run_interleaved``), so they share the
machine's noise; each figure is the fastest pass.  Indexing is timed twice, once with
``searchkit[semantic]`` (vectors) and once with ``vectors=False``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import _common

import searchkit
from searchkit import semantic
from searchkit.evaluation import read_collection
from searchkit.evaluation.runner import to_document
from searchkit.query import plain_query

RANKINGS: dict[str, dict[str, Any]] = {
    "lexical": {},
    "hybrid": {"mode": "hybrid"},
    "proximity": {"proximity": True},
    "hybrid+proximity": {"mode": "hybrid", "proximity": True},
}


def _index(folder: Path, collection: Any, vectors: bool) -> float:
    started = time.perf_counter()
    with searchkit.Index.create(folder, vectors=vectors) as ix:
        ix.add_documents(to_document(d, collection.name) for d in collection.documents)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    root = _common.data_root(args.data) / "scifact"
    _common.require(root, "SciFact")
    collection = read_collection(root)
    queries = [(qid, plain_query(collection.queries[qid])) for qid in collection.judged_queries()]
    with tempfile.TemporaryDirectory() as tmp:
        plain_s = _index(Path(tmp) / "plain", collection, vectors=False)
        vectors_s = _index(Path(tmp) / "vectors", collection, vectors=True)
        semantic.embed(["warm the model"])
        with searchkit.Index.open(Path(tmp) / "vectors") as ix:

            def search(**options: Any) -> Any:
                return lambda text: [h.chunk_id for h in ix.search(text, limit=10, **options)]

            searches = {}
            for layout, flat in (("", {}), (", flat", {"collapse": "none"})):
                for name, options in RANKINGS.items():
                    searches[name + layout] = search(**options, **flat)
            runs = _common.run_interleaved(searches, queries, args.rounds)
    seconds = {name: sum(best) for name, (_ranked, best, _qps) in runs.items()}
    out = {
        "machine": _common.machine(),
        "queries": len(queries),
        "seconds_per_pass": seconds,
        # Each ranking's time over BM25's alone, collapsed by document (the default) or flat.
        "query_cost": {
            name: seconds[name] / seconds["lexical, flat" if name.endswith("flat") else "lexical"]
            for name in seconds
        },
        "index_seconds": {"without_vectors": plain_s, "with_vectors": vectors_s},
        "index_cost": vectors_s / plain_s,
    }
    print(json.dumps(out, indent=2))
    _common.write_json(args.json, out)


if __name__ == "__main__":
    main()
