"""Query features on a small fixture of typos and stop words (tests/fixtures/typos/):
title highlights, fuzzy terms with transpositions, suggestions, relative dates and
queries made of stop words."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import searchkit

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
