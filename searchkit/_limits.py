"""Bounds on what one query may cost, and the optional time budget.

Documents and queries come from people searchkit does not control, so a single search
must not run for minutes or fill memory.  As in Lucene and Elasticsearch, a query is
checked against limits before it runs and refused with a :class:`QueryLimitError` that
names the limit and how to raise it:

- ``max_query_chars``: the query text's length;
- ``max_nesting``: how deep parentheses may nest (checked before the query is parsed:
  the parser recurses once a level);
- ``max_expansions``: the index words one wildcard, prefix, fuzzy term or term range
  may stand for (``*e*`` stands for most of the vocabulary);
- ``max_fuzzy_terms``: fuzzy terms in a query (each walks the whole vocabulary of every
  segment, about a tenth of a second per segment for two edits on a SciFact index);
- ``max_clauses``: the words a query searches in all, after expansion (Lucene's
  ``maxClauseCount``);
- ``max_context_chunks``: paragraphs a page may read, ``limit * (2 * context + 1)``;
- ``max_suggest_words`` and ``max_suggest_candidates``: the query words "did you mean"
  looks at, and the candidates (one-edit variants, index words compared) it tries in all
  (``suggest.py``).  These cut the suggestions short rather than refuse the search:
  ``Results.suggestions_cut`` names the limit.

Each default can be changed by an environment variable (``SEARCHKIT_MAX_EXPANSIONS``, ...)
or per search with ``Index.search(..., limits=QueryLimits(...))``.

The time budget (``timeout=``) is checked while a query's words are expanded, between
the terms :func:`searchkit._topk.all_matches` scores and every 1,024 postings of a
wildcard or fuzzy term it reads, between hits while their context is read, and every
256 candidates "did you mean" tries.  When it
runs out the search returns what it found so far, with ``Results.timed_out`` set (what a
query excludes is always read whole, so a cut answer holds no chunk it should not).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, cast

import attrs
from whoosh import query as wq
from whoosh.searching import Searcher

from . import _whoosh
from .analysis.languages import body_fields
from .errors import FilterError, QueryLimitError

__all__ = [
    "Deadline",
    "QueryLimits",
    "bound_query",
    "check_nesting",
    "check_page",
    "check_text",
    "unescaped",
]


def _positive(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise FilterError(f"{attribute.name} must be a whole number of at least 1, not {value!r}")


def _env(variable: str, default: int) -> int:
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    try:
        return int(raw.replace("_", "").replace(",", ""))
    except ValueError:
        raise FilterError(f"{variable} must be a whole number, not {raw!r}") from None


@attrs.frozen
class QueryLimits:
    """How much one search may cost.  Every field is a whole number of at least 1.

    :meth:`from_env` gives the defaults below, each overridden by the environment
    variable ``SEARCHKIT_<FIELD NAME IN CAPITALS>`` when it is set.
    """

    max_query_chars: int = attrs.field(default=10_000, validator=_positive)
    max_expansions: int = attrs.field(default=1_000, validator=_positive)
    max_fuzzy_terms: int = attrs.field(default=3, validator=_positive)
    max_clauses: int = attrs.field(default=1_024, validator=_positive)
    max_context_chunks: int = attrs.field(default=1_000, validator=_positive)
    max_nesting: int = attrs.field(default=100, validator=_positive)
    max_suggest_words: int = attrs.field(default=32, validator=_positive)
    max_suggest_candidates: int = attrs.field(default=50_000, validator=_positive)

    @classmethod
    def from_env(cls) -> QueryLimits:
        """The defaults, with any ``SEARCHKIT_MAX_...`` environment variable applied."""
        global _LAST_FROM_ENV
        raw = tuple(map(os.environ.get, _VARIABLES))
        last = _LAST_FROM_ENV  # read once: another thread may replace it
        if last is not None and last[0] == raw and type(last[1]) is cls:
            return last[1]
        limits = cls(**{name: _env(variable, default) for name, variable, default in _FROM_ENV})
        _LAST_FROM_ENV = raw, limits
        return limits


# Each limit's name, environment variable and default (from_env runs on every search).
_FROM_ENV = [
    (f.name, f"SEARCHKIT_{f.name.upper()}", cast(int, f.default)) for f in attrs.fields(QueryLimits)
]
_VARIABLES = tuple(variable for _name, variable, _default in _FROM_ENV)
# The environment's values when from_env last ran, and the limits it made of them (the
# limits are frozen: one search after another shares them until a variable changes).
_LAST_FROM_ENV: tuple[tuple[str | None, ...], QueryLimits] | None = None


def _raise_hint(limit: str) -> str:
    return (
        f"or raise the limit: QueryLimits({limit}=...) in Python, "
        f"SEARCHKIT_{limit.upper()} in the environment"
    )


class Deadline:
    """A point in time a search should finish by; ``None`` seconds means never."""

    def __init__(self, seconds: float | None) -> None:
        if seconds is not None and (
            isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds > 0
        ):
            raise FilterError(f"timeout must be a number of seconds above 0, not {seconds!r}")
        self.seconds = seconds
        self._end = None if seconds is None else time.monotonic() + seconds
        self.expired = False

    def passed(self) -> bool:
        """Whether the time is up (and remember that it was)."""
        if self._end is not None and not self.expired and time.monotonic() >= self._end:
            self.expired = True
        return self.expired


def check_text(text: str, limits: QueryLimits) -> None:
    """Refuse a query text longer than ``max_query_chars``, or nesting parentheses
    deeper than ``max_nesting``, before anything parses it."""
    if isinstance(text, str) and len(text) > limits.max_query_chars:
        raise QueryLimitError(
            text[:60] + "...",
            "max_query_chars",
            limits.max_query_chars,
            f"the query is {len(text):,} characters long, more than max_query_chars "
            f"({limits.max_query_chars:,}); shorten it, {_raise_hint('max_query_chars')}",
        )
    check_nesting(text, limits)


def unescaped(text: str) -> Iterator[tuple[int, str, bool]]:
    """Each character of a query no backslash escapes (the escaping backslash left out
    too), its place, and whether it stands inside double quotes; a quote mark itself
    comes with what it leaves: ``True`` after an opening one, ``False`` after a closing
    one."""
    quoted = escaped = False
    for i, ch in enumerate(text):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        else:
            if ch == '"':
                quoted = not quoted
            yield i, ch, quoted


def check_nesting(text: str, limits: QueryLimits) -> None:
    """Refuse parentheses nested deeper than ``max_nesting`` before anything parses them
    (the parser and the query tree recurse once a level: about a thousand levels end in
    Python's ``RecursionError``).  Parentheses inside quotes or escaped are not counted."""
    if not isinstance(text, str) or text.count("(") <= limits.max_nesting:
        return
    depth = deepest = 0
    for _, ch, quoted in unescaped(text):
        if quoted:
            continue
        if ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == ")":
            depth = max(0, depth - 1)
    if deepest > limits.max_nesting:
        raise QueryLimitError(
            text[:60] + "..." if len(text) > 60 else text,
            "max_nesting",
            limits.max_nesting,
            f"the query nests parentheses {deepest:,} deep, more than max_nesting "
            f"({limits.max_nesting:,}); remove some, {_raise_hint('max_nesting')}",
        )


def check_page(limit: int, context: int, limits: QueryLimits, query: str) -> None:
    """Refuse a page whose hits and context would read more than ``max_context_chunks``."""
    if not isinstance(limit, int) or not isinstance(context, int) or context < 1:
        return
    reads = limit * (2 * context + 1)
    if reads > limits.max_context_chunks:
        raise QueryLimitError(
            query,
            "max_context_chunks",
            limits.max_context_chunks,
            f"{limit:,} hits with {context} paragraphs of context on each side read "
            f"{reads:,} paragraphs, more than max_context_chunks "
            f"({limits.max_context_chunks:,}); lower the limit or the context, "
            f"{_raise_hint('max_context_chunks')}",
        )


def _walk(q: wq.Query) -> Iterator[wq.Query]:
    yield q
    for child in q.children():
        yield from _walk(child)


def fuzzy_words(q: wq.Query) -> int:
    """The fuzzy terms (``word~``) of ``q`` as its words give them: a word searched in
    the body field of each language the index holds counts once, since those fields
    split one vocabulary between them (walking all of them walks about one field's
    words).  A word in another field (``title:word~``) counts apart."""
    fields = Counter(n.fieldname for n in _walk(q) if isinstance(n, wq.FuzzyTerm))
    in_bodies = [n for field, n in fields.items() if field in _BODY_FIELDS]
    return max(in_bodies, default=0) + sum(
        n for field, n in fields.items() if field not in _BODY_FIELDS
    )


# Every language's body field.
_BODY_FIELDS = frozenset(body_fields())


# Fields every chunk has a term in: ``*`` on them is every chunk.
_EVERY_CHUNK = frozenset({"body", "title"})


class _EveryChunk(wq.Every):  # type: ignore[misc]
    """Whoosh's ``Every`` of no field (every document), shown as the ``*`` typed, not
    ``None:*``."""

    def __unicode__(self) -> str:
        return "*"

    __str__ = __unicode__


def _every_doc(q: wq.Query) -> wq.Query:
    """``*`` alone: every chunk, read from the document count, not from every posting,
    wherever it stands (``alert NOT *`` read the postings of every word of the index,
    seconds on a few thousand documents, whatever its time budget)."""
    if isinstance(q, wq.Every) and q.fieldname in _EVERY_CHUNK:
        return _EveryChunk(boost=q.boost)
    return q.apply(_every_doc)  # a copy with its children mapped; a leaf itself


class _Expansions:
    """A multi-term node's words, read once per index reader.

    Whoosh expands a wildcard or fuzzy term again each time it asks (for the matcher of
    each segment, for size estimates, for highlights); the words counted against the
    limits are kept and handed back instead, so the costly walk happens once.
    """

    def __init__(self, original: Any) -> None:
        self.original = original
        self.known: list[tuple[Any, list[bytes]]] = []

    def words(self, reader: Any) -> list[bytes]:
        for known, words in self.known:
            if known is reader:
                return words
        words = list(self.original(reader))
        self.known.append((reader, words))
        return words

    def __call__(self, reader: Any) -> Iterator[bytes]:
        return iter(self.words(reader))


# A segment's words for a multi-term node, found another way than the node's own walk of
# the term file (``_lexicon.words``: from the segment's column table), or ``None``.
Words = Callable[[wq.MultiTerm, Searcher, Any], list[bytes] | None]


def bound_query(
    q: wq.Query,
    searcher: Searcher,
    limits: QueryLimits,
    deadline: Deadline,
    text: str,
    words: Words | None = None,
) -> wq.Query:
    """``q``, checked against ``limits`` (raising :class:`QueryLimitError`).

    Counts the index words every wildcard, prefix, fuzzy term and term range stands for,
    segment by segment, stopping one past ``max_expansions``; the expansion is the costly
    part of such terms, so a term over the limit costs at most that much before it is
    refused, and one within it is not expanded again when the query runs.  ``words``
    finds a segment's words where it can (the search passes ``_lexicon.words``), the
    node's own walk where it gives ``None``.  Expansion stops early when ``deadline``
    passes (the search then returns what it found).
    """
    clauses = _plain_clauses(q)
    if clauses is None:
        q = _every_doc(q)
        clauses = _expanded_clauses(q, searcher, limits, deadline, text, words)
    elif deadline.passed():
        clauses = 0  # as the walk counts: nothing once the deadline has passed
    if clauses > limits.max_clauses:
        raise QueryLimitError(
            text,
            "max_clauses",
            limits.max_clauses,
            f"the query searches {clauses:,} words (after wildcards and fuzzy terms "
            f"expand), more than max_clauses ({limits.max_clauses:,}); shorten it, "
            f"{_raise_hint('max_clauses')}",
        )
    return q


def _plain_clauses(q: wq.Query) -> int | None:
    """The words an OR or AND of plain terms and phrases searches (most queries: nothing
    in them expands or is fuzzy, so there is no tree to walk); ``None`` for any other."""
    if type(q) not in (wq.Or, wq.And):
        return None
    clauses = 0
    for child in q.subqueries:
        kind = type(child)
        if kind is wq.Term:
            clauses += 1
        elif kind is wq.Phrase:
            clauses += len(child.words)
        else:
            return None
    return clauses


def _expanded_clauses(
    q: wq.Query,
    searcher: Searcher,
    limits: QueryLimits,
    deadline: Deadline,
    text: str,
    words: Words | None,
) -> int:
    """The words ``q`` searches, each wildcard, prefix, fuzzy term and term range
    expanded (and refused past the limits) as :func:`bound_query` says."""
    fuzzy = fuzzy_words(q)
    if fuzzy > limits.max_fuzzy_terms:
        raise QueryLimitError(
            text,
            "max_fuzzy_terms",
            limits.max_fuzzy_terms,
            f"the query has {fuzzy} fuzzy terms (word~), more than max_fuzzy_terms "
            f"({limits.max_fuzzy_terms}); each one reads the whole vocabulary. Use fewer, "
            f"{_raise_hint('max_fuzzy_terms')}",
        )
    top = searcher.reader()
    leaves = [r for r, _ in top.leaf_readers()] if not top.is_atomic() else [top]
    clauses = 0
    for node in _walk(q):
        if deadline.passed():
            break
        if isinstance(node, wq.MultiTerm) and not isinstance(node, wq.Every):
            clauses += _expand(node, searcher, leaves, limits, deadline, text, words)
        elif isinstance(node, wq.Term):
            clauses += 1
        elif isinstance(node, wq.Phrase):
            clauses += len(node.words)
    return clauses


def _expand(
    node: wq.MultiTerm,
    searcher: Searcher,
    leaves: list[Any],
    limits: QueryLimits,
    deadline: Deadline,
    text: str,
    source: Words | None,
) -> int:
    """Expand ``node`` in every segment, refuse it past ``max_expansions``, cache the words."""
    cache = _Expansions(_whoosh.expansion_source(node))
    top = searcher.reader()
    words: set[bytes] = set()
    for leaf in leaves:
        mine: list[bytes] = []
        found = None if source is None else source(node, searcher, leaf)
        for word in cache.original(leaf) if found is None else found:
            mine.append(word)
            words.add(word)
            if len(words) > limits.max_expansions:
                raise QueryLimitError(
                    text,
                    "max_expansions",
                    limits.max_expansions,
                    f"{node} matches more than max_expansions "
                    f"({limits.max_expansions:,}) words in the index; make it more "
                    f"specific (more letters before the * or ?), "
                    f"{_raise_hint('max_expansions')}",
                )
            if len(mine) % 256 == 0 and deadline.passed():
                break
        cache.known.append((leaf, mine))
    if top is not leaves[0] or len(leaves) > 1:
        cache.known.append((top, sorted(words)))
    _whoosh.replace_expansion(node, cache)
    return len(words)
