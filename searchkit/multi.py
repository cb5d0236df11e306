"""Several indexes as one (:class:`MultiIndex`), and what a sharded index shares with them.

A set of parts, each an ordinary searchkit index, read through ``Index``'s API: a search
goes to every part with the statistics of all of them, and the hits merge into one list
(``_fanout.py``), so the ranking is that of one index holding every document.
:class:`_Parts` is that reading; :class:`MultiIndex` (several index folders) and
``shards.ShardedIndex`` (one folder of shards) are its two kinds.
"""

from __future__ import annotations

import os
import time
from abc import abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, TypeVar, cast

import attrs
from whoosh import query as wq

from ._args import check_text
from ._base import OpenPart, Part
from ._fanout import (
    explore_part,
    merge_results,
    parse,
    part_candidates,
    part_statistics,
    search_part,
    total,
)
from ._reads import Reads
from ._rerank import pool_size, query_vector, reranks, shared_pool
from ._types import MAX_LIMIT, Client, SearchRequest, SimilarRequest, check_whole
from .analysis import ANALYZER_ID
from .analysis.synonyms import Synonyms
from .errors import NotFoundError
from .explore import complete_over, merge_facets, merge_histograms, similar_query_over
from .models import Chunk, Completion, Document, DocumentInfo, IndexStats, Passage, Results
from .schema import SCHEMA_VERSION
from .search import request_filter
from .suggest import corrected_over, suggestions

__all__ = ["MultiIndex"]

_T = TypeVar("_T")

# -- reading several parts as one --------------------------------------------------------


class _Parts(Reads):
    """The read API of :class:`~searchkit.Index` over parts, each an ordinary index."""

    # How a part's folder is opened again (on a Dask worker): ``Index``'s, handed down.
    _open_part: OpenPart

    @abstractmethod
    def _parts(self) -> list[tuple[Part, str | None]]:
        """Each part and the label its hits carry (``None``: the hit's index is this one)."""

    @abstractmethod
    def _where(self) -> str:
        """The indexes, as an error message names them."""

    def _roots(self) -> tuple[str, ...]:
        """Every part's roots: an ``under=`` folder is made relative to the one holding
        it, and that relative folder is kept in every part."""
        return tuple(dict.fromkeys(r for ix, _ in self._parts() for r in ix._roots()))

    def _query_synonyms(self) -> Synonyms | None:
        """The synonyms applied to a query over the parts, or ``None``."""
        return None

    def _run_search(
        self, wanted: SearchRequest, client: Client | None, cluster_timeout: float | None
    ) -> Results:
        """The search over every part.  Facets and histograms add up the parts' whole
        counts (a document lives in one part), so they equal one index's; explanations
        use every part's statistics."""
        parts = self._parts()
        synonyms = self._query_synonyms()
        typed, corrected = wanted.query, ""
        if not wanted.exact:
            corrected = corrected_over(
                typed, [suggestions(ix._reader(), typed, limits=wanted.limits) for ix, _ in parts]
            )
            if corrected:
                wanted = attrs.evolve(wanted, query=corrected)
        q = parse(parts[0][0], wanted, [ix for ix, _ in parts[1:]], synonyms)
        found = self._answer(wanted, q, client, cluster_timeout)
        if corrected:
            found = attrs.evolve(found, corrected_query=corrected, original_query=typed)
        return found

    def _run_similar(self, wanted: SimilarRequest) -> Results:
        """The source is found in whichever part holds it, and its words are weighed with
        every part's statistics (:func:`~searchkit.explore.similar_query_over`), so the
        query, its hits, their scores and explanations are one index's."""
        parts = self._parts()
        try:
            q = similar_query_over(
                [ix._reader() for ix, _ in parts], wanted.chunk_or_doc_id, wanted.document
            )
        except NotFoundError:
            raise NotFoundError(
                f"no chunk or document {wanted.chunk_or_doc_id!r} in {self._where()}"
            ) from None
        return self._answer(wanted, q, None)

    def complete(self, text: str, limit: int = 10) -> list[Completion]:
        """``Index.complete`` over every part: counts are paragraphs in all of them."""
        check_text("text", text)
        check_whole("limit", limit, 1, MAX_LIMIT)
        return complete_over([ix._reader() for ix, _ in self._parts()], text, limit)

    def _answer(
        self,
        request: SearchRequest | SimilarRequest,
        q: wq.Query,
        client: Client | None,
        cluster_timeout: float | None = None,
    ) -> Results:
        """Search every part for the parsed ``q`` with the statistics of them all, merge
        the hits, and add up facets and histograms."""
        parts = self._parts()
        labels = [label for _, label in parts]
        flt = request_filter(request)  # once: relative dates mean the same for every part
        spent = False  # the budget ran out before a part was searched (on this machine)
        if client is not None:
            from .distributed import search_on_cluster

            folders = [str(ix.path) for ix, _ in parts]
            found = search_on_cluster(
                client, folders, q, request, flt, cluster_timeout, open_part=self._open_part
            )
        else:
            clock, budget, each = time.monotonic(), request.timeout, request
            stats = total([part_statistics(ix, q) for ix, _ in parts])
            shared = None
            if reranks(request):  # the candidates of them all, as one index's
                assert isinstance(request, SearchRequest)
                vector = query_vector(request)
                pools = [part_candidates(ix, stats, q, request, flt, vector) for ix, _ in parts]
                shared = shared_pool(pools, pool_size(request), vector)
            found = []
            for ix, _ in parts:
                if budget is not None:  # what is left of the budget, at least 1 ms
                    left = budget - (time.monotonic() - clock)
                    spent = spent or left <= 0
                    each = attrs.evolve(request, timeout=max(1e-3, left))
                found.append(search_part(ix, stats, q, each, flt, shared))
        merged = merge_results(found, labels, request)
        if spent:
            # A part searched on the 1 ms of grace may finish inside it, but the caller's
            # budget had run out: the answer is what was found in time and a little more.
            merged = attrs.evolve(merged, timed_out=True)
        names, histogram = request.facets, request.histogram
        if request.looks_closer() and not merged.timed_out:
            counted = [explore_part(ix, q, flt, names, histogram) for ix, _ in parts]
            merged = attrs.evolve(
                merged,
                facets=merge_facets([c for c, _ in counted], names, request.facet_limit)
                if names
                else {},
                histogram=merge_histograms([b for _, b in counted], histogram) if histogram else (),
            )
        return merged

    def _from_a_part(self, read: Callable[[Part], _T], missing: str) -> _T:
        """What ``read`` reads from the first part that holds it; :class:`NotFoundError`
        naming ``missing`` in every part when none does."""
        for ix, _ in self._parts():
            try:
                return read(ix)
            except NotFoundError:
                continue
        raise NotFoundError(f"no {missing} in {self._where()}")

    def chunk(self, chunk_id: str) -> Chunk:
        """The chunk with this id, from whichever part holds it."""
        return self._from_a_part(lambda ix: ix.chunk(chunk_id), f"chunk {chunk_id!r}")

    def passage(self, chunk_id: str, context: int = 1) -> Passage:
        """The chunk ``chunk_id`` with ``context`` chunks on each side, from its document."""
        return self._from_a_part(lambda ix: ix.passage(chunk_id, context), f"chunk {chunk_id!r}")

    def document(self, doc_id: str) -> Document:
        """The document with this id, from whichever part holds it."""
        return self._from_a_part(lambda ix: ix.document(doc_id), f"document {doc_id!r}")

    def documents(self) -> list[DocumentInfo]:
        """Every part's documents, ordered by path."""
        infos = [info for ix, _ in self._parts() for info in ix.documents()]
        return sorted(infos, key=lambda d: (d.path, d.id))

    def __len__(self) -> int:
        """The number of chunks in every part together."""
        return sum(len(ix) for ix, _ in self._parts())

    def _stats(self, path: str) -> IndexStats:
        each = [ix.stats() for ix, _ in self._parts()]
        dates = [s.last_updated for s in each if s.last_updated is not None]
        languages: dict[str, int] = {}
        for s in each:
            for code, n in s.languages:
                languages[code] = languages.get(code, 0) + n
        return IndexStats(
            path=path,
            documents=sum(s.documents for s in each),
            chunks=sum(s.chunks for s in each),
            size_bytes=sum(s.size_bytes for s in each),
            segments=sum(s.segments for s in each),
            fields=each[0].fields if each else (),
            last_updated=max(dates) if dates else None,
            schema_version=SCHEMA_VERSION,
            analyzer=ANALYZER_ID,
            whoosh=each[0].whoosh if each else "",
            languages=tuple(sorted(languages.items(), key=lambda kv: (-kv[1], kv[0]))),
        )


class _Member(Protocol):
    """An index of several parts (a sharded one) as a member of a :class:`MultiIndex`."""

    @property
    def path(self) -> Path: ...

    def close(self) -> None: ...


class MultiIndex(_Parts):
    """Several indexes searched as one; made by :func:`open_many`.

    Hits carry the folder of the index they came from in ``hit.index``.  Use it as a
    context manager, or call :meth:`close`.
    """

    def __init__(self, members: Sequence[Part | _Member], *, open_part: OpenPart) -> None:
        self.members = tuple(members)
        self.paths = tuple(ix.path for ix in self.members)
        self._open_part = open_part

    def _parts(self) -> list[tuple[Part, str | None]]:
        out: list[tuple[Part, str | None]] = []
        for member in self.members:
            label = str(member.path)
            if isinstance(member, _Parts):  # a sharded index: each of its shards
                out.extend((shard, label) for shard, _ in member._parts())
            else:
                out.append((cast(Part, member), label))
        return out

    def _where(self) -> str:
        return "indexes " + ", ".join(str(p) for p in self.paths)

    def stats(self) -> IndexStats:
        """The indexes' counts and sizes added up; ``path`` lists them, os.pathsep between."""
        return self._stats(os.pathsep.join(str(p) for p in self.paths))

    def close(self) -> None:
        for member in self.members:
            member.close()

    def __enter__(self) -> MultiIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"open_many({[str(p) for p in self.paths]!r})"
