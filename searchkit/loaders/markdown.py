"""Markdown: optional front matter, a title, and blank-line separated paragraphs.

::

    ---                                   <- YAML front matter (or TOML between +++ lines)
    title: Rain in Minsk
    author: Jo Doe                        <- or authors: [Jo Doe, Ann Lee]
    date: 2024-03-01                      <- or published:
    source: https://example.org/rain      <- or url: / source_url:
    lang: de                              <- or language: (an ISO 639 code or tag)
    ---
    # Rain in Minsk                       <- the title when front matter has none

    It rained *all day*.                  <- a paragraph: a block of lines between blank
    Nobody minded.                           lines, its words without the markup

    ## Later                              <- a heading: a short paragraph of its own text

    ```sh                                 <- a fenced code block: one paragraph of its
    umbrella --open                          inner lines; blank lines inside do not split
    ```                                      it, and ``#`` lines inside are not headings

A paragraph's ``text`` is what a reader sees of its block: emphasis marks, link targets,
inline HTML, list and quote markers left out, code spans verbatim and autolinks' URLs
kept (``_plain.py``; code blocks stay as written); ``code`` holds where its code spans
and code blocks are in ``text``, so a page can show them as code.  Its offsets span the raw block:
``decoded_text[start:end]`` is the block as written (a heading's slice leaves out its
``#`` marks).  A block with no words left (an
``<a id=...></a>`` anchor) is not a paragraph.
The title heading is not repeated as a paragraph; other headings are paragraphs, so their
words are found and a hit on one leads to its section.  Thematic breaks, HTML comments
and link reference definitions are not text.  Front matter that does not parse is left
out, and reported; the body still loads.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import attrs

from .._dates import parse_article_date
from ..models import Document, Paragraph, Skipped
from ._base import (
    author_list,
    author_names,
    collapse,
    document_id,
    domain_of,
    first_text,
    normalize_language,
    split_lines,
    stripped,
)
from ._plain import markdown_text, markdown_text_code

__all__ = ["MAX_FRONT_MATTER_CHARS", "MarkdownLoader"]

# Front matter longer than this is left out (and said): its YAML is read in Python at
# about 0.3 MiB a second, into some seventy times its size (4 MiB of it took 12.9 s and
# 279 MiB).  Real front matter is a few hundred characters.
MAX_FRONT_MATTER_CHARS = 1024 * 1024

_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_ATX = re.compile(r"^ {0,3}(?P<marks>#{1,6})(?=[ \t]|$)")
_ATX_CLOSE = re.compile(r"[ \t]+#+[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
_BREAK = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_LIST_OR_QUOTE = re.compile(r"^ {0,3}(?:[-+*][ \t]|\d{1,9}[.)][ \t]|>)")
_COMMENT = re.compile(r"^ {0,3}<!--")
_LINK_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:[ \t]*\S+")

_TITLE_KEYS = ("title",)
_AUTHOR_KEYS = ("author", "authors")
_LANGUAGE_KEYS = ("lang", "language")
_DATE_KEYS = ("date", "published")
_SOURCE_KEYS = ("source", "url", "source_url")


@functools.cache
def _yaml_loader() -> Any:
    """PyYAML's safe loader, leaving dates as text for searchkit's own date parsing.

    YAML would turn ``2024-02-30`` into an error that sinks the whole front matter, and
    ``2024-03-01 10:00 +02:00`` into an aware date-time; as text both go through the
    same parser as article dates.  Built on first use: PyYAML takes ~18 ms to import,
    which a search should not pay.
    """
    import yaml

    class _YamlLoader(yaml.SafeLoader):
        pass

    _YamlLoader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return _YamlLoader


@attrs.frozen
class _Block:
    kind: Literal["text", "heading", "code"]
    start: int
    end: int
    level: int = 0


class MarkdownLoader:
    """Loads ``.md`` / ``.markdown`` files."""

    name: str = "markdown"
    suffixes: tuple[str, ...] = (".md", ".markdown")

    def load(
        self, path: Path, text: str, content_hash: str, encoding: str
    ) -> Iterator[Document | Skipped]:
        lines = list(split_lines(text))
        meta, body_from, problem = _front_matter(text, lines)
        if problem:
            yield Skipped(str(path), problem, "note")
        blocks = list(_blocks(text, lines[body_from:]))

        title = first_text(meta, _TITLE_KEYS, numbers=True)
        h1 = next((b for b in blocks if b.kind == "heading" and b.level == 1), None)
        if title is None and h1 is not None:
            title = collapse(markdown_text(text[h1.start : h1.end]))
        if (
            h1 is not None
            and len(blocks) > 1
            and _same(title, markdown_text(text[h1.start : h1.end]))
        ):
            blocks.remove(h1)  # the title, already indexed as the title
        shown = [
            (b, markdown_text_code(text[b.start : b.end], code=b.kind == "code")) for b in blocks
        ]
        shown = [(b, words) for b, words in shown if words[0].strip()]

        source = first_text(meta, _SOURCE_KEYS, numbers=True)
        yield Document(
            id=document_id(path),
            path=str(path),
            title=title or path.stem,
            paragraphs=tuple(
                Paragraph(n, words, b.start, b.end, code=code)
                for n, (b, (words, code)) in enumerate(shown, 1)
            ),
            author=next(filter(None, (author_names(meta.get(k)) for k in _AUTHOR_KEYS)), None),
            authors=next(filter(None, (author_list(meta.get(k)) for k in _AUTHOR_KEYS)), ()),
            published=_date_value(meta, _DATE_KEYS),
            source_url=source,
            source_domain=domain_of(source),
            disclaimer=first_text(meta, ("disclaimer",), numbers=True),
            content_hash=content_hash,
            format=self.name,
            encoding=encoding,
            language=normalize_language(first_text(meta, _LANGUAGE_KEYS)),
        )


def _front_matter(
    text: str, lines: list[tuple[int, int]]
) -> tuple[dict[str, Any], int, str | None]:
    """``(metadata, index of the first body line, problem)``.

    Front matter opens on the very first line with ``---`` (YAML) or ``+++`` (TOML) and
    closes at the next line that is ``---`` or ``...`` (YAML) or ``+++`` (TOML).  A YAML
    block that is not a mapping (prose between two rules) is body text, not front matter.
    """
    if not lines:
        return {}, 0, None
    opener = text[lines[0][0] : lines[0][1]].rstrip()
    if opener not in ("---", "+++"):
        return {}, 0, None
    closers = ("---", "...") if opener == "---" else ("+++",)
    close = next(
        (i for i in range(1, len(lines)) if text[lines[i][0] : lines[i][1]].rstrip() in closers),
        None,
    )
    if close is None:
        return {}, 0, None
    raw = text[lines[1][0] : lines[close][0]] if close > 1 else ""
    if len(raw) > MAX_FRONT_MATTER_CHARS:
        limit = MAX_FRONT_MATTER_CHARS
        return {}, close + 1, f"front matter left out: {len(raw):,} characters (limit {limit:,})"
    import tomllib

    import yaml

    try:
        if opener == "+++":
            data: object = tomllib.loads(raw)
        else:
            data = yaml.load(raw, Loader=_yaml_loader())
    except tomllib.TOMLDecodeError as exc:
        return {}, close + 1, f"front matter left out: not valid TOML ({exc})"
    except yaml.YAMLError as exc:
        reason = " ".join(str(exc).split())
        return {}, close + 1, f"front matter left out: not valid YAML ({reason})"
    except RecursionError:
        return {}, close + 1, "front matter left out: nested too deeply"
    if data is None:
        return {}, close + 1, None
    if not isinstance(data, dict):
        return {}, 0, None
    return {str(k).lower(): v for k, v in data.items()}, close + 1, None


def _blocks(text: str, lines: list[tuple[int, int]]) -> Iterator[_Block]:
    """The body's text blocks, headings and code blocks, in order, with stripped spans."""
    para: list[tuple[int, int]] = []  # the open paragraph's lines, stripped

    def flush() -> Iterator[_Block]:
        if para:
            first, last = para[0], para[-1]
            if not all(_LINK_DEF.match(text[s:e]) for s, e in para):
                yield _Block("text", first[0], last[1])
            para.clear()

    i, n = 0, len(lines)
    while i < n:
        s, e = lines[i]
        line = text[s:e]
        i += 1
        if not line.strip():
            yield from flush()
        elif (m := _FENCE.match(line)) and not (m["fence"][0] == "`" and "`" in m["info"]):
            yield from flush()
            inner = i
            while i < n and not _closes_fence(text[lines[i][0] : lines[i][1]], m["fence"]):
                i += 1
            if i > inner:
                cs, ce = stripped(text, lines[inner][0], lines[i - 1][1])
                if cs < ce:
                    yield _Block("code", cs, ce)
            i += 1  # past the closing fence (or the end)
        elif _COMMENT.match(line):
            yield from flush()
            while "-->" not in text[s:e] and i < n:
                s, e = lines[i]
                i += 1
        elif m := _ATX.match(line):
            yield from flush()
            at = s + m.end()
            closing = _ATX_CLOSE.search(text[at:e])
            hs, he = stripped(text, at, at + closing.start() if closing else e)
            if hs < he:
                yield _Block("heading", hs, he, level=len(m["marks"]))
        elif para and _SETEXT.match(line) and not _LIST_OR_QUOTE.match(text[slice(*para[0])]):
            yield _Block("heading", para[0][0], para[-1][1], level=1 if "=" in line else 2)
            para.clear()
        elif _BREAK.match(line):
            yield from flush()
        else:
            para.append(stripped(text, s, e))
    yield from flush()


def _closes_fence(line: str, fence: str) -> bool:
    body = line.strip(" \t")
    return (
        len(line) - len(line.lstrip(" ")) <= 3
        and len(body) >= len(fence)
        and body == fence[0] * len(body)
    )


def _same(title: str | None, heading: str) -> bool:
    return title is not None and collapse(title).casefold() == collapse(heading).casefold()


def _date_value(meta: dict[str, Any], keys: tuple[str, ...]) -> dt.datetime | None:
    for key in keys:
        value = meta.get(key)
        if isinstance(value, dt.datetime):
            return value.replace(tzinfo=None)
        if isinstance(value, dt.date):
            return dt.datetime(value.year, value.month, value.day)
        if (
            isinstance(value, str | int)
            and not isinstance(value, bool)
            and (when := parse_article_date(str(value))) is not None
        ):
            return when
    return None
