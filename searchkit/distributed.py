"""The sharded index on a Dask cluster (``pip install 'searchkit[dask]'``).

Dask's scheduler hands tasks to workers over TCP and runs a task again when the worker
running it dies.  searchkit sends it two kinds of task, both plain functions of
``_shardset.py`` and ``_fanout.py`` that take and return plain values:

- building: one task a shard, ``_shardset.add_to_shard``.  The worker walks the
  paths, reads, parses and chunks the files its shard owns, and writes them with the
  shard's one writer.  Every commit is atomic and a sync skips what is already in the
  index, so a task run again after its worker died finishes the shard as it would have,
  and indexes nothing twice.
- searching: for each shard a statistics task, then (with the statistics added up) a
  search task; the client merges the hits as a local search does, so the results are the
  same.

The index folder and the files must be reachable at the same paths from the client and
from every worker (one machine, or a shared file system).  Imported only when a
``client`` is given or ``--dask`` is used: ``import searchkit`` never loads Dask.

Every wait on the cluster is bounded.  Dask waits for ever for a worker to run a task
(workers that vanished, a scheduler gone, a worker stuck in a task), so searchkit waits
at most ``timeout`` seconds (:data:`DEFAULT_TIMEOUT`) without seeing progress: a task
finishing or, in a build, a shard committing.  Then it cancels what is left and raises
:class:`ClusterTimeoutError` naming the shards that did not finish.  A worker that dies
is not a timeout: Dask runs its task again (``retries``), and the wait goes on while the
new task commits.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from . import _commits
from ._base import OpenPart, Part
from ._fanout import CorpusStats, part_candidates, part_statistics, search_part, total
from ._rerank import Candidate, SharedPool, pool_size, query_vector, reranks, shared_pool
from ._types import Client, SearchRequest, SimilarRequest
from .errors import ClusterTimeoutError, DaskUnavailableError
from .models import IndexReport, Results

__all__ = [
    "DEFAULT_TIMEOUT",
    "Client",
    "ClusterTimeoutError",
    "DaskUnavailableError",
    "add_on_cluster",
    "connect",
    "search_on_cluster",
]

# A task whose worker died is run again this many times beyond Dask's own allowance.
RETRIES = 2


# Seconds searchkit waits for the cluster without seeing progress (see the module's doc).
DEFAULT_TIMEOUT = 300.0
# How often a wait looks at the shards' folders for new commits.
_POLL = 0.5


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise DaskUnavailableError("Dask is not installed: pip install 'searchkit[dask]'") from None
    return distributed


@contextlib.contextmanager
def connect(address: str, *, workers: int = 2) -> Iterator[Client]:
    """A client of the scheduler at ``address``, or of a new ``LocalCluster`` for ``local``.

    ``local`` starts ``workers`` worker processes on this machine, listening on
    127.0.0.1 only, and stops them when the block ends.
    """
    dd = _distributed()
    if address == "local":
        with (
            dd.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",
            ) as cluster,
            dd.Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = dd.Client(address, timeout=10)
    except (OSError, TimeoutError) as exc:
        raise DaskUnavailableError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    with client:
        yield client


def add_on_cluster(
    client: Client,
    task: Callable[..., IndexReport],
    folders: Sequence[str],
    paths: Sequence[str],
    batch_size: int,
    dry_run: bool,
    follow_links: bool = False,
    timeout: float | None = None,
) -> list[IndexReport]:
    """Each shard's sync, ``task(folder, shard, shards, paths, batch_size, dry_run,
    follow_links)``, as one task on the cluster; their reports, in shard order.

    Raises :class:`ClusterTimeoutError` when for ``timeout`` seconds (default
    :data:`DEFAULT_TIMEOUT`) no task finishes and no shard commits.
    """
    futures = [
        client.submit(
            task,
            folder,
            k,
            len(folders),
            list(paths),
            batch_size,
            dry_run,
            follow_links,
            pure=False,
            retries=RETRIES,
        )
        for k, folder in enumerate(folders)
    ]
    names = [f"shard {k} ({folder})" for k, folder in enumerate(folders)]

    return _wait(client, futures, names, "the build", timeout, partial(shard_commits, folders))


def shard_commits(folders: Sequence[str]) -> tuple[tuple[str, int], ...]:
    """Each shard's data folders with their newest commit: a change is a build's progress.

    A shard is an ordinary index, so its commits are in its ``whoosh-<n>`` data folders,
    not beside its ``searchkit.json``.
    """
    return tuple(
        (str(data), _commits.latest_generation(data))
        for folder in folders
        for data in sorted(Path(folder).glob("whoosh-*"))
    )


def _wait(
    client: Client,
    futures: Sequence[Any],
    names: Sequence[str],
    what: str,
    timeout: float | None,
    progress: Callable[[], object] | None = None,
) -> list[Any]:
    """The results of ``futures`` (named ``names``), in order, waiting while they make
    progress: a future finishing, or ``progress()`` returning something new.

    After ``timeout`` seconds without progress, the unfinished futures are cancelled and
    :class:`ClusterTimeoutError` names them.  A task's own error is raised as it is.
    """
    dd = _distributed()
    limit = DEFAULT_TIMEOUT if timeout is None else timeout
    if limit <= 0:
        raise ValueError(f"a cluster timeout must be positive, not {limit}")
    pending = set(futures)
    seen = progress() if progress is not None else None
    since = time.monotonic()
    while pending:
        left = since + limit - time.monotonic()
        if left <= 0:
            unfinished = [n for f, n in zip(futures, names, strict=True) if f in pending]
            with contextlib.suppress(Exception):
                client.cancel(list(pending), force=True)
            raise ClusterTimeoutError(what, unfinished, limit)
        step = min(left, _POLL) if progress is not None else left
        try:
            done = dd.wait(list(pending), timeout=step, return_when="FIRST_COMPLETED").done
        except TimeoutError:
            done = set()
        except dd.client.FuturesCancelledError:  # the scheduler dropped them
            done = {f for f in pending if f.status != "pending"}
        if done:
            pending -= done
            since = time.monotonic()
        if progress is not None:
            now = progress()
            if now != seen:
                seen, since = now, time.monotonic()
    for f, name in zip(futures, names, strict=True):
        if f.cancelled():
            raise DaskUnavailableError(f"the Dask scheduler cancelled {name} of {what}")
    return list(client.gather(list(futures)))


def search_on_cluster(
    client: Client,
    folders: Sequence[str],
    q: Any,
    request: SearchRequest | SimilarRequest,
    filter: Any,
    timeout: float | None = None,
    *,
    open_part: OpenPart,
) -> list[Results]:
    """Each shard's statistics, then each shard's search, on the workers.

    ``q`` is ``request``'s query parsed and ``filter`` its filter (Whoosh queries, which
    pickle); every worker receives the same request.  ``open_part`` opens a shard's folder
    on a worker (``Index``'s, sent along with the tasks).  Each of the two rounds waits at
    most ``timeout`` seconds without a task finishing (:func:`_wait`).
    """
    names = [f"shard {k} ({folder})" for k, folder in enumerate(folders)]
    stats = _wait(
        client,
        [client.submit(_statistics, open_part, folder, q, pure=False) for folder in folders],
        names,
        "the search's statistics",
        timeout,
    )
    everything = total(stats)
    shared = None
    if reranks(request):  # a round more: the candidates of them all (``_rerank.py``)
        assert isinstance(request, SearchRequest)
        vector = query_vector(request)
        pools = _wait(
            client,
            [
                client.submit(
                    _candidates,
                    open_part,
                    folder,
                    everything,
                    q,
                    request,
                    filter,
                    vector,
                    pure=False,
                )
                for folder in folders
            ],
            names,
            "the search's candidates",
            timeout,
        )
        shared = shared_pool(pools, pool_size(request), vector)
    return _wait(
        client,
        [
            client.submit(
                _search, open_part, folder, everything, q, request, filter, shared, pure=False
            )
            for folder in folders
        ],
        names,
        "the search",
        timeout,
    )


# -- on the workers ----------------------------------------------------------------------

_OPEN: dict[str, Part] = {}


def _shard(open_part: OpenPart, folder: str) -> Part:
    """The worker's open index for ``folder``: opened once, refreshed by the Index itself."""
    ix = _OPEN.get(folder)
    if ix is None:
        ix = _OPEN[folder] = open_part(Path(folder), None)
    return ix


def _statistics(open_part: OpenPart, folder: str, q: Any) -> CorpusStats:
    return part_statistics(_shard(open_part, folder), q)


def _search(
    open_part: OpenPart,
    folder: str,
    stats: CorpusStats,
    q: Any,
    request: SearchRequest | SimilarRequest,
    filter: Any,
    shared: SharedPool | None = None,
) -> Results:
    return search_part(_shard(open_part, folder), stats, q, request, filter, shared)


def _candidates(
    open_part: OpenPart,
    folder: str,
    stats: CorpusStats,
    q: Any,
    request: SearchRequest,
    filter: Any,
    vector: tuple[float, ...] | None,
) -> list[Candidate]:
    return part_candidates(_shard(open_part, folder), stats, q, request, filter, vector)
