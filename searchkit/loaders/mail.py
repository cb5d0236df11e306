"""E-mail: a saved message (``.eml``), and a mailbox (``.mbox``) as one document a message.

Read with the standard library's ``email`` package (no extra needed).  The subject is
the title, the sender (display name, else address) the author, the ``Date`` header the
date.  The body is the ``text/plain`` part, else the ``text/html`` part read by the HTML
loader's text extraction; plain text splits into paragraphs as an article body does.
``start``/``end`` index into the extracted text (``models.extracted_text``).
Attachments are not indexed: each is reported (a note naming its file name, type and
size), and the message still loads.

An mbox holds messages each starting at a ``From `` line at the start of the file or
after a blank line; ``record_line`` is the line of that ``From `` line (1-based), and a
message's id comes from its ``Message-ID`` (its line when it has none or repeats one).
A message without a text body is skipped with its line; the others load.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.policy
import re
from collections.abc import Iterator
from email.message import EmailMessage, MIMEPart
from pathlib import Path
from typing import Any

from ..errors import DocumentError
from ..models import Document, Skipped
from ._base import _SNIFF, collapse, decode, document_id, paragraphs_from_blocks, split_lines
from ._binary import BinaryLoader, Block, Loaded, extracted_paragraphs
from .html import read_page

__all__ = ["MAX_HEADER_CHARS", "EmlLoader", "MboxLoader"]

# The characters of a header's value that are parsed (the subject, the sender, the date,
# a part's type and name).  The standard library's header parser takes time growing with
# the square of a value's length: a From of 10,000 quotes (20 KB) took 2.3 s, of 10,000
# encoded words (140 KB) 4.6 s.  Real values are a few hundred characters.
MAX_HEADER_CHARS = 1024

_FROM_LINE = re.compile(rb"(?:\A|\n\n|\r\n\r\n)(From [^\r\n]*\r?\n)")
_ESCAPED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)


class EmlLoader(BinaryLoader, name="eml", suffixes=(".eml",), what="an e-mail"):
    """Loads one saved e-mail message (``.eml``)."""

    def load_bytes(self, path: Path, data: bytes, content_hash: str) -> Loaded:
        if not data.strip():
            raise DocumentError(path, "empty file")
        _refuse_binary(path, data, "an e-mail")
        message = _parse(data)
        notes = list(_attachments(path, message, ""))
        doc = _document(path, message, content_hash, self.name, "", None)
        if doc is None:
            raise DocumentError(path, "no text body (neither text/plain nor text/html)")
        yield from notes
        yield doc


class MboxLoader(BinaryLoader, name="mbox", suffixes=(".mbox",), what="a mailbox"):
    """Loads an mbox mailbox (``.mbox``): one document a message."""

    def load_bytes(self, path: Path, data: bytes, content_hash: str) -> Loaded:
        _refuse_binary(path, data, "a mailbox")
        starts = [(m.start(1), m.end(1)) for m in _FROM_LINE.finditer(data)]
        if not starts:
            raise DocumentError(path, "not an mbox mailbox (no 'From ' line starts a message)")
        seen: set[str] = set()
        # Each message's line, counted on from the one before (counting from the start
        # of the file for each message took minutes on a mailbox of 80,000).
        line, counted = 1, 0
        for i, (at, body_at) in enumerate(starts):
            end = starts[i + 1][0] if i + 1 < len(starts) else len(data)
            line += data.count(b"\n", counted, at)
            counted = at
            raw = _ESCAPED_FROM.sub(rb"\1", data[body_at:end])
            where = f"message {i + 1} (line {line})"
            try:
                message = _parse(raw)
                key = collapse(str(message.get("Message-ID") or ""))
            except Exception as exc:
                yield Skipped(str(path), f"{where}: damaged message ({exc})")
                continue
            key = key if key and key not in seen else f"line {line}"
            seen.add(key)
            yield from _attachments(path, message, f"{where}: ")
            doc = _document(path, message, content_hash, self.name, key, line)
            if doc is None:
                yield Skipped(
                    str(path), f"{where}: no text body (neither text/plain nor text/html)"
                )
            else:
                yield doc


class _Policy(email.policy.EmailPolicy):
    """The standard library's default policy, a header's value cut to
    :data:`MAX_HEADER_CHARS` before it is parsed."""

    def header_fetch_parse(self, name: str, value: str) -> Any:
        if type(value) is str and len(value) > MAX_HEADER_CHARS:
            value = value[:MAX_HEADER_CHARS]
        return super().header_fetch_parse(name, value)


_POLICY = _Policy()


def _parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=_POLICY)
    assert isinstance(message, EmailMessage)
    return message


def _document(
    path: Path, message: EmailMessage, content_hash: str, kind: str, key: str, line: int | None
) -> Document | None:
    blocks = _body(path, message)
    paragraphs = extracted_paragraphs(blocks)
    if not paragraphs:
        return None
    return Document(
        id=document_id(path, key),
        path=str(path),
        title=_header(message, "Subject") or (f"{path.stem} line {line}" if line else path.stem),
        paragraphs=paragraphs,
        author=_sender(message),
        published=_date(message),
        content_hash=content_hash,
        format=kind,
        encoding="binary",
        record_line=line,
    )


def _body(path: Path, message: EmailMessage) -> list[Block]:
    """The message's text as blocks: plain text preferred, else HTML as plain text (a
    blank plain part beside an HTML one, as some mailers send, is no text)."""
    for kind in ("plain", "html"):
        part = message.get_body(preferencelist=(kind,))
        if part is None:
            continue
        text = _content(part)
        blocks: list[Block]
        if kind == "html":
            page = read_page(text, path)
            blocks = [(p.text, None, None) for p in page.paragraphs]
        else:
            paragraphs = paragraphs_from_blocks(text, list(split_lines(text)))
            blocks = [(p.text, None, None) for p in paragraphs]
        if blocks:
            return blocks
    return []


def _content(part: MIMEPart) -> str:
    """A text part's text: decoded with its charset when that fits its bytes, else as
    other text files are (detected); a part with NUL bytes has none.  ``get_content``
    put U+FFFD for every byte its charset (or ASCII, when none is named) did not fit:
    Latin-1 sent as UTF-8 read ``caf\ufffd``."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes) or not payload.strip():
        return ""
    charset = part.get_content_charset()
    if charset is not None:
        try:
            text = payload.decode(charset)  # UTF-16 has NUL bytes, not NUL characters
            if "\x00" not in text:
                return text
        except (LookupError, UnicodeError):
            pass
    try:
        return decode(payload, "message body", charset)[0]
    except DocumentError:
        return ""


def _refuse_binary(path: Path, data: bytes, what: str) -> None:
    """Refuse a file with NUL bytes in its first header lines (up to the first blank
    line, within the first bytes a text file is sniffed in), as text files are refused:
    headers are ASCII, a body in UTF-16 has NUL bytes of its own."""
    head = data[:_SNIFF]
    end = min((i for i in (head.find(b"\n\n"), head.find(b"\r\n\r\n")) if i >= 0), default=-1)
    if b"\x00" in (head[:end] if end >= 0 else head):
        raise DocumentError(path, f"binary file (contains NUL bytes), not {what}")


def _attachments(path: Path, message: EmailMessage, where: str) -> Iterator[Skipped]:
    for part in message.iter_attachments():
        assert isinstance(part, EmailMessage)
        name = part.get_filename() or "(no file name)"
        payload = part.get_payload(decode=True)
        if part.get_content_type() == "message/rfc822":  # a forwarded message: its payload
            forwarded = part.get_payload()  # is the message, none to decode
            inner = forwarded[0] if isinstance(forwarded, list) and forwarded else None
            subject = _header(inner, "Subject") if isinstance(inner, EmailMessage) else None
            name = part.get_filename() or (f"forwarded: {subject}" if subject else name)
            if isinstance(inner, EmailMessage):
                with contextlib.suppress(ValueError, TypeError, LookupError, UnicodeError):
                    payload = inner.as_bytes()
        size = len(payload) if isinstance(payload, bytes) else 0
        yield Skipped(
            str(path),
            f"{where}attachment {name!r} ({part.get_content_type()}, {size:,} bytes) not indexed",
            "note",
        )


def _header(message: EmailMessage, name: str) -> str | None:
    try:
        value = message.get(name)
    except Exception:  # a header the policy cannot parse
        return None
    return collapse(str(value)) or None if value is not None else None


def _sender(message: EmailMessage) -> str | None:
    try:
        header = message.get("From")
        addresses = getattr(header, "addresses", ())
    except Exception:
        return _header(message, "From")
    for address in addresses:
        name = collapse(address.display_name or "") or address.addr_spec
        if name:
            return name
    return _header(message, "From")


def _date(message: EmailMessage) -> dt.datetime | None:
    """The ``Date`` header as wall-clock time (the zone dropped, as for other formats)."""
    try:
        header = message.get("Date")
        when = getattr(header, "datetime", None)
    except Exception:
        return None
    if not isinstance(when, dt.datetime):
        return None
    return when.replace(tzinfo=None)
