"""Documents in their own languages: metadata or detection, per-language analysis, queries."""

from __future__ import annotations

import re
import shutil
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import searchkit
from searchkit.analysis import WORD_PARTS, _marks, word_part_pattern
from searchkit.analysis.detect import detect_language
from searchkit.analysis.folding import fold
from searchkit.analysis.languages import analysis_for, body_field, language_analyzer

FIXTURES = Path(__file__).parent / "fixtures" / "languages"


@pytest.fixture(scope="module")
def multi(tmp_path_factory: pytest.TempPathFactory) -> searchkit.Index:
    root = tmp_path_factory.mktemp("languages")
    ix = searchkit.Index.create(root / "ix")
    report = ix.add(
        FIXTURES / "ru_cp1251.txt",
        FIXTURES / "de_page.md",
        FIXTURES / "zh_page.html",
        FIXTURES / "fr_record.jsonl",
        FIXTURES / "mixed",
    )
    assert report.added == 10 and not report.skipped
    return ix


def _found(ix: searchkit.Index, query: str) -> list[tuple[str, str | None, str]]:
    return [(Path(h.path).name, h.language, h.text) for h in ix.search(query, limit=20)]


def test_documents_take_their_language_from_metadata_or_detection(multi: searchkit.Index) -> None:
    by_name = {Path(d.path).name: d.id for d in multi.documents()}
    languages = {name: multi.document(doc_id).language for name, doc_id in by_name.items()}
    assert languages == {
        "ru_cp1251.txt": "ru",  # detected (the file names none), read as cp1251
        "de_page.md": "de",  # front matter lang: de
        "zh_page.html": "zh",  # <html lang="zh-CN">
        "fr_record.jsonl": "fr",  # the record's "lang"
        "en_1.txt": "en",
        "en_2.txt": "en",
        "en_3.txt": "en",
        "de_1.txt": "de",
        "ru_1.txt": "ru",
        "zh_1.txt": "zh",
    }
    assert multi.document(by_name["ru_cp1251.txt"]).encoding == "cp1251"
    assert multi.stats().languages == (("en", 3), ("de", 2), ("ru", 2), ("zh", 2), ("fr", 1))


def test_russian_inflections_meet(multi: searchkit.Index) -> None:
    found = _found(multi, "военнопленный")
    assert {(name, lang) for name, lang, _ in found} == {
        ("ru_cp1251.txt", "ru"),
        ("ru_1.txt", "ru"),
    }
    assert multi.document(multi.search("военнопленный").hits[0].doc_id).author == (
        "Наталья Григорьева"
    )
    # Paragraphs holding the word mark it as written; the others match through the title.
    assert {h.highlights for h in multi.search("военнопленный").hits if "военноплен" in h.text} == {
        ("военнопленными",)
    }


def test_german_plural_meets_singular(multi: searchkit.Index) -> None:
    # The title "Dateien komprimieren" counts in every paragraph of the page.
    found = _found(multi, "Datei")
    assert {name for name, _, _ in found} == {"de_page.md"}
    with_word = [h for h in multi.search("Datei", collapse="none").hits if "Dateien" in h.text]
    assert len(with_word) == 2
    assert {h.highlights for h in with_word} == {("Dateien",)}


def test_chinese_words_are_found_inside_longer_runs(multi: searchkit.Index) -> None:
    found = _found(multi, "压缩")
    assert {name for name, _, _ in found} == {"zh_page.html"}  # its title holds the word
    assert found[0][2] == "压缩文件可以节省磁盘空间\uff0c也便于通过网络发送。"
    hit = multi.search("压缩", collapse="none").hits[0]
    assert hit.highlights == ("压缩",)
    # A query of several characters searches its bigrams; overlapping bigrams highlight
    # as one word (in the title "如何压缩文件" too).
    hits = {h.paragraph: h.highlights for h in multi.search("压缩文件", collapse="none").hits}
    assert hits == {1: ("压缩文件",), 2: ("压缩文件", "文件"), 3: ("压缩文件", "文件")}


def test_accents_fold_for_matching_and_highlights_keep_them(multi: searchkit.Index) -> None:
    hits = multi.search("Elysee", collapse="none").hits
    assert [(Path(h.path).name, h.paragraph) for h in hits] == [
        ("fr_record.jsonl", 1),
        ("fr_record.jsonl", 2),  # through the title, "Réforme annoncée à l'Élysée"
    ]
    assert hits[0].highlights == ("Élysée",)
    assert (
        hits[0].snippet()
        == "Le président a reçu les syndicats au palais de l'[Élysée] mardi matin."
    )
    assert (
        multi.search("élysée", collapse="none").total
        == multi.search("ELYSEE", collapse="none").total
        == 2
    )


def test_language_field_filters(multi: searchkit.Index) -> None:
    found = multi.search("exchange OR обмен OR Austausch language:ru", operator="or")
    assert found.total
    only_ru = multi.search("(exchange OR обмен OR Austausch) AND language:ru")
    assert {h.language for h in only_ru.hits} == {"ru"}


def test_an_english_query_ranks_a_mixed_folder_as_an_english_only_one(
    multi: searchkit.Index, tmp_path: Path
) -> None:
    english = tmp_path / "english"
    english.mkdir()
    for name in ("en_1.txt", "en_2.txt", "en_3.txt"):
        shutil.copy(FIXTURES / "mixed" / name, english / name)
    with searchkit.Index.create(tmp_path / "ix") as alone:
        alone.add(english)
        for query in ("prisoner exchange", "harvest", "talks about the exchange"):
            expected = [(Path(h.path).name, h.paragraph) for h in alone.search(query).hits]
            mixed = [
                (Path(h.path).name, h.paragraph)
                for h in multi.search(query, limit=20).hits
                if h.language == "en"
            ]
            assert mixed == expected
            assert expected


def test_default_language_names_documents_without_metadata(tmp_path: Path) -> None:
    with searchkit.Index.create(tmp_path / "ix", language="de") as ix:
        ix.add(FIXTURES / "mixed" / "en_1.txt", FIXTURES / "fr_record.jsonl")
        languages = sorted((Path(d.path).name, d.id) for d in ix.documents())
        got = {name: ix.document(i).language for name, i in languages}
    # The file's own metadata wins over the default; the rest take the default.
    assert got == {"en_1.txt": "de", "fr_record.jsonl": "fr"}


def test_a_language_that_is_not_a_code_is_a_settings_error(tmp_path: Path) -> None:
    with pytest.raises(searchkit.SettingsError, match="ISO 639 code"):
        searchkit.Index.create(tmp_path / "ix", language="German!")
    assert not (tmp_path / "ix").exists()


def test_detection() -> None:
    assert detect_language("Die Dateien wurden gestern geladen und überprüft.") == "de"
    # Latin letters without one accent are taken as English without the model, unless
    # they hold another language's stop words (die, den, auf): then the model decides.
    assert detect_language("Die Dateien wurden gestern auf den Server geladen.") == "de"
    wire = "NICHOLS RESEARCH CORP 2ND QTR FEB 28 Shr 14 cts vs 11 cts Net 430,364 vs 265,672"
    assert detect_language(wire) == "en"
    dutch = "De gemeente heeft besloten om het nieuwe plan voor de binnenstad uit te stellen."
    assert detect_language(dutch) == "nl"
    assert detect_language("Военнопленные были освобождены в субботу.") == "ru"
    assert detect_language("压缩文件的大小") == "zh"
    assert detect_language("Le palais de l'Élysée a annoncé une réforme.") == "fr"
    assert detect_language("The cat sat on the mat while the dog slept in the sun all day.") == "en"
    assert detect_language("  42 ") == "en"  # nothing to tell from: the fallback
    assert detect_language("--", fallback="de") == "de"


def test_a_page_that_opens_with_a_navigation_line_is_read_past_it() -> None:
    """A documentation page's first 300 characters are often its title and a macro or a
    navigation line, then a sentence without an accent: its language is told from its
    first 1,000, and from other languages' stop words (165 of 369 Italian pages of MDN's
    were taken as English)."""
    from searchkit import Document, Paragraph
    from searchkit.analysis.detect import with_language

    navigation = (
        '{{PreviousMenuNext("Learn_web_development/Core/CSS_layout/Floats", '
        '"Learn_web_development/Core/CSS_layout/Flexbox", "Learn_web_development/Core")}}'
    )
    body = (
        "Il posizionamento consente di togliere gli elementi dal normale flusso del "
        "documento e di farli comportare in modo diverso, per esempio sovrapponendoli o "
        "tenendoli sempre nello stesso punto della finestra del browser. Questo articolo "
        "spiega i diversi valori della proprietà position e come usarli."
    )
    texts = [navigation, body]
    assert "\n".join(["Posizionamento", *texts]).find("à") > 300
    doc = Document(
        id="p",
        path="positioning/index.md",
        title="Posizionamento",
        paragraphs=tuple(Paragraph(i + 1, t, 0, len(t)) for i, t in enumerate(texts)),
    )
    assert with_language(doc).language == "it"
    # With no accent at all, its stop words (di, gli, dal, del, ...) say it is not English.
    assert detect_language(f"Posizionamento\n{navigation}\n{body[:200]}") == "it"


def test_analysis_per_language() -> None:
    def terms(language: str, text: str) -> list[str]:
        return [t.text for t in language_analyzer(language)(text)]

    assert terms("de", "Die Dateien") == ["datei"]  # "die" is a stop word
    assert terms("ru", "военнопленными") == terms("ru", "военнопленный") == ["военноплен"]
    assert terms("fr", "l'Élysée") == ["elyse"]  # the elided "l" is a stop word
    assert terms("zh", "压缩文件 zip") == ["压缩", "缩文", "文件", "zip"]
    assert terms("ja", "東京") == ["東京"]
    assert terms("ko", "한국어") == ["한국", "국어"]
    assert terms("uk", "Київ") == ["київ"]  # no stemmer: words as written, lower case
    assert terms("en", "Café naïve") == ["cafe", "naiv"]
    assert body_field("en") == "body" and body_field(None) == "body"
    assert body_field("de") == "body_de" and body_field("ja") == "body_cjk"
    assert body_field("uk") == "body_other"
    assert fold("Élysée Straße Øresund") == "Elysee Strasse Oresund"
    assert fold("йёЙ") == "йёЙ"  # Cyrillic letters are not accented Latin ones
    assert list(analysis_for("zh").highlight_spans("我压缩文件", frozenset({"压缩", "缩文"}))) == [
        (1, 4)
    ]


def test_combining_marks_stay_inside_their_words() -> None:
    def terms(language: str, text: str) -> list[str]:
        return [t.text for t in language_analyzer(language)(text)]

    nfd = unicodedata.normalize("NFD", "l'Élysée")
    assert terms("fr", nfd) == terms("fr", "l'Élysée") == ["elyse"]
    assert terms("en", unicodedata.normalize("NFD", "Café naïve")) == ["cafe", "naiv"]
    # Vowel signs and viramas are marks, not letters: a word is not cut at each one.
    assert len(terms("hi", "हिन्दी भाषा")) == 2
    assert len(terms("ta", "தமிழ் மொழி")) == 2
    assert fold(unicodedata.normalize("NFD", "йЙ")) == "йЙ"  # its breve kept, as composed


def test_the_table_of_marks_is_unicodes() -> None:
    if unicodedata.unidata_version == _marks.UNICODE_VERSION:
        assert _marks.ranges() == _marks.MARKS
    else:  # a newer Unicode may add marks; the table's are marks still
        table = set(re.findall(f"[{_marks.MARKS}]", "".join(map(chr, range(0x110000)))))
        assert all(unicodedata.category(c).startswith("M") for c in table)


@given(st.text(alphabet=st.characters(max_codepoint=127, blacklist_characters="[")))
def test_ascii_text_is_cut_into_the_parts_word_parts_finds(text: str) -> None:
    pattern = word_part_pattern(text)
    assert pattern.pattern != WORD_PARTS  # the quicker pattern
    assert [m.span() for m in pattern.finditer(text)] == [
        m.span() for m in re.finditer(WORD_PARTS, text)
    ]


def test_the_quicker_pattern_is_only_for_ascii_text_without_brackets() -> None:
    every = "".join(map(chr, range(128))).replace("[", "")
    assert word_part_pattern(every).findall(every) == re.findall(WORD_PARTS, every)
    for text in ("E[x]tract", "Café", "naïve", "e\u0301"):
        assert word_part_pattern(text).pattern == WORD_PARTS


def test_a_decomposed_document_and_query_meet_the_composed_ones(tmp_path: Path) -> None:
    text = "Visit to the Élysée palace\n\nThe president met ministers at the Élysée in Paris.\n"
    (tmp_path / "nfd.txt").write_text(unicodedata.normalize("NFD", text), encoding="utf-8")
    (tmp_path / "nfc.txt").write_text(unicodedata.normalize("NFC", text), encoding="utf-8")
    with searchkit.Index.create(tmp_path / "ix") as ix:
        ix.add(tmp_path / "nfd.txt", tmp_path / "nfc.txt")
        for query in ("Élysée", "Elysee", unicodedata.normalize("NFD", "Élysée")):
            hits = ix.search(query, collapse="none").hits
            assert sorted(Path(h.path).name for h in hits) == ["nfc.txt", "nfd.txt"], query
            nfd = next(h for h in hits if h.path.endswith("nfd.txt"))
            # The highlight marks the word as the file writes it, marks and all.
            assert nfd.highlights == (unicodedata.normalize("NFD", "Élysée"),)


def test_ligatures_and_soft_hyphens_meet_the_plain_words(tmp_path: Path) -> None:
    """Text copied from a typeset PDF holds ligatures (``Deﬁnition``), a web page or an
    e-book soft hyphens (``Wider\xadspruch``): both were other words than the ones
    readers type (``Wider`` and ``spruch``, two), in any language's analysis."""

    def terms(language: str, text: str) -> list[str]:
        return [t.text for t in language_analyzer(language)(text)]

    assert terms("en", "Deﬁnitions aﬃne ﬂows") == terms("en", "Definitions affine flows")
    assert terms("de", "Wider\xadspruch Auﬂage") == terms("de", "Widerspruch Auflage")
    assert terms("de", "Wider\xadspruch") == ["widerspruch"]
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "lig.txt").write_text("Typeset\n\nThe ﬁrst deﬁnition of a ﬂow.\n", encoding="utf-8")
    (docs / "shy.html").write_text(
        "<html><head><title>Shy</title></head><body><p>A hyphen\xadation example, "
        "with soft hy\xadphens.</p></body></html>",
        encoding="utf-8",
    )
    with searchkit.Index.create(tmp_path / "ix") as ix:
        ix.add(docs)
        for query in ("definition flow", "deﬁnition ﬂow"):
            [hit] = ix.search(query).hits
            assert hit.path.endswith("lig.txt"), query
            assert hit.highlights == ("deﬁnition", "ﬂow"), query
        [hit] = ix.search("hyphenation").hits
        assert hit.path.endswith("shy.html")
        # The words as the page writes them (both stem to "hyphen").
        assert hit.highlights == ("hyphen\xadation", "hy\xadphens")
        assert ix.search('"soft hyphens"').total == 1


def test_a_decomposed_query_is_not_corrected_piece_by_piece(tmp_path: Path) -> None:
    # "lyse", between the marks of a decomposed "Élysée", was corrected to "lose".
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "e.txt").write_text("The Élysée Palace is in Paris.\n", encoding="utf-8")
    for i in range(6):
        (docs / f"l{i}.txt").write_text(f"Players lose games {i}.\n", encoding="utf-8")
    with searchkit.Index.create(tmp_path / "ix") as ix:
        ix.add(docs)
        results = ix.search(unicodedata.normalize("NFD", "Élysée"))
        assert (results.total, results.corrected_query, results.suggestions) == (1, "", ())


def test_cli_reports_languages(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from searchkit.cli import cli

    ix = str(tmp_path / "ix")
    runner = CliRunner()
    done = runner.invoke(cli, ["index", str(FIXTURES / "mixed"), "--index", ix, "-q"])
    assert done.exit_code == 0, done.output
    stats = runner.invoke(cli, ["stats", "--index", ix])
    assert "Languages:      en 3, de 1, ru 1, zh 1\n" in stats.output
    found = runner.invoke(cli, ["search", "Gefangene", "--index", ix, "--json"])
    assert found.exit_code == 0
    assert '"language": "de"' in found.output
    bad = runner.invoke(
        cli,
        ["index", str(FIXTURES / "mixed"), "--index", str(tmp_path / "b"), "--language", "x!"],
    )
    assert bad.exit_code == 2
    assert bad.output.splitlines()[-1].startswith("Error: language must be 'auto' or an ISO")


def test_facets_and_explanations_search_every_language(multi: searchkit.Index) -> None:
    found = multi.search("Datei", facets=["author"], explain=True, collapse="none")
    assert found.total == 4
    assert found.facets["author"] == {"Jana Becker": 1}
    assert all(h.explanation for h in found.hits)


def test_a_language_other_than_the_existing_indexs_is_refused(tmp_path: Path) -> None:
    with searchkit.Index.open_or_create(tmp_path / "ix", language="de") as ix:
        assert ix.language == "de"
    with searchkit.Index.open_or_create(tmp_path / "ix", language="de-AT") as again:
        assert again.language == "de"
    with pytest.raises(searchkit.SettingsError, match="has default language 'de', not 'en'"):
        searchkit.Index.open_or_create(tmp_path / "ix", language="en")
    with searchkit.Index.open_or_create(tmp_path / "ix") as unsaid:  # "auto": not a request
        assert unsaid.language == "de"


# -- issue 23 item 7: languages on a real folder ----------------------------------------------

GERMAN = """\
---
lang: de
---
# Evakuierung der Altstadt

Im Sommer wurde die Altstadt wegen eines Fundes evakuiert.

Die Verspätung der Züge dauerte drei Stunden.
"""

ENGLISH = "Summer in the city\n\nThe summer was hot and long in the city.\n"

CHINESE = """\
人工智能的发展
2025年5月20日
Author: 李明
人工智能正在改变我们的生活和工作方式。
"""


@pytest.fixture(scope="module")
def trial(tmp_path_factory: pytest.TempPathFactory) -> searchkit.Index:
    root = tmp_path_factory.mktemp("trial")
    (root / "de.md").write_text(GERMAN, encoding="utf-8")
    (root / "en.txt").write_text(ENGLISH, encoding="utf-8")
    (root / "zh.txt").write_text(CHINESE, encoding="utf-8")
    ix = searchkit.Index.create(root / "ix")
    ix.add(root / "de.md", root / "en.txt", root / "zh.txt")
    return ix


def test_a_word_found_in_another_language_gets_no_english_suggestion(
    trial: searchkit.Index,
) -> None:
    found = trial.search("Sommer")
    assert {h.language for h in found.hits} == {"de"}
    assert found.suggestions == ()
    # English words still get them, first; a German word two edits away comes after.
    assert trial.search("summr").suggestions == ("summer", "sommer")


def test_similar_reads_the_source_in_its_own_language(multi: searchkit.Index) -> None:
    """A paragraph in Russian or German is weighed by its language's analysis and found
    through its language's body field (the English one gave an empty query: no hits)."""
    russian = multi.search("военнопленный", limit=1).hits[0]
    assert Path(russian.path).name == "ru_cp1251.txt"
    found = multi.similar(russian.chunk_id)
    assert "body_ru:военноплен" in found.query and "body:" not in found.query
    assert [(Path(h.path).name, h.paragraph) for h in found.hits[:1]] == [("ru_1.txt", 1)]
    assert {h.language for h in found.hits} == {"ru"}
    german = multi.search("Datei", limit=1).hits[0]
    assert [Path(h.path).name for h in multi.similar(german.doc_id)] == ["de_1.txt"]
    english = multi.search("prisoner", limit=1).hits[0]
    assert "body:prison" in multi.similar(english.chunk_id).query  # English as it was


def test_a_title_query_marks_the_title_of_a_hit_in_any_language(multi: searchkit.Index) -> None:
    """The title field is read in English whatever the language; its matched words are
    marked in a German or Russian hit's title as in an English one's."""
    marked = {
        q: [(h.title_spans, h.highlights) for h in multi.search(q).hits]
        for q in ("title:Gefangenenaustausch Grenze", "title:военнопленными", "title:prisoner")
    }
    assert marked["title:Gefangenenaustausch Grenze"] == [
        (((0, 19), (27, 33)), ("Gefangenenaustausch", "Grenze"))
    ]
    assert marked["title:военнопленными"] == [(((6, 20),), ("военнопленными",))]
    assert marked["title:prisoner"][0][0] == ((0, 8),)


def test_did_you_mean_corrects_a_word_in_each_language_the_index_holds(
    multi: searchkit.Index,
) -> None:
    """A word no language holds is corrected in each language's own analysis and body
    field (German and Russian typos were only compared with English words: none, or
    ``Date`` for ``Dateen``); the fewest edits first."""
    german = multi.search("Gefangenenaustasch")
    assert german.corrected_query == "Gefangenenaustausch"
    assert [Path(h.path).name for h in german.hits] == ["de_1.txt"]
    assert multi.search("Dateen").suggestions[0] == "Dateien"
    russian = multi.search("освабодила")
    assert (russian.corrected_query, russian.suggestions) == ("освободила", ("освободила",))
    assert multi.search("Réfrome").corrected_query == "Réforme"
    assert multi.search("prisnoer").suggestions == ("prisoner",)  # English as before


def test_a_query_of_english_stop_words_finds_them_in_an_index_of_several_languages(
    multi: searchkit.Index,
) -> None:
    """``the who`` searches the stop words' own field, as in an English index; other
    languages, where ``the`` is no stop word, searched it alone and found nothing."""
    found = multi.search("the", collapse="none")
    assert found.query.startswith("(stops:the OR body_de:the")
    assert found.total == 4
    assert {h.language for h in found.hits} == {"en"}
    assert all("the" in {w.lower() for w in h.highlights} for h in found.hits)
    assert multi.search("the who").total == 3


def test_language_in_a_query_is_a_filter(multi: searchkit.Index) -> None:
    words = "exchange OR обмен OR Austausch"
    for query in (
        f"{words} language:ru",
        f"language:ru {words}",
        f"({words}) AND language:ru",
        f"{words} language:(ru OR ky)",
    ):
        found = multi.search(query, operator="or")
        assert {h.language for h in found.hits} == {"ru"}, query
        # Every hit scores what its words score: the language adds nothing.
        alone = {h.id: h.score for h in multi.search(words, limit=50).hits}
        assert all(h.score == pytest.approx(alone[h.id]) for h in found.hits)
    assert {h.language for h in multi.search("language:de").hits} == {"de"}


def test_complete_in_each_language_and_cjk(trial: searchkit.Index) -> None:
    assert [c.text for c in trial.complete("Verspä")] == ["Verspätung"]
    assert [c.text for c in trial.complete("die verspä")] == ["die Verspätung"]
    assert [c.text for c in trial.complete("Evaku")] == ["Evakuierung", "evakuiert"]
    completions = trial.complete("人工")
    assert [c.text for c in completions][:1] == ["人工智能"]
    assert completions[0].count == 1  # its one paragraph (the title counts in it)
    assert [c.text for c in trial.complete("人")] == ["人工"]
    assert [c.text for c in trial.complete("summ")] == ["summer"]


def test_german_ieren_verbs_meet_their_forms(trial: searchkit.Index) -> None:
    for query in ("evakuieren", "evakuiert", "Evakuierung", "evakuierte"):
        hits = trial.search(query).hits
        # The title's word first, then the text's.
        assert [h.highlights for h in hits if "evakuiert" in h.text] == [
            ("Evakuierung", "evakuiert")
        ], query
    from searchkit.analysis.languages import language_analyzer

    stems = [t.text for t in language_analyzer("de")("evakuieren evakuiert evakuierst Bier Tier")]
    assert stems == ["evakui", "evakui", "evakui", "bier", "tier"]


def test_a_chinese_date_line_is_read(tmp_path: Path) -> None:
    import datetime as dt

    page = tmp_path / "zh.txt"
    page.write_text(CHINESE, encoding="utf-8")
    doc = searchkit.load_document(page)
    assert (doc.title, doc.published, doc.author) == (
        "人工智能的发展",
        dt.datetime(2025, 5, 20),
        "李明",
    )
    assert [p.text for p in doc.paragraphs] == ["人工智能正在改变我们的生活和工作方式。"]
    for line, when in [
        ("2025年5月20日 10:55", dt.datetime(2025, 5, 20, 10, 55)),
        ("2025 年 12 月 1 日", dt.datetime(2025, 12, 1)),
        ("2025년 5월 20일", dt.datetime(2025, 5, 20)),
    ]:
        page.write_text(f"标题\n{line}\n正文。\n", encoding="utf-8")
        assert searchkit.load_document(page).published == when, line
    page.write_text("标题\n2025年13月40日\n正文。\n", encoding="utf-8")
    assert searchkit.load_document(page).published is None
