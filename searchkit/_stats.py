"""The counts, sizes and versions :meth:`Index.stats <searchkit.Index.stats>` reports.

An index of several parts (sharded, or several searched as one) adds up its parts'
(``multi.py``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import whoosh.index as windex
from whoosh import query as wquery
from whoosh.searching import Searcher

from . import _whoosh
from ._settings import Settings
from .models import IndexStats

__all__ = ["plain_stats"]


def plain_stats(path: Path, settings: Settings, ix: windex.Index, searcher: Searcher) -> IndexStats:
    """The stats of the ordinary index at ``path``, read through ``searcher``."""
    data = path / settings.data
    files = [p for p in data.iterdir() if p.is_file()]
    tocs = [p.stat().st_mtime for p in files if p.name.endswith(".toc")]
    return IndexStats(
        path=str(path),
        documents=sum(1 for _ in searcher.document_numbers(first="1")),
        chunks=searcher.doc_count(),
        size_bytes=sum(p.stat().st_size for p in files),
        segments=_whoosh.segment_count(ix),
        fields=tuple(sorted(searcher.schema.names())),
        last_updated=dt.datetime.fromtimestamp(max(tocs)).astimezone() if tocs else None,
        schema_version=settings.schema_version,
        analyzer=settings.analyzer,
        whoosh=_whoosh_distribution(),
        languages=_languages(searcher),
    )


def _languages(searcher: Searcher) -> tuple[tuple[str, int], ...]:
    """Documents per language code, most first."""
    counts: dict[str, int] = {}
    for term in searcher.lexicon("language"):
        code = term.decode("utf-8")
        q = wquery.And([wquery.Term("first", "1"), wquery.Term("language", code)])
        n = sum(1 for _ in searcher.docs_for_query(q))
        if n:
            counts[code] = n
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _whoosh_distribution() -> str:
    from importlib import metadata

    for name in ("whoosh-reloaded", "whoosh3", "whoosh", "whoosh-ng"):
        try:
            return f"{name} {metadata.version(name)}"
        except metadata.PackageNotFoundError:
            continue
    return "whoosh (unknown distribution)"
