"""Load on `searchkit serve`: concurrent clients against a Reuters-21578 index.

Builds an index of the first ``--articles`` Reuters articles, starts ``searchkit serve`` as
its own process on 127.0.0.1, and runs ``--clients`` client threads for ``--seconds``: each
loops over the article titles as queries, asking ``/api/search`` and the HTML search page,
and reads the first hit back through ``/api/chunk/ID``.  With ``--writer`` (the default) a
second process indexes the rest of Reuters into the same index while the clients run, so
the figures include answering while another process commits.  Prints requests/s, p50/p99
latency per kind of request, and the failures (there must be none).

    python benchmarks/serve.py --json benchmarks/results/serve.json
"""

from __future__ import annotations

import argparse
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import _common as c
import _reuters


def build(root: Path, folder: Path, skip: int, limit: int | None, batch_size: int = 5000) -> int:
    """Index Reuters articles ``skip`` to ``skip + limit`` into ``folder``; the count."""
    import itertools

    import searchkit

    docs = itertools.islice(_reuters.documents(root), skip, None if limit is None else skip + limit)
    n = 0

    def counted() -> Any:
        nonlocal n
        for doc in docs:
            n += 1
            yield doc

    with searchkit.Index.open_or_create(folder) as ix:
        ix.add_documents(counted(), batch_size=batch_size)
    return n


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(url: str, seconds: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/api/stats", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"searchkit serve did not answer at {url}")


def _client(url: str, queries: list[str], until: float, seed: int, out: dict[str, Any]) -> None:
    import httpx

    rng = random.Random(seed)
    with httpx.Client(base_url=url, timeout=30) as http:
        while time.monotonic() < until:
            q = rng.choice(queries)
            kind = "page" if rng.random() < 0.25 else "api_search"
            path = "/" if kind == "page" else "/api/search"
            hits = _timed(http, kind, path, {"q": q}, out)
            if hits:
                _timed(http, "api_chunk", f"/api/chunk/{hits[0]['chunk_id']}", {}, out)


def _timed(
    http: Any, kind: str, path: str, params: dict[str, str], out: dict[str, Any]
) -> list[dict[str, Any]]:
    """One request, timed and counted; the hits of an API search."""
    start = time.perf_counter()
    try:
        r = http.get(path, params=params)
        ok = r.status_code == 200
    except Exception as exc:  # every failure counts, whatever its kind
        ok, r = False, None
        out["errors"].append(f"{kind}: {exc!r}")
    took = time.perf_counter() - start
    with out["lock"]:
        out["latency"].setdefault(kind, []).append(took)
        if not ok:
            out["failed"][kind] = out["failed"].get(kind, 0) + 1
            if r is not None:
                out["errors"].append(f"{kind} {r.status_code}: {r.text[:200]}")
    if ok and kind == "api_search":
        return list(r.json()["hits"])
    return []


def _percentiles(latencies: list[float]) -> dict[str, float]:
    summary = c.latency_summary(latencies)
    return {k: round(summary[k], 1) for k in ("p50_ms", "p95_ms", "p99_ms")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", help="shared data folder (default ../shared/data)")
    ap.add_argument("--articles", type=int, default=10_000, help="articles indexed before")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--no-writer", dest="writer", action="store_false", help="no writer")
    ap.add_argument("--json", metavar="FILE", help="write the results as JSON (- for stdout)")
    ap.add_argument("--workdir", help="where to build the index (default: a temp folder)")
    ap.add_argument("--writer-of", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    root = c.data_root(args.data) / "reuters21578"
    if args.writer_of:  # the writer process: the rest of Reuters, a small batch a commit
        build(root, Path(args.writer_of), args.articles, None, batch_size=200)
        return 0
    c.require(root / "reut2-000.sgm", "Reuters-21578")
    work = Path(tempfile.mkdtemp(prefix="searchkit-serve-", dir=args.workdir))
    folder = work / "ix"
    with c.Stopwatch() as t:
        articles = build(root, folder, 0, args.articles)
    print(f"indexed {articles:,} articles in {t.seconds:.1f} s", file=sys.stderr)
    queries = [" ".join(c.words(title)) for title in _reuters.titles(root, every=50)]
    queries = [q for q in queries if q]

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "searchkit", "serve", "--index", str(folder), "--port", str(port)]
    server = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
    writer: subprocess.Popen[bytes] | None = None
    try:
        _wait_ready(url)
        import httpx

        before = httpx.get(url + "/api/stats").json()["documents"]
        if args.writer:
            cmd = [sys.executable, __file__, "--data", str(root.parent), "--writer-of", str(folder)]
            writer = subprocess.Popen([*cmd, "--articles", str(args.articles)])
        out: dict[str, Any] = {
            "lock": threading.Lock(),
            "latency": {},
            "failed": {},
            "errors": [],
            "last_chunk": {},
        }
        until = time.monotonic() + args.seconds
        threads = [
            threading.Thread(target=_client, args=(url, queries, until, i, out))
            for i in range(args.clients)
        ]
        started = time.monotonic()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        elapsed = time.monotonic() - started
        after = httpx.get(url + "/api/stats").json()["documents"]
    finally:
        if writer is not None:
            writer.kill()
            writer.wait()
        server.terminate()
        server.wait(timeout=30)

    rows = []
    for kind, lat in sorted(out["latency"].items()):
        lat.sort()
        rows.append(
            {
                "kind": kind,
                "requests": len(lat),
                "failed": out["failed"].get(kind, 0),
                "rps": round(len(lat) / elapsed, 1),
                **_percentiles(lat),
            }
        )
    every = sorted(x for lat in out["latency"].values() for x in lat)
    total = {
        "kind": "all",
        "requests": len(every),
        "failed": sum(out["failed"].values()),
        "rps": round(len(every) / elapsed, 1),
        **_percentiles(every),
    }
    rows.append(total)
    print(
        c.table(
            rows,
            [
                ("kind", "request"),
                ("requests", "requests"),
                ("failed", "failed"),
                ("rps", "req/s"),
                ("p50_ms", "p50 ms"),
                ("p95_ms", "p95 ms"),
                ("p99_ms", "p99 ms"),
            ],
        )
    )
    print(
        f"{args.clients} clients for {elapsed:.1f} s; documents {before:,} at the start, "
        f"{after:,} at the end (a writer {'was' if args.writer else 'was not'} indexing)"
    )
    for line in out["errors"][:10]:
        print("error:", line)
    c.write_json(
        args.json,
        {
            "machine": c.machine(),
            "articles": articles,
            "clients": args.clients,
            "seconds": elapsed,
            "writer": args.writer,
            "documents_before": before,
            "documents_after": after,
            "rows": rows,
            "errors": out["errors"][:50],
        },
    )
    return 1 if total["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
