"""``eval``: ranking quality on a test collection (BEIR or SMART)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

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
@click.option(
    "--mode",
    type=click.Choice(["lexical", "hybrid"]),
    default="lexical",
    show_default=True,
    help="Rank as search --mode does.",
)
@click.option("--proximity", is_flag=True, help="Rank as search --proximity does.")
@click.option(
    "--compare",
    nargs=2,
    metavar="A B",
    default=None,
    help="Compare two rankings (lexical, hybrid, lexical+proximity, hybrid+proximity): "
    "per-query nDCG@10 differences and a paired randomisation test's p-value.",
)
@json_option("Print one JSON object: ndcg@10, recall@100, mrr@10, map@100, queries, qps.")
def eval_command(
    path: Path,
    fmt: str,
    split: str,
    index_dir: Path | None,
    rebuild: bool,
    per_query: bool,
    mode: str,
    proximity: bool,
    compare: tuple[str, str] | None,
    as_json: bool,
) -> None:
    """\b
    Example:
      searchkit eval ../shared/data/scifact --json

    Index a test collection (a BEIR folder, or a SMART one such as Cranfield),
    run its queries through the same search as `searchkit search`, and report
    nDCG@10, Recall@100, MRR@10 and MAP@100 (trec_eval's definitions) and
    queries per second.  A document ranks by its best paragraph.

    With --compare A B, both rankings run over one index and the report gives
    each one's nDCG@10, B - A, the queries B ranks better and worse, and the
    p-value of a paired randomisation test (10,000 sign flips): below 0.05, the
    difference is unlikely to be noise.

    Python: searchkit.evaluate(PATH, format=..., split=..., index_path=..., mode=...);
    searchkit.evaluation.compare(PATH, A, B, ...) for --compare
    """
    from ..evaluation import evaluate

    # Where the collection and its index are, for one ranking or two.
    where: dict[str, Any] = {
        "format": fmt,
        "split": split,
        "index_path": index_dir,
        "rebuild": rebuild,
        "progress": StageProgress() if isatty(sys.stderr) else None,
    }
    if compare is not None:
        if mode != "lexical" or proximity:
            raise click.UsageError(
                "--compare names both rankings: leave out --mode and --proximity"
            )
        _compare(path, where, per_query, compare, as_json)
        return
    report = evaluate(path, **where, mode=mode, proximity=proximity)  # type: ignore[arg-type]
    _warn_duplicates(report.duplicates)
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


def _warn_duplicates(duplicates: tuple[str, ...]) -> None:
    if duplicates:
        shown = ", ".join(repr(d) for d in duplicates[:5])
        more = ", ..." if len(duplicates) > 5 else ""
        click.echo(
            f"Warning: {plural(len(duplicates), 'document id')} repeated in the "
            f"collection (the first document of each was indexed): {clean_line(shown)}{more}",
            err=True,
        )


def _compare(
    path: Path,
    where: dict[str, Any],
    per_query: bool,
    rankings: tuple[str, str],
    as_json: bool,
) -> None:
    from ..evaluation.compare import compare

    found = compare(path, rankings[0], rankings[1], **where)
    _warn_duplicates(found.report_a.duplicates)
    if as_json:
        echo_json(found.as_dict(per_query=per_query))
        return
    a, b = found.report_a, found.report_b
    if per_query:
        for qa, qb, d in zip(a.per_query, b.per_query, found.differences, strict=True):
            click.echo(
                f"{qa.id}\t{qa.ndcg_10:.4f}\t{qb.ndcg_10:.4f}\t{d:+.4f}\t"
                f"{clean(' '.join(qa.text.split()))}"
            )
    queries = f"{a.queries} {'query' if a.queries == 1 else 'queries'}"
    width = max(len(str(found.a)), len(str(found.b)), 5)
    click.echo(
        f"{clean_line(a.collection)} ({a.format}, {a.split}): {queries}, nDCG@10\n"
        f"A {found.a!s:<{width}}  {a.ndcg_10:.4f}  ({a.qps:.1f} queries/s)\n"
        f"B {found.b!s:<{width}}  {b.ndcg_10:.4f}  ({b.qps:.1f} queries/s)\n"
        f"B - A {'':<{width - 4}}  {found.difference:+.4f}  (better on {found.better}, "
        f"worse on {found.worse}, same on {found.same})\n"
        f"p = {found.p_value:.4f} (paired randomisation test, {found.trials:,} sign flips)"
    )
