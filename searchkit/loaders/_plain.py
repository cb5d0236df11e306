"""Plain text from markup: what a reader sees of a Markdown block, and no URLs.

Hits and snippets show words, not markup: ``**rained**`` shows as ``rained``, ``[the
report](https://...)`` as ``the report``, an image as its alt text, inline HTML not at
all.  URLs are not words anyone searches for, so bare and auto-linked URLs are left out of
the text too (a link's own words stay).  Inline Markdown is parsed by markdown-it-py
(CommonMark), so emphasis, code spans and escapes follow the specification rather than a
guess; the block structure stays the loader's own, which keeps exact block offsets.
"""

from __future__ import annotations

import functools
import re
from typing import Any

__all__ = ["markdown_text", "without_urls"]

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
    """The words of one Markdown block (a paragraph, list, quote, table or heading) as a
    reader sees them; ``code`` blocks are kept as written."""
    if code:
        return block
    lines = []
    for line in block.split("\n"):
        if _TABLE_RULE.match(line):
            continue
        line = _LIST_MARK.sub("", _QUOTE_MARK.sub("", line, count=1), count=1)
        if line.lstrip().startswith("|"):
            line = line.replace("|", " ")
        lines.append(line)
    return without_urls(_inline_text("\n".join(lines)))


def _inline_text(text: str) -> str:
    tokens = _parser().parseInline(text)
    out: list[str] = []
    skipping = False  # inside an autolink: its text is the URL itself
    for tok in tokens[0].children or () if tokens else ():
        kind = tok.type
        if kind == "link_open" and tok.markup == "autolink":
            skipping = True
        elif kind == "link_close" and tok.markup == "autolink":
            skipping = False
        elif skipping:
            continue
        elif kind in ("text", "code_inline", "image"):
            out.append(tok.content)
        elif kind in ("softbreak", "hardbreak"):
            out.append(" ")
    return "".join(out)


@functools.cache
def _parser() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark")
