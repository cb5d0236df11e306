"""The term-at-a-time fast path gives what Whoosh's collector gives: hits, order, totals."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from whoosh import scoring
from whoosh.searching import Searcher

import searchkit
from searchkit import Document, Paragraph
from searchkit._topk import tie_key, top_docs
from searchkit.query import build_filter, parse_query

_VOCABULARY = """
    river bank money loan interest rate water flood bridge city council vote budget school
    teacher pupil exam summer winter snow train station delay strike union wage price market
    share stock bond yield farmer wheat harvest rain drought
"""
WORDS = _VOCABULARY.split()
AUTHORS = ("Ann Lee", "Bo Chen", "Cy Diaz")


def _documents(n: int, seed: int) -> Iterator[Document]:
    rnd = random.Random(seed)
    for i in range(n):
        paragraphs = []
        at = 0
        for p in range(1, rnd.randint(1, 4) + 1):
            text = " ".join(rnd.choices(WORDS, k=rnd.randint(3, 40))).capitalize() + "."
            paragraphs.append(Paragraph(p, text, at, at + len(text)))
            at += len(text) + 1
        yield Document(
            id=f"doc{i}",
            path=f"synthetic/{i}.txt",
            title=" ".join(rnd.choices(WORDS, k=rnd.randint(1, 5))),
            paragraphs=tuple(paragraphs),
            author=AUTHORS[i % len(AUTHORS)],
            format="test",
        )


@pytest.fixture(scope="module")
def segmented(tmp_path_factory: pytest.TempPathFactory) -> Iterator[searchkit.Index]:
    """Several segments (small batches), and deletions (documents replaced later)."""
    ix = searchkit.Index.create(tmp_path_factory.mktemp("topk") / "ix")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(searchkit._writer, "_MIN_MERGE", 1000)  # keep every segment
        ix.add_documents(_documents(120, seed=1), batch_size=25)
        ix.add_documents(_documents(30, seed=2), batch_size=7)  # replaces doc0..doc29
    yield ix
    ix.close()


@pytest.fixture(autouse=True)
def _sums_only(segmented: searchkit.Index, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whoosh's matchers add up an OR's parts: they are the reference for the plan's
    sums, so the plan's coverage factor is off here (the last tests check it)."""
    monkeypatch.setattr(segmented._reader().weighting, "coverage", 0.0)


QUERIES = [
    "river",
    "river bank money",
    "flood OR drought OR rain",
    "school AND teacher",
    "school teacher -exam",
    "market AND (stock OR bond)",
    "title:river",
    "text:wheat harvest",
    "price^3 wage",
    "nosuchword",
    "nosuchword river",
    "council vote budget city bridge water flood loan interest rate",
    '"river bank"',
    '"bank river" money',
    '"water flood" OR "flood water" OR drought',
    '"school teacher pupil" -exam',
    '"price price"',
    'title:"river bank"',
    "river ANDMAYBE (bank OR money)",
]


def _whoosh(searcher: Searcher, q: Any, limit: int, flt: Any) -> list[tuple[float, int]]:
    """Every match scored by Whoosh, best first (equal scores by document id and place).

    Whoosh's top-N collector is not the reference: it calls ``matcher.replace()`` with
    its running minimum score, and for ``a ANDNOT b`` that drops matching documents.
    Its unlimited collector scores every match.
    """
    found = searcher.search(q, limit=None, filter=flt)
    allowed = None if flt is None else set(searcher.docs_for_query(flt))
    return sorted(
        ((s, d) for s, d in found.top_n if allowed is None or d in allowed),
        key=lambda sd: (-sd[0], tie_key(searcher.stored_fields(sd[1]))),
    )


def _compare(searcher: Searcher, text: str, limit: int, flt: Any = None) -> None:
    q = parse_query(text, searcher.schema)
    fast = top_docs(searcher, q, limit, flt)
    assert fast is not None, f"{text!r} should take the fast path"
    top, total = fast
    expected = _whoosh(searcher, q, limit, flt)
    assert total == len(expected)
    assert [d for _s, d in top] == [d for _s, d in expected[:limit]]
    assert [s for s, _d in top] == pytest.approx([s for s, _d in expected[:limit]], rel=1e-12)


@pytest.mark.parametrize("text", QUERIES)
@pytest.mark.parametrize("limit", [1, 5, 50])
def test_fast_path_matches_whoosh(segmented: searchkit.Index, text: str, limit: int) -> None:
    searcher = segmented._reader()
    assert len(searcher.leaf_searchers()) > 1
    assert searcher.reader().has_deletions()
    _compare(searcher, text, limit)


@pytest.mark.parametrize("text", QUERIES)
def test_fast_path_matches_whoosh_under_filters(segmented: searchkit.Index, text: str) -> None:
    searcher = segmented._reader()
    for flt in (
        build_filter(author="Ann Lee"),
        build_filter(doc_id=["doc3", "doc40", "doc77"]),
        build_filter(author="Nobody"),
    ):
        _compare(searcher, text, 10, flt)


def test_fast_path_with_another_length_scorer(segmented: searchkit.Index) -> None:
    with segmented._ix.searcher(weighting=scoring.PL2()) as other:
        for text in QUERIES:
            _compare(other, text, 10)


@pytest.mark.parametrize(
    "text", ['"river bank"~3', "riv*", "rivr~", "paragraph:[1 TO 2]", "NOT river"]
)
def test_other_leaves_are_read_through_whooshs_matcher(
    segmented: searchkit.Index, text: str
) -> None:
    for limit in (1, 5, 50):
        _compare(segmented._reader(), text, limit)


def test_final_hook_is_applied_to_every_match(segmented: searchkit.Index) -> None:
    class Final(scoring.BM25F):  # type: ignore[misc]
        use_final = True

        def final(self, searcher: Searcher, docnum: int, score: float) -> float:
            return score / (1 + docnum % 7)  # reorders the matches

    with segmented._ix.searcher(weighting=Final()) as other:
        for limit in (1, 5, 50):
            _compare(other, "river bank", limit)


def test_search_results_agree_with_whoosh(segmented: searchkit.Index) -> None:
    searcher = segmented._reader()
    for text in QUERIES:
        results = segmented.search(text, limit=7, page=2, collapse="none")
        expected = _whoosh(searcher, parse_query(text, searcher.schema), 14, None)
        assert results.total == len(expected)
        assert [searcher.stored_fields(d)["chunk_id"] for _s, d in expected[7:14]] == [
            h.chunk_id for h in results
        ]
        assert [h.rank for h in results] == list(range(8, 8 + len(results)))


def test_seed_index_keeps_its_answers(seed_index: searchkit.Index, tmp_path: Path) -> None:
    results = seed_index.search("prisoner exchange", limit=5, collapse="none")
    assert results.total > 5
    assert results.pages == -(-results.total // 5)
    assert all(a.score >= b.score for a, b in zip(results, results.hits[1:], strict=False))


@pytest.mark.parametrize("text", ["river bank money flood", "school teacher -exam"])
def test_an_or_scales_its_sum_by_how_many_clauses_a_chunk_matches(
    segmented: searchkit.Index, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    """``sum * (1 + 0.05 * (matched - 1) / (clauses - 1))``: a chunk with all the words
    gains 5% over the plain sum, one with a single word nothing."""
    searcher = segmented._reader()
    q = parse_query(text, searcher.schema)
    words = [w for w in text.split() if not w.startswith("-")]
    with_word = [
        {d for _s, d in top_docs(searcher, parse_query(w, searcher.schema), 999)[0]} for w in words
    ]
    sums = {d: s for s, d in top_docs(searcher, q, 999)[0]}
    monkeypatch.setattr(searcher.weighting, "coverage", 0.05)
    scaled = {d: s for s, d in top_docs(searcher, q, 999)[0]}
    assert scaled.keys() == sums.keys()
    matched = {d: sum(d in docs for docs in with_word) for d in sums}
    for d, s in scaled.items():
        factor = 1 + 0.05 * (matched[d] - 1) / (len(words) - 1)
        assert s == pytest.approx(sums[d] * factor, rel=1e-12)
    assert {1, len(words)} <= set(matched.values())
