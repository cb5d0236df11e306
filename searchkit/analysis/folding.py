"""Accent folding: ``Élysée`` and ``Elysee`` index as the same word.

Only Latin letters are folded (``é`` to ``e``, ``ß`` to ``ss``, ``ø`` to ``o``), by a table
built once from Unicode's decompositions.  The typographic ligatures (``ﬁ``, ``ﬂ``, ``ﬀ``,
``ﬃ``, ``ﬄ``: what text taken from a typeset PDF holds, ``Deﬁnition``) become their
letters, and a soft hyphen (U+00AD, where a web page or an e-book may break a word) is
dropped, so ``Definition`` and ``Widerspruch`` meet words written with either.  Cyrillic,
Greek and other scripts keep their marks: ``й`` is a letter of its own in Russian, not an
``и`` with an accent, and the Snowball stemmers of those languages need it.  Folding
happens before stop words and stemming, so a word typed with or without its accents goes
through the same stemmer input.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

from ._filters import SettingsFilter

__all__ = ["LIGATURES", "FoldFilter", "fold"]

# The typographic ligatures (Unicode's Alphabetic Presentation Forms) as their letters:
# what a typeset PDF's fonts map their glyphs to (``Deﬁnition``).
LIGATURES = {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}
# Letters with no decomposition that readers still type without their marks.
_SPECIAL = {
    "ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O",
    "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "þ": "th", "Þ": "TH", "ð": "d", "Ð": "D",
    "\u0131": "i", "ħ": "h", "Ħ": "H", "ŧ": "t", "Ŧ": "T",
    **LIGATURES,
    "ĳ": "ij", "Ĳ": "IJ", "\u017f": "s",  # Dutch ij, the long s
    "\xad": "",  # a soft hyphen: a place a word may break, not a letter
}  # fmt: skip


def _table() -> dict[int, str | None]:
    table: dict[int, str | None] = {ord(k): v for k, v in _SPECIAL.items()}
    for lo, hi in ((0xC0, 0x250), (0x1E00, 0x1F00)):
        for cp in range(lo, hi):
            parts = unicodedata.normalize("NFD", chr(cp))
            base, marks = parts[0], parts[1:]
            combining = all(unicodedata.combining(m) for m in marks)
            if marks and combining and base.isascii() and base.isalpha():
                table.setdefault(cp, base)
    # Combining marks written apart from their letter (``e`` + U+0301), and the dot that
    # lower-casing ``İ`` leaves after an ``i``.
    for cp in range(0x300, 0x370):
        table[cp] = None
    return table


_FOLD = _table()


def fold(text: str) -> str:
    """``text`` with the accents of Latin letters removed (ASCII text comes back as is).

    Decomposed text (``e`` + U+0301, as macOS and some PDF extractors write it) is
    composed first (NFC), so it folds as the composed word does, and a Cyrillic ``й``
    keeps its breve either way."""
    if text.isascii():
        return text
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text.translate(_FOLD)


class FoldFilter(SettingsFilter):
    """A Whoosh filter applying :func:`fold` to each token."""

    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        for t in tokens:
            t.text = fold(t.text)
            yield t
