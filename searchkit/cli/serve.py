"""``serve``: the search page and the JSON API over HTTP."""

from __future__ import annotations

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
@index_option
def serve(host: str, port: int, open_browser: bool, index_dir: tuple[Path, ...]) -> None:
    """\b
    Example:
      searchkit serve --index my-index --open

    Serve the search page, paragraph and document pages, and the JSON API
    (/api/search, /api/similar/ID, /api/complete, /api/chunk/ID,
    /api/document/ID, /api/stats; described at /openapi.json) until Ctrl-C.
    Read-only; listens on 127.0.0.1 unless --host says otherwise.  Needs the
    web extra: pip install 'searchkit[web]'.

    Python: searchkit.web.create_app(DIR), run with any ASGI server.
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
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    click.echo(f"Serving {where} at {url} (Ctrl-C stops)", err=True)
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, webbrowser.open, (url,)).start()
    uvicorn.run(create_app(where), host=host, port=port, log_level="warning")
