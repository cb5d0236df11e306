"""What a results page links and shows: its URL with one parameter changed, and its
hits folded by document."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from ..models import Results

__all__ = ["collapsed", "folds", "linker"]


def linker(params: Any, path: str = "/") -> Callable[..., str]:
    """``link(page=2)``: this search's URL with some parameters changed (``None`` drops).

    Changing a filter starts again at page 1.
    """
    base = [(k, v) for k, v in params.multi_items() if v != ""]

    def link(**changes: Any) -> str:
        if "page" not in changes:
            changes["page"] = None
        keep = [(k, v) for k, v in base if k not in changes]
        keep += [(k, str(v)) for k, v in changes.items() if v is not None]
        return path + "?" + urlencode(keep)

    return link


def folds(results: Results, params: Any) -> bool:
    """Whether a page's hits fold by document: listed flat (not collapsed, not grouped)
    and not a search within one document (whose hits are all that document's)."""
    one = len(params.getlist("doc")) == 1
    return not (results.grouped or results.collapsed or one)


def collapsed(results: Results) -> list[tuple[Any, int]]:
    """The page's hits with a document's further hits on this page folded under its
    best one: ``(hit, how many more of its document this page holds)``."""
    first: dict[str, int] = {}
    out: list[tuple[Any, int]] = []
    for hit in results.hits:
        if hit.doc_id in first:
            at = first[hit.doc_id]
            out[at] = (out[at][0], out[at][1] + 1)
        else:
            first[hit.doc_id] = len(out)
            out.append((hit, 0))
    return out
