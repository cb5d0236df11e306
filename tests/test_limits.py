"""Query limits and the time budget: what one search may cost, and what happens past it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import searchkit
from searchkit import QueryLimitError, QueryLimits
from searchkit.cli import cli


def _limit_error(excinfo: pytest.ExceptionInfo[QueryLimitError], name: str) -> str:
    """The error's message, after checking that it names ``name`` and how to raise it."""
    exc = excinfo.value
    assert exc.limit == name
    message = str(exc)
    assert f"QueryLimits({name}=...)" in message
    assert f"SEARCHKIT_{name.upper()}" in message
    assert "\n" not in message
    return message


def test_a_query_longer_than_max_query_chars_is_refused(seed_index: searchkit.Index) -> None:
    text = "belarus " * 1300  # 10,400 characters
    with pytest.raises(QueryLimitError) as excinfo:
        seed_index.search(text, collapse="none")
    message = _limit_error(excinfo, "max_query_chars")
    assert message.startswith("the query is 10,400 characters long, more than max_query_chars")
    raised = QueryLimits(max_query_chars=20_000, max_clauses=2_000)
    assert seed_index.search(text, limits=raised, collapse="none").total == 17


def test_a_wildcard_past_max_expansions_is_refused(seed_index: searchkit.Index) -> None:
    assert seed_index.search("*e*", collapse="none").total == len(
        seed_index
    )  # under the default: fine
    with pytest.raises(QueryLimitError) as excinfo:
        seed_index.search("*e*", limits=QueryLimits(max_expansions=5), collapse="none")
    message = _limit_error(excinfo, "max_expansions")
    assert message.startswith("body:*e* matches more than max_expansions (5) words")


@pytest.mark.parametrize("text", ["ex*", "title:[a TO z]", "rus~2"])
def test_prefix_range_and_fuzzy_terms_count_as_expansions(
    seed_index: searchkit.Index, text: str
) -> None:
    with pytest.raises(QueryLimitError) as excinfo:
        seed_index.search(text, limits=QueryLimits(max_expansions=1))
    _limit_error(excinfo, "max_expansions")


def test_expanded_words_still_find_and_highlight(seed_index: searchkit.Index) -> None:
    hits = seed_index.search("Machulisch~2")
    assert hits.total == 1
    assert hits[0].highlights == ("Machulischi",)


def test_more_fuzzy_terms_than_max_fuzzy_terms_are_refused(seed_index: searchkit.Index) -> None:
    assert seed_index.search("belarus~ minsk~ moscow~").total > 0
    with pytest.raises(QueryLimitError) as excinfo:
        seed_index.search("belarus~ minsk~ moscow~ kyiv~")
    message = _limit_error(excinfo, "max_fuzzy_terms")
    assert message.startswith("the query has 4 fuzzy terms (word~), more than max_fuzzy_terms (3)")
    limits = QueryLimits(max_fuzzy_terms=4)
    assert seed_index.search("belarus~ minsk~ moscow~ kyiv~", limits=limits).total > 0


def test_a_fuzzy_word_counts_once_however_many_languages_it_is_searched_in(
    tmp_path: Path,
) -> None:
    """In an index of five languages a word~ is searched in five body fields; it is still
    one fuzzy term of the three allowed (it was five, and refused on its own)."""
    languages = Path(__file__).parent / "fixtures" / "languages"
    ix = searchkit.Index.create(tmp_path / "ix")
    ix.add(languages / "ru_cp1251.txt", languages / "de_page.md", languages / "zh_page.html")
    ix.add(languages / "fr_record.jsonl", languages / "mixed")
    found = ix.search("Datei~")
    assert str(found.query).count("datei~") == 5  # body, body_de, body_fr, body_ru, body_cjk
    assert [Path(h.path).name for h in found.hits] == ["de_page.md", "en_2.txt"]
    assert ix.search("Datei~ военнопленный~ prisoner~").total == 5
    for text in (
        "Datei~ военнопленный~ prisoner~ komprimieren~",
        "title:Datei~ title:komprimieren~ Datei~ prisoner~",  # the title's count apart
    ):
        with pytest.raises(QueryLimitError) as excinfo:
            ix.search(text)
        message = _limit_error(excinfo, "max_fuzzy_terms")
        assert message.startswith("the query has 4 fuzzy terms (word~), more than")


def test_more_words_than_max_clauses_are_refused(seed_index: searchkit.Index) -> None:
    text = " ".join(f"zq{a}{b}" for a in "abc" for b in "defghij")  # 21 words
    with pytest.raises(QueryLimitError) as excinfo:
        seed_index.search(text, limits=QueryLimits(max_clauses=20))
    message = _limit_error(excinfo, "max_clauses")
    assert message.startswith("the query searches 21 words (after wildcards and fuzzy terms")
    assert seed_index.search(text, limits=QueryLimits(max_clauses=21)).total == 0
    # Words are counted until the time budget is spent, as wildcards are expanded: a
    # search whose budget is gone before the count times out with what it found.
    spent = seed_index.search(text, limits=QueryLimits(max_clauses=20), timeout=1e-9, exact=True)
    assert (spent.total, spent.timed_out) == (0, True)


def test_hits_times_context_past_max_context_chunks_is_refused(
    seed_index: searchkit.Index,
) -> None:
    with pytest.raises(QueryLimitError) as excinfo:
        seed_index.search(
            "belarus", limit=100, context=5, collapse="none"
        )  # 100 * 11 = 1,100 > 1,000
    message = _limit_error(excinfo, "max_context_chunks")
    assert message.startswith(
        "100 hits with 5 paragraphs of context on each side read 1,100 paragraphs"
    )
    assert seed_index.search("belarus", limit=90, context=5, collapse="none").total == 17
    assert (
        seed_index.search("belarus", limit=10_000, collapse="none").total == 17
    )  # no context: no limit


def test_limits_come_from_the_environment(
    seed_index: searchkit.Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEARCHKIT_MAX_EXPANSIONS", "3")
    assert QueryLimits.from_env().max_expansions == 3
    with pytest.raises(QueryLimitError):
        seed_index.search("*e*")
    monkeypatch.setenv("SEARCHKIT_MAX_EXPANSIONS", "many")
    with pytest.raises(searchkit.FilterError, match="SEARCHKIT_MAX_EXPANSIONS must be a whole"):
        seed_index.search("belarus")


@pytest.mark.parametrize("value", [0, -1, 1.5, True])
def test_a_limit_must_be_a_whole_number_of_at_least_one(value: object) -> None:
    with pytest.raises(searchkit.FilterError, match="max_clauses must be a whole number"):
        QueryLimits(max_clauses=value)  # type: ignore[arg-type]


def test_a_star_alone_finds_every_chunk(seed_index: searchkit.Index) -> None:
    results = seed_index.search("*", collapse="none")
    assert results.total == len(seed_index) == 17


@pytest.mark.parametrize("text", ["belarus NOT *", "belarus AND NOT body:*", "NOT title:*"])
def test_a_star_under_not_reads_no_word_postings(
    seed_index: searchkit.Index, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Whoosh matches ``body:*`` as the union of every body word's postings: under NOT
    # too, that read the whole vocabulary (seconds on a few thousand documents).
    from whoosh.searching import Searcher

    read: list[str] = []
    postings = Searcher.postings

    def counted(self: Searcher, fieldname: str, text: object, **kwargs: object) -> object:
        read.append(fieldname)
        return postings(self, fieldname, text, **kwargs)

    monkeypatch.setattr(Searcher, "postings", counted)
    assert seed_index.search(text, collapse="none").total == 0
    assert read.count("body") < 5  # the seed article has hundreds of words


@pytest.mark.parametrize(
    "text,kwargs",
    [
        ("belarus exchange", {}),  # the term-at-a-time path
        ("Belaru*", {}),  # Whoosh's collector
        ("belarus", {"sort": "date"}),
        ("belarus", {"group": True}),
        ("belarus", {"context": 2}),
    ],
)
def test_a_spent_time_budget_returns_what_was_found(
    seed_index: searchkit.Index, text: str, kwargs: dict[str, object]
) -> None:
    whole = seed_index.search(text, **kwargs)  # type: ignore[arg-type]
    assert not whole.timed_out
    assert seed_index.search(text, timeout=60, **kwargs).timed_out is False  # type: ignore[arg-type]
    cut = seed_index.search(text, timeout=1e-9, **kwargs)  # type: ignore[arg-type]
    assert cut.timed_out is True
    assert cut.total <= whole.total
    assert {h.chunk_id for h in cut} <= {h.chunk_id for h in whole} | {
        h.chunk_id
        for h in seed_index.search(text, limit=100, **kwargs)  # type: ignore[arg-type]
    }
    assert cut.as_dict()["timed_out"] is True


@pytest.mark.parametrize("timeout", [0, -1, "1", True])
def test_a_timeout_must_be_a_positive_number(seed_index: searchkit.Index, timeout: object) -> None:
    with pytest.raises(searchkit.ArgumentError, match="timeout must be a number of seconds"):
        seed_index.search("belarus", timeout=timeout)  # type: ignore[arg-type]


def test_cli_timeout_and_limit_errors(seed_index_path: Path) -> None:
    runner = CliRunner()
    ix = str(seed_index_path)
    cut = runner.invoke(cli, ["search", "belarus", "--index", ix, "--timeout", "1e-9", "--json"])
    assert json.loads(cut.stdout)["timed_out"] is True
    assert "Stopped after 1e-09 s (--timeout): the hits may be incomplete\n" in cut.stderr
    refused = runner.invoke(
        cli, ["search", "a~ b~ c~ d~", "--index", ix], env={"SEARCHKIT_MAX_FUZZY_TERMS": "3"}
    )
    assert refused.exit_code == 2
    assert refused.stderr.startswith("Error: the query has 4 fuzzy terms")
    assert refused.stderr.count("\n") == 1
    raised = runner.invoke(
        cli, ["search", "a~ b~ c~ d~", "--index", ix], env={"SEARCHKIT_MAX_FUZZY_TERMS": "4"}
    )
    assert raised.exit_code in (0, 1)
    assert "Error" not in raised.stderr
    bad = runner.invoke(cli, ["search", "belarus", "--index", ix, "--timeout", "0"])
    assert bad.exit_code == 2


def test_unescaped_marks_what_stands_in_quotes_and_drops_escapes() -> None:
    """The one scan of a query's quotes and backslashes (nesting, balance, fuzzy/boost)."""
    from searchkit._limits import unescaped

    got = list(unescaped(r'a"(b\")"\(c'))
    assert got == [
        (0, "a", False),
        (1, '"', True),
        (2, "(", True),
        (3, "b", True),
        (6, ")", True),
        (7, '"', False),
        (10, "c", False),
    ]
