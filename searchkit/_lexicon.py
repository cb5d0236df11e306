"""The words a fuzzy term, a wildcard or a prefix stands for, found in a column table.

Whoosh finds them by walking a segment's term file: a fuzzy term's automaton steps from
word to word through binary searches of file reads (``closest_key_pos``), once more for
each transposed form of the word (``typos.py``), and a wildcard with nothing before its
``*`` reads every word of the file.  Over all of Reuters-21578 (two segments of about
24,500 words each) ``exchnage~`` took 250 ms, ``exchnage~2`` 1.8 s, ``*tion`` 0.5 s.

Where a segment's field has columns (``_colcache.py``; the writer writes the body
fields'), its words are in memory, in the term file's order.  A fuzzy term compares the
word with every word of a length within its distance at once, with numpy: the optimal
string alignment distance (a transposition of neighbouring letters is one edit, as
``whoosh.support.levenshtein.damerau_levenshtein`` counts) filled in a row of the table a
letter of the word, for all of them side by side, dropping those already further than the
distance.  A wildcard or prefix takes the words from the table by bisection and matches
them as Whoosh does.  The words found are those Whoosh's walk finds; a fuzzy term also
finds words two transpositions away, which the walk missed.

Like did-you-mean, this reads the table as the file holds it (its checksum checked when
opened); the words found become query terms whose postings come from the segment.
"""

from __future__ import annotations

import re
import weakref
from typing import TYPE_CHECKING, Any

from whoosh import query as wq
from whoosh.searching import Searcher

from . import _whoosh
from ._colcache import Columns, existing
from .typos import DamerauFuzzyTerm

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["words", "words_within"]

# Each table's words as code points, made when a fuzzy term first reads the table.
_CHARS: weakref.WeakKeyDictionary[Columns, _Chars | None] = weakref.WeakKeyDictionary()


def words(node: wq.MultiTerm, searcher: Searcher, leaf: Any) -> list[bytes] | None:
    """The words (bytes, in the lexicon's order) ``node`` matches in the segment ``leaf``
    reads, from its columns' table; ``None`` when it has none (or ``node`` is not a
    fuzzy term, wildcard or prefix): Whoosh's walk answers then."""
    kind = type(node)
    if kind not in (DamerauFuzzyTerm, wq.Wildcard, wq.Prefix):
        return None
    cols = existing(searcher, leaf, node.fieldname)
    if cols is None:
        return None
    if kind is wq.Prefix:
        return cols.terms_from(node.text.encode("utf-8"))
    if kind is wq.Wildcard:
        expression, prefix = _whoosh.pattern_parts(node)
        pattern = re.compile(expression)
        return [
            w
            for w in cols.terms_from(prefix.encode("utf-8"))
            if pattern.match(w.decode("utf-8", "replace"))
        ]
    return words_within(cols, node.text, node.maxdist, node.prefixlength)


def words_within(cols: Columns, text: str, maxdist: int, prefix: int) -> list[bytes] | None:
    """The words of ``cols``' table within ``maxdist`` edits of ``text`` (optimal string
    alignment) that start with its first ``prefix`` letters, in the table's order;
    ``None`` when the table's bytes are not words of UTF-8."""
    if cols in _CHARS:
        chars = _CHARS[cols]
    else:
        chars = _CHARS[cols] = _Chars.of(cols)
    if chars is None:
        return None
    return cols.texts(chars.within(text, maxdist, prefix))


class _Chars:
    """A table's words as code points, one array, with each word's start and length and
    the words ordered by length."""

    def __init__(self, codes: Any, starts: Any, lengths: Any) -> None:
        import numpy as np

        self.codes = codes
        self.starts = starts
        self.by_length = np.argsort(lengths, kind="stable")
        self.sorted_lengths = lengths[self.by_length]

    @classmethod
    def of(cls, cols: Columns) -> _Chars | None:
        import numpy as np

        blob = np.asarray(cols.arrays["blob"], dtype=np.uint8)
        offsets = np.asarray(cols.arrays["offsets"], dtype=np.int64)
        try:
            text = blob.tobytes().decode("utf-8")
        except UnicodeDecodeError:
            return None
        # A byte that starts a character; a word must start at one.
        first = (blob & 0xC0) != 0x80
        before = np.zeros(blob.size + 1, dtype=np.int64)
        np.cumsum(first, out=before[1:])
        inner = offsets[:-1][offsets[:-1] < blob.size]
        if int(before[-1]) != len(text) or not bool(np.all(first[inner])):
            return None
        at = before[offsets]
        codes = np.frombuffer(text.encode("utf-32-le"), dtype="<u4")
        return cls(codes, at[:-1], np.diff(at))

    def within(self, text: str, maxdist: int, prefix: int) -> list[int]:
        """The numbers of the words within ``maxdist`` of ``text`` sharing its first
        ``prefix`` letters, ascending."""
        import numpy as np

        word = np.frombuffer(text.encode("utf-32-le"), dtype="<u4")
        m = word.size
        prefix = min(prefix, m)
        found: list[Any] = []
        for length in range(max(m - maxdist, prefix, 0), m + maxdist + 1):
            lo, hi = np.searchsorted(self.sorted_lengths, [length, length + 1])
            terms = self.by_length[lo:hi]
            if not terms.size:
                continue
            table = self.codes[self.starts[terms][:, None] + np.arange(length)]
            if prefix:
                keep = np.all(table[:, :prefix] == word[:prefix], axis=1)
                terms, table = terms[keep], table[keep]
            found.append(terms[_osa_within(table, word, maxdist)])
        if not found:
            return []
        return sorted(np.concatenate(found).tolist())


def _osa_within(table: npt.NDArray[np.uint32], word: npt.NDArray[np.uint32], k: int) -> Any:
    """The rows of ``table`` (words of one length, a code point a column) within ``k``
    edits of ``word``: Whoosh's ``damerau_levenshtein`` (optimal string alignment) for
    every row at once, a row of its table a letter of ``word``; a word whose row and the
    row before are past ``k`` cannot come back within it, and is dropped."""
    import numpy as np

    rows, length = table.shape
    across = np.arange(length + 1, dtype=np.int32)
    alive = np.arange(rows)
    before = np.broadcast_to(across, (rows, length + 1))
    two_before: Any = None
    for i, letter in enumerate(word.tolist(), 1):
        row = np.empty((alive.size, length + 1), dtype=np.int32)
        row[:, 0] = i
        differs = table != letter
        np.minimum(before[:, :-1] + differs, before[:, 1:] + 1, out=row[:, 1:])
        if i > 1 and length > 1:
            swapped = (table[:, :-1] == letter) & (table[:, 1:] == word[i - 2]) & differs[:, 1:]
            row[:, 2:] = np.where(
                swapped, np.minimum(row[:, 2:], two_before[:, :-2] + 1), row[:, 2:]
            )
        # Insertions: each step along the row costs one more.
        row = np.minimum.accumulate(row - across, axis=1) + across
        near = row.min(axis=1) <= k
        if i > 1:
            near |= before.min(axis=1) < k
        if not near.all():
            alive, table, row, before = alive[near], table[near], row[near], before[near]
            if not alive.size:
                return alive
        two_before, before = before, row
    return alive[before[:, length] <= k]
