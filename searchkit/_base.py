"""What every kind of index shares, below all of them: the format on disk that says which
kind a folder holds, the base of the two kinds of index folder, and the protocols that
name what callers may rely on.

An index folder holds an ordinary index (``index.py``) or a sharded one (``_sharded.py``):
its ``searchkit.json`` says which (:func:`is_sharded`), and the factory (``_open.py``)
reads it to return the right kind.  A sharded index is built of ordinary ones; it is
handed the way to open them (an :data:`OpenPart`, ``Index``'s) instead of importing the
class above it, and each of its shards learns its place in the whole from a
:class:`ShardRole` given when it is opened, never by having its attributes set from
outside.
"""

from __future__ import annotations

import functools
import json
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, Protocol, Self, TypeVar

import attrs
import whoosh.index as windex

from ._access import access_error, translated
from ._damage import damage_guard
from ._decoded import IndexStorage
from ._lock import WriteLock
from ._settings import (
    _MAX_SETTINGS_BYTES,
    SETTINGS_NAME,
    SYNONYMS_NAME,
    ReadingSettings,
    store_synonyms,
)
from .analysis.detect import AUTO, normalize_language
from .analysis.synonyms import Synonyms, load_synonyms
from .chunking import MAX_CHUNK_CHARS
from .errors import (
    ArgumentError,
    IndexIncompatibleError,
    SettingsError,
)
from .schema import build_schema

if TYPE_CHECKING:
    from whoosh.searching import Searcher

    from . import models

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "SHARDED_FORMAT",
    "IndexFolder",
    "IndexLike",
    "OpenPart",
    "Part",
    "ShardRole",
    "check_language",
    "check_vectors",
    "check_max_chars",
    "guarded",
    "is_sharded",
    "one_shard_error",
    "open_whoosh",
]

DEFAULT_LOCK_TIMEOUT = 30.0
# The ``format`` of a sharded index's searchkit.json (an ordinary index's is another).
SHARDED_FORMAT = "searchkit-sharded-index"


def is_sharded(root: Path) -> bool:
    """Whether ``root`` holds a sharded index (its ``searchkit.json`` says so)."""
    path = root / SETTINGS_NAME
    try:
        if path.stat().st_size > _MAX_SETTINGS_BYTES:
            return False  # not searchkit's: reading the settings says so
        raw = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(raw, dict) and raw.get("format") == SHARDED_FORMAT


@attrs.frozen
class ShardRole:
    """An ordinary index's place in a sharded one, given when the shard is opened.

    ``owns`` picks the files that belong to the shard (a sync skips the rest);
    ``reading`` is the whole index's language and field maps (a shard's own
    ``searchkit.json`` holds the defaults); ``writer_procs`` is the shard's writer
    processes (one: the shards are the parallelism).
    """

    owns: Callable[[Path], bool]
    reading: ReadingSettings
    writer_procs: int = 1


class IndexLike(Protocol):
    """What :class:`~searchkit.Index`, :class:`~searchkit.MultiIndex` and
    :class:`~searchkit.ShardedIndex` all answer: the read API.  A function that reads
    any of them takes an ``IndexLike``."""

    def search(self, query: str, *args: Any, **kwargs: Any) -> models.Results: ...

    def similar(self, chunk_or_doc_id: str, *args: Any, **kwargs: Any) -> models.Results: ...

    def complete(self, text: str, limit: int = 10) -> list[models.Completion]: ...

    def chunk(self, chunk_id: str) -> models.Chunk: ...

    def passage(self, chunk_id: str, context: int = 1) -> models.Passage: ...

    def document(self, doc_id: str) -> models.Document: ...

    def documents(self) -> list[models.DocumentInfo]: ...

    def stats(self) -> models.IndexStats: ...

    def __len__(self) -> int: ...

    def close(self) -> None: ...


class Part(IndexLike, Protocol):
    """One ordinary index as a search over several (``multi.py``, ``_fanout.py``) and a
    sharded index (its shards) use it: the read API, its folder and Whoosh searcher, and
    the writes a sharded index routes to its shards."""

    @property
    def path(self) -> Path: ...

    @property
    def _ix(self) -> windex.Index: ...

    def _reader(self) -> Searcher: ...

    def _roots(self) -> tuple[str, ...]: ...

    def add(self, *paths: Any, **kwargs: Any) -> models.IndexReport: ...

    def add_documents(
        self, documents: Iterable[models.Document], *, batch_size: int = ...
    ) -> models.IndexReport: ...

    def remove(self, *doc_ids: str) -> int: ...

    def optimize(self) -> models.IndexStats: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...


class Chosen(Protocol):
    """What an index's settings say was chosen when it was created (an ordinary
    index's ``Settings``, a sharded one's ``ShardSettings``)."""

    @property
    def max_chars(self) -> int: ...

    @property
    def vectors(self) -> bool: ...


# How a sharded index (or a search over several) opens an ordinary index folder: with
# its role as a shard, or ``None`` for a whole index.
OpenPart = Callable[[Path, "ShardRole | None"], Part]


class IndexFolder(ABC):
    """What an ordinary and a sharded index share as folders: the path, the lock's
    timeout, the synonyms file, and use as a context manager."""

    def __init__(self, path: Path, lock_timeout: float) -> None:
        self.path = path
        self.lock_timeout = lock_timeout
        self._synonyms: tuple[int, Synonyms] | None = None

    @abstractmethod
    def _chosen(self) -> Chosen:
        """The settings chosen when the index was created, as last read."""

    @abstractmethod
    def _reading(self) -> ReadingSettings:
        """The language and field maps documents are read with (a shard's are its
        sharded index's)."""

    @property
    def max_chars(self) -> int:
        """The longest a chunk may be, in characters."""
        return self._chosen().max_chars

    @property
    def language(self) -> str:
        """The language of documents whose metadata names none (an ISO 639 code), or
        ``"auto"``: detect each one's.  Chosen when the index is created."""
        return self._reading().language

    @property
    def vectors(self) -> bool:
        """Whether the index is written with paragraph vectors (for ``mode="hybrid"``)
        while searchkit[semantic] is installed.  Chosen when the index is created."""
        return self._chosen().vectors

    @abstractmethod
    def close(self) -> None:
        """Release open files.  The index stays usable after."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def synonyms(self) -> Synonyms | None:
        """The synonyms applied to this index's queries, or ``None``."""
        found = os.path.join(self.path, SYNONYMS_NAME)  # a Path join and stat cost 3x
        try:
            mtime = os.stat(found).st_mtime_ns
        except FileNotFoundError:
            return None
        if self._synonyms is None or self._synonyms[0] != mtime:
            self._synonyms = (mtime, load_synonyms(Path(found)))
        return self._synonyms[1]

    def set_synonyms(self, path: str | os.PathLike[str] | None) -> Synonyms | None:
        """Apply the synonyms file at ``path`` (Solr ``synonyms.txt`` format) to this index's
        queries from now on, replacing any before; ``None`` removes them.

        The file is checked, then copied into the index folder, so the index keeps working
        if the original moves.  Synonyms act on queries only: nothing is re-indexed.
        """
        rules = load_synonyms(path) if path is not None else None
        with WriteLock(self.path, self.lock_timeout):
            store_synonyms(self.path, rules)
        return rules


class _InFolder(Protocol):
    @property
    def path(self) -> Path: ...


_Folder = TypeVar("_Folder", bound=IndexFolder)
_Guarded = TypeVar("_Guarded", bound=_InFolder)
_T = TypeVar("_T")
_P = ParamSpec("_P")


def guarded(
    method: Callable[Concatenate[_Guarded, _P], _T],
) -> Callable[Concatenate[_Guarded, _P], _T]:
    """``method``, with an ``OSError`` from the index folder raised as an IndexAccessError,
    and damage it meets in the index's files as an IndexDamagedError."""

    @functools.wraps(method)
    def guarded(self: _Guarded, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        with translated(self.path), damage_guard(self.path):
            return method(self, *args, **kwargs)

    return guarded


def check_language(ix: _Folder, language: str) -> _Folder:
    """``ix``, or :class:`SettingsError` (``ix`` closed) when ``language`` (not ``"auto"``)
    differs from its default language: a language is never silently ignored."""
    if language == AUTO or normalize_language(language) == ix.language:
        return ix
    ix.close()
    raise SettingsError(
        f"index {ix.path} has default language {ix.language!r}, not {language!r}: the "
        "default language is chosen when an index is created (index into a new folder to "
        "change it)"
    )


def check_vectors(ix: _Folder, vectors: bool | None) -> _Folder:
    """``ix``, or :class:`SettingsError` (``ix`` closed) when ``vectors`` (not ``None``)
    is not its choice."""
    if vectors is None or vectors == ix.vectors:
        return ix
    ix.close()
    had = "with" if ix.vectors else "without"
    raise SettingsError(
        f"index {ix.path} was created {had} paragraph vectors: that is chosen when an "
        "index is created (index into a new folder to change it)"
    )


def one_shard_error(path: object, what: str) -> ArgumentError:
    """What asking Dask to ``what`` (build, search) an index of one shard raises."""
    return ArgumentError(
        f"index {path} has one shard: Dask can {what} a sharded index (create it with "
        "Index.create(path, shards=N), or `searchkit index --shards N`) or several indexes "
        "searched as one"
    )


def check_max_chars(root: Path, max_chars: int) -> None:
    """Refuse a ``max_chars`` outside 200 to ``MAX_CHUNK_CHARS`` (either kind of index)."""
    if max_chars < 200:
        raise ArgumentError(f"max_chars must be at least 200, not {max_chars}")
    if max_chars > MAX_CHUNK_CHARS:
        raise ArgumentError(f"max_chars must be at most {MAX_CHUNK_CHARS}, not {max_chars}")


# How often opening an index is tried when a commit replaced its files meanwhile.
_OPEN_ATTEMPTS = 5


def _open_latest(root: Path, folder: Path) -> windex.Index:
    with damage_guard(root):
        # Plain reads, not memory maps: Whoosh copies each file inside a mapped segment
        # into memory (a BytesIO of it), so a search would hold all the postings of the
        # segments it opens (900 MB for one 60 MB document); read this way, memory holds
        # what a search reads.
        storage = IndexStorage(str(folder), supports_mmap=False)
        return storage.open_index(schema=build_schema())


def open_whoosh(root: Path, data: str) -> windex.Index:
    """The Whoosh index in the data folder ``data`` of the ordinary index at ``root``;
    one that cannot be read is :class:`IndexIncompatibleError` (rebuild it), or
    :class:`IndexAccessError` when the reason is permissions."""
    folder = root / data
    try:
        for attempt in range(_OPEN_ATTEMPTS):
            try:
                return _open_latest(root, folder)
            except FileNotFoundError:
                # A writer committed between our reading which generation is the latest
                # and opening its files, and cleaned the old generation away: the new
                # one is complete (Whoosh writes it before it deletes), so read again.
                if attempt == _OPEN_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover
    except PermissionError as exc:
        raise access_error(root, exc) from None
    except (windex.EmptyIndexError, OSError) as exc:
        _raise_if_unreadable(root, folder)
        raise IndexIncompatibleError(
            root,
            f"index {root} is damaged ({exc}); rebuild it with `searchkit index PATH --rebuild`",
        ) from None


def _raise_if_unreadable(root: Path, data: Path) -> None:
    """Raise an IndexAccessError when ``data`` cannot be listed or its files read.

    Whoosh reports a folder it may not list as an index that does not exist; that is a
    matter of permissions, not damage, and the user should hear so.
    """
    try:
        for entry in os.scandir(data):
            if entry.is_file():
                with open(entry.path, "rb"):
                    pass
    except FileNotFoundError:
        return
    except OSError as exc:
        raise access_error(root, exc) from None
