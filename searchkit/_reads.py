"""The read API every kind of index offers, its keywords written once: ``search`` and
``similar`` turn their keywords (or a request passed whole) into one
:class:`~searchkit.SearchRequest` or :class:`~searchkit.SimilarRequest`, and each kind
runs it its own way (:class:`~searchkit.Index` on its one Whoosh index, ``multi._Parts``
over several).
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Sequence

from ._folders import with_folders
from ._limits import QueryLimits
from ._types import (
    DEFAULT_FACET_LIMIT,
    Client,
    Collapse,
    Interval,
    Mode,
    Operator,
    SearchRequest,
    SimilarRequest,
    Sort,
    request_of,
)
from .models import Results

__all__ = ["Reads"]


class Reads(ABC):
    """``search`` and ``similar``, for every kind of index."""

    @abstractmethod
    def _run_search(
        self, wanted: SearchRequest, client: Client | None, cluster_timeout: float | None
    ) -> Results:
        """The results of ``wanted``; with a Dask ``client``, searched on its cluster."""

    @abstractmethod
    def _run_similar(self, wanted: SimilarRequest) -> Results:
        """The results of ``wanted``."""

    @abstractmethod
    def _roots(self) -> tuple[str, ...]:
        """The folders and files the index was built from: what ``under=`` is inside."""

    def search(
        self,
        query: str | SearchRequest | None = None,
        *,
        request: SearchRequest | None = None,
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
        collapse: Collapse = "document",
        mode: Mode = "lexical",
        proximity: bool = False,
        limits: QueryLimits | None = None,
        timeout: float | None = None,
        facets: Sequence[str] = (),
        facet_limit: int = DEFAULT_FACET_LIMIT,
        histogram: Interval | None = None,
        explain: bool = False,
        highlight: bool = True,
        under: str | Sequence[str] | None = None,
        exact: bool = False,
        client: Client | None = None,
        cluster_timeout: float | None = None,
    ) -> Results:
        """Search the paragraphs; ``query`` is in searchkit's syntax (docs/query-syntax.md).

        The keywords describe one :class:`~searchkit.SearchRequest`; a request made
        beforehand may be passed whole instead (``search(request)`` or
        ``search(request=request)``), without keywords.  A bad value raises
        :class:`ArgumentError` naming the argument (a bad filter :class:`FilterError`).

        :param limit: hits per page, 1 to 10,000; ``page * limit`` at most 10,000.
        :param page: which page of hits, from 1.
        :param author: keep only this author (a document with several authors matches
            any one of them); a sequence keeps any of them.  Likewise ``source`` (a
            domain or URL) and ``doc_id``.
        :param since: ``2025``, ``2025-06``, ``2025-06-14``, a date-time, or a date
            relative to the local date (``today``, ``7d``, ``30 days ago``, ``last
            month``); ``since`` and ``until`` include the whole period named.
        :param sort: ``relevance``, ``date`` (newest first) or ``oldest``.
        :param group: return each document once, at the rank of its best paragraph,
            with up to ``group_size - 1`` further paragraphs in ``hit.more``.
        :param context: add that many neighbouring chunks on each side of every hit.
        :param operator: ``"and"`` requires every word.
        :param collapse: ``"document"`` (the default) returns each document once, as its
            best paragraph, ranked by it; ``hit.more_count`` counts the document's other
            matching paragraphs (``doc_id=hit.doc_id`` lists them: a search within one
            document is not collapsed), and ``total`` counts documents.  ``"none"``
            ranks every matching paragraph as a hit of its own (flat order).
        :param mode: ``"hybrid"`` re-ranks BM25's best 100 paragraphs (more when the
            page reaches deeper) by ``0.7 * minmax(BM25) + 0.3 * minmax(cosine)`` of
            their vectors and the query's (an index built with ``searchkit[semantic]``;
            docs/how-it-works.md); scores are then in [0, 1].
        :param proximity: add a bonus to BM25's best 20 paragraphs where two words next
            to each other in the query sit within 8 words of each other (from the
            positions already indexed).
        :param limits: bound what one query may cost (default
            :meth:`QueryLimits.from_env`; a query over a limit raises
            :class:`QueryLimitError`).
        :param timeout: seconds; when the time runs out, what was found is returned
            with ``results.timed_out`` set (and then no facets or histogram).

        Looking closer (see ``explore.py``; each costs a pass over the matches, so only
        when asked for):

        :param facets: names from ``author``, ``source``, ``year``, ``month``,
            ``folder``, ``format``; fills ``results.facets`` with ``{value: articles}``
            counted over all matches after filters, not just this page.  A document
            counts once per value, and once under each of its authors.
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
        :param under: keep only files under this folder (a sequence: any of them),
            relative to the folders the index was built from (``linux``,
            ``linux/common``) or absolute inside one of them; ``FilterError`` for a
            folder outside them.  The query syntax's ``folder:`` (``path:``) does the same.
        :param exact: search the query as typed.  Otherwise a word that is in no
            paragraph and has a correction ("did you mean") is searched as corrected,
            and ``results.corrected_query`` says so.

        Over several indexes (:func:`~searchkit.open_many`) or a sharded one, the hits are
        ranked as one index holding them all would rank them:

        :param client: a Dask client: each part is searched on a worker (see
            ``distributed.py``), with the same results; on an index of one shard,
            :class:`ArgumentError`.  ``timeout`` is then each part's budget (here the
            parts share it, one after the other).
        :param cluster_timeout: seconds with no part's task finished before
            ``ClusterTimeoutError`` (default ``distributed.DEFAULT_TIMEOUT``).
        """
        wanted = with_folders(request_of(SearchRequest, query, request, locals()), self._roots)
        return self._run_search(wanted, client, cluster_timeout)

    def similar(
        self,
        chunk_or_doc_id: str | SimilarRequest | None = None,
        *,
        request: SimilarRequest | None = None,
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
        limits: QueryLimits | None = None,
        timeout: float | None = None,
        facets: Sequence[str] = (),
        facet_limit: int = DEFAULT_FACET_LIMIT,
        histogram: Interval | None = None,
        explain: bool = False,
        highlight: bool = True,
        under: str | Sequence[str] | None = None,
        document: bool = False,
    ) -> Results:
        """The paragraphs most like ``chunk_or_doc_id`` (a chunk id, or a document id for
        a whole article), never the source itself; with ``group``, the articles most
        like it.  ``document`` takes the whole document of a chunk id as the source.

        A document id leaves out that whole document; a chunk id leaves out its
        paragraph, but the document's other paragraphs may be found.  The "more like
        this" query is built from the source's most telling words (see
        :func:`searchkit.explore.similar_query`) and shown in ``results.query``.  The
        other arguments, and the :class:`Results`, are those of :meth:`search`; a
        :class:`~searchkit.SimilarRequest` may be passed whole instead of them.
        :class:`NotFoundError` when no chunk or document has the id.
        """
        wanted = request_of(SimilarRequest, chunk_or_doc_id, request, locals())
        return self._run_similar(with_folders(wanted, self._roots))
