"""The ``searchkit`` command: a thin Click mirror of the library.

Each command parses its options, calls one public library function (after opening the
index), and formats what comes back.  Nothing here decides what to search or index:
that lives in the library, so a script can do anything the command line can.

Data goes to stdout; progress, warnings, summaries of what was shown and errors go to
stderr, as one ``Error: ...`` line.  Exit codes (also in ``--help`` and docs/errors.md)::

    0    success; a search found hits
    1    a search found no hits (on the page asked for)
    2    usage error, query syntax error, a query over a limit, bad option value, an id
         not in the index, or output that could not be written
    3    index missing, damaged, written by an incompatible version, or not readable or
         writable (permission denied, read-only, disk full, removed while in use)
    4    index locked by another writer (see --lock-timeout)
    130  interrupted (Ctrl-C)
    141  the reader of stdout went away (``| head``), as for a process killed by SIGPIPE

The library is imported inside the commands that need it, so ``--help`` and shell
completion stay quick.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import attrs
import click
from click.core import ParameterSource

from . import __version__
from ._cli_explore import explanation_lines, facet_lines, histogram_lines
from .errors import IndexLockedError, SearchkitError, SearchkitIndexError

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar
    from click.shell_completion import CompletionItem

    from .models import Chunk, Document, DocumentInfo, Hit, IndexReport, IndexStats, Results

__all__ = [
    "EXIT_BROKEN_PIPE",
    "EXIT_INDEX",
    "EXIT_INTERRUPTED",
    "EXIT_LOCKED",
    "EXIT_NO_HITS",
    "EXIT_OK",
    "EXIT_USAGE",
    "cli",
    "main",
]

EXIT_OK = 0
EXIT_NO_HITS = 1
EXIT_USAGE = 2
EXIT_INDEX = 3
EXIT_LOCKED = 4
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141

DEFAULT_INDEX = ".searchkit"
# The same as searchkit.distributed.DEFAULT_TIMEOUT (a test keeps them equal).
DEFAULT_DASK_TIMEOUT = 300.0
# The same names as searchkit.search.SORTS (a test keeps them equal); listed here so that
# building the command line does not import Whoosh.
SORT_CHOICES = ("relevance", "date", "oldest")
# The same as searchkit.explore.INTERVALS (a test keeps them equal).
HISTOGRAM_CHOICES = ("day", "week", "month", "year")

EXIT_CODES_HELP = """\b
Exit codes: 0 success / hits found, 1 no hits, 2 usage, query or query-limit
error or output not written, 3 index missing, damaged, incompatible or not
readable or writable, 4 index locked, 130 interrupted, 141 output pipe closed."""

_F = TypeVar("_F", bound=Callable[..., Any])
# C0/C1 control characters but newline (escape sequences, carriage returns): a document's
# text never reaches a terminal with them.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
# The same and line breaks, for what must stay on one line (a title, a path, a field).
_CONTROL_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_C1 = re.compile(r"[\x7f-\x9f\u2028\u2029]")


class _Failure(click.ClickException):
    """An error shown as one ``Error: ...`` line; exits 2 (usage or input error)."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(_clean_line(message).split()))


class _IndexFailure(_Failure):
    exit_code = EXIT_INDEX


class _LockedFailure(_Failure):
    exit_code = EXIT_LOCKED


class _Interrupted(_Failure):
    exit_code = EXIT_INTERRUPTED


def _failure_class(exc: SearchkitError) -> type[_Failure]:
    if isinstance(exc, IndexLockedError):
        return _LockedFailure
    if isinstance(exc, SearchkitIndexError):
        return _IndexFailure
    return _Failure


class _Group(click.Group):
    """Turns library errors, usage errors and Ctrl-C into one line and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SearchkitError as exc:
            raise _failure_class(exc)(str(exc)) from exc
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx else "searchkit"
            message = exc.format_message().rstrip(".")
            raise _Failure(f"{message}; see '{where} --help'") from exc
        except KeyboardInterrupt:
            click.echo(err=True)
            raise _Interrupted("interrupted") from None
        except BrokenPipeError:
            _silence_stdout()
            raise click.exceptions.Exit(EXIT_BROKEN_PIPE) from None
        except OSError as exc:
            # The library turns its own OS errors into SearchkitErrors; what is left is
            # a write to stdout that failed (a full disk, /dev/full), or something rare.
            what = exc.strerror or type(exc).__name__
            if _failed_writing(exc):
                _silence_stdout()
                raise _Failure(f"cannot write the output: {what}") from None
            where = f": {exc.filename}" if exc.filename is not None else ""
            raise _Failure(f"{what}{where}") from None


def _failed_writing(exc: BaseException) -> bool:
    """Whether ``exc`` was raised by ``click.echo`` writing or flushing its stream."""
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_name == "echo" and code.co_filename.endswith(os.path.join("click", "utils.py")):
            return True
        tb = tb.tb_next
    return False


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit cannot fail again."""
    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, sys.stdout.fileno())
        os.close(fd)
    except (OSError, ValueError, AttributeError):  # not a real file (a test runner's)
        pass


# -- shared options ----------------------------------------------------------------------


def _index_option(f: _F) -> _F:
    return click.option(
        "--index",
        "index_dir",
        # Not readable=True: an unreadable index is the library's to report (exit 3).
        type=click.Path(path_type=Path, readable=False),
        multiple=True,
        default=(DEFAULT_INDEX,),
        envvar="SEARCHKIT_INDEX",
        show_default=True,
        show_envvar=True,
        metavar="DIR",
        help=f"The index folder. Repeat it (or list folders in SEARCHKIT_INDEX, separated "
        f"by '{os.pathsep}') to search several indexes as one.",
    )(f)


def _one_index(index_dirs: tuple[Path, ...], command: str) -> Path:
    """The one index a writing command works on."""
    if len(index_dirs) != 1:
        raise click.UsageError(f"{command} works on one index: give --index once")
    return index_dirs[0]


def _dask_option(help: str) -> Callable[[_F], _F]:
    """``--dask ADDRESS`` and ``--dask-timeout SECONDS``."""
    address = click.option("--dask", "dask_address", metavar="ADDRESS", help=help)
    timeout = click.option(
        "--dask-timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=DEFAULT_DASK_TIMEOUT,
        show_default=True,
        envvar="SEARCHKIT_DASK_TIMEOUT",
        show_envvar=True,
        metavar="SECONDS",
        help="With --dask: give up (exit 2) when the cluster shows no progress for this "
        "long (no task finishes, no shard commits).",
    )
    return lambda f: address(timeout(f))


def _json_option(help: str) -> Callable[[_F], _F]:
    return click.option("--json", "as_json", is_flag=True, help=help)


def _color_option(f: _F) -> _F:
    return click.option(
        "--color",
        type=click.Choice(["auto", "always", "never"]),
        default="auto",
        show_default=True,
        help="Colour the output; auto: only on a terminal, and not when NO_COLOR is set.",
    )(f)


def _explore_options(f: _F) -> _F:
    """``--facets``, ``--facet-limit``, ``--histogram`` and ``--explain`` (search, similar)."""
    for option in reversed(
        [
            click.option(
                "--facets",
                metavar="a,b",
                help="Count articles per value over all matches: author, source, year, month.",
            ),
            click.option(
                "--facet-limit",
                type=int,
                default=10,
                show_default=True,
                metavar="N",
                help="With --facets: values shown per facet.",
            ),
            click.option(
                "--histogram",
                type=click.Choice(HISTOGRAM_CHOICES),
                help="Matches per day, week, month or year, drawn as bars.",
            ),
            click.option(
                "--explain",
                is_flag=True,
                help="Show each matched term's share of every hit's score.",
            ),
        ]
    ):
        f = option(f)
    return f


def _facet_names(facets: str | None) -> tuple[str, ...]:
    return () if facets is None else tuple(n.strip() for n in facets.split(",") if n.strip())


def _complete_doc_id(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Shell completion of document ids, from the index named so far on the line."""
    from click.shell_completion import CompletionItem

    from .shards import open_indexes

    named = ctx.params.get("index_dir") or ()
    env = [p for p in os.environ.get("SEARCHKIT_INDEX", "").split(os.pathsep) if p]
    where = list(named) or env or [DEFAULT_INDEX]
    try:
        with open_indexes(where) as ix:
            docs = ix.documents()
    except (SearchkitError, OSError):
        return []
    return [CompletionItem(d.id, help=d.title) for d in docs if d.id.startswith(incomplete)]


# -- the commands ------------------------------------------------------------------------


class _QueryCommand(click.Command):
    """A command whose words starting with ``-`` are query text unless they are its options.

    ``searchkit search oil -prices`` and ``searchkit search rm -rf`` search those words
    (``-prices`` excludes "prices"), where Click would stop at an unknown option.  A word
    after ``--`` is always query text.  A long option the command does not have
    (``--limt``) stays an error, so a mistyped option is reported rather than searched for.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        values: dict[str, int] = {}  # option name -> how many values it takes
        for param in self.get_params(ctx):
            if isinstance(param, click.Option):
                taken = 0 if param.is_flag or param.count else param.nargs
                values.update(dict.fromkeys((*param.opts, *param.secondary_opts), taken))
        options: list[str] = []
        words: list[str] = []
        i = 0
        while i < len(args):
            arg = args[i]
            i += 1
            if arg == "--":
                words += args[i:]
                break
            name = arg.partition("=")[0] if arg.startswith("--") else arg
            if name in values or arg.startswith("--"):
                options.append(arg)
                if name == arg:  # the option's values follow it
                    options += args[i : i + values.get(name, 0)]
                    i += values.get(name, 0)
            elif values.get(arg[:2]) and arg[2:].isdigit():  # -n5
                options.append(arg)
            else:
                words.append(arg)
        return super().parse_args(ctx, [*options, "--", *words])


@click.group(
    cls=_Group,
    epilog=EXIT_CODES_HELP,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(
    __version__, "-V", "--version", prog_name="searchkit", message="%(prog)s %(version)s"
)
def cli() -> None:
    """\b
    Example:
      searchkit index seeds/ && searchkit search "prisoner exchange"

    Paragraph-level full-text search over folders of articles.

    Every command reads the index in --index DIR, else $SEARCHKIT_INDEX, else
    ./.searchkit.  Data goes to stdout; progress, warnings and errors to stderr.
    Run 'searchkit COMMAND --help' for a command's options.
    """


@cli.command("index", short_help="Add or refresh files and folders.", epilog=EXIT_CODES_HELP)
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
@_dask_option(
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
@_json_option("Print the report as one JSON object.")
@_index_option
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
    Index.create(DIR, language=CODE) for --language, Index.set_synonyms(FILE) for
    --synonyms, add(..., field_map={...}) for --map
    """
    from .shards import Index, rebuild_index

    where = _one_index(index_dir, "index")
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
    mapping = _field_map(field_map) if field_map else None
    bar = _Progress() if not quiet and _isatty(sys.stderr) else None
    try:
        if rebuild:
            report = rebuild_index(
                where,
                *paths,
                progress=bar,
                lock_timeout=lock_timeout,
                follow_links=follow_links,
                confirm=_confirm_sources(yes, f"Rebuilding index {where}"),
            )
            if synonyms:
                with Index.open(where, lock_timeout=lock_timeout) as ix:
                    ix.set_synonyms(synonyms)
        elif dry_run:
            with Index.open(where, lock_timeout=lock_timeout) as ix:
                report = ix.add(
                    *paths, dry_run=True, progress=bar, follow_links=follow_links, field_map=mapping
                )
        else:
            from .shards import open_or_create_sharded

            with open_or_create_sharded(
                where, shards, lock_timeout=lock_timeout, language=language
            ) as ix:
                if synonyms:
                    ix.set_synonyms(synonyms)
                if dask_address:
                    from .shards import add_with_dask

                    report = add_with_dask(
                        ix,
                        paths,
                        dask_address,
                        follow_links=follow_links,
                        field_map=mapping,
                        cluster_timeout=dask_timeout,
                    )
                else:
                    report = ix.add(
                        *paths, progress=bar, follow_links=follow_links, field_map=mapping
                    )
    finally:
        if bar is not None:
            bar.close()
    for skipped in report.skipped:
        label = "Note" if skipped.kind == "note" else "Skipped"
        click.echo(f"{label} {_clean_line(skipped.path)}: {_clean_line(skipped.reason)}", err=True)
    if as_json:
        _echo_json(report.as_dict())
    elif not quiet:
        click.echo(_report_line(report, where))


@cli.command(cls=_QueryCommand, short_help="Search the indexed paragraphs.", epilog=EXIT_CODES_HELP)
@click.argument("query", nargs=-1, required=True)
@click.option("-n", "--limit", type=int, default=10, show_default=True, help="Hits per page.")
@click.option("--page", type=int, default=1, show_default=True, help="Which page of hits.")
@click.option(
    "--author",
    multiple=True,
    help="Only this author (the whole name, any case). Repeat for any of several.",
)
@click.option(
    "--since",
    metavar="DATE",
    help="Only published in or after DATE: 2025, 2025-06, 2025-06-14, 2025-06-14T10:55, "
    "or relative to today: today, 7d, '30 days ago', 'last month'.",
)
@click.option("--until", metavar="DATE", help="Only published in or before DATE (as --since).")
@click.option(
    "--source",
    multiple=True,
    metavar="DOMAIN",
    help="Only from this site (a domain or URL). Repeat for any of several.",
)
@click.option(
    "--doc",
    "doc_ids",
    multiple=True,
    metavar="DOC_ID",
    shell_complete=_complete_doc_id,
    help="Only in this document. Repeat for any of several.",
)
@click.option(
    "--sort",
    type=click.Choice(SORT_CHOICES),
    default="relevance",
    show_default=True,
    help="Order by relevance, by date (newest first) or oldest first.",
)
@click.option(
    "--and",
    "require_all",
    is_flag=True,
    help="Require every word (by default any word matches; more matches rank higher).",
)
@click.option("--group", is_flag=True, help="One hit per document, with its next-best paragraphs.")
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
@_json_option(
    "Print one JSON object: total, page, pages, limit, query, grouped, hits, facets, histogram, "
    "suggestions."
)
@click.option("--jsonl", "as_jsonl", is_flag=True, help="Print one JSON hit a line.")
@_dask_option(
    "Search each shard on the Dask scheduler at ADDRESS (host:port, or 'local'); needs a "
    "sharded index or several --index, and searchkit[dask]."
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    envvar="SEARCHKIT_TIMEOUT",
    show_envvar=True,
    metavar="SECONDS",
    help="Stop searching after this long and print what was found (a note on stderr says so).",
)
@click.option(
    "--fields",
    metavar="a,b,c",
    help="Only these hit fields: in the JSON, or tab-separated a hit a line without it.",
)
@_color_option
@_index_option
def search(
    query: tuple[str, ...],
    limit: int,
    page: int,
    author: tuple[str, ...],
    since: str | None,
    until: str | None,
    source: tuple[str, ...],
    doc_ids: tuple[str, ...],
    sort: str,
    require_all: bool,
    group: bool,
    group_size: int,
    context: int,
    facets: str | None,
    facet_limit: int,
    histogram: str | None,
    explain: bool,
    as_json: bool,
    as_jsonl: bool,
    timeout: float | None,
    fields: str | None,
    dask_address: str | None,
    dask_timeout: float,
    color: str,
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
    the whole paragraph.  JSON hits carry: rank, score, chunk_id, doc_id,
    paragraph, part, seq, title, author, authors, published, source_url,
    source_domain, path, start, end, text, highlights, spans, title_spans, before,
    after, more, explanation, index.  The --json object also carries total, page,
    pages, limit, query, grouped, timed_out, facets, histogram and suggestions.

    --facets and --histogram count over all matches, not just the page, and
    print after the hits; --explain shows why each hit scored what it did.

    Python: Index.open(DIR).search(QUERY, limit=..., since=..., ...);
    searchkit.open_many([DIR, ...]) for several --index; search(..., client=CLIENT)
    for --dask
    """
    from .shards import open_indexes

    if as_json and as_jsonl:
        raise click.UsageError("give --json or --jsonl, not both")
    selected = None if fields is None else [f.strip() for f in fields.split(",") if f.strip()]
    with open_indexes(index_dir) as ix:
        if dask_address:
            from .shards import search_with_dask

            search_on: Any = partial(
                search_with_dask, ix, dask_address, cluster_timeout=dask_timeout
            )
        else:
            search_on = ix.search
        results = search_on(
            " ".join(query),
            limit=limit,
            page=page,
            author=author or None,
            since=since,
            until=until,
            source=source or None,
            doc_id=doc_ids or None,
            sort=sort,  # click.Choice checked it
            group=group,
            group_size=group_size,
            context=context,
            operator="and" if require_all else "or",
            facets=_facet_names(facets),
            facet_limit=facet_limit,
            histogram=histogram,  # click.Choice checked it
            explain=explain,
            timeout=timeout,
        )
    if results.timed_out:
        click.echo(f"Stopped after {timeout:g} s (--timeout): the hits may be incomplete", err=True)
    _emit_results(results, as_json, as_jsonl, selected, color)


def _emit_results(
    results: Results, as_json: bool, as_jsonl: bool, selected: list[str] | None, color: str
) -> None:
    """Print ``results`` as asked (search, similar); exit 1 when the page has no hits."""
    if as_json:
        _echo_json(results.as_dict(selected))
    elif as_jsonl:
        for hit in results.as_dict(selected)["hits"]:
            click.echo(_json_text(hit))
    elif selected is not None:
        for hit in results.as_dict(selected)["hits"]:
            click.echo("\t".join(_tsv_value(hit[f]) for f in hit))
    else:
        _print_results(results, _Style(_use_color(color)))
    if not results.hits:
        raise click.exceptions.Exit(EXIT_NO_HITS)


@cli.command(short_help="Print a paragraph, or a whole document.", epilog=EXIT_CODES_HELP)
@click.argument("chunk_id", required=False)
@click.option(
    "--doc",
    "doc_id",
    metavar="DOC_ID",
    shell_complete=_complete_doc_id,
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
@_json_option("Print one JSON object (a chunk with before/after, or a document).")
@_color_option
@_index_option
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
    from .shards import open_indexes

    ctx = click.get_current_context()
    if (chunk_id is None) == (doc_id is None):
        raise click.UsageError("give a CHUNK_ID or --doc DOC_ID, one of them")
    if doc_id is not None and ctx.get_parameter_source("context") != ParameterSource.DEFAULT:
        raise click.UsageError("--context goes with a CHUNK_ID, not with --doc")
    style = _Style(_use_color(color))
    with open_indexes(index_dir) as ix:
        if doc_id is not None:
            document = ix.document(doc_id)
            if as_json:
                _echo_json(document.as_dict())
            else:
                _print_document(document, style)
        else:
            assert chunk_id is not None
            passage = ix.passage(chunk_id, context)
            if as_json:
                _echo_json(passage.as_dict())
            else:
                _print_passage(passage.chunk, passage.before, passage.after, style)


@cli.command(short_help="List the indexed documents.", epilog=EXIT_CODES_HELP)
@_json_option("Print a JSON list of documents with their metadata.")
@_index_option
def docs(as_json: bool, index_dir: tuple[Path, ...]) -> None:
    """\b
    Example:
      searchkit docs --json | jq -r '.[].title'

    List the indexed documents: id, title, date, author, paragraphs and path.

    Python: Index.open(DIR).documents()
    """
    from .shards import open_indexes

    with open_indexes(index_dir) as ix:
        infos = ix.documents()
    if as_json:
        _echo_json([d.as_dict() for d in infos])
        return
    _print_documents(infos)
    where = ", ".join(_clean_line(str(p)) for p in index_dir)
    click.echo(f"{_plural(len(infos), 'document')} in {where}", err=True)


@cli.command(short_help="Show counts, size and versions of the index.", epilog=EXIT_CODES_HELP)
@_json_option("Print one JSON object.")
@_index_option
def stats(as_json: bool, index_dir: tuple[Path, ...]) -> None:
    """\b
    Example:
      searchkit stats --index my-index

    Show the index's documents, paragraphs, size on disk, fields, when it was last
    updated, the Whoosh distribution and the schema version.

    Python: Index.open(DIR).stats()
    """
    from .shards import open_indexes

    with open_indexes(index_dir) as ix:
        info = ix.stats()
    if as_json:
        _echo_json(info.as_dict())
    else:
        _print_stats(info)


@cli.command(
    short_help="Search the index in a browser, and serve a JSON API.", epilog=EXIT_CODES_HELP
)
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@click.option("--open", "open_browser", is_flag=True, help="Open the search page in a browser.")
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="NAME",
    help="Also answer requests whose Host header names NAME (any port); others get 400. "
    "Always allowed: localhost, 127.0.0.1, [::1], and the --host address. Repeatable.",
)
@_index_option
def serve(
    host: str,
    port: int,
    open_browser: bool,
    allow_hosts: tuple[str, ...],
    index_dir: tuple[Path, ...],
) -> None:
    """\b
    Example:
      searchkit serve --index my-index --open

    Serve the search page, paragraph and document pages, and the JSON API
    (/api/search, /api/similar/ID, /api/complete, /api/chunk/ID,
    /api/document/ID, /api/stats; described at /openapi.json) until Ctrl-C.
    Read-only; listens on 127.0.0.1 unless --host says otherwise.  A request
    naming another host than localhost, 127.0.0.1, [::1], the --host address or
    an --allow-host NAME is refused (400), so no web page can reach the index
    through a name of its own.  Needs the web extra: pip install 'searchkit[web]'.

    Python: searchkit.web.create_app(DIR, allowed_hosts=...), run with any ASGI
    server.
    """
    from . import web
    from .shards import Index

    where = _one_index(index_dir, "serve")

    try:
        import uvicorn

        create_app = web.create_app
    except ImportError:
        raise _Failure(f"searchkit serve needs the web extra: {web.INSTALL_HINT}") from None
    Index.open(where).close()  # a missing or incompatible index fails here, exit 3
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(
            f"Warning: listening on {host}: anyone who can reach this address can read the index.",
            err=True,
        )
    bound = "[" + host + "]" if ":" in host else host
    url = f"http://{bound}:{port}/"
    click.echo(f"Serving {where} at {url} (Ctrl-C stops)", err=True)
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, webbrowser.open, (url,)).start()
    wildcard = host in ("0.0.0.0", "::", "")
    hosts = (*web.LOOPBACK_HOSTS, *(() if wildcard else (bound,)), *allow_hosts)
    if wildcard and not allow_hosts:
        click.echo(
            "Note: only requests to localhost, 127.0.0.1 or [::1] are answered; name the "
            "others this server is reached by with --allow-host NAME.",
            err=True,
        )
    app = create_app(where, allowed_hosts=hosts)
    uvicorn.run(app, host=host, port=port, log_level="warning")


@cli.command(
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
@_json_option("Print one JSON object: ok, problems, stale, documents, chunks, ...")
@_index_option
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
    from .shards import check_index

    if yes and not repair:
        raise click.UsageError("--yes goes with --repair")
    where = _one_index(index_dir, "check")
    report = check_index(
        where, repair=repair, confirm=_confirm_sources(yes, f"Repairing index {where}")
    )
    if as_json:
        _echo_json(report.as_dict())
    else:
        for problem in report.problems:
            click.echo(f"problem: {_clean_line(problem)}")
        for path in report.stale:
            click.echo(f"stale: {_clean_line(path)}")
        removed = "removed" if report.repaired else "check --repair removes it"
        for name in report.leftovers:
            click.echo(f"leftover of an interrupted write ({removed}): {_clean_line(name)}")
        state = "repaired" if report.repaired else "ok" if report.ok else "damaged"
        click.echo(
            f"{state}: {_plural(report.documents, 'document')}, "
            f"{_plural(report.chunks, 'paragraph')}, {_plural(report.segments, 'segment')}",
            err=True,
        )
    if not report.ok and not report.repaired:
        raise click.exceptions.Exit(EXIT_INDEX)


@cli.command(
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
@_json_option("Print one JSON object: ndcg@10, recall@100, mrr@10, map@100, queries, qps.")
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
    from .evaluation import evaluate

    report = evaluate(
        path,
        format=fmt,  # type: ignore[arg-type]
        split=split,
        index_path=index_dir,
        rebuild=rebuild,
        progress=_StageProgress() if _isatty(sys.stderr) else None,
    )
    if report.duplicates:
        shown = ", ".join(repr(d) for d in report.duplicates[:5])
        more = ", ..." if len(report.duplicates) > 5 else ""
        click.echo(
            f"Warning: {_plural(len(report.duplicates), 'document id')} repeated in the "
            f"collection (the first document of each was indexed): {_clean_line(shown)}{more}",
            err=True,
        )
    if as_json:
        _echo_json(report.as_dict(per_query=per_query))
        return
    if per_query:
        for q in report.per_query:
            click.echo(
                f"{q.id}\t{q.ndcg_10:.4f}\t{q.recall_100:.4f}\t{q.mrr_10:.4f}\t"
                f"{q.map_100:.4f}\t{_clean(' '.join(q.text.split()))}"
            )
    took = f"; indexing took {report.index_seconds:.1f} s" if report.index_seconds else ""
    queries = f"{report.queries} {'query' if report.queries == 1 else 'queries'}"
    click.echo(
        f"{_clean_line(report.collection)} ({report.format}, {report.split}): "
        f"{queries} over {_plural(report.documents, 'document')} "
        f"({_plural(report.chunks, 'paragraph')})\n"
        f"nDCG@10     {report.ndcg_10:.4f}\n"
        f"Recall@100  {report.recall_100:.4f}\n"
        f"MRR@10      {report.mrr_10:.4f}\n"
        f"MAP@100     {report.map_100:.4f}\n"
        f"Queries/s   {report.qps:.1f} (searching only{took})"
    )


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
    from .shards import open_indexes

    if as_json and as_jsonl:
        raise click.UsageError("give --json or --jsonl, not both")
    selected = None if fields is None else [f.strip() for f in fields.split(",") if f.strip()]
    with open_indexes(index_dir) as ix:
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
def complete(text: tuple[str, ...], limit: int, as_json: bool, index_dir: tuple[Path, ...]) -> None:
    """\b
    Example:
      searchkit complete "prisoner exch"

    Print ways to finish the last word of TEXT (several words are joined with
    spaces) with words from the index, most common first: one completed query a
    line.  Exits 1 when there is none.

    Python: Index.open(DIR).complete(TEXT, limit=N); open_many for several --index
    """
    from .shards import open_indexes

    with open_indexes(index_dir) as ix:
        completions = ix.complete(" ".join(text), limit=limit)
    if as_json:
        _echo_json([c.as_dict() for c in completions])
    else:
        for c in completions:
            click.echo(_clean(c.text))
        click.echo(_plural(len(completions), "completion"), err=True)
    if not completions:
        raise click.exceptions.Exit(EXIT_NO_HITS)


def main() -> None:
    """The ``searchkit`` console script."""
    cli(prog_name="searchkit")


# -- formatting --------------------------------------------------------------------------


class _Style:
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


class _Progress:
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
                item_show_func=lambda p: None if p is None else _clean_line(Path(p).name)[:40],
            )
        self._bar.update(done - self._done, path)
        self._done = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.render_finish()
            self._bar = None


class _StageProgress:
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


def _confirm_sources(yes: bool, doing: str) -> bool | Callable[[tuple[str, ...]], bool]:
    """The ``confirm`` of a rebuild from recorded sources: ``--yes``, else a question on
    the terminal; with no terminal to ask on, a refusal (exit 2)."""
    if yes:
        return True

    def ask(sources: tuple[str, ...]) -> bool:
        if not (_isatty(sys.stdin) and _isatty(sys.stderr)):
            shown = ", ".join(sources[:3]) + (
                f" and {len(sources) - 3} more" if len(sources) > 3 else ""
            )
            raise _Failure(
                f"{doing} reads the sources it recorded ({shown}); no terminal to confirm "
                "them on: pass --yes to read them, or name the files and folders to read"
            )
        click.echo(f"{doing} reads these files and folders, as the index recorded them:", err=True)
        for source in sources:
            click.echo(f"  {_clean_line(source)}", err=True)
        return click.confirm("Read them?", default=False, err=True)

    return ask


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _use_color(choice: str) -> bool:
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return _isatty(sys.stdout)


def _clean(text: str) -> str:
    """``text`` safe for a terminal: control characters but ``\\n`` become spaces.

    One character for one, so offsets into the text (a hit's spans) stay true.
    """
    return _CONTROL.sub(" ", text)


def _clean_line(text: str) -> str:
    """``text`` safe for a terminal and on one line: line breaks become spaces too."""
    return _CONTROL_LINE.sub(" ", text)


def _snippet(hit: Hit, style: _Style, width: int = 240) -> str:
    """The hit's snippet, cleaned before the (possibly colour) marks go in."""
    return attrs.evolve(hit, text=_clean(hit.text)).snippet(width, mark=style.mark)


def _title(hit: Hit, style: _Style) -> str:
    """The hit's title in bold, its matched words marked as in the snippet."""
    title = _clean_line(hit.title)  # one character for one: the spans stay true
    pieces: list[str] = []
    at = 0
    for s, e in hit.title_spans:
        pieces += [style(title[at:s], bold=True) if s > at else "", *style.mark[:1]]
        pieces += [title[s:e], style.mark[1]]
        at = e
    return "".join([*pieces, style(title[at:], bold=True) if at < len(title) else ""])


def _json_text(value: Any, indent: int | None = None) -> str:
    """``value`` as JSON.  JSON escapes C0 controls itself; C1 controls and line
    separators are escaped here too: the same text to a JSON reader, and nothing a
    terminal acts on."""
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return _C1.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def _echo_json(value: Any) -> None:
    # A line at a time, as the text output goes, so a reader that stops early (| head)
    # and a failing write meet every output mode alike.
    for line in _json_text(value, indent=2).split("\n"):
        click.echo(line)


def _tsv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False)
    return " ".join(_clean_line(str(value)).split())


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _when(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if (value.hour, value.minute, value.second) == (0, 0, 0):
        return value.strftime("%Y-%m-%d")
    return value.strftime("%Y-%m-%d %H:%M")


def _joined(parts: Iterable[str | None]) -> str:
    return " · ".join(_clean_line(p) for p in parts if p)


def _label(chunk: Chunk) -> str:
    """``¶7``, or ``¶7.2`` for the second part of a split paragraph (as in its id)."""
    return "¶" + chunk.id.rsplit(":", 1)[-1]


def _indented(text: str, first: str, rest: str) -> str:
    lines = text.split("\n")
    return "\n".join([first + lines[0], *(rest + line for line in lines[1:])])


def _report_line(report: IndexReport, index_dir: Path) -> str:
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
        f"{verb} {_plural(report.indexed, 'document')} "
        f"({_plural(report.chunks, 'paragraph')}) in {_clean_line(str(index_dir))}"
    )
    if counts:
        line += ": " + ", ".join(counts)
    kinds = [s.kind for s in report.skipped]
    left_out = [_plural(kinds.count(k), k) for k in ("file", "record") if k in kinds]
    if left_out:
        line += "; skipped " + ", ".join(left_out)
    if "note" in kinds:
        line += f"; {_plural(kinds.count('note'), 'note')}"
    return line + "."


def _print_results(results: Results, style: _Style) -> None:
    for hit in results:
        _print_hit(hit, style)
    if results.facets:
        style.echo(style("Facets (articles):", bold=True))
        for line in facet_lines(results.facets):
            style.echo(_clean(line))
        style.echo()
    if results.histogram:
        style.echo(style("Matches by date (articles, paragraphs):", bold=True))
        for line in histogram_lines(results.histogram):
            style.echo(line)
        style.echo()
    noun = "document" if results.grouped else "hit"
    if results.hits:
        line = _plural(results.total, noun)
        if results.pages > 1:
            first, last = results.hits[0].rank, results.hits[-1].rank
            line = f"{noun.capitalize()}s {first}-{last} of {results.total}, "
            line += f"page {results.page} of {results.pages}"
            if results.page < results.pages:
                line += f"; next: --page {results.page + 1}"
    elif results.total:
        line = (
            f"No {noun}s on page {results.page}: {_plural(results.total, noun)} "
            f"fill {_plural(results.pages, 'page')}"
        )
    else:
        line = "No hits"
    click.echo(line, err=True)
    for suggestion in results.suggestions:
        click.echo(f"Did you mean: {_clean(suggestion)}", err=True)
    if results.suggestions_cut:
        click.echo(_suggestions_cut(results.suggestions_cut), err=True)


def _suggestions_cut(limit: str) -> str:
    """What stopped "did you mean" early, in one line."""
    if limit == "timeout":
        why = "the time budget (--timeout) ran out"
    else:
        why = f"it reached {limit} (SEARCHKIT_{limit.upper()} raises it)"
    return f"Did you mean: stopped early, {why}; suggestions may be missing"


def _print_hit(hit: Hit, style: _Style) -> None:
    style.echo(f"{hit.rank}. {_title(hit, style)}  (score {hit.score:.2f})")
    meta = _joined([_when(hit.published), hit.author, _label(hit), hit.place, hit.id, hit.index])
    style.echo("   " + style(meta, dim=True))
    if hit.before or hit.after:
        for c in hit.before:
            style.echo(style(_indented(_clean(c.text), f"   {_label(c)}  ", "      "), dim=True))
        text = _snippet(hit, style, width=len(hit.text))
        style.echo(_indented(text, f"   {_label(hit)}  ", "      "))
        for c in hit.after:
            style.echo(style(_indented(_clean(c.text), f"   {_label(c)}  ", "      "), dim=True))
    else:
        style.echo("   " + _snippet(hit, style))
    for line in explanation_lines(hit) if hit.explanation else ():
        style.echo("   " + style(_clean(line), dim=True))
    for more in hit.more:
        style.echo(f"   also {_label(more)} ({more.score:.2f}): " + _snippet(more, style))
        for line in explanation_lines(more) if more.explanation else ():
            style.echo("     " + style(_clean(line), dim=True))
    style.echo()


def _print_passage(
    chunk: Chunk, before: Sequence[Chunk], after: Sequence[Chunk], style: _Style
) -> None:
    style.echo(style(_clean_line(chunk.title), bold=True))
    meta = _joined([_when(chunk.published), chunk.author, chunk.source_url])
    if meta:
        style.echo(style(meta, dim=True))
    where = [chunk.path, f"paragraph {_label(chunk)[1:]}", chunk.place]
    where.append(f"characters {chunk.start}-{chunk.end}")
    style.echo(style(_joined([*where, chunk.id]), dim=True))
    for c in before:
        style.echo()
        style.echo(style(_indented(_clean(c.text), f"  {_label(c)}  ", "      "), dim=True))
    style.echo()
    style.echo(_indented(_clean(chunk.text), f"> {_label(chunk)}  ", "      "))
    for c in after:
        style.echo()
        style.echo(style(_indented(_clean(c.text), f"  {_label(c)}  ", "      "), dim=True))


def _print_document(doc: Document, style: _Style) -> None:
    style.echo(style(_clean_line(doc.title), bold=True))
    meta = _joined([_when(doc.published), doc.author, doc.source_url])
    if meta:
        style.echo(style(meta, dim=True))
    style.echo(
        style(_joined([doc.path, _plural(len(doc.paragraphs), "paragraph"), doc.id]), dim=True)
    )
    for p in doc.paragraphs:
        style.echo()
        style.echo(_indented(_clean(p.text), f"¶{p.number}  ", "    "))
    if doc.disclaimer:
        style.echo()
        style.echo(style(_clean(f"Disclaimer: {doc.disclaimer}"), dim=True))


def _print_documents(infos: Sequence[DocumentInfo]) -> None:
    for d in infos:
        click.echo(f"{d.id}  {_clean_line(d.title)}")
        meta = _joined([_when(d.published), d.author, _plural(d.paragraphs, "paragraph"), d.path])
        click.echo(" " * (len(d.id) + 2) + meta)


def _field_map(text: str) -> dict[str, str]:
    """``title=headline,text=body`` as a dict; the library checks the field names."""
    pairs = [p.strip() for p in text.split(",") if p.strip()]
    bad = [p for p in pairs if p.count("=") != 1 or not all(s.strip() for s in p.split("="))]
    if bad or not pairs:
        raise click.BadParameter(
            f"expected FIELD=KEY pairs joined by commas, not {bad[0] if bad else text!r}",
            param_hint="--map",
        )
    return {f.strip(): k.strip() for f, k in (p.split("=") for p in pairs)}


def _print_stats(info: IndexStats) -> None:
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
        click.echo(f"{key + ':':<{width}} {_clean_line(value)}")
