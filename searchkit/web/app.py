"""The browser view and the JSON API of one index: routes that call the library, no more.

Every page is rendered on the server from the same library calls the command line makes,
and each ``/api/...`` route returns exactly the JSON the matching ``searchkit ... --json``
prints.  Nothing here writes: the app opens the index read-only and reads no file outside
it (a document page shows the text stored in the index, not the file on disk).

FastAPI runs plain ``def`` routes on a thread pool; the routes share one
:class:`~searchkit.Index` and take turns with it (see :class:`_Shared`).  An ``Index``
notices new commits by itself, so documents another process indexes appear without a
restart.

The origin is guarded (see :class:`_Guard`): a request whose ``Host`` is not one the app
was told it serves is refused (400), so a web page that rebinds its own name to
127.0.0.1 cannot read the API; every response forbids framing, sniffing, inline
scripts and styles and sending the page's address on; and only ``http(s)`` source
links are links (a ``javascript:`` or ``data:`` URL from a document is shown as text).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import (
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    MutableMapping,
)
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import attrs
from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from .._types import SORTS, SearchRequest, SimilarRequest, comma_names, explore_keywords
from .._version import __version__
from ..errors import (
    ArgumentError,
    FilterError,
    NotFoundError,
    SearchkitError,
    SearchkitIndexError,
    http_status,
)
from ..index import Index, ShardedIndex
from ..models import Results
from . import LOOPBACK_HOSTS
from ._chart import histogram_chart, pages_around
from ._overview import Overview, overview
from ._page import collapsed, folds, linker
from ._text import (
    JSONTextResponse,
    Spans,
    document_marks,
    hit_html,
    is_code_block,
    printable,
    results_marks,
    text_html,
)

__all__ = ["LOOPBACK_HOSTS", "create_app"]

_HERE = Path(__file__).parent
_MAX_LIMIT = 100  # hits a page in the browser; the API takes what the library takes
_PAGE_FACETS = ("author", "source", "folder", "format", "year")
# Paragraphs of one document whose query words a paragraph or document page marks: as
# many as a page of hits may read under the default query limits (max_context_chunks).
_MARK_LIMIT = 1000
# A parameter that may be repeated in the URL (?author=a&author=b); the names of those.
_Many = Annotated[list[str] | None, Query()]
_REPEATABLE = ("author", "source", "doc", "under")
# Sent with every response.  The pages load their one script and style sheet from
# /static; nothing inline runs, and no other site may frame them.
SECURITY_HEADERS = (
    (
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
)
# A source URL is a link only when it is plainly http(s): no white space or control
# characters anywhere (browsers drop them, so "java\tscript:" would run).
_HTTP_URL = re.compile(r"(?i)https?://[^\s\x00-\x1f\x7f]+")

_Scope = MutableMapping[str, Any]
_Message = MutableMapping[str, Any]
_Receive = Callable[[], Awaitable[_Message]]
_Send = Callable[[_Message], Awaitable[None]]
_ASGI = Callable[[_Scope, _Receive, _Send], Awaitable[None]]


def http_url(url: str | None) -> str | None:
    """``url`` if it is an ``http://`` or ``https://`` URL, else ``None`` (shown as text)."""
    return url if url is not None and _HTTP_URL.fullmatch(url) else None


def _host_name(value: str) -> str:
    """The name in a ``Host`` header, without its port, lower-cased (``[::1]`` kept
    in brackets)."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[: value.find("]") + 1] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class _Guard:
    """ASGI middleware: refuse a ``Host`` not in ``hosts`` (400), and add
    :data:`SECURITY_HEADERS` to every response, the refusals and errors included."""

    def __init__(self, app: _ASGI, hosts: Iterable[str]) -> None:
        self.app = app
        self.hosts = frozenset(_host_name(h) for h in hosts)

    async def __call__(self, scope: _Scope, receive: _Receive, send: _Send) -> None:
        if scope["type"] != "http":  # lifespan; the app has no websockets
            await self.app(scope, receive, send)
            return

        async def send_guarded(message: _Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS]
                message["headers"] = headers
            await send(message)

        raw = dict(scope.get("headers") or []).get(b"host", b"")
        host = raw.decode("latin-1")
        if _host_name(host) not in self.hosts:
            shown = " ".join(host.split())[:100] or "(none)"
            body = (
                f"Host {shown!r} is not one this server answers to; to allow it, start it "
                "with `searchkit serve --allow-host NAME`\n"
            ).encode()
            await send_guarded(
                {
                    "type": "http.response.start",
                    "status": 400,
                    "headers": [
                        (b"content-type", b"text/plain; charset=utf-8"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send_guarded({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send_guarded)


class _Shared:
    """One open :class:`Index` for every request, used by one request at a time.

    A Whoosh searcher keeps file positions and caches that threads must not share, and
    opening one costs far more than a query (it reads every segment's tables), so all
    requests share one ``Index`` under a lock.  Searching is CPU-bound Python: requests
    taking turns lose little to running side by side under the GIL.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()
        self._index: Index | ShardedIndex | None = None

    @contextmanager
    def use(self) -> Iterator[Index | ShardedIndex]:
        """The index, opened on first use; a damaged or vanished one is reopened next time."""
        with self.lock:
            if self._index is None:
                self._index = index = Index.open(self.path)
            else:
                index = self._index
            try:
                yield index
            except SearchkitIndexError:
                index.close()
                self._index = None
                raise


def create_app(
    index_path: str | os.PathLike[str], *, allowed_hosts: Iterable[str] = LOOPBACK_HOSTS
) -> FastAPI:
    """A FastAPI app serving the index at ``index_path``: pages, ``/api/...``, OpenAPI.

    Run it with any ASGI server (``uvicorn.run(create_app("my-index"))``), or with
    ``searchkit serve``.  A missing or damaged index is not an error here: every page
    and API call answers 503 with the reason until the index is there.

    ``allowed_hosts`` are the names (and addresses) the app answers to, matched against
    each request's ``Host`` header whatever its port; any other is answered 400.  The
    default, :data:`LOOPBACK_HOSTS`, suits a server bound to 127.0.0.1 or ::1; a server
    reached by another name must list it.
    """
    shared = _Shared(Path(index_path))
    app = FastAPI(
        title="searchkit",
        version=__version__,
        summary="Paragraph-level search over one searchkit index; read-only.",
        docs_url=None,  # Swagger UI loads scripts from a CDN; /openapi.json is the description
        redoc_url=None,
        default_response_class=JSONTextResponse,
        dependencies=[Depends(_given_once)],
    )
    app.add_middleware(_Guard, hosts=tuple(allowed_hosts))
    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")
    templates = Jinja2Templates(directory=_HERE / "templates")
    templates.env.finalize = printable  # read as templates compile: none has yet
    templates.env.globals.update(
        version=__version__,
        pages_around=pages_around,
        text_html=text_html,
        hit_html=hit_html,
        is_code_block=is_code_block,
        sorts=SORTS,
    )
    templates.env.filters["http_url"] = http_url
    templates.env.filters["tuple_zero"] = lambda hit: (hit, 0)
    templates.env.filters["short_path"] = lambda path: "/".join(Path(path).parts[-2:])

    library = shared.use
    overviews: dict[tuple[Any, ...], Overview] = {}

    def home(ix: Index | ShardedIndex) -> Overview:
        """The collection's overview, stats included, made again only when a file of the
        index has changed (a commit, a cache written): reading the stats costs as much as
        a search with facets, listing the index's folder a fraction of a millisecond."""
        key = _files_state(shared.path)
        if key not in overviews:
            overviews.clear()
            overviews[key] = overview(ix.stats(), ix.documents())
        return overviews[key]

    def marks(ix: Index | ShardedIndex, q: str, doc_id: str) -> Results | None:
        """The hits of ``q`` in one document, for their marks; ``None`` when ``q`` is
        empty or not a query the index can run (the page is then shown unmarked)."""
        if not q.strip():
            return None
        try:
            return ix.search(SearchRequest(q, doc_id=[doc_id], limit=_MARK_LIMIT))
        except SearchkitIndexError:
            raise
        except SearchkitError:
            return None

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return templates.TemplateResponse(
            request, name, {"index_path": str(shared.path), **context}, status_code=status
        )

    def failure(request: Request, exc: Exception, status: int | None = None) -> Response:
        status = status or (http_status(exc) if isinstance(exc, SearchkitError) else 400)
        message = " ".join(str(exc).split())
        if request.url.path.startswith("/api/"):
            return JSONTextResponse({"error": message}, status_code=status)
        # The search form stays, with the query as typed, so it can be mended in place.
        form = {**_form(request.query_params), "q": request.query_params.get("q", "")}
        return page(request, "error.html", status, message=message, code=status, form=form)

    app.add_exception_handler(SearchkitError, failure)

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "request"
        return failure(request, ArgumentError(f"{where}: {first.get('msg', 'invalid')}"))

    app.add_exception_handler(RequestValidationError, invalid)

    async def unknown(request: Request, exc: Exception) -> Response:  # no such route, ...
        assert isinstance(exc, StarletteHTTPException)
        what = f"{exc.detail}: {request.method} {request.url.path}"
        answer = failure(request, NotFoundError(what), exc.status_code)
        answer.headers.update(exc.headers or {})  # a 405's Allow
        return answer

    app.add_exception_handler(StarletteHTTPException, unknown)

    # -- pages ---------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def search_page(request: Request) -> Response:
        params = request.query_params
        form = _form(params)
        results: Results | None = None
        collection: Overview | None = None
        with library() as ix:
            if form["q"]:
                wanted = SearchRequest(
                    form["q"],
                    **_search_args(params, max_limit=_MAX_LIMIT),
                    exact=_flag(params, "exact"),
                    **_ranking_args(params),
                    facets=_PAGE_FACETS,
                    histogram="month",
                )
                results = ix.search(wanted)
            else:
                collection = home(ix)
        return page(
            request,
            "search.html",
            form=form,
            results=results,
            overview=collection,
            link=linker(params),
            chart=histogram_chart(results.histogram) if results else None,
            # Flat order across documents: a document's further hits fold under its best.
            shown=collapsed(results) if results and folds(results, params) else None,
            title="",
        )

    @app.get("/similar/{source_id}", response_class=HTMLResponse, include_in_schema=False)
    def similar_page(request: Request, source_id: str) -> Response:
        params = request.query_params
        document = _flag(params, "doc")
        with library() as ix:
            args = _similar_args(params, max_limit=_MAX_LIMIT)
            results = ix.similar(SimilarRequest(source_id, document=document, **args))
            # The id is a chunk's or a document's, whichever the search was asked for.
            like = ix.chunk(source_id) if ":" in source_id else None
            title = like.title if like else ix.document(source_id).title
            if document or like is None:
                heading = f"{'Articles' if document else 'Paragraphs'} like “{title}”"
            else:
                heading = f"Paragraphs like ¶{like.paragraph} of “{title}”"
        return page(
            request,
            "search.html",
            form=_form(params),
            results=results,
            link=linker(params, path=f"/similar/{source_id}"),
            chart=None,
            title=heading,
        )

    @app.get("/chunk/{chunk_id}", response_class=HTMLResponse, include_in_schema=False)
    def chunk_page(request: Request, chunk_id: str, context: int = 2) -> Response:
        q = request.query_params.get("q", "")
        with library() as ix:
            passage = ix.passage(chunk_id, context=_whole("context", context, 0, 20))
            found = marks(ix, q, passage.chunk.doc_id)
        shown: dict[str, Spans] = results_marks(found) if found else {}
        return page(request, "chunk.html", passage=passage, q=q, marks=shown)

    @app.get("/document/{doc_id}", response_class=HTMLResponse, include_in_schema=False)
    def document_page(request: Request, doc_id: str) -> Response:
        q = request.query_params.get("q", "")
        with library() as ix:
            doc = ix.document(doc_id)
            found = marks(ix, q, doc_id)
        shown = document_marks(doc, found) if found else {}
        first = min(shown, default=None)
        return page(request, "document.html", doc=doc, q=q, marks=shown, first_mark=first)

    @app.get("/stats", response_class=HTMLResponse, include_in_schema=False)
    def stats_page(request: Request) -> Response:
        with library() as ix:
            stats = ix.stats()
        return page(request, "stats.html", stats=stats)

    # -- the JSON API: the CLI's --json, key for key -------------------------------

    @app.get("/api/search", summary="searchkit search QUERY --json")
    def api_search(
        request: Request,
        q: str,
        shared: _SharedOptions,
        doc: _Many = None,
        operator: str = "or",
        collapse: str = "document",
        exact: bool = False,
        mode: str = "lexical",
        proximity: bool = False,
    ) -> dict[str, Any]:
        """Search the paragraphs. Parameters as `Index.search`; `doc` is `doc_id`;
        `collapse=none` ranks every paragraph alone (`--flat`); `fields` (comma-separated)
        keeps only those hit keys, as `--fields`; `facets` is comma-separated (author,
        source, year, month, folder, format); `histogram` is day, week, month or year;
        `under` is a folder (`--under`); `exact=true` searches the words as typed
        (`--exact`). The query limits are the server's (its `SEARCHKIT_MAX_...`)."""
        with library() as ix:
            wanted = SearchRequest(
                q,
                **_search_args(request.query_params),
                **shared.keywords,
                exact=exact,
                **_ranking_args(request.query_params),
            )
            results = ix.search(wanted)
        return results.as_dict(shared.fields)

    @app.get("/api/similar/{source_id}", summary="searchkit similar ID --json")
    def api_similar(
        request: Request, source_id: str, shared: _SharedOptions, doc: bool = False
    ) -> dict[str, Any]:
        """The paragraphs most like paragraph `source_id` (with `doc=true`: like the
        whole document `source_id`), never the source itself. Filters as `/api/search`."""
        args = _similar_args(request.query_params)
        with library() as ix:
            results = ix.similar(SimilarRequest(source_id, document=doc, **args, **shared.keywords))
        return results.as_dict(shared.fields)

    @app.get("/api/complete", summary="searchkit complete TEXT --json")
    def api_complete(q: str, limit: int = 10) -> list[dict[str, Any]]:
        """Ways to finish the last word of `q`, most common first, for a search box."""
        with library() as ix:
            return [c.as_dict() for c in ix.complete(q, limit=limit)]  # checked as the CLI's

    @app.get("/api/chunk/{chunk_id}", summary="searchkit show CHUNK_ID --json")
    def api_chunk(chunk_id: str, context: int = 1) -> dict[str, Any]:
        """A paragraph with `context` paragraphs on each side."""
        with library() as ix:
            return ix.passage(chunk_id, context=_whole("context", context, 0, None)).as_dict()

    @app.get("/api/document/{doc_id}", summary="searchkit show --doc DOC_ID --json")
    def api_document(doc_id: str) -> dict[str, Any]:
        """A whole document: metadata and every paragraph."""
        with library() as ix:
            return ix.document(doc_id).as_dict()

    @app.get("/api/stats", summary="searchkit stats --json")
    def api_stats() -> dict[str, Any]:
        """Counts, size on disk, fields and versions of the index."""
        with library() as ix:
            return ix.stats().as_dict()

    return app


def _files_state(path: Path) -> tuple[tuple[str, int, int], ...]:
    """Every file under ``path`` with its size and modification time: it changes with
    every commit, rebuild or cache file written to the index."""
    out = []
    for folder, _dirs, files in os.walk(path):
        for name in files:
            where = os.path.join(folder, name)
            try:
                st = os.stat(where)
            except OSError:  # removed while listed: a writer is at work; next time
                continue
            out.append((where, st.st_size, st.st_mtime_ns))
    return tuple(sorted(out))


def _whole(name: str, value: int, lo: int, hi: int | None) -> int:
    if value < lo or (hi is not None and value > hi):
        top = f" and at most {hi}" if hi is not None else ""
        raise FilterError(f"{name} must be a whole number of at least {lo}{top}, not {value}")
    return value


def _number(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise FilterError(f"{name} must be a whole number, not {raw!r}") from None


def _given_once(request: Request) -> None:
    """Every page and API call: a query parameter other than :data:`_REPEATABLE` given
    twice is an :class:`ArgumentError` (``?q=a&q=b`` answered for ``b`` alone hid ``a``)."""
    params = request.query_params
    for name in params:  # each name once
        count = len(params.getlist(name))
        if count > 1 and name not in _REPEATABLE:
            raise ArgumentError(
                f"the query parameter {name!r} is given {count} times: give it once "
                f"(only {', '.join(_REPEATABLE[:-1])} and {_REPEATABLE[-1]} may repeat)"
            )


def _many(params: Any, name: str) -> list[str] | None:
    values = [v.strip() for v in params.getlist(name) if v.strip()]
    return values or None


def _flag(params: Mapping[str, str], name: str) -> bool:
    return params.get(name, "").lower() in ("1", "true", "on", "yes")


def _search_args(params: Any, max_limit: int | None = None) -> dict[str, Any]:
    """``Index.search`` keyword arguments from query parameters (URL names as the CLI's)."""
    limit = _number(params, "limit", 10)
    if max_limit is not None:
        limit = _whole("limit", limit, 1, max_limit)
    operator = params.get("operator", "or")
    if operator not in ("or", "and"):
        raise FilterError(f"operator must be 'or' or 'and', not {operator!r}")
    return {
        "limit": limit,
        "page": _number(params, "page", 1),
        "author": _many(params, "author"),
        "source": _many(params, "source"),
        "doc_id": _many(params, "doc"),
        "under": _many(params, "under"),
        "since": params.get("since") or None,
        "until": params.get("until") or None,
        "sort": params.get("sort") or "relevance",
        "group": _flag(params, "group"),
        "group_size": _number(params, "group_size", 3),
        "context": _number(params, "context", 0),
        "operator": operator,
        "collapse": params.get("collapse") or "document",
    }


def _similar_args(params: Any, max_limit: int | None = None) -> dict[str, Any]:
    """:func:`_search_args` for "more like this": no ``operator`` or ``collapse``, and
    ``doc`` there names the source's whole document, not a filter."""
    args = _search_args(params, max_limit)
    del args["operator"], args["doc_id"], args["collapse"]
    return args


@attrs.frozen
class _Options:
    """What ``/api/search`` and ``/api/similar`` take alike besides the paging and
    filters: the request's keywords, and the hit keys kept."""

    keywords: dict[str, Any]
    fields: list[str] | None


def _shared_options(
    limit: int = 10,
    page: int = 1,
    author: _Many = None,
    source: _Many = None,
    since: str | None = None,
    until: str | None = None,
    sort: str = "relevance",
    group: bool = False,
    group_size: int = 3,
    context: int = 0,
    fields: str | None = None,
    facets: str | None = None,
    facet_limit: int = 10,
    histogram: str | None = None,
    explain: bool = False,
    timeout: float | None = None,
    highlight: bool = True,
    under: _Many = None,
) -> _Options:
    """The query parameters ``/api/search`` and ``/api/similar`` share, declared once:
    FastAPI checks their types and lists them in ``/openapi.json``.  The paging and
    filters are then read from the URL as the pages read them (:func:`_search_args`)."""
    explore = explore_keywords(facets, facet_limit, histogram, explain)
    keywords = {**explore, "timeout": timeout, "highlight": highlight}
    return _Options(keywords, None if fields is None else list(comma_names(fields)))


_SharedOptions = Annotated[_Options, Depends(_shared_options)]


def _ranking_args(params: Any) -> dict[str, Any]:
    """``mode`` and ``proximity`` from a page's query parameters (as ``/api/search``'s)."""
    return {"mode": params.get("mode") or "lexical", "proximity": _flag(params, "proximity")}


def _form(params: Mapping[str, str]) -> dict[str, Any]:
    """What the search form shows: the request's own values, so a URL is the whole state."""
    return {
        "q": params.get("q", "").strip(),
        "author": params.get("author", ""),
        "source": params.get("source", ""),
        "since": params.get("since", ""),
        "until": params.get("until", ""),
        "sort": params.get("sort", "relevance"),
        "group": _flag(params, "group"),
        "under": params.get("under", ""),
        "flat": params.get("collapse", "") == "none",
    }
