"""What an index keeps on disk: stored records deflated against a dictionary of what
records share, posting blocks deflated; both read back as they were written."""

from __future__ import annotations

import pickle
import zlib
from pathlib import Path
from typing import Any

import pytest
from whoosh.codec.whoosh3 import STORED_COLUMN
from whoosh.columns import VarBytesColumn

import searchkit
from searchkit import Document, Paragraph, _records, _whoosh, _writer, semantic

from .conftest import SEEDS


def _short_documents(n: int) -> list[Document]:
    return [
        Document(
            id=f"d{i}",
            path=f"d{i}.txt",
            title=f"Report {i}",
            paragraphs=(Paragraph(1, f"otters swim in the river otters {i} rest", 0, 40),),
        )
        for i in range(n)
    ]


def _segment_readers(index: searchkit.Index) -> list[Any]:
    reader = index._reader().reader()
    return [reader] if reader.is_atomic() else list(reader.readers)


def test_stored_records_are_deflated_against_the_dictionary(tmp_path: Path) -> None:
    index = searchkit.Index.create(tmp_path / "ix")
    index.add(SEEDS)
    index.add_documents(_short_documents(200))
    raws, records = [], []
    for leaf in _segment_readers(index):
        stored = _whoosh.cached_column(_whoosh.per_document_reader(leaf), "_stored", STORED_COLUMN)
        raw_column = _whoosh.inner_column(stored)
        for docnum in range(leaf.doc_count_all()):
            raws.append(VarBytesColumn.Reader.__getitem__(raw_column, docnum))
            records.append(leaf.stored_fields(docnum))
    assert len(raws) == index.stats().chunks == 217
    # Every record names the dictionary (zlib's FDICT flag and its Adler-32)...
    dict_id = zlib.adler32(_records.RECORD_DICTIONARY).to_bytes(4, "big")
    assert all(raw[1] & 0x20 and raw[2:6] == dict_id for raw in raws)
    # ...and inflates to the record Whoosh reads back, which plain zlib cannot inflate.
    assert [pickle.loads(_records.inflate(raw)) for raw in raws] == records
    with pytest.raises(zlib.error):
        zlib.decompress(raws[0])
    # Smaller than each record deflated on its own at the best level.
    alone = sum(len(zlib.compress(pickle.dumps(r, pickle.HIGHEST_PROTOCOL), 9)) for r in records)
    assert sum(map(len, raws)) < 0.75 * alone
    hits = index.search("prisoner exchange", collapse="none").hits
    assert hits and all(h.text for h in hits)


def test_the_record_dictionary_never_changes_within_a_schema() -> None:
    # Records name it by checksum: a different dictionary cannot read them (a new
    # dictionary needs a new schema version).
    assert searchkit.schema.SCHEMA_VERSION >= 10
    assert (len(_records.RECORD_DICTIONARY), zlib.crc32(_records.RECORD_DICTIONARY)) == (
        953,
        4047062837,
    )


def test_inflate_reads_plain_zlib_and_refuses_damage() -> None:
    record = pickle.dumps({"chunk_id": "a:1", "text": "otters " * 50}, pickle.HIGHEST_PROTOCOL)
    assert _records.inflate(zlib.compress(record)) == record
    assert _records.inflate(zlib.compress(record, 0)) == record
    packed = _records.deflate(record)
    assert _records.inflate(packed) == record and len(packed) < len(zlib.compress(record, 9))
    for damaged in (packed[:-3], packed + b"x", packed[:6] + bytes(len(packed) - 6)):
        with pytest.raises(zlib.error):
            _records.inflate(damaged)


def test_long_posting_blocks_are_deflated_and_read_back(tmp_path: Path) -> None:
    index = searchkit.Index.create(tmp_path / "ix")
    index.add_documents(_short_documents(300))
    compressed, ids = [], []
    for leaf in _segment_readers(index):
        m = leaf.postings("body", "otter")
        for block_ids, _weights, values in _whoosh.w3_blocks(m, True):
            compressed.append(m._compression)
            ids.extend(block_ids)
            assert all(values)
    # 300 postings: three blocks of up to 128, each deflated.
    assert len(ids) == 300 and compressed and all(c == 1 for c in compressed)
    found = index.search('"otters swim"', collapse="none", limit=300)
    assert found.total == 300
    assert index.search('"otters swim"', collapse="none", limit=300) == found  # the columns


@pytest.mark.skipif(not semantic.available(), reason="needs searchkit[semantic]")
def test_texts_embedded_by_length_give_the_same_rows_in_order() -> None:
    import numpy as np

    texts = [f"{i} " + "otters and rivers " * (i % 37) for i in range(600)]
    rows = _writer.embed_by_length(texts)
    assert rows.shape == (600, semantic.DIMENSIONS)
    assert np.array_equal(rows, semantic.embed(texts))  # bit for bit
    assert _writer.embed_by_length([]).shape == (0, semantic.DIMENSIONS)


def test_columns_built_by_a_search_are_then_read_from_their_file(tmp_path: Path) -> None:
    import mmap

    from searchkit import _colcache

    index = searchkit.Index.create(tmp_path / "ix")
    index.add_documents(_short_documents(50))
    first = index.search("otters", collapse="none")
    assert index.search("otters", collapse="none") == first  # the columns, built
    assert list((tmp_path / "ix").rglob("*.skcol"))
    opened = [
        cols for leaf in _segment_readers(index) for cols in _colcache._OPEN.get(leaf, {}).values()
    ]
    # Mapped from the file written (the kernel's pages), not arrays held by the process.
    assert opened and all(
        isinstance(getattr(c.arrays["ids"].base, "obj", None), mmap.mmap) for c in opened
    )
    assert index.search("otters", collapse="none") == first
