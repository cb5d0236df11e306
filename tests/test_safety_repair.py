"""Issue 28 items 5, 8, 9 and two of 10: what repair reads, check beside a writer, the
user's files in an index folder, a file replaced by a folder, a search's memory."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

import searchkit
from searchkit.cli import _render, cli


def _article(path: Path, title: str, paragraphs: int = 2) -> None:
    body = "\n\n".join(f"{title} paragraph {n} about harbour seals." for n in range(paragraphs))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{title}\n\n{body}\n", encoding="utf-8")


def _record(index_path: Path) -> Path:
    data = json.loads((index_path / "searchkit.json").read_text(encoding="utf-8"))["data"]
    records = sorted(
        (index_path / data).glob("searchkit-commit-*.json"),
        key=lambda p: int(p.stem.rsplit("-", 1)[1]),
    )
    return records[-1]


def _flip_a_byte(index_path: Path) -> None:
    data = json.loads((index_path / "searchkit.json").read_text(encoding="utf-8"))["data"]
    seg = next((index_path / data).glob("*.seg"))
    raw = bytearray(seg.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    seg.write_bytes(bytes(raw))


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Path]:
    """An index of two articles in ``docs/``; returns (index, docs)."""
    docs = tmp_path / "docs"
    _article(docs / "a.txt", "Alpha")
    _article(docs / "b.txt", "Beta")
    index_path = tmp_path / "ix"
    with searchkit.Index.create(index_path) as ix:
        ix.add(docs)
    return index_path, docs


def _titles(index_path: Path) -> list[str]:
    with searchkit.Index.open(index_path) as ix:
        return sorted(d.title for d in ix.documents())


# -- item 5: repair reads only confirmed sources inside the index's roots ----------------


def _crafted(built: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """The attack: a commit record naming a private folder, and one flipped byte."""
    index_path, _ = built
    private = tmp_path / "private"
    _article(private / "diary.txt", "Diary")
    record = _record(index_path)
    raw = json.loads(record.read_text(encoding="utf-8"))
    raw["sources"] = [str(private), "/etc/hostname"]
    record.write_text(json.dumps(raw), encoding="utf-8")
    _flip_a_byte(index_path)
    return index_path, private


def test_a_crafted_record_cannot_make_repair_read_other_files(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    index_path, private = _crafted(built, tmp_path)
    assert not searchkit.check_index(index_path).ok  # check advises a repair
    with pytest.raises(searchkit.RebuildRefusedError, match="outside the folders it was built"):
        searchkit.check_index(index_path, repair=True, confirm=True)
    with pytest.raises(searchkit.RebuildRefusedError) as refused:
        searchkit.rebuild_index(index_path, confirm=True)
    assert refused.value.sources == (str(private), "/etc/hostname")
    result = CliRunner().invoke(cli, ["check", "--repair", "--yes", "--index", str(index_path)])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "Error: index" in result.output
    assert f"records {private}, /etc/hostname as a source" in result.output
    assert "searchkit index PATH... --index" in result.output
    # Nothing was read: the data folder is the damaged one, not a rebuild of the diary.
    assert json.loads((index_path / "searchkit.json").read_text())["data"] == "whoosh-1"
    # Named on the command line, the same folder is read (the user chose it).
    searchkit.rebuild_index(index_path, private)
    assert _titles(index_path) == ["Diary"]


def test_a_repair_never_walks_the_filesystem_root(built: tuple[Path, Path]) -> None:
    index_path, _ = built
    settings = json.loads((index_path / "searchkit.json").read_text(encoding="utf-8"))
    settings["roots"] = ["/"]  # a crafted settings file too
    (index_path / "searchkit.json").write_text(json.dumps(settings), encoding="utf-8")
    record = _record(index_path)
    raw = json.loads(record.read_text(encoding="utf-8"))
    raw["sources"] = ["/"]
    record.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(searchkit.RebuildRefusedError, match="records / as a source"):
        searchkit.rebuild_index(index_path, confirm=True)


def test_a_repair_asks_before_reading_the_recorded_sources(
    built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    index_path, docs = built
    _flip_a_byte(index_path)
    # The library: no confirmation, no rebuild; a function is shown the sources.
    with pytest.raises(searchkit.RebuildRefusedError, match="confirm them"):
        searchkit.check_index(index_path, repair=True)
    asked: list[tuple[str, ...]] = []

    def no(sources: tuple[str, ...]) -> bool:
        asked.append(sources)
        return False

    with pytest.raises(searchkit.RebuildRefusedError, match="were not confirmed"):
        searchkit.check_index(index_path, repair=True, confirm=no)
    assert asked == [(str(docs),)]
    assert not searchkit.check_index(index_path).ok  # left as it was
    # The command line without a terminal and without --yes: one line, exit 2.
    runner = CliRunner()
    result = runner.invoke(cli, ["check", "--repair", "--index", str(index_path)])
    assert result.exit_code == 2
    assert result.output == (
        f"Error: Repairing index {index_path} reads the sources it recorded ({docs}); no "
        "terminal to confirm them on: pass --yes to read them, or name the files and "
        "folders to read\n"
    )
    # On a terminal it lists them and asks; "n" leaves the index as it was.
    monkeypatch.setattr(_render, "isatty", lambda stream: True)
    result = runner.invoke(cli, ["check", "--repair", "--index", str(index_path)], input="n\n")
    assert result.exit_code == 2
    assert f"reads these files and folders, as the index recorded them:\n  {docs}\n" in (
        result.output
    )
    assert "were not confirmed" in result.output
    result = runner.invoke(cli, ["check", "--repair", "--index", str(index_path)], input="y\n")
    assert result.exit_code == 0, result.output
    assert "repaired: 2 documents" in result.output
    assert _titles(index_path) == ["Alpha", "Beta"]


def test_rebuild_reads_the_roots_of_every_add(built: tuple[Path, Path], tmp_path: Path) -> None:
    index_path, docs = built
    more = tmp_path / "more"
    _article(more / "c.txt", "Gamma")
    with searchkit.Index.open(index_path) as ix:
        ix.add(more)
    settings = json.loads((index_path / "searchkit.json").read_text(encoding="utf-8"))
    assert settings["roots"] == [str(docs), str(more)]
    result = CliRunner().invoke(cli, ["index", "--rebuild", "--index", str(index_path)])
    assert result.exit_code == 2 and "pass --yes" in result.output
    result = CliRunner().invoke(cli, ["index", "--rebuild", "--yes", "--index", str(index_path)])
    assert result.exit_code == 0, result.output
    assert _titles(index_path) == ["Alpha", "Beta", "Gamma"]


def test_a_sharded_rebuild_asks_and_never_walks_the_root(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    _article(docs / "a.txt", "Alpha")
    root = tmp_path / "sh"
    with searchkit.Index.create(root, shards=2) as sharded:
        sharded.add(docs)
        with pytest.raises(searchkit.RebuildRefusedError, match="confirm them"):
            sharded.rebuild()
        sharded.rebuild(confirm=lambda sources: sources == (str(docs),))
    settings = json.loads((root / "searchkit.json").read_text(encoding="utf-8"))
    settings["sources"] = ["/"]
    (root / "searchkit.json").write_text(json.dumps(settings), encoding="utf-8")
    with pytest.raises(searchkit.RebuildRefusedError, match="records / as a source"):
        searchkit.rebuild_index(root, confirm=True)


# -- item 8: check reads chunks and manifest from one snapshot ------------------------


def test_check_is_not_fooled_by_a_commit_between_its_reads(
    built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    index_path, docs = built
    original = searchkit.Index._reader
    calls = {"n": 0}

    def reader_then_commit(self: searchkit.Index):  # type: ignore[no-untyped-def]
        searcher = original(self)
        calls["n"] += 1
        if calls["n"] == 1:  # a writer commits right after check took its snapshot
            _article(docs / "a.txt", "Alpha", paragraphs=5)
            with searchkit.Index.open(index_path) as writer:
                writer.add(docs)
        return searcher

    monkeypatch.setattr(searchkit.Index, "_reader", reader_then_commit)
    report = searchkit.check_index(index_path)
    assert report.problems == ()
    assert (report.documents, report.chunks) == (2, 4)  # the snapshot before the commit
    monkeypatch.undo()
    assert searchkit.check_index(index_path).chunks == 7


# -- item 9: the user's files in an index folder ----------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [("synonyms.txt", "car, automobile\n"), ("write.lock", "my own notes on locks\n")],
)
def test_create_leaves_the_users_files_alone(tmp_path: Path, name: str, content: str) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / name).write_text(content, encoding="utf-8")
    with pytest.raises(searchkit.SearchkitIndexError, match=rf"other files in it \({name}\)"):
        searchkit.Index.create(folder)
    with pytest.raises(searchkit.SearchkitIndexError, match="other files in it"):
        searchkit.Index.create(folder, shards=2)
    assert (folder / name).read_text(encoding="utf-8") == content
    assert sorted(p.name for p in folder.iterdir()) == [name]


def test_create_takes_over_a_lock_searchkit_left(tmp_path: Path) -> None:
    folder = tmp_path / "ix"
    folder.mkdir()
    # What a writer killed while it held the lock leaves behind.
    (folder / "write.lock").write_text("pid 42 on host since 2026-12-05T08:00:00+00:00\n")
    searchkit.Index.create(folder).close()
    assert searchkit.Index.exists(folder)


def test_a_sharded_rebuild_keeps_other_indexes_folders(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    _article(docs / "a.txt", "Alpha")
    other = tmp_path / "other"
    with searchkit.Index.create(other) as ix:
        ix.add(docs)
    root = tmp_path / "sh"
    with searchkit.Index.create(root, shards=2) as sharded:
        sharded.add(docs)
    # Another index's data folder, and a shard set marked the way sets once were (no
    # id: not provably this index's), moved into this one.
    (other / "whoosh-1").rename(root / "whoosh-5")
    (root / "shards-7").mkdir()
    (root / "shards-7" / ".searchkit-data").write_text("searchkit shard set\n")
    (root / "shards-7" / "mine.txt").write_text("keep me\n")
    with searchkit.Index.open(root) as sharded:
        sharded.rebuild(confirm=True)
        sharded.rebuild(confirm=True)
    marker = (root / "shards-9" / ".searchkit-data").read_text(encoding="ascii")
    settings = json.loads((root / "searchkit.json").read_text(encoding="utf-8"))
    assert marker == f"searchkit shard set {settings['id']}\n"
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == [
        "shards-7",  # numbered after it: it has searchkit's marker, if not this index's
        "shards-8",
        "shards-9",
        "whoosh-5",
    ]
    assert (root / "shards-7" / "mine.txt").exists()
    assert (root / "whoosh-5" / ".searchkit-data").exists()


def test_a_users_whoosh_folder_with_the_top_number_is_stepped_over(
    built: tuple[Path, Path],
) -> None:
    index_path, _ = built
    (index_path / "whoosh-999999999").mkdir()
    (index_path / "whoosh-999999999" / "mine.txt").write_text("keep me\n")
    searchkit.rebuild_index(index_path, confirm=True)
    assert json.loads((index_path / "searchkit.json").read_text())["data"] == "whoosh-2"
    assert searchkit.check_index(index_path).ok
    assert _titles(index_path) == ["Alpha", "Beta"]
    assert (index_path / "whoosh-999999999" / "mine.txt").exists()


# -- item 10: a file replaced by a folder; a search's memory ----------------------------


def test_a_file_replaced_by_a_folder_leaves_the_index(built: tuple[Path, Path]) -> None:
    index_path, docs = built
    (docs / "a.txt").unlink()
    _article(docs / "a.txt" / "inner.txt", "Inner")
    with searchkit.Index.open(index_path) as ix:
        report = ix.add(docs)
        assert (report.added, report.removed, report.unchanged) == (1, 1, 1)
        assert sorted(Path(d.path).name for d in ix.documents()) == ["b.txt", "inner.txt"]
    assert searchkit.check_index(index_path).ok


def test_a_search_holds_what_it_reads_not_the_whole_segment(tmp_path: Path) -> None:
    # One 2 MB paragraph: its postings take about 10 MB (3 MB on disk, deflated).  A
    # search that opened the index used to copy them all into memory.
    words = " ".join(f"w{i % 997}" + ("." if i % 13 == 0 else "") for i in range(400_000))
    (tmp_path / "big.txt").write_text(f"Title\n\n{words}\n", encoding="utf-8")
    with searchkit.Index.create(tmp_path / "ix") as ix:
        ix.add(tmp_path / "big.txt")
    with searchkit.Index.open(tmp_path / "ix") as ix:
        ix.search("w5", collapse="none")
        ix.close()  # the next search opens the index again, as each CLI search does
        tracemalloc.start()
        try:
            total = ix.search("w17", collapse="none").total
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert total == 402
    assert peak < 5_000_000, peak  # half of the postings, inflated


def test_no_chunk_is_larger_than_the_cap_whatever_the_settings(tmp_path: Path) -> None:
    from searchkit.chunking import MAX_CHUNK_CHARS, chunk_document

    text = "x" * (MAX_CHUNK_CHARS * 2 + 10)
    doc = searchkit.load_document(_write(tmp_path / "one.txt", f"Title\n\n{text}\n"))
    chunks = list(chunk_document(doc, max_chars=10**9))  # as a crafted searchkit.json may say
    assert [len(c.text) for c in chunks] == [MAX_CHUNK_CHARS, MAX_CHUNK_CHARS, 10]
    assert "".join(c.text for c in chunks) == text
    assert [(c.start, c.end) for c in chunks] == [
        (7, 7 + MAX_CHUNK_CHARS),
        (7 + MAX_CHUNK_CHARS, 7 + 2 * MAX_CHUNK_CHARS),
        (7 + 2 * MAX_CHUNK_CHARS, 17 + 2 * MAX_CHUNK_CHARS),
    ]
    with pytest.raises(searchkit.ArgumentError, match="max_chars must be at most 100000"):
        searchkit.Index.create(tmp_path / "ix", max_chars=MAX_CHUNK_CHARS + 1)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
