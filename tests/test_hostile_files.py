"""Hostile index files: crafted tables of contents, stored records and column caches
end as IndexDamagedError (exit 3) or are rebuilt, never as a traceback, a wrong answer
or gigabytes of memory; and no pickle opcode stream does more than the unpickler allows.

The gigabyte cases (a memo index, a bytearray size) are refused before any allocation;
run against code without the bounds, they allocate 2 GiB: do that only under a memory
cap (``prlimit --as=2000000000``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import pickle
import re
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import searchkit
from searchkit import _unpickle
from searchkit.cli import cli

from .conftest import SEEDS


def _data(index_path: Path) -> Path:
    settings = json.loads((index_path / "searchkit.json").read_text(encoding="utf-8"))
    return index_path / settings["data"]


@pytest.fixture
def seeded(tmp_path: Path) -> Path:
    index_path = tmp_path / "ix"
    with searchkit.Index.create(index_path) as ix:
        ix.add(SEEDS)
    return index_path


def _write_toc(index_path: Path, segments: Any = None, raw: bytes | None = None) -> None:
    """A newer table of contents holding ``segments``, or the pickle ``raw`` for them."""
    from whoosh.index import TOC

    with searchkit.Index.open(index_path) as ix:
        whoosh_ix = ix._ix
        gen = whoosh_ix.latest_generation() + 1
        toc = TOC(whoosh_ix.schema, [] if raw is not None else segments, gen)
        toc.write(whoosh_ix.storage, whoosh_ix.indexname)
    if raw is not None:
        path = _data(index_path) / f"_MAIN_{gen}.toc"
        empty = pickle.dumps([], pickle.HIGHEST_PROTOCOL)
        body = path.read_bytes()
        assert body.endswith(empty)
        path.write_bytes(body[: -len(empty)] + raw)


def _segment_with(index_path: Path, **changes: Any) -> list[Any]:
    with searchkit.Index.open(index_path) as ix:
        segments = ix._ix._read_toc().segments
    for name, value in changes.items():
        setattr(segments[0], name, value)
    return list(segments)


def _run(index_path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [*args, "--index", str(index_path)])
    return result.exit_code, result.output


# Crafted segment lists, as the issue found them (and a few more of each kind).
CRAFTED_TOCS = {
    "memo index 2**27": b"]r\x00\x00\x00\x08.",
    "an int": b"K\x05.",
    "None": b"N.",
    "a list of an int": b"]K\x05a.",
    "nested lists": b"]]]a a.",
    "a dict": b"}.",
    "timedelta overflow": b"cdatetime\ntimedelta\nJ\xff\xff\xff\x7f\x85R.",
    "huge FRAME": b"\x80\x05\x95\xff\xff\xff\xff\xff\xff\xff\x7f]\x94.",
    "bytearray 2 GiB": b"c__builtin__\nbytearray\nJ\xff\xff\xff\x7f\x85R.",
    "bytearray via _reconstructor": (
        b"ccopyreg\n_reconstructor\nc__builtin__\nbytearray\n"
        b"c__builtin__\nbytearray\nJ\xff\xff\xff\x7f\x87R."
    ),
    "BINBYTES8 of 2**40": b"\x8e\x00\x00\x00\x00\x00\x01\x00\x00.",
    "a bare W3Codec": b"cwhoosh.codec.whoosh3\nW3Codec\n)\x81.",
    "truncated": b"]\x94(K\x01",
}


@pytest.mark.parametrize("name", list(CRAFTED_TOCS))
def test_a_crafted_table_of_contents_is_damage_everywhere(seeded: Path, name: str) -> None:
    _write_toc(seeded, raw=CRAFTED_TOCS[name])
    for args in (["search", "prisoner"], ["stats"]):
        code, out = _run(seeded, *args)
        assert code == 3, out
        assert out.startswith(f"Error: index damaged at {seeded}: "), out
    code, out = _run(seeded, "check")
    assert code == 3, out
    assert out.startswith(f"problem: index damaged at {seeded}: "), out
    # The crafted generation has no commit record naming sources: repair says so.
    code, out = _run(seeded, "check", "--repair")
    assert (code, out.count("\n")) == (3, 1), out
    assert out.startswith("Error: nothing to rebuild index"), out


def test_a_memo_index_in_a_table_of_contents_costs_no_memory(seeded: Path) -> None:
    _write_toc(seeded, raw=CRAFTED_TOCS["memo index 2**27"])
    tracemalloc.start()
    try:
        with pytest.raises(searchkit.IndexDamagedError, match="memo index 134217728"):
            searchkit.Index.open(seeded)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"_doccount": 10**9}, "counts 1000000000 documents, which its file"),
        ({"_doccount": 10**6}, "counts 1000000 documents, which its file"),
        ({"_doccount": -1}, "document count is -1, not a whole number"),
        ({"_doccount": "17"}, "document count is '17', not a whole number"),
        ({"_deleted": {10**6}}, "a deleted document of segment"),
        ({"_deleted": [1]}, "deletions are not a set"),
        ({"segid": "../../victim/x"}, "is not one Whoosh makes"),
        ({"indexname": "../MAIN"}, "is not one Whoosh makes"),
        ({"_fieldlengths": {"body": "many"}}, "field lengths are not numbers"),
        ({"compound": 1}, "compound flag is 1"),
    ],
)
def test_impossible_segment_values_are_damage(
    seeded: Path, changes: dict[str, Any], reason: str
) -> None:
    """Values Whoosh would trust: a billion documents ran search for minutes into
    gigabytes, a million answered "No hits", -1 was a math domain error, and a segment
    name with ``..`` opened a file outside the index."""
    _write_toc(seeded, _segment_with(seeded, **changes))
    code, out = _run(seeded, "search", "prisoner")
    assert code == 3, out
    assert out.startswith(f"Error: index damaged at {seeded}: table of contents: "), out
    assert reason in out
    code, out = _run(seeded, "check")
    assert code == 3, out
    assert reason in out


def test_a_segment_name_cannot_leave_the_index(tmp_path: Path, seeded: Path) -> None:
    """``../../victim/MAIN_x`` would open ``victim/MAIN_x.seg`` beside the index."""
    victim = tmp_path / "victim"
    victim.mkdir()
    [seg] = _data(seeded).glob("*.seg")
    (victim / f"MAIN_x{seg.suffix}").write_bytes(seg.read_bytes())
    _write_toc(seeded, _segment_with(seeded, indexname="../../victim/MAIN", segid="x"))
    code, out = _run(seeded, "search", "prisoner")
    assert code == 3, out
    assert "is not one Whoosh makes" in out


def _crafted_record(index_path: Path, raw: bytes) -> None:
    """Add a chunk whose stored record is the JSON text ``raw``."""
    from searchkit import _writers

    with searchkit.Index.open(index_path) as ix:
        w = _writers.writer(ix._ix)
        stored = w.perdocwriter._colwriters["_stored"]
        stored.add = lambda docnum, value: stored.add_raw(docnum, raw)
        w.add_document(doc_id="d", chunk_id="d:1", body=("T", "prisoner"), text="x")
        w.commit()


_RECORD = {"chunk_id": "d:1", "doc_id": "d", "path": "/p", "paragraph": 1}
_RECORD |= {"start": 0, "end": 1, "title": "T", "text": "x"}


def _json(record: object) -> bytes:
    return json.dumps(record).encode()


CRAFTED_RECORDS = {
    "an int": (b"7", "a stored record is a int, not a dict"),
    "null": (b"null", "a stored record is a NoneType, not a dict"),
    "an empty object": (b"{}", "a stored record has no 'chunk_id'"),
    "text: 7": (_json({**_RECORD, "text": 7}), "a stored record's 'text' is int 7"),
    "start: -1": (_json({**_RECORD, "start": -1}), "a stored record's 'start'"),
    "authors: [1]": (_json({**_RECORD, "authors": [1]}), "'authors' are not all text"),
    "published: 7": (_json({**_RECORD, "published": 7}), "a stored record's 'published'"),
    "code: 5": (_json({**_RECORD, "code": 5}), "a stored record's 'code' is int 5"),
    "code: [[1, 2, 3]]": (_json({**_RECORD, "code": [[1, 2, 3]]}), "'code' is not a list of spans"),
    "a date that is none": (
        _json({**_RECORD, "published": "2025-13-45"}),
        "a stored record is damaged (ValueError)",
    ),
    "cut short": (_json(_RECORD)[:-9], "a stored record is damaged (JSONDecodeError)"),
    "not UTF-8": (b'{"chunk_id": "\xff"}', "a stored record is damaged (UnicodeDecodeError)"),
    "nested 100,000 deep": (
        b"[" * 100_000 + b"]" * 100_000,
        "a stored record is damaged (RecursionError)",
    ),
}


@pytest.mark.parametrize("name", list(CRAFTED_RECORDS))
def test_a_crafted_stored_record_is_damage(seeded: Path, name: str) -> None:
    raw, reason = CRAFTED_RECORDS[name]
    _crafted_record(seeded, raw)
    code, out = _run(seeded, "search", "prisoner")
    assert code == 3, out
    assert out.startswith(f"Error: index damaged at {seeded}: "), out
    assert reason in out
    code, out = _run(seeded, "check")
    assert code == 3, out
    assert out.startswith(f"problem: index damaged at {seeded}: "), out
    assert reason in out


@pytest.mark.parametrize(
    ("field", "sound", "damaged", "reason"),
    [
        ("start", 0, -1, "a stored record's 'start' is int -1"),
        ("authors", ["A"], [1], "'authors' are not all text"),
        ("code", [[0, 1]], [[1, 2, 3]], "'code' is not a list of spans"),
        ("code", [[0, 1]], [[-1, 2]], "'code' is not a list of spans"),
    ],
)
def test_a_damaged_record_shaped_as_a_sound_one_is_damage(
    field: str, sound: object, damaged: object, reason: str
) -> None:
    """Records are checked by shape once; a damaged record of a shape already checked
    (the same fields, of the same types) is still refused, with the same message."""
    from searchkit._decoded import check_record
    from searchkit._unpickle import DamagedPickleError

    for _ in range(2):
        assert check_record({**_RECORD, field: sound}) == {**_RECORD, field: sound}
        with pytest.raises(DamagedPickleError, match=re.escape(reason)):
            check_record({**_RECORD, field: damaged})


def test_a_tampered_column_cache_is_rebuilt(tmp_path: Path) -> None:
    """Weights scaled inside a cache file, header untouched: the file's CRC-32 differs,
    so the next reader rebuilds it from the postings and ranks as before."""
    import numpy as np

    index_path = tmp_path / "ix"
    with searchkit.Index.create(index_path) as ix:
        ix.add(SEEDS)
        ix.search("warm")  # columns serve a searcher from its second query on
        before = [(h.id, round(h.score, 6)) for h in ix.search("prisoner OR court").hits]
    [cache] = _data(index_path).glob("*.body.skcol")
    body = bytearray(cache.read_bytes())
    header = json.loads(body[16 : 16 + int.from_bytes(body[8:12], "little")])
    offset, dtype, count = header["arrays"]["weights"]
    weights = np.frombuffer(body, dtype=dtype, count=count, offset=offset).copy()
    weights *= (np.arange(1, count + 1) % 7 + 1).astype(weights.dtype)  # still positive
    body[offset : offset + weights.nbytes] = weights.tobytes()
    cache.write_bytes(bytes(body))
    with searchkit.Index.open(index_path) as ix:
        ix.search("warm")
        after = [(h.id, round(h.score, 6)) for h in ix.search("prisoner OR court").hits]
    assert after == before
    assert cache.read_bytes() != bytes(body)  # written afresh


# -- the unpickler itself ---------------------------------------------------------------

_CALLED: list[object] = []


def _sentinel(*args: object) -> None:
    _CALLED.append(args)


_SENTINEL_MODULE = type(sys)("searchkit_test_sentinel")
_SENTINEL_MODULE.call = _sentinel  # type: ignore[attr-defined]

_NAMES = [f"{m}\n{n}\n".encode() for m, n in sorted(_unpickle.ALLOWED)] + [
    b"searchkit_test_sentinel\ncall\n",
    b"os\nsystem\n",
    b"builtins\neval\n",
    b"xml.sax\nparse\n",
]
_ops = st.one_of(
    st.sampled_from([bytes([op]) for op in range(256)]),
    st.sampled_from([b"c" + name for name in _NAMES]),
    st.sampled_from([b"\x8c" + bytes([len(n)]) + n for n in (b"latin1", b"cp1252", b"zlib")]),
    st.builds(
        lambda op, n: bytes([op]) + n.to_bytes(8, "little")[: {0x72: 4, 0x6A: 4}.get(op, 8)],
        st.sampled_from([0x72, 0x6A, 0x95, 0x8E, 0x96, 0x8D, 0x4A]),
        st.sampled_from([0, 1, 2**27, 2**31, 2**40, 2**63 - 1]) | st.integers(0, 2**64 - 1),
    ),
    st.builds(
        lambda n: b"J" + n.to_bytes(4, "little", signed=True), st.integers(-(2**31), 2**31 - 1)
    ),
    st.sampled_from([b"(", b"t", b"R", b"b", b"\x81", b"\x85", b"\x86", b"\x87", b"]", b"}"]),
    st.sampled_from([b"a", b"e", b"s", b"u", b"\x90", b"\x91", b"\x94", b"h\x00", b")", b"."]),
    st.builds(lambda n: b"p%d\n" % n, st.sampled_from([0, 1, 10**9])),
)
_streams = st.lists(_ops, max_size=24).map(lambda parts: b"\x80\x05" + b"".join(parts) + b".")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_streams)
@example(b"]r\x00\x00\x00\x08.")
@example(b"c__builtin__\nbytearray\nJ\xff\xff\xff\x7f\x85R.")
@example(b"\x80\x05\x8e\x00\x00\x00\x80\x00\x00\x00\x00.")
@example(b"\x80\x05\x95\x00\x00\x00\x80\x00\x00\x00\x00N.")
@example(b"csearchkit_test_sentinel\ncall\n)R.")
@example(b"c_codecs\nencode\n\x8c\x01x\x8c\x06cp1252\x86R.")
@example(b"p1000000000\nN.")
def test_no_opcode_stream_runs_code_or_allocates_past_the_bound(stream: bytes) -> None:
    """Whatever the stream: nothing outside the allow-list is imported or called, the
    unpickler allocates at most ``MAX_ALLOCATION``, and only IndexDamagedError escapes."""
    modules = set(sys.modules)
    sys.modules["searchkit_test_sentinel"] = _SENTINEL_MODULE
    tracemalloc.start()
    try:
        with contextlib.suppress(searchkit.IndexDamagedError):
            _unpickle.loads(stream)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        del sys.modules["searchkit_test_sentinel"]
    assert _CALLED == []
    assert set(sys.modules) - modules == set()
    assert peak <= _unpickle.MAX_ALLOCATION


def test_load_reads_one_pickle_from_a_file_and_no_more() -> None:
    import io

    f = io.BytesIO(pickle.dumps({"a": [1, b"x"]}, 5) + b"after")
    assert _unpickle.load(f) == {"a": [1, b"x"]}
    assert f.read() == b"after"
    f = io.BytesIO(pickle.dumps("x" * 100, 0) + pickle.dumps([b"y"] * 3, 5))
    assert (_unpickle.load(f), _unpickle.load(f)) == ("x" * 100, [b"y"] * 3)
    with pytest.raises(EOFError):  # no pickle at all: the end of a file of pickles
        _unpickle.load(f)
    with pytest.raises(searchkit.IndexDamagedError, match="pickle longer than"):
        _unpickle.load(io.BytesIO(b"\x8e" + (2**40).to_bytes(8, "little")))


def test_a_whoosh_index_of_the_programs_own_reads_as_whoosh_wrote_it(tmp_path: Path) -> None:
    """Stored records are checked in searchkit's indexes only: a program that imports
    searchkit may keep a Whoosh index with fields of its own (benchmarks/relevance.py's
    Whoosh baseline failed with "a stored record has no 'chunk_id'")."""
    from whoosh import index as windex
    from whoosh.fields import ID, STORED, TEXT, Schema
    from whoosh.qparser import QueryParser

    schema = Schema(
        key=ID(stored=True), body=TEXT(stored=True), text=STORED, published=STORED, when=STORED
    )
    ix = windex.create_in(str(tmp_path), schema)
    when = dt.datetime(2025, 6, 14, 10, 55, tzinfo=dt.UTC)
    with ix.writer() as writer:
        # No chunk_id, and a text that is a number: two reasons searchkit would refuse;
        # a tuple, a date-time and a "published" that is no date, which JSON would change.
        writer.add_document(
            key="a", body="a prisoner exchange", text=12345, published="soon", when=(when, b"x")
        )
    with ix.searcher() as searcher:
        hits = searcher.search(QueryParser("body", schema).parse("prisoner"))
        assert [dict(h) for h in hits] == [
            {
                "key": "a",
                "body": "a prisoner exchange",
                "text": 12345,
                "published": "soon",
                "when": (when, b"x"),
            }
        ]
