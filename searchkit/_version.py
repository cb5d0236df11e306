"""searchkit's version, in a module of its own: anything may read it without loading more."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
