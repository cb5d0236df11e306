"""Several indexes as one (:func:`open_many`), and the sharded index (:class:`ShardedIndex`).

Both are a set of parts, each an ordinary searchkit index, read through ``Index``'s API:
a search goes to every part with the statistics of all of them, and the hits merge into
one list (``_fanout.py``), so the ranking is that of one index holding every document.
The sharded index's layout and writing are in ``_shardset.py``.  Importing this module
registers the sharded index with ``Index.create``/``open``, ``rebuild_index`` and
``check_index`` (which sit below it); ``searchkit.Index`` and the command line load it.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ._fanout import (
    SearchOptions,
    explore_part,
    merge_results,
    parse,
    part_statistics,
    search_part,
    total,
)
from ._limits import QueryLimits
from ._lock import WriteLock
from ._settings import SETTINGS_NAME, check_can_create, store_synonyms
from ._shardset import (
    MAX_SHARDS,
    ShardSettings,
    add_shards,
    build_shard_set,
    check_sharded,
    drop_unused,
    merge_reports,
    new_shard_set,
    now,
    open_shard,
    read_shard_settings,
    rebuild_sharded,
    shard_of,
    write_settings,
)
from .analysis import ANALYZER_ID
from .analysis.detect import AUTO
from .analysis.synonyms import Synonyms
from .chunking import DEFAULT_MAX_CHARS
from .errors import (
    FilterError,
    IndexExistsError,
    IndexNotFoundError,
    NotFoundError,
    SearchkitIndexError,
)
from .explore import (
    DEFAULT_FACET_LIMIT,
    INTERVALS,
    Interval,
    check_facets,
    complete_over,
    merge_facets,
    merge_histograms,
    similar_query_over,
)
from .index import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_LOCK_TIMEOUT,
    Index,
    Progress,
    _require_existing,
    check_index,
    check_language,
    is_sharded,
    rebuild_index,
    register_sharded,
)
from .loaders import check_field_map
from .models import (
    Chunk,
    Completion,
    Document,
    DocumentInfo,
    IndexReport,
    IndexStats,
    Passage,
    Results,
)
from .query import Operator
from .schema import SCHEMA_VERSION
from .search import MAX_LIMIT, Sort, check_whole

if TYPE_CHECKING:
    from .distributed import Client

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


# -- reading several parts as one --------------------------------------------------------


class _Parts(ABC):
    """The read API of :class:`~searchkit.Index` over parts, each an ordinary index."""

    @abstractmethod
    def _parts(self) -> list[tuple[Index, str | None]]:
        """Each part and the label its hits carry (``None``: the hit's index is this one)."""

    @abstractmethod
    def _where(self) -> str:
        """The indexes, as an error message names them."""

    def _query_synonyms(self) -> Synonyms | None:
        """The synonyms applied to a query over the parts, or ``None``."""
        return None

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        page: int = 1,
        author: str | Sequence[str] | None = None,
        since: str | int | dt.date | None = None,
        until: str | int | dt.date | None = None,
        source: str | Sequence[str] | None = None,
        doc_id: str | Sequence[str] | None = None,
        sort: Sort = "relevance",
        group: bool = False,
        group_size: int = 3,
        context: int = 0,
        operator: Operator = "or",
        limits: QueryLimits | None = None,
        timeout: float | None = None,
        facets: Sequence[str] = (),
        facet_limit: int = DEFAULT_FACET_LIMIT,
        histogram: Interval | None = None,
        explain: bool = False,
        client: Client | None = None,
        cluster_timeout: float | None = None,
        highlight: bool = True,
    ) -> Results:
        """``Index.search`` over every part, ranked as one index holding them all would.

        With a Dask ``client``, each part is searched on a worker (see ``distributed.py``);
        the results are the same, or ``ClusterTimeoutError`` when no part's task finishes
        for ``cluster_timeout`` seconds (default ``distributed.DEFAULT_TIMEOUT``).
        ``timeout`` is the budget of the whole search: here
        the parts share it, one after the other; on a cluster each part has all of it.
        Facets and histograms add up the parts' whole counts (a document lives in one
        part), so they equal one index's; explanations use every part's statistics.
        """
        names, options = _prepared(
            facets,
            facet_limit,
            histogram,
            limit=limit,
            page=page,
            author=_frozen(author),
            since=since,
            until=until,
            source=_frozen(source),
            doc_id=_frozen(doc_id),
            sort=sort,
            group=group,
            group_size=group_size,
            context=context,
            operator=operator,
            limits=limits,
            timeout=timeout,
            explain=explain,
            highlight=highlight,
        )
        parts = self._parts()
        synonyms = self._query_synonyms()
        q = parse(parts[0][0], query, operator, [ix for ix, _ in parts[1:]], synonyms)
        return self._answer(
            query, q, options, client, names, facet_limit, histogram, cluster_timeout
        )

    def similar(
        self,
        chunk_or_doc_id: str,
        *,
        limit: int = 10,
        page: int = 1,
        author: str | Sequence[str] | None = None,
        since: str | int | dt.date | None = None,
        until: str | int | dt.date | None = None,
        source: str | Sequence[str] | None = None,
        doc_id: str | Sequence[str] | None = None,
        sort: Sort = "relevance",
        group: bool = False,
        group_size: int = 3,
        context: int = 0,
        facets: Sequence[str] = (),
        facet_limit: int = DEFAULT_FACET_LIMIT,
        histogram: Interval | None = None,
        explain: bool = False,
        document: bool = False,
    ) -> Results:
        """``Index.similar`` over every part, as one index holding them all would answer.

        The source is found in whichever part holds it, and its words are weighed with
        every part's statistics (:func:`~searchkit.explore.similar_query_over`), so the
        query, its hits, their scores and explanations are one index's.
        """
        names, options = _prepared(
            facets,
            facet_limit,
            histogram,
            limit=limit,
            page=page,
            author=_frozen(author),
            since=since,
            until=until,
            source=_frozen(source),
            doc_id=_frozen(doc_id),
            sort=sort,
            group=group,
            group_size=group_size,
            context=context,
            explain=explain,
        )
        parts = self._parts()
        try:
            q = similar_query_over([ix._reader() for ix, _ in parts], chunk_or_doc_id, document)
        except NotFoundError:
            raise NotFoundError(
                f"no chunk or document {chunk_or_doc_id!r} in {self._where()}"
            ) from None
        return self._answer(str(q), q, options, None, names, facet_limit, histogram)

    def complete(self, text: str, limit: int = 10) -> list[Completion]:
        """``Index.complete`` over every part: counts are paragraphs in all of them."""
        check_whole("limit", limit, 1, MAX_LIMIT)
        return complete_over([ix._reader() for ix, _ in self._parts()], text, limit)

    def _answer(
        self,
        query: str,
        q: Any,
        options: SearchOptions,
        client: Client | None,
        names: Sequence[str],
        facet_limit: int,
        histogram: Interval | None,
        cluster_timeout: float | None = None,
    ) -> Results:
        """Search every part for the parsed ``q`` with the statistics of them all, merge
        the hits, and add up facets and histograms."""
        parts = self._parts()
        labels = [label for _, label in parts]
        if client is not None:
            from .distributed import search_on_cluster

            folders = [str(ix.path) for ix, _ in parts]
            found = search_on_cluster(client, folders, query, q, options, cluster_timeout)
        else:
            clock, budget = time.monotonic(), options.timeout
            stats = total([part_statistics(ix, q) for ix, _ in parts])
            found = []
            for ix, _ in parts:
                if budget is not None:  # what is left of the budget
                    left = max(1e-3, budget - (time.monotonic() - clock))
                    options = attrs.evolve(options, timeout=left)
                found.append(search_part(ix, stats, query, q, options))
        merged = merge_results(found, labels, options)
        if (names or histogram) and not merged.timed_out:
            counted = [explore_part(ix, q, options, names, histogram) for ix, _ in parts]
            merged = attrs.evolve(
                merged,
                facets=merge_facets([c for c, _ in counted], names, facet_limit) if names else {},
                histogram=merge_histograms([b for _, b in counted], histogram) if histogram else (),
            )
        return merged

    def chunk(self, chunk_id: str) -> Chunk:
        """The chunk with this id, from whichever part holds it."""
        for ix, _ in self._parts():
            try:
                return ix.chunk(chunk_id)
            except NotFoundError:
                continue
        raise NotFoundError(f"no chunk {chunk_id!r} in {self._where()}")

    def passage(self, chunk_id: str, context: int = 1) -> Passage:
        """The chunk ``chunk_id`` with ``context`` chunks on each side, from its document."""
        for ix, _ in self._parts():
            try:
                return ix.passage(chunk_id, context)
            except NotFoundError:
                continue
        raise NotFoundError(f"no chunk {chunk_id!r} in {self._where()}")

    def document(self, doc_id: str) -> Document:
        """The document with this id, from whichever part holds it."""
        for ix, _ in self._parts():
            try:
                return ix.document(doc_id)
            except NotFoundError:
                continue
        raise NotFoundError(f"no document {doc_id!r} in {self._where()}")

    def documents(self) -> list[DocumentInfo]:
        """Every part's documents, ordered by path."""
        infos = [info for ix, _ in self._parts() for info in ix.documents()]
        return sorted(infos, key=lambda d: (d.path, d.id))

    def __len__(self) -> int:
        """The number of chunks in every part together."""
        return sum(len(ix) for ix, _ in self._parts())

    def _stats(self, path: str) -> IndexStats:
        each = [ix.stats() for ix, _ in self._parts()]
        dates = [s.last_updated for s in each if s.last_updated is not None]
        languages: dict[str, int] = {}
        for s in each:
            for code, n in s.languages:
                languages[code] = languages.get(code, 0) + n
        return IndexStats(
            path=path,
            documents=sum(s.documents for s in each),
            chunks=sum(s.chunks for s in each),
            size_bytes=sum(s.size_bytes for s in each),
            segments=sum(s.segments for s in each),
            fields=each[0].fields if each else (),
            last_updated=max(dates) if dates else None,
            schema_version=SCHEMA_VERSION,
            analyzer=ANALYZER_ID,
            whoosh=each[0].whoosh if each else "",
            languages=tuple(sorted(languages.items(), key=lambda kv: (-kv[1], kv[0]))),
        )


def _frozen(value: str | Sequence[str] | None) -> str | tuple[str, ...] | None:
    return value if value is None or isinstance(value, str) else tuple(value)


def _prepared(
    facets: Sequence[str], facet_limit: int, histogram: str | None, **fields: Any
) -> tuple[tuple[str, ...], SearchOptions]:
    """The checked facet names and search options of a search or ``similar`` over parts:
    every bad argument is refused before any part runs."""
    names = check_facets(facets)
    check_whole("facet_limit", facet_limit, 1, None)
    if histogram is not None and histogram not in INTERVALS:
        raise FilterError(
            f"histogram interval must be one of {', '.join(INTERVALS)}, not {histogram!r}"
        )
    options = SearchOptions(**fields)
    options.check()
    return names, options


class MultiIndex(_Parts):
    """Several indexes searched as one; made by :func:`open_many`.

    Hits carry the folder of the index they came from in ``hit.index``.  Use it as a
    context manager, or call :meth:`close`.
    """

    def __init__(self, members: Sequence[Index]) -> None:
        self.members = tuple(members)
        self.paths = tuple(ix.path for ix in self.members)

    def _parts(self) -> list[tuple[Index, str | None]]:
        out: list[tuple[Index, str | None]] = []
        for member in self.members:
            label = str(member.path)
            if isinstance(member, ShardedIndex):
                out.extend((shard, label) for shard in member.shards())
            else:
                out.append((member, label))
        return out

    def _where(self) -> str:
        return "indexes " + ", ".join(str(p) for p in self.paths)

    def stats(self) -> IndexStats:
        """The indexes' counts and sizes added up; ``path`` lists them, os.pathsep between."""
        return self._stats(os.pathsep.join(str(p) for p in self.paths))

    def close(self) -> None:
        for member in self.members:
            member.close()

    def __enter__(self) -> MultiIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"open_many({[str(p) for p in self.paths]!r})"


def open_many(
    paths: Iterable[str | os.PathLike[str]], *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
) -> MultiIndex:
    """Open several indexes to search as one, ranked as one index holding all their documents.

    An index named twice, or a document in two of them (the same file indexed into both),
    raises :class:`SearchkitIndexError`: ids must stay unique across the indexes.
    """
    roots = [Path(p) for p in paths]
    if not roots:
        raise FilterError("open_many() needs at least one index folder")
    seen: dict[Path, Path] = {}
    for root in roots:
        key = root.resolve()
        if key in seen:
            raise SearchkitIndexError(root, f"index {root} is named twice (also as {seen[key]})")
        seen[key] = root
    members: list[Index] = []
    try:
        for root in roots:
            members.append(Index.open(root, lock_timeout=lock_timeout))
        many = MultiIndex(members)
        _check_unique_ids(many)
    except BaseException:
        for member in members:
            member.close()
        raise
    return many


def open_indexes(
    paths: Sequence[str | os.PathLike[str]], *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
) -> Index | MultiIndex:
    """One index folder opened as an :class:`Index`, several as one :func:`open_many`."""
    if len(paths) == 1:
        return Index.open(paths[0], lock_timeout=lock_timeout)
    return open_many(paths, lock_timeout=lock_timeout)


def _check_unique_ids(many: MultiIndex) -> None:
    owner: dict[str, str] = {}
    for ix, label in many._parts():
        for raw in ix._reader().reader().lexicon("doc_id"):
            doc_id = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
            first = owner.setdefault(doc_id, str(label))
            if first != label:
                raise SearchkitIndexError(
                    ix.path,
                    f"document {doc_id} is in both {first} and {label}; the indexes must "
                    "not share documents (remove the file from one of them)",
                )


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
            raise FilterError(
                f"shards must be a whole number from 1 to {MAX_SHARDS}, not {shards!r}"
            )
        if max_chars < 200:
            raise SearchkitIndexError(root, f"max_chars must be at least 200, not {max_chars}")
        check_can_create(root, overwrite)
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SearchkitIndexError(root, f"cannot create index folder {root}: {exc}") from None
        with WriteLock(root, lock_timeout):
            check_can_create(root, overwrite)
            data = new_shard_set(root, shards, max_chars)
            settings = ShardSettings(
                shards=shards, data=data, max_chars=max_chars, created=now(), language=language
            )
            store_synonyms(root, synonyms)
            write_settings(root, settings)
            drop_unused(root, data)
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
            raise SearchkitIndexError(self.path, "add() needs at least one file or folder")
        if batch_size < 1:
            raise SearchkitIndexError(self.path, f"batch_size must be at least 1, not {batch_size}")
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

    ``shards`` that differs from an existing index's count raises :class:`FilterError`:
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
        raise FilterError(
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
    index: Index | MultiIndex, address: str, query: str, **options: Any
) -> Results:
    """``index.search(query, **options)``, each part searched on the cluster at ``address``."""
    from .distributed import connect

    parts = index if isinstance(index, MultiIndex) else _sharded(index, "search")
    with connect(address) as client:
        return parts.search(query, client=client, **options)


def _sharded(index: Index, what: str) -> ShardedIndex:
    if not isinstance(index, ShardedIndex):
        raise FilterError(
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
