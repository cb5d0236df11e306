"""Query text and filter arguments -> a Whoosh query.

Bare words search ``body``, the paragraph's title and text weighed together (BM25F, see
``schema.py``).  The default grouping is OR: a chunk scores the sum of its matched words'
BM25 scores, so a sentence-long question still finds paragraphs, and those sharing more
of its words rank higher (as in Lucene, Elasticsearch and FTS5).  Whoosh's own
``OrGroup.factory`` coordination is not used: its formula scores every one-word query 0.
``AND`` grouping is one argument away.  A word said twice counts twice (its term gets
boost 2), where Whoosh would drop the repeat.

:func:`plain_query` turns any text (a test collection's question, a pasted sentence)
into a query that searches its words and nothing else, with no syntax to trip on.

Syntax errors are caught here and raised as :class:`QuerySyntaxError`, quoting the query
and where it went wrong.  Typographic double quotes (``“a b”``, ``«a b»``) quote a phrase
as ``"`` does.  The parser itself, Whoosh's with searchkit's plugins, is ``_parser.py``'s.
"""

from __future__ import annotations

import datetime as dt
import re
import weakref
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
from whoosh import query
from whoosh.fields import Schema

from ._dates import filter_bounds
from ._filterterms import filter_terms
from ._folders import FOLDER_FIELD, relative_folder
from ._limits import unescaped
from ._parser import FIELD_ALIASES, parser
from ._plainquery import TYPOGRAPHIC_QUOTES, Parsing, flat_words_query, plain_words_query
from ._querytree import field_values, lift_nots, normalized, sum_repeats
from ._types import Operator
from .analysis import normalize_name
from .analysis.languages import body_field
from .analysis.synonyms import Synonyms
from .errors import EmptyQueryError, FilterError, QuerySyntaxError
from .loaders._base import domain_of
from .schema import STOP_FIELD, TEXT_FIELDS

__all__ = [
    "FIELD_ALIASES",
    "Operator",
    "build_filter",
    "language_fields",
    "parse_query",
    "plain_query",
]

# Words Whoosh's parser reads as operators when written in capitals.
_OPERATOR_WORDS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"})
_WORD = re.compile(r"\w+")
MAX_EDITS = 2
# The largest boost ``word^N`` may give: past it one word's score drowns every other's,
# and far past it the score is infinite.
MAX_BOOST = 1_000
# What follows a ``~`` (the edit distance) or a ``^`` (the boost) when it starts as a
# number would (a digit, a point or a sign), up to a space or a closing parenthesis:
# ``~user`` and ``x^y`` are words.
_FUZZY_DIST = re.compile(r"~([0-9.+-][^\s)]*)")
_BOOST_TEXT = re.compile(r"\^([0-9.+-][^\s)]*)")
# A fuzzy term's edits (and the length of its exact prefix): ``~``, ``~2``, ``~2/3``.
_EDITS = re.compile(r"(?:([0-9]+)(?:/[0-9]+)?)?")
_BOOST_NUMBER = re.compile(r"[0-9]*(?:\.[0-9]+)?")


def parse_query(
    text: str,
    schema: Schema,
    operator: Operator = "or",
    text_fields: dict[str, float] | None = None,
    synonyms: Synonyms | None = None,
) -> query.Query:
    """Parse ``text`` with searchkit's syntax; raise a :class:`QueryError` if it cannot run.

    Bare words search ``text_fields`` (default :data:`TEXT_FIELDS`, English only); pass
    :func:`language_fields` of a searcher to search every language its index holds.
    Bare words that ``synonyms`` has a rule for search what the rule says.
    """
    if operator not in ("or", "and"):
        raise FilterError(f"operator must be 'or' or 'and', not {operator!r}")
    if not isinstance(text, str) or not text.strip():
        raise EmptyQueryError(text if isinstance(text, str) else repr(text))
    straight, escapes = _straightened(text)
    try:
        return _parse_straight(straight, schema, operator, text_fields, synonyms)
    except QuerySyntaxError as exc:  # said of the query as typed
        if straight == text:
            raise
        at = exc.position
        if at is not None:
            at -= sum(1 for e in escapes if e < at)
        raise QuerySyntaxError(text, exc.reason, at) from None


# Typographic double quotes quote a phrase as ``"`` does.
_QUOTE_MARKS = str.maketrans(dict.fromkeys(TYPOGRAPHIC_QUOTES, '"'))
# A word's part after a hyphen, then a colon: no field's name (``font-size: 1em``); not
# inside quotes, nor digits (a date-time's ``06T05:05``).
_HYPHENATED_NAME = re.compile(r'"[^"]*"|(?<=\w-)([^\W\d]\w*):')


def _straightened(text: str) -> tuple[str, list[int]]:
    """``text`` as the parser reads it: typographic quotes as ``"``, and the colon after a
    hyphenated word (pasted CSS, ``font-size:1.5em``) escaped, as it names no field
    (Whoosh read ``size:1.5em``); and where the backslashes stand in what it gives."""
    escapes: list[int] = []

    def escape(m: re.Match[str]) -> str:
        if m.group(1) is None:  # a quoted phrase, left as it is
            return m.group()
        escapes.append(m.end() - 1 + len(escapes))
        return f"{m.group(1)}\\:"

    straight = text.translate(_QUOTE_MARKS)
    if ":" not in straight:  # most queries: no field, nothing to escape
        return straight, escapes
    return _HYPHENATED_NAME.sub(escape, straight), escapes


def _parse_straight(
    text: str,
    schema: Schema,
    operator: Operator,
    text_fields: dict[str, float] | None,
    synonyms: Synonyms | None,
) -> query.Query:
    _check_balanced(text)
    _check_field_values(text, schema)
    if "~" in text or "^" in text:
        _check_fuzzy_and_boosts(text)
    parsing = Parsing(schema, operator, text_fields or TEXT_FIELDS, synonyms)
    parsed = _parse(text, parsing)
    if STOP_FIELD in schema and _only_stop_words(text, parsed, parsing):
        # Only stop words (``the who``, "to be or not to be"): search them in their field,
        # and in other languages', where they may be words.
        stops = _parse(text, attrs.evolve(parsing, words={STOP_FIELD: 1.0}))
        parsed = stops if _is_null(parsed) else normalized(query.Or([stops, parsed]))
    if _is_null(parsed):
        why = "only operators, punctuation or stop words in a field"
        raise QuerySyntaxError(text, f"nothing searchable is left ({why})")
    return filter_terms(parsed)


def _only_stop_words(text: str, parsed: query.Query, parsing: Parsing) -> bool:
    """Whether ``text``'s words are all English stop words: nothing is left of them, or
    (other languages searched too) nothing in English, whose field ``parsed`` lacks."""
    if _is_null(parsed):
        return True
    if parsing.words == TEXT_FIELDS or any(
        getattr(leaf, "fieldname", None) in TEXT_FIELDS for leaf in parsed.leaves()
    ):
        return False
    return _is_null(_parse(text, attrs.evolve(parsing, words=dict(TEXT_FIELDS))))


def _is_null(q: query.Query) -> bool:
    return q is query.NullQuery or isinstance(q, type(query.NullQuery))


def _parse(text: str, parsing: Parsing) -> query.Query:
    flat = flat_words_query(text, parsing)
    if flat is not None:  # only words, one field: the query itself, built directly
        return flat
    plain = plain_words_query(text, parsing)
    if plain is not None:  # only words: the parser's tree, built without the parser
        return normalized(lift_nots(sum_repeats(plain)))
    # A date-time's colons would name fields (``date:2025-06-14T10:55``): quoted, they
    # do not, and the date field reads the quoted value whole (see ``field_values``).
    unquoted = _quote_times(text) if ":" in text else text
    try:
        parsed = field_values(parser(parsing).parse(unquoted, normalize=False), parsing.schema)
    except Exception as exc:  # Whoosh raises assorted errors on odd input
        # Its own errors say what is wrong; an IndexError from a group left empty
        # (``NOT NOT x``) would only say "list index out of range".
        said = _OPERATORS_AMISS if isinstance(exc, LookupError) else str(exc)
        raise QuerySyntaxError(
            text, _stored_only(text, parsing.schema) or said or type(exc).__name__
        ) from None
    for node in _walk(parsed):
        error = getattr(node, "error", None)
        if error is not None:
            raise QuerySyntaxError(text, _reason(error))
        if isinstance(node, query.FuzzyTerm):
            # ``a~2/3``: a prefix longer than the word is the whole word (Whoosh's
            # automaton would index past its end).
            node.prefixlength = min(node.prefixlength, len(node.text))
        if getattr(node, "boost", 1.0) <= 0:
            raise QuerySyntaxError(text, f"a boost must be above 0, not {node.boost:g}")
    return normalized(lift_nots(sum_repeats(parsed)))


_FIELDS_OF: weakref.WeakKeyDictionary[Any, dict[str, float]] = weakref.WeakKeyDictionary()


def language_fields(reader: Any) -> dict[str, float]:
    """The body fields (with their boosts) of the languages ``reader``'s index holds.

    Only ``body`` for an English-only index, so English queries are what they always
    were.  Remembered per reader: a reader never changes.
    """
    found = _FIELDS_OF.get(reader)
    if found is None:
        found = dict(TEXT_FIELDS)
        if "language" in reader.schema:
            for term in reader.lexicon("language"):
                name = body_field(term.decode("utf-8"))
                if name in reader.schema:
                    found.setdefault(name, 1.0)
        _FIELDS_OF[reader] = found
    return found


def plain_query(text: str) -> str:
    """``text`` as a query for its words only: punctuation, quotes, field names and
    operators lose their meaning (``NOT`` becomes the word ``not``)."""
    return " ".join(w.lower() if w in _OPERATOR_WORDS else w for w in _WORD.findall(text))


# What a user may put before a colon, as docs/query-syntax.md lists it.
SEARCHABLE_FIELDS = (
    "title",
    "text",
    "author",
    "source",
    "doc_id",
    "paragraph",
    "date",
    "language",
    "folder",
    "path",
    "format",
)
_FIELD_PREFIX = re.compile(r"(\w+):")
_OPERATORS_AMISS = (
    "its operators do not fit together (two in a row, such as NOT NOT: "
    "write NOT (NOT word), or drop one)"
)
# A date field's value with a time, unquoted, after its name and any of < > = (a range's
# ends are read whole by the range syntax).
_TIME_VALUE = re.compile(
    r"(?<![\w\\\"'])((?:published|date):[<>]?=?)(\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d)?)(?![\w:])"
)


def _quote_times(text: str) -> str:
    """``text`` with each date field's unquoted date-time value quoted (not inside a
    phrase, where it is words)."""
    phrases = [m.span() for m in _QUOTED.finditer(text)]

    def quote(m: re.Match[str]) -> str:
        if any(a < m.start() < b for a, b in phrases):
            return m.group()
        return f'{m.group(1)}"{m.group(2)}"'

    return _TIME_VALUE.sub(quote, text)


def _stored_only(text: str, schema: Schema) -> str | None:
    """Why ``text`` failed if it names a field that is stored but not searchable."""
    for name in _FIELD_PREFIX.findall(text):
        if name in schema and not schema[name].indexed:
            return (
                f"field {name!r} is stored, not searchable; "
                f"search one of {', '.join(SEARCHABLE_FIELDS)}"
            )
    return None


def _reason(error: object) -> str:
    text = str(error)
    return text.replace("Exception: ", "") or "invalid term"


def _walk(q: query.Query) -> Iterable[query.Query]:
    yield q
    for child in q.children():
        yield from _walk(child)


# A field name with nothing after its colon: ``title:``, ``title: rain``, ``(author:)``.
_EMPTY_FIELD = re.compile(r"(?<![\w\\])(\w+):(?=\s|\)|$)")
_QUOTED = re.compile(r'"[^"]*"')
# What _check_balanced pairs, and the backslash that escapes it.
_BALANCED_SYNTAX = re.compile(r'["()\\]')


def _check_field_values(text: str, schema: Schema) -> None:
    """Refuse a field name written without a value: the parser would search the field's
    name as a word (``title:`` found paragraphs with the word "title")."""
    if ":" not in text:  # most queries: no field at all
        return
    # Only what may be searched: ``Start: the plan`` names the stored field ``start``.
    names = {*SEARCHABLE_FIELDS, *FIELD_ALIASES, *(a for v in FIELD_ALIASES.values() for a in v)}
    unquoted = _QUOTED.sub(lambda m: "x" * len(m.group()), text)
    for m in _EMPTY_FIELD.finditer(unquoted):
        if m.group(1) in names:
            name = m.group(1)
            raise QuerySyntaxError(
                text,
                f"'{name}:' has no value; write {name}:WORD or {name}:\"a phrase\" "
                "(no space after the colon)",
                m.start(),
            )


def _check_balanced(text: str) -> None:
    if not _BALANCED_SYNTAX.search(text):  # most queries: nothing to pair, nothing escaped
        return
    quote_at: int | None = None
    depth: list[int] = []
    for i, ch, quoted in unescaped(text):
        if ch == '"':
            quote_at = i if quoted else None
        elif quoted:
            continue
        elif ch == "(":
            depth.append(i)
        elif ch == ")":
            if not depth:
                raise QuerySyntaxError(text, "')' without a matching '('", i)
            depth.pop()
    if quote_at is not None:
        raise QuerySyntaxError(text, "unclosed '\"'", quote_at)
    if depth:
        raise QuerySyntaxError(text, "'(' is never closed", depth[-1])


def _check_fuzzy_and_boosts(text: str) -> None:
    """Refuse ``word~N`` past :data:`MAX_EDITS` and a ``^`` boost that is not a number
    above 0 and at most :data:`MAX_BOOST`, outside quotes.

    Whoosh's parser reads one digit after ``~`` (``zebrafish~100`` searched
    ``zebrafish~1 OR 00``) and a boost only when a space or ``)`` follows its digits
    (``x^1e400`` searched ``x`` and the phrase "1 e 400"; ``x^9999...`` an infinite
    boost).  A ``~`` right after a closing quote is a phrase's slop and is left alone.
    """
    for i, ch, quoted in unescaped(text):
        if ch == '"' or quoted or i == 0 or text[i - 1].isspace():
            continue
        elif ch == "~" and text[i - 1] == '"':  # a phrase's slop: a whole number
            slop = _FUZZY_DIST.match(text, i)
            if slop is not None and not slop.group(1).isdigit():
                raise QuerySyntaxError(
                    text,
                    f'a phrase\'s slop is a whole number ("a b"~2), not ~{slop.group(1)}',
                    i,
                )
        elif ch == "~":
            fuzzy = _FUZZY_DIST.match(text, i)
            edits = _EDITS.fullmatch(fuzzy.group(1)) if fuzzy is not None else None
            if fuzzy is not None and (
                edits is None or not 1 <= int(edits.group(1) or 1) <= MAX_EDITS
            ):
                raise QuerySyntaxError(
                    text,
                    f"a fuzzy term allows at most {MAX_EDITS} edits (word~1 or word~"
                    f"{MAX_EDITS}), not ~{fuzzy.group(1)}",
                    i,
                )
        elif ch == "^":
            boost = _BOOST_TEXT.match(text, i)
            if boost is not None and not _sane_boost(boost.group(1)):
                raise QuerySyntaxError(
                    text,
                    f"a boost must be a number above 0 and at most {MAX_BOOST:,} "
                    f"(word^2, word^0.5), not ^{boost.group(1)}",
                    i,
                )


def _sane_boost(value: str) -> bool:
    if _BOOST_NUMBER.fullmatch(value) is None or value in ("", "."):
        return False
    return 0 < float(value) <= MAX_BOOST


def build_filter(
    *,
    author: str | Sequence[str] | None = None,
    since: str | int | dt.date | None = None,
    until: str | int | dt.date | None = None,
    source: str | Sequence[str] | None = None,
    doc_id: str | Sequence[str] | None = None,
    now: dt.datetime | None = None,
    under: str | Sequence[str] | None = None,
) -> query.Query | None:
    """A query that keeps only chunks matching every given filter (``None`` when none).

    ``author`` matches the whole name, ignoring case (any one of a document's authors);
    ``source`` is a domain (a URL is reduced to its domain, ``www.`` dropped);
    ``since``/``until`` take partial dates or dates relative to ``now`` (``7d``, ``last
    month``; default: the local time, see :func:`~searchkit._dates.filter_bounds`) and
    are inclusive of the whole period they name.  ``under`` is a folder relative to the
    index's roots (``_folders.relative_folder``; an index resolves absolute ones first).
    A sequence means any of its values.
    """
    parts: list[query.Query] = []
    if under:
        folders = [relative_folder(u, ()).lower() for u in _values(under)]
        if "." not in folders:  # the root itself keeps everything
            parts.append(_any(FOLDER_FIELD, folders))
    if author:
        parts.append(_any("author_key", [normalize_name(a) for a in _values(author)]))
    if source:
        parts.append(_any("domain", [_domain(s) for s in _values(source)]))
    if doc_id:
        parts.append(_any("doc_id", list(_values(doc_id))))
    if since or until:
        lo = _bound("since", since, 0, now) if since else None
        hi = _bound("until", until, 1, now) if until else None
        if lo and hi and lo > hi:
            raise FilterError(f"since ({since}) is after until ({until}): no date can match")
        parts.append(query.DateRange("published", lo, hi))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else query.And(parts)


def _values(value: str | Sequence[str]) -> Sequence[str]:
    return [value] if isinstance(value, str) else value


def _any(field: str, values: list[str]) -> query.Query:
    terms = [query.Term(field, v) for v in values]
    return terms[0] if len(terms) == 1 else query.Or(terms)


def _domain(value: str) -> str:
    value = value.strip().lower()
    if "/" in value:
        value = domain_of(value if "//" in value else "//" + value) or value
    return value[4:] if value.startswith("www.") else value


def _bound(name: str, value: str | int | dt.date, end: int, now: dt.datetime | None) -> dt.datetime:
    try:
        return filter_bounds(value, now)[end]
    except ValueError as exc:
        raise FilterError(f"{name}: {exc}") from None
