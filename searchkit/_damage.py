"""What damaged index files look like while Whoosh reads them, and the error they become.

Whoosh reads its files without checking them: a flipped or truncated byte surfaces as
whatever the decoder it reaches raises (a pickle, zlib or struct error, an unexpected end
of data, a class the allow-list unpickler refuses).  :func:`damage_guard` turns those into
one :class:`IndexDamagedError` that names the index and says how to repair it.
"""

from __future__ import annotations

import errno
import os
import pickle
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

import whoosh
from whoosh.index import EmptyIndexError

from ._unpickle import DamagedPickleError
from .errors import IndexDamagedError, SearchkitError

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


# Whoosh meeting garbage raises almost anything (an id past the end, a record of the wrong
# shape, a bare ``Exception("Block tag error")``): any other exception is damage when raised
# inside code that decodes the files (Whoosh, or searchkit's own postings reader), so a bug
# elsewhere still shows as a bug.
# Said better elsewhere: OS errors by errno (IndexAccessError; but see _is_damage), no
# index at all.
_NOT_DAMAGE = (SearchkitError, OSError, EmptyIndexError)
_WHOOSH = os.path.dirname(whoosh.__file__)
# Whoosh's modules that decode what is on disk (not its query parser or analysers).
_READERS = (
    *(
        os.path.join(_WHOOSH, *part.split("/"))
        for part in (
            "codec/",
            "filedb/",
            "matching/",
            "util/",
            "columns.py",
            "reading.py",
            "formats.py",
            "idsets.py",
            "index.py",
        )
    ),
    # searchkit's own: the postings reader, the reads of Whoosh's private structures
    # (posting blocks, columns) and the unpickler (a garbled length in a pickle can ask
    # for more memory than there is).
    *(
        os.path.join(os.path.dirname(__file__), name)
        for name in ("_topk.py", "_whoosh.py", "_unpickle.py", "_records.py")
    ),
)


def _is_damage(exc: Exception) -> bool:
    if isinstance(exc, DAMAGE):
        return True
    if isinstance(exc, OSError) and exc.errno == errno.EINVAL:
        # A seek to an offset read from a damaged file (a compound directory's entry)
        # fails so; it is the file's fault, not the folder's.
        return _raised_reading(exc)
    return not isinstance(exc, _NOT_DAMAGE) and _raised_reading(exc)


def _raised_reading(exc: BaseException) -> bool:
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code.co_filename.startswith(_READERS)


@contextmanager
def damage_guard(path: object) -> Iterator[None]:
    """Raise :class:`IndexDamagedError` for ``path`` when what runs inside meets damage."""
    try:
        yield
    except DamagedPickleError as exc:  # found while decoding, before the index was known
        raise IndexDamagedError(path, exc.reason) from exc
    except Exception as exc:
        if not _is_damage(exc):
            raise
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise IndexDamagedError(path, " ".join(reason.split())) from exc
