"""HTML pages: metadata from the head, paragraphs from block elements.

::

    <html lang="de"><head>                             <- the page's language
      <meta charset="iso-8859-1">                       <- honoured when not UTF-8
      <title>Rain in Minsk | Example News</title>       <- title (after og:title)
      <meta property="og:title" content="Rain in Minsk">
      <meta name="author" content="Jo Doe">             <- or article:author
      <meta property="article:published_time" content="2024-03-01T09:30:00Z">
      <link rel="canonical" href="https://example.org/rain">   <- or og:url
    </head><body>
      <nav>...</nav>                                    <- skipped, as are script, style,
      <h1>Rain in Minsk</h1>                               footer, noscript, template, ...
      <p>It rained <b>all</b> day &amp; night.</p>      <- a paragraph: "It rained all day & night."
      <ul><li>Umbrellas: sold out.</li></ul>            <- so is each item, quote, heading, row
    </body></html>

Title: ``og:title``, else ``<title>``, else the first ``<h1>``, else the file name.  Date:
``article:published_time`` (or another common date meta), else the first ``<time
datetime>``.  Source: ``<link rel=canonical>``, else ``og:url`` (absolute URLs only).

Paragraphs are the text of block elements (``p``, ``li``, ``blockquote``, ``h1``-``h6``,
``dt``, ``dd``, ``pre``, ``figcaption``, a table row, ...), entities decoded and white
space collapsed.  Text that sits directly in a container beside other blocks (a ``div``
with loose text) is a paragraph of its own.  The heading that gave the title is not
repeated as a paragraph; other headings are short paragraphs.

Offsets: ``text`` is plain text, not a slice of the file, so ``start``/``end`` give the
element's span in the decoded file: ``decoded_text[start:end]`` is its markup, from its
start tag to its end tag (to the end of its last text when the end tag is omitted).  For
loose text beside other blocks, the span is that run of text and inline markup.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import attrs

from .._dates import parse_article_date
from ..errors import DocumentError
from ..models import Document, Paragraph, Skipped
from ._base import document_id, domain_of, normalize_language
from ._plain import without_urls

__all__ = ["MAX_ATTRIBUTES", "HtmlLoader", "read_page"]

_SNIFF_BYTES = 8192
# The attributes one start tag may have: the parser builds a list of them (one paragraph
# of 2 million, a 22 MB page, took 9.6 s and 1.6 GiB to index); real pages give a tag a
# few dozen.
MAX_ATTRIBUTES = 10_000
# A start tag written plainly: its name, attributes each with a value quoted or unquoted
# (no quote in an unquoted one) or none, then its ">"; where this ends, the parser's
# more tolerant reading ends too.  Possessive: no memory kept for going back.
_PLAIN_TAG = re.compile(
    r"""<[a-zA-Z][^\s/>]*+(?:[\s/]++[^\s/>"'=]++(?:\s*+=\s*+(?:"[^"]*+"|'[^']*+'|[^\s"'=<>`]++))?+)*+"""
    r"""[\s/]*+>"""
)
# A start tag's name or one of its attributes, as the parser reads them.
_ATTRIBUTE = re.compile(
    r"""[\s/]*[^\s/>][^\s/=>]*(?:\s*=+\s*(?:'[^']*'|"[^"]*"|(?!['"])[^>\s]*))?"""
)
_DECLARED = re.compile(
    rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*(?P<meta>[A-Za-z0-9._:-]+)"""
    rb"""|<\?xml\b[^>]*?\bencoding\s*=\s*["'](?P<xml>[A-Za-z0-9._:-]+)""",
    re.IGNORECASE,
)

_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
# Elements whose start and end break the text into paragraphs.
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "center", "dd",
        "details", "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure",
        "form", "header", "hgroup", "hr", "html", "legend", "li", "main", "menu", "ol", "p",
        "pre", "section", "summary", "table", "tbody", "tfoot", "thead", "tr", "ul",
        *_HEADINGS,
    }
)  # fmt: skip
# Elements whose content is never text to index.
_SKIP = frozenset(
    {
        "script", "style", "noscript", "template", "nav", "footer", "svg", "math", "iframe",
        "object", "select", "textarea", "button",
    }
)  # fmt: skip
_VOID = frozenset(
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr",
    }
)  # fmt: skip
# Inline elements that separate words: <br>, and table cells (a row is one paragraph).
_SPACERS = frozenset({"br", "td", "th"})
# Skipped elements that are blocks: they end paragraphs like blocks do.
_SKIP_BLOCKS = frozenset({"nav", "footer", "template", "noscript"})
# Start tags that end an open <p> (HTML closes it implicitly).
_CLOSES_P = (_BLOCKS | _SKIP_BLOCKS) - {"body", "html", "tbody", "tfoot", "thead", "tr", "caption"}
# Open elements that an implicit close of <p>, <li>, <dt>/<dd> or <tr> does not pass.
_SCOPE = frozenset({"table", "caption", "html", "body", "blockquote", "td", "th"})
_DATE_META = (
    "article:published_time",
    "datepublished",
    "og:published_time",
    "date",
    "pubdate",
    "publishdate",
    "dc.date",
    "dc.date.issued",
    "dcterms.created",
)


class HtmlLoader:
    """Loads ``.html`` / ``.htm`` pages."""

    name: str = "html"
    suffixes: tuple[str, ...] = (".html", ".htm")

    def declared_encoding(self, data: bytes) -> str | None:
        """The ``<meta charset>`` (or ``http-equiv`` / XML) encoding near the top, if any."""
        m = _DECLARED.search(data[:_SNIFF_BYTES])
        if m is None:
            return None
        return (m["meta"] or m["xml"]).decode("ascii")

    def load(
        self, path: Path, text: str, content_hash: str, encoding: str
    ) -> Iterator[Document | Skipped]:
        page = read_page(text, path)
        paras = page.paragraphs
        h1 = next((p for p in paras if p.level == 1), None)
        title = page.meta_title() or (h1.text if h1 else None)
        if h1 and title and len(paras) > 1 and h1.text.casefold() == title.casefold():
            paras.remove(h1)  # the title, already indexed as the title
        source = page.source_url()
        yield Document(
            id=document_id(path),
            path=str(path),
            title=title or path.stem,
            paragraphs=tuple(Paragraph(n, p.text, p.start, p.end) for n, p in enumerate(paras, 1)),
            author=page.author(),
            published=page.published(),
            source_url=source,
            source_domain=domain_of(source),
            content_hash=content_hash,
            format=self.name,
            encoding=encoding,
            language=normalize_language(page.language),
        )


def read_page(text: str, path: Path) -> _Extractor:
    """The page ``text`` (of the file ``path``: a page, an e-mail, an EPUB) read: its
    paragraphs and metadata; :class:`DocumentError` for a start tag of more than
    :data:`MAX_ATTRIBUTES` attributes."""
    page = _Extractor(text)
    try:
        page.run()
    except _TooManyAttributesError:
        raise DocumentError(
            path, f"an HTML start tag with more than {MAX_ATTRIBUTES:,} attributes refused"
        ) from None
    return page


@attrs.define
class _Para:
    text: str
    start: int
    end: int
    level: int = 0  # heading level, 0 for body text


@attrs.define
class _Frame:
    """An open block element."""

    tag: str
    start: int  # where its start tag begins
    paragraphs: int = 0  # paragraphs made of its own text so far
    children: int = 0  # block elements inside it so far
    last: _Para | None = None  # its latest paragraph


@attrs.define
class _Run:
    """Inline content gathered since the last block boundary."""

    parts: list[str] = attrs.Factory(list)
    start: int = -1  # where it begins: its first text, or an inline tag before it
    end: int = -1  # where its last text or inline end tag ends
    inline_at: int = -1  # the first inline tag seen before any text
    has_text: bool = False


class _Extractor(HTMLParser):
    """One pass over a page: paragraphs with spans, and the metadata tags.

    Positions come from ``getpos()`` (line and column of each event, counting ``\\n`` only,
    as the parser does) turned into offsets into the text.  A text event's raw extent ends
    where the next event begins, which is when the run's end is settled.
    """

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.text = text
        self.paragraphs: list[_Para] = []
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self._stack: list[_Frame] = []
        # How many of each element are open, so that "is a <p> open?" costs one look-up,
        # not a walk down the stack: a page nested 20,000 deep stays linear.
        self._open: Counter[str] = Counter()
        self._run = _Run()
        self._data_at = -1  # start of a text event whose end is not settled yet
        self._skip: str | None = None  # the element whose content is being skipped
        self._skip_open: dict[str, int] = {}  # elements open inside it, by name
        self._title: list[str] | None = None  # the <title> text while inside it
        self._titles: list[str] = []
        self._meta: dict[str, str] = {}
        self._canonical: str | None = None
        self._time: str | None = None
        self.language: str | None = None  # <html lang> (or xml:lang)

    def run(self) -> None:
        # Markup ends with a ">": after the last one there is only text, handed over as
        # text.  Fed to the parser, each "<" there starts markup whose end it looks for
        # in all the rest: before Python 3.13.5 and 3.12.11 (CVE-2025-6069) 80 KB of
        # "<a" took 29 s, a time growing with the square of the length.
        cut = self.text.rfind(">") + 1
        self.feed(self.text[:cut])
        self.close()
        if cut < len(self.text):
            self.handle_data(unescape(self.text[cut:]))
        self._settle(len(self.text))
        while self._stack:
            self._close_top(None)
        self._flush()

    def parse_starttag(self, i: int) -> int:
        """The parser's own, once the tag at ``i`` is found to hold at most
        :data:`MAX_ATTRIBUTES` attributes.  The parser's search for a tag's end keeps
        memory for every attribute (2 million took 1.8 GiB), so they are counted first
        in a tag that may hold more: one not plainly written, or long."""
        text = self.rawdata
        plain = _PLAIN_TAG.match(text, i)
        if plain is None or plain.end() - i > 2 * MAX_ATTRIBUTES:
            found, at = 0, i + 1  # the tag's name, then each attribute
            while (m := _ATTRIBUTE.match(text, at)) is not None:
                found, at = found + 1, m.end()
                if found > MAX_ATTRIBUTES + 1:
                    raise _TooManyAttributesError
        return HTMLParser.parse_starttag(self, i)

    # -- metadata -------------------------------------------------------------------------

    def meta_title(self) -> str | None:
        for value in (self._meta.get("og:title"), *self._titles):
            if value and (title := " ".join(value.split())):
                return title
        return None

    def author(self) -> str | None:
        for key in ("author", "article:author"):
            value = " ".join(self._meta.get(key, "").split())
            if value and not value.startswith(("http://", "https://")):
                return value
        return None

    def published(self) -> dt.datetime | None:
        for value in (*(self._meta.get(k) for k in _DATE_META), self._time):
            if value and (when := parse_article_date(value)) is not None:
                return when
        return None

    def source_url(self) -> str | None:
        for value in (self._canonical, self._meta.get("og:url")):
            if value and domain_of(value) and value.strip().lower().startswith("http"):
                return value.strip()
        return None

    # -- events ---------------------------------------------------------------------------

    def _pos(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def _settle(self, at: int) -> None:
        """End the pending text event at ``at``: its last non-space character ends the run."""
        if self._data_at >= 0:
            raw = self.text[self._data_at : at]
            self._run.end = self._data_at + len(raw.rstrip())
            self._data_at = -1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        at = self._pos()
        self._settle(at)
        self._end_title()
        if self._skip is not None:
            if tag not in _VOID:
                self._skip_open[tag] = self._skip_open.get(tag, 0) + 1
            return
        if tag == "meta":
            self._read_meta(dict(attrs))
        elif tag == "link":
            self._read_link(dict(attrs))
        elif tag == "title":
            self._title = []
            return
        elif tag == "time" and self._time is None:
            self._time = dict(attrs).get("datetime")
        elif tag == "html" and self.language is None:
            found = dict(attrs)
            self.language = found.get("lang") or found.get("xml:lang")
        if tag in _SKIP_BLOCKS or tag in _BLOCKS:
            self._implicit_closes(tag)
            self._flush()
            if self._stack:
                self._stack[-1].children += 1
        if tag in _SKIP:
            self._skip, self._skip_open = tag, {}
        elif tag in _BLOCKS:
            if tag not in _VOID:
                self._stack.append(_Frame(tag, at))
                self._open[tag] += 1
        elif tag in _SPACERS:
            self._run.parts.append(" ")
        elif not self._run.has_text and self._run.inline_at < 0:
            self._run.inline_at = at

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)  # <div/> in XHTML: an empty element

    def handle_endtag(self, tag: str) -> None:
        at = self._pos()
        self._settle(at)
        if self._title is not None:
            self._end_title()
            if tag == "title":
                return
        if self._skip is not None:
            if self._skip_open.get(tag, 0) > 0:
                self._skip_open[tag] -= 1
                return
            # The skipped element's own end, or an enclosing element's end that closes it.
            if tag != self._skip and not self._open[tag]:
                return
            self._skip = None
            if tag not in _BLOCKS:
                return
        close = self.text.find(">", at)
        end = len(self.text) if close < 0 else close + 1
        if tag in _BLOCKS:
            if self._open[tag]:
                while self._stack[-1].tag != tag:
                    self._close_top(None)
                self._close_top(end)
        elif tag in _SPACERS:
            self._run.parts.append(" ")
        elif self._run.has_text:
            self._run.end = end

    def handle_data(self, data: str) -> None:
        at = self._pos()
        self._settle(at)
        if self._title is not None:
            self._title.append(data)
            return
        if self._skip is not None:
            return
        run = self._run
        if data.strip():
            if not run.has_text:
                lead = at
                while self.text[lead].isspace():
                    lead += 1
                run.start = run.inline_at if run.inline_at >= 0 else lead
                run.has_text = True
            run.parts.append(data)
            self._data_at = at
        elif run.has_text:
            run.parts.append(data)

    def handle_comment(self, data: str) -> None:
        self._settle(self._pos())

    def handle_decl(self, decl: str) -> None:
        self._settle(self._pos())

    def handle_pi(self, data: str) -> None:
        self._settle(self._pos())

    def unknown_decl(self, data: str) -> None:
        self._settle(self._pos())

    def parse_marked_section(self, i: int, report: bool = True) -> int:
        # Python's parser raises AssertionError on "<![foo" (and moves its position first);
        # a browser reads such text as a bogus comment.  Keep the position, report "not
        # terminated", and the parser then passes it on as text.
        saved = self.lineno, self.offset
        try:
            return int(super().parse_marked_section(i, report))
        except AssertionError:
            self.lineno, self.offset = saved
            return -1

    # -- structure ------------------------------------------------------------------------

    def _end_title(self) -> None:
        """Any tag ends a ``<title>`` (it holds text only), so an unclosed one cannot run on."""
        if self._title is not None:
            self._titles.append("".join(self._title))
            self._title = None

    def _implicit_closes(self, tag: str) -> None:
        """Close what HTML closes before ``tag`` opens: ``<p>``, ``<li>``, ``<dt>``, ..."""
        if tag in _CLOSES_P:
            self._close_open("p")
        if tag == "li":
            self._close_open("li", stop={"ul", "ol", "menu", "dir"})
        elif tag in ("dt", "dd"):
            self._close_open("dt", "dd", stop={"dl"})
        elif tag == "tr":
            self._close_open("tr", stop={"thead", "tbody", "tfoot"})
        elif tag in _HEADINGS and self._stack and self._stack[-1].tag in _HEADINGS:
            self._close_top(None)

    def _close_open(self, *tags: str, stop: set[str] | frozenset[str] = frozenset()) -> None:
        if not any(self._open[t] for t in tags):
            return
        for i in range(len(self._stack) - 1, -1, -1):
            name = self._stack[i].tag
            if name in tags:
                while len(self._stack) > i:
                    self._close_top(None)
                return
            if name in _SCOPE or name in stop:
                return

    def _flush(self) -> None:
        """Make the inline run a paragraph of the innermost open block."""
        run, self._run = self._run, _Run()
        text = without_urls("".join(run.parts))
        if not run.has_text or not text:
            return
        frame = self._stack[-1] if self._stack else None
        level = _HEADINGS.get(frame.tag, 0) if frame else 0
        para = _Para(text, run.start, run.end, level)
        self.paragraphs.append(para)
        if frame is not None:
            frame.paragraphs += 1
            frame.last = para

    def _close_top(self, end: int | None) -> None:
        """Close the innermost block; ``end`` is where its end tag ends (``None``: implied)."""
        self._flush()
        frame = self._stack.pop()
        self._open[frame.tag] -= 1
        if frame.paragraphs == 1 and frame.children == 0 and frame.last is not None:
            # All its text is one paragraph: span the element itself.
            frame.last.start = frame.start
            if end is not None:
                frame.last.end = end

    def _read_meta(self, attrs: dict[str, str | None]) -> None:
        key = attrs.get("property") or attrs.get("name") or attrs.get("itemprop")
        content = attrs.get("content")
        if key and content:
            self._meta.setdefault(key.strip().lower(), content)

    def _read_link(self, attrs: dict[str, str | None]) -> None:
        rel = (attrs.get("rel") or "").lower().split()
        if "canonical" in rel and self._canonical is None and attrs.get("href"):
            self._canonical = attrs["href"]


class _TooManyAttributesError(Exception):
    """A start tag of more than :data:`MAX_ATTRIBUTES` attributes (the loader names the file)."""
