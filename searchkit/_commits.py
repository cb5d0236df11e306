"""The commit record: what each Whoosh commit holds besides its table of contents.

Every commit searchkit makes writes ``searchkit-commit-<generation>.json`` into the data
folder just before Whoosh writes that generation's table of contents (``_MAIN_<n>.toc``),
which is the commit point.  So whenever a generation is visible, its record exists, and
what the record says was committed in the same step as the documents:

- ``sources``: the files and folders added to the index so far, which ``--rebuild`` and
  ``check --repair`` rebuild from.  A kill can never leave documents without the source
  that brought them.
- ``files``: the size and CRC-32 of every file of every segment in the commit (as
  Lucene's per-file footers), carried over from the previous record for segments that
  did not change, so a commit checksums only what it wrote.
- ``segments``: each segment's id, document count and deletions, which live in the
  table of contents; :func:`verify` compares them with the table of contents read back.

:func:`verify` is what ``check`` runs; :func:`clean` deletes records of older
generations (keeping the one before, for readers that opened it a moment ago).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import struct
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "CommitRecord",
    "clean",
    "damaged_files",
    "is_latest",
    "leftovers",
    "remove_leftovers",
    "latest_generation",
    "read",
    "record_name",
    "segment_files",
    "verify",
    "write",
]

_PREFIX = "searchkit-commit-"
_NAME = re.compile(rf"^{_PREFIX}([0-9]+)\.json$")
_BLOCK = 1 << 20
# A record is small (a line a segment file); anything far larger is not one of ours.
_MAX_RECORD_BYTES = 64 * 1024 * 1024

CommitRecord = dict[str, Any]
# The suffix of the column caches beside the segments (``_colcache.SUFFIX``).
DERIVED_SUFFIX = ".skcol"


_TOC = re.compile(r"^_MAIN_([0-9]+)\.toc$")
_TOC_NAME = "_MAIN_{}.toc"  # a generation's table of contents, the name _TOC reads
_TOC_TMP = re.compile(r"^_MAIN_[0-9]+\.toc\..+$")  # Whoosh writes a TOC here, then renames
_SEGMENT_FILE = re.compile(r"^(MAIN_[0-9a-z]+)\.[A-Za-z0-9_.]+$")


def record_name(generation: int) -> str:
    return f"{_PREFIX}{generation}.json"


def latest_generation(folder: Path) -> int:
    """The newest table of contents' generation in ``folder`` (-1 when there is none)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return -1
    return max((int(m.group(1)) for n in names if (m := _TOC.match(n))), default=-1)


def is_latest(folder: str | os.PathLike[str], generation: int | None) -> bool:
    """Whether ``generation`` is still the newest table of contents in ``folder``, from
    two ``stat`` calls where :func:`latest_generation` (and Whoosh's ``up_to_date``)
    list the folder: a search asks before every query, 6 us against 15 in a folder of
    eight segments.

    A commit writes the next generation's table of contents whole (Whoosh writes it
    under another name and renames it), then deletes every other one: so a newer
    generation exists exactly when the next one does, or this one is gone.  A reader of
    no segments has no generation (``None``): never taken for the latest, as Whoosh's
    ``up_to_date`` never takes it.
    """
    if generation is None:
        return False
    where = os.fspath(folder)
    current = os.path.join(where, _TOC_NAME.format(generation))
    following = os.path.join(where, _TOC_NAME.format(generation + 1))
    return os.path.exists(current) and not os.path.exists(following)


def _crc32(path: Path) -> int:
    crc = 0
    with open(path, "rb") as f:
        while block := f.read(_BLOCK):
            crc = zlib.crc32(block, crc)
    return crc


def _deleted_digest(segment: Any) -> tuple[int, int]:
    deleted = sorted(segment.deleted_docs()) if segment.has_deletions() else []
    return len(deleted), zlib.crc32(struct.pack(f"<{len(deleted)}q", *deleted))


def segment_files(folder: Path, segment: Any) -> list[str]:
    """The names of ``segment``'s files in ``folder`` (one ``.seg`` file when compound).

    Not its column caches (``_colcache.py``): they are derived from the segment, written
    after its commit, verified whenever they are opened and rebuilt when wrong, so no
    commit records them and ``check`` leaves them out.  Whoosh deletes them with the
    segment.
    """
    prefix = f"{segment.segment_id()}."
    return sorted(
        name
        for name in os.listdir(folder)
        if name.startswith(prefix) and not name.endswith(DERIVED_SUFFIX)
    )


def _segments_entry(segments: Iterable[Any]) -> list[dict[str, Any]]:
    out = []
    for seg in segments:
        count, digest = _deleted_digest(seg)
        out.append(
            {
                "id": seg.segment_id(),
                "documents": seg.doc_count_all(),
                "deleted": count,
                "deleted_crc32": digest,
            }
        )
    return out


def read(folder: Path, generation: int) -> CommitRecord | None:
    """The record of ``generation`` in ``folder``, or ``None`` when there is none.

    Raises ``ValueError`` when the file is there but is not a record searchkit wrote.
    """
    path = folder / record_name(generation)
    try:
        if path.stat().st_size > _MAX_RECORD_BYTES:
            raise ValueError(f"{path.name} is too large to be a commit record")
        raw = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, RecursionError) as exc:  # deep nesting is not ours either
        raise ValueError(f"cannot read {path.name}: {exc}") from None
    _check_shape(raw, path.name)
    return raw  # type: ignore[no-any-return]


def _check_shape(raw: object, name: str) -> None:
    def bad(what: str) -> ValueError:
        return ValueError(f"{name} is not a searchkit commit record ({what})")

    if not isinstance(raw, dict):
        raise bad("not an object")
    sources = raw.get("sources")
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise bad("sources is not a list of paths")
    files = raw.get("files")
    if not isinstance(files, dict) or not all(
        isinstance(v, dict) and type(v.get("size")) is int and type(v.get("crc32")) is int
        for v in files.values()
    ):
        raise bad("files is not a map of sizes and checksums")
    segments = raw.get("segments")
    keys = ("id", "documents", "deleted", "deleted_crc32")
    if not isinstance(segments, list) or not all(
        isinstance(s, dict)
        and isinstance(s.get("id"), str)
        and all(type(s.get(k)) is int for k in keys[1:])
        for s in segments
    ):
        raise bad("segments is not a list of segment entries")


def write(
    folder: Path,
    generation: int,
    segments: Sequence[Any],
    sources: Sequence[str],
    previous: CommitRecord | None,
) -> None:
    """Write the record of ``generation`` (fsynced, renamed into place) before its TOC."""
    known: dict[str, Any] = previous["files"] if previous else {}
    files: dict[str, dict[str, int]] = {}
    for seg in segments:
        for name in segment_files(folder, seg):
            path = folder / name
            size = path.stat().st_size
            old = known.get(name)
            if old is not None and old["size"] == size:
                files[name] = old  # written by an earlier commit, never changed since
            else:
                files[name] = {"size": size, "crc32": _crc32(path)}
    record = {
        "generation": generation,
        "sources": list(sources),
        "segments": _segments_entry(segments),
        "files": files,
    }
    final = folder / record_name(generation)
    tmp = folder / f".{final.name}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(record, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, final)


def clean(folder: Path, generation: int) -> None:
    """Delete records older than ``generation - 1``, and temporary records left by kills."""
    for name in os.listdir(folder):
        m = _NAME.match(name)
        stale = (
            int(m.group(1)) < generation - 1
            if m
            else (name.startswith(f".{_PREFIX}") and name.endswith(".tmp"))
        )
        if stale:
            with contextlib.suppress(FileNotFoundError):
                os.remove(folder / name)


def verify(
    folder: Path, generation: int, segments: Sequence[Any], required: bool = True
) -> list[str]:
    """Problems found comparing the commit of ``generation`` with its record.

    Every file of every segment must have the size and CRC-32 recorded when it was
    written, and each segment the document count and deletions recorded.
    """
    try:
        record = read(folder, generation)
    except ValueError as exc:
        return [str(exc)]
    if record is None:
        if not segments or not required:
            return []  # a new, empty index: nothing was written yet
        return [f"no commit record for generation {generation}: checksums cannot be verified"]
    problems: list[str] = []
    expected = {s["id"]: s for s in record["segments"]}
    for entry in _segments_entry(segments):
        rec = expected.pop(entry["id"], None)
        if rec is None:
            problems.append(f"segment {entry['id']} is not in the commit record")
        elif rec != entry:
            problems.append(f"segment {entry['id']}: documents or deletions differ from its record")
    problems.extend(f"segment {seg_id} is recorded but missing" for seg_id in expected)
    on_disk = {name for seg in segments for name in segment_files(folder, seg)}
    return problems + _file_problems(folder, record["files"], on_disk)


def damaged_files(folder: Path) -> list[str]:
    """The files of the newest commit in ``folder`` that are missing or whose size or
    checksum differs from its record.

    What ``check`` can still say when damage keeps the table of contents from being read
    (a flipped byte in a segment's compound directory): it needs the record alone.
    """
    try:
        record = read(folder, latest_generation(folder))
    except ValueError as exc:
        return [str(exc)]
    return [] if record is None else _file_problems(folder, record["files"], set())


def _file_problems(folder: Path, files: dict[str, Any], on_disk: set[str]) -> list[str]:
    problems = []
    for name in sorted(on_disk | set(files)):
        rec = files.get(name)
        path = folder / name
        if rec is None:
            problems.append(f"{name} has no recorded checksum")
        elif not path.exists():
            problems.append(f"{name} is missing")
        elif path.stat().st_size != rec["size"] or _crc32(path) != rec["crc32"]:
            problems.append(f"{name} is damaged: its checksum differs from the one recorded")
    return problems


def leftovers(folder: Path, segments: Iterable[Any]) -> list[str]:
    """Files and folders in ``folder`` that no commit uses: what writers that died left.

    Whoosh's temporary folders (``MAIN.tmp``, with job files and sorted runs), tables of
    contents not yet renamed into place, segment files the current commit does not name
    (a segment written but never committed), temporary commit records.  Only call this
    under the write lock, when no writer is at work.
    """
    live = {seg.segment_id() for seg in segments}

    def left(name: str) -> bool:
        path = folder / name
        if name.endswith(".tmp"):  # Whoosh's temporary folders, our temporary records
            return (path.is_dir() and not path.is_symlink()) or name.startswith(f".{_PREFIX}")
        m = _SEGMENT_FILE.match(name)
        return bool(_TOC_TMP.match(name) or (m and m.group(1) not in live))

    found = [name for name in os.listdir(folder) if left(name)]
    return sorted(found)


def remove_leftovers(folder: Path, names: Iterable[str]) -> None:
    for name in names:
        path = folder / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
