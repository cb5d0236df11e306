"""Load on `searchkit serve`: concurrent clients against a Reuters-21578 index.

Builds an index of the first ``--articles`` Reuters articles, starts ``searchkit serve`` as
its own process on 127.0.0.1, and runs ``--clients`` client threads for ``--seconds``: each
loops over the article titles as queries, asking ``/api/search`` and the HTML search page,
and reads the first hit back through ``/api/chunk/ID``.  With ``--writer`` (the default) a
second process indexes the rest of Reuters into the same index while the clients run, so
the figures include answering while another process commits.  Prints requests/s, p50/p99
latency per kind of request, and the failures (there must be none).

With ``--baseline CHECKOUT`` the same load runs against two servers in turn: this
checkout's searchkit and the one in CHECKOUT (say ``git worktree add /tmp/before
COMMIT``), each building its own index with its own code, the two taking turns for
``--rounds`` rounds (ABBA order) so that they share the machine's noise; it prints every
run and this checkout's req/s and p99 over the baseline's.

    python benchmarks/serve.py --json benchmarks/results/serve.json
    python benchmarks/serve.py --no-writer --seconds 15 --baseline /tmp/before --rounds 2
"""

from __future__ import annotations

import argparse
import math
import os
import random
import socket
import statistics
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


def _cpu_seconds(pid: int) -> float | None:
    """The CPU time (user and system) process ``pid`` has used so far; ``None`` where
    ``/proc`` cannot tell.  Less bent by other work on a shared machine than wall time."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
    ap.add_argument(
        "--baseline",
        metavar="CHECKOUT",
        help="also run the load against the searchkit of this checkout, taking turns",
    )
    ap.add_argument("--rounds", type=int, default=2, help="runs of each side with --baseline")
    ap.add_argument("--writer-of", help=argparse.SUPPRESS)
    ap.add_argument("--build-into", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    root = c.data_root(args.data) / "reuters21578"
    if args.writer_of:  # the writer process: the rest of Reuters, a small batch a commit
        build(root, Path(args.writer_of), args.articles, None, batch_size=200)
        return 0
    if args.build_into:  # a side's index, built by that side's code
        print(build(root, Path(args.build_into), 0, args.articles))
        return 0
    c.require(root / "reut2-000.sgm", "Reuters-21578")
    work = Path(tempfile.mkdtemp(prefix="searchkit-serve-", dir=args.workdir))
    queries = [" ".join(c.words(title)) for title in _reuters.titles(root, every=50)]
    queries = [q for q in queries if q]
    if args.baseline:
        return _compare(args, root, work, queries)
    folder = work / "ix"
    with c.Stopwatch() as t:
        articles = build(root, folder, 0, args.articles)
    print(f"indexed {articles:,} articles in {t.seconds:.1f} s", file=sys.stderr)
    run = _load(args, root, folder, queries, os.environ.copy())
    _print_run(args, run)
    c.write_json(
        args.json,
        {
            "machine": c.machine(),
            "articles": articles,
            "clients": args.clients,
            "writer": args.writer,
            **run,
            "errors": run["errors"][:50],
        },
    )
    return 1 if run["rows"][-1]["failed"] else 0


def _side_env(checkout: Path) -> dict[str, str]:
    """This process's environment with ``checkout``'s searchkit first on the path."""
    env = os.environ.copy()
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(checkout), env.get("PYTHONPATH", "")) if p)
    return env


def _compare(args: argparse.Namespace, root: Path, work: Path, queries: list[str]) -> int:
    """The load against this checkout and ``--baseline`` in turns; exit 1 on a failure."""
    import searchkit

    sides = {
        "current": Path(searchkit.__file__).resolve().parents[1],
        "baseline": Path(args.baseline).resolve(),
    }
    if not (sides["baseline"] / "searchkit" / "__init__.py").is_file():
        raise SystemExit(f"--baseline {args.baseline}: no searchkit package in that folder")
    envs = {name: _side_env(path) for name, path in sides.items()}
    folders: dict[str, Path] = {}
    for name, env in envs.items():
        folders[name] = work / name
        cmd = [sys.executable, __file__, "--data", str(root.parent), "--articles"]
        cmd += [str(args.articles), "--build-into", str(folders[name])]
        with c.Stopwatch() as t:
            subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
        print(f"{name} ({sides[name]}): indexed in {t.seconds:.1f} s", file=sys.stderr)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in sides}
    for r in range(max(1, args.rounds)):
        order = list(sides) if r % 2 == 0 else list(reversed(sides))
        for name in order:
            run = _load(args, root, folders[name], queries, envs[name])
            print(f"\nround {r + 1}, {name} ({sides[name]}):")
            _print_run(args, run)
            runs[name].append(run)

    def total(name: str, key: str) -> list[float]:
        return [float(run["rows"][-1].get(key, math.nan)) for run in runs[name]]

    summary = []
    for name in sides:
        rps, p99, cpu = total(name, "rps"), total(name, "p99_ms"), total(name, "cpu_ms")
        summary.append(
            {
                "side": name,
                "rps": " / ".join(f"{x:.1f}" for x in rps),
                "p99_ms": " / ".join(f"{x:.1f}" for x in p99),
                "rps_median": statistics.median(rps),
                "p99_median": statistics.median(p99),
                "cpu_ms": " / ".join(f"{x:.1f}" for x in cpu),
                "cpu_median": statistics.median(cpu),
                "first_ms": " / ".join(f"{run['first_ms']:.0f}" for run in runs[name]),
            }
        )
    rps_ratio = c.ratio(summary[0]["rps_median"], summary[1]["rps_median"])
    p99_ratio = c.ratio(summary[0]["p99_median"], summary[1]["p99_median"])
    print("\nall requests, each run in turn:")
    print(
        c.table(
            summary,
            [
                ("side", "side"),
                ("rps", "req/s"),
                ("rps_median", "median"),
                ("p99_ms", "p99 ms"),
                ("p99_median", "median"),
                ("cpu_ms", "server CPU ms/request"),
                ("cpu_median", "median"),
                ("first_ms", "first search ms"),
            ],
        )
    )
    cpu_ratio = c.ratio(summary[0]["cpu_median"], summary[1]["cpu_median"])
    print(
        f"current / baseline (medians): req/s x{rps_ratio:.2f}, p99 x{p99_ratio:.2f}, "
        f"server CPU per request x{cpu_ratio:.2f}"
        if rps_ratio and p99_ratio and cpu_ratio
        else "current / baseline: no ratio (a side has no figure)"
    )
    c.write_json(
        args.json,
        {
            "machine": c.machine(),
            "clients": args.clients,
            "writer": args.writer,
            "sides": {name: str(path) for name, path in sides.items()},
            "runs": {
                name: [{**run, "errors": run["errors"][:20]} for run in side]
                for name, side in runs.items()
            },
            "summary": summary,
            "rps_ratio": rps_ratio,
            "p99_ratio": p99_ratio,
            "cpu_ratio": cpu_ratio,
        },
    )
    failed = sum(run["rows"][-1]["failed"] for side in runs.values() for run in side)
    return 1 if failed else 0


def _load(
    args: argparse.Namespace, root: Path, folder: Path, queries: list[str], env: dict[str, str]
) -> dict[str, Any]:
    """``args.clients`` clients for ``args.seconds`` against ``searchkit serve`` on
    ``folder``, started (with the writer, if any) in ``env``: the rows per kind of request,
    then all of them."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "searchkit", "serve", "--index", str(folder), "--port", str(port)]
    # ``-m`` puts the working folder first on the path: with a side to compare, start
    # the server outside any checkout, so that PYTHONPATH alone says which one it runs.
    cwd = folder.parent if args.baseline else None
    server = subprocess.Popen(cmd, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
    writer: subprocess.Popen[bytes] | None = None
    try:
        _wait_ready(url)
        import httpx

        before = httpx.get(url + "/api/stats").json()["documents"]
        # The first search opens the index's segments and builds their column caches:
        # timed on its own, so that the clients' figures are those of a warm server.
        first = time.perf_counter()
        httpx.get(url + "/", params={"q": queries[0]}, timeout=120).raise_for_status()
        first_ms = (time.perf_counter() - first) * 1000
        cpu_before = _cpu_seconds(server.pid)
        if args.writer:
            cmd = [sys.executable, __file__, "--data", str(root.parent), "--writer-of", str(folder)]
            writer = subprocess.Popen([*cmd, "--articles", str(args.articles)], env=env)
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
        cpu_after = _cpu_seconds(server.pid)
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
    if cpu_before is not None and cpu_after is not None and every:
        total["cpu_ms"] = round((cpu_after - cpu_before) * 1000 / len(every), 1)
    rows.append(total)
    return {
        "seconds": elapsed,
        "first_ms": round(first_ms, 1),
        "documents_before": before,
        "documents_after": after,
        "rows": rows,
        "errors": out["errors"],
    }


def _print_run(args: argparse.Namespace, run: dict[str, Any]) -> None:
    print(
        c.table(
            run["rows"],
            [
                ("kind", "request"),
                ("requests", "requests"),
                ("failed", "failed"),
                ("rps", "req/s"),
                ("p50_ms", "p50 ms"),
                ("p95_ms", "p95 ms"),
                ("p99_ms", "p99 ms"),
                ("cpu_ms", "server CPU ms"),
            ],
        )
    )
    print(
        f"first search {run['first_ms']:,.0f} ms; "
        f"{args.clients} clients for {run['seconds']:.1f} s; documents "
        f"{run['documents_before']:,} at the start, {run['documents_after']:,} at the end "
        f"(a writer {'was' if args.writer else 'was not'} indexing)"
    )
    for line in run["errors"][:10]:
        print("error:", line)


if __name__ == "__main__":
    sys.exit(main())
