"""Writing to one ordinary index: the write lock around a batch, batching, writer tuning.

A :class:`Batch` is one Whoosh writer that commits every ``size`` documents (or
``_WRITER_CHUNKS`` chunks or ``_WRITER_CHARS`` characters a writer process, whichever
comes first: for most collections the writers' memory), so an interrupted add keeps
what it finished.  A file's old chunks go and its new ones arrive
in one commit.  :func:`locked_batch` holds the index's write lock around a batch, tidies
what dead writers left first, and records the index's sources in its commits.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import whoosh.index as windex
from whoosh.writing import IndexWriter

from . import _commits, _merge, _whoosh, _writers
from ._folders import document_fields
from ._lock import LOCK_NAME, WriteLock
from ._settings import Settings, clean_root, drop_unused_data_dirs
from ._types import Progress
from .analysis.detect import AUTO, with_language
from .chunking import chunk_document
from .models import Document
from .schema import chunk_rows, manifest_fields

__all__ = ["DEFAULT_BATCH_SIZE", "Batch", "Progress", "locked_batch"]

# Documents a batch commits after at most.  Each commit of a batch writes one segment a
# writer process, and each segment repeats its own term table and column caches: a bulk
# load committed every 5,000 documents left all of Reuters-21578 in 8 segments, 70 MiB
# with their caches, where the same load in 2 segments takes 61 MiB and answers its
# title queries 5% faster.  So the writers' memory (below) decides when a batch commits,
# not its document count, unless the caller asks for smaller batches.
DEFAULT_BATCH_SIZE = 50_000
# Per writer process: the in-memory posting table spills to disk beyond this estimate.
# The estimate (``_writer._POSTING_BYTES``...) runs 1.2-1.6x what ``tracemalloc`` counts:
# 25,000 Reuters paragraphs held 49 MiB, estimated 78; SciFact's 5,183 abstracts (7.3
# million characters) 45, estimated 52.  A spilled segment is written through Whoosh's
# pool, whose sorted runs are read back a posting at a time through ``_unpickle``: six
# times the CPU of the whole build (a shard's one writer given 50,000 chunks of Reuters
# spilled, before postings shared their weights), so a writer's share of a batch must fit.
_WRITER_LIMIT_MB = 256
# A batch also commits after this many chunks, or characters of chunk text, for each of
# its writer processes, so a writer's postings stay under its limit: at the limits,
# Reuters' short paragraphs (142 characters on average) are estimated at 187 MiB and
# SciFact's abstracts at 72 (a writer process of all of Reuters' 53,662 paragraphs
# peaked at 156 MiB).  10,000 paragraphs of 3,000 characters once spilled at 15 million
# characters a writer, when a posting was estimated at 112 bytes (64 now).
_WRITER_CHUNKS = 60_000
_WRITER_CHARS = 10_000_000
# Writer processes for batches of at least _PARALLEL_BATCH documents (Linux only).
_WRITER_PROCS = min(2, os.cpu_count() or 1)
_PARALLEL_BATCH = 1000


class Batch:
    """A Whoosh writer that commits every ``size`` documents, or ``_WRITER_CHUNKS``
    chunks or ``_WRITER_CHARS`` characters a writer process.

    Each document gets its language (its own, else ``language``, else detected) here.
    """

    def __init__(
        self,
        ix: windex.Index,
        max_chars: int,
        size: int,
        dry_run: bool,
        sources: tuple[str, ...],
        procs: int | None = None,
        language: str = AUTO,
    ) -> None:
        self.ix = ix
        self.language = language
        self.sources = sources
        # The roots relative paths start from (see _folders.py), as real paths.
        self._roots = [os.path.realpath(s) for s in sources]
        # Writer processes (Linux only): a shard's one, or two for a large batch.
        self.procs = (procs or _WRITER_PROCS) if size >= _PARALLEL_BATCH else 1
        self.max_chars = max_chars
        self.size = size
        self.dry_run = dry_run
        self._writer: IndexWriter | None = None
        self._pending = 0
        self._chunks = 0
        self._chars = 0
        self._written: set[str] = set()  # document ids added since the last commit

    def _w(self) -> IndexWriter:
        if self._writer is None:
            folder = getattr(self.ix.storage, "folder", None)
            lock = str(Path(folder).parent / LOCK_NAME) if folder else None
            self._writer = _writers.writer(
                self.ix,
                procs=self.procs,
                limitmb=_WRITER_LIMIT_MB,
                lock_path=lock,
                sources=self.sources,
            )
        return self._writer

    def delete(self, *doc_ids: str) -> None:
        self.write((), replaces=doc_ids)

    def write(
        self,
        docs: Sequence[Document],
        size: int = 0,
        mtime_ns: int = 0,
        replaces: Iterable[str] = (),
        inode: int = 0,
    ) -> int:
        """Delete the ``replaces`` ids and add ``docs`` (one file's worth) in one commit.

        A batch boundary never falls between a file's old chunks going and its new ones
        arriving, so a crash can never leave a document half-replaced or missing.
        Returns the number of chunks written.
        """
        docs = [with_language(doc, self.language) for doc in docs]
        chunked = [(doc, list(chunk_document(doc, self.max_chars))) for doc in docs]
        total = sum(len(chunks) for _, chunks in chunked)
        if self.dry_run:
            return total
        touched = set(replaces) | {doc.id for doc in docs}
        if touched & self._written:
            # Whoosh's delete_by_term does not see documents added since the last commit.
            self.commit()
        self._written |= {doc.id for doc in docs}
        w = self._w()
        for doc_id in replaces:
            w.delete_by_term("doc_id", doc_id)
        for doc, chunks in chunked:
            held = len(docs) if size else None
            head = manifest_fields(doc, len(chunks), size, mtime_ns, held, inode)
            where = document_fields(doc.path, doc.format, self._roots)
            for fields in chunk_rows(chunks, head, where):
                w.add_document(**fields)
        self._chunks += total
        self._chars += sum(len(c.text) for _, chunks in chunked for c in chunks)
        self._tick()
        return total

    def _tick(self) -> None:
        self._pending += 1
        if (
            self._pending >= self.size
            or self._chunks >= _WRITER_CHUNKS * self.procs
            or self._chars >= _WRITER_CHARS * self.procs
        ):
            self.commit()

    def commit(self, force: bool = False) -> None:
        """Commit what is pending; with ``force``, commit even nothing (to record the
        sources)."""
        if force and self._writer is None and not self.dry_run:
            self._w()
        if self._writer is not None:
            self._writer.commit(mergetype=_merge.merge_policy)
            self._writer = None
        self._pending = 0
        self._chunks = 0
        self._chars = 0
        self._written.clear()

    def optimize(self) -> None:
        """Commit what is pending, then merge every segment into one (see
        ``_merge.merge_all``) in a commit of its own."""
        self.commit()
        self._w().commit(mergetype=_merge.merge_all)
        self._writer = None

    def cancel(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            self._writer = None
        self._written.clear()


@contextmanager
def locked_batch(
    root: Path,
    lock_timeout: float,
    current: Callable[[], tuple[windex.Index, Settings, tuple[str, ...]]],
    size: int,
    new_sources: Sequence[str],
    procs: int | None,
    language: str,
    before: Callable[[tuple[str, ...]], None] | None = None,
) -> Iterator[Batch]:
    """A batch writing ``root`` under its write lock; its commits record the index's
    sources with ``new_sources`` added.

    ``current`` gives the Whoosh index, settings and recorded sources as they are once
    the lock is held: another process may have rebuilt the index while we waited.
    ``before`` is told the sources the commits will record, under the lock, before any.
    """
    with WriteLock(root, lock_timeout):
        ix, settings, recorded = current()
        drop_unused_data_dirs(root, settings)
        clean_root(root)
        folder = root / settings.data
        segments = _whoosh.toc_segments(ix)
        _commits.remove_leftovers(folder, _commits.leftovers(folder, segments))
        sources = tuple(dict.fromkeys([*recorded, *new_sources]))
        if before is not None:
            before(sources)
        batch = Batch(ix, settings.max_chars, size, False, sources, procs, language)
        try:
            yield batch
        except BaseException:
            batch.cancel()
            raise
        batch.commit(force=sources != recorded)
