"""Dates in and out: article date lines, and the partial dates users filter by."""

from __future__ import annotations

import calendar
import datetime as dt
import re

__all__ = ["date_bounds", "filter_bounds", "parse_article_date"]

# 2025 | 2025-06 | 2025-06-14 | 2025-06-14T10:55[:30[.123]] (space, T or nothing between)
_ISO = re.compile(
    r"""^\s*(?P<y>\d{4})(?:[-/.]?(?P<m>\d{2})(?:[-/.]?(?P<d>\d{2})
        (?:[T\s]*(?P<H>\d{2})(?::?(?P<M>\d{2})(?::?(?P<S>\d{2})(?:\.(?P<f>\d{1,6}))?)?)?)?)?)?
        \s*(?:Z|[+-]\d{2}:?\d{2})?\s*$""",
    re.VERBOSE,
)
# 7d | 2w | 3m | 1y | 30 days | 30 days ago (m is months: dates are filtered by the day)
_AGO = re.compile(
    r"^\s*(?P<n>\d{1,6})\s*(?P<unit>d|days?|w|weeks?|m|months?|y|years?)(?:\s+ago)?\s*$",
    re.IGNORECASE,
)
_PERIOD = re.compile(r"^\s*(?P<which>this|last)\s+(?P<unit>week|month|year)\s*$", re.IGNORECASE)
_DAY_NAMES = {"today": 0, "yesterday": 1}
_END_OF_DAY = dt.time(23, 59, 59, 999999)
_YEAR = re.compile(r"\b(1[6-9]|2[0-9])\d{2}\b")
# 2025年5月20日 (Chinese, Japanese), 2025년 5월 20일 (Korean), perhaps with a time (10:55).
_CJK_DATE = re.compile(
    r"""^(?P<y>\d{4})\s*[年년]\s*(?P<m>\d{1,2})\s*[月월]\s*(?P<d>\d{1,2})\s*[日일号]?
        (?:\s*(?P<H>\d{1,2})\s*[:\uff1a]\s*(?P<M>\d{2})(?:\s*[:\uff1a]\s*(?P<S>\d{2}))?)?$""",
    re.VERBOSE,
)
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


def filter_bounds(
    value: str | int | dt.date, now: dt.datetime | None = None
) -> tuple[dt.datetime, dt.datetime]:
    """The first and last instant of a ``since``/``until`` value: a partial date (see
    :func:`date_bounds`) or a date relative to ``now``.

    Relative dates name whole days, weeks, months or years, as absolute ones do:
    ``today``, ``yesterday``; ``7d`` or ``7 days ago`` (the day seven days before today;
    also ``w`` weeks, ``m`` months, ``y`` years back, the same day of the month);
    ``this week|month|year`` and ``last week|month|year`` (calendar periods, weeks from
    Monday).  ``now`` defaults to the local wall-clock time: published dates are kept as
    the wall-clock times the documents give, without a time zone, so "today" is today
    where the search runs.
    """
    if isinstance(value, str) and not _ISO.match(value):
        found = _relative_bounds(value, now or dt.datetime.now())
        if found is None:
            raise ValueError(
                f"{value!r} is not a date; use YYYY, YYYY-MM, YYYY-MM-DD, YYYY-MM-DDTHH:MM "
                "or a relative date: today, yesterday, 7d, 30 days ago, last month, this year"
            )
        return found
    return date_bounds(value)


def _relative_bounds(value: str, now: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
    today = now.date()
    text = value.strip().lower()
    if text in _DAY_NAMES:
        return _whole_day(today - dt.timedelta(days=_DAY_NAMES[text]))
    ago = _AGO.match(text)
    if ago:
        n, unit = int(ago["n"]), ago["unit"][0]
        try:
            if unit in "dw":
                return _whole_day(today - dt.timedelta(days=n * (7 if unit == "w" else 1)))
            months = n * (12 if unit == "y" else 1)
            year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
            day = min(today.day, calendar.monthrange(year, month + 1)[1])
            return _whole_day(dt.date(year, month + 1, day))
        except (OverflowError, ValueError):
            raise ValueError(f"{value!r} reaches back before the year 1") from None
    period = _PERIOD.match(text)
    if period is None:
        return None
    back = 1 if period["which"] == "last" else 0
    if period["unit"] == "week":
        monday = today - dt.timedelta(days=today.weekday() + 7 * back)
        return _whole_day(monday)[0], _whole_day(monday + dt.timedelta(days=6))[1]
    if period["unit"] == "month":
        year, month = divmod(today.year * 12 + today.month - 1 - back, 12)
        return date_bounds(f"{year:04d}-{month + 1:02d}")
    return date_bounds(f"{today.year - back:04d}")


def _whole_day(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return dt.datetime.combine(day, dt.time()), dt.datetime.combine(day, _END_OF_DAY)


def parse_article_date(line: str) -> dt.datetime | None:
    """Read a header line such as ``June 14, 2025, 10:55 AM`` or ``2025年5月20日`` as a
    naive date-time.

    Returns ``None`` unless the whole line is a date: it must be short, name a plausible
    year, and parse completely, so that a title like ``1984 revisited`` is not taken for a
    date.
    """
    text = line.strip()
    if not text or len(text) > _MAX_DATE_LINE:
        return None
    if cjk := _CJK_DATE.match(text):
        y, m, d, hour, minute, second = (
            int(v or 0) for v in cjk.group("y", "m", "d", "H", "M", "S")
        )
        try:
            return dt.datetime(y, m, d, hour, minute, second)
        except ValueError:  # 2025年13月40日
            return None
    if not _YEAR.search(text):
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
