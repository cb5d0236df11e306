"""Text renderings of what the explore features add to results: facets, date
histograms and score explanations, as the command line prints them.

Pure functions from searchkit values to lines of text; ``_render.py`` cleans and styles the
lines and prints them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..models import Bucket, Hit

__all__ = ["BAR_WIDTH", "explanation_lines", "facet_lines", "histogram_lines"]

# The longest bar of a histogram, in characters.
BAR_WIDTH = 40


def facet_lines(facets: Mapping[str, Mapping[str, int]]) -> list[str]:
    """One line per facet: ``  author: Jo Doe (2), Ann Lee (1)``; none without facets."""
    lines = []
    for name, counts in facets.items():
        values = ", ".join(f"{value} ({n})" for value, n in counts.items())
        lines.append(f"  {name}: {values or '-'}")
    return lines


def histogram_lines(buckets: Sequence[Bucket]) -> list[str]:
    """A text bar per bucket, as long as its paragraph count (the longest fills
    :data:`BAR_WIDTH`), then its article and paragraph counts."""
    if not buckets:
        return []
    most = max(b.paragraphs for b in buckets) or 1
    width = max(len(b.start) for b in buckets)
    lines = []
    for b in buckets:
        bar = "█" * max(1 if b.paragraphs else 0, round(BAR_WIDTH * b.paragraphs / most))
        lines.append(f"  {b.start:<{width}}  {bar:<{BAR_WIDTH}}  {b.articles} {b.paragraphs}")
    return lines


def explanation_lines(hit: Hit) -> list[str]:
    """``= 2.0400, the sum of:`` then one line per matched term: its share and its parts."""
    lines = [f"= {hit.score:.4f}, the sum of:"]
    for t in hit.explanation:
        line = f"  {t.score:.4f}  {t.field}:{t.term}"
        if t.tf is not None and t.idf is not None:
            line += f"  tf {t.tf:g}, idf {t.idf:.4f}"
            if t.length is not None and t.avg_length is not None:
                line += f", length {t.length:g} (average {t.avg_length:.1f})"
        if t.boost != 1.0:
            line += f", boost {t.boost:.4g}"
        if t.coverage != 1.0:
            line += f", coverage x{t.coverage:.4g}"
        if t.query != f"{t.field}:{t.term}":
            line += f"  from {t.query}"
        lines.append(line)
    return lines
