"""The sharded index on disk: its layout and settings, and writing its shards.

One folder::

    my-index/
      searchkit.json     format searchkit-sharded-index: shard count, sources, data folder,
                         default language and field maps
      synonyms.txt       the synonyms applied to queries, if any
      write.lock         the lock of the index as a whole
      shards-<n>/0 .. N-1   one ordinary searchkit index a shard

A file belongs to one shard, chosen from a hash of its absolute path (what its document
ids are made from), so all of a file's documents, old and new, live in one shard and its
update is one of that shard's atomic commits.  A document added without a file
(``add_documents``) goes to the shard chosen from its id.  An add runs one task a shard
(a local process, or a Dask task), each syncing the files its shard owns with one
writer, under the whole index's lock; so a kill leaves every document wholly old or
wholly new, and a task run again finishes what it began.  A rebuild (``_rebuild.py``)
builds a new ``shards-<n+1>`` folder and switches ``searchkit.json`` to it in one atomic
rename, as an ordinary index does with its data folder.  The reading side is
``_sharded.py``; checking is ``check.py``.

As an ordinary index's data folders, a shard set holds a marker naming the index's
``id``, and a clean-up deletes only the sets (and ``whoosh-<n>`` data folders) marked with
this index's id: never another index's, never a folder without a marker.

The settings of the whole (the default language, the field maps, the synonyms) are kept
once, at the top, and handed to the shards when they write (:class:`ReadingSettings`)
or applied to the query before it reaches them; a shard's own ``searchkit.json`` holds
none.  So one atomic rename changes them for every shard at once, and no failure or
kill can leave shards that disagree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ._base import SHARDED_FORMAT, OpenPart, ShardRole
from ._lock import LOCK_NAME
from ._settings import (
    MARKER_NAME,
    SETTINGS_NAME,
    ReadingSettings,
    data_dir_owner,
    marker_text,
    new_id,
    read_json,
    shared_field_errors,
)
from ._version import __version__
from .analysis import ANALYZER_ID
from .analysis.detect import AUTO
from .chunking import DEFAULT_MAX_CHARS
from .errors import IndexDamagedError, IndexIncompatibleError, SearchkitIndexError
from .models import IndexReport
from .schema import SCHEMA_VERSION

if TYPE_CHECKING:
    from ._build import BuildOptions

__all__ = [
    "MAX_SHARDS",
    "SHARD_SET_MARK",
    "ShardSettings",
    "add_shards",
    "add_to_shard",
    "drop_unused",
    "index_id_of",
    "lenient_settings",
    "mark_shard_set",
    "merge_reports",
    "now",
    "read_shard_settings",
    "shard_of",
    "shard_role",
    "shard_set_owner",
]

MAX_SHARDS = 256
_DATA = re.compile(r"^shards-[0-9]{1,9}$")
_ID = re.compile(r"^[0-9a-f]{32}$")


def shard_of(key: str, shards: int) -> int:
    """The shard of a file's absolute path or a document's id: stable across processes."""
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def _owns(shard: int, shards: int, path: Path) -> bool:
    return shard_of(str(path.resolve()), shards) == shard


def _str_tuple(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(str(v) for v in values)


@attrs.frozen
class ShardSettings:
    shards: int
    data: str
    max_chars: int = DEFAULT_MAX_CHARS
    schema_version: int = SCHEMA_VERSION
    analyzer: str = ANALYZER_ID
    created: str = ""
    sources: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    # As an ordinary index's: the language of documents whose metadata names none, and
    # source path -> the field map its JSON/JSONL records are read with.
    language: str = AUTO
    field_maps: dict[str, dict[str, str]] = attrs.field(factory=dict)
    # Marks the index's shard sets (empty in indexes written before ids).
    id: str = ""
    # Whether its shards are written with paragraph vectors (see Settings).
    vectors: bool = True

    def to_json(self) -> str:
        return json.dumps(
            {"format": SHARDED_FORMAT, "searchkit": __version__, **attrs.asdict(self)}, indent=2
        )

    @property
    def reading(self) -> ReadingSettings:
        """What the shards read documents with."""
        return ReadingSettings(self.language, self.field_maps)


def _field_errors(raw: dict[str, Any]) -> list[str]:
    errors = []
    shards = raw.get("shards")
    if type(shards) is not int or not 1 <= shards <= MAX_SHARDS:
        errors.append(f"shards must be a whole number from 1 to {MAX_SHARDS}")
    data = raw.get("data")
    if not isinstance(data, str) or not _DATA.match(data):
        errors.append("data must name a shards-<n> folder inside the index folder")
    if "id" in raw and not (isinstance(raw["id"], str) and _ID.match(raw["id"])):
        errors.append("id must be 32 hexadecimal digits")
    return errors + shared_field_errors(raw)


def _read_raw(root: Path) -> dict[str, Any]:
    """``searchkit.json`` as a JSON object with the sharded index's format marker."""
    path = root / SETTINGS_NAME
    raw = read_json(root)
    if not isinstance(raw, dict) or raw.get("format") != SHARDED_FORMAT:
        raise IndexIncompatibleError(root, f"{path} is not a sharded searchkit index file")
    return raw


def read_shard_settings(root: Path) -> ShardSettings:
    """Read and check the sharded index's ``searchkit.json`` as an ordinary index's is
    read (untrusted): a field of the wrong type, or a data folder outside the index, is
    :class:`IndexDamagedError` naming the file; another version
    :class:`IndexIncompatibleError`."""
    path = root / SETTINGS_NAME
    raw = _read_raw(root)
    errors = _field_errors(raw)
    if errors:
        raise IndexDamagedError(root, f"{path}: {'; '.join(errors)}")
    found = (raw.get("schema_version"), raw.get("analyzer"))
    if found != (SCHEMA_VERSION, ANALYZER_ID):
        raise IndexIncompatibleError(
            root,
            f"index {root} was written with schema {found[0]}, analyzer {found[1]}; this "
            f"searchkit uses schema {SCHEMA_VERSION}, analyzer {ANALYZER_ID}. Rebuild it "
            f"with `searchkit index PATH --index {root} --rebuild`",
        )
    fields = {f.name for f in attrs.fields(ShardSettings)}
    return ShardSettings(**{k: v for k, v in raw.items() if k in fields})


# What a shard set's marker file holds, then the index's id: searchkit deletes only
# folders it marked for this index.  Sets written before ids hold the words alone.
SHARD_SET_MARK = "searchkit shard set"


def mark_shard_set(folder: Path, index_id: str) -> None:
    (folder / MARKER_NAME).write_text(f"{SHARD_SET_MARK} {index_id}\n", encoding="ascii")


def shard_set_owner(folder: Path) -> str | None:
    """The index id a shard set's marker names ("" for a set marked before ids), or
    ``None`` when ``folder`` is not a shard set."""
    text = marker_text(folder, _DATA)
    if text is None:
        return None
    words, _, owner = text.rpartition(" ")
    if text == SHARD_SET_MARK:
        return ""
    return owner if words == SHARD_SET_MARK and _ID.match(owner) else None


def drop_unused(root: Path, current: str, index_id: str) -> None:
    """Shard sets and data folders a finished rebuild (or a crash, or an ordinary index
    this one replaced) left behind: only folders whose marker names this index's id, so
    another index's folders, and anything else a user put in the index folder, stay."""
    if not index_id:
        return
    for old in root.iterdir():
        if old.name != current and index_id in (shard_set_owner(old), data_dir_owner(old)):
            shutil.rmtree(old, ignore_errors=True)


def index_id_of(root: Path) -> str:
    """The id the index at ``root`` has (an ordinary one's too, so that a sharded index
    replacing it owns its data folders), or a new one."""
    try:
        raw = read_json(root)
    except SearchkitIndexError:
        return new_id()
    found = raw.get("id") if isinstance(raw, dict) else None
    return found if isinstance(found, str) and _ID.match(found) else new_id()


def now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def shard_role(shard: int, shards: int, reading: ReadingSettings | None = None) -> ShardRole:
    """Shard ``shard`` of ``shards``'s role: it writes only the files it owns, with one
    writer, and reads them with the whole index's ``reading`` settings."""
    return ShardRole(partial(_owns, shard, shards), reading or ReadingSettings())


def add_to_shard(
    path: str,
    shard: int,
    shards: int,
    paths: Sequence[str],
    batch_size: int,
    dry_run: bool,
    follow_links: bool = False,
    *,
    reading: ReadingSettings | None = None,
    open_part: OpenPart,
) -> IndexReport:
    """Sync shard ``shard`` with the files of ``paths`` it owns (a task: local or Dask),
    reading them with the whole index's ``reading`` settings; ``open_part`` opens it."""
    with open_part(Path(path), shard_role(shard, shards, reading)) as ix:
        return ix.add(*paths, batch_size=batch_size, dry_run=dry_run, follow_links=follow_links)


def _child_init(parent: int, lock: str) -> None:
    from ._mpwriter import _close_inherited, _die_with_parent

    _die_with_parent(parent)
    _close_inherited([lock])


def add_shards(
    root: Path,
    data: str,
    shards: int,
    paths: Sequence[str],
    options: BuildOptions,
    reading: ReadingSettings,
    *,
    open_part: OpenPart,
) -> list[IndexReport]:
    """Sync every shard of the set ``data`` with ``paths``: one task a shard, each a
    process here or (with ``options.client``) a Dask task; ``open_part`` opens a shard."""
    folders = [str(root / data / str(k)) for k in range(shards)]
    task = partial(add_to_shard, reading=reading, open_part=open_part)
    batch_size, dry_run, progress = options.batch_size, options.dry_run, options.progress
    follow_links = options.follow_links
    if options.client is not None:
        from .distributed import add_on_cluster

        return add_on_cluster(
            options.client,
            task,
            folders,
            paths,
            batch_size,
            dry_run,
            follow_links,
            timeout=options.cluster_timeout,
        )
    jobs = [
        (folder, k, shards, paths, batch_size, dry_run, follow_links)
        for k, folder in enumerate(folders)
    ]
    reports: list[IndexReport] = []
    if dry_run or (os.cpu_count() or 1) < 2:
        for done, job in enumerate(jobs, 1):
            reports.append(task(*job))
            if progress:
                progress(done, shards, f"shard {done - 1}")
        return reports
    import multiprocessing  # loaded only to write: a search never needs it
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(
        max_workers=min(shards, os.cpu_count() or 1),
        mp_context=multiprocessing.get_context("fork"),
        initializer=_child_init,
        initargs=(os.getpid(), str(root / LOCK_NAME)),
    ) as pool:
        futures = [pool.submit(task, *job) for job in jobs]
        for done, future in enumerate(futures, 1):
            reports.append(future.result())
            if progress:
                progress(done, shards, f"shard {done - 1}")
    return reports


def merge_reports(reports: Sequence[IndexReport]) -> IndexReport:
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


def lenient_settings(root: Path, adopt: bool = True) -> ShardSettings:
    """The settings a rebuild keeps, whatever versions wrote them: each field on its own,
    a damaged one starting afresh, as an ordinary index's rebuild does.  Only the shard
    count cannot start afresh.  A set without an id gets one, and (``adopt``, under the
    write lock) its current set is marked with it."""
    try:
        raw = _read_raw(root)
    except IndexDamagedError as exc:
        raise IndexIncompatibleError(
            root, f"cannot read the shard count of {root} ({exc}); build a new index"
        ) from None
    if _field_errors({"data": "shards-1", "shards": raw.get("shards")}):
        raise IndexIncompatibleError(
            root,
            f"cannot read the shard count of {root} (shards: {raw.get('shards')!r}); "
            "build a new index",
        )
    names = {f.name for f in attrs.fields(ShardSettings)}
    kept = {
        k: v
        for k, v in raw.items()
        if k in names and not _field_errors({"data": "shards-1", "shards": 1, k: v})
    }
    kept.setdefault("data", "")
    kept.setdefault("created", now())
    settings = ShardSettings(**kept)
    if not settings.id:  # written before ids: its current set becomes provably its own
        settings = attrs.evolve(settings, id=new_id())
        if adopt and settings.data and shard_set_owner(root / settings.data) == "":
            mark_shard_set(root / settings.data, settings.id)
    return settings
