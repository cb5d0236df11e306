"""The :class:`Index`: one directory that holds a Whoosh index and owns every write to it.

Layout of an index directory::

    my-index/
      searchkit.json     settings: schema version, analyzer, chunk size, current data folder
      write.lock         the writers' lock (see _lock.py); empty when no one writes
      whoosh-<n>/        the Whoosh index itself (segments and _MAIN_<gen>.toc files)

``searchkit.json`` is written last and replaced atomically, so a directory either is a
complete index or is not one.  Every write happens under the write lock and lands in
Whoosh commits, each atomic: a reader sees the state before or after a commit, never
part of one.  Each document's bookkeeping lives on its first chunk, in the same commit
as its text, so the manifest and the searchable text cannot disagree.

This module is the facade: opening (``Index.open`` returns an ``Index`` or a
:class:`~searchkit.ShardedIndex`, as ``searchkit.json``'s format says: ``_open.py``) and
the read API.  The write API is ``_write.py`` (through ``_batch.py`` and ``_sync.py``),
creating and rebuilding ``_rebuild.py``, checking ``check.py``, the sharded index
``_sharded.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

from whoosh.searching import Searcher

from ._access import translated
from ._args import check_text
from ._base import (
    DEFAULT_LOCK_TIMEOUT,
    IndexFolder,
    ShardRole,
    guarded,
    is_sharded,
    one_shard_error,
    open_whoosh,
)
from ._batch import DEFAULT_BATCH_SIZE
from ._build import BuildOptions
from ._commits import is_latest
from ._open import Opens
from ._reads import Reads
from ._rebuild import rebuild_plain, rebuild_sharded
from ._settings import SETTINGS_NAME, Settings, read_settings
from ._sharded import ShardedIndex
from ._stats import plain_stats
from ._stored import chunk_from_stored, document_from_stored, info_from_stored
from ._types import MAX_LIMIT, Client, Confirm, Progress, SearchRequest, SimilarRequest, check_whole
from ._write import Writes
from .errors import NotFoundError
from .explore import complete
from .models import (
    Chunk,
    Completion,
    Document,
    DocumentInfo,
    IndexReport,
    IndexStats,
    Passage,
    Results,
)
from .scoring import default_weighting
from .search import neighbours, run_search

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "Confirm",
    "Index",
    "Progress",
    "ShardedIndex",
    "is_sharded",
    "rebuild_index",
]


class Index(Reads, Writes, Opens):
    """A searchkit index on disk: add files to it, search it, read chunks back.

    Open one with :meth:`create` or :meth:`open`.  An ``Index`` keeps one Whoosh searcher
    and refreshes it when the index changes, so reusing one ``Index`` for many searches
    is cheap.  Use it as a context manager, or call :meth:`close`, to release files.
    """

    def __init__(
        self, path: Path, settings: Settings, lock_timeout: float, role: ShardRole | None = None
    ) -> None:
        IndexFolder.__init__(self, path, lock_timeout)
        self._settings = settings
        # The folder as text: a search joins names to it (a Path join costs 2 us).
        self._root = os.fspath(path)
        self._settings_mtime = self._settings_file().stat().st_mtime_ns
        self._ix = open_whoosh(path, settings.data)
        self._searcher: Searcher | None = None
        # A shard's place in its sharded index: the files it owns, its one writer, and
        # the whole index's language and field maps.  None: a whole index.
        self._role = role

    # -- opening (``_open.py`` picks the kind of index a folder holds) ---------------

    @classmethod
    def _open_part(cls, path: Path, role: ShardRole | None) -> Index:
        """The ordinary index at ``path`` (a shard, with its ``role``): how a sharded index,
        or a search over several, opens its parts."""
        with translated(path):
            return cls(path, read_settings(path), DEFAULT_LOCK_TIMEOUT, role)

    def _settings_file(self) -> Path:
        return self.path / SETTINGS_NAME

    def close(self) -> None:
        """Release the searcher and its open files.  The index stays usable after."""
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None

    def __repr__(self) -> str:
        return f"Index({str(self.path)!r})"

    def _chosen(self) -> Settings:
        return self._settings

    # -- reading ---------------------------------------------------------------------

    def _reader(self) -> Searcher:
        """The current searcher, refreshed if another writer (or a rebuild) changed the index."""
        try:  # one stat, where exists() and stat() took two
            mtime = os.stat(f"{self._root}/{SETTINGS_NAME}").st_mtime_ns
        except (FileNotFoundError, NotADirectoryError):
            mtime = 0
        if mtime != self._settings_mtime:
            self.close()
            self._settings = read_settings(self.path)
            self._settings_mtime = mtime
            self._ix = open_whoosh(self.path, self._settings.data)
        if self._searcher is not None and not is_latest(
            f"{self._root}/{self._settings.data}", self._searcher.reader().generation()
        ):
            self.close()
        if self._searcher is None:
            self._searcher = self._ix.searcher(weighting=default_weighting())
        return self._searcher

    @guarded
    def _run_search(
        self, wanted: SearchRequest, client: Client | None, cluster_timeout: float | None
    ) -> Results:
        if client is not None:
            raise one_shard_error(self.path, "search")
        return run_search(self._reader(), wanted, synonyms=self.synonyms)

    @guarded
    def _roots(self) -> tuple[str, ...]:
        """The folders and files the index was built from (what ``under=`` is inside)."""
        self._reader()
        return self._settings.roots or self._settings.sources

    @guarded
    def _run_similar(self, wanted: SimilarRequest) -> Results:
        try:
            return run_search(self._reader(), wanted)
        except NotFoundError:
            raise NotFoundError(
                f"no chunk or document {wanted.chunk_or_doc_id!r} in index {self.path}"
            ) from None

    @guarded
    def complete(self, text: str, limit: int = 10) -> list[Completion]:
        """Completions of the last word of ``text`` from the index's own words, most
        common first: for a search box (``"prisoner exch"`` -> ``"prisoner exchange"``).

        See :func:`searchkit.explore.complete` for how words are found.
        """
        check_text("text", text)
        check_whole("limit", limit, 1, MAX_LIMIT)
        return complete(self._reader(), text, limit)

    @guarded
    def chunk(self, chunk_id: str) -> Chunk:
        """The chunk with this id; :class:`NotFoundError` if there is none."""
        check_text("chunk_id", chunk_id)
        doc_id, colon, place = chunk_id.rpartition(":")  # "doc:paragraph" or "...:paragraph.part"
        number = place.partition(".")[0]
        if colon and number.isdigit() and number.isascii() and int(number) < 2**32:
            found = self._reader().documents(doc_id=doc_id, paragraph=int(number))
            for stored in found:
                if stored["chunk_id"] == chunk_id:
                    return chunk_from_stored(stored)
        raise NotFoundError(f"no chunk {chunk_id!r} in index {self.path}")

    @guarded
    def passage(self, chunk_id: str, context: int = 1) -> Passage:
        """The chunk ``chunk_id`` with ``context`` chunks on each side, from its document."""
        check_whole("context", context, 0)
        c = self.chunk(chunk_id)
        before, after = neighbours(self._reader(), c.doc_id, c.paragraph, c.seq, context)
        return Passage(c, tuple(before), tuple(after))

    @guarded
    def document(self, doc_id: str) -> Document:
        """The indexed document with this id, paragraphs and metadata, rebuilt from its chunks."""
        check_text("doc_id", doc_id)
        stored = sorted(self._reader().documents(doc_id=doc_id), key=lambda s: s.get("seq", 1))
        if not stored:
            raise NotFoundError(f"no document {doc_id!r} in index {self.path}")
        return document_from_stored(stored)

    @guarded
    def documents(self) -> list[DocumentInfo]:
        """Every indexed document's metadata, ordered by path."""
        infos = [info_from_stored(s) for s in self._reader().documents(first="1")]
        return sorted(infos, key=lambda d: (d.path, d.id))

    @guarded
    def __len__(self) -> int:
        """The number of chunks (searchable paragraphs) in the index."""
        return int(self._reader().doc_count())

    @guarded
    def stats(self) -> IndexStats:
        """Counts, size on disk, fields and versions of this index."""
        return plain_stats(self.path, self._settings, self._ix, self._reader())


def rebuild_index(
    path: str | os.PathLike[str],
    *paths: str | os.PathLike[str],
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    follow_links: bool = False,
    confirm: Confirm = False,
) -> IndexReport:
    """Build the index at ``path`` afresh from ``paths`` (default: its recorded sources).

    Works on any index, ordinary or sharded: a current one, one written by another schema
    or analyzer version, a damaged one, or none yet.  The new data is built beside the old
    and switched in atomically when complete; until then searches see the old index, and
    a failure leaves it as it was.

    Without ``paths``, the sources come from the index's own record, which a damaged or
    crafted index may get wrong; so they are read only when

    - each lies inside the roots the index was built from (the paths its adds and its
      last rebuild from named paths were given) and none is a filesystem root (``/``);
      otherwise :class:`RebuildRefusedError`, and naming the paths is the way to read them;
    - and ``confirm`` is ``True``, or a function that, given the sources, returns
      ``True`` (the command line asks, or takes ``--yes``).  Otherwise
      :class:`RebuildRefusedError` naming them, and nothing is changed.
    """
    root = Path(path)
    options = BuildOptions(batch_size, progress=progress, follow_links=follow_links)
    with translated(root):
        if is_sharded(root):
            return rebuild_sharded(
                root, paths, options, lock_timeout, confirm, open_part=Index._open_part
            )
        return rebuild_plain(root, paths, options, lock_timeout, confirm)
