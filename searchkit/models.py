"""The values that flow through searchkit: frozen attrs classes, no behaviour beyond views.

files -> :class:`Document` (with :class:`Paragraph` s) -> :class:`Chunk` s -> index
query -> :class:`Results` of :class:`Hit` s (a hit is a chunk plus its score and highlights).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from ._later import Part, resolved, shown
from ._snippets import snippet_window
from ._termscore import TermScore
from .errors import FilterError
from .reports import CheckReport, IndexReport, IndexStats, Skipped

__all__ = [
    "HIT_FIELDS",
    "extracted_text",
    "Chunk",
    "Document",
    "DocumentInfo",
    "Hit",
    "IndexReport",
    "IndexStats",
    "Bucket",
    "CheckReport",
    "Completion",
    "Paragraph",
    "Passage",
    "Results",
    "Skipped",
    "TermScore",
]

# The keys of a hit's JSON form (Hit.as_dict), in order.  Later versions only add keys.
# fmt: off
HIT_FIELDS: tuple[str, ...] = (
    "rank", "score", "chunk_id", "doc_id", "paragraph", "part", "seq", "title", "author",
    "authors", "published", "source_url", "source_domain", "path", "start", "end", "text",
    "highlights", "spans", "title_spans", "before", "after", "more", "explanation", "index",
    "language", "page", "chapter", "more_count", "relative_path",
)
# fmt: on


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _names(value: Iterable[str] | str | None) -> tuple[str, ...]:
    """Author names as a tuple: white space collapsed, blank names and repeats dropped."""
    if value is None or (type(value) in (str, tuple, list) and not value):  # most chunks
        return ()
    if isinstance(value, str):
        value = (value,)
    return tuple(dict.fromkeys(n for n in (" ".join(v.split()) for v in value) if n))


def _default_authors(self: Any) -> tuple[str, ...]:
    return _names(self.author)


def _join_authors(self: Any) -> None:
    """Keep ``author`` and ``authors`` telling the same story (see :class:`Document`)."""
    if self.author is None and self.authors:
        object.__setattr__(self, "author", ", ".join(self.authors))


def _authors_field() -> Any:
    return attrs.field(default=attrs.Factory(_default_authors, takes_self=True), converter=_names)


@attrs.frozen
class Paragraph:
    """One body paragraph; ``number`` is 1-based.

    ``start``/``end`` locate it in the document's source.  For text formats (articles,
    Markdown) ``decoded_text[start:end] == text``; for JSONL they index into the record's
    text value; for HTML they span the element's markup and ``text`` is its plain text.
    For formats whose bytes are not text (PDF, DOCX, ODT, EPUB, e-mail) they index into
    the extracted text, the paragraphs joined by blank lines (see :func:`extracted_text`).
    ``page`` is the PDF page (1-based) and ``chapter`` the EPUB chapter a paragraph is
    on; ``None`` in other formats.  ``code`` holds the ``(start, end)`` offsets in
    ``text`` of what the source marks as code (Markdown code spans and blocks), for a
    page to show as code; empty in other formats.
    """

    number: int
    text: str
    start: int
    end: int
    page: int | None = None
    chapter: str | None = None
    code: tuple[tuple[int, int], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view: ``paragraph`` (the number), ``start``, ``end``, ``text``,
        ``page`` and ``chapter``."""
        return {
            "paragraph": self.number,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "page": self.page,
            "chapter": self.chapter,
        }


def extracted_text(paragraphs: Iterable[Paragraph]) -> str:
    """The text that ``start``/``end`` index into for formats whose bytes are not text
    (PDF, DOCX, ODT, EPUB, e-mail): the paragraphs joined by blank lines, so
    ``extracted_text(doc.paragraphs)[p.start:p.end] == p.text`` for each paragraph."""
    return "\n\n".join(p.text for p in paragraphs)


@attrs.frozen
class Document:
    """One source document with its metadata and body paragraphs.

    ``id`` is stable for a given path (or the record id a format carries);
    ``content_hash`` is the SHA-256 of the raw bytes, so a change of content is seen
    whatever the file's timestamps say.  ``record_line`` is the 1-based line of the
    document's record in a file that holds many (JSONL), ``None`` for one-document files.
    ``language`` is an ISO 639 code: what the file's metadata says, or (once indexed) what
    the index chose (its default, or the detector's answer); ``None`` when not yet known.

    ``authors`` lists every author's name; ``author`` is the display string (the
    ``Author:`` line as written, or the names joined with ``", "``).  Give either: a
    lone ``author`` is one author, lone ``authors`` are joined into ``author``.
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
    authors: tuple[str, ...] = _authors_field()
    language: str | None = None

    __attrs_post_init__ = _join_authors

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
    so that filters need no join; ``author``/``authors`` are as on :class:`Document`, and
    ``language`` says how the text was analysed.  ``page`` (PDF) and ``chapter`` (EPUB)
    say where in the file the chunk is; :attr:`place` puts them in words.
    ``relative_path`` is the file's path relative to the folder the index was given
    (``linux/kill.md``, ``/`` between parts; ``None`` in a chunk not read from an index).
    say where in the file the chunk is; :attr:`place` puts them in words.  ``code``: as
    on :class:`Paragraph`.
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
    authors: tuple[str, ...] = _authors_field()
    language: str | None = None
    page: int | None = None
    chapter: str | None = None
    relative_path: str | None = None
    code: tuple[tuple[int, int], ...] = ()

    __attrs_post_init__ = _join_authors

    @property
    def place(self) -> str | None:
        """Where in its file the chunk is, for display: ``page 3``, ``chapter The Storm``."""
        if self.page is not None:
            return f"page {self.page}"
        if self.chapter is not None:
            return f"chapter {self.chapter}"
        return None

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
            "authors": list(self.authors),
            "published": _iso(self.published),
            "source_url": self.source_url,
            "source_domain": self.source_domain,
            "path": self.path,
            "language": self.language,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "page": self.page,
            "chapter": self.chapter,
            "relative_path": self.relative_path,
        }


@attrs.frozen
class Hit(Chunk):
    """A chunk that matched a query.

    ``highlights`` are the matched words as written in ``title`` and ``text`` (not stems),
    in order of first appearance, the title first; ``spans`` are the ``(start, end)``
    offsets of the matches within ``text``, ``title_spans`` within ``title``.
    ``before``/``after`` hold neighbouring chunks when ``context`` was asked for;
    ``more`` holds the same document's next-best hits in grouped mode; ``more_count`` its
    other matching paragraphs, collapsed or grouped (0 in flat order).  ``explanation``
    (with ``explain=True``) holds each matched term's share of ``score``; the shares add
    up to it.  ``index`` is the folder of the index the hit came from when several are
    searched as one (``searchkit.open_many``), else ``None``.
    """

    score: float = 0.0
    rank: int = 0
    # Given as ``highlights=``, ``spans=``, ``title_spans=``; a search leaves them to be
    # worked out when first read (``_later.py``): read them through the properties below.
    _highlights: tuple[str, ...] | Part = attrs.field(default=(), eq=resolved, repr=shown)
    _spans: tuple[tuple[int, int], ...] | Part = attrs.field(default=(), eq=resolved, repr=shown)
    _title_spans: tuple[tuple[int, int], ...] | Part = attrs.field(
        default=(), eq=resolved, repr=shown
    )
    before: tuple[Chunk, ...] = ()
    after: tuple[Chunk, ...] = ()
    more: tuple[Hit, ...] = ()
    explanation: tuple[TermScore, ...] = ()
    index: str | None = None
    more_count: int = 0

    @property
    def highlights(self) -> tuple[str, ...]:
        found: tuple[str, ...] = resolved(self._highlights)
        return found

    @property
    def spans(self) -> tuple[tuple[int, int], ...]:
        found: tuple[tuple[int, int], ...] = resolved(self._spans)
        return found

    @property
    def title_spans(self) -> tuple[tuple[int, int], ...]:
        found: tuple[tuple[int, int], ...] = resolved(self._title_spans)
        return found

    def snippet(self, width: int = 240, mark: tuple[str, str] = ("[", "]")) -> str:
        """A window of ``text`` around the first match, matched words wrapped in ``mark``."""
        return "".join(
            f"{mark[0]}{piece}{mark[1]}" if matched else piece
            for piece, matched in self.snippet_pieces(width)
        )

    def snippet_html(self, width: int = 240) -> str:
        """:meth:`snippet` as HTML: the text escaped, matched words in ``<mark>`` elements.

        Safe to put into a page as it is: a ``<script>`` in a document comes out as text.
        """
        return "".join(
            f"<mark>{html.escape(piece)}</mark>" if matched else html.escape(piece)
            for piece, matched in self.snippet_pieces(width)
        )

    def snippet_pieces(self, width: int = 240) -> list[tuple[str, bool]]:
        """The snippet as ``(text, matched)`` pieces, for any kind of mark-up.

        A window of about ``width`` characters around the first match, cut at spaces, with
        ``…`` where text was left out; line breaks become spaces.
        """
        text = self.text
        lo, hi = snippet_window(text, self.spans, width)
        pieces: list[tuple[str, bool]] = [("…", False)] if lo > 0 else []
        at = lo
        for s, e in self.spans:
            if s < lo or e > hi:
                continue
            pieces += [(text[at:s], False), (text[s:e], True)]
            at = e
        pieces.append((text[at:hi], False))
        if hi < len(text):
            pieces.append(("…", False))
        return [
            (piece.replace("\r", " ").replace("\n", " "), matched)
            for piece, matched in pieces
            if piece
        ]

    def marked_title(self, mark: tuple[str, str] = ("[", "]")) -> str:
        """``title`` with its matched words wrapped in ``mark``, as :meth:`snippet` marks text."""
        return "".join(
            f"{mark[0]}{piece}{mark[1]}" if matched else piece
            for piece, matched in self._title_pieces()
        )

    def title_html(self) -> str:
        """:meth:`marked_title` as HTML: escaped, matched words in ``<mark>`` elements."""
        return "".join(
            f"<mark>{html.escape(piece)}</mark>" if matched else html.escape(piece)
            for piece, matched in self._title_pieces()
        )

    def _title_pieces(self) -> list[tuple[str, bool]]:
        pieces: list[tuple[str, bool]] = []
        at = 0
        for s, e in self.title_spans:
            pieces += [(self.title[at:s], False), (self.title[s:e], True)]
            at = e
        pieces.append((self.title[at:], False))
        return [(piece, matched) for piece, matched in pieces if piece]

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
            "title_spans": [list(span) for span in self.title_spans],
            "before": [c.as_dict() for c in self.before],
            "after": [c.as_dict() for c in self.after],
            "more": [h.as_dict(keys) for h in self.more],
            "explanation": [t.as_dict() for t in self.explanation],
            "index": self.index,
            "more_count": self.more_count,
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
class Bucket:
    """One period of a date histogram (``Results.histogram``).

    ``start`` names the period: ``2025`` (year), ``2025-03`` (month), or the first day
    ``2025-03-10`` (a day, or a week, which starts on Monday).  ``since``/``until`` are
    its first and last days, ready to pass to ``search`` to see its hits.  ``articles``
    counts documents, ``paragraphs`` chunks, among the matches in the period.
    """

    start: str
    articles: int
    paragraphs: int
    since: dt.date
    until: dt.date

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view: ``start``, ``articles``, ``paragraphs``, and ISO dates."""
        return {
            "start": self.start,
            "articles": self.articles,
            "paragraphs": self.paragraphs,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
        }


@attrs.frozen
class Completion:
    """A way to finish what a user is typing (``Index.complete``).

    ``text`` is the whole input with its last word completed to ``word``, a word as it
    is written in the indexed text; ``count`` is how many paragraphs hold that word's
    index term (what "most common" means).
    """

    text: str
    word: str
    count: int

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view: ``text``, ``word``, ``count``."""
        return attrs.asdict(self)


@attrs.frozen
class Results:
    """One page of hits for a query.

    ``total`` counts what the pages list (documents when ``collapsed`` or ``grouped``, else
    chunks), ``paragraphs`` every matching chunk; ``pages`` is the page count at this
    page size; ``query`` is the parsed query as searchkit ran it.
    ``suggestions`` are corrected whole queries, made when a query word is absent from
    the index or rare in it (see ``searchkit.suggest``).
    ``suggestions_cut`` names the query limit (``max_suggest_words``,
    ``max_suggest_candidates``) or ``timeout`` that stopped the search for them early,
    ``""`` when it ran in full.
    ``corrected_query`` is the query searched instead of ``original_query`` (as typed)
    when a word of it is in no paragraph and has a correction: "Showing results for
    ``corrected_query``; search instead for ``original_query``" (``exact=True`` searches
    it as typed); ``suggestions`` still list it.  Both are ``""`` when the query was
    searched as typed.
    ``facets`` maps each facet asked for to ``{value: articles}`` over all matches
    (most first, then by name); ``histogram`` holds the date buckets asked for.  Both
    are empty unless asked for.
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
    suggestions: tuple[str, ...] = ()
    timed_out: bool = False
    suggestions_cut: str = ""
    facets: Mapping[str, Mapping[str, int]] = attrs.field(factory=dict)
    histogram: tuple[Bucket, ...] = ()
    collapsed: bool = False
    paragraphs: int = 0
    corrected_query: str = ""
    original_query: str = ""

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
        ``grouped``, ``timed_out``, ``hits`` (each :meth:`Hit.as_dict`, cut to ``fields``
        if given), ``facets`` (``{field: {value: count}}``), ``histogram`` (a list of
        :meth:`Bucket.as_dict`), ``suggestions``, ``suggestions_cut``, ``collapsed``,
        ``paragraphs``, ``corrected_query`` and ``original_query``."""
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
            "facets": {name: dict(counts) for name, counts in self.facets.items()},
            "histogram": [b.as_dict() for b in self.histogram],
            "suggestions": list(self.suggestions),
            "suggestions_cut": self.suggestions_cut,
            "collapsed": self.collapsed,
            "paragraphs": self.paragraphs,
            "corrected_query": self.corrected_query,
            "original_query": self.original_query,
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
    authors: tuple[str, ...] = _authors_field()
    language: str | None = None
    # The file's inode when it was read (0: not known), kept to tell a file renamed over
    # another; not in ``as_dict``.
    inode: int = 0

    __attrs_post_init__ = _join_authors

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


def _document_head(doc: Document | DocumentInfo) -> dict[str, Any]:
    """The JSON keys a document and its manifest entry share, in output order."""
    return {
        "doc_id": doc.id,
        "title": doc.title,
        "author": doc.author,
        "authors": list(doc.authors),
        "published": _iso(doc.published),
        "source_url": doc.source_url,
        "source_domain": doc.source_domain,
        "path": doc.path,
        "language": doc.language,
    }
