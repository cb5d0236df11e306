"""The sharded index (:class:`ShardedIndex`): one folder of shards read as one index.

It is a set of parts (``multi.py``, which also holds several indexes searched as one): a
search goes to every shard with the statistics of all of them and the hits merge into
one list, so the ranking is that of one index holding every document.  Its shards are
ordinary indexes, opened by the :data:`~searchkit._base.OpenPart` it is given (``Index``'s:
``Index.open`` and ``Index.create`` make sharded indexes through this class).  The
layout and writing are in ``_shardset.py``, the rebuild in ``_rebuild.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import attrs

from ._base import DEFAULT_LOCK_TIMEOUT, IndexFolder, OpenPart, Part, check_max_chars, guarded
from ._batch import DEFAULT_BATCH_SIZE
from ._build import BuildOptions, Builds, CreateOptions, Paths
from ._lock import WriteLock
from ._rebuild import build_shard_set, new_shard_set, rebuild_sharded
from ._settings import (
    SETTINGS_NAME,
    ReadingSettings,
    check_can_create,
    store_synonyms,
    swap_settings,
)
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
from ._types import Confirm
from .analysis.synonyms import Synonyms
from .errors import ArgumentError, SearchkitIndexError
from .loaders import check_field_map
from .models import Document, IndexReport, IndexStats
from .multi import _Parts

__all__ = ["ShardedIndex"]


class ShardedIndex(_Parts, Builds, IndexFolder):
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
        options: CreateOptions | None = None,
        *,
        open_part: OpenPart,
    ) -> ShardedIndex:
        """An empty index of ``shards`` shards at ``root`` (see :meth:`Index.create`)."""
        options = options or CreateOptions()
        if isinstance(shards, bool) or not isinstance(shards, int) or not 1 <= shards <= MAX_SHARDS:
            raise ArgumentError(
                f"shards must be a whole number from 1 to {MAX_SHARDS}, not {shards!r}"
            )
        check_max_chars(root, options.max_chars)
        check_can_create(root, options.overwrite)
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SearchkitIndexError(root, f"cannot create index folder {root}: {exc}") from None
        with WriteLock(root, options.lock_timeout):
            check_can_create(root, options.overwrite)
            # Replacing an index keeps its id, so that its data folders go too.
            index_id = index_id_of(root)
            data = new_shard_set(root, shards, options.max_chars, index_id, options.vectors)
            settings = ShardSettings(
                shards=shards,
                data=data,
                max_chars=options.max_chars,
                created=now(),
                language=options.language,
                id=index_id,
                vectors=options.vectors,
            )
            store_synonyms(root, options.synonyms)
            swap_settings(root, settings)
            drop_unused(root, data, index_id)
        return cls(root, settings, options.lock_timeout, open_part)

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

    def _chosen(self) -> ShardSettings:
        return self._shard_settings

    def _reading(self) -> ReadingSettings:
        return self._shard_settings.reading

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

    def _add(
        self, paths: Paths, options: BuildOptions, field_map: Mapping[str, str] | None
    ) -> IndexReport:
        """``Index.add``, each shard syncing the files it owns, all shards at once."""
        if not paths:
            raise ArgumentError("add() needs at least one file or folder")
        if options.batch_size < 1:
            raise ArgumentError(f"batch_size must be at least 1, not {options.batch_size}")
        checked = check_field_map(field_map) if field_map is not None else None
        require_existing(paths)
        sources = [str(Path(p).absolute()) for p in paths]
        with self._writing():
            s = self._shard_settings
            maps = dict(s.field_maps)
            if checked is not None:
                maps.update((p, checked) for p in sources)
                if not options.dry_run and maps != s.field_maps:
                    s = attrs.evolve(s, field_maps=maps)
                    self._switch(s)
            empty = not s.sources and not len(self)
            if options.client is not None and not options.dry_run and empty:
                reports = build_shard_set(
                    self.path, s, sources, options, keep_sources=True, open_part=self._open_part
                )
                self._mtime = 0  # reopen the new shards on next use
                return merge_reports(reports)
            reading = attrs.evolve(s.reading, field_maps=maps)
            reports = add_shards(
                self.path, s.data, s.shards, sources, options, reading, open_part=self._open_part
            )
            if not options.dry_run and not all(p in s.sources for p in sources):
                self._switch(attrs.evolve(s, sources=tuple(dict.fromkeys([*s.sources, *sources]))))
        return merge_reports(reports)

    @contextmanager
    def _writing(self) -> Iterator[list[Part]]:
        """The write lock held and the shards current; the shard sets a rebuild or a
        repair left behind are deleted first, as an ordinary index's next write deletes
        its old data folders."""
        with WriteLock(self.path, self.lock_timeout):
            shards = self.shards()
            drop_unused(self.path, self._shard_settings.data, self._shard_settings.id)
            yield shards

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

    @guarded
    def add_documents(
        self, documents: Iterable[Document], *, batch_size: int = DEFAULT_BATCH_SIZE
    ) -> IndexReport:
        """``Index.add_documents``: each document goes to the shard chosen from its id."""
        with self._writing() as shards:
            routed: list[list[Document]] = [[] for _ in shards]
            for doc in documents:
                routed[shard_of(doc.id, len(shards))].append(doc)
            reports = [
                shard.add_documents(docs, batch_size=batch_size)
                for shard, docs in zip(shards, routed, strict=True)
                if docs
            ]
        return merge_reports(reports)

    @guarded
    def remove(self, *doc_ids: str) -> int:
        """Remove documents by id from whichever shard holds them."""
        with self._writing() as shards:
            return sum(shard.remove(*doc_ids) for shard in shards)

    @guarded
    def optimize(self) -> IndexStats:
        """``Index.optimize`` for each shard, one after another, under the sharded
        index's lock; the shards' statistics after, added up."""
        with self._writing() as shards:
            for shard in shards:
                shard.optimize()
        return self.stats()

    def _rebuild(self, paths: Paths, options: BuildOptions, confirm: Confirm) -> IndexReport:
        """``Index.rebuild``: a new set of shards built beside the old, then switched in."""
        report = rebuild_sharded(
            self.path, paths, options, self.lock_timeout, confirm, open_part=self._open_part
        )
        self._mtime = 0  # reopen on next use
        self.shards()
        return report
