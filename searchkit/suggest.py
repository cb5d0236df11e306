"""Did you mean: corrected queries for words the index does not hold, or rarely.

:func:`suggestions` proposes corrected whole queries when a query word is absent from the
index or rare in it.  Words are compared as ``typos.py`` compares them (a transposition of
two neighbouring letters is one edit).  Ordinary queries pay one document-frequency
look-up per word, and each word's corrections are remembered for the searcher (its index
does not change).  A word no language of the index holds is corrected in English and in
each other language it holds, in that language's analysis and body field.  Its work is
bounded (docs/errors.md#query-limits): words longer than :data:`MAX_WORD_LETTERS` are
left as typed, at most ``max_suggest_words`` words of a query are looked at, and at most
``max_suggest_candidates`` candidates (one-edit variants looked up or analysed, index
words compared) are tried in all, within the search's time budget.  What is cut short is
said in :attr:`Suggestions.cut`.
"""

from __future__ import annotations

import itertools
import math
import re
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

import attrs
from whoosh.searching import Searcher
from whoosh.support.levenshtein import damerau_levenshtein

from . import _colcache
from ._limits import Deadline, QueryLimits
from ._plainquery import TYPOGRAPHIC_QUOTES
from .analysis import index_term, unbracketed, word_part_pattern
from .analysis._marks import MARKS
from .analysis.languages import CJK, analysis_for, body_field
from .schema import TEXT_FIELDS
from .typos import segment_readers, transpositions

__all__ = [
    "Absent",
    "MAX_SUGGESTIONS",
    "MAX_WORD_LETTERS",
    "RARE_DF",
    "RARE_FACTOR",
    "Suggestions",
    "corrected_over",
    "corrected_query",
    "suggestions",
]

_T = TypeVar("_T")

# A word in at most this many paragraphs is rare: suggestions are looked for.
RARE_DF = 2
# A rare word's correction must be in this many times as many paragraphs.
RARE_FACTOR = 5
MAX_SUGGESTIONS = 3
# Longer words are not corrected: no typo of a word is that long, and each letter adds
# about 55 one-edit variants to try.
MAX_WORD_LETTERS = 30
# Letters an edit may insert or substitute, besides the word's own.
_ALPHABET = "abcdefghijklmnopqrstuvwxyz"
# A word the user typed: four letters or more, not a field name, a field's value, a
# wildcard, a fuzzy term, an escaped character, part of a contraction or of a hyphenated
# word (often a code or a compound the index splits), nor a word with combining marks
# (decomposed text, Hindi): a run of letters between marks is no word of its own.
_WORD = re.compile(
    rf"(?<![\w:*?~\\'\u2019{MARKS}])(?<!\w-)[^\W\d_]{{4,}}(?![\w:*?~'\u2019{MARKS}])(?!-\w)"
)
# Paragraphs tried to find how a suggested term is written.
_SURFACE_DOCS = 3
# How often (in candidates) the time budget is looked at.
_CLOCK_EVERY = 256
_OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"})
# Each query word's corrections and the candidates they took, per searcher: a searcher's
# index never changes, so what a word is corrected to is worked out once (and charged
# the same each time, so a query's suggestions do not depend on what was asked before).
_Found = list[tuple[str, int]]
_CORRECTED: weakref.WeakKeyDictionary[Searcher, dict[str, tuple[_Found, bool, int]]] = (
    weakref.WeakKeyDictionary()
)
# A quoted phrase, its words searched as typed: between straight or typographic double
# quotes, as the parser reads them (query.py).
_QUOTES = f'"{TYPOGRAPHIC_QUOTES}'
_QUOTED = re.compile(f"[{_QUOTES}][^{_QUOTES}]*[{_QUOTES}]")
_CORRECTED_MAX = 20_000


# A query word no paragraph holds: its (start, end) in the query and its corrections
# (word, paragraphs holding it), most common first.
Absent = tuple[int, int, tuple[tuple[str, int], ...]]


@attrs.frozen
class Suggestions:
    """Corrected whole queries, most likely first, and ``cut``: the limit that stopped
    the search for them early (``max_suggest_words``, ``max_suggest_candidates`` or
    ``timeout``), or ``""`` when every word was looked at in full.

    ``absent`` lists the words looked at that no paragraph holds (outside quotes), each
    with its corrections: what :func:`corrected_query` searches instead."""

    queries: tuple[str, ...] = ()
    cut: str = ""
    absent: tuple[Absent, ...] = ()


def corrected_query(text: str, absent: Iterable[Absent]) -> str:
    """``text`` with each absent word replaced by its most common correction one edit
    away (a swap of neighbours counting one), or ``""`` when there is none to replace.

    Corrections two edits away are only suggested: a word the collection does not use
    (``folder`` where the pages say ``directory``) is two edits from many that it does."""
    pieces: list[str] = []
    at = 0
    for start, end, found in sorted(absent):
        typed = text[start:end]
        near = [w for w, _n in found if damerau_levenshtein(typed.lower(), w, limit=1) <= 1]
        if near:
            pieces += [text[at:start], _same_case(typed, near[0])]
            at = end
    return "".join([*pieces, text[at:]]) if pieces else ""


def corrected_over(text: str, parts: Sequence[Suggestions]) -> str:
    """:func:`corrected_query` over several indexes searched as one: a word is absent
    when every part says so, and its correction is the one most paragraphs of all the
    parts hold."""
    if not parts:
        return ""
    spans = set.intersection(*({(a[0], a[1]) for a in p.absent} for p in parts))
    merged: list[Absent] = []
    for start, end in sorted(spans):
        counts: dict[str, int] = {}
        for p in parts:
            for a in p.absent:
                if (a[0], a[1]) == (start, end):
                    for word, n in a[2]:
                        counts[word] = counts.get(word, 0) + n
        ranked = sorted(counts.items(), key=lambda c: (-c[1], c[0]))
        merged.append((start, end, tuple(ranked)))
    return corrected_query(text, merged)


class _SpentError(Exception):
    """The suggestion budget ran out (the limit's name in ``args[0]``)."""


class _Budget:
    """The candidates a query's suggestions may still try, and the search's deadline."""

    def __init__(self, candidates: int, deadline: Deadline | None) -> None:
        self.limit = candidates
        self.deadline = deadline
        self.used = 0
        self._clock_at = 0

    def spend(self, n: int = 1) -> None:
        """Count ``n`` candidates; raise :class:`_SpentError` past the limit or the deadline."""
        self.used += n
        if self.used > self.limit:
            raise _SpentError("max_suggest_candidates")
        if self.deadline is not None and self.used >= self._clock_at:
            self._clock_at = self.used + _CLOCK_EVERY
            if self.deadline.passed():
                raise _SpentError("timeout")

    def each(self, items: Iterable[_T]) -> Iterator[_T]:
        """``items``, one candidate spent on each."""
        for item in items:
            self.spend()
            yield item


def suggestions(
    searcher: Searcher,
    text: str,
    limit: int = MAX_SUGGESTIONS,
    *,
    limits: QueryLimits | None = None,
    deadline: Deadline | None = None,
) -> Suggestions:
    """Up to ``limit`` corrections of the whole query ``text``, most likely first.

    A word is corrected when it is absent from the searched text (``body``) or in at
    most :data:`RARE_DF` paragraphs; its corrections are the words one edit away (a
    transposition counting one) whose index term is in the index, or, if there are
    none, the index's words two edits away from its stem; a rare word's correction must
    be :data:`RARE_FACTOR` times as common.  Corrections rank by how many paragraphs
    hold them, a query by the product over its corrected words.  Only words of four
    to :data:`MAX_WORD_LETTERS` letters, in lower case or capitalised, are corrected:
    acronyms, codes, hyphenated words, field names, wildcards, fuzzy terms, numbers and
    stop words are left as they are, and so is a word another language of the index
    holds (``Sommer`` found in German paragraphs).

    ``limits`` (default :meth:`QueryLimits.from_env`) bound the work: the first
    ``max_suggest_words`` such words are looked at, and ``max_suggest_candidates``
    candidates are tried in all; the search for corrections also stops when
    ``deadline`` passes.  What was found until then is offered, and ``cut`` names what
    stopped it.
    """
    limits = QueryLimits.from_env() if limits is None else limits
    budget = _Budget(limits.max_suggest_candidates, deadline)
    options: list[tuple[int, int, list[tuple[str, int]]]] = []
    absent: list[Absent] = []
    quoted = [m.span() for m in _QUOTED.finditer(text)]
    known = _CORRECTED.get(searcher)
    if known is None:
        known = _CORRECTED[searcher] = {}
    cut = ""
    try:
        if deadline is not None and deadline.passed():
            raise _SpentError("timeout")
        for n, m in enumerate(_WORD.finditer(text)):
            if n == limits.max_suggest_words:
                raise _SpentError("max_suggest_words")
            word = m.group()
            if len(word) > MAX_WORD_LETTERS:
                continue
            remembered = known.get(word)
            if remembered is None:
                before = budget.used
                found, missing = _word_corrections(searcher, word, budget)
                if len(known) >= _CORRECTED_MAX:
                    known.clear()
                known[word] = (found, missing, budget.used - before)
            else:
                found, missing, cost = remembered
                budget.spend(cost)
            if found:
                options.append((m.start(), m.end(), found))
            negated = text[m.start() - 1 : m.start()] == "-"
            if missing and not negated and not any(a <= m.start() < b for a, b in quoted):
                absent.append((m.start(), m.end(), tuple(found)))
    except _SpentError as spent:
        cut = str(spent.args[0])
    return Suggestions(_whole_queries(text, options, limit), cut, tuple(absent))


def _whole_queries(
    text: str, options: list[tuple[int, int, list[tuple[str, int]]]], limit: int
) -> tuple[str, ...]:
    """The ``limit`` likeliest ways to pick one correction for each corrected word.

    The best ``limit`` picks are kept word by word (a beam): a query's score adds up
    over its words, so a pick among the best overall extends one of the best so far,
    and ties keep the order of picks word by word, as one sort over every pick would.
    """
    if not options:
        return ()
    beam: list[tuple[float, tuple[int, ...]]] = [(0.0, ())]
    for _start, _end, found in options:
        grown = [
            (score - math.log(df), (*picked, i))
            for score, picked in beam
            for i, (_w, df) in enumerate(found[:limit])
        ]
        beam = sorted(grown)[:limit]
    out: list[str] = []
    for _score, picked in beam:
        pieces: list[str] = []
        at = 0
        for (start, end, found), i in zip(options, picked, strict=True):
            pieces += [text[at:start], _same_case(text[start:end], found[i][0])]
            at = end
        out.append("".join([*pieces, text[at:]]))
    return tuple(out)


def _word_corrections(searcher: Searcher, word: str, budget: _Budget) -> tuple[_Found, bool]:
    """The corrections :func:`suggestions` offers for one query word (none for a word it
    leaves as it is), and whether no paragraph holds the word."""
    if word in _OPERATORS or word[1:] != word[1:].lower():  # acronyms, mixed case
        return [], False
    budget.spend()
    term = index_term(word)
    if term is None:
        return [], False
    field = next(iter(TEXT_FIELDS))
    df = _frequency(searcher, field, term)
    if df > RARE_DF:
        return [], False
    languages = _other_languages(searcher)
    if _in_another_language(searcher, word, languages):
        return [], False
    found = _corrections(searcher, field, word, term, df, max(1, df * RARE_FACTOR), budget)
    if df == 0:  # and no other language holds it either: its corrections in each
        others = _in_other_languages(searcher, word, budget, languages)
        if others:
            found = _closest(word.lower(), found + others)
    return found, df == 0


def _other_languages(searcher: Searcher) -> dict[str, str]:
    """The body field of each language the index holds but English, with a language it
    is the field of (several share ``body_other``)."""
    schema = searcher.schema
    if "language" not in schema:
        return {}
    fields: dict[str, str] = {}
    for code in searcher.reader().lexicon("language"):
        language = code.decode("utf-8") if isinstance(code, bytes) else str(code)
        field = body_field(language)
        if field != next(iter(TEXT_FIELDS)) and field in schema:
            fields.setdefault(field, language)
    return fields


def _in_another_language(searcher: Searcher, word: str, languages: dict[str, str]) -> bool:
    """Whether ``word``, analysed as each of ``languages`` (:func:`_other_languages`)
    analyses it, is in that language's text: a German word found in German paragraphs is
    no English typo."""
    for field, language in languages.items():
        analysis = analysis_for(language)
        for part in word_part_pattern(word).findall(word):
            if any(searcher.doc_frequency(field, t) for t, _s, _e in analysis.terms(part)):
                return True
    return False


def _in_other_languages(
    searcher: Searcher, word: str, budget: _Budget, languages: dict[str, str]
) -> _Found:
    """The corrections of ``word`` in each of ``languages``: read in that language's
    analysis and looked for in its body field (not Chinese, Japanese and Korean, whose
    text is read as pairs of characters)."""
    found: _Found = []
    for field, language in languages.items():
        if language in CJK:
            continue
        term_of = _single_term(language)
        term = term_of(word)
        if term is not None:  # not one of the language's stop words
            found += _corrections(searcher, field, word, term, 0, 1, budget, term_of)
    return found


def _single_term(language: str) -> Callable[[str], str | None]:
    """The index term ``language``'s analysis makes of a word, ``None`` for a stop word."""
    analysis = analysis_for(language)

    def term_of(word: str) -> str | None:
        terms = analysis.terms(word)
        return terms[0][0] if len(terms) == 1 else None

    return term_of


def _closest(typed: str, found: _Found) -> _Found:
    """The :data:`MAX_SUGGESTIONS` words of ``found`` (corrections in several languages)
    fewest edits from ``typed`` first, then those in the most paragraphs (a word found
    in several languages counts the paragraphs of each)."""
    counts: dict[str, int] = {}
    for word, n in found:
        counts[word] = counts.get(word, 0) + n
    ranked = sorted(counts.items(), key=lambda c: (damerau_levenshtein(typed, c[0]), -c[1], c[0]))
    return ranked[:MAX_SUGGESTIONS]


def _corrections(
    searcher: Searcher,
    field: str,
    word: str,
    term: str,
    df: int,
    least: int,
    budget: _Budget,
    term_of: Callable[[str], str | None] = index_term,
) -> list[tuple[str, int]]:
    """Corrections of ``word`` (as words, with their paragraph counts), most common first.

    First the index terms one edit from ``word``'s term (a term-dictionary look-up
    each, cheap enough for every rare word); for a word absent from the index also
    the words one edit from ``word`` as typed (``prisner`` -> ``prisoner``, whose stems
    differ more), then the terms two edits away.  Every variant and every index word
    compared is one candidate of ``budget``.  ``term_of`` is the analysis of the field's
    language (English's by default).
    """
    reader = searcher.reader()
    if field not in reader.schema:
        return []
    lower = word.lower()
    stems = _in_index(reader, field, list(budget.each(_edits(term))))
    if not stems and df == 0:
        analysed = map(term_of, budget.each(_edits(lower)))
        stems = _in_index(reader, field, [t for t in analysed if t is not None])
        if not stems and len(term) >= 4:
            stems = _two_edits(reader, field, term, budget)
    stems.discard(term)
    counted = [(t, _frequency(searcher, field, t)) for t in sorted(stems)]
    ranked = sorted(((t, n) for t, n in counted if n >= least), key=lambda p: (-p[1], p[0]))
    out: list[tuple[str, int]] = []
    for t, n in ranked[:MAX_SUGGESTIONS]:
        surface = _surface(searcher, field, t, lower, term_of)
        if surface is not None and surface != lower:
            out.append((surface, n))
    return out


def _in_index(reader: Any, field: str, terms: list[str]) -> set[str]:
    """Those of ``terms`` that some segment of ``reader`` holds in ``field``: from the
    segment's columns where a query has opened them (a look-up of every term at once),
    else Whoosh's term table (a read of its file a term, and a rare word has a few
    hundred candidates)."""
    left = {t.encode("utf-8"): t for t in terms}
    found: set[str] = set()
    for leaf in segment_readers(reader):
        if not left:
            break
        keys = list(left)
        cols = _colcache.opened(leaf, field)
        if cols is not None:
            held = cols.has_terms(keys)
        else:
            held = [(field, left[k]) in leaf for k in keys]
        found.update(left.pop(k) for k, h in zip(keys, held, strict=True) if h)
    return found


def _frequency(searcher: Searcher, field: str, term: str) -> int:
    """``searcher.doc_frequency(field, term)``: the postings in each segment's columns
    where a query has opened them all (each term checked against Whoosh on first use,
    as a search checks it), else Whoosh's term information."""
    key = term.encode("utf-8")
    total = 0
    for leaf in segment_readers(searcher.reader()):
        cols = _colcache.opened(leaf, field)
        if cols is None:
            return int(searcher.doc_frequency(field, term))
        try:
            found = cols.postings(leaf, key)
        except _colcache.DamagedError:  # a search rebuilds them; Whoosh answers meanwhile
            return int(searcher.doc_frequency(field, term))
        total += 0 if found is None else len(found[0])
    return total


def _prefixed(leaf: Any, field: str, prefix: str) -> Iterable[bytes]:
    """``leaf.expand_prefix(field, prefix)``: from the segment's columns where a query
    has opened them (a term file read a key at a time took 15 ms a word on SciFact)."""
    cols = _colcache.opened(leaf, field)
    if cols is None:
        return leaf.expand_prefix(field, prefix)  # type: ignore[no-any-return]
    return cols.terms_from(prefix.encode("utf-8"))


def _two_edits(reader: Any, field: str, term: str, budget: _Budget) -> set[str]:
    """The terms at most two edits from ``term`` that share its first letter.

    The index words sharing its first two letters are compared first (most
    corrections do), then the rest of those sharing its first letter, each segment's
    term dictionary read in order, one candidate each: on an index of a million words
    the budget ends the walk, not the vocabulary.  A word whose letters differ from the
    term's in more than four (two edits change at most four) is passed over unmeasured.
    """
    out: set[str] = set()
    letters = set(term)
    lo, hi = len(term) - 2, len(term) + 2
    for prefix, skip in ((term[:2], None), (term[:1], term[:2])):
        for leaf in segment_readers(reader):
            if field not in leaf.schema:
                continue
            for raw in _prefixed(leaf, field, prefix):
                w = raw.decode("utf-8")
                if skip is not None and w.startswith(skip):
                    continue  # compared already
                budget.spend()
                if (
                    lo <= len(w) <= hi
                    and len(letters.symmetric_difference(w)) <= 4
                    and damerau_levenshtein(term, w, limit=2) <= 2
                ):
                    out.add(w)
    return out


def _edits(word: str) -> Iterable[str]:
    """Every string one edit from ``word``: swaps of neighbours, substitutions,
    insertions and deletions, in that order."""
    letters = _ALPHABET + "".join(sorted(set(word) - set(_ALPHABET)))
    yield from transpositions(word, 0)
    for i in range(len(word)):
        for c in letters:
            if c != word[i]:
                yield word[:i] + c + word[i + 1 :]
    for i in range(len(word) + 1):
        for c in letters:
            yield word[:i] + c + word[i:]
    for i in range(len(word)):
        yield word[:i] + word[i + 1 :]


def _surface(
    searcher: Searcher,
    field: str,
    term: str,
    typed: str,
    term_of: Callable[[str], str | None] = index_term,
) -> str | None:
    """A word whose index term is ``term``, as written (lower-cased) in the first
    paragraphs holding it, and at most two edits from what was ``typed``: the closest
    (``contianer`` may become ``containers``, never ``container`` unless it is written)."""
    forms: dict[str, int] = {}
    for docnum in itertools.islice(searcher.postings(field, term).all_ids(), _SURFACE_DOCS):
        stored = searcher.stored_fields(docnum)
        for source in (stored.get("title", ""), stored.get("text", "")):
            for part in word_part_pattern(source).findall(source):
                if term_of(part) == term:
                    form = unbracketed(part).lower()
                    forms[form] = forms.get(form, 0) + 1
        if any(damerau_levenshtein(typed, f, limit=1) <= 1 for f in forms):
            break  # no other form can be closer
    close = [f for f in forms if damerau_levenshtein(typed, f, limit=2) <= 2]
    return min(close, key=lambda f: (damerau_levenshtein(typed, f), -forms[f], f), default=None)


def _same_case(typed: str, word: str) -> str:
    if typed.isupper() and len(typed) > 1:
        return word.upper()
    if typed[:1].isupper():
        return word[:1].upper() + word[1:]
    return word
