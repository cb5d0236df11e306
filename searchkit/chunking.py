"""Documents -> paragraph chunks, with exact offsets into the decoded file text.

A paragraph is one chunk.  A paragraph longer than ``max_chars`` (a 200 KB single line, a
whole book without blank lines) is split at sentence boundaries into parts of at most
``max_chars`` characters that share the paragraph number.  ``max_chars`` is itself capped
at :data:`MAX_CHUNK_CHARS`, whatever an index's settings say, so no chunk a search reads,
highlights or shows is larger.  Parts are contiguous: each ends
where the next begins, so the paragraph is exactly the concatenation of its parts.  A part's
offsets are its own slice of the file, except for paragraphs whose text is not a slice at
all (HTML, where the text is taken from markup): every part then spans the whole element.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import attrs

from .models import Chunk, Document, Paragraph

__all__ = [
    "DEFAULT_MAX_CHARS",
    "MAX_CHUNK_CHARS",
    "MAX_META_CHARS",
    "cap_text",
    "chunk_document",
    "chunk_id",
    "split_paragraph",
]

DEFAULT_MAX_CHARS = 4000
# The most characters a chunk holds, whatever ``max_chars`` an index asks for.
MAX_CHUNK_CHARS = 100_000
# The document's title, author and source URL go with every one of its chunks (stored,
# and the title indexed in each chunk's body), so their length multiplies by the number
# of chunks.  Capped, a document's index size stays linear in its text.
MAX_META_CHARS = 1000
# A sentence ends at . ! ? or their CJK forms, perhaps followed by closing quotes or
# brackets; the next one begins after the white space that follows.
_SENTENCE_END = re.compile(r"""[.!?\u3002\uff01\uff1f]+["'\u201d\u2019)\]]*\s+""")
_SPACE = re.compile(r"\s+")


def chunk_id(doc_id: str, paragraph: int, part: int = 1, parts: int = 1) -> str:
    """``<doc_id>:<paragraph>`` for a whole paragraph, ``<doc_id>:<paragraph>.<part>`` for parts."""
    return f"{doc_id}:{paragraph}" if parts == 1 else f"{doc_id}:{paragraph}.{part}"


def split_paragraph(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> list[tuple[int, int]]:
    """Cut ``text`` into contiguous ``(start, end)`` spans of at most ``max_chars``.

    Cuts fall after a sentence end where one exists in the window, else after white space,
    else at ``max_chars`` exactly (a run of text with no spaces at all).
    """
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    spans: list[tuple[int, int]] = []
    start, n = 0, len(text)
    while n - start > max_chars:
        limit = start + max_chars
        cut = _last_break(_SENTENCE_END, text, start, limit)
        if cut <= start:
            cut = _last_break(_SPACE, text, start, limit)
        if cut <= start:
            cut = limit
        spans.append((start, cut))
        start = cut
    spans.append((start, n))
    return spans


def _last_break(pattern: re.Pattern[str], text: str, start: int, limit: int) -> int:
    # The end of the last match that ends within the window, not at its very start.
    cut = start
    for m in pattern.finditer(text, start + 1, limit):
        cut = m.end()
    return cut


def cap_text(value: str | None, limit: int | None = None) -> str | None:
    """``value`` cut to at most ``limit`` (default :data:`MAX_META_CHARS`, read at each
    call) characters, at a space when one is near, with ``…`` at the end when cut."""
    limit = MAX_META_CHARS if limit is None else limit
    if value is None or len(value) <= limit:
        return value
    cut = value.rfind(" ", limit // 2, limit)
    return value[: cut if cut > 0 else limit - 1].rstrip() + "…"


def _capped_names(names: tuple[str, ...]) -> tuple[str, ...]:
    """The first ``names`` whose lengths add up to at most :data:`MAX_META_CHARS` (the
    first one always, itself capped)."""
    kept: list[str] = []
    used = 0
    for name in names:
        name = cap_text(name) or ""
        if kept and used + len(name) > MAX_META_CHARS:
            break
        kept.append(name)
        used += len(name)
    return tuple(kept)


def chunk_document(doc: Document, max_chars: int = DEFAULT_MAX_CHARS) -> Iterator[Chunk]:
    """Yield ``doc``'s chunks in reading order, numbered by ``seq`` from 1.

    The title, author and source URL each chunk carries are capped at
    :data:`MAX_META_CHARS` characters (see :func:`cap_text`), and so are its authors'
    names together (the first names, as many as fit, and at least one).
    """
    title, author, source_url = (
        cap_text(doc.title) or "",
        cap_text(doc.author),
        cap_text(doc.source_url),
    )
    authors = _capped_names(doc.authors)
    if (title, author, source_url, authors) != (
        doc.title,
        doc.author,
        doc.source_url,
        doc.authors,
    ):
        doc = attrs.evolve(doc, title=title, author=author, source_url=source_url, authors=authors)
    max_chars = min(max_chars, MAX_CHUNK_CHARS)
    seq = 0
    for para in doc.paragraphs:
        spans = (
            split_paragraph(para.text, max_chars)
            if len(para.text) > max_chars
            else [(0, len(para.text))]
        )
        for part, (s, e) in enumerate(spans, 1):
            seq += 1
            yield _chunk(doc, para, part, len(spans), seq, s, e)


def _chunk(
    doc: Document, para: Paragraph, part: int, parts: int, seq: int, s: int, e: int
) -> Chunk:
    # A paragraph whose text is not the literal slice it spans (HTML: plain text taken
    # from markup) cannot map a part to a sub-span, so every part keeps the whole span.
    literal = para.end - para.start == len(para.text)
    return Chunk(
        id=chunk_id(doc.id, para.number, part, parts),
        doc_id=doc.id,
        paragraph=para.number,
        part=part,
        seq=seq,
        text=para.text[s:e],
        start=para.start + s if literal else para.start,
        end=para.start + e if literal else para.end,
        title=doc.title,
        path=doc.path,
        author=doc.author,
        authors=doc.authors,
        published=doc.published,
        source_url=doc.source_url,
        source_domain=doc.source_domain,
        record_line=doc.record_line,
        language=doc.language,
        page=para.page,
        chapter=para.chapter,
        code=tuple((max(a, s) - s, min(b, e) - s) for a, b in para.code if a < e and b > s),
    )
