"""The diff of an add: which files are new, changed, unchanged, renamed or gone.

A :class:`Sync` compares the files under the paths with the index's manifest (each
document's path, size, modification time and content hash, kept on its first chunk)
and writes the difference through a :class:`~searchkit._batch.Batch`.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import attrs

from ._batch import Batch
from ._loads import POOLED_SUFFIXES, Loads
from ._stored import same_file
from ._types import Progress
from .errors import DocumentError
from .loaders import display_path, iter_files
from .models import DocumentInfo, IndexReport, Skipped

__all__ = ["Sync", "require_existing"]


class Sync:
    """One run of an add: compare files with the manifest and write the difference."""

    def __init__(
        self,
        batch: Batch,
        manifest: Iterable[DocumentInfo],
        held: dict[str, int | None] | None = None,
        owns: Callable[[Path], bool] | None = None,
        field_maps: dict[str, dict[str, str]] | None = None,
    ) -> None:
        self.batch = batch
        # Longest source path first, so a file takes the map of its nearest source.
        self.field_maps = sorted((field_maps or {}).items(), key=lambda kv: -len(kv[0]))
        # Path -> how many documents the file held when it was read (None: not recorded).
        self.held = held or {}
        self.owns = owns  # a shard's: the files that belong to it (the rest are skipped)
        self.by_path: dict[str, list[DocumentInfo]] = {}
        self.by_hash: dict[str, list[DocumentInfo]] = {}
        for info in manifest:
            self.by_path.setdefault(info.path, []).append(info)
            self.by_hash.setdefault(info.content_hash, []).append(info)
        self.counts = {
            "added": 0,
            "updated": 0,
            "removed": 0,
            "unchanged": 0,
            "renamed": 0,
            "chunks": 0,
        }
        self.skipped: list[Skipped] = []
        self.seen: set[str] = set()

    def run(
        self,
        paths: Sequence[str | os.PathLike[str]],
        progress: Progress | None,
        follow_links: bool = False,
    ) -> IndexReport:
        roots = [Path(p).absolute() for p in paths]
        items = list(iter_files(paths, follow_links=follow_links))
        files = [i for i in items if isinstance(i, Path) and (not self.owns or self.owns(i))]
        self.skipped.extend(i for i in items if isinstance(i, Skipped))
        slow = [path for path in files if path.suffix.lower() in POOLED_SUFFIXES]
        ahead = [(*found, self._field_map(path)) for path in slow if (found := self._to_read(path))]
        # A shard's files are read in the shard's own process (the shards are the pool).
        with Loads(ahead, pooled=self.owns is None) as loads:
            for done, path in enumerate(files, 1):
                self._file(path, loads)
                if progress:
                    progress(done, len(files), display_path(path))
        self._remove_missing(roots)
        return IndexReport(skipped=tuple(self.skipped), dry_run=self.batch.dry_run, **self.counts)

    def _to_read(self, path: Path) -> tuple[Path, os.stat_result] | None:
        """``path`` resolved and its status, when its turn will read it (nothing is
        recorded: :meth:`_file` looks again at its turn)."""
        try:
            resolved = path.resolve()
            st = resolved.stat()
        except (RuntimeError, OSError):
            return None
        return None if self._unchanged(str(resolved), st) else (resolved, st)

    def _unchanged(self, key: str, st: os.stat_result) -> bool:
        """Whether the file ``key`` (a resolved path) is as the index holds it, whole."""
        old = self.by_path.get(key, [])
        held = self.held.get(key)
        whole = held is None or held == len(old)  # none of its documents was removed
        return bool(old) and whole and all(same_file(o, st) for o in old)

    def _file(self, path: Path, loads: Loads) -> None:
        try:
            resolved = path.resolve()
            st = resolved.stat()
        except RuntimeError:  # Path.resolve() on a link that points at itself
            self.skipped.append(Skipped(display_path(path), "symbolic link loop"))
            return
        except OSError as exc:
            reason = f"cannot read: {exc.strerror or exc}"
            if _not_a_file(path):  # a pipe's /dev/fd/N (``<(...)``) resolves to no path
                reason = "not a regular file (a pipe, socket or device)"
            self.skipped.append(Skipped(display_path(path), reason))
            return
        key = str(resolved)
        if key in self.seen:  # named twice, or reached through two paths
            return
        self.seen.add(key)
        old = self.by_path.get(key, [])
        if self._unchanged(key, st):
            self.counts["unchanged"] += len(old)
            return
        old_ids = [o.id for o in old]
        loaded = loads.get(resolved, self._field_map(path), st)
        if isinstance(loaded, DocumentError):
            self.skipped.append(Skipped(display_path(path), loaded.reason))
            if old:  # it was text and is not any more: its old text must not linger
                self.batch.delete(*old_ids)
                self.counts["removed"] += len(old)
            return
        docs, skipped_records = loaded
        self.skipped.extend(attrs.evolve(s, path=display_path(path)) for s in skipped_records)
        if old and {o.content_hash for o in old} == {d.content_hash for d in docs}:
            # Same content, new timestamps (a touch, a checkout), or documents of it that
            # were removed from the index: rewrite it, so that the removed come back and
            # the next run sees it unchanged without reading the file again.
            back = max(0, len(docs) - len(old))
            self.counts["unchanged"] += len(docs) - back
            self.counts["added"] += back
            chunks = self.batch.write(docs, st.st_size, st.st_mtime_ns, old_ids, st.st_ino)
            self.counts["chunks"] += chunks if back else 0
            return
        if old:
            kind = "updated"
        elif len(docs) == 1 and (moved := self._moved_from(docs[0].content_hash)):
            # The new path gives the document a new id (ids follow paths, so a new file at
            # the old path can never collide with it); it is counted as a rename.
            old_ids = [moved.id]
            self.by_path.pop(moved.path, None)
            kind = "renamed"
        else:
            kind = "added"
        self.counts[kind] += len(docs)
        self.counts["chunks"] += self.batch.write(
            docs, st.st_size, st.st_mtime_ns, old_ids, st.st_ino
        )

    def _field_map(self, path: Path) -> dict[str, str] | None:
        where = str(path.absolute())
        for source, field_map in self.field_maps:
            if where == source or where.startswith(source.rstrip(os.sep) + os.sep):
                return field_map
        return None

    def _moved_from(self, content_hash: str) -> DocumentInfo | None:
        for info in self.by_hash.get(content_hash, []):
            path = info.path
            if (
                len(self.by_path.get(path, [])) == 1
                and path not in self.seen
                and not os.path.exists(path)
            ):
                return info
        return None

    def _remove_missing(self, roots: list[Path]) -> None:
        for path, infos in list(self.by_path.items()):
            # A file that is gone, or that a folder (or anything but a file) replaced.
            if path in self.seen or not infos[0].size or os.path.isfile(path):
                continue
            if any(_under(path, r) for r in roots):
                for info in infos:
                    self.batch.delete(info.id)
                    self.counts["removed"] += 1


def require_existing(paths: Iterable[str | os.PathLike[str]]) -> None:
    """Refuse paths that do not exist: a sync would take their documents for deleted."""
    for p in paths:
        if not os.path.exists(p):
            raise DocumentError(display_path(p), "no such file or folder; nothing was changed")


def _under(path: str, root: Path) -> bool:
    p = Path(path)
    resolved = root.resolve() if root.exists() else root
    return p in (root, resolved) or root in p.parents or resolved in p.parents


def _not_a_file(path: Path) -> bool:
    """Whether ``path`` (its link followed) is there and is not a regular file."""
    try:
        return not stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False
