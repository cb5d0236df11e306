"""Several indexes as one (open_many) and the sharded index, on small hand-made folders."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner

import searchkit
from searchkit import (
    ArgumentError,
    IndexNotFoundError,
    NotFoundError,
    SearchkitIndexError,
)
from searchkit.cli import cli
from searchkit.shards import ShardedIndex, open_or_create_sharded, shard_of

WORDS = [
    *("river", "bank", "money", "loan", "flood", "bridge", "council"),
    *("vote", "budget", "school", "teacher", "snow", "train"),
]


def _article(i: int, version: str = "v1") -> str:
    words = [WORDS[(i * 7 + k) % len(WORDS)] for k in range(3 + i % 5)]
    paragraphs = [
        f"{' '.join(words)} {version} alpha{i}.",
        f"{WORDS[i % len(WORDS)]} and {WORDS[(i + 3) % len(WORDS)]} again {version}.",
        "river bank",  # the same in every file: equal scores, ordered by id and place
    ]
    month = 1 + i % 12
    return (
        f"Article {i} about {words[0]}\n2024-{month:02d}-{1 + i % 27:02d}\n"
        f"Author: Writer {i % 3}\n\n" + "\n\n".join(paragraphs) + "\n"
    )


def _folder(root: Path, start: int, n: int, version: str = "v1") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(start, start + n):
        (root / f"a{i:03d}.txt").write_text(_article(i, version), encoding="utf-8")
    return root


@pytest.fixture
def two(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Two indexes of 12 and 9 articles, and one index of all 21."""
    a = _folder(tmp_path / "files" / "a", 0, 12)
    b = _folder(tmp_path / "files" / "b", 12, 9)
    for name, src in (("ia", a), ("ib", b), ("all", tmp_path / "files")):
        with searchkit.Index.create(tmp_path / name) as ix:
            ix.add(src)
    return tmp_path / "ia", tmp_path / "ib", tmp_path / "all"


QUERIES = ["river bank", "flood OR snow", "budget AND vote", '"bank money"', "riv*", "v1 -loan"]
QUERIES += ["rivre~ flod~", "bnak~2 money", '"river money"~3']  # fuzzy terms, a slop


def _ranked(results: searchkit.Results) -> list[tuple[str, float, int]]:
    return [(h.chunk_id, round(h.score, 9), h.rank) for h in results]


def test_open_many_ranks_as_one_index(two: tuple[Path, Path, Path]) -> None:
    a, b, everything = two
    with searchkit.open_many([a, b]) as many, searchkit.Index.open(everything) as one:
        for q in QUERIES:
            for kw in ({}, {"limit": 4, "page": 2}, {"author": "Writer 1"}, {"since": "2024-06"}):
                want, got = one.search(q, **kw), many.search(q, **kw)
                assert _ranked(got) == _ranked(want), (q, kw)
                assert (got.total, got.pages, got.query) == (want.total, want.pages, want.query)
        # Ties (the "river bank" paragraph of every article) in id order, then place.
        tied = many.search('"river bank"', limit=50, collapse="none")
        assert tied.total == len(tied) > 21
        for score in {h.score for h in tied}:
            same = [(h.doc_id, h.seq) for h in tied if h.score == score]
            assert same == sorted(same)
        assert max(len([h for h in tied if h.score == s]) for s in {h.score for h in tied}) > 5
        for kw in ({"sort": "date"}, {"sort": "oldest"}, {"group": True, "limit": 5}):
            want, got = one.search("river OR flood", **kw), many.search("river OR flood", **kw)
            assert [h.chunk_id for h in got] == [h.chunk_id for h in want], kw
            assert [[m.chunk_id for m in h.more] for h in got] == [
                [m.chunk_id for m in h.more] for h in want
            ]
        hit = many.search("alpha15", collapse="none")[0]
        assert hit.index == str(b) and hit.as_dict()["index"] == str(b)
        assert one.search("alpha15", collapse="none")[0].index is None
        context = many.search("alpha15", context=1, collapse="none")[0]
        assert [c.paragraph for c in context.before + context.after] == [2]


def test_open_many_counts_facets_and_histograms_as_one_index(
    two: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    a, b, everything = two
    explore: dict[str, object] = {"facets": ("author", "year", "month"), "histogram": "week"}
    with searchkit.open_many([a, b]) as many, searchkit.Index.open(everything) as one:
        for q in QUERIES:
            for kw in ({}, {"facet_limit": 2}, {"author": "Writer 1"}, {"since": "2024-06"}):
                want = one.search(q, **explore, **kw)  # type: ignore[arg-type]
                got = many.search(q, **explore, **kw)  # type: ignore[arg-type]
                assert got.facets == want.facets, (q, kw)
                assert got.histogram == want.histogram, (q, kw)
        counted = many.search("river bank", facets=("author",)).facets["author"]
        assert counted == {"Writer 0": 7, "Writer 1": 7, "Writer 2": 7}
        with pytest.raises(searchkit.ArgumentError, match="unknown facet 'colour'"):
            many.search("river", facets=("colour",))
        # Explanations use every part's statistics: they add up to the merged scores.
        for q in QUERIES:
            want = one.search(q, explain=True, limit=8)
            got = many.search(q, explain=True, limit=8)
            assert [h.chunk_id for h in got] == [h.chunk_id for h in want], q
            for g, w in zip(got, want, strict=True):
                assert [(t.field, t.term) for t in g.explanation] == [
                    (t.field, t.term) for t in w.explanation
                ], q
                for tg, tw in zip(g.explanation, w.explanation, strict=True):
                    assert tg.score == pytest.approx(tw.score, abs=1e-9)
                    assert tg.idf == pytest.approx(tw.idf, abs=1e-9)
                assert sum(t.score for t in g.explanation) == pytest.approx(g.score, abs=1e-9)
            assert all(h.explanation for h in got), q
        # More like this and completion, as one index answers them.
        for i, paragraph, kw in ((3, 2, {}), (14, 1, {"group": True}), (5, None, {})):
            doc = one.search(f"alpha{i}")[0].doc_id
            sid = doc if paragraph is None else f"{doc}:{paragraph}"
            want = one.similar(sid, limit=15, **kw)  # type: ignore[arg-type]
            got = many.similar(sid, limit=15, **kw)  # type: ignore[arg-type]
            assert _ranked(got) == _ranked(want), sid
            assert (got.total, got.query) == (want.total, want.query)
            assert want.total > 5
        assert many.complete("riv") == one.complete("riv")
        assert many.complete("budg", limit=3) == one.complete("budg", limit=3)
        with pytest.raises(NotFoundError, match="no chunk or document 'nope'"):
            many.similar("nope")
    sharded = tmp_path / "sharded"
    with searchkit.Index.create(sharded, shards=3) as ix:
        ix.add(tmp_path / "files")
    with searchkit.Index.open(sharded) as ix, searchkit.Index.open(everything) as one:
        for q in QUERIES:
            want = one.search(q, **explore)  # type: ignore[arg-type]
            got = ix.search(q, **explore)  # type: ignore[arg-type]
            assert (got.facets, got.histogram) == (want.facets, want.histogram), q
        doc = one.search("alpha7")[0].doc_id
        assert _ranked(ix.similar(doc)) == _ranked(one.similar(doc))
        assert ix.complete("flo") == one.complete("flo")


def test_open_many_reads_like_an_index(two: tuple[Path, Path, Path]) -> None:
    a, b, everything = two
    with searchkit.open_many([a, b]) as many, searchkit.Index.open(everything) as one:
        assert len(many) == len(one) == 63
        assert many.documents() == one.documents()
        some = one.documents()[15]
        assert many.document(some.id) == one.document(some.id)
        # Paths are relative to each index's own folder: "b" was given b/, "one" its parent.
        assert many.chunk(f"{some.id}:2").relative_path == "a015.txt"
        assert one.chunk(f"{some.id}:2").relative_path == "b/a015.txt"
        unrooted = attrs.evolve(one.chunk(f"{some.id}:2"), relative_path="a015.txt")
        assert many.chunk(f"{some.id}:2") == unrooted
        got, want = many.passage(f"{some.id}:2"), one.passage(f"{some.id}:2")
        assert [c.id for c in (*got.before, got.chunk, *got.after)] == [
            c.id for c in (*want.before, want.chunk, *want.after)
        ]
        stats = many.stats()
        assert (stats.documents, stats.chunks) == (21, 63)
        assert stats.path == f"{a}{os.pathsep}{b}"
        with pytest.raises(NotFoundError, match="no chunk 'nope:1' in indexes"):
            many.chunk("nope:1")
        with pytest.raises(NotFoundError, match="no document 'nope'"):
            many.document("nope")


def test_open_many_refuses_what_is_not_one_collection(
    two: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    a, b, everything = two
    with pytest.raises(ArgumentError, match="at least one index"):
        searchkit.open_many([])
    for one in (str(a), a):  # one folder, whose characters were opened as folders
        with pytest.raises(ArgumentError) as caught:
            searchkit.open_many(one)  # type: ignore[arg-type]
        assert str(caught.value) == f"open_many() takes a list of index folders ([{one!r}, ...])"
    with pytest.raises(SearchkitIndexError, match="named twice"):
        searchkit.open_many([a, b, a])
    with pytest.raises(SearchkitIndexError, match=r"document \w+ is in both"):
        searchkit.open_many([a, everything])
    with pytest.raises(IndexNotFoundError):
        searchkit.open_many([a, tmp_path / "nothing"])


def test_errors_cross_process_boundaries() -> None:
    for exc in (
        searchkit.IndexLockedError("/ix", "pid 7 on host", 2.0),
        searchkit.QuerySyntaxError("a (", "unclosed", 2),
        searchkit.DocumentError("/f.txt", "binary"),
    ):
        back = pickle.loads(pickle.dumps(exc))
        assert type(back) is type(exc) and str(back) == str(exc)
        assert back.__dict__ == exc.__dict__


# -- the sharded index -------------------------------------------------------------------


def test_a_sharded_index_is_one_index(tmp_path: Path, two: tuple[Path, Path, Path]) -> None:
    files = tmp_path / "files"
    with searchkit.Index.create(tmp_path / "sh", shards=3) as sharded:
        assert isinstance(sharded, ShardedIndex) and sharded.shard_count == 3
        report = sharded.add(files)
        assert (report.added, report.chunks) == (21, 63)
        for k, shard in enumerate(sharded.shards()):
            for info in shard.documents():
                assert shard_of(str(Path(info.path).resolve()), 3) == k
        # Every paragraph in one shard; spread over two at least (the files' paths are
        # hashed, and under pytest-205's folder one of three shards gets none of 21).
        sizes = [len(s) for s in sharded.shards()]
        assert sum(sizes) == 63 and sum(1 for n in sizes if n) >= 2
    with searchkit.Index.open(tmp_path / "sh") as sharded, searchkit.Index.open(two[2]) as one:
        assert isinstance(sharded, ShardedIndex)
        for q in QUERIES:
            assert _ranked(sharded.search(q, limit=30)) == _ranked(one.search(q, limit=30))
        assert sharded.documents() == one.documents()
        assert sharded.stats().documents == 21
        assert repr(sharded) == f"Index({str(tmp_path / 'sh')!r}, shards=3)"
    settings = json.loads((tmp_path / "sh" / "searchkit.json").read_text())
    assert settings["format"] == "searchkit-sharded-index"
    assert settings["shards"] == 3 and settings["sources"] == [str(files)]


def test_sync_rebuild_and_check_hold_for_the_whole(tmp_path: Path) -> None:
    files = _folder(tmp_path / "files", 0, 10)
    sharded = searchkit.Index.create(tmp_path / "sh", shards=2)
    sharded.add(files)
    (files / "a003.txt").write_text(_article(3, "v2"), encoding="utf-8")
    (files / "a004.txt").unlink()
    report = sharded.add(files)
    assert (report.updated, report.removed, report.unchanged) == (1, 1, 8)
    assert sharded.search("alpha3 v2", operator="and").total == 1
    assert sharded.search("alpha4").total == 0
    before = sharded.search("river", limit=50)
    rebuilt = sharded.rebuild(confirm=True)
    assert rebuilt.added == 9
    assert sorted(p.name for p in (tmp_path / "sh").iterdir() if p.is_dir()) == [
        "shards-1",
        "shards-2",
    ]
    after = sharded.search("river", limit=50)  # no deleted chunks any more: scores move
    assert sorted(h.chunk_id for h in after) == sorted(h.chunk_id for h in before)
    assert searchkit.check_index(tmp_path / "sh").ok
    # A document in a shard it does not belong to is damage; repair rebuilds.
    k = shard_of(str((files / "a005.txt").resolve()), 2)
    with searchkit.Index.open(tmp_path / "sh" / "shards-2" / str(1 - k)) as wrong:
        wrong.add(files / "a005.txt")
    found = searchkit.check_index(tmp_path / "sh")
    assert any("belongs elsewhere" in p for p in found.problems)
    repaired = searchkit.check_index(tmp_path / "sh", repair=True, confirm=True)
    assert repaired.ok and repaired.repaired and repaired.documents == 9
    sharded.close()


def test_a_rebuild_deletes_only_the_folders_searchkit_marked(tmp_path: Path) -> None:
    files = _folder(tmp_path / "files", 0, 4)
    root = tmp_path / "sh"
    with searchkit.Index.create(root) as plain:  # an ordinary index first, then replaced
        plain.add(files)
    sharded = searchkit.Index.create(root, shards=2, overwrite=True)
    sharded.add(files)
    before = sharded.search("river").total
    for name in ("shards-9", "whoosh-7", "whoosh-backup", "shards-notes"):
        (root / name).mkdir()
        (root / name / "mine.txt").write_text("keep me", encoding="utf-8")
    sharded.rebuild(confirm=True)
    sharded.rebuild(confirm=True)  # a write's clean-up drops the sets before the current one
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == [
        "shards-2",  # the set before the current one, kept for searches still reading it
        "shards-3",  # numbered after its own sets: the user's shards-9 is not counted
        "shards-9",
        "shards-notes",
        "whoosh-7",
        "whoosh-backup",
    ]
    assert all(
        (root / n / "mine.txt").read_text(encoding="utf-8") == "keep me"
        for n in ("shards-9", "whoosh-7", "whoosh-backup", "shards-notes")
    )
    assert sharded.search("river").total == before > 0
    sharded.close()


def test_shard_counts_are_checked(tmp_path: Path) -> None:
    for bad in (0, 257, True):
        with pytest.raises(ArgumentError, match="shards must be a whole number"):
            searchkit.Index.create(tmp_path / "x", shards=bad)
    searchkit.Index.create(tmp_path / "two", shards=2).close()
    with pytest.raises(ArgumentError, match="has 2 shards"):
        open_or_create_sharded(tmp_path / "two", 3)
    with open_or_create_sharded(tmp_path / "two") as ix:
        assert isinstance(ix, ShardedIndex)


_KILLED_ADD = """
import sys, searchkit
ix = searchkit.Index.open(sys.argv[1])
ix.add(sys.argv[2], batch_size=1)
"""


def test_sigkill_during_a_sharded_add_leaves_each_document_old_or_new(tmp_path: Path) -> None:
    files = _folder(tmp_path / "files", 0, 150)
    root = tmp_path / "sh"
    searchkit.Index.create(root, shards=2).add(files)
    _folder(files, 0, 150, "v2")
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_ADD, str(root), str(files)])
    try:
        _wait_for_a_commit(root, proc)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    versions = {"v1": 0, "v2": 0}
    with searchkit.Index.open(root) as ix:
        for info in ix.documents():
            words = {w.strip(".") for p in ix.document(info.id).paragraphs for w in p.text.split()}
            [version] = words & {"v1", "v2"}  # one version, never a mix
            versions[version] += 1
        assert len(ix.documents()) == 150
    assert versions["v2"] > 0 and versions["v1"] > 0, versions  # killed half-way
    assert searchkit.check_index(root).ok
    with searchkit.Index.open(root) as ix:
        assert ix.add(files).updated == versions["v1"]


def _wait_for_a_commit(root: Path, proc: subprocess.Popen[bytes]) -> None:
    """Until a shard has committed a file of the second version."""
    deadline = time.monotonic() + 120
    with searchkit.Index.open(root) as ix:
        while time.monotonic() < deadline and proc.poll() is None:
            if ix.search("v2").total:
                return
            time.sleep(0.01)
    pytest.fail("the add finished or stalled before it could be killed")


# -- the command line --------------------------------------------------------------------


def _run(*args: object, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args], env=env, prog_name="searchkit")
    return result.exit_code, result.stdout, result.stderr


def test_cli_searches_several_indexes(two: tuple[Path, Path, Path]) -> None:
    a, b, everything = two
    code, out, _ = _run("search", "alpha15", "--index", a, "--index", b, "--color", "never")
    assert code == 0 and str(b) in out
    code, out, _ = _run(
        "search",
        "river",
        "--jsonl",
        "--fields",
        "chunk_id,index",
        "-n",
        "50",
        env={"SEARCHKIT_INDEX": f"{a}{os.pathsep}{b}"},
    )
    hits = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and {h["index"] for h in hits} == {str(a), str(b)}
    code, one, _ = _run(
        "search", "river", "--jsonl", "--fields", "chunk_id", "-n", "50", "--index", everything
    )
    assert [h["chunk_id"] for h in hits] == [json.loads(x)["chunk_id"] for x in one.splitlines()]
    code, out, _ = _run("stats", "--index", a, "--index", b, "--json")
    assert code == 0 and json.loads(out)["documents"] == 21
    source = hits[0]["chunk_id"]
    code, many, _ = _run("similar", source, "--json", "--index", a, "--index", b)
    code_one, single, _ = _run("similar", source, "--json", "--index", everything)
    assert (code, code_one) == (0, 0)
    assert [h["chunk_id"] for h in json.loads(many)["hits"]] == [
        h["chunk_id"] for h in json.loads(single)["hits"]
    ]
    code, out, _ = _run("complete", "riv", "--index", a, "--index", b)
    assert code == 0 and out.splitlines()[0] == "river"
    code, _, err = _run("index", "x", "--index", a, "--index", b)
    assert code == 2 and "index works on one index: give --index once" in err
    code, _, err = _run("check", "--index", a, "--index", b)
    assert code == 2 and "check works on one index" in err


def test_cli_creates_and_uses_a_sharded_index(tmp_path: Path) -> None:
    files = _folder(tmp_path / "files", 0, 6)
    code, out, _ = _run("index", files, "--index", tmp_path / "sh", "--shards", "2")
    assert code == 0 and out.startswith("Indexed 6 documents (18 paragraphs)")
    assert isinstance(searchkit.Index.open(tmp_path / "sh"), ShardedIndex)
    code, _, err = _run("index", files, "--index", tmp_path / "sh", "--shards", "3")
    assert code == 2 and "has 2 shards" in err
    code, out, _ = _run("search", "alpha4", "--index", tmp_path / "sh", "--json")
    assert code == 0 and json.loads(out)["total"] == 1
    code, _, err = _run("check", "--index", tmp_path / "sh")
    assert code == 0 and err.startswith("ok: 6 documents, 18 paragraphs")
    searchkit.Index.create(tmp_path / "plain").close()
    code, _, err = _run("search", "x", "--index", tmp_path / "plain", "--dask", "127.0.0.1:1")
    assert code == 2 and "has one shard: Dask can search a sharded index" in err


def test_a_shards_one_writer_commits_a_writers_share_of_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch commits after ``_WRITER_CHUNKS`` chunks for each writer process it has: a
    shard, written by one, commits its own share, so its postings never outgrow the
    writer's memory bound (past it, Whoosh's pool made a shard's build six times the
    CPU of the whole index's)."""
    from searchkit import _batch

    monkeypatch.setattr(os, "cpu_count", lambda: 1)  # the shards written here, in turn
    monkeypatch.setattr(_batch, "_WRITER_CHUNKS", 7)
    commits: list[tuple[int, int]] = []  # (writer processes, chunks pending)
    commit = _batch.Batch.commit

    def counted(self: _batch.Batch, force: bool = False) -> None:
        if self._chunks:
            commits.append((self.procs, self._chunks))
        commit(self, force)

    monkeypatch.setattr(_batch.Batch, "commit", counted)
    files = _folder(tmp_path / "files", 0, 20)
    with searchkit.Index.create(tmp_path / "ix", shards=2) as ix:
        report = ix.add(files)
        stats = ix.stats()
        assert (stats.documents, stats.chunks) == (20, 60)
    assert report.chunks == 60 and {procs for procs, _ in commits} == {1}
    # Each commit holds at most 7 chunks and one file's (3) beyond them.
    assert len(commits) >= 60 // 10 and all(chunks <= 7 + 2 for _, chunks in commits)
    assert sum(chunks for _, chunks in commits) == 60
    # An ordinary index's batch, shared by two writer processes, commits twice as late.
    commits.clear()
    with searchkit.Index.create(tmp_path / "one") as ix:
        ix.add(files)
    writers = _batch._WRITER_PROCS  # two, on a machine of two cores or more
    assert {procs for procs, _ in commits} == {writers}
    assert all(chunks <= 7 * writers + 2 for _, chunks in commits)
    assert max(chunks for _, chunks in commits) > 7 * (writers - 1) + 2


def test_a_batch_of_long_paragraphs_commits_by_their_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Long paragraphs reach a writer's memory bound in few chunks: a batch also commits
    after ``_WRITER_CHARS`` characters of chunk text a writer process (10,000 paragraphs
    of 3,000 characters spilled to Whoosh's pool in one batch, seven times slower)."""
    from searchkit import _batch

    monkeypatch.setattr(os, "cpu_count", lambda: 1)  # the shards written here, in turn
    monkeypatch.setattr(_batch, "_WRITER_CHARS", 300)
    commits: list[int] = []  # characters pending at each commit
    commit = _batch.Batch.commit

    def counted(self: _batch.Batch, force: bool = False) -> None:
        if self._chunks:
            commits.append(self._chars)
        commit(self, force)

    monkeypatch.setattr(_batch.Batch, "commit", counted)
    files = _folder(tmp_path / "files", 0, 20)
    chars = sum(len(p) for i in range(20) for p in _article(i).split("\n\n")[1:])
    with searchkit.Index.create(tmp_path / "ix", shards=2) as ix:
        assert ix.add(files).chunks == 60
    # Each commit holds at most 300 characters and one file's beyond them.
    assert len(commits) >= chars // 400 and all(c <= 300 + 120 for c in commits), commits


def test_sorting_by_date_with_an_empty_shard_or_an_empty_index(tmp_path: Path) -> None:
    """An index with no segment yet (an empty shard, a folder of no documents) has no
    date column to read: sorted by date, a search raised NotImplementedError (a traceback
    on the command line, a 500 in the browser, "index damaged" for a plain index)."""
    seeds = Path(__file__).resolve().parent.parent / "seeds"
    with searchkit.Index.create(tmp_path / "three", shards=3) as sharded:
        sharded.add(seeds)  # one document: two of the three shards stay empty
        for sort in ("date", "oldest"):
            found = sharded.search("belarus", sort=sort, collapse="none", limit=100)
            assert found.total == len(found.hits) > 0
            assert [h.published for h in found.hits] == [found.hits[0].published] * found.total
            assert sharded.search("belarus", sort=sort).total == 1
    with searchkit.Index.create(tmp_path / "empty") as empty:
        (tmp_path / "nothing").mkdir()
        empty.add(tmp_path / "nothing")
        assert empty.search("belarus", sort="date").total == 0


def test_the_next_write_deletes_the_shard_set_a_rebuild_left(tmp_path: Path) -> None:
    """docs/safety.md: after a rebuild, the next write deletes the data folders the
    settings no longer use; a sharded index kept its old shard set until the next
    rebuild (twice the disk)."""
    seeds = Path(__file__).resolve().parent.parent / "seeds"
    with searchkit.Index.create(tmp_path / "ix", shards=2) as ix:
        ix.add(seeds)
        ix.rebuild(confirm=True)
        sets = sorted(p.name for p in (tmp_path / "ix").glob("shards-*"))
        assert len(sets) == 2  # the new set, and the old one a reader may still hold
        ix.add(seeds)
        assert sorted(p.name for p in (tmp_path / "ix").glob("shards-*")) == sets[-1:]
        assert ix.search("belarus").total == 1
