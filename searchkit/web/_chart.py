"""The search page's histogram as bars to draw, and the pager's page numbers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from ..models import Bucket

__all__ = ["Bar", "Chart", "histogram_chart", "pages_around"]


@attrs.frozen
class Bar:
    """One bar of the histogram chart, in the SVG's own units."""

    x: float
    y: float
    width: float
    height: float
    label: str
    articles: int
    paragraphs: int
    since: str
    until: str


@attrs.frozen
class Chart:
    """A histogram as bars to draw: months, or years when the range is long.

    ``most`` is the tallest bar's count (the top of the count axis), ``ticks`` the
    ``(x, label)`` of the periods named under the bars: the first, the last and, with
    five bars or more, the middle one.
    """

    bars: tuple[Bar, ...]
    width: int
    height: int
    first: str
    last: str
    unit: str
    most: int = 0
    ticks: tuple[tuple[float, str], ...] = ()


def histogram_chart(buckets: Sequence[Bucket], width: int = 240, height: int = 60) -> Chart | None:
    """Month buckets as an SVG bar chart; summed into years past four years of months.

    Each document has one date, so its articles add up across months without counting
    one twice.
    """
    if not buckets:
        return None
    rows = [(b.start, b.articles, b.paragraphs, b.since, b.until) for b in buckets]
    unit = "month"
    if len(rows) > 48:
        unit = "year"
        years: dict[str, list[Any]] = {}
        for start, articles, paragraphs, since, until in rows:
            year = years.setdefault(start[:4], [start[:4], 0, 0, since, until])
            year[1] += articles
            year[2] += paragraphs
            year[4] = until
        rows = [tuple(v) for v in years.values()]
    most = max(r[1] for r in rows) or 1
    step = width / len(rows)  # the bars' slots, left to right
    bars = tuple(
        Bar(
            x=round(i * step, 2),
            y=round(height - height * articles / most, 2),
            width=round(max(step - 1, 1), 2),
            height=round(height * articles / most, 2),
            label=start,
            articles=articles,
            paragraphs=paragraphs,
            since=since.isoformat(),
            until=until.isoformat(),
        )
        for i, (start, articles, paragraphs, since, until) in enumerate(rows)
    )
    shown = sorted({0, len(bars) - 1} | ({len(bars) // 2} if len(bars) >= 5 else set()))
    ticks = tuple((round(bars[i].x + bars[i].width / 2, 2), bars[i].label) for i in shown)
    return Chart(bars, width, height, rows[0][0], rows[-1][0], unit, most, ticks)


def pages_around(page: int, pages: int, width: int = 2) -> list[int]:
    """The page numbers a pager shows: the first, the last and ``width`` around ``page``."""
    shown = {1, pages, *range(max(1, page - width), min(pages, page + width) + 1)}
    return sorted(shown)
