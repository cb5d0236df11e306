"""Several indexes as one (:func:`open_many`), and the sharded index (:class:`ShardedIndex`).

Both are a set of parts, each an ordinary searchkit index, read through one API: a search
goes to every part with the statistics of all of them and the hits merge into one list
(``_fanout.py``), so the ranking is that of one index holding every document.

A sharded index is one folder::

    my-index/
      searchkit.json     format searchkit-sharded-index: shard count, sources, data folder
      write.lock         the lock of the index as a whole
      shards-<n>/0 .. N-1   one ordinary searchkit index a shard

A file belongs to one shard, chosen from a hash of its absolute path (what its document
ids are made from), so all of a file's documents, old and new, live in one shard and its
update is one of that shard's atomic commits.  A document added without a file
(``add_documents``) goes to the shard chosen from its id.  ``add`` runs one process a
shard, each with one writer, under the whole index's lock; each shard syncs its own
files as an ordinary index does, so a kill leaves every document wholly old or wholly
new.  A rebuild builds a new ``shards-<n+1>`` folder and switches ``searchkit.json`` to
it in one atomic rename, as an ordinary index does with its data folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from . import __version__
from ._fanout import SearchOptions, merge_results, part_statistics, search_part, total
from ._lock import LOCK_NAME, WriteLock
from .analysis import ANALYZER_ID
from .chunking import DEFAULT_MAX_CHARS
from .errors import (
    FilterError,
    IndexIncompatibleError,
    IndexNotFoundError,
    NotFoundError,
    SearchkitIndexError,
)
from .index import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_LOCK_TIMEOUT,
    SETTINGS_NAME,
    Index,
    Progress,
    _check_can_create,
    check_index,
)
from .models import (
    CheckReport,
    Chunk,
    Document,
    DocumentInfo,
    IndexReport,
    IndexStats,
    Passage,
    Results,
)
from .query import Operator
from .schema import SCHEMA_VERSION
from .search import Sort

if TYPE_CHECKING:
    from .distributed import Client

__all__ = [
    "MultiIndex",
    "ShardedIndex",
    "check_sharded",
    "is_sharded",
    "open_many",
    "rebuild_sharded",
    "shard_of",
]

FORMAT = "searchkit-sharded-index"
MAX_SHARDS = 256


def shard_of(key: str, shards: int) -> int:
    """The shard of a file's absolute path or a document's id: stable across processes."""
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def _owns(shard: int, shards: int, path: Path) -> bool:
    return shard_of(str(path.resolve()), shards) == shard


def is_sharded(root: Path) -> bool:
    """Whether ``root`` holds a sharded index (its ``searchkit.json`` says so)."""
    try:
        raw = json.loads((root / SETTINGS_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(raw, dict) and raw.get("format") == FORMAT


# -- reading several parts as one --------------------------------------------------------


class _Parts:
    """The read API of :class:`~searchkit.Index` over parts, each an ordinary index."""

    def _parts(self) -> list[tuple[Index, str | None]]:
        """Each part and the label its hits carry (``None``: the hit's index is this one)."""
        raise NotImplementedError  # pragma: no cover (each subclass defines it)

    def _where(self) -> str:
        raise NotImplementedError  # pragma: no cover

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
        client: Client | None = None,
    ) -> Results:
        """``Index.search`` over every part, ranked as one index holding them all would.

        With a Dask ``client``, each part is searched on a worker (see ``distributed.py``);
        the results are the same.
        """
        options = SearchOptions(
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
        )
        options.check()
        parts = self._parts()
        labels = [label for _, label in parts]
        if client is not None:
            from .distributed import search_on_cluster

            found = search_on_cluster(client, [str(ix.path) for ix, _ in parts], query, options)
        else:
            stats = total([part_statistics(ix, query, operator) for ix, _ in parts])
            found = [search_part(ix, stats, query, options) for ix, _ in parts]
        return merge_results(found, labels, options)

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
        )


def _frozen(value: str | Sequence[str] | None) -> str | tuple[str, ...] | None:
    return value if value is None or isinstance(value, str) else tuple(value)


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


# -- the sharded index -------------------------------------------------------------------


def _str_tuple(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(str(v) for v in values)


@attrs.frozen
class _ShardSettings:
    shards: int
    data: str
    max_chars: int = DEFAULT_MAX_CHARS
    schema_version: int = SCHEMA_VERSION
    analyzer: str = ANALYZER_ID
    created: str = ""
    sources: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, "searchkit": __version__, **attrs.asdict(self)}, indent=2)


def _read_shard_settings(root: Path) -> _ShardSettings:
    path = root / SETTINGS_NAME
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexNotFoundError(root) from None
    except (OSError, ValueError) as exc:
        raise IndexIncompatibleError(root, f"cannot read {path} ({exc}); rebuild the index") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise IndexIncompatibleError(root, f"{path} is not a sharded searchkit index file")
    found = (raw.get("schema_version"), raw.get("analyzer"))
    if found != (SCHEMA_VERSION, ANALYZER_ID):
        raise IndexIncompatibleError(
            root,
            f"index {root} was written with schema {found[0]}, analyzer {found[1]}; this "
            f"searchkit uses schema {SCHEMA_VERSION}, analyzer {ANALYZER_ID}. Rebuild it "
            f"with `searchkit index PATH --index {root} --rebuild`",
        )
    fields = {f.name for f in attrs.fields(_ShardSettings)}
    return _ShardSettings(**{k: v for k, v in raw.items() if k in fields})


def _write_settings(root: Path, settings: _ShardSettings) -> None:
    tmp = root / f".{SETTINGS_NAME}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(settings.to_json())
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, root / SETTINGS_NAME)


def _new_shard_set(root: Path, shards: int, max_chars: int) -> str:
    """A new ``shards-<n>`` folder holding ``shards`` empty indexes; returns its name."""
    n = 1 + max(
        (int(p.name[7:]) for p in root.glob("shards-*") if p.name[7:].isdigit()), default=0
    )
    data = f"shards-{n}"
    for k in range(shards):
        Index.create(root / data / str(k), max_chars=max_chars).close()
    return data


def _drop_unused(root: Path, current: str) -> None:
    """Shard sets and data folders a finished rebuild (or a crash) left behind."""
    for old in [*root.glob("shards-*"), *root.glob("whoosh-*")]:
        if old.name != current and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def open_shard(path: Path, shard: int, shards: int) -> Index:
    """Shard ``shard`` of ``shards`` as an Index that writes only the files it owns."""
    ix = Index.open(path)
    ix._owns = partial(_owns, shard, shards)
    ix._writer_procs = 1  # the shards are the parallelism: one writer each
    return ix


def add_to_shard(
    path: str, shard: int, shards: int, paths: Sequence[str], batch_size: int, dry_run: bool
) -> IndexReport:
    """Sync shard ``shard`` with the files of ``paths`` it owns (a task: local or Dask)."""
    with open_shard(Path(path), shard, shards) as ix:
        return ix.add(*paths, batch_size=batch_size, dry_run=dry_run)


def _child_init(parent: int, lock: str) -> None:
    from ._mpwriter import _close_inherited, _die_with_parent

    _die_with_parent(parent)
    _close_inherited([lock])


def _add_shards(
    root: Path,
    data: str,
    shards: int,
    paths: Sequence[str],
    batch_size: int,
    dry_run: bool,
    progress: Progress | None,
    client: Client | None,
) -> list[IndexReport]:
    folders = [str(root / data / str(k)) for k in range(shards)]
    if client is not None:
        from .distributed import add_on_cluster

        return add_on_cluster(client, folders, paths, batch_size, dry_run)
    jobs = [(folder, k, shards, paths, batch_size, dry_run) for k, folder in enumerate(folders)]
    reports: list[IndexReport] = []
    if dry_run or (os.cpu_count() or 1) < 2:
        for done, job in enumerate(jobs, 1):
            reports.append(add_to_shard(*job))
            if progress:
                progress(done, shards, f"shard {done - 1}")
        return reports
    import multiprocessing

    with ProcessPoolExecutor(
        max_workers=min(shards, os.cpu_count() or 1),
        mp_context=multiprocessing.get_context("fork"),
        initializer=_child_init,
        initargs=(os.getpid(), str(root / LOCK_NAME)),
    ) as pool:
        futures = [pool.submit(add_to_shard, *job) for job in jobs]
        for done, future in enumerate(futures, 1):
            reports.append(future.result())
            if progress:
                progress(done, shards, f"shard {done - 1}")
    return reports


def _merge_reports(reports: Sequence[IndexReport]) -> IndexReport:
    skipped = dict.fromkeys(s for r in reports for s in r.skipped)  # every shard walks all
    return IndexReport(
        added=sum(r.added for r in reports),
        updated=sum(r.updated for r in reports),
        removed=sum(r.removed for r in reports),
        unchanged=sum(r.unchanged for r in reports),
        renamed=sum(r.renamed for r in reports),
        chunks=sum(r.chunks for r in reports),
        skipped=tuple(skipped),
        dry_run=any(r.dry_run for r in reports),
    )


class ShardedIndex(_Parts, Index):
    """An index folder holding N ordinary indexes, written in parallel, searched as one.

    Made by ``Index.create(path, shards=N)`` and returned by ``Index.open`` for such a
    folder.  The API is :class:`Index`'s; ``add`` and ``search`` also take a Dask
    ``client`` (``pip install 'searchkit[dask]'``).
    """

    def __init__(self, path: Path, settings: _ShardSettings, lock_timeout: float) -> None:
        self.path = path
        self.lock_timeout = lock_timeout
        self._shard_settings = settings
        self._mtime = (path / SETTINGS_NAME).stat().st_mtime_ns
        self._shards = self._open_shards()

    def _open_shards(self) -> list[Index]:
        s = self._shard_settings
        return [open_shard(self.path / s.data / str(k), k, s.shards) for k in range(s.shards)]

    @classmethod
    def create_sharded(
        cls,
        root: Path,
        shards: int,
        *,
        overwrite: bool = False,
        max_chars: int = DEFAULT_MAX_CHARS,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> ShardedIndex:
        """An empty index of ``shards`` shards at ``root`` (see :meth:`Index.create`)."""
        if isinstance(shards, bool) or not isinstance(shards, int) or not 1 <= shards <= MAX_SHARDS:
            raise FilterError(f"shards must be a whole number from 1 to {MAX_SHARDS}, not {shards!r}")
        if max_chars < 200:
            raise SearchkitIndexError(root, f"max_chars must be at least 200, not {max_chars}")
        _check_can_create(root, overwrite)
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SearchkitIndexError(root, f"cannot create index folder {root}: {exc}") from None
        with WriteLock(root, lock_timeout):
            _check_can_create(root, overwrite)
            data = _new_shard_set(root, shards, max_chars)
            settings = _ShardSettings(shards=shards, data=data, max_chars=max_chars, created=_now())
            _write_settings(root, settings)
            _drop_unused(root, data)
        return cls(root, settings, lock_timeout)

    @classmethod
    def open_sharded(cls, root: Path, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> ShardedIndex:
        return cls(root, _read_shard_settings(root), lock_timeout)

    def shards(self) -> list[Index]:
        """The shards, reopened first if a rebuild switched the index to a new set."""
        try:
            mtime = (self.path / SETTINGS_NAME).stat().st_mtime_ns
        except OSError:
            mtime = 0
        if mtime != self._mtime:
            self.close()
            self._shard_settings = _read_shard_settings(self.path)
            self._mtime = mtime
            self._shards = self._open_shards()
        return self._shards

    def _parts(self) -> list[tuple[Index, str | None]]:
        return [(shard, None) for shard in self.shards()]

    def _where(self) -> str:
        return f"index {self.path}"

    @property
    def max_chars(self) -> int:
        return self._shard_settings.max_chars

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

    def add(
        self,
        *paths: str | os.PathLike[str],
        batch_size: int = DEFAULT_BATCH_SIZE,
        dry_run: bool = False,
        progress: Progress | None = None,
        client: Client | None = None,
    ) -> IndexReport:
        """``Index.add``, each shard syncing the files it owns, all shards at once.

        Without ``client`` a process a shard runs here; with a Dask ``client`` a task a
        shard runs on the cluster, where the files are read, parsed and chunked.
        ``progress`` is told of each shard as it finishes.
        """
        if not paths:
            raise SearchkitIndexError(self.path, "add() needs at least one file or folder")
        if batch_size < 1:
            raise SearchkitIndexError(self.path, f"batch_size must be at least 1, not {batch_size}")
        sources = [str(Path(p).absolute()) for p in paths]
        with WriteLock(self.path, self.lock_timeout):
            self.shards()
            s = self._shard_settings
            reports = _add_shards(
                self.path, s.data, s.shards, sources, batch_size, dry_run, progress, client
            )
            if not dry_run and not all(p in s.sources for p in sources):
                new = attrs.evolve(s, sources=tuple(dict.fromkeys([*s.sources, *sources])))
                _write_settings(self.path, new)
                self._shard_settings = new
                self._mtime = (self.path / SETTINGS_NAME).stat().st_mtime_ns
        return _merge_reports(reports)

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
        return _merge_reports(reports)

    def remove(self, *doc_ids: str) -> int:
        """Remove documents by id from whichever shard holds them."""
        with WriteLock(self.path, self.lock_timeout):
            return sum(shard.remove(*doc_ids) for shard in self.shards())

    def rebuild(
        self,
        *paths: str | os.PathLike[str],
        batch_size: int = DEFAULT_BATCH_SIZE,
        progress: Progress | None = None,
    ) -> IndexReport:
        """``Index.rebuild``: a new set of shards built beside the old, then switched in."""
        self.close()
        report = rebuild_sharded(
            self.path,
            *paths,
            batch_size=batch_size,
            progress=progress,
            lock_timeout=self.lock_timeout,
        )
        self._mtime = 0  # reopen on next use
        self.shards()
        return report


def rebuild_sharded(
    root: Path,
    *paths: str | os.PathLike[str],
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    client: Client | None = None,
) -> IndexReport:
    """Build a sharded index afresh from ``paths`` (default: its sources) and switch to it."""
    with WriteLock(root, lock_timeout):
        settings = _lenient_settings(root)
        sources = [str(Path(p).absolute()) for p in paths] or list(settings.sources)
        if not sources:
            raise SearchkitIndexError(
                root, f"nothing to rebuild index {root} from: name files or folders"
            )
        _drop_unused(root, settings.data)
        data = _new_shard_set(root, settings.shards, settings.max_chars)
        try:
            reports = _add_shards(
                root, data, settings.shards, sources, batch_size, False, progress, client
            )
        except BaseException:
            shutil.rmtree(root / data, ignore_errors=True)
            raise
        _write_settings(
            root,
            attrs.evolve(
                settings,
                data=data,
                sources=tuple(sources),
                schema_version=SCHEMA_VERSION,
                analyzer=ANALYZER_ID,
            ),
        )
    return _merge_reports(reports)


def _lenient_settings(root: Path) -> _ShardSettings:
    """The settings a rebuild keeps, whatever versions wrote them."""
    raw = json.loads((root / SETTINGS_NAME).read_text(encoding="utf-8"))
    return _ShardSettings(
        shards=int(raw["shards"]),
        data=str(raw.get("data", "")),
        max_chars=int(raw.get("max_chars", DEFAULT_MAX_CHARS)),
        created=str(raw.get("created", _now())),
        sources=[str(p) for p in raw.get("sources", [])],
    )


def check_sharded(
    root: Path, *, repair: bool = False, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
) -> CheckReport:
    """``check_index`` for a sharded index: every shard, and every document in its shard."""
    try:
        settings = _read_shard_settings(root)
    except IndexIncompatibleError as exc:
        report = CheckReport(str(root), 0, 0, 0, problems=(str(exc),))
        return _repaired(root, lock_timeout) if repair else report
    problems: list[str] = []
    stale: list[str] = []
    documents = chunks = segments = 0
    for k in range(settings.shards):
        folder = root / settings.data / str(k)
        try:
            found = check_index(folder, lock_timeout=lock_timeout)
        except SearchkitIndexError as exc:
            problems.append(f"shard {k}: {exc}")
            continue
        documents += found.documents
        chunks += found.chunks
        segments += found.segments
        problems.extend(f"shard {k}: {p}" for p in found.problems)
        stale.extend(found.stale)
        if found.problems:
            continue
        with Index.open(folder) as shard:
            for info in shard.documents():
                key = str(Path(info.path).resolve()) if info.size else info.id
                if shard_of(key, settings.shards) != k:
                    problems.append(f"shard {k}: document {info.id} ({info.path}) belongs elsewhere")
    report = CheckReport(
        path=str(root),
        documents=documents,
        chunks=chunks,
        segments=segments,
        problems=tuple(problems),
        stale=tuple(stale),
    )
    return _repaired(root, lock_timeout) if repair and problems else report


def _repaired(root: Path, lock_timeout: float) -> CheckReport:
    rebuild_sharded(root, lock_timeout=lock_timeout)
    return attrs.evolve(check_sharded(root, lock_timeout=lock_timeout), repaired=True)
