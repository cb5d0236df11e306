"""Document text as HTML for the pages: escaped, the query's words in ``<mark>``, code as code.

A chunk's ``code`` (Markdown code spans and blocks, recorded by the loader) becomes
``<code>`` elements, and a paragraph that is code from end to end a ``<pre>`` block.  A
mark inside code nests in its ``<code>``; a mark that crosses a code span's edge is cut
there, so the elements always nest.  Every character of the text is escaped: nothing a
document holds becomes markup.
"""

from __future__ import annotations

import html
import itertools
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fastapi.responses import JSONResponse
from markupsafe import Markup

from .._snippets import snippet_window
from .._utf8 import json_text, without_surrogates
from ..models import Chunk, Document, Hit, Paragraph, Results

__all__ = [
    "JSONTextResponse",
    "Spans",
    "document_marks",
    "hit_html",
    "is_code_block",
    "printable",
    "results_marks",
    "text_html",
]

Spans = Sequence[tuple[int, int]]


def is_code_block(part: Chunk | Paragraph) -> bool:
    """Whether ``part`` is code from its first character to its last (a code block)."""
    return len(part.code) == 1 and part.code[0] == (0, len(part.text)) and bool(part.text)


def text_html(
    text: str,
    marks: Spans = (),
    code: Spans = (),
    lo: int = 0,
    hi: int | None = None,
    *,
    one_line: bool = False,
) -> Markup:
    """``text[lo:hi]`` as HTML: escaped, ``marks`` in ``<mark>``, ``code`` in ``<code>``.

    ``marks`` and ``code`` are ``(start, end)`` offsets in ``text``, each sorted and not
    overlapping one another.  ``one_line`` turns line breaks into spaces (a snippet).
    """
    hi = len(text) if hi is None else hi
    cuts = {lo, hi}
    for s, e in (*marks, *code):
        cuts.update(x for x in (s, e) if lo < x < hi)
    edges = sorted(cuts)
    inside_mark, inside_code = _finder(marks), _finder(code)
    out: list[str] = []
    open_code = False
    for a, b in itertools.pairwise(edges):
        in_code = inside_code(a, b)
        if in_code != open_code:
            out.append("<code>" if in_code else "</code>")
            open_code = in_code
        piece = html.escape(text[a:b])
        if one_line:
            piece = piece.replace("\r", " ").replace("\n", " ")
        out.append(f"<mark>{piece}</mark>" if inside_mark(a, b) else piece)
    if open_code:
        out.append("</code>")
    return Markup("".join(out))  # every piece of text is escaped above


def _finder(spans: Spans) -> Callable[[int, int], bool]:
    starts = [s for s, _ in spans]
    ends = [e for _, e in spans]

    def inside(a: int, b: int) -> bool:
        i = bisect_right(starts, a) - 1
        return i >= 0 and b <= ends[i]

    return inside


def hit_html(hit: Hit, width: int = 240) -> Markup:
    """A hit's snippet (the window :meth:`Hit.snippet` shows) as HTML, with its code."""
    lo, hi = snippet_window(hit.text, hit.spans, width)
    body = text_html(hit.text, hit.spans, hit.code, lo, hi, one_line=True)
    before = "…" if lo > 0 else ""
    after = "…" if hi < len(hit.text) else ""
    return Markup(before) + body + Markup(after)


def results_marks(results: Results) -> dict[str, Spans]:
    """Each hit's chunk id and its matches."""
    return {hit.id: hit.spans for hit in results.hits}


def document_marks(doc: Document, results: Results) -> dict[int, Spans]:
    """The matches of ``results`` (hits of one document) per paragraph number of ``doc``,
    in the paragraph's whole text (a part of a split paragraph shifted to its place)."""
    paragraphs: Mapping[int, Paragraph] = {p.number: p for p in doc.paragraphs}
    out: dict[int, list[tuple[int, int]]] = {}
    for hit in results.hits:
        para = paragraphs.get(hit.paragraph)
        if para is None or not hit.spans:
            continue
        if hit.part == 1:
            at = 0
        elif para.end - para.start == len(para.text):  # a literal slice: offsets say where
            at = hit.start - para.start
        else:
            at = max(para.text.find(hit.text), 0)
        out.setdefault(hit.paragraph, []).extend((s + at, e + at) for s, e in hit.spans)
    return {n: sorted(spans) for n, spans in out.items()}


class JSONTextResponse(JSONResponse):
    """The API's answers as JSON any UTF-8 reader takes (a lone surrogate a document
    holds escaped, as the command line's ``--json`` escapes it)."""

    def render(self, content: Any) -> bytes:
        return json_text(content).encode("utf-8")


def printable(value: Any) -> Any:
    """What a page prints of ``value`` (Jinja's ``finalize``): text with a lone surrogate
    shows it as U+FFFD, where UTF-8 could not encode the page."""
    if isinstance(value, str):
        clean = without_surrogates(value)
        if clean is not value:
            return Markup(clean) if isinstance(value, Markup) else clean
    return value
