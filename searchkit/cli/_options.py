"""The commands' options, one decorator per family (as sqlite-utils does), so that a
family reads the same, and is checked the same, on every command that takes it.

Families whose values go to the library together (paging, filters, the shape of a hit,
explore, output) reach the command as one argument: ``paging``, ``filters``, ``shape``
and ``explore`` are keyword arguments of ``Index.search`` and ``Index.similar``,
``output`` an :class:`Output`.  Their option names, help and defaults live here only.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import click

from ..errors import SearchkitError
from ._errors import EXIT_CODES_HELP

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

__all__ = [
    "DEFAULT_DASK_TIMEOUT",
    "DEFAULT_INDEX",
    "HISTOGRAM_CHOICES",
    "SORT_CHOICES",
    "Output",
    "QueryCommand",
    "color_option",
    "complete_doc_id",
    "dask_options",
    "explore_options",
    "filter_options",
    "index_option",
    "index_report",
    "json_option",
    "one_index",
    "output_options",
    "paging_options",
    "shape_options",
]

DEFAULT_INDEX = ".searchkit"
# The same as searchkit.distributed.DEFAULT_TIMEOUT (a test keeps them equal).
DEFAULT_DASK_TIMEOUT = 300.0
# The same names as searchkit.search.SORTS (a test keeps them equal); listed here so that
# building the command line does not import Whoosh.
SORT_CHOICES = ("relevance", "date", "oldest")
# The same as searchkit.explore.INTERVALS (a test keeps them equal).
HISTOGRAM_CHOICES = ("day", "week", "month", "year")

_F = TypeVar("_F", bound=Callable[..., Any])
_Decorator = Callable[[_F], _F]


def _family(
    name: str, options: Sequence[_Decorator[Any]], build: Callable[..., Any]
) -> _Decorator[Any]:
    """A decorator adding ``options`` to a command, whose values reach the command as one
    argument, ``name``: ``build(**values)``."""

    def decorate(f: _F) -> _F:
        @functools.wraps(f)
        def command(**kwargs: Any) -> Any:
            values = {n: kwargs.pop(n) for n in names}
            return f(**kwargs, **{name: build(**values)})

        before = len(getattr(command, "__click_params__", ()))
        for option in reversed(options):
            command = option(command)
        names = [p.name for p in command.__click_params__[before:]]  # type: ignore[attr-defined]
        return command  # type: ignore[return-value]

    return decorate


# -- where: the index ----------------------------------------------------------------------


def index_option(f: _F) -> _F:
    """``--index DIR``, repeatable, else ``$SEARCHKIT_INDEX``, else ``./.searchkit``."""
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


def one_index(index_dirs: tuple[Path, ...], command: str) -> Path:
    """The one index a writing command works on."""
    if len(index_dirs) != 1:
        raise click.UsageError(f"{command} works on one index: give --index once")
    return index_dirs[0]


def dask_options(help: str) -> _Decorator[Any]:
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


# -- what to search for: paging, filters, the shape of a hit, explore -------------------


def paging_options(sort_help: str) -> _Decorator[Any]:
    """``-n/--limit``, ``--page`` and ``--sort``: the argument ``paging``."""
    return _family(
        "paging",
        [
            click.option(
                "-n", "--limit", type=int, default=10, show_default=True, help="Hits per page."
            ),
            click.option(
                "--page", type=int, default=1, show_default=True, help="Which page of hits."
            ),
            click.option(
                "--sort",
                type=click.Choice(SORT_CHOICES),
                default="relevance",
                show_default=True,
                help=sort_help,
            ),
        ],
        dict,
    )


def _filters(
    author: tuple[str, ...],
    since: str | None,
    until: str | None,
    source: tuple[str, ...],
    under: tuple[str, ...],
) -> dict[str, Any]:
    return {
        "author": author or None,
        "since": since,
        "until": until,
        "source": source or None,
        "under": under or None,
    }


filter_options: _Decorator[Any] = _family(
    "filters",
    [
        click.option(
            "--author",
            multiple=True,
            help="Only this author (the whole name, any case). Repeat for any of several.",
        ),
        click.option(
            "--since",
            metavar="DATE",
            help="Only published in or after DATE: 2025, 2025-06, 2025-06-14, 2025-06-14T10:55, "
            "or relative to today: today, 7d, '30 days ago', 'last month'.",
        ),
        click.option(
            "--until", metavar="DATE", help="Only published in or before DATE (as --since)."
        ),
        click.option(
            "--source",
            multiple=True,
            metavar="DOMAIN",
            help="Only from this site (a domain or URL). Repeat for any of several.",
        ),
        click.option(
            "--under",
            multiple=True,
            metavar="DIR",
            help="Only files under this folder: relative to the indexed folder (linux, "
            "linux/common) or an absolute path inside it. Repeat for any of several.",
        ),
    ],
    _filters,
)
"""``--author``, ``--since``, ``--until``, ``--source`` and ``--under``: the argument
``filters``."""


def shape_options(group_help: str) -> _Decorator[Any]:
    """``--group``, ``--group-size`` and ``--context``: the argument ``shape``."""
    return _family(
        "shape",
        [
            click.option("--group", is_flag=True, help=group_help),
            click.option(
                "--group-size",
                type=int,
                default=3,
                show_default=True,
                help="With --group: paragraphs shown per document.",
            ),
            click.option(
                "--context",
                type=int,
                default=0,
                show_default=True,
                metavar="N",
                help="Also show N paragraphs before and after each hit.",
            ),
        ],
        dict,
    )


def _explore(
    facets: str | None, facet_limit: int, histogram: str | None, explain: bool
) -> dict[str, Any]:
    from .._types import explore_keywords  # the web API's too

    return explore_keywords(facets, facet_limit, histogram, explain)  # click.Choice checked


explore_options: _Decorator[Any] = _family(
    "explore",
    [
        click.option(
            "--facets",
            metavar="a,b",
            help="Count articles per value over all matches: author, source, year, month, "
            "folder, format.",
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
            "--explain", is_flag=True, help="Show each matched term's share of every hit's score."
        ),
    ],
    _explore,
)
"""``--facets``, ``--facet-limit``, ``--histogram`` and ``--explain``: the argument
``explore``."""


def _running(timeout: float | None, highlight: bool) -> dict[str, Any]:
    return {"timeout": timeout, "highlight": highlight}


running_options: _Decorator[Any] = _family(
    "running",
    [
        click.option(
            "--timeout",
            type=click.FloatRange(min=0, min_open=True),
            default=None,
            envvar="SEARCHKIT_TIMEOUT",
            show_envvar=True,
            metavar="SECONDS",
            help="Stop searching after this long and print what was found (a note on stderr "
            "says so).",
        ),
        click.option(
            "--highlight/--no-highlight",
            default=True,
            show_default=True,
            help="Mark the matched words; --no-highlight reads less (for ids, scores or text).",
        ),
    ],
    _running,
)
"""``--timeout`` and ``--highlight/--no-highlight``: the argument ``running``."""


# -- how to print it -----------------------------------------------------------------------


def json_option(help: str) -> _Decorator[Any]:
    """``--json``: the argument ``as_json``."""
    return click.option("--json", "as_json", is_flag=True, help=help)


def index_report(short_help: str, json_help: str) -> Callable[[Callable[..., Any]], click.Command]:
    """A command that reports on an index and takes nothing else: ``--json`` (``as_json``)
    and ``--index`` (``index_dir``), with the exit codes in its help."""

    def decorate(f: Callable[..., Any]) -> click.Command:
        options = json_option(json_help)(index_option(f))
        return click.command(short_help=short_help, epilog=EXIT_CODES_HELP)(options)

    return decorate


def color_option(f: _F) -> _F:
    """``--color auto|always|never``."""
    return click.option(
        "--color",
        type=click.Choice(["auto", "always", "never"]),
        default="auto",
        show_default=True,
        help="Colour the output; auto: only on a terminal, and not when NO_COLOR is set.",
    )(f)


@attrs.frozen
class Output:
    """How to print hits: JSON, JSON lines, chosen fields tab-separated, or text."""

    as_json: bool
    as_jsonl: bool
    fields: list[str] | None
    color: str


def _output(as_json: bool, as_jsonl: bool, fields: str | None, color: str) -> Output:
    if as_json and as_jsonl:
        raise click.UsageError("give --json or --jsonl, not both")
    from .._types import comma_names

    chosen = None if fields is None else list(comma_names(fields))
    return Output(as_json, as_jsonl, chosen, color)


def output_options(json_help: str) -> _Decorator[Any]:
    """``--json``, ``--jsonl``, ``--fields`` and ``--color``: the argument ``output``."""
    return _family(
        "output",
        [
            json_option(json_help),
            click.option("--jsonl", "as_jsonl", is_flag=True, help="Print one JSON hit a line."),
            click.option(
                "--fields",
                metavar="a,b,c",
                help="Only these hit fields: in the JSON, or tab-separated a hit a line "
                "without it.",
            ),
            color_option,
        ],
        _output,
    )


# -- shell completion and query words --------------------------------------------------------


def complete_doc_id(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Shell completion of document ids, from the index named so far on the line."""
    from click.shell_completion import CompletionItem

    from ..shards import open_indexes

    named = ctx.params.get("index_dir") or ()
    env = [p for p in os.environ.get("SEARCHKIT_INDEX", "").split(os.pathsep) if p]
    where = list(named) or env or [DEFAULT_INDEX]
    try:
        with open_indexes(where) as ix:
            docs = ix.documents()
    except (SearchkitError, OSError):
        return []
    return [CompletionItem(d.id, help=d.title) for d in docs if d.id.startswith(incomplete)]


class QueryCommand(click.Command):
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
