"""``eval``: ranking quality on a test collection (BEIR or SMART)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ._errors import EXIT_CODES_HELP
from ._options import json_option
from ._render import StageProgress, clean, clean_line, echo_json, isatty, plural

__all__ = ["eval_command"]


@click.command(
    "eval", short_help="Measure ranking quality on a test collection.", epilog=EXIT_CODES_HELP
)
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", "beir", "smart"]),
    default="auto",
    show_default=True,
    help="The collection's layout; auto tells BEIR and SMART apart by file names.",
)
@click.option(
    "--split", default="test", show_default=True, help="BEIR judgments to use: qrels/SPLIT.tsv."
)
@click.option(
    "--index",
    "index_dir",
    type=click.Path(path_type=Path),
    default=None,
    metavar="DIR",
    help="Keep the collection's index in DIR and reuse it next time (default: a temporary one).",
)
@click.option("--rebuild", is_flag=True, help="With --index: build it again even if it exists.")
@click.option("--per-query", is_flag=True, help="Also give each query's figures.")
@json_option("Print one JSON object: ndcg@10, recall@100, mrr@10, map@100, queries, qps.")
def eval_command(
    path: Path,
    fmt: str,
    split: str,
    index_dir: Path | None,
    rebuild: bool,
    per_query: bool,
    as_json: bool,
) -> None:
    """\b
    Example:
      searchkit eval ../shared/data/scifact --json

    Index a test collection (a BEIR folder, or a SMART one such as Cranfield),
    run its queries through the same search as `searchkit search`, and report
    nDCG@10, Recall@100, MRR@10 and MAP@100 (trec_eval's definitions) and
    queries per second.  A document ranks by its best paragraph.

    Python: searchkit.evaluate(PATH, format=..., split=..., index_path=...)
    """
    from ..evaluation import evaluate

    report = evaluate(
        path,
        format=fmt,  # type: ignore[arg-type]
        split=split,
        index_path=index_dir,
        rebuild=rebuild,
        progress=StageProgress() if isatty(sys.stderr) else None,
    )
    if report.duplicates:
        shown = ", ".join(repr(d) for d in report.duplicates[:5])
        more = ", ..." if len(report.duplicates) > 5 else ""
        click.echo(
            f"Warning: {plural(len(report.duplicates), 'document id')} repeated in the "
            f"collection (the first document of each was indexed): {clean_line(shown)}{more}",
            err=True,
        )
    if as_json:
        echo_json(report.as_dict(per_query=per_query))
        return
    if per_query:
        for q in report.per_query:
            click.echo(
                f"{q.id}\t{q.ndcg_10:.4f}\t{q.recall_100:.4f}\t{q.mrr_10:.4f}\t"
                f"{q.map_100:.4f}\t{clean(' '.join(q.text.split()))}"
            )
    took = f"; indexing took {report.index_seconds:.1f} s" if report.index_seconds else ""
    queries = f"{report.queries} {'query' if report.queries == 1 else 'queries'}"
    click.echo(
        f"{clean_line(report.collection)} ({report.format}, {report.split}): "
        f"{queries} over {plural(report.documents, 'document')} "
        f"({plural(report.chunks, 'paragraph')})\n"
        f"nDCG@10     {report.ndcg_10:.4f}\n"
        f"Recall@100  {report.recall_100:.4f}\n"
        f"MRR@10      {report.mrr_10:.4f}\n"
        f"MAP@100     {report.map_100:.4f}\n"
        f"Queries/s   {report.qps:.1f} (searching only{took})"
    )
