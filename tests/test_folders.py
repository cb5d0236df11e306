"""Where a hit came from: its path relative to the indexed folder on every hit (Python,
JSON, command line, web page), the folder filter (``under=``, ``--under``, ``folder:`` and
``path:`` in queries), and the folder and format facets, on one index, shards and several
indexes alike (issue 23, item 6)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

import searchkit
from searchkit.cli import cli
from searchkit.web import create_app

KILLS = {"linux/kill.md", "osx/kill.md"}


@pytest.fixture
def pages(folders_pages: Path) -> Path:
    return folders_pages


@pytest.fixture
def ix(folders_index: searchkit.Index) -> searchkit.Index:
    return folders_index


def _paths(results: searchkit.Results) -> list[str | None]:
    return [h.relative_path for h in results]


def test_every_hit_says_its_path_relative_to_the_indexed_folder(ix: searchkit.Index) -> None:
    found = ix.search("kill", limit=50)
    assert set(_paths(found)) == KILLS
    assert all(h.path.endswith(str(h.relative_path)) for h in found)
    assert found.as_dict(["relative_path"])["hits"][0]["relative_path"] in KILLS
    assert ix.chunk(found[0].chunk_id).relative_path == found[0].relative_path


def test_the_command_line_shows_the_path_of_same_named_pages(folders_index_path: Path) -> None:
    result = CliRunner().invoke(cli, ["search", "kill", "--index", str(folders_index_path)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    meta = [line.split(" · ")[0] for line in lines if " · " in line]
    assert sorted(meta) == ["   linux/kill.md", "   osx/kill.md"]  # each page once, by its path
    flat = CliRunner().invoke(cli, ["search", "kill", "--flat", "--index", str(folders_index_path)])
    meta = [line.split(" · ")[0] for line in flat.stdout.splitlines() if " · " in line]
    assert len(meta) == 5 and set(meta) == {"   linux/kill.md", "   osx/kill.md"}


@pytest.mark.parametrize(
    "query",
    [
        "process folder:linux",
        "process path:linux",
        "process folder:LINUX/",
        "process path:linux/kill.md",
        'process folder:"linux"',
    ],
)
def test_a_folder_in_the_query_keeps_the_files_under_it(ix: searchkit.Index, query: str) -> None:
    found = ix.search(query, limit=50, collapse="none")
    assert found.total == 2  # linux/kill.md's summary and first example (OR kept none else)
    assert set(_paths(found)) == {"linux/kill.md"}


def test_folder_terms_filter_rather_than_add_words(ix: searchkit.Index) -> None:
    alone = ix.search("folder:common", limit=50, collapse="none")
    assert set(_paths(alone)) == {"common/tar.md", "common/git-archive.md"}
    either = ix.search("process (folder:linux OR folder:osx)", limit=50, collapse="none")
    assert set(_paths(either)) == KILLS
    assert (
        ix.search("process -folder:linux", limit=50, collapse="none").total == 3
    )  # osx twice, top.html
    assert set(_paths(ix.search("process format:html", collapse="none"))) == {"top.html"}


def test_under_takes_a_folder_relative_to_the_root_or_absolute_inside_it(
    ix: searchkit.Index, pages: Path
) -> None:
    want = ["linux/kill.md"] * 2
    assert _paths(ix.search("process", under="linux", collapse="none")) == want
    assert _paths(ix.search("process", under="linux/", collapse="none")) == want
    assert _paths(ix.search("process", under=str(pages / "linux"), collapse="none")) == want
    both = ix.search("process", under=["linux", str(pages / "osx")], limit=50, collapse="none")
    assert set(_paths(both)) == KILLS
    assert (
        ix.search("process", under=str(pages), collapse="none").total
        == ix.search("process", collapse="none").total
    )
    assert ix.search("process", under="nothing-here", collapse="none").total == 0


def test_a_folder_outside_the_index_is_refused_naming_it(
    ix: searchkit.Index, pages: Path, tmp_path: Path, folders_index_path: Path
) -> None:
    with pytest.raises(searchkit.FilterError, match=f"folder {tmp_path} is not inside") as err:
        ix.search("process", under=str(tmp_path))
    assert str(pages) in str(err.value)
    with pytest.raises(searchkit.FilterError, match=r"'\.\./x' leaves the indexed folders"):
        ix.search("process", under="../x")
    result = CliRunner().invoke(
        cli, ["search", "process", "--under", str(tmp_path), "--index", str(folders_index_path)]
    )
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"Error: under: folder {tmp_path} is not inside a folder this index was built "
        f"from ({pages})"
    ]


def test_folder_and_format_facets(ix: searchkit.Index) -> None:
    found = ix.search("process OR archive", facets=["folder", "format"])
    assert found.facets == {
        "folder": {"common": 2, "linux": 1, "osx": 1},
        "format": {"markdown": 4, "html": 1},
    }


def test_the_cli_and_the_api_filter_by_folder(
    folders_index_path: Path, ix: searchkit.Index
) -> None:
    want = ix.search("process", under="osx", facets=["folder"]).as_dict()
    args = ["search", "process", "--under", "osx", "--facets", "folder", "--json"]
    result = CliRunner().invoke(cli, [*args, "--index", str(folders_index_path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == want
    with TestClient(create_app(folders_index_path), base_url="http://localhost") as client:
        got = client.get("/api/search", params={"q": "process", "under": "osx", "facets": "folder"})
        assert got.json() == want
        html = client.get("/", params={"q": "kill"}).text
    assert '<span class="path">linux/kill.md</span>' in html
    assert '<span class="path">osx/kill.md</span>' in html


def _same(a: searchkit.Results, b: searchkit.Results) -> None:
    def key(r: searchkit.Results) -> list[tuple[Any, ...]]:
        return [(h.chunk_id, round(h.score, 6), h.relative_path) for h in r]

    assert (a.total, key(a), a.facets) == (b.total, key(b), b.facets)


def test_shards_and_several_indexes_find_the_same(
    ix: searchkit.Index, pages: Path, tmp_path: Path
) -> None:
    with searchkit.Index.create(tmp_path / "sharded", shards=2) as sharded:
        sharded.add(pages)
        for options in (
            {"under": "linux"},
            {"under": str(pages / "common")},
            {"facets": ("folder", "format")},
        ):
            query = "process OR archive"
            _same(ix.search(query, **options), sharded.search(query, **options))
        _same(ix.search("archive folder:common"), sharded.search("archive folder:common"))
        with pytest.raises(searchkit.FilterError, match="is not inside"):
            sharded.search("process", under=str(tmp_path))
    with searchkit.Index.create(tmp_path / "a") as a, searchkit.Index.create(tmp_path / "b") as b:
        a.add(pages / "linux")
        b.add(pages / "osx")
    with searchkit.open_many([tmp_path / "a", tmp_path / "b"]) as many:
        # Each index's root is the folder it was given: paths relative to it.
        assert set(_paths(many.search("kill"))) == {"kill.md"}
        assert many.search("kill", facets=["format"]).facets == {"format": {"markdown": 2}}
        with pytest.raises(searchkit.FilterError, match="is not inside"):
            many.search("process", under=str(pages / "common"))
