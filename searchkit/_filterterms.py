"""Query terms that keep paragraphs rather than score them: ``language:``, ``folder:``
(``path:``) and ``format:`` beside other clauses are filters, whatever the operator."""

from __future__ import annotations

import copy

from whoosh import query

__all__ = ["filter_terms"]

# Fields whose terms beside other clauses keep paragraphs rather than score them.
_FILTER_FIELDS = ("language", "folder", "format")
# Clauses that hold no others: a filter term is one of them, or a group of them.
_LEAVES = (query.Term, query.Phrase)


def filter_terms(q: query.Query) -> query.Query:
    """``language:de`` beside other clauses keeps German paragraphs without adding to
    their scores: ``Or([language:de, words])`` becomes ``And([Or(words), language:de])``
    with the language term weighing nothing (and the same inside ``And`` groups).
    ``folder:`` (``path:``) and ``format:`` terms keep paragraphs the same way; terms of
    different fields must all hold.

    A query made only of such terms is left as it is (it lists the paragraphs of those
    languages, folders or formats).
    """
    kind = type(q)
    if kind not in (query.Or, query.And):
        return q
    if all(type(s) in _LEAVES and s.fieldname not in _FILTER_FIELDS for s in q.subqueries):
        return q  # most queries: words alone, nothing to move
    subqueries = [filter_terms(s) for s in q.subqueries]
    languages = [s for s in subqueries if _is_language(s)]
    rest = [s for s in subqueries if not _is_language(s)]
    if not languages or not rest:
        if subqueries == list(q.subqueries):
            return q
        changed = copy.copy(q)
        changed.subqueries = subqueries
        return changed
    scored = rest[0] if len(rest) == 1 else kind(rest, boost=q.boost)
    if len(rest) == 1 and q.boost != 1.0:
        scored = scored.with_boost(scored.boost * q.boost)
    kept: list[query.Query] = []
    for name in _FILTER_FIELDS:
        wanted = [s.with_boost(0.0) for s in languages if _filter_field(s) == name]
        if wanted:
            # Several values under OR keep any of them; under AND each must hold.
            group = query.Or if kind is query.Or else query.And
            kept.append(wanted[0] if len(wanted) == 1 else group(wanted))
    return query.And([scored, *kept])


def _filter_field(q: query.Query) -> str | None:
    """The field of a filter term (or of a group of terms of one field), else ``None``."""
    if type(q) in (query.Or, query.And):
        names = {_filter_field(s) for s in q.subqueries}
        return names.pop() if len(names) == 1 else None
    if type(q) is query.Term and q.fieldname in _FILTER_FIELDS:
        return str(q.fieldname)
    return None


def _is_language(q: query.Query) -> bool:
    """A ``language:``, ``folder:`` or ``format:`` term, or a group of terms of one of
    those fields (``language:(de OR fr)``)."""
    if type(q) in (query.Or, query.And) and not q.subqueries:
        return False
    return _filter_field(q) is not None
