"""The ``searchkit search`` command line: words starting with ``-``, suggestions, titles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import searchkit
from searchkit.cli import cli

# A user's NO_COLOR, SEARCHKIT_INDEX or TERM would change what the commands print.
pytestmark = pytest.mark.usefixtures("clean_env")


def run(index: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["search", "--index", str(index), *args], prog_name="searchkit")


def chunk_ids(result: Result) -> list[str]:
    assert result.exit_code == 0, result.stderr
    return [h["chunk_id"] for h in json.loads(result.stdout)["hits"]]


def library_ids(index: Path, query: str, collapse: str = "document") -> list[str]:
    with searchkit.Index.open(index) as ix:
        return [h.chunk_id for h in ix.search(query, collapse=collapse)]  # type: ignore[arg-type]


def test_a_dash_word_is_query_text(typos_index_path: Path) -> None:
    result = run(typos_index_path, "containers", "-compose", "--json", "--flat")
    ids = chunk_ids(result)
    assert ids == library_ids(typos_index_path, "containers -compose", "none")
    assert len(ids) == 4  # the compose paragraph is left out of the five with containers
    assert len(library_ids(typos_index_path, "containers", "none")) == 5


def test_words_like_command_options_are_searched(typos_index_path: Path) -> None:
    result = run(typos_index_path, "rm", "-rf")
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", "No hits\n")


def test_options_still_work_among_dash_words(typos_index_path: Path) -> None:
    result = run(typos_index_path, "-n", "1", "containers", "-compose", "--json")
    assert chunk_ids(result) == library_ids(typos_index_path, "containers -compose")[:1]
    attached = run(typos_index_path, "containers", "-n1", "--json")
    assert chunk_ids(attached) == library_ids(typos_index_path, "containers")[:1]


def test_everything_after_double_dash_is_query_text(typos_index_path: Path) -> None:
    result = run(typos_index_path, "--json", "--flat", "--", "-compose", "containers", "--limit")
    # "--limit" after -- is a word (an excluded "limit"), not the option
    flat = library_ids(typos_index_path, "-compose containers --limit", "none")
    assert chunk_ids(result) == flat
    assert len(chunk_ids(result)) == 4


def test_a_mistyped_long_option_is_an_error(typos_index_path: Path) -> None:
    result = run(typos_index_path, "containers", "--limt", "2")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: No such option '--limt'")


def test_help_says_how_dash_words_are_read(typos_index_path: Path) -> None:
    result = run(typos_index_path, "--help")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "A word starting with - that is not an option below is query text" in text
    assert "every word after -- is query text" in text


def test_title_matches_are_marked(typos_index_path: Path) -> None:
    result = run(typos_index_path, "docker", "images", "-n", "1")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("1. Running containers with [Docker]  (score ")
    assert lines[2] == (
        "   [Docker] builds [images] from a Dockerfile and runs them as containers on any host."
    )


def test_title_marks_in_colour_keep_the_title_bold(typos_index_path: Path) -> None:
    result = run(typos_index_path, "docker", "-n", "1", "--color", "always")
    first = result.stdout.splitlines()[0]
    bold, mark, reset = "\x1b[1m", "\x1b[33m\x1b[1m", "\x1b[0m"
    assert first.startswith(f"1. {bold}Running containers with {reset}{mark}Docker{reset}  (")


def test_relative_dates_on_the_command_line(typos_index_path: Path) -> None:
    # The fixture's articles are from 2025, before the wall clock's today.
    assert run(typos_index_path, "docker", "--since", "today").exit_code == 1
    until = run(typos_index_path, "docker", "--until", "30 days ago", "--json", "--flat")
    assert len(chunk_ids(until)) == 4
    bad = run(typos_index_path, "docker", "--since", "7 fortnights")
    assert (bad.exit_code, bad.stderr) == (
        2,
        "Error: since: '7 fortnights' is not a date; use YYYY, YYYY-MM, YYYY-MM-DD, "
        "YYYY-MM-DDTHH:MM or a relative date: today, yesterday, 7d, 30 days ago, last month, "
        "this year\n",
    )


def test_did_you_mean_goes_to_stderr(typos_index_path: Path) -> None:
    result = run(typos_index_path, "Dokcer", "compse", "--exact")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "No hits\nDid you mean: Docker compose\n"
    as_json = run(typos_index_path, "Dokcer", "compse", "--json", "--exact")
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["suggestions"] == ["Docker compose"]
    assert as_json.stderr == ""


def test_did_you_mean_beside_hits(typos_index_path: Path) -> None:
    result = run(typos_index_path, "conatiners")
    assert result.exit_code == 0
    assert result.stderr == "1 hit\nDid you mean: containers\n"


def test_a_query_of_stop_words(typos_index_path: Path) -> None:
    result = run(typos_index_path, "the", "who", "-n", "1")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[2] == "   [The] [Who] played at Woodstock in 1969."
    quoted = run(typos_index_path, '"to be or not to be"', "--json")
    assert [h["paragraph"] for h in json.loads(quoted.stdout)["hits"]] == [1]
