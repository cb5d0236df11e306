"""Data safety: what an index records with its commits, and damage that must not pass."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import searchkit
from searchkit.cli import cli

from .conftest import SEEDS
from .test_index import _corpus


def _data(index_path: Path) -> Path:
    settings = json.loads((index_path / "searchkit.json").read_text(encoding="utf-8"))
    return index_path / settings["data"]


def _check(index_path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["check", *args, "--index", str(index_path)])
    return result.exit_code, result.output


# -- sources commit with the documents ------------------------------------------------


class _Killed(BaseException):
    """Stands for a SIGKILL: nothing after it runs, no clean-up code either."""


def test_sources_are_committed_with_the_first_documents(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    _corpus(corpus, 6)
    index_path = tmp_path / "ix"

    def die_after_three(done: int, total: int, path: str) -> None:
        if done == 3:
            raise _Killed

    with searchkit.Index.create(index_path) as ix, pytest.raises(_Killed):
        ix.add(corpus, batch_size=1, progress=die_after_three)
    with searchkit.Index.open(index_path) as ix:
        assert len(ix.documents()) == 3  # committed one file at a time
        assert ix.sources() == (str(corpus.absolute()),)
    # So a rebuild (or a repair) finds what was being added.
    report = searchkit.rebuild_index(index_path, confirm=True)
    assert report.added == 6
    assert searchkit.check_index(index_path).ok


def test_an_add_with_nothing_new_still_records_its_source(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    _corpus(corpus, 2)
    index_path = tmp_path / "ix"
    with searchkit.Index.create(index_path) as ix:
        ix.add(corpus / "doc000.txt", corpus / "doc001.txt")
        assert ix.add(corpus).unchanged == 2
        assert ix.sources() == tuple(
            str(p.absolute()) for p in (corpus / "doc000.txt", corpus / "doc001.txt", corpus)
        )
    assert "sources" not in json.loads((index_path / "searchkit.json").read_text("utf-8"))


# -- check verifies every file's checksum ---------------------------------------------


@pytest.fixture
def small_index(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    _corpus(corpus, 12)
    index_path = tmp_path / "ix"
    with searchkit.Index.create(index_path) as ix:
        ix.add(corpus, batch_size=4)
        ix.remove(ix.documents()[0].id)
    return index_path


def _flipped(index: Path, seg: Path, places: range) -> Iterator[str]:
    """Check's output with each byte of ``seg`` at ``places`` flipped in turn (the file
    put back after), asserting that each fails the check and names ``seg``."""
    original = seg.read_bytes()
    try:
        for at in places:
            damaged = bytearray(original)
            damaged[at] ^= 0x10
            seg.write_bytes(bytes(damaged))
            code, out = _check(index)
            assert code == 3, f"byte {at} flipped passed check"
            assert f"{seg.name} is damaged: its checksum differs from the one recorded" in out
            yield out
    finally:
        seg.write_bytes(original)


def test_check_finds_every_flipped_byte(small_index: Path) -> None:
    assert _check(small_index) == (0, "ok: 11 documents, 33 paragraphs, 1 segment\n")
    [seg] = _data(small_index).glob("*.seg")
    size = seg.stat().st_size
    assert len(list(_flipped(small_index, seg, range(7, size, size // 40)))) >= 40
    assert _check(small_index)[0] == 0


def test_check_names_the_damaged_segment_when_its_directory_cannot_be_read(
    small_index: Path,
) -> None:
    """A flip in a compound segment's directory (its last bytes) keeps the table of
    contents from being read; check still names the file whose checksum differs."""
    [seg] = _data(small_index).glob("*.seg")
    size = seg.stat().st_size
    outputs = _flipped(small_index, seg, range(size - 600, size, 7))
    # The case this test is for was met (each output was checked as it came).
    assert sum("table of contents: segment" in out for out in outputs)


def test_check_repair_rebuilds_a_damaged_segment(small_index: Path) -> None:
    [seg] = _data(small_index).glob("*.seg")
    damaged = bytearray(seg.read_bytes())
    damaged[len(damaged) // 2] ^= 0x01
    seg.write_bytes(bytes(damaged))
    code, out = _check(small_index, "--repair", "--yes")
    assert code == 0
    assert out.endswith("repaired: 12 documents, 36 paragraphs, 1 segment\n")
    assert searchkit.check_index(small_index).ok


def test_check_finds_a_changed_deletion_list(small_index: Path) -> None:
    """Deletions live in the table of contents, not in a segment file."""
    with searchkit.Index.open(small_index) as ix:
        whoosh_ix = ix._ix
        toc = whoosh_ix._read_toc()
        toc.segments[0]._deleted = set()  # the removed document comes back
        (_data(small_index) / f"_MAIN_{toc.generation}.toc").unlink()
        toc.write(whoosh_ix.storage, whoosh_ix.indexname)
    code, out = _check(small_index)
    assert code == 3
    assert "documents or deletions differ from its record" in out


def test_a_search_that_meets_damage_exits_3_in_one_line(small_index: Path) -> None:
    [seg] = _data(small_index).glob("*.seg")
    seg.write_bytes(seg.read_bytes()[: seg.stat().st_size // 2])  # cut short
    for command in (["search", "harbour"], ["docs"], ["index", str(small_index.parent / "corpus")]):
        result = CliRunner().invoke(cli, [*command, "--index", str(small_index)])
        assert result.exit_code == 3, (command, result.output)
        [line] = result.output.splitlines()
        assert line.startswith(f"Error: index damaged at {small_index}: ")
        assert line.endswith(f"run `searchkit check --repair --index {small_index}`")


# -- searchkit deletes only what it wrote ---------------------------------------------


def _look_alikes(folder: Path) -> None:
    for name in ("whoosh-notes", "whoosh-1", "whoosh-archive"):
        (folder / name).mkdir(parents=True)
        (folder / name / "important.txt").write_text("x\n", encoding="utf-8")


def test_folders_that_look_like_data_folders_are_never_deleted(tmp_path: Path) -> None:
    u = tmp_path / "u"
    _look_alikes(u)
    result = CliRunner().invoke(cli, ["index", str(SEEDS), "--index", str(u)])
    assert result.exit_code == 3
    assert "is not a searchkit index" in result.output
    with pytest.raises(searchkit.SearchkitIndexError, match="not a searchkit index"):
        searchkit.Index.create(u, overwrite=True)
    with pytest.raises(searchkit.SearchkitIndexError, match="not a searchkit index"):
        searchkit.rebuild_index(u, SEEDS)
    assert sorted(p.name for p in u.iterdir()) == ["whoosh-1", "whoosh-archive", "whoosh-notes"]
    assert all((u / n / "important.txt").exists() for n in ("whoosh-1", "whoosh-notes"))


def test_a_users_own_searchkit_json_is_never_overwritten(tmp_path: Path) -> None:
    u = tmp_path / "u"
    _look_alikes(u)
    mine = '{"my": "own settings"}\n'
    (u / "searchkit.json").write_text(mine, encoding="utf-8")
    for args in (["index", "--rebuild", str(SEEDS)], ["check", "--repair"], ["search", "x"]):
        result = CliRunner().invoke(cli, [*args, "--index", str(u)])
        assert result.exit_code == 3, (args, result.output)
        assert "is not a searchkit index file; searchkit leaves it alone" in result.output
    with pytest.raises(searchkit.IndexIncompatibleError):
        searchkit.Index.create(u, overwrite=True)
    assert (u / "searchkit.json").read_text(encoding="utf-8") == mine
    assert all((u / n / "important.txt").exists() for n in ("whoosh-1", "whoosh-archive"))


def test_an_index_deletes_its_own_old_data_but_nothing_beside_it(tmp_path: Path) -> None:
    index_path = tmp_path / "ix"
    with searchkit.Index.create(index_path) as ix:
        ix.add(SEEDS)
    _look_alikes(index_path / "user")  # a user's folder inside the index folder
    for name in ("whoosh-77", "whoosh-notes"):  # and look-alikes beside the data
        (index_path / name).mkdir()
        (index_path / name / "important.txt").write_text("x\n", encoding="utf-8")
    searchkit.rebuild_index(index_path, confirm=True)
    searchkit.Index.create(index_path, overwrite=True).close()
    with searchkit.Index.open(index_path) as ix:
        ix.add(SEEDS)  # a write clears unused data folders
    names = sorted(p.name for p in index_path.iterdir())
    assert names == [
        "searchkit.json",
        "user",
        "whoosh-3",  # numbered after its own folders: rebuilt to 2, replaced by 3
        "whoosh-77",
        "whoosh-notes",
        "write.lock",
    ]


# -- searchkit.json is checked, not trusted --------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("data", "/etc", "data must name a whoosh-<n> folder inside the index folder"),
        ("data", "../other/whoosh-1", "data must name a whoosh-<n> folder"),
        ("data", ["whoosh-1"], "data must name a whoosh-<n> folder"),
        ("sources", "/some/path", "sources must be a list of paths"),
        ("sources", [1, 2], "sources must be a list of paths"),
        ("max_chars", "4000", "max_chars must be a whole number from 200"),
        ("max_chars", True, "max_chars must be a whole number from 200"),
        ("schema_version", None, "schema_version must be a whole number"),
        ("id", "../x", "id must be 32 hexadecimal digits"),
    ],
)
def test_a_settings_field_of_the_wrong_kind_is_damage(
    seed_index_path: Path, tmp_path: Path, field: str, value: object, reason: str
) -> None:
    index_path = tmp_path / "ix"
    shutil.copytree(seed_index_path, index_path)
    settings = index_path / "searchkit.json"
    raw = json.loads(settings.read_text(encoding="utf-8"))
    raw[field] = value
    settings.write_text(json.dumps(raw), encoding="utf-8")
    for command in (["search", "prisoner"], ["stats"], ["docs"], ["index", str(SEEDS)]):
        result = CliRunner().invoke(cli, [*command, "--index", str(index_path)])
        assert result.exit_code == 3, result.output
        [line] = result.output.splitlines()
        assert line.startswith(f"Error: index damaged at {index_path}: {settings}: ")
        assert reason in line


def test_deeply_nested_settings_are_damage_not_a_traceback(tmp_path: Path) -> None:
    index_path = tmp_path / "ix"
    searchkit.Index.create(index_path).close()
    (index_path / "searchkit.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    result = CliRunner().invoke(cli, ["stats", "--index", str(index_path)])
    assert result.exit_code == 3
    assert result.output == (
        f"Error: index damaged at {index_path}: cannot read {index_path}/searchkit.json "
        f"(RecursionError); run `searchkit check --repair --index {index_path}`\n"
    )


def test_a_rebuild_never_walks_a_string_source_as_characters(tmp_path: Path) -> None:
    index_path = tmp_path / "ix"
    searchkit.Index.create(index_path).close()
    settings = index_path / "searchkit.json"
    raw = json.loads(settings.read_text(encoding="utf-8"))
    raw["sources"] = "/"
    settings.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(searchkit.SearchkitIndexError, match="nothing to rebuild"):
        searchkit.rebuild_index(index_path, confirm=True)


# -- what a sync compares --------------------------------------------------------------


def test_a_removed_jsonl_record_comes_back_on_the_next_add(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    records = [
        {"id": f"r{i}", "title": f"Record {i}", "text": f"Text of record {i}."} for i in range(3)
    ]
    (corpus / "records.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in records), encoding="utf-8"
    )
    with searchkit.Index.create(tmp_path / "ix") as ix:
        assert ix.add(corpus).added == 3
        removed = ix.documents()[1]
        assert ix.remove(removed.id) == 1
        report = ix.add(corpus)
        assert (report.added, report.unchanged, report.removed) == (1, 2, 0)
        assert removed.id in {d.id for d in ix.documents()}
        assert ix.add(corpus).unchanged == 3


# -- paths named that are not there ----------------------------------------------------


def test_a_missing_path_is_an_error_and_changes_nothing(tmp_path: Path) -> None:
    corpus = tmp_path / "m2"
    _corpus(corpus, 5)
    index_path = tmp_path / "ix"
    with searchkit.Index.create(index_path) as ix:
        ix.add(corpus)
    corpus.rename(tmp_path / "moved")
    result = CliRunner().invoke(cli, ["index", str(corpus), "--index", str(index_path)])
    assert result.exit_code == 2
    assert result.output == f"Error: {corpus}: no such file or folder; nothing was changed\n"
    with searchkit.Index.open(index_path) as ix:
        assert len(ix.documents()) == 5
        with pytest.raises(searchkit.DocumentError, match="no such file or folder"):
            ix.add(tmp_path / "moved", tmp_path / "typo")
        assert ix.sources() == (str(corpus),)
        assert len(ix.documents()) == 5
    with pytest.raises(searchkit.DocumentError, match="no such file or folder"):
        searchkit.rebuild_index(index_path, tmp_path / "typo")
    # A file gone from inside an indexed folder is still removed.
    (tmp_path / "moved").rename(corpus)
    (corpus / "doc000.txt").unlink()
    with searchkit.Index.open(index_path) as ix:
        assert ix.add(corpus).removed == 1
        assert len(ix.documents()) == 4


# -- symbolic links --------------------------------------------------------------------


def test_links_out_of_the_folders_given_are_skipped(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    _corpus(outside, 2)
    corpus = tmp_path / "corpus"
    _corpus(corpus, 1)
    (corpus / "shadow.txt").symlink_to(outside / "doc000.txt")
    (corpus / "inside.txt").symlink_to(corpus / "doc000.txt")
    (corpus / "linked").symlink_to(outside, target_is_directory=True)
    index_path = tmp_path / "ix"
    result = CliRunner().invoke(cli, ["index", str(corpus), "--index", str(index_path)])
    assert result.exit_code == 0, result.output
    assert (
        f"Skipped {corpus}/shadow.txt: symbolic link to outside the folders given "
        "(--follow-links follows it)\n"
    ) in result.output
    with searchkit.Index.open(index_path) as ix:
        assert [Path(d.path).name for d in ix.documents()] == ["doc000.txt"]
    # Asked to, every link is followed, into linked folders too.
    result = CliRunner().invoke(
        cli, ["index", "--follow-links", str(corpus), "--index", str(index_path)]
    )
    assert result.exit_code == 0, result.output
    with searchkit.Index.open(index_path) as ix:
        assert sorted(d.path for d in ix.documents()) == [
            str(corpus / "doc000.txt"),
            str(outside / "doc000.txt"),
            str(outside / "doc001.txt"),
        ]


def test_follow_links_never_loops(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    _corpus(corpus, 1)
    (corpus / "loop").symlink_to(corpus, target_is_directory=True)
    with searchkit.Index.create(tmp_path / "ix") as ix:
        assert ix.add(corpus, follow_links=True).added == 1


# -- leftovers of writers that died ----------------------------------------------------


def _plant_leftovers(index_path: Path) -> list[str]:
    data = _data(index_path)
    (data / "MAIN.tmp").mkdir()
    (data / "MAIN.tmp" / "k2j3h4.doclist").write_bytes(b"x" * 1000)
    (data / "MAIN.tmp" / "run1.ctmp").write_bytes(b"x" * 1000)
    (data / "MAIN_0123456789abcdef.seg").write_bytes(b"partial segment")
    (data / "_MAIN_9.toc.1764551234.5").write_bytes(b"half a toc")
    (index_path / ".searchkit.json.4242.tmp").write_text("{", encoding="utf-8")
    return [
        ".searchkit.json.4242.tmp",
        f"{data.name}/MAIN.tmp",
        f"{data.name}/MAIN_0123456789abcdef.seg",
        f"{data.name}/_MAIN_9.toc.1764551234.5",
    ]


def test_check_reports_and_repair_removes_what_dead_writers_left(small_index: Path) -> None:
    before = sorted(p.name for p in _data(small_index).iterdir())
    planted = _plant_leftovers(small_index)
    code, out = _check(small_index)
    assert code == 0  # not damage: the index reads as before
    assert (
        out
        == "".join(
            f"leftover of an interrupted write (check --repair removes it): {name}\n"
            for name in planted
        )
        + "ok: 11 documents, 33 paragraphs, 1 segment\n"
    )
    code, out = _check(small_index, "--repair", "--yes")
    assert code == 0
    assert out.endswith(
        f"leftover of an interrupted write (removed): {planted[-1]}\n"
        "repaired: 11 documents, 33 paragraphs, 1 segment\n"
    )
    assert sorted(p.name for p in _data(small_index).iterdir()) == before
    assert not (small_index / ".searchkit.json.4242.tmp").exists()
    assert searchkit.check_index(small_index).leftovers == ()


def test_the_next_writer_removes_what_dead_writers_left(small_index: Path) -> None:
    _plant_leftovers(small_index)
    with searchkit.Index.open(small_index) as ix:
        ix.remove("no-such-document")
    assert _check(small_index) == (0, "ok: 11 documents, 33 paragraphs, 1 segment\n")


def test_check_leaves_a_live_writers_files_alone(small_index: Path) -> None:
    from searchkit._lock import WriteLock

    _plant_leftovers(small_index)
    with WriteLock(small_index):  # a writer at work: its files look the same
        code, out = _check(small_index, "--repair", "--yes")
        assert (code, out) == (0, "ok: 11 documents, 33 paragraphs, 1 segment\n")
    assert len(searchkit.check_index(small_index).leftovers) == 4
    assert (_data(small_index) / "MAIN.tmp").exists()


def test_only_errors_raised_while_decoding_the_files_are_damage() -> None:
    from whoosh.util.numeric import length_to_byte

    from searchkit._damage import damage_guard

    with pytest.raises(searchkit.IndexDamagedError, match="TypeError"), damage_guard("ix"):
        length_to_byte("x")  # Whoosh handed garbage read from a file
    with pytest.raises(IndexError), damage_guard("ix"):
        [][0]  # searchkit's own bug: not the index's fault


def test_a_seek_to_an_offset_read_from_a_damaged_file_is_damage(tmp_path: Path) -> None:
    # Found by the random-damage test below: a flipped bit in a compound directory made
    # Whoosh seek to a negative offset, and the OS error read "cannot use index".
    from whoosh.filedb.structfile import StructFile

    from searchkit._damage import damage_guard

    path = tmp_path / "file"
    path.write_bytes(b"x" * 10)
    damaged = pytest.raises(searchkit.IndexDamagedError, match="Errno 22")
    with path.open("rb") as f, damaged, damage_guard("ix"):
        StructFile(f).seek(-1)
    with path.open("rb") as f, pytest.raises(OSError, match="Errno 22"), damage_guard("ix"):
        f.seek(-1)  # not a seek by Whoosh's readers: an access error, said elsewhere


def test_random_damage_never_escapes_as_a_traceback(small_index: Path) -> None:
    """Bit flips and truncations met by every command: one line and exit 3, or a result;
    and check finds every one."""
    import random

    rng = random.Random(20261201)
    [seg] = _data(small_index).glob("*.seg")
    original = seg.read_bytes()
    for _ in range(12):
        damaged = bytearray(original)
        for _ in range(rng.choice([1, 3, 20])):
            damaged[rng.randrange(len(damaged))] ^= 1 << rng.randrange(8)
        if rng.random() < 0.25:
            damaged = damaged[: rng.randrange(len(damaged))]
        seg.write_bytes(bytes(damaged))
        for command in (["search", "harbour tariff"], ['"shared words"'], ["docs"], ["stats"]):
            if command[0].startswith('"'):
                command = ["search", *command]
            result = CliRunner().invoke(cli, [*command, "--index", str(small_index)])
            assert isinstance(result.exception, (SystemExit, type(None))), result.exception
            assert result.exit_code in (0, 1, 3)
            if result.exit_code == 3:
                assert result.output.startswith(f"Error: index damaged at {small_index}: ")
        assert _check(small_index)[0] == 3


def test_a_compound_directory_entry_without_a_length_is_damage() -> None:
    # Found by the random-damage test above in one checkout folder out of ~60: a flipped
    # bit left a segment's directory entry without its "length", and check raised KeyError.
    from searchkit import _decoded
    from searchkit._unpickle import DamagedPickleError

    class Files:
        def list(self) -> list[str]:
            return ["seg1.trm", "seg1.pst", "seg1._stored.col"]

        def file_length(self, name: str) -> int:
            if name == "seg1.pst":
                raise KeyError("length")
            return 100

        def close(self) -> None:
            pass

    class Segment:
        compound, segid = True, "seg1"

        def open_compound_file(self, storage: object) -> Files:
            return Files()

        def doc_count_all(self) -> int:
            return 3

        def segment_id(self) -> str:
            return "seg1"

    with pytest.raises(DamagedPickleError, match=r"directory has no length for seg1\.pst"):
        _decoded._check_count(Segment(), object())  # type: ignore[arg-type]
