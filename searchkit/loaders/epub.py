"""EPUB books: the chapters in reading (spine) order, each paragraph knowing its chapter.

An EPUB is a zip: ``META-INF/container.xml`` names the package file (OPF), whose
metadata gives the title (``dc:title``), author (``dc:creator``, several joined) and
date (``dc:date``), whose manifest names the chapter files and whose spine orders them.
Zip and XML are read within the limits of :mod:`._binary` (``defusedxml``, in the
``documents`` extra, with document type declarations forbidden); chapter files are
XHTML, read by the HTML loader's text extraction (which expands no custom entities).

One book is one document; every paragraph carries its ``chapter``: the chapter's first
heading, else its ``<title>`` when that is not the book's title, else ``Chapter N`` (its
place in the spine).  ``start``/``end`` index into the extracted text
(``models.extracted_text``).  A chapter that cannot be read is left out and reported.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from urllib.parse import unquote

from .._dates import parse_article_date
from ..errors import DocumentError
from ..models import Skipped
from ._base import collapse, decode, normalize_language
from ._binary import BinaryLoader, Block, Loaded, TextBudget, ZipParts, paragraphs_read, zip_parts
from .html import HtmlLoader, read_page

__all__ = ["EpubLoader"]

_CONTAINER = "META-INF/container.xml"
_HTML_TYPES = ("application/xhtml+xml", "text/html")
# Spine entries naming no manifest item named in their note; the rest counted.
_NAMED = 5


class EpubLoader(BinaryLoader, name="epub", suffixes=(".epub",), what="an EPUB file"):
    """Loads ``.epub`` books (needs the ``documents`` extra)."""

    def load_bytes(self, path: Path, data: bytes, content_hash: str) -> Loaded:
        parts = zip_parts(path, data, "EPUB")
        if not parts.has(_CONTAINER):
            raise DocumentError(path, f"not an EPUB file (no {_CONTAINER})")
        opf = _rootfile(path, parts)
        book = _Package(path, parts, opf)
        budget = TextBudget()
        blocks: list[Block] = []
        notes = _spine_notes(path, book)
        for number, href in enumerate(book.spine, 1):
            try:
                chapter, texts = _chapter(path, parts, href, number, book.title)
            except DocumentError as exc:
                notes.append(Skipped(str(path), f"chapter {number} ({href}): {exc.reason}", "note"))
                continue
            if not budget.take("".join(texts)):
                notes.append(
                    Skipped(str(path), f"chapters from {number} on: {budget.reason}", "note")
                )
                break
            blocks.extend((text, None, chapter) for text in texts)
        paragraphs = paragraphs_read(path, blocks, notes, "no text to index")
        yield from notes
        yield self.document(
            path,
            paragraphs,
            content_hash,
            title=book.title or path.stem,
            authors=tuple(book.creators),
            published=parse_article_date(book.date) if book.date else None,
            language=normalize_language(book.language),
        )


def _rootfile(path: Path, parts: ZipParts) -> str:
    for event, name, el in parts.events(_CONTAINER):
        if event == "start" and name == "rootfile":
            full = el.attrib.get("full-path")
            if full:
                return str(full)
    raise DocumentError(path, f"damaged EPUB file ({_CONTAINER} names no package file)")


class _Package:
    """The package (OPF) file: metadata, manifest and spine."""

    def __init__(self, path: Path, parts: ZipParts, opf: str) -> None:
        self.title: str | None = None
        self.creators: list[str] = []
        self.date: str | None = None
        self.language: str | None = None
        manifest: dict[str, tuple[str, str]] = {}
        order: list[str] = []
        base = posixpath.dirname(opf)
        for event, name, el in parts.events(opf):
            if event != "end":
                continue
            text = collapse(el.text or "")
            if name == "title" and text and self.title is None:
                self.title = text
            elif name == "creator" and text:
                self.creators.append(text)
            elif name == "date" and text and self.date is None:
                self.date = text
            elif name == "language" and text and self.language is None:
                self.language = text
            elif name == "item":
                href = unquote(el.attrib.get("href", "")).partition("#")[0]
                target = posixpath.normpath(posixpath.join(base, href))
                manifest[el.attrib.get("id", "")] = (target, el.attrib.get("media-type", ""))
            elif name == "itemref":
                order.append(el.attrib.get("idref", ""))
        # Each chapter once, where the spine first names it: a spine that names one
        # chapter 50,000 times (a 3.6 KB file) read it 50,000 times.
        listed = dict.fromkeys(i for i in order if i in manifest)
        self.spine = [manifest[i][0] for i in listed if manifest[i][1] in _HTML_TYPES]
        self.repeated = sum(i in manifest for i in order) - len(listed)  # names again
        # Spine entries naming no manifest item: said, not silently dropped.
        self.unlisted = list(dict.fromkeys(i for i in order if i not in manifest))


def _spine_notes(path: Path, book: _Package) -> list[Skipped]:
    """What the spine names that is left out: entries naming no manifest item (the
    first few by name, in one note), and chapters named again."""
    notes = []
    unlisted = book.unlisted
    if len(unlisted) == 1:
        reason = f"spine entry {unlisted[0]!r} names no manifest item, left out"
        notes.append(Skipped(str(path), reason, "note"))
    elif unlisted:
        names = ", ".join(map(repr, unlisted[:_NAMED]))
        names += ", ..." if len(unlisted) > _NAMED else ""
        reason = f"{len(unlisted):,} ids in the spine name no manifest item, left out: {names}"
        notes.append(Skipped(str(path), reason, "note"))
    if book.repeated:
        reason = f"{book.repeated:,} spine entries name a chapter again: each chapter read once"
        notes.append(Skipped(str(path), reason, "note"))
    return notes


def _chapter(
    path: Path, parts: ZipParts, href: str, number: int, book_title: str | None
) -> tuple[str, list[str]]:
    """A chapter's name and paragraphs."""
    data = parts.read(href)
    text, _ = decode(data, f"{path}: {href}", HtmlLoader().declared_encoding(data))
    page = read_page(text, path)
    texts = [p.text for p in page.paragraphs]
    heading = next((p.text for p in page.paragraphs if p.level), None)
    own_title = page.meta_title()
    if own_title and book_title and own_title.casefold() == book_title.casefold():
        own_title = None
    return heading or own_title or f"Chapter {number}", texts
