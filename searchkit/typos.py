"""Typos: fuzzy terms that forgive a swapped pair of letters, and "did you mean".

Both look words up in the index's own vocabulary, by edit distance counting a
transposition of two neighbouring letters as one edit (optimal string alignment, the
Damerau-Levenshtein distance Whoosh's ``damerau_levenshtein`` computes).  Whoosh's
fuzzy terms use a Levenshtein automaton, where ``dokcer`` is two edits from ``docker``.

``word~`` parses to a :class:`DamerauFuzzyTerm`, whose words the query limits count
(``_limits.py``); :func:`expand_fuzzy` then turns it into those words, before the query
runs.  The word itself keeps its full score; the variants are
scaled down together so that a paragraph holding only variants never outscores one
holding the word (``kubectl~`` puts ``kubectl`` first, however rare a variant is).

:func:`suggest` proposes corrected whole queries when a query word is absent from the
index or rare in it.  Ordinary queries pay one document-frequency look-up per word, and
each word's corrections are remembered for the searcher (its index does not change).
"""

from __future__ import annotations

import itertools
import math
import re
import weakref
from collections.abc import Iterable, Iterator
from typing import Any

from whoosh import query as wq
from whoosh.searching import Searcher
from whoosh.support.levenshtein import damerau_levenshtein

from . import _whoosh
from ._topk import match_scores
from .analysis import WORD_PARTS, index_term
from .schema import TEXT_FIELDS

__all__ = [
    "DamerauFuzzyTerm",
    "MAX_SUGGESTIONS",
    "RARE_DF",
    "RARE_FACTOR",
    "expand_fuzzy",
    "suggest",
    "terms_within",
]

# A word in at most this many paragraphs is rare: suggestions are looked for.
RARE_DF = 2
# A rare word's correction must be in this many times as many paragraphs.
RARE_FACTOR = 5
MAX_SUGGESTIONS = 3
# Variants score at most this share of the weakest exact match.
_VARIANT_SHARE = 0.99
# Letters an edit may insert or substitute, besides the word's own.
_ALPHABET = "abcdefghijklmnopqrstuvwxyz"
# A word the user typed: four letters or more, not a field name, a field's value, a
# wildcard, a fuzzy term, an escaped character, part of a contraction or of a hyphenated
# word (often a code or a compound the index splits).
_WORD = re.compile(r"(?<![\w:*?~\\'\u2019])(?<!\w-)[^\W\d_]{4,}(?![\w:*?~'\u2019])(?!-\w)")
_PARTS = re.compile(WORD_PARTS)
# Paragraphs tried to find how a suggested term is written.
_SURFACE_DOCS = 3
_VOCABULARIES: weakref.WeakKeyDictionary[Searcher, dict[str, _Vocabulary]] = (
    weakref.WeakKeyDictionary()
)
_OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"})
# Each query word's corrections, per searcher: a searcher's index never changes, so what
# a word is corrected to (by edit distance over the vocabulary) is worked out once.
_CORRECTED: weakref.WeakKeyDictionary[Searcher, dict[str, list[tuple[str, int]]]] = (
    weakref.WeakKeyDictionary()
)
_CORRECTED_MAX = 20_000


class DamerauFuzzyTerm(wq.FuzzyTerm):  # type: ignore[misc]
    """Whoosh's fuzzy term, with a transposition of neighbouring letters counted as one
    edit (``dokcer~`` finds docker).  What ``word~`` parses to."""

    def _btexts(self, ixreader: Any) -> Iterator[bytes]:
        words: set[str] = set()
        for reader in _segments(ixreader):
            words.update(
                _segment_terms(reader, self.fieldname, self.text, self.maxdist, self.prefixlength)
            )
        field = ixreader.schema[self.fieldname]
        return iter(sorted(field.to_bytes(w) for w in words))


def terms_within(
    searcher: Searcher, field: str, text: str, maxdist: int, prefix: int = 0
) -> dict[str, int]:
    """Words of ``field`` within ``maxdist`` edits of ``text`` (a transposition is one
    edit), sharing its first ``prefix`` characters: word -> distance."""
    found: set[str] = set()
    for reader in _segments(searcher.reader()):
        found.update(_segment_terms(reader, field, text, maxdist, prefix))
    return {w: damerau_levenshtein(text, w) for w in found}


def _segments(reader: Any) -> list[Any]:
    """Each segment's reader: Whoosh's multi-segment reader would compare every word of
    a field in Python, a segment's walks its term index with an automaton."""
    return [reader] if reader.is_atomic() else [r for r, _ in reader.leaf_readers()]


def _segment_terms(reader: Any, field: str, text: str, maxdist: int, prefix: int) -> set[str]:
    """Whoosh's automaton finds the words within ``maxdist`` insertions, deletions and
    substitutions; a transposition is tried as one edit by looking up each swapped form
    of ``text`` with one edit fewer.  Only words within ``maxdist`` of ``text`` by
    :func:`damerau_levenshtein` are kept."""
    if field not in reader.schema or reader.doc_count_all() == 0:
        return set()
    found = set(reader.terms_within(field, text, maxdist, prefix=prefix))
    for form in _transpositions(text, prefix) if maxdist >= 1 else ():
        if maxdist == 1:
            if (field, form) in reader:
                found.add(form)
        else:
            found.update(reader.terms_within(field, form, maxdist - 1, prefix=prefix))
    return {w for w in found if damerau_levenshtein(text, w, limit=maxdist) <= maxdist}


def _transpositions(text: str, prefix: int) -> list[str]:
    return [
        text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        for i in range(prefix, len(text) - 1)
        if text[i] != text[i + 1]
    ]


def expand_fuzzy(q: wq.Query, searcher: Searcher) -> wq.Query:
    """``q`` with each fuzzy term replaced by the OR of the words it matches.

    The exact word keeps its boost.  When it is in the index, the variants share one
    factor chosen so that the most any paragraph gains from them is below the least a
    paragraph gains from the exact word: an exact match always ranks above a paragraph
    with variants only, other query words being equal.  Queries without fuzzy terms
    come back unchanged.
    """
    if isinstance(q, wq.FuzzyTerm):
        return _expand(q, searcher)
    if not _has_fuzzy(q):
        return q
    return q.apply(lambda child: expand_fuzzy(child, searcher))


def _has_fuzzy(q: wq.Query) -> bool:
    return isinstance(q, wq.FuzzyTerm) or any(_has_fuzzy(c) for c in q.children())


def _expand(q: wq.FuzzyTerm, searcher: Searcher) -> wq.Query:
    # The term's own expansion: the words the query limits counted, read once.
    field = searcher.schema[q.fieldname]
    found = (field.from_bytes(b) for b in _whoosh.expanded_bytes(q, searcher.reader()))
    words = {w: damerau_levenshtein(q.text, w) for w in found}
    if not words:
        return q  # matches nothing, as Whoosh's would
    exact = q.text if words.get(q.text) == 0 else None
    variants = sorted((w for w in words if w != exact), key=lambda w: (words[w], w))
    share = 1.0
    if exact is not None and variants:
        name = q.fieldname
        try:
            exact_scores = match_scores(searcher, wq.Term(name, exact))
            variant_scores = match_scores(searcher, wq.Or([wq.Term(name, w) for w in variants]))
        except ValueError:  # a field or weighting scored only by Whoosh's collector
            exact_scores = variant_scores = []
        if exact_scores and variant_scores:
            share = min(1.0, _VARIANT_SHARE * min(exact_scores) / max(variant_scores))
    terms = [wq.Term(q.fieldname, w, boost=q.boost * share) for w in variants]
    if exact is not None:
        terms.insert(0, wq.Term(q.fieldname, exact, boost=q.boost))
    return terms[0] if len(terms) == 1 else wq.Or(terms)


def suggest(searcher: Searcher, text: str, limit: int = MAX_SUGGESTIONS) -> tuple[str, ...]:
    """Up to ``limit`` corrections of the whole query ``text``, most likely first.

    A word is corrected when it is absent from the searched text (``body``) or in at
    most :data:`RARE_DF` paragraphs; its corrections are the words one edit away (a
    transposition counting one) whose index term is in the index, or, if there are
    none, the index's words two edits away from its stem; a rare word's correction must
    be :data:`RARE_FACTOR` times as common.  Corrections rank by how many paragraphs
    hold them, a query by the product over its corrected words.  Only words of four
    letters or more, in lower case or capitalised, are corrected: acronyms, codes,
    hyphenated words, field names, wildcards, fuzzy terms, numbers and stop words are
    left as they are.
    """
    options: list[tuple[int, int, list[tuple[str, int]]]] = []
    known = _CORRECTED.get(searcher)
    if known is None:
        known = _CORRECTED[searcher] = {}
    for m in _WORD.finditer(text):
        word = m.group()
        found = known.get(word)
        if found is None:
            found = _word_corrections(searcher, word)
            if len(known) >= _CORRECTED_MAX:
                known.clear()
            known[word] = found
        if found:
            options.append((m.start(), m.end(), found))
    if not options:
        return ()
    ranked = sorted(
        itertools.product(*(found[:limit] for _s, _e, found in options)),
        key=lambda picks: -sum(math.log(df) for _w, df in picks),
    )
    out: list[str] = []
    for picks in ranked[:limit]:
        pieces: list[str] = []
        at = 0
        for (start, end, _found), (word, _df) in zip(options, picks, strict=True):
            pieces += [text[at:start], _same_case(text[start:end], word)]
            at = end
        out.append("".join([*pieces, text[at:]]))
    return tuple(out)


def _word_corrections(searcher: Searcher, word: str) -> list[tuple[str, int]]:
    """The corrections :func:`suggest` offers for one query word (none for a word it
    leaves as it is)."""
    if word in _OPERATORS or word[1:] != word[1:].lower():  # acronyms, mixed case
        return []
    term = index_term(word)
    if term is None:
        return []
    field = next(iter(TEXT_FIELDS))
    df = searcher.doc_frequency(field, term)
    if df > RARE_DF:
        return []
    return _corrections(searcher, field, word, term, df, max(1, df * RARE_FACTOR))


def _corrections(
    searcher: Searcher, field: str, word: str, term: str, df: int, least: int
) -> list[tuple[str, int]]:
    """Corrections of ``word`` (as words, with their paragraph counts), most common first.

    First the index terms one edit from ``word``'s term (set look-ups in the field's
    vocabulary, cheap enough for every rare word); for a word absent from the index also
    the words one edit from ``word`` as typed (``prisner`` -> ``prisoner``, whose stems
    differ more), then the terms two edits away.
    """
    vocabulary = _vocabulary(searcher, field)
    lower = word.lower()
    stems = {e for e in _edits(term) if e in vocabulary}
    if not stems and df == 0:
        stems = {t for t in map(index_term, _edits(lower)) if t is not None and t in vocabulary}
        if not stems and len(term) >= 4:
            stems = _two_edits(vocabulary, term)
    stems.discard(term)
    counted = [(t, searcher.doc_frequency(field, t)) for t in stems]
    ranked = sorted(((t, n) for t, n in counted if n >= least), key=lambda p: (-p[1], p[0]))
    out: list[tuple[str, int]] = []
    for t, n in ranked[:MAX_SUGGESTIONS]:
        surface = _surface(searcher, field, t, lower)
        if surface is not None and surface != lower:
            out.append((surface, n))
    return out


class _Vocabulary(frozenset[str]):
    """A field's terms, and the same terms by first letter and length."""

    by_start: dict[tuple[str, int], list[str]]


def _vocabulary(searcher: Searcher, field: str) -> _Vocabulary:
    """Every term of ``field``, read once per searcher (an index's searcher is reused
    until the index changes)."""
    cached = _VOCABULARIES.setdefault(searcher, {})
    found = cached.get(field)
    if found is None:
        words = searcher.reader().lexicon(field) if field in searcher.schema else ()
        found = cached[field] = _Vocabulary(
            w.decode("utf-8") if isinstance(w, bytes) else str(w) for w in words
        )
        found.by_start = {}
        for w in found:
            found.by_start.setdefault((w[:1], len(w)), []).append(w)
    return found


def _two_edits(vocabulary: _Vocabulary, term: str) -> set[str]:
    """The terms at most two edits from ``term`` that share its first letter."""
    out: set[str] = set()
    for length in range(len(term) - 2, len(term) + 3):
        for w in vocabulary.by_start.get((term[:1], length), ()):
            if damerau_levenshtein(term, w, limit=2) <= 2:
                out.add(w)
    return out


def _edits(word: str) -> Iterable[str]:
    """Every string one edit from ``word``: swaps of neighbours, substitutions,
    insertions and deletions, in that order."""
    letters = _ALPHABET + "".join(sorted(set(word) - set(_ALPHABET)))
    yield from _transpositions(word, 0)
    for i in range(len(word)):
        for c in letters:
            if c != word[i]:
                yield word[:i] + c + word[i + 1 :]
    for i in range(len(word) + 1):
        for c in letters:
            yield word[:i] + c + word[i:]
    for i in range(len(word)):
        yield word[:i] + word[i + 1 :]


def _surface(searcher: Searcher, field: str, term: str, typed: str) -> str | None:
    """A word whose index term is ``term``, as written (lower-cased) in the first
    paragraphs holding it, and at most two edits from what was ``typed``: the closest
    (``contianer`` may become ``containers``, never ``container`` unless it is written)."""
    forms: dict[str, int] = {}
    for docnum in itertools.islice(searcher.postings(field, term).all_ids(), _SURFACE_DOCS):
        stored = searcher.stored_fields(docnum)
        for source in (stored.get("title", ""), stored.get("text", "")):
            for part in _PARTS.findall(source):
                if index_term(part) == term:
                    form = part.lower()
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
