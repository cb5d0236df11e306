"""Ranking beyond BM25: paragraph vectors (searchkit[semantic]), ``mode="hybrid"``,
``proximity=True``, and ``eval --compare``.

The model loads once per session (``semantic`` keeps it); the indexes here are a few
paragraphs each.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import searchkit
from searchkit import Document, Paragraph, SearchRequest, _rerank, _vectors, semantic
from searchkit.cli import cli
from searchkit.evaluation.compare import compare, sign_flip_p

pytestmark = pytest.mark.skipif(not semantic.available(), reason="needs searchkit[semantic]")

QUERY = "which process is using a port"
# "sockets" answers the question in other words; "harbour" shares more of its words.
DOCS = {
    "sockets": (
        "Servers",
        "To see which server process holds a TCP port, run lsof -i or netstat and read the "
        "PID of the listening daemon.",
    ),
    "harbour": (
        "The harbour at Rotterdam",
        "Rotterdam, the largest port in Europe, is using a new process to unload container "
        "ships: cranes, barges, tugboats and freight trains move steel boxes of coffee, "
        "bananas and cars along the quays day and night.",
    ),
    "recipe": ("Baking bread", "Knead the dough, using a warm bowl; the process takes an hour."),
    "wine": ("Port wine", "Port is a fortified wine from the Douro valley."),
    "court": ("A court case", "The legal process moved slowly through the courts."),
    "garden": ("Gardening", "Using compost makes the soil rich."),
}


def _documents(ids: list[str] | None = None) -> list[Document]:
    return [
        Document(
            id=k,
            path=k,
            title=DOCS[k][0],
            paragraphs=(Paragraph(1, DOCS[k][1], 0, len(DOCS[k][1])),),
        )
        for k in (ids or list(DOCS))
    ]


def _build(path: Path, ids: list[str] | None = None, **options: Any) -> Path:
    with searchkit.Index.create(path, **options) as ix:
        ix.add_documents(_documents(ids))
    return path


@pytest.fixture(scope="session")
def hybrid_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("hybrid") / "index")


def _scores(ix: Any, request: SearchRequest) -> list[tuple[str, float]]:
    return [(h.doc_id, h.score) for h in ix.search(request)]


def test_vectors_are_written_beside_each_segment_and_checked(hybrid_path: Path) -> None:
    data = hybrid_path / "whoosh-1"
    vectors = sorted(p.name for p in data.iterdir() if p.name.endswith(".skvec"))
    segments = sorted(p.name for p in data.iterdir() if p.name.endswith(".seg"))
    assert [v.split(".")[0] for v in vectors] == [s.split(".")[0] for s in segments] != []
    record = json.loads(next(data.glob("searchkit-commit-*.json")).read_text())
    assert set(vectors) <= set(record["files"])  # checksummed with the segment
    assert searchkit.check_index(hybrid_path).problems == ()


def test_hybrid_ranks_a_paraphrase_above_a_lexical_only_hit(hybrid_path: Path) -> None:
    with searchkit.Index.open(hybrid_path) as ix:
        lexical = _scores(ix, SearchRequest(QUERY))
        hybrid = _scores(ix, SearchRequest(QUERY, mode="hybrid"))
        assert ix.search(QUERY).as_dict() == ix.search(QUERY, mode="lexical").as_dict()
    assert [d for d, _ in lexical][:1] == ["harbour"]
    assert [d for d, _ in hybrid][:2] == ["sockets", "harbour"]
    assert sorted(d for d, _ in hybrid) == sorted(d for d, _ in lexical)  # the same matches
    assert all(0.0 <= s <= 1.0 for _, s in hybrid)
    assert max(s for _, s in hybrid) < 1.0  # no paragraph is best on both scores here


def test_hybrid_scores_are_the_fusion_formula(hybrid_path: Path) -> None:
    with searchkit.Index.open(hybrid_path) as ix:
        bm25 = dict(_scores(ix, SearchRequest(QUERY)))
        fused = dict(_scores(ix, SearchRequest(QUERY, mode="hybrid")))
    vector = semantic.embed([QUERY])[0].astype("float64")
    rows = semantic.embed([semantic.paragraph_text(*DOCS[d]) for d in bm25]).astype("float64")
    cosine = dict(zip(bm25, (rows * vector).sum(axis=1).tolist(), strict=True))
    lo, hi = min(bm25.values()), max(bm25.values())
    clo, chi = min(cosine.values()), max(cosine.values())
    for d in bm25:
        want = 0.7 * (bm25[d] - lo) / (hi - lo) + 0.3 * (cosine[d] - clo) / (chi - clo)
        assert fused[d] == pytest.approx(want, abs=1e-6), d


def test_a_search_builds_and_checks_with_every_socket_blocked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The model loads from the installed wheel: nothing reaches for a network."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"a socket was opened: {args!r}")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse, raising=False)
    monkeypatch.setattr(semantic, "_MODEL", None)  # load it afresh, here
    path = _build(tmp_path / "offline")
    with searchkit.Index.open(path) as ix:
        assert ix.search(QUERY, mode="hybrid")[0].doc_id == "sockets"
    assert searchkit.check_index(path).problems == ()
    assert semantic._MODEL is not None


def test_a_lone_surrogate_embeds_as_the_replacement_character() -> None:
    """The model's tokenizer takes UTF-8 alone: a JSON document's ``"\\ud800"`` raised
    TypeError from it, and indexing the document failed with a traceback."""
    got = semantic.embed(["Gannets \ud800 dive", "Gannets \ufffd dive"])
    assert got[0].tolist() == got[1].tolist()
    assert any(got[0])


def test_loading_the_model_leaves_the_programs_logging_as_it_was() -> None:
    """wordllama calls ``logging.basicConfig(level=INFO)`` on import: every INFO line of
    every library then reached stderr (``searchkit watch`` printed watchfiles' "1 change
    detected" beside its own lines)."""
    code = (
        "import logging, searchkit.semantic as s; s.embed(['gannets dive']); "
        "root = logging.getLogger(); print(len(root.handlers), root.level)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.split() == ["0", str(logging.WARNING)]


def test_a_damaged_vector_file_is_index_damage(tmp_path: Path) -> None:
    path = _build(tmp_path / "index")
    vec = next((path / "whoosh-1").glob("*.skvec"))
    raw = bytearray(vec.read_bytes())
    raw[-5] ^= 0x40  # one bit of one vector
    vec.write_bytes(bytes(raw))
    with searchkit.Index.open(path) as ix:
        assert ix.search(QUERY).total == 6  # lexical search does not read vectors
        with pytest.raises(searchkit.IndexDamagedError, match=r"vectors fail their checksum"):
            ix.search(QUERY, mode="hybrid")
    problems = searchkit.check_index(path).problems
    assert any(vec.name in p for p in problems), problems


def test_an_index_without_vectors_says_how_to_add_them(tmp_path: Path) -> None:
    with pytest.MonkeyPatch.context() as written_without_the_extra:
        written_without_the_extra.setattr(semantic, "available", lambda: False)
        path = _build(tmp_path / "plain")
    assert not list((path / "whoosh-1").glob("*.skvec"))
    with searchkit.Index.open(path) as ix:
        assert ix.search(QUERY).total == 6
        with pytest.raises(searchkit.VectorsMissingError) as caught:
            ix.search(QUERY, mode="hybrid")
    assert str(caught.value) == (
        f"index {path} has no paragraph vectors for mode='hybrid' (written without "
        f"searchkit[semantic]); with it installed, run `searchkit index --rebuild --index {path}`"
    )
    got = CliRunner().invoke(cli, ["search", QUERY, "--mode", "hybrid", "--index", str(path)])
    assert got.exit_code == 3
    assert got.output.strip().splitlines() == [f"Error: {caught.value}"]


def test_an_index_created_without_vectors_writes_none_and_says_so(tmp_path: Path) -> None:
    """``vectors=False`` with the extra installed: no vector file, not even when commits
    merge segments; hybrid names the choice; the choice is kept and checked."""
    path = tmp_path / "lexical"
    with searchkit.Index.create(path, vectors=False) as ix:
        assert ix.vectors is False
        for doc in _documents():
            ix.add_documents([doc])  # one commit each: segments merge
        assert len(ix._reader().reader().leaf_readers()) < len(DOCS)
        assert ix.search(QUERY).total == 6
        with pytest.raises(searchkit.VectorsMissingError) as caught:
            ix.search(QUERY, mode="hybrid")
    assert not list((path / "whoosh-1").glob("*.skvec"))
    assert json.loads((path / "searchkit.json").read_text())["vectors"] is False
    assert str(caught.value) == (
        f"index {path} has no paragraph vectors for mode='hybrid' (created without them: "
        "vectors=False, `searchkit index --no-vectors`); index into a new folder to have them"
    )
    with pytest.raises(searchkit.SettingsError, match="was created without paragraph vectors"):
        searchkit.Index.open_or_create(path, vectors=True)
    searchkit.Index.open_or_create(path).close()  # None: whatever it was created with
    assert searchkit.check_index(path).problems == ()


def test_the_command_line_creates_a_lexical_index(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# Ports\n\nWhich process is using a port.\n", encoding="utf-8")
    runner = CliRunner()
    ix = str(tmp_path / "ix")
    got = runner.invoke(cli, ["index", str(docs), "--index", ix, "--no-vectors", "-q"])
    assert got.exit_code == 0, got.output
    assert not list((tmp_path / "ix" / "whoosh-1").glob("*.skvec"))
    again = runner.invoke(cli, ["index", str(docs), "--index", ix, "--no-vectors", "--rebuild"])
    assert again.exit_code == 2
    assert "--no-vectors goes with neither --rebuild nor --dry-run" in again.output
    with_them = str(tmp_path / "with")
    assert runner.invoke(cli, ["index", str(docs), "--index", with_them, "-q"]).exit_code == 0
    refused = runner.invoke(cli, ["index", str(docs), "--index", with_them, "--no-vectors"])
    assert refused.exit_code == 2
    assert "was created with paragraph vectors" in refused.output


def test_a_sharded_index_without_vectors_writes_none(tmp_path: Path) -> None:
    with searchkit.Index.create(tmp_path / "ix", shards=2, vectors=False) as ix:
        ix.add_documents(_documents())
        assert ix.vectors is False
        assert ix.search(QUERY).total == 6
    assert not list((tmp_path / "ix").rglob("*.skvec"))


def test_without_the_extra_hybrid_says_what_to_install(
    hybrid_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(semantic, "available", lambda: False)
    monkeypatch.setattr(semantic, "_MODEL", None)
    with (
        searchkit.Index.open(hybrid_path) as ix,
        pytest.raises(
            searchkit.SemanticUnavailableError, match=r"pip install 'searchkit\[semantic\]'"
        ),
    ):
        ix.search(QUERY, mode="hybrid")


def test_a_bad_mode_is_refused() -> None:
    with pytest.raises(searchkit.FilterError, match="mode must be one of lexical, hybrid, not 'x'"):
        SearchRequest(QUERY, mode="x")  # type: ignore[arg-type]


@pytest.mark.parametrize("proximity", [False, True])
@pytest.mark.parametrize("pool", [3, _rerank.POOL])
def test_shards_and_several_indexes_fuse_as_one_index(
    tmp_path: Path,
    hybrid_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    proximity: bool,
    pool: int,
) -> None:
    """The normalisation is over the best candidates of all parts together: per-part
    bounds (or a per-part pool, with ``pool`` 3) would give other scores."""
    monkeypatch.setattr(_rerank, "POOL", pool)
    sharded = _build(tmp_path / "sharded", shards=3)
    first = _build(tmp_path / "a", ["sockets", "harbour", "court"])
    second = _build(tmp_path / "b", ["recipe", "wine", "garden"])
    for page in (1, 2):
        request = SearchRequest(QUERY, mode="hybrid", proximity=proximity, limit=3, page=page)
        with searchkit.Index.open(hybrid_path) as ix:
            want = _scores(ix, request)
        assert len(want) == 3
        with searchkit.Index.open(sharded) as ix:
            got_sharded = _scores(ix, request)
        with searchkit.open_many([first, second]) as many:
            got_many = _scores(many, request)
        for got in (got_sharded, got_many):
            assert [d for d, _ in got] == [d for d, _ in want]
            assert [s for _, s in got] == pytest.approx([s for _, s in want], abs=1e-6)


@pytest.mark.parametrize("proximity", [False, True])
def test_pages_past_the_pool_follow_one_order(
    tmp_path: Path, hybrid_path: Path, monkeypatch: pytest.MonkeyPatch, proximity: bool
) -> None:
    """Page after page of a flat re-ranked search is one list cut in pages: the pool is
    the same for every page (a pool of ``page * limit`` re-scored the candidates from
    page to page, repeating some hits and never showing others)."""
    monkeypatch.setattr(_rerank, "POOL", 2)
    monkeypatch.setattr(_rerank, "NEAR_POOL", 2)
    sharded = _build(tmp_path / "sharded", shards=3)

    def flat(ix: Any, limit: int, page: int) -> list[tuple[str, float]]:
        request = SearchRequest(
            QUERY, mode="hybrid", proximity=proximity, collapse="none", limit=limit, page=page
        )
        return _scores(ix, request)

    for path in (hybrid_path, sharded):
        with searchkit.Index.open(path) as ix:
            whole = flat(ix, 6, 1)
            paged = [hit for page in (1, 2, 3) for hit in flat(ix, 2, page)]
        assert len(whole) == 6  # every paragraph holds a word of the query
        assert [d for d, _ in paged] == [d for d, _ in whole]
        assert [s for _, s in paged] == pytest.approx([s for _, s in whole], abs=1e-9)
        assert all(a >= b for (_, a), (_, b) in itertools.pairwise(paged))


def test_dask_fuses_as_one_index(tmp_path: Path, hybrid_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    sharded = _build(tmp_path / "sharded", shards=3)
    request = SearchRequest(QUERY, mode="hybrid", proximity=True)
    with searchkit.Index.open(hybrid_path) as ix:
        want = _scores(ix, request)
    with (
        distributed.LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        ) as cluster,
        distributed.Client(cluster) as client,
        searchkit.Index.open(sharded) as ix,
    ):
        got = [(h.doc_id, h.score) for h in ix.search(request, client=client)]
    assert [d for d, _ in got] == [d for d, _ in want]
    assert [s for _, s in got] == pytest.approx([s for _, s in want], abs=1e-6)


def test_hybrid_outside_the_pool_keeps_bm25_order_below_it(
    hybrid_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_rerank, "pool_size", lambda request: 2)
    with searchkit.Index.open(hybrid_path) as ix:
        lexical = [d for d, _ in _scores(ix, SearchRequest(QUERY))]
        hybrid = _scores(ix, SearchRequest(QUERY, mode="hybrid", sort="relevance", group=True))
    assert {d for d, _ in hybrid[:2]} == set(lexical[:2])
    assert [d for d, _ in hybrid[2:]] == lexical[2:]
    assert all(s <= -1.0 for _, s in hybrid[2:]) and all(s >= 0.0 for _, s in hybrid[:2])


def test_merges_carry_the_vectors_of_live_paragraphs(tmp_path: Path) -> None:
    """Commits of one document each merge (three small segments at a time); a replaced
    document's old paragraph is dropped: every row is still its own paragraph's."""
    path = tmp_path / "merged"
    with searchkit.Index.create(path) as ix:
        for doc in _documents():
            ix.add_documents([doc])
        ix.add_documents(_documents(["wine"]))  # replaced: its old row is deleted
        searcher = ix._reader()
        folder = _vectors.searcher_folder(searcher)
        leaves = searcher.reader().leaf_readers()
        checked = 0
        for reader, _offset in leaves:
            rows = _vectors.segment_vectors(folder, reader)
            assert rows is not None and len(rows) == reader.doc_count_all()
            for docnum, stored in reader.iter_docs():
                want = semantic.embed([semantic.paragraph_text(stored["title"], stored["text"])])
                assert rows[docnum].tobytes() == want[0].tobytes(), stored["doc_id"]
                checked += 1
        assert ix.search(QUERY, mode="hybrid")[0].doc_id == "sockets"
    assert checked == len(DOCS)
    assert len(leaves) < len(DOCS) + 1  # merged
    assert searchkit.check_index(path).problems == ()


def test_vectors_of_the_same_text_do_not_depend_on_the_batch() -> None:
    short, long = "port process", " ".join(["a long paragraph about ships"] * 40)
    alone = semantic.embed([short])
    batched = semantic.embed([long, short, "x"])
    assert alone[0].tobytes() == batched[1].tobytes()
    assert semantic.embed([""])[0].any() == False  # noqa: E712 (a numpy bool)


# -- proximity ------------------------------------------------------------------------

NEAR = "The fox and the dog slept in the barn while rain fell on the wide green hills."
FAR = "The fox slept in the barn while rain fell on the wide green hills and the dog."


def test_proximity_ranks_words_close_together_higher(tmp_path: Path) -> None:
    docs = [
        Document(id=k, path=k, title="Animals", paragraphs=(Paragraph(1, t, 0, len(t)),))
        for k, t in (("near", NEAR), ("far", FAR))
    ]
    with searchkit.Index.create(tmp_path / "index") as ix:
        ix.add_documents(docs)
        plain = _scores(ix, SearchRequest("fox dog"))
        close = _scores(ix, SearchRequest("fox dog", proximity=True))
    assert plain[0][1] == plain[1][1]  # the same words: BM25 ties them (by id: far first)
    assert [d for d, _ in plain] == ["far", "near"]
    assert [d for d, _ in close] == ["near", "far"]
    assert close[0][1] > plain[0][1] and close[1][1] == plain[1][1]


# Three paragraphs, each its own commit (so its own segment); "Zebra" weighs 2 in each
# length.  "fox dog": fox at 0 and 11, dog at 1 in "a" (one fox has the dog within 8
# words); fox at 0 and 2, dog at 1 in "b" (both have); no fox in "c".
HAND = {
    "a": "fox dog bird bird bird bird bird bird bird bird bird fox",  # length 12 + 2
    "b": "fox dog fox",  # length 3 + 2
    "c": "bird bird",  # length 2 + 2
}


def _hand_bonus(f: int, length: int) -> float:
    """The proximity bonus by hand: both words are in 2 of 3 paragraphs, the average
    length is (14 + 5 + 4) / 3, and a length under 10 counts half-way to 10 (5 as 7.5)."""
    idf = math.log(1.0 + (3 - 2 + 0.5) / (2 + 0.5))
    k1, b = 1.2, 0.75
    counted = length if length >= 10 else (length + 10) / 2
    norm = k1 * (1.0 - b + b * counted / (23 / 3))
    return 0.1 * idf * f * (k1 + 1.0) / (f + norm)


def test_proximity_scores_are_the_hand_computed_bonus_on_either_road(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first search of an index reads positions from Whoosh's postings, later ones
    from the column cache: both give the bonus worked out by hand."""
    from searchkit import _colcache, _proximity

    reads = {"postings": 0, "columns": 0}
    for road, name in (("postings", "_from_postings"), ("columns", "_from_columns")):
        real = getattr(_proximity, name)

        def counted(*args: Any, _real: Any = real, _road: str = road) -> Any:
            found = _real(*args)
            reads[_road] += found is not None
            return found

        monkeypatch.setattr(_proximity, name, counted)
    with searchkit.Index.create(tmp_path / "index") as ix:
        for k, text in HAND.items():
            ix.add_documents(
                [
                    Document(
                        id=k, path=k, title="Zebra", paragraphs=(Paragraph(1, text, 0, len(text)),)
                    )
                ]
            )
    want = {"a": _hand_bonus(1, 14), "b": _hand_bonus(2, 5)}
    with searchkit.Index.open(tmp_path / "index") as ix:
        for road in ("postings", "columns"):
            before = dict(reads)
            near = dict(_scores(ix, SearchRequest("fox dog", proximity=True, collapse="none")))
            plain = dict(_scores(ix, SearchRequest("fox dog", collapse="none")))
            assert {d: near[d] - plain[d] for d in near} == pytest.approx(want, rel=1e-12)
            assert [reads[r] > before[r] for r in ("postings", "columns")] == [
                road == "postings",
                road == "columns",
            ]
        leaves = ix._reader().reader().leaf_readers()
        assert len(leaves) > 1
        assert all(_colcache.opened(reader, "body") is not None for reader, _ in leaves)


# -- eval --compare ---------------------------------------------------------------------


def test_the_sign_flip_test() -> None:
    assert sign_flip_p([0.0, 0.0]) == 1.0
    assert sign_flip_p([0.1] * 20) == pytest.approx(1 / 10_001)  # 2^-19: no flip reaches it
    assert 0.9 < sign_flip_p([0.5, -0.5, 0.25, -0.25]) <= 1.0
    assert sign_flip_p([0.3, 0.2, -0.1, 0.4, 0.1]) == sign_flip_p([0.3, 0.2, -0.1, 0.4, 0.1])


@pytest.fixture
def tiny(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "tiny"
    (root / "qrels").mkdir(parents=True)
    with open(root / "corpus.jsonl", "w") as f:
        for k, (title, text) in DOCS.items():
            f.write(json.dumps({"_id": k, "title": title, "text": text}) + "\n")
    (root / "queries.jsonl").write_text(
        json.dumps({"_id": "q1", "text": QUERY})
        + "\n"
        + json.dumps({"_id": "q2", "text": "fortified wine"})
        + "\n"
    )
    (root / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\nq1\tsockets\t1\nq2\twine\t1\n"
    )
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_compare_reports_each_query_and_p(tiny: Path) -> None:
    found = compare(tiny, "lexical", "hybrid")
    assert (str(found.a), str(found.b)) == ("lexical", "hybrid")
    assert found.report_a.per_query[0].top[0] == "harbour"
    assert found.report_b.per_query[0].top[0] == "sockets"
    assert found.differences[1] == 0.0 and found.differences[0] > 0
    assert (found.better, found.worse, found.same) == (1, 0, 1)
    assert found.p_value == sign_flip_p(found.differences)
    assert found.report_a.ndcg_10 == searchkit.evaluate(tiny).ndcg_10
    got = CliRunner().invoke(cli, ["eval", str(tiny), "--compare", "lexical", "hybrid", "--json"])
    assert got.exit_code == 0, got.output
    shown = json.loads(got.output)
    assert (shown["a"]["ranking"], shown["b"]["ranking"]) == ("lexical", "hybrid")
    assert shown["difference"] == found.difference and shown["p_value"] == found.p_value
    text = CliRunner().invoke(cli, ["eval", str(tiny), "--compare", "lexical", "hybrid"])
    assert text.exit_code == 0
    assert f"p = {found.p_value:.4f} (paired randomisation test, 10,000 sign flips)" in text.output
    assert "(better on 1, worse on 0, same on 1)" in text.output


def test_eval_takes_a_mode_and_refuses_a_bad_ranking(tiny: Path) -> None:
    got = CliRunner().invoke(cli, ["eval", str(tiny), "--mode", "hybrid", "--json"])
    assert got.exit_code == 0, got.output
    assert json.loads(got.output)["mrr@10"] == 1.0
    bad = CliRunner().invoke(cli, ["eval", str(tiny), "--compare", "lexical", "semantic"])
    assert bad.exit_code == 2
    assert "a ranking is lexical or hybrid, optionally +proximity, not 'semantic'" in bad.output


def test_a_lexical_search_imports_no_model(hybrid_path: Path) -> None:
    import subprocess
    import sys

    code = (
        "import searchkit, sys, json\n"
        f"ix = searchkit.Index.open({str(hybrid_path)!r})\n"
        f"ix.search({QUERY!r}, proximity=True)\n"
        "model = ('wordllama', 'tokenizers')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(model))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(searchkit.__file__).parent.parent)},
    )
    assert json.loads(out.stdout.splitlines()[-1]) == []


def test_the_web_api_and_page_take_the_mode(hybrid_path: Path) -> None:
    from fastapi.testclient import TestClient

    from searchkit.web.app import create_app

    with searchkit.Index.open(hybrid_path) as ix:
        want = ix.search(QUERY, mode="hybrid", proximity=True).as_dict()
    with TestClient(create_app(hybrid_path), base_url="http://localhost") as client:
        got = client.get("/api/search", params={"q": QUERY, "mode": "hybrid", "proximity": "true"})
        bad = client.get("/api/search", params={"q": QUERY, "mode": "semantic"})
        page = client.get("/", params={"q": QUERY, "mode": "hybrid"})
        plain = client.get("/", params={"q": QUERY})
    assert got.status_code == 200 and got.json() == want
    assert bad.status_code == 400
    assert bad.json() == {"error": "mode must be one of lexical, hybrid, not 'semantic'"}
    assert page.status_code == 200
    assert page.text.index("Servers") < page.text.index("The harbour at Rotterdam")
    assert plain.text.index("Servers") > plain.text.index("The harbour at Rotterdam")


TEXTS = {
    "ports": ("Harbours", "Ships dock at the harbour.", "The harbour sockets hold cranes."),
    "sockets": ("Plugs", "A network socket connects programs.", "Sockets use ports."),
    "wine": ("Port wine", "Port is a fortified wine.", "Harbour towns ship port wine."),
}


def _multi_paragraph(ids: list[str] | None = None) -> list[Document]:
    return [
        Document(
            id=k,
            path=k,
            title=title,
            paragraphs=tuple(Paragraph(i, t, 0, len(t)) for i, t in enumerate(body, 1)),
        )
        for k, (title, *body) in TEXTS.items()
        if ids is None or k in ids
    ]


def test_hybrid_and_proximity_collapse_to_each_documents_best_reranked_paragraph(
    tmp_path: Path,
) -> None:
    with searchkit.Index.create(tmp_path / "ix") as ix:
        ix.add_documents(_multi_paragraph())
        for options in ({"mode": "hybrid"}, {"proximity": True}):
            flat = ix.search("harbour sockets ports", collapse="none", limit=50, **options)
            collapsed = ix.search("harbour sockets ports", limit=50, **options)
            firsts: dict[str, Any] = {}
            for hit in flat:
                firsts.setdefault(hit.doc_id, hit)
            assert [(h.chunk_id, h.score) for h in collapsed] == [
                (h.chunk_id, h.score) for h in firsts.values()
            ]
            assert [h.more_count for h in collapsed] == [
                sum(f.doc_id == h.doc_id for f in flat) - 1 for h in collapsed
            ]
            assert (collapsed.total, collapsed.paragraphs) == (len(firsts), flat.total)


@pytest.mark.parametrize("pool", [2, None])
def test_a_collapsed_rerank_over_the_columns_is_the_one_over_every_match(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pool: int | None
) -> None:
    """A searcher's first collapsed hybrid or proximity search re-ranks the dict of every
    match (the definition); later ones the columns' score arrays, with the same hits,
    scores, counts and totals (``pool`` 2: BM25's rest scaled below the candidates)."""
    if pool is not None:
        monkeypatch.setattr(_rerank, "pool_size", lambda request: pool)
    every = []
    monkeypatch.setattr(
        _rerank, "all_matches", lambda *a: every.append(1) or _rerank_all_matches(*a)
    )
    path = tmp_path / "ix"
    with searchkit.Index.create(path) as ix:
        ix.add_documents(_multi_paragraph(["ports", "wine"]))
        ix.add_documents(_multi_paragraph(["sockets"]))
    query = "harbour sockets ports wine"
    for options in ({"mode": "hybrid"}, {"proximity": True}, {"mode": "hybrid", "proximity": True}):
        for page in (1, 2):
            request = SearchRequest(query, limit=2, page=page, **options)  # type: ignore[arg-type]
            with searchkit.Index.open(path) as ix:
                found = [ix.search(request) for _road in ("every match", "columns")]
            assert len(every) == 1  # the first search only
            every.clear()
            first, later = (
                ([(h.chunk_id, h.score, h.more_count) for h in r], r.total, r.paragraphs)
                for r in found
            )
            assert first == later
            assert first[1:] == (3, 6) and len(first[0]) == (2 if page == 1 else 1)


def _rerank_all_matches(*args: Any) -> Any:
    from searchkit import _topk

    return _topk.all_matches(*args)


def test_a_segments_texts_embedded_a_slice_at_a_time_give_the_same_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A writer embeds its segment's texts shortest first, a slice of whole model batches
    at a time, each slice's rows put in place: bit for bit the rows of embedding them all
    at once in their own order (the model pads a batch to its longest text)."""
    import numpy as np

    monkeypatch.setattr(semantic, "_EMBED_SLICE", 2 * semantic.EMBED_BATCH)
    words = ("river", "bridge", "court", "harbour", "grain", "wheat", "ships", "night")
    texts = [" ".join(words[(i * 3 + k) % 8] for k in range(1 + i % 23)) for i in range(1100)]
    sliced = semantic.embed_by_length(texts)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    whole = np.empty_like(sliced)
    whole[order] = semantic.embed([texts[i] for i in order])
    assert sliced.shape == (1100, semantic.DIMENSIONS) and sliced.dtype == np.float32
    assert np.array_equal(sliced, whole)
    for i in (0, 1, 22, 700, 1099):  # each row is its own text's, in the texts' order
        assert np.allclose(sliced[i], semantic.embed([texts[i]])[0], atol=1e-5)
