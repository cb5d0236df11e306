"""The sharded index on a Dask cluster (``pip install 'searchkit[dask]'``).

Dask's scheduler hands tasks to workers over TCP and runs a task again when the worker
running it dies.  searchkit sends it two kinds of task, both plain functions of
``shards.py`` and ``_fanout.py`` that take and return plain values:

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
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ._fanout import CorpusStats, SearchOptions, part_statistics, search_part, total
from .errors import SearchkitError
from .models import IndexReport, Results

# A ``distributed.Client``; typed loosely so that checking searchkit needs no Dask.
Client = Any

__all__ = [
    "Client",
    "DaskUnavailableError",
    "add_on_cluster",
    "connect",
    "search_on_cluster",
]

# A task whose worker died is run again this many times beyond Dask's own allowance.
RETRIES = 2


class DaskUnavailableError(SearchkitError):
    """Dask is not installed, or the scheduler cannot be reached."""


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
) -> list[IndexReport]:
    """Each shard's sync, ``task(folder, shard, shards, paths, batch_size, dry_run,
    follow_links)``, as one task on the cluster; their reports, in shard order."""
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
    return list(client.gather(futures))


def search_on_cluster(
    client: Client, folders: Sequence[str], query: str, q: Any, options: SearchOptions
) -> list[Results]:
    """Each shard's statistics, then each shard's search, on the workers.

    ``q`` is ``query`` parsed (a Whoosh query, which pickles).
    """
    stats = client.gather([client.submit(_statistics, folder, q, pure=False) for folder in folders])
    everything = total(stats)
    return list(
        client.gather(
            [
                client.submit(_search, folder, everything, query, q, options, pure=False)
                for folder in folders
            ]
        )
    )


# -- on the workers ----------------------------------------------------------------------

_OPEN: dict[str, Any] = {}


def _shard(folder: str) -> Any:
    """The worker's open index for ``folder``: opened once, refreshed by the Index itself."""
    from .index import Index

    ix = _OPEN.get(folder)
    if ix is None:
        ix = _OPEN[folder] = Index.open(folder)
    return ix


def _statistics(folder: str, q: Any) -> CorpusStats:
    return part_statistics(_shard(folder), q)


def _search(folder: str, stats: CorpusStats, query: str, q: Any, options: SearchOptions) -> Results:
    return search_part(_shard(folder), stats, query, q, options)
