"""The index folder's own files: ``searchkit.json``, data folders, and what may be deleted.

``searchkit.json`` says which data folder (``whoosh-<n>``) is current and with which
schema, analyzer and chunk size it was written.  It is read as untrusted input: every
field is checked for its type, and the data folder must be a ``whoosh-<n>`` folder
directly inside the index folder, so a settings file cannot point a reader (or a
rebuild's clean-up) anywhere else.

searchkit deletes only what it can prove it wrote.  Each index has an ``id``; each data
folder it makes holds a marker file (``.searchkit-data``) with that id, and a data
folder is deleted only when its name is ``whoosh-<n>``, its marker names this index, and
the settings no longer use it.  A folder with other files in it is never made an index
(a ``synonyms.txt``, or a ``write.lock`` that is not a lock searchkit wrote, beside no
``searchkit.json`` is the user's), and a ``searchkit.json`` that searchkit did not write
is never overwritten.  A new data folder takes the next ``whoosh-<n>`` name that is free
and that the settings check accepts, stepping over folders that are not searchkit's.

``roots`` are the files and folders the index was built from (what its adds and
rebuilds were given).  A rebuild from the sources a commit record names reads only those
under the roots (see ``_rebuild.py``): a damaged or crafted record cannot point it at other
files.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import re
import shutil
import uuid
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import attrs

from ._access import access_error
from ._lock import LOCK_NAME
from ._version import __version__
from .analysis import ANALYZER_ID
from .analysis.detect import AUTO, normalize_language
from .analysis.synonyms import MAX_SYNONYMS_BYTES, Synonyms, load_synonyms
from .chunking import DEFAULT_MAX_CHARS
from .errors import (
    IndexDamagedError,
    IndexExistsError,
    IndexIncompatibleError,
    IndexNotFoundError,
    SearchkitError,
    SearchkitIndexError,
)
from .schema import SCHEMA_VERSION

__all__ = [
    "SETTINGS_NAME",
    "SYNONYMS_NAME",
    "SYNONYMS_SUM_NAME",
    "ReadingSettings",
    "Settings",
    "check_can_create",
    "clean_root",
    "data_dir_owner",
    "drop_unused_data_dirs",
    "free_folder_name",
    "is_data_dir",
    "marker_text",
    "read_json",
    "new_data_dir",
    "new_id",
    "now",
    "read_settings",
    "root_leftovers",
    "settings_for_rebuild",
    "shared_field_errors",
    "store_synonyms",
    "check_synonyms",
    "swap_settings",
    "writes_vectors",
]

SETTINGS_NAME = "searchkit.json"
SYNONYMS_NAME = "synonyms.txt"  # the synonyms applied to queries (see index.py)
SYNONYMS_SUM_NAME = "synonyms.txt.sum"  # its size and CRC-32, recorded when it was set
MARKER_NAME = ".searchkit-data"
_FORMAT = "searchkit-index"
_DATA = re.compile(r"^whoosh-[0-9]{1,9}$")
_ID = re.compile(r"^[0-9a-f]{32}$")
_MAX_SETTINGS_BYTES = 16 * 1024 * 1024
_TMP = re.compile(rf"^\.{re.escape(SETTINGS_NAME)}\.[0-9]+\.tmp$")
_SYNONYMS_TMP = f".{SYNONYMS_NAME}.tmp"
_SYNONYMS_SUM_TMP = f".{SYNONYMS_SUM_NAME}.tmp"


def _str_tuple(values: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in values)


@attrs.frozen
class ReadingSettings:
    """How an index reads the documents it adds: the language of those whose metadata
    names none (``"auto"``: detect each one's), and the field map of each source path.

    An ordinary index keeps them in its ``searchkit.json``; a sharded index keeps them
    once, in the ``searchkit.json`` of the whole, and hands them to its shards.
    """

    language: str = AUTO
    field_maps: dict[str, dict[str, str]] = attrs.field(factory=dict)


@attrs.frozen
class Settings:
    data: str
    max_chars: int = DEFAULT_MAX_CHARS
    schema_version: int = SCHEMA_VERSION
    analyzer: str = ANALYZER_ID
    created: str = ""
    id: str = ""  # empty in indexes written before ids; a rebuild gives them one
    # Sources were kept here before commit records (_commits.py) held them.
    sources: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    # The language of documents whose metadata names none ("auto": detect each one's).
    language: str = "auto"
    # Source path -> the field map its JSON/JSONL records are read with.
    field_maps: dict[str, dict[str, str]] = attrs.field(factory=dict)
    # The files and folders the index was built from: a rebuild from a commit record's
    # sources reads none outside them (empty in indexes written before roots).
    roots: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    # Whether its writers add paragraph vectors (with searchkit[semantic] installed).
    vectors: bool = True

    def to_json(self) -> str:
        fields = attrs.asdict(self)
        for name in ("sources", "roots"):
            if not fields[name]:
                del fields[name]
        return json.dumps({"format": _FORMAT, "searchkit": __version__, **fields}, indent=2)

    @property
    def reading(self) -> ReadingSettings:
        return ReadingSettings(self.language, self.field_maps)


def now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def new_id() -> str:
    return uuid.uuid4().hex


def read_json(root: Path) -> Any:
    """``root``'s ``searchkit.json`` parsed (any JSON value), or the typed error for a
    file that is missing, unreadable, too large or not JSON."""
    settings_file = root / SETTINGS_NAME
    try:
        if settings_file.stat().st_size > _MAX_SETTINGS_BYTES:
            raise IndexDamagedError(root, f"{settings_file} is too large to be searchkit's")
        return json.loads(settings_file.read_bytes())
    except FileNotFoundError:
        raise IndexNotFoundError(root) from None
    except NotADirectoryError:  # a file (or a device) given as the index, or above it
        file = next((p for p in (root, *root.parents) if p.exists()), root)
        what = "it is a file" if file == root else f"{file} is a file"
        raise SearchkitIndexError(root, f"{root} is not a searchkit index: {what}") from None
    except PermissionError as exc:
        raise access_error(root, exc) from None
    except (OSError, ValueError, RecursionError) as exc:
        if "\0" in str(root):
            why = f"{str(root)!r} is not a path: it holds a NUL"
            raise SearchkitIndexError(root, why) from None
        reason = type(exc).__name__ if isinstance(exc, RecursionError) else str(exc)
        raise IndexDamagedError(root, f"cannot read {settings_file} ({reason})") from None


def writes_vectors(data_folder: str | None) -> bool:
    """Whether the index whose data folder is ``data_folder`` is written with paragraph
    vectors (its ``searchkit.json`` says ``"vectors": false`` when not; an index in
    memory, or settings that cannot be read here, keep the default)."""
    if data_folder is None:
        return True
    try:
        raw = read_json(Path(data_folder).parent)
    except SearchkitError:
        return True
    return not (isinstance(raw, dict) and raw.get("vectors") is False)


def _read_raw(root: Path) -> dict[str, Any]:
    """``searchkit.json`` as a JSON object with searchkit's format marker."""
    settings_file = root / SETTINGS_NAME
    raw = read_json(root)
    if not isinstance(raw, dict) or raw.get("format") != _FORMAT:
        raise IndexIncompatibleError(
            root, f"{settings_file} is not a searchkit index file; searchkit leaves it alone"
        )
    return raw


def _whole(v: object) -> bool:
    return type(v) is int


def _field_errors(raw: dict[str, Any]) -> list[str]:
    errors = []
    data = raw.get("data")
    if not isinstance(data, str) or not _DATA.match(data):
        errors.append("data must name a whoosh-<n> folder inside the index folder")
    if "id" in raw and not (isinstance(raw["id"], str) and _ID.match(raw["id"])):
        errors.append("id must be 32 hexadecimal digits")
    roots = raw.get("roots", [])
    if not isinstance(roots, list) or not all(isinstance(r, str) for r in roots):
        errors.append("roots must be a list of paths")
    return errors + shared_field_errors(raw)


def shared_field_errors(raw: dict[str, Any]) -> list[str]:
    """What is wrong with the fields an ordinary and a sharded index's settings share."""
    errors = []
    max_chars = raw.get("max_chars", DEFAULT_MAX_CHARS)
    if not _whole(max_chars) or not 200 <= max_chars <= 10**9:
        errors.append("max_chars must be a whole number from 200")
    for name in ("schema_version",):
        if name in raw and not _whole(raw[name]):
            errors.append(f"{name} must be a whole number")
    for name in ("analyzer", "created"):
        if name in raw and not isinstance(raw[name], str):
            errors.append(f"{name} must be text")
    sources = raw.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        errors.append("sources must be a list of paths")
    language = raw.get("language", AUTO)
    if language != AUTO and (
        not isinstance(language, str) or normalize_language(language) != language
    ):
        errors.append("language must be 'auto' or an ISO 639 code")
    maps = raw.get("field_maps", {})
    if not isinstance(maps, dict) or not all(
        isinstance(m, dict) and all(isinstance(v, str) for v in [*m, *m.values()])
        for m in maps.values()
    ):
        errors.append("field_maps must map paths to {field: key} objects")
    if type(raw.get("vectors", True)) is not bool:
        errors.append("vectors must be true or false")
    return errors


def _from_raw(raw: dict[str, Any]) -> Settings:
    fields = {f.name for f in attrs.fields(Settings)}
    return Settings(**{k: v for k, v in raw.items() if k in fields})


def read_settings(root: Path) -> Settings:
    """Read and check ``searchkit.json``: a wrong type or a data folder outside the
    index is :class:`IndexDamagedError`, another version :class:`IndexIncompatibleError`."""
    raw = _read_raw(root)
    errors = _field_errors(raw)
    if errors:
        raise IndexDamagedError(root, f"{root / SETTINGS_NAME}: {'; '.join(errors)}")
    found = (raw.get("schema_version"), raw.get("analyzer"))
    wanted = (SCHEMA_VERSION, ANALYZER_ID)
    if found != wanted:
        raise IndexIncompatibleError(
            root,
            f"index {root} was written with schema {found[0]}, analyzer {found[1]}; this "
            f"searchkit uses schema {wanted[0]}, analyzer {wanted[1]}. Rebuild it with "
            f"`searchkit index PATH --index {root} --rebuild`",
        )
    return _from_raw(raw)


def settings_for_rebuild(root: Path, adopt: bool = True) -> Settings:
    """The settings to keep across a rebuild, read leniently: versions and damaged fields
    do not matter (those fields start afresh), but a ``searchkit.json`` that searchkit did
    not write is never taken over.  An index without an id gets one, and (``adopt``,
    under the write lock) its data folder is marked with it."""
    try:
        raw = _read_raw(root)
    except IndexNotFoundError:
        return Settings(data="", created=now(), id=new_id())
    except IndexDamagedError:
        raw = {}
    names = {f.name for f in attrs.fields(Settings)}
    # Each field on its own: a damaged one starts afresh, the others are kept.
    kept = {
        k: v for k, v in raw.items() if k in names and not _field_errors({"data": "whoosh-1", k: v})
    }
    kept.setdefault("data", "")
    kept.setdefault("created", now())
    settings = _from_raw(kept)
    if not settings.id:
        settings = attrs.evolve(settings, id=new_id())
        if adopt:
            adopt_data_dir(root, settings)
    return settings


def adopt_data_dir(root: Path, settings: Settings) -> None:
    """Mark the data folder the settings name as this index's: it is provably ours (the
    settings name it), so once unused it may be deleted like one searchkit made."""
    folder = root / settings.data
    if settings.data and folder.is_dir() and not folder.is_symlink():
        _write_marker(folder, settings.id)


# What WriteLock writes into write.lock while it holds it (a holder that was killed
# leaves it there); searchkit's lock file holds this or nothing.
_LOCK_TEXT = re.compile(r"^pid [0-9]+ on [^\n]* since [^\n]*\n?$")


def _is_our_lock(path: Path) -> bool:
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > 4096:
            return False
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return False
    return not text or bool(_LOCK_TEXT.match(text))


def _foreign_files(root: Path) -> list[str]:
    """The names in ``root`` (a folder without ``searchkit.json``) that searchkit did not
    write: all but its lock, its temporaries, the checksum of its synonyms and data
    folders marked as its own.  A ``synonyms.txt`` here is the user's (an index keeps its
    copy beside its settings)."""
    return sorted(
        p.name
        for p in root.iterdir()
        if not (
            (p.name == LOCK_NAME and _is_our_lock(p))
            or _TMP.match(p.name)
            or p.name in (_SYNONYMS_TMP, _SYNONYMS_SUM_TMP, SYNONYMS_SUM_NAME)
            or _marker(p)
        )
    )


_FOREIGN = (
    "{root} is not a searchkit index: it is a file, or a folder with other files in it; "
    "choose an empty or new folder"
)


def check_can_create(root: Path, overwrite: bool) -> None:
    """Refuse to create an index over anything searchkit did not write: an index is
    created only in a new folder, an empty one, or one holding only searchkit's files
    (those an interrupted create left); the user's files there are never touched."""
    if (root / SETTINGS_NAME).exists():
        _read_raw(root)  # a searchkit.json that is not ours is never replaced
        if not overwrite:
            raise IndexExistsError(root)
    elif root.exists():
        if not root.is_dir():
            raise SearchkitIndexError(root, _FOREIGN.format(root=root))
        foreign = _foreign_files(root)
        if foreign:
            shown = ", ".join(foreign[:3]) + (
                f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
            )
            raise SearchkitIndexError(
                root,
                f"{root} is not a searchkit index: it is a folder with other files in it "
                f"({shown}), which searchkit leaves alone; choose an empty or new folder",
            )


def marker_text(folder: Path, name: re.Pattern[str]) -> str | None:
    """What the marker file of ``folder`` says, when ``folder`` is a real folder (no link)
    whose name matches ``name``; otherwise, or when there is no readable marker, ``None``."""
    if not name.match(folder.name) or folder.is_symlink() or not folder.is_dir():
        return None
    try:
        return (folder / MARKER_NAME).read_text(encoding="ascii").strip()
    except (OSError, ValueError):
        return None


def _marker(folder: Path) -> str | None:
    """The index id in a data folder's marker, or ``None`` if it is not a data folder."""
    text = marker_text(folder, _DATA)
    return text if text is not None and _ID.match(text) else None


def data_dir_owner(folder: Path) -> str | None:
    """The index id a data folder's marker names, or ``None`` if it is not a data folder."""
    return _marker(folder)


def is_data_dir(folder: Path) -> bool:
    """Whether ``folder`` is a data folder searchkit made (for any index)."""
    return _marker(folder) is not None


def _write_marker(folder: Path, index_id: str) -> None:
    (folder / MARKER_NAME).write_text(index_id + "\n", encoding="ascii")


_MAX_FOLDER_NUMBER = 999_999_999  # <n> in whoosh-<n>, shards-<n>: 1 to 9 digits


def free_folder_name(root: Path, prefix: str, ours: Callable[[Path], bool]) -> str:
    """A ``<prefix><n>`` name in ``root`` that no entry has, with ``n`` of 1 to 9 digits
    (what the settings check accepts): the one after the highest of searchkit's own
    (``ours``), else the lowest free one.  Folders that are not ours are stepped over,
    never reused or counted."""
    names = {p.name for p in root.iterdir()}
    shape = re.compile(rf"^{re.escape(prefix)}[0-9]{{1,9}}$")
    used = [int(name[len(prefix) :]) for name in names if shape.match(name) and ours(root / name)]
    start = min(1 + max(used, default=0), _MAX_FOLDER_NUMBER + 1)
    # Finite: ``root`` holds fewer entries than there are numbers.
    for n in itertools.chain(range(start, _MAX_FOLDER_NUMBER + 1), range(1, start)):
        if f"{prefix}{n}" not in names:
            return f"{prefix}{n}"
    raise SearchkitIndexError(root, f"no free {prefix}<n> folder name in {root}")


def new_data_dir(root: Path, index_id: str) -> str:
    """Make the next ``whoosh-<n>`` folder (see :func:`free_folder_name`), marked as
    ``index_id``'s."""
    folder = root / free_folder_name(root, "whoosh-", is_data_dir)
    folder.mkdir()
    _write_marker(folder, index_id)
    return folder.name


class _AsJson(Protocol):
    def to_json(self) -> str: ...


def swap_settings(root: Path, settings: _AsJson) -> None:
    """Write ``searchkit.json`` atomically (an ordinary index's :class:`Settings` or a
    sharded one's): a reader sees the old file or the new one."""
    tmp = root / f".{SETTINGS_NAME}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(settings.to_json())
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, root / SETTINGS_NAME)


def store_synonyms(root: Path, synonyms: Synonyms | None) -> None:
    """Write (atomically) or remove the index's copy of its synonyms file, with its size
    and CRC-32 beside it (``synonyms.txt.sum``) for ``check``."""
    target, summed = root / SYNONYMS_NAME, root / SYNONYMS_SUM_NAME
    if synonyms is None:
        target.unlink(missing_ok=True)
        summed.unlink(missing_ok=True)
        return
    data = synonyms.text.encode("utf-8")
    tmp, sum_tmp = root / _SYNONYMS_TMP, root / _SYNONYMS_SUM_TMP
    tmp.write_bytes(data)
    sum_tmp.write_text(json.dumps({"bytes": len(data), "crc32": zlib.crc32(data)}))
    os.replace(tmp, target)
    os.replace(sum_tmp, summed)


def check_synonyms(root: Path) -> list[str]:
    """What is wrong with the index's synonyms file: damaged (its size or CRC-32 differ
    from those recorded when it was set; an index whose synonyms were set before they
    were recorded is not compared), or not usable (every search would fail)."""
    target, summed = root / SYNONYMS_NAME, root / SYNONYMS_SUM_NAME
    again = "set them again (searchkit index --synonyms FILE, or Index.set_synonyms)"
    if not target.exists():
        if summed.exists():
            return [f"{SYNONYMS_NAME} is missing, though its checksum is recorded; {again}"]
        return []
    if summed.exists():
        try:
            recorded = json.loads(summed.read_text(encoding="utf-8"))
            size, crc = int(recorded["bytes"]), int(recorded["crc32"])
        except (OSError, ValueError, TypeError, KeyError):
            return [f"{SYNONYMS_SUM_NAME} is damaged: it cannot be read; {again}"]
        actual = target.stat().st_size
        if actual != size or (
            actual <= MAX_SYNONYMS_BYTES and zlib.crc32(target.read_bytes()) != crc
        ):
            return [
                f"{SYNONYMS_NAME} is damaged: its size or checksum differs from the one "
                f"recorded when the synonyms were set; {again}"
            ]
    try:
        load_synonyms(target)
    except SearchkitError as exc:
        return [f"{SYNONYMS_NAME} cannot be used, so every search fails: {exc}; {again}"]
    return []


def drop_unused_data_dirs(root: Path, settings: Settings | None) -> None:
    """Delete data folders of this index that its settings no longer use (left by earlier
    rebuilds or a crash while building one); with no settings (a create that was
    interrupted before writing them), every marked data folder is unused.

    Runs under the write lock at the start of a write, not at the swap, so that searches
    that opened the old folder just before a swap can finish.
    """
    for folder in root.iterdir():
        owner = _marker(folder)
        if owner is None:
            continue
        if settings is None or (owner == settings.id and folder.name != settings.data):
            shutil.rmtree(folder, ignore_errors=True)


def root_leftovers(root: Path) -> list[str]:
    """Settings temporaries in ``root`` left by writers that died (ask under the write
    lock: then no live writer has one)."""
    return sorted(p.name for p in root.iterdir() if _TMP.match(p.name) and p.is_file())


def clean_root(root: Path) -> None:
    """Delete :func:`root_leftovers` (under the write lock)."""
    for name in root_leftovers(root):
        (root / name).unlink(missing_ok=True)
