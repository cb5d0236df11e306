"""What a parsed query tree becomes before it is searched: values of number and date
fields read as the field reads them, repeated terms summed, NOTs lifted, and normalised
(both roads of ``query.py``, the parser's and the plain words', end here)."""

from __future__ import annotations

from typing import Any

from whoosh import fields, query

__all__ = ["field_values", "lift_nots", "normalized", "sum_repeats"]


def field_values(q: query.Query, schema: fields.Schema) -> query.Query:
    """``q`` with each value of a number or date field (``paragraph``, ``date``) as the
    field reads it.  A quoted value (``date:"2025-06-14T10:55"``, the way to write a time,
    whose colons would otherwise name fields) reached the field as text, which a search
    took for index damage or matched nothing with; a range past the field's values
    (``paragraph:<0``: numbers start at 0) could not be searched.  Such a range becomes
    one that matches nothing (its start past its end), or is left open where it holds
    every value on that side."""

    def read(node: query.Query) -> query.Query:
        field = getattr(node, "fieldname", None)
        if field is None or field not in schema:
            return node
        kind = schema[field]
        if not isinstance(kind, fields.NUMERIC) or kind.numtype is not int:
            return node
        if type(node) is query.Term and isinstance(node.text, str):
            return kind.parse_query(field, node.text, boost=node.boost)
        if type(node) is query.Phrase:
            return kind.parse_query(field, " ".join(node.words), boost=node.boost)
        if type(node) is query.NumericRange:
            return _within(node, kind)
        return node

    found: query.Query = q.accept(read)
    return found


def _within(node: query.NumericRange, kind: Any) -> query.Query:
    """A whole-number range held to the values ``kind`` can store."""
    low, high = kind.min_value, kind.max_value
    first = None if node.start is None else node.start + node.startexcl
    last = None if node.end is None else node.end - node.endexcl
    if (first is not None and first > high) or (last is not None and last < low):
        first, last = high, low  # nothing: Whoosh reads a start past the end as no term
    elif (first is None or first >= low) and (last is None or last <= high):
        return node  # as written
    else:
        first = None if first is None or first < low else first
        last = None if last is None or last > high else last
    return query.NumericRange(
        node.fieldname, first, last, boost=node.boost, constantscore=node.constantscore
    )


def sum_repeats(q: query.Query) -> query.Query:
    """Merge repeated terms of an OR/AND group into one term whose boost is their sum.

    Groups of one are unwrapped and nested groups of the same kind flattened first (as
    ``normalize`` would), so the two ``il`` of ``IL-6 ... IL6`` meet.  ``normalize`` would
    keep only one of them.  A nested group holding a ``NOT`` stays a group: flattened,
    its ``NOT`` would exclude from the whole outer group (see :func:`lift_nots`), so
    ``x OR (a NOT b)`` would lose the chunks with ``x`` and ``b``.

    The tree is the parser's (or the plain road's) own: a term is copied only when a
    repeat adds to its boost, and the groups are copied without ``copy.copy``'s detour.
    """
    if type(q) not in _GROUPS:
        return q
    flat: list[query.Query] = []
    for child in q.subqueries:
        if type(child) in _GROUPS:
            # A group of one term or phrase (each word's OR over its one field) comes
            # out of the call as it went in: it is unwrapped below without the call.
            if len(child.subqueries) != 1 or type(child.subqueries[0]) in _GROUPS:
                child = sum_repeats(child)
            while type(child) in _GROUPS and len(child.subqueries) == 1:
                inner = child.subqueries[0]
                if child.boost == 1.0 and type(inner).with_boost is query.Query.with_boost:
                    # with_boost would deep-copy and set the same boost (x * 1.0 is x);
                    # the tree is this function's own, so the child is taken as it is.
                    child = inner
                else:
                    child = inner.with_boost(inner.boost * child.boost)
        if (
            type(child) is type(q)
            and child.boost == 1.0
            and not any(isinstance(s, query.Not) for s in child.subqueries)
        ):
            flat.extend(child.subqueries)
        else:
            flat.append(child)
    first: dict[tuple[str, str], int] = {}  # a term's place in ``out``
    copied: set[int] = set()
    out: list[query.Query] = []
    for child in flat:
        if type(child) is query.Term:
            key = (child.fieldname, child.text)
            at = first.get(key)
            if at is not None:
                if at not in copied:  # the first of them, made this tree's own to change
                    kept = out[at]
                    out[at] = query.Term(kept.fieldname, kept.text, boost=kept.boost)
                    copied.add(at)
                out[at].boost += child.boost
                continue
            first[key] = len(out)
        out.append(child)
    merged_q = object.__new__(type(q))  # copy.copy(q), which Or and And take as this
    merged_q.__dict__.update(q.__dict__)
    merged_q.subqueries = out
    return merged_q


_GROUPS = (query.Or, query.And)


def lift_nots(q: query.Query) -> query.Query:
    """Make ``a b NOT c`` mean "a or b, but never c", as in Lucene and Elasticsearch.

    Under OR grouping Whoosh reads it as ``a OR b OR (NOT c)``, which matches nearly
    every document.  Each ``Or`` with negated children becomes ``AndNot(Or(rest), Or(negated))``,
    at any depth: inside ``NOT (...)``, ``ANDNOT`` and ``ANDMAYBE`` too.
    """
    q = q.apply(lift_nots)
    if isinstance(q, query.Or):
        negated = [s.query for s in q.subqueries if isinstance(s, query.Not)]
        kept = [s for s in q.subqueries if not isinstance(s, query.Not)]
        if negated and kept:
            rest = query.Or(kept, boost=q.boost)
            return query.AndNot(rest, negated[0] if len(negated) == 1 else query.Or(negated))
    return q


def normalized(q: query.Query) -> query.Query:
    """``q.normalize()`` of a tree :func:`sum_repeats` made; ``q`` itself where that
    would only copy it: an OR or AND of two or more terms and phrases of several words,
    the phrases all different (its terms are, once their repeats are summed).  Most
    queries are such a tree, which Whoosh walks, hashes and copies (11 us a SciFact
    claim)."""
    kind = type(q)
    if kind not in _GROUPS or len(q.subqueries) < 2:
        return q.normalize()
    phrases = []
    for child in q.subqueries:
        if type(child) is query.Phrase and len(child.words) > 1 and None not in child.words:
            phrases.append(child)
        elif type(child) is not query.Term:
            return q.normalize()
    if len(set(phrases)) < len(phrases):
        return q.normalize()
    return q
