"""What the loaders of binary formats share: limits, safe zip and XML reading, paragraphs.

PDF, DOCX, ODT and EPUB files are not text, so their paragraphs' ``start``/``end`` index
into the *extracted text*: the paragraphs joined by blank lines
(``models.extracted_text``).  :func:`extracted_paragraphs` numbers them so.

Hostile files are bounded here, before any work grows with them:

- a zip archive (DOCX, ODT, EPUB) is checked from its directory first (members, declared
  sizes), and every part read is counted byte by byte as it unpacks, so a member whose
  directory entry lies is stopped at the limit too (:class:`ZipParts`);
- XML is parsed with ``defusedxml`` with document type declarations forbidden, so an
  entity bomb ("billion laughs") or an external entity is refused before expanding, and
  an element of more than :data:`MAX_XML_ATTRIBUTES` attributes is refused before the
  parser reaches it (:class:`_AttributeBound`);
- the text taken from one file is capped (:data:`MAX_TEXT_CHARS`).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from ..errors import DocumentError
from ..models import Document, Paragraph, Skipped
from ._base import collapse, document_id

__all__ = [
    "EXTRA",
    "MAX_PART_BYTES",
    "MAX_TEXT_CHARS",
    "MAX_UNPACKED_BYTES",
    "MAX_XML_ATTRIBUTES",
    "MAX_ZIP_MEMBERS",
    "BinaryLoader",
    "Block",
    "TextBudget",
    "ZipParts",
    "extracted_paragraphs",
    "iterparse",
    "Loaded",
    "documents_extra",
    "needs_extra",
    "paragraphs_read",
    "zip_parts",
]

EXTRA = "pip install 'searchkit[documents]'"
# One part of a zip (a DOCX's word/document.xml, an EPUB chapter) may unpack to this much.
MAX_PART_BYTES = 64 * 1024 * 1024
# All the parts read from one zip together, and all its members as its directory declares.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MAX_ZIP_MEMBERS = 10_000
# The attributes one XML element may have.  ElementTree builds an element's attributes
# at about 20 us apiece: one paragraph of 2 million (22 MiB of XML, a 4.6 MB DOCX) took
# 40 s and 840 MiB.  The parts of real documents give an element a few dozen.
MAX_XML_ATTRIBUTES = 10_000
# Text taken from one file; past it the rest of the file is left out and reported.
MAX_TEXT_CHARS = 16 * 1024 * 1024
_READ = 64 * 1024

Block = tuple[str, int | None, str | None]  # (text, page, chapter)


# What a loader yields for one file: its documents, and notes or skips.
Loaded = Iterator[Document | Skipped]


def needs_extra(path: Path, what: str, exc: ImportError) -> DocumentError:
    """The one-line reason a file is skipped when the ``documents`` extra is missing."""
    missing = exc.name or "a library"
    return DocumentError(path, f"{what} files need the documents extra ({missing}): {EXTRA}")


@contextmanager
def documents_extra(path: Path, what: str) -> Iterator[None]:
    """Imports in the block that fail raise :func:`needs_extra`'s reason (``what``: the
    kind of file, ``"PDF"``)."""
    try:
        yield
    except ImportError as exc:
        raise needs_extra(path, what, exc) from None


class BinaryLoader:
    """The part every loader of a binary format shares: such a file is read from its
    bytes (``load_bytes``), never as text, and its document is made of the blocks read."""

    name: str = ""
    suffixes: tuple[str, ...] = ()
    what: str = "a file"  # the kind of file, as the message of a text read names it

    def __init_subclass__(
        cls, *, name: str = "", suffixes: tuple[str, ...] = (), what: str = "", **kw: Any
    ) -> None:
        """A loader names its format in its header: ``class PdfLoader(BinaryLoader,
        name="pdf", suffixes=(".pdf",), what="a PDF")`` (class attributes work too)."""
        super().__init_subclass__(**kw)
        cls.name = name or cls.name
        cls.suffixes = suffixes or cls.suffixes
        cls.what = what or cls.what

    def load(self, path: Path, text: str, content_hash: str, encoding: str) -> Loaded:
        raise DocumentError(path, f"{self.what} is read from its bytes (load_bytes)")

    def document(
        self, path: Path, paragraphs: tuple[Paragraph, ...], content_hash: str, **fields: Any
    ) -> Document:
        """The document of ``paragraphs`` (from :func:`paragraphs_read`), with ``fields``."""
        return Document(
            id=document_id(path),
            path=str(path),
            paragraphs=paragraphs,
            content_hash=content_hash,
            format=self.name,
            encoding="binary",
            **fields,
        )


def paragraphs_read(
    path: Path, blocks: Iterable[Block], notes: list[Skipped], empty: str
) -> tuple[Paragraph, ...]:
    """The paragraphs of ``blocks`` (:func:`extracted_paragraphs`); a
    :class:`DocumentError` when they hold no text: the first of the ``notes`` taken while
    reading says why, else ``empty`` does."""
    paragraphs = extracted_paragraphs(blocks)
    if not paragraphs:
        if notes:
            raise DocumentError(path, f"no text read ({notes[0].reason})")
        raise DocumentError(path, empty)
    return paragraphs


class TextBudget:
    """Counts the characters taken from one file against :data:`MAX_TEXT_CHARS`."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = MAX_TEXT_CHARS if limit is None else limit
        self.used = 0

    def take(self, text: str) -> bool:
        """Count ``text``; false once the file's text is over the limit (leave it out)."""
        self.used += len(text)
        return self.used <= self.limit

    @property
    def reason(self) -> str:
        return f"text past {self.limit:,} characters left out (limit MAX_TEXT_CHARS)"


def extracted_paragraphs(blocks: Iterable[Block]) -> tuple[Paragraph, ...]:
    """Number ``(text, page, chapter)`` blocks as paragraphs whose offsets index into
    their extracted text (the texts joined by blank lines); blank blocks are dropped and
    white space is collapsed."""
    out: list[Paragraph] = []
    at = 0
    for text, page, chapter in blocks:
        text = collapse(text)
        if not text:
            continue
        if out:
            at += 2  # the blank line between two paragraphs
        out.append(Paragraph(len(out) + 1, text, at, at + len(text), page=page, chapter=chapter))
        at += len(text)
    return tuple(out)


class _Counted(io.RawIOBase):
    """A zip member's stream that stops with :class:`DocumentError` past ``limit`` bytes,
    whatever the zip's directory declared."""

    def __init__(self, raw: IO[bytes], limit: int, path: Path, name: str) -> None:
        self.raw, self.limit, self.path, self.name = raw, limit, path, name
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(min(len(buffer), _READ))
        self.count += len(data)
        if self.count > self.limit:
            raise DocumentError(
                self.path, f"zip bomb: {self.name} unpacks past {self.limit:,} bytes"
            )
        buffer[: len(data)] = data
        return len(data)


class ZipParts:
    """A zip archive read within limits (see the module docstring).

    Raises :class:`DocumentError` for a damaged zip, too many members, or members that
    declare (or turn out to unpack to) more than the limits.
    """

    def __init__(self, path: Path, data: bytes, what: str) -> None:
        self.path = path
        self.read_total = 0
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
            raise DocumentError(path, f"damaged {what} file (not a readable zip: {exc})") from None
        if len(infos) > MAX_ZIP_MEMBERS:
            raise DocumentError(
                path, f"zip bomb: {len(infos):,} members (limit {MAX_ZIP_MEMBERS:,})"
            )
        declared = sum(i.file_size for i in infos)
        if declared > MAX_UNPACKED_BYTES:
            raise DocumentError(
                path,
                f"zip bomb: its members unpack to {declared:,} bytes "
                f"(limit {MAX_UNPACKED_BYTES:,})",
            )
        self.names = {i.filename for i in infos}

    def has(self, name: str) -> bool:
        return name in self.names

    def open(self, name: str) -> IO[bytes]:
        """A stream of member ``name``, counted against the per-part and total limits."""
        if name not in self.names:
            raise DocumentError(self.path, f"damaged file: no {name} in the zip")
        info = self.zip.getinfo(name)
        limit = min(MAX_PART_BYTES, MAX_UNPACKED_BYTES - self.read_total)
        if info.file_size > limit:
            raise DocumentError(
                self.path, f"zip bomb: {name} unpacks to {info.file_size:,} bytes (limit {limit:,})"
            )
        try:
            raw = self.zip.open(info)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError) as exc:
            raise DocumentError(self.path, f"damaged zip member {name}: {exc}") from None
        self.read_total += info.file_size
        return io.BufferedReader(_Counted(raw, limit, self.path, name), _READ)

    def read(self, name: str) -> bytes:
        with self.open(name) as f:
            return f.read()

    def events(self, name: str) -> Iterator[tuple[str, str, Any]]:
        """``(event, local name, element)`` of XML member ``name``'s elements, as
        :func:`iterparse` parses them."""
        with self.open(name) as f:
            for event, el in iterparse(self.path, f, name):
                yield event, local(el.tag), el


def zip_parts(path: Path, data: bytes, what: str) -> ZipParts:
    """The parts of ``data``, a document made of zipped XML (``what``: ``"EPUB"``), read
    within the limits; first the ``documents`` extra, whose ``defusedxml`` parses them,
    must be installed (:func:`needs_extra`'s reason if not)."""
    with documents_extra(path, what):
        import defusedxml  # noqa: F401
    return ZipParts(path, data, what)


def iterparse(path: Path, source: IO[bytes], part: str) -> Iterator[tuple[str, Any]]:
    """``(event, element)`` pairs (``start`` and ``end``) of an XML part, parsed with
    document type declarations forbidden (no entity can expand) and elements of at most
    :data:`MAX_XML_ATTRIBUTES` attributes, errors as :class:`DocumentError` naming the
    part."""
    from defusedxml import DefusedXmlException
    from defusedxml import ElementTree as SafeTree

    bounded = _AttributeBound(source, path, part)
    try:
        yield from SafeTree.iterparse(bounded, events=("start", "end"), forbid_dtd=True)
    except DefusedXmlException as exc:
        raise DocumentError(
            path, f"{part}: XML with a document type or entities refused ({exc})"
        ) from None
    except SafeTree.ParseError as exc:
        raise DocumentError(path, f"{part}: damaged XML ({exc})") from None


def local(tag: str) -> str:
    """An element's name without its namespace: ``{urn:...}p`` -> ``p``."""
    return tag.rpartition("}")[2]


class _AttributeBound:
    """An XML part's bytes, read through, stopped with :class:`DocumentError` at an
    element of more than :data:`MAX_XML_ATTRIBUTES` attributes, before the parser builds
    them: its ``=`` signs between a ``<`` and the next ``>`` are counted (a value may hold
    a few more), across reads, by scans that take no longer than the bytes."""

    # A ``<`` followed by more ``=`` signs than the limit before any ``<`` or ``>``.
    _MANY = re.compile(rb"<(?:[^<>=]*=){%d}" % (MAX_XML_ATTRIBUTES + 1))

    def __init__(self, source: IO[bytes], path: Path, part: str) -> None:
        self.source, self.path, self.part = source, path, part
        self.signs = -1  # in the markup still open at the last read's end (-1: none)

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        opened, closed = data.rfind(b"<"), data.rfind(b">")
        if self.signs >= 0:  # the open markup goes on to this read's first < or >
            ends = [i for i in (data.find(b"<"), data.find(b">")) if i >= 0]
            self.signs += data.count(b"=", 0, min(ends, default=len(data)))
            self._check(self.signs)
        if opened > closed:
            self.signs = data.count(b"=", opened)
        elif closed > opened:
            self.signs = -1
        if self._MANY.search(data):
            self._check(MAX_XML_ATTRIBUTES + 1)
        return data

    def _check(self, signs: int) -> None:
        if signs > MAX_XML_ATTRIBUTES:
            raise DocumentError(
                self.path,
                f"{self.part}: an XML element with more than {MAX_XML_ATTRIBUTES:,} "
                "attributes refused",
            )
