"""The home page's picture of a collection: what ``stats`` knows, what the documents are,
and example queries made of the collection's own words.

Everything here is read from :meth:`Index.stats` and :meth:`Index.documents` (the
manifest, no text); the app keeps one overview per state of the index.
"""

from __future__ import annotations

import itertools
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence

import attrs

from ..analysis import ENGLISH_STOP_WORDS
from ..models import DocumentInfo, IndexStats

__all__ = ["Overview", "example_queries", "overview"]

_TOP = 8  # values shown per list
_LATEST = 5
_WORD = re.compile(r"[^\W\d_]{3,}")


@attrs.frozen
class Overview:
    """A collection at a glance; each count list is ``(value, documents)``, most first."""

    stats: IndexStats
    formats: tuple[tuple[str, int], ...]
    folders: tuple[tuple[str, int], ...]
    sources: tuple[tuple[str, int], ...]
    years: tuple[tuple[str, int], ...]
    latest: tuple[DocumentInfo, ...]
    examples: tuple[str, ...]


def overview(stats: IndexStats, documents: Sequence[DocumentInfo]) -> Overview:
    """The overview of an index with ``stats`` holding ``documents``."""
    dated = sorted(
        (d for d in documents if d.published is not None),
        key=lambda d: (d.published, d.id),
        reverse=True,
    )
    years = Counter(str(d.published.year) for d in dated if d.published is not None)
    return Overview(
        stats=stats,
        formats=_most(d.format for d in documents),
        folders=_most(folder_counts(d.path for d in documents)),
        sources=_most(d.source_domain for d in documents if d.source_domain),
        years=tuple(sorted(years.items(), reverse=True))[:_TOP],
        latest=tuple(dated[:_LATEST]),
        examples=example_queries([d.title for d in documents]),
    )


def _most(values: Iterable[str]) -> tuple[tuple[str, int], ...]:
    counts = Counter(values)
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:_TOP])


def folder_counts(paths: Iterable[str]) -> list[str]:
    """Each path's first folder below the folder all of them share (``.`` for a file
    right in it): the collection's top-level folders."""
    parents = [os.path.dirname(p) for p in paths]
    if not parents:
        return []
    try:
        root = os.path.commonpath(parents)
    except ValueError:  # relative and absolute paths mixed, or different drives
        root = ""
    out = []
    for parent in parents:
        rest = os.path.relpath(parent, root) if root else parent
        out.append(rest.split(os.sep, 1)[0] if rest not in ("", os.curdir) else ".")
    return out


def example_queries(titles: Sequence[str]) -> tuple[str, ...]:
    """Queries made of the titles' own words: the commonest title word (the longer of
    equally common ones), a phrase of two title words around it, and ``title:`` with the
    commonest word of the titles without it, so the examples show two sides of the
    collection."""
    seen: Counter[str] = Counter()
    for title in titles:
        seen.update({w for w in _words(title) if w not in ENGLISH_STOP_WORDS})
    ranked = [w for w, _ in sorted(seen.items(), key=lambda kv: (-kv[1], -len(kv[0]), kv[0]))]
    if not ranked:
        return ()
    top = ranked[0]
    out = [top]
    phrase = next((p for t in titles if (p := _phrase_around(t, top))), None)
    if phrase:
        out.append(f'"{phrase}"')
    elsewhere = {w for t in titles if top not in _words(t) for w in _words(t)}
    other = next((w for w in ranked[1:] if w in elsewhere), ranked[1] if len(ranked) > 1 else None)
    if other:
        out.append(f"title:{other}")
    return tuple(out)


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _phrase_around(title: str, word: str) -> str | None:
    """Two neighbouring words of ``title``, one of them ``word``, neither a stop word."""
    words = [w.lower() for w in re.findall(r"\w+", title)]
    for a, b in itertools.pairwise(words):
        fit = all(_WORD.fullmatch(w) and w not in ENGLISH_STOP_WORDS for w in (a, b))
        if word in (a, b) and a != b and fit:
            return f"{a} {b}"
    return None
