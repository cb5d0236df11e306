"""Where a hit's snippet is cut: one rule for the plain snippet and the web page's."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["snippet_window"]


def snippet_window(text: str, spans: Sequence[tuple[int, int]], width: int) -> tuple[int, int]:
    """The ``(start, end)`` of a snippet of ``text``: about ``width`` characters around the
    first of ``spans`` (the matches), cut at spaces."""
    first = spans[0][0] if spans else 0
    lo = max(0, first - width // 3) if len(text) > width else 0
    if lo > 0:
        space = text.find(" ", lo)
        lo = space + 1 if 0 <= space < first else lo
    hi = min(len(text), lo + width)
    if hi < len(text):
        space = text.rfind(" ", lo, hi)
        hi = space if space > first else hi
    return lo, hi
