"""Analyzers: how text becomes index terms (and how query words meet them).

The same analyzer runs at index time and query time, and again to find highlight spans,
so a word is matched by what it means to the index, and shown as the user wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from whoosh.analysis import (
    Analyzer,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)

__all__ = ["ANALYZER_ID", "highlight_spans", "name_analyzer", "normalize_name", "text_analyzer"]

# Recorded in every index; an index built with another analyzer must be rebuilt.
ANALYZER_ID = "en-porter-stop/1"


def text_analyzer() -> Analyzer:
    """English body text: words, lower case, stop words dropped, Porter-stemmed."""
    return RegexTokenizer() | LowercaseFilter() | StopFilter() | StemFilter(cachesize=100_000)


def name_analyzer() -> Analyzer:
    """Person and place names: words in lower case, nothing dropped or stemmed."""
    return RegexTokenizer() | LowercaseFilter()


_SPACES = re.compile(r"\s+")


def normalize_name(name: str) -> str:
    """The exact-match key of an author name: case-folded, white space collapsed."""
    return _SPACES.sub(" ", name).strip().casefold()


def highlight_spans(
    analyzer: Analyzer, text: str, terms: frozenset[str]
) -> Iterator[tuple[int, int]]:
    """Yield ``(start, end)`` of every word in ``text`` whose index term is in ``terms``."""
    if not terms or not text:
        return
    for token in analyzer(text, chars=True, mode="index"):
        if token.text in terms:
            yield token.startchar, token.endchar
