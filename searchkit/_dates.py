"""Dates in and out: article date lines, and the partial dates users filter by."""

from __future__ import annotations

import calendar
import datetime as dt
import re

__all__ = ["date_bounds", "parse_article_date"]

# 2025 | 2025-06 | 2025-06-14 | 2025-06-14T10:55[:30[.123]] (space, T or nothing between)
_ISO = re.compile(
    r"""^\s*(?P<y>\d{4})(?:[-/.]?(?P<m>\d{2})(?:[-/.]?(?P<d>\d{2})
        (?:[T\s]*(?P<H>\d{2})(?::?(?P<M>\d{2})(?::?(?P<S>\d{2})(?:\.(?P<f>\d{1,6}))?)?)?)?)?)?
        \s*(?:Z|[+-]\d{2}:?\d{2})?\s*$""",
    re.VERBOSE,
)
_YEAR = re.compile(r"\b(1[6-9]|2[0-9])\d{2}\b")
_MAX_DATE_LINE = 60


def date_bounds(value: str | int | dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The first and last instant a partial date covers.

    ``"2025"`` covers the whole year, ``"2025-06"`` the month, ``"2025-06-14"`` the day,
    and a full date-time covers itself (to the minute or second it names).  Raises
    ``ValueError`` with a readable message for anything else.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        value = f"{value:04d}"  # since=2025 means the year
    if isinstance(value, dt.datetime):
        return value, value
    if isinstance(value, dt.date):
        day = dt.datetime(value.year, value.month, value.day)
        return day, day.replace(hour=23, minute=59, second=59, microsecond=999999)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a date; use a string such as '2025-06'")
    m = _ISO.match(value)
    if not m:
        raise ValueError(
            f"{value!r} is not a date; use YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]"
        )
    parts = {k: int(v) if k != "f" else int(v.ljust(6, "0")) for k, v in m.groupdict().items() if v}
    try:
        year = parts["y"]
        if "m" not in parts:
            return dt.datetime(year, 1, 1), dt.datetime(year, 12, 31, 23, 59, 59, 999999)
        month = parts["m"]
        if "d" not in parts:
            last = calendar.monthrange(year, month)[1]
            return (
                dt.datetime(year, month, 1),
                dt.datetime(year, month, last, 23, 59, 59, 999999),
            )
        lo = dt.datetime(
            year,
            month,
            parts["d"],
            parts.get("H", 0),
            parts.get("M", 0),
            parts.get("S", 0),
            parts.get("f", 0),
        )
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a valid date: {exc}") from None
    if "H" not in parts:
        return lo, lo.replace(hour=23, minute=59, second=59, microsecond=999999)
    if "M" not in parts:
        return lo, lo.replace(minute=59, second=59, microsecond=999999)
    if "S" not in parts:
        return lo, lo.replace(second=59, microsecond=999999)
    return lo, lo if "f" in parts else lo.replace(microsecond=999999)


def parse_article_date(line: str) -> dt.datetime | None:
    """Read a header line such as ``June 14, 2025, 10:55 AM`` as a naive date-time.

    Returns ``None`` unless the whole line is a date: it must be short, name a plausible
    year, and parse completely, so that a title like ``1984 revisited`` is not taken for a
    date.
    """
    text = line.strip()
    if not text or len(text) > _MAX_DATE_LINE or not _YEAR.search(text):
        return None
    if _ISO.match(text):
        try:
            return date_bounds(text)[0]
        except ValueError:  # shaped like a date but not one: 2024-02-30
            return None
    from dateutil import parser  # imported late: only indexing needs it

    try:
        parsed = parser.parse(text, fuzzy=False, default=dt.datetime(1900, 1, 1))
    except (ValueError, OverflowError):
        return None
    return parsed.replace(tzinfo=None) if parsed.tzinfo else parsed
