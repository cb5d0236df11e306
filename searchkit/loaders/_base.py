"""What every loader shares: the interface, byte decoding, and line/paragraph helpers."""

from __future__ import annotations

import codecs
import hashlib
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

from ..errors import DocumentError
from ..models import Document, Paragraph, Skipped

__all__ = [
    "DeclaresEncoding",
    "Loader",
    "ReadsBytes",
    "author_list",
    "author_names",
    "split_authors",
    "collapse",
    "decode",
    "document_id",
    "domain_of",
    "first_text",
    "invalid_utf8",
    "listed_authors",
    "normalize_language",
    "paragraphs_from_blocks",
    "split_lines",
    "stripped",
]

_SNIFF = 8192
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_NEWLINE = re.compile(r"\r\n|\r|\n")


@runtime_checkable
class Loader(Protocol):
    """Turns one file's decoded text into documents.

    ``name`` labels the format in reports and stored metadata; ``suffixes`` are the file
    endings a folder walk picks this loader for (lower case, with the dot).
    """

    name: str
    suffixes: tuple[str, ...]

    def load(
        self, path: Path, text: str, content_hash: str, encoding: str
    ) -> Iterator[Document | Skipped]:
        """Yield the documents in ``text`` (most formats hold exactly one).

        A format that holds many records in one file yields a :class:`Skipped` for each
        record it cannot use (``reason`` names the record, e.g. ``line 3: ...``) and goes
        on with the rest; the index report lists them.  Raise :class:`DocumentError` only
        when the whole file is unusable.
        """
        ...


@runtime_checkable
class DeclaresEncoding(Protocol):
    """A loader whose format can name its own encoding (an HTML ``<meta charset>``)."""

    def declared_encoding(self, data: bytes) -> str | None:
        """The encoding ``data`` says it is in, or ``None``."""
        ...


@runtime_checkable
class ReadsBytes(Protocol):
    """A loader for a format whose bytes are not text (PDF, zip-based documents, e-mail).

    ``load_file`` hands it the file's bytes instead of decoded text; its paragraphs'
    offsets index into the extracted text (``models.extracted_text``).  Anything it
    raises other than :class:`DocumentError` is a damaged file, reported as skipped.
    """

    def load_bytes(
        self, path: Path, data: bytes, content_hash: str
    ) -> Iterator[Document | Skipped]:
        """Yield the documents in ``data`` (and a :class:`Skipped` for each part left out)."""
        ...


def decode(data: bytes, path: object, declared: str | None = None) -> tuple[str, str]:
    """Decode a file's bytes to text and name the encoding used.

    UTF-8 (with or without BOM) and UTF-16 with a BOM are read exactly.  Bytes that are
    not UTF-8 are decoded with ``declared``, the encoding the file names for itself, when
    it is a known codec that fits them; anything else is handed to charset-normalizer.
    Empty and binary files raise :class:`DocumentError` with the reason, so the caller
    can report and skip them.
    """
    if not data.strip():
        raise DocumentError(path, "empty file")
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return _checked(data.decode(codec), path), codec
            except UnicodeDecodeError:
                break
    if b"\x00" in data[:_SNIFF]:
        raise DocumentError(path, "binary file (contains NUL bytes), not text")
    try:
        return _checked(data.decode("utf-8"), path), "utf-8"
    except UnicodeDecodeError:
        pass
    mostly = _mostly_utf8(data)
    if mostly is not None:
        return _checked(mostly, path), "utf-8"
    if declared is not None:
        for codec in _codecs_for(declared):
            try:
                return _checked(data.decode(codec), path), codec
            except UnicodeDecodeError:
                continue
    text, encoding = _guess(data, path)
    return _checked(text, path), encoding


# UTF-8 with a few bad bytes (a truncated copy, one pasted Latin-1 word) is still UTF-8:
# at least this many of its non-ASCII characters must decode for every byte replaced.
_GOOD_PER_BAD = 4
_REPLACEMENT = "\ufffd"


def _mostly_utf8(data: bytes) -> str | None:
    """``data`` decoded as UTF-8 with bad bytes replaced by U+FFFD, when most of its
    non-ASCII text is valid UTF-8; else ``None`` (a legacy encoding, for detection)."""
    text = data.decode("utf-8", "replace")
    bad = text.count(_REPLACEMENT) - data.count(_REPLACEMENT.encode("utf-8"))
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    good = non_ascii - text.count(_REPLACEMENT)
    return text if bad > 0 and good >= _GOOD_PER_BAD * bad else None


def invalid_utf8(data: bytes) -> str | None:
    """Where ``data`` stops being UTF-8 and how many bytes are bad, for a report line;
    ``None`` when it is valid UTF-8."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", "replace")
        bad = text.count(_REPLACEMENT) - data.count(_REPLACEMENT.encode("utf-8"))
        line = data.count(b"\n", 0, exc.start) + 1
        what = "byte" if bad == 1 else "bytes"
        return (
            f"{bad} {what} not valid UTF-8 (the first on line {line}) replaced with U+FFFD; "
            "the rest of the file is UTF-8"
        )
    return None


_HIGH_RUN = re.compile(rb"[\x80-\xff]+")
_MULTIBYTE = ("big5", "cp932", "cp949", "euc", "gb", "hz", "iso2022", "johab", "shift_jis", "utf")


def _looks_cjk(data: bytes, encoding: str) -> bool:
    """A multi-byte guess backed by long runs of non-ASCII bytes, as CJK text has.

    Western text in a legacy code page has its accented letters one byte at a time.
    """
    if not encoding.startswith(_MULTIBYTE):
        return False
    return max((len(r) for r in _HIGH_RUN.findall(data)), default=0) > 2


def _guess(data: bytes, path: object) -> tuple[str, str]:
    """Decode bytes that are not UTF-8: charset-normalizer's guess, Western when unsure.

    On short or plain Western text charset-normalizer often has several equally good
    answers (cp1250, cp1252, cp1257 ...) or only unlikely ones (a CJK code page with no
    language evidence).  Then windows-1252 wins, as in browsers, if it decodes the bytes.
    """
    from charset_normalizer import from_bytes  # imported late: most files are UTF-8

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        raise DocumentError(path, "binary file (no text encoding fits its bytes), not text")
    western = next((m for m in matches if m.encoding == "cp1252"), None)
    if best.encoding != "cp1252":
        if western is not None and western.chaos <= best.chaos:
            best = western
        elif western is None and best.coherence == 0 and not _looks_cjk(data, best.encoding):
            try:
                return data.decode("cp1252"), "cp1252"
            except UnicodeDecodeError:
                pass
    return str(best), best.encoding


def _codecs_for(label: str) -> list[str]:
    """Python codecs to try for an encoding label, in order (none for unknown labels).

    As in browsers (WHATWG Encoding), ``iso-8859-1``, ``latin1`` and ``ascii`` mean
    windows-1252, whose bytes 0x80-0x9F are printable characters rather than controls;
    latin-1 itself stays as the fallback for the few bytes windows-1252 leaves undefined.
    """
    try:
        name = codecs.lookup(label.strip()).name
    except LookupError:
        return []
    if name in ("iso8859-1", "ascii"):
        return ["cp1252", "latin-1"]
    if name.startswith("utf-16") or name.startswith("utf-32"):
        return []  # a declaration cannot be read in these without a BOM; it is wrong
    return [name]


def _checked(text: str, path: object) -> str:
    sample = text[:_SNIFF]
    if len(_CONTROL.findall(sample)) > max(8, len(sample) // 20):
        raise DocumentError(path, "binary file (mostly control characters), not text")
    if not text.strip():
        raise DocumentError(path, "empty file (only white space)")
    return text


def split_lines(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """Yield ``(start, end)`` of each line of ``text[start:end]`` without its line break.

    Only ``\\r\\n``, ``\\r`` and ``\\n`` break lines (``str.splitlines`` also breaks on form
    feeds and Unicode separators, which would shift offsets against other tools).
    """
    stop = len(text) if end is None else end
    at = start
    for m in _NEWLINE.finditer(text, start, stop):
        yield at, m.start()
        at = m.end()
    if at < stop:
        yield at, stop


def stripped(text: str, start: int, end: int) -> tuple[int, int]:
    """Narrow ``(start, end)`` so that ``text[start:end]`` has no outer white space."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


_WRAP_WIDTH = 100


def paragraphs_from_blocks(text: str, lines: list[tuple[int, int]]) -> tuple[Paragraph, ...]:
    """Group body lines into paragraphs with exact offsets.

    Blank lines separate blocks.  A block whose lines (all but the last) are short is a
    hard-wrapped paragraph and stays whole; a block of long lines is one paragraph per
    line, as in the seed articles, which put each paragraph on a line of its own.
    """
    blocks: list[list[tuple[int, int]]] = [[]]
    for s, e in lines:
        s, e = stripped(text, s, e)
        if s == e:
            if blocks[-1]:
                blocks.append([])
        else:
            blocks[-1].append((s, e))
    spans: list[tuple[int, int]] = []
    for block in blocks:
        if not block:
            continue
        if len(block) > 1 and all(e - s <= _WRAP_WIDTH for s, e in block[:-1]):
            spans.append((block[0][0], block[-1][1]))
        else:
            spans.extend(block)
    return tuple(
        Paragraph(number=n, text=text[s:e], start=s, end=e) for n, (s, e) in enumerate(spans, 1)
    )


def document_id(path: Path, key: str = "") -> str:
    """A stable 16-hex-digit id from the file's absolute path (and a record key within it)."""
    raw = os.fsencode(path) + (b"\x00" + key.encode("utf-8", "surrogateescape") if key else b"")
    return hashlib.blake2b(raw, digest_size=8).hexdigest()


def domain_of(url: str | None) -> str | None:
    """``https://www.toutiao.com/article/1/`` -> ``toutiao.com`` (no ``www.``, no port)."""
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def author_list(value: object) -> tuple[str, ...]:
    """Every author name in a value of a JSON record or front matter: a name, a list of
    names, or objects with a ``name``; white space collapsed, blanks dropped."""
    items = value if isinstance(value, list) else [value]
    return tuple(n for n in map(_name, items) if n)


# Between two names on one line: a comma, semicolon or ampersand, or the word "and"
# (", and" too, the serial comma).
_NAME_BREAK = re.compile(r"\s*(?:,\s*and\s+|[,;&]|\s+and\s+)\s*", re.IGNORECASE)


def split_authors(line: str) -> tuple[str, ...]:
    """The names on one ``Author:`` line: ``A and B``, ``A, B``, ``A, B, and C``, ``A & B``.

    A name that itself holds a comma (``Doe, Jo``) cannot be told from two names here;
    formats with lists (front matter, JSON) keep such names whole.
    """
    return tuple(n for n in (collapse(p) for p in _NAME_BREAK.split(line)) if n)


def listed_authors(value: str | None) -> tuple[str, ...]:
    """The names of a document property that lists authors (a PDF's ``/Author``, an
    office file's creator): Word and LibreOffice separate several with ``;`` (a PDF
    exported from them keeps it), a PDF's XMP list with line breaks.  A comma is left
    alone: ``Doe, Jo`` is one name as often as two."""
    if not value:
        return ()
    return tuple(n for n in (collapse(p) for p in re.split(r"[;\n]", value)) if n)


def author_names(value: object) -> str | None:
    """An author value as one display string, names joined with ``", "``.

    Takes what JSON records and front matter hold: a name, a list of names, or objects
    with a ``name`` (``{"name": "Jo Doe", "email": ...}``).  White space is collapsed;
    anything else gives ``None``.
    """
    if isinstance(value, list):
        names = [n for n in map(_name, value) if n]
        return ", ".join(names) or None
    return _name(value)


def _name(value: object) -> str | None:
    if isinstance(value, dict):
        value = value.get("name")
    if isinstance(value, str):
        return collapse(value) or None
    return None


def collapse(value: str) -> str:
    """``value`` with every run of white space made one space, none at the ends, and no
    control characters (a PDF's title ending in NUL, a glyph mapped to ``\x03``)."""
    if _CONTROL.search(value):
        value = _CONTROL.sub("", value)
    return " ".join(value.split())


def first_text(
    mapping: Mapping[str, object], keys: tuple[str, ...], *, numbers: bool = False
) -> str | None:
    """The first value under ``keys`` that is non-blank text, white space collapsed.

    With ``numbers``, an int or float counts as text too (front matter's ``title: 1984``).
    """
    kinds: tuple[type, ...] = (str, int, float) if numbers else (str,)
    for key in keys:
        value = mapping.get(key)
        if isinstance(value, kinds) and not isinstance(value, bool):
            text = collapse(str(value))
            if text:
                return text
    return None


_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")
# Codes metadata or the detector may use for a language known under another code.
LANGUAGE_ALIASES = {"nb": "no", "nn": "no", "iw": "he", "in": "id", "ji": "yi"}


def normalize_language(tag: object) -> str | None:
    """An ISO 639 code from a language tag (``de-DE``, ``pt_BR``, ``EN``), or ``None``
    when ``tag`` is not one."""
    if not isinstance(tag, str) or not _LANGUAGE_TAG.fullmatch(tag.strip()):
        return None
    code = re.split(r"[-_]", tag.strip().lower())[0]
    return LANGUAGE_ALIASES.get(code, code)
