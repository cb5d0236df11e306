"""Synonyms and aliases: Solr's synonyms.txt format, kept with the index, applied to queries."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import searchkit
from searchkit.analysis.synonyms import parse_synonyms
from searchkit.cli import cli

from .conftest import SEEDS

SYNONYMS = Path(__file__).parent / "fixtures" / "languages" / "synonyms.txt"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> searchkit.Index:
    root = tmp_path_factory.mktemp("synonyms")
    copy = root / "synonyms.txt"
    shutil.copy(SYNONYMS, copy)
    ix = searchkit.Index.create(root / "ix", synonyms=copy)
    ix.add(SEEDS)
    copy.unlink()  # the index keeps its own copy
    return ix


def _hits(results: searchkit.Results) -> list[str]:
    return [h.chunk_id for h in results.hits]


def test_the_rules_of_the_format() -> None:
    rules = parse_synonyms(SYNONYMS.read_text()).rules
    assert rules == {
        ("kiev",): (("kiev",), ("kyiv",)),
        ("kyiv",): (("kiev",), ("kyiv",)),
        ("belorussia",): (("belorussia",), ("belarus",)),
        ("belarus",): (("belorussia",), ("belarus",)),
        ("lukashenka",): (("lukashenko",),),
        ("svo",): (("svo",), ("special", "military", "operation")),
        ("special", "military", "operation"): (("svo",), ("special", "military", "operation")),
    }
    # Rules sharing a word add up; case and accents do not matter.
    assert parse_synonyms("a, b\nA, c\nÉté => summer").rules == {
        ("a",): (("a",), ("b",), ("c",)),
        ("b",): (("a",), ("b",)),
        ("c",): (("a",), ("c",)),
        ("ete",): (("summer",),),
    }


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("a, b\nx => y => z", "synonyms, line 2: more than one '=>'"),
        ("# fine\n\na,, b", "synonyms, line 3: an empty word between commas or arrows"),
        ("x =>", "synonyms, line 1: an empty word between commas or arrows"),
    ],
)
def test_bad_rules_name_their_line(text: str, reason: str) -> None:
    with pytest.raises(searchkit.SettingsError) as caught:
        parse_synonyms(text)
    assert str(caught.value) == reason


def test_aliases_find_each_other_on_the_seed_index(seeded: searchkit.Index) -> None:
    kiev = seeded.search("Kiev", limit=50, collapse="none")
    assert kiev.total == 9
    kyiv = seeded.search("Kyiv", limit=50, collapse="none")
    assert _hits(kyiv) == _hits(kiev)
    assert kyiv.query == "(body:kiev OR body:kyiv)"  # the expansion, as --json shows it
    assert {h.highlights for h in kyiv.hits} == {("Kiev",)}


def test_one_way_rules_replace_the_word(seeded: searchkit.Index) -> None:
    found = seeded.search("Lukashenka", limit=50, collapse="none")
    assert found.query == "body:lukashenko"
    assert _hits(found) == _hits(seeded.search("Lukashenko", limit=50, collapse="none"))
    assert found.total == 5


def test_a_phrase_alias(seeded: searchkit.Index) -> None:
    found = seeded.search("SVO", limit=50, collapse="none")
    assert found.query == '(body:svo OR body:"special militari oper")'
    phrase = seeded.search('"special military operation"', limit=50, collapse="none")
    # The one paragraph saying "SVO" also says "special military operation".
    assert set(_hits(found)) == set(_hits(phrase))
    assert found.total == 7
    # A field named in the query is searched as written.
    assert seeded.search("title:Kyiv", collapse="none").total == 0


def test_synonyms_are_kept_with_the_index_and_can_be_removed(seeded: searchkit.Index) -> None:
    assert (seeded.path / "synonyms.txt").read_text() == SYNONYMS.read_text()
    with searchkit.Index.open(seeded.path) as again:
        assert again.synonyms is not None and len(again.synonyms) == 7
        assert again.search("Kyiv", collapse="none").total == 9
        assert again.set_synonyms(None) is None
        assert again.search("Kyiv", collapse="none").total == 0
        assert not (seeded.path / "synonyms.txt").exists()
        again.set_synonyms(SYNONYMS)
    assert seeded.search("Kyiv", collapse="none").total == 9


def test_cli_index_synonyms(tmp_path: Path) -> None:
    runner = CliRunner()
    ix = str(tmp_path / "ix")
    done = runner.invoke(
        cli, ["index", str(SEEDS), "--index", ix, "-q", "--synonyms", str(SYNONYMS)]
    )
    assert done.exit_code == 0, done.output
    found = runner.invoke(cli, ["search", "Kyiv", "--index", ix, "--json"])
    assert found.exit_code == 0
    assert '"query": "(body:kiev OR body:kyiv)"' in found.output
    bad = tmp_path / "bad.txt"
    bad.write_text("Kiev, Kyiv\nx => y => z\n")
    failed = runner.invoke(cli, ["index", str(SEEDS), "--index", ix, "--synonyms", str(bad)])
    assert failed.exit_code == 2
    assert failed.output.splitlines()[-1] == f"Error: {bad}, line 2: more than one '=>'"
