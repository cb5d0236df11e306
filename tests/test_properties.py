"""Bad input on purpose: whatever the bytes or the query, a result or a SearchkitError."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import searchkit
from searchkit.chunking import chunk_document

from .conftest import SEEDS

_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _load(data: bytes) -> searchkit.Document | None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "f.txt"
        path.write_bytes(data)
        try:
            doc = searchkit.load_document(path)
        except searchkit.DocumentError as exc:
            assert exc.path == str(path)
            return None
        text = data.decode(doc.encoding)
        for c in chunk_document(doc, max_chars=300):
            assert text[c.start : c.end] == c.text
            assert 0 < len(c.text) <= 300
        return doc


@_SETTINGS
@given(st.binary(max_size=2000))
def test_random_bytes(data: bytes) -> None:
    _load(data)


@_SETTINGS
@given(st.text(max_size=2000))
def test_random_unicode(text: str) -> None:
    _load(text.encode("utf-8"))


@_SETTINGS
@given(st.lists(st.sampled_from(["\n", "\r\n", "\r", " ", "\t"]), max_size=200))
def test_only_newlines_and_spaces(parts: list[str]) -> None:
    assert _load("".join(parts).encode()) is None


@settings(max_examples=20, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1000, max_size=20000))
def test_huge_lines_without_newlines(text: str) -> None:
    _load(text.replace("\n", " ").replace("\r", " ").encode("utf-8"))


_QUERY_PIECES = st.sampled_from(
    [
        "Belarus",
        "prisoner",
        '"',
        "(",
        ")",
        "AND",
        "OR",
        "NOT",
        ":",
        "title:",
        "published:",
        "*",
        "?",
        "~",
        "~2",
        "^",
        "^3",
        "-",
        "+",
        "[",
        "]",
        "{",
        "}",
        " TO ",
        "http://a.b/c?d=e",
        "2025-06",
        "\\",
        "'",
        "paragraph:",
        "author:",
        "<",
        ">",
        "=",
        "date:>2025",
        " ",
    ]
)


@_SETTINGS
@given(st.one_of(st.text(max_size=60), st.lists(_QUERY_PIECES, max_size=12).map("".join)))
def test_random_queries(query: str) -> None:
    index = _seed_index()
    try:
        results = index.search(query, limit=5)
    except searchkit.SearchkitError as exc:
        assert str(exc)
    else:
        assert results.total >= len(results.hits)
        assert all(h.rank == i for i, h in enumerate(results.hits, 1))


_INDEX: list[searchkit.Index] = []


def _seed_index() -> searchkit.Index:
    if not _INDEX:
        path = Path(tempfile.mkdtemp()) / "ix"
        index = searchkit.Index.create(path)
        index.add(SEEDS)
        _INDEX.append(index)
    return _INDEX[0]


# -- the writer's own analysis gives the Whoosh analyzer chain's terms and positions --------

_FULL_WIDTH = "\uff41\uff42"
_ENGLISH_WORDS = ["the", "The", "of", "Tet1", "IL-6", "exchanges", "x", "42", _FULL_WIDTH]
_ENGLISH_WORDS += ["E[x]tract", "[a]ll", "Lis[t]", "[x]", "[", "]", "a[1]"]
_OTHER_WORDS = ["İstanbul", "Straße", "Élysée", "die", "Dateien", "военнопленными", "и"]
_WORDS = st.sampled_from([*_ENGLISH_WORDS, *_OTHER_WORDS, "压缩文件", "の", "한국어", "ΟΔΟΣ"])
# Latin with accents, Cyrillic, Greek, CJK and marks written apart, beside any text.
_SCRIPTS = st.characters(codec="utf-8", categories=("L", "M", "N", "P", "Zs"), max_codepoint=0x9FFF)
_TEXTS = st.one_of(
    st.text(max_size=300),
    st.text(_SCRIPTS, max_size=120),
    st.lists(st.one_of(_WORDS, st.sampled_from([" ", ", ", "\n", "-", "'s "])), max_size=60).map(
        "".join
    ),
)


def _whoosh_postings(
    parts: list[tuple[str, int]], field: str = "body"
) -> list[tuple[bytes, int, float, bytes]]:
    """What the analyzer chain gives for weighted parts, the way BodyField once built it."""
    from collections import Counter, defaultdict

    from searchkit.schema import build_schema

    schema_field = build_schema()[field]
    analyzer, fmt = schema_field.analyzer, schema_field.format
    positions: defaultdict[str, list[int]] = defaultdict(list)
    counts: Counter[str] = Counter()
    pos = 0
    for part, weight in parts:
        if not part:
            continue
        for t in analyzer(part, positions=True, mode="index", start_pos=pos):
            positions[t.text].append(t.pos)
            counts[t.text] += weight
            pos = t.pos + 1
        pos += 100
    return sorted((t.encode(), n, float(n), fmt.encode(positions[t])) for t, n in counts.items())


@_SETTINGS
@given(_TEXTS, _TEXTS)
def test_body_and_title_postings_match_the_analyzer_chain(title: str, text: str) -> None:
    from whoosh import fields

    from searchkit.analysis import text_analyzer
    from searchkit.schema import TITLE_WEIGHT, build_schema, indexer

    body = build_schema()["body"]
    expected = _whoosh_postings([(title, TITLE_WEIGHT), (text, 1)])
    assert sorted(body.index((title, text))) == expected
    analysed = indexer(body)((title, text))
    assert sorted(analysed) == expected
    # What the writer appends to its posting lists, for document 7.
    table: dict[bytes, list[object]] = {b"old": [3, 1.0, b""]}
    length, new = analysed.add_to(table, 7)  # type: ignore[union-attr]
    assert length == sum(n for _, n, _, _ in expected)
    assert new == len(expected) - (b"old" in {t for t, *_ in expected})
    assert {t: p for t, p in table.items() if t != b"old"} == {
        t: [7, w, v] for t, _, w, v in expected
    }
    title_field = fields.TEXT(analyzer=text_analyzer(), phrase=True)
    assert sorted(indexer(title_field)(text)) == sorted(title_field.index(text))


# German and French (stop words), Arabic (a stemmer, no stop list), Russian, CJK bigrams,
# and the fallback for other languages.
_LANGUAGE_FIELDS = ["body_de", "body_fr", "body_ar", "body_ru", "body_cjk", "body_other"]


@_SETTINGS
@given(st.sampled_from(_LANGUAGE_FIELDS), _TEXTS, _TEXTS)
def test_language_postings_match_their_analyzer_chain(field: str, title: str, text: str) -> None:
    from searchkit.schema import TITLE_WEIGHT, build_schema, indexer

    body = build_schema()[field]
    expected = _whoosh_postings([(title, TITLE_WEIGHT), (text, 1)], field)
    assert sorted(indexer(body)((title, text))) == expected


@_SETTINGS
@given(st.sampled_from(_LANGUAGE_FIELDS), _TEXTS)
def test_language_highlights_mark_the_words_the_chain_indexes(field: str, text: str) -> None:
    from searchkit.analysis.languages import analysis_for
    from searchkit.schema import build_schema

    body = build_schema()[field]
    tokens = [(t.text, t.startchar, t.endchar) for t in body.analyzer(text, chars=True)]
    if not tokens:
        return
    term = tokens[0][0]
    spans = list(analysis_for(body.language).highlight_spans(text, frozenset({term})))
    covered = {i for s, e in spans for i in range(s, e)}
    # Every token of that term lies inside a highlighted span, and every span is made of
    # such tokens.
    marked = [(s, e) for t, s, e in tokens if t == term]
    assert all(s in covered for s, _ in marked)
    assert all(any(ms <= s < me for ms, me in marked) for s, _ in spans)


@_SETTINGS
@given(_TEXTS, _TEXTS)
def test_stop_word_postings_match_the_analyzer_chain(title: str, text: str) -> None:
    from searchkit.analysis import ENGLISH_STOP_WORDS, stop_analyzer
    from searchkit.schema import STOP_FIELD, TITLE_WEIGHT, build_schema, indexer

    stops = build_schema()[STOP_FIELD]
    assert stops.analyzer == stop_analyzer()
    expected = _whoosh_postings([(title, TITLE_WEIGHT), (text, 1)], STOP_FIELD)
    assert {t.decode() for t, *_ in expected} <= ENGLISH_STOP_WORDS
    assert sorted(stops.index((title, text))) == expected
    assert sorted(indexer(stops)((title, text))) == expected
    # and the body field of the same chunk is as it was, whichever field was analysed first
    body = build_schema()["body"]
    parts = [(title, TITLE_WEIGHT), (text, 1)]
    assert sorted(indexer(body)((title, text))) == _whoosh_postings(parts)
