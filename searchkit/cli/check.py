"""The index's upkeep: ``check`` verifies it (and repairs a damaged one), ``optimize``
merges its segments."""

from __future__ import annotations

from pathlib import Path

import click

from ._errors import EXIT_CODES_HELP, EXIT_INDEX
from ._options import index_option, index_report, json_option, one_index
from ._render import clean_line, echo_json, mib, plural
from .index import confirm_sources

__all__ = ["check", "optimize"]


@click.command(
    short_help="Verify the index; --repair rebuilds a damaged one.", epilog=EXIT_CODES_HELP
)
@click.option(
    "--repair",
    is_flag=True,
    help="If problems are found, rebuild the index from the files it was built from "
    "(listed, and asked about first).",
)
@click.option(
    "-y",
    "--yes",
    is_flag=True,
    help="With --repair: read the sources the index recorded without asking.",
)
@json_option("Print one JSON object: ok, problems, stale, documents, chunks, ...")
@index_option
def check(repair: bool, yes: bool, as_json: bool, index_dir: tuple[Path, ...]) -> None:
    """\b
    Example:
      searchkit check --index my-index --repair

    Open every segment, read every stored paragraph and term, and compare the
    counts with the index's manifest.  Files changed since they were indexed are
    listed as stale (run `searchkit index` to refresh them), and every file's
    checksum is compared with the one recorded when it was written.  Files left by
    writers that died are listed (--repair removes them).  Exits 0 when the index is
    sound (or was repaired), 3 when it has problems.

    A repair reads the sources the index recorded: it lists them and asks first
    (--yes answers for you; with no terminal and no --yes it refuses, exit 2),
    and reads none outside the folders the index was built from, nor /.

    Python: searchkit.check_index(DIR, repair=..., confirm=...)
    """
    from ..shards import check_index

    if yes and not repair:
        raise click.UsageError("--yes goes with --repair")
    where = one_index(index_dir, "check")
    report = check_index(
        where, repair=repair, confirm=confirm_sources(yes, f"Repairing index {where}")
    )
    if as_json:
        echo_json(report.as_dict())
    else:
        for problem in report.problems:
            click.echo(f"problem: {clean_line(problem)}")
        for path in report.stale:
            click.echo(f"stale: {clean_line(path)}")
        removed = "removed" if report.repaired else "check --repair removes it"
        for name in report.leftovers:
            click.echo(f"leftover of an interrupted write ({removed}): {clean_line(name)}")
        state = "repaired" if report.repaired else "ok" if report.ok else "damaged"
        click.echo(
            f"{state}: {plural(report.documents, 'document')}, "
            f"{plural(report.chunks, 'paragraph')}, {plural(report.segments, 'segment')}",
            err=True,
        )
    if not report.ok and not report.repaired:
        raise click.exceptions.Exit(EXIT_INDEX)


@index_report(
    "Merge the index's segments into one.",
    "Print one JSON object: before and after, each as stats --json prints it.",
)
def optimize(as_json: bool, index_dir: tuple[Path, ...]) -> None:
    """\b
    Example:
      searchkit optimize --index my-index

    Merge the index's segments into one (each shard's, in a sharded index), dropping
    removed and replaced paragraphs for good: searches read fewer segments and the
    index takes less room.  It rewrites the whole index, about as long as indexing it
    took, and needs room for a second copy until it commits; searches go on
    meanwhile, other writers wait for the lock, and an interrupted run leaves the
    index as it was.  Scores do not change unless paragraphs were removed or replaced
    (the statistics then stop counting them).  The merged segment's column caches
    (what a long-running search process builds for its queries) are written too.
    Worth it after a large `searchkit index` that will be searched much and changed
    little.

    Python: Index.open(DIR).optimize()
    """
    from ..index import Index

    with Index.open(one_index(index_dir, "optimize")) as ix:
        before = ix.stats()
        after = ix.optimize()
    if as_json:
        echo_json({"before": before.as_dict(), "after": after.as_dict()})
        return
    click.echo(
        f"{plural(before.segments, 'segment')} ({mib(before.size_bytes)}) -> "
        f"{plural(after.segments, 'segment')} ({mib(after.size_bytes)} with its column caches): "
        f"{plural(after.documents, 'document')}, {plural(after.chunks, 'paragraph')}"
    )
