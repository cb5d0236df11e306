"""The explore side of the command line: search's --facets, --histogram and --explain,
and the similar and complete commands, on the fixture collection of test_explore."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from searchkit.cli import _options, cli
from searchkit.explore import FACETS, INTERVALS

# A user's NO_COLOR, SEARCHKIT_INDEX or TERM would change what the commands print.
pytestmark = pytest.mark.usefixtures("clean_env")


def run(explore_index_path: Path, *args: object, env: Mapping[str, str] | None = None) -> Result:
    argv = [str(a) for a in args] + ["--index", str(explore_index_path)]
    return CliRunner().invoke(cli, argv, env=env, prog_name="searchkit")


def test_histogram_choices_are_the_librarys() -> None:
    assert _options.HISTOGRAM_CHOICES == INTERVALS
    assert FACETS == ("author", "source", "year", "month", "folder", "format")


def test_search_json_has_facets_and_histogram(explore_index_path: Path) -> None:
    result = run(
        explore_index_path, "search", "rain", "--facets", "author,year", "--histogram", "year"
    )
    assert result.exit_code == 0
    result = run(
        explore_index_path,
        "search",
        "rain",
        "--facets",
        "author,year",
        "--histogram",
        "year",
        "--json",
    )
    out = json.loads(result.stdout)
    assert out["facets"] == {
        "author": {"Jo Doe": 2, "Ann Lee": 1, "Bo Chan": 1},
        "year": {"2025": 2, "2024": 1},
    }
    assert list(out["facets"]["author"]) == ["Jo Doe", "Ann Lee", "Bo Chan"]
    assert out["histogram"] == [
        {
            "start": "2024",
            "articles": 1,
            "paragraphs": 1,
            "since": "2024-01-01",
            "until": "2024-12-31",
        },
        {
            "start": "2025",
            "articles": 2,
            "paragraphs": 4,
            "since": "2025-01-01",
            "until": "2025-12-31",
        },
    ]
    plain = json.loads(run(explore_index_path, "search", "rain", "--json").stdout)
    assert (plain["facets"], plain["histogram"]) == ({}, [])


def test_search_text_prints_facets_and_bars_after_the_hits(explore_index_path: Path) -> None:
    result = run(
        explore_index_path,
        "search",
        "exchange",
        "-n",
        "1",
        "--flat",
        "--facets",
        "author,month",
        "--facet-limit",
        "2",
        "--histogram",
        "week",
    )
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    at = lines.index("Facets (articles):")
    assert lines[0].startswith("1. Prisoner [exchange] agreed in Istanbul")
    assert lines[at : at + 3] == [
        "Facets (articles):",
        "  author: Ann Lee (1), Bo Chan (1)",
        "  month: 2025-06 (2)",
    ]
    bars = lines[lines.index("Matches by date (articles, paragraphs):") + 1 :]
    assert bars[:2] == [
        "  2025-06-02  " + "█" * 40 + "  1 3",
        "  2025-06-09  " + f"{'█' * 27:<40}" + "  1 2",
    ]
    assert result.stderr == "Hits 1-1 of 5, page 1 of 5; next: --page 2\n"


def test_search_explain_prints_each_terms_share(explore_index_path: Path) -> None:
    result = run(
        explore_index_path, "search", "umbrella", "-n", "1", "--explain", "--color", "never"
    )
    lines = result.stdout.splitlines()
    assert lines[3].startswith("   = ") and lines[3].endswith(", the sum of:")
    assert lines[4].startswith("     ")
    assert "body:umbrella  tf 3, idf " in lines[4]
    out = json.loads(
        run(explore_index_path, "search", "umbrella", "-n", "1", "--explain", "--json").stdout
    )
    (term,) = out["hits"][0]["explanation"]
    assert term["score"] == pytest.approx(out["hits"][0]["score"])
    assert set(term) == {
        "field",
        "term",
        "score",
        "query",
        "boost",
        "tf",
        "idf",
        "length",
        "avg_length",
        "norm",
        "coverage",
    }
    assert term["coverage"] == 1.0  # one word: nothing to cover


def test_bad_facet_or_histogram_is_one_error_line(explore_index_path: Path) -> None:
    result = run(explore_index_path, "search", "rain", "--facets", "author,colour")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: unknown facet 'colour'; choose from author, source, year, month, folder, format\n"
    )
    result = run(explore_index_path, "search", "rain", "--histogram", "decade")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: Invalid value for '--histogram'")


def test_similar_command(explore_index_path: Path, explore_ids: dict[str, str]) -> None:
    result = run(
        explore_index_path, "similar", f"{explore_ids['03']}:1", "--jsonl", "--fields", "chunk_id"
    )
    assert result.exit_code == 0
    assert [json.loads(line)["chunk_id"] for line in result.stdout.splitlines()] == [
        f"{explore_ids['03']}:2",
        f"{explore_ids['03']}:3",
        f"{explore_ids['04']}:1",
        f"{explore_ids['04']}:2",
    ]
    grouped = json.loads(
        run(
            explore_index_path, "similar", f"{explore_ids['03']}:1", "--doc", "--group", "--json"
        ).stdout
    )
    assert [h["doc_id"] for h in grouped["hits"]] == [explore_ids["04"], explore_ids["01"]]
    assert grouped["grouped"] is True and "ANDNOT" in grouped["query"]
    text = run(explore_index_path, "similar", explore_ids["03"], "-n", "1", "--author", "Jo Doe")
    assert text.stdout.startswith("1. Rain returns to Minsk")
    assert text.stderr == "1 hit\n"


def test_similar_to_an_unknown_id_exits_2(explore_index_path: Path) -> None:
    result = run(explore_index_path, "similar", "nope:1")
    assert result.exit_code == 2
    assert result.stderr == f"Error: no chunk or document 'nope:1' in index {explore_index_path}\n"


def test_complete_command(explore_index_path: Path) -> None:
    result = run(explore_index_path, "complete", "prisoner", "exch")
    assert (result.exit_code, result.stdout) == (0, "prisoner exchange\nprisoner exchanged\n")
    assert result.stderr == "2 completions\n"
    out = json.loads(run(explore_index_path, "complete", "Mins", "--json").stdout)
    assert out == [{"text": "Minsk", "word": "Minsk", "count": 3}]
    assert run(explore_index_path, "complete", "r", "-n", "2").stdout == "rain\nriver\n"
    none = run(explore_index_path, "complete", "zzz")
    assert (none.exit_code, none.stdout, none.stderr) == (1, "", "0 completions\n")
