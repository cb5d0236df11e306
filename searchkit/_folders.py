"""Where a document lives: its path relative to the folder the index was given, and the
folders a ``folder:`` query or an ``under=`` filter names.

A file found under a folder given to ``add`` (a *root*) is recorded with its path
relative to the outermost root holding it, ``/`` between the parts (``linux/kill.md``).
Its chunks index that path and every folder above it in the ``folder`` field, lower
case (``linux``, ``linux/kill.md``), so ``folder:linux`` keeps every file under
``linux``, at any depth, and ``path:linux/kill.md`` one file.  The file's own folder
(``linux``; none for a file directly in the root) is the ``folder`` facet's value.
A file given to ``add`` by itself is its own root: its relative path is its name.

The relative path is worked out when the file is indexed, from the roots recorded then:
after adding a folder's parent, the files of the folder that did not change keep their
paths until they change or the index is rebuilt.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import attrs

from ._types import SearchRequest, SimilarRequest
from .errors import FilterError

__all__ = [
    "FOLDER_FIELD",
    "document_fields",
    "folder_terms",
    "relative_folder",
    "relative_path",
    "with_folders",
]

_R = TypeVar("_R", SearchRequest, SimilarRequest)

# The indexed field of a chunk's file path and its folders (``folder:``, ``path:``).
FOLDER_FIELD = "folder"
# The indexed field of the file's own folder: the ``folder`` facet.
DIRECTORY_FIELD = "directory"


def relative_path(path: str, roots: Iterable[str]) -> str:
    """``path`` relative to the outermost of ``roots`` (real paths) holding it, ``/``
    between its parts; its file name when no root holds it."""
    best: str | None = None
    for root in roots:
        inside = path.startswith(root.rstrip(os.sep) + os.sep)
        if inside and (best is None or len(root) < len(best)):
            best = root
    if best is None:
        return os.path.basename(path)
    return os.path.relpath(path, best).replace(os.sep, "/")


def folder_terms(relative: str) -> list[str]:
    """The ``folder`` terms of a file at ``relative``: each folder above it, then itself."""
    parts = relative.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def document_fields(path: str, format: str, roots: Sequence[str]) -> dict[str, Any]:
    """The fields every chunk of the document at ``path`` (a real path) carries: its
    relative path (stored), its folders (indexed), its own folder and its format."""
    relative = relative_path(path, roots)
    terms = folder_terms(relative)
    fields: dict[str, Any] = {
        "relative_path": relative,
        FOLDER_FIELD: "\n".join(terms),
        "format": format,
    }
    if len(terms) > 1:
        fields[DIRECTORY_FIELD] = terms[-2]
    return fields


def relative_folder(value: str, roots: Sequence[str]) -> str:
    """A folder ``under=`` names, as the ``folder`` term it searches.

    A relative value is relative to the index's roots (``linux``, ``linux/common/``); an
    absolute one must lie inside one of ``roots`` (absolute paths) and is made relative
    to the outermost holding it.  A root itself is ``"."``.  A folder outside every root
    is a :class:`FilterError` naming it and the roots.
    """
    text = value.strip()
    if not text:
        raise FilterError("under: give a folder, not an empty value")
    if not os.path.isabs(text):
        cleaned = os.path.normpath(text).replace(os.sep, "/").strip("/")
        if cleaned.startswith(".."):
            raise FilterError(f"under: {value!r} leaves the indexed folders; name a folder in them")
        return cleaned or "."
    real = os.path.realpath(text)
    real_roots = [os.path.realpath(r) for r in roots]
    held = [r for r in real_roots if real == r or real.startswith(r.rstrip(os.sep) + os.sep)]
    if not held:
        where = ", ".join(roots) if roots else "none recorded"
        raise FilterError(
            f"under: folder {value} is not inside a folder this index was built from ({where})"
        )
    root = min(held, key=len)
    if real == root:
        return "."
    return os.path.relpath(real, root).replace(os.sep, "/")


def with_folders(request: _R, roots: Callable[[], Sequence[str]]) -> _R:
    """``request`` with its ``under`` folders made relative to ``roots()`` (the index's,
    asked for only when there are folders): what an index does before it searches, so
    every part of it reads the same folders."""
    if request.under is None:
        return request
    values = (request.under,) if isinstance(request.under, str) else request.under
    folders = roots()
    return attrs.evolve(request, under=tuple(relative_folder(v, folders) for v in values))
