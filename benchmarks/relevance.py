"""Ranking quality and query speed of searchkit's defaults beside the usual baselines.

One run measures, on SciFact (BEIR, test split) and Cranfield (SMART):

- searchkit with its default settings, through ``searchkit.evaluate`` (paragraph index,
  documents ranked by their best paragraph);
- Whoosh as its tutorial shows it: title and content fields, ``MultifieldParser``, the
  default BM25F, with OR grouping and with the default AND grouping;
- SQLite FTS5 from the standard library: the porter tokenizer, ``bm25()``, query words
  joined by OR;
- bm25s with the PyStemmer English stemmer and its English stop words (skipped when
  bm25s or PyStemmer is not installed: ``pip install -e '.[bench]'``).

Every system ranks 100 documents per query, one query at a time on one thread, and is
scored by the same trec_eval-equivalent code (``searchkit.evaluation.metrics``).

    python benchmarks/relevance.py [--data DIR] [--json FILE] [--collections scifact ...]

The data is read from ``--data``, ``$SEARCHKIT_DATA`` or ``../shared/data`` beside the
repository; when it is not there the script says so and exits 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import searchkit
from searchkit.analysis import ANALYZER_ID
from searchkit.evaluation import Collection, read_collection, score_query
from searchkit.evaluation.metrics import METRICS, mean, ranking

REPO = Path(__file__).resolve().parent.parent
DATA_CANDIDATES = (REPO.parent / "shared" / "data", Path("/work/shared/data"))
COLLECTIONS = {"scifact": ("scifact", "beir"), "cranfield": ("cranfield", "smart")}
DEPTH = 100
_WORD = re.compile(r"\w+")

# A system: build(collection) -> search(query text) -> ranked document ids.
Searcher = Callable[[str], list[str]]


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    root = _data_root(args.data)
    if root is None:
        print("skipped: no shared data (looked in --data, $SEARCHKIT_DATA, ../shared/data)")
        return 0
    results: dict[str, dict[str, dict[str, float]]] = {}
    for name in args.collections:
        folder, fmt = COLLECTIONS[name]
        if not (root / folder).is_dir():
            print(f"skipped: {name} not found at {root / folder}")
            continue
        collection = read_collection(root / folder, format=fmt)  # type: ignore[arg-type]
        rows = {"searchkit": _searchkit(root / folder, fmt)}
        for system, build in _baselines().items():
            try:
                rows[system] = _measure(collection, build)
            except ImportError as exc:
                print(f"skipped {system}: {exc}", file=sys.stderr)
        results[name] = rows
        _print_table(name, collection, rows)
    if args.json and results:
        Path(args.json).write_text(json.dumps(_document(results), indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="the shared data folder (default: ../shared/data)")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument(
        "--collections",
        nargs="+",
        choices=list(COLLECTIONS),
        default=list(COLLECTIONS),
        help="which collections to run (default: all)",
    )
    return parser.parse_args(argv)


def _data_root(arg: str | None) -> Path | None:
    given = arg or os.environ.get("SEARCHKIT_DATA")
    candidates = (Path(given),) if given else DATA_CANDIDATES
    return next((p for p in candidates if p.is_dir()), None)


# -- measuring ---------------------------------------------------------------------------


def _searchkit(path: Path, fmt: str) -> dict[str, float]:
    report = searchkit.evaluate(path, format=fmt)  # type: ignore[arg-type]
    return {
        "ndcg@10": report.ndcg_10,
        "recall@100": report.recall_100,
        "mrr@10": report.mrr_10,
        "map@100": report.map_100,
        "qps": report.qps,
        "index_seconds": report.index_seconds,
    }


def _measure(collection: Collection, build: Callable[[Collection], Searcher]) -> dict[str, float]:
    started = time.perf_counter()
    search = build(collection)
    index_seconds = time.perf_counter() - started
    per_query: list[dict[str, float]] = []
    seconds = 0.0
    for qid in collection.judged_queries():
        started = time.perf_counter()
        run = search(collection.queries[qid])
        seconds += time.perf_counter() - started
        per_query.append(score_query(run, collection.qrels[qid]))
    out = {m: mean([q[m] for q in per_query]) for m in METRICS}
    out["qps"] = len(per_query) / seconds if seconds else 0.0
    out["index_seconds"] = index_seconds
    return out


def _baselines() -> dict[str, Callable[[Collection], Searcher]]:
    return {
        "whoosh OR (tutorial)": lambda c: _whoosh(c, and_group=False),
        "whoosh AND (tutorial)": lambda c: _whoosh(c, and_group=True),
        "sqlite fts5 porter": _fts5,
        "bm25s + pystemmer": _bm25s,
    }


def _whoosh(collection: Collection, *, and_group: bool) -> Searcher:
    from whoosh import fields, index, qparser

    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(stored=True),
        content=fields.TEXT,
    )
    folder = tempfile.mkdtemp(prefix="relevance-whoosh-")
    ix = index.create_in(folder, schema)
    writer = ix.writer(limitmb=256)
    for doc in collection.documents:
        writer.add_document(id=doc.id, title=doc.title, content=doc.text)
    writer.commit()
    group = qparser.AndGroup if and_group else qparser.OrGroup
    parser = qparser.MultifieldParser(["title", "content"], schema, group=group)
    searcher = ix.searcher()

    def search(text: str) -> list[str]:
        hits = searcher.search(parser.parse(text), limit=DEPTH)
        return ranking({h["id"]: h.score for h in hits})

    return search


def _fts5(collection: Collection) -> Searcher:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(title, body, tokenize='porter unicode61')")
    db.executemany(
        "INSERT INTO docs (rowid, title, body) VALUES (?, ?, ?)",
        ((n, d.title, d.text) for n, d in enumerate(collection.documents)),
    )
    db.commit()
    ids = [d.id for d in collection.documents]
    sql = "SELECT rowid, bm25(docs) FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?"

    def search(text: str) -> list[str]:
        words = _WORD.findall(text)
        if not words:
            return []
        match = " OR ".join(f'"{w}"' for w in words)
        return ranking({ids[row]: -score for row, score in db.execute(sql, (match, DEPTH))})

    return search


def _bm25s(collection: Collection) -> Searcher:
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    corpus = [f"{d.title} {d.text}" for d in collection.documents]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(corpus, stopwords="en", stemmer=stemmer, show_progress=False))
    ids = [d.id for d in collection.documents]
    k = min(DEPTH, len(ids))

    def search(text: str) -> list[str]:
        tokens = bm25s.tokenize([text], stopwords="en", stemmer=stemmer, show_progress=False)
        if not tokens.vocab:
            return []
        docs, scores = retriever.retrieve(tokens, k=k, show_progress=False, n_threads=1)
        return ranking({ids[d]: float(s) for d, s in zip(docs[0], scores[0], strict=True) if s > 0})

    return search


# -- reporting ---------------------------------------------------------------------------


def _print_table(name: str, collection: Collection, rows: dict[str, dict[str, float]]) -> None:
    ours = rows["searchkit"]
    print(
        f"\n{name}: {len(collection.judged_queries())} queries, "
        f"{len(collection.documents):,} documents ({collection.format}, {collection.split})"
    )
    header = (
        f"{'system':<24}{'nDCG@10':>9}{'R@100':>8}{'MRR@10':>8}{'MAP@100':>9}"
        f"{'q/s':>8}{'index s':>9}{'sk/this nDCG':>14}{'sk/this q/s':>13}"
    )
    print(header)
    print("-" * len(header))
    for system, r in rows.items():
        print(
            f"{system:<24}{r['ndcg@10']:>9.4f}{r['recall@100']:>8.4f}{r['mrr@10']:>8.4f}"
            f"{r['map@100']:>9.4f}{r['qps']:>8.1f}{r['index_seconds']:>9.1f}"
            f"{_ratio(ours['ndcg@10'], r['ndcg@10']):>14}{_ratio(ours['qps'], r['qps']):>13}"
        )


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "-"


def _document(results: dict[str, dict[str, dict[str, float]]]) -> dict[str, Any]:
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
        },
        "searchkit": searchkit.__version__,
        "analyzer": ANALYZER_ID,
        "depth": DEPTH,
        "results": results,
    }


if __name__ == "__main__":
    sys.exit(main())
