"""Analyzers: how text becomes index terms (and how query words meet them).

The same analyzer runs at index time and query time, and again to find highlight spans,
so a word is matched by what it means to the index, and shown as the user wrote it.

English text is cut into *word parts*: runs of letters and runs of digits, so ``Tet1``,
``IL-6`` and ``B12`` index as ``tet 1``, ``il 6`` and ``b 12`` and meet ``TET``, ``IL6``
or ``B-12`` (the split Lucene's word-delimiter filter makes).  Letters in square brackets
inside a run of letters belong to it: the mnemonic markup of command references
(``E[x]tract``, ``[c]reate``, ``Lis[t]``) indexes as ``extract``, ``create``, ``list``,
while the text, and a highlight of the word, keep the brackets.  Parts are lower-cased,
their accents and ligatures folded (``café`` meets ``cafe``, ``ﬁle`` meets ``file``, see
:mod:`.folding`), the Snowball English stop words are dropped, and the rest are stemmed
with the Snowball English (Porter2) stemmer, run by PyStemmer's C code.

Other languages have their own analysis (:mod:`.languages`): their Snowball stemmer and
stop words, or overlapping character bigrams for Chinese, Japanese and Korean.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import Stemmer
from whoosh.analysis import Analyzer, LowercaseFilter, RegexTokenizer, StopFilter

from ._filters import SettingsFilter
from ._marks import MARKS
from .folding import FoldFilter, fold

__all__ = [
    "ANALYZER_ID",
    "BracketFilter",
    "ENGLISH_STOP_WORDS",
    "FoldFilter",
    "WORD_PARTS",
    "SnowballStemFilter",
    "StopWordsOnlyFilter",
    "add_positions",
    "add_stop_positions",
    "fold",
    "highlight_spans",
    "index_term",
    "name_analyzer",
    "normalize_name",
    "stemmer",
    "stop_analyzer",
    "text_analyzer",
    "unbracketed",
    "word_part_pattern",
]

# Recorded in every index; an index built with another analyzer must be rebuilt.
ANALYZER_ID = "wordparts-marks-brackets-fold-snowball-stop-cjkbigram/6"

# Letters (any script) with the combining marks written after them (``हिन्दी``, the
# accents of decomposed Latin), and soft hyphens inside a word (``Wider\xadspruch``, which
# folding drops): Python's ``\w`` holds neither, which cut such words.
_LETTERS = rf"[^\W\d_]+(?:[{MARKS}\xad]+[^\W\d_]*)*"
# A run of letters, with any letters in square brackets inside it or at either end
# (``E[x]tract``, ``[c]reate``, ``Lis[t]``), or a run of digits.  Letters in brackets
# alone (``[x]``, ``[a][b]``) are not joined to anything.
WORD_PARTS = rf"(?:\[{_LETTERS}\])*{_LETTERS}(?:\[{_LETTERS}\](?:{_LETTERS})?)*|\d+"


def unbracketed(part: str) -> str:
    """A word part without its mnemonic brackets: ``E[x]tract`` -> ``Extract``."""
    return part.replace("[", "").replace("]", "") if "[" in part else part


class BracketFilter(SettingsFilter):
    """Drops the brackets of a word part (``E[x]tract`` -> ``Extract``); the token keeps
    its place in the text, so a highlight marks the word as written."""

    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        for t in tokens:
            if "[" in t.text:
                t.text = unbracketed(t.text)
            yield t


# German verbs in -ieren (evakuieren, studieren) stem to ``evakui``, but Snowball German
# leaves their -iert/-ierst forms and -ierung/-ierend (``evakuier``) longer; these endings
# are cut back to the same stem.  Short stems (``bier``, ``friert``) are left alone.
_GERMAN_IER = re.compile(r"(?<=[^\W\d_]{3}i)(?:ert|erst)$|(?<=[^\W\d_]{4}i)er$")


def stemmer(language: str) -> Callable[[str], str]:
    """The Snowball stemmer for ``language`` (PyStemmer's name, ``"english"``), as one
    function of a lower-cased word; German's -ieren verbs are given one stem."""
    stem: Callable[[str], str] = Stemmer.Stemmer(language).stemWord
    if language != "german":
        return stem

    def german(word: str) -> str:
        found = stem(word)
        return _GERMAN_IER.sub("", found) if found.endswith(("ier", "iert", "ierst")) else found

    return german


# The Snowball project's English stop list (snowballstem.org/algorithms/english/stop.txt),
# less the contractions, which the tokenizer never produces whole.
ENGLISH_STOP_WORDS: frozenset[str] = frozenset(
    """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what which
    who whom this that these those am is are was were be been being have has had having do
    does did doing would should could ought cannot a an the and but if or because as until
    while of at by for with about against between into through during before after above
    below to from up down in out on off over under again further then once here there when
    where why how all any both each few more most other some such no nor not only own same
    so than too very
    """.split()  # noqa: SIM905
)


class SnowballStemFilter(SettingsFilter):
    """Stems tokens with the Snowball stemmer for ``language`` (PyStemmer, in C).

    Whoosh pickles analyzers into the index, so the stemmer itself is left out of the
    pickle and made again on load.
    """

    def __init__(self, language: str = "english") -> None:
        self.language = language
        self._stem = stemmer(language)

    def __getstate__(self) -> dict[str, Any]:
        return {"language": self.language}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["language"])  # type: ignore[misc]

    def settings(self) -> object:
        return self.language

    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        stem = self._stem
        for t in tokens:
            if not t.stopped:
                t.text = stem(t.text)
            yield t


def text_analyzer() -> Analyzer:
    """English text: word parts, lower case, accents folded, stop words dropped,
    Snowball-stemmed."""
    return (
        RegexTokenizer(WORD_PARTS)
        | BracketFilter()
        | LowercaseFilter()
        | FoldFilter()
        | StopFilter(stoplist=ENGLISH_STOP_WORDS, minsize=1)
        | SnowballStemFilter("english")
    )


class StopWordsOnlyFilter(SettingsFilter):
    """Keeps only the stop words, at the positions they had among all word parts.

    The stop words :func:`text_analyzer` drops are indexed in a field of their own (see
    ``schema.py``), so a query made only of them (``the who``, ``"to be or not to be"``)
    can still find the paragraphs that hold them, phrases included.
    """

    def __init__(self, stoplist: frozenset[str] = ENGLISH_STOP_WORDS) -> None:
        self.stops = stoplist

    def settings(self) -> object:
        return self.stops

    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        stops = self.stops
        for t in tokens:
            if t.text in stops:
                yield t


def stop_analyzer() -> Analyzer:
    """Only the stop words of English text: word parts, lower case, nothing stemmed."""
    return RegexTokenizer(WORD_PARTS) | BracketFilter() | LowercaseFilter() | StopWordsOnlyFilter()


def name_analyzer() -> Analyzer:
    """Person and place names: words in lower case, nothing dropped or stemmed."""
    return RegexTokenizer() | LowercaseFilter()


_SPACES = re.compile(r"\s+")


def normalize_name(name: str) -> str:
    """The exact-match key of an author name: case-folded, white space collapsed."""
    return _SPACES.sub(" ", name).strip().casefold()


_PARTS = re.compile(WORD_PARTS)
# What WORD_PARTS finds in ASCII text without brackets (it has no combining marks either),
# found in half the time: most of what an English collection holds.
_ASCII_PARTS = re.compile(r"[A-Za-z]+|[0-9]+")


def word_part_pattern(text: str) -> re.Pattern[str]:
    """The pattern that cuts ``text`` into its word parts: :data:`WORD_PARTS`, or a
    simpler one that finds the same parts in ASCII text without brackets."""
    return _ASCII_PARTS if text.isascii() and "[" not in text else _PARTS


_stem_word = Stemmer.Stemmer("english").stemWord
_TERMS: dict[str, str | None] = {}
_TERMS_MAX = 200_000
_MISSING = object()


def index_term(part: str) -> str | None:
    """The index term :func:`text_analyzer` makes of one word part; ``None`` for a stop word.

    Cached, so highlighting many hits costs a dictionary look-up per word.
    """
    cached = _TERMS.get(part, _MISSING)
    if cached is not _MISSING:
        return cached  # type: ignore[return-value]
    low = fold(unbracketed(part).lower())
    term = None if low in ENGLISH_STOP_WORDS else _stem_word(low)
    if len(_TERMS) >= _TERMS_MAX:
        _TERMS.clear()
    _TERMS[part] = term
    return term


# Word part -> its index term as UTF-8 bytes (None for a stop word), for the writer.
_KEYS: dict[str, bytes | None] = {}


def _index_key(part: str) -> bytes | None:
    term = index_term(part)
    key = None if term is None else term.encode("utf-8")
    if len(_KEYS) >= _TERMS_MAX:
        _KEYS.clear()
    _KEYS[part] = key
    return key


def add_positions(text: str, pos: int, positions: dict[bytes, list[int]]) -> int:
    """Add the index terms of ``text`` to ``positions`` (term as UTF-8 bytes -> its
    positions); return the position after the last one.

    The terms and positions :func:`text_analyzer` gives with ``start_pos=pos``, without
    building a Whoosh token per word: the first term keeps its place counting the stop
    words before it, and each later term takes the next position (Whoosh's StopFilter
    renumbers so).  Returns ``pos`` itself when ``text`` holds no term.
    """
    return _add_keys(text, pos, positions, _KEYS, _index_key, True)


def _add_keys(
    text: str,
    pos: int,
    positions: dict[bytes, list[int]],
    cache: dict[str, bytes | None],
    key_of: Callable[[str], bytes | None],
    renumber: bool,
) -> int:
    """Add the key of each word part of ``text`` (from ``cache``, else ``key_of``; parts
    without one are left out) to ``positions``; return the position after the last one.
    A key's position is ``pos`` plus its part's place among all the parts, or, when
    ``renumber``, for every key after the first, the one after the key before it."""
    p = -1
    key: Any
    for i, part in enumerate(_word_parts(text)):
        key = cache.get(part, _MISSING)
        if key is _MISSING:
            key = key_of(part)
        if key is None:
            continue
        p = p + 1 if p >= 0 and renumber else pos + i
        where = positions.get(key)
        if where is None:
            positions[key] = [p]
        else:
            where.append(p)
    return pos if p < 0 else p + 1


# Word part -> its stop word as UTF-8 bytes, None for any other word.
_STOP_KEYS: dict[str, bytes | None] = {}
# The last two texts cut into word parts, with their parts: the body and stop-word
# fields of a chunk analyse the same title and text one after the other.  Read and
# replaced as one tuple, so threads never pair one text with another's parts.
_last_parts: tuple[tuple[str, list[str]], tuple[str, list[str]]] = (("", []), ("", []))


def _word_parts(text: str) -> list[str]:
    global _last_parts
    newer, older = _last_parts
    if newer[0] is text:
        return newer[1]
    if older[0] is not text:
        older = (text, word_part_pattern(text).findall(text))
    _last_parts = (older, newer)
    return older[1]


def _stop_key(part: str) -> bytes | None:
    low = unbracketed(part).lower()
    key = low.encode("utf-8") if low in ENGLISH_STOP_WORDS else None
    if len(_STOP_KEYS) >= _TERMS_MAX:
        _STOP_KEYS.clear()
    _STOP_KEYS[part] = key
    return key


def add_stop_positions(text: str, pos: int, positions: dict[bytes, list[int]]) -> int:
    """:func:`add_positions` for :func:`stop_analyzer`: the stop words of ``text``, each at
    ``pos`` plus its place among all the word parts; return the position after the last
    one (``pos`` itself when there is none)."""
    return _add_keys(text, pos, positions, _STOP_KEYS, _stop_key, False)


def highlight_spans(
    text: str, terms: frozenset[str], stops: frozenset[str] = frozenset()
) -> Iterator[tuple[int, int]]:
    """Yield ``(start, end)`` of every word part in ``text`` whose index term is in ``terms``
    or which is one of the stop words ``stops`` (matched through :func:`stop_analyzer`).

    Gives the same terms as :func:`text_analyzer`, a word part at a time, without building
    Whoosh tokens.
    """
    if not (terms or stops) or not text:
        return
    cache = _TERMS
    for m in word_part_pattern(text).finditer(text):
        part = m.group()
        term = cache.get(part, _MISSING)
        if term is _MISSING:
            term = index_term(part)
        if term in terms or (term is None and stops and unbracketed(part).lower() in stops):
            yield m.span()
