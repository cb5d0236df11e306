"""Plain word queries skip Whoosh's parser: the same query, the same results.

Every comparison runs each query twice, once as searchkit runs it (plain words built
directly) and once through the parser alone, and asserts equal parsed queries (or equal
errors) and equal results: hits, order, scores, totals, spans, snippets, the query shown.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import searchkit
from searchkit import _plainquery
from searchkit import query as sq
from searchkit.query import language_fields, parse_query

from .conftest import SEEDS, SHARED_DATA

FIXTURES = Path(__file__).parent / "fixtures" / "languages"
CLAIMS = SHARED_DATA / "scifact" / "queries.jsonl"

# Words of the seed article and the language fixtures, stop words, operators in both
# cases, words the analyzer cuts (Tet1, IL-6), accents, and every piece of syntax.
PIECES = [
    *["prisoner", "exchange", "exchanges", "Belarus", "Belorussia", "Kyiv", "Kiev"],
    *["Lukashenka", "Lukashenko", "special", "military", "operation", "SVO", "soldiers"],
    *["Ukraine", "conflict", "role", "mediating"],
    *["the", "of", "a", "to", "be", "or", "not", "who", "and"],
    *["AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "REQUIRE", "TO"],
    *["Tet1", "IL-6", "IL6", "covid19", "B12", "1000", "2024", "well-known", "co-operation"],
    *["café", "Straße", "Krieg", "Frieden", "война", "мир", "战争", "和平"],
    *["(", ")", "()", '"', "'", "Alzheimer's", "'s", "-", "+", "*", "?", "~", "~2"],
    *[":", "title:", "author:", "text:", "^2", "[", "]", "{", "}", "<", ">=", "\\"],
    *[".", ",", ";", "/", "%", "—", "…", "\u061f"],
]
SEPARATORS = ["", "", " ", " ", "  ", "\t", "\n"]
TRICKY = [
    "prisoner exchange",
    "Prisoner  Exchange.",
    " prisoner\texchange ",
    "the who",
    "to be or not to be",
    "G - quadruplex",
    "risk (APOE4) allele",
    "a (b c) d",
    "(prisoner exchange)",
    " (prisoner exchange) ",
    "(prisoner) (exchange role)",
    "((prisoner) exchange)",
    "()",
    "x()",
    "prisoner (the)",
    "Kyiv prisoner",
    "special military operation exchange",
    "Lukashenka role",
    "Alzheimer's exchange",
    "don't exchange",
    "'prisoner exchange'",
    "NOT exchange",
    "prisoner NOT exchange",
    "prisoner and not exchange",
    "prisoner -exchange",
    "prisoner-exchange",
    "+prisoner exchange",
    "(-prisoner exchange)",
    "covid19 IL-6 IL6 Tet1",
    "prisoner prisoner exchange",
    "exchange exchanges exchanged",
    "café Straße",
    "Krieg Frieden",
    "война мир",
    "战争 和平",
    "1000 for 1000",
    "prisoner?",
    "prisoner:",
    "title:prisoner exchange",
    "<PRISONER EXCHANGE> 1ST QTR",
    "KYIV <ROLE> exchange",
    "prisoner<exchange>role",
    "(<prisoner> exchange)",
    "<prisoner> title:exchange",
    "prisoner <= exchange",
]


@contextmanager
def _parser_only() -> Iterator[None]:
    """Every query through Whoosh's parser and Whoosh's ``normalize`` (not the shortcut
    that keeps a tree already normal, nor the flat road that builds the normal tree),
    with nothing remembered from the other roads."""
    _plainquery._RUNS.clear()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sq, "plain_words_query", lambda *args, **kwargs: None)
        mp.setattr(sq, "flat_words_query", lambda *args, **kwargs: None)
        mp.setattr(sq, "normalized", lambda q: q.normalize())
        yield
    _plainquery._RUNS.clear()


def _parsed(text: str, ix: searchkit.Index, operator: Any) -> tuple[Any, ...]:
    searcher = ix._reader()
    fields = language_fields(searcher.reader())
    try:
        q = parse_query(text, searcher.schema, operator, fields, ix.synonyms)
    except searchkit.SearchkitError as exc:
        return (type(exc), str(exc))
    return ("parsed", repr(q), str(q), q)


def _searched(text: str, ix: searchkit.Index, operator: Any, limit: int) -> tuple[Any, ...]:
    try:
        results = ix.search(text, limit=limit, operator=operator)
    except searchkit.SearchkitError as exc:
        return (type(exc), str(exc))
    snippets = [(h.snippet(), h.snippet_html(60), h.marked_title()) for h in results]
    return ("found", results, snippets, [h.as_dict() for h in results])


def _same_both_ways(text: str, ix: searchkit.Index, limit: int = 10) -> bool:
    """Assert that both roads agree on ``text``; whether it took the plain road."""
    searcher = ix._reader()
    fields = language_fields(searcher.reader())
    parsing = _plainquery.Parsing(searcher.schema, "or", fields, ix.synonyms)
    plain = sq.plain_words_query(text, parsing) is not None
    for operator in ("or", "and"):
        fast = _parsed(text, ix, operator), _searched(text, ix, operator, limit)
        with _parser_only():
            full = _parsed(text, ix, operator), _searched(text, ix, operator, limit)
        assert fast == full, (text, operator)
    return plain


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[searchkit.Index]:
    """The seed article and documents in four languages, with synonyms."""
    root = tmp_path_factory.mktemp("plain")
    with searchkit.Index.create(root / "ix", synonyms=FIXTURES / "synonyms.txt") as ix:
        ix.add(SEEDS, FIXTURES / "mixed")
        assert len(language_fields(ix._reader().reader())) > 3
        yield ix


def test_tricky_queries_agree(mixed: searchkit.Index) -> None:
    plain = [text for text in TRICKY if _same_both_ways(text, mixed, limit=20)]
    # The shortcut is taken where it should be, and only there.
    assert "prisoner exchange" in plain and "G - quadruplex" in plain
    assert "(prisoner) (exchange role)" in plain and "Alzheimer's exchange" in plain
    # A < or > outside a field's range cuts words, as the parser does (Reuters titles).
    assert "<PRISONER EXCHANGE> 1ST QTR" in plain and "prisoner<exchange>role" in plain
    assert "<prisoner> title:exchange" not in plain and "prisoner <= exchange" not in plain
    for text in ("NOT exchange", "prisoner -exchange", "'prisoner exchange'", "prisoner?"):
        assert text not in plain
    # A synonyms rule sends the query to the parser, which applies it.
    assert "Kyiv prisoner" not in plain and "Lukashenka role" not in plain
    assert mixed.search("Lukashenka role").total == mixed.search("Lukashenko role").total


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PIECES), st.sampled_from(SEPARATORS)), max_size=8))
def test_generated_queries_agree(mixed: searchkit.Index, parts: list[tuple[str, str]]) -> None:
    text = "".join(piece + sep for piece, sep in parts)
    _same_both_ways(text, mixed)


@pytest.fixture(scope="module")
def unsynonymed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[searchkit.Index]:
    """The same documents without synonyms: the index on which AND and OR between words
    take the plain road (with synonyms, the parser applies the rules)."""
    root = tmp_path_factory.mktemp("plain-operators")
    with searchkit.Index.create(root / "ix") as ix:
        ix.add(SEEDS, FIXTURES / "mixed")
        yield ix


OPERATOR_QUERIES = [
    "prisoner AND exchange",
    "prisoner OR exchange",
    "prisoner AND exchange AND role",
    "prisoner OR exchange AND role",
    "prisoner AND exchange OR role AND Kyiv",
    "(prisoner exchange) AND role",
    "(prisoner exchange) OR role",
    "role OR (prisoner AND exchange)",
    "(prisoner OR exchange) (role AND Kyiv)",
    "SEARS, ROEBUCK AND CO <S> 3RD QTR NET",
    "prisoner AND the",
    "the OR of",
    "Tet1 AND IL-6 OR covid19",
    "prisoner  AND\texchange",
    # TO is an operator only inside a range's brackets: elsewhere a word (a stop word).
    "JAPAN TO PROMOTE INTEREST RATE",
    "prisoner TO exchange AND TO",
    "TO be OR not TO be",
]
# Where the parser's operators are not plain: at an edge, two in a row, another operator.
PARSER_OPERATOR_QUERIES = [
    "AND prisoner",
    "prisoner AND",
    "prisoner AND AND exchange",
    "prisoner AND OR exchange",
    "(AND prisoner) exchange",
    "prisoner (exchange AND)",
    "prisoner AND(exchange)",
    "prisoner NOT exchange",
    "prisoner ANDNOT exchange",
    "prisoner AND exchange NOT role",
]


def test_and_or_between_words_take_the_plain_road(unsynonymed: searchkit.Index) -> None:
    plain = [
        q for q in OPERATOR_QUERIES + PARSER_OPERATOR_QUERIES if _same_both_ways(q, unsynonymed)
    ]
    assert plain == OPERATOR_QUERIES
    # The operators still mean what they meant: AND narrows, OR widens.
    both = unsynonymed.search("prisoner AND exchange", collapse="none").total
    either = unsynonymed.search("prisoner OR exchange", collapse="none").total
    assert 0 < both < unsynonymed.search("prisoner", collapse="none").total < either


_WORD = st.sampled_from([*PIECES[:20], "the", "of", "IL-6", "<S>", "TO"])
_JOIN = st.sampled_from(
    [" AND ", " OR ", " ", "  AND\t", " OR  ", "\u00a0AND\u3000", " <OR> ", ">AND ", " AND<"]
)


def _joined(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Words or groups from ``inner``, one to four, with an operator or a space between."""
    pairs = st.lists(st.tuples(inner, _JOIN), min_size=1, max_size=4)
    return pairs.map(lambda xs: "".join(a + j for a, j in xs[:-1]) + xs[-1][0])


# Words joined by AND, OR or nothing, in nested parentheses: the queries the plain road
# now builds itself, compared with the parser's tree.
_OPERATOR_QUERY = _joined(
    st.recursive(_WORD, lambda inner: _joined(inner).map(lambda t: f"({t})"), max_leaves=8)
)


@settings(max_examples=300, deadline=None)
@given(_OPERATOR_QUERY)
def test_generated_operator_queries_agree(unsynonymed: searchkit.Index, text: str) -> None:
    _same_both_ways(text, unsynonymed)


def test_analysis_is_remembered_per_field(mixed: searchkit.Index) -> None:
    schema = mixed._reader().schema
    _plainquery._RUNS.clear()
    first = _plainquery.word_runs(schema["body"], "Tet1-exchanges")
    assert first == (("tet", "1"), ("exchang",))
    assert _plainquery._RUNS  # remembered ...
    assert _plainquery.word_runs(schema["body"], "Tet1-exchanges") is first
    # ... for that field object only: another field's analysis is its own.
    assert _plainquery.word_runs(schema["stops"], "Tet1-exchanges") == ()


@pytest.mark.skipif(not CLAIMS.is_file(), reason="no SciFact data")
def test_scifact_claims_parse_alike(seed_index: searchkit.Index) -> None:
    claims = [json.loads(line)["text"] for line in CLAIMS.read_text("utf-8").splitlines()]
    assert len(claims) == 1109
    searcher = seed_index._reader()
    fields = language_fields(searcher.reader())
    parsing = _plainquery.Parsing(searcher.schema, "or", fields)
    plain = flat = 0
    for claim in claims:
        plain += sq.plain_words_query(claim, parsing) is not None
        flat += sq.flat_words_query(claim, parsing) is not None
        for operator in ("or", "and"):
            fast = _parsed(claim, seed_index, operator)
            with _parser_only():
                assert _parsed(claim, seed_index, operator) == fast, claim
    assert plain >= 1090  # nearly every claim takes the shortcut
    assert flat >= 950  # and most the flat road (962: no parentheses, AND or OR)


@pytest.mark.slow
@pytest.mark.skipif(not CLAIMS.is_file(), reason="no SciFact data")
def test_scifact_claims_search_alike(tmp_path: Path) -> None:
    from searchkit import Document, Paragraph

    root = SHARED_DATA / "scifact"
    records = [json.loads(line) for line in (root / "corpus.jsonl").open(encoding="utf-8")]
    claims = [json.loads(line)["text"] for line in CLAIMS.read_text("utf-8").splitlines()]
    with searchkit.Index.create(tmp_path / "ix") as ix:
        ix.add_documents(
            Document(
                id=r["_id"],
                path=f"scifact#{r['_id']}",
                title=r["title"],
                paragraphs=(Paragraph(1, r["text"], 0, len(r["text"])),) if r["text"] else (),
                format="beir",
            )
            for r in records
        )
        for i, claim in enumerate(claims):
            _same_both_ways(claim, ix, limit=100 if i % 10 == 0 else 10)


@pytest.mark.parametrize(
    "fields", [{"body": 0.0}, {"body": -1.0}, {"body": 2.5}, {"body": 1.0, "title": 3.0}]
)
def test_other_fields_and_boosts_agree(mixed: searchkit.Index, fields: dict[str, float]) -> None:
    schema = mixed._reader().schema

    def parsed() -> tuple[Any, ...]:
        try:
            q = parse_query("prisoner exchange Tet1", schema, "or", fields)
        except searchkit.SearchkitError as exc:
            return (type(exc), str(exc))
        return (repr(q), q)

    fast = parsed()
    with _parser_only():
        assert parsed() == fast


@pytest.mark.parametrize("text", ["<prisoner> exchange", "(<prisoner> exchange) title:role"])
def test_a_sign_at_the_start_of_a_group_is_dropped(mixed: searchkit.Index, text: str) -> None:
    """Whoosh's parser failed on a query starting with < or > ("list index out of
    range"); the sign is dropped there, as after any word but a field's name."""
    assert mixed.search(text).total == mixed.search(text.replace("<", "")).total > 0
