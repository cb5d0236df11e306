"""What damaged index files look like while Whoosh reads them, and the error they become.

Whoosh reads its files without checking them: a flipped or truncated byte surfaces as
whatever the decoder it reaches raises (a pickle, zlib or struct error, an unexpected end
of data, a class the allow-list unpickler refuses).  :func:`damage_guard` turns those into
one :class:`IndexDamagedError` that names the index and says how to repair it.
"""

from __future__ import annotations

import pickle
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from .errors import IndexDamagedError

__all__ = ["DAMAGE", "damage_guard"]

# EOFError: a pickle or structure cut short; UnicodeDecodeError: a term or name garbled.
DAMAGE: tuple[type[BaseException], ...] = (
    pickle.UnpicklingError,
    EOFError,
    zlib.error,
    struct.error,
    ModuleNotFoundError,
    UnicodeDecodeError,
)


@contextmanager
def damage_guard(path: object) -> Iterator[None]:
    """Raise :class:`IndexDamagedError` for ``path`` when what runs inside meets damage."""
    try:
        yield
    except DAMAGE as exc:
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise IndexDamagedError(path, " ".join(reason.split())) from exc
