"""Markdown, JSONL and HTML loaders: metadata, paragraphs, offsets, bad input, and indexing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import searchkit
from searchkit.loaders import load_file
from searchkit.loaders._base import document_id
from searchkit.models import Skipped


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _texts(doc: searchkit.Document) -> list[str]:
    return [p.text for p in doc.paragraphs]


# -- JSONL --------------------------------------------------------------------------------


def _jsonl(path: Path, *records: object) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    return _write(path, "\n".join(lines) + "\n")


def test_jsonl_records_fields_and_offsets(tmp_path: Path) -> None:
    f = _jsonl(
        tmp_path / "news.jsonl",
        {
            "id": "a1",
            "title": "Rain in Minsk",
            "author": "Jo Doe",
            "date": "2024-03-01T09:30",
            "url": "https://www.example.org/rain",
            "text": "First para\nstill first.\n\nSecond para &amp; \u00e9t\u00e9.",
        },
        {
            "_id": 7,
            "title": "Snow",
            "authors": "ignored",
            "author": [{"name": "Ann  Lee"}, "Bo Chan"],
            "published": "June 14, 2025",
            "source_url": "https://news.example.com/s",
            "body": "Only paragraph.",
        },
        {"content": "No id, no title.", "disclaimer": "Views are the author's own."},
    )
    docs = searchkit.load_documents(f)
    assert [d.title for d in docs] == ["Rain in Minsk", "Snow", "news line 3"]
    a, b, c = docs
    assert a.id == document_id(f.resolve(), "id:a1")
    assert b.id == document_id(f.resolve(), "id:7")
    assert c.id == document_id(f.resolve(), "line:3")
    assert (a.author, a.published) == ("Jo Doe", dt.datetime(2024, 3, 1, 9, 30))
    assert (a.source_url, a.source_domain) == ("https://www.example.org/rain", "example.org")
    assert (b.author, b.published) == ("Ann Lee, Bo Chan", dt.datetime(2025, 6, 14))
    assert b.source_domain == "news.example.com"
    assert c.disclaimer == "Views are the author's own."
    assert [d.record_line for d in docs] == [1, 2, 3]
    assert {d.format for d in docs} == {"jsonl"}
    assert len({d.content_hash for d in docs}) == 1
    assert _texts(a) == ["First para\nstill first.", "Second para &amp; \u00e9t\u00e9."]
    assert [(p.number, p.start, p.end) for p in a.paragraphs] == [(1, 0, 23), (2, 25, 47)]
    lines = f.read_text(encoding="utf-8").split("\n")
    for doc in docs:
        record = json.loads(lines[doc.record_line - 1])
        value = next(record[k] for k in ("text", "body", "content") if k in record)
        for p in doc.paragraphs:
            assert value[p.start : p.end] == p.text


def test_jsonl_bad_lines_are_skipped_with_reasons(tmp_path: Path) -> None:
    f = _jsonl(
        tmp_path / "mixed.ndjson",
        {"id": "ok1", "text": "Good one."},
        '{"id": "broken", "text": "unterminated',
        "",
        "[1, 2, 3]",
        {"id": "empty", "text": "   "},
        {"id": "nontext", "text": ["a", "b"]},
        {"id": "ok1", "text": "Same id again."},
        {"id": "ok2", "body": "Good two."},
    )
    docs, skipped = load_file(f)
    assert [(d.title, d.record_line) for d in docs] == [("ok1", 1), ("ok2", 8)]
    assert skipped == [
        Skipped(str(f), "line 2: invalid JSON: Unterminated string starting at: column 26"),
        Skipped(str(f), "line 4: not a JSON object (a list)"),
        Skipped(str(f), "line 5: no text (no text/body/content string)"),
        Skipped(str(f), "line 6: no text (no text/body/content string)"),
        Skipped(str(f), "line 7: duplicate id 'ok1' (first on line 1)"),
    ]
    assert [d.title for d in searchkit.load_documents(f)] == ["ok1", "ok2"]


def test_jsonl_without_usable_records_is_a_document_error(tmp_path: Path) -> None:
    f = _jsonl(tmp_path / "bad.jsonl", "not json", {"title": "no text"})
    with pytest.raises(searchkit.DocumentError) as err:
        searchkit.load_documents(f)
    assert err.value.reason == (
        "no usable records (2 skipped; first: line 1: invalid JSON: Expecting value: column 1)"
    )


def test_jsonl_crlf_and_bom(tmp_path: Path) -> None:
    f = tmp_path / "crlf.jsonl"
    f.write_bytes(b"\xef\xbb\xbf" + b'{"text": "one"}\r\n\r\n{"text": "two\\r\\nlines"}\r\n')
    docs = searchkit.load_documents(f)
    assert [(d.record_line, _texts(d)) for d in docs] == [(1, ["one"]), (3, ["two\r\nlines"])]
    assert docs[0].encoding == "utf-8-sig"
