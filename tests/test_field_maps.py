"""JSON and JSONL records whose fields have other names: field maps, JSON arrays."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import searchkit
from searchkit.cli import cli
from searchkit.loaders import load_file

RECORDS = [
    {
        "headline": "Rain in Minsk",
        "byline": ["Jo Doe", "Ann Lee"],
        "date": "2024-03-01",
        "link": {"href": "https://www.example.org/rain"},
        "story": "It rained all day.\n\nNobody minded.",
    },
    {"headline": "No story here", "byline": "Ann Lee"},
    {"headline": "Sun in Brest", "story": "The sun came out at noon."},
]
MAP = {"title": "headline", "author": "byline", "source_url": "link.href", "text": "story"}


def _json_array(path: Path) -> Path:
    # One record a few lines, as pretty-printed exports are.
    path.write_text(json.dumps(RECORDS, indent=2), encoding="utf-8")
    return path


def test_a_json_array_with_a_field_map(tmp_path: Path) -> None:
    f = _json_array(tmp_path / "export.json")
    docs, skipped = load_file(f, MAP)
    assert [(d.title, d.author, d.record_line, d.format) for d in docs] == [
        ("Rain in Minsk", "Jo Doe, Ann Lee", 2, "json"),
        ("Sun in Brest", None, 18, "json"),
    ]
    assert docs[0].published == dt.datetime(2024, 3, 1)
    assert (docs[0].source_url, docs[0].source_domain) == (
        "https://www.example.org/rain",
        "example.org",
    )
    assert [p.text for p in docs[0].paragraphs] == ["It rained all day.", "Nobody minded."]
    assert skipped == [searchkit.Skipped(str(f), "line 14: no text (no story string)", "record")]


def test_without_the_map_nothing_is_text(tmp_path: Path) -> None:
    f = _json_array(tmp_path / "export.json")
    with pytest.raises(searchkit.DocumentError, match="no usable records"):
        load_file(f)


def test_jsonl_with_a_field_map_and_a_single_json_record(tmp_path: Path) -> None:
    lines = tmp_path / "feed.jsonl"
    lines.write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n", encoding="utf-8")
    docs, skipped = load_file(lines, MAP)
    assert [(d.title, d.record_line) for d in docs] == [("Rain in Minsk", 1), ("Sun in Brest", 3)]
    assert [s.reason for s in skipped] == ["line 2: no text (no story string)"]
    one = tmp_path / "one.json"
    one.write_text(json.dumps({"title": "T", "text": "Words."}), encoding="utf-8")
    assert [d.title for d in load_file(one)[0]] == ["T"]
    broken = tmp_path / "broken.json"
    broken.write_text('[\n {"text": "a"},\n {"text": }\n]', encoding="utf-8")
    with pytest.raises(searchkit.DocumentError, match=r"line 3: invalid JSON: Expecting value"):
        load_file(broken)


@pytest.mark.parametrize(
    ("field_map", "reason"),
    [
        ({"headline": "title"}, "field map: no field 'headline'; map one of id, title, text"),
        ({"title": ""}, "field map: 'title' needs a record key, not ''"),
    ],
)
def test_a_bad_field_map_is_a_settings_error(
    index: searchkit.Index, tmp_path: Path, field_map: dict[str, str], reason: str
) -> None:
    with pytest.raises(searchkit.SettingsError, match=reason):
        index.add(_json_array(tmp_path / "export.json"), field_map=field_map)


def test_the_index_keeps_the_map_for_later_adds_and_rebuilds(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    f = _json_array(data / "export.json")
    with searchkit.Index.create(tmp_path / "ix") as ix:
        report = ix.add(data, field_map=MAP)
        assert (report.added, [s.reason for s in report.skipped]) == (
            2,
            ["line 14: no text (no story string)"],
        )
        assert ix.search("rained").hits[0].author == "Jo Doe, Ann Lee"
        f.write_text(f.read_text().replace("noon", "dusk"), encoding="utf-8")
        assert ix.add(data).updated == 2  # read again with the map it was given
        assert ix.search("dusk").total == 1
        ix.rebuild(confirm=True)
        assert {d.title for d in ix.documents()} == {"Rain in Minsk", "Sun in Brest"}


def test_cli_map(tmp_path: Path) -> None:
    f = _json_array(tmp_path / "export.json")
    ix = str(tmp_path / "ix")
    runner = CliRunner()
    done = runner.invoke(
        cli,
        ["index", str(f), "--index", ix, "--json", "--map", "title=headline,text=story"],
    )
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["skipped"] == [
        {"path": str(f), "reason": "line 14: no text (no story string)", "kind": "record"}
    ]
    found = runner.invoke(cli, ["search", "sun", "--index", ix, "--json"])
    assert json.loads(found.stdout)["hits"][0]["title"] == "Sun in Brest"
    bad = runner.invoke(cli, ["index", str(f), "--index", ix, "--map", "title"])
    assert bad.exit_code == 2
    assert "expected FIELD=KEY pairs joined by commas, not 'title'" in bad.output
