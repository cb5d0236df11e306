"""Reading Whoosh's pickles without running what is in them.

A Whoosh index keeps its table of contents (the segment list), posting blocks and a few
file headers as pickles (and its stored fields, but searchkit's are JSON: ``_records.py``),
and an ordinary unpickler runs any callable a pickle names: opening an index from
somewhere else would run its code.  :func:`loads`
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

Admitting only known names does not bound memory: the C unpickler sizes its memo by the
largest index a pickle names and allocates a declared length before reading it, and
``bytearray(2**31)`` is an admitted call.  So :func:`_scan` walks every pickle's opcodes
before the C unpickler runs them (known opcodes, lengths and frames inside the data, memo
indexes in order, an estimate of what it will allocate), the admitted constructors go
through guards that take only what pickle itself writes, and the total is bounded by
:data:`MAX_ALLOCATION`.  Every failure is :class:`DamagedPickleError`, an
``IndexDamagedError`` that ``damage_guard`` completes with the index's path.

Posting blocks are read on every query, so :func:`loads` feeds the C unpickler from
memory (:class:`_Source` gives it the whole pickle in one ``peek``); the scan costs about
0.3 microseconds an opcode.
"""

from __future__ import annotations

import codecs
import collections
import copyreg
import functools
import pickle
import pickletools
import types
from collections.abc import Callable
from typing import IO, Any

from .errors import IndexDamagedError

__all__ = [
    "ALLOWED",
    "MAX_ALLOCATION",
    "DamagedPickleError",
    "install",
    "load",
    "loads",
]

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


# What one pickle may make the unpickler allocate, estimated from its opcodes before any
# is run (:func:`_scan`) and from the size of what each admitted callable is given.  A
# table of contents of 1,000,000 deleted documents costs about 160 MiB by this estimate.
MAX_ALLOCATION = 256 * 2**20
# Estimated bytes an opcode allocates besides its data: an object (an empty set is the
# largest, 216 bytes), its place on the stack, in a container and in the memo.
_OP_COST = 160
_MAX_LINE = 4096  # a text opcode's line (a name, a number)
# How pickle spells the one encoding its byte strings and bytearrays go through.
_LATIN1 = frozenset({"latin1", "latin-1", "latin_1", "iso-8859-1", "iso8859-1", "l1"})


class DamagedPickleError(IndexDamagedError, pickle.UnpicklingError):
    """A pickle that is not one searchkit or Whoosh wrote; ``damage_guard`` names the
    index.  Also an ``UnpicklingError``, so code that expects one still catches it."""

    def __init__(self, reason: str) -> None:
        super().__init__("an index file", reason)
        self.reason = reason


class _RanOutError(DamagedPickleError, EOFError):
    """No pickle at all where one was to start: ``pickle.load``'s ``EOFError``, which
    readers of a file of pickles (Whoosh's sorted runs) take for its end."""


# Opcode byte -> how its argument is laid out (pickletools' own description): _FIXED
# bytes, one or two lines, or a length of 1, 4 (signed or not) or 8 bytes and the data.
_FIXED, _LINE, _LINES, _LEN1, _LEN4S, _LEN4, _LEN8 = range(7)
_ARGS: dict[int, tuple[int, int]] = {}
for _op in pickletools.opcodes:
    _code = ord(_op.code.encode("latin-1"))
    _n = 0 if _op.arg is None else _op.arg.n
    if _op.arg is None or _n >= 0:
        _ARGS[_code] = (_FIXED, max(_n, 0))
    elif _n == pickletools.UP_TO_NEWLINE:
        _ARGS[_code] = (_LINES if _op.arg.name == "stringnl_noescape_pair" else _LINE, 0)
    else:
        _ARGS[_code] = (
            {
                pickletools.TAKEN_FROM_ARGUMENT1: _LEN1,
                pickletools.TAKEN_FROM_ARGUMENT4: _LEN4S,
                pickletools.TAKEN_FROM_ARGUMENT4U: _LEN4,
                pickletools.TAKEN_FROM_ARGUMENT8U: _LEN8,
            }[_n],
            0,
        )
_STOP = ord(".")
_FRAME = 0x95
_MEMOIZE = 0x94
_PUTS = {ord("p"), ord("q"), ord("r")}
_GETS = {ord("g"), ord("h"), ord("j")}
_TEXT = {ord("X"), ord("V"), 0x8C, 0x8D}  # decoded to str: up to 4 bytes a character

# The scanner's per-opcode step, as small numbers in a list (this loop runs for every
# posting block read).  Text opcodes with a length add 10 to the _LEN* step.
_STEP_FIXED, _STEP_MEMO, _STEP_STOP, _STEP_BINPUT, _STEP_BINGET, _STEP_FRAME = range(100, 106)
_STEP: list[int] = [-1] * 256
_SIZE: list[int] = [0] * 256
for _code, (_kind, _size) in _ARGS.items():
    _SIZE[_code] = _size
    if _kind == _FIXED:
        _STEP[_code] = {
            _STOP: _STEP_STOP,
            _MEMOIZE: _STEP_MEMO,
            _FRAME: _STEP_FRAME,
            ord("q"): _STEP_BINPUT,
            ord("r"): _STEP_BINPUT,
            ord("h"): _STEP_BINGET,
            ord("j"): _STEP_BINGET,
        }.get(_code, _STEP_FIXED)
    else:
        _STEP[_code] = _kind + (10 if _code in _TEXT else 0)


def _memo_index(index: int, memo: int, get: bool) -> int:
    """The memo's size after a ``PUT`` or ``GET`` of ``index`` into a memo of ``memo``."""
    if index > memo or (get and index == memo):
        raise DamagedPickleError(f"pickle memo index {index} out of range")
    return memo + (index == memo)


def _scan(data: bytes) -> int:
    """Check ``data`` opcode by opcode before the C unpickler runs it; the bytes it will
    allocate (estimated), at most :data:`MAX_ALLOCATION`.

    The C unpickler sizes its memo by the largest index a ``PUT`` names (a 7-byte pickle
    can ask for 2 GiB) and allocates a string's declared length before reading it, so:
    every opcode must be known and end inside ``data``, every length fit what is left,
    every memo index be the next free one or one already used, and a ``FRAME`` fit.
    """
    end = len(data)
    pos = ops = memo = payload = 0
    step, size = _STEP, _SIZE
    while pos < end:
        op = data[pos]
        pos += 1
        ops += 1
        kind = step[op]
        if kind == _STEP_FIXED:
            pos += size[op]
        elif kind in (_STEP_BINPUT, _STEP_BINGET):
            width = size[op]
            if pos + width > end:
                break
            index = data[pos] if width == 1 else int.from_bytes(data[pos : pos + 4], "little")
            if index >= memo:
                memo = _memo_index(index, memo, kind == _STEP_BINGET)
            pos += width
        elif kind == _STEP_MEMO:
            memo += 1
        elif kind in (_LEN1, _LEN1 + 10):
            if pos >= end:
                break
            length = data[pos]
            payload += length * 4 if kind > 10 else length
            pos += 1 + length
        elif kind == _STEP_STOP:
            if ops * _OP_COST + payload > MAX_ALLOCATION:
                raise DamagedPickleError(f"pickle would allocate more than {MAX_ALLOCATION} bytes")
            return ops * _OP_COST + payload
        elif kind == _STEP_FRAME:
            if int.from_bytes(data[pos : pos + 8], "little") > end - pos - 8:
                raise DamagedPickleError("pickle frame longer than its data")
            pos += 8
        elif kind < 0:
            raise DamagedPickleError(f"invalid pickle opcode 0x{op:02x}")
        elif kind % 10 in (_LINE, _LINES):
            for _ in range(2 if kind == _LINES else 1):
                stop = data.find(b"\n", pos, pos + _MAX_LINE)
                if stop < 0:
                    raise DamagedPickleError("pickle line too long or truncated")
                if op in _PUTS or op in _GETS:
                    text = data[pos:stop]
                    if not text.isdigit():
                        raise DamagedPickleError("pickle memo index is not a number")
                    memo = _memo_index(int(text), memo, op in _GETS)
                payload += 4 * (stop - pos)
                pos = stop + 1
        else:
            width = 8 if kind % 10 == _LEN8 else 4
            length = int.from_bytes(data[pos : pos + width], "little", signed=kind == _LEN4S)
            pos += width
            if length < 0 or length > end - pos:
                raise DamagedPickleError("pickle length longer than its data")
            payload += length
            if kind > 10 and not data[pos : pos + length].isascii():
                payload += 3 * length
            pos += length
            if payload > MAX_ALLOCATION:
                raise DamagedPickleError(f"pickle would allocate more than {MAX_ALLOCATION} bytes")
    raise DamagedPickleError("pickle data was truncated")


class _Unpickler(pickle.Unpickler):
    """The C unpickler, admitting only :data:`ALLOWED`, each callable through a guard
    that refuses the arguments searchkit's and Whoosh's pickles never hold and counts
    what it allocates against the pickle's budget."""

    def __init__(self, file: Any, budget: int = MAX_ALLOCATION) -> None:
        super().__init__(file)
        self._budget = budget

    def _charge(self, nbytes: int) -> None:
        self._budget -= nbytes
        if self._budget < 0:
            raise DamagedPickleError(f"pickle would allocate more than {MAX_ALLOCATION} bytes")

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in ALLOWED:
            raise DamagedPickleError(f"refused to load {module}.{name}: not written by searchkit")
        found = super().find_class(module, name)
        if module == "whoosh.codec.whoosh3":
            return _loaded(found)
        guard = _GUARDS.get(found)
        if guard is None:
            return found
        return functools.partial(guard, self._charge)


def _sized(charge: Callable[[int], None], value: object, per_item: int) -> None:
    if not isinstance(value, (str, bytes, bytearray, list, tuple, dict, set, frozenset)):
        raise DamagedPickleError(f"a pickle passes {type(value).__name__} where a value goes")
    charge(256 + per_item * len(value))


def _encode(charge: Callable[[int], None], text: object, encoding: object = "") -> bytes:
    # How protocol 2 spells bytes: _codecs.encode('\x00...', 'latin1').
    if type(text) is not str or encoding not in _LATIN1:
        raise DamagedPickleError("a pickle encodes something other than latin-1 text")
    charge(64 + len(text))
    return text.encode("latin-1")


def _bytearray(charge: Callable[[int], None], *args: object) -> bytearray:
    # bytearray(b'...'), or bytearray('...', 'latin-1') in protocol 2: never a size.
    if not args:
        return bytearray()
    if len(args) == 2 and type(args[0]) is str and args[1] in _LATIN1:
        return bytearray(_encode(charge, args[0], args[1]))
    if len(args) == 1 and isinstance(args[0], (bytes, bytearray, list, tuple)):
        _sized(charge, args[0], 1)
        return bytearray(args[0])
    raise DamagedPickleError("a pickle makes a bytearray of something other than bytes")


def _collection(kind: type) -> Callable[..., Any]:
    def make(charge: Callable[[int], None], *args: object) -> Any:
        if len(args) > 1:
            raise DamagedPickleError(f"a pickle calls {kind.__name__} with {len(args)} arguments")
        if args:
            _sized(charge, args[0], 128)
        return kind(*args)

    return make


def _defaultdict(charge: Callable[[int], None], *args: object) -> Any:
    if len(args) > 2 or (len(args) == 2 and type(args[1]) is not dict):
        raise DamagedPickleError("a pickle makes a defaultdict of something other than a dict")
    if len(args) == 2:
        _sized(charge, args[1], 128)
    return collections.defaultdict(*args)


def _reconstructor(charge: Callable[[int], None], cls: Any, base: Any, state: Any) -> Any:
    # Protocols 0 and 1 spell a plain object as _reconstructor(cls, object, None).
    if base is not object or state is not None or not isinstance(cls, type):
        raise DamagedPickleError("a pickle rebuilds something other than a plain object")
    charge(256)
    return object.__new__(cls)


class _Loaded:
    """Mixed into the Whoosh classes a table of contents holds: their state arrives as a
    small dict (``BUILD``), never a large one copied into object after object."""

    def __setstate__(self, state: object) -> None:
        if type(state) is not dict or len(state) > 16:
            raise DamagedPickleError("a pickle gives a Whoosh object a state it never has")
        self.__dict__.update(state)


@functools.cache
def _loaded(cls: type) -> type:
    """``cls`` (W3Segment, W3Codec) as the table of contents' reader receives it; it
    turns each into the Whoosh class itself once its values are checked."""
    return type(cls.__name__, (_Loaded, cls), {"__module__": __name__})


_GUARDS: dict[Any, Callable[..., Any]] = {
    codecs.encode: _encode,
    bytearray: _bytearray,
    set: _collection(set),
    frozenset: _collection(frozenset),
    collections.defaultdict: _defaultdict,
    copyreg._reconstructor: _reconstructor,  # type: ignore[attr-defined]
}


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
    """``pickle.loads`` that refuses every class and function not in :data:`ALLOWED`,
    and any pickle that would allocate more than :data:`MAX_ALLOCATION` bytes.

    Every failure is :class:`DamagedPickleError` (an ``IndexDamagedError``).
    """
    data = bytes(data)
    budget = MAX_ALLOCATION - _scan(data)
    try:
        return _Unpickler(_Source(data), budget).load()
    except DamagedPickleError:
        raise
    except Exception as exc:  # the C unpickler or an admitted constructor refusing
        raise DamagedPickleError(f"{type(exc).__name__}: {exc}") from None


def load(file: IO[bytes]) -> Any:
    """:func:`loads` of the pickle that starts at ``file``'s position; reads exactly it."""
    return loads(_extent(file))


def _extent(file: IO[bytes]) -> bytes:
    """The bytes of one pickle read from ``file``, opcode by opcode, so that a declared
    length is read in pieces (a file's ``read(n)`` allocates ``n`` before it reads)."""
    parts: list[bytes] = []

    def take(n: int) -> bytes:
        got = file.read(n)
        if len(got) != n:
            raise DamagedPickleError("pickle data was truncated")
        parts.append(got)
        return got

    if not (first := file.read(1)):
        raise _RanOutError("ran out of input")
    parts.append(first)
    op = first[0]
    total = 0
    while True:
        layout = _ARGS.get(op)
        if layout is None:
            raise DamagedPickleError(f"invalid pickle opcode 0x{op:02x}")
        kind, size = layout
        if kind == _FIXED:
            take(size)
            if op == _STOP:
                return b"".join(parts)
            op = take(1)[0]
            continue
        if kind in (_LINE, _LINES):
            for _ in range(2 if kind == _LINES else 1):
                for _ in range(_MAX_LINE):
                    if take(1) == b"\n":
                        break
                else:
                    raise DamagedPickleError("pickle line too long")
        else:
            width = 1 if kind == _LEN1 else 8 if kind == _LEN8 else 4
            length = int.from_bytes(take(width), "little", signed=kind == _LEN4S)
            total += max(length, 0)
            if length < 0 or total > MAX_ALLOCATION:
                raise DamagedPickleError(f"pickle longer than {MAX_ALLOCATION} bytes")
            while length:
                length -= len(take(min(length, 1 << 20)))
        op = take(1)[0]


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
