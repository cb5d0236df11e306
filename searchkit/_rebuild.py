"""New data for an index, built beside the old and switched in: create and rebuild.

An ordinary index's data lives in a ``whoosh-<n>`` folder, a sharded index's in a
``shards-<n>`` folder of ordinary indexes.  Creating an index makes the first such folder;
a rebuild builds the next one from the index's sources (or the paths it is given) and
switches ``searchkit.json`` to it in one atomic rename, the same way for both kinds.  On
any failure the new folder is deleted and the settings still name the old one, so
searches never see a half-built index.
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
from ._base import DEFAULT_LOCK_TIMEOUT, OpenPart
from ._batch import DEFAULT_BATCH_SIZE, Batch, Progress
from ._lock import WriteLock
from ._settings import (
    MARKER_NAME,
    SETTINGS_NAME,
    Settings,
    check_can_create,
    clean_root,
    drop_unused_data_dirs,
    new_data_dir,
    now,
    settings_for_rebuild,
    store_synonyms,
    swap_settings,
)
from ._shardset import (
    SHARD_SET_MARK,
    ShardSettings,
    add_shards,
    drop_unused,
    lenient_settings,
    merge_reports,
    write_settings,
)
from ._sync import Sync, require_existing
from .analysis import ANALYZER_ID
from .analysis.detect import AUTO
from .analysis.synonyms import Synonyms
from .errors import IndexDamagedError, SearchkitIndexError
from .models import IndexReport
from .schema import SCHEMA_VERSION, build_schema

if TYPE_CHECKING:
    from .distributed import Client

__all__ = [
    "build_shard_set",
    "create_data",
    "new_shard_set",
    "rebuild_plain",
    "rebuild_sharded",
    "commit_sources",
]


def create_data(
    root: Path,
    overwrite: bool,
    max_chars: int,
    lock_timeout: float,
    code: str = AUTO,
    rules: Synonyms | None = None,
) -> Settings:
    """An empty ordinary index at ``root`` (replacing one there if ``overwrite``); its
    settings."""
    check_can_create(root, overwrite)
    root.mkdir(parents=True, exist_ok=True)
    with WriteLock(root, lock_timeout):
        # Again under the lock: another process may have created it while we waited.
        check_can_create(root, overwrite)
        clean_root(root)
        if not (root / SETTINGS_NAME).is_file():  # a create that was interrupted
            drop_unused_data_dirs(root, None)
        # Replacing an index keeps its id, so that its data folders go too.
        index_id = settings_for_rebuild(root).id
        data = new_data_dir(root, index_id)
        windex.create_in(str(root / data), build_schema())
        settings = Settings(
            data=data, max_chars=max_chars, created=now(), id=index_id, language=code
        )
        store_synonyms(root, rules)
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
    root: Path,
    settings: Settings,
    paths: Sequence[str | os.PathLike[str]],
    batch_size: int,
    progress: Progress | None,
    follow_links: bool = False,
) -> tuple[Settings, windex.Index, IndexReport]:
    """Build a new data folder from ``paths`` (or the recorded sources) and switch to it.

    The caller holds the write lock.  On any failure the new folder is deleted and the
    settings still point at the old one.
    """
    sources = _sources(root, paths, _old_sources(root, settings))
    drop_unused_data_dirs(root, settings)
    clean_root(root)
    data = new_data_dir(root, settings.id)
    try:
        new_ix = windex.create_in(str(root / data), build_schema())
        batch = Batch(
            new_ix, settings.max_chars, batch_size, False, tuple(sources), None, settings.language
        )
        try:
            report = Sync(batch, [], field_maps=settings.field_maps).run(
                sources, progress, follow_links
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
    root: Path,
    *paths: str | os.PathLike[str],
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    follow_links: bool = False,
) -> IndexReport:
    """``rebuild_index`` for an ordinary index (or none yet)."""
    require_existing(paths)
    if not (root / SETTINGS_NAME).is_file():
        check_can_create(root, overwrite=False)
        root.mkdir(parents=True, exist_ok=True)
    with WriteLock(root, lock_timeout):
        # Read under the lock: a rebuild that finished while we waited changed them.
        settings = settings_for_rebuild(root)
        _, _, report = rebuild_data(root, settings, paths, batch_size, progress, follow_links)
    return report


def new_shard_set(root: Path, shards: int, max_chars: int) -> str:
    """A new ``shards-<n>`` folder holding ``shards`` empty indexes; returns its name."""
    n = 1 + max((int(p.name[7:]) for p in root.glob("shards-*") if p.name[7:].isdigit()), default=0)
    data = f"shards-{n}"
    (root / data).mkdir()
    (root / data / MARKER_NAME).write_text(SHARD_SET_MARK + "\n", encoding="ascii")
    for k in range(shards):
        create_data(root / data / str(k), False, max_chars, DEFAULT_LOCK_TIMEOUT)
    return data


def rebuild_sharded(
    root: Path,
    *paths: str | os.PathLike[str],
    open_part: OpenPart,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    client: Client | None = None,
    follow_links: bool = False,
    cluster_timeout: float | None = None,
) -> IndexReport:
    """``rebuild_index`` for a sharded index: a new set of shards from ``paths`` (default:
    its sources), switched in."""
    require_existing(paths)
    with WriteLock(root, lock_timeout):
        settings = lenient_settings(root)
        sources = _sources(root, paths, settings.sources)
        drop_unused(root, settings.data)
        reports = build_shard_set(
            root,
            settings,
            sources,
            batch_size,
            progress,
            client,
            follow_links,
            cluster_timeout,
            keep_sources=False,
            open_part=open_part,
        )
    return merge_reports(reports)


def build_shard_set(
    root: Path,
    settings: ShardSettings,
    sources: Sequence[str],
    batch_size: int,
    progress: Progress | None,
    client: Client | None,
    follow_links: bool,
    cluster_timeout: float | None,
    *,
    keep_sources: bool,
    open_part: OpenPart,
) -> list[IndexReport]:
    """Build a new set of shards from ``sources`` beside the current one and switch
    ``searchkit.json`` to it (one atomic rename); on any failure, remove the new set, so
    the index stays as it was.  The caller holds the index's lock.  ``keep_sources``
    adds ``sources`` to those recorded; otherwise they replace them."""
    data = new_shard_set(root, settings.shards, settings.max_chars)
    try:
        reports = add_shards(
            root,
            data,
            settings.shards,
            sources,
            batch_size,
            False,
            progress,
            client,
            follow_links,
            settings.reading,
            cluster_timeout,
            open_part=open_part,
        )
    except BaseException:
        shutil.rmtree(root / data, ignore_errors=True)
        raise
    recorded = [*settings.sources, *sources] if keep_sources else sources
    write_settings(
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
