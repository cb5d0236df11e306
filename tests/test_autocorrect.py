"""A word no paragraph holds is searched as corrected when "did you mean" has a correction
("Showing results for ...; search instead for ..."), in Python, JSON, the command line
and the web page; ``exact`` searches the words as typed (issue 23, item 5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

import searchkit
from searchkit.cli import cli
from searchkit.web import create_app

TYPED = "extarct archive"
FIXED = "extract archive"


@pytest.fixture(scope="module")
def sharded_path(folders_pages: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("autocorrect") / "sharded"
    with searchkit.Index.create(path, shards=2) as sharded:
        sharded.add(folders_pages)
    return path


@pytest.fixture
def ix(folders_index: searchkit.Index) -> searchkit.Index:
    return folders_index


def _pages(results: searchkit.Results) -> list[str | None]:
    return [h.relative_path for h in results]


def test_a_word_in_no_paragraph_is_searched_as_corrected(ix: searchkit.Index) -> None:
    found = ix.search(TYPED, collapse="none")
    assert (found.corrected_query, found.original_query) == (FIXED, TYPED)
    assert _pages(found)[:2] == ["common/tar.md", "common/tar.md"]  # the extract lines
    fixed = ix.search(FIXED, collapse="none")
    assert [(h.chunk_id, h.score) for h in found] == [(h.chunk_id, h.score) for h in fixed]
    assert found.total == fixed.total and found.query == fixed.query
    assert found.suggestions == (FIXED,)  # "did you mean" as before
    assert found.as_dict()["corrected_query"] == FIXED
    assert found.as_dict()["original_query"] == TYPED


def test_exact_searches_the_words_as_typed(ix: searchkit.Index) -> None:
    found = ix.search(TYPED, exact=True, collapse="none")
    assert (found.corrected_query, found.original_query) == ("", "")
    # "archive" alone: git archive's lines first, tar's (with "archive" once) after.
    assert _pages(found)[:3] == ["common/git-archive.md"] * 3
    assert found.suggestions == (FIXED,)


@pytest.mark.parametrize(
    "query",
    [
        '"extarct" archive',  # a quoted word is meant as written
        "archive -extarct",  # a word left out stays left out
        "title:extarct archive",  # a field's value
        "archive",  # every word is in the index
        "qwertyuiop archive",  # no correction
    ],
)
def test_no_correction_where_none_is_meant(ix: searchkit.Index, query: str) -> None:
    found = ix.search(query)
    assert (found.corrected_query, found.original_query) == ("", "")


def test_the_command_line_says_showing_results_for(folders_index_path: Path) -> None:
    args = ["search", TYPED, "--index", str(folders_index_path)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (
        f'Showing results for "{FIXED}"; search instead for "{TYPED}" with --exact'
    )
    assert "Did you mean" not in result.stderr
    assert result.stdout.splitlines()[1].startswith("   common/tar.md · ")
    exact = CliRunner().invoke(cli, [*args, "--exact"])
    assert "Showing results for" not in exact.stderr
    assert f"Did you mean: {FIXED}" in exact.stderr
    assert exact.stdout.splitlines()[1].startswith("   common/git-archive.md · ")


def test_json_and_the_web_api_say_it_too(folders_index_path: Path, ix: searchkit.Index) -> None:
    want = ix.search(TYPED).as_dict()
    result = CliRunner().invoke(
        cli, ["search", TYPED, "--json", "--index", str(folders_index_path)]
    )
    assert json.loads(result.stdout) == want
    with TestClient(create_app(folders_index_path), base_url="http://localhost") as client:
        assert client.get("/api/search", params={"q": TYPED}).json() == want
        exact = client.get("/api/search", params={"q": TYPED, "exact": "true"}).json()
        assert exact == ix.search(TYPED, exact=True).as_dict()
        html = client.get("/", params={"q": TYPED}).text
        assert (
            f"Showing results for <strong>{FIXED}</strong>; search instead for "
            f'<a href="/?q=extarct+archive&amp;exact=1">{TYPED}</a>'
        ) in html
        assert "Did you mean" not in html
        html = client.get("/", params={"q": TYPED, "exact": "1"}).text
        assert "Showing results for" not in html and "Did you mean" in html


def test_shards_and_several_indexes_correct_the_same(
    folders_index_path: Path, sharded_path: Path, ix: searchkit.Index
) -> None:
    want = ix.search(TYPED)
    with searchkit.Index.open(sharded_path) as sharded:
        for found in (sharded.search(TYPED), sharded.search(searchkit.SearchRequest(TYPED))):
            assert (found.corrected_query, found.original_query) == (FIXED, TYPED)
            assert [h.chunk_id for h in found] == [h.chunk_id for h in want]
            assert [h.score for h in found] == pytest.approx([h.score for h in want])
        assert sharded.search(TYPED, exact=True).corrected_query == ""
    with searchkit.open_many([folders_index_path]) as many:
        assert many.search(TYPED).corrected_query == FIXED
