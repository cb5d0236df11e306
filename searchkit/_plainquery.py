"""Plain word queries without Whoosh's parser: the same query, built directly.

Most queries are a few words and nothing else: no fields, quotes, wildcards, fuzzy
terms, ranges, boosts, or operators but ``AND`` and ``OR``.  For them Whoosh's parser
(tagging every character against a dozen plugins' patterns, then a dozen filters over
the syntax tree) cost more than scoring.  :func:`plain_words_query` recognises such a
query and builds the tree the parser would have built from it, node for node: the
query's grouping (OR or AND) of, for each word, an OR over the searched fields of what
that field's analyzer makes of the word, with ``AND`` and ``OR`` between words or
groups joining them as the parser's operators do (:func:`_join`).  ``query.py`` then
sums repeats, lifts NOTs and normalises it exactly as it does the parser's tree, so
both roads end in the same query (tests compare them on thousands of queries).
:func:`flat_words_query` goes further for the commonest query (words alone, one field,
OR, no synonyms): it builds the normalised query itself, with no tree to flatten.

:func:`word_query` is the one place that turns a word into a field's terms, for the
parser (``_WordPartParser.term_query``) and for this shortcut alike; what an analyzer
makes of a word is remembered (analyzers are pure functions of their text).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs
from whoosh import fields, query
from whoosh.fields import Schema

from ._types import Operator
from .analysis.synonyms import Synonyms

__all__ = [
    "TYPOGRAPHIC_QUOTES",
    "Parsing",
    "flat_words_query",
    "plain_words",
    "plain_words_query",
    "word_query",
    "word_runs",
]

# Typographic double quotes (pasted from a word processor or a web page, typed on a
# keyboard that curls them): query.py reads each as ``"``, before this road or the parser.
TYPOGRAPHIC_QUOTES = "\u201c\u201d\u201e\u201f\u00ab\u00bb\uff02"
# Any character the parser gives a meaning to, parentheses and lone < and > aside:
# quotes, fields, wildcards (Whoosh's four question marks), ranges, boosts, fuzzy terms,
# comparisons with =, escapes; a single quote that could open a quoted term (one not
# inside a word); + and - starting a word.
_SYNTAX = re.compile(
    r"""["*?\u055e\u061f\u1367:\[\]{}^~=\\]|(?<!\w)'|(?:^|(?<=[\s(]))[+-](?=[\w"(])"""
)
# Words the parser reads as operators (REQUIRE in Whoosh's set).  Not ``TO``: the parser
# reads it as one only inside a range's brackets, which never come here (``JAPAN TO
# PROMOTE`` is three words, ``to`` a stop word).
_OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "REQUIRE"})
# The infix operators this road joins as the parser does, in the order it applies them
# (Whoosh's OperatorsPlugin: NOT, then AND, then OR, then the rest).
_INFIX = {"AND": query.And, "OR": query.Or}
# What ends a word: white space, a parenthesis (the parser's groups), or < or >: the
# parser cuts words there, and drops the sign unless it follows a field's name (``a:>3``,
# a range; a query with a colon never comes here), so ``INC <AIG>`` is ``INC AIG``.
_BREAK = re.compile(r"\s+|[()<>]")
# What makes a query's words more than words split at white space: groups, and the
# signs the parser cuts words at.
_GROUPING = re.compile(r"[()<>]")
# A query's words, in nested lists where the query has parentheses.
_Words = list["str | _Words"]


class _Infix(str):
    """``AND`` or ``OR`` where the parser reads it as an operator: with white space on
    both sides (a word elsewhere, such as at the start or before a parenthesis)."""


@attrs.define
class _Group:
    """A node of the parser's syntax tree that groups others: a word's OR over its
    fields, a pair of parentheses, or an operator's two sides; ``kind`` is the query
    it becomes (``Or`` or ``And``) and ``parts`` are field queries or groups.  A group in
    parentheses never takes an operator's right side in (``query._Parenthesized``)."""

    kind: type[query.Query]
    parts: list[Any]
    merges: bool = True

    def query(self) -> query.Query:
        return self.kind([p.query() if isinstance(p, _Group) else p for p in self.parts])


# (field object, word, removestops) -> the word's runs of terms.  The field is kept in
# the value and compared by identity, so a reused ``id`` never returns another's runs.
_RUNS: dict[tuple[int, str, bool], tuple[Any, tuple[tuple[str, ...], ...]]] = {}
_RUNS_MAX = 50_000


@attrs.frozen
class Parsing:
    """What query text is read against, on either road: the index's ``schema``, the
    ``operator`` that joins words, the fields bare ``words`` search (with their boosts),
    and the ``synonyms`` whose rules widen them."""

    schema: Schema
    operator: Operator
    words: Mapping[str, float]
    synonyms: Synonyms | None = None


def plain_words(text: str) -> _Words | None:
    """The words of ``text`` in its groups (a list in the list for each pair of
    parentheses), as the parser's tagger cuts them, its operators as :class:`_Infix`;
    ``None`` unless ``text`` is only words, balanced parentheses, and ``AND`` and ``OR``
    between two words or groups."""
    if _SYNTAX.search(text):
        return None
    stack: list[_Words] = [[]]
    at = 0
    spaced = False  # the word now ending follows white space
    for m in _BREAK.finditer(text):
        if m.start() > at:
            word = text[at : m.start()]
            if word in _INFIX and spaced and m.group()[0] not in "()<>":
                word = _Infix(word)
            stack[-1].append(word)
        spaced = m.group()[0] not in "()<>"
        at = m.end()
        if m.group() == "(":
            stack.append([])
        elif m.group() == ")":
            if len(stack) == 1:
                return None
            inner = stack.pop()
            stack[-1].append(inner)
    if at < len(text):
        stack[-1].append(text[at:])
    if len(stack) > 1:
        return None
    top = stack[0]
    if any(w in _OPERATORS and not isinstance(w, _Infix) for w in _flat(top)):
        return None
    if not _operands_around(top):
        return None
    # The parser takes a query that is one group, and nothing else, as that group.
    if len(top) == 1 and isinstance(top[0], list) and text[0] == "(" and text[-1] == ")":
        top = top[0]
    return top


def _operands_around(words: _Words) -> bool:
    """Whether every operator in ``words`` (and its groups) stands between two words or
    groups; the parser drops one at a group's edge and nests a pair oddly, so a query
    with those is left to it."""
    for i, w in enumerate(words):
        if isinstance(w, list) and not _operands_around(w):
            return False
        if isinstance(w, _Infix) and (i in (0, len(words) - 1) or isinstance(words[i + 1], _Infix)):
            return False
    return True


def _join(nodes: list[Any]) -> list[Any]:
    """``nodes`` (groups and operators) with each operator and its two sides made one
    group, as Whoosh's ``InfixOperator.replace_self`` makes them: the ANDs first, left
    to right, then the ORs; a left side that is already a group of the operator's kind
    (a word's OR over its fields, for ``OR``; not one in parentheses) takes the right
    side in."""
    for name, kind in _INFIX.items():
        i = 0
        while i < len(nodes):
            if not (isinstance(nodes[i], _Infix) and nodes[i] == name):
                i += 1
                continue
            left, right = nodes[i - 1], nodes[i + 1]
            if isinstance(left, _Group) and left.merges and left.kind is kind:
                left.parts.append(right)
                del nodes[i : i + 2]
            else:
                nodes[i - 1 : i + 2] = [_Group(kind, [left, right])]
    return nodes


def _flat(words: _Words) -> list[str]:
    out: list[str] = []
    for w in words:
        out.extend(_flat(w) if isinstance(w, list) else [w])
    return out


def word_runs(field: Any, text: str, removestops: bool = True) -> tuple[tuple[str, ...], ...]:
    """The terms ``field``'s analyzer makes of the query word ``text``, in runs: terms
    whose characters touch in ``text`` (``Tet1``: ``tet``, ``1``) form one run, terms
    split by punctuation (``IL-6``) separate runs."""
    key = (id(field), text, removestops)
    found = _RUNS.get(key)
    if found is not None and found[0] is field:
        return found[1]
    runs: list[list[str]] = []
    end = -1
    for t in field.tokenize(text, mode="query", chars=True, removestops=removestops):
        if runs and t.startchar == end:
            runs[-1].append(t.text)
        else:
            runs.append([t.text])
        end = t.endchar
    out = tuple(tuple(r) for r in runs)
    if len(_RUNS) >= _RUNS_MAX:
        _RUNS.clear()
    _RUNS[key] = (field, out)
    return out


def word_query(
    field: Any,
    fieldname: str,
    text: str,
    group: type[query.Query],
    boost: float = 1.0,
    removestops: bool = True,
    termclass: Any = query.Term,
) -> query.Query | None:
    """The query for one word in a text field: a term per run of one term, a phrase per
    run of several, joined by ``group`` (``Or`` or ``And``); ``None`` for a stop word."""
    parts = [
        termclass(fieldname, r[0], boost=boost)
        if len(r) == 1
        else query.Phrase(fieldname, list(r), boost=boost)
        for r in word_runs(field, text, removestops)
    ]
    if len(parts) <= 1:
        return parts[0] if parts else None
    return group(parts)


def flat_words_query(text: str, parsing: Parsing) -> query.Query | None:
    """The query the parser's road ends in (repeats summed, normalised) for the commonest
    query, built without the tree: words and nothing else (no parentheses, no ``AND`` or
    ``OR``) joined by OR, searched in one text field, with no synonyms.  ``None`` for
    any other.

    The tree would be an OR of each word's OR of one field's query; normalising flattens
    it into an OR of the words' terms and phrases, in order, a repeated term once with
    the sum of its boosts, a repeated phrase once.  Built so directly it takes a third of
    the time (27 us a SciFact claim against 69).
    """
    if parsing.operator != "or" or parsing.synonyms or len(parsing.words) != 1:
        return None
    if _SYNTAX.search(text) or _GROUPING.search(text):
        return None
    words = text.split()  # the parser's cuts, at white space only without ( ) < >
    if _OPERATORS.intersection(words):
        return None
    ((name, boost),) = parsing.words.items()
    schema = parsing.schema
    if name not in schema or not boost > 0:
        return None
    field = schema[name]
    if not isinstance(field, fields.TEXT) or field.self_parsing():
        return None
    out: list[query.Query] = []
    terms: dict[str, query.Term] = {}
    phrases: set[tuple[str, ...]] = set()
    for word in words:
        for run in word_runs(field, word):
            if len(run) > 1:
                if run not in phrases:
                    phrases.add(run)
                    out.append(query.Phrase(name, list(run), boost=boost))
            elif run[0] in terms:
                terms[run[0]].boost += boost
            else:
                out.append(terms.setdefault(run[0], query.Term(name, run[0], boost=boost)))
    if not out:
        return query.NullQuery
    return out[0] if len(out) == 1 else query.Or(out)


def plain_words_query(text: str, parsing: Parsing) -> query.Query | None:
    """The parser's tree for ``text`` before it is normalised, if ``text`` is plain words
    (in parentheses or not) searched in text fields; ``None`` when the parser must read
    it (other syntax, a word a synonyms rule names, or a field that parses its own
    queries)."""
    found = plain_words(text)
    if found is None:
        return None
    schema, synonyms = parsing.schema, parsing.synonyms
    if synonyms:
        # Conservative: a rule matching across parentheses also sends the query to the
        # parser, which matches within a group only; so does any operator.
        tokens = _flat(found)
        if any(isinstance(t, _Infix) for t in tokens):
            return None
        if any(synonyms.match(tokens[i:]) for i in range(len(tokens))):
            return None
    targets = []
    for name, boost in parsing.words.items():
        if name not in schema or not boost > 0:  # the parser refuses a boost of 0 or less
            return None
        field = schema[name]
        if not isinstance(field, fields.TEXT) or field.self_parsing():
            return None
        targets.append((field, name, boost))
    group: type[query.Query] = query.And if parsing.operator == "and" else query.Or

    def tree(items: _Words) -> _Group:
        out: list[Any] = []
        for item in items:
            if isinstance(item, list):
                out.append(attrs.evolve(tree(item), merges=False))
            elif isinstance(item, _Infix):
                out.append(item)
            else:
                per_field = []
                for field, name, boost in targets:
                    q = word_query(field, name, item, group, boost)
                    if q is not None:
                        per_field.append(q)
                out.append(_Group(query.Or, per_field))
        return _Group(group, _join(out))

    return tree(found).query()
