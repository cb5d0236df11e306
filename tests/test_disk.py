"""What an index keeps on disk: stored records as JSON deflated in blocks against a
dictionary of what records share, posting blocks deflated; both read back as they were
written."""

from __future__ import annotations

import datetime as dt
import enum
import io
import itertools
import json
import math
import pickle
import struct
import uuid
import zlib
from pathlib import Path
from typing import Any

import pytest
from whoosh.columns import VarBytesColumn
from whoosh.filedb.structfile import StructFile

import searchkit
from searchkit import Document, Paragraph, _records, _whoosh, semantic

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


def _unpacked(block: bytes) -> list[bytes]:
    """The records of a block of stored records (``b""`` for a document without one)."""
    out, ends = _records._inflate(block)
    return [out[start:end] for start, end in itertools.pairwise(ends)]


def test_stored_records_are_json_compressed_in_blocks(tmp_path: Path) -> None:
    index = searchkit.Index.create(tmp_path / "ix")
    index.add(SEEDS)
    index.add_documents(_short_documents(200))
    blocks, records = [], []
    for leaf in _segment_readers(index):
        stored = _records.records_of(_whoosh.per_document_reader(leaf))
        docs = leaf.doc_count_all()
        values = [VarBytesColumn.Reader.__getitem__(stored, d) for d in range(docs)]
        # A block is the value of the last document it covers; the others hold nothing.
        # It covers at most BLOCK documents, and 4 KiB of records unless it covers one.
        holders = [d for d, v in enumerate(values) if v]
        assert holders[-1] == docs - 1
        for before, holder in zip([-1, *holders], holders, strict=False):
            covered = _unpacked(values[holder])
            assert len(covered) == holder - before <= _records.BLOCK
            assert len(covered) == 1 or sum(map(len, covered)) <= 4096
        assert len(holders) < docs / 2
        blocks += [values[d] for d in holders]
        for d in range(docs):
            assert _records.decode(stored.raw(d)) == leaf.stored_fields(d)
            records.append(leaf.stored_fields(d))
    assert len(records) == index.stats().chunks == 217
    # Every block names the dictionary (the tag SKZ and its Adler-32), then is one
    # Zstandard frame with a checksum, which Zstandard cannot read without it...
    import zstandard

    dict_id = zlib.adler32(_records.RECORD_DICTIONARY).to_bytes(4, "big")
    assert all(b[:7] == b"SKZ" + dict_id for b in blocks)
    assert all(zstandard.get_frame_parameters(b[7:]).has_checksum for b in blocks)
    with pytest.raises(zstandard.ZstdError):
        zstandard.ZstdDecompressor().decompress(blocks[0][7:])
    # ...and holds its records' JSON: the seed's date comes back a date-time.
    assert [r for b in blocks for r in _unpacked(b)] == [_records.encode(r) for r in records]
    assert records[0]["published"] == dt.datetime(2025, 6, 14, 10, 55)
    # Under half the bytes of each record pickled and deflated on its own at the best level.
    alone = sum(len(zlib.compress(pickle.dumps(r, pickle.HIGHEST_PROTOCOL), 9)) for r in records)
    assert sum(map(len, blocks)) < 0.5 * alone
    hits = index.search("prisoner exchange", collapse="none").hits
    assert hits and all(h.text for h in hits)


def test_a_block_is_read_with_one_pread_as_whoosh_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = searchkit.Index.create(tmp_path / "ix")
    index.add(SEEDS)
    index.add_documents(_short_documents(60))
    index.add_documents(_short_documents(130)[60:])  # segments one after another
    leaves = _segment_readers(index)
    assert len(leaves) == 3
    reads = []
    real_pread = _records.os.pread

    def pread(fd: int, size: int, at: int) -> bytes:
        reads.append(size)
        return real_pread(fd, size, at)

    monkeypatch.setattr(_records.os, "pread", pread)
    for leaf in leaves:
        stored = _records.records_of(_whoosh.per_document_reader(leaf))
        assert stored is not None and stored._file is not None
        for d in range(leaf.doc_count_all()):
            assert stored._value(d) == VarBytesColumn.Reader.__getitem__(stored, d)
        stored._end = stored._start  # past the column's end: Whoosh's bounded read
        before = len(reads)
        assert stored._value(leaf.doc_count_all() - 1) == VarBytesColumn.Reader.__getitem__(
            stored, leaf.doc_count_all() - 1
        )
        assert len(reads) == before
    assert reads and all(reads)  # every block of every segment, each one read
    # Where the system has no pread (Windows), Whoosh's read, with the same records.
    monkeypatch.setattr(_records, "_PREAD", False)
    index.close()
    hits = index.search("otters", collapse="none", limit=200).hits
    assert len(hits) == 130 and {h.doc_id for h in hits} == {f"d{i}" for i in range(130)}
    leaf = _segment_readers(index)[0]
    assert _records.records_of(_whoosh.per_document_reader(leaf))._file is None  # type: ignore[union-attr]


def test_the_record_dictionary_never_changes_within_a_schema() -> None:
    # Blocks name it by checksum: a different dictionary cannot read them (a new
    # dictionary needs a new schema version).
    assert searchkit.schema.SCHEMA_VERSION >= 12
    assert (len(_records.RECORD_DICTIONARY), zlib.crc32(_records.RECORD_DICTIONARY)) == (
        894,
        289243622,
    )


def test_a_record_column_keeps_gaps_and_what_json_cannot_say_alone() -> None:
    """Documents without a record read ``None``, across and inside blocks; a date-time
    (with and without a zone) and a lone surrogate come back as they went in."""
    utc = dt.UTC
    records = {
        0: {"a": 1, "published": dt.datetime(2020, 1, 2, 3, 4, 5, tzinfo=utc)},
        1: {"b": "x", "authors": ["A", "B"]},
        3: {"published": dt.datetime(2020, 1, 2, 3, 4, 5)},
        9: {"t": "\udcff \u00e9"},
        20: {"code": [[0, 1], [4, 9]]},
    }
    reader = _record_column(records, 25)
    assert [reader[d] for d in range(25)] == [records.get(d) for d in range(25)]
    assert list(reader) == [records.get(d) for d in range(25)]
    # Blocks never reach past BLOCK documents: 0-3, 9, 20.
    assert [d for d in range(25) if VarBytesColumn.Reader.__getitem__(reader, d)] == [3, 9, 20]


def test_a_record_is_the_bytes_json_writes_and_what_orjson_refuses_goes_through_json() -> None:
    """orjson writes and reads the records; what it refuses or writes or reads otherwise
    than json (a lone surrogate, an integer past 64 bits, which it reads as a float, and
    floats: NaN it writes as null, 1e-05 as 0.00001) goes through json: either way the
    bytes are json's, and they read back as the same values of the same types."""

    class Kind(enum.StrEnum):
        NOTE = "note"

    plain = {"chunk_id": "d:1", "title": "Caf\u00e9 \u201cquoted\u201d \\ \n", "authors": ["A"]}
    others = {
        "t": "\udcff",
        "n": 2**64 + 1,
        "m": -(2**63) - 1,
        "deep": [[0, 1], {"n": 2**70 + 3}],
        "code": ((0, 3), (5, 9)),
        "nan": math.nan,
        "inf": -math.inf,
        "small": 1e-05,
        "half": [0.5],
        "kind": Kind.NOTE,
    }
    for key, value in [("plain", None), *others.items()]:
        record = plain if value is None else {**plain, key: value}
        raw = _records.encode(record)
        text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        assert raw == text.encode("utf-8", "surrogatepass"), key
        expected = json.loads(text)  # a tuple reads back as a list, a str enum as its text
        assert repr(_records.decode(raw)) == repr(expected), key
    with pytest.raises(TypeError):  # json's answer to a type it does not know
        _records.encode({**plain, "id": uuid.UUID(int=1)})


def test_a_long_record_has_a_block_of_its_own_and_too_long_a_one_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    records = [{"path": f"/d{i}", "text": "x" * (3 * 2**20 if i == 2 else 10)} for i in range(6)]
    reader = _record_column(dict(enumerate(records)), len(records))
    assert list(reader) == records
    # Blocks: the two short records, the long one alone, the rest; the long one's block
    # is not kept (only small blocks are).
    assert [d for d in range(6) if VarBytesColumn.Reader.__getitem__(reader, d)] == [1, 2, 5]
    assert reader.raw(2) and reader.raw(5)
    kept = {holder for serial, holder in _records.KEPT.blocks if serial == reader._serial}
    assert 2 not in kept and 5 in kept
    # A record decoding could make allocate more than the bound is refused when written,
    # and when read: [{},{},...] builds a 64-byte dict every 3 bytes.
    monkeypatch.setattr(_records, "MAX_ALLOCATION", 2**20)
    writer = _records.RecordWriter(StructFile(io.BytesIO()))
    with pytest.raises(searchkit.DocumentError, match=r"^/d2: its stored record of 3,145,"):
        writer.add(0, records[2])
    bomb = b'{"chunk_id":"a:1","junk":[' + b"{}," * 5000 + b"{}]}"
    assert len(bomb) < 20_000
    with pytest.raises(searchkit.IndexDamagedError, match="would allocate more than 1048576"):
        _records.decode(bomb)


def _deflated_block(raws: list[bytes]) -> bytes:
    """A block as searchkit wrote them before Zstandard: deflated against the dictionary."""
    head = struct.pack(f"<B{len(raws)}I", len(raws), *map(len, raws))
    packer = zlib.compressobj(6, zdict=_records.RECORD_DICTIONARY)
    return packer.compress(head + b"".join(raws)) + packer.flush()


def _zstd_frame(data: bytes, **options: Any) -> bytes:
    import zstandard

    dictionary = zstandard.ZstdCompressionDict(
        _records.RECORD_DICTIONARY, dict_type=zstandard.DICT_TYPE_RAWCONTENT
    )
    return zstandard.ZstdCompressor(dict_data=dictionary, **options).compress(data)


def test_an_index_written_with_zlib_blocks_reads_on_and_a_merge_rewrites_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def kinds(index: searchkit.Index) -> list[bytes]:
        found = []
        for leaf in _segment_readers(index):
            stored = _records.records_of(_whoosh.per_document_reader(leaf))
            docs = range(leaf.doc_count_all())
            values = (VarBytesColumn.Reader.__getitem__(stored, d) for d in docs)
            found += [v[:3] if v[:3] == b"SKZ" else b"zlib" for v in values if v]
        return found

    with monkeypatch.context() as old:  # the writer before Zstandard
        old.setattr(_records, "_pack", lambda raws, _packer: _deflated_block(raws))
        with searchkit.Index.create(tmp_path / "ix") as index:
            index.add(SEEDS)
            index.add_documents(_short_documents(40))
    index = searchkit.Index.open(tmp_path / "ix")
    assert set(kinds(index)) == {b"zlib"}
    before = [(h.chunk_id, h.text, h.score) for h in index.search("otters prisoner", limit=50).hits]
    assert len(before) == 41
    index.add_documents(_short_documents(45)[40:])  # a new segment beside the old ones
    assert set(kinds(index)) == {b"zlib", b"SKZ"}
    assert searchkit.check_index(index.path).ok
    index.optimize()
    assert set(kinds(index)) == {b"SKZ"}
    after = [(h.chunk_id, h.text, h.score) for h in index.search("otters prisoner", limit=50).hits]
    assert len(after) == 46 and {c for c, _t, _s in before} <= {c for c, _t, _s in after}
    assert searchkit.check_index(index.path).ok
    index.close()


def test_a_damaged_block_of_records_is_damage(monkeypatch: pytest.MonkeyPatch) -> None:
    raws = [_records.encode({"chunk_id": "a:1", "text": "otters " * 50}), b""]
    block = _records._pack(raws, _records._zstd().compressor())
    old = _deflated_block(raws)
    assert _unpacked(block) == _unpacked(old) == raws  # an index written before reads on
    tag = _records._ZSTD_TAG
    plain = zlib.compress(b"\x01\x00")
    packer = zlib.compressobj(zdict=_records.RECORD_DICTIONARY)
    uncounted = packer.compress(b"\x09" + b"\x00" * 9) + packer.flush()
    head = b"\x01" + struct.pack("<I", 5)
    for damaged, reason in [
        (block[:-3], "damaged"),
        (block + b"x", "damaged"),  # nothing may follow the frame
        (block[:12] + bytes(len(block) - 12), "damaged"),
        (block[:-1] + bytes([block[-1] ^ 1]), "damaged"),  # the checksum
        (tag + _zstd_frame(b"\x01\x00\x00\x00\x00", write_checksum=False), "no check"),
        (tag + _zstd_frame(head, write_checksum=True, write_content_size=False), "no size"),
        (tag + _zstd_frame(b"\x09" + b"\x00" * 9, write_checksum=True), "covers 9 documents"),
        (tag + _zstd_frame(head + b"abc", write_checksum=True), "does not hold what it counts"),
        (old[:-3], "cut short"),
        (old + b"x", "cut short or too long"),
        (old[:6] + bytes(len(old) - 6), "damaged"),
        (plain, "does not name their dictionary"),
        (uncounted, "covers 9 documents"),
    ]:
        with pytest.raises(searchkit.IndexDamagedError, match=reason):
            _unpacked(damaged)
    # A frame saying it holds more than a block may: refused before anything is allocated.
    monkeypatch.setattr(_records, "MAX_BLOCK_BYTES", len(raws[0]))
    with pytest.raises(searchkit.IndexDamagedError, match="too large"):
        _unpacked(block)


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
    rows = semantic.embed_by_length(texts)
    assert rows.shape == (600, semantic.DIMENSIONS)
    assert np.array_equal(rows, semantic.embed(texts))  # bit for bit
    assert semantic.embed_by_length([]).shape == (0, semantic.DIMENSIONS)


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


def test_the_readers_keep_inflated_blocks_within_one_bound_least_recent_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The readers of a process keep the blocks they inflated within ``_KEPT_TOTAL`` bytes
    all told, however many segments are open; a block read again is kept longer than one
    read once, and what is read is the same."""
    records = [{"path": f"/d{i}", "text": f"{i} " + "y" * 300} for i in range(40)]
    column = dict(enumerate(records))
    first, second = _record_column(column, 40), _record_column(column, 40)
    block = len(_records._inflate(first._value(7))[0])  # eight records a block
    kept = _records.KeptBlocks()
    monkeypatch.setattr(_records, "KEPT", kept)
    monkeypatch.setattr(_records, "_KEPT_TOTAL", 2 * block + 100)  # room for two blocks, not three
    inflated: list[int] = []
    inflate = _records._inflate
    monkeypatch.setattr(_records, "_inflate", lambda value: inflated.append(1) or inflate(value))
    reads = [(first, 0), (second, 8), (first, 1), (second, 16), (first, 2), (second, 9)]
    assert [reader[d] for reader, d in reads] == [records[d] for _reader, d in reads]
    # first's 0 and second's 8 inflated; 1 from the kept block of 0 (now the most
    # recent); second's 16 drops its 8's block, not first's; 2 kept; 9 inflated again.
    assert len(inflated) == 4
    assert list(kept.blocks) == [(first._serial, 7), (second._serial, 15)]
    assert kept.size == sum(len(out) for out, _ends in kept.blocks.values())
    assert kept.size <= _records._KEPT_TOTAL


def _record_column(records: dict[int, dict[str, Any]], documents: int) -> _records.RecordReader:
    """A column of ``documents`` documents' stored records, ``records`` by document
    number (the others have none), written and opened for reading."""
    out = io.BytesIO()
    writer = _records.RecordWriter(StructFile(out))
    for docnum, record in records.items():
        writer.add(docnum, record)
    writer.finish(documents)
    data = out.getvalue()
    return _records.RecordReader(StructFile(io.BytesIO(data)), 0, len(data), documents)
