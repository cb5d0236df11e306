"""Every error searchkit raises on purpose, as one tree, with what each one means outside
Python: the ``searchkit`` command's exit code and the web app's HTTP status.

                                                                                exit  HTTP
    SearchkitError                   anything a user can cause                     2   400
    ├── ArgumentError (ValueError)   a bad argument: batch_size=0, shards=0,       2   400
    │   │                            open_many([]), arguments that clash
    │   └── FilterError              a bad search option: a date, a sort,          2   400
    │                                a limit, a page, a timeout, a facet
    ├── DocumentError                a file cannot be read as a document           2   400
    ├── SearchkitIndexError          the index folder (base class)                 3   503
    │   ├── IndexNotFoundError       no index there (says how to build one)        3   503
    │   ├── IndexExistsError         create() over an existing index               3   503
    │   ├── IndexIncompatibleError   another schema or analyzer version            3   503
    │   ├── IndexDamagedError        damaged, or not written by searchkit          3   503
    │   ├── VectorsMissingError      hybrid search of an index without vectors     3   503
    │   ├── IndexLockedError         another process holds the write lock          4   503
    │   └── IndexAccessError         the OS refuses the folder: permission,        3   503
    │                                read-only, disk full, removed in use
    ├── QueryError                   a query that cannot run (base class)          2   400
    │   ├── EmptyQueryError          nothing to search for                         2   400
    │   ├── QuerySyntaxError         cannot be parsed (quotes it, says where)      2   400
    │   └── QueryLimitError          costs more than a limit allows (names it)     2   400
    ├── SettingsError                a bad language code, synonyms file,           2   400
    │                                field map or loader plug-in
    ├── RebuildRefusedError          a rebuild from recorded sources that was      2   400
    │                                not confirmed, or reaches outside its roots
    ├── CollectionError              a test collection cannot be read              2   400
    ├── NotFoundError (LookupError)  a chunk or document id not in the index       2   404
    ├── SemanticUnavailableError     searchkit[semantic] not installed             2   503
    └── DaskUnavailableError         Dask not installed, scheduler unreachable     2   503
        └── ClusterTimeoutError      no progress on the cluster for the            2   504
                                     timeout (names the shards)

Catch ``SearchkitError`` to handle anything a user can cause; catch a leaf to
handle one case.  Each exception's message is one line meant for a person.

The two right-hand columns are :data:`OUTCOMES`, the one table the command line and the
web app read (through :func:`exit_code` and :func:`http_status`): an error's row is the
first class of its method resolution order that the table holds, so a subclass defined
elsewhere takes its parent's row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

# The errors in the order of their definitions (the tree, each kind below its parent), then
# the table that turns them into exit codes and HTTP statuses.
__all__ = [
    "SearchkitError",
    "DocumentError",
    "SearchkitIndexError",
    "IndexNotFoundError",
    "IndexExistsError",
    "IndexIncompatibleError",
    "IndexDamagedError",
    "VectorsMissingError",
    "IndexLockedError",
    "IndexAccessError",
    "QueryError",
    "EmptyQueryError",
    "QuerySyntaxError",
    "QueryLimitError",
    "ArgumentError",
    "FilterError",
    "SettingsError",
    "RebuildRefusedError",
    "CollectionError",
    "NotFoundError",
    "SemanticUnavailableError",
    "DaskUnavailableError",
    "ClusterTimeoutError",
    "EXIT_USAGE",
    "EXIT_INDEX",
    "EXIT_LOCKED",
    "Outcome",
    "OUTCOMES",
    "exit_code",
    "http_status",
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


class VectorsMissingError(SearchkitIndexError):
    """A hybrid search of an index (or a segment of it) written without paragraph vectors."""

    def __init__(self, path: object, chosen: bool = False) -> None:
        how = (
            "(created without them: vectors=False, `searchkit index --no-vectors`); index "
            "into a new folder to have them"
            if chosen
            else "(written without searchkit[semantic]); with it installed, run `searchkit "
            f"index --rebuild --index {path}`"
        )
        super().__init__(path, f"index {path} has no paragraph vectors for mode='hybrid' {how}")


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


class ArgumentError(SearchkitError, ValueError):
    """An argument has a value searchkit cannot use, or arguments do not go together.

    Not a problem of the index, the files or the query: the call itself must change
    (``batch_size=0``, ``shards=0``, ``open_many([])``).  Also a ``ValueError``.
    """


class FilterError(ArgumentError):
    """A search option has a value searchkit cannot use: a filter (a date that is not a
    date), a sort, a limit, a page, a timeout, a facet, a hit field.

    An :class:`ArgumentError`, so ``except ArgumentError`` catches every bad argument, and
    ``except FilterError`` the bad search options as before.
    """


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


class SemanticUnavailableError(SearchkitError):
    """Paragraph vectors were asked for, and ``searchkit[semantic]`` is not installed."""


class DaskUnavailableError(SearchkitError):
    """Dask is not installed, or the scheduler cannot be reached."""


class ClusterTimeoutError(DaskUnavailableError):
    """The cluster showed no progress for the timeout: its workers vanished or hang.

    ``unfinished`` names the shards whose task did not finish.
    """

    def __init__(self, what: str, unfinished: Sequence[str], timeout: float) -> None:
        self.unfinished = tuple(unfinished)
        self.timeout = timeout
        super().__init__(
            f"the Dask cluster made no progress on {what} for {timeout:g} s (workers gone "
            f"or stuck?): {', '.join(self.unfinished)} did not finish"
        )


# -- what an error means outside Python ----------------------------------------------------

EXIT_USAGE = 2
EXIT_INDEX = 3
EXIT_LOCKED = 4


class Outcome(NamedTuple):
    """What an error becomes: the command's exit code and the web app's HTTP status."""

    exit_code: int
    http_status: int


OUTCOMES: Mapping[type[SearchkitError], Outcome] = {
    SearchkitError: Outcome(EXIT_USAGE, 400),
    ArgumentError: Outcome(EXIT_USAGE, 400),
    FilterError: Outcome(EXIT_USAGE, 400),
    DocumentError: Outcome(EXIT_USAGE, 400),
    SearchkitIndexError: Outcome(EXIT_INDEX, 503),
    IndexNotFoundError: Outcome(EXIT_INDEX, 503),
    IndexExistsError: Outcome(EXIT_INDEX, 503),
    IndexIncompatibleError: Outcome(EXIT_INDEX, 503),
    IndexDamagedError: Outcome(EXIT_INDEX, 503),
    VectorsMissingError: Outcome(EXIT_INDEX, 503),
    IndexLockedError: Outcome(EXIT_LOCKED, 503),
    IndexAccessError: Outcome(EXIT_INDEX, 503),
    QueryError: Outcome(EXIT_USAGE, 400),
    EmptyQueryError: Outcome(EXIT_USAGE, 400),
    QuerySyntaxError: Outcome(EXIT_USAGE, 400),
    QueryLimitError: Outcome(EXIT_USAGE, 400),
    SettingsError: Outcome(EXIT_USAGE, 400),
    RebuildRefusedError: Outcome(EXIT_USAGE, 400),
    CollectionError: Outcome(EXIT_USAGE, 400),
    NotFoundError: Outcome(EXIT_USAGE, 404),
    SemanticUnavailableError: Outcome(EXIT_USAGE, 503),
    DaskUnavailableError: Outcome(EXIT_USAGE, 503),
    ClusterTimeoutError: Outcome(EXIT_USAGE, 504),
}


def _outcome(exc: SearchkitError) -> Outcome:
    for cls in type(exc).__mro__:
        if cls in OUTCOMES:
            return OUTCOMES[cls]
    raise TypeError(f"not a SearchkitError: {exc!r}")  # pragma: no cover


def exit_code(exc: SearchkitError) -> int:
    """The exit code of the ``searchkit`` command that fails with ``exc``."""
    return _outcome(exc).exit_code


def http_status(exc: SearchkitError) -> int:
    """The HTTP status of the web app's answer that fails with ``exc``."""
    return _outcome(exc).http_status
