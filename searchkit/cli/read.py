"""Reading what the index holds: ``show`` (a paragraph or a document), ``docs``, ``stats``."""

from __future__ import annotations

from pathlib import Path

import click
from click.core import ParameterSource

from ._errors import EXIT_CODES_HELP
from ._options import color_option, complete_doc_id, index_option, index_report, json_option
from ._render import (
    Style,
    clean_line,
    echo_json,
    plural,
    print_document,
    print_documents,
    print_passage,
    print_stats,
    use_color,
)

__all__ = ["docs", "show", "stats"]


@click.command(short_help="Print a paragraph, or a whole document.", epilog=EXIT_CODES_HELP)
@click.argument("chunk_id", required=False)
@click.option(
    "--doc",
    "doc_id",
    metavar="DOC_ID",
    shell_complete=complete_doc_id,
    help="Print this whole document with its metadata instead.",
)
@click.option(
    "--context",
    type=int,
    default=1,
    show_default=True,
    metavar="N",
    help="Paragraphs to show before and after CHUNK_ID.",
)
@json_option("Print one JSON object (a chunk with before/after, or a document).")
@color_option
@index_option
def show(
    chunk_id: str | None,
    doc_id: str | None,
    context: int,
    as_json: bool,
    color: str,
    index_dir: tuple[Path, ...],
) -> None:
    """\b
    Example:
      searchkit show 4ad86e3e89702ede:7 --context 2

    Print the paragraph CHUNK_ID (as search prints it) with its neighbours, or
    with --doc DOC_ID a whole document: its metadata and every paragraph.

    Python: Index.open(DIR).passage(CHUNK_ID, context=N) or .document(DOC_ID)
    """
    from ..shards import open_indexes

    ctx = click.get_current_context()
    if (chunk_id is None) == (doc_id is None):
        raise click.UsageError("give a CHUNK_ID or --doc DOC_ID, one of them")
    if doc_id is not None and ctx.get_parameter_source("context") != ParameterSource.DEFAULT:
        raise click.UsageError("--context goes with a CHUNK_ID, not with --doc")
    style = Style(use_color(color))
    with open_indexes(index_dir) as ix:
        if doc_id is not None:
            document = ix.document(doc_id)
            if as_json:
                echo_json(document.as_dict())
            else:
                print_document(document, style)
        else:
            assert chunk_id is not None
            passage = ix.passage(chunk_id, context)
            if as_json:
                echo_json(passage.as_dict())
            else:
                print_passage(passage.chunk, passage.before, passage.after, style)


@index_report("List the indexed documents.", "Print a JSON list of documents with their metadata.")
def docs(as_json: bool, index_dir: tuple[Path, ...]) -> None:
    """\b
    Example:
      searchkit docs --json | jq -r '.[].title'

    List the indexed documents: id, title, date, author, paragraphs and path.

    Python: Index.open(DIR).documents()
    """
    from ..shards import open_indexes

    with open_indexes(index_dir) as ix:
        infos = ix.documents()
    if as_json:
        echo_json([d.as_dict() for d in infos])
        return
    print_documents(infos)
    where = ", ".join(clean_line(str(p)) for p in index_dir)
    click.echo(f"{plural(len(infos), 'document')} in {where}", err=True)


@index_report("Show counts, size and versions of the index.", "Print one JSON object.")
def stats(as_json: bool, index_dir: tuple[Path, ...]) -> None:
    """\b
    Example:
      searchkit stats --index my-index

    Show the index's documents, paragraphs, size on disk, fields, when it was last
    updated, the Whoosh distribution and the schema version.

    Python: Index.open(DIR).stats()
    """
    from ..shards import open_indexes

    with open_indexes(index_dir) as ix:
        info = ix.stats()
    if as_json:
        echo_json(info.as_dict())
    else:
        print_stats(info)
