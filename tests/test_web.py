"""The web app through an HTTP client: every page, every API route, every error."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

import searchkit
from searchkit.web import create_app

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

EVIL = """<script>alert('x')</script> and the Kyiv talks
June 14, 2025, 10:55 AM
Author: <b>Mallory</b>
The talks in Kyiv went on <img src=x onerror=alert(1)> into the night.
Original Source: javascript:alert(1)
"""


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("web")
    corpus = root / "corpus"
    shutil.copytree(SEEDS, corpus)
    (corpus / "evil.txt").write_text(EVIL, encoding="utf-8")
    with searchkit.Index.create(root / "ix") as ix:
        ix.add(corpus)
    return root / "ix"


@pytest.fixture(scope="module")
def client(index_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(index_dir), base_url="http://127.0.0.1:8765") as c:
        yield c


@pytest.fixture(scope="module")
def seed_doc(index_dir: Path) -> str:
    with searchkit.Index.open(index_dir) as ix:
        return next(d.id for d in ix.documents() if d.path.endswith(".txt") and "000_" in d.path)


def test_api_search_is_the_cli_json(client: TestClient, index_dir: Path) -> None:
    from click.testing import CliRunner

    from searchkit.cli import cli

    got = client.get(
        "/api/search", params={"q": "prisoner exchange", "limit": 3, "collapse": "none"}
    )
    assert got.status_code == 200
    out = CliRunner().invoke(
        cli,
        ["search", "--flat", "prisoner exchange", "-n", "3", "--json", "--index", str(index_dir)],
    )
    assert got.json() == json.loads(out.output)
    assert got.json()["total"] == 11
    assert [h["paragraph"] for h in got.json()["hits"]] == [9, 10, 8]


def test_api_search_takes_every_filter(client: TestClient) -> None:
    params: dict[str, str | list[str]] = {
        "q": "belarus",
        "author": "Natalia Grigoryeva",
        "source": "toutiao.com",
        "since": "2025-06",
        "until": "2025",
        "sort": "date",
        "group": "true",
        "fields": "rank,paragraph",
    }
    got = client.get("/api/search", params=params).json()
    assert got["grouped"] is True
    assert got["total"] == 1
    assert got["hits"] == [{"rank": 1, "paragraph": got["hits"][0]["paragraph"]}]
    assert client.get("/api/search", params={**params, "author": "Nobody"}).json()["total"] == 0


def test_api_search_explores_as_the_cli(client: TestClient, index_dir: Path) -> None:
    from click.testing import CliRunner

    from searchkit.cli import cli

    params = {"q": "Kyiv OR belarus", "facets": "author,year", "histogram": "year"}
    got = client.get("/api/search", params={**params, "explain": "true", "collapse": "none"}).json()
    argv = ["search", "--flat", "Kyiv OR belarus", "--facets", "author,year", "--histogram", "year"]
    out = CliRunner().invoke(cli, [*argv, "--explain", "--json", "--index", str(index_dir)])
    assert got == json.loads(out.output)
    assert got["facets"] == {
        "author": {"<b>Mallory</b>": 1, "Natalia Grigoryeva": 1},
        "year": {"2025": 2},
    }
    assert got["histogram"] == [
        {
            "start": "2025",
            "articles": 2,
            "paragraphs": got["total"],
            "since": "2025-01-01",
            "until": "2025-12-31",
        }
    ]
    assert got["hits"][0]["explanation"]


def test_api_similar_and_complete(client: TestClient, index_dir: Path, seed_doc: str) -> None:
    from click.testing import CliRunner

    from searchkit.cli import cli

    got = client.get(f"/api/similar/{seed_doc}:8", params={"limit": 3}).json()
    out = CliRunner().invoke(
        cli, ["similar", f"{seed_doc}:8", "-n", "3", "--json", "--index", str(index_dir)]
    )
    assert got == json.loads(out.output)
    assert f"{seed_doc}:8" not in [h["chunk_id"] for h in got["hits"]]
    assert len(got["hits"]) == 3
    whole = client.get(f"/api/similar/{seed_doc}", params={"doc": "true"}).json()
    assert seed_doc not in {h["doc_id"] for h in whole["hits"]}
    done = client.get("/api/complete", params={"q": "prisoner exch"}).json()
    assert done[0]["text"].startswith("prisoner exchange")
    out = CliRunner().invoke(
        cli, ["complete", "prisoner exch", "--json", "--index", str(index_dir)]
    )
    assert done == json.loads(out.output)
    # As many as the command line takes (it refused past 100, the command line 10,000).
    many = client.get("/api/complete", params={"q": "r", "limit": 150}).json()
    out = CliRunner().invoke(
        cli, ["complete", "r", "-n", "150", "--json", "--index", str(index_dir)]
    )
    assert many == json.loads(out.output) and len(many) > 10


def test_api_search_takes_a_time_budget(client: TestClient) -> None:
    got = client.get("/api/search", params={"q": "prisoner exchange", "timeout": 30}).json()
    assert (got["total"], got["paragraphs"], got["timed_out"]) == (1, 11, False)


def test_api_chunk_document_and_stats(client: TestClient, seed_doc: str) -> None:
    chunk = client.get(f"/api/chunk/{seed_doc}:7", params={"context": 1}).json()
    assert chunk["paragraph"] == 7
    assert [c["paragraph"] for c in chunk["before"] + chunk["after"]] == [6, 8]
    assert "Machulischi" in chunk["text"]
    doc = client.get(f"/api/document/{seed_doc}").json()
    assert doc["doc_id"] == seed_doc and len(doc["paragraphs"]) == 17
    stats = client.get("/api/stats").json()
    assert (stats["documents"], stats["chunks"]) == (2, 18)


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/api/search?q=%22unclosed", 400, "cannot parse query '\"unclosed' at character 1"),
        ("/api/search?q=x&limit=abc", 400, "limit: Input should be a valid integer"),
        ("/api/search?q=x&limit=0", 400, "limit must be a whole number of at least 1"),
        ("/api/search?q=x&sort=size", 400, "sort must be one of relevance, date, oldest"),
        ("/api/search?q=x&since=yesterdayish", 400, "since"),
        ("/api/search?q=x&operator=xor", 400, "operator must be 'or' or 'and'"),
        ("/api/search?q=x&fields=nope", 400, "nope"),
        ("/api/search", 400, "q: Field required"),
        ("/api/chunk/nope:1", 404, "no chunk 'nope:1'"),
        ("/api/chunk/x:1?context=-1", 400, "context must be a whole number of at least 0"),
        ("/api/document/nope", 404, "no document 'nope'"),
        ("/api/search?q=x&facets=colour", 400, "unknown facet 'colour'"),
        ("/api/search?q=x&histogram=hourly", 400, "hourly"),
        ("/api/search?q=x&timeout=-1", 400, "timeout"),
        ("/api/similar/nope:1", 404, "nope:1"),
        ("/api/complete?q=pri&limit=0", 400, "limit must be a whole number of at least 1"),
        ("/api/complete?q=pri&limit=10001", 400, "at most 10000, not 10001"),
        ("/api/complete", 400, "q: Field required"),
    ],
)
def test_api_errors_are_one_line_json(
    client: TestClient, url: str, status: int, message: str
) -> None:
    got = client.get(url)
    assert got.status_code == status
    body = got.json()
    assert list(body) == ["error"]
    assert message in body["error"] and "\n" not in body["error"]


def test_openapi_lists_every_api_route(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/api/search", "/api/chunk/{chunk_id}", "/api/document/{doc_id}", "/api/stats"} <= set(
        spec["paths"]
    )


def test_search_page_marks_hits_and_keeps_state_in_the_url(client: TestClient) -> None:
    params = {"q": "prisoner exchange", "limit": 5, "sort": "date", "collapse": "none"}
    page = client.get("/", params=params)
    assert page.status_code == 200
    html = page.text
    assert "11 paragraphs · page 1 of 3" in html
    assert "<mark>prisoner</mark>" in html and "<mark>exchanges</mark>" in html
    assert 'value="prisoner exchange"' in html
    assert '<option value="date" selected>' in html
    # the pager keeps every other parameter
    assert (
        'href="/?q=prisoner+exchange&amp;limit=5&amp;sort=date&amp;collapse=none&amp;page=2"'
        in html
    )


def test_search_page_shows_facets_and_a_histogram(client: TestClient) -> None:
    html = client.get("/", params={"q": "Kyiv OR belarus"}).text
    assert '<section class="facet" id="facet-author">' in html
    # a facet value links to the same search filtered by it, from page 1
    assert 'href="/?q=Kyiv+OR+belarus&amp;author=Natalia+Grigoryeva"' in html
    assert 'href="/?q=Kyiv+OR+belarus&amp;since=2025&amp;until=2025"' in html
    assert '<svg class="histogram"' in html
    assert 'aria-label="Matching articles per month, 2025-06 to 2025-06"' in html
    assert 'href="/?q=Kyiv+OR+belarus&amp;since=2025-06-01&amp;until=2025-06-30"' in html


def test_search_page_suggests_and_marks_titles(client: TestClient) -> None:
    html = client.get("/", params={"q": "prisonr exchange", "exact": "1"}).text
    assert (
        'Did you mean\n  <a href="/?exact=1&amp;q=prisoner+exchange">prisoner exchange</a>?' in html
    )
    html = client.get("/", params={"q": "Kyiv talks"}).text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; and the <mark>Kyiv</mark>" in html


def test_a_corrected_query_offers_only_its_original(tmp_path: Path) -> None:
    """Run as "git commit", the page does not also ask "Did you mean git commit, git
    omit?" (seen on tldr-pages: "Showing results for git commit amend" over "Did you
    mean git commit ammen, git omit amend?"); searched as typed, it does."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n in range(6):
        (corpus / f"commit-{n}.md").write_text(f"# Commit {n}\n\nRun git commit, then git push.\n")
    (corpus / "omit.md").write_text("# Omit\n\nOmit the files you do not want.\n")
    with searchkit.Index.create(tmp_path / "ix") as ix:
        ix.add(corpus)
    with TestClient(create_app(tmp_path / "ix"), base_url="http://localhost") as c:
        html = c.get("/", params={"q": "git comit"}).text
        assert 'id="corrected">Showing results for <strong>git commit</strong>' in html
        assert "Did you mean" not in html
        html = c.get("/", params={"q": "git comit", "exact": "1"}).text
        assert 'id="corrected"' not in html
        assert (
            'Did you mean\n  <a href="/?exact=1&amp;q=git+commit">git commit</a>, '
            '<a href="/?exact=1&amp;q=git+omit">git omit</a>?'
        ) in html


def test_a_page_past_the_last_links_to_the_last(client: TestClient) -> None:
    """An edited URL (or an index that shrank since) asks for page 9 of 3: the page says
    so and links to page 3, and "Previous" goes there too, not to the empty page 8."""
    params = {"q": "prisoner exchange", "collapse": "none", "limit": "5"}
    html = client.get("/", params={**params, "page": "9"}).text
    assert "11 paragraphs · page 9 of 3" in html
    last = "/?q=prisoner+exchange&amp;collapse=none&amp;limit=5&amp;page=3"
    assert f'Page 9 is past the last one: <a href="{last}">go to page 3</a>.' in html
    assert f'<a rel="prev" href="{last}">Previous</a>' in html
    html = client.get("/", params={**params, "page": "3"}).text
    assert 'id="past-end"' not in html
    assert "/?q=prisoner+exchange&amp;collapse=none&amp;limit=5&amp;page=2" in html


def test_similar_pages(client: TestClient, seed_doc: str) -> None:
    html = client.get(f"/similar/{seed_doc}:8").text
    assert "Paragraphs like ¶8 of “What important role" in html
    assert f'href="/chunk/{seed_doc}%3A8' not in html
    html = client.get(f"/similar/{seed_doc}", params={"doc": "1"}).text
    assert "Articles like “What important role" in html
    # Either id for either kind, as `searchkit similar` takes them (a chunk's id with
    # doc=1 was a 404: the heading looked it up as a document).
    chunk_as_doc = client.get(f"/similar/{seed_doc}:8", params={"doc": "1"})
    assert chunk_as_doc.status_code == 200
    assert "Articles like “What important role" in chunk_as_doc.text
    doc_as_chunk = client.get(f"/similar/{seed_doc}")
    assert doc_as_chunk.status_code == 200
    assert "Paragraphs like “What important role" in doc_as_chunk.text


def test_histogram_chart_sums_months_into_years() -> None:
    import datetime as dt

    from searchkit.models import Bucket
    from searchkit.web.app import histogram_chart

    months = [
        Bucket(
            f"{2020 + i // 12}-{i % 12 + 1:02d}",
            i % 3,
            i % 3 + 1,
            dt.date(2020 + i // 12, i % 12 + 1, 1),
            dt.date(2020 + i // 12, i % 12 + 1, 28),
        )
        for i in range(60)
    ]
    chart = histogram_chart(months)
    assert chart is not None and chart.unit == "year"
    assert [(b.label, b.articles, b.paragraphs) for b in chart.bars] == [
        (str(y), 12, 24) for y in range(2020, 2025)
    ]
    assert (chart.bars[0].since, chart.bars[0].until) == ("2020-01-01", "2020-12-28")
    short = histogram_chart(months[:3])
    assert short is not None and short.unit == "month"
    assert [b.height for b in short.bars] == [0.0, 30.0, 60.0]
    assert histogram_chart([]) is None


def test_pages_escape_everything_a_document_holds(client: TestClient) -> None:
    html = client.get("/", params={"q": "Kyiv talks"}).text
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<b>Mallory</b>" not in html


def test_a_lone_surrogate_a_document_holds_is_escaped_in_json_and_replaced_on_pages(
    tmp_path: Path,
) -> None:
    """A JSON document's ``"\\ud800"`` escape is half a UTF-16 pair, which the index keeps
    exactly and UTF-8 cannot encode: every page and API answer was a 500."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    line = {"id": "s1", "title": "Lone \ud800 gannets", "text": "Gannets \udc00 dive."}
    (corpus / "docs.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    with searchkit.Index.create(tmp_path / "ix") as ix:
        ix.add(corpus)
        hit = ix.search("gannets").hits[0]
    with TestClient(create_app(tmp_path / "ix"), base_url="http://localhost") as c:
        found = c.get("/api/search", params={"q": "gannets"})
        assert found.status_code == 200
        assert "\\ud800" in found.text  # JSON's own escape: the same value, exact
        assert found.json()["hits"][0]["title"] == "Lone \ud800 gannets"
        assert c.get(f"/api/chunk/{hit.chunk_id}").json()["text"] == "Gannets \udc00 dive."
        pages = {
            "/?q=gannets": (
                "Lone \ufffd <mark>gannets</mark>",
                "<mark>Gannets</mark> \ufffd dive.",
            ),
            f"/chunk/{hit.chunk_id}": (
                "<h1>Lone \ufffd gannets</h1>",
                "</span> Gannets \ufffd dive.",
            ),
            f"/document/{hit.doc_id}": (
                "<h1>Lone \ufffd gannets</h1>",
                "</a> Gannets \ufffd dive.",
            ),
        }
        for url, (title, text) in pages.items():
            page = c.get(url)
            assert page.status_code == 200, url
            assert title in page.text and text in page.text, url


def test_chunk_document_and_stats_pages(client: TestClient, seed_doc: str) -> None:
    chunk = client.get(f"/chunk/{seed_doc}:7").text
    assert 'class="this" id="hit"><span class="num">¶7</span> It was precisely' in chunk
    assert f'href="/document/{seed_doc}#p7"' in chunk
    assert "characters 3752\u20134519" in chunk
    doc = client.get(f"/document/{seed_doc}").text
    assert doc.count('<div class="para" id="p') == 17
    stats = client.get("/stats").text
    assert '<dd id="documents">2</dd>' in stats


def test_an_unknown_route_answers_as_every_error_does(client: TestClient) -> None:
    # Starlette's own {"detail": "Not Found"} was the one answer of another shape.
    got = client.get("/api/nope")
    assert (got.status_code, got.json()) == (404, {"error": "Not Found: GET /api/nope"})
    got = client.post("/api/search")
    assert got.status_code == 405 and got.json() == {
        "error": "Method Not Allowed: POST /api/search"
    }
    assert got.headers["allow"] == "GET"
    got = client.get("/nope")
    assert got.status_code == 404 and 'role="alert"' in got.text and "GET /nope" in got.text


def test_error_pages_are_pages(client: TestClient) -> None:
    got = client.get("/chunk/nope:1")
    assert got.status_code == 404 and "no chunk &#39;nope:1&#39;" in got.text
    got = client.get("/", params={"q": '"unclosed'})
    assert got.status_code == 400 and 'role="alert"' in got.text
    got = client.get("/", params={"q": "x", "limit": "many"})
    assert got.status_code == 400 and "limit must be a whole number, not &#39;many&#39;" in got.text


def test_a_parameter_given_twice_is_refused_unless_it_may_repeat(client: TestClient) -> None:
    """``?q=a&q=b`` was answered for ``b`` alone; the filters that take several values
    still may repeat."""
    said = (
        "the query parameter 'q' is given 2 times: give it once (only author, source, doc "
        "and under may repeat)"
    )
    got = client.get("/api/search?q=rain&q=harbour")
    assert (got.status_code, got.json()) == (400, {"error": said})
    got = client.get("/?q=rain&q=harbour")
    assert got.status_code == 400 and said.replace("'", "&#39;") in got.text
    got = client.get("/api/search?q=rain&limit=1&limit=2")
    assert got.status_code == 400 and "'limit' is given 2 times" in got.json()["error"]
    got = client.get("/api/search?q=the&author=Nobody&author=Jane%20Doe")
    assert got.status_code == 200


def test_a_missing_index_answers_503_and_recovers(tmp_path: Path) -> None:
    with TestClient(create_app(tmp_path / "later"), base_url="http://localhost") as c:
        got = c.get("/api/stats")
        assert got.status_code == 503 and "no searchkit index at" in got.json()["error"]
        assert c.get("/stats").status_code == 503
        with searchkit.Index.create(tmp_path / "later") as ix:
            ix.add(SEEDS)
        assert c.get("/api/stats").json()["documents"] == 1


def test_new_documents_appear_without_a_restart(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    with searchkit.Index.create(tmp_path / "ix") as ix:
        ix.add(corpus)
    with TestClient(create_app(tmp_path / "ix"), base_url="http://localhost") as c:
        assert c.get("/api/search", params={"q": "Vilnius"}).json()["total"] == 0
        (corpus / "new.txt").write_text("Rain in Vilnius\n\nIt rained in Vilnius all day.\n")
        with searchkit.Index.open(tmp_path / "ix") as ix:  # another writer, as `searchkit index`
            ix.add(corpus)
        assert c.get("/api/search", params={"q": "Vilnius"}).json()["total"] == 1


def test_snippet_html_escapes_and_marks() -> None:
    hit = searchkit.Hit(
        id="d:1",
        doc_id="d",
        paragraph=1,
        title="t",
        path="p",
        start=0,
        end=27,
        text="a <b>x</b> & Kyiv's talks\n!",
        score=1.0,
        rank=1,
        spans=((13, 17),),
    )
    assert hit.snippet_html() == "a &lt;b&gt;x&lt;/b&gt; &amp; <mark>Kyiv</mark>&#x27;s talks !"
    assert hit.snippet() == "a <b>x</b> & [Kyiv]'s talks !"


def test_home_reads_the_stats_once_per_change_of_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The home page's overview (documents, folders, stats) is kept while no file of the
    index changes, and made again after another writer's commit."""
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    with searchkit.Index.create(tmp_path / "ix") as ix:
        ix.add(corpus)
    reads: list[str] = []
    stats = searchkit.Index.stats

    def counted(self: searchkit.Index) -> searchkit.IndexStats:
        reads.append(str(self.path))
        return stats(self)

    monkeypatch.setattr(searchkit.Index, "stats", counted)
    with TestClient(create_app(tmp_path / "ix"), base_url="http://localhost") as c:
        for _ in range(3):
            assert '<dd id="documents">1</dd>' in c.get("/").text
        assert len(reads) == 1
        (corpus / "new.txt").write_text("Rain in Vilnius\n\nIt rained in Vilnius all day.\n")
        with searchkit.Index.open(tmp_path / "ix") as ix:  # another writer
            ix.add(corpus)
        reads.clear()
        assert '<dd id="documents">2</dd>' in c.get("/").text
        assert '<dd id="documents">2</dd>' in c.get("/").text
        assert len(reads) == 1
