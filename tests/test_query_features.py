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
from searchkit import Document, Paragraph
from searchkit._dates import filter_bounds
from searchkit._types import SearchRequest
from searchkit.query import build_filter
from searchkit.search import run_search
from searchkit.suggest import suggestions
from searchkit.typos import terms_within

DOCKER_TITLE = "Running containers with Docker"


@pytest.fixture
def ix(typos_index_path: Path) -> Iterator[searchkit.Index]:
    with searchkit.Index.open(typos_index_path) as index:
        yield index


def paragraphs(results: searchkit.Results) -> list[tuple[str, int]]:
    """Each hit as (title, paragraph number), in rank order."""
    return [(h.title, h.paragraph) for h in results]


# -- title highlights ----------------------------------------------------------------------


def test_title_matches_are_highlighted(ix: searchkit.Index) -> None:
    hits = ix.search("docker images", collapse="none")
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
        wanted = SearchRequest("the OR docker OR kubectl", limit=50)
        found = run_search(ix._reader(), wanted, filter=flt)
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
    assert ix.search("docker", since="today", collapse="none").total == 0
    assert ix.search("docker", until="today", collapse="none").total == 4


# -- fuzzy terms ---------------------------------------------------------------------------


def test_a_transposition_is_one_edit(ix: searchkit.Index) -> None:
    found = ix.search("dokcer~", collapse="none")
    assert sorted(paragraphs(found)) == [(DOCKER_TITLE, n) for n in (1, 2, 3, 4)]
    assert found[0].highlights[0] == "Docker"
    assert found.query == "body:dokcer~"
    # two swaps are two edits
    assert ix.search("dokcre~", collapse="none").total == 0
    assert ix.search("dokcre~2", collapse="none").total == 4


def test_terms_within_counts_transpositions(ix: searchkit.Index) -> None:
    searcher = ix._reader()
    assert terms_within(searcher, "body", "dokcer", 1) == {"docker": 1}
    assert terms_within(searcher, "body", "kubectl", 1) == {"kubectl": 0, "kubectx": 1}
    assert terms_within(searcher, "body", "odcker", 1, prefix=1) == {}  # the first letter moved
    assert terms_within(searcher, "body", "odcker", 1) == {"docker": 1}


def test_an_exact_match_ranks_above_fuzzy_variants(ix: searchkit.Index) -> None:
    # "kubectx" (one edit away) is rarer and repeated in a short paragraph, so by its own
    # BM25 score it would come first; the exact word wins.
    found = ix.search("kubectl~", collapse="none")
    assert paragraphs(found) == [
        ("Working with a Kubernetes cluster", 2),
        ("Working with a Kubernetes cluster", 1),
    ]
    assert found[0].highlights == ("kubectl",)
    assert found[1].highlights == ("kubectx",)
    assert (
        ix.search("kubectx", collapse="none")[0].score
        > ix.search("kubectl", collapse="none")[0].score
    )


def test_fuzzy_variants_still_add_to_other_words(ix: searchkit.Index) -> None:
    found = ix.search("kubectl~ contexts")
    assert paragraphs(found)[0] == ("Working with a Kubernetes cluster", 1)


def test_a_rare_misspelling_does_not_outrank_the_common_word_a_fuzzy_term_meant(
    index: searchkit.Index,
) -> None:
    """``pythno~`` is one edit from ``python`` (in 30 paragraphs) and from ``pythn`` (a
    misspelling in one): scored each with its own idf, the misspelling came first; the
    variants share the idf of the most common one, as Lucene's fuzzy query scores them."""
    texts = ["Notes on python packaging."] * 30 + ["Notes on pythn packaging."]
    index.add_documents(
        Document(
            id=f"d{i}", path=f"{i}.md", title=f"Note {i}", paragraphs=(Paragraph(1, t, 0, len(t)),)
        )
        for i, t in enumerate(texts)
    )
    found = index.search("pythno~", limit=31)
    assert found.total == 31
    assert found[0].highlights == ("python",)
    assert found[30].highlights == ("pythn",)
    assert index.search("pythn")[0].score > index.search("python")[0].score


# -- did you mean --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "suggestions"),
    [
        ("dokcer", ("docker",)),  # a transposition
        ("Dokcer compse", ("Docker compose",)),  # case kept, two words corrected
        ("contaners", ("containers",)),  # a letter left out; the word as the index has it
        ("cluser", ("cluster",)),
        ("mage dokcer", ("make docker",)),
        ("conatiners", ("containers",)),  # present once (a typo in the text), rare
        ("docker", ()),  # common
        ("kubectx", ()),  # rare, but nothing near it is more common
        ("the who", ()),  # stop words
        ("title:dokcer", ()),  # a field's value
        ("dokcer~", ()),  # a fuzzy term already forgives it
        ("DOKCER", ()),  # acronyms are not corrected
        ("qwertyuiop", ()),  # nothing near it
    ],
)
def test_suggestions(ix: searchkit.Index, query: str, suggestions: tuple[str, ...]) -> None:
    assert ix.search(query).suggestions == suggestions


def test_suggestions_look_up_their_candidates_in_the_columns_or_whoosh_alike(
    ix: searchkit.Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Did-you-mean looks its candidates up in a segment's columns (all at once, their
    paragraph counts, the words two edits away) where a query has opened them, else in
    Whoosh's term table: the same suggestions either way."""
    from searchkit import _colcache, suggest

    ix.search("docker")
    ix.search("docker containers")  # a searcher's second query opens the columns
    searcher = ix._reader()
    for sub, _offset in searcher.leaf_searchers():
        reader = sub.reader()
        cols = _colcache.opened(reader, "body")
        assert cols is not None
        terms = list(reader.lexicon("body"))
        assert terms and cols.has_terms(terms) == [True] * len(terms)
        others = [t + b"zq" for t in terms[:40]] + [b"", b"\xff", terms[0][:-1]]
        assert cols.has_terms(others) == [("body", t) in reader for t in others]
        some = terms[:: max(1, len(terms) // 60)]
        for prefix in ("", "c", "co", "con", "zz", *(t[:2].decode() for t in some)):
            assert cols.terms_from(prefix.encode()) == list(reader.expand_prefix("body", prefix))
    for term in list(searcher.reader().lexicon("body"))[::7]:
        word = term.decode()
        assert suggest._frequency(searcher, "body", word) == searcher.doc_frequency("body", word)
    # One edit, and two (``cntanrs``: no index word one edit from it or its stem).
    queries = ["dokcer", "Dokcer compse", "contaners", "cluser", "mage dokcer", "cntanrs"]
    looked: list[int] = []
    has_terms, terms_from = _colcache.Columns.has_terms, _colcache.Columns.terms_from

    def counted(self: _colcache.Columns, texts: list[bytes]) -> list[bool]:
        looked.append(len(texts))
        return has_terms(self, texts)

    def walked(self: _colcache.Columns, prefix: bytes) -> list[bytes]:
        looked.append(-1)
        return terms_from(self, prefix)

    monkeypatch.setattr(_colcache.Columns, "has_terms", counted)
    monkeypatch.setattr(_colcache.Columns, "terms_from", walked)
    suggest._CORRECTED.clear()
    from_columns = [suggestions(searcher, q) for q in queries]
    assert sum(n for n in looked if n > 0) > 100  # hundreds of candidates, a few calls
    assert -1 in looked  # the two-edit walk read the columns' table
    monkeypatch.setattr(_colcache, "opened", lambda reader, field: None)
    suggest._CORRECTED.clear()
    from_whoosh = [suggestions(searcher, q) for q in queries]
    assert from_columns == from_whoosh
    found = [s.queries for s in from_columns][:3]
    assert found == [("docker",), ("Docker compose",), ("containers",)]


def test_suggestions_rank_by_how_common_the_correction_is(ix: searchkit.Index) -> None:
    # "mage" is one edit from "make" (2 paragraphs) and from "image", which the index
    # holds only as "images" (two edits): only corrections written in the index count.
    searcher = ix._reader()
    assert suggestions(searcher, "mage").queries == ("make",)
    assert suggestions(searcher, "shre").queries == ("share",)
    assert suggestions(searcher, "shre dokcer", limit=1).queries == ("share docker",)
    found = ix.search("conatiners")
    assert (found.total, found.suggestions) == (1, ("containers",))
    assert found.as_dict()["suggestions"] == ["containers"]
    assert ix.search("docker").as_dict()["suggestions"] == []


# -- queries of stop words -----------------------------------------------------------------

LINES = "Famous lines and famous bands"


def test_a_query_of_stop_words_finds_them(ix: searchkit.Index) -> None:
    found = ix.search("the who", collapse="none")
    assert found.query == "(stops:the OR stops:who)"
    # "who" is in one paragraph, "the" in four more: the rarer word ranks its paragraph first
    assert paragraphs(found) == [
        (LINES, 2),
        ("Working with a Kubernetes cluster", 2),
        (DOCKER_TITLE, 2),
        (DOCKER_TITLE, 3),
        (LINES, 1),
    ]
    assert found[0].highlights == ("The", "Who")
    assert found[0].spans == ((0, 3), (4, 7))


def test_a_phrase_of_stop_words(ix: searchkit.Index) -> None:
    found = ix.search('"to be or not to be"')
    assert paragraphs(found) == [(LINES, 1)]
    assert found[0].text[slice(*found[0].spans[0])] == "To"
    words = [found[0].text[s:e] for s, e in found[0].spans]
    assert words[:6] == ["To", "be", "or", "not", "to", "be"]
    assert ix.search('"be to"').total == 0  # the words' order counts
    assert ix.search('"or not to"').total == 1


def test_stop_words_in_an_ordinary_query_are_still_left_out(ix: searchkit.Index) -> None:
    assert ix.search("the docker").query == "body:docker"
    assert ix.search('"the who" docker').query == "body:docker"
    assert ix.search("the docker").total == ix.search("docker").total


def test_stop_words_in_titles_are_highlighted(ix: searchkit.Index) -> None:
    titles = {h.title: h.title_spans for h in ix.search("with")}
    assert titles == {DOCKER_TITLE: ((19, 23),), "Working with a Kubernetes cluster": ((8, 12),)}


def test_a_field_of_stop_words_is_still_an_error(ix: searchkit.Index) -> None:
    with pytest.raises(searchkit.QuerySyntaxError, match="nothing searchable is left"):
        ix.search("title:the")


def test_explained_fuzzy_scores_add_up_and_suggestions_stay(ix: searchkit.Index) -> None:
    found = ix.search("kubectl~", explain=True, facets=("author",), collapse="none")
    assert found.query == "body:kubectl~"
    assert [(h.paragraph, [t.term for t in h.explanation]) for h in found] == [
        (2, ["kubectl"]),
        (1, ["kubectx"]),
    ]
    for hit in found:
        assert sum(t.score for t in hit.explanation) == pytest.approx(hit.score)
    assert ix.search("Dokcer", facets=("author",), collapse="none").suggestions == ("Docker",)
