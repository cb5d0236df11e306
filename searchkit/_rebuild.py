"""New data for an index, built beside the old and switched in: create and rebuild.

An ordinary index's data lives in a ``whoosh-<n>`` folder, a sharded index's in a
``shards-<n>`` folder of ordinary indexes.  Creating an index makes the first such folder;
a rebuild builds the next one from the index's sources (or the paths it is given) and
switches ``searchkit.json`` to it in one atomic rename, the same way for both kinds.  On
any failure the new folder is deleted and the settings still name the old one, so
searches never see a half-built index.

Without named paths a rebuild reads the sources the index recorded, which a damaged or
crafted index may get wrong: only those inside the roots the index was built from, never
a filesystem root, and only when confirmed (``confirm``; the command line asks, or takes
``--yes``); otherwise :class:`RebuildRefusedError` and nothing is changed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import whoosh.index as windex

from . import _commits
from ._base import OpenPart
from ._batch import Batch
from ._build import BuildOptions, CreateOptions, Paths
from ._decoded import IndexStorage
from ._lock import WriteLock
from ._settings import (
    SETTINGS_NAME,
    Settings,
    check_can_create,
    clean_root,
    drop_unused_data_dirs,
    free_folder_name,
    new_data_dir,
    now,
    settings_for_rebuild,
    store_synonyms,
    swap_settings,
)
from ._shardset import (
    ShardSettings,
    add_shards,
    drop_unused,
    lenient_settings,
    mark_shard_set,
    merge_reports,
    shard_set_owner,
)
from ._sync import Sync, require_existing
from ._types import Confirm
from .analysis import ANALYZER_ID
from .errors import IndexDamagedError, RebuildRefusedError, SearchkitIndexError
from .models import IndexReport
from .schema import SCHEMA_VERSION, build_schema

if TYPE_CHECKING:
    pass

__all__ = [
    "Confirm",
    "build_shard_set",
    "create_data",
    "new_shard_set",
    "rebuild_plain",
    "rebuild_sharded",
    "recorded_sources",
    "usable_root",
    "within",
    "commit_sources",
    "confirm_sources",
]


def create_data(root: Path, options: CreateOptions) -> Settings:
    """An empty ordinary index at ``root`` (replacing one there if ``options.overwrite``);
    its settings."""
    check_can_create(root, options.overwrite)
    root.mkdir(parents=True, exist_ok=True)
    with WriteLock(root, options.lock_timeout):
        # Again under the lock: another process may have created it while we waited.
        check_can_create(root, options.overwrite)
        clean_root(root)
        if not (root / SETTINGS_NAME).is_file():  # a create that was interrupted
            drop_unused_data_dirs(root, None)
        # Replacing an index keeps its id, so that its data folders go too.
        index_id = settings_for_rebuild(root).id
        data = new_data_dir(root, index_id)
        IndexStorage(str(root / data)).create_index(build_schema())
        settings = Settings(
            data=data,
            max_chars=options.max_chars,
            created=now(),
            id=index_id,
            language=options.language,
            vectors=options.vectors,
        )
        store_synonyms(root, options.synonyms)
        swap_settings(root, settings)
        drop_unused_data_dirs(root, settings)
    return settings


def _sources(root: Path, paths: Sequence[str | os.PathLike[str]], kept: Sequence[str]) -> list[str]:
    """What a rebuild reads: ``paths`` if any, else the sources the index recorded."""
    sources = [str(Path(p).absolute()) for p in paths] or list(kept)
    if not sources:
        raise SearchkitIndexError(
            root, f"nothing to rebuild index {root} from: name files or folders"
        )
    return sources


def rebuild_data(
    root: Path, settings: Settings, paths: Paths, options: BuildOptions
) -> tuple[Settings, windex.Index, IndexReport]:
    """Build a new data folder from ``paths`` (or the recorded sources) and switch to it.

    The caller holds the write lock.  On any failure the new folder is deleted and the
    settings still point at the old one.
    """
    named = [str(Path(p).absolute()) for p in paths]
    sources = _sources(root, paths, _old_sources(root, settings))
    drop_unused_data_dirs(root, settings)
    clean_root(root)
    data = new_data_dir(root, settings.id)
    try:
        new_ix = IndexStorage(str(root / data)).create_index(build_schema())
        batch = Batch(
            new_ix,
            settings.max_chars,
            options.batch_size,
            False,
            tuple(sources),
            None,
            settings.language,
        )
        try:
            report = Sync(batch, [], field_maps=settings.field_maps).run(
                sources, options.progress, options.follow_links
            )
        except BaseException:
            batch.cancel()
            raise
        batch.commit(force=True)
    except BaseException:
        shutil.rmtree(root / data, ignore_errors=True)
        raise
    new_settings = attrs.evolve(
        settings,
        data=data,
        sources=(),  # recorded in the new data's commits
        roots=tuple(named) if named else settings.roots or settings.sources,
        schema_version=SCHEMA_VERSION,
        analyzer=ANALYZER_ID,
    )
    swap_settings(root, new_settings)
    return new_settings, new_ix, report


def commit_sources(root: Path, settings: Settings, ix: windex.Index) -> tuple[str, ...]:
    """The sources the current commit recorded (or, for an index written before commit
    records, the ones its settings list)."""
    folder = root / settings.data
    try:
        record = _commits.read(folder, ix.latest_generation())
    except ValueError as exc:
        raise IndexDamagedError(root, str(exc)) from None
    return settings.sources if record is None else tuple(record["sources"])


def _old_sources(root: Path, settings: Settings) -> tuple[str, ...]:
    """The sources to rebuild from when none are named: what the current data recorded,
    read leniently (this is how a damaged index is repaired)."""
    folder = root / settings.data
    if not settings.data or not folder.is_dir():
        return settings.sources
    try:
        record = _commits.read(folder, _commits.latest_generation(folder))
    except ValueError:
        record = None
    return settings.sources if record is None else tuple(record["sources"])


def rebuild_plain(
    root: Path, paths: Paths, options: BuildOptions, lock_timeout: float, confirm: Confirm
) -> IndexReport:
    """``rebuild_index`` for an ordinary index (or none yet)."""
    require_existing(paths)
    planned = None
    if (root / SETTINGS_NAME).is_file() and not paths:
        # Asked before the lock is taken, so no writer waits on a person.
        planned = recorded_sources(root)
        confirm_sources(root, planned, confirm)
    if not (root / SETTINGS_NAME).is_file():
        check_can_create(root, overwrite=False)
        root.mkdir(parents=True, exist_ok=True)
    with WriteLock(root, lock_timeout):
        # Read under the lock: a rebuild that finished while we waited changed them.
        settings = settings_for_rebuild(root)
        if not paths and recorded_sources(root, settings) != (planned or ()):
            _changed_meanwhile(root)
        _, _, report = rebuild_data(root, settings, paths, options)
    return report


def recorded_sources(root: Path, settings: Settings | None = None) -> tuple[str, ...]:
    """The sources a rebuild of ``root`` without named paths would read: those its
    current commit record names (read leniently, so that a damaged index can be
    repaired), after checking each against the roots the index was built from.

    A source outside every root, a filesystem root (``/``) or a path that is not
    absolute raises :class:`RebuildRefusedError`: a record cannot make a rebuild read
    files the index was never given.  An index written before roots were recorded
    takes its settings' sources as roots, or has none (then name the paths).
    """
    if settings is None:
        settings = settings_for_rebuild(root, adopt=False)
    sources = _old_sources(root, settings)
    roots = [r for r in (settings.roots or settings.sources) if usable_root(r)]
    refused = [s for s in sources if not usable_root(s) or not any(within(s, r) for r in roots)]
    if refused:
        raise RebuildRefusedError(
            root,
            tuple(refused),
            f"index {root} records {_listed(refused)} as a source to rebuild from, outside "
            f"the folders it was built from ({_listed(roots) if roots else 'none recorded'}); "
            "nothing was read: to rebuild from it, name the files and folders "
            f"(searchkit index PATH... --index {root} --rebuild)",
        )
    return sources


def confirm_sources(root: Path, sources: tuple[str, ...], confirm: Confirm) -> None:
    """Raise :class:`RebuildRefusedError` unless ``confirm`` allows reading ``sources``."""
    if not sources or confirm is True:
        return
    if confirm is False:
        raise RebuildRefusedError(
            root,
            sources,
            f"rebuilding index {root} reads the sources it recorded ({_listed(sources)}); "
            "nothing was read: confirm them (confirm=True; on the command line, answer "
            "the question or pass --yes), or name the files and folders to read",
        )
    if not confirm(sources):
        raise RebuildRefusedError(
            root, sources, f"the sources were not confirmed: index {root} was left as it was"
        )


def _changed_meanwhile(root: Path) -> None:
    raise RebuildRefusedError(
        root,
        (),
        f"the sources index {root} recorded changed while the rebuild waited to start; "
        "nothing was changed: run it again",
    )


def usable_root(path: str) -> bool:
    """An absolute path that is not a filesystem root: a rebuild never walks ``/``."""
    p = Path(path)
    return p.is_absolute() and p.parent != p


def within(path: str, root: str) -> bool:
    """Whether ``path`` is ``root`` or inside it (by name: ``..`` is normalised first)."""
    p, r = os.path.normpath(path), os.path.normpath(root)
    return p == r or p.startswith(r.rstrip(os.sep) + os.sep)


def _listed(paths: Sequence[str], most: int = 3) -> str:
    shown = ", ".join(paths[:most])
    return shown + (f" and {len(paths) - most} more" if len(paths) > most else "")


def new_shard_set(
    root: Path, shards: int, max_chars: int, index_id: str, vectors: bool = True
) -> str:
    """A new ``shards-<n>`` folder (a name the settings check accepts, stepping over
    folders that are not searchkit's) holding ``shards`` empty indexes, marked as
    ``index_id``'s (written with paragraph vectors when ``vectors``); returns its name."""
    data = free_folder_name(root, "shards-", lambda f: shard_set_owner(f) is not None)
    (root / data).mkdir()
    mark_shard_set(root / data, index_id)
    for k in range(shards):
        create_data(root / data / str(k), CreateOptions(max_chars=max_chars, vectors=vectors))
    return data


def rebuild_sharded(
    root: Path,
    paths: Paths,
    options: BuildOptions,
    lock_timeout: float,
    confirm: Confirm,
    *,
    open_part: OpenPart,
) -> IndexReport:
    """``rebuild_index`` for a sharded index: a new set of shards from ``paths`` (default:
    its sources), switched in.  Its recorded sources are read as an ordinary index's:
    never ``/``, and only when ``confirm`` allows."""
    require_existing(paths)
    planned: tuple[str, ...] = ()
    if not paths:  # asked before the lock is taken, so no writer waits on a person
        planned = _planned_sources(root, lenient_settings(root, adopt=False))
        confirm_sources(root, planned, confirm)
    with WriteLock(root, lock_timeout):
        settings = lenient_settings(root)
        if not paths and _planned_sources(root, settings) != planned:
            _changed_meanwhile(root)
        sources = _sources(root, paths, settings.sources)
        drop_unused(root, settings.data, settings.id)
        reports = build_shard_set(
            root, settings, sources, options, keep_sources=False, open_part=open_part
        )
    return merge_reports(reports)


def build_shard_set(
    root: Path,
    settings: ShardSettings,
    sources: Sequence[str],
    options: BuildOptions,
    *,
    keep_sources: bool,
    open_part: OpenPart,
) -> list[IndexReport]:
    """Build a new set of shards from ``sources`` beside the current one and switch
    ``searchkit.json`` to it (one atomic rename); on any failure, remove the new set, so
    the index stays as it was.  The caller holds the index's lock.  ``keep_sources``
    adds ``sources`` to those recorded; otherwise they replace them."""
    data = new_shard_set(root, settings.shards, settings.max_chars, settings.id, settings.vectors)
    try:
        building = attrs.evolve(options, dry_run=False)
        reports = add_shards(
            root, data, settings.shards, sources, building, settings.reading, open_part=open_part
        )
    except BaseException:
        shutil.rmtree(root / data, ignore_errors=True)
        raise
    recorded = [*settings.sources, *sources] if keep_sources else sources
    swap_settings(
        root,
        attrs.evolve(
            settings,
            data=data,
            sources=tuple(dict.fromkeys(recorded)),
            schema_version=SCHEMA_VERSION,
            analyzer=ANALYZER_ID,
        ),
    )
    return reports


def _planned_sources(root: Path, settings: ShardSettings) -> tuple[str, ...]:
    """The sources a sharded rebuild without named paths reads: its settings' (searchkit
    writes them itself, so they are its roots), but never ``/`` or a relative path."""
    refused = [s for s in settings.sources if not usable_root(s)]
    if refused:
        raise RebuildRefusedError(
            root,
            tuple(refused),
            f"index {root} records {refused[0]} as a source to rebuild from, which is never "
            "read from a record; nothing was read: to rebuild, name the files and folders "
            f"(searchkit index PATH... --index {root} --rebuild)",
        )
    return settings.sources
