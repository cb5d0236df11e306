"""Values worked out when first read: a page's highlight spans (issue 24).

A search builds a page of :class:`~searchkit.models.Hit` values; finding where each hit's
matched words stand in its title and text took a fifth of a Reuters title query's time
(239.5 against 299.2 queries a second with ``highlight=False``), for callers that read
ids, scores and text and never a span.  The page's spans are found on the first read of
any hit's ``highlights``, ``spans`` or ``title_spans`` (all of the page's at once, as
before: English hits in one pass), and kept.

A hit's field then holds a :class:`Part` of the page's :class:`Deferred` value until read;
it compares, hashes, prints and pickles as the value itself (a pickled hit holds plain
tuples), so nothing outside tells the two apart.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["Deferred", "Part", "resolved", "shown"]

_UNSET: Any = object()


class Deferred:
    """What ``make`` returns, made on the first :meth:`get` and kept (``make`` is then
    dropped, with what it held).  Threads reading it at once make it once."""

    __slots__ = ("_lock", "_make", "_value")

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make: Callable[[], Any] | None = make
        self._value: Any = _UNSET
        self._lock = threading.Lock()

    def get(self) -> Any:
        value = self._value
        if value is _UNSET:
            with self._lock:
                if self._value is _UNSET:
                    assert self._make is not None
                    self._value = self._make()
                    self._make = None
                value = self._value
        return value


class Part:
    """``deferred.get()[index][item]``, read when asked for: what a hit's field holds until
    then (``index`` the hit's place on the page, ``item`` the field's)."""

    __slots__ = ("deferred", "index", "item")

    def __init__(self, deferred: Deferred, index: int, item: int) -> None:
        self.deferred = deferred
        self.index = index
        self.item = item

    def value(self) -> Any:
        return self.deferred.get()[self.index][self.item]

    def __reduce__(self) -> tuple[Callable[[Any], Any], tuple[Any]]:
        return _itself, (self.value(),)


def _itself(value: Any) -> Any:
    return value


def resolved(value: Any) -> Any:
    """``value``, or what it stands for when it is a :class:`Part`."""
    return value.value() if type(value) is Part else value


def shown(value: Any) -> str:
    """``repr`` of :func:`resolved` ``value``: how a hit prints the field."""
    return repr(resolved(value))
