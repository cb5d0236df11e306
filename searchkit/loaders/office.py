"""Word (``.docx``) and OpenDocument text (``.odt``) files: paragraphs and headings.

Both are zip archives of XML, read with the standard library's ``zipfile`` within the
limits of :class:`._binary.ZipParts` and parsed as a stream with ``defusedxml`` (in the
``documents`` extra), document type declarations forbidden.  Each paragraph and heading
is a paragraph (table cells' paragraphs too, in order); ``start``/``end`` index into
the extracted text (``models.extracted_text``).

- DOCX: ``word/document.xml``'s ``w:p`` elements, the text of their ``w:t`` runs, tabs
  and breaks read as spaces.  Title, author and date from ``docProps/core.xml``
  (``dc:title``, ``dc:creator``, ``dcterms:created``); without a title, the first
  paragraph in the ``Title`` style, else the file name.
- ODT: ``content.xml``'s ``text:p`` and ``text:h`` elements (``text:s``, tabs and line
  breaks read as spaces).  Title, author and date from ``meta.xml`` (``dc:title``,
  ``meta:initial-creator`` or ``dc:creator``, ``meta:creation-date`` or ``dc:date``);
  without a title, the first heading, else the file name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .._dates import parse_article_date
from ..errors import DocumentError
from ..models import Skipped
from ._base import collapse, listed_authors, normalize_language
from ._binary import (
    BinaryLoader,
    Block,
    Loaded,
    TextBudget,
    ZipParts,
    local,
    paragraphs_read,
    zip_parts,
)

__all__ = ["DocxLoader", "OdtLoader"]

_SPACES = frozenset({"tab", "br", "cr", "s", "line-break"})
# Inside an ODT paragraph, what is not its text: a comment, a footnote (its number; its
# paragraphs are read on their own).
_ASIDE = frozenset({"annotation", "note"})


class _ZipDocument(BinaryLoader):
    """What the DOCX and ODT loaders share: checks, the metadata part, the document."""

    body_part = ""
    meta_part = ""
    paragraph_tags: frozenset[str] = frozenset()
    # Elements whose paragraphs are not the document's text (local names).
    skipped_tags: frozenset[str] = frozenset()
    title_keys: tuple[str, ...] = ("title",)
    author_keys: tuple[str, ...] = ()
    date_keys: tuple[str, ...] = ()

    def load_bytes(self, path: Path, data: bytes, content_hash: str) -> Loaded:
        parts = zip_parts(path, data, self.name.upper())
        if not parts.has(self.body_part):
            raise DocumentError(path, f"not {self.what} (no {self.body_part})")
        meta = self._meta(path, parts) if parts.has(self.meta_part) else {}
        budget = TextBudget()
        blocks: list[Block] = []
        title_para: str | None = None
        notes: list[Skipped] = []
        for text, is_title in self._paragraphs(parts):
            if not budget.take(text):
                notes.append(Skipped(str(path), budget.reason, "note"))
                break
            if is_title and title_para is None and collapse(text):
                title_para = collapse(text)
            blocks.append((text, None, None))
        paragraphs = paragraphs_read(path, blocks, [], "no text to index")
        yield from notes
        yield self.document(
            path,
            paragraphs,
            content_hash,
            title=_first(meta, self.title_keys) or title_para or path.stem,
            authors=listed_authors(_first(meta, self.author_keys)),
            published=_date(_first(meta, self.date_keys)),
            language=normalize_language(meta.get("language")),
        )

    def _meta(self, path: Path, parts: ZipParts) -> dict[str, str]:
        """Local element name -> its text, the first of each, from the metadata part."""
        found: dict[str, str] = {}
        for event, key, el in parts.events(self.meta_part):
            if event == "end" and key not in found and (text := collapse(el.text or "")):
                found[key] = text
        return found

    def _paragraphs(self, parts: ZipParts) -> Iterator[tuple[str, bool]]:
        """``(text, is_title)`` of each paragraph in document order, but those inside a
        :attr:`skipped_tags` element (text that is not the document's).

        Whatever ended outside a paragraph is dropped from the tree once read, so memory
        stays flat however long the document (only the paragraphs were cleared, and
        other elements kept: ten million empty ones, 88 KB zipped, held 889 MB)."""
        started: list[Any] = []  # the elements open now, outermost first
        skipping = 0  # of them, skipped ones
        within = 0  # of them, paragraphs
        for event, name, el in parts.events(self.body_part):
            if event == "start":
                started.append(el)
                skipping += name in self.skipped_tags
                within += name in self.paragraph_tags
                continue
            started.pop()
            skipping -= name in self.skipped_tags
            if name in self.paragraph_tags:
                within -= 1
                if not skipping:
                    yield self._text(el), self._is_title(el)
                el.clear()
            if not within and started:
                started[-1].clear()  # what ended is read: keep nothing of it

    def _is_title(self, el: Any) -> bool:
        return False

    def _text(self, el: Any) -> str:
        return _odt_text(el)


class DocxLoader(_ZipDocument, name="docx", suffixes=(".docx",), what="a DOCX file"):
    """Loads Word ``.docx`` files (needs the ``documents`` extra)."""

    body_part = "word/document.xml"
    meta_part = "docProps/core.xml"
    paragraph_tags = frozenset({"p"})
    # A text box is written twice: for Word 2010 on (mc:Choice) and before (mc:Fallback).
    skipped_tags = frozenset({"Fallback"})
    author_keys = ("creator",)
    date_keys = ("created",)

    def _text(self, el: Any) -> str:
        return _docx_text(el)

    def _is_title(self, el: Any) -> bool:
        for child in el:
            if local(child.tag) == "pPr":
                for prop in child:
                    if local(prop.tag) == "pStyle":
                        style = next((v for k, v in prop.attrib.items() if local(k) == "val"), "")
                        return str(style).lower() == "title"
        return False


class OdtLoader(_ZipDocument, name="odt", suffixes=(".odt",), what="an ODT file"):
    """Loads OpenDocument ``.odt`` text files (needs the ``documents`` extra)."""

    body_part = "content.xml"
    meta_part = "meta.xml"
    paragraph_tags = frozenset({"p", "h"})
    # Deleted text kept for tracked changes, and comments (their paragraphs).
    skipped_tags = frozenset({"tracked-changes", "annotation"})
    author_keys = ("initial-creator", "creator")
    date_keys = ("creation-date", "date")

    def _is_title(self, el: Any) -> bool:
        return local(el.tag) == "h"


def _docx_text(el: Any) -> str:
    """A ``w:p``'s words: its ``w:t`` runs, tabs and breaks as spaces (deleted text and
    field codes are other elements, so left out)."""
    parts: list[str] = []
    for node in el.iter():
        name = local(node.tag)
        if name == "t":
            parts.append(node.text or "")
        elif name in _SPACES:
            parts.append(" ")
    return "".join(parts)


def _odt_text(el: Any) -> str:
    """A ``text:p``'s or ``text:h``'s words: all its text, ``text:s`` (``c`` spaces),
    tabs and line breaks as spaces; paragraphs nested in it were read and cleared, and a
    comment or a footnote in it (its author, date and number) is not its text."""
    parts: list[str] = []
    stack: list[tuple[Any, bool]] = [(el, False)]
    while stack:
        node, tail = stack.pop()
        if tail:
            parts.append(node.tail or "")
            continue
        if node is not el:
            stack.append((node, True))
        name = local(node.tag)
        if name in _SPACES:
            parts.append(" ")
            continue
        if name in _ASIDE and node is not el:
            continue
        parts.append(node.text or "")
        stack.extend((child, False) for child in reversed(list(node)))
    return "".join(parts)


def _first(meta: dict[str, str], keys: tuple[str, ...]) -> str | None:
    return next((meta[k] for k in keys if meta.get(k)), None)


def _date(value: str | None) -> dt.datetime | None:
    return parse_article_date(value) if value else None
