"""Ranking defaults: the analyzer, BM25F scoring, query-term handling, and the seed
article's expected results."""

from __future__ import annotations

import math
import pickle
from pathlib import Path

import pytest

import searchkit
from searchkit.analysis import ENGLISH_STOP_WORDS, highlight_spans, text_analyzer
from searchkit.query import parse_query, plain_query
from searchkit.schema import TITLE_WEIGHT, build_schema

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def _terms(text: str) -> list[str]:
    return [t.text for t in text_analyzer()(text)]


def test_analyzer_splits_word_parts_drops_stop_words_and_stems() -> None:
    assert _terms("Tet1 and IL-6 were NOT increasing in the cells") == [
        "tet",
        "1",
        "il",
        "6",
        "increas",
        "cell",
    ]
    assert _terms("B12 deficiency; e.g. 1.8 microm2/ms") == [
        "b",
        "12",
        "defici",
        "e",
        "g",
        "1",
        "8",
        "microm",
        "2",
        "ms",
    ]
    assert {"the", "not", "because", "very"} <= ENGLISH_STOP_WORDS


def test_analyzer_survives_pickling_as_whoosh_stores_it() -> None:
    restored = pickle.loads(pickle.dumps(text_analyzer()))
    assert restored == text_analyzer()
    assert [t.text for t in restored("running studies")] == ["run", "studi"]


def test_highlight_spans_agree_with_the_analyzer() -> None:
    text = "Studies of Tet1: the studied TET enzymes, 5-hmC and 5hmC."
    terms = frozenset({"studi", "tet", "5"})
    expected = [(t.startchar, t.endchar) for t in text_analyzer()(text, chars=True)]
    expected = [
        (s, e) for (s, e), t in zip(expected, text_analyzer()(text), strict=True) if t.text in terms
    ]
    spans = list(highlight_spans(text, terms))
    assert spans == expected
    assert [text[s:e] for s, e in spans] == ["Studies", "Tet", "studied", "TET", "5", "5"]


def test_plain_query_keeps_words_only() -> None:
    assert plain_query('NOT (IL-6) AND title:"x" y* ~z^2') == "not IL 6 and title x y z 2"
    assert plain_query("?!") == ""


def test_repeated_query_words_count_twice() -> None:
    q = parse_query("cell growth of cells", build_schema())
    assert str(q) == "(body:cell^2.0 OR body:growth)"
    q = parse_query("IL-6 and IL 6", build_schema(), operator="and")
    assert str(q) == "(body:il^2.0 AND body:6^2.0)"


def test_parts_written_together_are_a_phrase_parts_split_by_punctuation_are_words() -> None:
    schema = build_schema()
    assert str(parse_query("Tet1", schema)) == 'body:"tet 1"'
    assert str(parse_query("token1x1 cells", schema)) == '(body:"token 1 x 1" OR body:cell)'
    assert str(parse_query("well-known", schema)) == str(parse_query("well known", schema))
    assert str(parse_query("IL-6", schema, operator="and")) == "(body:il AND body:6)"


def test_bm25f_score_by_hand(tmp_path: Path) -> None:
    ix = searchkit.Index.create(tmp_path / "ix")
    docs = [
        searchkit.Document(
            id="a",
            path="a",
            title="Kidney",
            paragraphs=(searchkit.Paragraph(1, "kidney stones hurt", 0, 18),),
        ),
        searchkit.Document(
            id="b",
            path="b",
            title="Liver",
            paragraphs=(searchkit.Paragraph(1, "liver cells grow fast today", 0, 27),),
        ),
    ]
    ix.add_documents(docs)
    # body lengths: a = 2*1 + 3 = 5, b = 2*1 + 5 = 7, average 6; under 10 words, a length
    # counts half-way to 10: a's 5 counts 7.5.  "kidney" is in a's title and text:
    # tf = 2*1 + 1 = 3.  df = 1 of N = 2.
    idf = math.log(1 + (2 - 1 + 0.5) / (1 + 0.5))
    k1, b = 1.2, 0.75
    expected = idf * 3 * (k1 + 1) / (3 + k1 * (1 - b + b * 7.5 / 6))
    hits = ix.search("kidney")
    assert TITLE_WEIGHT == 2
    assert [h.doc_id for h in hits] == ["a"]
    assert hits[0].score == pytest.approx(expected, rel=1e-9)
    assert hits[0].highlights == ("Kidney", "kidney")  # the title's, then the text's
    ix.close()


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> searchkit.Index:
    ix = searchkit.Index.create(tmp_path_factory.mktemp("seeds") / "ix")
    ix.add(SEEDS)
    return ix


def test_seed_name_ranks_its_paragraph_first(seeds: searchkit.Index) -> None:
    hits = seeds.search("Machulischi")
    assert hits[0].paragraph == 7
    assert "Machulischi" in hits[0].highlights


def test_seed_phrase_with_a_stop_word(seeds: searchkit.Index) -> None:
    hits = seeds.search('"1000 for 1000"')
    assert [h.paragraph for h in hits] == [9]
    assert hits[0].highlights == ("1000",)


def test_seed_highlights_show_words_as_written(seeds: searchkit.Index) -> None:
    hit = seeds.search("prisoner exchanges")[0]
    assert {w.lower() for w in hit.highlights} <= {
        "prisoner",
        "prisoners",
        "exchange",
        "exchanges",
        "exchanged",
    }
    assert all(hit.text[s:e] in hit.highlights for s, e in hit.spans)


def test_text_and_title_fields_still_answer(seeds: searchkit.Index) -> None:
    assert seeds.search("text:Machulischi", collapse="none")[0].paragraph == 7
    assert seeds.search("title:Belarus", collapse="none").total == len(seeds)


def _page(name: str, *paragraphs: str) -> searchkit.Document:
    return searchkit.Document(
        id=name,
        path=f"{name}.md",
        title=name,
        paragraphs=tuple(
            searchkit.Paragraph(i, text, 0, len(text)) for i, text in enumerate(paragraphs, 1)
        ),
    )


def test_title_weighs_twice_in_the_first_paragraph_only(tmp_path: Path) -> None:
    # issue 23: the title counted twice in every paragraph of a page, so a page named like
    # a query word won with paragraphs that do not say it.  Now the first paragraph weighs
    # the title twice (BM25F, once per document) and the others once.
    ix = searchkit.Index.create(tmp_path / "ix")
    ix.add_documents(
        [
            _page("ports", "Manage software collections.", "Update the tree."),
            _page("netstat", "Display network information.", "Show listening ports."),
        ]
    )
    hits = ix.search("ports", collapse="none").hits
    # body of ports 1: tf 2 * 1, length 2 + 3; ports 2: tf 1, length 1 + 2 (was 2, 2 + 2,
    # which put it first); netstat 2: tf 1, length 1 + 3.  N = 4, df = 3, avgdl = 4.25.
    idf = math.log(1 + (4 - 3 + 0.5) / (3 + 0.5))
    k1, b = 1.2, 0.75

    def score(tf: int, length: int) -> float:
        counted = (length + 10) / 2  # under 10 words, half-way to 10
        return idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * counted / 4.25))

    assert [(h.doc_id, h.paragraph) for h in hits] == [("ports", 1), ("ports", 2), ("netstat", 2)]
    assert [h.score for h in hits] == pytest.approx([score(2, 5), score(1, 3), score(1, 4)])
    ix.close()


def _folder(tmp_path: Path, pages: dict[str, str]) -> searchkit.Index:
    """An index of ``pages`` (name -> Markdown), written as a folder of ``.md`` files."""
    root = tmp_path / "pages"
    root.mkdir()
    for name, text in pages.items():
        (root / f"{name}.md").write_text(text, encoding="utf-8")
    ix = searchkit.Index.create(tmp_path / "ix")
    ix.add(root)
    return ix


def _ranks(ix: searchkit.Index, query: str) -> list[tuple[str, int]]:
    return [(h.relative_path, h.paragraph) for h in ix.search(query, collapse="none")]


def test_a_placeholder_word_counts_half(tmp_path: Path) -> None:
    # issue 23 item 4: a code line whose only match is a placeholder ({{archive}}) ranked
    # above a line that says the word; a word in {{...}} now counts half a word.
    ix = _folder(
        tmp_path,
        {
            "zip": "# zip\n\n> Package and compress files.\n\n"
            "- Add the files of a folder to an archive:\n\n"
            "`zip -r {{path/to/output.zip}} {{path/to/folder}}`\n",
            "foo": "# foo\n\n> Pack things.\n\n- Pack a thing:\n\n`foo {{archive}}`\n",
        },
    )
    assert _ranks(ix, "archive") == [("zip.md", 2), ("foo.md", 3)]
    assert _ranks(ix, "folder") == [("zip.md", 2), ("zip.md", 3)]  # still found in {{...}}
    ix.close()


def test_placeholder_words_weigh_half_in_the_postings() -> None:
    from searchkit.schema import BodyField

    field = BodyField(text_analyzer())
    weights = {t: w for t, _n, w, _p in field.terms(("", "cp {{path/to/file}} file", 1))}
    # path, file: a placeholder word 0.5, a word of the text 1; braces of one line only.
    assert (weights[b"path"], weights[b"file"], weights[b"cp"]) == (0.5, 1.5, 1.0)
    weights = {t: w for t, _n, w, _p in field.terms(("", "{{a\nfile}} {x}", 1))}
    assert weights[b"file"] == 1.0


def test_a_short_line_no_longer_outranks_an_explanation(tmp_path: Path) -> None:
    # issue 23 item 4: under BM25's length normalisation a one-word line beat a sentence
    # saying the word twice; a paragraph under 10 words now counts half-way to 10.
    ix = _folder(
        tmp_path,
        {
            "svc": "# svc\n\n> Control services.\n\n- Restart:\n\n`svc restart`\n",
            "daemon": "# daemon\n\n> Keep workers alive.\n\n"
            "- Restart a worker that stopped, or restart every worker of a pool:\n",
            "other": "# other\n\n> Something.\n\n- Nothing here at all.\n",
        },
    )
    assert _ranks(ix, "restart") == [("daemon.md", 2), ("svc.md", 2), ("svc.md", 3)]
    ix.close()


def test_a_paragraph_with_every_query_word_beats_one_word_repeated(tmp_path: Path) -> None:
    # issue 23 item 4: "listening ports" put a page saying "ports" four times above the one
    # line that says both words; an OR's sum now gains up to 5% with the words it covers.
    ix = _folder(
        tmp_path,
        {
            "ss": "# ss\n\n> Investigate sockets.\n\n"
            "- Show listening ports with process names, numeric addresses and timers:\n",
            "macports": "# macports\n\n> Manage software.\n\n"
            "- Show ports, all ports, installed ports and outdated ports:\n",
            "other": "# other\n\n> Something else about listening.\n\n- Nothing here.\n",
        },
    )
    assert _ranks(ix, "listening ports") == [("ss.md", 2), ("macports.md", 2), ("other.md", 1)]
    hit = ix.search("listening ports", explain=True, collapse="none")[0]
    assert [t.coverage for t in hit.explanation] == [1.05, 1.05]  # both words of two
    assert math.isclose(sum(t.score for t in hit.explanation), hit.score)
    ix.close()
