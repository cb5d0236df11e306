"""The sharded index (:class:`ShardedIndex`): one folder of shards read as one index.

It is a set of parts (``multi.py``, which also holds several indexes searched as one,
:func:`open_many`): a search goes to every shard with the statistics of all of them and
the hits merge into one list, so the ranking is that of one index holding every document.
The sharded index's layout and writing are in ``_shardset.py``.  Importing this module
registers the sharded index with ``Index.create``/``open``, ``rebuild_index`` and
``check_index`` (which sit below it); ``searchkit.Index`` and the command line load it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from ._lock import WriteLock
from ._settings import SETTINGS_NAME, check_can_create, store_synonyms
from ._shardset import (
    MAX_SHARDS,
    ShardSettings,
    add_shards,
    build_shard_set,
    check_sharded,
    drop_unused,
    index_id_of,
    merge_reports,
    new_shard_set,
    now,
    open_shard,
    read_shard_settings,
    rebuild_sharded,
    shard_of,
    write_settings,
)
from ._types import Client, Progress, SearchRequest
from .analysis.detect import AUTO
from .analysis.synonyms import Synonyms
from .chunking import DEFAULT_MAX_CHARS, MAX_CHUNK_CHARS
from .errors import (
    ArgumentError,
    IndexExistsError,
    IndexNotFoundError,
    SearchkitIndexError,
)
from .index import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_LOCK_TIMEOUT,
    Confirm,
    Index,
    _require_existing,
    check_index,
    check_language,
    is_sharded,
    rebuild_index,
    register_sharded,
)
from .loaders import check_field_map
from .models import (
    Document,
    IndexReport,
    IndexStats,
    Results,
)
from .multi import MultiIndex, _Parts, open_indexes, open_many

__all__ = [
    "Index",
    "MultiIndex",
    "ShardedIndex",
    "add_with_dask",
    "check_index",
    "check_sharded",
    "is_sharded",
    "open_indexes",
    "open_many",
    "open_or_create_sharded",
    "rebuild_index",
    "rebuild_sharded",
    "search_with_dask",
    "shard_of",
]


class ShardedIndex(_Parts, Index):
    """An index folder holding N ordinary indexes, written in parallel, searched as one.

    Made by ``Index.create(path, shards=N)`` and returned by ``Index.open`` for such a
    folder.  The API is :class:`Index`'s; ``add`` and ``search`` also take a Dask
    ``client`` (``pip install 'searchkit[dask]'``).
    """

    def __init__(self, path: Path, settings: ShardSettings, lock_timeout: float) -> None:
        self.path = path
        self.lock_timeout = lock_timeout
        self._shard_settings = settings
        self._mtime = (path / SETTINGS_NAME).stat().st_mtime_ns
        self._synonyms = None  # read by Index.synonyms, from this folder's synonyms.txt
        self._shards = self._open_shards()

    def _open_shards(self) -> list[Index]:
        s = self._shard_settings
        return [
            open_shard(self.path / s.data / str(k), k, s.shards, s.reading) for k in range(s.shards)
        ]

    @classmethod
    def create_sharded(
        cls,
        root: Path,
        shards: int,
        *,
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
        if max_chars < 200:
            raise ArgumentError(f"max_chars must be at least 200, not {max_chars}")
        if max_chars > MAX_CHUNK_CHARS:
            raise ArgumentError(f"max_chars must be at most {MAX_CHUNK_CHARS}, not {max_chars}")
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
            write_settings(root, settings)
            drop_unused(root, data, index_id)
        return cls(root, settings, lock_timeout)

    @classmethod
    def open_sharded(
        cls, root: Path, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    ) -> ShardedIndex:
        return cls(root, read_shard_settings(root), lock_timeout)

    def shards(self) -> list[Index]:
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

    def _parts(self) -> list[tuple[Index, str | None]]:
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
        for shard in getattr(self, "_shards", []):
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
        _require_existing(paths)
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
            )
            if not dry_run and not all(p in s.sources for p in sources):
                self._switch(attrs.evolve(s, sources=tuple(dict.fromkeys([*s.sources, *sources]))))
        return merge_reports(reports)

    def _switch(self, settings: ShardSettings) -> None:
        """Write ``settings`` (under the write lock) and use them from now on."""
        write_settings(self.path, settings)
        self._shard_settings = settings
        self._mtime = (self.path / SETTINGS_NAME).stat().st_mtime_ns
        for shard in self._shards:
            shard._whole_reading = settings.reading

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
            confirm=confirm,
        )
        self._mtime = 0  # reopen on next use
        self.shards()
        return report


def open_or_create_sharded(
    root: Path,
    shards: int | None = None,
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    language: str = "auto",
) -> Index:
    """The index at ``root``, first created with ``shards`` shards (default 1) if none is there.

    ``shards`` that differs from an existing index's count raises :class:`ArgumentError`:
    the count is chosen when the index is created.
    """
    try:
        ix = Index.open(root, lock_timeout=lock_timeout)
    except IndexNotFoundError:
        try:
            return Index.create(
                root, shards=shards or 1, lock_timeout=lock_timeout, language=language
            )
        except IndexExistsError:  # another process created it in the meantime
            ix = Index.open(root, lock_timeout=lock_timeout)
    count = ix.shard_count if isinstance(ix, ShardedIndex) else 1
    if shards is not None and shards != count:
        ix.close()
        raise ArgumentError(
            f"index {root} has {count} shard{'s' if count > 1 else ''}; the shard count is "
            "chosen when an index is created (rebuild into a new folder to change it)"
        )
    return check_language(ix, language)


def add_with_dask(
    index: Index,
    paths: Sequence[str | os.PathLike[str]],
    address: str,
    *,
    follow_links: bool = False,
    field_map: Mapping[str, str] | None = None,
    cluster_timeout: float | None = None,
) -> IndexReport:
    """``index.add(*paths)`` on the Dask cluster at ``address`` (``local``: a new one here)."""
    from .distributed import connect

    sharded = _sharded(index, "build")
    with connect(address) as client:
        return sharded.add(
            *paths,
            client=client,
            follow_links=follow_links,
            field_map=field_map,
            cluster_timeout=cluster_timeout,
        )


def search_with_dask(
    index: Index | MultiIndex, address: str, query: str | SearchRequest, **options: Any
) -> Results:
    """``index.search(query, **options)``, each part searched on the cluster at ``address``
    (``query`` a query, or a :class:`~searchkit.SearchRequest` passed whole)."""
    from .distributed import connect

    parts = index if isinstance(index, MultiIndex) else _sharded(index, "search")
    with connect(address) as client:
        return parts.search(query, client=client, **options)


def _sharded(index: Index, what: str) -> ShardedIndex:
    if not isinstance(index, ShardedIndex):
        raise ArgumentError(
            f"index {index.path} has one shard: Dask can {what} a sharded index (create it "
            "with Index.create(path, shards=N), or `searchkit index --shards N`) or several "
            "indexes searched as one"
        )
    return index


register_sharded(
    create=ShardedIndex.create_sharded,
    open=ShardedIndex.open_sharded,
    rebuild=rebuild_sharded,
    check=check_sharded,
)
