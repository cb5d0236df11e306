from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import searchkit
from searchkit._lock import WriteLock

from .conftest import ROOT, SEED, SEEDS


def _article(n: int, version: str = "a", paragraphs: int = 3) -> str:
    body = "\n".join(
        f"Paragraph {p} of article {n} version {version} mentions token{n}x{p} and "
        f"shared words like harbour, tariff and {version}word."
        for p in range(1, paragraphs + 1)
    )
    return f"Article number {n}\n2024-05-{(n % 28) + 1:02d}\nAuthor: Writer {n % 3}\n{body}\n"


def _corpus(folder: Path, n: int, version: str = "a") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        p = folder / f"doc{i:03d}.txt"
        p.write_text(_article(i, version), encoding="utf-8")
        paths.append(p)
    return paths


# -- create / open ------------------------------------------------------------------


def test_open_missing_index_says_how_to_build(tmp_path: Path) -> None:
    with pytest.raises(searchkit.IndexNotFoundError) as err:
        searchkit.Index.open(tmp_path / "nowhere")
    assert f"no searchkit index at {tmp_path / 'nowhere'}" in str(err.value)
    assert "searchkit index PATH" in str(err.value)


def test_create_refuses_existing_index_and_foreign_folder(tmp_path: Path) -> None:
    searchkit.Index.create(tmp_path / "ix").close()
    with pytest.raises(searchkit.IndexExistsError, match="already exists"):
        searchkit.Index.create(tmp_path / "ix")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious", encoding="utf-8")
    with pytest.raises(searchkit.SearchkitIndexError, match="other files in it"):
        searchkit.Index.create(tmp_path / "mine")
    assert (tmp_path / "mine" / "thesis.tex").read_text(encoding="utf-8") == "precious"


def test_overwrite_replaces_index(tmp_path: Path) -> None:
    with searchkit.Index.create(tmp_path / "ix") as ix:
        ix.add(SEEDS)
    with searchkit.Index.create(tmp_path / "ix", overwrite=True) as ix:
        assert len(ix) == 0
    assert [p.name for p in (tmp_path / "ix").glob("whoosh-*")] == ["whoosh-2"]


def test_incompatible_index_asks_for_rebuild(tmp_path: Path) -> None:
    searchkit.Index.create(tmp_path / "ix").close()
    settings = tmp_path / "ix" / "searchkit.json"
    data = json.loads(settings.read_text(encoding="utf-8"))
    data["schema_version"] = 0
    settings.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(searchkit.IndexIncompatibleError, match="--rebuild"):
        searchkit.Index.open(tmp_path / "ix")
    settings.write_text("{not json", encoding="utf-8")
    with pytest.raises(searchkit.IndexDamagedError, match="cannot read"):
        searchkit.Index.open(tmp_path / "ix")


# -- add and sync -------------------------------------------------------------------


def test_add_reports_skipped_files_with_reasons(index: searchkit.Index, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(SEED, src / "seed.txt")
    (src / "empty.txt").write_bytes(b"")
    (src / "blob.txt").write_bytes(b"\x00\x01\x02binary\x00")
    (src / "latin.txt").write_bytes(
        "Caf\xe9 title\n\nUne phrase en fran\xe7ais.\n".encode("latin-1")
    )
    os.mkfifo(src / "pipe.txt")
    report = index.add(src)
    assert (report.added, report.chunks) == (2, 18)
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert reasons == {
        "blob.txt": "binary file (contains NUL bytes), not text",
        "empty.txt": "empty file",
        "pipe.txt": "not a regular file (a pipe, socket or device)",
    }
    assert index.search("français").total == 1
    # A shell's process substitution, ``searchkit index <(...)``: /dev/fd/N, a link to a
    # pipe that resolves to no path (it said "cannot read: No such file or directory").
    read, write = os.pipe()
    try:
        piped = index.add(f"/dev/fd/{read}")
    finally:
        os.close(read)
        os.close(write)
    assert [(s.path, s.reason) for s in piped.skipped] == [
        (f"/dev/fd/{read}", "not a regular file (a pipe, socket or device)")
    ]


def test_sync_counts_each_kind(index: searchkit.Index, tmp_path: Path) -> None:
    src = tmp_path / "src"
    paths = _corpus(src, 6)
    first = index.add(src)
    assert (first.added, first.chunks, first.unchanged) == (6, 18, 0)

    again = index.add(src)
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, 6)

    paths[0].write_text(_article(0, "b"), encoding="utf-8")  # changed
    paths[1].unlink()  # removed
    paths[2].rename(src / "moved.txt")  # renamed
    old_id = next(d.id for d in index.documents() if d.path == str(paths[2]))
    (src / "new.txt").write_text(_article(99), encoding="utf-8")  # added
    os.utime(paths[3], ns=(1, 1))  # touched, same content
    dry = index.add(src, dry_run=True)
    counts = (dry.added, dry.updated, dry.removed, dry.renamed, dry.unchanged)
    assert counts == (1, 1, 1, 1, 3)
    assert dry.dry_run and index.search("bword", collapse="none", exact=True).total == 0

    report = index.add(src)
    counts = (report.added, report.updated, report.removed, report.renamed, report.unchanged)
    assert counts == (1, 1, 1, 1, 3)
    docs = {Path(d.path).name: d for d in index.documents()}
    assert sorted(docs) == [
        "doc000.txt",
        "doc003.txt",
        "doc004.txt",
        "doc005.txt",
        "moved.txt",
        "new.txt",
    ]
    assert docs["moved.txt"].id != old_id  # ids follow paths
    assert index.search(f"doc_id:{old_id}", collapse="none").total == 0
    # A new file at the old path is a new document, not a clash with the moved one.
    paths[2].write_text(_article(2, "c"), encoding="utf-8")
    again = index.add(src)
    assert (again.added, again.unchanged) == (1, 6)
    assert searchkit.check_index(index.path).ok
    assert (
        index.search("token2x1", collapse="none").total == 2
    )  # moved.txt (version a) and doc002 (c)
    assert index.search("bword", collapse="none").total == 3
    assert index.search("token1x1", collapse="none").total == 0
    assert len(index) == 21


def test_touched_file_settles_and_emptied_file_leaves(
    index: searchkit.Index, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    paths = _corpus(src, 3)
    index.add(src)
    os.utime(paths[0], ns=(5, 5))
    assert index.add(src).unchanged == 3
    assert next(d for d in index.documents() if d.path == str(paths[0])).mtime_ns == 5
    assert searchkit.check_index(index.path).stale == ()
    paths[1].write_bytes(b"")
    report = index.add(src)
    assert (report.removed, report.unchanged) == (1, 2)
    assert [(Path(s.path).name, s.reason) for s in report.skipped] == [("doc001.txt", "empty file")]
    assert index.search("token1x1").total == 0


def test_two_files_swapped_by_renaming_are_both_read_again(
    index: searchkit.Index, tmp_path: Path
) -> None:
    """Same size, same modification time (written in one clock tick, or ``touch -d``),
    swapped by ``mv``: each path went on finding the other file's text."""
    src = tmp_path / "src"
    src.mkdir()
    a, b = src / "a.txt", src / "b.txt"
    a.write_text("Alpha\n\nalphaword text\n", encoding="utf-8")
    b.write_text("Omega\n\nomegaword text\n", encoding="utf-8")
    for f in (a, b):
        os.utime(f, ns=(10**18, 10**18))
    index.add(src)
    a.rename(src / "t")
    b.rename(a)
    (src / "t").rename(b)
    assert searchkit.check_index(index.path).stale != ()
    report = index.add(src)
    assert report.unchanged == 0 and report.added + report.updated + report.renamed == 2
    assert [Path(h.path).name for h in index.search("alphaword")] == ["b.txt"]
    assert [Path(h.path).name for h in index.search("omegaword")] == ["a.txt"]
    assert index.add(src).unchanged == 2
    assert searchkit.check_index(index.path).ok


def test_same_file_twice_in_one_run(index: searchkit.Index, tmp_path: Path) -> None:
    (tmp_path / "link.txt").symlink_to(SEED)
    report = index.add(SEEDS, SEED, SEEDS / ".." / "seeds", tmp_path / "link.txt")
    assert (report.added, report.chunks) == (1, 17)
    assert len(index) == 17
    assert searchkit.check_index(index.path).ok


def test_add_documents_upserts(index: searchkit.Index) -> None:
    doc = searchkit.load_document(SEED)
    assert index.add_documents([doc, doc]).added == 1
    assert len(index) == 17
    index.remove(doc.id)
    assert index.add_documents([doc]).added == 1
    again = index.add_documents([doc])
    assert (again.added, again.updated) == (0, 1)
    assert len(index) == 17
    assert index.remove(doc.id, "unknown") == 1
    assert len(index) == 0


def test_rebuild_swaps_in_new_data(tmp_path: Path) -> None:
    src = tmp_path / "src"
    _corpus(src, 4)
    with searchkit.Index.create(tmp_path / "ix") as ix:
        ix.add(src)
        reader = searchkit.Index.open(tmp_path / "ix")
        assert reader.search("harbour", collapse="none").total == 12
        (src / "doc000.txt").unlink()
        report = ix.rebuild(confirm=True)
        assert report.added == 3
        assert reader.search("harbour", collapse="none").total == 9  # another handle sees the swap
        # The old data stays until the next write, for searches that had it open.
        assert sorted(p.name for p in (tmp_path / "ix").glob("whoosh-*")) == [
            "whoosh-1",
            "whoosh-2",
        ]
        ix.add(src)  # the next write clears the old data folder
        assert [p.name for p in (tmp_path / "ix").glob("whoosh-*")] == ["whoosh-2"]
        reader.close()


def test_a_reader_sees_every_later_commit_of_another_handle(tmp_path: Path) -> None:
    src = tmp_path / "src"
    paths = _corpus(src, 3)
    with (
        searchkit.Index.create(tmp_path / "ix") as writer,
        searchkit.Index.open(tmp_path / "ix") as reader,
    ):
        assert reader.search("harbour").total == 0
        writer.add(paths[0])  # the next generation: its table of contents appears
        assert reader.search("harbour").total == 1
        writer.add(paths[1])  # two generations on: the one after the reader's is gone too
        writer.add(paths[2])
        data = tmp_path / "ix" / writer._settings.data
        assert len(list(data.glob("_MAIN_*.toc"))) == 1
        assert reader.search("harbour").total == 3
        assert reader.search("harbour").total == 3  # and stays put while nothing changes


def test_failed_rebuild_keeps_old_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "src"
    _corpus(src, 4)
    with searchkit.Index.create(tmp_path / "ix") as ix:
        ix.add(src)

        def boom(*args: object) -> None:
            raise RuntimeError("disk on fire")

        monkeypatch.setattr("searchkit._sync.Sync._remove_missing", boom)
        with pytest.raises(RuntimeError, match="disk on fire"):
            ix.rebuild(confirm=True)
        assert ix.search("harbour", collapse="none").total == 12
        assert [p.name for p in (tmp_path / "ix").glob("whoosh-*")] == ["whoosh-1"]


def test_check_and_repair(tmp_path: Path) -> None:
    src = tmp_path / "src"
    _corpus(src, 3)
    with searchkit.Index.create(tmp_path / "ix") as ix:
        ix.add(src)
    report = searchkit.check_index(tmp_path / "ix")
    assert report.ok and (report.documents, report.chunks) == (3, 9)
    (src / "doc000.txt").write_text("changed", encoding="utf-8")
    assert searchkit.check_index(tmp_path / "ix").stale == (str(src / "doc000.txt"),)
    for seg in (tmp_path / "ix" / "whoosh-1").glob("*.seg"):
        seg.write_bytes(b"garbage")
    broken = searchkit.check_index(tmp_path / "ix")
    assert not broken.ok and broken.problems
    fixed = searchkit.check_index(tmp_path / "ix", repair=True, confirm=True)
    assert fixed.repaired
    after = searchkit.check_index(tmp_path / "ix")
    assert after.ok and (after.documents, after.chunks) == (3, 7)


# -- paths --------------------------------------------------------------------------


def test_symlink_loop_and_odd_names_are_survived(index: searchkit.Index, tmp_path: Path) -> None:
    src = tmp_path / "src"
    _corpus(src, 2)
    (src / "loop").symlink_to(src, target_is_directory=True)
    (src / "self.txt").symlink_to(src / "self.txt")
    odd = os.fsencode(src) + b"/caf\xe9.txt"
    with open(odd, "wb") as f:
        f.write(b"Title\n\nBody text.\n")
    report = index.add(src)
    assert report.added == 2
    assert sorted((Path(s.path).name, s.reason) for s in report.skipped) == [
        ("caf\\xe9.txt", "file name is not valid UTF-8"),
        ("loop", "symbolic link to a folder, not followed (--follow-links follows it)"),
        ("self.txt", "symbolic link loop"),
    ]


def test_unreadable_and_vanishing_files(
    index: searchkit.Index, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "src"
    paths = _corpus(src, 4)
    real = Path.read_bytes

    def guarded(self: Path) -> bytes:
        if self.name == "doc001.txt":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", guarded)

    def vanish(done: int, total: int, path: str) -> None:
        if done == 1:
            paths[3].unlink()

    report = index.add(src, progress=vanish)
    assert report.added == 2
    assert sorted((Path(s.path).name, s.reason) for s in report.skipped) == [
        ("doc001.txt", "permission denied"),
        ("doc003.txt", "cannot read: No such file or directory"),
    ]


# -- locking and concurrency --------------------------------------------------------


def _python(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


HOLD = (
    "import sys, time\nfrom pathlib import Path\nfrom searchkit._lock import WriteLock\n"
    "with WriteLock(Path(sys.argv[1])):\n    print('held', flush=True)\n    time.sleep(60)\n"
)


def test_locked_index_names_the_holder(tmp_path: Path) -> None:
    searchkit.Index.create(tmp_path / "ix").close()
    holder = _python("-c", HOLD, str(tmp_path / "ix"))
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        ix = searchkit.Index.open(tmp_path / "ix", lock_timeout=0.2)
        with pytest.raises(searchkit.IndexLockedError) as err:
            ix.add(SEEDS)
        assert f"pid {holder.pid} on " in str(err.value)
        assert "waited 0.2s" in str(err.value)
        assert ix.search("anything", collapse="none").total == 0  # reading never waits for the lock
    finally:
        holder.kill()
        holder.wait()
    # The killed holder's lock is gone with it: no stale lock to clear by hand.
    with WriteLock(tmp_path / "ix", timeout=1):
        pass
    assert ix.add(SEEDS).added == 1


def test_second_writer_waits_for_the_first(tmp_path: Path) -> None:
    searchkit.Index.create(tmp_path / "ix").close()
    marker = tmp_path / "released"
    # The holder leaves a marker just before it lets go of the lock.
    release = f"time.sleep(0.5)\n    open({str(marker)!r}, 'w').close()"
    holder = _python("-c", HOLD.replace("time.sleep(60)", release), str(tmp_path / "ix"))
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    with searchkit.Index.open(tmp_path / "ix", lock_timeout=10) as ix:
        assert not marker.exists()
        assert ix.add(SEEDS).added == 1
        assert marker.exists(), "the add ran only after the first writer let go"
    holder.wait()


def test_searches_keep_working_while_another_process_writes(tmp_path: Path) -> None:
    src = tmp_path / "src"
    _corpus(src, 120)
    searchkit.Index.create(tmp_path / "ix").close()
    writer = _python("-m", "tests._writer", str(tmp_path / "ix"), "5", str(src))
    searches = 0
    with searchkit.Index.open(tmp_path / "ix") as ix:
        while writer.poll() is None:
            results = ix.search("harbour tariff", limit=5, collapse="none")
            assert results.total % 3 == 0  # whole documents only: 3 chunks each
            searches += 1
        assert writer.returncode == 0, writer.stderr.read() if writer.stderr else ""
        assert ix.search("harbour", collapse="none").total == 360
    assert searches > 3


# -- crash safety -------------------------------------------------------------------


def _kill_and_check(tmp_path: Path, kills: int, seed: int) -> list[int]:
    """Flip every file between versions a and b, kill the indexer at a random moment, check.

    After each kill the index must open, answer queries, pass check_index, and hold every
    document whole in exactly one of its two versions.  Returns, per kill, how many
    documents the killed run had switched to the new version.
    """
    rng = random.Random(seed)
    src = tmp_path / "src"
    n = 40
    hashes = {
        v: {
            i: searchkit.load_document(p).content_hash
            for i, p in enumerate(_corpus(tmp_path / v, n, v))
        }
        for v in ("a", "b")
    }
    _corpus(src, n, "a")
    with searchkit.Index.create(tmp_path / "ix") as ix:
        ix.add(src)
    states = []
    version = "a"
    for _ in range(kills):
        version = "b" if version == "a" else "a"
        _corpus(src, n, version)
        rebuild = ["--rebuild"] if rng.random() < 0.2 else []
        proc = _python("-m", "tests._writer", str(tmp_path / "ix"), "3", *rebuild, str(src))
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        time.sleep(rng.uniform(0.0, 0.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        with searchkit.Index.open(tmp_path / "ix") as ix:
            docs = ix.documents()
            assert len(docs) == n, "every document is there, old or new"
            switched = 0
            for d in docs:
                i = int(Path(d.path).stem[3:])
                found = next(v for v in "ab" if hashes[v][i] == d.content_hash)
                chunks = ix.search(f"doc_id:{d.id}", limit=10, collapse="none")
                assert chunks.total == 3
                assert all(f"version {found} " in h.text for h in chunks)
                switched += found == version
            assert ix.search("harbour", collapse="none").total == 3 * n
            states.append(switched)
        assert searchkit.check_index(tmp_path / "ix").ok
        if switched < n:  # finish the run, so that the next kill starts from one version
            with searchkit.Index.open(tmp_path / "ix") as ix:
                ix.add(src)
    return states


def test_sigkill_during_indexing_leaves_a_working_index(tmp_path: Path) -> None:
    states = _kill_and_check(tmp_path, kills=6, seed=7)
    assert len(states) == 6


@pytest.mark.slow
def test_sigkill_many_times(tmp_path: Path) -> None:
    states = _kill_and_check(tmp_path, kills=100, seed=20261126)
    print("documents in the new version after each kill:", states)


def test_an_index_kept_inside_a_folder_it_indexes_is_not_read_as_documents(
    tmp_path: Path,
) -> None:
    """``searchkit index notes --index notes/ix``: the index's own synonyms file became a
    document, and its segments, lock and commit records were listed as skipped files."""
    notes = tmp_path / "notes"
    notes.mkdir()
    shutil.copy(SEED, notes / "seed.txt")
    synonyms = tmp_path / "syn.txt"
    synonyms.write_text("kyiv, kiev\n", encoding="utf-8")
    for shards in (1, 2):
        where = notes / f"ix{shards}"
        with searchkit.Index.create(where, shards=shards, synonyms=synonyms) as ix:
            for _ in range(2):
                report = ix.add(notes)
                assert sorted((Path(s.path).name, s.reason) for s in report.skipped) == [
                    (f"ix{n}", "a searchkit index folder, not walked") for n in range(1, shards + 1)
                ]
            assert [d.path for d in ix.documents()] == [str(notes / "seed.txt")]


def test_a_folder_that_cannot_be_checked_for_an_index_is_walked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder this user may not read made the check for an index's ``searchkit.json``
    raise PermissionError (``Path.is_file`` re-raises it), which ended the whole run with
    "permission denied for index"; the walk goes on (and says what it cannot read)."""
    notes = tmp_path / "notes"
    (notes / "locked").mkdir(parents=True)
    shutil.copy(SEED, notes / "locked" / "seed.txt")
    (notes / "other.txt").write_text("Other\n\nAn unrelated note.\n", encoding="utf-8")
    is_file = Path.is_file

    def refused(self: Path) -> bool:
        if self.name == "searchkit.json" and self.parent.name == "locked":
            raise PermissionError(13, "Permission denied", str(self))
        return is_file(self)

    monkeypatch.setattr(Path, "is_file", refused)
    with searchkit.Index.create(tmp_path / "ix") as ix:
        assert ix.add(notes).added == 2
