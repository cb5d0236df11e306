"""Several indexes, shards and a Dask cluster rank Reuters-21578 as one index does.

The first 500 Reuters articles (2,900 paragraphs) are written as JSON Lines files in
three folders.  One index holds them all; the reference.  Against it: three indexes (one
a folder) searched with ``open_many``, a 4-shard index built here, and a 4-shard index
built on a real ``LocalCluster`` of two worker processes, searched here and on the
cluster.  For 200 article titles as queries: the same chunk ids in the same order, scores
within 1e-9, the same totals.  ``-m slow`` runs the same over all 19,043 articles.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import searchkit
from searchkit.query import plain_query

from .conftest import ROOT

DATA = Path(os.environ.get("SEARCHKIT_DATA") or ROOT.parent / "shared" / "data")
REUTERS = DATA / "reuters21578"
needs_reuters = pytest.mark.skipif(
    not (REUTERS / "reut2-000.sgm").is_file(), reason=f"no Reuters-21578 at {REUTERS}"
)
pytestmark = needs_reuters

SUBSET = 500
QUERIES = 200


def _reuters_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_reuters", ROOT / "benchmarks" / "_reuters.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Corpus:
    """The files, the single reference index, and the queries."""

    def __init__(self, root: Path, articles: int | None) -> None:
        reuters = _reuters_module()
        self.files = root / "files"
        self.records = reuters.write_jsonl(
            REUTERS, self.files, limit=articles, per_file=20, folders=3
        )
        titles = [plain_query(d.title) for d in reuters.documents(REUTERS, articles)]
        step = max(1, len(titles) // QUERIES)
        self.queries = [t for t in titles[::step] if t.strip()][:QUERIES]
        self.single = searchkit.Index.create(root / "single")
        self.single.add(self.files)

        self._expected: dict[tuple[str, str], searchkit.Results] = {}

    def folders(self) -> list[Path]:
        return sorted(self.files.glob("part-*"))

    def expected(self, query: str, **kw: Any) -> searchkit.Results:
        """The single index's results, searched once for every test."""
        key = (query, repr(sorted(kw.items())))
        if key not in self._expected:
            self._expected[key] = self.single.search(query, **kw)
        return self._expected[key]


def _same_ranking(corpus: Corpus, got: Any, queries: list[str], **kw: Any) -> None:
    for q in queries:
        want = corpus.expected(q, **kw)
        have = got.search(q, **kw)
        assert [h.chunk_id for h in have] == [h.chunk_id for h in want], q
        assert [h.rank for h in have] == [h.rank for h in want], q
        for a, b in zip(have, want, strict=True):
            assert abs(a.score - b.score) <= 1e-9, (q, a.chunk_id, a.score, b.score)
        assert (have.total, have.pages) == (want.total, want.pages), q
        assert (have.paragraphs, have.collapsed) == (want.paragraphs, want.collapsed), q


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    c = Corpus(tmp_path_factory.mktemp("reuters"), SUBSET)
    yield c
    c.single.close()


def test_the_queries_are_real(corpus: Corpus) -> None:
    assert len(corpus.queries) == QUERIES
    assert len(corpus.single.documents()) == corpus.records == SUBSET
    assert sum(corpus.single.search(q).total > 10 for q in corpus.queries) > QUERIES // 2


def test_three_indexes_rank_as_one(corpus: Corpus, tmp_path: Path) -> None:
    paths = []
    for i, folder in enumerate(corpus.folders()):
        with searchkit.Index.create(tmp_path / f"ix{i}") as ix:
            ix.add(folder)
        paths.append(tmp_path / f"ix{i}")
    assert len(paths) == 3
    with searchkit.open_many(paths) as many:
        assert len(many) == len(corpus.single)
        _same_ranking(corpus, many, corpus.queries)
        _same_ranking(corpus, many, corpus.queries[:20], limit=7, page=3)
        _same_ranking(corpus, many, corpus.queries[:20], operator="and")
        # One hit per document (collapse) as well as the flat order.
        _same_ranking(corpus, many, corpus.queries[:40], collapse="document")
        _same_ranking(corpus, many, corpus.queries[:20], limit=7, page=3, collapse="document")
        # Facets and histograms count every match: the same over three indexes as over one.
        explore = {"facets": ("author", "source", "year", "month"), "histogram": "month"}
        for q in corpus.queries[:40]:
            want, got = corpus.single.search(q, **explore), many.search(q, **explore)
            assert (got.facets, got.histogram) == (want.facets, want.histogram), q
        # More like this: the source's words weighed by every index's statistics.
        for q in corpus.queries[:10]:
            for hit in corpus.single.search(q, limit=2):
                want, got = corpus.single.similar(hit.chunk_id), many.similar(hit.chunk_id)
                assert [h.chunk_id for h in got] == [h.chunk_id for h in want], hit.chunk_id
                for a, b in zip(got, want, strict=True):
                    assert abs(a.score - b.score) <= 1e-9
                assert got.total == want.total
        # Each hit names the index holding it: the one built from its file's folder.
        for hit in many.search(corpus.queries[0], limit=50):
            part = Path(hit.path).parent.name
            assert hit.index == str(paths[int(part.removeprefix("part-"))])


def test_four_shards_rank_as_one(corpus: Corpus, tmp_path: Path) -> None:
    with searchkit.Index.create(tmp_path / "sharded", shards=4) as sharded:
        report = sharded.add(corpus.files)
        assert report.added == corpus.records
        sizes = [len(shard) for shard in sharded.shards()]
        assert all(sizes) and sum(sizes) == len(corpus.single)
        _same_ranking(corpus, sharded, corpus.queries)
        _same_ranking(corpus, sharded, corpus.queries[:40], collapse="document")
        _same_ranking(corpus, sharded, corpus.queries[:20], limit=7, page=3)
        assert all(h.index is None for h in sharded.search(corpus.queries[0]))
    assert searchkit.check_index(tmp_path / "sharded").ok


# -- on a real Dask cluster ----------------------------------------------------------------


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    pytest.importorskip("distributed")
    from searchkit.distributed import connect

    # What --dask local starts: two worker processes on 127.0.0.1.
    with connect("local", workers=2) as c:
        yield c


def test_four_shards_built_on_a_cluster_rank_as_one(
    corpus: Corpus, client: Any, tmp_path: Path
) -> None:
    with searchkit.Index.create(tmp_path / "dask", shards=4) as sharded:
        report = sharded.add(corpus.files, client=client)
        assert report.added == corpus.records
        _same_ranking(corpus, sharded, corpus.queries)
        # Searched on the workers too: the same results as here.
        for q in corpus.queries[:10]:
            assert sharded.search(q, client=client) == sharded.search(q)
            flat = sharded.search(q, client=client, collapse="document")
            assert flat == sharded.search(q, collapse="document")
        _same_ranking(corpus, sharded, corpus.queries[:20], limit=7, page=2, collapse="document")
    assert searchkit.check_index(tmp_path / "dask").ok


def test_the_command_line_builds_and_searches_on_a_cluster(
    corpus: Corpus, client: Any, tmp_path: Path
) -> None:
    address = client.scheduler.address
    folder = corpus.folders()[0]
    where = tmp_path / "cli"
    built = _cli("index", folder, "--index", where, "--shards", "2", "--dask", address)
    assert built.exit_code == 0, built.output
    assert built.stdout.startswith(f"Indexed {len(list(folder.glob('*.jsonl'))) * 20} documents")
    for q in corpus.queries[:5]:
        remote = _cli("search", q, "--index", where, "--json", "--dask", address)
        local = _cli("search", q, "--index", where, "--json")
        assert remote.exit_code == local.exit_code == 0
        assert json.loads(remote.stdout) == json.loads(local.stdout)


def _cli(*args: object) -> Any:
    from click.testing import CliRunner

    from searchkit.cli import cli

    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="searchkit")


def test_a_worker_killed_mid_build_is_retried(corpus: Corpus, client: Any, tmp_path: Path) -> None:
    pids = client.run(os.getpid)
    with searchkit.Index.create(tmp_path / "killed", shards=4) as sharded:
        result: dict[str, Any] = {}

        def build() -> None:
            # One commit a file: many commits, so the kill lands between or inside them.
            result["report"] = sharded.add(corpus.files, batch_size=1, client=client)

        thread = threading.Thread(target=build)
        thread.start()
        victim = _worker_in_a_shard_task(client, thread)
        assert victim is not None, "the build finished before a worker could be killed"
        os.kill(pids[victim], signal.SIGKILL)
        thread.join(timeout=300)
        assert not thread.is_alive()
        # Files committed before the kill count as unchanged in the retried task.
        assert result["report"].added + result["report"].unchanged == corpus.records
    assert client.run(os.getpid)  # the nanny started a new worker in its place
    check = searchkit.check_index(tmp_path / "killed")
    assert check.ok, check.problems
    assert check.documents == corpus.records
    assert check.chunks == len(corpus.single)
    # Nothing lost, nothing twice: the same documents with the same chunks as the
    # reference, and every query matches as many.  (Scores are not compared: one commit
    # a file makes segments merge, and Whoosh sums a merged segment's field lengths from
    # its lossy per-document lengths, so the average length moves by about 1%.)
    with searchkit.Index.open(tmp_path / "killed") as rebuilt:
        assert _manifest(rebuilt) == _manifest(corpus.single)
        for q in corpus.queries[:50]:
            assert rebuilt.search(q).total == corpus.expected(q).total, q


def _manifest(ix: Any) -> list[tuple[str, str, int, str]]:
    return sorted((d.id, d.path, d.chunks, d.content_hash) for d in ix.documents())


def _worker_in_a_shard_task(client: Any, thread: Any) -> str | None:
    """The address of a worker running a shard's build once a commit landed, or None."""
    deadline = time.monotonic() + 120
    while thread.is_alive() and time.monotonic() < deadline:
        busy = {w: tasks for w, tasks in client.processing().items() if tasks}
        for worker, tasks in busy.items():
            if any(str(t).startswith("add_to_shard") for t in tasks):
                time.sleep(0.3)  # let it commit a few files first
                if thread.is_alive():
                    return str(worker)
        time.sleep(0.02)
    return None


@pytest.mark.slow
def test_all_of_reuters_ranks_as_one(tmp_path: Path) -> None:
    corpus = Corpus(tmp_path, None)
    with searchkit.open_many(_each_folder(corpus, tmp_path)) as many:
        _same_ranking(corpus, many, corpus.queries)
    with searchkit.Index.create(tmp_path / "sharded", shards=4) as sharded:
        sharded.add(corpus.files)
        _same_ranking(corpus, sharded, corpus.queries)


def _each_folder(corpus: Corpus, root: Path) -> list[Path]:
    out = []
    for i, folder in enumerate(corpus.folders()):
        with searchkit.Index.create(root / f"ix{i}") as ix:
            ix.add(folder)
        out.append(root / f"ix{i}")
    return out
