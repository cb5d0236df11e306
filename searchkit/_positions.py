"""Whoosh's encoded positions, decoded in bulk into numpy arrays, without unpickling.

Whoosh's ``Positions`` format keeps a posting's positions as a 4-byte big-endian count
followed by a protocol-2 pickle of their deltas (``formats.Positions.encode``; searchkit's
writer makes the same bytes, ``schema.encode_positions``).  Decoding them one posting at a
time (an unpickling each) is what made a phrase over common words slow; the column cache
(``_colcache.py``) decodes every posting of a segment's field once, here, and keeps the
positions as arrays.

Nearly every value is a pickle of small deltas (each below 256, one ``K`` opcode and one
byte), whose layout is fixed by its count: those are checked and read with array
operations over all values at once.  The others (a delta of 256 or more) are read by
:func:`_one`, a reader of exactly the opcodes such a pickle holds, which builds nothing
but integers.  Anything else is :class:`ValueError`: not the bytes Whoosh writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Ints = npt.NDArray[np.int64]

__all__ = ["common", "consecutive", "decode_all", "gather", "joined", "shared", "within"]

# Protocol 2, EMPTY_LIST, BINPUT 0: how every encoded list starts (after the count).
_HEAD = b"\x80\x02]q\x00"
_K, _M, _J = ord("K"), ord("M"), ord("J")


def decode_all(values: Sequence[bytes]) -> tuple[Ints, Ints]:
    """``(starts, positions)``: posting ``i``'s positions are
    ``positions[starts[i]:starts[i + 1]]``, ascending.

    ``ValueError`` when a value is not an encoded list of ascending positions.
    """
    import numpy as np

    n_values = len(values)
    if not n_values:
        return np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64)
    lens = np.fromiter(map(len, values), dtype=np.int64, count=n_values)
    if int(lens.min()) < len(_HEAD) + 4 + 3:
        raise ValueError("an encoded position list is too short")
    data = np.frombuffer(b"".join(values), dtype=np.uint8)
    begin = np.zeros(n_values, dtype=np.int64)
    np.cumsum(lens[:-1], out=begin[1:])
    count = (
        data[begin].astype(np.int64) << 24
        | data[begin + 1].astype(np.int64) << 16
        | data[begin + 2].astype(np.int64) << 8
        | data[begin + 3].astype(np.int64)
    )
    if int(count.min()) < 1:
        raise ValueError("an encoded position list is empty")
    starts = np.zeros(n_values + 1, dtype=np.int64)
    np.cumsum(count, out=starts[1:])
    deltas = np.empty(int(starts[-1]), dtype=np.int64)

    # The fixed layout of small deltas: one "K d" then APPEND, or MARK, "K d" each, APPENDS;
    # then an optional STOP.
    body = np.where(count == 1, 3, 2 * count + 2)
    fixed = len(_HEAD) + 4 + body
    dot = lens == fixed + 1
    fast = (lens == fixed) | dot
    head = np.frombuffer(_HEAD, dtype=np.uint8)
    for i, byte in enumerate(head):
        fast &= data[begin + 4 + i] == byte
    first = begin + 4 + len(_HEAD)  # after the head: "K" (one delta) or "(" (several)
    one = count == 1
    fast &= np.where(one, data[first] == _K, data[first] == ord("("))
    last = np.minimum(begin + fixed - 1, data.size - 1)  # APPEND or APPENDS
    fast &= np.where(one, data[last] == ord("a"), data[last] == ord("e"))
    fast &= ~dot | (data[np.minimum(begin + fixed, data.size - 1)] == ord("."))
    # Every delta's opcode must be K in a fast value.
    rows = np.flatnonzero(fast)
    if rows.size:
        each = count[rows]
        within = np.arange(int(each.sum()), dtype=np.int64) - np.repeat(
            np.cumsum(each) - each, each
        )
        op = np.repeat(first[rows] + (count[rows] > 1), each) + 2 * within
        ok = data[op] == _K
        if not bool(ok.all()):
            bad = np.unique(np.repeat(np.arange(rows.size), each)[~ok])
            fast[rows[bad]] = False
            keep = np.ones(rows.size, dtype=bool)
            keep[bad] = False
            rows, each = rows[keep], each[keep]
            within = np.arange(int(each.sum()), dtype=np.int64) - np.repeat(
                np.cumsum(each) - each, each
            )
            op = np.repeat(first[rows] + (count[rows] > 1), each) + 2 * within
        deltas[np.repeat(starts[rows], each) + within] = data[op + 1]
    for i in np.flatnonzero(~fast).tolist():
        got = _one(values[i])
        if len(got) != int(count[i]):
            raise ValueError("an encoded position list does not hold its count")
        deltas[starts[i] : starts[i + 1]] = got
    if deltas.size and int(deltas.min()) < 0:
        raise ValueError("a negative position")
    # Positions are the running sums of the deltas within each posting.
    positions = np.cumsum(deltas)
    positions -= np.repeat(positions[starts[:-1]] - deltas[starts[:-1]], count)
    later = np.ones(deltas.size, dtype=bool)
    later[starts[:-1]] = False
    if bool((deltas[later] == 0).any()):
        raise ValueError("positions not ascending")
    return starts, positions


def _one(value: bytes) -> list[int]:
    """The deltas of one encoded list, read opcode by opcode (only list, mark, append,
    memo-put and integer opcodes are allowed)."""
    if value[4 : 4 + len(_HEAD)] != _HEAD:
        raise ValueError("not an encoded position list")
    out: list[int] = []
    i, end = 4 + len(_HEAD), len(value)
    while i < end:
        op = value[i]
        i += 1
        if op == _K and i < end:
            out.append(value[i])
            i += 1
        elif op == _M and i + 2 <= end:
            out.append(int.from_bytes(value[i : i + 2], "little"))
            i += 2
        elif op == _J and i + 4 <= end:
            out.append(int.from_bytes(value[i : i + 4], "little", signed=True))
            i += 4
        elif op in b"(ea":
            continue
        elif op == ord("."):
            break
        else:
            raise ValueError("an unexpected opcode in a position list")
    if i > end or not out or value[end - 1 : end] not in (b".", b"a", b"e"):
        raise ValueError("a truncated position list")
    return out


def gather(counts: Ints, positions: Ints, rows: Ints) -> tuple[Ints, Ints]:
    """``(counts, positions)`` of the postings ``rows`` of a term whose postings hold
    ``counts`` positions each, ``positions`` holding them all one after another: each
    chosen posting's count, and its positions one after another."""
    import numpy as np

    starts = np.zeros(counts.size + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    begin = starts[rows]
    chosen = starts[rows + 1] - begin
    within = np.arange(int(chosen.sum()), dtype=np.int64) - np.repeat(
        np.cumsum(chosen) - chosen, chosen
    )
    return chosen, positions[np.repeat(begin, chosen) + within]


# -- where a phrase's words meet, over the columns' arrays (``_columns.py``) -------------


def joined(np: Any, arrays: list[Any]) -> Any:
    """``arrays`` one after another (the one array itself when there is one)."""
    return np.concatenate(arrays) if len(arrays) > 1 else arrays[0]


def common(np: Any, a: Any, b: Any) -> tuple[Any, Any, Any]:
    """The values in both ascending arrays of distinct values, ascending, and where each
    stands in ``a`` and in ``b``: each value of the shorter looked up in the longer
    (``np.intersect1d`` sorts both together, and finding the places again takes a second
    search)."""
    swap = a.size > b.size
    short, long = (b, a) if swap else (a, b)
    at = np.searchsorted(long, short)
    at[at == long.size] = 0
    hit = long[at] == short
    in_short, in_long = np.flatnonzero(hit), at[hit]
    return (short[hit], in_long, in_short) if swap else (short[hit], in_short, in_long)


def shared(np: Any, ids: list[Any]) -> tuple[Any, list[Any]]:
    """The documents in every one of ``ids`` (ascending arrays of distinct document
    numbers), and for each array the indexes of those documents in it."""
    docs = ids[0]
    rows = [np.arange(docs.size)]
    for other in ids[1:]:
        docs, mine, theirs = common(np, docs, other)
        rows = [r[mine] for r in rows] + [theirs]
    return docs, rows


# A key ``document * _SHIFT + position``: positions stay under 2**34.
_SHIFT = 1 << 34


def consecutive(words: list[tuple[list[Any], bytes, Any]], size: int) -> Any:
    """The indexes of the ``size`` documents where the phrase's words sit at consecutive
    positions (``_topk._consecutive``, over arrays: how ``_columns`` scores a phrase): per
    word in the phrase, its postings in each segment holding it (``(columns, offset, ids,
    weights)``, in order), its text, and the documents' rows in those postings, one after
    another.

    Word ``j``'s positions ``p`` become keys ``(document, p - j)``: a key that every word
    gives is a place where the phrase starts.
    """
    import numpy as np

    starts: Any = None
    for j, (parts, text, rows) in enumerate(words):
        keys, _where = _keys(np, parts, text, rows, size)
        keys += len(words) - j
        starts = keys if starts is None else common(np, starts, keys)[0]
        if not starts.size:
            break
    return _documents_of(np, starts)


def within(words: list[tuple[list[Any], bytes, Any]], size: int, slop: int) -> Any:
    """The indexes of the ``size`` documents where the phrase's words sit in order, each
    1 to ``slop`` positions after the one before (``_topk._chained``, over arrays), the
    words given as to :func:`consecutive`.

    Keys ``(document, position)`` of the places each word can end such a chain at, word by
    word: a place of the next word is kept where a key of the word before falls within
    the ``slop`` places before it, in the same document (two bisections of the sorted
    keys)."""
    import numpy as np

    ends: Any = None
    for parts, text, rows in words:
        keys, where = _keys(np, parts, text, rows, size)
        if ends is not None:
            # The window [p - slop, p - 1], cut at the document's first position.
            first = np.searchsorted(ends, keys - np.minimum(where, slop))
            keys = keys[np.searchsorted(ends, keys) > first]
        ends = keys
        if not ends.size:
            break
    return _documents_of(np, ends)


def _keys(np: Any, parts: list[Any], text: bytes, rows: Any, size: int) -> tuple[Any, Any]:
    """A word's positions in the ``size`` documents (its postings' ``rows``) as ascending
    keys ``(document, position)``, and the positions themselves."""
    held = [c.term_positions(text) for c, *_ in parts]
    every = joined(np, [n for n, _p in held]), joined(np, [p for _n, p in held])
    counts, where = gather(*every, rows)
    where = where.astype(np.int64)
    keys = np.repeat(np.arange(size, dtype=np.int64), counts)
    keys *= _SHIFT
    keys += where
    return keys, where


def _documents_of(np: Any, keys: Any) -> Any:
    """The documents of ascending ``keys``, each once."""
    # The keys ascend (documents, then positions, ascend), so a row's keys sit together:
    # its first is where it differs from the one before (np.unique would hash or sort).
    rows_kept = keys // _SHIFT
    if not rows_kept.size:
        return rows_kept
    return rows_kept[np.concatenate(([True], rows_kept[1:] != rows_kept[:-1]))]
