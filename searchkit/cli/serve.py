"""``serve``: the search page and the JSON API over HTTP."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import click

from ._errors import EXIT_CODES_HELP, Failure
from ._options import index_option, one_index

__all__ = ["serve"]


@click.command(
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
@click.option(
    "--watch",
    "watch_sources",
    is_flag=True,
    help="Also keep the index in sync with the files and folders it was built from, so new "
    "and changed files appear without a restart (needs the watch extra).",
)
@index_option
def serve(
    host: str,
    port: int,
    open_browser: bool,
    allow_hosts: tuple[str, ...],
    watch_sources: bool,
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
    from .. import web
    from ..shards import Index

    where = one_index(index_dir, "serve")

    try:
        import uvicorn

        create_app = web.create_app
    except ImportError:
        raise Failure(f"searchkit serve needs the web extra: {web.INSTALL_HINT}") from None
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
    stop = _watch_in_background(where) if watch_sources else None
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        if stop is not None:
            stop()


def _watch_in_background(where: Path) -> Callable[[], None]:
    """Watch the index's recorded sources in a thread (``serve --watch``); returns how to
    stop it, after its last sync."""
    from ..index import Index
    from ..watch import watch

    try:
        import watchfiles  # noqa: F401
    except ImportError:
        raise Failure(
            "serve --watch needs the watch extra: pip install 'searchkit[watch]'"
        ) from None
    with Index.open(where) as ix:
        sources = ix.sources()
    if not sources:
        raise Failure(f"serve --watch: index {where} records no files or folders to watch")
    stop = threading.Event()
    writer = Index.open(where)

    def run() -> None:
        try:
            watch(writer, *sources, stop=stop)
        except Exception as exc:  # the server goes on; say why the watch ended
            click.echo(f"Warning: the watch stopped: {exc}", err=True)
        finally:
            writer.close()

    thread = threading.Thread(target=run, name="searchkit-watch", daemon=True)
    thread.start()
    click.echo(f"Watching {', '.join(sources)} for changes", err=True)

    def end() -> None:
        stop.set()
        thread.join(timeout=60)

    return end
