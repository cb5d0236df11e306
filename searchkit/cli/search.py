"""Finding paragraphs: ``search``, ``similar`` and ``complete``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .._utf8 import json_text
from ._errors import EXIT_CODES_HELP, EXIT_NO_HITS
from ._options import (
    Output,
    QueryCommand,
    complete_doc_id,
    dask_options,
    explore_options,
    filter_options,
    index_option,
    json_option,
    output_options,
    paging_options,
    running_options,
    shape_options,
)
from ._render import Style, clean, echo_json, plural, print_results, tsv_value, use_color

if TYPE_CHECKING:
    from .._types import Mode
    from ..models import Results

__all__ = ["complete", "search", "similar"]


@click.command(
    cls=QueryCommand, short_help="Search the indexed paragraphs.", epilog=EXIT_CODES_HELP
)
@click.argument("query", nargs=-1, required=True)
@paging_options("Order by relevance, by date (newest first) or oldest first.")
@filter_options
@click.option(
    "--doc",
    "doc_ids",
    multiple=True,
    metavar="DOC_ID",
    shell_complete=complete_doc_id,
    help="Only in this document. Repeat for any of several.",
)
@click.option(
    "--and",
    "require_all",
    is_flag=True,
    help="Require every word (by default any word matches; more matches rank higher).",
)
@click.option(
    "--exact",
    is_flag=True,
    help="Search the words as typed: no 'Showing results for' correction of a word no "
    "paragraph holds.",
)
@click.option(
    "--mode",
    type=click.Choice(["lexical", "hybrid"]),
    default="lexical",
    show_default=True,
    help="hybrid: re-rank BM25's best 100 with paragraph vectors (needs searchkit[semantic] "
    "when the index is built).",
)
@click.option(
    "--proximity", is_flag=True, help="Rank paragraphs where the words sit close together higher."
)
@shape_options("One hit per document, with its next-best paragraphs.")
@click.option(
    "--collapse/--flat",
    default=True,
    help="Show each document once, as its best paragraph, with a count of its other "
    "matches (the default); --flat ranks every matching paragraph as a hit of its own.",
)
@explore_options
@dask_options(
    "Search each shard on the Dask scheduler at ADDRESS (host:port, or 'local'); needs a "
    "sharded index or several --index, and searchkit[dask]."
)
@running_options
@output_options(
    "Print one JSON object: total, page, pages, limit, query, grouped, hits, facets, histogram, "
    "suggestions."
)
@index_option
def search(
    query: tuple[str, ...],
    paging: dict[str, Any],
    filters: dict[str, Any],
    doc_ids: tuple[str, ...],
    require_all: bool,
    exact: bool,
    mode: Mode,
    proximity: bool,
    shape: dict[str, Any],
    collapse: bool,
    explore: dict[str, Any],
    dask_address: str | None,
    dask_timeout: float,
    running: dict[str, Any],
    output: Output,
    index_dir: tuple[Path, ...],
) -> None:
    """\b
    Example:
      searchkit search '"prisoner exchange"' --since 2025-06 -n 5

    Search the paragraphs for QUERY (several words are joined with spaces).
    Quote a phrase: '"1000 for 1000"'.  Fields: title:belarus, author:"natalia".
    Wildcards and fuzzy words: exchang*, Lukashenka~.  Operators: AND, OR, AND NOT.
    A word starting with - that is not an option below is query text (oil -prices:
    oil but not prices); every word after -- is query text.

    Prints rank, score, title, date, author, paragraph number, chunk id and a
    snippet with the matched words emphasised.  'searchkit show CHUNK_ID' prints
    the whole paragraph.  Each document is shown once, as its best paragraph;
    "+N more in this document (--doc DOC_ID)" says how to list its other
    matches, and --flat ranks every matching paragraph alone.  JSON hits
    carry: rank, score, chunk_id, doc_id, paragraph, part, seq, title, author,
    authors, published, source_url,
    source_domain, path, start, end, text, highlights, spans, title_spans, before,
    after, more, explanation, index, more_count.  The --json object also carries
    total, page, pages, limit, query, grouped, timed_out, facets, histogram,
    suggestions, collapsed and paragraphs.

    --facets and --histogram count over all matches, not just the page, and
    print after the hits; --explain shows why each hit scored what it did.

    Python: Index.open(DIR).search(QUERY, limit=..., since=..., ...);
    searchkit.open_many([DIR, ...]) for several --index; search(..., client=CLIENT)
    for --dask
    """
    from .._types import SearchRequest
    from ..shards import open_indexes

    wanted = SearchRequest(
        " ".join(query),
        **paging,
        **filters,
        doc_id=doc_ids or None,
        operator="and" if require_all else "or",
        collapse="document" if collapse else "none",
        exact=exact,
        mode=mode,
        proximity=proximity,
        **shape,
        **explore,
        **running,
    )
    with open_indexes(index_dir) as ix:
        if dask_address:
            from ..shards import search_with_dask

            results = search_with_dask(ix, dask_address, wanted, cluster_timeout=dask_timeout)
        else:
            results = ix.search(wanted)
    say_stopped(results, wanted.timeout)
    emit_results(results, output)


@click.command(short_help="Find the paragraphs most like one.", epilog=EXIT_CODES_HELP)
@click.argument("source_id", metavar="ID")
@click.option(
    "--doc",
    "whole_document",
    is_flag=True,
    help="Use ID's whole document as the source (ID may be a chunk id or a document id).",
)
@paging_options("Order by likeness, by date (newest first) or oldest first.")
@filter_options
@shape_options("Articles instead of paragraphs: one hit each.")
@explore_options
@running_options
@output_options("Print one JSON object, as search --json does.")
@index_option
def similar(
    source_id: str,
    whole_document: bool,
    paging: dict[str, Any],
    filters: dict[str, Any],
    shape: dict[str, Any],
    explore: dict[str, Any],
    running: dict[str, Any],
    output: Output,
    index_dir: tuple[Path, ...],
) -> None:
    """\b
    Example:
      searchkit similar 4ad86e3e89702ede:7 -n 5

    Print the paragraphs most like the paragraph ID (a chunk id, as search
    prints it), or like a whole document (a document id, or --doc), never the
    source itself.  With --group, the articles most like it.  The output and its
    options are search's; the query shown is the one built from the source's
    most telling words.

    Python: Index.open(DIR).similar(ID, limit=..., group=..., document=...);
    searchkit.open_many([DIR, ...]) for several --index
    """
    from .._types import SimilarRequest
    from ..shards import open_indexes

    wanted = SimilarRequest(
        source_id, **paging, **filters, **shape, **explore, **running, document=whole_document
    )
    with open_indexes(index_dir) as ix:
        results = ix.similar(wanted)
    say_stopped(results, wanted.timeout)
    emit_results(results, output)


def say_stopped(results: Results, timeout: float | None) -> None:
    """Say on stderr that the search ran out of time (``--timeout``)."""
    if results.timed_out:
        click.echo(f"Stopped after {timeout:g} s (--timeout): the hits may be incomplete", err=True)


def emit_results(results: Results, output: Output) -> None:
    """Print ``results`` as asked (search, similar); exit 1 when the page has no hits."""
    if output.as_json:
        echo_json(results.as_dict(output.fields))
    elif output.as_jsonl:
        for hit in results.as_dict(output.fields)["hits"]:
            click.echo(json_text(hit))
    elif output.fields is not None:
        for hit in results.as_dict(output.fields)["hits"]:
            click.echo("\t".join(tsv_value(hit[f]) for f in hit))
    else:
        print_results(results, Style(use_color(output.color)))
    if not results.hits:
        raise click.exceptions.Exit(EXIT_NO_HITS)


@click.command(short_help="Complete the last word of a query.", epilog=EXIT_CODES_HELP)
@click.argument("text", nargs=-1, required=True)
@click.option("-n", "--limit", type=int, default=10, show_default=True, help="Completions at most.")
@json_option("Print a JSON list of {text, word, count}.")
@index_option
def complete(text: tuple[str, ...], limit: int, as_json: bool, index_dir: tuple[Path, ...]) -> None:
    """\b
    Example:
      searchkit complete "prisoner exch"

    Print ways to finish the last word of TEXT (several words are joined with
    spaces) with words from the index, most common first: one completed query a
    line.  Exits 1 when there is none.

    Python: Index.open(DIR).complete(TEXT, limit=N); open_many for several --index
    """
    from ..shards import open_indexes

    with open_indexes(index_dir) as ix:
        completions = ix.complete(" ".join(text), limit=limit)
    if as_json:
        echo_json([c.as_dict() for c in completions])
    else:
        for c in completions:
            click.echo(clean(c.text))
        click.echo(plural(len(completions), "completion"), err=True)
    if not completions:
        raise click.exceptions.Exit(EXIT_NO_HITS)
