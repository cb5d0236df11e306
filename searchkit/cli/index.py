"""``index``: add files and folders to an index, creating, sharding or rebuilding it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from . import _render
from ._errors import EXIT_CODES_HELP, Failure
from ._options import dask_options, index_option, json_option, one_index
from ._render import Progress, clean_line, echo_json, isatty, report_line, skipped_line

if TYPE_CHECKING:
    from ..models import IndexReport

__all__ = ["confirm_sources", "index_command", "write_index"]


@click.command("index", short_help="Add or refresh files and folders.", epilog=EXIT_CODES_HELP)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--dry-run",
    is_flag=True,
    help="Report what would change and write nothing (needs an existing index).",
)
@click.option(
    "-L",
    "--follow-links",
    is_flag=True,
    help="Follow every symbolic link in the folders, also out of them (default: only links "
    "that stay inside PATHS; the others are reported as skipped).",
)
@click.option(
    "--rebuild",
    is_flag=True,
    help="Build a fresh index from PATHS (default: every path indexed before) beside the "
    "old one and swap it in when complete. Also upgrades an index of another version.",
)
@click.option(
    "-y",
    "--yes",
    is_flag=True,
    help="With --rebuild and no PATHS: read the sources the index recorded without asking.",
)
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="No progress bar and no summary; skipped files are still reported on stderr.",
)
@click.option(
    "--lock-timeout",
    type=float,
    default=30.0,
    show_default=True,
    envvar="SEARCHKIT_LOCK_TIMEOUT",
    show_envvar=True,
    metavar="SECONDS",
    help="How long to wait for another writer to finish before giving up (exit 4).",
)
@click.option(
    "--shards",
    type=click.IntRange(1, 256),
    default=None,
    metavar="N",
    help="Create the index with N shards, written in parallel (only when creating it).",
)
@dask_options(
    "Build on the Dask scheduler at ADDRESS (host:port), or 'local' for a cluster of two "
    "workers on this machine: one task a shard. Needs a sharded index and searchkit[dask]."
)
@click.option(
    "--language",
    default="auto",
    show_default=True,
    metavar="CODE",
    help="For a new index: the language of documents whose metadata names none, an ISO "
    "639 code (en, de, ru, zh, ...), or auto to detect each one's.",
)
@click.option(
    "--no-vectors",
    is_flag=True,
    help="For a new index: no paragraph vectors, even with searchkit[semantic] installed "
    "(a lexical index: about half the disk, 2.5x faster to build; no --mode hybrid).",
)
@click.option(
    "--synonyms",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Apply the synonyms in FILE (Solr synonyms.txt format) to this index's queries "
    "from now on; a copy is kept with the index.",
)
@click.option(
    "--map",
    "field_map",
    metavar="FIELD=KEY,...",
    help="Read JSON/JSONL records' fields from these keys, e.g. "
    "title=headline,author=byline,published=date,source_url=url,text=body "
    "(kept with the index for these paths).",
)
@json_option("Print the report as one JSON object.")
@index_option
def index_command(
    paths: tuple[Path, ...],
    dry_run: bool,
    follow_links: bool,
    rebuild: bool,
    yes: bool,
    quiet: bool,
    lock_timeout: float,
    shards: int | None,
    dask_address: str | None,
    dask_timeout: float,
    language: str,
    no_vectors: bool,
    synonyms: Path | None,
    field_map: str | None,
    as_json: bool,
    index_dir: tuple[Path, ...],
) -> None:
    """\b
    Example:
      searchkit index seeds/ ~/articles/report.txt --index my-index

    Add files and folders to the index, creating it if needed.  Files already
    indexed and unchanged are left alone, changed files are re-indexed, files gone
    from an indexed folder are removed.  Folders are walked for the suffixes
    searchkit has a loader for; a file named on the line is read whatever its
    suffix.

    A progress bar shows on stderr when it is a terminal; then a summary of the
    documents and paragraphs indexed, and each skipped file with the reason.

    With --rebuild, a new index is built beside the old one and swapped in
    atomically; searches see the old one until then, and a failed rebuild
    leaves it as it was.  Without PATHS it reads the sources the index
    recorded: it lists them and asks first (or takes --yes), and reads none
    outside the folders the index was built from.

    Python: Index.open_or_create(DIR).add(*PATHS, dry_run=..., follow_links=...)
    or searchkit.rebuild_index(DIR, *PATHS) for --rebuild;
    Index.create(DIR, shards=N) for --shards; add(..., client=CLIENT) for --dask;
    Index.create(DIR, language=CODE) for --language, Index.create(DIR,
    vectors=False) for --no-vectors, Index.set_synonyms(FILE) for --synonyms,
    add(..., field_map={...}) for --map
    """
    where = one_index(index_dir, "index")
    if not paths and not rebuild:
        raise click.UsageError("give at least one file or folder to index")
    if rebuild and dry_run:
        raise click.UsageError("--rebuild and --dry-run do not go together")
    if dask_address and (rebuild or dry_run):
        raise click.UsageError("--dask goes with neither --rebuild nor --dry-run")
    if synonyms and dry_run:
        raise click.UsageError("--synonyms and --dry-run do not go together")
    if field_map and rebuild:
        raise click.UsageError("--map does not go with --rebuild (it reuses the maps kept)")
    if yes and not rebuild:
        raise click.UsageError("--yes goes with --rebuild")
    if no_vectors and (rebuild or dry_run):
        raise click.UsageError(
            "--no-vectors goes with neither --rebuild nor --dry-run (it is chosen when an "
            "index is created)"
        )
    bar = Progress() if not quiet and isatty(sys.stderr) else None
    try:
        report = write_index(
            where,
            paths,
            rebuild=rebuild,
            confirm=confirm_sources(yes, f"Rebuilding index {where}"),
            dry_run=dry_run,
            shards=shards,
            dask=(dask_address, dask_timeout) if dask_address else None,
            language=language,
            vectors=False if no_vectors else None,
            synonyms=synonyms,
            field_map=field_map_value(field_map) if field_map else None,
            lock_timeout=lock_timeout,
            follow_links=follow_links,
            progress=bar,
        )
    finally:
        if bar is not None:
            bar.close()
    for skipped in report.skipped:
        click.echo(skipped_line(skipped), err=True)
    if as_json:
        echo_json(report.as_dict())
    elif not quiet:
        click.echo(report_line(report, where))


def field_map_value(text: str) -> dict[str, str]:
    """``title=headline,text=body`` as a dict; the library checks the field names."""
    pairs = [p.strip() for p in text.split(",") if p.strip()]
    bad = [p for p in pairs if p.count("=") != 1 or not all(s.strip() for s in p.split("="))]
    if bad or not pairs:
        raise click.BadParameter(
            f"expected FIELD=KEY pairs joined by commas, not {bad[0] if bad else text!r}",
            param_hint="--map",
        )
    return {f.strip(): k.strip() for f, k in (p.split("=") for p in pairs)}


def write_index(
    where: Path,
    paths: Sequence[Path],
    *,
    rebuild: bool,
    confirm: bool | Callable[[tuple[str, ...]], bool],
    dry_run: bool,
    shards: int | None,
    dask: tuple[str, float] | None,
    language: str,
    vectors: bool | None,
    synonyms: Path | None,
    field_map: dict[str, str] | None,
    lock_timeout: float,
    follow_links: bool,
    progress: Progress | None,
) -> IndexReport:
    """The library calls ``searchkit index`` makes, in one place: a rebuild (``confirm``
    says whether to read the sources the index recorded), a dry run, or an add to an
    index opened or created (with ``shards``), on Dask when ``dask`` is ``(address,
    timeout)``.  The arguments were checked to go together."""
    from ..index import Index, rebuild_index

    if rebuild:
        report = rebuild_index(
            where,
            *paths,
            progress=progress,
            lock_timeout=lock_timeout,
            follow_links=follow_links,
            confirm=confirm,
        )
        if synonyms:
            with Index.open(where, lock_timeout=lock_timeout) as ix:
                ix.set_synonyms(synonyms)
        return report
    if dry_run:
        with Index.open(where, lock_timeout=lock_timeout) as ix:
            return ix.add(
                *paths,
                dry_run=True,
                progress=progress,
                follow_links=follow_links,
                field_map=field_map,
            )
    with Index.open_or_create(
        where, shards=shards, lock_timeout=lock_timeout, language=language, vectors=vectors
    ) as ix:
        if synonyms:
            ix.set_synonyms(synonyms)
        if dask is None:
            return ix.add(*paths, progress=progress, follow_links=follow_links, field_map=field_map)
        from ..shards import add_with_dask  # refuses one shard before a cluster starts

        address, timeout = dask
        return add_with_dask(
            ix,
            paths,
            address,
            follow_links=follow_links,
            field_map=field_map,
            cluster_timeout=timeout,
        )


def confirm_sources(yes: bool, doing: str) -> bool | Callable[[tuple[str, ...]], bool]:
    """The ``confirm`` of a rebuild from recorded sources: ``--yes``, else a question on
    the terminal; with no terminal to ask on, a refusal (exit 2)."""
    if yes:
        return True

    def ask(sources: tuple[str, ...]) -> bool:
        if not (_render.isatty(sys.stdin) and _render.isatty(sys.stderr)):
            shown = ", ".join(sources[:3]) + (
                f" and {len(sources) - 3} more" if len(sources) > 3 else ""
            )
            raise Failure(
                f"{doing} reads the sources it recorded ({shown}); no terminal to confirm "
                "them on: pass --yes to read them, or name the files and folders to read"
            )
        click.echo(f"{doing} reads these files and folders, as the index recorded them:", err=True)
        for source in sources:
            click.echo(f"  {clean_line(source)}", err=True)
        return click.confirm("Read them?", default=False, err=True)

    return ask
