"""Why a hit scored what it did: each matched term's share of its score.

A hit's score is a sum over the query's matched terms (see ``scoring.py`` and
``_topk.py``): an OR adds its matched parts and scales the sum by how many of its
clauses matched (each share includes that factor, shown as ``coverage``), an AND adds
its parts, ``a AND NOT b`` scores as ``a``, ``a ANDMAYBE b`` adds ``b`` where it
matches, and a phrase adds its words.  This module
walks the parsed query the same way for one chunk and reports every matched term with
the parts of its BM25 score (:class:`TermScore`), so the parts add up to the score.
Query parts with no term of their own to show (wildcards, fuzzy terms, ranges, ``NOT``
inside ``AND``) are scored by Whoosh's own matcher for that chunk and reported whole.
"""

from __future__ import annotations

from typing import Any

import attrs
from whoosh import query as wq
from whoosh.searching import Searcher

from ._topk import or_clauses
from .models import TermScore
from .scoring import BM25, coverage, length_norm

__all__ = ["explain", "find_docnum"]


def find_docnum(searcher: Searcher, doc_id: str, paragraph: int, chunk_id: str) -> int | None:
    """The document number of chunk ``chunk_id`` (``None`` if it is gone)."""
    near = wq.And([wq.Term("doc_id", doc_id), wq.Term("paragraph", paragraph)])
    for d in searcher.docs_for_query(near):
        if searcher.stored_fields(d)["chunk_id"] == chunk_id:
            return int(d)
    return None


def explain(searcher: Searcher, q: wq.Query, docnum: int) -> tuple[TermScore, ...]:
    """The matched terms of ``q`` in chunk ``docnum`` with their shares of its score."""
    return tuple(_Explainer(searcher, docnum).node(q, 1.0) or ())


class _Explainer:
    def __init__(self, searcher: Searcher, docnum: int) -> None:
        self.searcher = searcher
        self.docnum = docnum
        for sub, offset in searcher.leaf_searchers():
            if offset <= docnum < offset + sub.reader().doc_count_all():
                self.sub, self.local = sub, docnum - offset
                break
        else:
            raise ValueError(f"no document number {docnum}")

    def node(self, q: wq.Query, boost: float) -> list[TermScore] | None:
        """The shares of ``q`` (under an outer ``boost``), or ``None`` if it does not match."""
        kind = type(q)
        if kind is wq.Term:
            return self._term(q.fieldname, q.text, boost * q.boost, str(q))
        if kind is wq.Phrase and type(q.slop) is int and q.slop >= 1:
            return self._phrase(q, boost)
        if kind is wq.Or and not (q.scale or q.minmatch):
            return self._or(q, boost)
        if kind is wq.And:
            parts: list[TermScore] = []
            for sub in q.subqueries:
                f = self.node(sub, boost * q.boost)
                if f is None:
                    return None
                parts.extend(f)
            return parts
        if kind is wq.AndNot:
            positive = self.node(q.a, boost)
            if positive is None or self.node(q.b, 1.0) is not None:
                return None
            return positive
        if kind is wq.AndMaybe:
            required = self.node(q.a, boost)
            if required is None:
                return None
            return required + (self.node(q.b, boost) or [])
        return self._whole(q, boost)

    def _or(self, q: wq.Or, boost: float) -> list[TermScore] | None:
        """An OR's matched clauses, their shares scaled by its coverage factor (see
        ``scoring.coverage``), its clauses counted as the plan counts them."""
        clauses = or_clauses(q, self.searcher, boost)
        found = [self.node(sub, b) for sub, b, _node in clauses]
        matched = [f for f in found if f is not None]
        if not matched:
            return None
        shares = [t for f in matched for t in f]
        weight = getattr(self.searcher.weighting, "coverage", 0.0)
        if not weight or len(clauses) < 2 or len(matched) < 2:
            return shares
        factor = coverage(1.0, len(matched), len(clauses), weight)
        return [
            attrs.evolve(t, score=t.score * factor, coverage=t.coverage * factor) for t in shares
        ]

    def _matcher(self, q: wq.Query) -> Any:
        m = q.matcher(self.sub, self.sub.context())
        if m.is_active():
            m.skip_to(self.local)
        return m if m.is_active() and m.id() == self.local else None

    def _matches(self, q: wq.Query) -> bool:
        return self._matcher(q) is not None

    def _term(self, field: str, text: Any, boost: float, label: str) -> list[TermScore] | None:
        schema = self.searcher.schema
        if field not in schema:
            return None
        try:
            key = schema[field].to_bytes(text)
        except ValueError:
            return None
        reader = self.sub.reader()
        if (field, key) not in reader:
            return None
        m = reader.postings(field, key)
        m.skip_to(self.local)
        if not m.is_active() or m.id() != self.local:
            return None
        tf = m.weight()
        shown = key.decode("utf-8", "replace") if isinstance(text, bytes | str) else str(text)
        weighting = self.searcher.weighting
        scorer = weighting.scorer(self.searcher, field, key)
        if isinstance(weighting, BM25) and hasattr(scorer, "_score"):
            length = reader.doc_field_length(self.local, field, 1) or 1
            norm = length_norm(length, scorer.avgfl, scorer.b)
            return [
                TermScore(
                    field=field,
                    term=shown,
                    score=boost * scorer._score(tf, length),
                    query=label,
                    boost=boost,
                    tf=tf,
                    idf=scorer.idf,
                    length=float(length),
                    avg_length=scorer.avgfl,
                    norm=norm,
                )
            ]
        # A field that is not scorable (an id): the posting's weight counts.
        return [
            TermScore(field=field, term=shown, score=boost * tf, query=label, boost=boost, tf=tf)
        ]

    def _phrase(self, q: wq.Phrase, boost: float) -> list[TermScore] | None:
        if not self._matches(q):
            return None
        parts: list[TermScore] = []
        for word in q.words:
            found = self._term(q.fieldname, word, boost * q.boost, str(q))
            if found is None:
                return None
            parts.extend(found)
        return parts

    def _whole(self, q: wq.Query, boost: float) -> list[TermScore] | None:
        m = self._matcher(q)
        if m is None:
            return None
        field = q.field() if hasattr(q, "field") else None
        return [
            TermScore(
                field=field or "",
                term=getattr(q, "text", None) or str(q),
                score=boost * m.score(),
                query=str(q),
                boost=boost * getattr(q, "boost", 1.0),
            )
        ]
