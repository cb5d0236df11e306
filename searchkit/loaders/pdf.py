"""PDF files: the text layer, one paragraph per text block, the page on every paragraph.

Read with pypdf (pure Python, in the ``documents`` extra).  A *text block* is the text of
one or more PDF text objects (``BT`` ... ``ET``) that go on from one another: on the same
line, or the next line down in the same size of type (LibreOffice and Word write an
object a line); a move of more than one and a half lines, back up the page, or to another
size starts another (:class:`_Blocks`).
A word the typesetter broke at a line's end (``Wider-`` / ``spruch``) is made whole, and
ligatures (``ﬁ``) are written as their letters (:func:`typeset_text`).  Each paragraph
carries its page (1-based); ``start``/``end`` index into the extracted text
(``models.extracted_text``).

Title, author and date come from the document information dictionary, else from its XMP
metadata (``dc:title``, ``dc:creator``, ``xmp:CreateDate``), else the title is the file
name (so is it for a placeholder title, ReportLab's ``untitled``).  Skipped, with the
reason: encrypted files that need a password (files encrypted with an empty user
password are read), files without any text (``no text layer``: a scanned PDF; searchkit
does no OCR), damaged files.  A page whose content stream unpacks past
:data:`MAX_PAGE_STREAM_BYTES` is left out and reported; the other pages load.  The
pages' streams together are read up to :data:`MAX_FILE_STREAM_BYTES` (the pages after
are left out and reported), and a stream several pages share (with the same resources)
is read once: pypdf reads drawing operators at about a megabyte in ten seconds, and a
few kilobytes of PDF, two thousand pages sharing one 8 MiB stream, took hours.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
from pathlib import Path
from typing import Any

from .._dates import parse_article_date
from ..analysis.folding import LIGATURES
from ..errors import DocumentError
from ..models import Skipped
from ._base import collapse, listed_authors
from ._binary import (
    BinaryLoader,
    Block,
    Loaded,
    TextBudget,
    documents_extra,
    iterparse,
    local,
    paragraphs_read,
)

__all__ = [
    "MAX_FILE_STREAM_BYTES",
    "MAX_PAGE_STREAM_BYTES",
    "MAX_XMP_BYTES",
    "PdfLoader",
    "typeset_text",
]

# One page's content stream, unpacked (pypdf itself stops any stream at 75 MB).
MAX_PAGE_STREAM_BYTES = 8 * 1024 * 1024
# Every page's, each stream counted once.
MAX_FILE_STREAM_BYTES = 32 * 1024 * 1024
MAX_XMP_BYTES = 1024 * 1024
_LINE_JUMP = 1.5  # a vertical move of more than this many font sizes starts a block
_SAME_LINE = 0.5  # text objects this many font sizes apart, or less, are on one line


class PdfLoader(BinaryLoader, name="pdf", suffixes=(".pdf",), what="a PDF"):
    """Loads ``.pdf`` files (needs the ``documents`` extra)."""

    def load_bytes(self, path: Path, data: bytes, content_hash: str) -> Loaded:
        with documents_extra(path, "PDF"):
            import pypdf
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception as exc:  # an unknown or unsupported encryption
                raise DocumentError(path, f"encrypted PDF, cannot be opened ({exc})") from None
            if opened == pypdf.PasswordType.NOT_DECRYPTED:
                raise DocumentError(path, "encrypted PDF (needs a password)")
        blocks: list[Block] = []
        notes: list[Skipped] = []
        budget = TextBudget()
        streams = _Streams()
        for number, page in enumerate(reader.pages, 1):
            start = len(blocks)
            reason = streams.blocks(page, number, blocks)
            if reason == _SPENT:
                notes.append(Skipped(str(path), f"pages from {number} on: {reason}", "note"))
                break
            if reason:
                notes.append(Skipped(str(path), f"page {number}: {reason}", "note"))
            if not budget.take("".join(b[0] for b in blocks[start:])):  # this page's
                notes.append(Skipped(str(path), f"pages from {number} on: {budget.reason}", "note"))
                del blocks[start:]
                break
        paragraphs = paragraphs_read(
            path, blocks, notes, "no text layer (a scanned PDF? searchkit does no OCR)"
        )
        title, authors, published = _metadata(reader, path)
        yield from notes
        yield self.document(
            path,
            paragraphs,
            content_hash,
            title=title or path.stem,
            authors=authors,
            published=published,
        )


_MAX_RESOURCES_KEY = 65536
_SPENT = f"the content streams read pass {MAX_FILE_STREAM_BYTES:,} bytes, left out"


class _Streams:
    """The pages' content streams read so far: their bytes, and each one's text blocks
    by what it is (its objects and the page's resources)."""

    def __init__(self) -> None:
        self.read = 0
        self.texts: dict[object, list[str]] = {}

    def blocks(self, page: Any, number: int, blocks: list[Block]) -> str | None:
        """Add one page's text blocks to ``blocks``; the reason when the page is left
        out (:data:`_SPENT`: this page and those after it)."""
        key = _stream_key(page)
        texts = self.texts.get(key) if key is not None else None
        if texts is None:
            try:
                contents = page.get_contents()
                size = len(contents.get_data()) if contents is not None else 0
            except Exception as exc:
                return f"content stream cannot be read ({collapse(str(exc))[:120]})"
            if size > MAX_PAGE_STREAM_BYTES:
                limit = MAX_PAGE_STREAM_BYTES
                return f"content stream of {size:,} bytes left out (limit {limit:,})"
            self.read += size
            if self.read > MAX_FILE_STREAM_BYTES:
                return _SPENT
            collector = _Blocks()
            try:
                # After each operator: pypdf hands over a text object's last piece of
                # text as it ends it (at ``ET``), which before ``ET`` went to the next block.
                page.extract_text(
                    visitor_operand_after=collector.operator, visitor_text=collector.text
                )
            except Exception as exc:
                return f"text cannot be read ({collapse(str(exc))[:120]})"
            texts = collector.done()
            if key is not None:
                self.texts[key] = texts
        blocks.extend((text, number, None) for text in texts)
        return None


def _stream_key(page: Any) -> object | None:
    """What a page's text depends on: its content streams' object numbers and its
    resources (their object's number, or the dictionary written out); ``None`` when the
    contents are not numbered objects (then the page is read on its own)."""
    value = page.get("/Contents")
    refs = value if isinstance(value, list) else [value]
    if not all(hasattr(r, "idnum") for r in refs):
        return None
    resources = page.get("/Resources")
    if hasattr(resources, "idnum"):
        held: object = (resources.idnum, resources.generation)
    else:
        held = repr(resources)
        if len(held) > _MAX_RESOURCES_KEY:
            return None
    return tuple((r.idnum, r.generation) for r in refs), held


# A word broken at a line's end by a hyphen, going on in lower case on the next line:
# what typesetting does to fit a line (``Wider-`` / ``spruchsbeweisen``, ``con-`` /
# ``sectetuer``), joined.  A capital after the break follows a compound's own hyphen
# (``Schwarz-`` / ``Weiß``, ``E-`` / ``Mail``), which stays, joined to it.  A soft hyphen
# at a line's end is always a break.
_BROKEN_WORD = re.compile(r"(?<=[^\W\d_])(?:-[ \t]*\n[ \t]*(?=[^\W\d_])|\xad[ \t]*\n[ \t]*)")
_LIGATURES = str.maketrans(LIGATURES)


def typeset_text(text: str) -> str:
    """A text block as its reader reads it: words broken across lines by the typesetter's
    hyphen made whole (a compound's hyphen kept), ligatures written as their letters."""
    if "\n" in text:
        text = _BROKEN_WORD.sub(_joined_word, text)
    return text.translate(_LIGATURES)


def _same_size(a: float, b: float) -> bool:
    """Whether two font sizes are one size of type (within a tenth)."""
    return abs(a - b) <= 0.1 * max(a, b)


def _joined_word(m: re.Match[str]) -> str:
    if m.group().startswith("\xad") or m.string[m.end() : m.end() + 1].islower():
        return ""
    return "-"


class _Blocks:
    """pypdf's visitor callbacks, gathering text pieces into blocks.

    Text goes on in the same block down a text object's lines, and into the next text
    object when that one starts on the same line (a styled word, a table's next cell: a
    space between) or on the next line down in the same size of type (LibreOffice and Word
    write an object a line: a line break between); a jump of more than
    :data:`_LINE_JUMP` font sizes, back up the page (a new column), or to another size (a
    heading and the text after it) starts a new block."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.parts: list[str] = []
        self.last_y: float | None = None
        self.last_height = 1.0
        self.ended = False  # the last piece's text object has ended

    def operator(self, op: bytes, args: Any, cm: Any, tm: Any) -> None:
        if op == b"ET":
            self.ended = True

    def text(self, text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        if not text:
            return
        try:
            y = float(tm[4]) * float(cm[1]) + float(tm[5]) * float(cm[3]) + float(cm[5])
            height = abs(float(size or 0) * float(tm[3] or 1) * float(cm[3] or 1)) or 1.0
        except (TypeError, ValueError, IndexError):
            y, height = 0.0, 1.0
        if text.strip():
            last = self.last_y
            if last is not None:
                drop = last - y
                if not self.ended:
                    if abs(drop) > _LINE_JUMP * height:
                        self.close()
                elif abs(drop) <= _SAME_LINE * height:
                    self._join(" ", text)
                elif 0 < drop <= _LINE_JUMP * height and _same_size(height, self.last_height):
                    self._join("\n", text)
                else:  # farther, back up, or another size of type (a heading and its text)
                    self.close()
            self.last_y = y
            self.last_height = height
            self.ended = False
        self.parts.append(text)

    def _join(self, between: str, text: str) -> None:
        """Go on from the last text object to ``text`` with ``between``, unless white
        space is there already."""
        if self.parts and not self.parts[-1][-1:].isspace() and not text[:1].isspace():
            self.parts.append(between)

    def close(self) -> None:
        text = "".join(self.parts)
        if text.strip():
            self.blocks.append(typeset_text(text))
        self.parts = []
        self.last_y = None
        self.ended = False

    def done(self) -> list[str]:
        self.close()
        return self.blocks


# Titles that tools write when none was given (ReportLab's default is "untitled"): the
# file's name says more.
_PLACEHOLDER_TITLES = frozenset({"untitled", "untitled document"})


def _metadata(reader: Any, path: Path) -> tuple[str | None, tuple[str, ...], dt.datetime | None]:
    """Title, authors and date from the information dictionary, else XMP (every
    ``dc:creator`` of its list)."""
    title = author = None
    published: dt.datetime | None = None
    try:
        info = reader.metadata
    except Exception:
        info = None
    if info is not None:
        title = _named(_text(info.get("/Title")))
        author = _text(info.get("/Author"))
        published = _pdf_date(info.get("/CreationDate"))
    if title is None or author is None or published is None:
        xmp = _xmp(reader, path)
        title = title or _named(xmp.get("title"))
        author = author or xmp.get("creator")
        published = published or parse_article_date(xmp.get("date") or "")
    return title, listed_authors(author), published


def _named(title: str | None) -> str | None:
    """``title``, unless it is a placeholder a tool wrote (then ``None``)."""
    return None if title is None or title.casefold() in _PLACEHOLDER_TITLES else title


def _text(value: object) -> str | None:
    if value is None:
        return None
    getter = getattr(value, "get_object", None)
    value = getter() if callable(getter) else value
    return collapse(str(value)) or None if isinstance(value, str) else None


def _pdf_date(value: object) -> dt.datetime | None:
    """``D:20240301093000+01'00'`` as a wall-clock time (the zone dropped, as elsewhere)."""
    text = _text(value)
    if not text:
        return None
    digits = text.removeprefix("D:")[:14]
    if not (digits.isascii() and digits.isdigit()) or len(digits) < 4:  # not '²²²²'
        return None
    parts = [int(digits[:4])] + [int(digits[i : i + 2]) for i in range(4, len(digits) - 1, 2)]
    parts += [1, 1][: max(0, 3 - len(parts))]
    try:
        return dt.datetime(*parts)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


_XMP_KEYS = {"title": "title", "creator": "creator", "CreateDate": "date", "date": "date"}


def _xmp(reader: Any, path: Path) -> dict[str, str]:
    """The first ``dc:title``, ``dc:creator`` and date of the XMP packet, read with DTDs
    forbidden; an unreadable packet gives nothing."""
    try:
        stream = reader.trailer["/Root"].get_object().get("/Metadata")
        if stream is None:
            return {}
        data = stream.get_object().get_data()
    except Exception:
        return {}
    if len(data) > MAX_XMP_BYTES:
        return {}
    found: dict[str, str] = {}
    try:
        for event, el in iterparse(path, io.BytesIO(data), "XMP metadata"):
            if event != "end":
                continue
            key = _XMP_KEYS.get(local(el.tag))
            if key and key not in found:
                # A list's items (rdf:li): every creator, the first title (of languages).
                items = [
                    collapse("".join(li.itertext())) for li in el.iter() if local(li.tag) == "li"
                ]
                items = [item for item in items if item]
                if items:
                    text = "\n".join(items) if key == "creator" else items[0]
                else:
                    text = collapse("".join(el.itertext()))
                if text:
                    found[key] = text
            for name, value in el.attrib.items():  # the short form: xmp:CreateDate="..."
                key = _XMP_KEYS.get(local(name))
                if key and key not in found and collapse(value):
                    found[key] = collapse(value)
    except DocumentError:
        return {}
    return found


# pypdf reports what it repairs in a damaged file through logging; without this handler
# Python's last-resort handler would print those warnings on every run's stderr.
logging.getLogger("pypdf").addHandler(logging.NullHandler())
