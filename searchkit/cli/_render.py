"""What the commands print: hits, paragraphs, documents, reports and progress bars, for
a terminal (colour, control characters cleaned) or as JSON.

Text from the index never reaches a terminal as it is: every line goes through
:func:`clean` (control characters but newlines become spaces, one character for one, so a
hit's spans stay true) or :func:`clean_line` (line breaks too).  JSON keeps the text exact.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shlex
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import attrs
import click

from .._utf8 import json_text
from ._explore import explanation_lines, facet_lines, histogram_lines

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

    from ..models import Chunk, Document, DocumentInfo, Hit, IndexReport, IndexStats, Results
    from ..reports import Skipped

# C0/C1 control characters but newline (escape sequences, carriage returns): a document's
# text never reaches a terminal with them; nor with lone surrogates (UTF-8 has none).
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
# The same and line breaks, for what must stay on one line (a title, a path, a field).
_CONTROL_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


class Style:
    """Terminal styling when colour is on, plain text (and ``[word]`` marks) when off."""

    def __init__(self, color: bool) -> None:
        self.color = color
        if color:
            self.mark = (click.style("", fg="yellow", bold=True, reset=False), "\x1b[0m")
        else:
            self.mark = ("[", "]")

    def __call__(self, text: str, **styles: Any) -> str:
        return click.style(text, **styles) if self.color else text

    def echo(self, text: str = "") -> None:
        click.echo(text, color=self.color)


class Progress:
    """``Index.add``'s progress callback: a bar on stderr, sized by the first report."""

    def __init__(self) -> None:
        self._bar: ProgressBar[str] | None = None
        self._done = 0

    def __call__(self, done: int, total: int, path: str) -> None:
        if self._bar is None:
            self._bar = click.progressbar(
                length=total,
                label="Indexing",
                file=sys.stderr,
                show_pos=True,
                item_show_func=lambda p: None if p is None else clean_line(Path(p).name)[:40],
            )
        self._bar.update(done - self._done, path)
        self._done = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.render_finish()
            self._bar = None


class StageProgress:
    """``evaluate``'s progress callback: one bar on stderr per stage (indexing, searching)."""

    def __init__(self) -> None:
        self._bar: ProgressBar[int] | None = None
        self._stage = ""
        self._done = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self._stage:
            if self._bar is not None:
                self._bar.render_finish()
            label = "Indexing" if stage == "index" else "Searching"
            self._bar = click.progressbar(length=total, label=label, file=sys.stderr)
            self._stage, self._done = stage, 0
        if self._bar is not None:
            self._bar.update(done - self._done)
            self._done = done
            if done >= total:
                self._bar.render_finish()


def isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def use_color(choice: str) -> bool:
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return isatty(sys.stdout)


def clean(text: str) -> str:
    """``text`` safe for a terminal: control characters but ``\\n`` become spaces, a lone
    surrogate U+FFFD.

    One character for one, so offsets into the text (a hit's spans) stay true.
    """
    return _CONTROL.sub(_blank, text)


def clean_line(text: str) -> str:
    """``text`` safe for a terminal and on one line: line breaks become spaces too."""
    return _CONTROL_LINE.sub(_blank, text)


def skipped_line(skipped: Skipped) -> str:
    """``Skipped PATH: reason`` (``Note`` for what was read with a remark), on one line."""
    label = "Note" if skipped.kind == "note" else "Skipped"
    return f"{label} {clean_line(skipped.path)}: {clean_line(skipped.reason)}"


def _blank(m: re.Match[str]) -> str:
    return "\ufffd" if m[0] >= "\ud800" else " "


def styled_snippet(hit: Hit, style: Style, width: int = 240) -> str:
    """The hit's snippet, cleaned before the (possibly colour) marks go in."""
    return attrs.evolve(hit, text=clean(hit.text)).snippet(width, mark=style.mark)


def styled_title(hit: Hit, style: Style) -> str:
    """The hit's title in bold, its matched words marked as in the snippet."""
    title = clean_line(hit.title)  # one character for one: the spans stay true
    pieces: list[str] = []
    at = 0
    for s, e in hit.title_spans:
        pieces += [style(title[at:s], bold=True) if s > at else "", *style.mark[:1]]
        pieces += [title[s:e], style.mark[1]]
        at = e
    return "".join([*pieces, style(title[at:], bold=True) if at < len(title) else ""])


def echo_json(value: Any) -> None:
    # A line at a time, as the text output goes, so a reader that stops early (| head)
    # and a failing write meet every output mode alike.
    for line in json_text(value, indent=2).split("\n"):
        click.echo(line)


def tsv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False)
    return " ".join(clean_line(str(value)).split())


def mib(size: int) -> str:
    """A size in bytes as MiB with one decimal."""
    return f"{size / 1048576:.1f} MiB"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def date_text(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if (value.hour, value.minute, value.second) == (0, 0, 0):
        return value.strftime("%Y-%m-%d")
    return value.strftime("%Y-%m-%d %H:%M")


def dotted(parts: Iterable[str | None]) -> str:
    return " · ".join(clean_line(p) for p in parts if p)


def pilcrow(chunk: Chunk) -> str:
    """``¶7``, or ``¶7.2`` for the second part of a split paragraph (as in its id)."""
    return "¶" + chunk.id.rsplit(":", 1)[-1]


def indented(text: str, first: str, rest: str) -> str:
    lines = text.split("\n")
    return "\n".join([first + lines[0], *(rest + line for line in lines[1:])])


def report_line(report: IndexReport, index_dir: Path) -> str:
    counts = [
        f"{n} {what}"
        for what, n in (
            ("added", report.added),
            ("updated", report.updated),
            ("renamed", report.renamed),
            ("removed", report.removed),
            ("unchanged", report.unchanged),
        )
        if n
    ]
    verb = "Dry run, nothing written: would index" if report.dry_run else "Indexed"
    line = (
        f"{verb} {plural(report.indexed, 'document')} "
        f"({plural(report.chunks, 'paragraph')}) in {clean_line(str(index_dir))}"
    )
    if counts:
        line += ": " + ", ".join(counts)
    kinds = [s.kind for s in report.skipped]
    left_out = [plural(kinds.count(k), k) for k in ("file", "record") if k in kinds]
    if left_out:
        line += "; skipped " + ", ".join(left_out)
    if "note" in kinds:
        line += f"; {plural(kinds.count('note'), 'note')}"
    return line + "."


def print_results(results: Results, style: Style) -> None:
    if results.corrected_query:
        click.echo(corrected_line(results), err=True)
    for hit in results:
        print_hit(hit, style)
    if results.facets:
        style.echo(style("Facets (articles):", bold=True))
        for line in facet_lines(results.facets):
            style.echo(clean(line))
        style.echo()
    if results.histogram:
        style.echo(style("Matches by date (articles, paragraphs):", bold=True))
        for line in histogram_lines(results.histogram):
            style.echo(line)
        style.echo()
    noun = "document" if results.grouped else "hit"
    # Collapsed, a hit is a document's best paragraph: say how many paragraphs matched.
    many = results.collapsed and results.paragraphs > results.total
    also = f" ({plural(results.paragraphs, 'matching paragraph')})" if many else ""
    if results.hits:
        line = plural(results.total, noun) + also
        if results.pages > 1:
            first, last = results.hits[0].rank, results.hits[-1].rank
            line = f"{noun.capitalize()}s {first}-{last} of {results.total}{also}, "
            line += f"page {results.page} of {results.pages}"
            if results.page < results.pages:
                line += f"; next: --page {results.page + 1}"
    elif results.total:
        line = (
            f"No {noun}s on page {results.page}: {plural(results.total, noun)} "
            f"fill {plural(results.pages, 'page')}"
        )
    else:
        line = "No hits"
    click.echo(line, err=True)
    for suggestion in results.suggestions:
        if suggestion != results.corrected_query:  # said above: "Showing results for"
            click.echo(f"Did you mean: {clean(suggestion)}", err=True)
    if results.suggestions_cut:
        click.echo(suggestions_cut(results.suggestions_cut), err=True)


def corrected_line(results: Results) -> str:
    """The note that the query was searched as corrected, and how to search it as typed."""
    return (
        f'Showing results for "{clean_line(results.corrected_query)}"; search instead for '
        f'"{clean_line(results.original_query)}" with --exact'
    )


def suggestions_cut(limit: str) -> str:
    """What stopped "did you mean" early, in one line."""
    if limit == "timeout":
        why = "the time budget (--timeout) ran out"
    else:
        why = f"it reached {limit} (SEARCHKIT_{limit.upper()} raises it)"
    return f"Did you mean: stopped early, {why}; suggestions may be missing"


def print_hit(hit: Hit, style: Style) -> None:
    style.echo(f"{hit.rank}. {styled_title(hit, style)}  (score {hit.score:.2f})")
    meta = dotted(
        [
            hit.relative_path,
            date_text(hit.published),
            hit.author,
            pilcrow(hit),
            hit.place,
            hit.id,
            hit.index,
        ]
    )
    style.echo("   " + style(meta, dim=True))
    if hit.before or hit.after:
        for c in hit.before:
            style.echo(style(indented(clean(c.text), f"   {pilcrow(c)}  ", "      "), dim=True))
        text = styled_snippet(hit, style, width=len(hit.text))
        style.echo(indented(text, f"   {pilcrow(hit)}  ", "      "))
        for c in hit.after:
            style.echo(style(indented(clean(c.text), f"   {pilcrow(c)}  ", "      "), dim=True))
    else:
        style.echo("   " + styled_snippet(hit, style))
    for line in explanation_lines(hit) if hit.explanation else ():
        style.echo("   " + style(clean(line), dim=True))
    for more in hit.more:
        style.echo(f"   also {pilcrow(more)} ({more.score:.2f}): " + styled_snippet(more, style))
        for line in explanation_lines(more) if more.explanation else ():
            style.echo("     " + style(clean(line), dim=True))
    if hit.more_count > len(hit.more):
        others = f"+{hit.more_count - len(hit.more)} more in this document"
        style.echo(
            "   " + style(f"{others} (--doc {shlex.quote(clean_line(hit.doc_id))})", dim=True)
        )
    style.echo()


def print_passage(
    chunk: Chunk, before: Sequence[Chunk], after: Sequence[Chunk], style: Style
) -> None:
    style.echo(style(clean_line(chunk.title), bold=True))
    meta = dotted([date_text(chunk.published), chunk.author, chunk.source_url])
    if meta:
        style.echo(style(meta, dim=True))
    where = [chunk.path, f"paragraph {pilcrow(chunk)[1:]}", chunk.place]
    where.append(f"characters {chunk.start}-{chunk.end}")
    style.echo(style(dotted([*where, chunk.id]), dim=True))
    for c in before:
        style.echo()
        style.echo(style(indented(clean(c.text), f"  {pilcrow(c)}  ", "      "), dim=True))
    style.echo()
    style.echo(indented(clean(chunk.text), f"> {pilcrow(chunk)}  ", "      "))
    for c in after:
        style.echo()
        style.echo(style(indented(clean(c.text), f"  {pilcrow(c)}  ", "      "), dim=True))


def print_document(doc: Document, style: Style) -> None:
    style.echo(style(clean_line(doc.title), bold=True))
    meta = dotted([date_text(doc.published), doc.author, doc.source_url])
    if meta:
        style.echo(style(meta, dim=True))
    style.echo(
        style(dotted([doc.path, plural(len(doc.paragraphs), "paragraph"), doc.id]), dim=True)
    )
    for p in doc.paragraphs:
        style.echo()
        style.echo(indented(clean(p.text), f"¶{p.number}  ", "    "))
    if doc.disclaimer:
        style.echo()
        style.echo(style(clean(f"Disclaimer: {doc.disclaimer}"), dim=True))


def print_documents(infos: Sequence[DocumentInfo]) -> None:
    for d in infos:
        click.echo(f"{d.id}  {clean_line(d.title)}")
        meta = dotted([date_text(d.published), d.author, plural(d.paragraphs, "paragraph"), d.path])
        click.echo(" " * (len(d.id) + 2) + meta)


def print_stats(info: IndexStats) -> None:
    rows = [
        ("Index", info.path),
        ("Documents", str(info.documents)),
        ("Paragraphs", str(info.chunks)),
        ("Size on disk", f"{info.size_bytes:,} bytes"),
        ("Segments", str(info.segments)),
        (
            "Last updated",
            info.last_updated.isoformat(" ", "seconds") if info.last_updated else "never",
        ),
        ("Schema version", str(info.schema_version)),
        ("Analyzer", info.analyzer),
        ("Whoosh", info.whoosh),
        ("Languages", ", ".join(f"{code} {n}" for code, n in info.languages) or "none"),
        ("Fields", ", ".join(info.fields)),
    ]
    width = max(len(k) for k, _ in rows) + 1
    for key, value in rows:
        click.echo(f"{key + ':':<{width}} {clean_line(value)}")
