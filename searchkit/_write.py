"""The write API of an ordinary :class:`~searchkit.Index`: add, add_documents, remove,
rebuild, and the sources and field maps they keep.

``Index`` takes these methods from :class:`Writes`; ``index.py`` keeps the opening and
the reading.  A write takes the index's lock and goes through a batch (``_batch.py``); an
add writes the difference a sync finds (``_sync.py``); a rebuild builds new data beside
the old (``_rebuild.py``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ._base import ShardRole, guarded, one_shard_error
from ._batch import DEFAULT_BATCH_SIZE, Batch, locked_batch
from ._build import BuildOptions, Builds, Paths
from ._colcache import build_columns
from ._damage import damage_guard
from ._lock import WriteLock
from ._rebuild import commit_sources, rebuild_plain, within
from ._settings import SETTINGS_NAME, ReadingSettings, Settings, read_settings, swap_settings
from ._stored import info_from_stored
from ._sync import Sync, require_existing
from ._types import Confirm
from .errors import ArgumentError
from .loaders import check_field_map
from .models import Document, DocumentInfo, IndexReport, IndexStats
from .query import language_fields

if TYPE_CHECKING:
    import whoosh.index as windex
    from whoosh.searching import Searcher

__all__ = ["Writes"]


class Writes(Builds):
    """The write methods of :class:`~searchkit.Index` (which supplies the reading they use)."""

    path: Path
    lock_timeout: float
    _settings: Settings
    _settings_mtime: int
    _ix: windex.Index
    _role: ShardRole | None

    if TYPE_CHECKING:

        def _reader(self) -> Searcher: ...

        def documents(self) -> list[DocumentInfo]: ...

        def stats(self) -> IndexStats: ...

        @property
        def max_chars(self) -> int: ...

    @guarded
    def _add(
        self, paths: Paths, options: BuildOptions, field_map: Mapping[str, str] | None
    ) -> IndexReport:
        if options.client is not None:
            raise one_shard_error(self.path, "build")
        if not paths:
            raise ArgumentError("add() needs at least one file or folder")
        require_existing(paths)
        maps = dict(self._reading().field_maps)
        if field_map is not None:
            checked = check_field_map(field_map)
            maps.update((str(Path(p).absolute()), checked) for p in paths)
            if not options.dry_run and maps != self._settings.field_maps:
                self._keep_field_maps(maps)
        new_sources = [str(Path(p).absolute()) for p in paths]
        with self._writing(options.batch_size, options.dry_run, new_sources) as batch:
            stored = list(self._reader().documents(first="1"))
            held = {s["path"]: s.get("file_documents") for s in stored if "path" in s}
            manifest = sorted(map(info_from_stored, stored), key=lambda d: (d.path, d.id))
            owns = self._role.owns if self._role else None
            sync = Sync(batch, manifest, held, owns, maps)
            report = sync.run(paths, options.progress, options.follow_links)
        return report

    @guarded
    def _rebuild(self, paths: Paths, options: BuildOptions, confirm: Confirm) -> IndexReport:
        report = rebuild_plain(self.path, paths, options, self.lock_timeout, confirm)
        self._reader()  # switch this handle to the new data
        return report

    def watch(self, *paths: str | os.PathLike[str], **options: Any) -> None:
        """Keep the index in sync with ``paths`` as files change, until stopped: see
        :func:`searchkit.watch.watch` for the options (``stop``, ``on_batch``, ...)."""
        from .watch import watch

        watch(self, *paths, **options)

    @guarded
    def add_documents(
        self, documents: Iterable[Document], *, batch_size: int = DEFAULT_BATCH_SIZE
    ) -> IndexReport:
        """Index already-loaded documents, replacing any with the same id.

        For documents that do not come from files searchkit reads (a test collection, a
        database export).  They carry no file bookkeeping, so sync leaves them alone.
        """
        added = updated = chunks = 0
        with self._writing(batch_size, False) as batch:
            known = {d.id for d in self.documents()}
            for doc in documents:
                replaces = (doc.id,) if doc.id in known else ()
                updated += bool(replaces)
                added += not replaces
                known.add(doc.id)
                chunks += batch.write([doc], replaces=replaces)
        return IndexReport(added=added, updated=updated, chunks=chunks)

    @guarded
    def remove(self, *doc_ids: str) -> int:
        """Remove documents by id; returns how many were in the index."""
        with self._writing(DEFAULT_BATCH_SIZE, False) as batch:
            known = {d.id for d in self.documents()}
            present = [d for d in dict.fromkeys(doc_ids) if d in known]
            for d in present:
                batch.delete(d)
        return len(present)

    @guarded
    def optimize(self) -> IndexStats:
        """Merge the index's segments into one, dropping removed and replaced paragraphs
        for good, and return its statistics after.

        A search reads every segment, so fewer answer faster, and one segment keeps each
        word's entry once (all of Reuters-21578: 8 segments, 69.6 MiB -> 1, 61.3 MiB).
        It rewrites the whole index, about as long as indexing it took, in one commit:
        other processes' searches go on meanwhile, other writers wait for the lock
        (``lock_timeout``, 30 s by default, may run out first), the folder needs room
        for a second copy until the commit, and an interrupted run leaves the index as
        it was.  Scores do not change, unless paragraphs were removed or replaced since
        they were written: the statistics then stop counting them, near what a fresh
        build of the rest gives (lengths are kept rounded).  The merged segment's column
        caches (``_colcache.py``) are written too, for the fields a bare query searches,
        so the next searching process maps them instead of building them.  Worth it
        after a bulk load that will be searched much and changed little; later adds
        write new segments beside the merged one.
        """
        with self._writing(1, False) as batch:
            batch.optimize()
        searcher = self._reader()
        # Written now, not by the first searching process (a 4 s build on Reuters).
        build_columns(searcher, language_fields(searcher.reader()))
        return self.stats()

    def _keep_field_maps(self, maps: dict[str, dict[str, str]]) -> None:
        """Record the field maps in the settings (under the write lock)."""
        with WriteLock(self.path, self.lock_timeout):
            current = read_settings(self.path)
            settings = attrs.evolve(current, field_maps={**current.field_maps, **maps})
            swap_settings(self.path, settings)
            self._settings = settings
            self._settings_mtime = (self.path / SETTINGS_NAME).stat().st_mtime_ns

    def _keep_roots(self, sources: Sequence[str]) -> None:
        """Record ``sources`` among the roots in the settings (under the write lock),
        before the commit that records them as sources: so the roots always cover what
        the commit records name.  An index written before roots adopts its sources."""
        roots = self._settings.roots or self._settings.sources
        missing = [s for s in sources if not any(within(s, r) for r in roots)]
        if not missing and roots == self._settings.roots:
            return
        settings = attrs.evolve(self._settings, roots=tuple(dict.fromkeys([*roots, *missing])))
        swap_settings(self.path, settings)
        self._settings = settings
        self._settings_mtime = (self.path / SETTINGS_NAME).stat().st_mtime_ns

    def _reading(self) -> ReadingSettings:
        """The language and field maps documents are read with: a shard's are its
        sharded index's."""
        return self._role.reading if self._role else self._settings.reading

    def sources(self) -> tuple[str, ...]:
        """The files and folders added so far, as absolute paths: what a rebuild reads."""
        with damage_guard(self.path):
            return commit_sources(self.path, self._settings, self._ix)

    @contextmanager
    def _writing(
        self, batch_size: int, dry_run: bool, new_sources: Sequence[str] = ()
    ) -> Iterator[Batch]:
        """A batch under the write lock; its commits record ``new_sources`` as well."""
        if batch_size < 1:
            raise ArgumentError(f"batch_size must be at least 1, not {batch_size}")
        language = self._reading().language
        if dry_run:  # reads only: works on a read-only folder, and beside a writer
            self._reader()
            yield Batch(self._ix, self.max_chars, batch_size, True, (), None, language)
            return

        def current() -> tuple[windex.Index, Settings, tuple[str, ...]]:
            self._reader()  # another process may have rebuilt the index meanwhile
            return self._ix, self._settings, self.sources()

        procs = self._role.writer_procs if self._role else None
        with locked_batch(
            self.path,
            self.lock_timeout,
            current,
            batch_size,
            new_sources,
            procs,
            language,
            before=self._keep_roots,
        ) as batch:
            yield batch
