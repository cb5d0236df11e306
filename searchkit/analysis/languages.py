"""Per-language analysis: which field a language's text goes to, and how it is analysed.

Each document is analysed in its own language, into a field of its own (``body`` for
English, ``body_de`` for German, ``body_cjk`` for Chinese, Japanese and Korean,
``body_other`` for the rest), so each language keeps its own BM25 statistics and
English ranking is what it was before other languages came in.  A query searches the
fields of the languages the index holds, each analysing the query words its own way.

- Languages PyStemmer has a Snowball stemmer for (:data:`SNOWBALL`): word parts, lower
  case, accents folded, the Snowball stop words where Whoosh ships that language's list
  (:data:`STOP_WORD_LANGUAGES`), Snowball-stemmed.
- Chinese, Japanese, Korean: runs of Han, kana or Hangul become overlapping character
  bigrams (``压缩文件`` -> ``压缩 缩文 文件``), as Lucene's CJK analyzer does, so a word
  is found without a dictionary; other word parts are kept whole.
- Any other language: word parts, lower case, accents folded; no stemming.

Each analysis has a Whoosh analyzer chain (for queries and for Whoosh itself) and a fast
path (:class:`Analysis`) the writer and the highlighter use; the two give the same terms
at the same positions, which a property test holds them to.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from typing import Any

from whoosh.analysis import Analyzer, LowercaseFilter, RegexTokenizer, StopFilter
from whoosh.lang import stopwords_for_language

from . import (
    WORD_PARTS,
    BracketFilter,
    SnowballStemFilter,
    add_positions,
    highlight_spans,
    stemmer,
    text_analyzer,
    unbracketed,
    word_part_pattern,
)
from ._filters import SettingsFilter
from .folding import FoldFilter, fold

__all__ = [
    "CJK",
    "SNOWBALL",
    "STOP_WORD_LANGUAGES",
    "Analysis",
    "CJKBigramFilter",
    "LanguageStopFilter",
    "analysis_for",
    "body_field",
    "body_fields",
    "language_analyzer",
    "stop_words",
]

# ISO 639-1 code -> PyStemmer's name for its Snowball stemmer.
SNOWBALL: dict[str, str] = {
    "ar": "arabic", "ca": "catalan", "cs": "czech", "da": "danish", "de": "german",
    "el": "greek", "en": "english", "eo": "esperanto", "es": "spanish", "et": "estonian",
    "eu": "basque", "fa": "persian", "fi": "finnish", "fr": "french", "ga": "irish",
    "hi": "hindi", "hu": "hungarian", "hy": "armenian", "id": "indonesian", "it": "italian",
    "lt": "lithuanian", "ne": "nepali", "nl": "dutch", "no": "norwegian", "pl": "polish",
    "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian", "sv": "swedish",
    "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}  # fmt: skip
# Languages whose Snowball stop words Whoosh ships (the lists Lucene uses too).
STOP_WORD_LANGUAGES = frozenset(
    {"da", "de", "en", "es", "fi", "fr", "hu", "it", "nl", "no", "pt", "ru", "sv", "tr"}
)
CJK = frozenset({"zh", "ja", "ko"})
OTHER = "other"

# A run of Han ideographs, kana or Hangul (Lucene's CJKBigramFilter's scripts), or of
# anything else.
_CJK_CHARS = (
    "\u1100-\u11ff\u2e80-\u2fdf\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\U00020000-\U0003134f"
)
_RUNS = re.compile(f"([{_CJK_CHARS}]+)|[^{_CJK_CHARS}]+")


def body_field(language: str | None) -> str:
    """The field a document in ``language`` (an ISO 639-1 code) is indexed in."""
    if not language or language == "en":
        return "body"
    if language in SNOWBALL:
        return f"body_{language}"
    return "body_cjk" if language in CJK else f"body_{OTHER}"


def body_fields() -> dict[str, str]:
    """Every language body field, each with the analysis key it uses (see :func:`analysis_for`)."""
    fields = {body_field(code): code for code in SNOWBALL}
    fields["body_cjk"] = "zh"
    fields[f"body_{OTHER}"] = OTHER
    return fields


class LanguageStopFilter(StopFilter):  # type: ignore[misc]
    """Whoosh's stop filter with one language's Snowball list, folded as tokens are.

    Pickled as its language code alone: Whoosh stores every analyzer in the index's
    table of contents, and forty stop lists would weigh on every open.
    """

    def __init__(self, language: str) -> None:
        super().__init__(stoplist=stop_words(language), minsize=1)
        self.language = language

    def __getstate__(self) -> dict[str, Any]:
        return {"language": self.language}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["language"])  # type: ignore[misc]


class CJKBigramFilter(SettingsFilter):
    """Splits each token's runs of CJK characters into overlapping bigrams.

    A lone CJK character stays a unigram; the rest of a token stays whole.  Positions run
    on by one per emitted term from the first token's position.
    """

    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        pos: int | None = None
        for t in tokens:
            text = t.text
            chars = t.chars
            start, end = (t.startchar, t.endchar) if chars else (0, 0)
            same_length = chars and end - start == len(text)
            for term, s, e in _cjk_terms(text):
                t.text = term
                if t.positions:
                    pos = t.pos if pos is None else pos + 1
                    t.pos = pos
                if chars:
                    t.startchar, t.endchar = (start + s, start + e) if same_length else (start, end)
                yield t


def _cjk_terms(low: str) -> list[tuple[str, int, int]]:
    """The terms of one lower-cased, folded word part, with their offsets in it."""
    out: list[tuple[str, int, int]] = []
    for m in _RUNS.finditer(low):
        s, e = m.span()
        if m.group(1) is None or e - s == 1:
            out.append((m.group(), s, e))
        else:
            out.extend((low[i : i + 2], i, i + 2) for i in range(s, e - 1))
    return out


@functools.cache
def stop_words(language: str) -> frozenset[str]:
    """``language``'s Snowball stop words, folded as tokens are (none for a language
    without a list)."""
    if language not in STOP_WORD_LANGUAGES:
        return frozenset()
    return frozenset(fold(w.lower()) for w in stopwords_for_language(language))


def language_analyzer(language: str) -> Analyzer:
    """The Whoosh analyzer chain for text in ``language`` (``"other"`` for none of ours)."""
    if language == "en":
        return text_analyzer()
    chain = RegexTokenizer(WORD_PARTS) | BracketFilter() | LowercaseFilter() | FoldFilter()
    if language in CJK:
        return chain | CJKBigramFilter()
    if language in STOP_WORD_LANGUAGES:
        chain = chain | LanguageStopFilter(language)
    if language in SNOWBALL:
        chain = chain | SnowballStemFilter(SNOWBALL[language])
    return chain


# Word part -> (term, start, end) for each term it makes, offsets within the part.
_Terms = tuple[tuple[str, int, int], ...]
_CACHE_MAX = 200_000
_MISSING: Any = object()


class Analysis:
    """The fast path of one language's analysis: what :func:`language_analyzer` gives,
    a word part at a time, with each part's terms cached."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.field = body_field(language)
        stem = stemmer(SNOWBALL[language]) if language in SNOWBALL else None
        stops = stop_words(language)
        cjk = language in CJK

        def terms(part: str) -> _Terms:
            low = fold(unbracketed(part).lower())
            if cjk:
                found = _cjk_terms(low)
                if len(low) != len(part):  # offsets no longer line up: mark the whole part
                    found = [(t, 0, len(part)) for t, _, _ in found]
                return tuple(found)
            if low in stops:
                return ()
            return ((stem(low) if stem else low, 0, len(part)),)

        self._terms = terms
        self._cache: dict[str, _Terms] = {}
        self._keys: dict[str, tuple[bytes, ...]] = {}

    def terms(self, part: str) -> _Terms:
        """The terms of one word part, with their offsets in it."""
        found = self._cache.get(part, _MISSING)
        if found is _MISSING:
            if len(self._cache) >= _CACHE_MAX:
                self._cache.clear()
            found = self._cache[part] = self._terms(part)
        return found  # type: ignore[no-any-return]

    def add_positions(self, text: str, pos: int, positions: dict[bytes, list[int]]) -> int:
        """Like :func:`searchkit.analysis.add_positions`, in this language."""
        keys = self._keys
        p = -1
        for i, part in enumerate(word_part_pattern(text).findall(text)):
            found = keys.get(part)
            if found is None:
                if len(keys) >= _CACHE_MAX:
                    keys.clear()
                found = keys[part] = tuple(t.encode("utf-8") for t, _, _ in self.terms(part))
            for term in found:
                p = pos + i if p < 0 else p + 1
                positions.setdefault(term, []).append(p)
        return pos if p < 0 else p + 1

    def highlight_spans(self, text: str, terms: frozenset[str]) -> Iterator[tuple[int, int]]:
        """``(start, end)`` of the words of ``text`` whose terms are in ``terms``; spans
        that overlap (neighbouring CJK bigrams) are joined."""
        if not terms or not text:
            return
        last: tuple[int, int] | None = None
        for m in word_part_pattern(text).finditer(text):
            base = m.start()
            for term, s, e in self.terms(m.group()):
                if term not in terms:
                    continue
                span = (base + s, base + e)
                if last is not None and span[0] <= last[1]:
                    last = (last[0], max(last[1], span[1]))
                    continue
                if last is not None:
                    yield last
                last = span
        if last is not None:
            yield last


@functools.cache
def analysis_for(language: str) -> Analysis:
    """The fast-path analysis of ``language`` (an analysis key: a code, or ``"other"``)."""
    if language != "en" and language not in SNOWBALL and language not in CJK:
        language = OTHER
    return Analysis(language)


PositionAdder = Callable[[str, int, dict[bytes, list[int]]], int]
SpanFinder = Callable[[str, frozenset[str]], Iterator[tuple[int, int]]]


def position_adder(language: str) -> PositionAdder:
    """The function that adds ``language`` text's terms to a position table; English
    keeps its own tuned path."""
    return add_positions if language == "en" else analysis_for(language).add_positions


def span_finder(language: str | None) -> SpanFinder:
    """The function that finds highlight spans in ``language`` text."""
    if not language or language == "en":
        return highlight_spans
    return analysis_for(language).highlight_spans
