"""A page of hits: records read once, highlight spans found in one pass that gives exactly
what analysing each hit word by word gives."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import searchkit
from searchkit import _records
from searchkit.analysis import ENGLISH_STOP_WORDS, WORD_PARTS, highlight_spans, index_term
from searchkit.analysis import spans as page
from searchkit.query import parse_query

from .conftest import SHARED_DATA

# Letters and digits of several scripts, digits that are not decimal (a "letter" to the
# word-part pattern), marks, spaces and dashes outside ASCII, an underscore, a surrogate.
ALPHABET = [
    *"abcdeISTtz019 .,-_'()[]\n\t",
    *"éÉßİıæ²٣ΣσЖж中文😀",
    *"\u0301\u00a0\u2009\u2013\u2014\u2019\ud800",
]
WORDS = [
    *["cell", "cells", "Cell", "CELL", "cellular", "the", "The", "of", "and"],
    *["IL-6", "IL6", "Tet1", "café", "cafe", "naïve", "Über"],
    *["E[x]tract", "[c]ell", "Cel[l]", "[a]nd", "[x]", "a[1]"],
]


def _expected(texts: list[str], terms: frozenset[str], stops: frozenset[str]) -> list[Any]:
    return [tuple(highlight_spans(t, terms, stops)) for t in texts]


def _terms_of(texts: list[str], pick: list[bool]) -> frozenset[str]:
    found = [index_term(w) for t in texts for w in re.findall(WORD_PARTS, t)]
    words = [w for w in found if w is not None]
    return frozenset(w for w, keep in zip(words, pick * len(words), strict=False) if keep)


_text = st.lists(st.one_of(st.sampled_from(ALPHABET), st.sampled_from(WORDS)), max_size=40).map(
    "".join
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_text, min_size=1, max_size=6),
    st.lists(st.booleans(), min_size=1, max_size=5),
    st.sets(st.sampled_from([*sorted(ENGLISH_STOP_WORDS)[:20], "the", "of", "and"])),
)
def test_page_spans_are_the_word_by_word_spans(
    texts: list[str], pick: list[bool], stops: set[str]
) -> None:
    terms = _terms_of(texts, pick)
    for chosen in (terms, frozenset(), terms | {"cell", "il", "6", "cafe"}):
        expected = _expected(texts, chosen, frozenset(stops))
        assert page.page_spans(texts, chosen, frozenset(stops)) == expected
        # Again, now that every token is known.
        assert page.page_spans(texts, chosen, frozenset(stops)) == expected


def test_page_spans_whole_tokens_only() -> None:
    texts = ["Cells: cell, cellular; xcell cell_ cell1 1cell (cell) cell\u2013cell", "", "cell"]
    terms = frozenset({"cell"})
    assert page.page_spans(texts, terms) == _expected(texts, terms, frozenset())
    assert page.page_spans(texts, terms)[2] == ((0, 4),)


def test_a_full_state_starts_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(page, "_MAX_TOKENS", 3)
    texts = ["alpha beta gamma delta", "beta gamma epsilon zeta", "alpha zeta"]
    terms = frozenset({"alpha", "zeta", "gamma"})
    for _ in range(3):
        before = page._state
        assert page.page_spans(texts, terms) == _expected(texts, terms, frozenset())
        assert page._state is not before  # more than 3 tokens: the next page starts anew


def _counting_reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Every stored record read from a segment, as (segment's records, document number)."""
    reads: list[tuple[int, int]] = []
    original = _records.RecordReader.__getitem__

    def counted(self: _records.RecordReader, docnum: int) -> Any:
        reads.append((id(self), docnum))
        return original(self, docnum)

    monkeypatch.setattr(_records.RecordReader, "__getitem__", counted)
    return reads


def test_each_record_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Twenty chunks that tie (the same words, the same length): ranking reads their
    # records to order them, and the hits reuse what it read.
    with searchkit.Index.create(tmp_path / "ix") as ix:
        ix.add_documents(
            searchkit.Document(
                id=f"d{i:02}",
                path=f"{i}.txt",
                title="Same title",
                paragraphs=(searchkit.Paragraph(1, "river bank", 0, 10),),
            )
            for i in range(20)
        )
        for _ in range(2):  # the first query through _topk, the second through the columns
            reads = _counting_reads(monkeypatch)
            results = ix.search("river", limit=15)
            assert [h.doc_id for h in results] == [f"d{i:02}" for i in range(15)]
            assert results.total == 20
            assert len(reads) == len(set(reads)) and len(set(reads)) >= 15
            monkeypatch.undo()


def test_grouped_hits_and_context(seed_index: searchkit.Index) -> None:
    grouped = seed_index.search("prisoner exchange", group=True, group_size=3, context=1)
    (hit,) = grouped.hits
    assert len(hit.more) == 2 and all(m.rank == hit.rank == 1 for m in hit.more)
    assert hit.before and hit.after and not any(m.before or m.after for m in hit.more)
    for h in (hit, *hit.more):
        assert h.spans == tuple(highlight_spans(h.text, frozenset({"prison", "exchang"})))
        assert h.highlights and all(
            w.lower().startswith(("prison", "exchang")) for w in h.highlights
        )
    flat = seed_index.search("prisoner exchange", limit=11, collapse="none")
    assert [h.chunk_id for h in (hit, *hit.more)] == [h.chunk_id for h in flat.hits[:3]]


def test_deep_pages_agree_with_shallow_ones(seed_index: searchkit.Index) -> None:
    deep = seed_index.search("Belarus Russia Ukraine", limit=1000)
    for limit in (1, 3, 10):
        assert seed_index.search("Belarus Russia Ukraine", limit=limit).hits == deep.hits[:limit]
    paged = seed_index.search("Belarus Russia Ukraine", limit=3, page=2)
    assert paged.hits == deep.hits[3:6]


@pytest.mark.skipif(
    not (SHARED_DATA / "scifact" / "corpus.jsonl").is_file(), reason="no SciFact data"
)
def test_scifact_page_spans() -> None:
    root = SHARED_DATA / "scifact"
    records = [json.loads(line) for line in (root / "corpus.jsonl").open(encoding="utf-8")]
    claims = [json.loads(line)["text"] for line in (root / "queries.jsonl").open()]
    # Texts with characters outside ASCII (dashes, Greek letters, accents) and without.
    texts = [t for r in records for t in (r["title"], r["text"]) if not t.isascii()][:300]
    texts += [t for r in records[:150] for t in (r["title"], r["text"])]
    for claim in claims[:20]:
        words = [index_term(w) for w in re.findall(WORD_PARTS, claim)]
        terms = frozenset(w for w in words if w is not None)
        assert page.page_spans(texts, terms) == _expected(texts, terms, frozenset())


def _without_highlights(hit: searchkit.Hit) -> searchkit.Hit:
    return attrs.evolve(
        hit,
        highlights=(),
        spans=(),
        title_spans=(),
        more=tuple(_without_highlights(m) for m in hit.more),
    )


def test_hits_without_highlights(seed_index: searchkit.Index, tmp_path: Path) -> None:
    for kwargs in ({}, {"group": True}, {"sort": "date", "context": 1}, {"explain": True}):
        full = seed_index.search("prisoner exchange", limit=5, **kwargs)  # type: ignore[arg-type]
        bare = seed_index.search("prisoner exchange", limit=5, highlight=False, **kwargs)  # type: ignore[arg-type]
        assert full.hits and all(h.spans for h in full.hits)
        assert bare == attrs.evolve(full, hits=tuple(_without_highlights(h) for h in full.hits))
        assert "[" not in bare.hits[0].snippet() and "<mark>" not in bare.hits[0].snippet_html()
    with searchkit.open_many([seed_index.path]) as many:
        bare = many.search("prisoner exchange", limit=3, highlight=False)
        full = many.search("prisoner exchange", limit=3)
    assert [(h.chunk_id, h.score) for h in bare] == [(h.chunk_id, h.score) for h in full]
    assert not any(h.spans or h.highlights for h in bare) and all(h.spans for h in full)


def test_records_read_as_whoosh_reads_them(tmp_path: Path) -> None:
    from searchkit import _hits

    docs = [
        searchkit.Document(
            id=f"d{i}",
            path=f"{i}.txt",
            title=f"Title {i}",
            paragraphs=(searchkit.Paragraph(1, f"river {i} bank", 0, 12),),
            author="Ann Lee",
        )
        for i in range(30)
    ]
    with searchkit.Index.create(tmp_path / "one") as ix:
        ix.add_documents(docs[:5])
        searcher = ix._reader()
        assert searcher.reader().is_atomic()
        read = _hits._record_reader(searcher)
        assert [read(d) for d in range(5)] == [searcher.stored_fields(d) for d in range(5)]
    with pytest.MonkeyPatch.context() as mp, searchkit.Index.create(tmp_path / "ix") as ix:
        mp.setattr(searchkit._writer, "_MIN_MERGE", 1000)  # keep every segment
        ix.add_documents(docs, batch_size=8)
        ix.add_documents(docs[:6], batch_size=3)  # replaced: deletions in old segments
        searcher = ix._reader()
        assert not searcher.reader().is_atomic() and searcher.reader().has_deletions()
        read = _hits._record_reader(searcher)
        n = searcher.doc_count_all()
        assert [read(d) for d in range(n)] == [searcher.stored_fields(d) for d in range(n)]


def test_hit_spans_are_each_texts_spans(seed_index: searchkit.Index) -> None:
    from searchkit import _hits

    searcher = seed_index._reader()
    for text in ("Belarus role conflict", "prisoner exchange 1000", "the who", "Ukraine"):
        results = seed_index.search(text, limit=50)
        assert results.hits
        q = parse_query(text, searcher.schema)
        terms, stops, _others = _hits.highlight_terms(q, searcher)
        for h in results:
            assert h.spans == tuple(highlight_spans(h.text, terms, stops))
            assert h.title_spans == tuple(highlight_spans(h.title, terms, stops))
    assert any(h.title_spans for h in seed_index.search("Belarus role", limit=5))


def test_a_page_finds_its_highlights_when_one_is_first_read(
    seed_index: searchkit.Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A caller reading ids, scores and text does not pay for highlights: the page's spans
    are found on the first read of any hit's, once for the page (a fifth of a Reuters
    title query's time), and are what finding them at once gave."""
    import pickle

    from searchkit import _hits

    eager = seed_index.search("prisoner exchange", limit=5, group=True)
    eager_hits = [(h.highlights, h.spans, h.title_spans) for h in eager.hits]
    calls: list[int] = []
    spans = _hits._spans

    def counted(stored: Any, terms: Any) -> Any:
        calls.append(len(stored))
        return spans(stored, terms)

    monkeypatch.setattr(_hits, "_spans", counted)
    results = seed_index.search("prisoner exchange", limit=5, group=True)
    assert [h.chunk_id for h in results] == [h.chunk_id for h in eager] and calls == []
    assert results.hits[-1].more[0].title_spans == eager.hits[-1].more[0].title_spans
    assert calls == [sum(1 + len(h.more) for h in results.hits)]  # every hit's, at once
    assert [(h.highlights, h.spans, h.title_spans) for h in results.hits] == eager_hits
    assert calls == [calls[0]] and results == eager
    # Compared, hashed and pickled as the values themselves, read or not.
    unread = seed_index.search("prisoner exchange", limit=5, group=True)
    assert unread == eager and hash(unread.hits[0]) == hash(eager.hits[0])
    assert repr(unread.hits[0]) == repr(eager.hits[0])
    copied = pickle.loads(pickle.dumps(seed_index.search("prisoner exchange", limit=5)))
    assert type(copied.hits[0]._spans) is tuple and copied.hits[0].spans == eager.hits[0].spans
