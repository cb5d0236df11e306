"""How searchkit writes a term's postings: whole posting lists through a W3 field writer.

:class:`TermWriter` writes each term's posting blocks, block headers, term information
and term-index entry in one piece, as Whoosh's ``start_term``, one ``add`` per posting
and ``finish_term`` would, with the blocks pickled with protocol 3 (Whoosh's 2 has no
bytes type) and deflated at zlib's fastest level from :data:`DEFLATE_BLOCKS` bytes on.
The segment writer (``_writer.py``) and the merges that copy postings (``_merge.py``)
use it.
"""

from __future__ import annotations

import io
import pickle
import struct
import zlib
from array import array
from operator import sub
from typing import Any

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC
from whoosh.system import pack_ushort

from . import _whoosh

__all__ = ["DEFLATE_BLOCKS", "TermWriter"]

# Whoosh pickles posting blocks with protocol 2, which has no bytes type: each posting's
# encoded positions becomes a call to _codecs.encode, five to ten times slower to write
# and read and twice the size.  Protocol 3 has bytes and no framing; readers take any.
_BLOCK_PROTOCOL = 3
# A field's length bytes (Whoosh's ``length_to_byte``; 0: no length), a byte a document
# number, covering every document a posting names.
_LengthBytes = bytes | bytearray
_INT = struct.Struct("!i").pack
_EXTENT = struct.Struct("!qi").pack  # a term's postings: offset, length
_TERMINFO = _whoosh.TERM_INFO_PACK
_KEY_VALUE_LENGTHS = struct.Struct("!ii").pack  # a term index entry's head
_KEY_VALUE_LENGTHS_SIZE = 8
# Posting blocks pickled to fewer bytes than this are written as they are: deflating
# saves little on them (most terms have one short posting) and costs zlib's set-up.
DEFLATE_BLOCKS = 128


def _deflated(data: bytes, level: int) -> tuple[bytes, int]:
    """A posting block's pickled ``data`` deflated at ``level`` when that is worth it,
    and the level it was deflated at (0: as it was), which its header records."""
    if level and len(data) >= DEFLATE_BLOCKS:
        packed = zlib.compress(data, level)
        if len(packed) < len(data):
            return packed, level
    return data, 0


class _Dumps:
    """``pickle.dumps`` without memo entries: nothing in a block is shared or recursive,
    and a memo entry costs a byte or two for every value.  With :func:`_whole` weights,
    the postings of all of Reuters-21578 take 25.8 MiB instead of 31.7.  One pickler
    and buffer serve every call (a block and a header a term, most of them a few bytes:
    0.5 us a call against 3 with a new pickler each time)."""

    def __init__(self, protocol: int) -> None:
        self._out = io.BytesIO()
        self._pickler = pickle.Pickler(self._out, protocol)
        self._pickler.fast = True

    def __call__(self, obj: Any) -> bytes:
        out = self._out
        out.seek(0)
        out.truncate()
        self._pickler.dump(obj)
        return out.getvalue()


def _whole(weight: float) -> float:
    """A weight that is a whole number as an ``int``: pickled in 2 bytes instead of 9,
    and read back as the same number (every use of it is arithmetic with floats)."""
    return int(weight) if float(weight).is_integer() else weight


class TermWriter:
    """Writes whole posting lists through a W3 field writer, as Whoosh's writer would.

    Each term's blocks, block headers, term information and term-index entry hold what
    ``start_term``, one ``add`` per posting and ``finish_term`` write (the blocks pickled
    with protocol 3, not 2), built a block at a time from slices instead of a method call
    and type checks per posting.  Both files' positions are counted here rather than asked
    of the files.
    """

    def __init__(self, fw: Any) -> None:
        self.fw = fw
        self.postfile, self.tindex = _whoosh.field_writer_parts(fw)
        self.post_at = self.postfile.tell()
        self.termfile = self.tindex.dbfile
        self.term_at = self.termfile.tell()
        self._block = _Dumps(_BLOCK_PROTOCOL)
        self._header = _Dumps(2)

    def start_field(self, name: str, field: Any) -> None:
        fw = self.fw
        fw.start_field(name, field)
        self.limit, self.compression, posting_format, fieldid = _whoosh.current_field(fw)
        self.fixed = posting_format.fixed_value_size()
        self.field_key = pack_ushort(fieldid)

    def write(self, text: bytes, postings: list[Any], lengths: _LengthBytes | None) -> None:
        """Write the term ``text`` of the current field: ``postings`` is flat (``docnum,
        weight, value`` repeated, in document order); ``lengths`` the field's length byte
        of each document number (``None`` for a field without lengths).

        A block records the least and the greatest length bytes of its documents (the
        least of those with a length): the bytes of the least and greatest lengths, as
        Whoosh records them, since ``length_to_byte`` never decreases."""
        if len(postings) == 3:
            self._write_one(text, postings, lengths)
            return
        compression = self.compression
        fixed = self.fixed
        out = [WHOOSH3_HEADER_MAGIC]
        weight_sum = 0.0
        term_minbyte: int | None = None
        term_maxbyte = 0
        term_maxweight: Any = 0
        step = 3 * self.limit
        end = len(postings)
        for b in range(0, end, step):
            ids = postings[b : b + step : 3]
            raw_weights = postings[b + 1 : b + step : 3]
            weights = array("f", raw_weights)
            if fixed is None or fixed < 0:
                values: Any = tuple(filter(None, postings[b + 2 : b + step : 3]))
            elif fixed == 0:
                values = None
            else:
                values = b"".join(postings[b + 2 : b + step : 3])
            first = weights[0]
            if weights.count(first) == len(weights):
                mini_weights: Any = None if first == 1.0 else first
            else:
                # Whole numbers, most blocks: compared at once, not tested one by one.
                whole = list(map(int, weights))
                same = whole == weights.tolist()
                mini_weights = tuple(whole) if same else tuple(map(_whole, weights))
            deltas = (ids[0], *map(sub, ids[1:], ids))
            data, compressed = _deflated(self._block((deltas, mini_weights, values)), compression)
            maxweight = max(raw_weights)
            if maxweight <= 0:  # Whoosh's starts from 0
                maxweight = 0
            minbyte: int | None
            if lengths:
                lens = list(map(lengths.__getitem__, ids))
                minbyte = min(lens)
                if not minbyte:  # Whoosh's blocks skip lengths of 0
                    nonzero = [n for n in lens if n]
                    minbyte = min(nonzero) if nonzero else None
                maxbyte = max(lens)
            else:
                minbyte, maxbyte = None, 0
            header = self._header(
                (
                    len(ids),
                    ids[-1],
                    _whole(maxweight),
                    compressed,
                    minbyte or 0,
                    maxbyte,
                )
            )
            size = len(header) + len(data)
            out += (_INT(-size if b + step >= end else size), header, data)
            # What W3TermInfo.add_block records of each block.
            weight_sum += sum(weights)
            if term_minbyte is None:
                term_minbyte = minbyte
            elif minbyte is not None:
                term_minbyte = min(term_minbyte, minbyte)
            term_maxbyte = max(term_maxbyte, maxbyte)
            term_maxweight = max(term_maxweight, maxweight)
        raw = b"".join(out)
        # W3TermInfo.to_bytes of a term whose postings are not inlined.
        info = _TERMINFO(
            0,
            weight_sum,
            end // 3,
            term_minbyte or 0,
            term_maxbyte,
            term_maxweight,
            postings[0],
            postings[-3],
        )
        self._add(text, info, raw)

    def _write_one(self, text: bytes, posting: list[Any], lengths: _LengthBytes | None) -> None:
        """:meth:`write` for a term in one document, most terms: one block of one posting."""
        docnum, weight, value = posting
        fixed = self.fixed
        if fixed is None or fixed < 0:
            values: Any = (value,) if value else ()
        else:
            values = None if fixed == 0 else value
        stored_weight = weight if weight == 1.0 else array("f", (weight,))[0]  # float32
        maxweight = weight if weight > 0 else 0
        small = lengths[docnum] if lengths else 0
        data, compressed = _deflated(
            self._block(((docnum,), None if stored_weight == 1.0 else stored_weight, values)),
            self.compression,
        )
        header = self._header((1, docnum, _whole(maxweight), compressed, small, small))
        raw = WHOOSH3_HEADER_MAGIC + _INT(-len(header) - len(data)) + header + data
        info = _TERMINFO(0, stored_weight, 1, small, small, maxweight, docnum, docnum)
        self._add(text, info, raw)

    def _add(self, text: bytes, info: bytes, raw: bytes) -> None:
        """Write a term's postings and its term index entry (as OrderedHashWriter.add)."""
        self.postfile.write(raw)
        key = self.field_key + text
        value = info + _EXTENT(self.post_at, len(raw))
        tindex = self.tindex
        if key <= tindex.lastkey:
            raise ValueError(f"terms out of order: {tindex.lastkey!r} .. {key!r}")
        tindex.index.append(self.term_at)
        self.termfile.write(_KEY_VALUE_LENGTHS(len(key), len(value)) + key + value)
        h = tindex.hashfn(key)
        tindex.buckets[h & 255].append((h, self.term_at))
        tindex.lastkey = key
        self.term_at += _KEY_VALUE_LENGTHS_SIZE + len(key) + len(value)
        self.post_at += len(raw)
