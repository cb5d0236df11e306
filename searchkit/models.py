"""The values that flow through searchkit: frozen attrs classes, no behaviour beyond views.

files -> :class:`Document` (with :class:`Paragraph` s) -> :class:`Chunk` s -> index
query -> :class:`Results` of :class:`Hit` s (a hit is a chunk plus its score and highlights).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import attrs

__all__ = [
    "Chunk",
    "Document",
    "DocumentInfo",
    "Hit",
    "IndexReport",
    "IndexStats",
    "CheckReport",
    "Paragraph",
    "Results",
    "Skipped",
]


@attrs.frozen
class Paragraph:
    """One body paragraph; ``number`` is 1-based.

    ``start``/``end`` locate it in the document's source.  For text formats (articles,
    Markdown) ``decoded_text[start:end] == text``; for JSONL they index into the record's
    text value; for HTML they span the element's markup and ``text`` is its plain text.
    """

    number: int
    text: str
    start: int
    end: int


@attrs.frozen
class Document:
    """One source document with its metadata and body paragraphs.

    ``id`` is stable for a given path (or the record id a format carries);
    ``content_hash`` is the SHA-256 of the raw bytes, so a change of content is seen
    whatever the file's timestamps say.  ``record_line`` is the 1-based line of the
    document's record in a file that holds many (JSONL), ``None`` for one-document files.
    """

    id: str
    path: str
    title: str
    paragraphs: tuple[Paragraph, ...]
    author: str | None = None
    published: dt.datetime | None = None
    source_url: str | None = None
    source_domain: str | None = None
    disclaimer: str | None = None
    content_hash: str = ""
    format: str = "article"
    encoding: str = "utf-8"
    record_line: int | None = None


@attrs.frozen
class Chunk:
    """A searchable unit: one paragraph (or one part of an over-long paragraph).

    ``start``/``end`` are character offsets into the document's decoded text, so for
    articles and Markdown ``decoded_text[start:end] == text``; for JSONL they index into
    the text value of the record on line ``record_line``, and for HTML they span the
    paragraph's element (every part of a split HTML paragraph spans the whole element).
    ``part`` counts from 1 within a split paragraph and is 1 for a whole one.  ``seq`` is
    the chunk's 1-based position in its document.  The document's metadata rides along
    so that filters need no join.
    """

    id: str
    doc_id: str
    paragraph: int
    text: str
    start: int
    end: int
    title: str
    path: str
    part: int = 1
    seq: int = 1
    author: str | None = None
    published: dt.datetime | None = None
    source_url: str | None = None
    source_domain: str | None = None
    record_line: int | None = None

    @property
    def chunk_id(self) -> str:
        """The same as ``id``: the name hits and JSON output use."""
        return self.id


@attrs.frozen
class Hit(Chunk):
    """A chunk that matched a query.

    ``highlights`` are the matched words as written in ``text`` (not stems), in order of
    first appearance; ``spans`` are their ``(start, end)`` offsets within ``text``.
    ``before``/``after`` hold neighbouring chunks when ``context`` was asked for;
    ``more`` holds the same document's next-best hits in grouped mode.
    """

    score: float = 0.0
    rank: int = 0
    highlights: tuple[str, ...] = ()
    spans: tuple[tuple[int, int], ...] = ()
    before: tuple[Chunk, ...] = ()
    after: tuple[Chunk, ...] = ()
    more: tuple[Hit, ...] = ()

    def snippet(self, width: int = 240, mark: tuple[str, str] = ("[", "]")) -> str:
        """A window of ``text`` around the first match, matched words wrapped in ``mark``."""
        text = self.text
        first = self.spans[0][0] if self.spans else 0
        lo = max(0, first - width // 3)
        if lo > 0:
            space = text.find(" ", lo)
            lo = space + 1 if 0 <= space < first else lo
        hi = min(len(text), lo + width)
        if hi < len(text):
            space = text.rfind(" ", lo, hi)
            hi = space if space > first else hi
        pieces: list[str] = ["…" if lo > 0 else ""]
        at = lo
        for s, e in self.spans:
            if s < lo or e > hi:
                continue
            pieces += [text[at:s], mark[0], text[s:e], mark[1]]
            at = e
        pieces += [text[at:hi], "…" if hi < len(text) else ""]
        return "".join(pieces).replace("\r", " ").replace("\n", " ")


@attrs.frozen
class Results:
    """One page of hits for a query.

    ``total`` counts every matching chunk (documents in grouped mode); ``pages`` is the
    page count at this page size; ``query`` is the parsed query as searchkit ran it.
    """

    hits: tuple[Hit, ...]
    total: int
    page: int
    pages: int
    limit: int
    query: str
    grouped: bool = False

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)

    def __getitem__(self, i: int) -> Hit:
        return self.hits[i]

    def __bool__(self) -> bool:
        return bool(self.hits)


@attrs.frozen
class Skipped:
    """A file, or a record within one, that was not indexed, and why.

    For a record (a JSONL line) ``path`` is its file and ``reason`` starts with where it
    is (``line 3: invalid JSON ...``); the file's other records are indexed.
    """

    path: str
    reason: str


@attrs.frozen
class IndexReport:
    """What one ``Index.add`` (or sync) did.

    ``added``/``updated``/``removed``/``unchanged`` count documents; ``renamed`` counts
    files whose content moved to a new path; ``chunks`` counts paragraph chunks written.
    """

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    renamed: int = 0
    chunks: int = 0
    skipped: tuple[Skipped, ...] = ()
    dry_run: bool = False

    @property
    def indexed(self) -> int:
        """Documents written in this run (added, updated or renamed)."""
        return self.added + self.updated + self.renamed

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view: counts plus ``skipped`` as a list of ``{path, reason}``."""
        out = attrs.asdict(self)
        out["indexed"] = self.indexed
        return out


@attrs.frozen
class DocumentInfo:
    """An indexed document's metadata and bookkeeping, without its text.

    This is one entry of the index's manifest: what ``Index.documents()`` lists and what
    a sync compares files against.
    """

    id: str
    path: str
    title: str
    paragraphs: int
    chunks: int
    content_hash: str
    size: int
    mtime_ns: int
    author: str | None = None
    published: dt.datetime | None = None
    source_url: str | None = None
    source_domain: str | None = None
    format: str = "article"


@attrs.frozen
class IndexStats:
    """What ``Index.stats()`` reports about an index."""

    path: str
    documents: int
    chunks: int
    size_bytes: int
    segments: int
    fields: tuple[str, ...]
    last_updated: dt.datetime | None
    schema_version: int
    analyzer: str
    whoosh: str


@attrs.frozen
class CheckReport:
    """What ``check_index`` found: ``ok`` when ``problems`` is empty.

    ``stale`` lists indexed files that changed or vanished since they were indexed (not
    damage: a sync fixes them).  ``repaired`` says a rebuild ran.
    """

    path: str
    documents: int
    chunks: int
    segments: int
    problems: tuple[str, ...] = ()
    stale: tuple[str, ...] = ()
    repaired: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems
