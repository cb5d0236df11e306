"""Search over several documents: sort orders, date ranges, grouping and paging."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import searchkit

DATES = {"a": "2025-06-13", "b": "2025-06-14", "c": "2025-06-15", "d": None, "e": "2023-01-01"}


@pytest.fixture(scope="module")
def multi(tmp_path_factory: pytest.TempPathFactory) -> Iterator[searchkit.Index]:
    src = tmp_path_factory.mktemp("multi")
    for name, date in DATES.items():
        head = f"Report {name}\n" + (f"{date}\n" if date else "")
        body = "\n\n".join(
            f"Paragraph {p} of report {name} about harbour cranes"
            + (" and harbour tariffs" * (p == 2 and name == "c"))
            + f" in sequence {name}{p}."
            for p in range(1, 4)
        )
        (src / f"{name}.txt").write_text(head + body + "\n", encoding="utf-8")
    with searchkit.Index.create(src / "ix") as index:
        index.add(src)
        yield index


def _titles(results: searchkit.Results) -> list[str]:
    return [h.title for h in results]


def test_sort_newest_first_puts_undated_last(multi: searchkit.Index) -> None:
    results = multi.search("cranes", sort="date", group=True)
    assert _titles(results) == ["Report c", "Report b", "Report a", "Report e", "Report d"]
    flat = multi.search("cranes", sort="date", limit=15, collapse="none")
    assert [h.title for h in flat][:3] == ["Report c"] * 3
    assert [h.title for h in flat][-3:] == ["Report d"] * 3
    assert all(h.score > 0 for h in flat)


def test_sort_oldest_first_puts_undated_last(multi: searchkit.Index) -> None:
    results = multi.search("cranes", sort="oldest", group=True)
    assert _titles(results) == ["Report e", "Report a", "Report b", "Report c", "Report d"]


def test_sort_by_date_breaks_ties_by_score(multi: searchkit.Index) -> None:
    hits = multi.search("harbour", sort="date", limit=3, collapse="none")
    # c's paragraph 2 says harbour twice; paragraph 1 weighs the title twice, so its body is
    # longer than paragraph 3's (same text)
    assert [h.paragraph for h in hits] == [2, 3, 1]
    assert hits[0].score > hits[1].score


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("date:>2025-06-14", ["Report c"]),
        ("date:>=2025-06-14", ["Report b", "Report c"]),
        ("date:<2025-06-14", ["Report a", "Report e"]),
        ("date:{2023 TO 2025-06-14}", ["Report a"]),
        ("date:[2023 TO 2025-06-14]", ["Report a", "Report b", "Report e"]),
        ("date:{2022 TO 2025}", ["Report e"]),
        ("date:2025-06", ["Report a", "Report b", "Report c"]),
    ],
)
def test_date_ranges_in_queries(multi: searchkit.Index, query: str, titles: list[str]) -> None:
    results = multi.search(f"cranes AND {query}", group=True)
    assert sorted(_titles(results)) == titles


def test_since_until_filters(multi: searchkit.Index) -> None:
    assert sorted(_titles(multi.search("cranes", since=2025, group=True))) == [
        "Report a",
        "Report b",
        "Report c",
    ]
    assert _titles(multi.search("cranes", until="2024", group=True)) == ["Report e"]


def test_grouped_paging_counts_documents(multi: searchkit.Index) -> None:
    first = multi.search("harbour", group=True, limit=2, group_size=2)
    assert (first.total, first.pages, len(first)) == (5, 3, 2)
    assert first[0].title == "Report c" and first[0].paragraph == 2
    assert [m.title for m in first[0].more] == ["Report c"]
    assert [h.rank for h in first] == [1, 2]
    last = multi.search("harbour", group=True, limit=2, page=3, group_size=2)
    assert len(last) == 1 and last[0].rank == 5
    seen = {
        h.title for p in (1, 2, 3) for h in multi.search("harbour", group=True, limit=2, page=p)
    }
    assert len(seen) == 5


def test_more_matching_words_rank_higher(multi: searchkit.Index) -> None:
    hits = multi.search("harbour tariffs c2", limit=3)
    assert hits[0].chunk_id.endswith(":2") and hits[0].title == "Report c"
    assert hits[0].score > hits[1].score


def test_context_and_snippet_keep_the_whole_paragraph(multi: searchkit.Index) -> None:
    hit = multi.search("c2", context=1)[0]
    assert [c.paragraph for c in hit.before] == [1] and [c.paragraph for c in hit.after] == [3]
    whole = hit.snippet(width=len(hit.text))
    assert whole.replace("[", "").replace("]", "") == hit.text


def test_boost_must_be_positive(multi: searchkit.Index) -> None:
    with pytest.raises(searchkit.QuerySyntaxError, match=r"a boost must be a number above 0.*\^0$"):
        multi.search("cranes^0", collapse="none")
    assert multi.search("cranes^3 harbour", collapse="none").total == 15


def test_multi_index_is_consistent(multi: searchkit.Index) -> None:
    report = searchkit.check_index(Path(multi.path))
    assert report.ok and (report.documents, report.chunks) == (5, 15)
