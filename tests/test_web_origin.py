"""Issue 28 item 6: the web app's origin rules: only http(s) source links, the Host
header checked against the names the server answers to, and security headers on every
response."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

import searchkit
from searchkit.web import create_app
from searchkit.web.app import http_url

_SOURCES = {
    "js": "javascript:alert(document.domain)",
    "tab": "java\tscript:alert(1)",
    "data": "data:text/html,<script>alert(1)</script>",
    "web": "https://example.org/rain",
}


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("origin")
    records = [
        {"id": name, "title": f"Rain {name}", "url": url, "text": f"Rain fell on {name}."}
        for name, url in _SOURCES.items()
    ]
    (root / "rain.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in records), encoding="utf-8"
    )
    with searchkit.Index.create(root / "ix") as ix:
        ix.add(root / "rain.jsonl")
    return root / "ix"


@pytest.fixture
def client(index_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(index_dir), base_url="http://127.0.0.1:8765") as c:
        yield c


def _doc_id(client: TestClient, name: str) -> str:
    hits = client.get("/api/search", params={"q": name}).json()["hits"]
    return str(hits[0]["doc_id"])


@pytest.mark.parametrize("name", ["js", "tab", "data"])
def test_a_source_url_that_is_not_http_is_shown_as_text(client: TestClient, name: str) -> None:
    doc_id = _doc_id(client, name)
    for url in (f"/document/{doc_id}", f"/chunk/{doc_id}:1"):
        html = client.get(url).text
        assert "<dt>Source</dt>" in html
        assert 'rel="noopener noreferrer nofollow"' not in html  # no source link at all
        assert 'href="javascript' not in html.lower() and 'href="data' not in html


def test_an_http_source_url_stays_a_link(client: TestClient) -> None:
    html = client.get(f"/document/{_doc_id(client, 'web')}").text
    assert '<a href="https://example.org/rain" rel="noopener noreferrer nofollow">' in html


def test_http_url_allows_only_plain_http_and_https() -> None:
    assert http_url("https://example.org/a?b=c") == "https://example.org/a?b=c"
    assert http_url("HTTP://EXAMPLE.ORG") == "HTTP://EXAMPLE.ORG"
    for bad in (*_SOURCES.values(), " https://x.org", "https://x.org/\n", "//x.org", None):
        if bad != _SOURCES["web"]:
            assert http_url(bad) is None, bad


@pytest.mark.parametrize(
    "host", ["127.0.0.1:8765", "localhost:8765", "LOCALHOST", "[::1]:8765", "127.0.0.1"]
)
def test_loopback_hosts_are_answered(index_dir: Path, host: str) -> None:
    with TestClient(create_app(index_dir)) as c:
        assert c.get("/api/stats", headers={"host": host}).status_code == 200


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8765", "127.0.0.1.evil.example", ""]
)
def test_another_host_is_refused(index_dir: Path, host: str) -> None:
    with TestClient(create_app(index_dir)) as c:
        got = c.get("/api/stats", headers={"host": host})
    assert got.status_code == 400
    assert "searchkit serve --allow-host NAME" in got.text
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "documents" not in got.text


def test_allowed_hosts_are_configurable(index_dir: Path) -> None:
    app = create_app(index_dir, allowed_hosts=["search.lan"])
    with TestClient(app) as c:
        assert c.get("/api/stats", headers={"host": "search.lan:80"}).status_code == 200
        assert c.get("/api/stats", headers={"host": "localhost"}).status_code == 400


@pytest.mark.parametrize(
    "url", ["/", "/?q=rain", "/api/stats", "/static/app.js", "/chunk/nope:1", "/openapi.json"]
)
def test_every_response_carries_the_security_headers(client: TestClient, url: str) -> None:
    headers = client.get(url).headers
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "default-src 'self'" in csp and "object-src 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"


def test_serve_allows_its_own_address_and_the_names_given(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    uvicorn = pytest.importorskip("uvicorn")
    from searchkit.cli import cli

    ran: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: ran.append(app))
    args = ["serve", "--host", "10.0.0.5", "--allow-host", "search.lan", "--index", index_dir]
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    with TestClient(ran[0]) as c:  # type: ignore[arg-type]
        for host, status in [
            ("10.0.0.5:8765", 200),
            ("search.lan", 200),
            ("localhost:8765", 200),
            ("evil.example", 400),
        ]:
            assert c.get("/api/stats", headers={"host": host}).status_code == status, host
