"""What the write and maintenance side reports: an add or sync (:class:`IndexReport`,
with the :class:`Skipped` files), an index's figures (:class:`IndexStats`) and a check
(:class:`CheckReport`).  Frozen values with a JSON-ready ``as_dict``; re-exported by
``searchkit.models``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

__all__ = ["CheckReport", "IndexReport", "IndexStats", "Skipped"]


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@attrs.frozen
class Skipped:
    """A file, or a record within one, that was not indexed, and why.

    ``kind`` says which: ``"file"`` (nothing of it was indexed), ``"record"`` (one record,
    such as a JSONL line; ``reason`` starts with where it is, ``line 3: invalid JSON ...``,
    and the file's other records are indexed) or ``"note"`` (the file was indexed, with a
    remark, such as bytes that were not valid UTF-8).
    """

    path: str
    reason: str
    kind: str = "file"


@attrs.frozen
class IndexReport:
    """What one ``Index.add`` (or sync) did.

    ``added``/``updated``/``removed``/``unchanged`` count documents; ``renamed`` counts
    files whose content moved to a new path; ``chunks`` counts paragraph chunks written.
    """

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    renamed: int = 0
    chunks: int = 0
    skipped: tuple[Skipped, ...] = ()
    dry_run: bool = False

    @property
    def indexed(self) -> int:
        """Documents written in this run (added, updated or renamed)."""
        return self.added + self.updated + self.renamed

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view: counts plus ``skipped`` as a list of ``{path, reason}``."""
        out = attrs.asdict(self)
        out["skipped"] = [attrs.asdict(s) for s in self.skipped]
        out["indexed"] = self.indexed
        return out


@attrs.frozen
class IndexStats:
    """What ``Index.stats()`` reports about an index; ``languages`` counts documents per
    language code, most first."""

    path: str
    documents: int
    chunks: int
    size_bytes: int
    segments: int
    fields: tuple[str, ...]
    last_updated: dt.datetime | None
    schema_version: int
    analyzer: str
    whoosh: str
    languages: tuple[tuple[str, int], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view of every field; ``last_updated`` in ISO 8601, ``languages``
        as ``{code: documents}``."""
        out = attrs.asdict(self)
        out["fields"] = list(self.fields)
        out["languages"] = dict(self.languages)
        out["last_updated"] = _iso(self.last_updated)
        return out


@attrs.frozen
class CheckReport:
    """What ``check_index`` found: ``ok`` when ``problems`` is empty.

    ``stale`` lists indexed files that changed or vanished since they were indexed (not
    damage: a sync fixes them).  ``leftovers`` lists files that writers which died left
    in the index folder (not damage either: the next write, or a repair, removes them;
    after a repair, what it removed).  ``repaired`` says a rebuild or clean-up ran.
    """

    path: str
    documents: int
    chunks: int
    segments: int
    problems: tuple[str, ...] = ()
    stale: tuple[str, ...] = ()
    repaired: bool = False
    leftovers: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view: every field, lists for tuples, and ``ok``."""
        out = attrs.asdict(self)
        out["problems"] = list(self.problems)
        out["stale"] = list(self.stale)
        out["leftovers"] = list(self.leftovers)
        out["ok"] = self.ok
        return out
