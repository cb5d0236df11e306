"""The Whoosh schema, and the mapping between :class:`Chunk` values and stored fields.

One Whoosh document per chunk.  The document's metadata is stored on every chunk, so a
filter on author or date needs no join.

Bare query words search one field, ``body``: the chunk's title and text indexed together
as BM25F would weigh them (see :class:`BodyField`), so a word counts once per document
with one length normalisation, rather than as two BM25 scores added up.  ``title`` is
indexed on its own as well, for ``title:`` queries; ``text`` is stored only (``text:``
is an alias of ``body``).  Text in another language goes to that language's own body
field instead (``body_de``, ``body_cjk``, ...: see ``analysis/languages.py``), and
``language`` holds the document's language code.  The first chunk of each document (``first`` =
``"1"``) also carries the file's bookkeeping (content hash, size, modification time,
disclaimer); those records are the index's manifest, written in the same commit as the
chunks, so the manifest can never disagree with what is searchable.
"""

from __future__ import annotations

import datetime as dt
import functools
import pickle
import re
import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import sub
from typing import Any

from whoosh import fields, formats
from whoosh.analysis import IDTokenizer, LowercaseFilter, RegexTokenizer
from whoosh.util.times import adatetime, fix

from . import _decoded, _unpickle
from ._dates import date_bounds
from .analysis import (
    add_positions,
    add_stop_positions,
    name_analyzer,
    normalize_name,
    stop_analyzer,
    text_analyzer,
)
from .analysis.languages import (
    PositionAdder,
    body_field,
    body_fields,
    language_analyzer,
    position_adder,
)
from .models import Chunk, Document

# Every pickle Whoosh reads goes through the allow-list unpickler from here on.
_unpickle.install()
_decoded.install()  # and what they decode to is checked: tables of contents, records

__all__ = [
    "HIGHLIGHT_FIELDS",
    "Posting",
    "SCHEMA_VERSION",
    "STOP_FIELD",
    "TEXT_FIELDS",
    "TITLE_WEIGHT",
    "BodyField",
    "StopsField",
    "TextTerms",
    "text_postings",
    "body_value",
    "build_schema",
    "chunk_rows",
    "chunk_to_fields",
    "indexer",
    "memoized",
    "manifest_fields",
]

# Bump on any change to fields or their analysis: older indexes then ask to be rebuilt.
SCHEMA_VERSION = 13
# Fields a bare query word searches, with their boosts.
TEXT_FIELDS: dict[str, float] = {"body": 1.0}
# The field of the stop words ``body`` leaves out, searched when a query holds nothing else.
STOP_FIELD = "stops"
# Fields whose matched terms are highlighted in a hit's text.
HIGHLIGHT_FIELDS: frozenset[str] = frozenset({"body", "title"})
# How many times a title word counts in ``body`` for one occurrence in the text (BM25F),
# in a document's first chunk; its later chunks count the title once (see
# :func:`body_value`), so a page named like a query word does not win with every paragraph.
TITLE_WEIGHT = 2
# Positions skipped between title and text, so no phrase spans the two.
_TITLE_GAP = 100
# What a word inside ``{{...}}`` in a chunk's text counts toward its term's weight, for
# 1 for any other word: command references write the values a user fills in so
# (``cp {{path/to/file}} {{path/to/directory}}``), and those words name a kind of value,
# not what the line is about.  A power of two, so postings' float32 weights hold it exactly.
PLACEHOLDER_WEIGHT = 0.5
# A placeholder: ``{{`` and ``}}`` around up to 200 characters of one line, no braces.
_PLACEHOLDER = re.compile(r"\{\{([^{}\n]{1,200})\}\}")


class BodyField(fields.TEXT):  # type: ignore[misc]
    """A chunk's title and text as one BM25F field, fed a ``(title, text)`` pair.

    A term's weight (the ``tf`` BM25 saturates) is ``title_weight * tf_title + tf_text``
    and the field length is weighted the same way, which is BM25F with one ``b`` shared by
    both fields (Robertson, Zaragoza and Taylor, 2004).  Positions run on from the title
    into the text after a gap, so phrases work in either part but never across them.
    A ``(title, text, weight)`` triple gives the title its own weight (:func:`body_value`).
    """

    def __init__(
        self, analyzer: Any, title_weight: int = TITLE_WEIGHT, language: str = "en"
    ) -> None:
        super().__init__(analyzer=analyzer, phrase=True, stored=False)
        self.title_weight = title_weight
        self.language = language

    def index(self, value: Any, **kwargs: Any) -> list[Posting]:
        return list(self.terms(value))

    def terms(self, value: Any) -> TextTerms:
        """``value`` (a ``(title, text)`` pair, a ``(title, text, title_weight)`` triple,
        or text alone) analysed."""
        title, text, weight = self._parts(value)
        add = position_adder(self.language)
        return TextTerms.of(((title, weight), (text, 1)), add)

    def _parts(self, value: Any) -> tuple[str, str, int]:
        if not isinstance(value, tuple):
            return "", value, self.title_weight
        if len(value) == 3:
            return value
        return value[0], value[1], self.title_weight


class StopsField(BodyField):
    """The stop words of a chunk's title and text, weighed as :class:`BodyField` weighs
    its words, at their places among all word parts (so phrases of them work).

    Ordinary queries never read it, so their ranking and speed are those of ``body``
    alone; a query made only of stop words searches here instead of failing.
    """

    def terms(self, value: Any) -> TextTerms:
        title, text, weight = self._parts(value)
        return TextTerms.of(((title, weight), (text, 1)), add_stop_positions)


# What a field's ``index()`` gives Whoosh for one term of one document:
# (term bytes, frequency, weight, encoded positions).
Posting = tuple[bytes, int, float, bytes]
# add_positions or add_stop_positions.
_AddPositions = Callable[[str, int, dict[bytes, list[int]]], int]


def text_postings(parts: Iterable[tuple[str, int]]) -> list[Posting]:
    """The postings :func:`text_analyzer` text makes, for ``(text, weight)`` parts.

    Each part's words count ``weight`` times toward a term's weight and frequency; the
    parts follow one another with :data:`_TITLE_GAP` positions between them.  One part
    of weight 1 gives exactly what a Whoosh ``TEXT`` field with that analyzer gives.
    """
    return list(TextTerms.of(parts))


class TextTerms:
    """Analysed text, before it becomes postings: each term's positions, and its extra
    frequency from weighted parts.  Iterating gives the postings (see :func:`text_postings`);
    :meth:`add_to` puts them straight into a writer's table of posting lists."""

    __slots__ = ("extra", "light", "positions")

    def __init__(
        self,
        positions: dict[bytes, list[int]],
        extra: dict[bytes, int],
        light: dict[bytes, int] | None = None,
    ) -> None:
        self.positions = positions
        # Per term, what weighted parts add to its frequency (a term absent adds none).
        self.extra = extra
        # Per term, how many of its places are in a placeholder (see _placeholders).
        self.light = {} if light is None else light

    @classmethod
    def of(cls, parts: Iterable[tuple[str, int]], add: PositionAdder = add_positions) -> TextTerms:
        """``parts`` analysed by ``add`` (:func:`add_positions`, :func:`add_stop_positions`
        or another language's)."""
        positions: dict[bytes, list[int]] = {}
        # Plain dicts, not Counters: a Counter costs a microsecond to make, and each
        # chunk made six (three for its body, three for its stop words).
        extra: dict[bytes, int] = {}
        light: dict[bytes, int] = {}
        pos = 0
        for part, weight in parts:
            if not part:
                continue
            if weight == 1:
                pos = add(part, pos, positions)
                if "{{" in part:
                    _placeholders(part, add, light)
            else:
                mine, pos = _weighted_part(part, pos, add)
                for term, where in mine.items():
                    extra[term] = extra.get(term, 0) + (weight - 1) * len(where)
                    positions.setdefault(term, []).extend(where)
            pos += _TITLE_GAP
        return cls(positions, extra, light)

    def __len__(self) -> int:
        return len(self.positions)

    def __iter__(self) -> Iterator[Posting]:
        one = _one_positions()
        cached = len(one)
        extra, light = self.extra, self.light
        for term, where in self.positions.items():
            n = len(where)
            encoded = one[where[0]] if n == 1 and where[0] < cached else encode_positions(where)
            if extra:
                n += extra.get(term, 0)
            yield term, n, _weight(n, light.get(term, 0)) if light else float(n), encoded

    def add_to(self, terms: dict[bytes, list[Any]], docnum: int) -> tuple[int, int]:
        """Append this document's postings to ``terms`` (term -> flat ``docnum, weight,
        value`` list); return the field length and the number of new terms."""
        one = _one_positions()
        cached = len(one)
        extra, light = self.extra, self.light
        length = new = 0
        for term, where in self.positions.items():
            n = len(where)
            encoded = one[where[0]] if n == 1 and where[0] < cached else encode_positions(where)
            if extra:
                n += extra.get(term, 0)
            length += n
            if light:
                weight = _weight(n, light.get(term, 0))
            else:
                weight = _FLOATS[n] if n < 256 else float(n)
            postings = terms.get(term)
            if postings is None:
                terms[term] = [docnum, weight, encoded]
                new += 1
            else:
                postings += (docnum, weight, encoded)
        return length, new


# Whole weights as shared float objects: a posting list holds one reference to each,
# not a float of its own (24 bytes a posting, a quarter of a writer's memory on Reuters).
_FLOATS = tuple(map(float, range(256)))


def _weight(n: int, light: int) -> float:
    """A term's weight: its ``n`` counts, ``light`` of them in placeholders."""
    return n - min(light, n) * (1.0 - PLACEHOLDER_WEIGHT)


def _placeholders(text: str, add: PositionAdder, light: dict[bytes, int]) -> None:
    """Count into ``light`` the terms ``add`` finds inside the ``{{...}}`` of ``text``."""
    for match in _PLACEHOLDER.finditer(text):
        inside: dict[bytes, list[int]] = {}
        add(match.group(1), 0, inside)
        for term, where in inside.items():
            light[term] = light.get(term, 0) + len(where)


def indexer(field: fields.FieldType) -> Callable[[Any], Sequence[Posting] | TextTerms]:
    """A function giving what ``field.index(value)`` gives (as a sequence), cheaper for
    searchkit's fields.

    ``TEXT`` fields with searchkit's text analyzer go through :func:`text_postings`, and
    plain ``ID`` fields make their one term directly.  Except for ``body`` and ``ID``
    fields, whose values rarely repeat, the function remembers its recent results: a
    document's chunks share its title, author and date.
    """
    if isinstance(field, BodyField):
        return field.terms
    kind, analyzer, fmt = type(field), field.analyzer, field.format
    if kind is fields.ID and type(analyzer) is IDTokenizer and type(fmt) is formats.Existence:
        boost = fmt.field_boost

        def id_term(value: Any) -> Sequence[Posting]:
            if isinstance(value, str):
                return ((value.encode("utf-8"), 1, boost, b""),)
            return tuple(field.index(value))

        return id_term
    index = field.index
    if (
        kind is fields.TEXT
        and analyzer == _TEXT_ANALYZER
        and type(fmt) is formats.Positions
        and fmt.field_boost == 1.0
    ):

        def index(value: Any) -> list[Posting]:
            return text_postings(((value, 1),))

    return memoized(lambda value: tuple(index(value)))


def memoized(fn: Callable[[Any], Any], size: int = 4096) -> Callable[[Any], Any]:
    """``fn`` remembering its last ``size`` distinct results (the table starts over when
    full); an unhashable argument is passed through.

    A datetime is remembered with its time zone: two that name the same instant from
    different zones are equal, yet Whoosh indexes their wall-clock times.
    """
    cache: dict[Any, Any] = {}

    def memo(value: Any) -> Any:
        key = (value, value.tzinfo) if type(value) is dt.datetime else value
        try:
            return cache[key]
        except KeyError:
            pass
        except TypeError:  # unhashable
            return fn(value)
        if len(cache) >= size:
            cache.clear()
        result = cache[key] = fn(value)
        return result

    return memo


_TEXT_ANALYZER = text_analyzer()
# Per analysis function, the last weighted part analysed: ((text, start), positions,
# end).  A document's chunks share its title, so each title is analysed once, not once
# per chunk.  Each entry is one tuple, read and replaced whole, so threads writing at
# once never pair one title with another's.
_last_part: dict[_AddPositions, tuple[tuple[str, int], dict[bytes, list[int]], int]] = {}


def _weighted_part(part: str, pos: int, add: _AddPositions) -> tuple[dict[bytes, list[int]], int]:
    """``add`` of ``part`` into a new table (callers copy, never change it)."""
    last = _last_part.get(add)
    if last is None or last[0] != (part, pos):
        mine: dict[bytes, list[int]] = {}
        last = _last_part[add] = ((part, pos), mine, add(part, pos, mine))
    return last[1], last[2]


_PACK_COUNT = struct.Struct(">I").pack


def encode_positions(where: list[int]) -> bytes:
    """``where`` as Whoosh's ``Positions`` format encodes it, cached for single positions."""
    if len(where) == 1:
        one = _one_positions()
        if where[0] < len(one):
            return one[where[0]]
    deltas = [where[0], *map(sub, where[1:], where)]
    return _PACK_COUNT(len(deltas)) + pickle.dumps(deltas, 2)


@functools.cache
def _one_positions() -> list[bytes]:
    """The encodings of single positions 0-4095, made on first use: only writing needs
    them, and a search should not pay for the table at start-up."""
    return [_PACK_COUNT(1) + pickle.dumps([p], 2) for p in range(4096)]


class SearchkitDatetime(fields.DATETIME):  # type: ignore[misc]
    """DATETIME whose query syntax takes ISO dates: ``2025``, ``2025-06``, ``2025-06-14T10:55``."""

    def __init__(self, *, shift_step: int = 8, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.shift_step = shift_step  # Whoosh's DATETIME fixes it at 8

    def _parse_datestring(self, qstring: str) -> Any:
        lo, hi = date_bounds(qstring)
        if lo == hi:
            return fix(
                adatetime(lo.year, lo.month, lo.day, lo.hour, lo.minute, lo.second, lo.microsecond)
            )
        # A partial date: leave the unnamed parts open so Whoosh builds a range.
        parts = [lo.year, None, None, None, None, None, None]
        for i, (a, b) in enumerate(zip(_parts(lo), _parts(hi), strict=True)):
            if a != b:
                break
            parts[i] = a
        return fix(adatetime(*parts))

    def parse_range(
        self,
        fieldname: str,
        start: str | None,
        end: str | None,
        startexcl: bool,
        endexcl: bool,
        boost: float = 1.0,
    ) -> Any:
        """A range over whole periods: ``{2022 TO 2024}`` is 2023, ``[2022 TO 2024]`` 2022-24.

        Whoosh's own ignores the exclusive brackets (and ``>``/``<``), so that
        ``date:>2025-06-14`` would include that day.
        """
        from whoosh import query

        if start is None and end is None:
            return query.Every(fieldname, boost=boost)
        tick = dt.timedelta(microseconds=1)
        lo = hi = None
        if start is not None:
            first, last = date_bounds(start)
            lo = last + tick if startexcl else first
        if end is not None:
            first, last = date_bounds(end)
            hi = first - tick if endexcl else last
        return query.DateRange(fieldname, lo, hi, boost=boost)


def _parts(d: dt.datetime) -> tuple[int, ...]:
    return (d.year, d.month, d.day, d.hour, d.minute, d.second, d.microsecond)


def build_schema() -> fields.Schema:
    """The schema of a searchkit index, version :data:`SCHEMA_VERSION`."""
    text = text_analyzer()
    languages = {
        name: BodyField(language_analyzer(key), language=key)
        for name, key in body_fields().items()
        if name != "body"
    }
    return fields.Schema(
        # Stored only: a chunk is found through its document's id and paragraph number
        # (``Index.chunk``); a term per chunk was a third of the terms short paragraphs make.
        chunk_id=fields.STORED(),
        # A column too: facets and histograms map matching chunks to their documents.
        doc_id=fields.ID(stored=True, sortable=True),
        first=fields.ID(),
        path=fields.STORED(),
        # The path relative to the folder the index was given, and (indexed) it and
        # every folder above it, and the file's own folder (see ``_folders.py``).
        relative_path=fields.STORED(),
        folder=_folder_field(),
        directory=fields.ID(),
        # One term per value (shift_step=bits): paragraph numbers are few, so a range
        # needs no coarser tiers, and each tier is a posting on every chunk.
        paragraph=fields.NUMERIC(int, stored=True, signed=False, bits=32, shift_step=32),
        part=fields.STORED(),
        seq=fields.STORED(),
        start=fields.STORED(),
        end=fields.STORED(),
        body=BodyField(text),
        **languages,
        language=fields.ID(stored=True),
        stops=StopsField(stop_analyzer()),
        title=fields.TEXT(analyzer=text, stored=True, phrase=True),
        text=fields.STORED(),
        author=fields.TEXT(analyzer=name_analyzer(), stored=True, phrase=True),
        authors=fields.STORED(),
        # One exact-match term per author (normalize_name), fed one name a line.
        author_key=fields.IDLIST(expression=re.compile(r"[^\n]+")),
        # Two tiers (Whoosh's default eight): date filters and date queries are compared
        # over the sortable column (``_columns``, ``_topk``); the tiers serve only Whoosh's
        # own matcher (an explanation's), at a quarter of eight tiers' postings.
        published=SearchkitDatetime(stored=True, sortable=True, shift_step=32),
        source_url=fields.ID(stored=True),
        domain=fields.ID(stored=True),
        record_line=fields.STORED(),
        page=fields.STORED(),  # a PDF paragraph's page
        chapter=fields.STORED(),  # an EPUB paragraph's chapter
        code=fields.STORED(),  # where its text is code (Markdown), [[start, end], ...]
        # Document bookkeeping, stored on the first chunk only.
        content_hash=fields.STORED(),
        size=fields.STORED(),
        mtime_ns=fields.STORED(),
        inode=fields.STORED(),  # so that two files swapped by renaming are seen changed
        file_documents=fields.STORED(),  # documents its file held (a JSONL file has many)
        disclaimer=fields.STORED(),
        format=fields.ID(stored=True),  # on every chunk: the format facet
        encoding=fields.STORED(),
        paragraphs=fields.STORED(),
        chunks=fields.STORED(),
    )


def _folder_field() -> fields.IDLIST:
    """One term per line of its value, in lower case: folders match as typed in any case."""
    field = fields.IDLIST()
    field.analyzer = RegexTokenizer(r"[^\n]*[^\n/]") | LowercaseFilter()
    return field


def body_value(chunk: Chunk) -> tuple[str, str, int]:
    """What ``chunk``'s body field is fed: its title, its text, and the title's weight,
    :data:`TITLE_WEIGHT` in the document's first chunk and 1 in the others (the title
    weighs as BM25F weighs it once per document, not again in every paragraph)."""
    return chunk.title, chunk.text, TITLE_WEIGHT if chunk.seq == 1 else 1


def chunk_to_fields(chunk: Chunk) -> dict[str, Any]:
    """The Whoosh field values of ``chunk`` (``None`` values are left out)."""
    body = body_value(chunk)
    values: dict[str, Any] = {
        "chunk_id": chunk.id,
        "doc_id": chunk.doc_id,
        "path": chunk.path,
        "paragraph": chunk.paragraph,
        "part": chunk.part,
        "seq": chunk.seq,
        "start": chunk.start,
        "end": chunk.end,
        body_field(chunk.language): body,
        STOP_FIELD: body,
        "language": chunk.language,
        "title": chunk.title,
        "text": chunk.text,
        "author": chunk.author,
        "authors": list(chunk.authors) if chunk.authors else None,
        "author_key": "\n".join(normalize_name(a) for a in chunk.authors) or None,
        "published": chunk.published,
        "source_url": chunk.source_url,
        "domain": chunk.source_domain.lower() if chunk.source_domain else None,
        "record_line": chunk.record_line,
        "page": chunk.page,
        "chapter": chunk.chapter,
        "code": [list(span) for span in chunk.code] or None,
    }
    return {k: v for k, v in values.items() if v is not None}


def manifest_fields(
    doc: Document,
    chunks: int,
    size: int,
    mtime_ns: int,
    file_documents: int | None = None,
    inode: int = 0,
) -> dict[str, Any]:
    """The bookkeeping stored on a document's first chunk.

    ``file_documents`` is how many documents the file held when read, so that a sync
    sees a file with one of its documents removed from the index as not up to date.
    """
    values: dict[str, Any] = {
        "first": "1",
        "paragraphs": len(doc.paragraphs),
        "chunks": chunks,
        "content_hash": doc.content_hash,
        "size": size,
        "mtime_ns": mtime_ns,
        "inode": inode or None,
        "file_documents": file_documents,
        "disclaimer": doc.disclaimer,
        "format": doc.format,
        "encoding": doc.encoding,
    }
    return {k: v for k, v in values.items() if v is not None}


def chunk_rows(
    chunks: Sequence[Chunk], head: dict[str, Any], where: dict[str, Any] | None = None
) -> Iterator[dict[str, Any]]:
    """The field values the index writes for one document's ``chunks``: each chunk's
    (:func:`chunk_to_fields`), with ``where`` (its file's place, ``_folders.py``) and, on
    the first chunk, the document's bookkeeping ``head`` (:func:`manifest_fields`)."""
    for chunk in chunks:
        fields = chunk_to_fields(chunk)
        if where:
            fields.update(where)
        if chunk.seq == 1:
            fields.update(head)
        yield fields
