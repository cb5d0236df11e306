"""The web app in a real browser: Playwright driving Debian's Chromium against a live server.

The server is uvicorn on 127.0.0.1 with a port the system picks; the browser is
``/usr/bin/chromium`` (Playwright's own browser download cannot work offline). ``.ci/run``
installs Chromium when it is missing; elsewhere the test is skipped without it.
"""

from __future__ import annotations

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
SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SHOTS = Path(__file__).resolve().parent.parent / "benchmarks" / "results"

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
    return corpus


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("browser")
    with searchkit.Index.create(root / "ix") as ix:
        ix.add(_corpus(root))
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
def page(base_url: str) -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
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
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        yield context.new_page()
        browser.close()


def test_search_page_in_a_browser(page: object, base_url: str) -> None:
    p: sync_api.Page = page  # type: ignore[assignment]
    p.goto(base_url + "/")
    p.get_by_label("Search the paragraphs").fill("prisoner exchange")
    p.keyboard.press("Enter")
    p.wait_for_url("**/?q=prisoner+exchange*")
    assert p.locator("#count").inner_text() == "15 documents · page 1 of 2"
    marks = p.locator(".hit mark").all_inner_texts()
    assert {"prisoner", "exchange"} <= {m.lower() for m in marks}
    assert p.locator("svg.histogram rect").count() == 4  # March to June 2025
    SHOTS.mkdir(parents=True, exist_ok=True)
    p.screenshot(path=str(SHOTS / "web-search.png"), full_page=True)

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
    assert p.locator("svg.histogram rect").count() == 1

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
