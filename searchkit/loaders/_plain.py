"""Plain text from markup: what a reader sees of a Markdown block; HTML text without URLs.

Markdown hits and snippets show the text the author wrote, minus markup only:
``**rained**`` shows as ``rained``, ``[the report](https://...)`` as ``the report``, an
image as its alt text, ``<https://example.org>`` as ``https://example.org``, inline HTML
not at all.  A code span is kept verbatim (``cd {{path}} .`` keeps its space before the
dot: a copied command must stay right); white space elsewhere is collapsed, as a browser
shows it.  Inline Markdown is parsed by markdown-it-py (CommonMark), so emphasis, code
spans and escapes follow the specification rather than a guess; the block structure stays
the loader's own, which keeps exact block offsets.

HTML paragraphs (``html.py``) leave bare URLs out of their text (:func:`without_urls`).
"""

from __future__ import annotations

import functools
import re
from typing import Any

__all__ = ["Spans", "markdown_text", "markdown_text_code", "without_urls"]

# ``(start, end)`` offsets into a paragraph's text.
Spans = tuple[tuple[int, int], ...]

_URL = re.compile(r"\b(?:https?|ftp)://[^\s<>\"')\]]+|\bwww\.[^\s<>\"')\]]+\.[^\s<>\"')\]]+")
_SPACE = re.compile(r"\s+")
_BEFORE_MARK = re.compile(r" ([.,;:!?])(?=\s|$)")
# Line starts that mark structure, not words: list items, block quotes, table pipes.
_QUOTE_MARK = re.compile(r"^[ \t]*(?:>[ \t]?)+")
_LIST_MARK = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
_TABLE_RULE = re.compile(r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$")


def without_urls(text: str) -> str:
    """``text`` with URLs removed (a sentence's full stop after one stays) and white space
    collapsed."""
    text = _URL.sub(_keep_end, text)
    return _BEFORE_MARK.sub(r"\1", _SPACE.sub(" ", text)).strip()


def _keep_end(m: re.Match[str]) -> str:
    url = m.group()
    return " " + url[len(url.rstrip(".,;:!?")) :]


def markdown_text(block: str, *, code: bool = False) -> str:
    """The text of one Markdown block (a paragraph, list, quote, table or heading) as a
    reader sees it; ``code`` blocks are kept as written."""
    return markdown_text_code(block, code=code)[0]


def markdown_text_code(block: str, *, code: bool = False) -> tuple[str, Spans]:
    """:func:`markdown_text` and where its code is: the offsets of each code span in
    the text (a ``code`` block is code from end to end), for a page to show as code."""
    if code:
        return block, ((0, len(block)),) if block else ()
    lines = []
    for line in block.split("\n"):
        if _TABLE_RULE.match(line):
            continue
        line = _LIST_MARK.sub("", _QUOTE_MARK.sub("", line, count=1), count=1)
        if line.lstrip().startswith("|"):
            line = line.replace("|", " ")
        lines.append(line)
    return _inline_text("\n".join(lines))


def _inline_text(text: str) -> tuple[str, Spans]:
    """The text of inline Markdown: white space collapsed outside code spans, code spans
    as CommonMark reads them (their own content, verbatim), and their offsets."""
    tokens = _parser().parseInline(text)
    pieces: list[tuple[str, bool]] = []  # (text, verbatim)
    for tok in tokens[0].children or () if tokens else ():
        kind = tok.type
        if kind == "code_inline":
            pieces.append((tok.content, True))
        elif kind in ("text", "image"):
            pieces.append((tok.content, False))
        elif kind in ("softbreak", "hardbreak"):
            pieces.append((" ", False))
    out = ""
    after_code = False
    code: list[tuple[int, int]] = []
    for piece, verbatim in pieces:
        if not verbatim:
            piece = _SPACE.sub(" ", piece)
            if piece.startswith(" ") and out.endswith(" ") and not after_code:
                piece = piece[1:]  # one space between words where two texts meet
        elif piece:
            code.append((len(out), len(out) + len(piece)))
        out += piece
        after_code = verbatim
    # A paragraph has no white space at either end, in code or not.
    kept = out.strip()
    lead = len(out) - len(out.lstrip())
    spans = ((max(s - lead, 0), min(e - lead, len(kept))) for s, e in code)
    return kept, tuple((s, e) for s, e in spans if s < e)


@functools.cache
def _parser() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark")
