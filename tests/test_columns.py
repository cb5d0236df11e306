"""The columnar path gives exactly what ``_topk`` gives, and its cache files are trusted
only when they describe their segment."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest
from whoosh import query as wq
from whoosh.searching import Searcher

import searchkit
from searchkit import (
    Document,
    Paragraph,
    _colbuild,
    _colcache,
    _columns,
    _order,
    _topk,
    _whoosh,
)
from searchkit.query import build_filter, parse_query, plain_query

from .conftest import SHARED_DATA

_VOCABULARY = """
    river bank money loan interest rate water flood bridge city council vote budget school
    teacher pupil exam summer winter snow train station delay strike union wage price market
    share stock bond yield farmer wheat harvest rain drought
"""
WORDS = _VOCABULARY.split()

QUERIES = [
    "river",
    "river bank money",
    "flood OR drought OR rain",
    "school AND teacher",
    "school teacher -exam",
    "market AND (stock OR bond)",
    "(river AND bank) OR (stock AND bond) OR wheat",
    "title:river",
    "author:lee river",
    "price^3 wage wage",
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
    "river ANDNOT (bank AND money)",
    # Inside an OR, a group whose scores reach past its matches (ANDNOT drops matches,
    # not scores), and one that adds where both sides match.
    "wheat OR (river ANDNOT bank)",
    "wheat OR (river ANDNOT (bank AND money)) OR (school AND teacher)",
    "wheat OR (river ANDMAYBE (bank OR money))",
    "river ANDMAYBE (bank ANDNOT money)",
    # An OR's matches kept for the root (Scored.matches) only when the root is that OR:
    # ANDMAYBE adds to a copy of its scores, ANDNOT drops some of its matches.
    "(river OR bank) ANDMAYBE money",
    "(river OR bank) ANDNOT money",
]


def _documents(n: int, seed: int) -> Iterator[Document]:
    rnd = random.Random(seed)
    for i in range(n):
        text = " ".join(rnd.choices(WORDS, k=rnd.randint(3, 60))).capitalize() + "."
        yield Document(
            id=f"doc{i}",
            path=f"synthetic/{i}.txt",
            title=" ".join(rnd.choices(WORDS, k=rnd.randint(1, 5))),
            paragraphs=(Paragraph(1, text, 0, len(text)),),
            author=("Ann Lee", "Bo Chen")[i % 2],
            format="test",
        )


@pytest.fixture
def segmented(tmp_path: Path) -> Iterator[searchkit.Index]:
    """Several segments, and deletions (documents replaced by a later batch)."""
    ix = searchkit.Index.create(tmp_path / "ix")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(searchkit._writer, "_MIN_MERGE", 1000)  # keep every segment
        ix.add_documents(_documents(150, seed=1), batch_size=40)
        ix.add_documents(_documents(30, seed=2), batch_size=15)  # replaces doc0..doc29
    yield ix
    ix.close()


def _column_top_docs(
    searcher: Searcher, q: wq.Query, limit: int, flt: wq.Query | None = None
) -> Any:
    """``_columns.top_docs``' answer from the columns alone; ``None`` where they do not
    answer (``q`` or the weighting not one they score).  The matches it ranks are the
    dense scores' and flags' at their matches (whether the query's root gave them or
    they were read off the flags)."""
    found = _columns.column_scores(searcher, q, flt)
    if found is None:
        return None
    docs, values = found.matches()
    assert docs.tolist() == np.flatnonzero(found.matched).tolist(), str(q)
    assert values.tolist() == found.scores[docs].tolist(), str(q)
    return _columns._best(searcher, docs, values, limit)


def _same(searcher: Searcher, q: wq.Query, limit: int, flt: wq.Query | None = None) -> Any:
    """Assert that both paths agree on ``q``; return the columns' answer."""
    expected = _topk.top_docs(searcher, q, limit, flt)
    found = _column_top_docs(searcher, q, limit, flt)
    assert (found is None) == (expected is None), str(q)
    if found is None or expected is None:
        return None
    assert found[1] == expected[1], str(q)
    assert [d for _, d in found[0]] == [d for _, d in expected[0]], str(q)
    for (a, _), (b, _) in zip(found[0], expected[0], strict=True):
        assert a == b, str(q)  # the same float: the same formula, in the same order
    return found


def _data_dir(ix: searchkit.Index) -> Path:
    return ix.path / ix._settings.data


def _caches(ix: searchkit.Index) -> list[Path]:
    return sorted(p for p in _data_dir(ix).iterdir() if p.name.endswith(_colcache.SUFFIX))


@pytest.mark.parametrize("bincount_docs", [_columns._BINCOUNT_DOCS, 0])
def test_every_query_kind_agrees_with_topk(
    segmented: searchkit.Index, bincount_docs: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both roads of summing an OR's terms: one bincount (a small reader), term by term.
    monkeypatch.setattr(_columns, "_BINCOUNT_DOCS", bincount_docs)
    searcher = segmented._reader()
    assert len(searcher.leaf_searchers()) > 2 and searcher.reader().has_deletions()
    answered = 0
    for text in QUERIES:
        for operator in ("or", "and"):
            q = parse_query(text, searcher.schema, operator)  # type: ignore[arg-type]
            for limit in (1, 7, 1000):
                answered += _same(searcher, q, limit) is not None
            flt = build_filter(author="Ann Lee")
            _same(searcher, q, 5, flt)
    assert answered == 3 * 2 * len(QUERIES)  # every one of them through the columns


def test_search_uses_the_columns_from_the_second_query(segmented: searchkit.Index) -> None:
    segmented.close()
    for p in _caches(segmented):
        p.unlink()
    first = segmented.search("river bank", limit=20)
    assert _caches(segmented) == []  # the first query of a searcher takes _topk's path
    second = segmented.search("river bank", limit=20)
    assert [c.name.split(".", 1)[1] for c in _caches(segmented)] == ["body.skcol"] * len(
        segmented._reader().leaf_searchers()
    )
    assert second == first


def test_a_one_off_search_does_not_import_numpy(tmp_path: Path) -> None:
    with searchkit.Index.create(tmp_path / "ix") as ix:
        ix.add_documents(_documents(20, seed=3))
    code = (
        "import sys, searchkit\n"
        f"ix = searchkit.Index.open({str(tmp_path / 'ix')!r})\n"
        "ix.search('river')\n"
        "print('numpy' in sys.modules)\n"
        "ix.search('river')\n"
        "print('numpy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_caches_go_with_their_segments(segmented: searchkit.Index) -> None:
    segmented.search("river")
    segmented.search("river")
    before = {p.name.split(".")[0] for p in _caches(segmented)}
    assert len(before) == len(segmented._reader().leaf_searchers())
    segmented.close()
    writer = segmented._ix.writer()
    writer.commit(optimize=True)  # Whoosh merges every segment into one, deleting the rest
    left = {p.name.split(".")[0] for p in _caches(segmented)}
    assert left.isdisjoint(before)
    assert segmented.search("river") == segmented.search("river")
    assert len(_caches(segmented)) == 1


def test_orphans_and_stale_temporary_files_are_removed(segmented: searchkit.Index) -> None:
    data = _data_dir(segmented)
    for p in _caches(segmented):  # the writers' own: the searches below write new ones
        p.unlink()
    orphan = data / f"MAIN_gone{_colcache.SUFFIX}"
    orphan.write_bytes(b"x")
    old_tmp = data / f".MAIN_x.body{_colcache.SUFFIX}.123.tmp"
    old_tmp.write_bytes(b"x")
    os.utime(old_tmp, (1, 1))
    new_tmp = data / f".MAIN_y.body{_colcache.SUFFIX}.456.tmp"
    new_tmp.write_bytes(b"x")  # another process may be writing it now
    segmented.search("river")
    segmented.search("river")  # builds and writes the caches, then tidies up
    assert not orphan.exists() and not old_tmp.exists()
    assert new_tmp.exists()


def _rewrite_header(path: Path, change: Any) -> None:
    """Rewrite a cache file's header through ``change`` with a valid checksum."""
    raw = path.read_bytes()
    hlen = int.from_bytes(raw[8:12], "little")
    header = json.loads(raw[16 : 16 + hlen])
    change(header)
    new = json.dumps(header, sort_keys=True).encode()  # fits in the padding after the header
    crc = zlib.crc32(new).to_bytes(4, "little")
    path.write_bytes(raw[:8] + len(new).to_bytes(4, "little") + crc + new + raw[16 + len(new) :])


def _array(path: Path, name: str) -> tuple[int, int, int]:
    raw = path.read_bytes()
    hlen = int.from_bytes(raw[8:12], "little")
    offset, dtype, count = json.loads(raw[16 : 16 + hlen])["arrays"][name]
    return offset, int(dtype[-1]), count


def _longer(header: dict[str, Any]) -> None:
    header["arrays"]["ids"][2] += 100
    header["arrays"]["weights"][2] += 100


def _swap_ids(path: Path) -> None:
    """The first posting's document number the largest its type holds (the segment has
    far fewer documents): counts stay right."""
    raw = bytearray(path.read_bytes())
    offset, size, _count = _array(path, "ids")
    raw[offset : offset + size] = (256**size - 1).to_bytes(size, "little")
    path.write_bytes(bytes(raw))


def _drop_a_term(path: Path) -> None:
    """Rename the first term so that the segment's word is missing from the table."""
    raw = bytearray(path.read_bytes())
    offset, _size, _count = _array(path, "blob")
    raw[offset] = ord("~")
    path.write_bytes(bytes(raw))


def _rewrite_arrays(path: Path, change: Any) -> None:
    """Change a cache file's arrays through ``change`` (in place, same sizes), and record
    their new CRC-32 in the header: only the per-term checks can tell."""
    import numpy as np

    raw = bytearray(path.read_bytes())
    hlen = int.from_bytes(raw[8:12], "little")
    layout = json.loads(raw[16 : 16 + hlen])["arrays"]
    arrays = {
        name: np.frombuffer(raw, dtype=np.dtype(dtype), count=count, offset=offset)
        for name, (offset, dtype, count) in layout.items()
    }
    change(arrays)
    path.write_bytes(bytes(raw))
    _rewrite_header(path, lambda h: h.update(crc=_colcache._crc(arrays)))


def _reverse_positions(arrays: dict[str, Any]) -> None:
    """Every posting's positions in descending order (one position stays as it was)."""
    pstarts = [0, *itertools.accumulate(arrays["pcounts"].tolist())]
    where = arrays["positions"]
    for a, b in itertools.pairwise(pstarts):
        where[a:b] = where[a:b][::-1].copy()


DAMAGE = {
    "empty": lambda p: p.write_bytes(b""),
    "garbage": lambda p: p.write_bytes(os.urandom(5000)),
    "truncated": lambda p: p.write_bytes(p.read_bytes()[:-100]),
    "header bit flipped": lambda p: p.write_bytes(
        p.read_bytes()[:40] + bytes([p.read_bytes()[40] ^ 1]) + p.read_bytes()[41:]
    ),
    "other segment": lambda p: _rewrite_header(p, lambda h: h.update(segment="MAIN_other")),
    "pickle dtype": lambda p: _rewrite_header(p, lambda h: h["arrays"]["ids"].__setitem__(1, "|O")),
    "array past the end": lambda p: _rewrite_header(p, _longer),
    "document number out of range": _swap_ids,
    "term missing": _drop_a_term,
    "positions out of order": lambda p: _rewrite_arrays(p, _reverse_positions),
    "term hashes changed": lambda p: _rewrite_arrays(p, lambda a: a["hashes"].fill(7)),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_cache_is_rebuilt_never_trusted(segmented: searchkit.Index, damage: str) -> None:
    searcher = segmented._reader()
    queries = [parse_query(text, searcher.schema) for text in QUERIES]
    expected = [_topk.top_docs(searcher, q, 50) for q in queries]
    for q in queries:  # every field the queries name gets its columns
        _column_top_docs(searcher, q, 50)
    caches = _caches(segmented)
    assert {p.name.split(".")[1] for p in caches} == {"author", "body", "title"}
    good = {p: p.read_bytes() for p in caches}
    for p in caches:
        DAMAGE[damage](p)
    segmented.close()  # a new searcher opens the files again
    searcher = segmented._reader()
    for q, want in zip(queries, expected, strict=True):
        assert _column_top_docs(searcher, q, 50) == want
    every = [  # every term of every field with columns, so every damage is met
        wq.Term(field, word)
        for field in ("author", "body", "title")
        for word in searcher.reader().lexicon(field)
    ]
    _same(searcher, wq.Or(every), 5)
    assert {p: p.read_bytes() for p in _caches(segmented)} == good  # rebuilt as they were


def test_commit_records_leave_the_caches_out() -> None:
    from searchkit import _commits

    assert _commits.DERIVED_SUFFIX == _colcache.SUFFIX


def test_check_ignores_the_caches(segmented: searchkit.Index) -> None:
    segmented.search("river")
    segmented.search("river")
    for p in _caches(segmented):
        p.write_bytes(b"damaged")
    segmented.close()
    report = searchkit.check_index(segmented.path)
    assert report.problems == ()


def test_searchkit_does_not_import_numpy() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "import searchkit.search, sys; print('numpy' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "False"


# -- the real collections, when this checkout has them ------------------------------------


def _scifact_documents(root: Path) -> Iterator[Document]:
    with (root / "corpus.jsonl").open(encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            text = r["text"]
            yield Document(
                id=r["_id"],
                path=f"scifact#{r['_id']}",
                title=r["title"],
                paragraphs=(Paragraph(1, text, 0, len(text)),) if text else (),
                format="beir",
            )


@pytest.mark.skipif(
    not (SHARED_DATA / "scifact" / "corpus.jsonl").is_file(), reason="no SciFact data"
)
def test_scifact_all_claims_top_100_agree(tmp_path: Path) -> None:
    root = SHARED_DATA / "scifact"
    with searchkit.Index.create(tmp_path / "ix") as ix:
        ix.add_documents(_scifact_documents(root))
        searcher = ix._reader()
        lines = (root / "queries.jsonl").read_text(encoding="utf-8").splitlines()
        claims = [json.loads(line)["text"] for line in lines if line.strip()]
        assert len(claims) == 1109
        answered = 0
        for claim in claims:
            answered += _same(searcher, parse_query(claim, searcher.schema), 100) is not None
        assert answered == len(claims)


@pytest.mark.skipif(
    not (SHARED_DATA / "reuters21578" / "reut2-000.sgm").is_file(), reason="no Reuters data"
)
def test_reuters_titles_agree(tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    try:
        import _reuters  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    root = SHARED_DATA / "reuters21578"
    with searchkit.Index.create(tmp_path / "ix") as ix:
        ix.add_documents(_reuters.documents(root, 1500), batch_size=500)
        searcher = ix._reader()
        titles = [d.title for i, d in enumerate(_reuters.documents(root, 1500)) if i % 15 == 0]
        assert len(titles) == 100
        flt = build_filter(since="1987-03-05")
        for title in titles:
            for operator in ("or", "and"):
                q = parse_query(plain_query(title), searcher.schema, operator)  # type: ignore[arg-type]
                _same(searcher, q, 100)
            _same(searcher, parse_query(plain_query(title), searcher.schema), 10, flt)


def test_a_part_of_a_sharded_index_scores_over_the_columns_with_every_parts_statistics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = list(_documents(150, seed=3))
    one = searchkit.Index.create(tmp_path / "one")
    one.add_documents(docs)
    sharded = searchkit.Index.create(tmp_path / "sh", shards=3)
    sharded.add_documents(docs)
    answered: list[bool] = []
    real = _columns.column_scores

    def spy(*args: Any, **kwargs: Any) -> Any:
        found = real(*args, **kwargs)
        answered.append(found is not None)
        return found

    monkeypatch.setattr(_columns, "column_scores", spy)
    queries = [" ".join(random.Random(i).choices(WORDS, k=3)) for i in range(12)]
    for q in queries * 2:  # each part's reader answers from its second query on
        got = [(h.chunk_id, h.score) for h in sharded.search(q, limit=20, collapse="none")]
        want = [(h.chunk_id, h.score) for h in one.search(q, limit=20, collapse="none")]
        assert [c for c, _ in got] == [c for c, _ in want], q
        assert all(abs(a - b) < 1e-9 for (_, a), (_, b) in zip(got, want, strict=True)), q
    # A reader's first query takes _topk's path; every later one the columns': 23 for the
    # ordinary index, 3 parts x 23 for the sharded one.
    assert answered == [True] * (23 + 3 * 23)
    one.close()
    sharded.close()


def test_one_bm25_formula_scores_a_float_and_an_array_of_them_alike() -> None:
    """scoring.py's formula is the one every path runs: Whoosh's matchers and ``_topk``
    through the scorer, ``_columns`` over arrays, ``explain`` for its ``norm``."""
    import math

    import numpy as np

    from searchkit import scoring

    rnd = random.Random(7)
    tfs = [float(rnd.randint(1, 9)) for _ in range(500)]
    lengths = [float(rnd.randint(1, 400)) for _ in range(500)]
    idf, avg, k1, b = scoring.bm25_idf(5183, 17), 123.4, scoring.DEFAULT_K1, scoring.DEFAULT_B
    assert idf == math.log(1.0 + (5183 - 17 + 0.5) / (17 + 0.5))
    norms = scoring.bm25_norm(np.array(lengths), avg, k1, b)
    at_once = scoring.bm25_tf(idf, np.array(tfs), norms, k1)
    one_by_one = [scoring.bm25(idf, t, n, avg, k1, b) for t, n in zip(tfs, lengths, strict=True)]
    assert at_once.tolist() == one_by_one  # to the last bit
    # In place, in the arrays given (as _columns scores a term's postings): the same bits.
    tf_array, norm_array = np.array(tfs), norms.copy()
    in_place = scoring.bm25_tf(idf, tf_array, norm_array, k1, in_place=True)
    assert in_place is tf_array and in_place.tolist() == one_by_one
    t, n = 3.0, 250.0
    assert one_by_one[0] == idf * tfs[0] * (k1 + 1) / (tfs[0] + k1 * (1 - b + b * lengths[0] / avg))
    assert scoring.bm25(idf, t, n, avg, k1, b) == idf * t * (k1 + 1) / (
        t + k1 * (1 - b + b * n / avg)
    )
    assert scoring.length_norm(n, avg, b) * k1 == scoring.bm25_norm(n, avg, k1, b)


def test_no_module_but_scoring_writes_the_bm25_formula() -> None:
    """The paths that score call ``scoring``: none of them writes ``k1 + 1``, a length
    normalisation or the idf's logarithm itself."""
    import re

    from searchkit import _colcache, _fanout, explain

    # k1 + 1, 1 - b, a logarithm, Whoosh's BM25F parameters (scorer.K1, scorer.B).
    written = re.compile(r"k1\s*\+\s*1|1(\.0)?\s*-\s*(self\.)?b\b|\blog\(|k1p1|\.K1\b|\.B\b")
    for module in (_topk, _columns, _colcache, explain, _fanout):
        source = Path(module.__file__ or "").read_text(encoding="utf-8")
        code = [line for line in source.splitlines() if not line.lstrip().startswith("#")]
        found = [line for line in code if written.search(line) and '"""' not in line]
        assert not found, (module.__name__, found)


@pytest.mark.parametrize("batch", [7, 1 << 16])
def test_the_columns_positions_are_whooshs(
    segmented: searchkit.Index, batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every posting's positions and weight in the columns, for every field with
    positions, are what Whoosh decodes from the segment (decoded, and the weights
    narrowed, a few terms at a time or all at once)."""
    monkeypatch.setattr(_colbuild, "_DECODE_BATCH", batch)
    monkeypatch.setattr(_colbuild, "_WEIGHT_SLICE", batch)
    for p in _caches(segmented):
        p.unlink()
    searcher = segmented._reader()
    checked = 0
    for field in ("body", "title", "author", "stops"):  # no stop words in these texts
        decode = searcher.schema[field].format.decode_positions
        for sub, _offset in searcher.leaf_searchers():
            reader = sub.reader()
            cols = _colcache.columns(searcher, reader, field)
            assert cols.has_positions() == any(True for _ in reader.lexicon(field))
            for text in reader.lexicon(field):
                ids, weights = cols.postings(reader, text)
                m = reader.postings(field, text)
                live, want, weighed = [], [], []  # Whoosh's matcher skips deleted documents
                while m.is_active():
                    live.append(m.id())
                    want.append(decode(m.value()))
                    weighed.append(m.weight())
                    m.next()
                rows = np.searchsorted(ids, live)
                assert ids[rows].tolist() == live
                assert weights[rows].tolist() == weighed
                counts, where = cols.positions(text, rows)
                assert counts.tolist() == [len(w) for w in want]
                assert where.tolist() == [p for w in want for p in w], (field, text)
                checked += len(live)
    assert checked > 4000


def test_positions_decode_as_whoosh_decodes_them() -> None:
    """Large steps (two- and four-byte integers), more than 1,000 positions, with and
    without the pickle's final STOP; and anything else is refused."""
    from whoosh.formats import Positions

    from searchkit import _positions
    from searchkit.schema import encode_positions

    rnd = random.Random(5)
    lists = [[0], [255], [256], [70000], [3, 4], list(range(0, 5000, 3)), [1, 300, 100000]]
    for _ in range(2000):
        top = rnd.choice([20, 300, 70000, 5_000_000])
        lists.append(sorted(rnd.sample(range(top), min(top, rnd.choice([1, 2, 3, 9, 40])))))
    fmt = Positions()
    values = [fmt.encode(w) if i % 2 else encode_positions(w) for i, w in enumerate(lists)]
    values = [v[:-1] if i % 3 == 0 else v for i, v in enumerate(values)]
    starts, where = _positions.decode_all(values)
    got = [where[a:b].tolist() for a, b in itertools.pairwise(starts)]
    assert got == lists == [fmt.decode_positions(v) for v in values]
    count = len(lists[0]).to_bytes(4, "big")
    for bad in (
        b"",
        count,
        count + b"\x80\x02]q\x00c__builtin__\neval\n.",  # a callable: never run
        (2).to_bytes(4, "big") + b"\x80\x02]q\x00K\x05a.",  # fewer positions than counted
        (2).to_bytes(4, "big") + b"\x80\x02]q\x00(K\x05K\x00e.",  # a repeated position
        count + b"\x80\x02]q\x00K",  # truncated
    ):
        with pytest.raises(ValueError):
            _positions.decode_all([fmt.encode([1]), bad])


def test_phrases_over_long_paragraphs_agree_with_topk(tmp_path: Path) -> None:
    """Positions past 255 and 65,535 words, and words repeated in a phrase."""
    rnd = random.Random(11)
    docs = []
    for i in range(40):
        n = rnd.choice([50, 400, 3000])
        text = " ".join(rnd.choices(WORDS[:8], k=n)) + "."
        docs.append(
            Document(
                id=f"long{i}",
                path=f"long/{i}.txt",
                title="river bank",
                paragraphs=(Paragraph(1, text, 0, len(text)),),
                format="test",
            )
        )
    with searchkit.Index.create(tmp_path / "ix") as ix:
        ix.add_documents(docs)
        searcher = ix._reader()
        for text in ('"river bank"', '"bank bank"', '"river bank money river"', '"loan loan loan"'):
            q = parse_query(text, searcher.schema)
            assert _same(searcher, q, 50) is not None
            assert _same(searcher, q, 50)[1] > 0, text


def _whooshs_phrase_matches(searcher: Searcher, q: wq.Phrase) -> dict[int, float]:
    """What Whoosh's own matcher of the phrase (its ``SpanNear2``) matches and scores."""
    out: dict[int, float] = {}
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        m = q.matcher(sub, sub.context())
        while m.is_active():
            if not reader.is_deleted(m.id()):
                out[m.id() + offset] = m.score()
            m.next()
    return out


def test_phrases_with_a_slop_match_what_whoosh_matches(segmented: searchkit.Index) -> None:
    """``"a b"~N``: the words in order, each 1 to N positions after the one before, read
    from the columns' positions and from Whoosh's positions (``_topk``) alike, and the
    documents and scores Whoosh's span matcher gives (it read them until 2026-12-08)."""
    rnd = random.Random(5)
    searcher = segmented._reader()
    checked = matched = 0
    for _ in range(150):
        words = rnd.choices(WORDS[:12], k=rnd.randint(2, 4))
        slop = rnd.choice([1, 2, 3, 5, 8])
        q = wq.Phrase("body", words, slop=slop)
        whoosh = _whooshs_phrase_matches(searcher, q)
        found = _same(searcher, q, 1000)
        assert found is not None, q
        assert found[1] == len(whoosh), q
        ours = {d: s for s, d in found[0]}
        assert set(ours) == set(whoosh), q
        assert all(abs(ours[d] - whoosh[d]) <= 1e-9 * whoosh[d] for d in whoosh), q
        checked += 1
        matched += bool(whoosh)
    assert checked == 150 and 30 < matched < 150


def test_a_phrase_with_a_slop_holds_its_words_order(tmp_path: Path) -> None:
    text = "The river flooded the old bank by the station. A bank of the river."
    with searchkit.Index.create(tmp_path / "ix") as ix:
        ix.add_documents(
            [Document(id="d", path="d.txt", title="t", paragraphs=(Paragraph(1, text, 0, 66),))]
        )
        for query, hits in [
            ('"river bank"', 0),  # not next to each other
            ('"river bank"~2', 0),  # "river flooded old bank": three places on
            ('"river bank"~3', 1),
            ('"bank river"~2', 1),  # "bank river" in the second sentence
            ('"station flooded"~9', 0),  # "flooded" stands before "station" only
        ]:
            assert len(ix.search(query)) == hits, query
            ix.search("warm")  # the second query on: read through the columns too
            assert len(ix.search(query)) == hits, query


@pytest.mark.parametrize("shape", ["random", "ties", "ascending", "descending", "few distinct"])
def test_kth_largest_is_the_partitions_kth_largest(shape: str) -> None:
    rng = np.random.default_rng(7)
    for n in (1, 5, 2047, 4096, 5000, 100_003):
        values = {
            "random": rng.random(n) * 20,
            "ties": np.round(rng.random(n) * 20, 1),
            "ascending": np.sort(rng.random(n)),
            "descending": np.sort(rng.random(n))[::-1].copy(),
            # Most scores the same (one common word), a few above: the sample's floor is
            # the common score, and the values that reach it are nearly all of them.
            "few distinct": np.where(rng.random(n) < 0.999, 1.5, 3.0),
        }[shape]
        for k in sorted({1, 2, 10, 100, 1000, n // 2, n} & set(range(1, n + 1))):
            assert _order.kth_largest(values, k) == np.partition(values, n - k)[n - k], (n, k)


def test_columns_read_whole_are_what_whooshs_readers_give(tmp_path: Path) -> None:
    """``_whoosh.column_values``: a document's id and date read in one piece per segment,
    as Whoosh's column readers give them a document at a time; over segments with
    undated documents and deletions."""
    base = dt.datetime(1987, 2, 26, tzinfo=dt.UTC)

    def dated(n: int, seed: int, step: int) -> Iterator[Document]:
        for i, doc in enumerate(_documents(n, seed)):
            when = None if i % step == 0 else base + dt.timedelta(hours=i)
            yield attrs.evolve(doc, id=f"{doc.id}-{seed}-é", published=when)

    with searchkit.Index.create(tmp_path / "ix") as ix:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(searchkit._writer, "_MIN_MERGE", 1000)  # keep every segment
            ix.add_documents(dated(60, seed=1, step=5), batch_size=60)
            ix.add_documents(dated(40, seed=2, step=3), batch_size=40)
            ix.add_documents(dated(10, seed=2, step=2))  # replaces some of the 40
        searcher = ix._reader()
        leaves = [sub.reader() for sub, _offset in searcher.leaf_searchers()]
        assert len(leaves) == 3 and searcher.reader().has_deletions()
        for reader in leaves:
            for field, translate in [("doc_id", True), ("doc_id", False), ("published", False)]:
                expected = list(reader.column_reader(field, translate=translate))
                assert _whoosh.column_values(reader, field, translate) == expected
        missing = searcher.schema["published"].default
        assert _whoosh.column_values(leaves[0], "published", False).count(missing) == 12


@pytest.mark.parametrize("docs", [10, 40_000])
def test_whole_columns_of_either_size_are_read_as_whoosh_reads_them(docs: int) -> None:
    """Past 32,768 documents Whoosh stores a bytes column's offsets; a column may hold
    fewer values than the segment has documents (the rest take the default)."""
    from whoosh.columns import NumericColumn, VarBytesColumn
    from whoosh.filedb.filestore import RamStorage

    storage = RamStorage()
    for column, value in [
        (VarBytesColumn(), lambda i: b"" if i % 7 == 0 else f"doc{i}-é".encode()),
        (NumericColumn("q", default=-1), lambda i: i * 1_000_003),
    ]:
        f = storage.create_file("c")
        writer = column.writer(f)
        for i in range(0, docs - 3, 2):  # every other document, the last three none
            writer.add(i, value(i))
        writer.finish(docs)
        length = f.tell()
        f.close()
        reader = column.reader(storage.open_file("c"), 0, length, docs)
        found = _whoosh._whole_column(reader, docs, None)
        assert found is not None and found == list(reader)


def test_date_filters_over_the_date_column_match_what_whoosh_matches(tmp_path: Path) -> None:
    """``since``/``until`` (a date range) are compared over the ``published`` column, not
    matched term by term: the same documents as Whoosh's, over segments with deletions,
    undated documents, open and exclusive ends, and mixed with other filters."""
    rnd = random.Random(3)
    base = dt.datetime(1987, 2, 26, tzinfo=dt.UTC)

    def dated(n: int, seed: int) -> Iterator[Document]:
        for i, doc in enumerate(_documents(n, seed)):
            when = None if i % 7 == 0 else base + dt.timedelta(days=rnd.randint(0, 60))
            yield attrs.evolve(doc, published=when)

    ix = searchkit.Index.create(tmp_path / "ix")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(searchkit._writer, "_MIN_MERGE", 1000)  # keep every segment
        ix.add_documents(dated(150, seed=1), batch_size=40)
        ix.add_documents(dated(30, seed=2), batch_size=15)  # replaces doc0..doc29
    searcher = ix._reader()
    q = parse_query("river OR bank OR money OR rain", searcher.schema)
    _same(searcher, q, 10)  # the columns answer from the second query on
    stamp = base + dt.timedelta(days=20)
    filters = [
        build_filter(since="1987-03"),
        build_filter(until="1987-03-15"),
        build_filter(since="1987-03-01", until="1987-03-10"),
        build_filter(since="1987-04-20"),
        build_filter(since="1990"),
        build_filter(since="1987-03", author="Ann Lee"),
        wq.DateRange("published", stamp, None, startexcl=True),
        wq.DateRange("published", None, stamp, endexcl=True),
        wq.Or([build_filter(until="1987-03-01"), build_filter(since="1987-04-10")]),
    ]
    kept = []
    for flt in filters:
        found = _same(searcher, q, 200, flt)
        assert found is not None, str(flt)
        kept.append(found[1])
    assert kept[4] == 0 and 0 < kept[2] < kept[0] < 180, kept
    # A date in the query itself (a NumericRange from the parser) scores its boost.
    for text in (
        "river date:1987-03",
        "river AND date:1987-03",
        "date:[1987-03-01 TO 1987-03-10]",
        "(rain OR snow) date:{1987-03-01 TO 1987-03-20}",
        "money date:1987-03-05^2",
    ):
        found = _same(searcher, parse_query(text, searcher.schema), 200)
        assert found is not None and found[1] > 0, text
    ix.close()


def test_an_or_of_more_than_255_clauses_counts_every_clause_a_paragraph_matches(
    tmp_path: Path,
) -> None:
    # 300 words, and a paragraph holding them all: its count of matched clauses (the
    # coverage factor's) is 300, past what a byte holds; one phrase among the words
    # makes the OR's later clauses go through the loop after its leading terms.
    words = [f"w{i:03d}x" for i in range(300)]
    docs = [
        Document(
            id=name, path=f"{name}.txt", title=name, paragraphs=(Paragraph(1, text, 0, len(text)),)
        )
        for name, text in (("all", " ".join(words)), ("some", " ".join(words[::7])))
    ]
    with searchkit.Index.create(tmp_path / "ix", vectors=False) as ix:
        ix.add_documents(docs)
        searcher = ix._reader()
        text = " ".join(words[:150]) + f' "{words[150]} {words[151]}" ' + " ".join(words[152:])
        q = parse_query(text, searcher.schema)
        found = _same(searcher, q, 2)
        assert found is not None and found[1] == 2
        ranked = [searcher.stored_fields(d)["doc_id"] for _, d in found[0]]
        assert ranked == ["all", "some"]
        hits = ix.search(text, limit=2)
        assert [h.doc_id for h in hits] == ["all", "some"]


def test_a_writer_leaves_its_segments_body_columns_as_a_build_from_the_segment(
    tmp_path: Path,
) -> None:
    """The body fields' columns a writer gathers while writing a segment are the file a
    searcher would build from the segment, array for array and type for type: whole and
    fractional weights (a ``{{placeholder}}``), title weights, two languages' fields.
    A searcher maps them as they are (nothing to build at its first query)."""
    from searchkit import _colbuild

    def doc(i: int, text: str, language: str | None = None) -> Document:
        return Document(
            id=f"d{i}",
            path=f"d{i}.txt",
            title=f"Harbour report {i}",
            paragraphs=(Paragraph(1, text, 0, len(text)),),
            language=language,
        )

    docs = [
        doc(1, "The harbour master closed the harbour at dawn, harbour by harbour."),
        doc(2, "Dear {{customer}}, the harbour permit of our customer is ready."),
        doc(3, "Le capitaine du port a fermé le port à l'aube.", "fr"),
        *(doc(10 + i, f"Ship {i} left the harbour with {i} tonnes of grain.") for i in range(40)),
    ]
    ix = searchkit.Index.create(tmp_path / "ix", vectors=False)
    ix.add_documents(docs)
    written = {p.name: p.read_bytes() for p in _caches(ix)}
    assert {name.split(".")[1] for name in written} == {"body", "body_fr"}
    searcher = ix._reader()
    for sub, _offset in searcher.leaf_searchers():
        reader = sub.reader()
        segment = reader.segment()
        for field in ("body", "body_fr"):
            expect = _colcache._identity(searcher, reader, segment, field)
            path = _colcache._cache_path(searcher, segment, field)
            assert path is not None
            opened = _colcache._open(path, expect, field)
            assert opened is not None, path
            built = _colbuild.from_segment(reader, field, expect["docs"], True)
            assert list(opened.arrays) == list(built)
            for name, array in built.items():
                assert opened.arrays[name].dtype == array.dtype, (field, name)
                assert np.array_equal(opened.arrays[name], array), (field, name)
            if field == "body":
                assert opened.arrays["weights"].dtype == np.float32  # the placeholders'
    assert [h.doc_id for h in ix.search("master dawn", limit=3)] == ["d1"]
    assert [h.doc_id for h in ix.search("port", limit=3)] == ["d3"]
    assert {p.name: p.read_bytes() for p in _caches(ix)} == written  # used, not rebuilt


def test_a_query_that_starts_while_another_marks_the_deleted_documents_masks_them(
    tmp_path: Path,
) -> None:
    """The first query of a reader finds its deleted documents once for all its queries.
    Another thread's query that starts as soon as that is found (the web app's, a
    reader's second query at once) must see the mask too, not a reader without one."""

    def doc(i: int, text: str) -> Document:
        paragraph = Paragraph(1, text, 0, len(text))
        return Document(id=f"d{i}", path=f"d{i}.txt", title=f"T{i}", paragraphs=(paragraph,))

    ix = searchkit.Index.create(tmp_path / "ix", vectors=False)
    ix.add_documents([doc(1, "rain falls today"), doc(2, "rain again here"), doc(3, "sun")])
    ix.remove("d1")
    searcher = ix._reader()
    plan = _topk._compile(parse_query("rain", searcher.schema), searcher, 1.0)
    other: list[list[int]] = []

    class Racing(_columns._SearcherState):
        def __setattr__(self, name: str, value: Any) -> None:
            object.__setattr__(self, name, value)
            if name == "live" and value is not None and not other:
                run = _columns._Run(searcher, self, searcher.weighting)
                other.append(np.flatnonzero(run.node(plan)[1]).tolist())

    state = Racing()
    first = np.flatnonzero(_columns._Run(searcher, state, searcher.weighting).node(plan)[1])
    live = [searcher.stored_fields(d)["doc_id"] for d in first.tolist()]
    assert live == ["d2"]
    assert other == [first.tolist()]
