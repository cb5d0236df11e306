"""One request value: every edge offers every search option, builds the same request, and a
query is checked, parsed and bounded once per search.

The edge checks are generated from the fields of ``SearchRequest`` and ``SimilarRequest``
(``attrs.fields``), so an option added to a request and forgotten at an edge fails here.
Where an edge spells an option differently, or leaves one out on purpose, the tables below
say so, and the tests hold each entry true (a renamed or stale entry fails too).
"""

from __future__ import annotations

import importlib
import inspect
import pickle
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import click
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

import searchkit
from searchkit import SearchRequest, SimilarRequest
from searchkit.multi import MultiIndex
from searchkit.shards import ShardedIndex
from searchkit.web.app import create_app

from .conftest import SEEDS

Request = type[SearchRequest] | type[SimilarRequest]

# Names the CLI's parameters (Click's ``param.name``) give an option, where they differ.
CLI_NAMES: dict[Request, dict[str, str]] = {
    SearchRequest: {"doc_id": "doc_ids", "operator": "require_all"},
    SimilarRequest: {"chunk_or_doc_id": "source_id", "document": "whole_document"},
}
# Names of the web API's query parameters (and path parameter), where they differ.
WEB_NAMES: dict[Request, dict[str, str]] = {
    SearchRequest: {"query": "q", "doc_id": "doc"},
    SimilarRequest: {"chunk_or_doc_id": "source_id", "document": "doc"},
}
WEB_ROUTES: dict[Request, str] = {
    SearchRequest: "/api/search",
    SimilarRequest: "/api/similar/{source_id}",
}
CLI_COMMANDS: dict[Request, str] = {SearchRequest: "search", SimilarRequest: "similar"}
# Options an edge leaves out on purpose, and why.
LIMITS_FROM_ENV = "the query limits there are the process's: SEARCHKIT_MAX_... variables"
DOC_IS_THE_SOURCE = "--doc / doc= there name the source's whole document, not a filter"
CLI_LEFT_OUT: dict[Request, dict[str, str]] = {
    SearchRequest: {"limits": LIMITS_FROM_ENV},
    SimilarRequest: {"limits": LIMITS_FROM_ENV, "doc_id": DOC_IS_THE_SOURCE},
}
WEB_LEFT_OUT: dict[Request, dict[str, str]] = {
    SearchRequest: {"limits": LIMITS_FROM_ENV},
    SimilarRequest: {"limits": LIMITS_FROM_ENV, "doc_id": DOC_IS_THE_SOURCE},
}
# Keywords of the Python methods that are not options of the request: how to run it.
RUNNING = {"client", "cluster_timeout"}
KINDS = [SearchRequest, SimilarRequest]
METHOD = {SearchRequest: "search", SimilarRequest: "similar"}


def _fields(kind: Request) -> list[attrs.Attribute[Any]]:
    return list(attrs.fields(kind))


def _subject(kind: Request) -> str:
    return next(f.name for f in _fields(kind) if f.default is attrs.NOTHING)


def _options(kind: Request) -> list[attrs.Attribute[Any]]:
    return [f for f in _fields(kind) if f.default is not attrs.NOTHING]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
@pytest.mark.parametrize("owner", [searchkit.Index, MultiIndex, ShardedIndex])
def test_every_option_is_a_keyword_of_every_python_method(owner: type, kind: Request) -> None:
    params = inspect.signature(getattr(owner, METHOD[kind])).parameters
    first = list(params)[1]  # after self
    assert first == _subject(kind)
    assert params["request"].kind is inspect.Parameter.KEYWORD_ONLY
    for field in _options(kind):
        param = params.get(field.name)
        assert param is not None, f"{owner.__name__}.{METHOD[kind]} has no {field.name}="
        assert param.kind is inspect.Parameter.KEYWORD_ONLY
        assert param.default == field.default, (owner.__name__, field.name)
    # And nothing besides the request's fields, save how the search runs.
    known = {f.name for f in _fields(kind)} | {"self", "request"} | RUNNING
    assert set(params) <= known, set(params) - known


def _cli_params(kind: Request) -> set[str]:
    cli = importlib.import_module("searchkit.cli").cli
    command = cli.commands[CLI_COMMANDS[kind]]
    return {p.name for p in command.params if isinstance(p, click.Parameter) and p.name}


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
def test_every_option_is_a_parameter_of_the_cli_command(kind: Request) -> None:
    names, left_out, offered = CLI_NAMES[kind], CLI_LEFT_OUT[kind], _cli_params(kind)
    for field in _fields(kind):
        name = names.get(field.name, field.name)
        if field.name in left_out:
            assert name not in offered, f"{name} is offered: drop it from CLI_LEFT_OUT"
        else:
            assert name in offered, f"searchkit {CLI_COMMANDS[kind]} has no {name}"
    assert set(names) | set(left_out) <= {f.name for f in _fields(kind)}


def _web_params(kind: Request) -> set[str]:
    spec = create_app(Path("no-index-here")).openapi()
    return {p["name"] for p in spec["paths"][WEB_ROUTES[kind]]["get"]["parameters"]}


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
def test_every_option_is_a_parameter_of_the_web_api(kind: Request) -> None:
    names, left_out, offered = WEB_NAMES[kind], WEB_LEFT_OUT[kind], _web_params(kind)
    for field in _fields(kind):
        name = names.get(field.name, field.name)
        if field.name in left_out:
            assert name not in offered, f"{name} is offered: drop it from WEB_LEFT_OUT"
        else:
            assert name in offered, f"{WEB_ROUTES[kind]} has no {name}"
    assert set(names) | set(left_out) <= {f.name for f in _fields(kind)}


def test_the_renamed_options_mean_the_same_at_every_edge(
    seed_index: searchkit.Index, seed_index_path: Path
) -> None:
    """The mapped names carry the option: ``--doc``/``doc`` is ``doc_id``, ``--and`` is
    ``operator="and"``, ``--no-highlight``/``highlight=false`` is ``highlight=False``."""
    doc = seed_index.search("belarus")[0].doc_id
    want = seed_index.search(SearchRequest("belarus exchange", doc_id=doc, operator="and"))
    want_plain = seed_index.search("belarus exchange", doc_id=doc, operator="and", highlight=False)
    assert want_plain.hits[0].highlights == () and want.hits[0].highlights
    got = CliRunner().invoke(
        importlib.import_module("searchkit.cli").cli,
        ["search", "belarus exchange", "--doc", doc, "--and", "--no-highlight", "--json",
         "--index", str(seed_index_path)],
    )  # fmt: skip
    assert got.exit_code == 0, got.output
    assert pickle.dumps(_json(got.output)) == pickle.dumps(want_plain.as_dict())
    with TestClient(create_app(seed_index_path), base_url="http://localhost") as client:
        answer = client.get(
            "/api/search",
            params={"q": "belarus exchange", "doc": doc, "operator": "and", "highlight": "false"},
        )
    assert answer.status_code == 200 and answer.json() == want_plain.as_dict()


def _json(text: str) -> Any:
    import json

    return json.loads(text)


@pytest.fixture
def sharded(tmp_path: Path) -> Iterator[searchkit.Index]:
    with searchkit.Index.create(tmp_path / "sharded", shards=2) as ix:
        ix.add(SEEDS)
        yield ix


def test_a_request_passed_whole_is_the_keywords(
    seed_index: searchkit.Index, seed_index_path: Path, sharded: searchkit.Index
) -> None:
    options: dict[str, Any] = {"limit": 3, "page": 2, "context": 1, "facets": ("year",)}
    with searchkit.open_many([seed_index_path]) as many:
        for ix in (seed_index, many, sharded):
            want = ix.search("belarus", **options).as_dict()
            assert ix.search(SearchRequest("belarus", **options)).as_dict() == want
            assert ix.search(request=SearchRequest("belarus", **options)).as_dict() == want
            chunk = seed_index.search("belarus")[0].chunk_id
            like = ix.similar(chunk, limit=4).as_dict()
            assert ix.similar(SimilarRequest(chunk, limit=4)).as_dict() == like


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda ix: ix.search(SearchRequest("x"), limit=5), "not both: limit"),
        (lambda ix: ix.search("x", request=SearchRequest("x")), "give query or request="),
        (lambda ix: ix.search(SearchRequest("x"), request=SearchRequest("x")), "once"),
        (lambda ix: ix.search(), "give query or request="),
        (lambda ix: ix.search(SimilarRequest("x")), "must be a searchkit.SearchRequest"),
        (lambda ix: ix.similar(SearchRequest("x")), "must be a searchkit.SimilarRequest"),
        (lambda ix: ix.similar(SimilarRequest("x"), group=True), "not both: group"),
    ],
)
def test_a_request_and_keywords_together_are_refused(
    seed_index: searchkit.Index, call: Any, message: str
) -> None:
    with pytest.raises(searchkit.ArgumentError, match=message):
        call(seed_index)


def test_every_edge_refuses_a_page_past_ten_thousand_hits(
    seed_index: searchkit.Index, seed_index_path: Path, sharded: searchkit.Index
) -> None:
    message = "page 1001 of 10 hits reaches hit 10,010, but hits are ranked up to 10,000"
    with searchkit.open_many([seed_index_path]) as many:
        for ix in (seed_index, many, sharded):
            with pytest.raises(searchkit.ArgumentError, match=message):
                ix.search("belarus", page=1001)
            with pytest.raises(searchkit.ArgumentError, match=message):
                ix.similar("x", page=1001)
            assert ix.search("belarus", page=1000).hits == ()
    cli = importlib.import_module("searchkit.cli").cli
    for command in (["search", "belarus"], ["similar", "x"]):
        got = CliRunner().invoke(cli, [*command, "--page", "1001", "--index", str(seed_index_path)])
        assert got.exit_code == 2 and message in got.output
    with TestClient(create_app(seed_index_path), base_url="http://localhost") as client:
        for url in (
            "/api/search?q=belarus&page=1001",
            "/api/similar/x?page=1001",
            "/?q=b&page=1001",
        ):
            answer = client.get(url)
            assert answer.status_code == 400 and message in answer.text


def test_similar_takes_the_options_search_takes(
    seed_index: searchkit.Index, sharded: searchkit.Index
) -> None:
    chunk = seed_index.search("belarus")[0].chunk_id
    for ix in (seed_index, sharded):
        assert any(h.highlights for h in ix.similar(chunk))
        assert all(h.highlights == () for h in ix.similar(chunk, highlight=False))
        assert ix.similar(chunk, timeout=1e-9).timed_out
        with pytest.raises(searchkit.QueryLimitError, match="max_clauses"):
            ix.similar(chunk, limits=searchkit.QueryLimits(max_clauses=2))


def test_a_request_checks_its_values_and_names_the_argument() -> None:
    for kwargs, message in [
        ({"limit": 0}, "limit must be a whole number of at least 1 and at most 10000, not 0"),
        ({"limit": True}, "limit must be a whole number"),
        ({"page": "2"}, "page must be a whole number of at least 1, not '2'"),
        ({"group": 1}, "group must be True or False, not 1"),
        ({"facets": ["year", "colour"]}, "unknown facet 'colour'"),
        ({"histogram": "decade"}, "histogram interval must be one of day, week"),
        ({"timeout": 0}, "timeout must be a number of seconds above 0, not 0"),
        ({"limits": 5}, "limits must be searchkit.QueryLimits, not 5"),
        ({"operator": "xor"}, "operator must be 'or' or 'and', not 'xor'"),
        ({"facets": 5}, "facets must be a name or a list of names, not 5"),
        ({"author": ["Ann", 3]}, r"author must be a name or a list of names, not \['Ann', 3\]"),
    ]:
        with pytest.raises(searchkit.ArgumentError, match=message) as err:
            SearchRequest("x", **kwargs)
        assert isinstance(err.value, ValueError)
    with pytest.raises(searchkit.ArgumentError, match="document must be True or False"):
        SimilarRequest("x", document="yes")  # type: ignore[arg-type]


def test_a_request_is_a_plain_value_that_crosses_to_a_worker() -> None:
    limits = searchkit.QueryLimits()
    wanted = SearchRequest("belarus", author=["A", "B"], facets="year", limits=limits)
    assert wanted.author == ("A", "B") and wanted.facets == ("year",)
    assert pickle.loads(pickle.dumps(wanted)) == wanted
    same = SearchRequest("belarus", author=("A", "B"), facets=["year"], limits=limits)
    assert same == wanted and hash(same) == hash(wanted)
    assert attrs.evolve(wanted, page=2).page == 2


def _counting(monkeypatch: pytest.MonkeyPatch, func: Any) -> list[int]:
    """Count the calls of ``func`` made through any searchkit module's name for it."""
    calls: list[int] = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return func(*args, **kwargs)

    for name, module in list(sys.modules.items()):
        if name == "searchkit" or name.startswith("searchkit."):
            for attr, value in list(vars(module).items()):
                if value is func:
                    monkeypatch.setattr(module, attr, counted)
    return calls


@pytest.mark.parametrize(
    "options", [{}, {"facets": ["year"], "histogram": "month", "explain": True}]
)
def test_a_search_checks_parses_and_bounds_its_query_once(
    seed_index: searchkit.Index, monkeypatch: pytest.MonkeyPatch, options: dict[str, Any]
) -> None:
    from searchkit import _limits, query

    checked = _counting(monkeypatch, _limits.check_text)
    parsed = _counting(monkeypatch, query.parse_query)
    bounded = _counting(monkeypatch, _limits.bound_query)
    results = seed_index.search("belaru* exchange~", **options)
    assert results.total > 0 and bool(results.facets) == bool(options)
    assert (len(checked), len(parsed), len(bounded)) == (1, 1, 1)


def test_a_search_over_parts_parses_once_and_bounds_once_a_part(
    sharded: searchkit.Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    from searchkit import _limits, query

    checked = _counting(monkeypatch, _limits.check_text)
    parsed = _counting(monkeypatch, query.parse_query)
    bounded = _counting(monkeypatch, _limits.bound_query)
    assert sharded.search("belaru*", facets=["year"], explain=True).total > 0
    assert (len(checked), len(parsed), len(bounded)) == (1, 1, 2)


def test_the_similar_articles_page_shows_the_articles_similar_finds(tmp_path: Path) -> None:
    """``doc=1`` on the page names the source's whole document: it is not a ``doc_id``
    filter (which kept only a document with the id "1", so no hit at all)."""
    texts = {
        "a": "River banks flood after the storm. The river rose at the old bridge.",
        "b": "The storm flooded the river banks near the bridge again this spring.",
        "c": "Council votes school budget; teachers want higher wages.",
    }
    documents = [
        searchkit.Document(
            id=key,
            path=f"{key}.txt",
            title={"a": "Flood", "b": "Storm", "c": "Budget"}[key],
            paragraphs=(searchkit.Paragraph(1, text, 0, len(text)),),
        )
        for key, text in texts.items()
    ]
    with searchkit.Index.create(tmp_path / "ix") as ix:
        ix.add_documents(documents)
        want = ix.similar("a", document=True, group=True)
    assert [h.doc_id for h in want] == ["b"]
    with TestClient(create_app(tmp_path / "ix"), base_url="http://localhost") as client:
        page = client.get("/similar/a", params={"doc": "1", "group": "1"}).text
    assert "Articles like “Flood”" in page
    assert page.count('class="hit"') == 1 and "Storm" in page
