"""JSON Lines and JSON: one JSON object a record, each its own document.

::

    {"id": "a1", "title": "Rain", "author": "Jo Doe", "date": "2024-03-01",
     "url": "https://example.org/rain", "text": "First paragraph.\\n\\nSecond one."}

A ``.jsonl`` / ``.ndjson`` file holds one record a line; a ``.json`` file holds one record
or an array of them.  Fields, first found wins: id ``id``/``_id``; text
``text``/``body``/``content`` (the first that is a string with something in it);
``title``; ``author`` (a name, a list of names, or ``{"name": ...}``); date
``date``/``published``; source ``url``/``source_url``; ``disclaimer``; language
``lang``/``language`` (an ISO 639 code or tag).  A *field map* names other keys instead
(``{"title": "headline", "text": "body.html"}``, a dot reaching into nested objects):
see :data:`MAPPABLE_FIELDS`.  The text value is split into paragraphs as article bodies
are.

Offsets index into the record's text value (the decoded JSON string), not into the file:
``record[text key][start:end] == text``, and ``record_line`` is the 1-based line where
the record starts (counting ``\\n``-separated lines, blank ones included).  A record that
is not a JSON object, has no text, or repeats an earlier record's id is skipped with its
line and reason; the other records still load.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .._dates import parse_article_date
from ..errors import SettingsError
from ..models import Document, Skipped
from ._base import (
    author_list,
    author_names,
    collapse,
    document_id,
    domain_of,
    normalize_language,
    paragraphs_from_blocks,
    split_lines,
)

__all__ = ["MAPPABLE_FIELDS", "JsonLoader", "JsonlLoader", "check_field_map"]

# Document field -> the record keys read for it when no field map names one.
MAPPABLE_FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("id", "_id"),
    "title": ("title",),
    "text": ("text", "body", "content"),
    "author": ("author",),
    "published": ("date", "published"),
    "source_url": ("url", "source_url"),
    "disclaimer": ("disclaimer",),
    "language": ("lang", "language"),
}
FieldMap = Mapping[str, str]


def check_field_map(field_map: Mapping[str, object]) -> dict[str, str]:
    """``field_map`` as a plain dict, or :class:`SettingsError` saying what is wrong."""
    if not isinstance(field_map, Mapping):
        raise SettingsError(f"a field map maps field names to record keys, not {field_map!r}")
    out: dict[str, str] = {}
    for field, key in field_map.items():
        if field not in MAPPABLE_FIELDS:
            raise SettingsError(
                f"field map: no field {field!r}; map one of {', '.join(MAPPABLE_FIELDS)}"
            )
        if not isinstance(key, str) or not key.strip():
            raise SettingsError(f"field map: {field!r} needs a record key, not {key!r}")
        out[field] = key.strip()
    return out


class JsonlLoader:
    """Loads ``.jsonl`` / ``.ndjson`` files: a document per line."""

    name: str = "jsonl"
    suffixes: tuple[str, ...] = (".jsonl", ".ndjson")

    def __init__(self, field_map: FieldMap | None = None) -> None:
        self.field_map: dict[str, str] = dict(field_map or {})

    def mapped(self, field_map: FieldMap) -> JsonlLoader:
        """This loader reading the record keys ``field_map`` names."""
        return type(self)(field_map)

    def load(
        self, path: Path, text: str, content_hash: str, encoding: str
    ) -> Iterator[Document | Skipped]:
        records = _Records(self, path, content_hash, encoding)
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
            except ValueError as exc:  # a number too long to convert (over 4,300 digits)
                reason = str(exc).split(";")[0].split(":")[0]
                yield Skipped(str(path), f"line {number}: invalid JSON: {reason}")
                continue
            yield records.document(record, number)


class JsonLoader(JsonlLoader):
    """Loads ``.json`` files: one record, or an array of records."""

    name: str = "json"
    suffixes: tuple[str, ...] = (".json",)

    def load(
        self, path: Path, text: str, content_hash: str, encoding: str
    ) -> Iterator[Document | Skipped]:
        records = _Records(self, path, content_hash, encoding)
        starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        try:
            found = list(_array_items(text))
        except json.JSONDecodeError as exc:
            yield Skipped(str(path), f"line {exc.lineno}: invalid JSON: {exc.msg}")
            return
        except RecursionError:
            yield Skipped(str(path), "invalid JSON (nested too deeply)")
            return
        except ValueError as exc:  # a number too long to convert (over 4,300 digits)
            reason = str(exc).split(";")[0].split(":")[0]
            yield Skipped(str(path), f"invalid JSON: {reason}")
            return
        for at, record in found:
            yield records.document(record, _line_of(starts, at))


def _array_items(text: str) -> Iterator[tuple[int, Any]]:
    """``(offset, value)`` of each item of the top-level array in ``text`` (or of its one
    value when that is not an array), read one at a time to know where each starts."""
    decoder = json.JSONDecoder()
    i = _skip_space(text, 0)
    if not text.startswith("[", i):
        value, end = decoder.raw_decode(text, i)
        if text[_skip_space(text, end) :]:
            raise json.JSONDecodeError("extra data after the value", text, end)
        yield i, value
        return
    i = _skip_space(text, i + 1)
    if text.startswith("]", i):
        return
    while True:
        value, end = decoder.raw_decode(text, i)
        yield i, value
        i = _skip_space(text, end)
        if text.startswith(",", i):
            i = _skip_space(text, i + 1)
        elif text.startswith("]", i):
            if text[_skip_space(text, i + 1) :]:
                raise json.JSONDecodeError("extra data after the array", text, i + 1)
            return
        else:
            raise json.JSONDecodeError("expected ',' or ']'", text, i)


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def _line_of(starts: list[int], offset: int) -> int:
    from bisect import bisect_right

    return bisect_right(starts, offset)


class _Records:
    """Turns the records of one file into documents, through the loader's field map."""

    def __init__(self, loader: JsonlLoader, path: Path, content_hash: str, encoding: str) -> None:
        self.keys = {f: (m,) for f, m in loader.field_map.items()}
        self.format = loader.name
        self.path = path
        self.content_hash = content_hash
        self.encoding = encoding
        self.seen: dict[str, int] = {}  # record id -> the line that first used it

    def _keys(self, field: str) -> tuple[str, ...]:
        return self.keys.get(field) or MAPPABLE_FIELDS[field]

    def _first(self, record: dict[str, Any], field: str) -> str | None:
        for key in self._keys(field):
            value = _get(record, key)
            if isinstance(value, str) and (text := collapse(value)):
                return text
        return None

    def document(self, record: object, number: int) -> Document | Skipped:
        path = self.path
        if not isinstance(record, dict):
            kind = type(record).__name__
            return Skipped(str(path), f"line {number}: not a JSON object (a {kind})")
        body = next(
            (v for k in self._keys("text") if isinstance(v := _get(record, k), str) and v.strip()),
            None,
        )
        if body is None:
            keys = "/".join(self._keys("text"))
            return Skipped(str(path), f"line {number}: no text (no {keys} string)")
        record_id = _first_id(record, self._keys("id"))
        if record_id is not None:
            if record_id in self.seen:
                return Skipped(
                    str(path),
                    f"line {number}: duplicate id {record_id!r} (first on line "
                    f"{self.seen[record_id]})",
                )
            self.seen[record_id] = number
        key = f"id:{record_id}" if record_id is not None else f"line:{number}"
        source = self._first(record, "source_url")
        date = self._first(record, "published")
        value = next((v for k in self._keys("author") if (v := _get(record, k))), None)
        return Document(
            id=document_id(path, key),
            path=str(path),
            title=self._first(record, "title") or record_id or f"{path.stem} line {number}",
            paragraphs=paragraphs_from_blocks(body, list(split_lines(body))),
            author=author_names(value),
            authors=author_list(value),
            published=parse_article_date(date) if date else None,
            source_url=source,
            source_domain=domain_of(source),
            disclaimer=self._first(record, "disclaimer"),
            content_hash=self.content_hash,
            format=self.format,
            encoding=self.encoding,
            record_line=number,
            language=normalize_language(self._first(record, "language")),
        )


def _get(record: dict[str, Any], key: str) -> object:
    """``record[key]``; a dotted key reaches into nested objects (``meta.title``) when no
    key holds the dots itself."""
    if key in record or "." not in key:
        return record.get(key)
    value: object = record
    for part in key.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _first_id(record: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = _get(record, key)
        if isinstance(value, bool):
            continue
        if isinstance(value, int | str) and str(value).strip():
            return str(value).strip()
    return None
