"""The write API's keywords, written once: ``add`` and ``rebuild`` of every kind of index
turn their keywords into one :class:`BuildOptions`, and ``Index.create`` its keywords into
one :class:`CreateOptions`; each kind of index runs the value its own way (``_write.py``
for an ordinary index, ``_sharded.py`` for a sharded one), and the functions below them
(``_rebuild.py``, ``_shardset.py``) receive the same value, as ``_reads.py`` does for
searches.  Keyword arguments stay the public API.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from ._args import check_path
from ._base import DEFAULT_LOCK_TIMEOUT
from ._batch import DEFAULT_BATCH_SIZE
from ._types import Confirm, Progress
from .analysis.detect import AUTO
from .chunking import DEFAULT_MAX_CHARS
from .models import IndexReport

if TYPE_CHECKING:
    from ._types import Client
    from .analysis.synonyms import Synonyms

__all__ = ["BuildOptions", "Builds", "CreateOptions", "Paths"]

# The files and folders an add or a rebuild is given.
Paths = Sequence[str | os.PathLike[str]]


@attrs.frozen
class BuildOptions:
    """How files are read into an index, by an add or a rebuild (checked where used)."""

    batch_size: int = DEFAULT_BATCH_SIZE
    dry_run: bool = False
    progress: Progress | None = None
    follow_links: bool = False
    client: Client | None = None
    cluster_timeout: float | None = None


@attrs.frozen
class CreateOptions:
    """What an index is created with (``language`` a checked code, ``synonyms`` parsed)."""

    overwrite: bool = False
    max_chars: int = DEFAULT_MAX_CHARS
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    language: str = AUTO
    synonyms: Synonyms | None = None
    vectors: bool = True


class Builds(ABC):
    """``add`` and ``rebuild``, for every kind of index that is written to."""

    @abstractmethod
    def _add(
        self, paths: Paths, options: BuildOptions, field_map: Mapping[str, str] | None
    ) -> IndexReport:
        """Sync the index with ``paths`` (see :meth:`add`)."""

    @abstractmethod
    def _rebuild(self, paths: Paths, options: BuildOptions, confirm: Confirm) -> IndexReport:
        """Build the index afresh from ``paths`` and switch to it (see :meth:`rebuild`)."""

    @abstractmethod
    def close(self) -> None:
        """Release open files."""

    def add(
        self,
        *paths: str | os.PathLike[str],
        batch_size: int = DEFAULT_BATCH_SIZE,
        dry_run: bool = False,
        progress: Progress | None = None,
        follow_links: bool = False,
        field_map: Mapping[str, str] | None = None,
        client: Client | None = None,
        cluster_timeout: float | None = None,
    ) -> IndexReport:
        """Index files and folders, touching only what changed since the last time.

        New files are added, files whose content changed are re-indexed, unchanged files
        are left alone, files gone from an indexed folder are removed, and a file moved
        to a new path with the same content is counted as a rename (it takes its new
        path's document id: ids follow paths).  Work is
        committed every ``batch_size`` documents, so an interrupted run keeps what it
        finished and the next run resumes.  ``dry_run`` counts without writing.

        A path that does not exist raises :class:`DocumentError` before anything changes
        (a mistyped or unmounted folder must not empty the index).  Symbolic links in
        folders are followed only when they stay inside ``paths``; ``follow_links``
        follows them all.  The paths are recorded as the index's sources in the same
        commits as their documents.  ``field_map`` (``{"title": "headline", "text":
        "body"}``) names the keys the JSON and JSONL records under ``paths`` hold each field
        in; it is kept with the index and used again for those paths by later adds and
        rebuilds.  ``client`` (a Dask client) and ``cluster_timeout`` are a sharded
        index's (:class:`~searchkit.ShardedIndex`); here a ``client`` raises
        :class:`ArgumentError`.

        A sharded index syncs each shard with the files it owns, all shards at once:
        without ``client`` a process a shard runs here; with a Dask ``client`` a task a
        shard runs on the cluster, where the files are read, parsed and chunked.  When
        the cluster shows no progress for ``cluster_timeout`` seconds (default
        ``distributed.DEFAULT_TIMEOUT``), ``ClusterTimeoutError``; a build on the cluster
        into an empty index is all-or-nothing (written beside it, then switched in).
        ``progress`` is then told of each shard as it finishes.  ``field_map`` is kept in
        the index's settings for ``paths``, once for all shards, before any shard reads a
        file; every shard reads with the same maps.
        """
        for path in paths:
            check_path("each file or folder", path)
        options = BuildOptions(batch_size, dry_run, progress, follow_links, client, cluster_timeout)
        return self._add(paths, options, field_map)

    def rebuild(
        self,
        *paths: str | os.PathLike[str],
        batch_size: int = DEFAULT_BATCH_SIZE,
        progress: Progress | None = None,
        follow_links: bool = False,
        confirm: Confirm = False,
    ) -> IndexReport:
        """Index ``paths`` (default: every path ever added) into a new index, then swap it in.

        The new index is built in a folder of its own beside the current one; only when it
        is complete does ``searchkit.json`` switch to it, in one atomic rename.  Searches
        meanwhile see the old index, and a rebuild that fails or is interrupted leaves the
        old index as it was.  ``follow_links`` as for :meth:`add`.  Without ``paths``, the
        sources the index recorded are read only when ``confirm`` says so (see
        :func:`~searchkit.rebuild_index`).  A sharded index builds a new set of shards.
        """
        self.close()
        for path in paths:
            check_path("each file or folder", path)
        options = BuildOptions(batch_size, progress=progress, follow_links=follow_links)
        return self._rebuild(paths, options, confirm)
