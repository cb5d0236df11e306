"""One hit per document by default (issue 23, item 3): a page of many matching lines no
longer fills the top, its other matches are counted and one search away, and paging,
sorting, shards, facets, the command line, JSON and the web page agree."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

import searchkit
from searchkit.cli import cli
from searchkit.web.app import create_app

QUESTION = "set environment variable"

PAGES = {
    "systemctl": """# systemctl

> Control the systemd system and service manager.

- Set an environment variable for the service manager:

`systemctl set-environment {{variable}}={{value}}`

- Set several environment variables of the manager at once:

`systemctl set-environment {{variable1}}={{value1}} {{variable2}}={{value2}}`

- Unset an environment variable of the manager:

`systemctl unset-environment {{variable}}`
""",
    "export": """# export

> Make shell variables visible to child processes.

- Mark a shell variable for export to the environment of child commands:

`export {{VARIABLE}}={{value}}`
""",
    "env": """# env

> Show the environment or run a program in a modified environment.

- Run a program with a variable set:

`env {{variable}}={{value}} {{program}}`
""",
    "tar": """# tar

> Archiving utility.

- Extract an archive into the current directory:

`tar xf {{path/to/source.tar}}`
""",
}


@pytest.fixture
def pages(tmp_path: Path) -> Path:
    """An index of four short command pages, one with several lines about the question."""
    folder = tmp_path / "pages"
    folder.mkdir()
    for name, text in PAGES.items():
        (folder / f"{name}.md").write_text(text, encoding="utf-8")
    with searchkit.Index.create(tmp_path / "ix") as ix:
        ix.add(folder)
    return tmp_path / "ix"


def test_one_page_no_longer_fills_the_top_three(pages: Path) -> None:
    with searchkit.Index.open(pages) as ix:
        flat = ix.search(QUESTION, limit=3, collapse="none")
        assert [h.title for h in flat] == ["systemctl"] * 3  # the example
        top = ix.search(QUESTION, limit=3, collapse="document")
        assert [h.title for h in top] == ["systemctl", "env", "export"]
        assert [h.more_count for h in top] == [5, 2, 2]
        assert top[0].chunk_id == flat[0].chunk_id and top[0].score == flat[0].score
        assert (top.collapsed, top.total, top.paragraphs, top.pages) == (True, 3, 12, 1)
        assert (flat.collapsed, flat.total, flat.paragraphs) == (False, 12, 12)
        # The other matches are a search within the document: not collapsed, all listed.
        inside = ix.search(QUESTION, doc_id=top[0].doc_id, limit=20)
        assert not inside.collapsed and len(inside) == inside.total == top[0].more_count + 1
        assert inside[0].chunk_id == top[0].chunk_id
        assert {h.title for h in inside} == {"systemctl"}
        # Grouped, the next-best lines ride along and the count covers them all.
        grouped = ix.search(QUESTION, limit=3, group=True)
        assert [h.title for h in grouped] == ["systemctl", "env", "export"]
        assert [(len(h.more), h.more_count) for h in grouped] == [(2, 5), (2, 2), (2, 2)]
        assert not grouped.collapsed and grouped.grouped


def _corpus(root: Path, start: int, n: int) -> Path:
    """``n`` Markdown pages of 2 to 9 lines drawn from a few words: many ties, many
    documents with several matching lines."""
    words = ["river", "bank", "flood", "bridge", "loan", "vote", "snow", "train", "school"]
    root.mkdir(parents=True, exist_ok=True)
    for i in range(start, start + n):
        rng = random.Random(i)
        lines = [
            " ".join(rng.choices(words, k=rng.randint(1, 4))) for _ in range(rng.randint(2, 9))
        ]
        month = 1 + i % 12
        body = "\n\n".join(lines)
        (root / f"p{i:03d}.md").write_text(
            f"---\ntitle: Page {i}\ndate: 2024-{month:02d}-01\n---\n\n{body}\n", encoding="utf-8"
        )
    return root


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    """One index of 40 pages, the same pages in two indexes, and in a sharded index."""
    a = _corpus(tmp_path / "files" / "a", 0, 25)
    b = _corpus(tmp_path / "files" / "b", 25, 15)
    for name, src in (("ia", a), ("ib", b), ("all", tmp_path / "files")):
        with searchkit.Index.create(tmp_path / name) as ix:
            ix.add(src)
    with searchkit.Index.create(tmp_path / "sharded", shards=3) as ix:
        ix.add(tmp_path / "files")
    return tmp_path / "all", tmp_path / "ia", tmp_path / "ib", tmp_path / "sharded"


def _view(results: searchkit.Results) -> list[tuple[Any, ...]]:
    return [(h.chunk_id, round(h.score, 9), h.rank, h.more_count) for h in results]


@pytest.mark.parametrize("sort", ["relevance", "date", "oldest"])
def test_collapsed_is_the_flat_order_with_each_document_once(
    corpus: tuple[Path, ...], sort: str
) -> None:
    """The definition, checked on both ways of ranking (the first query of a searcher
    and the columns of the next): each document at its best paragraph's place in the
    flat order, counting its paragraphs there; pages put end to end are that list."""
    one = corpus[0]
    for query in ("river bank", "flood OR snow", "train", "loan AND vote"):
        with searchkit.Index.open(one) as ix:
            first = ix.search(query, limit=100, sort=sort, collapse="document")  # type: ignore[arg-type]
            again = ix.search(query, limit=100, sort=sort, collapse="document")  # type: ignore[arg-type]
            flat = ix.search(query, limit=1000, sort=sort, collapse="none")  # type: ignore[arg-type]
            assert _view(again) == _view(first)
            docs = list(dict.fromkeys(h.doc_id for h in flat))
            assert [h.doc_id for h in first] == docs and first.total == len(docs)
            best = {h.doc_id: h.chunk_id for h in reversed(flat.hits)}
            assert [h.chunk_id for h in first] == [best[d] for d in docs]
            counts = [sum(1 for h in flat if h.doc_id == d) - 1 for d in docs]
            assert [h.more_count for h in first] == counts
            assert first.paragraphs == flat.total == flat.paragraphs
            assert len(docs) > 5 and max(counts) >= 1, query
            for limit in (1, 3, 4):
                paged: list[tuple[Any, ...]] = []
                for page in range(1, -(-len(docs) // limit) + 1):
                    got = ix.search(query, limit=limit, page=page, sort=sort, collapse="document")  # type: ignore[arg-type]
                    assert got.pages == -(-len(docs) // limit) and got.total == len(docs)
                    paged += _view(got)
                assert paged == _view(first), (query, limit)


def test_several_indexes_and_shards_collapse_as_one_index(corpus: tuple[Path, ...]) -> None:
    one_path, a, b, sharded_path = corpus
    with (
        searchkit.Index.open(one_path) as one,
        searchkit.open_many([a, b]) as many,
        searchkit.Index.open(sharded_path) as sharded,
    ):
        for query in ("river bank", "flood OR snow", "train"):
            for kw in (
                {"collapse": "document"},
                {"collapse": "document", "limit": 3, "page": 2},
                {"collapse": "document", "sort": "date", "limit": 4, "page": 3},
            ):
                want = one.search(query, **kw)  # type: ignore[arg-type]
                for ix in (many, sharded):
                    got = ix.search(query, **kw)  # type: ignore[arg-type]
                    assert _view(got) == _view(want), (query, kw)
                    assert (got.total, got.paragraphs, got.pages, got.collapsed) == (
                        want.total,
                        want.paragraphs,
                        want.pages,
                        True,
                    )


def test_facets_count_the_same_collapsed_or_flat(corpus: tuple[Path, ...]) -> None:
    with searchkit.Index.open(corpus[0]) as ix:
        collapsed = ix.search(
            "river", facets=["year", "month"], histogram="month", collapse="document"
        )
        flat = ix.search("river", facets=["year", "month"], histogram="month", collapse="none")
    assert collapsed.facets == flat.facets and collapsed.histogram == flat.histogram
    assert collapsed.total < flat.total


def test_a_request_names_a_bad_collapse() -> None:
    with pytest.raises(searchkit.ArgumentError, match="collapse must be one of document, none"):
        searchkit.SearchRequest("x", collapse="page")  # type: ignore[arg-type]
    assert searchkit.SearchRequest("x").collapse == "document"


def test_collapsing_is_the_default_everywhere(pages: Path, tmp_path: Path) -> None:
    """Python, the command line, the JSON API and the web page: one hit per document
    unless flat order is asked for (issue 23 item 3)."""
    with searchkit.Index.open(pages) as ix:
        top = ix.search(QUESTION, limit=3)
        assert [h.title for h in top] == ["systemctl", "env", "export"]
        assert (top.collapsed, top.total, top.paragraphs) == (True, 3, 12)
        assert ix.search(QUESTION, group=True, collapse="none").grouped  # group wins
    with searchkit.open_many([pages]) as many:
        assert [h.chunk_id for h in many.search(QUESTION)] == [h.chunk_id for h in top]
    run = CliRunner().invoke(cli, ["search", QUESTION, "-n", "3", "--index", str(pages)])
    assert run.exit_code == 0 and run.stderr == "3 hits (12 matching paragraphs)\n"
    assert run.stdout.count("more in this document") == 3
    with TestClient(create_app(pages), base_url="http://localhost") as client:
        api = client.get("/api/search", params={"q": QUESTION, "limit": 3}).json()
        assert api == top.as_dict()
        assert "3 documents" in client.get("/", params={"q": QUESTION}).text
    # An empty index answers the default search with no hits (its reader has no columns).
    with searchkit.Index.create(tmp_path / "empty") as empty:
        got = empty.search(QUESTION)
        assert (got.total, got.paragraphs, len(got)) == (0, 0, 0)


def test_the_command_line_says_how_to_see_a_documents_other_matches(pages: Path) -> None:
    with searchkit.Index.open(pages) as ix:
        doc = ix.search(QUESTION, collapse="document")[0].doc_id
    run = CliRunner().invoke(
        cli, ["search", QUESTION, "--collapse", "-n", "3", "--index", str(pages)]
    )
    assert run.exit_code == 0, run.output
    assert f"   +5 more in this document (--doc {doc})\n" in run.stdout
    assert run.stdout.count("more in this document") == 3
    assert run.stderr == "3 hits (12 matching paragraphs)\n"
    inside = CliRunner().invoke(
        cli, ["search", QUESTION, "--collapse", "--doc", doc, "--index", str(pages)]
    )
    assert inside.exit_code == 0 and inside.stderr == "6 hits\n"
    assert "more in this document" not in inside.stdout
    flat = CliRunner().invoke(cli, ["search", QUESTION, "--flat", "-n", "3", "--index", str(pages)])
    assert flat.exit_code == 0 and flat.stdout.count(". systemctl  (score") == 3
    assert "more in this document" not in flat.stdout
    got = CliRunner().invoke(
        cli, ["search", QUESTION, "--collapse", "--json", "--index", str(pages)]
    )
    data = json.loads(got.stdout)
    assert (data["collapsed"], data["total"], data["paragraphs"]) == (True, 3, 12)
    assert [h["more_count"] for h in data["hits"]] == [5, 2, 2]
    with searchkit.Index.open(pages) as ix:
        assert data == ix.search(QUESTION, collapse="document").as_dict()


def test_the_web_page_links_a_documents_other_matches(pages: Path) -> None:
    with searchkit.Index.open(pages) as ix:
        doc = ix.search(QUESTION, collapse="document")[0].doc_id
        flat = ix.search(QUESTION).as_dict()
    with TestClient(create_app(pages), base_url="http://localhost") as client:
        page = client.get("/", params={"q": QUESTION, "collapse": "document"}).text
        assert page.count('class="hit"') == 3 and "3 documents" in page
        assert f'&amp;collapse=document&amp;doc={doc}">5 more in this document</a>' in page
        inside = client.get("/", params={"q": QUESTION, "collapse": "document", "doc": doc}).text
        assert inside.count('class="hit"') == 6 and "more in this document" not in inside
        assert client.get("/api/search", params={"q": QUESTION}).json() == flat
        refused = client.get("/api/search", params={"q": QUESTION, "collapse": "site"})
        assert refused.status_code == 400 and "collapse must be one of" in refused.text


@pytest.mark.parametrize("share", [1, 8])
@pytest.mark.parametrize("seed", range(40))
def test_the_best_documents_are_found_among_the_best_chunks(
    seed: int, share: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``best_documents`` looks for the best documents among the best chunks, widening
    the look until it holds ``limit`` documents, or reduces every match by document:
    against every chunk ranked in Python, with many tied scores, codes in no order
    (ids sort as text, and segments follow one another), documents of many top chunks,
    pages of fewer documents than asked for, and indexes of one chunk a document."""
    import numpy as np

    from searchkit import _collapse

    rng = random.Random(seed)
    n = rng.randint(1, 300)
    few = rng.random() < 0.3  # a handful of documents holding every chunk
    codes = np.array([rng.randrange(rng.randint(1, 4) if few else 40) for _ in range(n)])
    if rng.random() < 0.3:  # one chunk a document, in no order
        codes = np.array(rng.sample(range(n), n))
    one_each = len(set(codes.tolist())) == n
    monkeypatch.setattr(_collapse, "one_chunk_each", lambda _searcher: one_each)
    scores = np.array([rng.choice((0.5, 1.0, 1.5, 2.0, rng.random())) for _ in range(n)])
    matched = np.array([rng.random() < 0.7 for _ in range(n)])
    monkeypatch.setattr(_collapse, "document_codes", lambda _searcher: codes)
    monkeypatch.setattr(_collapse, "_PICK_SHARE", share)
    monkeypatch.setattr(_collapse, "_FEW", 256 if seed % 2 else 0)  # Python's or numpy's
    # Every match put in order at once (few matches), or looked through as many are.
    monkeypatch.setattr(_collapse, "_SORT_ALL", 300 if seed % 3 == 0 else 0)
    chunks = [d for d in range(n) if matched[d]]
    best: dict[int, tuple[float, int]] = {}
    for d in sorted(chunks, key=lambda d: (-scores[d], d)):
        best.setdefault(int(codes[d]), (float(scores[d]), d))
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))
    counts = {c: sum(1 for d in chunks if codes[d] == c) for c in best}
    for limit in (0, 1, 2, 3, 10, 50):
        page, documents, paragraphs = _collapse.best_documents(None, scores, matched, limit)  # type: ignore[arg-type]
        assert page == [([best[c]], counts[c]) for c, _ in ranked[:limit]], (seed, limit)
        assert (documents, paragraphs) == (len(best), len(chunks))
