"""The seed article format: title, date line, ``Author:`` line, paragraphs, source, disclaimer.

::

    What important role does Belarus play in the Ukraine conflict?
    June 14, 2025, 10:55 AM
    Author: Natalia Grigoryeva
    Belarus has repeatedly emphasized ...          <- one paragraph a line, or blank-line
    ...                                               separated (hard-wrapped) blocks
    Original Source: https://www.toutiao.com/article/7515969173709767187/
    Disclaimer: ...

The ``Author:`` line may name several authors (``A and B``, ``A, B``): ``authors`` lists
them, ``author`` keeps the line as written.  Every header line may be missing, so any
plain text file loads: the title is then the first line (when short) or the file name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from .._dates import parse_article_date
from ..models import Document, Paragraph
from ._base import (
    document_id,
    domain_of,
    paragraphs_from_blocks,
    split_authors,
    split_lines,
    stripped,
)

__all__ = ["ArticleLoader"]

_AUTHOR = re.compile(r"^\s*(?:Author|By)\s*:\s*(?P<v>.+?)\s*$", re.IGNORECASE)
_SOURCE = re.compile(r"^\s*Original Source\s*:\s*(?P<v>.*?)\s*$", re.IGNORECASE)
_DISCLAIMER = re.compile(r"^\s*Disclaimer\s*:\s*(?P<v>.*?)\s*$", re.IGNORECASE)
_MAX_TITLE = 200


class ArticleLoader:
    """Loads ``.txt`` articles in the seed format, and plain text files in general."""

    name: str = "article"
    suffixes: tuple[str, ...] = (".txt", ".text")

    def load(self, path: Path, text: str, content_hash: str, encoding: str) -> Iterator[Document]:
        lines = [ln for ln in split_lines(text)]
        body = [stripped(text, s, e) for s, e in lines]
        nonblank = [i for i, (s, e) in enumerate(body) if s < e]

        title = author = source = disclaimer = None
        published = None
        head = 0  # index into ``nonblank`` of the first body line
        if nonblank:
            s, e = body[nonblank[0]]
            first = text[s:e]
            if (
                len(first) <= _MAX_TITLE
                and any(c.isalnum() for c in first)  # "#", "----" or "* * *" name nothing
                and not _AUTHOR.match(first)
                and not parse_article_date(first)
            ):
                title, head = first, 1
        for _ in range(2):  # a date line and an Author line, in either order
            if head >= len(nonblank):
                break
            s, e = body[nonblank[head]]
            line = text[s:e]
            if published is None and (when := parse_article_date(line)) is not None:
                published, head = when, head + 1
            elif author is None and (m := _AUTHOR.match(line)):
                author, head = m["v"], head + 1

        tail = len(nonblank)
        while tail > head:
            s, e = body[nonblank[tail - 1]]
            line = text[s:e]
            if source is None and (m := _SOURCE.match(line)):
                source = m["v"] or None
            elif disclaimer is None and (m := _DISCLAIMER.match(line)):
                disclaimer = m["v"] or None
            else:
                break
            tail -= 1

        if head < tail:
            first_line = nonblank[head]
            last_line = nonblank[tail - 1]
            paragraphs = paragraphs_from_blocks(text, lines[first_line : last_line + 1])
        elif title is not None:
            # Only a title line: it is the whole text, so it is the one paragraph too.
            s, e = body[nonblank[0]]
            paragraphs = (Paragraph(1, text[s:e], s, e),)
        else:
            paragraphs = ()

        yield Document(
            id=document_id(path),
            path=str(path),
            title=title or path.stem,
            paragraphs=paragraphs,
            author=author,
            authors=split_authors(author) if author else (),
            published=published,
            source_url=source,
            source_domain=domain_of(source),
            disclaimer=disclaimer,
            content_hash=content_hash,
            format=self.name,
            encoding=encoding,
        )
