"""Checking an index, ordinary or sharded, and repairing it by a rebuild.

:func:`check_index` reads every segment, stored record and term of an ordinary index,
compares chunk counts with the manifest and every file with the checksums its commit
recorded, and lists files changed since they were indexed and files dead writers left.
A sharded index is checked shard by shard, each as an ordinary index, and every document
must sit in the shard its path (or id) chooses.  Both kinds repair the same way: a
rebuild from the sources the index recorded (:func:`searchkit.rebuild_index`).
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs
import whoosh.index as windex

from . import _commits, _whoosh
from ._base import DEFAULT_LOCK_TIMEOUT, is_sharded
from ._damage import DAMAGE
from ._decoded import IndexStorage
from ._lock import WriteLock
from ._settings import check_synonyms, clean_root, read_settings, root_leftovers
from ._shardset import read_shard_settings, shard_of
from ._stored import info_from_stored, same_file
from ._types import Confirm
from ._unpickle import DamagedPickleError
from .errors import (
    IndexDamagedError,
    IndexIncompatibleError,
    IndexLockedError,
    SearchkitError,
    SearchkitIndexError,
)
from .index import Index, rebuild_index
from .models import CheckReport, DocumentInfo
from .schema import build_schema

__all__ = ["check_index"]


def check_index(
    path: str | os.PathLike[str],
    *,
    repair: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    confirm: Confirm = False,
) -> CheckReport:
    """Verify an index: every segment opens and reads, and chunk counts match the manifest.

    With ``repair``, an index with problems is rebuilt from the files it recorded as
    sources (the old one stays in place until the new one is complete), under the rules
    of :func:`~searchkit.rebuild_index`: only sources inside the index's roots, and only
    when ``confirm`` allows (else :class:`RebuildRefusedError`).  A missing index raises
    :class:`IndexNotFoundError`; any other damage is reported, not raised.  A sharded
    index is checked shard by shard, and each document in the shard it belongs to.
    """
    root = Path(path)
    try:
        if is_sharded(root):
            report = _check_sharded(root, lock_timeout)
        else:
            report = _check_plain(root, lock_timeout, remove_leftovers=repair)
    except (IndexIncompatibleError, IndexDamagedError) as exc:  # its settings, unreadable
        report = CheckReport(str(root), 0, 0, 0, problems=(str(exc),))
    if repair and report.problems:
        rebuild_index(root, lock_timeout=lock_timeout, confirm=confirm)
        return attrs.evolve(check_index(root, lock_timeout=lock_timeout), repaired=True)
    return report


def _check_plain(root: Path, lock_timeout: float, remove_leftovers: bool) -> CheckReport:
    settings = read_settings(root)  # a missing index raises: nothing to check
    problems: list[str] = check_synonyms(root)
    stale: list[str] = []
    documents = chunks = segments = 0
    try:
        with Index(root, settings, lock_timeout) as index:
            problems.extend(_verify_files(index))
            searcher = index._reader()
            segments = _whoosh.segment_count(index._ix)
            counted: dict[str, int] = {}
            for reader, _ in searcher.reader().leaf_readers():
                for _, stored in reader.iter_docs():
                    chunks += 1
                    counted[stored["doc_id"]] = counted.get(stored["doc_id"], 0) + 1
                for _ in reader.all_terms():  # reads the whole term dictionary
                    pass
            if chunks != searcher.doc_count():
                problems.append(
                    f"{chunks} chunks read, but the index counts {searcher.doc_count()}"
                )
            # The manifest from the same snapshot as the chunks: a writer committing
            # meanwhile must not make the two disagree (Index.documents() would reopen).
            manifest = [info_from_stored(s) for s in searcher.documents(first="1")]
            documents = len(manifest)
            for info in manifest:
                found = counted.pop(info.id, 0)
                if found != info.chunks:
                    problems.append(
                        f"document {info.id} ({info.path}) has {found} chunks, "
                        f"expected {info.chunks}"
                    )
                if info.size and _changed(info):
                    stale.append(info.path)
            for doc_id, n in counted.items():
                problems.append(f"{n} chunks of document {doc_id} have no manifest record")
    except Exception as exc:
        # What damage keeps from being read (the table of contents, a segment's
        # directory): the files whose checksums say which part is damaged come first.
        problems.extend(
            p for p in _commits.damaged_files(root / settings.data) if p not in problems
        )
        problems.append(_unreadable(root, exc))
    left = _leftovers(root, remove_leftovers)
    return CheckReport(
        path=str(root),
        documents=documents,
        chunks=chunks,
        segments=segments,
        problems=tuple(problems),
        stale=tuple(stale),
        repaired=remove_leftovers and bool(left),
        leftovers=tuple(left),
    )


def _unreadable(root: Path, exc: Exception) -> str:
    if isinstance(exc, DamagedPickleError):  # decoded in a reader, before the index was known
        return str(IndexDamagedError(root, exc.reason))
    if isinstance(exc, SearchkitError):
        return str(exc)
    # damage shows up as assorted Whoosh and OS errors
    return f"cannot read index {root}: {type(exc).__name__}: {exc}"


def _check_sharded(root: Path, lock_timeout: float) -> CheckReport:
    settings = read_shard_settings(root)
    problems: list[str] = check_synonyms(root)
    shards: list[CheckReport] = []
    for k in range(settings.shards):
        folder = root / settings.data / str(k)
        try:
            found = _check_plain(folder, lock_timeout, remove_leftovers=False)
        except SearchkitIndexError as exc:
            problems.append(f"shard {k}: {exc}")
            continue
        shards.append(found)
        problems.extend(f"shard {k}: {p}" for p in found.problems)
        if not found.problems:
            problems.extend(_misplaced(folder, k, settings.shards, lock_timeout))
    return CheckReport(
        str(root),
        sum(s.documents for s in shards),
        sum(s.chunks for s in shards),
        sum(s.segments for s in shards),
        problems=tuple(problems),
        stale=tuple(path for s in shards for path in s.stale),
    )


def _misplaced(folder: Path, k: int, shards: int, lock_timeout: float) -> list[str]:
    """Shard ``k``'s documents that belong in another shard (by path, or by id)."""
    with Index(folder, read_settings(folder), lock_timeout) as shard:
        return [
            f"shard {k}: document {info.id} ({info.path}) belongs elsewhere"
            for info in shard.documents()
            if shard_of(str(Path(info.path).resolve()) if info.size else info.id, shards) != k
        ]


def _leftovers(root: Path, remove: bool) -> list[str]:
    """What writers that died left in ``root`` (removed when ``remove``).  Only when no
    writer is at work: a live writer's temporary files look the same."""
    lock = WriteLock(root, 0)
    try:
        lock.acquire()
    except IndexLockedError:
        return []
    try:
        found = root_leftovers(root)
        settings = read_settings(root)
        folder = root / settings.data
        ix = IndexStorage(str(folder)).open_index(schema=build_schema())
        in_data = _commits.leftovers(folder, _whoosh.toc_segments(ix))
        if remove:
            clean_root(root)
            _commits.remove_leftovers(folder, in_data)
        return found + [f"{settings.data}/{name}" for name in in_data]
    except (SearchkitError, OSError, *DAMAGE, windex.EmptyIndexError):
        return []  # the index itself is damaged: that is reported, and repaired, already
    finally:
        lock.release()


def _verify_files(index: Index) -> list[str]:
    """Checksums and segment entries of the current commit against its record.

    A writer committing meanwhile may delete what the table of contents read a moment
    ago named; then the newer commit is verified instead.
    """
    folder = index.path / index._settings.data
    problems: list[str] = []
    for _ in range(3):
        generation, segments = _whoosh.toc(index._ix)
        # An index written before commit records has none to verify against.
        legacy = not index._settings.id
        problems = _commits.verify(folder, generation, segments, required=not legacy)
        if not problems or _commits.latest_generation(folder) == generation:
            break
    return problems


def _changed(info: DocumentInfo) -> bool:
    try:
        st = os.stat(info.path)
    except OSError:
        return True
    return not same_file(info, st)
