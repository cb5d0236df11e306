"""Typos in fuzzy terms: ``word~`` forgives a swapped pair of letters.

Words are looked up in the index's own vocabulary, by edit distance counting a
transposition of two neighbouring letters as one edit (optimal string alignment, the
Damerau-Levenshtein distance Whoosh's ``damerau_levenshtein`` computes).  Whoosh's
fuzzy terms use a Levenshtein automaton, where ``dokcer`` is two edits from ``docker``.

``word~`` parses to a :class:`DamerauFuzzyTerm`, whose words the query limits count
(``_limits.py``); :func:`expand_fuzzy` then turns it into those words, before the query
runs.  The word itself keeps its full score; the variants are
scaled down together so that a paragraph holding only variants never outscores one
holding the word (``kubectl~`` puts ``kubectl`` first, however rare a variant is).

"Did you mean", which looks words up the same way, is ``suggest.py``'s.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from whoosh import query as wq
from whoosh.searching import Searcher
from whoosh.support.levenshtein import damerau_levenshtein

from . import _whoosh
from ._topk import match_scores

__all__ = ["DamerauFuzzyTerm", "expand_fuzzy", "segment_readers", "terms_within", "transpositions"]

# Variants score at most this share of the weakest exact match.
_VARIANT_SHARE = 0.99


class DamerauFuzzyTerm(wq.FuzzyTerm):  # type: ignore[misc]
    """Whoosh's fuzzy term, with a transposition of neighbouring letters counted as one
    edit (``dokcer~`` finds docker).  What ``word~`` parses to."""

    def _btexts(self, ixreader: Any) -> Iterator[bytes]:
        words: set[str] = set()
        for reader in segment_readers(ixreader):
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
    for reader in segment_readers(searcher.reader()):
        found.update(_segment_terms(reader, field, text, maxdist, prefix))
    return {w: damerau_levenshtein(text, w) for w in found}


def segment_readers(reader: Any) -> list[Any]:
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
    for form in transpositions(text, prefix) if maxdist >= 1 else ():
        if maxdist == 1:
            if (field, form) in reader:
                found.add(form)
        else:
            found.update(reader.terms_within(field, form, maxdist - 1, prefix=prefix))
    return {w for w in found if damerau_levenshtein(text, w, limit=maxdist) <= maxdist}


def transpositions(text: str, prefix: int) -> list[str]:
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
    boosts = _variant_boosts(searcher, q, variants, words)
    if exact is not None and variants:
        name = q.fieldname
        try:
            exact_scores = match_scores(searcher, wq.Term(name, exact))
            variant_scores = match_scores(
                searcher, wq.Or([wq.Term(name, w, boost=boosts[w]) for w in variants])
            )
        except ValueError:  # a field or weighting scored only by Whoosh's collector
            exact_scores = variant_scores = []
        if exact_scores and variant_scores:
            share = min(1.0, _VARIANT_SHARE * min(exact_scores) / max(variant_scores))
            boosts = {w: b * share for w, b in boosts.items()}
    terms = [wq.Term(q.fieldname, w, boost=q.boost * boosts[w]) for w in variants]
    if exact is not None:
        terms.insert(0, wq.Term(q.fieldname, exact, boost=q.boost))
    return terms[0] if len(terms) == 1 else wq.Or(terms)


def _variant_boosts(
    searcher: Searcher, q: wq.FuzzyTerm, variants: list[str], edits: dict[str, int]
) -> dict[str, float]:
    """Each variant's weight, as Lucene's fuzzy query weighs its words: scored with the
    idf of the most common word the term stands for (so a rare misspelling in the text,
    whose own idf is high, does not outrank the common word the query meant), and by its
    likeness, ``1 - edits / the shorter word's length``.  The idf is the searcher's
    weighting's own (every Whoosh weighting has one); a weighting without one leaves each
    variant's weight at 1."""
    idf = getattr(searcher.weighting, "idf", None)
    if idf is None or not variants:
        return dict.fromkeys(variants, 1.0)
    field = searcher.schema[q.fieldname]
    own = {w: idf(searcher, q.fieldname, field.to_bytes(w)) for w in edits}
    blended = min(own.values())  # the idf of the most common word
    out: dict[str, float] = {}
    for w in variants:
        likeness = max(0.0, 1.0 - edits[w] / max(1, min(len(w), len(q.text))))
        out[w] = likeness * blended / own[w] if own[w] > 0 else 0.0
    return out
