"""Which language a document is in: its own metadata first, then a detector.

Metadata wins (Markdown front matter ``lang``, ``<html lang>``, a mapped JSONL field);
then the index's default language, unless that is ``"auto"``, when the text's start is
given to py3langid (langid.py's maintained fork: a naive Bayes model over byte n-grams
for 97 languages, shipped inside the package, nothing downloaded), its first 1,000
characters.  Text that is plainly English is taken as English without running the model:
a quarter or more of its first words are English stop words, or one in twelve is a word
such as ``the``, ``of``, ``which`` that other languages do not use, or (all in ASCII
letters) two such words; or its first 1,000 characters are Latin letters without one
accent and without the stop words of another language written in them.  The
model costs a few hundred microseconds a document, more than indexing the document, and
about a second to load on first use.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import attrs

from ..loaders._base import LANGUAGE_ALIASES, normalize_language
from ..models import Document
from . import ENGLISH_STOP_WORDS

__all__ = ["AUTO", "detect_language", "normalize_language", "with_language"]

AUTO = "auto"
# Characters of a document's text the English shortcuts read, and (more: a page often
# opens with a title and a line of navigation, a macro or a code name, not yet in its
# language) those looked at for an accent and given to the model.
_SAMPLE = 300
_WIDE = 1000
_WORD = re.compile(r"[^\W\d_]+")
# A Latin letter with a mark (the Latin-1, Extended-A/B and Extended Additional blocks).
_ACCENTED = re.compile(r"[\u00c0-\u024f\u1e00-\u1eff]")


def _mostly_ascii(letters: str) -> bool:
    """Nine in ten ``letters`` ASCII (a Greek letter or two in a scientific text is still
    English text)."""
    return len(letters.encode("ascii", "ignore")) * 10 >= len(letters) * 9


# The detector's probability below which its answer is not taken (the fallback is).
_MIN_ODDS = 0.5
# English-based creoles the model names for terse English text (wire copy, headlines).
_CREOLES = {"pcm": "en", "sco": "en"}
# English words that other languages written in Latin letters hardly use (``in``, ``is``,
# ``was`` and ``a`` are Dutch, Spanish or Italian words too).
_ENGLISH_MARKS = frozenset(
    {"the", "and", "of", "with", "that", "which", "from", "were", "been", "this", "these"}
    | {"for", "by", "be", "an", "are", "has", "have", "its", "their"}
)


@functools.cache
def _foreign_stop_words() -> frozenset[str]:
    """The stop words of the languages written in Latin letters that have a list here,
    but English's: ``di``, ``gli``, ``und``, ``les``, ``het``, ...  Not those of one
    letter (French ``d``, ``l``; Italian ``e``): English initials and abbreviations."""
    from .languages import STOP_WORD_LANGUAGES, stop_words

    latin = STOP_WORD_LANGUAGES - {"en", "ru"}
    words = frozenset().union(*map(stop_words, latin)) - ENGLISH_STOP_WORDS
    return frozenset(w for w in words if len(w) > 1)


def _foreign(words: list[str]) -> bool:
    """Whether one in ten of ``words`` (lower case, three at least) is a stop word of
    another language written in Latin letters, and they are more than twice the English
    stop words (English wire copy names ``Nestle SA``, ``francs per share``, ``De
    Laurentiis``)."""
    foreign = sum(map(_foreign_stop_words().__contains__, words))
    english = sum(map(ENGLISH_STOP_WORDS.__contains__, words))
    return foreign >= 3 and foreign * 10 >= len(words) and foreign > 2 * english


def detect_language(text: str, fallback: str = "en") -> str:
    """The ISO 639-1 code of the language ``text`` is written in.

    ``fallback`` when ``text`` has too few letters to tell (under 3), or the model gives
    no language even odds.
    """
    sample = text[:_SAMPLE]
    words = _WORD.findall(sample)
    letters = "".join(words)
    if len(letters) < 3:
        return fallback
    if len(words) >= 12:
        low = list(map(str.lower, words))
        stops = sum(map(ENGLISH_STOP_WORDS.__contains__, low))
        marks = sum(map(_ENGLISH_MARKS.__contains__, low))
        plain = letters.isascii()
        if stops * 4 >= len(words) or marks * 12 >= len(words) or (plain and marks >= 2):
            return "en"
    wide = text[:_WIDE]
    more = _WORD.findall(wide)
    # Latin letters without a single accent in 1,000 characters: English is the likely
    # language, and the model is not worth loading for it, unless the words are
    # another's (Italian can go 1,000 characters without an accent, Dutch and Indonesian
    # write none): 165 of 369 Italian pages of MDN's were taken as English when 300
    # characters were looked at, 29 with 1,000, 9 with the stop words counted.
    if (
        not _ACCENTED.search(wide)
        and _mostly_ascii("".join(more))
        and not _foreign(list(map(str.lower, more)))
    ):
        return "en" if len(words) >= 12 else fallback
    # Lower case: the model's n-grams are case-sensitive, and wire copy in capitals reads
    # as no language at all.  An answer under even odds is no answer.
    code, odds = _identifier().classify(wide.lower())
    if odds < _MIN_ODDS:
        return fallback
    code = str(code)
    return _CREOLES.get(code, LANGUAGE_ALIASES.get(code, code))


@functools.cache
def _identifier() -> Any:
    """py3langid's model, loaded on first use (about a second)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def with_language(doc: Document, default: str = AUTO) -> Document:
    """``doc`` with its ``language`` set: its own (normalised), else ``default``, else
    (``default`` is ``"auto"``) detected from its title and first paragraphs."""
    code = normalize_language(doc.language) if doc.language else None
    if code is None:
        if default != AUTO:
            code = default
        else:
            sample: list[str] = [doc.title]
            size = len(doc.title)
            for p in doc.paragraphs:
                if size >= _WIDE:
                    break
                sample.append(p.text)
                size += len(p.text) + 1
            code = detect_language("\n".join(sample))
    return doc if code == doc.language else attrs.evolve(doc, language=code)
