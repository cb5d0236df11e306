"""The words of fuzzy terms, wildcards and prefixes found in a segment's column table
(``_lexicon.py``): the same words as Whoosh's walk of the term file, and the words a
transposition distance counts that the walk missed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import query as wq
from whoosh.support.levenshtein import damerau_levenshtein

import searchkit
from searchkit import _lexicon
from searchkit._colcache import Columns
from searchkit.typos import DamerauFuzzyTerm, segment_readers


def table(words: list[str]) -> Columns:
    """A column table holding ``words`` (their bytes in order, as a segment's lexicon)."""
    data = sorted({w.encode("utf-8") for w in words})
    offsets = np.cumsum([0] + [len(w) for w in data], dtype=np.int64)
    blob = np.frombuffer(b"".join(data), dtype=np.uint8)
    return Columns({"blob": blob, "offsets": offsets}, 0, "body", trusted=True)


# Few letters, so that words collide and sit within an edit or two of each other; one
# of them takes two bytes in UTF-8, one three.
_WORD = st.text(alphabet="abcé中", min_size=0, max_size=7)


@settings(max_examples=300, deadline=None)
@given(
    vocabulary=st.lists(_WORD, min_size=1, max_size=40),
    word=_WORD,
    maxdist=st.integers(0, 2),
    prefix=st.integers(0, 2),
)
def test_words_within_are_the_words_whooshs_distance_keeps(
    vocabulary: list[str], word: str, maxdist: int, prefix: int
) -> None:
    found = _lexicon.words_within(table(vocabulary), word, maxdist, prefix)
    assert found is not None
    expected = sorted(
        w.encode("utf-8")
        for w in set(vocabulary)
        if w.startswith(word[:prefix]) and damerau_levenshtein(word, w) <= maxdist
    )
    assert found == expected


def test_a_table_that_is_not_utf8_is_left_to_whoosh() -> None:
    cols = Columns(
        {"blob": np.frombuffer(b"ab\xffcd", dtype=np.uint8), "offsets": np.array([0, 2, 5])},
        0,
        "body",
        trusted=True,
    )
    assert _lexicon.words_within(cols, "ab", 1, 0) is None
    # A word that starts inside a character.
    cut = Columns(
        {"blob": np.frombuffer("aé".encode(), dtype=np.uint8), "offsets": np.array([0, 2, 3])},
        0,
        "body",
        trusted=True,
    )
    assert _lexicon.words_within(cut, "a", 1, 0) is None


@pytest.fixture(scope="module")
def languages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[searchkit.Index]:
    """An index of ``tests/fixtures/languages``: words of several alphabets."""
    path = tmp_path_factory.mktemp("lexicon") / "ix"
    with searchkit.Index.create(path) as index:
        index.add(Path(__file__).parent / "fixtures" / "languages")
        yield index


def test_tables_give_the_words_whooshs_walk_gives(languages: searchkit.Index) -> None:
    searcher = languages._reader()
    leaves = segment_readers(searcher.reader())
    fields = [f for f in searcher.schema.names() if f.startswith("body")]
    checked = 0
    for leaf in leaves:
        for field in fields:
            vocabulary = [w.decode() for w in leaf.lexicon(field)] if field in leaf.schema else []
            for w in vocabulary[:: max(1, len(vocabulary) // 12)]:
                nodes: list[wq.MultiTerm] = [
                    DamerauFuzzyTerm(field, w, maxdist=d, prefixlength=p)
                    for d, p in ((1, 1), (2, 1), (1, 0), (2, 0))
                ]
                nodes += [wq.Prefix(field, w[:2]), wq.Wildcard(field, f"*{w[-2:]}")]
                nodes += [wq.Wildcard(field, f"{w[0]}?{w[2:]}*")]
                for node in nodes:
                    found = _lexicon.words(node, searcher, leaf)
                    assert found is not None, node
                    assert found == sorted(node._btexts(leaf)), node
                    checked += 1
    assert checked > 300


def test_a_fuzzy_term_finds_a_word_two_swaps_away(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text(
        "Pacific stock exhcange to close early\n\nThe exhcange said trading ends at noon.\n"
    )
    with searchkit.Index.create(tmp_path / "ix") as index:
        index.add(tmp_path / "docs")
        # exchnage -> exhcange: two swaps of neighbouring letters (ch, na), two edits.
        assert [h.title for h in index.search("exchnage~2")] == [
            "Pacific stock exhcange to close early"
        ]
        assert len(index.search("exchnage~1")) == 0


def test_an_index_without_tables_expands_as_whoosh_does(
    languages: searchkit.Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    queries = [
        "Gefangnenaustausch~2 Schule~",
        "prisnoer~ exch*",
        "обмн~ *оруссии",
        "Dateien~ komprim?eren",
    ]
    expected = [[(h.chunk_id, h.score) for h in languages.search(q)] for q in queries]
    assert all(expected)
    monkeypatch.setattr(_lexicon, "existing", lambda *args: None)
    got = [[(h.chunk_id, h.score) for h in languages.search(q)] for q in queries]
    assert got == expected
