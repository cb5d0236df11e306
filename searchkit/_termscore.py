"""One matched term's share of a hit's score: the value ``explain=True`` gives each hit
(``Hit.explanation``); re-exported by ``searchkit.models``."""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["TermScore"]


@attrs.frozen
class TermScore:
    """One matched term's part of a hit's score (``search(..., explain=True)``).

    For a BM25 term, ``score = coverage * boost * idf * tf * (k1 + 1) / (tf + k1 * norm)``
    with ``norm = 1 - b + b * L / avg_length``: ``tf`` is the term's weight in the chunk
    (a title occurrence counts twice in ``body``, a word in a ``{{placeholder}}`` half),
    ``length`` the chunk's field length, ``L`` that length or, below 10, half-way between
    it and 10, and ``avg_length`` the index's average.  ``coverage`` is the factor its
    OR gives a chunk matching several of its clauses (1 when one matched; see
    ``scoring.coverage``).  A term matched by a wildcard, fuzzy term or range scores a
    constant (its ``boost``); its BM25 parts are then ``None``.  ``term`` is the index
    term (a stem), ``query`` the part of the query it came from.
    """

    field: str
    term: str
    score: float
    query: str
    boost: float = 1.0
    tf: float | None = None
    idf: float | None = None
    length: float | None = None
    avg_length: float | None = None
    norm: float | None = None
    coverage: float = 1.0

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view of every field."""
        return attrs.asdict(self)
