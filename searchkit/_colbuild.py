"""Building the columns of one field of one segment (``_colcache.py`` keeps them in files).

Two sources give the same arrays, bit for bit: the segment's posting blocks, read back
term by term (:func:`from_segment`), and the postings a writer holds in memory as it
writes the segment (:class:`Gather`, fed by ``_writer.py``): a bulk load's writer
processes leave each new segment's ``body`` columns beside it, so the process that
searches maps them instead of building them (2 s and 20 MiB at its first query for each
segment of 50,000 Reuters paragraphs).

What a build holds at once stays near the size of the file it makes: document numbers
are gathered in the type the file keeps, weights and positions are narrowed a batch at a
time.
"""

from __future__ import annotations

import itertools
import zlib
from array import array
from typing import Any

from . import _positions, _topk

__all__ = ["Gather", "UnavailableError", "from_segment"]

# Encoded positions decoded at once while building (a term's are never split).
_DECODE_BATCH = 1 << 14
# Weights narrowed at once while building.
_WEIGHT_SLICE = 1 << 16


class UnavailableError(Exception):
    """This reader's segments cannot be read as columns (another codec, say)."""


class Gather:
    """A field's postings gathered term by term, in term order, into its columns' arrays.

    :meth:`add` takes postings of the current term (a block or all of them) in document
    order, :meth:`end_term` closes the term, :meth:`arrays` gives the result.  Weights
    are kept as the segment stores them: ``float32`` (``stored32``, a writer's own
    floats) or as read back (already rounded).
    """

    def __init__(self, docs: int, positions: bool, *, stored32: bool = False) -> None:
        self.positions = positions
        self.blob = bytearray()
        self.offsets = array("q", [0])
        self.starts = array("q", [0])
        self.ids = array("H" if docs <= 0x10000 else "I")
        self._kind = "f" if stored32 else "d"
        self.weights = array(self._kind)
        self.narrowed: list[Any] = []  # per batch of weights: see _weights
        self.values: list[bytes] = []
        self.decoded: list[tuple[Any, Any]] = []  # per batch: see _decode

    def add(self, ids: Any, weights: Any, values: Any) -> None:
        self.ids.extend(ids)
        self.weights.extend(weights if type(weights) is not array else list(weights))
        if self.positions:
            self.values.extend(values)

    def end_term(self, text: bytes) -> None:
        if len(self.values) >= _DECODE_BATCH:  # bound what the encoded values hold at once
            self.decoded.append(_decode(self.values))
            self.values = []
        if len(self.weights) >= _WEIGHT_SLICE:
            self.narrowed.append(self._narrowed())
            self.weights = array(self._kind)
        self.blob += text
        self.offsets.append(len(self.blob))
        self.starts.append(len(self.ids))

    def _narrowed(self) -> Any:
        import numpy as np

        w = self.weights
        if not w:
            return _weights(np.zeros(0))
        return _weights(np.frombuffer(w, dtype=np.float32 if w.typecode == "f" else np.float64))

    def arrays(self) -> dict[str, Any]:
        """The columns' arrays (each in its narrowest type); the gathered lists go."""
        import numpy as np

        self.decoded.append(_decode(self.values))
        self.narrowed.append(self._narrowed())
        self.values, self.weights = [], array(self._kind)
        counts = np.concatenate([counts for counts, _where in self.decoded])
        where = np.concatenate([where for _counts, where in self.decoded])
        self.decoded = []
        term_starts = np.frombuffer(self.starts, dtype=np.int64)
        # Each batch in its narrowest exact type; joined, numpy's promotion gives the type
        # _weights would give the whole (uint8 < uint16 < float32 < float64, each exact).
        weighted = np.concatenate(self.narrowed)
        self.narrowed = []
        ids = self.ids
        tpositions = np.zeros(len(term_starts), dtype=np.int64)
        if counts.size != len(ids):
            counts = np.zeros(0, dtype=np.uint8)  # a field without positions
        elif counts.size:
            # Where each term's positions start: its postings' counts summed, term by term,
            # without an array of every posting's end.
            held = np.diff(term_starts) > 0
            per_term = np.zeros(held.size, dtype=np.int64)
            per_term[held] = np.add.reduceat(counts, term_starts[:-1][held], dtype=np.int64)
            np.cumsum(per_term, out=tpositions[1:])
        blob = self.blob
        bounds = np.frombuffer(self.offsets, dtype=np.int64)
        hashes = np.array(
            [zlib.crc32(blob[a:b]) for a, b in itertools.pairwise(bounds.tolist())],
            dtype=np.uint32,
        )
        order = np.argsort(hashes, kind="stable").astype(np.uint32)
        return {
            "blob": np.frombuffer(bytes(blob), dtype=np.uint8),
            "offsets": _narrowest(bounds, np.uint32, np.int64),
            "hashes": hashes[order],
            "order": order,
            "starts": _narrowest(term_starts, np.uint32, np.int64),
            "ids": _narrowest(
                np.frombuffer(ids, dtype=np.uint16 if ids.typecode == "H" else np.uint32),
                np.uint16,
                np.uint32,
            ),
            "weights": weighted,
            "tpositions": _narrowest(tpositions, np.uint32, np.int64),
            "pcounts": _narrowest(counts, np.uint8, np.uint32),
            "positions": _narrowest(where, np.uint8, np.uint32),
        }


def from_segment(reader: Any, field: str, docs: int, positions: bool) -> dict[str, Any]:
    """Every term's postings of ``field`` in the segment ``reader`` reads, as the arrays
    of its columns (positions too if asked)."""
    gather = Gather(docs, positions)
    for text in reader.lexicon(field):
        blocks = _topk._postings(reader, field, text, values=positions)
        if blocks is None:
            continue
        for block_ids, block_weights, block_values in blocks:
            gather.add(block_ids, block_weights, block_values)
        gather.end_term(text)
    return gather.arrays()


def _decode(values: list[bytes]) -> tuple[Any, Any]:
    """Each posting's number of positions and all their positions, each in the narrowest
    type that holds it (a batch of a big segment holds millions)."""
    import numpy as np

    try:
        starts, where = _positions.decode_all(values)
    except (ValueError, TypeError) as exc:  # not Whoosh's encoding: Whoosh's own road reads it
        raise UnavailableError(str(exc)) from None
    return _narrowest(np.diff(starts), np.uint8, np.uint32), _narrowest(where, np.uint8, np.uint32)


def _narrowest(values: Any, small: Any, large: Any) -> Any:
    """``values`` (integers >= 0) in the narrowest unsigned type, ``small`` to ``large``."""
    import numpy as np

    top = int(values.max()) if values.size else 0
    if top > np.iinfo(large).max:
        raise UnavailableError("a position too large for the columns")
    kind = np.dtype(small)
    while top > np.iinfo(kind).max:
        kind = np.dtype(f"u{kind.itemsize * 2}") if kind.itemsize < 4 else np.dtype(large)
    return values.astype(kind)


def _weights(weights: Any) -> Any:
    """Weights (term frequencies times boosts) as the narrowest type that keeps every
    value exactly: ``uint8``/``uint16`` when all are whole numbers, else ``float32`` or
    ``float64``.  Narrowed a batch at a time (a whole segment's ``float64`` weights of
    50,000 paragraphs, and their temporaries, were the peak of a searching process that
    built its caches)."""
    import numpy as np

    w64 = weights.astype(np.float64)
    whole = w64.size == 0 or (bool(np.all(w64 == np.floor(w64))) and w64.max() <= 0xFFFF)
    if whole:
        return _narrowest(w64.astype(np.int64), np.uint8, np.uint16)
    w32 = w64.astype(np.float32)
    return w32 if np.array_equal(w32.astype(np.float64), w64) else w64
