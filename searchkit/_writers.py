"""Which segment writer a batch gets: this process's, or child processes' on Linux.

Kept apart from ``_writer`` (the segment writer) and ``_mpwriter`` (the child processes,
which subclass it) so that neither imports the other's user: the imports run one way,
``_writers`` -> ``_mpwriter`` -> ``_writer``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from ._writer import SegmentWriter, codec

__all__ = ["parallel_supported", "writer"]


def parallel_supported() -> bool:
    """Whether child writer processes can be tied to this one's life (Linux, fork)."""
    if not sys.platform.startswith("linux"):
        return False
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


# Chunks per job handed to a child writer; a batch smaller than one job stays in-process.
_JOB_DOCS = 500


def writer(
    ix: Any,
    *,
    procs: int = 1,
    limitmb: int = 128,
    lock_path: str | None = None,
    sources: Sequence[str] | None = None,
) -> Any:
    """A writer for ``ix``: one process, or ``procs`` child processes on Linux.

    ``limitmb`` bounds each process's in-memory posting pool (it spills sorted runs to
    disk beyond that), so memory stays flat however many documents a batch holds.
    ``sources`` is what its commits record as the index's sources (``None``: unchanged).
    """
    w = _make_writer(ix, procs, limitmb, lock_path)
    w.sources = None if sources is None else tuple(sources)
    return w


def _make_writer(ix: Any, procs: int, limitmb: int, lock_path: str | None) -> Any:
    kwargs: dict[str, Any] = {"limitmb": limitmb, "codec": codec()}
    if procs > 1 and parallel_supported():
        from ._mpwriter import MpWriter  # multiprocessing loads only when used

        return MpWriter(
            ix,
            procs=procs,
            multisegment=True,
            batchsize=_JOB_DOCS,
            lock_path=lock_path,
            **kwargs,
        )
    return SegmentWriter(ix, **kwargs)
