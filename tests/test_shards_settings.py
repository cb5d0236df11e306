"""A sharded index with a default language, synonyms and field maps answers as an ordinary
index with the same settings and documents; the settings are kept once, for the whole."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import searchkit
from searchkit import Document, DocumentError, IndexDamagedError, Paragraph, SettingsError
from searchkit.cli import cli
from searchkit.shards import ShardedIndex

WORDS = [
    *("river", "bank", "money", "loan", "flood", "bridge", "council"),
    *("vote", "budget", "school", "teacher", "snow", "train", "houses"),
]
SYNONYMS = "# test rules\nstream, river\ndeluge => flood\nschool board, council\n"
MAP = {"title": "headline", "author": "byline", "text": "story", "published": "when"}


def _article(i: int, version: str = "v1") -> str:
    words = [WORDS[(i * 5 + k) % len(WORDS)] for k in range(3 + i % 4)]
    return (
        f"Article {i} about {words[0]}\n2024-{1 + i % 12:02d}-{1 + i % 27:02d}\n"
        f"Author: Writer {i % 3}\n\n"
        f"{' '.join(words)} {version} alpha{i}.\n\n"
        f"{WORDS[i % len(WORDS)]} and {WORDS[(i + 4) % len(WORDS)]} again.\n\n"
        "river bank\n"
    )


def _articles(root: Path, n: int = 15, version: str = "v1") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (root / f"a{i:02d}.txt").write_text(_article(i, version), encoding="utf-8")
    return root


def _record(i: int, version: str = "v1") -> dict[str, Any]:
    words = [WORDS[(i * 3 + k) % len(WORDS)] for k in range(4 + i % 3)]
    return {
        "id": f"r{i}",
        "headline": f"Report {i} on the {words[0]}",
        "byline": [f"Writer {i % 4}"],
        "when": f"2025-{1 + i % 12:02d}-10",
        "story": f"{' '.join(words)} {version} beta{i}.\n\nThe {words[-1]} and the river bank.",
    }


def _exports(root: Path, files: int = 12, version: str = "v1") -> Path:
    """JSONL files whose records keep their fields under other keys: read with MAP only."""
    root.mkdir(parents=True, exist_ok=True)
    for f in range(files):
        lines = [json.dumps(_record(f * 2 + k, version)) for k in range(2)]
        (root / f"e{f}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


QUERIES = ["river bank", "flood OR snow", "budget AND vote", '"bank money"', "riv*", "houses"]


def _same(got: searchkit.Results, want: searchkit.Results) -> None:
    assert [h.chunk_id for h in got] == [h.chunk_id for h in want]
    assert [h.rank for h in got] == [h.rank for h in want]
    assert all(abs(a.score - b.score) <= 1e-9 for a, b in zip(got, want, strict=True))
    assert (got.total, got.pages, got.query) == (want.total, want.pages, want.query)
    assert [h.language for h in got] == [h.language for h in want]


def _compare(sharded: searchkit.Index, one: searchkit.Index, queries: list[str]) -> None:
    assert isinstance(sharded, ShardedIndex) and not isinstance(one, ShardedIndex)
    for q in queries:
        for kw in ({"limit": 30}, {"limit": 4, "page": 2}, {"author": "Writer 1"}):
            _same(sharded.search(q, **kw), one.search(q, **kw))
        looked = {"facets": ("author", "year"), "explain": True, "limit": 30}
        got, want = sharded.search(q, **looked), one.search(q, **looked)  # type: ignore[arg-type]
        _same(got, want)
        assert got.facets == want.facets
        for a, b in zip(got, want, strict=True):
            assert [(t.field, t.term) for t in a.explanation] == [
                (t.field, t.term) for t in b.explanation
            ]
            assert a.explanation and abs(sum(t.score for t in a.explanation) - b.score) <= 1e-9
    assert sharded.documents() == one.documents()
    assert sharded.stats().languages == one.stats().languages
    source = one.search("river").hits[0].chunk_id
    _same(sharded.similar(source, limit=20), one.similar(source, limit=20))
    assert sharded.complete("ri") == one.complete("ri")


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """Where a 3-shard index and an ordinary one go."""
    yield tmp_path / "sharded", tmp_path / "one"


def _used(sharded: searchkit.Index) -> int:
    """How many shards hold documents (files go to shards by a hash of their path)."""
    assert isinstance(sharded, ShardedIndex)
    return sum(1 for shard in sharded.shards() if len(shard))


def _shard_settings(root: Path) -> list[dict[str, Any]]:
    """Each shard's own searchkit.json."""
    data = json.loads((root / "searchkit.json").read_text())["data"]
    return [json.loads(p.read_text()) for p in sorted((root / data).glob("*/searchkit.json"))]


# -- a default language -------------------------------------------------------------------


def test_a_default_language_shards_as_one_index(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    files = _articles(tmp_path / "files")
    sh_path, one_path = pair
    with (
        searchkit.Index.create(sh_path, shards=3, language="de") as sharded,
        searchkit.Index.create(one_path, language="de") as one,
    ):
        assert sharded.add(files).added == one.add(files).added == 15
        # Every document took the index's language, not the detected English.
        assert sharded.stats().languages == (("de", 15),)
        assert _used(sharded) > 1
        _compare(sharded, one, [*QUERIES, "language:de houses"])
        # A sync and a rebuild read with it too.
        _articles(files, 15, "v2")
        assert sharded.add(files).updated == one.add(files).updated == 15
        _compare(sharded, one, ["v2 river"])
        sharded.rebuild(confirm=True)
        one.rebuild(confirm=True)
        assert sharded.stats().languages == (("de", 15),)
        _compare(sharded, one, QUERIES)
        # Documents given without files take it too.
        text = "The houses by the river bank were sold."
        doc = Document("d1", "given/d1", "Houses", (Paragraph(1, text, 0, len(text)),))
        for index in (sharded, one):
            assert index.add_documents([doc]).added == 1
        assert sharded.document("d1").language == one.document("d1").language == "de"
        _compare(sharded, one, ["houses"])
    kept = json.loads((sh_path / "searchkit.json").read_text())
    assert kept["language"] == "de"
    assert {s["language"] for s in _shard_settings(sh_path)} == {"auto"}  # kept once
    assert searchkit.check_index(sh_path).ok


def test_without_the_language_the_documents_are_detected(tmp_path: Path) -> None:
    with searchkit.Index.create(tmp_path / "sh", shards=3) as sharded:
        sharded.add(_articles(tmp_path / "files"))
        assert sharded.stats().languages == (("en", 15),)


def test_a_bad_language_or_synonyms_file_is_refused_before_anything_is_made(
    tmp_path: Path,
) -> None:
    with pytest.raises(SettingsError, match="language must be 'auto' or an ISO 639 code"):
        searchkit.Index.create(tmp_path / "sh", shards=3, language="not a code")
    with pytest.raises(SettingsError, match="no such synonyms file"):
        searchkit.Index.create(tmp_path / "sh", shards=3, synonyms=tmp_path / "missing.txt")
    assert not (tmp_path / "sh").exists()


def test_a_shard_s_own_settings_never_decide(tmp_path: Path) -> None:
    """The whole index's settings are the only ones: a shard's own searchkit.json that
    names a language or field maps (edited by hand) changes nothing."""
    root = tmp_path / "sh"
    searchkit.Index.create(root, shards=2, language="de").close()
    data = json.loads((root / "searchkit.json").read_text())["data"]
    for own in (root / data).glob("*/searchkit.json"):
        raw = json.loads(own.read_text())
        raw.update(language="fr", field_maps={str(tmp_path / "data"): {"title": "story"}})
        own.write_text(json.dumps(raw), encoding="utf-8")
    with searchkit.Index.open(root) as sharded:
        sharded.add(_articles(tmp_path / "files", 6))
        sharded.add(_exports(tmp_path / "data", 3), field_map=MAP)
        assert sharded.stats().languages == (("de", 12),)
        assert sharded.search("beta1").hits[0].title == _record(1)["headline"]


# -- synonyms -----------------------------------------------------------------------------


def test_synonyms_shard_as_one_index(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    files = _articles(tmp_path / "files")
    rules = tmp_path / "rules.txt"
    rules.write_text(SYNONYMS, encoding="utf-8")
    sh_path, one_path = pair
    with (
        searchkit.Index.create(sh_path, shards=3, synonyms=rules) as sharded,
        searchkit.Index.create(one_path, synonyms=rules) as one,
    ):
        sharded.add(files)
        one.add(files)
        widened = ["stream", "stream bank", "deluge", "school board", "deluge OR snow"]
        _compare(sharded, one, widened)
        assert (
            sharded.search("stream", collapse="none").total
            == sharded.search("river OR stream", collapse="none").total
            > 15
        )
        assert sharded.search("deluge", collapse="none").query == "body:flood"
        assert sharded.synonyms == one.synonyms and (sh_path / "synonyms.txt").is_file()
        # Changed and removed as on an ordinary index: at once, nothing re-indexed.
        for index in (sharded, one):
            index.set_synonyms(None)
        assert sharded.search("stream", collapse="none").total == 0
        _compare(sharded, one, ["stream"])
        rules.write_text("stream => snow\n", encoding="utf-8")
        for index in (sharded, one):
            index.set_synonyms(rules)
        _compare(sharded, one, ["stream"])
        assert sharded.search("stream", collapse="none").query == "body:snow"
        sharded.rebuild(confirm=True)  # the synonyms stay
        assert sharded.search("stream", collapse="none").query == "body:snow"
    with searchkit.Index.open(sh_path) as reopened:
        assert reopened.search("stream", collapse="none").query == "body:snow"


def test_synonyms_reach_the_web_app(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from searchkit.web import create_app

    rules = tmp_path / "rules.txt"
    rules.write_text(SYNONYMS, encoding="utf-8")
    with searchkit.Index.create(tmp_path / "sh", shards=3, synonyms=rules) as sharded:
        sharded.add(_articles(tmp_path / "files"))
        want = sharded.search("stream", limit=20)
    with TestClient(create_app(tmp_path / "sh"), base_url="http://localhost") as client:
        got = client.get("/api/search", params={"q": "stream", "limit": 20}).json()
    assert got["total"] == want.total > 0 and got["query"] == want.query
    assert [h["chunk_id"] for h in got["hits"]] == [h.chunk_id for h in want]


def test_a_damaged_synonyms_file_is_a_settings_error_naming_it(tmp_path: Path) -> None:
    rules = tmp_path / "rules.txt"
    rules.write_text(SYNONYMS, encoding="utf-8")
    with searchkit.Index.create(tmp_path / "sh", shards=2, synonyms=rules) as sharded:
        sharded.add(_articles(tmp_path / "files", 4))
    kept = tmp_path / "sh" / "synonyms.txt"
    kept.write_text("a => b => c\n", encoding="utf-8")
    with (
        searchkit.Index.open(tmp_path / "sh") as sharded,
        pytest.raises(SettingsError, match=re.escape(f"{kept}, line 1: more than one '=>'")),
    ):
        sharded.search("river")
    # A file that cannot be used is refused before it replaces the kept one.
    bad = tmp_path / "bad.txt"
    bad.write_text("a,,b\n", encoding="utf-8")
    kept.write_text(SYNONYMS, encoding="utf-8")
    with searchkit.Index.open(tmp_path / "sh") as sharded:
        with pytest.raises(SettingsError, match="line 1: an empty word"):
            sharded.set_synonyms(bad)
        assert sharded.search("deluge").query == "body:flood"


# -- field maps ---------------------------------------------------------------------------


def test_field_maps_shard_as_one_index(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    data = _exports(tmp_path / "data")
    sh_path, one_path = pair
    with (
        searchkit.Index.create(sh_path, shards=3) as sharded,
        searchkit.Index.create(one_path) as one,
    ):
        got, want = sharded.add(data, field_map=MAP), one.add(data, field_map=MAP)
        assert got.added == want.added == 24 and got.skipped == want.skipped == ()
        assert _used(sharded) > 1
        hit = sharded.search("beta5").hits[0]
        assert (hit.title, hit.author) == (_record(5)["headline"], "Writer 1")
        assert hit.published is not None and hit.published.year == 2025
        _compare(sharded, one, [*QUERIES, "beta7", "report"])
        # Later adds and rebuilds read those paths with the map kept.
        _exports(data, 12, "v2")
        assert sharded.add(data).updated == one.add(data).updated == 24
        _compare(sharded, one, ["v2 river", "report"])
        sharded.rebuild(confirm=True)
        one.rebuild(confirm=True)
        _compare(sharded, one, QUERIES)
        # A new map for the same path replaces the old, for files read from now on.
        other = {**MAP, "title": "when"}
        (data / "e0.jsonl").write_text(json.dumps(_record(0, "v3")) + "\n", encoding="utf-8")
        assert sharded.add(data, field_map=other).updated == 1
        assert one.add(data, field_map=other).updated == 1
        _compare(sharded, one, ["v3", "report"])
        assert sharded.search("v3").hits[0].title == "2025-01-10"
    kept = json.loads((sh_path / "searchkit.json").read_text())
    assert kept["field_maps"] == {str(data): other}
    assert one.sources() == sharded.sources()
    assert {json.dumps(s["field_maps"]) for s in _shard_settings(sh_path)} == {"{}"}


def test_a_dry_run_uses_the_map_without_keeping_it(tmp_path: Path) -> None:
    data = _exports(tmp_path / "data")
    with searchkit.Index.create(tmp_path / "sh", shards=3) as sharded:
        before = (tmp_path / "sh" / "searchkit.json").read_bytes()
        report = sharded.add(data, field_map=MAP, dry_run=True)
        assert (report.added, report.dry_run) == (24, True)
        assert (tmp_path / "sh" / "searchkit.json").read_bytes() == before
        assert len(sharded) == 0


def test_a_bad_map_or_path_changes_nothing(tmp_path: Path) -> None:
    data = _exports(tmp_path / "data")
    with searchkit.Index.create(tmp_path / "sh", shards=3) as sharded:
        sharded.add(data, field_map=MAP)
        before = (tmp_path / "sh" / "searchkit.json").read_bytes()
        with pytest.raises(SettingsError, match="field map: no field 'headline'"):
            sharded.add(data, field_map={"headline": "title"})
        with pytest.raises(DocumentError, match="no such file or folder; nothing was changed"):
            sharded.add(tmp_path / "missing", field_map=MAP)
        assert (tmp_path / "sh" / "searchkit.json").read_bytes() == before
        assert sharded.stats().documents == 24


# -- the settings file, read back ---------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("field_maps", "title=headline", "field_maps must map paths to {field: key} objects"),
        ("field_maps", {"/x": {"title": 5}}, "field_maps must map paths"),
        ("language", 7, "language must be 'auto' or an ISO 639 code"),
        ("language", "../../etc", "language must be 'auto' or an ISO 639 code"),
        ("data", "../elsewhere", "data must name a shards-<n> folder inside the index folder"),
        ("shards", "3", "shards must be a whole number from 1 to 256"),
        ("sources", "/x", "sources must be a list of paths"),
        ("vectors", "no", "vectors must be true or false"),
    ],
)
def test_a_damaged_settings_file_is_a_typed_error_naming_it(
    tmp_path: Path, field: str, value: object, reason: str
) -> None:
    root = tmp_path / "sh"
    files = _articles(tmp_path / "files", 4)
    with searchkit.Index.create(root, shards=2, language="de") as sharded:
        sharded.add(files)
    settings = root / "searchkit.json"
    raw = json.loads(settings.read_text())
    settings.write_text(json.dumps({**raw, field: value}), encoding="utf-8")
    with pytest.raises(IndexDamagedError, match=re.escape(reason)) as caught:
        searchkit.Index.open(root)
    assert str(settings) in str(caught.value)
    found = searchkit.check_index(root)
    assert not found.ok and reason in found.problems[0]
    code, _, err = _run("search", "river", "--index", root)
    assert code == 3 and err.startswith(f"Error: index damaged at {root}: {settings}: ")
    assert reason in err
    # Repair keeps what is sound (the language, unless it was the damage) and rebuilds
    # (not without the shard count, nor the sources a sharded index keeps only there).
    if field not in ("shards", "sources"):
        repaired = searchkit.check_index(root, repair=True, confirm=True)
        assert repaired.ok and repaired.repaired and repaired.documents == 4
        with searchkit.Index.open(root) as back:
            assert back.stats().languages == ((("en" if field == "language" else "de"), 4),)


def test_settings_that_are_not_json_are_damage(tmp_path: Path) -> None:
    root = tmp_path / "sh"
    searchkit.Index.create(root, shards=2).close()
    text = (root / "searchkit.json").read_text()
    (root / "searchkit.json").write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(searchkit.SearchkitIndexError, match=r"searchkit\.json"):
        searchkit.Index.open(root)


# -- the command line ---------------------------------------------------------------------


def _run(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args], prog_name="searchkit")
    return result.exit_code, result.stdout, result.stderr


def _hits(index: Path, query: str) -> dict[str, Any]:
    code, out, err = _run("search", query, "--index", index, "--json", "-n", "30")
    assert code in (0, 1), err
    found: dict[str, Any] = json.loads(out)
    return found


def test_cli_settings_on_a_sharded_index(tmp_path: Path) -> None:
    files = _articles(tmp_path / "files")
    data = _exports(tmp_path / "data")
    rules = tmp_path / "rules.txt"
    rules.write_text(SYNONYMS, encoding="utf-8")
    sh, one = tmp_path / "sh", tmp_path / "one"
    common = ["--language", "de", "--synonyms", rules, "-q"]
    assert _run("index", files, "--index", sh, "--shards", "3", *common)[0] == 0
    assert _run("index", files, "--index", one, *common)[0] == 0
    mapping = "title=headline,author=byline,text=story,published=when"
    for where in (sh, one):
        code, _, err = _run("index", data, "--index", where, "--map", mapping, "-q")
        assert code == 0 and err == ""
    assert isinstance(searchkit.Index.open(sh), ShardedIndex)
    for q in ["stream", "deluge", "houses", "beta5", "report river"]:
        got, want = _hits(sh, q), _hits(one, q)
        assert got == want and (got["total"] > 0), q
    code, out, _ = _run("stats", "--index", sh)
    assert code == 0 and "Languages:      de 39" in out
    # --language names a new index's language: another one for an existing index is an
    # error, never silently ignored; the same one (in any spelling) is fine.
    for where in (sh, one):
        code, _, err = _run("index", files, "--index", where, "--language", "fr", "-q")
        assert (code, err) == (
            2,
            f"Error: index {where} has default language 'de', not 'fr': the default language "
            "is chosen when an index is created (index into a new folder to change it)\n",
        )
        assert json.loads((where / "searchkit.json").read_text())["language"] == "de"
        assert _run("index", files, "--index", where, "--language", "de-DE", "-q")[0] == 0
    # --synonyms on an existing sharded index replaces them, and with --rebuild too.
    rules.write_text("stream => snow\n", encoding="utf-8")
    assert _run("index", "--index", sh, "--rebuild", "--yes", "--synonyms", rules, "-q")[0] == 0
    assert _hits(sh, "stream")["query"] == "(body:snow OR body_de:snow)"
    assert _hits(sh, "beta5")["total"] == 1  # the rebuild read the records with the map
    code, _, err = _run("index", data, "--index", sh, "--rebuild", "--map", mapping)
    assert code == 2 and "--map does not go with --rebuild" in err
    code, _, err = _run(
        "index", files, "--index", tmp_path / "x", "--shards", "2", "--language", "not a code"
    )
    assert code == 2 and "language must be 'auto' or an ISO 639 code" in err


# -- on a Dask cluster --------------------------------------------------------------------


def test_settings_hold_on_a_dask_cluster(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    from searchkit.distributed import connect

    files = _articles(tmp_path / "files")
    data = _exports(tmp_path / "data")
    rules = tmp_path / "rules.txt"
    rules.write_text(SYNONYMS, encoding="utf-8")
    settings: dict[str, Any] = {"language": "de", "synonyms": rules}
    with (
        connect("local", workers=2) as client,  # two worker processes on 127.0.0.1
        searchkit.Index.create(tmp_path / "sh", shards=3, **settings) as sharded,
        searchkit.Index.create(tmp_path / "one", **settings) as one,
    ):
        for index in (sharded, one):
            index.add(files)
        assert sharded.add(data, field_map=MAP, client=client).added == 24
        one.add(data, field_map=MAP)
        assert sharded.stats().languages == (("de", 39),)
        _compare(sharded, one, ["stream", "deluge", "beta5", "report river"])
        for q in ("stream", "deluge OR beta5"):
            on_cluster = sharded.search(q, client=client, limit=30)
            _same(on_cluster, one.search(q, limit=30))
            assert on_cluster.total > 0
        sharded.rebuild(confirm=True)  # here, from the settings the cluster build kept
        _compare(sharded, one, ["beta5"])
