"""Reuters-21578 at growing sizes: how indexing and query costs grow, against the baselines.

    python benchmarks/scale.py [--sizes 1000,5000,all] [--systems searchkit,fts5,whoosh,tantivy]
                               [--repeat 3] [--json benchmarks/results/scale.json]

For each size (the first N articles with a body, in file order; ``all`` is 19,043 articles,
107,323 paragraphs) and each system, a fresh Python process indexes the articles as a
stream (never holding the corpus).  Then a second fresh process opens the index and
answers a fixed set of queries (every 100th article title, 191 of them, top 10: one
warm-up pass, then two timed passes, the faster kept).  It reports index time,
paragraphs/s, peak RSS of the indexing process (and of any writer processes it started),
index size on disk, queries/s, p50/p95/p99 latency and the searching process's peak
RSS.  "total MiB" is the indexing process's peak plus twice the largest writer process's
(searchkit runs two at most), an upper bound on what the indexing held at once.

The machine is shared and noisy, so each (size, system) runs ``--repeat`` times, the
systems taking turns, and the table keeps each one's fastest indexing run (its other
times are in the JSON), and its fastest searching run.  Each system's library is
imported before the clock starts, as in ``scifact.py``: the figures are indexing
throughput, not module loading (which ``cold.py`` measures).

- ``searchkit``: ``Index.add_documents`` on Documents built by ``_reuters.py``.
- ``searchkit-optimized``: the same, then ``Index.optimize()`` (every segment merged into
  one), its time counted as indexing.
- ``fts5``: SQLite FTS5 (porter tokenizer), one row per paragraph with its title, OR
  queries ranked by bm25, in one transaction.
- ``whoosh``: the Whoosh tutorial: title and text TEXT fields, default writer, one
  ``add_document`` per paragraph, one commit, ``MultifieldParser`` with ``OrGroup``.
- ``tantivy``: tantivy-py (bench extra): title and text fields with its ``en_stem``
  tokenizer, one document per paragraph, one writer, BM25, the query's words OR-ed.

Skips cleanly, with a message, when the data is not on this machine.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _common as c
import _reuters

SYSTEMS = ("searchkit", "fts5", "whoosh", "tantivy")
WRITERS = 2  # searchkit's writer processes at most (searchkit._batch._WRITER_PROCS)
Searcher = Callable[[str], list[str]]


# -- the worker: one system, one size, in its own process --------------------------------


def index_searchkit(root: Path, limit: int | None, folder: Path) -> tuple[int, int]:
    import searchkit

    counts = [0, 0]

    def stream() -> Any:
        for doc in _reuters.documents(root, limit):
            counts[0] += 1
            counts[1] += len(doc.paragraphs)
            yield doc

    # A lexical index, as the baselines build: no paragraph vectors even where
    # searchkit[semantic] is installed (benchmarks/hybrid.py measures what they cost).
    with searchkit.Index.create(folder / "searchkit", vectors=False) as index:
        index.add_documents(stream())
    return counts[0], counts[1]


def index_searchkit_optimized(root: Path, limit: int | None, folder: Path) -> tuple[int, int]:
    """``index_searchkit``, then ``Index.optimize`` (its time counted as indexing)."""
    import searchkit

    counts = index_searchkit(root, limit, folder)
    with searchkit.Index.open(folder / "searchkit") as index:
        index.optimize()
    return counts


def open_searchkit(folder: Path) -> Searcher:
    import searchkit

    index = searchkit.Index.open(folder / "searchkit")

    def search(text: str) -> list[str]:
        try:
            return [h.chunk_id for h in index.search(text, limit=10)]
        except searchkit.QueryError:
            return []

    return search


def index_whoosh(root: Path, limit: int | None, folder: Path) -> tuple[int, int]:
    from whoosh import index as windex
    from whoosh.fields import ID, TEXT, Schema

    schema = Schema(id=ID(stored=True), title=TEXT(stored=True), text=TEXT)
    (folder / "whoosh").mkdir()
    ix = windex.create_in(str(folder / "whoosh"), schema)
    writer = ix.writer()
    docs = paragraphs = 0
    for doc in _reuters.documents(root, limit):
        docs += 1
        for p in doc.paragraphs:
            paragraphs += 1
            writer.add_document(id=f"{doc.id}:{p.number}", title=doc.title, text=p.text)
    writer.commit()
    return docs, paragraphs


def open_whoosh(folder: Path) -> Searcher:
    from whoosh import index as windex
    from whoosh import qparser

    ix = windex.open_dir(str(folder / "whoosh"))
    searcher = ix.searcher()
    parser = qparser.MultifieldParser(["title", "text"], ix.schema, group=qparser.OrGroup)

    def search(text: str) -> list[str]:
        return [hit["id"] for hit in searcher.search(parser.parse(text), limit=10)]

    return search


def index_fts5(root: Path, limit: int | None, folder: Path) -> tuple[int, int]:
    db = sqlite3.connect(folder / "fts5.db")
    db.execute(
        "CREATE VIRTUAL TABLE chunks USING fts5(id UNINDEXED, title, text, tokenize='porter')"
    )
    counts = [0, 0]

    def rows() -> Any:
        for doc in _reuters.documents(root, limit):
            counts[0] += 1
            for p in doc.paragraphs:
                counts[1] += 1
                yield (f"{doc.id}:{p.number}", doc.title, p.text)

    with db:
        db.executemany("INSERT INTO chunks (id, title, text) VALUES (?, ?, ?)", rows())
    db.close()
    return counts[0], counts[1]


def open_fts5(folder: Path) -> Searcher:
    db = sqlite3.connect(folder / "fts5.db")
    sql = "SELECT id FROM chunks WHERE chunks MATCH ? ORDER BY rank LIMIT 10"

    def search(text: str) -> list[str]:
        match = " OR ".join(f'"{w}"' for w in c.words(text))
        return [row[0] for row in db.execute(sql, (match,))] if match else []

    return search


def index_tantivy(root: Path, limit: int | None, folder: Path) -> tuple[int, int]:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", stored=True, tokenizer_name="en_stem")
    builder.add_text_field("text", stored=True, tokenizer_name="en_stem")
    (folder / "tantivy").mkdir()
    index = tantivy.Index(builder.build(), path=str(folder / "tantivy"))
    writer = index.writer()
    docs = paragraphs = 0
    for doc in _reuters.documents(root, limit):
        docs += 1
        for p in doc.paragraphs:
            paragraphs += 1
            writer.add_document(
                tantivy.Document(id=f"{doc.id}:{p.number}", title=doc.title, text=p.text)
            )
    writer.commit()
    writer.wait_merging_threads()
    return docs, paragraphs


def open_tantivy(folder: Path) -> Searcher:
    import tantivy

    index = tantivy.Index.open(str(folder / "tantivy"))
    searcher = index.searcher()

    def search(text: str) -> list[str]:
        match = " OR ".join(f'"{w}"' for w in c.words(text))
        if not match:
            return []
        q = index.parse_query(match, ["title", "text"])
        return [searcher.doc(addr)["id"][0] for _score, addr in searcher.search(q, 10).hits]

    return search


INDEXERS = {
    "searchkit": index_searchkit,
    "searchkit-optimized": index_searchkit_optimized,
    "fts5": index_fts5,
    "whoosh": index_whoosh,
    "tantivy": index_tantivy,
}
OPENERS = {
    "searchkit": open_searchkit,
    "searchkit-optimized": open_searchkit,
    "fts5": open_fts5,
    "whoosh": open_whoosh,
    "tantivy": open_tantivy,
}


# The module each system's indexer imports, loaded before its clock starts.
LIBRARIES = {
    "searchkit": "searchkit.index",
    "searchkit-optimized": "searchkit.index",
    "fts5": "sqlite3",
    "whoosh": "whoosh.writing",
    "tantivy": "tantivy",
}


def worker(system: str, root: Path, size: int, folder: Path, queries_file: Path) -> None:
    import importlib

    importlib.import_module(LIBRARIES[system])
    start_rss = c.peak_rss_mb()
    with c.Stopwatch() as t:
        docs, paragraphs = INDEXERS[system](root, size or None, folder)
    index_rss = c.peak_rss_mb()
    searching = subprocess.run(
        [sys.executable, __file__, "--searcher", system, str(folder), str(queries_file)],
        check=True,
        capture_output=True,
        text=True,
    )
    print(
        json.dumps(
            {
                "system": system,
                "size": size or "all",
                "documents": docs,
                "paragraphs": paragraphs,
                "index_s": t.seconds,
                "index_cpu_s": t.cpu_seconds,
                "docs_per_s": docs / t.seconds,
                "paragraphs_per_s": paragraphs / t.seconds,
                "start_rss_mb": start_rss["self_mb"],
                "index_rss_mb": index_rss["self_mb"],
                "writer_children_rss_mb": index_rss["children_mb"],
                # Writer processes run side by side: this process plus WRITERS of the
                # largest, an upper bound on the memory the indexing held at once.
                "total_rss_mb": index_rss["self_mb"] + WRITERS * index_rss["children_mb"],
                "index_mb": c.dir_size(folder) / 2**20,
                **json.loads(searching.stdout.strip().splitlines()[-1]),
            }
        )
    )


def searcher_worker(system: str, folder: Path, queries_file: Path) -> None:
    """A fresh process: open the index, answer the queries, report speed and memory."""
    queries = json.loads(queries_file.read_text(encoding="utf-8"))
    numbered = [(str(i), q) for i, q in enumerate(queries)]
    search = OPENERS[system](folder)
    _ranked, latencies, passes = c.run_interleaved({system: search}, numbered, 2)[system]
    summary = c.latency_summary(latencies)
    summary["qps_passes"] = passes
    summary["search_rss_mb"] = c.own_peak_rss_mb()
    print(json.dumps(summary))


# -- the driver ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", help="shared data folder (default ../shared/data)")
    ap.add_argument("--sizes", default="1000,5000,all", help="article counts, or 'all'")
    ap.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated subset")
    ap.add_argument("--json", metavar="FILE", help="write the results as JSON (- for stdout)")
    ap.add_argument("--workdir", help="where to build the indexes (default: a temp folder)")
    ap.add_argument(
        "--repeat", type=int, default=3, help="runs per size and system; the fastest is kept"
    )
    ap.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    ap.add_argument("--searcher", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.searcher:
        system, folder, queries = args.searcher
        searcher_worker(system, Path(folder), Path(queries))
        return 0

    root = c.data_root(args.data) / "reuters21578"
    if args.worker:
        system, size, folder, queries = args.worker
        worker(system, root, int(size), Path(folder), Path(queries))
        return 0

    c.require(root / "reut2-000.sgm", "Reuters-21578")
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    for s in systems:
        if s not in INDEXERS:
            ap.error(f"unknown system {s!r}; choose from {', '.join(INDEXERS)}")
    sizes = [0 if s.strip() == "all" else int(s) for s in args.sizes.split(",") if s.strip()]

    work = Path(tempfile.mkdtemp(prefix="searchkit-scale-", dir=args.workdir))
    rows: list[dict[str, Any]] = []
    try:
        queries_file = work / "queries.json"
        queries = _reuters.titles(root)
        queries_file.write_text(json.dumps(queries), encoding="utf-8")
        print(f"Reuters-21578: sizes {args.sizes}, {len(queries)} title queries")
        for size in sizes:
            runs: dict[str, list[dict[str, Any]]] = {system: [] for system in systems}
            for _ in range(max(1, args.repeat)):
                for system in systems:  # the systems take turns, sharing the noise
                    runs[system].append(_run(system, size, root, work, queries_file))
            for system in systems:
                row = min(runs[system], key=lambda r: r["index_s"])
                row["index_s_runs"] = [r["index_s"] for r in runs[system]]
                fastest = max(runs[system], key=lambda r: r["qps"])  # its searching figures
                for key in ("qps", "p50_ms", "p95_ms", "p99_ms", "search_rss_mb", "qps_passes"):
                    row[key] = fastest[key]
                row["qps_runs"] = [r["qps"] for r in runs[system]]
                rows.append(row)
                print(
                    f"{system} {row['size']}: {row['paragraphs']:,} paragraphs in "
                    f"{row['index_s']:.2f} s (fastest of "
                    f"{', '.join(f'{t:.2f}' for t in row['index_s_runs'])}), "
                    f"peak RSS {row['index_rss_mb']:.0f} MiB, {row['qps']:.1f} q/s "
                    f"(searching process {row['search_rss_mb']:.0f} MiB)",
                    flush=True,
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print()
    print(
        c.table(
            rows,
            [
                ("size", "articles"),
                ("system", "system"),
                ("paragraphs", "paras"),
                ("index_s", "index s"),
                ("index_cpu_s", "CPU s"),
                ("paragraphs_per_s", "paras/s"),
                ("index_rss_mb", "RSS MiB"),
                ("writer_children_rss_mb", "writer MiB"),
                ("total_rss_mb", "total MiB"),
                ("index_mb", "disk MiB"),
                ("qps", "q/s"),
                ("p50_ms", "p50 ms"),
                ("p95_ms", "p95 ms"),
                ("p99_ms", "p99 ms"),
                ("search_rss_mb", "search MiB"),
            ],
        )
    )
    ratios = compare(rows)
    if ratios:
        print()
        print("searchkit / baseline at each size (higher is better for searchkit):")
        print(
            c.table(
                ratios,
                [
                    ("size", "articles"),
                    ("searchkit", "searchkit"),
                    ("baseline", "baseline"),
                    ("paragraphs_per_s", "index paras/s"),
                    ("qps", "q/s"),
                    ("p99_ms", "p99 (inv)"),
                    ("rss", "index memory (inv)"),
                    ("search_rss", "search memory (inv)"),
                    ("disk", "disk (inv)"),
                ],
            )
        )
    c.write_json(
        args.json,
        {
            "benchmark": "scale",
            "machine": c.machine(),
            "queries": len(queries),
            "results": rows,
            "ratios": ratios,
        },
    )
    return 0


def _run(system: str, size: int, root: Path, work: Path, queries_file: Path) -> dict[str, Any]:
    """One worker process: index ``size`` articles with ``system`` and query them."""
    folder = work / f"{system}-{size or 'all'}"
    folder.mkdir()
    try:
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--data",
                str(root.parent),
                "--worker",
                system,
                str(size),
                str(folder),
                str(queries_file),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    row: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return row


def compare(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for sk in (r for r in rows if r["system"].startswith("searchkit")):
        for r in rows:
            if r["size"] != sk["size"] or r["system"].startswith("searchkit"):
                continue
            out.append(
                {
                    "size": sk["size"],
                    "searchkit": sk["system"],
                    "baseline": r["system"],
                    "paragraphs_per_s": c.ratio(sk["paragraphs_per_s"], r["paragraphs_per_s"]),
                    "qps": c.ratio(sk["qps"], r["qps"]),
                    "p99_ms": c.ratio(r["p99_ms"], sk["p99_ms"]),
                    "rss": c.ratio(r["total_rss_mb"], sk["total_rss_mb"]),
                    "search_rss": c.ratio(r["search_rss_mb"], sk["search_rss_mb"]),
                    "disk": c.ratio(r["index_mb"], sk["index_mb"]),
                }
            )
    return out


if __name__ == "__main__":
    sys.exit(main())
