"""One query, one answer, on every path.

Random queries over the vocabulary of ``tests/fixtures/paths`` (words, phrases, field
prefixes, wildcards, fuzzy words, date ranges, joined by OR, AND, NOT, ANDNOT, ANDMAYBE,
``-`` and plain juxtaposition) with random filters run through every way of answering
them: sorted by relevance, date and oldest, grouped or not, paged with several limits,
with and without context.  The set of chunks and the total must be the same on all of
them and equal to what a brute-force matcher finds by reading every chunk; the date
orders must be the relevance order re-sorted by date; grouped results must be the
ungrouped ones gathered by document; pages put end to end must be the unpaged list.

The index is built once per session, in three segments with deletions, since Whoosh's
own ``AndNot`` matcher goes wrong at a segment's first posting.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import searchkit
from searchkit import _order
from searchkit._dates import date_bounds
from searchkit._limits import Deadline, QueryLimits
from searchkit._stored import chunk_from_stored
from searchkit._topk import all_matches
from searchkit.analysis import normalize_name, text_analyzer
from searchkit.query import parse_query
from searchkit.search import MAX_LIMIT

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "paths"

# -- the index, built once -----------------------------------------------------------


@attrs.frozen
class Chunk:
    """What the brute-force matcher needs of one indexed chunk."""

    id: str
    doc_id: str
    title: tuple[str, ...]  # the title's terms, by position
    text: tuple[str, ...]
    author: str | None
    domain: str | None
    published: dt.datetime | None


_ANALYZER = text_analyzer()


def terms(text: str) -> tuple[str, ...]:
    """``text``'s terms in position order, as the index has them (stop words dropped)."""
    return tuple(t.text for t in _ANALYZER(text))


@pytest.fixture(scope="session")
def paths_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[searchkit.Index]:
    """The fixture in three segments: folder ``a``, folder ``b``, then one article of
    ``a`` changed, so its old chunks are deleted ones in the first segment."""
    root = tmp_path_factory.mktemp("paths")
    files = root / "files"
    shutil.copytree(FIXTURE, files)
    ix = searchkit.Index.create(root / "ix")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(searchkit._writer, "_MIN_MERGE", 1000)  # keep every segment
        ix.add(files / "a")
        ix.add(files / "b")
        changed = files / "a" / "03_school_reform.txt"
        changed.write_text(
            changed.read_text(encoding="utf-8").replace(
                "Original Source:",
                "A vote on the school reform is expected after the election.\n\nOriginal Source:",
            ),
            encoding="utf-8",
        )
        ix.add(files / "a")
    searcher = ix._reader()
    assert len(searcher.leaf_searchers()) == 3
    assert searcher.reader().has_deletions()
    yield ix
    ix.close()


@pytest.fixture(scope="session")
def chunks(paths_index: searchkit.Index) -> list[Chunk]:
    out = []
    for stored in paths_index._reader().reader().all_stored_fields():
        c = chunk_from_stored(stored)
        out.append(
            Chunk(
                c.id,
                c.doc_id,
                terms(c.title),
                terms(c.text),
                c.author,
                c.source_domain,
                c.published,
            )
        )
    assert len(out) == 32  # 31 paragraphs, one more in the changed article
    return out


# -- the regression this started from --------------------------------------------------


@pytest.mark.parametrize("sort", ["relevance", "date", "oldest"])
def test_a_title_word_excluded_with_andnot_stays_excluded(
    paths_index: searchkit.Index, sort: str
) -> None:
    """ "Labour plans maternity pay rise" has ``election`` in a paragraph and ``labour``
    only in its title: ``election ANDNOT labour`` must never return that paragraph."""
    results = paths_index.search("election ANDNOT labour", sort=sort, limit=100, collapse="none")  # type: ignore[arg-type]
    assert sorted((h.title, h.paragraph) for h in results) == [
        ("Budget notes from the Treasury", 2),
        ("Council vote delayed by recount", 2),
        ("Election night: how the votes are counted", 1),  # the word is in its title
        ("Election night: how the votes are counted", 2),
        ("Election night: how the votes are counted", 3),
        ("Health dominates the campaign", 1),
        ("Schools reform divides the party", 4),
        ("Schools reform divides the party", 5),
        ("Tories promise tax cuts before the vote", 1),
    ]
    assert results.total == 9
    grouped = paths_index.search("election ANDNOT labour", sort=sort, group=True)  # type: ignore[arg-type]
    assert grouped.total == 6


def test_a_few_chunks_ids_are_read_one_by_one_as_every_id_reads_them(
    paths_index: searchkit.Index,
) -> None:
    """A process's first search orders ties by document id: for a few matches it reads
    their ids alone, from each segment's column, not every id of the index."""
    searcher = paths_index._reader()
    _order._CACHE.pop(searcher.reader(), None)
    offsets = [offset for _sub, offset in searcher.leaf_searchers()]
    assert len(offsets) == 3
    total = searcher.doc_count_all()
    docs = [total - 1, offsets[1], 0, offsets[2] + 1]  # out of order, from every segment
    assert len(docs) * _order._FEW < total
    few = _order._ids_of(searcher, docs)
    assert "doc_id" not in _order._CACHE.get(searcher.reader(), {})  # every id not read
    every = _order.document_ids(searcher)
    assert few == [every[d] for d in docs]
    assert len(set(few)) > 1
    assert _order._ids_of(searcher, list(range(total))) == every


def test_a_search_cut_short_never_holds_an_excluded_chunk(paths_index: searchkit.Index) -> None:
    """The time budget may cut what a query includes, never what it excludes."""

    class AfterOneLook(Deadline):
        def __init__(self) -> None:
            super().__init__(None)
            self.looks = 0

        def passed(self) -> bool:
            self.looks += 1
            self.expired = self.looks > 1
            return self.expired

    searcher = paths_index._reader()
    q = parse_query("election ANDNOT labour", searcher.schema)
    deadline = AfterOneLook()
    cut = all_matches(searcher, q, deadline=deadline)
    assert deadline.looks == 1  # the excluded side was read without looking
    assert set(cut) == set(all_matches(searcher, q))
    assert len(cut) == 9


# -- random queries ---------------------------------------------------------------------

WORDS = [
    "election",
    "elections",
    "labour",
    "tory",
    "tories",
    "vote",
    "voters",
    "campaign",
    "budget",
    "tax",
    "minister",
    "school",
    "schools",
    "health",
    "reform",
    "party",
    "poll",
    "maternity",
    "pay",
    "council",
    "recount",
    "turnout",
    "seats",
    "hospitals",
    "treasury",
    "secretary",
    "plan",
    "unions",
    "teachers",
    "lead",
    "general",
    "marginal",
    "counted",
    "rise",
    "cuts",
    "funding",
    "education",
    "night",
    "economy",
]
PHRASES = [
    "maternity pay",
    "pay rise",
    "general election",
    "marginal seats",
    "tax cuts",
    "election campaign",
    "school reform",
    "poll lead",
    "postal votes",
    "education budget",
    "health secretary",
    "Labour said",
    "school funding",
    "new tax",
    "vote delayed",
]
PREFIXES = ["elect", "vot", "tax", "camp", "sch", "pol", "re", "lab", "m", "tor"]
FUZZY = ["labor", "electon", "vots", "pole", "budgt", "scool", "helth", "tax", "minster", "lobaur"]
DATES = ["2005", "2005-02", "2005-03", "2005-04", "2005-05", "2005-02-27", "2005-04-02"]
AUTHORS = ["Nick Assinder", "ann lee", "Bo Chen", "CY DIAZ", "Nobody"]
SOURCES = ["news.bbc.co.uk", "guardian.co.uk", "www.reuters.com", "independent.co.uk"]

Node = tuple[Any, ...]

leaves = st.one_of(
    st.tuples(st.just("word"), st.sampled_from(["", "title", "text"]), st.sampled_from(WORDS)),
    st.tuples(st.just("phrase"), st.sampled_from(["", "title"]), st.sampled_from(PHRASES)),
    st.tuples(st.just("prefix"), st.sampled_from(PREFIXES)),
    st.tuples(st.just("fuzzy"), st.sampled_from(FUZZY), st.integers(1, 2)),
    st.tuples(
        st.just("date"),
        st.sampled_from(["in", "range", "between", "after", "before"]),
        st.sampled_from(DATES),
        st.sampled_from(DATES),
    ),
)
BINARY = ["or", "and", "andnot", "andmaybe", "not", "minus", "and not", "juxtaposed"]


def _extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return st.tuples(st.sampled_from(BINARY), children, children)


queries = st.one_of(
    st.recursive(leaves, _extend, max_leaves=5),
    st.tuples(st.just("only not"), st.recursive(leaves, _extend, max_leaves=3)),
)


def render(node: Node) -> str:
    kind = node[0]
    if kind == "word":
        return f"{node[1]}:{node[2]}" if node[1] else node[2]
    if kind == "phrase":
        return f'{node[1]}:"{node[2]}"' if node[1] else f'"{node[2]}"'
    if kind == "prefix":
        return f"{node[1]}*"
    if kind == "fuzzy":
        return f"{node[1]}~{node[2]}"
    if kind == "date":
        _, how, a, b = node
        lo, hi = sorted([a, b])
        return {
            "in": f"date:{a}",
            "range": f"date:[{lo} TO {hi}]",
            "between": f"date:{{{lo} TO {hi}}}",
            "after": f"date:>{a}",
            "before": f"date:<{a}",
        }[how]
    if kind == "only not":
        return f"NOT {render(node[1])}"
    a, b = render(node[1]), render(node[2])
    return {
        "or": f"({a} OR {b})",
        "and": f"({a} AND {b})",
        "andnot": f"({a} ANDNOT {b})",
        "andmaybe": f"({a} ANDMAYBE {b})",
        "not": f"({a} NOT {b})",
        "minus": f"({a} -{b})",
        "and not": f"({a} AND NOT {b})",
        "juxtaposed": f"({a} {b})",
    }[kind]


def _consecutive(words: tuple[str, ...], where: tuple[str, ...]) -> bool:
    n = len(words)
    return any(where[i : i + n] == words for i in range(len(where) - n + 1))


def _edits(a: str, b: str) -> int:
    """Edits from ``a`` to ``b``, a swap of neighbouring letters counting as one."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            changed = a[i - 1] != b[j - 1]
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + changed)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def matches(node: Node, c: Chunk, operator: str) -> bool:
    """Whether chunk ``c`` matches ``node``, read from the chunk's own terms."""
    kind = node[0]
    body = set(c.title) | set(c.text)
    if kind == "word":
        (term,) = terms(node[2])
        return term in (set(c.title) if node[1] == "title" else body)
    if kind == "phrase":
        words = terms(node[2])
        parts = [c.title] if node[1] == "title" else [c.title, c.text]
        return any(_consecutive(words, part) for part in parts)
    if kind == "prefix":
        return any(t.startswith(node[1]) for t in body)
    if kind == "fuzzy":
        (term,) = terms(node[1])
        return any(_edits(term, t) <= node[2] for t in body)
    if kind == "date":
        if c.published is None:
            return False
        _, how, a, b = node
        lo, hi = sorted([a, b])
        if how == "in":
            return date_bounds(a)[0] <= c.published <= date_bounds(a)[1]
        if how == "range":
            return date_bounds(lo)[0] <= c.published <= date_bounds(hi)[1]
        if how == "between":
            return date_bounds(lo)[1] < c.published < date_bounds(hi)[0]
        if how == "after":
            return c.published > date_bounds(a)[1]
        return c.published < date_bounds(a)[0]
    if kind == "only not":
        return not matches(node[1], c, operator)
    a = matches(node[1], c, operator)
    if kind in ("andnot", "not", "minus", "and not"):
        return a and not matches(node[2], c, operator)
    if kind == "andmaybe":
        return a
    b = matches(node[2], c, operator)
    if kind == "and" or (kind == "juxtaposed" and operator == "and"):
        return a and b
    return a or b


filters = st.fixed_dictionaries(
    {},
    optional={
        "author": st.one_of(st.sampled_from(AUTHORS), st.lists(st.sampled_from(AUTHORS))),
        "source": st.one_of(st.sampled_from(SOURCES), st.lists(st.sampled_from(SOURCES))),
        "since": st.sampled_from(DATES),
        "until": st.sampled_from(DATES),
    },
)


def passes(flt: dict[str, Any], c: Chunk) -> bool:
    """Whether chunk ``c`` passes the filters, as ``Index.search`` documents them."""
    if flt.get("author"):
        names = [flt["author"]] if isinstance(flt["author"], str) else flt["author"]
        if c.author is None or normalize_name(c.author) not in map(normalize_name, names):
            return False
    if flt.get("source"):
        sources = [flt["source"]] if isinstance(flt["source"], str) else flt["source"]
        if c.domain not in {s.removeprefix("www.") for s in sources}:
            return False
    if "since" in flt or "until" in flt:
        if c.published is None:
            return False
        if "since" in flt and c.published < date_bounds(flt["since"])[0]:
            return False
        if "until" in flt and c.published > date_bounds(flt["until"])[1]:
            return False
    return True


# -- the paths --------------------------------------------------------------------------


def _ids(results: searchkit.Results) -> list[str]:
    return [h.id for h in results]


def _groups(results: searchkit.Results) -> list[list[str]]:
    return [[h.id, *(m.id for m in h.more)] for h in results]


def _walk(ix: searchkit.Index, text: str, limit: int, **options: Any) -> list[searchkit.Results]:
    """Every page of ``text`` at ``limit`` hits a page, and the first page past the end."""
    first = ix.search(text, limit=limit, **options)
    pages = [first]
    for page in range(2, first.pages + 2):
        pages.append(ix.search(text, limit=limit, page=page, **options))
    return pages


def check(
    ix: searchkit.Index,
    chunks: list[Chunk],
    node: Node,
    flt: dict[str, Any],
    operator: str,
    limit: int,
    group_size: int,
    context: int,
    sort: str,
) -> None:
    text = render(node)
    since, until = flt.get("since"), flt.get("until")
    if since and until and date_bounds(since)[0] > date_bounds(until)[1]:
        with pytest.raises(searchkit.FilterError):
            ix.search(text, **flt)
        return
    expected = {c.id for c in chunks if passes(flt, c) and matches(node, c, operator)}
    docs = {c.id: c for c in chunks}
    # Up to five fuzzy terms: more than the default limit of three.
    common = {"operator": operator, "limits": QueryLimits(max_fuzzy_terms=5), **flt}
    common["collapse"] = "none"  # the flat list; collapsed below

    full: dict[str, searchkit.Results] = {}
    for each in ("relevance", "date", "oldest"):
        full[each] = ix.search(text, limit=MAX_LIMIT, sort=each, **common)
        assert set(_ids(full[each])) == expected, (text, flt, operator, each)
        assert len(full[each]) == full[each].total == len(expected)

    # One score a chunk, whatever the path; relevance order is by that score.
    scores = {h.id: h.score for h in full["relevance"]}
    for each in ("date", "oldest"):
        assert {h.id: h.score for h in full[each]} == scores
    ranked = list(full["relevance"])
    assert all(a.score >= b.score for a, b in itertools.pairwise(ranked))

    # The date orders are the relevance order, re-sorted (stably) by date.
    def newest(h: searchkit.Hit) -> tuple[bool, float]:
        return (h.published is None, -h.published.timestamp() if h.published else 0.0)

    def oldest(h: searchkit.Hit) -> tuple[bool, float]:
        return (h.published is None, h.published.timestamp() if h.published else 0.0)

    assert _ids(full["date"]) == [h.id for h in sorted(ranked, key=newest)]
    assert _ids(full["oldest"]) == [h.id for h in sorted(ranked, key=oldest)]

    # Grouped: the same list gathered by document, first appearance first.
    grouped = ix.search(
        text, limit=MAX_LIMIT, sort=sort, group=True, group_size=group_size, **common
    )
    gathered: dict[str, list[str]] = {}
    for chunk_id in _ids(full[sort]):
        gathered.setdefault(docs[chunk_id].doc_id, []).append(chunk_id)
    assert _groups(grouped) == [g[:group_size] for g in gathered.values()]
    assert grouped.total == len({docs[i].doc_id for i in expected})

    # Collapsed (the default): the same list with each document once, at its first chunk.
    collapsed = ix.search(text, limit=MAX_LIMIT, sort=sort, **{**common, "collapse": "document"})
    assert _ids(collapsed) == [g[0] for g in gathered.values()]
    assert [h.more_count for h in collapsed] == [len(g) - 1 for g in gathered.values()]
    assert (collapsed.total, collapsed.paragraphs) == (len(gathered), len(expected))

    # Pages end to end are the unpaged lists; every page tells the same total.
    for whole in (full[sort], grouped, collapsed):
        options = {"sort": sort, "group": whole.grouped, "group_size": group_size, **common}
        options["collapse"] = "document" if whole.collapsed else "none"
        pages = _walk(ix, text, limit, **options)
        assert [r.total for r in pages] == [whole.total] * len(pages)
        assert all(r.pages == max(1, math.ceil(whole.total / limit)) for r in pages)
        assert len(pages[-1]) == 0
        walked = [g for r in pages for g in _groups(r)]
        assert walked == _groups(whole)
        ranks = [h.rank for r in pages for h in r]
        assert ranks == list(range(1, len(walked) + 1))

    # Context adds neighbours, never hits.
    with_context = ix.search(text, limit=limit, sort=sort, context=context, **common)
    assert _ids(with_context) == _ids(full[sort])[:limit]


examples = st.fixed_dictionaries(
    {
        "node": queries,
        "flt": filters,
        "operator": st.sampled_from(["or", "and"]),
        "limit": st.integers(5, 12),
        "group_size": st.integers(1, 4),
        "context": st.integers(1, 2),
        "sort": st.sampled_from(["relevance", "date", "oldest"]),
    }
)
_SETTINGS: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}


@settings(max_examples=200, **_SETTINGS)
@given(example=examples)
def test_every_path_gives_one_answer(
    paths_index: searchkit.Index, chunks: list[Chunk], example: dict[str, Any]
) -> None:
    check(paths_index, chunks, **example)


@pytest.mark.slow
@settings(max_examples=5000, **_SETTINGS)
@given(example=examples)
def test_every_path_gives_one_answer_at_length(
    paths_index: searchkit.Index, chunks: list[Chunk], example: dict[str, Any]
) -> None:
    check(paths_index, chunks, **example)
