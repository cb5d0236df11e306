"""``watch``: keep an index in sync with folders as files change, until Ctrl-C."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from ._errors import EXIT_CODES_HELP, EXIT_INTERRUPTED, Failure
from ._options import index_option, one_index
from ._render import clean_line, skipped_line

if TYPE_CHECKING:
    from ..watch import WatchBatch

__all__ = ["watch", "stop_on_signals"]


def stop_on_signals(stop: threading.Event) -> dict[int, object]:
    """Make Ctrl-C (and SIGTERM) set ``stop`` instead of raising where the work is: the
    watch then ends after its last sync, so nothing written before the signal is lost.
    Returns the handlers replaced, for :func:`signal.signal` to put back."""

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    return {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}


class _Say:
    """Prints what each sync did: its counts when something changed (and the first
    sync's always), each file skipped (once while its reason stays the same: every sync
    reads the folders again), and a sync another process's write lock put off."""

    def __init__(self) -> None:
        self.skipped: dict[str, str] = {}

    def __call__(self, batch: WatchBatch) -> None:
        r = batch.report
        if batch.busy is not None:
            click.echo(f"{batch.reason}: put off, {clean_line(batch.busy)}; trying again", err=True)
            return
        for skipped in r.skipped:
            if self.skipped.get(skipped.path) != skipped.reason:
                self.skipped[skipped.path] = skipped.reason
                click.echo(skipped_line(skipped), err=True)
        changed = r.added + r.updated + r.removed + r.renamed
        if batch.reason == "start" or changed or batch.missing:
            line = (
                f"{batch.reason}: {r.added} added, {r.updated} updated, "
                f"{r.removed} removed, {r.renamed} renamed"
            )
            if batch.missing:
                line += "; gone for now (documents kept): " + ", ".join(batch.missing)
            click.echo(line, err=True)


@click.command(
    short_help="Keep the index in sync with folders as files change.", epilog=EXIT_CODES_HELP
)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--follow-links", is_flag=True, help="Follow every symbolic link in folders.")
@index_option
def watch(paths: tuple[Path, ...], follow_links: bool, index_dir: tuple[Path, ...]) -> None:
    """\b
    Example:
      searchkit watch notes/ --index my-index

    Index PATHS now (as 'searchkit index' does, creating the index if needed), then
    keep the index in sync as files under them are added, changed, moved and removed:
    a burst of changes becomes one sync.  A folder that disappears keeps its documents
    until it is back.  Ctrl-C stops after committing the last changes (exit 130).
    Needs the watch extra: pip install 'searchkit[watch]'.

    Python: searchkit.watch.watch(Index.open_or_create(DIR), *PATHS, stop=EVENT)
    """
    from ..index import Index
    from ..watch import WatchUnavailableError
    from ..watch import watch as keep_in_sync

    where = one_index(index_dir, "watch")
    if not any(p.exists() for p in paths):
        raise Failure("none of the paths to watch exists: " + ", ".join(map(str, paths)))
    stop = threading.Event()
    with Index.open_or_create(where) as ix:
        click.echo(f"Watching {', '.join(map(str, paths))} for {where} (Ctrl-C stops)", err=True)
        previous = stop_on_signals(stop)
        try:
            keep_in_sync(ix, *paths, stop=stop, on_batch=_Say(), follow_links=follow_links)
        except WatchUnavailableError as exc:
            raise Failure(str(exc)) from None
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)  # type: ignore[arg-type]
    if stop.is_set():
        click.echo("Stopped; the last changes are committed.", err=True)
        raise click.exceptions.Exit(EXIT_INTERRUPTED)
