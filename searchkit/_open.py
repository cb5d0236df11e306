"""The one factory: it reads an index folder's ``searchkit.json`` format and opens or
creates the right kind of index, an ordinary one or a :class:`ShardedIndex`.

``Index.open``, ``Index.create`` and ``Index.open_or_create`` are this module's
functions, with the ordinary class handed in (``plain``: ``Index`` itself, called as
``plain(path, settings, lock_timeout)``; ``open_part``: how it opens a shard).  So the
sharded index, which is built of ordinary ones, sits below ``index.py``, and no import
has to happen first for ``Index.open`` to know both kinds.  (``rebuild_index`` picks the
rebuild of the kind the same way.)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ._access import translated
from ._base import (
    DEFAULT_LOCK_TIMEOUT,
    IndexFolder,
    OpenPart,
    check_language,
    check_max_chars,
    is_sharded,
)
from ._rebuild import create_data
from ._settings import Settings, read_settings
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

__all__ = ["create_index", "open_index", "open_or_create_index"]

_Plain = TypeVar("_Plain", bound=IndexFolder)
# The ordinary index class: ``plain(path, settings, lock_timeout)`` is one, opened.
PlainKind = Callable[[Path, Settings, float], _Plain]


def open_index(
    path: str | os.PathLike[str],
    lock_timeout: float,
    plain: PlainKind[_Plain],
    open_part: OpenPart,
) -> _Plain | ShardedIndex:
    """The index at ``path``, of the kind its ``searchkit.json`` names."""
    root = Path(path)
    if is_sharded(root):
        return ShardedIndex.open_sharded(root, open_part=open_part, lock_timeout=lock_timeout)
    with translated(root):
        return plain(root, read_settings(root), lock_timeout)


def create_index(
    path: str | os.PathLike[str],
    plain: PlainKind[_Plain],
    open_part: OpenPart,
    *,
    overwrite: bool = False,
    max_chars: int = DEFAULT_MAX_CHARS,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    shards: int = 1,
    language: str = AUTO,
    synonyms: str | os.PathLike[str] | None = None,
) -> _Plain | ShardedIndex:
    """An empty index at ``path``: sharded for ``shards`` other than 1 (``Index.create``)."""
    root = Path(path)
    code = language if language == AUTO else normalize_language(language)
    if code is None:
        raise SettingsError(
            f"language must be 'auto' or an ISO 639 code such as 'de', not {language!r}"
        )
    rules = load_synonyms(synonyms) if synonyms is not None else None
    if type(shards) is not int or shards != 1:  # checked there
        return ShardedIndex.create_sharded(
            root,
            shards,
            open_part=open_part,
            overwrite=overwrite,
            max_chars=max_chars,
            lock_timeout=lock_timeout,
            language=code,
            synonyms=rules,
        )
    check_max_chars(root, max_chars)
    with translated(root):
        settings = create_data(root, overwrite, max_chars, lock_timeout, code, rules)
        return plain(root, settings, lock_timeout)


def open_or_create_index(
    path: str | os.PathLike[str],
    plain: PlainKind[_Plain],
    open_part: OpenPart,
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    language: str = AUTO,
    shards: int | None = None,
) -> _Plain | ShardedIndex:
    """The index at ``path``, first created if there is none (``Index.open_or_create``);
    a ``shards`` count or ``language`` it was not created with is refused."""
    try:
        ix = open_index(path, lock_timeout, plain, open_part)
    except IndexNotFoundError:
        try:
            return create_index(
                path,
                plain,
                open_part,
                lock_timeout=lock_timeout,
                language=language,
                shards=shards or 1,
            )
        except IndexExistsError:  # another process created it in the meantime
            ix = open_index(path, lock_timeout, plain, open_part)
    count = ix.shard_count if isinstance(ix, ShardedIndex) else 1
    if shards is not None and shards != count:
        ix.close()
        raise ArgumentError(
            f"index {path} has {count} shard{'s' if count > 1 else ''}; the shard count "
            "is chosen when an index is created (rebuild into a new folder to change it)"
        )
    return check_language(ix, language)
