"""Reading Whoosh's pickles without running what is in them.

A Whoosh index keeps its table of contents (the segment list), stored fields, posting
blocks and a few file headers as pickles, and an ordinary unpickler runs any callable a
pickle names: opening an index from somewhere else would run its code.  :func:`loads`
and :func:`load` admit only the classes and functions searchkit's and Whoosh's writers
put there (:data:`ALLOWED`); any other name fails with :class:`pickle.UnpicklingError`
before anything is imported or called.

:func:`install` points every place in Whoosh that unpickles at these two functions.
Whoosh also pickles the schema into the table of contents; searchkit never reads it back
(it opens indexes with its own schema), so schema classes are not admitted.  Whoosh's
loaders of table-of-contents formats older than its current one use an unrestricted
unpickler and are switched off.  (Whoosh's ``whoosh2`` and ``plaintext`` codecs and
``filedb.misc`` also unpickle, but they cannot be imported in the Whoosh searchkit uses,
so no index reaches them.)

Posting blocks are read on every query, so :func:`loads` feeds the C unpickler from
memory (:class:`_Source` gives it the whole pickle in one ``peek``); that costs about
half a microsecond a block over ``pickle.loads``.
"""

from __future__ import annotations

import pickle
import types
from typing import IO, Any

__all__ = ["ALLOWED", "install", "load", "loads"]

# (module, name) pairs a searchkit index's pickles name; "__builtin__" is how protocol 2
# spells builtins.
ALLOWED: frozenset[tuple[str, str]] = frozenset(
    {
        ("whoosh.codec.whoosh3", "W3Segment"),
        ("whoosh.codec.whoosh3", "W3Codec"),
        ("collections", "defaultdict"),
        ("_codecs", "encode"),  # bytes in Whoosh's own protocol-2 posting blocks
        ("copyreg", "_reconstructor"),
        ("datetime", "datetime"),
        ("datetime", "date"),
        ("datetime", "timedelta"),
        ("datetime", "timezone"),
        *((m, n) for m in ("builtins", "__builtin__") for n in ("int", "long", "float")),
        *((m, n) for m in ("builtins", "__builtin__") for n in ("set", "frozenset", "object")),
        *((m, n) for m in ("builtins", "__builtin__") for n in ("bytearray", "complex")),
    }
)


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refused to load {module}.{name}: not written by searchkit")


class _Source:
    """A file over one bytes object, shaped for the C unpickler: one ``peek`` gives it
    everything, and the ``read`` it makes at the end only skips what it consumed."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def peek(self, n: int = 0) -> bytes:
        return self.data

    def read(self, n: int = -1) -> bytes:
        data = self.data
        if n < 0:
            n = len(data)
        self.data = data[n:]
        return data[:n]

    def readinto(self, buf: Any) -> int:
        chunk = self.read(len(buf))
        buf[: len(chunk)] = chunk
        return len(chunk)

    def readline(self) -> bytes:
        data = self.data
        end = data.find(b"\n") + 1 or len(data)
        self.data = data[end:]
        return data[:end]


def loads(data: bytes | bytearray | memoryview) -> Any:
    """``pickle.loads`` that refuses every class and function not in :data:`ALLOWED`."""
    return _Unpickler(_Source(bytes(data))).load()


def load(file: IO[bytes]) -> Any:
    """``pickle.load`` that refuses every class and function not in :data:`ALLOWED`."""
    return _Unpickler(file).load()


class _PickleModule(types.ModuleType):
    """Stands in for the ``pickle`` module inside Whoosh's modules: its ``loads``,
    ``load`` and ``Unpickler`` are ours, the rest (``dumps``, errors) the real module's."""

    loads = staticmethod(loads)
    load = staticmethod(load)
    Unpickler = _Unpickler

    def __getattr__(self, name: str) -> Any:
        return getattr(pickle, name)


# Module -> the names in it that Whoosh calls to unpickle.
_SITES: dict[str, tuple[str, ...]] = {
    "whoosh.compat": ("load", "loads"),
    "whoosh.filedb.structfile": ("load_pickle",),
    "whoosh.codec.whoosh3": ("loads",),
    "whoosh.columns": ("loads",),
    "whoosh.formats": ("loads",),
    "whoosh.externalsort": ("load",),  # the writer's own sorted runs
}
# Modules that hold the pickle module itself.  whoosh.multiproc costs multiprocessing's
# import, so it is patched only once loaded (``_mpwriter`` calls :func:`install` again).
_HOLDERS = ("whoosh.compat", "whoosh.index", "whoosh.util.loading")
_LAZY_HOLDERS = ("whoosh.multiproc",)


def install() -> None:
    """Route every unpickling in Whoosh through :func:`loads` and :func:`load`.

    Idempotent, and cheap to call again once more of Whoosh is imported.
    """
    import importlib
    import sys

    import whoosh.legacy

    for module_name, names in _SITES.items():
        module = importlib.import_module(module_name)
        for name in names:
            if getattr(module, name) is pickle.load:
                setattr(module, name, load)
            elif getattr(module, name) is pickle.loads:
                setattr(module, name, loads)
    shim = _PickleModule("pickle")
    for module_name in _HOLDERS:
        importlib.import_module(module_name).pickle = shim  # type: ignore[attr-defined]
    for module_name in _LAZY_HOLDERS:
        if module_name in sys.modules:
            sys.modules[module_name].pickle = shim  # type: ignore[attr-defined]
    whoosh.legacy.toc_loaders.clear()  # old formats, read with an unrestricted unpickler
