"""Waits on a Dask cluster are bounded: a stuck or vanished cluster ends in an error.

One ``LocalCluster`` of one worker process (TCP on 127.0.0.1).  First its worker is
stopped (SIGSTOP: alive, answering nothing, as a worker stuck in a task); then the
cluster loses its workers (scaled to none, as when they went away and never came
back).  Each time a build and a search end with ``ClusterTimeoutError`` after the
small timeout the test gives, and the index is as it was.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import searchkit
from searchkit.cli import cli

from .test_index import _corpus

distributed = pytest.importorskip("distributed")

from searchkit.distributed import DEFAULT_TIMEOUT, ClusterTimeoutError  # noqa: E402

TIMEOUT = 1.5
SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
    ) as c:
        yield c


@pytest.fixture(scope="module")
def client(cluster: Any) -> Iterator[Any]:
    with distributed.Client(cluster) as c:
        yield c


def _state(path: Path) -> tuple[Any, ...]:
    """What a failed build must leave as it was: the settings, the folders, the documents."""
    with searchkit.Index.open(path) as ix:
        docs = sorted((d.id, d.content_hash) for d in ix.documents())
    return (
        (path / "searchkit.json").read_text(encoding="utf-8"),
        sorted(p.name for p in path.iterdir()),
        docs,
    )


def _timed_out(build: Any) -> tuple[ClusterTimeoutError, float]:
    t0 = time.monotonic()
    with pytest.raises(ClusterTimeoutError) as err:
        build()
    return err.value, time.monotonic() - t0


def test_a_stuck_worker_ends_the_build_and_the_search_in_time(client: Any, tmp_path: Path) -> None:
    files = tmp_path / "files"
    _corpus(files, 6)
    with searchkit.Index.create(tmp_path / "ix", shards=2) as ix:
        ix.add(files / "doc000.txt")  # not empty: an add, not a first build
    empty = searchkit.Index.create(tmp_path / "empty", shards=2)
    empty.close()
    before = {name: _state(tmp_path / name) for name in ("ix", "empty")}
    (pid,) = client.run(os.getpid).values()
    os.kill(pid, signal.SIGSTOP)
    try:
        for name in ("ix", "empty"):
            with searchkit.Index.open(tmp_path / name) as ix:
                exc, took = _timed_out(
                    lambda ix=ix: ix.add(files, client=client, cluster_timeout=TIMEOUT)
                )
                assert TIMEOUT <= took < TIMEOUT + 10
                assert exc.timeout == TIMEOUT
                assert len(exc.unfinished) == 2
                assert exc.unfinished[0].startswith("shard 0 (")
                assert str(exc).startswith(
                    "the Dask cluster made no progress on the build for 1.5 s (workers gone "
                    "or stuck?): shard 0 ("
                )
                exc, took = _timed_out(
                    lambda ix=ix: ix.search("harbour", client=client, cluster_timeout=TIMEOUT)
                )
                assert "on the search's statistics for 1.5 s" in str(exc)
                assert took < TIMEOUT + 10
    finally:
        os.kill(pid, signal.SIGCONT)
    for name in ("ix", "empty"):
        assert _state(tmp_path / name) == before[name], name
        assert searchkit.check_index(tmp_path / name).ok
    # The cluster works again, and the same build goes through.
    with searchkit.Index.open(tmp_path / "empty") as ix:
        assert ix.add(files, client=client).added == 6
        assert ix.search("harbour", client=client).total == ix.search("harbour").total > 0
    assert searchkit.check_index(tmp_path / "empty").ok


def test_a_cluster_without_workers_ends_in_time_on_the_command_line(
    cluster: Any, client: Any, tmp_path: Path
) -> None:
    files = tmp_path / "files"
    _corpus(files, 3)
    where = tmp_path / "ix"
    with searchkit.Index.create(where, shards=2) as ix:
        ix.add(files / "doc000.txt")
    before = _state(where)
    cluster.scale(0)
    deadline = time.monotonic() + 30
    while client.scheduler_info()["workers"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not client.scheduler_info()["workers"]
    address = client.scheduler.address
    runner = CliRunner()
    built = runner.invoke(
        cli,
        ["index", str(files), "--index", str(where), "--dask", address, "--dask-timeout", "1"],
    )
    assert built.exit_code == 2, built.output
    assert built.output.startswith(
        "Error: the Dask cluster made no progress on the build for 1 s (workers gone or "
        "stuck?): shard 0 ("
    )
    assert built.output.count("\n") == 1
    assert _state(where) == before
    found = runner.invoke(
        cli,
        ["search", "harbour", "--index", str(where), "--dask", address, "--json"],
        env={"SEARCHKIT_DASK_TIMEOUT": "1"},
    )
    assert found.exit_code == 2, found.output
    assert found.output.startswith(
        "Error: the Dask cluster made no progress on the search's statistics for 1 s"
    )


def test_the_default_timeout_is_documented_the_same_everywhere() -> None:
    from searchkit.cli import _options

    assert _options.DEFAULT_DASK_TIMEOUT == DEFAULT_TIMEOUT
    page = (Path(__file__).parent.parent / "docs" / "scaling.md").read_text(encoding="utf-8")
    assert f"{DEFAULT_TIMEOUT:g} seconds" in page


def test_a_shards_commits_count_as_a_builds_progress(tmp_path: Path) -> None:
    # A build that outlasts the timeout stays alive while its shards commit: the wait
    # looks for commits in each shard's data folders.
    from searchkit.distributed import shard_commits

    sharded = searchkit.Index.create(tmp_path / "sh", shards=2)
    data = next(p for p in (tmp_path / "sh").iterdir() if p.name.startswith("shards-"))
    folders = [str(data / "0"), str(data / "1")]
    before = shard_commits(folders)
    assert [gen for _, gen in before] == [0, 0]  # each shard's empty index
    sharded.add(SEEDS)
    after = shard_commits(folders)
    assert after != before
    assert [gen for _, gen in after] == [1, 1]  # each shard committed the add (its sources)
    sharded.close()
