"""One matched term's share of a hit's score: the value ``explain=True`` gives each hit
(``Hit.explanation``); re-exported by ``searchkit.models``."""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["TermScore"]


@attrs.frozen
class TermScore:
    """One matched term's part of a hit's score (``search(..., explain=True)``).

    For a BM25 term, ``score = boost * idf * tf * (k1 + 1) / (tf + k1 * norm)`` with
    ``norm = 1 - b + b * length / avg_length``: ``tf`` is the term's weight in the chunk
    (a title occurrence counts twice in ``body``), ``length`` the chunk's field length
    and ``avg_length`` the index's average.  A term matched by a wildcard, fuzzy term or
    range scores a constant (its ``boost``); its BM25 parts are then ``None``.  ``term``
    is the index term (a stem), ``query`` the part of the query it came from.
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

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view of every field."""
        return attrs.asdict(self)
