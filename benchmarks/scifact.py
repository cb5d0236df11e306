"""SciFact: searchkit against raw Whoosh, SQLite FTS5 and bm25s, in one run on the same data.

    python benchmarks/scifact.py [--rounds 3] [--repeat 3]
                                 [--systems searchkit,whoosh,fts5,bm25s] [--variants]
                                 [--json benchmarks/results/scifact.json]

For each system: index the 5,183 abstracts (documents/s and paragraphs/s, timed from the
parsed JSON records to a committed index; ``--repeat`` times, the systems taking turns,
keeping the fastest, since the machine is shared and noisy), then run the 300 test
queries once to warm up and ``--rounds`` more times timed, one query at a time (queries/s,
p50/p95/p99 latency), and score the last round's top 10 by nDCG@10.  Ratios compare
searchkit with each baseline.

``--variants`` adds two rows that show what searchkit's own speed-ups bring, measured in
the same run: ``searchkit-1proc`` (one writer process) and ``searchkit-whoosh-collector``
(queries through Whoosh's collector and match count instead of ``_topk``).

The baselines are used the way their documentation shows:

- ``whoosh``: the Whoosh tutorial: ``title`` (stored) and ``text`` TEXT fields with the
  default analyzer, the default writer, one ``add_document`` per abstract, one searcher
  reused for every query, ``MultifieldParser(["title", "text"], group=OrGroup)``, BM25F.
- ``fts5``: SQLite FTS5 from the standard library, ``tokenize='porter'``, the words of the
  query joined with OR, ``ORDER BY rank`` (bm25).
- ``bm25s``: bm25s with PyStemmer's English stemmer and English stop words (optional:
  ``pip install -e '.[bench]'``), one query per ``retrieve`` call.

Skips cleanly, with a message, when the data is not on this machine.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import _common as c

SYSTEMS = ("searchkit", "whoosh", "fts5", "bm25s")
Record = dict[str, str]
Searcher = Callable[[str], list[str]]


def load_corpus(root: Path) -> list[Record]:
    with (root / "corpus.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_queries(root: Path, qrels: dict[str, dict[str, int]]) -> list[tuple[str, str]]:
    texts: dict[str, str] = {}
    with (root / "queries.jsonl").open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                q = json.loads(line)
                texts[q["_id"]] = q["text"]
    return [(qid, texts[qid]) for qid in sorted(qrels, key=_numeric) if qid in texts]


def _numeric(s: str) -> tuple[int, str]:
    return (int(s), s) if s.isdigit() else (sys.maxsize, s)


# -- systems: each returns (index seconds, searcher, extra facts) ----------------------


def build_searchkit(
    records: list[Record], work: Path, *, procs: int | None = None, fast_path: bool = True
) -> tuple[c.Stopwatch, Searcher, dict[str, Any]]:
    """searchkit as a user gets it; ``procs`` and ``fast_path`` change it for --variants."""
    import searchkit
    import searchkit.index
    import searchkit.search
    from searchkit import Document, Paragraph

    def documents() -> Iterator[Document]:
        for r in records:
            text = r["text"]
            yield Document(
                id=r["_id"],
                path=f"scifact/corpus.jsonl#{r['_id']}",
                title=r["title"],
                paragraphs=(Paragraph(1, text, 0, len(text)),) if text else (),
                format="beir",
            )

    default_procs = searchkit.index._WRITER_PROCS
    if procs is not None:
        searchkit.index._WRITER_PROCS = procs
    try:
        with c.Stopwatch() as t:
            index = searchkit.Index.create(work / "searchkit")
            report = index.add_documents(documents())
    finally:
        searchkit.index._WRITER_PROCS = default_procs
    errors: list[str] = []

    def whoosh_collector(text: str) -> list[str]:
        """Whoosh's top-10 collector and its match count, hits built as searchkit builds them."""
        searcher = index._reader()
        q = searchkit.search.parse_query(text, searcher.schema)
        found = searcher.search(q, limit=10)
        assert len(found) >= 0  # the total: Whoosh walks every match a second time
        terms = searchkit.search._highlight_terms(q, searcher)
        hits = [
            searchkit.search._hit(searcher, (score, docnum), rank, terms, 0)
            for rank, (score, docnum) in enumerate(found.top_n, 1)
        ]
        return c.dedupe(h.doc_id for h in hits)

    def search(text: str) -> list[str]:
        try:
            if not fast_path:  # as before _topk
                return whoosh_collector(text)
            return c.dedupe(h.doc_id for h in index.search(text, limit=10))
        except searchkit.QueryError as exc:
            errors.append(str(exc))
            return []

    segments = len(index._ix._segments())
    return t, search, {"chunks": report.chunks, "segments": segments, "query_errors": errors}


def build_whoosh(records: list[Record], work: Path) -> tuple[c.Stopwatch, Searcher, dict[str, Any]]:
    from whoosh import index as windex
    from whoosh import qparser
    from whoosh.fields import ID, TEXT, Schema

    with c.Stopwatch() as t:
        schema = Schema(id=ID(stored=True), title=TEXT(stored=True), text=TEXT)
        folder = work / "whoosh"
        folder.mkdir()
        ix = windex.create_in(str(folder), schema)
        writer = ix.writer()
        for r in records:
            writer.add_document(id=r["_id"], title=r["title"], text=r["text"])
        writer.commit()
    searcher = ix.searcher()
    parser = qparser.MultifieldParser(["title", "text"], ix.schema, group=qparser.OrGroup)

    def search(text: str) -> list[str]:
        return [hit["id"] for hit in searcher.search(parser.parse(text), limit=10)]

    return t, search, {}


def build_fts5(records: list[Record], work: Path) -> tuple[c.Stopwatch, Searcher, dict[str, Any]]:
    with c.Stopwatch() as t:
        db = sqlite3.connect(work / "fts5.db")
        db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, text, tokenize='porter')"
        )
        with db:
            db.executemany(
                "INSERT INTO docs (id, title, text) VALUES (?, ?, ?)",
                ((r["_id"], r["title"], r["text"]) for r in records),
            )
    sql = "SELECT id FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT 10"

    def search(text: str) -> list[str]:
        match = " OR ".join(f'"{w}"' for w in c.words(text))
        return [row[0] for row in db.execute(sql, (match,))] if match else []

    return t, search, {}


def build_bm25s(records: list[Record], work: Path) -> tuple[c.Stopwatch, Searcher, dict[str, Any]]:
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    ids = [r["_id"] for r in records]
    with c.Stopwatch() as t:
        tokens = bm25s.tokenize(
            [f"{r['title']} {r['text']}" for r in records],
            stopwords="en",
            stemmer=stemmer,
            show_progress=False,
        )
        retriever = bm25s.BM25()
        retriever.index(tokens, show_progress=False)

    def search(text: str) -> list[str]:
        q = bm25s.tokenize(
            text, stopwords="en", stemmer=stemmer, return_ids=False, show_progress=False
        )
        if not q or not q[0]:
            return []
        found, _scores = retriever.retrieve(q, k=10, show_progress=False, n_threads=1)
        return [ids[i] for i in found[0]]

    return t, search, {}


Builder = Callable[[list[Record], Path], tuple[c.Stopwatch, Searcher, dict[str, Any]]]
BUILDERS: dict[str, Builder] = {
    "searchkit": build_searchkit,
    # --variants: what one writer process, and Whoosh's own collector, would give.
    "searchkit-1proc": lambda r, w: build_searchkit(r, w, procs=1),
    "searchkit-whoosh-collector": lambda r, w: build_searchkit(r, w, fast_path=False),
    "whoosh": build_whoosh,
    "fts5": build_fts5,
    "bm25s": build_bm25s,
}


def available(name: str) -> str | None:
    """Why ``name`` cannot run here, or ``None`` when it can."""
    if name == "bm25s":
        try:
            import bm25s  # noqa: F401
            import Stemmer  # noqa: F401
        except ImportError:
            return "bm25s or PyStemmer not installed (pip install -e '.[bench]')"
    if name == "fts5":
        try:
            sqlite3.connect(":memory:").execute("CREATE VIRTUAL TABLE t USING fts5(x)")
        except sqlite3.OperationalError:
            return "this Python's SQLite has no FTS5"
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", help="shared data folder (default ../shared/data)")
    ap.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated subset")
    ap.add_argument("--rounds", type=int, default=3, help="timed passes over the queries")
    ap.add_argument(
        "--repeat", type=int, default=3, help="indexing runs per system; the fastest is kept"
    )
    ap.add_argument("--json", metavar="FILE", help="write the results as JSON (- for stdout)")
    ap.add_argument("--workdir", help="where to build the indexes (default: a temp folder)")
    ap.add_argument(
        "--variants",
        action="store_true",
        help="also run searchkit with one writer process and with Whoosh's collector",
    )
    args = ap.parse_args(argv)
    if args.variants:
        args.systems += ",searchkit-1proc,searchkit-whoosh-collector"

    root = c.data_root(args.data) / "scifact"
    c.require(root / "corpus.jsonl", "SciFact")
    qrels = c.read_qrels(root / "qrels" / "test.tsv")
    records = load_corpus(root)
    queries = load_queries(root, qrels)
    paragraphs = sum(1 for r in records if r["text"])
    print(
        f"SciFact: {len(records):,} documents, {paragraphs:,} paragraphs, "
        f"{len(queries)} test queries, {args.rounds} timed rounds"
    )

    rows: list[dict[str, Any]] = []
    work = Path(tempfile.mkdtemp(prefix="searchkit-bench-", dir=args.workdir))
    try:
        names = []
        for name in [s.strip() for s in args.systems.split(",") if s.strip()]:
            if name not in BUILDERS:
                ap.error(f"unknown system {name!r}; choose from {', '.join(BUILDERS)}")
            why = available(name)
            if why:
                print(f"{name}: skipped, {why}")
            else:
                names.append(name)
        # Index --repeat times, the systems taking turns (the machine's noise is shared),
        # keeping each system's fastest time; the last index answers the queries.
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
        built: dict[str, tuple[Searcher, dict[str, Any]]] = {}
        for run in range(max(1, args.repeat)):
            for name in names:
                folder = work / f"{name}-{run}"
                folder.mkdir()
                watch, search, extra = BUILDERS[name](records, folder)
                times[name].append((watch.seconds, watch.cpu_seconds))
                built[name] = (search, {**extra, "index_mb": c.dir_size(folder) / 2**20})
        for name in names:
            search, extra = built[name]
            seconds, cpu_seconds = min(times[name])
            ranked, latencies = c.run_queries(search, queries, args.rounds)
            row: dict[str, Any] = {
                "system": name,
                "index_s": seconds,
                "index_s_runs": [t for t, _ in times[name]],
                "index_cpu_s": cpu_seconds,
                "docs_per_s": len(records) / seconds,
                "paragraphs_per_s": paragraphs / seconds,
                **c.latency_summary(latencies),
                "ndcg@10": c.mean_ndcg(ranked, qrels),
            }
            errors = extra.pop("query_errors", [])
            if errors:
                row["query_errors"] = len(set(errors))
            row.update(extra)
            rows.append(row)
            print(
                f"{name}: indexed in {seconds:.2f} s (fastest of "
                f"{', '.join(f'{t:.2f}' for t, _ in times[name])}), {row['qps']:.1f} q/s, "
                f"nDCG@10 {row['ndcg@10']:.4f}",
                flush=True,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print()
    print(
        c.table(
            rows,
            [
                ("system", "system"),
                ("index_s", "index s"),
                ("index_cpu_s", "CPU s"),
                ("docs_per_s", "docs/s"),
                ("paragraphs_per_s", "paras/s"),
                ("index_mb", "MiB"),
                ("qps", "q/s"),
                ("p50_ms", "p50 ms"),
                ("p95_ms", "p95 ms"),
                ("p99_ms", "p99 ms"),
                ("ndcg@10", "nDCG@10"),
            ],
        )
    )
    ratios = compare(rows)
    if ratios:
        print()
        print("searchkit / baseline (higher is better for searchkit):")
        print(
            c.table(
                ratios,
                [
                    ("baseline", "baseline"),
                    ("docs_per_s", "index docs/s"),
                    ("paragraphs_per_s", "index paras/s"),
                    ("qps", "q/s"),
                    ("p50_ms", "p50 (inv)"),
                    ("ndcg_delta", "nDCG@10 diff"),
                ],
            )
        )
    c.write_json(
        args.json,
        {
            "benchmark": "scifact",
            "machine": c.machine(),
            "documents": len(records),
            "paragraphs": paragraphs,
            "queries": len(queries),
            "rounds": args.rounds,
            "results": rows,
            "ratios": ratios,
        },
    )
    return 0


def compare(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """searchkit's figures divided by each baseline's (latency inverted, nDCG as a difference)."""
    sk = next((r for r in rows if r["system"] == "searchkit"), None)
    if sk is None:
        return []
    out = []
    for r in rows:
        if r is sk:
            continue
        out.append(
            {
                "baseline": r["system"],
                "docs_per_s": c.ratio(sk["docs_per_s"], r["docs_per_s"]),
                "paragraphs_per_s": c.ratio(sk["paragraphs_per_s"], r["paragraphs_per_s"]),
                "qps": c.ratio(sk["qps"], r["qps"]),
                "p50_ms": c.ratio(r["p50_ms"], sk["p50_ms"]),
                "ndcg_delta": sk["ndcg@10"] - r["ndcg@10"],
            }
        )
    return out


if __name__ == "__main__":
    sys.exit(main())
