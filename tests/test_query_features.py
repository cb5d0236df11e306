"""Query features on a small fixture of typos and stop words (tests/fixtures/typos/):
title highlights, fuzzy terms with transpositions, suggestions, relative dates and
queries made of stop words."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import searchkit
from searchkit._dates import filter_bounds
from searchkit.query import build_filter
from searchkit.search import run_search

TYPOS = Path(__file__).resolve().parent / "fixtures" / "typos"
DOCKER_TITLE = "Running containers with Docker"


@pytest.fixture(scope="module")
def typos_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("typos") / "ix"
    with searchkit.Index.create(path) as ix:
        report = ix.add(TYPOS)
    assert report.added == 3
    return path


@pytest.fixture
def ix(typos_path: Path) -> Iterator[searchkit.Index]:
    with searchkit.Index.open(typos_path) as index:
        yield index


def paragraphs(results: searchkit.Results) -> list[tuple[str, int]]:
    """Each hit as (title, paragraph number), in rank order."""
    return [(h.title, h.paragraph) for h in results]


# -- title highlights ----------------------------------------------------------------------


def test_title_matches_are_highlighted(ix: searchkit.Index) -> None:
    hits = ix.search("docker images")
    first = hits[0]
    assert (first.title, first.paragraph) == (DOCKER_TITLE, 1)
    assert first.title_spans == ((24, 30),)
    assert first.highlights == ("Docker", "images")
    assert first.marked_title() == "Running containers with [Docker]"
    assert first.as_dict()["title_spans"] == [[24, 30]]
    # a paragraph matched only through its title still shows the match
    third = next(h for h in hits if h.paragraph == 3)
    assert (third.spans, third.highlights) == ((), ("Docker",))


def test_title_highlights_follow_the_analyzer(ix: searchkit.Index) -> None:
    hit = ix.search("container")[0]  # the stem meets "containers"
    assert hit.title_spans == ((8, 18),)
    assert hit.highlights[0] == "containers"


# -- relative dates ------------------------------------------------------------------------

NOW = dt.datetime(2025, 4, 15, 10, 30)  # a Tuesday
END = dt.time(23, 59, 59, 999999)


def day(y: int, m: int, d: int) -> tuple[dt.datetime, dt.datetime]:
    return dt.datetime(y, m, d), dt.datetime.combine(dt.date(y, m, d), END)


@pytest.mark.parametrize(
    ("value", "now", "bounds"),
    [
        ("today", NOW, day(2025, 4, 15)),
        (" Yesterday ", NOW, day(2025, 4, 14)),
        ("7d", NOW, day(2025, 4, 8)),
        ("7 days ago", NOW, day(2025, 4, 8)),
        ("1 day", NOW, day(2025, 4, 14)),
        ("0d", NOW, day(2025, 4, 15)),
        ("2w", NOW, day(2025, 4, 1)),
        ("3 weeks ago", NOW, day(2025, 3, 25)),
        ("1m", NOW, day(2025, 3, 15)),
        ("1 month ago", dt.datetime(2025, 3, 31), day(2025, 2, 28)),
        ("14 months ago", NOW, day(2024, 2, 15)),
        ("1y", dt.datetime(2024, 2, 29), day(2023, 2, 28)),
        ("2 years ago", NOW, day(2023, 4, 15)),
        ("this week", NOW, (dt.datetime(2025, 4, 14), day(2025, 4, 20)[1])),
        ("last week", NOW, (dt.datetime(2025, 4, 7), day(2025, 4, 13)[1])),
        ("this month", NOW, (dt.datetime(2025, 4, 1), day(2025, 4, 30)[1])),
        ("last month", NOW, (dt.datetime(2025, 3, 1), day(2025, 3, 31)[1])),
        ("last month", dt.datetime(2025, 1, 5), (dt.datetime(2024, 12, 1), day(2024, 12, 31)[1])),
        ("This Year", NOW, (dt.datetime(2025, 1, 1), day(2025, 12, 31)[1])),
        ("last year", NOW, (dt.datetime(2024, 1, 1), day(2024, 12, 31)[1])),
        ("2025-03", NOW, (dt.datetime(2025, 3, 1), day(2025, 3, 31)[1])),  # absolute as before
    ],
)
def test_relative_date_bounds(
    value: str, now: dt.datetime, bounds: tuple[dt.datetime, dt.datetime]
) -> None:
    assert filter_bounds(value, now) == bounds


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("7 fortnights", "'7 fortnights' is not a date; use YYYY, YYYY-MM, YYYY-MM-DD"),
        (
            "next month",
            "'next month' is not a date; use YYYY, YYYY-MM, YYYY-MM-DD, YYYY-MM-DDTHH:MM "
            "or a relative date: today, yesterday, 7d, 30 days ago, last month, this year",
        ),
        ("999999y", "'999999y' reaches back before the year 1"),
        ("2025-02-30", "'2025-02-30' is not a valid date"),
    ],
)
def test_bad_relative_dates_say_what_is_accepted(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        filter_bounds(value, NOW)
    with pytest.raises(searchkit.FilterError, match=re.escape(f"since: {message}")):
        build_filter(since=value, now=NOW)


def test_relative_filters_keep_whole_periods(ix: searchkit.Index) -> None:
    # The fixture's articles: docker 2025-03-01, kubectl 2025-04-10, hamlet 2025-11-20.
    def titles(**dates: str) -> list[str]:
        flt = build_filter(now=NOW, **dates)
        found = run_search(ix._reader(), "the OR docker OR kubectl", limit=50, filter=flt)
        return sorted({h.title for h in found})

    assert titles(since="last month") == [
        DOCKER_TITLE,
        "Working with a Kubernetes cluster",
    ]
    assert titles(until="last month") == [DOCKER_TITLE]
    assert titles(since="1m", until="yesterday") == ["Working with a Kubernetes cluster"]
    assert titles(since="today") == []
    with pytest.raises(searchkit.FilterError, match="is after until"):
        build_filter(since="today", until="last week", now=NOW)


def test_relative_dates_through_index_search(ix: searchkit.Index) -> None:
    # By the wall clock, which is past every fixture article's date.
    assert ix.search("docker", since="today").total == 0
    assert ix.search("docker", until="today").total == 3
