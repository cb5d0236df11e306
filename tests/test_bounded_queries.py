"""Issue 28: did-you-mean, synonyms files, nesting, edit distances and boosts, bounded.

Work is counted (calls, candidates, limits named in errors), never timed.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import shutil
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from whoosh.reading import SegmentReader

import searchkit
from searchkit import QueryLimitError, QueryLimits, suggest
from searchkit.analysis.synonyms import (
    MAX_GROUP,
    MAX_LINE_CHARS,
    MAX_SYNONYMS_BYTES,
    load_synonyms,
    parse_synonyms,
)
from searchkit.cli import cli
from searchkit.query import parse_query
from searchkit.schema import build_schema

from .conftest import SEEDS


@pytest.fixture
def analysed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every word "did you mean" analyses (query words and one-edit variants)."""
    calls: list[str] = []
    real = suggest.index_term

    def counting(word: str) -> str | None:
        calls.append(word)
        return real(word)

    monkeypatch.setattr(suggest, "index_term", counting)
    suggest._CORRECTED.clear()
    yield calls
    suggest._CORRECTED.clear()


def _two_indexes(tmp_path: Path) -> list[Path]:
    """Two small indexes of different documents, for a search over several."""
    out = []
    for name in ("a", "b"):
        folder = tmp_path / f"{name}-docs"
        folder.mkdir()
        (folder / f"{name}.txt").write_text(
            f"Paper {name}\n\nBelarus and the exchange of prisoners, part {name}.\n",
            encoding="utf-8",
        )
        with searchkit.Index.create(tmp_path / name) as ix:
            ix.add(folder)
        out.append(tmp_path / name)
    return out


def _random_words(n: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    letters = string.ascii_lowercase
    return " ".join(
        "".join(rng.choice(letters) for _ in range(rng.randint(5, 12))) for _ in range(n)
    )


# -- item 1: did you mean ---------------------------------------------------------


def test_a_word_past_max_word_letters_is_not_analysed(
    seed_index: searchkit.Index, analysed: list[str]
) -> None:
    results = seed_index.search("x" * 4_000)
    assert (results.suggestions, results.suggestions_cut) == ((), "")
    assert analysed == []
    longest = "belarusx" + "a" * (suggest.MAX_WORD_LETTERS - 8)
    seed_index.search(longest)
    assert longest in analysed  # 30 letters: still looked at


def test_suggestions_stop_at_max_suggest_candidates(
    seed_index: searchkit.Index, analysed: list[str]
) -> None:
    limits = QueryLimits(max_suggest_candidates=500)
    results = seed_index.search(_random_words(900), timeout=60, limits=limits)
    assert results.suggestions_cut == "max_suggest_candidates"
    assert not results.timed_out
    assert 0 < len(analysed) <= 500
    assert results.as_dict()["suggestions_cut"] == "max_suggest_candidates"


def test_suggestions_look_at_max_suggest_words(
    seed_index: searchkit.Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    looked: list[str] = []
    real = suggest._word_corrections

    def counting(searcher: Any, word: str, budget: Any) -> list[tuple[str, int]]:
        looked.append(word)
        return real(searcher, word, budget)

    monkeypatch.setattr(suggest, "_word_corrections", counting)
    suggest._CORRECTED.clear()
    query = _random_words(40)
    results = seed_index.search(query, limits=QueryLimits(max_suggest_words=5))
    assert results.suggestions_cut == "max_suggest_words"
    assert looked == query.split()[:5]
    # Within the default limits the same query is looked at in full.
    looked.clear()
    assert seed_index.search("belarus exchnage").suggestions == ("belarus exchange",)
    assert looked == ["belarus", "exchnage"]


def test_a_spent_time_budget_skips_the_suggestions(
    seed_index: searchkit.Index, analysed: list[str]
) -> None:
    results = seed_index.search(_random_words(900), timeout=1e-9)
    assert results.timed_out
    assert (results.suggestions, results.suggestions_cut) == ((), "timeout")
    assert analysed == []


def test_remembered_corrections_cost_what_they_cost_the_first_time(
    seed_index: searchkit.Index, analysed: list[str]
) -> None:
    query = "prisner exchnage"
    first = seed_index.search(query, limits=QueryLimits(max_suggest_candidates=200))
    again = seed_index.search(query, limits=QueryLimits(max_suggest_candidates=200))
    assert first.suggestions_cut == again.suggestions_cut == "max_suggest_candidates"
    assert first.suggestions == again.suggestions


def test_the_two_edit_walk_reads_no_whole_vocabulary(
    seed_index: searchkit.Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On an index of a million words the walk for words two edits away ends at the
    budget: here the term dictionary is never read whole, and no more index words are
    read than the budget allows."""
    read: list[bytes] = []
    real = SegmentReader.expand_prefix

    def counting(self: Any, fieldname: str, prefix: Any) -> Iterator[bytes]:
        for word in real(self, fieldname, prefix):
            read.append(word)
            yield word

    lexicon = SegmentReader.lexicon

    def whole(self: Any, fieldname: str) -> Any:
        if fieldname == "body":
            raise AssertionError(f"the whole vocabulary of {fieldname} was read")
        return lexicon(self, fieldname)

    monkeypatch.setattr(SegmentReader, "expand_prefix", counting)
    monkeypatch.setattr(SegmentReader, "lexicon", whole)
    suggest._CORRECTED.clear()
    word = "sxqzwvkj"  # absent, nothing one edit away, many index words start with s
    # The word, its variants as stem and as typed, then 20 index words.
    budget = 1 + 2 * len(list(suggest._edits(word))) + 20
    results = seed_index.search(word, limits=QueryLimits(max_suggest_candidates=budget))
    assert results.suggestions_cut == "max_suggest_candidates"
    assert len(read) == 21  # the 21st is over the budget
    read.clear()
    suggest._CORRECTED.clear()
    assert seed_index.search(word).suggestions_cut == ""
    assert len(read) > 21  # the seed index has more words starting with s
    suggest._CORRECTED.clear()


def test_the_best_whole_queries_are_those_of_every_pick() -> None:
    """The word-by-word beam keeps what one sort over every combination kept."""
    rng = random.Random(3)
    for _ in range(200):
        options = [
            (0, 0, [(f"w{i}{j}", rng.choice([1, 2, 3, 5, 8])) for j in range(rng.randint(1, 3))])
            for i in range(rng.randint(1, 5))
        ]
        every = sorted(
            itertools.product(*(found[:3] for _s, _e, found in options)),
            key=lambda picks: -sum(math.log(df) for _w, df in picks),
        )
        expected = tuple("".join(w for w, _df in picks) for picks in every[:3])
        assert suggest._whole_queries("", options, 3) == expected


def test_several_indexes_do_not_suggest_in_each_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = suggest.suggestions
    import searchkit.search as search_module

    def counting(searcher: Any, text: str, *args: Any, **kwargs: Any) -> suggest.Suggestions:
        calls.append(text)
        return real(searcher, text, *args, **kwargs)

    monkeypatch.setattr(search_module, "suggestions", counting)
    with searchkit.open_many(_two_indexes(tmp_path)) as both:
        assert both.search("belarus exchnage").total > 0
    assert calls == []


def test_cli_says_when_suggestions_stopped_early(
    seed_index_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEARCHKIT_MAX_SUGGEST_CANDIDATES", "20")
    done = CliRunner().invoke(cli, ["search", "prisner exchnage", "--index", str(seed_index_path)])
    assert done.exit_code == 1
    assert done.output.splitlines()[-1] == (
        "Did you mean: stopped early, it reached max_suggest_candidates "
        "(SEARCHKIT_MAX_SUGGEST_CANDIDATES raises it); suggestions may be missing"
    )


def test_web_search_with_a_long_q_is_bounded(
    seed_index_path: Path, analysed: list[str], tmp_path: Path
) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from searchkit.web import create_app

    folder = tmp_path / "ix"
    shutil.copytree(seed_index_path, folder)
    with TestClient(create_app(folder), base_url="http://localhost") as client:
        long_word = client.get("/api/search", params={"q": "q" * 9_999})
        assert long_word.status_code == 200
        assert long_word.json()["suggestions"] == []
        assert analysed == []
        words = client.get("/api/search", params={"q": _random_words(1_000)[:9_999]})
        assert words.status_code == 200
        assert words.json()["suggestions_cut"] == "max_suggest_words"
        assert len(analysed) <= QueryLimits().max_suggest_candidates
        page = client.get("/", params={"q": _random_words(1_000)[:9_999]})
        assert page.status_code == 200
        assert "stopped early (max_suggest_words)" in page.text


# -- item 7: deep parentheses -------------------------------------------------------


def test_deep_parentheses_are_refused_before_parsing(seed_index: searchkit.Index) -> None:
    deep = "(" * 1_000 + "belarus" + ")" * 1_000
    with pytest.raises(QueryLimitError) as caught:
        seed_index.search(deep)
    assert (caught.value.limit, caught.value.value) == ("max_nesting", 100)
    assert "nests parentheses 1,000 deep, more than max_nesting (100)" in str(caught.value)
    allowed = "(" * 100 + "belarus" + ")" * 100
    assert seed_index.search(allowed).total == seed_index.search("belarus").total
    # Parentheses inside quotes are words, not nesting.
    assert seed_index.search('"' + "(" * 200 + 'belarus"').total > 0
    wide = QueryLimits(max_nesting=200)
    assert seed_index.search("(" * 150 + "belarus" + ")" * 150, limits=wide).total > 0


def test_deep_parentheses_over_several_indexes(tmp_path: Path) -> None:
    with (
        searchkit.open_many(_two_indexes(tmp_path)) as both,
        pytest.raises(QueryLimitError) as caught,
    ):
        both.search("(" * 1_000 + "a OR b~" + ")" * 1_000)
    assert caught.value.limit == "max_nesting"


def test_cli_and_web_refuse_deep_parentheses(seed_index_path: Path, tmp_path: Path) -> None:
    deep = "(" * 1_000 + "belarus" + ")" * 1_000
    done = CliRunner().invoke(cli, ["search", deep, "--index", str(seed_index_path)])
    assert done.exit_code == 2
    assert "Traceback" not in done.output
    assert "more than max_nesting (100)" in done.output.splitlines()[-1]
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from searchkit.web import create_app

    folder = tmp_path / "ix"
    shutil.copytree(seed_index_path, folder)
    with TestClient(create_app(folder), base_url="http://localhost") as client:
        answer = client.get("/api/search", params={"q": deep})
    assert answer.status_code == 400
    assert "max_nesting" in json.dumps(answer.json())


# -- item 10: edit distances and boosts ----------------------------------------------


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        (
            "zebrafish~100",
            "at character 10: a fuzzy term allows at most 2 edits (word~1 or word~2), not ~100",
        ),
        (
            "docker~3",
            "at character 7: a fuzzy term allows at most 2 edits (word~1 or word~2), not ~3",
        ),
        (
            "x^1e400",
            "at character 2: a boost must be a number above 0 and at most 1,000 "
            "(word^2, word^0.5), not ^1e400",
        ),
        (
            "belarus^1001",
            "at character 8: a boost must be a number above 0 and at most 1,000 "
            "(word^2, word^0.5), not ^1001",
        ),
        (
            "x^" + "9" * 400,
            "at character 2: a boost must be a number above 0 and at most 1,000 "
            "(word^2, word^0.5), not ^" + "9" * 400,
        ),
        # Signs, fractions and repeats were read as words of their own (belarus^-1
        # searched "belarus OR 1", belarus~1.5 "belarus~ OR 5").
        (
            "belarus^-1",
            "at character 8: a boost must be a number above 0 and at most 1,000 "
            "(word^2, word^0.5), not ^-1",
        ),
        (
            "belarus^+3",
            "at character 8: a boost must be a number above 0 and at most 1,000 "
            "(word^2, word^0.5), not ^+3",
        ),
        (
            "belarus~1.5",
            "at character 8: a fuzzy term allows at most 2 edits (word~1 or word~2), not ~1.5",
        ),
        (
            "belarus~-1",
            "at character 8: a fuzzy term allows at most 2 edits (word~1 or word~2), not ~-1",
        ),
        (
            "belarus~2~2",
            "at character 8: a fuzzy term allows at most 2 edits (word~1 or word~2), not ~2~2",
        ),
        (
            "belarus~0",
            "at character 8: a fuzzy term allows at most 2 edits (word~1 or word~2), not ~0",
        ),
        (
            '"belarus minsk"~1.5',
            'at character 16: a phrase\'s slop is a whole number ("a b"~2), not ~1.5',
        ),
    ],
)
def test_edit_distances_and_boosts_out_of_range_are_refused(
    seed_index: searchkit.Index, query: str, reason: str
) -> None:
    with pytest.raises(searchkit.QuerySyntaxError) as caught:
        seed_index.search(query)
    assert str(caught.value) == f"cannot parse query {query!r} {reason}"


def test_two_operators_in_a_row_say_so() -> None:
    """Whoosh's parser fails on ``NOT NOT x`` with an IndexError: the message said
    "list index out of range"."""
    with pytest.raises(searchkit.QuerySyntaxError) as caught:
        parse_query("NOT NOT belarus", build_schema())
    assert str(caught.value) == (
        "cannot parse query 'NOT NOT belarus': its operators do not fit together "
        "(two in a row, such as NOT NOT: write NOT (NOT word), or drop one)"
    )


def test_what_only_looks_like_a_boost_or_an_edit_count_is_words(
    seed_index: searchkit.Index,
) -> None:
    """A ``~`` or ``^`` before letters is not syntax: a URL's ``~user``, ``x^y``."""
    for query in ("http://x.com/~user belarus", "x^y belarus", "belarus~ belarus~2/3"):
        assert seed_index.search(query).total > 0, query


def test_edit_distances_and_boosts_in_range_still_work(seed_index: searchkit.Index) -> None:
    assert seed_index.search("belarus~2").query == "body:belarus~2"
    assert seed_index.search("belarus^2").query == "body:belarus^2.0"
    assert seed_index.search("(belarus minsk)^0.5").total > 0
    assert seed_index.search('"belarus exchange"~100').total >= 0  # a phrase's slop
    assert seed_index.search("belarus~2/9").total > 0  # a prefix past the word's end
    cli_run = CliRunner().invoke(cli, ["search", "docker~3", "--index", "nowhere-at-all"])
    assert cli_run.exit_code == 3  # the index is looked for before the query


# -- item 2: synonyms files ----------------------------------------------------------


def test_a_long_synonyms_line_is_refused_naming_the_limit() -> None:
    line = ", ".join(f"word{i}" for i in range(1_000))
    with pytest.raises(searchkit.SettingsError) as caught:
        parse_synonyms("a, b\n" + line, "my.txt")
    assert str(caught.value) == (
        f"my.txt, line 2: a line of {len(line):,} characters, more than MAX_LINE_CHARS "
        f"({MAX_LINE_CHARS:,}); split the rule"
    )


def test_a_synonyms_group_past_max_group_is_refused() -> None:
    line = ",".join(f"w{i}" for i in range(MAX_GROUP + 1))
    assert len(line) < MAX_LINE_CHARS
    with pytest.raises(searchkit.SettingsError) as caught:
        parse_synonyms(line, "my.txt")
    assert str(caught.value) == (
        f"my.txt, line 1: {MAX_GROUP + 1} words or phrases, more than MAX_GROUP "
        f"({MAX_GROUP}); split the rule"
    )
    # Lines naming the same word add up to its group.
    lines = "\n".join(f"key => w{i}" for i in range(MAX_GROUP + 1))
    with pytest.raises(searchkit.SettingsError) as caught:
        parse_synonyms(lines, "my.txt")
    assert str(caught.value) == (
        f"my.txt, line {MAX_GROUP + 1}: 'key' searches {MAX_GROUP + 1} alternatives with "
        f"this line, more than MAX_GROUP ({MAX_GROUP}); use fewer"
    )


def test_a_full_group_parses_with_each_word_once() -> None:
    words = [f"w{i}" for i in range(MAX_GROUP)]
    rules = parse_synonyms(", ".join(words) + "\n" + ", ".join(reversed(words))).rules
    assert len(rules) == MAX_GROUP
    assert rules[("w7",)] == tuple((w,) for w in words)


def test_synonyms_text_past_the_size_limit_is_refused() -> None:
    with pytest.raises(searchkit.SettingsError) as caught:
        parse_synonyms("a, b\n" * (MAX_SYNONYMS_BYTES // 5 + 1), "big.txt")
    assert str(caught.value).startswith("big.txt: synonyms file too large")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_synonyms_file_that_is_a_device_or_a_pipe_is_refused_unread(tmp_path: Path) -> None:
    """``--synonyms /dev/zero`` read until the machine ran out of memory, and a named
    pipe with no writer waited for ever: only a regular file is read, up to the limit."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for path in (Path("/dev/zero"), fifo):
        with pytest.raises(searchkit.SettingsError) as caught:
            load_synonyms(path)
        assert str(caught.value) == f"{path}: a synonyms file must be a regular file"
    big = tmp_path / "big.txt"
    big.write_text("a, b\n" * (MAX_SYNONYMS_BYTES // 5 + 1), encoding="utf-8")
    with pytest.raises(searchkit.SettingsError, match="synonyms file too large"):
        load_synonyms(big)


# -- item 10: check verifies the synonyms file -----------------------------------------


@pytest.fixture
def with_synonyms(tmp_path: Path) -> Path:
    rules = tmp_path / "rules.txt"
    rules.write_text("Kiev, Kyiv\n", encoding="utf-8")
    with searchkit.Index.create(tmp_path / "ix", synonyms=rules) as ix:
        ix.add(SEEDS)
    return tmp_path / "ix"


def test_check_finds_damaged_synonyms(with_synonyms: Path) -> None:
    assert searchkit.check_index(with_synonyms).ok
    (with_synonyms / "synonyms.txt").write_text("Kiev, Kyib\n", encoding="utf-8")
    report = searchkit.check_index(with_synonyms)
    assert report.problems == (
        "synonyms.txt is damaged: its size or checksum differs from the one recorded when "
        "the synonyms were set; set them again (searchkit index --synonyms FILE, or "
        "Index.set_synonyms)",
    )
    done = CliRunner().invoke(cli, ["check", "--index", str(with_synonyms)])
    assert done.exit_code != 0
    assert "synonyms.txt is damaged" in done.output


def test_check_finds_unusable_synonyms_without_a_recorded_checksum(with_synonyms: Path) -> None:
    (with_synonyms / "synonyms.txt.sum").unlink()  # as an index set before checksums
    assert searchkit.check_index(with_synonyms).ok
    (with_synonyms / "synonyms.txt").write_text("Kiev, Kyiv\nx => y => z\n", encoding="utf-8")
    with pytest.raises(searchkit.SettingsError):
        searchkit.Index.open(with_synonyms).search("Kyiv")
    report = searchkit.check_index(with_synonyms)
    assert report.problems == (
        "synonyms.txt cannot be used, so every search fails: "
        f"{with_synonyms / 'synonyms.txt'}, line 2: more than one '=>'; set them again "
        "(searchkit index --synonyms FILE, or Index.set_synonyms)",
    )


def test_setting_synonyms_again_records_a_new_checksum(with_synonyms: Path) -> None:
    other = with_synonyms.parent / "other.txt"
    other.write_text("Belarus, Belorussia\n", encoding="utf-8")
    with searchkit.Index.open(with_synonyms) as ix:
        ix.set_synonyms(other)
        assert searchkit.check_index(with_synonyms).ok
        ix.set_synonyms(None)
    assert not (with_synonyms / "synonyms.txt.sum").exists()
    assert searchkit.check_index(with_synonyms).ok
