"""Every error searchkit raises on purpose, as one tree.

    SearchkitError
    ├── DocumentError            a file could not be read as a document (names the file)
    ├── SearchkitIndexError      base for problems with the index directory
    │   ├── IndexNotFoundError       no index at the path (says how to build one)
    │   ├── IndexExistsError         create() over an existing index
    │   ├── IndexIncompatibleError   written by another schema or analyzer version
    │   ├── IndexDamagedError        files damaged or not written by searchkit
    │   ├── IndexLockedError         another process holds the write lock
    │   └── IndexAccessError         the folder cannot be read or written (permission,
    │                                read-only, disk full, removed while in use)
    ├── QueryError               base for problems with a query
    │   ├── EmptyQueryError          nothing to search for
    │   ├── QuerySyntaxError         the query cannot be parsed (quotes it, says where)
    │   └── QueryLimitError          the query would cost more than a limit allows (names it)
    ├── FilterError              a bad filter value (a date that is not a date, a bad sort)
    ├── SettingsError            a bad setting: a language code, a synonyms file, a field
    │                            map, a loader plug-in that cannot be used
    ├── RebuildRefusedError      a rebuild or repair from an index's recorded sources was
    │                            not confirmed, or the record names sources outside its roots
    ├── CollectionError          a test collection cannot be read (names the file or folder)
    └── NotFoundError            chunk or document id not in the index

Catch ``SearchkitError`` to handle anything a user can cause; catch a leaf to
handle one case.  Each exception's message is one line meant for a person.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "SettingsError",
    "CollectionError",
    "DocumentError",
    "EmptyQueryError",
    "FilterError",
    "IndexAccessError",
    "IndexDamagedError",
    "IndexExistsError",
    "IndexIncompatibleError",
    "IndexLockedError",
    "IndexNotFoundError",
    "NotFoundError",
    "QueryError",
    "QueryLimitError",
    "QuerySyntaxError",
    "RebuildRefusedError",
    "SearchkitError",
    "SearchkitIndexError",
]


class SearchkitError(Exception):
    """Base class of every error searchkit raises for a user's mistake or environment."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses take other arguments than the message, so the default pickling (which
        # calls ``cls(*args)``) fails; errors raised in a worker process must cross back.
        return (_restore, (type(self), str(self), dict(self.__dict__)))


def _restore(cls: type[SearchkitError], message: str, state: dict[str, Any]) -> SearchkitError:
    exc = cls.__new__(cls)
    Exception.__init__(exc, message)
    exc.__dict__.update(state)
    return exc


class DocumentError(SearchkitError):
    """A file could not be read or parsed as a document."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class SearchkitIndexError(SearchkitError):
    """Something is wrong with the index directory itself."""

    def __init__(self, path: object, message: str) -> None:
        self.path = str(path)
        super().__init__(message)


class IndexNotFoundError(SearchkitIndexError):
    """There is no searchkit index at the given path."""

    def __init__(self, path: object) -> None:
        super().__init__(
            path,
            f"no searchkit index at {path}; build one with "
            f"`searchkit index PATH --index {path}` or searchkit.Index.create({str(path)!r})",
        )


class IndexExistsError(SearchkitIndexError):
    """``Index.create`` was asked to create an index where one already exists."""

    def __init__(self, path: object) -> None:
        super().__init__(
            path,
            f"an index already exists at {path}; open it with Index.open() "
            "or pass overwrite=True to replace it",
        )


class IndexIncompatibleError(SearchkitIndexError):
    """The index was written with a different schema or analyzer settings."""


class IndexDamagedError(SearchkitIndexError):
    """The index's files are damaged or were not written by searchkit."""

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(
            path,
            f"index damaged at {path}: {reason}; run `searchkit check --repair --index {path}`",
        )


class IndexLockedError(SearchkitIndexError):
    """Another writer holds the index's write lock."""

    def __init__(self, path: object, holder: str | None, timeout: float) -> None:
        self.holder = holder
        who = f"by {holder}" if holder else "by another process"
        super().__init__(
            path,
            f"index {path} is locked {who}; waited {timeout:g}s. "
            "Try again when that process finishes",
        )


class IndexAccessError(SearchkitIndexError):
    """The operating system refused to read or write the index folder.

    Not damage: the files may be fine, but this process cannot use them now (no
    permission, a read-only file system, a full disk, the folder removed while in use).
    ``reason`` says which, in words; ``errno`` is the OS error number.
    """

    def __init__(self, path: object, reason: str, errno: int | None, advice: str) -> None:
        self.reason = reason
        self.errno = errno
        super().__init__(path, f"{reason}: {advice}")


class QueryError(SearchkitError):
    """Base class for a query that cannot be run."""

    def __init__(self, query: str, message: str) -> None:
        self.query = query
        super().__init__(message)


class EmptyQueryError(QueryError):
    """The query has nothing to search for."""

    def __init__(self, query: str) -> None:
        super().__init__(query, f"empty query {query!r}: give at least one word to search for")


class QuerySyntaxError(QueryError):
    """The query text cannot be parsed."""

    def __init__(self, query: str, reason: str, position: int | None = None) -> None:
        self.reason = reason
        self.position = position
        where = f" at character {position + 1}" if position is not None else ""
        super().__init__(query, f"cannot parse query {query!r}{where}: {reason}")


class QueryLimitError(QueryError):
    """The query would cost more than one of the query limits allows.

    ``limit`` names the limit (a :class:`searchkit.QueryLimits` field), ``value`` is its
    setting; the message says what went over it and how to raise it.
    """

    def __init__(self, query: str, limit: str, value: int, message: str) -> None:
        self.limit = limit
        self.value = value
        super().__init__(query, message)


class FilterError(SearchkitError):
    """A search option has a value searchkit cannot use."""


class SettingsError(SearchkitError):
    """An index setting searchkit cannot use: a language that is not an ISO 639 code, a
    synonyms file that cannot be read or parsed (names the file and line)."""


class RebuildRefusedError(SearchkitError):
    """A rebuild (or ``check --repair``) would read the sources an index recorded, and
    was refused: they were not confirmed, or the record names a source outside the
    folders the index was built from (or ``/``).  Nothing was read or changed.

    ``path`` is the index folder; ``sources`` the sources concerned.
    """

    def __init__(self, path: object, sources: tuple[str, ...], message: str) -> None:
        self.path = str(path)
        self.sources = sources
        super().__init__(message)


class CollectionError(SearchkitError):
    """A test collection (BEIR or SMART) is missing a file or holds one it cannot read."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class NotFoundError(SearchkitError, LookupError):
    """A chunk or document id that is not in the index."""
