"""searchkit.evaluation: metrics against hand-computed cases, collection readers on tiny
fixtures written here, and evaluate() end to end (on the real collections when present)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import searchkit
from searchkit.cli import cli
from searchkit.evaluation import (
    EvaluationReport,
    average_precision,
    detect_format,
    evaluate,
    ndcg,
    ranking,
    read_beir,
    read_collection,
    read_smart,
    recall,
    reciprocal_rank,
    score_query,
    to_document,
)
from searchkit.evaluation.readers import CollectionDocument

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

# -- metrics ---------------------------------------------------------------------------

# d2 (grade 1) at rank 2, d4 (grade 2) at rank 4, d5 (grade 1) never retrieved,
# d3 judged not relevant.
RUN = ["d1", "d2", "d3", "d4"]
QRELS = {"d2": 1, "d3": 0, "d4": 2, "d5": 1}


def test_ndcg_uses_linear_gains_and_the_ideal_of_all_judged_documents() -> None:
    dcg = 1 / math.log2(3) + 2 / math.log2(5)
    idcg = 2 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg(RUN, QRELS, 10) == pytest.approx(dcg / idcg, abs=1e-15)
    assert round(ndcg(RUN, QRELS, 10), 6) == 0.476626
    # Cut at 2: only d2 counts; the ideal is [2, 1].
    assert ndcg(RUN, QRELS, 2) == pytest.approx((1 / math.log2(3)) / (2 + 1 / math.log2(3)))


def test_recall_counts_relevant_documents_never_retrieved() -> None:
    assert recall(RUN, QRELS, 100) == pytest.approx(2 / 3)
    assert recall(RUN, QRELS, 2) == pytest.approx(1 / 3)
    assert recall(RUN, QRELS, 1) == 0.0


def test_reciprocal_rank_is_cut_at_k() -> None:
    assert reciprocal_rank(RUN, QRELS, 10) == 0.5
    assert reciprocal_rank(RUN, QRELS, 1) == 0.0


def test_average_precision_divides_by_all_relevant_documents() -> None:
    # precision 1/2 at rank 2 and 2/4 at rank 4, over 3 relevant documents
    assert average_precision(RUN, QRELS, 100) == pytest.approx((1 / 2 + 2 / 4) / 3)
    assert average_precision(RUN, QRELS, 3) == pytest.approx((1 / 2) / 3)


def test_a_perfect_run_scores_one_and_an_empty_run_zero() -> None:
    perfect = score_query(["d4", "d2", "d5"], QRELS)
    assert perfect == {"ndcg@10": 1.0, "recall@100": 1.0, "mrr@10": 1.0, "map@100": 1.0}
    assert score_query([], QRELS) == {
        "ndcg@10": 0.0,
        "recall@100": 0.0,
        "mrr@10": 0.0,
        "map@100": 0.0,
    }


def test_queries_without_relevant_documents_score_zero() -> None:
    assert score_query(["a", "b"], {"a": 0, "b": -1}) == {
        "ndcg@10": 0.0,
        "recall@100": 0.0,
        "mrr@10": 0.0,
        "map@100": 0.0,
    }


def test_negative_grades_count_as_not_relevant() -> None:
    assert ndcg(["a", "b"], {"a": -1, "b": 1}) == pytest.approx(1 / math.log2(3))


def test_ranking_breaks_ties_by_decreasing_document_id_as_trec_eval() -> None:
    assert ranking({"a": 1.0, "b": 2.0, "c": 1.0, "10": 1.0}) == ["b", "c", "a", "10"]


# -- BEIR ------------------------------------------------------------------------------


def _beir(root: Path) -> Path:
    (root / "qrels").mkdir(parents=True)
    corpus = [
        {"_id": "d1", "title": "Cats", "text": "Cats purr and sleep all day."},
        {
            "_id": "d2",
            "title": "Dogs",
            "text": "Dogs bark at the mailman.\n\nA second paragraph about cats and dogs.",
        },
        {"_id": "d3", "title": "Birds", "text": "Birds sing in the morning."},
    ]
    queries = [
        {"_id": "q1", "text": "Do cats purr?"},
        {"_id": "q2", "text": "barking (dogs"},
        {"_id": "q3", "text": "fish"},
        {"_id": "q4", "text": "not judged"},
    ]
    (root / "corpus.jsonl").write_text("\n".join(json.dumps(d) for d in corpus) + "\n")
    (root / "queries.jsonl").write_text("\n".join(json.dumps(q) for q in queries) + "\n")
    (root / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td3\t0\nq2\td2\t2\nq3\td3\t1\n"
    )
    (root / "qrels" / "dev.tsv").write_text("query-id\tcorpus-id\tscore\nq4\td1\t1\n")
    return root


def test_read_beir(tmp_path: Path) -> None:
    c = read_beir(_beir(tmp_path / "tiny"))
    assert (c.name, c.format, c.split) == ("tiny", "beir", "test")
    assert [d.id for d in c.documents] == ["d1", "d2", "d3"]
    assert c.documents[0] == CollectionDocument("d1", "Cats", "Cats purr and sleep all day.")
    assert dict(c.queries)["q2"] == "barking (dogs"
    assert {q: dict(r) for q, r in c.qrels.items()} == {
        "q1": {"d1": 1, "d3": 0},
        "q2": {"d2": 2},
        "q3": {"d3": 1},
    }
    assert c.judged_queries() == ["q1", "q2", "q3"]
    assert read_beir(tmp_path / "tiny", split="dev").judged_queries() == ["q4"]


def test_judgments_of_no_query_are_refused_not_scored_zero(tmp_path: Path) -> None:
    """Metrics over no query read 0.0000 and exited 0, as if searchkit found nothing."""
    root = _beir(tmp_path / "tiny")
    (root / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq9\td1\t1\n")
    with pytest.raises(searchkit.CollectionError) as caught:
        searchkit.evaluate(root)
    assert str(caught.value) == (
        f"{root}: none of its 4 queries has a relevant document in its judgments: "
        "nothing to evaluate"
    )


def test_read_beir_names_the_missing_file(tmp_path: Path) -> None:
    root = _beir(tmp_path / "tiny")
    with pytest.raises(searchkit.CollectionError, match=r"qrels/train\.tsv"):
        read_beir(root, split="train")


def test_to_document_splits_paragraphs_at_blank_lines_with_exact_offsets() -> None:
    text = "First line\nstill first.\n\n  Second one.  \n \nThird."
    doc = to_document(CollectionDocument("7", "T", text), "coll")
    assert [p.text for p in doc.paragraphs] == ["First line\nstill first.", "Second one.", "Third."]
    assert all(text[p.start : p.end] == p.text for p in doc.paragraphs)
    assert [p.number for p in doc.paragraphs] == [1, 2, 3]
    assert (doc.id, doc.title, doc.path) == ("7", "T", "coll#7")
    # No text: the title is the one paragraph, so the document can still be found.
    assert [p.text for p in to_document(CollectionDocument("8", "Only", " ")).paragraphs] == [
        "Only"
    ]


# -- SMART -----------------------------------------------------------------------------

CRAN_DOCS = """.I 1
.T
flow over a wing .
.A
smith,j.
.B
j. ae. 1958.
.W
flow over a wing .
  the lift of a wing in slipstream .
.I 2
.T
heat transfer in slabs .
.A
.B
.W
heat transfer in composite slabs .
.I 3
.T
boundary layers .
.W
laminar boundary layer
.W
continued after a stray marker .
"""
CRAN_QUERIES = """.I 001
.W
wing lift
in a slipstream .
.I 004
.W
heat conduction in slabs .
"""
CRAN_QRELS = "1 1 2 \n1 3 -1 \n2 2 1 \n2 1 4 "


def _cranfield(root: Path) -> Path:
    root.mkdir()
    (root / "cran.all.1400").write_bytes(CRAN_DOCS.encode())
    (root / "cran.qry").write_bytes(CRAN_QUERIES.replace("\n", "\r\n").encode())
    (root / "cranqrel").write_bytes(CRAN_QRELS.encode())
    return root


def test_read_cranfield_numbers_queries_by_position_and_maps_grades(tmp_path: Path) -> None:
    c = read_smart(_cranfield(tmp_path / "cran"))
    assert c.format == "smart"
    assert [d.id for d in c.documents] == ["1", "2", "3"]
    d1 = c.documents[0]
    assert (d1.title, d1.author) == ("flow over a wing .", "smith,j.")
    assert d1.text == "flow over a wing .\n  the lift of a wing in slipstream ."
    assert c.documents[1].author is None
    # A second .W marker continues the field.
    assert c.documents[2].text == "laminar boundary layer\ncontinued after a stray marker ."
    # .I 001 and .I 004 are judged as queries 1 and 2; CRLF is gone.
    assert dict(c.queries) == {
        "1": "wing lift in a slipstream .",
        "2": "heat conduction in slabs .",
    }
    # Cleverdon's 1 (complete answer) .. 4 (minimum interest) become gains 4 .. 1; -1 is 0.
    assert {q: dict(r) for q, r in c.qrels.items()} == {
        "1": {"1": 3, "3": 0},
        "2": {"2": 4, "1": 1},
    }


def test_read_smart_x_files_with_trec_and_cisi_judgments(tmp_path: Path) -> None:
    med = tmp_path / "med"
    med.mkdir()
    (med / "MED.ALL").write_text(".I 1\n.W\nkidney disease\n.I 2\n.W\nliver disease\n")
    (med / "MED.QRY").write_text(".I 1\n.W\nliver\n.I 2\n.W\nkidney\n")
    (med / "MED.REL").write_text("1 0 2 1\n2 0 1 1\n")
    c = read_collection(med)
    assert [(d.id, d.title, d.text) for d in c.documents] == [
        ("1", "", "kidney disease"),
        ("2", "", "liver disease"),
    ]
    assert dict(c.queries) == {"1": "liver", "2": "kidney"}
    assert {q: dict(r) for q, r in c.qrels.items()} == {"1": {"2": 1}, "2": {"1": 1}}

    cisi = tmp_path / "cisi"
    cisi.mkdir()
    (cisi / "CISI.ALL").write_bytes(
        b".I 1\r\n.T\r\nLibraries\r\n.A\r\nDoe, J.\r\n.W\r\nOn catalogues.\r\n.X\r\n1\t5\t1\r\n"
        b".I 2\r\n.T\r\nIndexing\r\n.W\r\nOn indexes.\r\n"
    )
    (cisi / "CISI.QRY").write_bytes(b".I 1\r\n.W\r\nindexing\r\n.I 3\r\n.W\r\ncatalogues\r\n")
    (cisi / "CISI.REL").write_text("     1     2 0  0.000000\n     3     1 0  0.000000\n")
    c = read_collection(cisi)
    assert [(d.id, d.title, d.text, d.author) for d in c.documents] == [
        ("1", "Libraries", "On catalogues.", "Doe, J."),
        ("2", "Indexing", "On indexes.", None),
    ]
    # .I ids match the judgments here, so they are kept (no renumbering by position).
    assert dict(c.queries) == {"1": "indexing", "3": "catalogues"}
    assert {q: dict(r) for q, r in c.qrels.items()} == {"1": {"2": 1}, "3": {"1": 1}}


def test_detect_format_by_file_names(tmp_path: Path) -> None:
    assert detect_format(_beir(tmp_path / "b")) == "beir"
    assert detect_format(_cranfield(tmp_path / "c")) == "smart"
    (tmp_path / "empty").mkdir()
    with pytest.raises(searchkit.CollectionError, match="no test collection found"):
        detect_format(tmp_path / "empty")
    with pytest.raises(searchkit.CollectionError, match="is not a folder"):
        detect_format(tmp_path / "nowhere")
    with pytest.raises(searchkit.CollectionError, match="format must be one of"):
        read_collection(tmp_path / "b", format="trec")  # type: ignore[arg-type]


# -- evaluate() ------------------------------------------------------------------------


def test_evaluate_tiny_beir_collection(tmp_path: Path) -> None:
    report = searchkit.evaluate(_beir(tmp_path / "tiny"))
    assert isinstance(report, EvaluationReport)
    assert (report.documents, report.chunks, report.queries) == (3, 4, 3)
    # q1 and q2 find their document first; q3 ("fish") finds nothing.
    assert [(q.id, q.top[:1], q.ndcg_10) for q in report.per_query] == [
        ("q1", ("d1",), 1.0),
        ("q2", ("d2",), 1.0),
        ("q3", (), 0.0),
    ]
    assert report.ndcg_10 == pytest.approx(2 / 3)
    assert report.recall_100 == pytest.approx(2 / 3)
    assert report.mrr_10 == pytest.approx(2 / 3)
    assert report.map_100 == pytest.approx(2 / 3)
    assert report.qps > 0
    out = report.as_dict()
    assert list(out) == ["ndcg@10", "recall@100", "mrr@10", "map@100", "queries", "qps"]
    assert json.loads(json.dumps(out))["queries"] == 3
    per = report.as_dict(per_query=True)["per_query"]
    assert per[0]["id"] == "q1" and per[0]["ndcg@10"] == 1.0 and per[0]["top"][0] == "d1"


def test_evaluate_keeps_and_reuses_an_index(tmp_path: Path) -> None:
    beir = _beir(tmp_path / "tiny")
    first = evaluate(beir, index_path=tmp_path / "ix")
    assert first.index_seconds > 0 and searchkit.Index.exists(tmp_path / "ix")
    again = evaluate(beir, index_path=tmp_path / "ix")
    assert again.index_seconds == 0.0
    assert again.ndcg_10 == first.ndcg_10
    rebuilt = evaluate(beir, index_path=tmp_path / "ix", rebuild=True)
    assert rebuilt.index_seconds > 0 and rebuilt.ndcg_10 == first.ndcg_10
    # An index of another collection is not silently reused.
    with pytest.raises(searchkit.CollectionError, match=r"other documents than cran \(3 not"):
        evaluate(_cranfield(tmp_path / "cran"), index_path=tmp_path / "ix")


def test_evaluate_smart_collection(tmp_path: Path) -> None:
    report = evaluate(_cranfield(tmp_path / "cran"), format="smart")
    by_id = {q.id: q for q in report.per_query}
    assert by_id["1"].top[0] == "1"  # "wing lift in a slipstream"
    # "heat conduction in slabs" finds document 2 (gain 4) but not document 1 (gain 1).
    assert by_id["2"].top == ("2",)
    assert by_id["2"].ndcg_10 == pytest.approx(4 / (4 + 1 / math.log2(3)))


# -- the real collections (../shared/data), when this checkout has them ----------------

needs_data = pytest.mark.skipif(
    not (DATA / "scifact" / "corpus.jsonl").is_file(), reason=f"no shared data at {DATA}"
)


@needs_data
def test_cranfield_figures() -> None:
    report = evaluate(DATA / "cranfield")
    assert (report.documents, report.queries) == (1398, 225)  # two documents are empty
    assert round(report.ndcg_10, 4) == 0.3779
    assert round(report.map_100, 4) == 0.3093


@needs_data
@pytest.mark.slow
def test_scifact_reaches_the_target() -> None:
    report = evaluate(DATA / "scifact")
    assert (report.documents, report.queries) == (5183, 300)
    assert round(report.ndcg_10, 4) == 0.7032
    assert report.ndcg_10 >= 0.70


# -- searchkit eval ----------------------------------------------------------------------


def _eval(*args: object) -> Result:
    return CliRunner().invoke(
        cli, ["eval", *map(str, args)], prog_name="searchkit", catch_exceptions=False
    )


def test_cli_eval_json_has_exactly_the_documented_keys(tmp_path: Path) -> None:
    result = _eval(_beir(tmp_path / "tiny"), "--json")
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert list(out) == ["ndcg@10", "recall@100", "mrr@10", "map@100", "queries", "qps"]
    assert out["queries"] == 3
    assert out["ndcg@10"] == pytest.approx(2 / 3)


def test_cli_eval_per_query_and_summary(tmp_path: Path) -> None:
    result = _eval(_beir(tmp_path / "tiny"), "--per-query", "--format", "beir")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        "q1\t1.0000\t1.0000\t1.0000\t1.0000\tDo cats purr?",
        "q2\t1.0000\t1.0000\t1.0000\t1.0000\tbarking (dogs",
        "q3\t0.0000\t0.0000\t0.0000\t0.0000\tfish",
    ]
    assert lines[3] == "tiny (beir, test): 3 queries over 3 documents (4 paragraphs)"
    assert lines[4:8] == [
        "nDCG@10     0.6667",
        "Recall@100  0.6667",
        "MRR@10      0.6667",
        "MAP@100     0.6667",
    ]
    assert lines[8].startswith("Queries/s   ")
    per = json.loads(_eval(tmp_path / "tiny", "--json", "--per-query").stdout)["per_query"]
    assert [q["id"] for q in per] == ["q1", "q2", "q3"]


def test_cli_eval_split_index_and_errors(tmp_path: Path) -> None:
    tiny = _beir(tmp_path / "tiny")
    dev = json.loads(_eval(tiny, "--split", "dev", "--index", tmp_path / "ix", "--json").stdout)
    assert dev["queries"] == 1
    assert searchkit.Index.exists(tmp_path / "ix")
    result = CliRunner().invoke(cli, ["eval", str(tiny), "--split", "train"])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and "qrels/train.tsv" in result.stderr
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(cli, ["eval", str(tmp_path / "empty")])
    assert result.exit_code == 2 and "no test collection found" in result.stderr


def test_cli_eval_help_starts_with_an_example() -> None:
    lines = [ln.strip() for ln in _eval("--help").stdout.splitlines() if ln.strip()]
    assert lines[:3] == ["Usage: searchkit eval [OPTIONS] PATH", "Example:", lines[2]]
    assert lines[2].startswith("searchkit eval ")
    assert any(ln.startswith("Python: searchkit.evaluate(") for ln in lines)
