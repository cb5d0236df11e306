"""The sharded index (:class:`ShardedIndex`): one folder of shards read as one index.

It is a set of parts (``multi.py``, which also holds several indexes searched as one): a
search goes to every shard with the statistics of all of them and the hits merge into
one list, so the ranking is that of one index holding every document.  Its shards are
ordinary indexes, opened by the :data:`~searchkit._base.OpenPart` it is given (``Index``'s:
``Index.open`` and ``Index.create`` make sharded indexes through this class).  The
layout and writing are in ``_shardset.py``, the rebuild in ``_rebuild.py``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from ._base import DEFAULT_LOCK_TIMEOUT, IndexFolder, OpenPart, Part, check_max_chars
from ._batch import DEFAULT_BATCH_SIZE
from ._lock import WriteLock
from ._rebuild import build_shard_set, new_shard_set, rebuild_sharded
from ._settings import SETTINGS_NAME, check_can_create, store_synonyms, swap_settings
from ._shardset import (
    MAX_SHARDS,
    ShardSettings,
    add_shards,
    drop_unused,
    index_id_of,
    merge_reports,
    now,
    read_shard_settings,
    shard_of,
    shard_role,
)
from ._sync import require_existing
from ._types import Confirm, Progress
from .analysis.detect import AUTO
from .analysis.synonyms import Synonyms
from .chunking import DEFAULT_MAX_CHARS
from .errors import ArgumentError, SearchkitIndexError
from .loaders import check_field_map
from .models import Document, IndexReport, IndexStats
from .multi import _Parts

if TYPE_CHECKING:
    from ._types import Client

__all__ = ["ShardedIndex"]


class ShardedIndex(_Parts, IndexFolder):
    """An index folder holding N ordinary indexes, written in parallel, searched as one.

    Made by ``Index.create(path, shards=N)`` and returned by ``Index.open`` for such a
    folder.  The API is :class:`~searchkit.Index`'s; ``add`` and ``search`` also take a
    Dask ``client`` (``pip install 'searchkit[dask]'``).  ``open_part`` opens an ordinary
    index folder (a shard): ``Index``'s, which makes every ``ShardedIndex``.
    """

    def __init__(
        self, path: Path, settings: ShardSettings, lock_timeout: float, open_part: OpenPart
    ) -> None:
        IndexFolder.__init__(self, path, lock_timeout)
        self._open_part = open_part
        self._shard_settings = settings
        self._mtime = (path / SETTINGS_NAME).stat().st_mtime_ns
        self._shards = self._open_shards()

    def _open_shards(self) -> list[Part]:
        s = self._shard_settings
        return [
            self._open_part(self.path / s.data / str(k), shard_role(k, s.shards, s.reading))
            for k in range(s.shards)
        ]

    @classmethod
    def create_sharded(
        cls,
        root: Path,
        shards: int,
        *,
        open_part: OpenPart,
        overwrite: bool = False,
        max_chars: int = DEFAULT_MAX_CHARS,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        language: str = AUTO,
        synonyms: Synonyms | None = None,
    ) -> ShardedIndex:
        """An empty index of ``shards`` shards at ``root`` (see :meth:`Index.create`;
        ``language`` is a checked code, ``synonyms`` parsed rules)."""
        if isinstance(shards, bool) or not isinstance(shards, int) or not 1 <= shards <= MAX_SHARDS:
            raise ArgumentError(
                f"shards must be a whole number from 1 to {MAX_SHARDS}, not {shards!r}"
            )
        check_max_chars(root, max_chars)
        check_can_create(root, overwrite)
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SearchkitIndexError(root, f"cannot create index folder {root}: {exc}") from None
        with WriteLock(root, lock_timeout):
            check_can_create(root, overwrite)
            # Replacing an index keeps its id, so that its data folders go too.
            index_id = index_id_of(root)
            data = new_shard_set(root, shards, max_chars, index_id)
            settings = ShardSettings(
                shards=shards,
                data=data,
                max_chars=max_chars,
                created=now(),
                language=language,
                id=index_id,
            )
            store_synonyms(root, synonyms)
            swap_settings(root, settings)
            drop_unused(root, data, index_id)
        return cls(root, settings, lock_timeout, open_part)

    @classmethod
    def open_sharded(
        cls, root: Path, *, open_part: OpenPart, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    ) -> ShardedIndex:
        """The sharded index at ``root``; ``open_part`` opens its shards."""
        return cls(root, read_shard_settings(root), lock_timeout, open_part)

    def shards(self) -> list[Part]:
        """The shards, reopened first if a rebuild switched the index to a new set."""
        try:
            mtime = (self.path / SETTINGS_NAME).stat().st_mtime_ns
        except OSError:
            mtime = 0
        if mtime != self._mtime:
            self.close()
            self._shard_settings = read_shard_settings(self.path)
            self._mtime = mtime
            self._shards = self._open_shards()
        return self._shards

    def _parts(self) -> list[tuple[Part, str | None]]:
        return [(shard, None) for shard in self.shards()]

    def _where(self) -> str:
        return f"index {self.path}"

    def _query_synonyms(self) -> Synonyms | None:
        return self.synonyms

    @property
    def max_chars(self) -> int:
        return self._shard_settings.max_chars

    @property
    def language(self) -> str:
        return self._shard_settings.language

    @property
    def shard_count(self) -> int:
        """How many shards the index has."""
        return self._shard_settings.shards

    def close(self) -> None:
        for shard in self._shards:
            shard.close()

    def __repr__(self) -> str:
        return f"Index({str(self.path)!r}, shards={self.shard_count})"

    def stats(self) -> IndexStats:
        """The shards' counts and sizes added up."""
        return self._stats(str(self.path))

    def sources(self) -> tuple[str, ...]:
        """The files and folders ever added (a rebuild reads them again)."""
        self.shards()
        return self._shard_settings.sources

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
        """``Index.add``, each shard syncing the files it owns, all shards at once.

        Without ``client`` a process a shard runs here; with a Dask ``client`` a task a
        shard runs on the cluster, where the files are read, parsed and chunked.  When
        the cluster shows no progress for ``cluster_timeout`` seconds (default
        ``distributed.DEFAULT_TIMEOUT``), ``ClusterTimeoutError``; a build on the cluster
        into an empty index is all-or-nothing (written beside it, then switched in).
        ``progress`` is told of each shard as it finishes.  ``field_map`` is kept in the
        index's settings for ``paths``, once for all shards, before any shard reads a
        file (as an ordinary index keeps it); every shard reads with the same maps.
        """
        if not paths:
            raise ArgumentError("add() needs at least one file or folder")
        if batch_size < 1:
            raise ArgumentError(f"batch_size must be at least 1, not {batch_size}")
        checked = check_field_map(field_map) if field_map is not None else None
        require_existing(paths)
        sources = [str(Path(p).absolute()) for p in paths]
        with WriteLock(self.path, self.lock_timeout):
            self.shards()
            s = self._shard_settings
            maps = dict(s.field_maps)
            if checked is not None:
                maps.update((p, checked) for p in sources)
                if not dry_run and maps != s.field_maps:
                    s = attrs.evolve(s, field_maps=maps)
                    self._switch(s)
            if client is not None and not dry_run and not s.sources and not len(self):
                reports = build_shard_set(
                    self.path,
                    s,
                    sources,
                    batch_size,
                    progress,
                    client,
                    follow_links,
                    cluster_timeout,
                    keep_sources=True,
                    open_part=self._open_part,
                )
                self._mtime = 0  # reopen the new shards on next use
                return merge_reports(reports)
            reports = add_shards(
                self.path,
                s.data,
                s.shards,
                sources,
                batch_size,
                dry_run,
                progress,
                client,
                follow_links,
                attrs.evolve(s.reading, field_maps=maps),
                cluster_timeout,
                open_part=self._open_part,
            )
            if not dry_run and not all(p in s.sources for p in sources):
                self._switch(attrs.evolve(s, sources=tuple(dict.fromkeys([*s.sources, *sources]))))
        return merge_reports(reports)

    def _switch(self, settings: ShardSettings) -> None:
        """Write ``settings`` (under the write lock) and use them from now on: the shards
        are opened again when what they read documents with changed."""
        swap_settings(self.path, settings)
        reopen = settings.reading != self._shard_settings.reading
        self._shard_settings = settings
        self._mtime = (self.path / SETTINGS_NAME).stat().st_mtime_ns
        if reopen:
            self.close()
            self._shards = self._open_shards()

    def add_documents(
        self, documents: Iterable[Document], *, batch_size: int = DEFAULT_BATCH_SIZE
    ) -> IndexReport:
        """``Index.add_documents``: each document goes to the shard chosen from its id."""
        with WriteLock(self.path, self.lock_timeout):
            shards = self.shards()
            routed: list[list[Document]] = [[] for _ in shards]
            for doc in documents:
                routed[shard_of(doc.id, len(shards))].append(doc)
            reports = [
                shard.add_documents(docs, batch_size=batch_size)
                for shard, docs in zip(shards, routed, strict=True)
                if docs
            ]
        return merge_reports(reports)

    def remove(self, *doc_ids: str) -> int:
        """Remove documents by id from whichever shard holds them."""
        with WriteLock(self.path, self.lock_timeout):
            return sum(shard.remove(*doc_ids) for shard in self.shards())

    def rebuild(
        self,
        *paths: str | os.PathLike[str],
        batch_size: int = DEFAULT_BATCH_SIZE,
        progress: Progress | None = None,
        follow_links: bool = False,
        confirm: Confirm = False,
    ) -> IndexReport:
        """``Index.rebuild``: a new set of shards built beside the old, then switched in."""
        self.close()
        report = rebuild_sharded(
            self.path,
            *paths,
            batch_size=batch_size,
            progress=progress,
            lock_timeout=self.lock_timeout,
            follow_links=follow_links,
            open_part=self._open_part,
            confirm=confirm,
        )
        self._mtime = 0  # reopen on next use
        self.shards()
        return report
