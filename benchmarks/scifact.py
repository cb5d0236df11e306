"""SciFact: searchkit against raw Whoosh, SQLite FTS5 and bm25s, in one run on the same data.

    python benchmarks/scifact.py [--rounds 3] [--repeat 3]
                                 [--systems searchkit,whoosh,fts5,bm25s,tantivy] [--variants]
                                 [--json benchmarks/results/scifact.json]

For each system: index the 5,183 abstracts (documents/s and paragraphs/s, timed from the
parsed JSON records to a committed index; ``--repeat`` times, the systems taking turns,
keeping the fastest, since the machine is shared and noisy), then run the 300 test
queries once to warm up and ``--rounds`` more times timed, one query at a time (queries/s,
p50/p95/p99 latency), and score the last round's top 10 by nDCG@10.  Then the same
queries at depth 100, reading each hit's text and a highlighted snippet where the system
makes one (searchkit's ``Hit.snippet()``, FTS5's ``snippet()``, tantivy's
``SnippetGenerator``; bm25s has no highlighter and returns the text; raw Whoosh does not
store the text and is left out).  Ratios compare searchkit with each baseline, the
searches taking turns a round at a time so that they share the machine's noise.

``--variants`` adds rows that show what searchkit's own speed-ups bring, measured in
the same run: ``searchkit-1proc`` (one writer process) and ``searchkit-whoosh-collector``
(queries through Whoosh's collector and match count instead of ``_topk``), and
``searchkit-topk`` (queries through ``_topk``'s term-at-a-time path, without the columns),
and ``searchkit-ids`` (``search(..., highlight=False)``, reading ids and scores only, at
both depths: no text, no snippet).

The baselines are used the way their documentation shows:

- ``whoosh``: the Whoosh tutorial: ``title`` (stored) and ``text`` TEXT fields with the
  default analyzer, the default writer, one ``add_document`` per abstract, one searcher
  reused for every query, ``MultifieldParser(["title", "text"], group=OrGroup)``, BM25F.
- ``fts5``: SQLite FTS5 from the standard library, ``tokenize='porter'``, the words of the
  query joined with OR, ``ORDER BY rank`` (bm25).
- ``bm25s``: bm25s with PyStemmer's English stemmer and English stop words (optional:
  ``pip install -e '.[bench]'``), one query per ``retrieve`` call.
- ``tantivy``: tantivy-py (optional, in the bench extra): ``title`` and ``text`` fields with
  its ``en_stem`` tokenizer, BM25, the query's words OR-ed through ``parse_query``, one
  writer (its default threads), one searcher reused for every query.

Skips cleanly, with a message, when the data is not on this machine.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import _common as c

SYSTEMS = ("searchkit", "whoosh", "fts5", "bm25s", "tantivy")
DEEP = 100  # the depth of the second query phase
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
    records: list[Record],
    work: Path,
    *,
    procs: int | None = None,
    fast_path: bool = True,
    columns: bool = True,
    highlight: bool = True,
) -> tuple[c.Stopwatch, Searcher, dict[str, Any]]:
    """searchkit as a user gets it; ``procs``, ``fast_path``, ``columns`` and
    ``highlight`` change it for --variants (``highlight=False``: ids and scores only)."""
    import searchkit
    import searchkit._batch
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

    default_procs = searchkit._batch._WRITER_PROCS
    if procs is not None:
        searchkit._batch._WRITER_PROCS = procs
    try:
        with c.Stopwatch() as t:
            # Lexical, as a default install builds it: no paragraph vectors even where
            # searchkit[semantic] is installed (hybrid.py measures what they cost).
            index = searchkit.Index.create(work / "searchkit", vectors=False)
            report = index.add_documents(documents())
    finally:
        searchkit._batch._WRITER_PROCS = default_procs
    errors: list[str] = []
    top_docs = searchkit.search.top_docs
    from searchkit import _hits, _topk
    from searchkit._limits import Deadline

    def whoosh_collector(text: str, limit: int) -> list[searchkit.Hit]:
        """Whoosh's top-N collector and its match count, hits built as searchkit builds them."""
        searcher = index._reader()
        q = searchkit.search.parse_query(text, searcher.schema)
        found = searcher.search(q, limit=limit)
        assert len(found) >= 0  # the total: Whoosh walks every match a second time
        terms = _hits.highlight_terms(q, searcher)
        page = [[(score, docnum)] for score, docnum in found.top_n]
        records = _hits.Records(searcher)
        return list(_hits.build_hits(searcher, page, 1, terms, 0, records, Deadline(None)))

    def search(text: str, limit: int = 10, deep: bool = False) -> list[str]:
        if not columns:  # the term-at-a-time path, as before the columns
            searchkit.search.top_docs = _topk.top_docs
        try:
            if not fast_path:  # Whoosh's collector and match count, as before _topk
                hits = whoosh_collector(text, limit)
            else:
                hits = list(index.search(text, limit=limit, highlight=highlight))
            if deep and highlight:  # read what a reader of the hits reads: text and a snippet
                return [h.doc_id for h in hits if h.text and h.snippet()]
            return c.dedupe(h.doc_id for h in hits)
        except searchkit.QueryError as exc:
            errors.append(str(exc))
            return []
        finally:
            searchkit.search.top_docs = top_docs

    segments = len(index._ix._segments())
    return (
        t,
        search,
        {
            "chunks": report.chunks,
            "segments": segments,
            "query_errors": errors,
            "deep": lambda text: search(text, DEEP, deep=True),
        },
    )


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
    deep_sql = (
        "SELECT id, text, snippet(docs, 2, '[', ']', '…', 40) FROM docs WHERE docs MATCH ? "
        f"ORDER BY rank LIMIT {DEEP}"
    )

    def search(text: str) -> list[str]:
        match = " OR ".join(f'"{w}"' for w in c.words(text))
        return [row[0] for row in db.execute(sql, (match,))] if match else []

    def deep(text: str) -> list[str]:
        match = " OR ".join(f'"{w}"' for w in c.words(text))
        return [row[0] for row in db.execute(deep_sql, (match,)) if row[1]] if match else []

    return t, search, {"deep": deep}


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

    texts = [r["text"] for r in records]

    def deep(text: str) -> list[str]:
        q = bm25s.tokenize(
            text, stopwords="en", stemmer=stemmer, return_ids=False, show_progress=False
        )
        if not q or not q[0]:
            return []
        k = min(DEEP, len(ids))
        found, _scores = retriever.retrieve(q, k=k, show_progress=False, n_threads=1)
        return [ids[i] for i in found[0] if texts[i]]

    return t, search, {"deep": deep}


def build_tantivy(
    records: list[Record], work: Path
) -> tuple[c.Stopwatch, Searcher, dict[str, Any]]:
    import tantivy

    with c.Stopwatch() as t:
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("title", stored=True, tokenizer_name="en_stem")
        builder.add_text_field("text", stored=True, tokenizer_name="en_stem")
        schema = builder.build()
        folder = work / "tantivy"
        folder.mkdir()
        index = tantivy.Index(schema, path=str(folder))
        writer = index.writer()
        for r in records:
            writer.add_document(tantivy.Document(id=r["_id"], title=r["title"], text=r["text"]))
        writer.commit()
        writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()

    def parse(text: str) -> Any:
        match = " OR ".join(f'"{w}"' for w in c.words(text))
        return index.parse_query(match, ["title", "text"]) if match else None

    def search(text: str) -> list[str]:
        q = parse(text)
        if q is None:
            return []
        return [searcher.doc(addr)["id"][0] for _score, addr in searcher.search(q, 10).hits]

    def deep(text: str) -> list[str]:
        q = parse(text)
        if q is None:
            return []
        snippets = tantivy.SnippetGenerator.create(searcher, q, schema, "text")
        out = []
        for _score, addr in searcher.search(q, DEEP).hits:
            doc = searcher.doc(addr)
            if doc["text"][0] and snippets.snippet_from_doc(doc).to_html() is not None:
                out.append(doc["id"][0])
        return out

    return t, search, {"deep": deep}


Builder = Callable[[list[Record], Path], tuple[c.Stopwatch, Searcher, dict[str, Any]]]
BUILDERS: dict[str, Builder] = {
    "searchkit": build_searchkit,
    # --variants: what one writer process, and Whoosh's own collector, would give.
    "searchkit-1proc": lambda r, w: build_searchkit(r, w, procs=1),
    "searchkit-whoosh-collector": lambda r, w: build_searchkit(r, w, fast_path=False),
    "searchkit-topk": lambda r, w: build_searchkit(r, w, columns=False),
    "searchkit-ids": lambda r, w: build_searchkit(r, w, highlight=False),
    "whoosh": build_whoosh,
    "fts5": build_fts5,
    "bm25s": build_bm25s,
    "tantivy": build_tantivy,
}


def available(name: str) -> str | None:
    """Why ``name`` cannot run here, or ``None`` when it can."""
    if name == "bm25s":
        try:
            import bm25s  # noqa: F401
            import Stemmer  # noqa: F401
        except ImportError:
            return "bm25s or PyStemmer not installed (pip install -e '.[bench]')"
    if name == "tantivy":
        try:
            import tantivy  # noqa: F401
        except ImportError:
            return "tantivy not installed (pip install -e '.[bench]')"
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
        help="also run searchkit with one writer process, Whoosh's collector, _topk, and "
        "ids and scores only (highlight=False)",
    )
    args = ap.parse_args(argv)
    if args.variants:
        args.systems += ",searchkit-1proc,searchkit-whoosh-collector,searchkit-topk,searchkit-ids"

    root = c.data_root(args.data) / "scifact"
    c.require(root / "corpus.jsonl", "SciFact")
    qrels = c.read_qrels(root / "qrels" / "test.tsv")
    records = load_corpus(root)
    queries = load_queries(root, qrels)
    paragraphs = sum(1 for r in records if r["text"])
    print(
        f"SciFact: {len(records):,} documents, {paragraphs:,} paragraphs, "
        f"{len(queries)} test queries, {args.rounds} timed rounds (the fastest kept)"
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
        shallow = c.run_interleaved({n: built[n][0] for n in names}, queries, args.rounds)
        deep_names = [n for n in names if "deep" in built[n][1]]
        deep = c.run_interleaved({n: built[n][1]["deep"] for n in deep_names}, queries, args.rounds)
        for name in names:
            _search, extra = built[name]
            seconds, cpu_seconds = min(times[name])
            ranked, latencies, passes = shallow[name]
            row: dict[str, Any] = {
                "system": name,
                "index_s": seconds,
                "index_s_runs": [t for t, _ in times[name]],
                "index_cpu_s": cpu_seconds,
                "docs_per_s": len(records) / seconds,
                "paragraphs_per_s": paragraphs / seconds,
                **c.latency_summary(latencies),
                "qps_passes": passes,
                "ndcg@10": c.mean_ndcg(ranked, qrels),
            }
            if name in deep:
                _ranked, deep_latencies, deep_passes = deep[name]
                summary = c.latency_summary(deep_latencies)
                row.update({f"{k}_deep": v for k, v in summary.items() if k != "queries"})
                row["qps_deep_passes"] = deep_passes
            errors = extra.pop("query_errors", [])
            if errors:
                row["query_errors"] = len(set(errors))
            extra.pop("deep", None)
            row.update(extra)
            rows.append(row)
            print(
                f"{name}: indexed in {seconds:.2f} s (fastest of "
                f"{', '.join(f'{t:.2f}' for t, _ in times[name])}), {row['qps']:.1f} q/s, "
                f"{row.get('qps_deep', math.nan):.1f} q/s at depth {DEEP}, "
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
                ("qps_deep", f"q/s @{DEEP}"),
                ("p50_ms_deep", f"p50 @{DEEP}"),
                ("p99_ms_deep", f"p99 @{DEEP}"),
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
                    ("p99_ms", "p99 (inv)"),
                    ("qps_deep", f"q/s @{DEEP}"),
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
                "p99_ms": c.ratio(r["p99_ms"], sk["p99_ms"]),
                "qps_deep": c.ratio(sk.get("qps_deep"), r.get("qps_deep")),
                "ndcg_delta": sk["ndcg@10"] - r["ndcg@10"],
            }
        )
    return out


if __name__ == "__main__":
    sys.exit(main())
