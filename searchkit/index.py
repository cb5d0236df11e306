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
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import attrs
import whoosh.index as windex
from whoosh import query as wquery
from whoosh.filedb.filestore import FileStorage
from whoosh.searching import Searcher
from whoosh.writing import IndexWriter

from . import _commits, _merge, _writers
from ._access import access_error, translated
from ._damage import DAMAGE, damage_guard
from ._limits import Deadline, QueryLimits, bound_query, check_text
from ._lock import LOCK_NAME, WriteLock
from ._settings import (
    _MAX_SETTINGS_BYTES,
    SETTINGS_NAME,
    SYNONYMS_NAME,
    ReadingSettings,
    Settings,
    check_can_create,
    check_synonyms,
    clean_root,
    drop_unused_data_dirs,
    new_data_dir,
    now,
    read_settings,
    root_leftovers,
    settings_for_rebuild,
    store_synonyms,
    swap_settings,
)
from ._unpickle import DamagedPickleError
from .analysis import ANALYZER_ID
from .analysis.detect import AUTO, normalize_language, with_language
from .analysis.synonyms import Synonyms, load_synonyms
from .chunking import DEFAULT_MAX_CHARS, MAX_CHUNK_CHARS, chunk_document
from .errors import (
    DocumentError,
    IndexDamagedError,
    IndexExistsError,
    IndexIncompatibleError,
    IndexLockedError,
    IndexNotFoundError,
    NotFoundError,
    RebuildRefusedError,
    SearchkitError,
    SearchkitIndexError,
    SettingsError,
)
from .explore import DEFAULT_FACET_LIMIT, Interval, annotate, complete, similar_query
from .loaders import check_field_map, display_path, iter_files, load_file
from .models import (
    CheckReport,
    Chunk,
    Completion,
    Document,
    DocumentInfo,
    IndexReport,
    IndexStats,
    Passage,
    Results,
    Skipped,
)
from .query import Operator, build_filter, language_fields, parse_query
from .schema import (
    SCHEMA_VERSION,
    build_schema,
    chunk_from_stored,
    chunk_to_fields,
    document_from_stored,
    info_from_stored,
    manifest_fields,
)
from .scoring import default_weighting
from .search import MAX_LIMIT, Sort, check_whole, neighbours, run_search
from .typos import expand_fuzzy

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "Confirm",
    "Index",
    "Progress",
    "check_index",
    "is_sharded",
    "rebuild_index",
    "register_sharded",
]

DEFAULT_BATCH_SIZE = 5000
DEFAULT_LOCK_TIMEOUT = 30.0
# Per writer process: the in-memory posting table spills to disk beyond this estimate.
# The estimate runs about twice the real size: a process writing a 28,000-paragraph
# segment of Reuters peaked at 128 MiB.  A spilled segment is written through Whoosh's
# pool, four to seven times slower and a third larger on disk, so a batch's share of
# _BATCH_CHUNKS should fit.
_WRITER_LIMIT_MB = 256
# A batch also commits after this many chunks, so long documents keep batches bounded.
_BATCH_CHUNKS = 50_000
# Writer processes for batches of at least _PARALLEL_BATCH documents (Linux only).
_WRITER_PROCS = min(2, os.cpu_count() or 1)
_PARALLEL_BATCH = 1000

_T = TypeVar("_T")
_P = ParamSpec("_P")

# progress(done, total, path): called once per file as an add or sync goes.
Progress = Callable[[int, int, str], None]
# A rebuild from the sources an index recorded reads them only when confirmed: True, or
# a function given the sources (absolute paths) that answers whether to read them.
Confirm = bool | Callable[[tuple[str, ...]], bool]


def _guarded(method: Callable[Concatenate[Index, _P], _T]) -> Callable[Concatenate[Index, _P], _T]:
    """``method``, with an ``OSError`` from the index folder raised as an IndexAccessError,
    and damage it meets in the index's files as an IndexDamagedError."""

    @functools.wraps(method)
    def guarded(self: Index, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        with translated(self.path), damage_guard(self.path):
            return method(self, *args, **kwargs)

    return guarded


class Index:
    """A searchkit index on disk: add files to it, search it, read chunks back.

    Open one with :meth:`create` or :meth:`open`.  An ``Index`` keeps one Whoosh searcher
    and refreshes it when the index changes, so reusing one ``Index`` for many searches
    is cheap.  Use it as a context manager, or call :meth:`close`, to release files.
    """

    def __init__(self, path: Path, settings: Settings, lock_timeout: float) -> None:
        self.path = path
        self.lock_timeout = lock_timeout
        self._settings = settings
        self._settings_mtime = self._settings_file().stat().st_mtime_ns
        self._ix = self._open_whoosh()
        self._searcher: Searcher | None = None
        # Set by shards.py on a shard: the files that belong to it, and one writer process.
        self._owns: Callable[[Path], bool] | None = None
        self._writer_procs: int | None = None  # None: _WRITER_PROCS
        # Set by shards.py on a shard: the sharded index's language and field maps, which
        # it keeps once for the whole (the shard's own searchkit.json holds the defaults).
        self._whole_reading: ReadingSettings | None = None
        self._synonyms: tuple[int, Synonyms] | None = None

    # -- opening ---------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        max_chars: int = DEFAULT_MAX_CHARS,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        shards: int = 1,
        language: str = AUTO,
        synonyms: str | os.PathLike[str] | None = None,
    ) -> Index:
        """Create an empty index at ``path`` (a new or empty folder) and open it.

        An existing index there raises :class:`IndexExistsError` unless ``overwrite``, which
        replaces it atomically.  A folder holding other files is never touched.
        ``max_chars`` (200 to 100,000) bounds a chunk's length; longer paragraphs are
        split.  ``shards`` above 1 makes a sharded index (see ``shards.py``): one folder,
        that many indexes.
        ``language`` is the language of documents whose metadata names none: an ISO 639
        code, or ``"auto"`` to detect each one's.  ``synonyms`` names a synonyms file to
        apply to queries (see :meth:`set_synonyms`).  A sharded index keeps both once,
        for all its shards.
        """
        root = Path(path)
        code = language if language == AUTO else normalize_language(language)
        if code is None:
            raise SettingsError(
                f"language must be 'auto' or an ISO 639 code such as 'de', not {language!r}"
            )
        rules = load_synonyms(synonyms) if synonyms is not None else None
        if type(shards) is not int or shards != 1:  # checked there
            made: Index = _sharded_hook(root, "create")(
                root,
                shards,
                overwrite=overwrite,
                max_chars=max_chars,
                lock_timeout=lock_timeout,
                language=code,
                synonyms=rules,
            )
            return made
        if max_chars < 200:
            raise SearchkitIndexError(root, f"max_chars must be at least 200, not {max_chars}")
        if max_chars > MAX_CHUNK_CHARS:
            raise SearchkitIndexError(
                root, f"max_chars must be at most {MAX_CHUNK_CHARS}, not {max_chars}"
            )
        with translated(root):
            return cls._create(root, overwrite, max_chars, lock_timeout, code, rules)

    @classmethod
    def _create(
        cls,
        root: Path,
        overwrite: bool,
        max_chars: int,
        lock_timeout: float,
        code: str = AUTO,
        rules: Synonyms | None = None,
    ) -> Index:
        check_can_create(root, overwrite)
        root.mkdir(parents=True, exist_ok=True)
        with WriteLock(root, lock_timeout):
            # Again under the lock: another process may have created it while we waited.
            check_can_create(root, overwrite)
            clean_root(root)
            if not Index.exists(root):  # data folders of a create that was interrupted
                drop_unused_data_dirs(root, None)
            # Replacing an index keeps its id, so that its data folders go too.
            index_id = settings_for_rebuild(root).id
            data = new_data_dir(root, index_id)
            windex.create_in(str(root / data), build_schema())
            settings = Settings(
                data=data, max_chars=max_chars, created=now(), id=index_id, language=code
            )
            store_synonyms(root, rules)
            swap_settings(root, settings)
            drop_unused_data_dirs(root, settings)
        return cls(root, settings, lock_timeout)

    @classmethod
    def open(
        cls, path: str | os.PathLike[str], *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    ) -> Index:
        """Open the existing index at ``path``.

        Raises :class:`IndexNotFoundError` when there is none, and
        :class:`IndexIncompatibleError` when it was written with other settings.
        """
        root = Path(path)
        if is_sharded(root):
            opened: Index = _sharded_hook(root, "open")(root, lock_timeout=lock_timeout)
            return opened
        with translated(root):
            return cls(root, read_settings(root), lock_timeout)

    @classmethod
    def open_or_create(
        cls,
        path: str | os.PathLike[str],
        *,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        language: str = AUTO,
    ) -> Index:
        """Open the index at ``path``, first creating an empty one if there is none
        (``language`` as in :meth:`create`).  A ``language`` other than ``"auto"`` that is
        not the existing index's raises :class:`SettingsError`: it is chosen at creation."""
        try:
            ix = cls.open(path, lock_timeout=lock_timeout)
        except IndexNotFoundError:
            try:
                return cls.create(path, lock_timeout=lock_timeout, language=language)
            except IndexExistsError:  # another process created it in the meantime
                ix = cls.open(path, lock_timeout=lock_timeout)
        return check_language(ix, language)

    @classmethod
    def exists(cls, path: str | os.PathLike[str]) -> bool:
        """Whether ``path`` holds a searchkit index (of any version)."""
        return (Path(path) / SETTINGS_NAME).is_file()

    def _settings_file(self) -> Path:
        return self.path / SETTINGS_NAME

    def _open_whoosh(self) -> windex.Index:
        data = self.path / self._settings.data
        try:
            with damage_guard(self.path):
                # Plain reads, not memory maps: Whoosh copies each file inside a mapped
                # segment into memory (a BytesIO of it), so a search would hold all the
                # postings of the segments it opens (900 MB for one 60 MB document);
                # read this way, memory holds what a search reads.
                storage = FileStorage(str(data), supports_mmap=False)
                return storage.open_index(schema=build_schema())
        except PermissionError as exc:
            raise access_error(self.path, exc) from None
        except (windex.EmptyIndexError, OSError) as exc:
            _raise_if_unreadable(self.path, data)
            raise IndexIncompatibleError(
                self.path,
                f"index {self.path} is damaged ({exc}); rebuild it with "
                "`searchkit index PATH --rebuild`",
            ) from None

    def close(self) -> None:
        """Release the searcher and its open files.  The index stays usable after."""
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Index({str(self.path)!r})"

    @property
    def max_chars(self) -> int:
        """The longest a chunk may be, in characters."""
        return self._settings.max_chars

    @property
    def language(self) -> str:
        """The language of documents whose metadata names none (an ISO 639 code), or
        ``"auto"``: detect each one's.  Chosen when the index is created."""
        return self._reading().language

    # -- reading ---------------------------------------------------------------------

    def _reader(self) -> Searcher:
        """The current searcher, refreshed if another writer (or a rebuild) changed the index."""
        mtime = self._settings_file().stat().st_mtime_ns if self._settings_file().exists() else 0
        if mtime != self._settings_mtime:
            self.close()
            self._settings = read_settings(self.path)
            self._settings_mtime = mtime
            self._ix = self._open_whoosh()
        if self._searcher is not None and not self._searcher.up_to_date():
            self.close()
        if self._searcher is None:
            self._searcher = self._ix.searcher(weighting=default_weighting())
        return self._searcher

    @_guarded
    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        page: int = 1,
        author: str | Sequence[str] | None = None,
        since: str | int | dt.date | None = None,
        until: str | int | dt.date | None = None,
        source: str | Sequence[str] | None = None,
        doc_id: str | Sequence[str] | None = None,
        sort: Sort = "relevance",
        group: bool = False,
        group_size: int = 3,
        context: int = 0,
        operator: Operator = "or",
        limits: QueryLimits | None = None,
        timeout: float | None = None,
        facets: Sequence[str] = (),
        facet_limit: int = DEFAULT_FACET_LIMIT,
        histogram: Interval | None = None,
        explain: bool = False,
        highlight: bool = True,
    ) -> Results:
        """Search the paragraphs; ``query`` is in searchkit's syntax (docs/query-syntax.md).

        ``author``/``source``/``doc_id`` keep only exact matches (any of a sequence; a
        document with several authors matches any one of them);
        ``since``/``until`` take ``2025``, ``2025-06``, ``2025-06-14``, a date-time, or a
        date relative to the local date (``today``, ``7d``, ``30 days ago``, ``last month``)
        and include the whole period named.  ``sort`` is ``relevance``, ``date`` (newest
        first) or ``oldest``.  ``group`` returns each document once, at the rank of its
        best paragraph, with up to ``group_size - 1`` further paragraphs in ``hit.more``.
        ``context`` adds that many neighbouring chunks on each side of every hit.
        ``operator="and"`` requires every word.  ``limits`` bound what one query may
        cost (default :meth:`QueryLimits.from_env`; a query over a limit raises
        :class:`QueryLimitError`); ``timeout`` (seconds) returns what was found when the
        time runs out, with ``results.timed_out`` set (and then no facets or histogram).

        Looking closer (see ``explore.py``; each costs a pass over the matches, so only
        when asked for):

        :param facets: names from ``author``, ``source``, ``year``, ``month``; fills
            ``results.facets`` with ``{value: articles}`` counted over all matches after
            filters, not just this page.  A document counts once per value, and once
            under each of its authors.
        :param facet_limit: the most values kept per facet (most articles first, then
            by name).
        :param histogram: ``day``, ``week``, ``month`` or ``year``; fills
            ``results.histogram`` with the matches per period, from the first dated match
            to the last.
        :param explain: give every hit its ``explanation``: each matched term's share of
            its score, adding up to it.
        :param highlight: ``False`` leaves every hit's ``highlights``, ``spans`` and
            ``title_spans`` empty (its snippet then marks nothing): for a caller that reads
            ids, scores or text only, a page then costs little more than reading its
            records.
        """
        flt = build_filter(author=author, since=since, until=until, source=source, doc_id=doc_id)
        searcher = self._reader()
        looking = bool(facets) or histogram is not None or explain
        q = None
        if looking:  # parsed here, so that the facets count what the search ran
            bounds = QueryLimits.from_env() if limits is None else limits
            check_text(query, bounds)
            fields = language_fields(searcher.reader())
            parsed = parse_query(query, searcher.schema, operator, fields, self.synonyms)
            bounded = bound_query(parsed, searcher, bounds, Deadline(None), query)
            # Fuzzy terms become the words they stand for, so that explanations add up.
            q = expand_fuzzy(bounded, searcher)
        results = run_search(
            searcher,
            query,
            limit=limit,
            page=page,
            operator=operator,
            filter=flt,
            sort=sort,
            group=group,
            group_size=group_size,
            context=context,
            synonyms=self.synonyms,
            limits=limits,
            timeout=timeout,
            parsed=q,
            highlight=highlight,
        )
        if q is None:
            return results
        shown = attrs.evolve(results, query=str(bounded))
        return annotate(
            searcher,
            shown,
            q,
            flt,
            facets=facets,
            facet_limit=facet_limit,
            histogram=histogram,
            explain=explain,
        )

    @_guarded
    def similar(
        self,
        chunk_or_doc_id: str,
        *,
        limit: int = 10,
        page: int = 1,
        author: str | Sequence[str] | None = None,
        since: str | int | dt.date | None = None,
        until: str | int | dt.date | None = None,
        source: str | Sequence[str] | None = None,
        doc_id: str | Sequence[str] | None = None,
        sort: Sort = "relevance",
        group: bool = False,
        group_size: int = 3,
        context: int = 0,
        facets: Sequence[str] = (),
        facet_limit: int = DEFAULT_FACET_LIMIT,
        histogram: Interval | None = None,
        explain: bool = False,
        document: bool = False,
    ) -> Results:
        """The paragraphs most like ``chunk_or_doc_id`` (a chunk id, or a document id for
        a whole article), never the source itself; with ``group``, the articles most
        like it.  ``document`` takes the whole document of a chunk id as the source.

        A document id leaves out that whole document; a chunk id leaves out its
        paragraph, but the document's other paragraphs may be found.  The "more like
        this" query is built from the source's most telling words (see
        :func:`searchkit.explore.similar_query`) and shown in ``results.query``.  The
        other arguments, and the :class:`Results`, are those of :meth:`search`.
        :class:`NotFoundError` when no chunk or document has the id.
        """
        flt = build_filter(author=author, since=since, until=until, source=source, doc_id=doc_id)
        searcher = self._reader()
        try:
            q = similar_query(searcher, chunk_or_doc_id, document)
        except NotFoundError:
            raise NotFoundError(
                f"no chunk or document {chunk_or_doc_id!r} in index {self.path}"
            ) from None
        results = run_search(
            searcher,
            q,
            limit=limit,
            page=page,
            filter=flt,
            sort=sort,
            group=group,
            group_size=group_size,
            context=context,
        )
        return annotate(
            searcher,
            results,
            q,
            flt,
            facets=facets,
            facet_limit=facet_limit,
            histogram=histogram,
            explain=explain,
        )

    @_guarded
    def complete(self, text: str, limit: int = 10) -> list[Completion]:
        """Completions of the last word of ``text`` from the index's own words, most
        common first: for a search box (``"prisoner exch"`` -> ``"prisoner exchange"``).

        See :func:`searchkit.explore.complete` for how words are found.
        """
        check_whole("limit", limit, 1, MAX_LIMIT)
        return complete(self._reader(), text, limit)

    @_guarded
    def chunk(self, chunk_id: str) -> Chunk:
        """The chunk with this id; :class:`NotFoundError` if there is none."""
        doc_id, colon, place = chunk_id.rpartition(":")  # "doc:paragraph" or "...:paragraph.part"
        number = place.partition(".")[0]
        if colon and number.isdigit() and number.isascii() and int(number) < 2**32:
            found = self._reader().documents(doc_id=doc_id, paragraph=int(number))
            for stored in found:
                if stored["chunk_id"] == chunk_id:
                    return chunk_from_stored(stored)
        raise NotFoundError(f"no chunk {chunk_id!r} in index {self.path}")

    @_guarded
    def passage(self, chunk_id: str, context: int = 1) -> Passage:
        """The chunk ``chunk_id`` with ``context`` chunks on each side, from its document."""
        check_whole("context", context, 0)
        c = self.chunk(chunk_id)
        before, after = neighbours(self._reader(), c.doc_id, c.paragraph, c.seq, context)
        return Passage(c, tuple(before), tuple(after))

    @_guarded
    def document(self, doc_id: str) -> Document:
        """The indexed document with this id, paragraphs and metadata, rebuilt from its chunks."""
        stored = sorted(self._reader().documents(doc_id=doc_id), key=lambda s: s.get("seq", 1))
        if not stored:
            raise NotFoundError(f"no document {doc_id!r} in index {self.path}")
        return document_from_stored(stored)

    @_guarded
    def documents(self) -> list[DocumentInfo]:
        """Every indexed document's metadata, ordered by path."""
        infos = [info_from_stored(s) for s in self._reader().documents(first="1")]
        return sorted(infos, key=lambda d: (d.path, d.id))

    @_guarded
    def __len__(self) -> int:
        """The number of chunks (searchable paragraphs) in the index."""
        return int(self._reader().doc_count())

    @_guarded
    def stats(self) -> IndexStats:
        """Counts, size on disk, fields and versions of this index."""
        searcher = self._reader()
        data = self.path / self._settings.data
        files = [p for p in data.iterdir() if p.is_file()]
        tocs = [p.stat().st_mtime for p in files if p.name.endswith(".toc")]
        return IndexStats(
            path=str(self.path),
            documents=sum(1 for _ in searcher.document_numbers(first="1")),
            chunks=searcher.doc_count(),
            size_bytes=sum(p.stat().st_size for p in files),
            segments=len(self._ix._segments()),
            fields=tuple(sorted(searcher.schema.names())),
            last_updated=dt.datetime.fromtimestamp(max(tocs)).astimezone() if tocs else None,
            schema_version=self._settings.schema_version,
            analyzer=self._settings.analyzer,
            whoosh=_whoosh_distribution(),
            languages=_languages(searcher),
        )

    # -- writing ---------------------------------------------------------------------

    @_guarded
    def add(
        self,
        *paths: str | os.PathLike[str],
        batch_size: int = DEFAULT_BATCH_SIZE,
        dry_run: bool = False,
        progress: Progress | None = None,
        follow_links: bool = False,
        field_map: Mapping[str, str] | None = None,
    ) -> IndexReport:
        """Index files and folders, touching only what changed since the last time.

        New files are added, files whose content changed are re-indexed, unchanged files
        are left alone, files gone from an indexed folder are removed, and a file moved
        to a new path with the same content keeps its document id (a rename).  Work is
        committed every ``batch_size`` documents, so an interrupted run keeps what it
        finished and the next run resumes.  ``dry_run`` counts without writing.

        A path that does not exist raises :class:`DocumentError` before anything changes
        (a mistyped or unmounted folder must not empty the index).  Symbolic links in
        folders are followed only when they stay inside ``paths``; ``follow_links``
        follows them all.  The paths are recorded as the index's sources in the same
        commits as their documents.  ``field_map`` (``{"title": "headline", "text":
        "body"}``) names the keys the JSON and JSONL records under ``paths`` hold each field
        in; it is kept with the index and used again for those paths by later adds and
        rebuilds.
        """
        if not paths:
            raise SearchkitIndexError(self.path, "add() needs at least one file or folder")
        _require_existing(paths)
        maps = dict(self._reading().field_maps)
        if field_map is not None:
            checked = check_field_map(field_map)
            maps.update((str(Path(p).absolute()), checked) for p in paths)
            if not dry_run and maps != self._settings.field_maps:
                self._keep_field_maps(maps)
        new_sources = [str(Path(p).absolute()) for p in paths]
        with self._writing(batch_size, dry_run, new_sources) as batch:
            stored = list(self._reader().documents(first="1"))
            held = {s["path"]: s.get("file_documents") for s in stored if "path" in s}
            manifest = sorted(map(info_from_stored, stored), key=lambda d: (d.path, d.id))
            report = _Sync(batch, manifest, held, self._owns, maps).run(
                paths, progress, follow_links
            )
        return report

    def watch(self, *paths: str | os.PathLike[str], **options: Any) -> None:
        """Keep the index in sync with ``paths`` as files change, until stopped: see
        :func:`searchkit.watch.watch` for the options (``stop``, ``on_batch``, ...)."""
        from .watch import watch

        watch(self, *paths, **options)

    @_guarded
    def rebuild(
        self,
        *paths: str | os.PathLike[str],
        batch_size: int = DEFAULT_BATCH_SIZE,
        progress: Progress | None = None,
        follow_links: bool = False,
        confirm: Confirm = False,
    ) -> IndexReport:
        """Index ``paths`` (default: every path ever added) into a new index, then swap it in.

        The new index is built in a folder of its own beside the current one; only when it
        is complete does ``searchkit.json`` switch to it, in one atomic rename.  Searches
        meanwhile see the old index, and a rebuild that fails or is interrupted leaves the
        old index as it was.  ``follow_links`` as for :meth:`add`.  Without ``paths``, the
        sources the index recorded are read only when ``confirm`` says so (see
        :func:`rebuild_index`).
        """
        self.close()
        report = rebuild_index(
            self.path,
            *paths,
            batch_size=batch_size,
            progress=progress,
            lock_timeout=self.lock_timeout,
            follow_links=follow_links,
            confirm=confirm,
        )
        self._reader()  # switch this handle to the new data
        return report

    @_guarded
    def add_documents(
        self, documents: Iterable[Document], *, batch_size: int = DEFAULT_BATCH_SIZE
    ) -> IndexReport:
        """Index already-loaded documents, replacing any with the same id.

        For documents that do not come from files searchkit reads (a test collection, a
        database export).  They carry no file bookkeeping, so sync leaves them alone.
        """
        added = updated = chunks = 0
        with self._writing(batch_size, False) as batch:
            known = {d.id for d in self.documents()}
            for doc in documents:
                replaces = (doc.id,) if doc.id in known else ()
                updated += bool(replaces)
                added += not replaces
                known.add(doc.id)
                chunks += batch.write([doc], replaces=replaces)
        return IndexReport(added=added, updated=updated, chunks=chunks)

    @_guarded
    def remove(self, *doc_ids: str) -> int:
        """Remove documents by id; returns how many were in the index."""
        with self._writing(DEFAULT_BATCH_SIZE, False) as batch:
            known = {d.id for d in self.documents()}
            present = [d for d in dict.fromkeys(doc_ids) if d in known]
            for d in present:
                batch.delete(d)
        return len(present)

    def _keep_field_maps(self, maps: dict[str, dict[str, str]]) -> None:
        """Record the field maps in the settings (under the write lock)."""
        with WriteLock(self.path, self.lock_timeout):
            current = read_settings(self.path)
            settings = attrs.evolve(current, field_maps={**current.field_maps, **maps})
            swap_settings(self.path, settings)
            self._settings = settings
            self._settings_mtime = self._settings_file().stat().st_mtime_ns

    def _keep_roots(self, sources: Sequence[str]) -> None:
        """Record ``sources`` among the roots in the settings (under the write lock),
        before the commit that records them as sources: so the roots always cover what
        the commit records name.  An index written before roots adopts its sources."""
        roots = self._settings.roots or self._settings.sources
        missing = [s for s in sources if not any(_within(s, r) for r in roots)]
        if not missing and roots == self._settings.roots:
            return
        settings = attrs.evolve(self._settings, roots=tuple(dict.fromkeys([*roots, *missing])))
        swap_settings(self.path, settings)
        self._settings = settings
        self._settings_mtime = self._settings_file().stat().st_mtime_ns

    def _reading(self) -> ReadingSettings:
        """The language and field maps documents are read with: a shard's are its
        sharded index's."""
        return self._whole_reading or self._settings.reading

    @property
    def synonyms(self) -> Synonyms | None:
        """The synonyms applied to this index's queries, or ``None``."""
        found = self.path / SYNONYMS_NAME
        try:
            mtime = found.stat().st_mtime_ns
        except FileNotFoundError:
            return None
        if self._synonyms is None or self._synonyms[0] != mtime:
            self._synonyms = (mtime, load_synonyms(found))
        return self._synonyms[1]

    def set_synonyms(self, path: str | os.PathLike[str] | None) -> Synonyms | None:
        """Apply the synonyms file at ``path`` (Solr ``synonyms.txt`` format) to this index's
        queries from now on, replacing any before; ``None`` removes them.

        The file is checked, then copied into the index folder, so the index keeps working
        if the original moves.  Synonyms act on queries only: nothing is re-indexed.
        """
        rules = load_synonyms(path) if path is not None else None
        with WriteLock(self.path, self.lock_timeout):
            store_synonyms(self.path, rules)
        return rules

    def sources(self) -> tuple[str, ...]:
        """The files and folders added so far, as absolute paths: what a rebuild reads."""
        with damage_guard(self.path):
            return _recorded_sources(self.path, self._settings, self._ix)

    @contextmanager
    def _writing(
        self, batch_size: int, dry_run: bool, new_sources: Sequence[str] = ()
    ) -> Iterator[_Batch]:
        """A batch under the write lock; its commits record ``new_sources`` as well."""
        if batch_size < 1:
            raise SearchkitIndexError(self.path, f"batch_size must be at least 1, not {batch_size}")
        if dry_run:  # reads only: works on a read-only folder, and beside a writer
            self._reader()
            yield _Batch(
                self._ix, self.max_chars, batch_size, dry_run, (), None, self._reading().language
            )
            return
        with WriteLock(self.path, self.lock_timeout):
            # Another process may have rebuilt the index while we waited for the lock.
            self._reader()
            drop_unused_data_dirs(self.path, self._settings)
            clean_root(self.path)
            folder = self.path / self._settings.data
            segments = self._ix._read_toc().segments
            _commits.remove_leftovers(folder, _commits.leftovers(folder, segments))
            current = self.sources()
            sources = tuple(dict.fromkeys([*current, *new_sources]))
            self._keep_roots(sources)
            batch = _Batch(
                self._ix,
                self.max_chars,
                batch_size,
                dry_run,
                sources,
                self._writer_procs,
                self._reading().language,
            )
            try:
                yield batch
            except BaseException:
                batch.cancel()
                raise
            batch.commit(force=sources != current)


class _Batch:
    """A Whoosh writer that commits every ``size`` documents or _BATCH_CHUNKS chunks.

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
        self.procs = procs
        self.max_chars = max_chars
        self.size = size
        self.dry_run = dry_run
        self._writer: IndexWriter | None = None
        self._pending = 0
        self._chunks = 0
        self._written: set[str] = set()  # document ids added since the last commit

    def _w(self) -> IndexWriter:
        if self._writer is None:
            procs = (self.procs or _WRITER_PROCS) if self.size >= _PARALLEL_BATCH else 1
            folder = getattr(self.ix.storage, "folder", None)
            lock = str(Path(folder).parent / LOCK_NAME) if folder else None
            self._writer = _writers.writer(
                self.ix,
                procs=procs,
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
            head = manifest_fields(doc, len(chunks), size, mtime_ns, len(docs) if size else None)
            for c in chunks:
                fields = chunk_to_fields(c)
                if c.seq == 1:
                    fields.update(head)
                w.add_document(**fields)
        self._chunks += total
        self._tick()
        return total

    def _tick(self) -> None:
        self._pending += 1
        if self._pending >= self.size or self._chunks >= _BATCH_CHUNKS:
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
        self._written.clear()

    def cancel(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            self._writer = None
        self._written.clear()


class _Sync:
    """One run of an add: compare files with the manifest and write the difference."""

    def __init__(
        self,
        batch: _Batch,
        manifest: Iterable[DocumentInfo],
        held: dict[str, int | None] | None = None,
        owns: Callable[[Path], bool] | None = None,
        field_maps: dict[str, dict[str, str]] | None = None,
    ) -> None:
        self.batch = batch
        # Longest source path first, so a file takes the map of its nearest source.
        self.field_maps = sorted((field_maps or {}).items(), key=lambda kv: -len(kv[0]))
        # Path -> how many documents the file held when it was read (None: not recorded).
        self.held = held or {}
        self.owns = owns  # a shard's: the files that belong to it (the rest are skipped)
        self.by_path: dict[str, list[DocumentInfo]] = {}
        self.by_hash: dict[str, list[DocumentInfo]] = {}
        for info in manifest:
            self.by_path.setdefault(info.path, []).append(info)
            self.by_hash.setdefault(info.content_hash, []).append(info)
        self.counts = {
            "added": 0,
            "updated": 0,
            "removed": 0,
            "unchanged": 0,
            "renamed": 0,
            "chunks": 0,
        }
        self.skipped: list[Skipped] = []
        self.seen: set[str] = set()

    def run(
        self,
        paths: Sequence[str | os.PathLike[str]],
        progress: Progress | None,
        follow_links: bool = False,
    ) -> IndexReport:
        roots = [Path(p).absolute() for p in paths]
        items = list(iter_files(paths, follow_links=follow_links))
        files = [i for i in items if isinstance(i, Path) and (not self.owns or self.owns(i))]
        self.skipped.extend(i for i in items if isinstance(i, Skipped))
        for done, path in enumerate(files, 1):
            self._file(path)
            if progress:
                progress(done, len(files), display_path(path))
        self._remove_missing(roots)
        return IndexReport(skipped=tuple(self.skipped), dry_run=self.batch.dry_run, **self.counts)

    def _file(self, path: Path) -> None:
        try:
            resolved = path.resolve()
            st = resolved.stat()
        except RuntimeError:  # Path.resolve() on a link that points at itself
            self.skipped.append(Skipped(display_path(path), "symbolic link loop"))
            return
        except OSError as exc:
            reason = exc.strerror or str(exc)
            self.skipped.append(Skipped(display_path(path), f"cannot read: {reason}"))
            return
        key = str(resolved)
        if key in self.seen:  # named twice, or reached through two paths
            return
        self.seen.add(key)
        old = self.by_path.get(key, [])
        held = self.held.get(key)
        whole = held is None or held == len(old)  # none of its documents was removed
        if (
            old
            and whole
            and all(o.size == st.st_size and o.mtime_ns == st.st_mtime_ns for o in old)
        ):
            self.counts["unchanged"] += len(old)
            return
        old_ids = [o.id for o in old]
        try:
            docs, skipped_records = load_file(resolved, self._field_map(path))
        except DocumentError as exc:
            self.skipped.append(Skipped(display_path(path), exc.reason))
            if old:  # it was text and is not any more: its old text must not linger
                self.batch.delete(*old_ids)
                self.counts["removed"] += len(old)
            return
        self.skipped.extend(attrs.evolve(s, path=display_path(path)) for s in skipped_records)
        if old and {o.content_hash for o in old} == {d.content_hash for d in docs}:
            # Same content, new timestamps (a touch, a checkout), or documents of it that
            # were removed from the index: rewrite it, so that the removed come back and
            # the next run sees it unchanged without reading the file again.
            back = max(0, len(docs) - len(old))
            self.counts["unchanged"] += len(docs) - back
            self.counts["added"] += back
            chunks = self.batch.write(docs, st.st_size, st.st_mtime_ns, old_ids)
            self.counts["chunks"] += chunks if back else 0
            return
        if old:
            kind = "updated"
        elif len(docs) == 1 and (moved := self._moved_from(docs[0].content_hash)):
            # The new path gives the document a new id (ids follow paths, so a new file at
            # the old path can never collide with it); it is counted as a rename.
            old_ids = [moved.id]
            self.by_path.pop(moved.path, None)
            kind = "renamed"
        else:
            kind = "added"
        self.counts[kind] += len(docs)
        self.counts["chunks"] += self.batch.write(docs, st.st_size, st.st_mtime_ns, old_ids)

    def _field_map(self, path: Path) -> dict[str, str] | None:
        where = str(path.absolute())
        for source, field_map in self.field_maps:
            if where == source or where.startswith(source.rstrip(os.sep) + os.sep):
                return field_map
        return None

    def _moved_from(self, content_hash: str) -> DocumentInfo | None:
        for info in self.by_hash.get(content_hash, []):
            path = info.path
            if (
                len(self.by_path.get(path, [])) == 1
                and path not in self.seen
                and not os.path.exists(path)
            ):
                return info
        return None

    def _remove_missing(self, roots: list[Path]) -> None:
        for path, infos in list(self.by_path.items()):
            # A file that is gone, or that a folder (or anything but a file) replaced.
            if path in self.seen or not infos[0].size or os.path.isfile(path):
                continue
            if any(_under(path, r) for r in roots):
                for info in infos:
                    self.batch.delete(info.id)
                    self.counts["removed"] += 1


def _rebuild(
    root: Path,
    settings: Settings,
    paths: Sequence[str | os.PathLike[str]],
    batch_size: int,
    progress: Progress | None,
    follow_links: bool = False,
) -> tuple[Settings, windex.Index, IndexReport]:
    """Build a new data folder from ``paths`` (or the recorded sources) and switch to it.

    The caller holds the write lock.  On any failure the new folder is deleted and the
    settings still point at the old one.
    """
    named = [str(Path(p).absolute()) for p in paths]
    sources = named or list(_old_sources(root, settings))
    if not sources:
        raise SearchkitIndexError(
            root, f"nothing to rebuild index {root} from: name files or folders"
        )
    drop_unused_data_dirs(root, settings)
    clean_root(root)
    data = new_data_dir(root, settings.id)
    try:
        new_ix = windex.create_in(str(root / data), build_schema())
        batch = _Batch(
            new_ix,
            settings.max_chars,
            batch_size,
            False,
            tuple(sources),
            language=settings.language,
        )
        try:
            report = _Sync(batch, [], field_maps=settings.field_maps).run(
                sources, progress, follow_links
            )
        except BaseException:
            batch.cancel()
            raise
        batch.commit(force=True)
    except BaseException:
        shutil.rmtree(root / data, ignore_errors=True)
        raise
    new_settings = attrs.evolve(
        settings,
        data=data,
        sources=(),  # recorded in the new data's commits
        roots=tuple(named) if named else settings.roots or settings.sources,
        schema_version=SCHEMA_VERSION,
        analyzer=ANALYZER_ID,
    )
    swap_settings(root, new_settings)
    return new_settings, new_ix, report


def _recorded_sources(root: Path, settings: Settings, ix: windex.Index) -> tuple[str, ...]:
    """The sources the current commit recorded (or, for an index written before commit
    records, the ones its settings list)."""
    folder = root / settings.data
    try:
        record = _commits.read(folder, ix.latest_generation())
    except ValueError as exc:
        raise IndexDamagedError(root, str(exc)) from None
    return settings.sources if record is None else tuple(record["sources"])


def _old_sources(root: Path, settings: Settings) -> tuple[str, ...]:
    """The sources to rebuild from when none are named: what the current data recorded,
    read leniently (this is how a damaged index is repaired)."""
    folder = root / settings.data
    if not settings.data or not folder.is_dir():
        return settings.sources
    try:
        record = _commits.read(folder, _commits.latest_generation(folder))
    except ValueError:
        record = None
    return settings.sources if record is None else tuple(record["sources"])


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

    Works on any index: a current one, one written by another schema or analyzer version,
    a damaged one, or none yet.  The new data is built beside the old and switched in
    atomically when complete; until then searches see the old index, and a failure
    leaves it as it was.

    Without ``paths``, the sources come from the index's own record, which a damaged or
    crafted index may get wrong; so they are read only when (see :func:`recorded_sources`)

    - each lies inside the roots the index was built from (the paths its adds and its
      last rebuild from named paths were given) and none is a filesystem root (``/``);
      otherwise :class:`RebuildRefusedError`, and naming the paths is the way to read them;
    - and ``confirm`` is ``True``, or a function that, given the sources, returns
      ``True`` (the command line asks, or takes ``--yes``).  Otherwise
      :class:`RebuildRefusedError` naming them, and nothing is changed.
    """
    root = Path(path)
    if is_sharded(root):
        rebuilt: IndexReport = _sharded_hook(root, "rebuild")(
            root,
            *paths,
            batch_size=batch_size,
            progress=progress,
            lock_timeout=lock_timeout,
            confirm=confirm,
        )
        return rebuilt
    _require_existing(paths)
    with translated(root):
        planned = None
        if Index.exists(root) and not paths:
            # Asked before the lock is taken, so no writer waits on a person.
            planned = recorded_sources(root)
            confirm_sources(root, planned, confirm)
        if not Index.exists(root):
            check_can_create(root, overwrite=False)
            root.mkdir(parents=True, exist_ok=True)
        with WriteLock(root, lock_timeout):
            # Read under the lock: a rebuild that finished while we waited changed them.
            settings = settings_for_rebuild(root)
            if not paths and recorded_sources(root, settings) != (planned or ()):
                raise RebuildRefusedError(
                    root,
                    (),
                    f"the sources index {root} recorded changed while the rebuild waited "
                    "to start; nothing was changed: run it again",
                )
            _, _, report = _rebuild(root, settings, paths, batch_size, progress, follow_links)
    return report


def recorded_sources(root: Path, settings: Settings | None = None) -> tuple[str, ...]:
    """The sources a rebuild of ``root`` without named paths would read: those its
    current commit record names (read leniently, so that a damaged index can be
    repaired), after checking each against the roots the index was built from.

    A source outside every root, a filesystem root (``/``) or a path that is not
    absolute raises :class:`RebuildRefusedError`: a record cannot make a rebuild read
    files the index was never given.  An index written before roots were recorded
    takes its settings' sources as roots, or has none (then name the paths).
    """
    if settings is None:
        settings = settings_for_rebuild(root, adopt=False)
    sources = _old_sources(root, settings)
    roots = [r for r in (settings.roots or settings.sources) if usable_root(r)]
    refused = [s for s in sources if not usable_root(s) or not any(_within(s, r) for r in roots)]
    if refused:
        raise RebuildRefusedError(
            root,
            tuple(refused),
            f"index {root} records {_listed(refused)} as a source to rebuild from, outside "
            f"the folders it was built from ({_listed(roots) if roots else 'none recorded'}); "
            "nothing was read: to rebuild from it, name the files and folders "
            f"(searchkit index PATH... --index {root} --rebuild)",
        )
    return sources


def confirm_sources(root: Path, sources: tuple[str, ...], confirm: Confirm) -> None:
    """Raise :class:`RebuildRefusedError` unless ``confirm`` allows reading ``sources``."""
    if not sources or confirm is True:
        return
    if confirm is False:
        raise RebuildRefusedError(
            root,
            sources,
            f"rebuilding index {root} reads the sources it recorded ({_listed(sources)}); "
            "nothing was read: confirm them (confirm=True; on the command line, answer "
            "the question or pass --yes), or name the files and folders to read",
        )
    if not confirm(sources):
        raise RebuildRefusedError(
            root, sources, f"the sources were not confirmed: index {root} was left as it was"
        )


def usable_root(path: str) -> bool:
    """An absolute path that is not a filesystem root: a rebuild never walks ``/``."""
    p = Path(path)
    return p.is_absolute() and p.parent != p


def _within(path: str, root: str) -> bool:
    """Whether ``path`` is ``root`` or inside it (by name: ``..`` is normalised first)."""
    p, r = os.path.normpath(path), os.path.normpath(root)
    return p == r or p.startswith(r.rstrip(os.sep) + os.sep)


def _listed(paths: Sequence[str], most: int = 3) -> str:
    shown = ", ".join(paths[:most])
    return shown + (f" and {len(paths) - most} more" if len(paths) > most else "")


def check_index(
    path: str | os.PathLike[str],
    *,
    repair: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    confirm: Confirm = False,
) -> CheckReport:
    """Verify an index: every segment opens and reads, and chunk counts match the manifest.

    With ``repair``, an index with problems is rebuilt from the files it recorded as
    sources (the old one stays in place until the new one is complete), under the rules
    of :func:`rebuild_index`: only sources inside the index's roots, and only when
    ``confirm`` allows (else :class:`RebuildRefusedError`).  A missing index raises
    :class:`IndexNotFoundError`; any other damage is reported, not raised.
    """
    root = Path(path)
    if is_sharded(root):
        checked: CheckReport = _sharded_hook(root, "check")(
            root, repair=repair, lock_timeout=lock_timeout, confirm=confirm
        )
        return checked
    try:
        settings = read_settings(root)  # a missing index raises: nothing to check
    except (IndexIncompatibleError, IndexDamagedError) as exc:
        report = CheckReport(str(root), 0, 0, 0, problems=(str(exc),))
        return _repaired(root, lock_timeout, confirm) if repair else report
    problems: list[str] = check_synonyms(root)
    stale: list[str] = []
    documents = chunks = segments = 0
    try:
        with Index(root, settings, lock_timeout) as index:
            problems.extend(_verify_files(index))
            searcher = index._reader()
            segments = len(index._ix._segments())
            counted: dict[str, int] = {}
            for reader, _ in searcher.reader().leaf_readers():
                for _, stored in reader.iter_docs():
                    chunks += 1
                    counted[stored["doc_id"]] = counted.get(stored["doc_id"], 0) + 1
                for _ in reader.all_terms():  # reads the whole term dictionary
                    pass
            if chunks != searcher.doc_count():
                problems.append(
                    f"{chunks} chunks read, but the index counts {searcher.doc_count()}"
                )
            # The manifest from the same snapshot as the chunks: a writer committing
            # meanwhile must not make the two disagree (Index.documents() would reopen).
            manifest = [info_from_stored(s) for s in searcher.documents(first="1")]
            documents = len(manifest)
            for info in manifest:
                found = counted.pop(info.id, 0)
                if found != info.chunks:
                    problems.append(
                        f"document {info.id} ({info.path}) has {found} chunks, "
                        f"expected {info.chunks}"
                    )
                if info.size and _changed(info):
                    stale.append(info.path)
            for doc_id, n in counted.items():
                problems.append(f"{n} chunks of document {doc_id} have no manifest record")
    except DamagedPickleError as exc:  # decoded in a reader, before the index was known
        problems.append(str(IndexDamagedError(root, exc.reason)))
    except SearchkitError as exc:
        problems.append(str(exc))
    except Exception as exc:  # damage shows up as assorted Whoosh and OS errors
        problems.append(f"cannot read index {root}: {type(exc).__name__}: {exc}")
    left = _leftovers(root, repair)
    report = CheckReport(
        path=str(root),
        documents=documents,
        chunks=chunks,
        segments=segments,
        problems=tuple(problems),
        stale=tuple(stale),
        repaired=repair and bool(left),
        leftovers=tuple(left),
    )
    return _repaired(root, lock_timeout, confirm) if repair and problems else report


def _leftovers(root: Path, remove: bool) -> list[str]:
    """What writers that died left in ``root`` (removed when ``remove``).  Only when no
    writer is at work: a live writer's temporary files look the same."""
    lock = WriteLock(root, 0)
    try:
        lock.acquire()
    except IndexLockedError:
        return []
    try:
        found = root_leftovers(root)
        settings = read_settings(root)
        folder = root / settings.data
        ix = windex.open_dir(str(folder), schema=build_schema())
        in_data = _commits.leftovers(folder, ix._read_toc().segments)
        if remove:
            clean_root(root)
            _commits.remove_leftovers(folder, in_data)
        return found + [f"{settings.data}/{name}" for name in in_data]
    except (SearchkitError, OSError, *DAMAGE, windex.EmptyIndexError):
        return []  # the index itself is damaged: that is reported, and repaired, already
    finally:
        lock.release()


def _verify_files(index: Index) -> list[str]:
    """Checksums and segment entries of the current commit against its record.

    A writer committing meanwhile may delete what the table of contents read a moment
    ago named; then the newer commit is verified instead.
    """
    folder = index.path / index._settings.data
    problems: list[str] = []
    for _ in range(3):
        toc = index._ix._read_toc()
        # An index written before commit records has none to verify against.
        legacy = not index._settings.id
        problems = _commits.verify(folder, toc.generation, toc.segments, required=not legacy)
        if not problems or _commits.latest_generation(folder) == toc.generation:
            break
    return problems


def _repaired(root: Path, lock_timeout: float, confirm: Confirm) -> CheckReport:
    """Rebuild ``root`` from its recorded sources, and check the result."""
    rebuild_index(root, lock_timeout=lock_timeout, confirm=confirm)
    return attrs.evolve(check_index(root, lock_timeout=lock_timeout), repaired=True)


def _require_existing(paths: Iterable[str | os.PathLike[str]]) -> None:
    """Refuse paths that do not exist: a sync would take their documents for deleted."""
    for p in paths:
        if not os.path.exists(p):
            raise DocumentError(display_path(p), "no such file or folder; nothing was changed")


def _changed(info: DocumentInfo) -> bool:
    try:
        st = os.stat(info.path)
    except OSError:
        return True
    return st.st_size != info.size or st.st_mtime_ns != info.mtime_ns


def _under(path: str, root: Path) -> bool:
    p = Path(path)
    resolved = root.resolve() if root.exists() else root
    return p in (root, resolved) or root in p.parents or resolved in p.parents


# -- the sharded index's way in ---------------------------------------------------------
#
# A folder whose searchkit.json has this format holds a sharded index.  shards.py (which
# builds on Index) creates, opens, rebuilds and checks it, and registers how when it is
# imported; ``searchkit.Index`` is loaded through it, so the hooks are there whenever a
# user reaches this class through the package.

SHARDED_FORMAT = "searchkit-sharded-index"
_SHARDED_HOOKS: dict[str, Callable[..., Any]] = {}


def register_sharded(**hooks: Callable[..., Any]) -> None:
    """Called by shards.py: ``create``, ``open``, ``rebuild`` and ``check`` for sharded folders."""
    _SHARDED_HOOKS.update(hooks)


def is_sharded(root: Path) -> bool:
    """Whether ``root`` holds a sharded index (its ``searchkit.json`` says so)."""
    path = root / SETTINGS_NAME
    try:
        if path.stat().st_size > _MAX_SETTINGS_BYTES:
            return False  # not searchkit's: read_settings says so
        raw = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(raw, dict) and raw.get("format") == SHARDED_FORMAT


def _sharded_hook(root: Path, name: str) -> Callable[..., Any]:
    hook = _SHARDED_HOOKS.get(name)
    if hook is None:
        raise IndexIncompatibleError(
            root, f"{root} is a sharded index: open it with searchkit.Index (searchkit.shards)"
        )
    return hook


def _raise_if_unreadable(root: Path, data: Path) -> None:
    """Raise an IndexAccessError when ``data`` cannot be listed or its files read.

    Whoosh reports a folder it may not list as an index that does not exist; that is a
    matter of permissions, not damage, and the user should hear so.
    """
    try:
        for entry in os.scandir(data):
            if entry.is_file():
                with open(entry.path, "rb"):
                    pass
    except FileNotFoundError:
        return
    except OSError as exc:
        raise access_error(root, exc) from None


def check_language(ix: Index, language: str) -> Index:
    """``ix``, or :class:`SettingsError` (``ix`` closed) when ``language`` (not ``"auto"``)
    differs from its default language: a language is never silently ignored."""
    if language == AUTO or normalize_language(language) == ix.language:
        return ix
    ix.close()
    raise SettingsError(
        f"index {ix.path} has default language {ix.language!r}, not {language!r}: the "
        "default language is chosen when an index is created (index into a new folder to "
        "change it)"
    )


def _languages(searcher: Searcher) -> tuple[tuple[str, int], ...]:
    """Documents per language code, most first."""
    counts: dict[str, int] = {}
    for term in searcher.lexicon("language"):
        code = term.decode("utf-8")
        q = wquery.And([wquery.Term("first", "1"), wquery.Term("language", code)])
        n = sum(1 for _ in searcher.docs_for_query(q))
        if n:
            counts[code] = n
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _whoosh_distribution() -> str:
    from importlib import metadata

    for name in ("whoosh-reloaded", "whoosh3", "whoosh", "whoosh-ng"):
        try:
            return f"{name} {metadata.version(name)}"
        except metadata.PackageNotFoundError:
            continue
    return "whoosh (unknown distribution)"
