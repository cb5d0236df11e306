"""Search results: totals under filters and scores under date sorting."""

from __future__ import annotations

import pytest

import searchkit


@pytest.mark.parametrize(
    "filters",
    [{"since": "2025-07"}, {"until": "2024"}, {"author": "Nobody"}, {"source": "example.org"}],
)
def test_filter_that_keeps_nothing_counts_nothing(
    seed_index: searchkit.Index, filters: dict[str, str]
) -> None:
    results = seed_index.search("Belarus", **filters)  # type: ignore[arg-type]
    assert (results.total, results.pages, len(results)) == (0, 1, 0)


def test_filter_that_keeps_everything_counts_everything(seed_index: searchkit.Index) -> None:
    unfiltered = seed_index.search("Belarus", limit=3, collapse="none")
    filtered = seed_index.search(
        "Belarus", limit=3, since="2025-06", author="natalia grigoryeva", collapse="none"
    )
    assert filtered.total == unfiltered.total > 3
    assert filtered.pages == unfiltered.pages


@pytest.mark.parametrize("sort", ["date", "oldest"])
def test_sorted_search_reports_relevance_scores(seed_index: searchkit.Index, sort: str) -> None:
    by_relevance = {h.id: h.score for h in seed_index.search("Belarus", limit=50)}
    results = seed_index.search("Belarus", limit=50, sort=sort)  # type: ignore[arg-type]
    assert results.total == len(by_relevance)
    for hit in results:
        assert isinstance(hit.score, float)
        assert hit.score == pytest.approx(by_relevance[hit.id])
