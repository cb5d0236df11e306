"""How a command ends: every failure is one ``Error: ...`` line on stderr and an exit code.

Library errors take their exit code from the table in :mod:`searchkit.errors`
(:func:`searchkit.errors.exit_code`); Click's usage errors, Ctrl-C, a closed pipe and a
failed write to stdout are mapped here, in :class:`Group`, the one place a command's
failure passes through.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from ..errors import EXIT_INDEX, EXIT_LOCKED, EXIT_USAGE, SearchkitError, exit_code
from ._render import clean_line

__all__ = [
    "EXIT_BROKEN_PIPE",
    "EXIT_CODES_HELP",
    "EXIT_INDEX",
    "EXIT_INTERRUPTED",
    "EXIT_LOCKED",
    "EXIT_NO_HITS",
    "EXIT_OK",
    "EXIT_USAGE",
    "Failure",
    "Group",
    "failure",
]

EXIT_OK = 0
EXIT_NO_HITS = 1
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141

EXIT_CODES_HELP = """\b
Exit codes: 0 success / hits found, 1 no hits, 2 usage, query or query-limit
error or output not written, 3 index missing, damaged, incompatible or not
readable or writable, 4 index locked, 130 interrupted, 141 output pipe closed."""


class Failure(click.ClickException):
    """An error shown as one ``Error: ...`` line; exits 2 (usage or input error)."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(clean_line(message).split()))


# Click reads a ClickException's exit code from its class: one subclass per code.
_FAILURES: dict[int, type[Failure]] = {EXIT_USAGE: Failure}


def failure(message: str, code: int) -> Failure:
    """A :class:`Failure` that exits ``code``."""
    if code not in _FAILURES:
        _FAILURES[code] = type(f"Failure{code}", (Failure,), {"exit_code": code})
    return _FAILURES[code](message)


class Group(click.Group):
    """Turns library errors, usage errors and Ctrl-C into one line and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SearchkitError as exc:
            raise failure(str(exc), exit_code(exc)) from exc
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx else "searchkit"
            message = exc.format_message().rstrip(".")
            raise Failure(f"{message}; see '{where} --help'") from exc
        except KeyboardInterrupt:
            click.echo(err=True)
            raise failure("interrupted", EXIT_INTERRUPTED) from None
        except BrokenPipeError:
            _silence_stdout()
            raise click.exceptions.Exit(EXIT_BROKEN_PIPE) from None
        except OSError as exc:
            # The library turns its own OS errors into SearchkitErrors; what is left is
            # a write to stdout that failed (a full disk, /dev/full), or something rare.
            what = exc.strerror or type(exc).__name__
            if _failed_writing(exc):
                _silence_stdout()
                raise Failure(f"cannot write the output: {what}") from None
            where = f": {exc.filename}" if exc.filename is not None else ""
            raise Failure(f"{what}{where}") from None


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
