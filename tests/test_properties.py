"""Bad input on purpose: whatever the bytes or the query, a result or a SearchkitError."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import searchkit
from searchkit.chunking import chunk_document

from .conftest import SEEDS

_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _load(data: bytes) -> searchkit.Document | None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "f.txt"
        path.write_bytes(data)
        try:
            doc = searchkit.load_document(path)
        except searchkit.DocumentError as exc:
            assert exc.path == str(path)
            return None
        text = data.decode(doc.encoding)
        for c in chunk_document(doc, max_chars=300):
            assert text[c.start : c.end] == c.text
            assert 0 < len(c.text) <= 300
        return doc


@_SETTINGS
@given(st.binary(max_size=2000))
def test_random_bytes(data: bytes) -> None:
    _load(data)


@_SETTINGS
@given(st.text(max_size=2000))
def test_random_unicode(text: str) -> None:
    _load(text.encode("utf-8"))


@_SETTINGS
@given(st.lists(st.sampled_from(["\n", "\r\n", "\r", " ", "\t"]), max_size=200))
def test_only_newlines_and_spaces(parts: list[str]) -> None:
    assert _load("".join(parts).encode()) is None


@settings(max_examples=20, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1000, max_size=20000))
def test_huge_lines_without_newlines(text: str) -> None:
    _load(text.replace("\n", " ").replace("\r", " ").encode("utf-8"))


_QUERY_PIECES = st.sampled_from(
    [
        "Belarus",
        "prisoner",
        '"',
        "(",
        ")",
        "AND",
        "OR",
        "NOT",
        ":",
        "title:",
        "published:",
        "*",
        "?",
        "~",
        "~2",
        "^",
        "^3",
        "-",
        "+",
        "[",
        "]",
        "{",
        "}",
        " TO ",
        "http://a.b/c?d=e",
        "2025-06",
        "\\",
        "'",
        "paragraph:",
        "author:",
        "<",
        ">",
        "=",
        "date:>2025",
        " ",
    ]
)


@_SETTINGS
@given(st.one_of(st.text(max_size=60), st.lists(_QUERY_PIECES, max_size=12).map("".join)))
def test_random_queries(query: str) -> None:
    index = _seed_index()
    try:
        results = index.search(query, limit=5)
    except searchkit.SearchkitError as exc:
        assert str(exc)
    else:
        assert results.total >= len(results.hits)
        assert all(h.rank == i for i, h in enumerate(results.hits, 1))


_INDEX: list[searchkit.Index] = []


def _seed_index() -> searchkit.Index:
    if not _INDEX:
        path = Path(tempfile.mkdtemp()) / "ix"
        index = searchkit.Index.create(path)
        index.add(SEEDS)
        _INDEX.append(index)
    return _INDEX[0]
