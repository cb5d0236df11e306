"""Stored records back into models: what a Whoosh stored-fields dict of a chunk (or of all
a document's chunks) holds, as :class:`~searchkit.models.Chunk`,
:class:`~searchkit.models.DocumentInfo` and :class:`~searchkit.models.Document`.

The fields are written by :func:`searchkit.schema.chunk_to_fields` and
:func:`searchkit.schema.manifest_fields`; what they read, this module reads back.
"""

from __future__ import annotations

import os
from typing import Any

import attrs

from .models import Chunk, Document, DocumentInfo, Paragraph

__all__ = [
    "chunk_from_stored",
    "chunk_kwargs",
    "document_from_stored",
    "info_from_stored",
    "same_file",
]


def chunk_from_stored(stored: dict[str, Any]) -> Chunk:
    """Rebuild a :class:`Chunk` from a Whoosh stored-fields dict."""
    return Chunk(**chunk_kwargs(stored))


def chunk_kwargs(stored: dict[str, Any]) -> dict[str, Any]:
    """The :class:`Chunk` constructor arguments held in a stored-fields dict."""
    return {
        "id": stored["chunk_id"],
        "doc_id": stored["doc_id"],
        "paragraph": stored["paragraph"],
        "part": stored.get("part", 1),
        "seq": stored.get("seq", 1),
        "text": stored["text"],
        "start": stored["start"],
        "end": stored["end"],
        "title": stored["title"],
        "path": stored["path"],
        "author": stored.get("author"),
        "authors": tuple(stored.get("authors") or ()),
        "published": stored.get("published"),
        "source_url": stored.get("source_url"),
        "source_domain": stored.get("domain"),
        "record_line": stored.get("record_line"),
        "language": stored.get("language"),
        "page": stored.get("page"),
        "chapter": stored.get("chapter"),
        "relative_path": stored.get("relative_path"),
        "code": tuple((s, e) for s, e in code) if (code := stored.get("code")) else (),
    }


def info_from_stored(stored: dict[str, Any]) -> DocumentInfo:
    """A document's manifest entry, from the stored fields of its first chunk."""
    c = chunk_from_stored(stored)
    return DocumentInfo(
        id=c.doc_id,
        path=c.path,
        title=c.title,
        paragraphs=stored.get("paragraphs", 0),
        chunks=stored.get("chunks", 0),
        content_hash=stored.get("content_hash", ""),
        size=stored.get("size", 0),
        mtime_ns=stored.get("mtime_ns", 0),
        inode=stored.get("inode", 0),
        author=c.author,
        authors=c.authors,
        published=c.published,
        source_url=c.source_url,
        source_domain=c.source_domain,
        format=stored.get("format", "article"),
        language=c.language,
    )


def document_from_stored(stored: list[dict[str, Any]]) -> Document:
    """Rebuild a :class:`Document` from the stored fields of all its chunks, in ``seq`` order.

    The parts of a split paragraph join back into one paragraph.
    """
    head = next((s for s in stored if "content_hash" in s), stored[0])
    paragraphs: list[Paragraph] = []
    for s in stored:
        if paragraphs and paragraphs[-1].number == s["paragraph"]:
            prev = paragraphs[-1]
            at = len(prev.text)
            code = prev.code + tuple((a + at, b + at) for a, b in s.get("code", ()))
            paragraphs[-1] = attrs.evolve(prev, text=prev.text + s["text"], end=s["end"], code=code)
        else:
            paragraphs.append(
                Paragraph(
                    s["paragraph"],
                    s["text"],
                    s["start"],
                    s["end"],
                    page=s.get("page"),
                    chapter=s.get("chapter"),
                    code=tuple((a, b) for a, b in s.get("code", ())),
                )
            )
    first = chunk_from_stored(head)
    return Document(
        id=first.doc_id,
        path=first.path,
        title=first.title,
        paragraphs=tuple(paragraphs),
        author=first.author,
        authors=first.authors,
        published=first.published,
        source_url=first.source_url,
        source_domain=first.source_domain,
        disclaimer=head.get("disclaimer"),
        content_hash=head.get("content_hash", ""),
        format=head.get("format", "article"),
        encoding=head.get("encoding", "utf-8"),
        record_line=first.record_line,
        language=first.language,
    )


def same_file(info: DocumentInfo, st: os.stat_result) -> bool:
    """Whether the file ``st`` describes is the one ``info`` recorded, unchanged: its size,
    modification time and (where both know it) inode.  A file renamed over another keeps
    its own inode: two files of one size written in the same clock tick and swapped by
    ``mv`` kept both times and sizes, and each path went on finding the other's text."""
    return (
        info.size == st.st_size
        and info.mtime_ns == st.st_mtime_ns
        and (not info.inode or not st.st_ino or info.inode == st.st_ino)
    )
