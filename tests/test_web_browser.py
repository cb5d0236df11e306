"""The web app in a real browser: Playwright driving Debian's Chromium against a live server.

The server is uvicorn on 127.0.0.1 with a port the system picks; the browser is
``/usr/bin/chromium`` (Playwright's own browser download cannot work offline). ``.ci/run``
installs Chromium when it is missing; elsewhere the test is skipped without it.

The accessibility check injects axe-core from ``tests/vendor/axe-core/axe.min.js`` (npm's
``axe-core``, MPL-2.0, kept with its licence header): nothing is fetched at run time.
Screenshots of the pages at a desktop's and a phone's width go to the test's own folder,
or to ``benchmarks/results/`` with ``SEARCHKIT_SCREENSHOTS=1`` (how the committed ones
were made).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")
sync_api = pytest.importorskip("playwright.sync_api")

import searchkit  # noqa: E402
from searchkit.web import create_app  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HERE = Path(__file__).resolve().parent
SEEDS = HERE.parent / "seeds"
AXE = HERE / "vendor" / "axe-core" / "axe.min.js"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"
)

ARTICLE = """{title}
{date}
Author: {author}
{body}
Original Source: https://www.{site}/news/{n}
"""


def _corpus(root: Path) -> Path:
    """The seed article and 14 short ones, so a search has pages and two authors."""
    corpus = root / "corpus"
    shutil.copytree(SEEDS, corpus)
    for n in range(14):
        author = "Ann Lee" if n % 2 else "Jo Doe"
        body = f"Talks on a prisoner exchange went on for day {n + 1} in Minsk."
        (corpus / f"talks-{n:02d}.txt").write_text(
            ARTICLE.format(
                title=f"Talks, day {n + 1}",
                date=f"March {n + 1}, 2025",
                author=author,
                body=body,
                site="example.org",
                n=n,
            ),
            encoding="utf-8",
        )
    # A folder of Markdown notes: no authors, no dates; code spans and a code block.
    notes = corpus / "notes"
    notes.mkdir()
    (notes / "archives.md").write_text(
        "# Archives with tar\n\nRun `tar czf backup.tgz photos` to pack the photos.\n\n"
        "```sh\ntar xzf backup.tgz\nls photos\n```\n\nThe backup keeps every photo.\n",
        encoding="utf-8",
    )
    (notes / "bruecke.md").write_text(
        "---\nlang: de\n---\n# Die neue Brücke\n\nDie Brücke über den Fluss wurde gestern "
        "eröffnet, und viele Menschen kamen zur Brücke.\n",
        encoding="utf-8",
    )
    return corpus


@pytest.fixture(scope="module")
def index_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    with searchkit.Index.create(root / "ix") as ix:
        ix.add(_corpus(root))
    return root / "ix"


@pytest.fixture(scope="module")
def base_url(index_path: Path) -> Iterator[str]:
    root = index_path.parent
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(root / "ix"), host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def page(browser: object) -> Iterator[object]:
    b: sync_api.Browser = browser  # type: ignore[assignment]
    context = b.new_context(viewport={"width": 1200, "height": 900})
    yield context.new_page()
    context.close()


def test_search_page_in_a_browser(page: object, base_url: str) -> None:
    p: sync_api.Page = page  # type: ignore[assignment]
    p.goto(base_url + "/")
    p.get_by_label("Search the paragraphs").fill("prisoner exchange")
    p.keyboard.press("Enter")
    p.wait_for_url("**/?q=prisoner+exchange*")
    assert p.locator("#count").inner_text() == "15 documents · page 1 of 2"
    marks = p.locator(".hit mark").all_inner_texts()
    assert {"prisoner", "exchange"} <= {m.lower() for m in marks}
    assert p.locator("svg.histogram a.bar").count() == 4  # March to June 2025

    # page forward, then back to the start through the pager
    p.get_by_role("link", name="Next").click()
    p.wait_for_url("**page=2*")
    assert p.locator("#count").inner_text() == "15 documents · page 2 of 2"
    assert p.locator(".hitlist").get_attribute("start") == "11"

    # filters live in the URL: an author filter narrows the count
    p.goto(base_url + "/?q=prisoner+exchange")
    p.locator("details.filters summary").click()
    p.get_by_label("Author").fill("Ann Lee")
    p.get_by_role("button", name="Search").click()
    p.wait_for_url("**author=Ann+Lee*")
    assert p.locator("#count").inner_text() == "7 documents"

    # a facet value filters by it: the other author's seven articles
    p.goto(base_url + "/?q=prisoner+exchange")
    assert p.locator("#facet-author li").all_inner_texts() == [
        "Ann Lee\n7",
        "Jo Doe\n7",
        "Natalia Grigoryeva\n1",
    ]
    p.locator("#facet-author").get_by_role("link", name="Jo Doe").click()
    p.wait_for_url("**author=Jo+Doe*")
    assert p.locator("#count").inner_text() == "7 documents"
    assert p.locator("svg.histogram a.bar").count() == 1

    # a paragraph in its context, the whole document, then similar paragraphs
    p.locator(".hit h2 a").first.click()
    p.wait_for_url("**/chunk/**")
    assert p.locator("#hit").inner_text().startswith("¶1 Talks on a prisoner exchange")
    p.get_by_role("link", name="Similar paragraphs").click()
    p.wait_for_url("**/similar/**")
    assert p.locator("h1").inner_text().startswith("Paragraphs like ¶1 of “Talks, day")
    assert p.locator(".hit").count() == 10
    p.locator(".hit h2 a").first.click()
    p.wait_for_url("**/chunk/**")
    title = p.locator("h1").inner_text()
    p.get_by_role("link", name="Whole document").click()
    p.wait_for_url("**/document/**")
    assert p.locator("h1").inner_text() == title


def test_keyboard_only(page: object, base_url: str) -> None:
    p: sync_api.Page = page  # type: ignore[assignment]
    p.goto(base_url + "/stats")
    p.keyboard.press("/")  # the script's shortcut does nothing here: no search box
    p.goto(base_url + "/?q=minsk")
    p.locator("body").click()
    p.keyboard.press("/")
    assert p.evaluate("document.activeElement.id") == "q"
    p.keyboard.press("End")
    p.keyboard.type(" talks")
    p.keyboard.press("Enter")
    p.wait_for_url("**q=minsk+talks*")
    assert p.url == base_url + "/?q=minsk+talks"  # empty filters stay out of the URL
    assert p.locator(".hit").count() == 10


def test_pages_work_under_the_content_security_policy(page: object, base_url: str) -> None:
    p: sync_api.Page = page  # type: ignore[assignment]
    refused: list[str] = []
    p.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    answer = p.goto(base_url + "/?q=prisoner+exchange")
    assert answer is not None
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    # The style sheet applies: the skip link sits off screen until focused.
    assert p.locator("a.skip").evaluate("e => getComputedStyle(e).position") == "absolute"
    # The script runs and may fetch from its own origin: completions fill the list.
    p.get_by_label("Search the paragraphs").fill("prisoner exch")
    p.locator("#completions option").first.wait_for(state="attached")
    assert "prisoner exchange" in p.locator("#completions option").evaluate_all(
        "options => options.map(o => o.value)"
    )
    for path in ("/stats", "/chunk/nope:1"):
        p.goto(base_url + path)
    assert refused == []


def test_every_resource_a_page_asks_for_is_there(page: object, base_url: str) -> None:
    """No request a page makes fails: style, script and the tab's icon (without a named
    icon the browser asks for /favicon.ico and logs its 404 as an error)."""
    p: sync_api.Page = page  # type: ignore[assignment]
    errors: list[str] = []

    def check(m: sync_api.ConsoleMessage) -> None:
        if m.type == "error":
            errors.append(f"{m.text} {m.location.get('url', '')}")

    p.on("console", check)
    asked: list[str] = []
    p.on("request", lambda r: asked.append(r.url.removeprefix(base_url)))
    for path in ("/", "/?q=prisoner+exchange", "/stats"):
        p.goto(base_url + path)
        p.wait_for_load_state("networkidle")
    p.remove_listener("console", check)
    assert errors == []
    assert "/static/icon.svg" in asked


def _stats(index_path: Path) -> searchkit.IndexStats:
    with searchkit.Index.open(index_path) as ix:
        return ix.stats()


def test_home_shows_what_stats_knows(page: object, base_url: str, index_path: Path) -> None:
    p: sync_api.Page = page  # type: ignore[assignment]
    stats = _stats(index_path)
    p.goto(base_url + "/")
    assert p.locator("#documents").inner_text() == f"{stats.documents:,}" == "17"
    assert p.locator("#chunks").inner_text() == f"{stats.chunks:,}"
    assert p.locator("#size").inner_text() == f"{stats.size_bytes:,} bytes"
    assert p.locator("#overview-formats li").all_inner_texts() == ["article\n15", "markdown\n2"]
    assert p.locator("#overview-folders li").all_inner_texts() == ["(top level)\n15", "notes\n2"]
    assert p.locator("#overview-languages li").all_inner_texts() == [
        f"{code}\n{n}" for code, n in stats.languages
    ]
    assert p.locator("#overview-years li").all_inner_texts() == ["2025\n15"]
    assert (
        p.locator("#latest li a").first.inner_text()
        == "What important role does Belarus play in the Ukraine conflict?"
    )
    # example queries come from the collection's own titles, and each one finds something
    examples = p.locator("#examples a").all_inner_texts()
    assert examples == ["talks", '"talks day"', "title:important"]
    box = p.get_by_label("Search the paragraphs")
    assert box.get_attribute("placeholder") == "e.g. " + ", ".join(examples)
    p.locator("#examples a").nth(1).click()
    p.wait_for_url("**/?q=%22talks%20day%22")
    assert p.locator("#count").inner_text() == "14 documents · page 1 of 2"


def test_code_is_shown_as_code(page: object, base_url: str) -> None:
    p: sync_api.Page = page  # type: ignore[assignment]
    p.goto(base_url + "/?q=pack+backup")
    snippet = p.locator(".hit .snippet code").first
    assert snippet.inner_text() == "tar czf backup.tgz photos"
    assert snippet.locator("mark").inner_text() == "backup"
    assert "monospace" in snippet.evaluate("e => getComputedStyle(e).fontFamily")
    # one hit per document, counting its other matches, and the file's path relative to
    # the folder indexed on the hit; the sidebar counts the folders
    first = p.locator(".hit").first
    assert first.locator(".path").inner_text() == "notes/archives.md"
    assert first.locator(".in-document").inner_text() == "2 more in this document"
    assert p.locator(".hit h2").all_inner_texts() == ["Archives with tar"]
    assert p.locator("#facet-folder a").all_inner_texts() == ["notes/"]
    # every paragraph (flat): the document's other hits on the page fold under its best
    p.get_by_text("Filters and order").click()
    p.get_by_text("Every matching paragraph").check()
    p.get_by_role("button", name="Search").click()
    p.wait_for_url("**collapse=none*")
    assert p.locator(".hit").first.locator(".folded").inner_text() == "2 more in this page"
    assert p.locator(".hit h2").all_inner_texts() == ["Archives with tar"]
    # the folder's link keeps the files under it
    p.locator("#facet-folder a").first.click()
    p.wait_for_url("**under=notes*")
    assert p.locator("#under").input_value() == "notes"
    # the code block is a <pre> on the paragraph page, line breaks kept
    p.goto(base_url + "/?q=xzf")
    p.locator(".hit h2 a").first.click()
    p.wait_for_url("**/chunk/**")
    assert p.locator("#hit pre code").inner_text() == "tar xzf backup.tgz\nls photos"
    assert p.locator("#hit pre code mark").all_inner_texts() == ["xzf"]


def test_marks_on_paragraph_and_document_pages(page: object, base_url: str) -> None:
    p: sync_api.Page = page  # type: ignore[assignment]
    p.goto(base_url + "/?q=photos+backup")
    p.locator(".hit h2 a").first.click()
    p.wait_for_url("**/chunk/**")
    marked = {m.lower() for m in p.locator(".context mark").all_inner_texts()}
    assert marked == {"photos", "backup", "photo"}
    assert p.locator(".context .this mark").count() >= 2
    # the whole document, marked, with a jump to its first mark
    p.get_by_role("link", name="Whole document").click()
    p.wait_for_url("**/document/**")
    jump = p.locator("#first-mark")
    assert jump.inner_text() == "First match (¶1), 3 paragraphs matching photos backup"
    assert p.locator(".para.matched").evaluate_all("ps => ps.map(p => p.id)") == ["p1", "p2", "p3"]
    jump.click()
    p.wait_for_url("**#p1")
    assert p.locator("#p1 mark").all_inner_texts() == ["backup", "photos", "photos"]
    # a German page keeps its language: the hit and its text say lang="de"
    p.goto(base_url + "/?q=Brücke")
    hit = p.locator(".hit").first
    assert hit.locator("h2").get_attribute("lang") == "de"
    assert hit.locator(".snippet").get_attribute("lang") == "de"
    assert {m for m in hit.locator(".snippet mark").all_inner_texts()} == {"Brücke"}


def test_histogram_counts_can_be_read(page: object, base_url: str) -> None:
    p: sync_api.Page = page  # type: ignore[assignment]
    p.goto(base_url + "/?q=prisoner+exchange")
    bars = p.locator("svg.histogram a.bar")
    assert bars.evaluate_all("bs => bs.map(b => b.getAttribute('aria-label'))") == [
        "2025-03: 14 articles, 14 paragraphs",
        "2025-04: 0 articles, 0 paragraphs",
        "2025-05: 0 articles, 0 paragraphs",
        "2025-06: 1 article, 11 paragraphs",
    ]
    axis = p.locator("svg.histogram text.axis").evaluate_all("ts => ts.map(t => t.textContent)")
    assert axis == ["14", "0", "2025-03", "2025-06"]
    # a count shows on keyboard focus (and on hover), hidden otherwise
    count = bars.first.locator("text.n")
    assert count.evaluate("e => getComputedStyle(e).visibility") == "hidden"
    bars.first.focus()
    assert count.evaluate("e => getComputedStyle(e).visibility") == "visible"
    assert count.text_content() == "14"
    bars.last.hover()
    assert bars.last.locator("text.n").evaluate("e => getComputedStyle(e).visibility") == "visible"
    # the same counts as a table
    p.locator(".chart-table summary").click()
    rows = p.locator(".chart-table tbody tr").all_inner_texts()
    assert rows == ["2025-03\t14\t14", "2025-04\t0\t0", "2025-05\t0\t0", "2025-06\t1\t11"]
    p.locator(".chart-table").get_by_role("link", name="2025-03").click()
    p.wait_for_url("**since=2025-03-01*")
    assert p.locator("#count").inner_text() == "14 documents · page 1 of 2"


def test_a_bad_query_keeps_the_form(page: object, base_url: str) -> None:
    p: sync_api.Page = page  # type: ignore[assignment]
    answer = p.goto(base_url + "/?q=%22prisoner+exchange&author=Jo+Doe")
    assert answer is not None and answer.status == 400
    box = p.get_by_label("Search the paragraphs")
    assert box.input_value() == '"prisoner exchange'
    assert box.get_attribute("aria-invalid") == "true"
    assert p.locator("#error").inner_text() == (
        "cannot parse query '\"prisoner exchange' at character 1: unclosed '\"'"
    )
    assert p.get_by_label("Author").input_value() == "Jo Doe"
    # mend it in place
    box.press("End")
    box.type('"')
    box.press("Enter")
    p.wait_for_url("**/?q=%22prisoner+exchange%22&author=Jo+Doe")
    assert p.locator("#count").inner_text() == "7 documents"


def test_every_page_sends_the_security_headers(page: object, base_url: str) -> None:
    p: sync_api.Page = page  # type: ignore[assignment]
    for path in ("/", "/?q=talks", "/stats", "/?q=%22x", "/chunk/nope:1", "/static/style.css"):
        answer = p.goto(base_url + path)
        assert answer is not None
        headers = answer.headers
        assert "script-src 'self';" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"


def _shots_folder(tmp_path: Path) -> Path:
    if os.environ.get("SEARCHKIT_SCREENSHOTS") == "1":
        return HERE.parent / "benchmarks" / "results"
    return tmp_path


AXE_RUN = """async () => {
  const found = await axe.run(document, {resultTypes: ["violations"]});
  return found.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => `${v.id} (${v.impact}): ${v.nodes.map(n => n.target.join(" ")).join(", ")}`);
}"""


def test_pages_pass_axe_and_are_photographed(
    browser: object, base_url: str, index_path: Path, tmp_path: Path
) -> None:
    """axe-core finds no serious or critical violation on any page, in the light and the
    dark scheme; each page is photographed at a desktop's and a phone's width."""
    b: sync_api.Browser = browser  # type: ignore[assignment]
    with searchkit.Index.open(index_path) as ix:
        doc = next(d for d in ix.documents() if d.path.endswith("archives.md"))
    pages = {
        "home": "/",
        # Hits from two folders and formats, two with "N more in this document".
        "results": "/?q=belarus+exchange+backup",
        "paragraph": f"/chunk/{doc.id}:1?q=photos+backup",
        "document": f"/document/{doc.id}?q=photos+backup",
        "error": "/?q=%22prisoner+exchange",
    }
    shots = _shots_folder(tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    sizes = {"desktop": {"width": 1280, "height": 1600}, "phone": {"width": 390, "height": 844}}
    found: dict[str, list[str]] = {}
    for scheme in ("light", "dark"):
        for size, viewport in sizes.items():
            context = b.new_context(viewport=viewport, color_scheme=scheme)  # type: ignore[arg-type]
            context.add_init_script(path=str(AXE))  # bypasses the page's CSP, as a test should
            p = context.new_page()
            for name, path in pages.items():
                p.goto(base_url + path)
                found[f"{name} {size} {scheme}"] = p.evaluate(AXE_RUN)
                if scheme == "light":
                    p.screenshot(path=str(shots / f"web-{name}-{size}.png"))
            context.close()
    assert found == {key: [] for key in found}
    assert len(found) == 20
    assert sorted(f.name for f in shots.glob("web-*.png")) == sorted(
        f"web-{name}-{size}.png" for name in pages for size in sizes
    )
