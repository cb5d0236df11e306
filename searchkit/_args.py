"""Checks of the Python API's text and path arguments: a value of the wrong type is an
:class:`~searchkit.errors.ArgumentError` naming the argument, not a ``TypeError`` or an
``AttributeError`` from deep inside (``ix.document(5)``, ``Index.open(None)``).  Imports
nothing but the errors, so the loaders may use it."""

from __future__ import annotations

import os
from typing import Any

from .errors import ArgumentError

__all__ = ["check_path", "check_text"]


def check_text(name: str, value: Any) -> None:
    """Raise :class:`ArgumentError` unless ``value`` is a ``str``."""
    if not isinstance(value, str):
        raise ArgumentError(f"{name} must be text, not {_shown(value)}")


def check_path(name: str, value: Any) -> None:
    """Raise :class:`ArgumentError` unless ``value`` is a path (``str`` or ``os.PathLike``)."""
    if not isinstance(value, str | os.PathLike):
        raise ArgumentError(f"{name} must be a path (str or os.PathLike), not {_shown(value)}")


def _shown(value: Any) -> str:
    return f"{type(value).__name__} {value!r:.40}"
