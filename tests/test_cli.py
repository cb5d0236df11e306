"""The ``searchkit`` command, end to end.

Most tests drive the commands in-process through ``click.testing.CliRunner``; the ones
at the bottom run the installed ``searchkit`` script as a real subprocess, so that exit
codes, stderr and piped (non-terminal) output are checked exactly as a shell sees them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

import searchkit
from searchkit._lock import WriteLock
from searchkit.cli import _options, _render, cli
from searchkit.schema import SCHEMA_VERSION
from searchkit.search import SORTS

from .conftest import searchkit_script

# A user's NO_COLOR, SEARCHKIT_INDEX or TERM would change what the commands print.
pytestmark = pytest.mark.usefixtures("clean_env")

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SEED_FILE = next(SEEDS.glob("*.txt")).resolve()
TITLE = "What important role does Belarus play in the Ukraine conflict?"
SOURCE = "https://www.toutiao.com/article/7515969173709767187/"
ESC = "\x1b"


@pytest.fixture(scope="module")
def doc_id(seed_index_path: Path) -> str:
    with searchkit.Index.open(seed_index_path) as ix:
        return ix.documents()[0].id


def run(*args: object, env: Mapping[str, str] | None = None) -> Result:
    """Run ``searchkit ARGS`` in-process; stdout and stderr are kept apart."""
    return CliRunner().invoke(cli, [str(a) for a in args], env=env, prog_name="searchkit")


def one_error_line(result: Result | subprocess.CompletedProcess[str]) -> str:
    """The single ``Error: ...`` line a failed command printed on stderr."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.stderr
    return lines[0]


# -- version and help --------------------------------------------------------------------


def test_version() -> None:
    result = run("--version")
    assert (result.exit_code, result.stdout) == (0, f"searchkit {searchkit.__version__}\n")


@pytest.mark.parametrize(
    "command",
    [[], ["index"], ["search"], ["show"], ["docs"], ["stats"], ["check"], ["serve"], ["similar"]],
)
def test_help_starts_with_an_example_and_lists_exit_codes(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0
    lines = [ln.strip() for ln in result.stdout.splitlines() if ln.strip()]
    assert lines[0].startswith("Usage: searchkit")
    assert lines[1] == "Example:"
    assert lines[2].startswith("searchkit ")
    assert "Exit codes: 0 success / hits found, 1 no hits, 2 usage, query or query-limit" in lines
    if command:
        assert any(ln.startswith("Python: ") for ln in lines)


def test_sort_choices_are_the_librarys() -> None:
    assert _options.SORT_CHOICES == SORTS


def test_search_and_similar_take_the_same_option_families() -> None:
    def options(command: click.Command) -> dict[str | None, dict[str, object]]:
        return {p.name: p.to_info_dict() for p in command.params if isinstance(p, click.Option)}

    search, similar = options(cli.commands["search"]), options(cli.commands["similar"])
    assert set(search) - set(similar) == {
        "doc_ids",
        "require_all",
        "collapse",
        "exact",
        "mode",
        "proximity",
        "dask_address",
        "dask_timeout",
    }
    assert set(similar) - set(search) == {"whole_document"}
    differ = {n for n in set(search) & set(similar) if search[n] != similar[n]}
    assert differ == {"sort", "group", "as_json"}  # in their help only
    for name in differ:
        assert {**search[name], "help": ""} == {**similar[name], "help": ""}


# -- index -------------------------------------------------------------------------------


def test_index_creates_the_index_then_leaves_unchanged_files_alone(tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    first = run("index", SEEDS, "--index", ix)
    assert first.exit_code == 0
    assert first.stdout == f"Indexed 1 document (17 paragraphs) in {ix}: 1 added.\n"
    assert first.stderr == ""  # no progress bar: stderr is not a terminal
    second = run("index", SEEDS, "--index", ix)
    assert second.stdout == f"Indexed 0 documents (0 paragraphs) in {ix}: 1 unchanged.\n"


def test_index_reports_each_skipped_file_on_stderr(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(SEED_FILE, folder / "a.txt")
    (folder / "b.txt").write_bytes(b"\x00\x01binary")
    (folder / "c.txt").write_bytes(b"")
    result = run("index", folder, "--index", tmp_path / "ix")
    assert result.exit_code == 0
    assert result.stdout == (
        f"Indexed 1 document (17 paragraphs) in {tmp_path / 'ix'}: 1 added; skipped 2 files.\n"
    )
    assert result.stderr.splitlines() == [
        f"Skipped {folder / 'b.txt'}: binary file (contains NUL bytes), not text",
        f"Skipped {folder / 'c.txt'}: empty file",
    ]
    quiet = run("index", folder, "--index", tmp_path / "ix", "--quiet")
    assert quiet.stdout == ""
    assert len(quiet.stderr.splitlines()) == 2
    # A path named that is not there is an error, not a skip (see test_safety.py).
    missing = run("index", folder, tmp_path / "missing.txt", "--index", tmp_path / "ix")
    assert missing.exit_code == 2


def test_index_json_report(tmp_path: Path) -> None:
    result = run("index", SEEDS, "--index", tmp_path / "ix", "--json")
    report = json.loads(result.stdout)
    assert report == {
        "added": 1,
        "updated": 0,
        "removed": 0,
        "unchanged": 0,
        "renamed": 0,
        "chunks": 17,
        "skipped": [],
        "dry_run": False,
        "indexed": 1,
    }


def test_index_dry_run_writes_nothing(tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    missing = run("index", SEEDS, "--index", ix, "--dry-run")
    assert missing.exit_code == 3
    assert not ix.exists()
    searchkit.Index.create(ix).close()
    result = run("index", SEEDS, "--index", ix, "--dry-run")
    assert result.exit_code == 0
    assert result.stdout == (
        f"Dry run, nothing written: would index 1 document (17 paragraphs) in {ix}: 1 added.\n"
    )
    with searchkit.Index.open(ix) as opened:
        assert len(opened) == 0


def test_index_location_option_then_env_then_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run("index", SEEDS).exit_code == 0
    assert searchkit.Index.exists(tmp_path / ".searchkit")
    assert run("index", SEEDS, env={"SEARCHKIT_INDEX": "from-env"}).exit_code == 0
    assert searchkit.Index.exists(tmp_path / "from-env")
    both = run("index", SEEDS, "--index", "from-option", env={"SEARCHKIT_INDEX": "from-env"})
    assert both.exit_code == 0
    assert searchkit.Index.exists(tmp_path / "from-option")
    assert run("search", "Machulischi", env={"SEARCHKIT_INDEX": "from-env"}).exit_code == 0


def test_index_locked_exits_4(tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    searchkit.Index.create(ix).close()
    with WriteLock(ix):
        result = run("index", SEEDS, "--index", ix, "--lock-timeout", "0.1")
        by_env = run("index", SEEDS, "--index", ix, env={"SEARCHKIT_LOCK_TIMEOUT": "0"})
    assert (result.exit_code, by_env.exit_code) == (4, 4)
    assert result.stdout == ""
    assert f"Error: index {ix} is locked by pid {os.getpid()}" in one_error_line(result)
    assert run("index", SEEDS, "--index", ix).exit_code == 0  # free again


def test_interrupt_exits_130(seed_index_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(searchkit.Index, "search", interrupted)
    result = run("search", "Belarus", "--index", seed_index_path)
    assert result.exit_code == 130
    assert result.stderr.strip() == "Error: interrupted"


def test_closed_output_pipe_exits_141(
    seed_index_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise BrokenPipeError

    monkeypatch.setattr(_render.click, "echo", broken)
    result = run("docs", "--index", seed_index_path)
    assert (result.exit_code, result.stderr) == (141, "")


# -- search ------------------------------------------------------------------------------


def test_search_prints_hits_exactly(seed_index_path: Path, doc_id: str) -> None:
    result = run("search", "Machulischi", "--index", seed_index_path)
    assert result.exit_code == 0
    assert result.stdout == (
        f"1. {TITLE}  (score 2.35)\n"
        f"   000_43ca5ddb21f9512f.txt · 2025-06-14 10:55 · Natalia Grigoryeva · ¶7 · {doc_id}:7\n"
        "   …handed over a Ukrainian saboteur who organized a terrorist attack near the "
        "[Machulischi] military airport to Kiev in exchange for Russian soldiers and "
        "Metropolitan Ioan of the Ukrainian Orthodox Turcinov and Bratslav Diocese. "
        "In November of…\n"
        "\n"
    )
    assert result.stderr == "1 hit\n"


def test_search_json_hit_field_by_field(seed_index_path: Path, doc_id: str) -> None:
    result = run("search", "Machulischi", "--index", seed_index_path, "--json")
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert {k: out[k] for k in ("total", "page", "pages", "limit", "grouped")} == {
        "total": 1,
        "page": 1,
        "pages": 1,
        "limit": 10,
        "grouped": False,
    }
    assert "machulischi" in out["query"]
    [hit] = out["hits"]
    assert list(hit) == list(searchkit.models.HIT_FIELDS)
    assert hit["rank"] == 1
    assert hit["score"] == pytest.approx(2.347, abs=0.01)
    assert hit["chunk_id"] == f"{doc_id}:7"
    assert hit["doc_id"] == doc_id
    assert (hit["paragraph"], hit["part"], hit["seq"]) == (7, 1, 7)
    assert hit["title"] == TITLE
    assert hit["author"] == "Natalia Grigoryeva"
    assert hit["published"] == "2025-06-14T10:55:00"
    assert hit["source_url"] == SOURCE
    assert hit["source_domain"] == "toutiao.com"
    assert hit["path"] == str(SEED_FILE)
    assert SEED_FILE.read_text(encoding="utf-8")[hit["start"] : hit["end"]] == hit["text"]
    assert hit["highlights"] == ["Machulischi"]
    [[s, e]] = hit["spans"]
    assert hit["text"][s:e] == "Machulischi"
    assert (hit["before"], hit["after"], hit["more"]) == ([], [], [])


def test_search_phrase(seed_index_path: Path) -> None:
    result = run("search", '"1000 for 1000"', "--index", seed_index_path, "--json")
    [hit] = json.loads(result.stdout)["hits"]
    assert hit["paragraph"] == 9
    assert '"1000 for 1000,"' in hit["text"]
    assert hit["highlights"] == ["1000"]


def test_search_with_no_hits_exits_1(seed_index_path: Path) -> None:
    human = run("search", "Belarus", "--since", "2025-07", "--index", seed_index_path)
    assert (human.exit_code, human.stdout, human.stderr) == (1, "", "No hits\n")
    as_json = run("search", "Belarus", "--since", "2025-07", "--index", seed_index_path, "--json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["total"] == 0
    assert json.loads(as_json.stdout)["hits"] == []
    jsonl = run("search", "Belarus", "--since", "2025-07", "--index", seed_index_path, "--jsonl")
    assert (jsonl.exit_code, jsonl.stdout) == (1, "")


def test_search_pages(seed_index_path: Path) -> None:
    last = run(
        "search",
        "--flat",
        "Belarus",
        "-n",
        "5",
        "--page",
        "4",
        "--index",
        seed_index_path,
        "--jsonl",
    )
    assert [json.loads(line)["rank"] for line in last.stdout.splitlines()] == [16, 17]
    second = run(
        "search", "--flat", "Belarus", "-n", "5", "--page", "2", "--index", seed_index_path
    )
    assert second.stderr == "Hits 6-10 of 17, page 2 of 4; next: --page 3\n"
    beyond = run(
        "search", "--flat", "Belarus", "-n", "5", "--page", "5", "--index", seed_index_path
    )
    assert beyond.exit_code == 1
    assert beyond.stderr == "No hits on page 5: 17 hits fill 4 pages\n"


def test_search_fields_jsonl_and_tab_separated(seed_index_path: Path, doc_id: str) -> None:
    query = ("search", "--flat", "Machulischi Istanbul", "--index", seed_index_path, "--fields")
    jsonl = run(*query, "rank,paragraph", "--jsonl")
    assert [json.loads(line) for line in jsonl.stdout.splitlines()] == [
        {"rank": 1, "paragraph": 7},
        {"rank": 2, "paragraph": 11},
        {"rank": 3, "paragraph": 9},
        {"rank": 4, "paragraph": 8},
    ]
    tsv = run(*query, "chunk_id, highlights")
    assert tsv.stdout.splitlines()[:2] == [
        f'{doc_id}:7\t["Machulischi"]',
        f'{doc_id}:11\t["Istanbul"]',
    ]
    as_json = run(*query, "chunk_id", "--json", "-n", "1")
    assert json.loads(as_json.stdout)["hits"] == [{"chunk_id": f"{doc_id}:7"}]


def test_search_and_requires_every_word(seed_index_path: Path) -> None:
    any_word = run(
        "search", "--flat", "Machulischi", "Istanbul", "--index", seed_index_path, "--json"
    )
    assert json.loads(any_word.stdout)["total"] == 4
    every_word = run(
        "search", "--flat", "Machulischi", "airport", "--and", "--index", seed_index_path, "--json"
    )
    assert [h["paragraph"] for h in json.loads(every_word.stdout)["hits"]] == [7]
    none = run("search", "--flat", "Machulischi", "Istanbul", "--and", "--index", seed_index_path)
    assert none.exit_code == 1


@pytest.mark.parametrize(
    ("options", "total"),
    [
        (["--author", "natalia grigoryeva"], 17),
        (["--author", "Nobody", "--author", "Natalia Grigoryeva"], 17),
        (["--author", "Nobody"], 0),
        (["--source", "toutiao.com"], 17),
        (["--source", "https://www.toutiao.com/x"], 17),
        (["--source", "example.org"], 0),
        (["--since", "2025-06-14", "--until", "2025-06"], 17),
        (["--until", "2025-05"], 0),
        (["--sort", "date"], 17),
        (["--sort", "oldest"], 17),
    ],
)
def test_search_filters(seed_index_path: Path, options: list[str], total: int) -> None:
    result = run("search", "--flat", "Belarus", *options, "--index", seed_index_path, "--json")
    assert result.exit_code == (0 if total else 1)
    assert json.loads(result.stdout)["total"] == total


def test_search_doc_filter(seed_index_path: Path, doc_id: str) -> None:
    found = run("search", "Belarus", "--doc", doc_id, "--index", seed_index_path, "--json")
    assert json.loads(found.stdout)["total"] == 17
    assert run("search", "Belarus", "--doc", "nope", "--index", seed_index_path).exit_code == 1


def test_search_group_and_context(seed_index_path: Path, doc_id: str) -> None:
    grouped = run("search", "Belarus", "--group", "--index", seed_index_path, "--json")
    out = json.loads(grouped.stdout)
    assert (out["total"], out["grouped"], len(out["hits"])) == (1, True, 1)
    assert len(out["hits"][0]["more"]) == 2
    human = run("search", "Belarus", "--group", "--group-size", "2", "--index", seed_index_path)
    assert human.stdout.count("   also ¶") == 1
    assert human.stderr == "1 document\n"
    context = run("search", "Machulischi", "--context", "2", "--index", seed_index_path, "--json")
    [hit] = json.loads(context.stdout)["hits"]
    assert [c["paragraph"] for c in hit["before"]] == [5, 6]
    assert [c["paragraph"] for c in hit["after"]] == [8, 9]
    text = run("search", "Machulischi", "--context", "1", "--index", seed_index_path).stdout
    assert [ln[:6] for ln in text.splitlines()[2:5]] == ["   ¶6 ", "   ¶7 ", "   ¶8 "]
    assert "[Machulischi]" in text.splitlines()[3]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "Error: Missing argument 'QUERY...'; see 'searchkit search --help'"),
        (["x", "--bogus"], "Error: No such option '--bogus'; see 'searchkit search --help'"),
        (["x", "--json", "--jsonl"], "Error: give --json or --jsonl, not both"),
        (["x", "--sort", "bogus"], "Error: Invalid value for '--sort'"),
        (["x", "-n", "0"], "Error: limit must be a whole number of at least 1"),
        (["x", "--page", "0"], "Error: page must be a whole number of at least 1"),
        (["foo ("], "Error: cannot parse query 'foo (' at character 5: '(' is never closed"),
        (['"unclosed'], "Error: cannot parse query '\"unclosed' at character 1"),
        (["   "], "Error: empty query"),
        (["x", "--since", "2025-13"], "Error: since: '2025-13' is not a valid date"),
        (["x", "--since", "2026", "--until", "2025"], "Error: since (2026) is after until"),
        (["Belarus", "--fields", "rank,nope"], "Error: unknown hit field 'nope'; choose from"),
        (["Belarus", "--fields", ","], "Error: no hit fields given; choose from rank"),
    ],
)
def test_search_usage_and_query_errors_exit_2(
    seed_index_path: Path, args: list[str], message: str
) -> None:
    result = run("search", *args, "--index", seed_index_path)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert one_error_line(result).startswith(message)


@pytest.mark.parametrize("command", [["search", "x"], ["show", "x:1"], ["docs"], ["stats"]])
def test_missing_index_exits_3_and_says_how_to_build_one(
    tmp_path: Path, command: list[str]
) -> None:
    result = run(*command, "--index", tmp_path / "none")
    assert result.exit_code == 3
    assert one_error_line(result) == (
        f"Error: no searchkit index at {tmp_path / 'none'}; build one with "
        f"`searchkit index PATH --index {tmp_path / 'none'}` or "
        f"searchkit.Index.create('{tmp_path / 'none'}')"
    )


def test_incompatible_index_exits_3(seed_index_path: Path, tmp_path: Path) -> None:
    old = tmp_path / "old"
    shutil.copytree(seed_index_path, old)
    settings = json.loads((old / "searchkit.json").read_text(encoding="utf-8"))
    (old / "searchkit.json").write_text(json.dumps({**settings, "schema_version": 0}))
    result = run("search", "Belarus", "--index", old)
    assert result.exit_code == 3
    assert "was written with schema 0" in one_error_line(result)
    not_an_index = tmp_path / "notes"
    not_an_index.mkdir()
    (not_an_index / "mine.txt").write_text("mine", encoding="utf-8")
    refused = run("index", SEEDS, "--index", not_an_index)
    assert refused.exit_code == 3
    assert "not a searchkit index" in one_error_line(refused)


# -- colour ------------------------------------------------------------------------------


def test_colour_only_when_asked_or_on_a_terminal(seed_index_path: Path) -> None:
    args = ("search", "Machulischi", "--index", seed_index_path)
    piped = run(*args)  # CliRunner's stdout is not a terminal
    assert ESC not in piped.stdout
    assert "[Machulischi]" in piped.stdout
    always = run(*args, "--color", "always")
    assert f"{ESC}[33m{ESC}[1mMachulischi{ESC}[0m" in always.stdout
    assert f"{ESC}[1m{TITLE}{ESC}[0m" in always.stdout
    assert ESC not in run(*args, "--color", "never").stdout
    assert ESC not in run(*args, env={"NO_COLOR": "1"}).stdout


def test_no_color_wins_over_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_render, "isatty", lambda stream: True)
    assert _render.use_color("auto")
    monkeypatch.setenv("NO_COLOR", "1")
    assert not _render.use_color("auto")
    assert _render.use_color("always")


def test_control_characters_in_documents_never_reach_the_terminal(tmp_path: Path) -> None:
    doc = tmp_path / "evil.txt"
    doc.write_text("Title\n\nA \x1b[31mred\x1b[0m paragraph about herons.\n", encoding="utf-8")
    ix = tmp_path / "ix"
    assert run("index", doc, "--index", ix).exit_code == 0
    for color in ("never", "always"):
        result = run("search", "herons", "--index", ix, "--color", color)
        assert "\x1b[31m" not in result.stdout
        assert "red" in result.stdout
    as_json = run("search", "herons", "--index", ix, "--json")
    assert "\x1b[31m" in json.loads(as_json.stdout)["hits"][0]["text"]  # data stays exact


# -- show, docs, stats -------------------------------------------------------------------


def test_show_chunk_with_neighbours(seed_index_path: Path, doc_id: str) -> None:
    paragraphs = searchkit.load_document(SEED_FILE).paragraphs
    result = run("show", f"{doc_id}:7", "--index", seed_index_path)
    assert result.exit_code == 0
    p6, p7, p8 = paragraphs[5], paragraphs[6], paragraphs[7]
    assert result.stdout == (
        f"{TITLE}\n"
        f"2025-06-14 10:55 · Natalia Grigoryeva · {SOURCE}\n"
        f"{SEED_FILE} · paragraph 7 · characters {p7.start}-{p7.end} · {doc_id}:7\n"
        f"\n  ¶6  {p6.text}\n"
        f"\n> ¶7  {p7.text}\n"
        f"\n  ¶8  {p8.text}\n"
    )
    none = run("show", f"{doc_id}:1", "--context", "0", "--index", seed_index_path)
    assert none.stdout.count("¶") == 1


def test_show_json(seed_index_path: Path, doc_id: str) -> None:
    result = run("show", f"{doc_id}:9", "--context", "2", "--index", seed_index_path, "--json")
    out = json.loads(result.stdout)
    assert (out["chunk_id"], out["paragraph"]) == (f"{doc_id}:9", 9)
    assert "1000 for 1000" in out["text"]
    assert [c["paragraph"] for c in out["before"]] == [7, 8]
    assert [c["paragraph"] for c in out["after"]] == [10, 11]


def test_show_document(seed_index_path: Path, doc_id: str) -> None:
    doc = searchkit.load_document(SEED_FILE)
    result = run("show", "--doc", doc_id, "--index", seed_index_path)
    assert result.exit_code == 0
    lines = result.stdout.split("\n")
    assert lines[:4] == [
        TITLE,
        f"2025-06-14 10:55 · Natalia Grigoryeva · {SOURCE}",
        f"{SEED_FILE} · 17 paragraphs · {doc_id}",
        "",
    ]
    assert lines[4] == f"¶1  {doc.paragraphs[0].text}"
    assert lines[-4:] == [
        f"¶17  {doc.paragraphs[-1].text}",
        "",
        f"Disclaimer: {doc.disclaimer}",
        "",
    ]
    assert result.stdout.count("\n¶") == 17
    as_json = json.loads(run("show", "--doc", doc_id, "--index", seed_index_path, "--json").stdout)
    assert (as_json["doc_id"], as_json["title"], as_json["disclaimer"]) == (
        doc_id,
        TITLE,
        doc.disclaimer,
    )
    assert [p["text"] for p in as_json["paragraphs"]] == [p.text for p in doc.paragraphs]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "Error: give a CHUNK_ID or --doc DOC_ID, one of them"),
        (["a:1", "--doc", "a"], "Error: give a CHUNK_ID or --doc DOC_ID, one of them"),
        (["--doc", "a", "--context", "2"], "Error: --context goes with a CHUNK_ID"),
        (["nope:1"], "Error: no chunk 'nope:1' in index"),
        (["--doc", "nope"], "Error: no document 'nope' in index"),
        (["x:1", "--context", "-1"], "Error: context must be a whole number of at least 0"),
    ],
)
def test_show_errors_exit_2(seed_index_path: Path, args: list[str], message: str) -> None:
    result = run("show", *args, "--index", seed_index_path)
    assert result.exit_code == 2
    assert one_error_line(result).startswith(message)


def test_docs(seed_index_path: Path, doc_id: str) -> None:
    result = run("docs", "--index", seed_index_path)
    assert result.stdout == (
        f"{doc_id}  {TITLE}\n"
        f"{' ' * 18}2025-06-14 10:55 · Natalia Grigoryeva · 17 paragraphs · {SEED_FILE}\n"
    )
    assert result.stderr == f"1 document in {seed_index_path}\n"
    [doc] = json.loads(run("docs", "--index", seed_index_path, "--json").stdout)
    assert doc["doc_id"] == doc_id
    assert (doc["title"], doc["author"], doc["published"]) == (
        TITLE,
        "Natalia Grigoryeva",
        "2025-06-14T10:55:00",
    )
    assert (doc["paragraphs"], doc["chunks"], doc["path"]) == (17, 17, str(SEED_FILE))
    assert (doc["source_url"], doc["source_domain"]) == (SOURCE, "toutiao.com")


def test_docs_of_an_empty_index(tmp_path: Path) -> None:
    searchkit.Index.create(tmp_path / "ix").close()
    result = run("docs", "--index", tmp_path / "ix")
    assert (result.exit_code, result.stdout) == (0, "")
    assert json.loads(run("docs", "--index", tmp_path / "ix", "--json").stdout) == []


def test_stats(seed_index_path: Path) -> None:
    with searchkit.Index.open(seed_index_path) as ix:
        expected = ix.stats()
    result = run("stats", "--index", seed_index_path)
    assert result.exit_code == 0
    rows = dict(line.split(":", 1) for line in result.stdout.splitlines())
    assert list(rows) == [
        "Index",
        "Documents",
        "Paragraphs",
        "Size on disk",
        "Segments",
        "Last updated",
        "Schema version",
        "Analyzer",
        "Whoosh",
        "Languages",
        "Fields",
    ]
    assert {k: v.strip() for k, v in rows.items() if k in ("Documents", "Paragraphs")} == {
        "Documents": "1",
        "Paragraphs": "17",
    }
    assert rows["Languages"].strip() == "en 1"
    assert rows["Size on disk"].strip() == f"{expected.size_bytes:,} bytes"
    assert rows["Whoosh"].strip() == expected.whoosh
    out = json.loads(run("stats", "--index", seed_index_path, "--json").stdout)
    assert (out["documents"], out["chunks"], out["schema_version"]) == (1, 17, SCHEMA_VERSION)
    assert out["size_bytes"] == expected.size_bytes > 0
    assert out["whoosh"].startswith("whoosh-reloaded ")
    assert "text" in out["fields"]
    assert out["last_updated"] == expected.as_dict()["last_updated"]
    assert out["languages"] == {"en": 1}


# -- shell completion --------------------------------------------------------------------


def test_shell_completion(seed_index_path: Path, doc_id: str) -> None:
    script = run(env={"_SEARCHKIT_COMPLETE": "bash_source"})
    assert "_searchkit_completion()" in script.stdout
    complete = {
        "_SEARCHKIT_COMPLETE": "bash_complete",
        "COMP_WORDS": "searchkit s",
        "COMP_CWORD": "1",
    }
    commands = run(env=complete)
    assert commands.stdout.split() == [
        "plain,search",
        "plain,serve",
        "plain,show",
        "plain,similar",
        "plain,stats",
    ]
    env = {
        "_SEARCHKIT_COMPLETE": "bash_complete",
        "COMP_WORDS": f"searchkit show --index {seed_index_path} --doc ",
        "COMP_CWORD": "5",
    }
    assert run(env=env).stdout.split() == [f"plain,{doc_id}"]
    missing = {**env, "COMP_WORDS": "searchkit show --index /nonexistent --doc "}
    assert run(env=missing).stdout.split() == []


# -- the installed script, as a subprocess -----------------------------------------------


def sh(*args: object, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed ``searchkit`` with stdout and stderr as pipes (not a terminal)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SEARCHKIT_", "NO_COLOR"))}
    return subprocess.run(
        [searchkit_script(), *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**base, **(env or {})},
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def subprocess_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An index of seeds/ built by the installed script itself."""
    path = tmp_path_factory.mktemp("subprocess") / "ix"
    result = sh("index", SEEDS, "--index", path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"Indexed 1 document (17 paragraphs) in {path}: 1 added.\n"
    assert result.stderr == ""  # no progress bar when stderr is a pipe
    yield path


def test_script_version() -> None:
    result = sh("--version")
    assert (result.returncode, result.stdout) == (0, f"searchkit {searchkit.__version__}\n")


def test_script_search_output_is_plain_when_piped(subprocess_index: Path, doc_id: str) -> None:
    in_process = run("search", "Machulischi", "--index", subprocess_index)
    result = sh("search", "Machulischi", "--index", subprocess_index)
    assert result.returncode == 0
    assert result.stdout == in_process.stdout
    assert ESC not in result.stdout + result.stderr
    assert result.stderr == "1 hit\n"
    assert f"¶7 · {doc_id}:7" in result.stdout


def sh_tty(*args: object, env: Mapping[str, str] | None = None) -> str:
    """Run the installed ``searchkit`` with stdout on a pseudo-terminal; return its output."""
    import pty

    base = {k: v for k, v in os.environ.items() if not k.startswith(("SEARCHKIT_", "NO_COLOR"))}
    master, slave = pty.openpty()
    with subprocess.Popen(
        [searchkit_script(), *map(str, args)],
        stdout=slave,
        stderr=subprocess.DEVNULL,
        env={**base, "TERM": "xterm", **(env or {})},
    ) as proc:
        os.close(slave)
        chunks: list[bytes] = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(timeout=60)
    os.close(master)
    return b"".join(chunks).decode("utf-8")


def test_script_colour_on_a_terminal_unless_no_color(subprocess_index: Path) -> None:
    args = ("search", "Machulischi", "--index", subprocess_index)
    assert f"{ESC}[33m{ESC}[1mMachulischi{ESC}[0m" in sh_tty(*args)
    assert ESC not in sh_tty(*args, env={"NO_COLOR": "1"})
    assert "[Machulischi]" in sh_tty(*args, "--color", "never")
    # An explicit flag beats the environment, as no-color.org suggests.
    assert ESC in sh(*args, "--color", "always", env={"NO_COLOR": "1"}).stdout


def test_script_json(subprocess_index: Path, doc_id: str) -> None:
    result = sh(
        "search", '"1000 for 1000"', "--json", env={"SEARCHKIT_INDEX": str(subprocess_index)}
    )
    assert result.returncode == 0
    out = json.loads(result.stdout)
    assert (out["total"], out["page"], out["pages"]) == (1, 1, 1)
    [hit] = out["hits"]
    assert (hit["rank"], hit["paragraph"], hit["chunk_id"]) == (1, 9, f"{doc_id}:9")
    assert hit["published"] == "2025-06-14T10:55:00"
    stats = json.loads(sh("stats", "--json", "--index", subprocess_index).stdout)
    assert (stats["documents"], stats["chunks"], stats["schema_version"]) == (1, 17, SCHEMA_VERSION)
    [doc] = json.loads(sh("docs", "--json", "--index", subprocess_index).stdout)
    assert doc["paragraphs"] == 17
    shown = json.loads(sh("show", f"{doc_id}:9", "--json", "--index", subprocess_index).stdout)
    assert shown["text"] == hit["text"]


@pytest.mark.parametrize(
    ("args", "code", "error"),
    [
        (["search", "Belarus", "--since", "2025-07"], 1, None),
        (["search", "foo ("], 2, "Error: cannot parse query 'foo ('"),
        (["search", "x", "--bogus"], 2, "Error: No such option '--bogus'"),
        (["show", "nope:1"], 2, "Error: no chunk 'nope:1'"),
    ],
)
def test_script_exit_codes(
    subprocess_index: Path, args: list[str], code: int, error: str | None
) -> None:
    result = sh(*args, "--index", subprocess_index)
    assert result.returncode == code
    assert result.stdout == ""
    if error is None:
        assert result.stderr == "No hits\n"
    else:
        assert one_error_line(result).startswith(error)


def test_script_missing_index_exits_3(tmp_path: Path) -> None:
    result = sh("search", "Belarus", env={"SEARCHKIT_INDEX": str(tmp_path / "none")})
    assert result.returncode == 3
    assert "build one with `searchkit index PATH" in one_error_line(result)


def test_script_locked_index_exits_4(tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    searchkit.Index.create(ix).close()
    with WriteLock(ix):
        result = sh("index", SEEDS, "--index", ix, "--lock-timeout", "0.1")
    assert result.returncode == 4
    assert result.stdout == ""
    assert "is locked by pid" in one_error_line(result)


# -- rebuild and check -------------------------------------------------------------------


def test_index_rebuild_swaps_in_a_fresh_index(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(SEED_FILE, src / "a.txt")
    shutil.copy(SEED_FILE, src / "b.txt")
    assert run("index", src, "--index", tmp_path / "ix", "--quiet").exit_code == 0
    (src / "b.txt").unlink()
    result = run("index", "--rebuild", "--yes", "--index", tmp_path / "ix", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["added"] == 1
    assert run("search", "Machulischi", "--index", tmp_path / "ix", "--json").exit_code == 0
    with searchkit.Index.open(tmp_path / "ix") as ix:
        assert [Path(d.path).name for d in ix.documents()] == ["a.txt"]


def test_index_rebuild_upgrades_an_incompatible_index(tmp_path: Path) -> None:
    assert run("index", SEEDS, "--index", tmp_path / "ix", "--quiet").exit_code == 0
    settings = tmp_path / "ix" / "searchkit.json"
    data = json.loads(settings.read_text(encoding="utf-8"))
    settings.write_text(json.dumps({**data, "schema_version": 0}), encoding="utf-8")
    assert run("search", "Belarus", "--index", tmp_path / "ix").exit_code == 3
    result = run("index", "--rebuild", "--yes", "--index", tmp_path / "ix", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert run("search", "Machulischi", "--index", tmp_path / "ix").exit_code == 0


def test_index_without_paths_is_a_usage_error(tmp_path: Path) -> None:
    result = run("index", "--index", tmp_path / "ix")
    assert result.exit_code == 2
    assert "give at least one file or folder to index" in one_error_line(result)
    result = run("index", SEEDS, "--rebuild", "--dry-run", "--index", tmp_path / "ix")
    assert result.exit_code == 2
    assert "--rebuild and --dry-run do not go together" in one_error_line(result)


def test_check_sound_damaged_and_repaired(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(SEED_FILE, src / "a.txt")
    assert run("index", src, "--index", tmp_path / "ix", "--quiet").exit_code == 0
    ok = run("check", "--index", tmp_path / "ix", "--json")
    assert ok.exit_code == 0
    report = json.loads(ok.stdout)
    assert (report["ok"], report["documents"], report["chunks"], report["problems"]) == (
        True,
        1,
        17,
        [],
    )
    for seg in (tmp_path / "ix").glob("whoosh-*/*.seg"):
        seg.write_bytes(b"garbage")
    damaged = run("check", "--index", tmp_path / "ix")
    assert damaged.exit_code == 3
    assert damaged.stdout.startswith("problem: ")
    assert damaged.stderr.startswith("damaged: ")
    repaired = run("check", "--repair", "--yes", "--index", tmp_path / "ix")
    assert repaired.exit_code == 0
    assert repaired.stderr == "repaired: 1 document, 17 paragraphs, 1 segment\n"
    assert run("search", "Machulischi", "--index", tmp_path / "ix").exit_code == 0


def test_index_summary_counts_files_records_and_notes_apart(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.jsonl").write_text(
        '{"id": "1", "title": "One", "text": "The first record."}\n'
        "not json\n"
        '{"id": "2", "title": "Two", "text": "The second record."}\n',
        encoding="utf-8",
    )
    (folder / "b.txt").write_bytes(
        "Café au lait\n\nThe café serves crème brûlée and a naïve résumé.\n".encode()
        + b"\nOne stray \xff byte here.\n"
    )
    (folder / "c.txt").write_bytes(b"")
    result = run("index", folder, "--index", tmp_path / "ix")
    assert result.exit_code == 0
    assert result.stdout == (
        f"Indexed 3 documents (4 paragraphs) in {tmp_path / 'ix'}: 3 added;"
        " skipped 1 file, 1 record; 1 note.\n"
    )
    assert result.stderr.splitlines() == [
        f"Skipped {folder / 'a.jsonl'}: line 2: invalid JSON: Expecting value: column 1",
        f"Note {folder / 'b.txt'}: 1 byte not valid UTF-8 (the first on line 5) replaced"
        " with U+FFFD; the rest of the file is UTF-8",
        f"Skipped {folder / 'c.txt'}: empty file",
    ]
    as_json = json.loads(run("index", folder, "--index", tmp_path / "ix2", "--json").stdout)
    assert [(s["kind"], s["reason"][:7]) for s in as_json["skipped"]] == [
        ("record", "line 2:"),
        ("note", "1 byte "),
        ("file", "empty f"),
    ]
