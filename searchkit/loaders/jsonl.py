"""JSON Lines: one JSON object a line, each its own document.

::

    {"id": "a1", "title": "Rain", "author": "Jo Doe", "date": "2024-03-01",
     "url": "https://example.org/rain", "text": "First paragraph.\\n\\nSecond one."}

Fields, first found wins: id ``id``/``_id``; text ``text``/``body``/``content`` (the
first that is a string with something in it); ``title``; ``author`` (a name, a list of
names, or ``{"name": ...}``); date ``date``/``published``; source
``url``/``source_url``; ``disclaimer``; language ``lang``/``language`` (an ISO 639 code
or tag). The text value is split into paragraphs as article bodies are.

Offsets index into the record's text value (the decoded JSON string), not into the file:
``json.loads(line)["text"][start:end] == text``, where the line is the document's
``record_line`` (1-based, counting ``\\n``-separated lines, blank ones included).  A line
that is not a JSON object, has no text, or repeats an earlier record's id is skipped with
its reason; the other records still load.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .._dates import parse_article_date
from ..models import Document, Skipped
from ._base import (
    author_names,
    document_id,
    domain_of,
    first_text,
    normalize_language,
    paragraphs_from_blocks,
    split_lines,
)

__all__ = ["JsonlLoader"]

_ID_KEYS = ("id", "_id")
_TEXT_KEYS = ("text", "body", "content")
_DATE_KEYS = ("date", "published")
_URL_KEYS = ("url", "source_url")
_LANGUAGE_KEYS = ("lang", "language")


class JsonlLoader:
    """Loads ``.jsonl`` / ``.ndjson`` files: a document per line."""

    name: str = "jsonl"
    suffixes: tuple[str, ...] = (".jsonl", ".ndjson")

    def load(
        self, path: Path, text: str, content_hash: str, encoding: str
    ) -> Iterator[Document | Skipped]:
        seen: dict[str, int] = {}  # record id -> the line that first used it
        for number, line in enumerate(text.split("\n"), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                reason = f"invalid JSON: {exc.msg}: column {exc.colno}"
                yield Skipped(str(path), f"line {number}: {reason}")
                continue
            except RecursionError:
                yield Skipped(str(path), f"line {number}: invalid JSON (nested too deeply)")
                continue
            if not isinstance(record, dict):
                kind = type(record).__name__
                yield Skipped(str(path), f"line {number}: not a JSON object (a {kind})")
                continue
            body = _first_text(record)
            if body is None:
                keys = "/".join(_TEXT_KEYS)
                yield Skipped(str(path), f"line {number}: no text (no {keys} string)")
                continue
            record_id = _first_id(record)
            if record_id is not None:
                if record_id in seen:
                    yield Skipped(
                        str(path),
                        f"line {number}: duplicate id {record_id!r} (first on line "
                        f"{seen[record_id]})",
                    )
                    continue
                seen[record_id] = number
            key = f"id:{record_id}" if record_id is not None else f"line:{number}"
            source = first_text(record, _URL_KEYS)
            date = first_text(record, _DATE_KEYS)
            yield Document(
                id=document_id(path, key),
                path=str(path),
                title=first_text(record, ("title",)) or record_id or f"{path.stem} line {number}",
                paragraphs=paragraphs_from_blocks(body, list(split_lines(body))),
                author=author_names(record.get("author")),
                published=parse_article_date(date) if date else None,
                source_url=source,
                source_domain=domain_of(source),
                disclaimer=first_text(record, ("disclaimer",)),
                content_hash=content_hash,
                format=self.name,
                encoding=encoding,
                record_line=number,
                language=normalize_language(first_text(record, _LANGUAGE_KEYS)),
            )


def _first_text(record: dict[str, Any]) -> str | None:
    for key in _TEXT_KEYS:
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _first_id(record: dict[str, Any]) -> str | None:
    for key in _ID_KEYS:
        value = record.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, int | str) and str(value).strip():
            return str(value).strip()
    return None
