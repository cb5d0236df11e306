"""The command line's explore commands (``similar``, ``complete``) and the printing of
facets, histograms and score explanations.

Kept apart from ``cli.py`` so that it stays one module a reader can hold; it registers
its commands on :data:`searchkit.cli.cli` when ``cli.py`` imports it.  Like ``cli.py``,
it imports the library only inside the commands.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .cli import (
    EXIT_CODES_HELP,
    EXIT_NO_HITS,
    SORT_CHOICES,
    _clean,
    _color_option,
    _echo_json,
    _emit_results,
    _explore_options,
    _facet_names,
    _index_option,
    _json_option,
    _plural,
    _Style,
    cli,
)

if TYPE_CHECKING:
    from .models import Bucket, Hit

__all__ = ["explanation_lines", "print_facets", "print_histogram"]

# The longest bar of a histogram, in characters.
_BAR_WIDTH = 40


def print_facets(facets: Mapping[str, Mapping[str, int]], style: _Style) -> None:
    """One line per facet: ``author: Jo Doe (2), Ann Lee (1)``; nothing without facets."""
    if not facets:
        return
    style.echo(style("Facets (articles):", bold=True))
    for name, counts in facets.items():
        values = ", ".join(f"{_clean(value)} ({n})" for value, n in counts.items())
        style.echo(f"  {name}: {values or '-'}")
    style.echo()


def print_histogram(buckets: Sequence[Bucket], style: _Style) -> None:
    """A text bar per bucket, as long as its paragraph count (the longest fills
    :data:`_BAR_WIDTH`), followed by its article and paragraph counts."""
    if not buckets:
        return
    most = max(b.paragraphs for b in buckets) or 1
    width = max(len(b.start) for b in buckets)
    style.echo(style("Matches by date (articles, paragraphs):", bold=True))
    for b in buckets:
        bar = "█" * max(1 if b.paragraphs else 0, round(_BAR_WIDTH * b.paragraphs / most))
        style.echo(f"  {b.start:<{width}}  {bar:<{_BAR_WIDTH}}  {b.articles} {b.paragraphs}")
    style.echo()


def explanation_lines(hit: Hit) -> list[str]:
    """``= 2.04 score`` then one line per matched term: its share and how it was made."""
    lines = [f"= {hit.score:.4f}, the sum of:"]
    for t in hit.explanation:
        line = f"  {t.score:.4f}  {t.field}:{_clean(t.term)}"
        if t.tf is not None and t.idf is not None:
            line += f"  tf {t.tf:g}, idf {t.idf:.4f}"
            if t.length is not None and t.avg_length is not None:
                line += f", length {t.length:g} (average {t.avg_length:.1f})"
        if t.boost != 1.0:
            line += f", boost {t.boost:.4g}"
        if t.query != f"{t.field}:{t.term}":
            line += f"  from {_clean(t.query)}"
        lines.append(line)
    return lines


@cli.command(short_help="Find the paragraphs most like one.", epilog=EXIT_CODES_HELP)
@click.argument("source_id", metavar="ID")
@click.option(
    "--doc",
    "whole_document",
    is_flag=True,
    help="Use ID's whole document as the source (ID may be a chunk id or a document id).",
)
@click.option("-n", "--limit", type=int, default=10, show_default=True, help="Hits per page.")
@click.option("--page", type=int, default=1, show_default=True, help="Which page of hits.")
@click.option(
    "--author", multiple=True, help="Only this author (the whole name, any case). Repeatable."
)
@click.option("--since", metavar="DATE", help="Only published in or after DATE.")
@click.option("--until", metavar="DATE", help="Only published in or before DATE.")
@click.option("--source", multiple=True, metavar="DOMAIN", help="Only from this site. Repeatable.")
@click.option(
    "--sort",
    type=click.Choice(SORT_CHOICES),
    default="relevance",
    show_default=True,
    help="Order by likeness, by date (newest first) or oldest first.",
)
@click.option("--group", is_flag=True, help="Articles instead of paragraphs: one hit each.")
@click.option(
    "--group-size",
    type=int,
    default=3,
    show_default=True,
    help="With --group: paragraphs shown per document.",
)
@click.option(
    "--context",
    type=int,
    default=0,
    show_default=True,
    metavar="N",
    help="Also show N paragraphs before and after each hit.",
)
@_explore_options
@_json_option("Print one JSON object, as search --json does.")
@click.option("--jsonl", "as_jsonl", is_flag=True, help="Print one JSON hit a line.")
@click.option(
    "--fields",
    metavar="a,b,c",
    help="Only these hit fields: in the JSON, or tab-separated a hit a line without it.",
)
@_color_option
@_index_option
def similar(
    source_id: str,
    whole_document: bool,
    limit: int,
    page: int,
    author: tuple[str, ...],
    since: str | None,
    until: str | None,
    source: tuple[str, ...],
    sort: str,
    group: bool,
    group_size: int,
    context: int,
    facets: str | None,
    facet_limit: int,
    histogram: str | None,
    explain: bool,
    as_json: bool,
    as_jsonl: bool,
    fields: str | None,
    color: str,
    index_dir: Path,
) -> None:
    """\b
    Example:
      searchkit similar 4ad86e3e89702ede:7 -n 5

    Print the paragraphs most like the paragraph ID (a chunk id, as search
    prints it), or like a whole document (a document id, or --doc), never the
    source itself.  With --group, the articles most like it.  The output and its
    options are search's; the query shown is the one built from the source's
    most telling words.

    Python: Index.open(DIR).similar(ID, limit=..., group=..., document=...)
    """
    from .index import Index

    if as_json and as_jsonl:
        raise click.UsageError("give --json or --jsonl, not both")
    selected = None if fields is None else [f.strip() for f in fields.split(",") if f.strip()]
    with Index.open(index_dir) as ix:
        results = ix.similar(
            source_id,
            limit=limit,
            page=page,
            author=author or None,
            since=since,
            until=until,
            source=source or None,
            sort=sort,  # type: ignore[arg-type]  # click.Choice checked it
            group=group,
            group_size=group_size,
            context=context,
            facets=_facet_names(facets),
            facet_limit=facet_limit,
            histogram=histogram,  # type: ignore[arg-type]
            explain=explain,
            document=whole_document,
        )
    _emit_results(results, as_json, as_jsonl, selected, color)


@cli.command(short_help="Complete the last word of a query.", epilog=EXIT_CODES_HELP)
@click.argument("text", nargs=-1, required=True)
@click.option("-n", "--limit", type=int, default=10, show_default=True, help="Completions at most.")
@_json_option("Print a JSON list of {text, word, count}.")
@_index_option
def complete(text: tuple[str, ...], limit: int, as_json: bool, index_dir: Path) -> None:
    """\b
    Example:
      searchkit complete "prisoner exch"

    Print ways to finish the last word of TEXT (several words are joined with
    spaces) with words from the index, most common first: one completed query a
    line.  Exits 1 when there is none.

    Python: Index.open(DIR).complete(TEXT, limit=N)
    """
    from .index import Index

    with Index.open(index_dir) as ix:
        completions = ix.complete(" ".join(text), limit=limit)
    if as_json:
        _echo_json([c.as_dict() for c in completions])
    else:
        for c in completions:
            click.echo(_clean(c.text))
        click.echo(_plural(len(completions), "completion"), err=True)
    if not completions:
        raise click.exceptions.Exit(EXIT_NO_HITS)
