"""Paragraph-number and date ranges match exactly the chunks they name."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import searchkit
from searchkit import Document, Paragraph


@pytest.fixture(scope="module")
def ranged(tmp_path_factory: pytest.TempPathFactory) -> searchkit.Index:
    ix = searchkit.Index.create(tmp_path_factory.mktemp("ranges") / "ix")
    docs = []
    for i in range(60):
        paras = tuple(Paragraph(p, f"river item{i}", 0, 10) for p in range(1, 1 + i % 9))
        when = dt.datetime(2018 + i % 8, 1 + i % 12, 1 + i % 28, i % 24, i % 60)
        docs.append(Document(id=f"d{i}", path=f"p{i}", title="t", paragraphs=paras, published=when))
    ix.add_documents(docs)
    return ix


def _expected(ix: searchkit.Index, keep: object) -> set[str]:
    return {h.chunk_id for h in ix.search("river", limit=10_000, collapse="none") if keep(h)}  # type: ignore[operator]


@pytest.mark.parametrize(
    ("query", "keep"),
    [
        ("river AND paragraph:[2 TO 3]", lambda h: 2 <= h.paragraph <= 3),
        ("river AND paragraph:[TO 2]", lambda h: h.paragraph <= 2),
        ("river AND paragraph:[4 TO]", lambda h: h.paragraph >= 4),
        ("river AND para:4", lambda h: h.paragraph == 4),
        ("river AND date:2022", lambda h: h.published.year == 2022),
        (
            "river AND published:[2021-03 TO 2022-06]",
            lambda h: dt.datetime(2021, 3, 1) <= h.published < dt.datetime(2022, 7, 1),
        ),
        # Quoted values read as the field reads them (they were text: no hits, or a
        # search that took the index for damaged); a time's colons need no quotes.
        ('river AND para:"4"', lambda h: h.paragraph == 4),
        ('river AND date:"2022"', lambda h: h.published.year == 2022),
        ('river AND date:"2023-06-06"', lambda h: h.published.date() == dt.date(2023, 6, 6)),
        (
            'river AND date:"2023-06-06T05:05"',
            lambda h: h.published == dt.datetime(2023, 6, 6, 5, 5),
        ),
        ("river AND date:2023-06-06T05:05", lambda h: h.published == dt.datetime(2023, 6, 6, 5, 5)),
        (
            "river AND date:>=2023-06-06T05:05",
            lambda h: h.published >= dt.datetime(2023, 6, 6, 5, 5),
        ),
        ("river AND paragraph:<2", lambda h: h.paragraph < 2),
    ],
)
def test_range_matches_exactly(ranged: searchkit.Index, query: str, keep: object) -> None:
    found = {h.chunk_id for h in ranged.search(query, limit=10_000, collapse="none")}
    assert found == _expected(ranged, keep)
    assert found


@pytest.mark.parametrize(
    "query",
    [
        "river AND paragraph:<0",  # numbers start at 0: nothing below
        "river AND paragraph:>4294967295",  # nor above the largest a field holds
        "river AND paragraph:[5 TO 2]",
    ],
)
def test_a_range_past_the_fields_values_matches_nothing(
    ranged: searchkit.Index, query: str
) -> None:
    """``paragraph:<0`` could not be searched: an index-damage error (exit 3, HTTP 503)
    that sent the user to repair a healthy index."""
    results = ranged.search(query)
    assert (results.total, results.hits) == (0, ())


def test_date_filters_match_exactly(ranged: searchkit.Index, tmp_path: Path) -> None:
    results = ranged.search(
        "river", since="2021-03", until="2022-06", limit=10_000, collapse="none"
    )
    assert {h.chunk_id for h in results} == _expected(
        ranged, lambda h: dt.datetime(2021, 3, 1) <= h.published < dt.datetime(2022, 7, 1)
    )
