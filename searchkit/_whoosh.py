"""Every touch of Whoosh's private attributes, each behind one small named function.

searchkit reads Whoosh's files faster than Whoosh's public API lets it (columns and
postings a block at a time, the stored records of a segment, the table of contents), and
so reaches into attributes whose names start with ``_``.  They are all here: upgrading
Whoosh means checking this one file against the new version.  (Subclasses of Whoosh's
own classes, ``_writer.SegmentWriter`` and ``_mpwriter.MpWriter``, override its private
methods by design; they are the other place to look.)
"""

from __future__ import annotations

from typing import Any

__all__ = ["segment_count", "toc", "toc_segments"]


def toc_segments(ix: Any) -> list[Any]:
    """The segments named by the index's current table of contents, read afresh."""
    return list(ix._read_toc().segments)


def toc(ix: Any) -> tuple[int, list[Any]]:
    """The generation and segments of the index's current table of contents, read
    afresh (both from one reading)."""
    found = ix._read_toc()
    return int(found.generation), list(found.segments)


def segment_count(ix: Any) -> int:
    """How many segments the index's current commit has."""
    return len(ix._segments())
