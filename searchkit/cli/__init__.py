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

The package, one reason to change per module:

    __init__.py   the ``searchkit`` group and ``main``: which commands there are
    _errors.py    how a command ends: one ``Error:`` line and the exit code (the codes of
                  library errors come from the table in ``searchkit.errors``)
    _options.py   the options, one decorator per family (index, paging, filters, the
                  shape of a hit, explore, output, dask)
    _render.py    what the commands print, for a terminal or as JSON
    _explore.py   facets, histograms and score explanations as lines of text
    index.py      index           check.py   check [--repair], optimize
    search.py     search, similar, complete
    read.py       show, docs, stats
    serve.py      serve           eval.py    eval
"""

from __future__ import annotations

import click

from .._version import __version__
from ._errors import EXIT_CODES_HELP, Group
from .check import check, optimize
from .eval import eval_command
from .index import index_command
from .read import docs, show, stats
from .search import complete, search, similar
from .serve import serve
from .watch import watch

__all__ = ["cli", "main"]


@click.group(
    cls=Group,
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


for _command in (
    index_command,
    search,
    show,
    docs,
    stats,
    serve,
    check,
    optimize,
    eval_command,
    similar,
    complete,
    watch,
):
    cli.add_command(_command)


def main() -> None:
    """The ``searchkit`` console script."""
    cli(prog_name="searchkit")
