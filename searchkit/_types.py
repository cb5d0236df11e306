"""The values a search is described by, and the type names the package shares.

A search is one value, :class:`SearchRequest` (or :class:`SimilarRequest` for "more like
this"), built once at each edge: ``Index.search``'s keyword arguments, the command line,
the web app.  :func:`searchkit.search.run_search` takes it; the parts of several indexes
or of a sharded index, and Dask's workers, receive the same value.  A new search option
is one field here (with its check) plus its use; ``tests/test_request.py`` reads these
fields to hold that every edge offers it.

Every field is checked when the value is made: a bad value raises
:class:`~searchkit.errors.ArgumentError` naming the argument, before any index is read.
The filters (``author``, ``since``, ``until``, ``source``, ``doc_id``, ``under``) are read
when the search builds its filter, and a bad one raises :class:`~searchkit.errors.FilterError`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal, Protocol, TypeVar, get_args

import attrs
from attrs import validators as v

from ._limits import QueryLimits
from .errors import ArgumentError, FilterError

__all__ = [
    "DEFAULT_FACET_LIMIT",
    "FACETS",
    "INTERVALS",
    "MAX_LIMIT",
    "MODES",
    "OPERATORS",
    "SORTS",
    "Client",
    "Confirm",
    "Interval",
    "Mode",
    "Operator",
    "Progress",
    "Ranked",
    "Scores",
    "SearchRequest",
    "SimilarRequest",
    "Sort",
    "COLLAPSES",
    "Collapse",
    "check_whole",
    "comma_names",
    "explore_keywords",
    "request_of",
]

Sort = Literal["relevance", "date", "oldest"]
SORTS: tuple[str, ...] = get_args(Sort)
# How a search shows a document's several matching paragraphs: its best one alone (its
# other matches counted in ``hit.more_count``), or every paragraph as a hit of its own.
Collapse = Literal["document", "none"]
COLLAPSES: tuple[str, ...] = get_args(Collapse)
Operator = Literal["or", "and"]
OPERATORS: tuple[str, ...] = get_args(Operator)
# How relevance is scored: BM25 alone, or fused with paragraph vectors (``_rerank.py``).
Mode = Literal["lexical", "hybrid"]
MODES: tuple[str, ...] = get_args(Mode)
# The date intervals of a histogram, and the facets a search can count.
Interval = Literal["day", "week", "month", "year"]
INTERVALS: tuple[str, ...] = get_args(Interval)
FACETS: tuple[str, ...] = ("author", "source", "year", "month", "folder", "format")
DEFAULT_FACET_LIMIT = 10
# Hits are ranked up to this many: the most ``limit``, and ``page * limit``, may reach.
MAX_LIMIT = 10_000

# {docnum: score}: every match of a query (``_topk.all_matches``).
Scores = dict[int, float]
# (score, docnum) pairs in the order a search returns them.
Ranked = list[tuple[float, int]]
# progress(done, total, path): called once per file as an add or sync goes.
Progress = Callable[[int, int, str], None]
# A rebuild from the sources an index recorded reads them only when confirmed: True, or
# a function given the sources (absolute paths) that answers whether to read them.
Confirm = bool | Callable[[tuple[str, ...]], bool]


class Client(Protocol):
    """What searchkit asks of a Dask ``distributed.Client`` (so checking it needs no Dask)."""

    def submit(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any: ...

    def gather(self, futures: Any) -> Any: ...

    def cancel(self, futures: Any, force: bool = ...) -> Any: ...


def comma_names(text: str) -> tuple[str, ...]:
    """``"author, year"`` -> ``("author", "year")``: a comma list as the command line and
    the web app take facet and field names (blank names dropped)."""
    return tuple(n.strip() for n in text.split(",") if n.strip())


def explore_keywords(
    facets: str | None, facet_limit: int, histogram: str | None, explain: bool
) -> dict[str, Any]:
    """The request's ``facets``, ``facet_limit``, ``histogram`` and ``explain`` from the
    command line's options or the web API's parameters: facets as a comma list, an empty
    histogram as none."""
    return {
        "facets": () if facets is None else comma_names(facets),
        "facet_limit": facet_limit,
        "histogram": histogram or None,
        "explain": explain,
    }


def check_whole(name: str, value: int, lo: int, hi: int | None = None) -> None:
    """Raise :class:`ArgumentError` unless ``value`` is a whole number in ``[lo, hi]``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < lo or (hi and value > hi):
        bound = f" and at most {hi}" if hi else ""
        raise FilterError(f"{name} must be a whole number of at least {lo}{bound}, not {value!r}")


# -- the checks: attrs validators; a failure is a FilterError (an ArgumentError) naming it --

_Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def _not_bool(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """``attrs.validators.not_(instance_of(bool))``, without the exception that one
    raises and catches for every value that is not a bool (1.2 us a field a request)."""
    if isinstance(value, bool):
        raise TypeError(f"{attribute.name} must not be a bool")


def _named(message: str, *checks: _Validator) -> _Validator:
    """``checks`` (attrs validators) together; any failure is an :class:`ArgumentError`
    with ``message`` (``{name}`` and ``{value}`` filled in)."""
    inner = v.and_(*checks)

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        try:
            inner(instance, attribute, value)
        except (TypeError, ValueError):
            raise FilterError(message.format(name=attribute.name, value=repr(value))) from None

    return check


def _whole(lo: int, hi: int | None = None) -> _Validator:
    top = [v.le(hi)] if hi is not None else []
    bound = f" and at most {hi}" if hi is not None else ""
    return _named(
        f"{{name}} must be a whole number of at least {lo}{bound}, not {{value}}",
        v.instance_of(int),
        _not_bool,
        v.ge(lo),
        *top,
    )


def _one_of(choices: tuple[str, ...], what: str = "{name}") -> _Validator:
    return _named(f"{what} must be one of {', '.join(choices)}, not {{value}}", v.in_(choices))


_FLAG = _named("{name} must be True or False, not {value}", v.instance_of(bool))


def _names(what: str, value: str | Iterable[str]) -> tuple[str, ...]:
    """One name or several as a tuple of them, without repeats; :class:`ArgumentError`
    (naming the argument ``what``) for a value that is neither."""
    items = (value,) if isinstance(value, str) else value
    try:
        found = tuple(dict.fromkeys(items))
    except TypeError:
        found = (value,)  # type: ignore[assignment]
    if not all(isinstance(item, str) for item in found):
        raise FilterError(f"{what} must be a name or a list of names, not {value!r}")
    return found


def _values(what: str, value: str | Iterable[str] | None) -> str | tuple[str, ...] | None:
    """A filter's values as a hashable value: ``None``, a string alone, or a tuple."""
    return value if value is None or isinstance(value, str) else _names(what, value)


# The converters (attrs takes a function of the value alone).
def _authors(value: str | Iterable[str] | None) -> str | tuple[str, ...] | None:
    return _values("author", value)


def _sources(value: str | Iterable[str] | None) -> str | tuple[str, ...] | None:
    return _values("source", value)


def _doc_ids(value: str | Iterable[str] | None) -> str | tuple[str, ...] | None:
    return _values("doc_id", value)


def _folders(value: str | Iterable[str] | None) -> str | tuple[str, ...] | None:
    return _values("under", value)


def _facets(value: str | Iterable[str]) -> tuple[str, ...]:
    return _names("facets", value)


def _known_facets(instance: Any, attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
    for name in value:
        if name not in FACETS:
            raise FilterError(f"unknown facet {name!r}; choose from {', '.join(FACETS)}")


def _has_page(instance: Any, attribute: attrs.Attribute[Any], value: int) -> None:
    """``page * limit`` within :data:`MAX_LIMIT` (``limit`` is checked before ``page``)."""
    if isinstance(value, int) and value * instance.limit > MAX_LIMIT:
        raise FilterError(
            f"page {value} of {instance.limit} hits reaches hit {value * instance.limit:,}, "
            f"but hits are ranked up to {MAX_LIMIT:,} (page * limit); narrow the query"
        )


# -- the requests ------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class _Options:
    """What a search and a "more like this" search share: filters, paging, order,
    grouping, context, what to look at closer, and what the search may cost.

    The arguments are ``Index.search``'s (see its documentation for each).
    """

    limit: int = attrs.field(default=10, validator=_whole(1, MAX_LIMIT))
    page: int = attrs.field(default=1, validator=[_whole(1), _has_page])
    author: str | tuple[str, ...] | None = attrs.field(default=None, converter=_authors)
    since: str | int | dt.date | None = None
    until: str | int | dt.date | None = None
    source: str | tuple[str, ...] | None = attrs.field(default=None, converter=_sources)
    doc_id: str | tuple[str, ...] | None = attrs.field(default=None, converter=_doc_ids)
    sort: Sort = attrs.field(default="relevance", validator=_one_of(SORTS))
    group: bool = attrs.field(default=False, validator=_FLAG)
    group_size: int = attrs.field(default=3, validator=_whole(1))
    context: int = attrs.field(default=0, validator=_whole(0))
    facets: tuple[str, ...] = attrs.field(default=(), converter=_facets, validator=_known_facets)
    facet_limit: int = attrs.field(default=DEFAULT_FACET_LIMIT, validator=_whole(1))
    histogram: Interval | None = attrs.field(
        default=None, validator=v.optional(_one_of(INTERVALS, "histogram interval"))
    )
    explain: bool = attrs.field(default=False, validator=_FLAG)
    highlight: bool = attrs.field(default=True, validator=_FLAG)
    limits: QueryLimits | None = attrs.field(
        default=None,
        validator=v.optional(
            _named("limits must be searchkit.QueryLimits, not {value}", v.instance_of(QueryLimits))
        ),
    )
    timeout: float | None = attrs.field(
        default=None,
        validator=v.optional(
            _named(
                "timeout must be a number of seconds above 0, not {value}",
                v.instance_of((int, float)),
                _not_bool,
                v.gt(0),
            )
        ),
    )
    under: str | tuple[str, ...] | None = attrs.field(default=None, converter=_folders)

    def looks_closer(self) -> bool:
        """Whether facets or a histogram are asked for (a pass over every match)."""
        return bool(self.facets) or self.histogram is not None


@attrs.frozen
class SearchRequest(_Options):
    """One search: ``query`` (searchkit's syntax, docs/query-syntax.md) and its options.

    >>> SearchRequest("prisoner exchange", limit=5, since="2025-06").limit
    5
    """

    query: str
    operator: Operator = attrs.field(
        default="or",
        kw_only=True,
        validator=_named("operator must be 'or' or 'and', not {value}", v.in_(OPERATORS)),
    )
    collapse: Collapse = attrs.field(
        default="document",
        kw_only=True,
        validator=_one_of(COLLAPSES),
    )
    exact: bool = attrs.field(default=False, kw_only=True, validator=_FLAG)

    def collapses(self) -> bool:
        """Whether the hits are collapsed by document: asked for, not grouped (a group is
        a document already), and not a search within one document (``doc_id`` naming one
        id: nothing to collapse across, so its matching paragraphs are listed)."""
        one = isinstance(self.doc_id, str) or (self.doc_id is not None and len(self.doc_id) == 1)
        return self.collapse == "document" and not self.group and not one

    mode: Mode = attrs.field(default="lexical", kw_only=True, validator=_one_of(MODES, "mode"))
    proximity: bool = attrs.field(default=False, kw_only=True, validator=_FLAG)


@attrs.frozen
class SimilarRequest(_Options):
    """One "more like this" search: the paragraphs most like ``chunk_or_doc_id`` (with
    ``document``, like its whole document), with the options a search has."""

    chunk_or_doc_id: str
    document: bool = attrs.field(default=False, kw_only=True, validator=_FLAG)


_R = TypeVar("_R", SearchRequest, SimilarRequest)


def request_of(
    kind: type[_R],
    subject: str | SearchRequest | SimilarRequest | None,
    request: _R | None,
    keywords: Mapping[str, Any],
) -> _R:
    """The request a call describes: ``subject`` (a query or id, or a whole request),
    ``request=`` (a whole request), or ``subject`` and the ``keywords`` named as
    ``kind``'s fields (other names in ``keywords`` are not read).

    A whole request is used as it is: options given as keywords beside it (any that is
    not its default) are an :class:`ArgumentError` naming them, as is no query or id.
    """
    first = next(f.name for f in attrs.fields(kind) if f.default is attrs.NOTHING)
    options = {f.name: keywords[f.name] for f in attrs.fields(kind) if f.name in keywords}
    options.pop(first, None)
    if isinstance(subject, str):
        if request is not None:
            raise ArgumentError(f"give {first} or request=, not both")
        return kind(subject, **options)
    if subject is not None and request is not None:
        raise ArgumentError("give the request once: as the first argument or as request=")
    whole = subject if subject is not None else request
    if whole is None:
        raise ArgumentError(f"give {first} or request=")
    if not isinstance(whole, kind):
        raise ArgumentError(f"request must be a searchkit.{kind.__name__}, not {whole!r}")
    alone = getattr(whole, first)
    given, plain = kind(alone, **options), kind(alone)
    changed = [
        f.name for f in attrs.fields(kind) if getattr(given, f.name) != getattr(plain, f.name)
    ]
    if changed:
        raise ArgumentError(
            f"give the options in the request or as keywords, not both: {', '.join(changed)}"
        )
    return whole
