"""The base of searchkit's Whoosh filters: two filters are equal when they are of one
class with the same settings, so that two schemas built alike compare equal (an index's
schema is checked against the one this version builds)."""

from __future__ import annotations

from whoosh.analysis import Filter

__all__ = ["SettingsFilter"]


class SettingsFilter(Filter):  # type: ignore[misc]
    """A filter equal to, and hashed as, any other of its class with equal :meth:`settings`."""

    def settings(self) -> object:
        """What makes this filter act as it does (nothing, by default)."""
        return ()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.settings() == self.settings()

    def __hash__(self) -> int:
        return hash((type(self), self.settings()))
