"""searchkit in a browser: ``create_app(index_path)`` returns a FastAPI app.

Needs the ``web`` extra (``pip install 'searchkit[web]'``: FastAPI, Jinja2, uvicorn).
``searchkit serve`` runs the app with uvicorn; any other ASGI server can run it too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app

__all__ = ["INSTALL_HINT", "LOOPBACK_HOSTS", "create_app"]

INSTALL_HINT = "pip install 'searchkit[web]'"
# The Host names a server bound to loopback answers to (create_app's default); kept
# here, so the command line reads them without importing FastAPI.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def __getattr__(name: str) -> Any:
    if name == "create_app":
        try:
            from .app import create_app
        except ImportError as exc:
            raise ImportError(
                f"searchkit.web needs the web extra ({exc.name} is missing): {INSTALL_HINT}"
            ) from exc
        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
