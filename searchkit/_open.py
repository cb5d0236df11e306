"""The one factory: it reads an index folder's ``searchkit.json`` format and opens or
creates the right kind of index, an ordinary one or a :class:`ShardedIndex`.

``Index.open``, ``Index.create`` and ``Index.open_or_create`` are this module's
(:class:`Opens`), with the ordinary class the one they are called on (``Index`` itself,
called as ``cls(path, settings, lock_timeout)``; ``cls._open_part``: how it opens a
shard).  So the sharded index, which is built of ordinary ones, sits below ``index.py``,
and no import has to happen first for ``Index.open`` to know both kinds.
(``rebuild_index`` picks the rebuild of the kind the same way.)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Self

from ._access import translated
from ._args import check_path
from ._base import (
    DEFAULT_LOCK_TIMEOUT,
    IndexFolder,
    Part,
    ShardRole,
    check_language,
    check_max_chars,
    check_vectors,
    is_sharded,
)
from ._build import CreateOptions
from ._rebuild import create_data
from ._settings import SETTINGS_NAME, Settings, read_settings
from ._sharded import ShardedIndex
from .analysis.detect import AUTO, normalize_language
from .analysis.synonyms import load_synonyms
from .chunking import DEFAULT_MAX_CHARS
from .errors import (
    ArgumentError,
    IndexExistsError,
    IndexNotFoundError,
    SettingsError,
)

__all__ = ["Opens"]


class Opens(IndexFolder):
    """``create``, ``open`` and ``open_or_create`` of :class:`~searchkit.Index` (which
    supplies ``Index(path, settings, lock_timeout)`` and ``_open_part``, how it opens a
    shard): each returns an ``Index`` or a :class:`ShardedIndex`, as the folder holds."""

    if TYPE_CHECKING:

        def __init__(
            self,
            path: Path,
            settings: Settings,
            lock_timeout: float,
            role: ShardRole | None = None,
        ) -> None: ...

        @classmethod
        def _open_part(cls, path: Path, role: ShardRole | None) -> Part: ...

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        max_chars: int = DEFAULT_MAX_CHARS,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        shards: int = 1,
        language: str = AUTO,
        synonyms: str | os.PathLike[str] | None = None,
        vectors: bool = True,
    ) -> Self | ShardedIndex:
        """Create an empty index at ``path`` (a new or empty folder) and open it.

        An existing index there raises :class:`IndexExistsError` unless ``overwrite``, which
        replaces it atomically.  A folder holding other files is never touched.
        ``max_chars`` (200 to 100,000) bounds a chunk's length; longer paragraphs are
        split.  ``shards`` above 1 makes a sharded index (:class:`~searchkit.ShardedIndex`):
        one folder, that many indexes.  ``language`` is the language of documents whose
        metadata names none: an ISO 639 code, or ``"auto"`` to detect each one's.
        ``synonyms`` names a synonyms file to apply to queries (see :meth:`set_synonyms`).
        A sharded index keeps both once, for all its shards.  ``vectors=False`` makes a
        lexical index: no paragraph vectors are written even with searchkit[semantic]
        installed (about half the disk and 2.5x faster to build; ``mode="hybrid"`` then
        raises :class:`VectorsMissingError`).
        """
        check_path("path", path)
        root = Path(path)
        code = language if language == AUTO else normalize_language(language)
        if code is None:
            raise SettingsError(
                f"language must be 'auto' or an ISO 639 code such as 'de', not {language!r}"
            )
        rules = load_synonyms(synonyms) if synonyms is not None else None
        if type(vectors) is not bool:
            raise ArgumentError(f"vectors must be True or False, not {vectors!r}")
        options = CreateOptions(overwrite, max_chars, lock_timeout, code, rules, vectors)
        if type(shards) is not int or shards != 1:  # checked there
            return ShardedIndex.create_sharded(root, shards, options, open_part=cls._open_part)
        check_max_chars(root, max_chars)
        with translated(root):
            return cls(root, create_data(root, options), lock_timeout)

    @classmethod
    def open(
        cls, path: str | os.PathLike[str], *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    ) -> Self | ShardedIndex:
        """Open the existing index at ``path``: an ``Index``, or a
        :class:`~searchkit.ShardedIndex` when ``searchkit.json`` says the folder holds one.

        Raises :class:`IndexNotFoundError` when there is none, and
        :class:`IndexIncompatibleError` when it was written with other settings.
        """
        check_path("path", path)
        root = Path(path)
        if is_sharded(root):
            return ShardedIndex.open_sharded(
                root, open_part=cls._open_part, lock_timeout=lock_timeout
            )
        with translated(root):
            return cls(root, read_settings(root), lock_timeout)

    @classmethod
    def open_or_create(
        cls,
        path: str | os.PathLike[str],
        *,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        language: str = AUTO,
        shards: int | None = None,
        vectors: bool | None = None,
    ) -> Self | ShardedIndex:
        """Open the index at ``path``, first creating an empty one if there is none
        (``language``, ``shards`` and ``vectors`` as in :meth:`create`; default one
        shard, with vectors).

        A ``language`` other than ``"auto"`` that is not the existing index's, or a
        ``vectors`` other than ``None`` that is not its choice, raises
        :class:`SettingsError`, and ``shards`` other than its count :class:`ArgumentError`:
        all are chosen when an index is created.
        """
        try:
            ix = cls.open(path, lock_timeout=lock_timeout)
        except IndexNotFoundError:
            try:
                return cls.create(
                    path,
                    lock_timeout=lock_timeout,
                    language=language,
                    shards=shards or 1,
                    vectors=True if vectors is None else vectors,
                )
            except IndexExistsError:  # another process created it in the meantime
                ix = cls.open(path, lock_timeout=lock_timeout)
        count = ix.shard_count if isinstance(ix, ShardedIndex) else 1
        if shards is not None and shards != count:
            ix.close()
            raise ArgumentError(
                f"index {path} has {count} shard{'s' if count > 1 else ''}; the shard count "
                "is chosen when an index is created (rebuild into a new folder to change it)"
            )
        return check_vectors(check_language(ix, language), vectors)

    @classmethod
    def exists(cls, path: str | os.PathLike[str]) -> bool:
        """Whether ``path`` holds a searchkit index (of any version)."""
        return (Path(path) / SETTINGS_NAME).is_file()
