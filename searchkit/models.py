"""The values that flow through searchkit: frozen attrs classes, no behaviour beyond views.

files -> :class:`Document` (with :class:`Paragraph` s) -> :class:`Chunk` s -> index
query -> :class:`Results` of :class:`Hit` s (a hit is a chunk plus its score and highlights).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

import attrs

from .errors import FilterError

__all__ = [
    "HIT_FIELDS",
    "Chunk",
    "Document",
    "DocumentInfo",
    "Hit",
    "IndexReport",
    "IndexStats",
    "CheckReport",
    "Paragraph",
    "Passage",
    "Results",
    "Skipped",
]

# The keys of a hit's JSON form (Hit.as_dict), in order.  Later versions only add keys.
HIT_FIELDS: tuple[str, ...] = (
    "rank",
    "score",
    "chunk_id",
    "doc_id",
    "paragraph",
    "part",
    "seq",
    "title",
    "author",
    "published",
    "source_url",
    "source_domain",
    "path",
    "start",
    "end",
    "text",
    "highlights",
    "spans",
    "before",
    "after",
    "more",
    "language",
)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


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

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view: ``paragraph`` (the number), ``start``, ``end``, ``text``."""
        return {"paragraph": self.number, "start": self.start, "end": self.end, "text": self.text}


@attrs.frozen
class Document:
    """One source document with its metadata and body paragraphs.

    ``id`` is stable for a given path (or the record id a format carries);
    ``content_hash`` is the SHA-256 of the raw bytes, so a change of content is seen
    whatever the file's timestamps say.  ``record_line`` is the 1-based line of the
    document's record in a file that holds many (JSONL), ``None`` for one-document files.
    ``language`` is an ISO 639 code: what the file's metadata says, or (once indexed) what
    the index chose (its default, or the detector's answer); ``None`` when not yet known.
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
    language: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view: ``doc_id`` for ``id``, ISO 8601 ``published``, and
        ``paragraphs`` as a list of :meth:`Paragraph.as_dict`."""
        return {
            **_document_head(self),
            "disclaimer": self.disclaimer,
            "content_hash": self.content_hash,
            "format": self.format,
            "encoding": self.encoding,
            "paragraphs": [p.as_dict() for p in self.paragraphs],
        }


@attrs.frozen
class Chunk:
    """A searchable unit: one paragraph (or one part of an over-long paragraph).

    ``start``/``end`` are character offsets into the document's decoded text, so for
    articles and Markdown ``decoded_text[start:end] == text``; for JSONL they index into
    the text value of the record on line ``record_line``, and for HTML they span the
    paragraph's element (every part of a split HTML paragraph spans the whole element).
    ``part`` counts from 1 within a split paragraph and is 1 for a whole one.  ``seq`` is
    the chunk's 1-based position in its document.  The document's metadata rides along
    so that filters need no join, and ``language`` says how the text was analysed.
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
    language: str | None = None

    @property
    def chunk_id(self) -> str:
        """The same as ``id``: the name hits and JSON output use."""
        return self.id

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view: ``chunk_id`` for ``id`` and ISO 8601 ``published``."""
        return {
            "chunk_id": self.id,
            "doc_id": self.doc_id,
            "paragraph": self.paragraph,
            "part": self.part,
            "seq": self.seq,
            "title": self.title,
            "author": self.author,
            "published": _iso(self.published),
            "source_url": self.source_url,
            "source_domain": self.source_domain,
            "path": self.path,
            "language": self.language,
            "start": self.start,
            "end": self.end,
            "text": self.text,
        }


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
        lo = max(0, first - width // 3) if len(text) > width else 0
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

    def as_dict(self, fields: Sequence[str] | None = None) -> dict[str, Any]:
        """A JSON-ready view with the keys of :data:`HIT_FIELDS`, or only ``fields``.

        ``before``/``after`` are lists of :meth:`Chunk.as_dict` (empty without
        ``context``); ``more`` is a list of hits (empty unless grouped), each cut to the
        same ``fields``.  An unknown field name raises :class:`FilterError`.
        """
        keys = _hit_fields(fields)
        out = {
            "rank": self.rank,
            "score": self.score,
            **super().as_dict(),
            "highlights": list(self.highlights),
            "spans": [list(span) for span in self.spans],
            "before": [c.as_dict() for c in self.before],
            "after": [c.as_dict() for c in self.after],
            "more": [h.as_dict(keys) for h in self.more],
        }
        return {k: out[k] for k in keys}


def _hit_fields(fields: Sequence[str] | None) -> tuple[str, ...]:
    if fields is None:
        return HIT_FIELDS
    unknown = [f for f in fields if f not in HIT_FIELDS]
    if unknown:
        raise FilterError(f"unknown hit field {unknown[0]!r}; choose from {', '.join(HIT_FIELDS)}")
    if not fields:
        raise FilterError(f"no hit fields given; choose from {', '.join(HIT_FIELDS)}")
    return tuple(dict.fromkeys(fields))


@attrs.frozen
class Results:
    """One page of hits for a query.

    ``total`` counts every matching chunk (documents in grouped mode); ``pages`` is the
    page count at this page size; ``query`` is the parsed query as searchkit ran it.
    ``timed_out`` is true when the search's time budget ran out: ``hits`` and ``total``
    then hold what was found until then.
    """

    hits: tuple[Hit, ...]
    total: int
    page: int
    pages: int
    limit: int
    query: str
    grouped: bool = False
    timed_out: bool = False

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)

    def __getitem__(self, i: int) -> Hit:
        return self.hits[i]

    def __bool__(self) -> bool:
        return bool(self.hits)

    def as_dict(self, fields: Sequence[str] | None = None) -> dict[str, Any]:
        """A JSON-ready view: ``total``, ``page``, ``pages``, ``limit``, ``query``,
        ``grouped``, ``timed_out`` and ``hits`` (each :meth:`Hit.as_dict`, cut to
        ``fields`` if given)."""
        keys = _hit_fields(fields)
        return {
            "total": self.total,
            "page": self.page,
            "pages": self.pages,
            "limit": self.limit,
            "query": self.query,
            "grouped": self.grouped,
            "timed_out": self.timed_out,
            "hits": [h.as_dict(keys) for h in self.hits],
        }


@attrs.frozen
class Passage:
    """A chunk with up to ``n`` neighbouring chunks on each side, in reading order."""

    chunk: Chunk
    before: tuple[Chunk, ...] = ()
    after: tuple[Chunk, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view: the chunk's :meth:`Chunk.as_dict` plus ``before``/``after``."""
        return {
            **self.chunk.as_dict(),
            "before": [c.as_dict() for c in self.before],
            "after": [c.as_dict() for c in self.after],
        }


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
        out["skipped"] = [attrs.asdict(s) for s in self.skipped]
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
    language: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view: ``doc_id`` for ``id``, ISO 8601 ``published``, and
        ``paragraphs``/``chunks`` as counts."""
        return {
            **_document_head(self),
            "paragraphs": self.paragraphs,
            "chunks": self.chunks,
            "format": self.format,
            "content_hash": self.content_hash,
            "size": self.size,
            "mtime_ns": self.mtime_ns,
        }


@attrs.frozen
class IndexStats:
    """What ``Index.stats()`` reports about an index; ``languages`` counts documents per
    language code, most first."""

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
    languages: tuple[tuple[str, int], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view of every field; ``last_updated`` in ISO 8601, ``languages``
        as ``{code: documents}``."""
        out = attrs.asdict(self)
        out["fields"] = list(self.fields)
        out["languages"] = dict(self.languages)
        out["last_updated"] = _iso(self.last_updated)
        return out


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

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view: every field, lists for tuples, and ``ok``."""
        out = attrs.asdict(self)
        out["problems"] = list(self.problems)
        out["stale"] = list(self.stale)
        out["ok"] = self.ok
        return out


def _document_head(doc: Document | DocumentInfo) -> dict[str, Any]:
    """The JSON keys a document and its manifest entry share, in output order."""
    return {
        "doc_id": doc.id,
        "title": doc.title,
        "author": doc.author,
        "published": _iso(doc.published),
        "source_url": doc.source_url,
        "source_domain": doc.source_domain,
        "path": doc.path,
        "language": doc.language,
    }
