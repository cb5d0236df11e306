"""The JSON-ready views of the models (``as_dict``), which the CLI prints unchanged."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import attrs
import pytest

from searchkit import (
    Chunk,
    Document,
    DocumentInfo,
    FilterError,
    Hit,
    IndexReport,
    IndexStats,
    Paragraph,
    Passage,
    Results,
    Skipped,
)
from searchkit.models import HIT_FIELDS

WHEN = dt.datetime(2025, 6, 14, 10, 55)


def _chunk(n: int) -> Chunk:
    return Chunk(
        id=f"d1:{n}",
        doc_id="d1",
        paragraph=n,
        text=f"paragraph {n}",
        start=10 * n,
        end=10 * n + 11,
        title="T",
        path="/p.txt",
        seq=n,
        author="A",
        published=WHEN,
        source_url="https://www.example.org/x",
        source_domain="example.org",
    )


def _hit(n: int, **kw: Any) -> Hit:
    fields = attrs.asdict(_chunk(n), recurse=False)
    fields["text"] = "the Machulischi airport"
    return Hit(**fields, score=2.5, rank=n, highlights=("Machulischi",), spans=((4, 15),), **kw)


def test_chunk_as_dict_is_json_ready() -> None:
    d = _chunk(2).as_dict()
    assert d == {
        "chunk_id": "d1:2",
        "doc_id": "d1",
        "paragraph": 2,
        "part": 1,
        "seq": 2,
        "title": "T",
        "author": "A",
        "authors": ["A"],
        "published": "2025-06-14T10:55:00",
        "source_url": "https://www.example.org/x",
        "source_domain": "example.org",
        "path": "/p.txt",
        "language": None,
        "start": 20,
        "end": 31,
        "text": "paragraph 2",
        "page": None,
        "chapter": None,
        "relative_path": None,
    }
    assert json.loads(json.dumps(d)) == d


def test_hit_as_dict_has_every_field_in_order() -> None:
    hit = _hit(2, before=(_chunk(1),), after=(_chunk(3),), more=(_hit(5),))
    d = hit.as_dict()
    assert tuple(d) == HIT_FIELDS
    assert (d["rank"], d["score"], d["chunk_id"]) == (2, 2.5, "d1:2")
    assert d["highlights"] == ["Machulischi"]
    assert d["spans"] == [[4, 15]]
    assert d["text"][4:15] == "Machulischi"
    assert [c["chunk_id"] for c in d["before"] + d["after"]] == ["d1:1", "d1:3"]
    assert d["more"][0]["chunk_id"] == "d1:5"
    assert json.loads(json.dumps(d)) == d


def test_hit_as_dict_selects_fields_also_in_more() -> None:
    hit = _hit(2, more=(_hit(5),))
    assert hit.as_dict(["chunk_id", "more", "rank", "rank"]) == {
        "chunk_id": "d1:2",
        "more": [{"chunk_id": "d1:5", "more": [], "rank": 5}],
        "rank": 2,
    }


@pytest.mark.parametrize("fields", [["nope"], [], ["rank", "Rank"]])
def test_unknown_or_no_fields_raise_filter_error(fields: list[str]) -> None:
    with pytest.raises(FilterError, match="choose from rank, score"):
        _hit(1).as_dict(fields)


def test_results_as_dict() -> None:
    results = Results(hits=(_hit(1), _hit(2)), total=12, page=1, pages=6, limit=2, query="q")
    d = results.as_dict(["chunk_id"])
    assert d == {
        "total": 12,
        "page": 1,
        "pages": 6,
        "limit": 2,
        "query": "q",
        "grouped": False,
        "timed_out": False,
        "hits": [{"chunk_id": "d1:1"}, {"chunk_id": "d1:2"}],
        "facets": {},
        "histogram": [],
        "suggestions": [],
        "suggestions_cut": "",
        "collapsed": False,
        "paragraphs": 0,
        "corrected_query": "",
        "original_query": "",
    }
    empty = Results(hits=(), total=0, page=1, pages=1, limit=10, query="q")
    with pytest.raises(FilterError):
        empty.as_dict(["nope"])  # checked even when there is no hit to cut


def test_passage_as_dict() -> None:
    d = Passage(_chunk(2), (_chunk(1),), ()).as_dict()
    assert d["chunk_id"] == "d1:2"
    assert [c["chunk_id"] for c in d["before"]] == ["d1:1"]
    assert d["after"] == []


def test_document_and_info_as_dict() -> None:
    doc = Document(
        id="d1",
        path="/p.txt",
        title="T",
        paragraphs=(Paragraph(1, "one", 0, 3), Paragraph(2, "two", 4, 7)),
        published=WHEN,
        disclaimer="D",
    )
    d = doc.as_dict()
    assert d["doc_id"] == "d1"
    assert d["published"] == "2025-06-14T10:55:00"
    assert d["disclaimer"] == "D"
    assert d["paragraphs"] == [
        {"paragraph": 1, "start": 0, "end": 3, "text": "one", "page": None, "chapter": None},
        {"paragraph": 2, "start": 4, "end": 7, "text": "two", "page": None, "chapter": None},
    ]
    info = DocumentInfo(
        id="d1",
        path="/p.txt",
        title="T",
        paragraphs=2,
        chunks=3,
        content_hash="h",
        size=7,
        mtime_ns=1,
    ).as_dict()
    assert (info["doc_id"], info["paragraphs"], info["chunks"], info["published"]) == (
        "d1",
        2,
        3,
        None,
    )
    assert json.loads(json.dumps(info)) == info


def test_stats_and_report_as_dict() -> None:
    when = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    stats = IndexStats(
        path="/ix",
        documents=1,
        chunks=17,
        size_bytes=100,
        segments=1,
        fields=("a", "b"),
        last_updated=when,
        schema_version=1,
        analyzer="x",
        whoosh="w",
    ).as_dict()
    assert stats["fields"] == ["a", "b"]
    assert stats["last_updated"] == "2025-01-02T03:04:05+00:00"
    assert json.loads(json.dumps(stats)) == stats
    report = IndexReport(added=1, chunks=17, skipped=(Skipped("/x.bin", "binary"),)).as_dict()
    assert report["indexed"] == 1
    assert report["skipped"] == [{"path": "/x.bin", "reason": "binary", "kind": "file"}]
