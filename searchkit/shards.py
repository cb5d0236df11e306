"""Several indexes as one, and the sharded index, as the package offers them.

The classes live below (``multi.py``: :class:`MultiIndex`; ``_sharded.py``:
:class:`ShardedIndex`); this module opens several index folders as one
(:func:`open_many`), and runs a build or a search on a Dask cluster by address.  It
re-exports what a caller of either needs, so ``from searchkit.shards import ...`` finds
``Index``, ``check_index`` and ``rebuild_index`` too.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ._base import DEFAULT_LOCK_TIMEOUT, IndexLike, is_sharded, one_shard_error
from ._sharded import ShardedIndex
from ._shardset import shard_of
from ._types import SearchRequest
from .check import check_index
from .errors import ArgumentError, SearchkitIndexError
from .index import Index, rebuild_index
from .models import IndexReport, Results
from .multi import MultiIndex

__all__ = [
    "Index",
    "MultiIndex",
    "ShardedIndex",
    "add_with_dask",
    "check_index",
    "is_sharded",
    "open_indexes",
    "open_many",
    "open_or_create_sharded",
    "rebuild_index",
    "search_with_dask",
    "shard_of",
]


def open_or_create_sharded(
    root: Path,
    shards: int | None = None,
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    language: str = "auto",
) -> Index | ShardedIndex:
    """``Index.open_or_create(root, shards=shards, ...)``, under its older name."""
    return Index.open_or_create(root, shards=shards, lock_timeout=lock_timeout, language=language)


def add_with_dask(
    index: Index | ShardedIndex,
    paths: Sequence[str | os.PathLike[str]],
    address: str,
    *,
    follow_links: bool = False,
    field_map: Mapping[str, str] | None = None,
    cluster_timeout: float | None = None,
) -> IndexReport:
    """``index.add(*paths)`` on the Dask cluster at ``address`` (``local``: a new one here)."""
    from .distributed import connect

    sharded = _sharded(index, "build")
    with connect(address) as client:
        return sharded.add(
            *paths,
            client=client,
            follow_links=follow_links,
            field_map=field_map,
            cluster_timeout=cluster_timeout,
        )


def search_with_dask(
    index: IndexLike, address: str, query: str | SearchRequest, **options: Any
) -> Results:
    """``index.search(query, **options)``, each part searched on the cluster at ``address``
    (``query`` a query, or a :class:`~searchkit.SearchRequest` passed whole)."""
    from .distributed import connect

    parts = index if isinstance(index, MultiIndex) else _sharded(index, "search")
    with connect(address) as client:
        return parts.search(query, client=client, **options)


def _sharded(index: IndexLike, what: str) -> ShardedIndex:
    if not isinstance(index, ShardedIndex):
        raise one_shard_error(getattr(index, "path", index), what)
    return index


def open_many(
    paths: Iterable[str | os.PathLike[str]], *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
) -> MultiIndex:
    """Open several indexes to search as one, ranked as one index holding all their documents.

    An index named twice, or a document in two of them (the same file indexed into both),
    raises :class:`SearchkitIndexError`: ids must stay unique across the indexes.
    """
    if isinstance(paths, str | os.PathLike):  # one path: its characters are no folders
        raise ArgumentError(f"open_many() takes a list of index folders ([{paths!r}, ...])")
    roots = [Path(p) for p in paths]
    if not roots:
        raise ArgumentError("open_many() needs at least one index folder")
    seen: dict[Path, Path] = {}
    for root in roots:
        key = root.resolve()
        if key in seen:
            raise SearchkitIndexError(root, f"index {root} is named twice (also as {seen[key]})")
        seen[key] = root
    members: list[Index | ShardedIndex] = []
    try:
        for root in roots:
            members.append(Index.open(root, lock_timeout=lock_timeout))
        many = MultiIndex(members, open_part=Index._open_part)
        _check_unique_ids(many)
    except BaseException:
        for member in members:
            member.close()
        raise
    return many


def open_indexes(
    paths: Sequence[str | os.PathLike[str]], *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
) -> Index | ShardedIndex | MultiIndex:
    """One index folder opened as an :class:`Index` (or a :class:`ShardedIndex`), several as
    one :func:`open_many`."""
    if len(paths) == 1:
        return Index.open(paths[0], lock_timeout=lock_timeout)
    return open_many(paths, lock_timeout=lock_timeout)


def _check_unique_ids(many: MultiIndex) -> None:
    owner: dict[str, str] = {}
    for ix, label in many._parts():
        for raw in ix._reader().reader().lexicon("doc_id"):
            doc_id = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
            first = owner.setdefault(doc_id, str(label))
            if first != label:
                raise SearchkitIndexError(
                    ix.path,
                    f"document {doc_id} is in both {first} and {label}; the indexes must "
                    "not share documents (remove the file from one of them)",
                )
