from __future__ import annotations

from pathlib import Path

import pytest

import searchkit
from searchkit.chunking import chunk_document, split_paragraph

from .conftest import SEED


def test_seed_chunks_are_whole_paragraphs() -> None:
    doc = searchkit.load_document(SEED)
    chunks = list(chunk_document(doc))
    assert [c.paragraph for c in chunks] == list(range(1, 18))
    assert [c.seq for c in chunks] == list(range(1, 18))
    assert all(c.part == 1 for c in chunks)
    assert chunks[6].id == f"{doc.id}:7"
    assert all(c.title == doc.title and c.author == doc.author for c in chunks)
    assert all(c.published == doc.published and c.source_domain == "toutiao.com" for c in chunks)


def test_long_paragraph_splits_at_sentences_with_exact_offsets(tmp_path: Path) -> None:
    sentence = "The quick brown fox jumps over the lazy dog near the river bank. "
    line = (sentence * 3200).strip()  # ~200 KB on one line
    f = tmp_path / "long.txt"
    f.write_text("Long one\n" + line + "\nshort tail paragraph\n", encoding="utf-8")
    doc = searchkit.load_document(f)
    assert len(doc.paragraphs) == 2
    chunks = list(chunk_document(doc, max_chars=4000))
    text = f.read_text(encoding="utf-8")
    long_parts = [c for c in chunks if c.paragraph == 1]
    assert len(long_parts) == 53  # 61 sentences of 65 chars fit in 4000
    assert all(len(c.text) <= 4000 for c in chunks)
    assert [c.part for c in long_parts] == list(range(1, 54))
    assert long_parts[0].id == f"{doc.id}:1.1"
    assert "".join(c.text for c in long_parts) == doc.paragraphs[0].text
    for c in chunks:
        assert text[c.start : c.end] == c.text
    # every cut is right after a sentence end
    assert all(c.text.rstrip().endswith(".") for c in long_parts)
    assert chunks[-1].id == f"{doc.id}:2" and chunks[-1].seq == 54


def test_split_without_spaces_is_hard_cut() -> None:
    assert split_paragraph("x" * 10, 4) == [(0, 4), (4, 8), (8, 10)]


def test_split_prefers_spaces_over_hard_cut() -> None:
    assert split_paragraph("aaa bbb ccc", 5) == [(0, 4), (4, 8), (8, 11)]


def test_split_rejects_nonpositive_size() -> None:
    with pytest.raises(ValueError):
        split_paragraph("abc", 0)
