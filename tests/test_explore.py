"""Facets, date histograms, more like this, completion and explanations (explore.py),
on a fixture collection of six articles with known authors and dates:

==  ==========================  ==========  =================  ==================
#   title                       published   author(s)          source
==  ==========================  ==========  =================  ==================
01  Rain returns to Minsk       2025-03-03  Jo Doe             example.org
02  Floods close the river ...  2025-03-20  Ann Lee            example.org
03  Prisoner exchange agreed    2025-06-02  Jo Doe and Ann Lee news.example.com
04  Second round of talks       2025-06-14  Bo Chan            news.example.com
05  Harvest festival ...        2024-09-09  Bo Chan            example.org
06  Notes on umbrellas          (undated)   Jo Doe             (none)
==  ==========================  ==========  =================  ==================
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import math
import re
import shutil
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import searchkit
import searchkit.schema
from searchkit import explore
from searchkit._dates import date_bounds
from searchkit.analysis import WORD_PARTS, index_term, normalize_name
from searchkit.chunking import chunk_document
from searchkit.models import Bucket, Completion

from .conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "explore"
ALL_FACETS = ("author", "source", "year", "month")


@pytest.fixture
def ix(explore_index_path: Path) -> Iterator[searchkit.Index]:
    with searchkit.Index.open(explore_index_path) as index:
        yield index


# -- several authors ---------------------------------------------------------------------


def test_author_line_with_and_gives_two_authors() -> None:
    doc = searchkit.load_document(FIXTURES / "03_exchange.txt")
    assert doc.authors == ("Jo Doe", "Ann Lee")
    assert doc.author == "Jo Doe and Ann Lee"
    assert doc.as_dict()["authors"] == ["Jo Doe", "Ann Lee"]


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("Jo Doe, Ann Lee", ("Jo Doe", "Ann Lee")),
        ("Jo Doe, Ann Lee, and Bo Chan", ("Jo Doe", "Ann Lee", "Bo Chan")),
        ("Jo Doe & Ann Lee", ("Jo Doe", "Ann Lee")),
        ("Natalia Grigoryeva", ("Natalia Grigoryeva",)),
        ("Sandra Andersen", ("Sandra Andersen",)),
    ],
)
def test_author_line_forms(tmp_path: Path, line: str, names: tuple[str, ...]) -> None:
    path = tmp_path / "a.txt"
    path.write_text(f"Title\nAuthor: {line}\n\nSome text of the article.\n", encoding="utf-8")
    doc = searchkit.load_document(path)
    assert (doc.authors, doc.author) == (names, line)


def test_front_matter_list_and_jsonl_array_give_authors(tmp_path: Path) -> None:
    md = tmp_path / "a.md"
    md.write_text("---\nauthors: [Jo Doe, 'Lee, Ann']\n---\n# T\n\nText.\n", encoding="utf-8")
    doc = searchkit.load_document(md)
    assert (doc.authors, doc.author) == (("Jo Doe", "Lee, Ann"), "Jo Doe, Lee, Ann")
    jl = tmp_path / "a.jsonl"
    jl.write_text(
        json.dumps({"text": "Words.", "author": ["Bo Chan", {"name": "Jo  Doe"}]}) + "\n",
        encoding="utf-8",
    )
    doc = searchkit.load_document(jl)
    assert (doc.authors, doc.author) == (("Bo Chan", "Jo Doe"), "Bo Chan, Jo Doe")


def test_document_authors_and_author_agree() -> None:
    one = searchkit.Document(id="d", path="p", title="t", paragraphs=(), author="Jo Doe")
    assert one.authors == ("Jo Doe",)
    two = searchkit.Document(id="d", path="p", title="t", paragraphs=(), authors=["A", " B  C "])
    assert (two.authors, two.author) == (("A", "B C"), "A, B C")
    none = searchkit.Document(id="d", path="p", title="t", paragraphs=())
    assert (none.authors, none.author) == ((), None)

    # Any iterable of names: a generator, a numpy array (whose truth is no answer).
    def authors(value: Any) -> tuple[str, ...]:
        return searchkit.Document(id="d", path="p", title="t", paragraphs=(), authors=value).authors

    assert authors(n for n in ["A", "B"]) == ("A", "B")
    np = pytest.importorskip("numpy")
    assert authors(np.array(["Ann Lee", "Bo  Chan"])) == ("Ann Lee", "Bo Chan")
    for bad in (0, False):  # not names: refused, not taken for none
        with pytest.raises(TypeError):
            authors(bad)


def test_author_filter_matches_any_one_author(
    ix: searchkit.Index, explore_ids: dict[str, str]
) -> None:
    for name in ("Jo Doe", "ann LEE", " Ann   Lee "):
        docs = {h.doc_id for h in ix.search("exchange", author=name)}
        assert docs == {explore_ids["03"]}
    hit = ix.search("exchange", author="Ann Lee")[0]
    assert (hit.authors, hit.author) == (("Jo Doe", "Ann Lee"), "Jo Doe and Ann Lee")
    assert ix.search("exchange", author="Jo Doe and Ann Lee").total == 0
    info = {d.id: d for d in ix.documents()}[explore_ids["03"]]
    assert info.authors == ("Jo Doe", "Ann Lee")
    assert ix.document(explore_ids["03"]).authors == ("Jo Doe", "Ann Lee")


def test_an_index_of_the_previous_schema_asks_for_a_rebuild_that_upgrades_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old"
    with searchkit.Index.create(path) as ix:
        ix.add(FIXTURES / "03_exchange.txt")
    settings = path / "searchkit.json"
    raw = json.loads(settings.read_text(encoding="utf-8"))
    raw["schema_version"] = searchkit.schema.SCHEMA_VERSION - 1
    settings.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(searchkit.IndexIncompatibleError, match="--rebuild"):
        searchkit.Index.open(path)
    searchkit.rebuild_index(path, confirm=True)
    with searchkit.Index.open(path) as ix:
        assert ix.search("exchange", author="Ann Lee", collapse="none").total == 3


# -- facets ------------------------------------------------------------------------------


def test_facets_count_articles_over_all_matches(ix: searchkit.Index) -> None:
    results = ix.search("rain", facets=ALL_FACETS, limit=1, collapse="none")
    assert (results.total, len(results.hits)) == (6, 1)
    assert results.facets == {
        "author": {"Jo Doe": 2, "Ann Lee": 1, "Bo Chan": 1},
        "source": {"example.org": 3},
        "year": {"2025": 2, "2024": 1},
        "month": {"2025-03": 2, "2024-09": 1},
    }
    # Ordered by count, then by name.
    assert list(results.facets["author"]) == ["Jo Doe", "Ann Lee", "Bo Chan"]


def test_a_co_authored_article_counts_once_under_each_author(ix: searchkit.Index) -> None:
    results = ix.search("exchange", facets=["author"], collapse="none")
    assert results.total == 5  # three paragraphs of 03 and two of 04
    assert results.facets == {"author": {"Ann Lee": 1, "Bo Chan": 1, "Jo Doe": 1}}


def test_facets_follow_filters(ix: searchkit.Index) -> None:
    results = ix.search("rain OR exchange", facets=ALL_FACETS, since="2025-03", until="2025-05")
    assert results.facets == {
        "author": {"Ann Lee": 1, "Jo Doe": 1},
        "source": {"example.org": 2},
        "year": {"2025": 2},
        "month": {"2025-03": 2},
    }
    assert ix.search("umbrella", facets=["author"], author="Jo Doe").facets == {
        "author": {"Jo Doe": 2}
    }


@pytest.mark.parametrize(
    ("query", "total", "months"),
    [
        ("road -rain", 2, {"2025-03": 1}),
        ("road AND NOT rain", 2, {"2025-03": 1}),
        ("road ANDMAYBE rain", 3, {"2025-03": 1}),
        ("rain -river -umbrellas", 1, {"2024-09": 1}),
    ],
)
def test_facets_of_and_not_queries(
    ix: searchkit.Index, query: str, total: int, months: dict[str, int]
) -> None:
    results = ix.search(query, facets=["month"], collapse="none")
    assert (results.total, results.facets) == (total, {"month": months})


def test_facet_limit_and_no_matches(ix: searchkit.Index) -> None:
    results = ix.search("rain", facets=["author", "month"], facet_limit=1)
    assert results.facets == {"author": {"Jo Doe": 2}, "month": {"2025-03": 2}}
    empty = ix.search("zeppelin", facets=["author"], histogram="month")
    assert (empty.total, empty.facets, empty.histogram) == (0, {"author": {}}, ())


def test_facets_of_grouped_and_sorted_searches(ix: searchkit.Index) -> None:
    for kwargs in ({"group": True}, {"sort": "date"}, {"page": 9}):
        results = ix.search("exchange", facets=["month"], **kwargs)  # type: ignore[arg-type]
        assert results.facets == {"month": {"2025-06": 2}}


def test_bad_facet_arguments_raise_argument_error(ix: searchkit.Index) -> None:
    with pytest.raises(searchkit.ArgumentError, match="unknown facet 'colour'; choose from"):
        ix.search("rain", facets=["colour"])
    with pytest.raises(searchkit.ArgumentError, match="facet_limit must be"):
        ix.search("rain", facets=["year"], facet_limit=0)
    with pytest.raises(searchkit.ArgumentError, match="histogram interval must be one of"):
        ix.search("rain", histogram="decade")  # type: ignore[arg-type]


def test_results_without_facets_keep_their_defaults(ix: searchkit.Index) -> None:
    results = ix.search("rain")
    assert (results.facets, results.histogram) == ({}, ())
    assert all(h.explanation == () for h in results)
    d = results.as_dict()
    assert (d["facets"], d["histogram"]) == ({}, [])


# -- date histograms ---------------------------------------------------------------------


def test_month_histogram_covers_the_matched_range(ix: searchkit.Index) -> None:
    results = ix.search("rain", histogram="month")
    got = [(b.start, b.articles, b.paragraphs) for b in results.histogram]
    assert got == [
        ("2024-09", 1, 1),
        ("2024-10", 0, 0),
        ("2024-11", 0, 0),
        ("2024-12", 0, 0),
        ("2025-01", 0, 0),
        ("2025-02", 0, 0),
        ("2025-03", 2, 4),
    ]
    assert results.histogram[5] == Bucket(
        "2025-02", 0, 0, since=dt.date(2025, 2, 1), until=dt.date(2025, 2, 28)
    )
    assert results.as_dict()["histogram"][0] == {
        "start": "2024-09",
        "articles": 1,
        "paragraphs": 1,
        "since": "2024-09-01",
        "until": "2024-09-30",
    }


def test_year_week_and_day_histograms(ix: searchkit.Index) -> None:
    years = ix.search("rain", histogram="year").histogram
    assert [(b.start, b.articles, b.paragraphs) for b in years] == [
        ("2024", 1, 1),
        ("2025", 2, 4),
    ]
    weeks = ix.search("exchange", histogram="week").histogram
    assert [(b.start, b.articles, b.paragraphs, b.since, b.until) for b in weeks] == [
        ("2025-06-02", 1, 3, dt.date(2025, 6, 2), dt.date(2025, 6, 8)),
        ("2025-06-09", 1, 2, dt.date(2025, 6, 9), dt.date(2025, 6, 15)),
    ]
    days = ix.search("rain", histogram="day", since="2025").histogram
    assert (days[0].start, days[-1].start, len(days)) == ("2025-03-03", "2025-03-20", 18)
    assert [(b.start, b.paragraphs) for b in days if b.paragraphs] == [
        ("2025-03-03", 3),
        ("2025-03-20", 1),
    ]


def test_a_bucket_gives_its_own_hits_back(ix: searchkit.Index) -> None:
    for bucket in ix.search("rain", histogram="week", collapse="none").histogram:
        again = ix.search("rain", since=bucket.since, until=bucket.until, collapse="none")
        assert again.total == bucket.paragraphs
        assert len(
            {
                h.doc_id
                for h in ix.search("rain", since=bucket.since, until=bucket.until, collapse="none")
            }
        ) == (bucket.articles)


def test_undated_matches_are_left_out_of_the_histogram(ix: searchkit.Index) -> None:
    results = ix.search("umbrella", histogram="month", collapse="none")
    assert results.total == 4  # two paragraphs of 01, two of the undated 06
    assert [(b.start, b.articles, b.paragraphs) for b in results.histogram] == [("2025-03", 1, 2)]


def test_too_many_buckets_raise_filter_error(
    ix: searchkit.Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(explore, "MAX_BUCKETS", 100)
    with pytest.raises(
        searchkit.FilterError, match=r"a day histogram .* needs 193 buckets, more than 100"
    ):
        ix.search("rain", histogram="day")
    assert len(ix.search("rain", histogram="week").histogram) == 28


def test_histogram_periods_at_the_ends_of_the_calendar() -> None:
    assert explore._period_end(dt.date(9999, 12, 1), "month") == dt.date(9999, 12, 31)
    assert explore._period_end(dt.date(9999, 12, 27), "week") == dt.date.max
    assert explore._period_start(dt.date(1, 1, 3), "week") == dt.date(1, 1, 1)


# -- completion --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("prisoner exch", [("prisoner exchange", 5), ("prisoner exchanged", 5)]),
        ("umbr", [("umbrellas", 4), ("umbrella", 4)]),
        ("umbrella", [("umbrella", 4), ("umbrellas", 4)]),
        ("Mins", [("Minsk", 3)]),
        ("ex", [("exchange", 5), ("exchanged", 5), ("expect", 1)]),
        ("talk", [("talks", 4)]),
    ],
)
def test_completions_most_common_first(
    ix: searchkit.Index, typed: str, expected: list[tuple[str, int]]
) -> None:
    assert [(c.text, c.count) for c in ix.complete(typed)] == expected


def test_completion_values_and_limit(ix: searchkit.Index) -> None:
    got = ix.complete("the r", limit=3)
    assert got == [
        Completion("the rain", "rain", 6),
        Completion("the river", "river", 4),
        Completion("the round", "round", 4),
    ]
    assert got[0].as_dict() == {"text": "the rain", "word": "rain", "count": 6}


@pytest.mark.parametrize("typed", ["", "   ", "rain ", "zzz", "rain,"])
def test_nothing_to_complete(ix: searchkit.Index, typed: str) -> None:
    assert ix.complete(typed) == []


def test_completion_limit_is_checked(ix: searchkit.Index) -> None:
    with pytest.raises(searchkit.ArgumentError, match="limit must be"):
        ix.complete("r", limit=0)


# -- more like this ----------------------------------------------------------------------


def test_similar_paragraphs_never_include_the_source(
    ix: searchkit.Index, explore_ids: dict[str, str]
) -> None:
    source = f"{explore_ids['03']}:1"
    results = ix.similar(source)
    assert [h.chunk_id for h in results] == [
        f"{explore_ids['03']}:2",
        f"{explore_ids['03']}:3",
        f"{explore_ids['04']}:1",
        f"{explore_ids['04']}:2",
    ]
    assert source not in {h.chunk_id for h in results}
    assert "ANDNOT" in results.query and results.total == 4


def test_similar_to_a_paragraph_of_another_topic(
    ix: searchkit.Index, explore_ids: dict[str, str]
) -> None:
    results = ix.similar(f"{explore_ids['01']}:3", limit=2)
    assert [h.chunk_id for h in results] == [f"{explore_ids['06']}:1", f"{explore_ids['02']}:3"]
    assert results.total == 4 and results.pages == 2


def test_similar_articles_leave_out_the_source_document(
    ix: searchkit.Index, explore_ids: dict[str, str]
) -> None:
    assert [h.doc_id for h in ix.similar(explore_ids["03"], group=True)] == [
        explore_ids["04"],
        explore_ids["01"],
    ]
    assert [h.chunk_id for h in ix.similar(explore_ids["03"])] == [
        f"{explore_ids['04']}:1",
        f"{explore_ids['04']}:2",
        f"{explore_ids['04']}:3",
        f"{explore_ids['01']}:1",
    ]
    whole = ix.similar(f"{explore_ids['01']}:3", document=True, group=True)
    assert explore_ids["01"] not in {h.doc_id for h in whole}
    assert [h.doc_id for h in whole][:2] == [explore_ids["06"], explore_ids["02"]]


def test_similar_takes_search_filters_and_options(
    ix: searchkit.Index, explore_ids: dict[str, str]
) -> None:
    results = ix.similar(explore_ids["03"], author="Jo Doe", facets=["author"], explain=True)
    assert [h.chunk_id for h in results] == [f"{explore_ids['01']}:1"]
    assert results.facets == {"author": {"Jo Doe": 1}}
    hit = results[0]
    assert math.isclose(sum(t.score for t in hit.explanation), hit.score)


def test_similar_to_an_unknown_id_raises_not_found(ix: searchkit.Index) -> None:
    for bad in ("nope", "nope:1", "0000000000000000:99"):
        with pytest.raises(searchkit.NotFoundError, match="no chunk or document"):
            ix.similar(bad)


# -- explanations ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "prisoner exchange",
        '"prisoner exchange"',
        '"prisoner exchanges"~3',
        "exchang*",
        "prisoner~",
        "Be?arus",
        "exchange AND talks",
        "exchange NOT talks",
        "exchange -talks",
        "exchange ANDMAYBE talks",
        "+Istanbul talks",
        "exchange^2 exchange",
        "title:exchange^3 rain",
        "date:2025 rain",
        "exchange OR date:2025-06",
        "paragraph:2 rain",
    ],
)
def test_explanations_add_up_to_the_score(
    ix: searchkit.Index, seed_index: searchkit.Index, query: str
) -> None:
    checked = 0
    for index in (ix, seed_index):
        for kwargs in ({}, {"group": True}, {"sort": "date"}):
            results = index.search(query, explain=True, limit=50, **kwargs)  # type: ignore[arg-type]
            for hit in (h for top in results for h in (top, *top.more)):
                assert hit.explanation
                assert math.isclose(sum(t.score for t in hit.explanation), hit.score)
                checked += 1
    assert checked


def test_a_term_explanation_shows_bm25s_parts(ix: searchkit.Index) -> None:
    hit = ix.search("umbrella", explain=True)[0]
    (term,) = hit.explanation
    assert (term.field, term.term, term.query, term.boost, term.tf) == (
        "body",
        "umbrella",
        "body:umbrella",
        1.0,
        3.0,  # the title once (not the document's first chunk) and the text twice
    )
    assert term.idf is not None and term.length is not None and term.avg_length is not None
    assert term.norm == pytest.approx(0.25 + 0.75 * term.length / term.avg_length)
    assert term.score == pytest.approx(term.idf * term.tf * 2.2 / (term.tf + 1.2 * term.norm))
    assert hit.as_dict()["explanation"] == [term.as_dict()]


def test_a_phrase_explains_each_of_its_words(seed_index: searchkit.Index) -> None:
    hit = seed_index.search('"prisoner exchange"', explain=True)[0]
    assert [(t.term, t.query) for t in hit.explanation] == [
        ("prison", 'body:"prison exchang"'),
        ("exchang", 'body:"prison exchang"'),
    ]


# -- facets against a count by hand ------------------------------------------------------

_WORDS = ["rain", "river", "exchange", "talks", "umbrellas", "harvest", "road", "zeppelin"]
_AUTHORS = [None, "Jo Doe", "ann lee", "Bo Chan", "Nobody"]
_DATES = [None, "2024", "2025-03", "2025-03-20", "2025-06"]
_SOURCES = [None, "example.org", "news.example.com"]


def _chunks_by_hand() -> list[tuple[searchkit.Document, set[str]]]:
    """Every chunk of the fixture with the index terms of its title and text."""
    out = []
    for path in sorted(FIXTURES.iterdir()):
        doc = searchkit.load_document(path)
        for c in chunk_document(doc):
            words = re.findall(WORD_PARTS, f"{c.title} {c.text}")
            out.append((doc, {t for t in map(index_term, words) if t}))
    return out


_BY_HAND = _chunks_by_hand()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    words=st.lists(st.sampled_from(_WORDS), min_size=1, max_size=3, unique=True),
    how=st.sampled_from(["or", "and", "not"]),
    author=st.sampled_from(_AUTHORS),
    since=st.sampled_from(_DATES),
    until=st.sampled_from(_DATES),
    source=st.sampled_from(_SOURCES),
)
def test_facets_equal_a_count_by_hand(
    ix: searchkit.Index,
    words: list[str],
    how: str,
    author: str | None,
    since: str | None,
    until: str | None,
    source: str | None,
) -> None:
    if how == "not" and len(words) < 2:
        how = "or"
    query = {
        "or": " ".join(words),
        "and": " AND ".join(words),
        "not": f"{words[0]} " + " ".join(f"-{w}" for w in words[1:]),
    }[how]
    terms = [index_term(w) for w in words]
    lo = date_bounds(since)[0] if since else None
    hi = date_bounds(until)[1] if until else None
    kwargs = {"author": author, "since": since, "until": until, "source": source}
    if lo and hi and lo > hi:
        with pytest.raises(searchkit.FilterError, match="no date can match"):
            ix.search(query, facets=ALL_FACETS, **kwargs)
        return
    results = ix.search(
        query, facets=ALL_FACETS, facet_limit=100, histogram="month", collapse="none", **kwargs
    )
    by_hand: dict[str, dict[str, set[str]]] = {f: {} for f in ALL_FACETS}
    months: dict[str, list[int]] = {}
    seen_docs: dict[str, set[str]] = {}
    matched = 0
    for doc, held in _BY_HAND:
        first, *rest = terms
        if how == "or":
            hit = any(t in held for t in terms)
        elif how == "and":
            hit = all(t in held for t in terms)
        else:
            hit = first in held and not any(t in held for t in rest)
        if not hit:
            continue
        if author and normalize_name(author) not in {normalize_name(a) for a in doc.authors}:
            continue
        if source and doc.source_domain != source:
            continue
        if (lo or hi) and (
            doc.published is None or (lo and doc.published < lo) or (hi and doc.published > hi)
        ):
            continue
        matched += 1
        values = {
            "author": list(doc.authors),
            "source": [doc.source_domain] if doc.source_domain else [],
            "year": [f"{doc.published:%Y}"] if doc.published else [],
            "month": [f"{doc.published:%Y-%m}"] if doc.published else [],
        }
        for facet, vals in values.items():
            for v in vals:
                by_hand[facet].setdefault(v, set()).add(doc.id)
        if doc.published:
            key = f"{doc.published:%Y-%m}"
            months.setdefault(key, [0])[0] += 1
            seen_docs.setdefault(key, set()).add(doc.id)
    assert results.total == matched
    expected = {
        facet: dict(sorted(((v, len(d)) for v, d in counts.items()), key=lambda c: (-c[1], c[0])))
        for facet, counts in by_hand.items()
    }
    assert {f: dict(c) for f, c in results.facets.items()} == expected
    assert {f: list(c) for f, c in results.facets.items()} == {
        f: list(c) for f, c in expected.items()
    }
    assert {b.start: (b.articles, b.paragraphs) for b in results.histogram if b.paragraphs} == {
        m: (len(seen_docs[m]), n[0]) for m, n in months.items()
    }


def test_facets_after_an_update_count_the_new_version_only(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES, folder)
    before = weakref.WeakSet(explore._TABLES.keys())
    with searchkit.Index.create(tmp_path / "ix") as index:
        index.add(folder)
        assert index.search("exchange", facets=["author"]).facets["author"]["Jo Doe"] == 1
        path = folder / "03_exchange.txt"
        path.write_text(
            path.read_text(encoding="utf-8").replace("Jo Doe and Ann Lee", "Cy Park"),
            encoding="utf-8",
        )
        assert index.add(folder).updated == 1
        assert index.search("exchange", facets=["author"]).facets == {
            "author": {"Bo Chan": 1, "Cy Park": 1}
        }
        mine = [weakref.ref(r) for r in list(explore._TABLES.keys()) if r not in before]
        assert mine
    gc.collect()
    assert all(r() is None for r in mine)  # the tables went with the closed segments


def test_a_huge_author_line_is_capped_on_every_chunk(tmp_path: Path) -> None:
    path = tmp_path / "many.txt"
    names = ", ".join(f"Writer Number{i}" for i in range(5000))
    path.write_text(f"Title\nAuthor: {names}\n\nOne paragraph.\n\nTwo.\n", encoding="utf-8")
    doc = searchkit.load_document(path)
    assert len(doc.authors) == 5000
    chunks = list(chunk_document(doc))
    kept = chunks[0].authors
    assert kept == doc.authors[: len(kept)] and sum(map(len, kept)) <= 1000 < len(kept) * 20
    assert all(c.authors == kept for c in chunks)
