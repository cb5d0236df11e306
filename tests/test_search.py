from __future__ import annotations

import datetime as dt

import pytest

import searchkit

from .conftest import SEED

TITLE = "What important role does Belarus play in the Ukraine conflict?"


def test_rare_word_ranks_its_paragraph_first(seed_index: searchkit.Index) -> None:
    results = seed_index.search("Machulischi")
    assert results.total == 1
    hit = results[0]
    assert (hit.rank, hit.paragraph) == (1, 7)
    assert hit.highlights == ("Machulischi",)
    assert hit.score > 0
    assert hit.title == TITLE
    assert hit.author == "Natalia Grigoryeva"
    assert hit.published == dt.datetime(2025, 6, 14, 10, 55)
    assert hit.source_url == "https://www.toutiao.com/article/7515969173709767187/"
    assert hit.source_domain == "toutiao.com"
    assert hit.path == str(SEED)
    assert hit.chunk_id == hit.id == f"{hit.doc_id}:7"


def test_hit_text_matches_file_slice(seed_index: searchkit.Index) -> None:
    text = SEED.read_text(encoding="utf-8")
    for hit in seed_index.search("Belarus", limit=50):
        assert text[hit.start : hit.end] == hit.text
        for s, e in hit.spans:
            assert hit.text[s:e].lower().startswith("belarus")


def test_phrase_with_stop_word(seed_index: searchkit.Index) -> None:
    results = seed_index.search('"1000 for 1000"')
    assert [h.paragraph for h in results] == [9]
    assert "1000" in results[0].highlights


def test_since_after_publication_finds_nothing(seed_index: searchkit.Index) -> None:
    assert seed_index.search("Belarus", since="2025-07", collapse="none").total == 0
    assert seed_index.search("Belarus", since="2025-06", collapse="none").total == 17
    assert seed_index.search("Belarus", until="2025-06-13", collapse="none").total == 0
    assert seed_index.search("Belarus", until="2025-06-14", collapse="none").total == 17
    assert (
        seed_index.search("Belarus", since="2025", until="2025-06-14T10:55", collapse="none").total
        == 17
    )


def test_author_and_source_filters(seed_index: searchkit.Index) -> None:
    assert seed_index.search("Belarus", author="natalia  GRIGORYEVA", collapse="none").total == 17
    assert seed_index.search("Belarus", author="Natalia", collapse="none").total == 0
    assert seed_index.search("Belarus", source="toutiao.com", collapse="none").total == 17
    assert (
        seed_index.search("Belarus", source="https://www.toutiao.com/x", collapse="none").total
        == 17
    )
    assert seed_index.search("Belarus", source="example.com", collapse="none").total == 0


def test_doc_id_filter(seed_index: searchkit.Index) -> None:
    doc_id = seed_index.search("Machulischi")[0].doc_id
    assert seed_index.search("Belarus", doc_id=doc_id).total == 17
    assert seed_index.search("Belarus", doc_id="0" * 16).total == 0


def test_natural_language_query_uses_or(seed_index: searchkit.Index) -> None:
    q = "Where did Russia and Ukraine hold talks about prisoner exchanges, zebras and kangaroos?"
    assert seed_index.search(q).total > 0
    assert seed_index.search(q, operator="and").total == 0


def test_more_matching_words_rank_higher(seed_index: searchkit.Index) -> None:
    hits = seed_index.search("prisoner exchange Istanbul", limit=17)
    top = hits[0]
    assert {"Istanbul", "prisoner"} <= {w for w in top.highlights}


def test_query_syntax(seed_index: searchkit.Index) -> None:
    assert seed_index.search("author:grigoryeva", collapse="none").total == 17
    assert {h.paragraph for h in seed_index.search("Machulischi OR Istanbul", collapse="none")} == {
        7,
        8,
        9,
        11,
    }
    assert (
        seed_index.search("Belarus NOT Lukashenko", collapse="none").total
        == 17 - seed_index.search("Belarus AND Lukashenko", collapse="none").total
    )
    with_l = {
        h.paragraph for h in seed_index.search("Belarus AND Lukashenko", limit=17, collapse="none")
    }
    without = {
        h.paragraph for h in seed_index.search("Belarus NOT Lukashenko", limit=17, collapse="none")
    }
    assert without == set(range(1, 18)) - with_l and with_l
    assert {
        h.paragraph for h in seed_index.search("Belarus -Lukashenko", limit=17, collapse="none")
    } == without
    assert {h.paragraph for h in seed_index.search("+Istanbul Belarus", collapse="none")} == {
        8,
        9,
        11,
    }
    hyphen = seed_index.search("well-known", limit=17, collapse="none")
    assert [h.chunk_id for h in hyphen] == [
        h.chunk_id for h in seed_index.search("well known", collapse="none")
    ]
    assert seed_index.search("Machul*", collapse="none")[0].paragraph == 7
    assert seed_index.search("Machulisch~", collapse="none")[0].paragraph == 7
    assert "machulisch~2" in seed_index.search("Machulisch~2", collapse="none").query
    with pytest.raises(searchkit.QuerySyntaxError, match="at most 2 edits"):
        seed_index.search(
            "Machulisch~9", collapse="none"
        )  # refused, no longer run as ~2 (issue 23, item 8)
    assert seed_index.search("published:2025-06 AND Machulischi", collapse="none").total == 1
    assert seed_index.search("date:[2025-07 TO] AND Machulischi", collapse="none").total == 0
    assert seed_index.search("paragraph:7", collapse="none").total == 1
    assert seed_index.search("title:Belarus", collapse="none").total == 17


def test_wildcard_highlights_expanded_words(seed_index: searchkit.Index) -> None:
    hit = seed_index.search("Machul*")[0]
    assert hit.highlights == ("Machulischi",)


@pytest.mark.parametrize("text", ["Mach?*chi", "Ma??*chi", "Ma?h*sch?", "Mac*?lischi"])
def test_wildcards_side_by_side_stay_one_word(seed_index: searchkit.Index, text: str) -> None:
    """``?*`` or ``*?`` inside a word: Whoosh's parser cut the word after them
    (``Mach?*chi`` searched ``mach?*`` OR ``chi``)."""
    found = seed_index.search(text, collapse="none")
    assert found.query == f"body:{text.lower()}"
    assert [h.highlights for h in found] == [("Machulischi",)]


@pytest.mark.parametrize(
    "text",
    ["“prisoner exchange”", "„prisoner exchange“", "«prisoner exchange»", "»prisoner exchange«"],
)
def test_typographic_quotes_quote_a_phrase(seed_index: searchkit.Index, text: str) -> None:
    """Quotes curled by a word processor or a keyboard quote a phrase as ``"`` does (they
    searched the words apart: 11 paragraphs instead of 3)."""
    straight = seed_index.search('"prisoner exchange"', collapse="none")
    found = seed_index.search(text, collapse="none")
    assert (
        (found.query, found.total)
        == (straight.query, 3)
        == (
            'body:"prison exchang"',
            straight.total,
        )
    )
    assert [h.chunk_id for h in found] == [h.chunk_id for h in straight]
    # A misspelt word inside them is searched as typed, as inside straight quotes, and
    # the correction only offered.
    typo = seed_index.search(text.replace("prisoner", "prisnoer"))
    assert (typo.total, typo.corrected_query) == (0, "")
    assert typo.suggestions == (text,)


def test_an_unclosed_typographic_quote_is_said_as_typed(seed_index: searchkit.Index) -> None:
    with pytest.raises(searchkit.QuerySyntaxError) as excinfo:
        seed_index.search("“prisoner exchange")
    assert str(excinfo.value) == (
        "cannot parse query '“prisoner exchange' at character 1: unclosed '\"'"
    )
    assert excinfo.value.query == "“prisoner exchange"


def test_pasted_css_and_stored_field_names_are_words(seed_index: searchkit.Index) -> None:
    """``font-size: 1.5em`` was refused (\'size:\' has no value) and ``font-size:1.5em``
    searched the stored field ``size``; a colon after a hyphenated word, or after the name
    of a field that cannot be searched (``Start: ...``), is punctuation."""
    spaced, joined = seed_index.search("font-size: 1.5em"), seed_index.search("font-size:1.5em")
    assert spaced.query == joined.query == '(body:font OR body:size OR body:1 OR body:"5 em")'
    assert seed_index.search("Start: the talks").query == "(body:start OR body:talk)"
    with pytest.raises(searchkit.QuerySyntaxError) as excinfo:  # where, in what was typed
        seed_index.search("font-size:1.5em (talks")
    assert str(excinfo.value).endswith("at character 17: '(' is never closed")
    with pytest.raises(searchkit.QuerySyntaxError, match="'size' is stored, not searchable"):
        seed_index.search("size:5")  # named as a field: said so
    not_titled = seed_index.search("-title:minsk belarus", collapse="none")  # a NOT still works
    assert (not_titled.query, not_titled.total) == ("(body:belarus ANDNOT title:minsk)", 17)


def test_paging(seed_index: searchkit.Index) -> None:
    all_hits = seed_index.search("Belarus", limit=17, collapse="none")
    assert all_hits.pages == 1
    page2 = seed_index.search("Belarus", limit=5, page=2, collapse="none")
    assert (page2.total, page2.pages, page2.page) == (17, 4, 2)
    assert [h.chunk_id for h in page2] == [h.chunk_id for h in all_hits.hits[5:10]]
    assert [h.rank for h in page2] == [6, 7, 8, 9, 10]
    assert len(seed_index.search("Belarus", limit=5, page=9, collapse="none")) == 0


def test_sort_by_date_keeps_all(seed_index: searchkit.Index) -> None:
    results = seed_index.search("Belarus", sort="date", limit=20, collapse="none")
    assert results.total == 17
    assert len({h.chunk_id for h in results}) == 17


def test_grouped_returns_each_document_once(seed_index: searchkit.Index) -> None:
    results = seed_index.search("prisoner exchange", group=True, group_size=3)
    assert results.grouped and results.total == 1 and len(results) == 1
    best = results[0]
    flat = seed_index.search("prisoner exchange", limit=3, collapse="none")
    assert [best.chunk_id] + [m.chunk_id for m in best.more] == [h.chunk_id for h in flat]


def test_context_gives_neighbours(seed_index: searchkit.Index) -> None:
    hit = seed_index.search("Machulischi", context=2)[0]
    assert [c.paragraph for c in hit.before] == [5, 6]
    assert [c.paragraph for c in hit.after] == [8, 9]
    first = seed_index.search('"has repeatedly emphasized"', context=1)[0]
    assert first.paragraph == 1 and first.before == () and [c.paragraph for c in first.after] == [2]


def test_snippet_marks_matches(seed_index: searchkit.Index) -> None:
    hit = seed_index.search("Machulischi")[0]
    assert "[Machulischi]" in hit.snippet()
    assert len(hit.snippet(width=80)) <= 84


def test_read_back_chunk_and_document(seed_index: searchkit.Index) -> None:
    hit = seed_index.search("Machulischi")[0]
    chunk = seed_index.chunk(hit.chunk_id)
    assert chunk.text == hit.text and chunk.paragraph == 7
    doc = seed_index.document(hit.doc_id)
    loaded = searchkit.load_document(SEED)
    assert doc.paragraphs == loaded.paragraphs
    assert (doc.title, doc.author, doc.published, doc.disclaimer, doc.content_hash) == (
        loaded.title,
        loaded.author,
        loaded.published,
        loaded.disclaimer,
        loaded.content_hash,
    )
    passage = seed_index.passage(hit.chunk_id, 1)
    assert passage.chunk == chunk
    assert [c.paragraph for c in passage.before + passage.after] == [6, 8]


def test_unknown_ids_raise_not_found(seed_index: searchkit.Index) -> None:
    with pytest.raises(searchkit.NotFoundError, match="no chunk 'nope:1'"):
        seed_index.chunk("nope:1")
    with pytest.raises(searchkit.NotFoundError, match="no document 'nope'"):
        seed_index.document("nope")
    doc_id = seed_index.search("Machulischi")[0].doc_id
    for missing in (doc_id, f"{doc_id}:99", f"{doc_id}:7.2", f"{doc_id}:", f"{doc_id}:7.x"):
        with pytest.raises(searchkit.NotFoundError, match="no chunk"):
            seed_index.chunk(missing)
    for missing in (f"{doc_id}:99999999999", f"{doc_id}:-1", f"{doc_id}:\uff17"):
        with pytest.raises(searchkit.NotFoundError, match="no chunk"):
            seed_index.chunk(missing)


@pytest.mark.parametrize("field", ["seq", "chunk_id", "start"])
def test_a_stored_only_field_in_a_query_says_what_can_be_searched(
    seed_index: searchkit.Index, field: str
) -> None:
    with pytest.raises(
        searchkit.QuerySyntaxError,
        match=f"field '{field}' is stored, not searchable; search one of title, text, author",
    ):
        seed_index.search(f"belarus {field}:x")


def test_a_colon_after_other_words_or_inside_quotes_is_no_field(
    seed_index: searchkit.Index,
) -> None:
    assert seed_index.search("Note: Belarus").total == seed_index.search("note Belarus").total
    assert seed_index.search('"title:" Belarus').total


def test_chunk_of_a_document_whose_id_has_colons(index: searchkit.Index) -> None:
    text = "first words"
    para = (searchkit.Paragraph(1, text, 0, len(text)), searchkit.Paragraph(2, "more", 12, 16))
    index.add_documents([searchkit.Document(id="a:b", path="x", title="t", paragraphs=para)])
    assert index.chunk("a:b:2").text == "more"
    assert index.chunk("a:b:1").id == "a:b:1"
    with pytest.raises(searchkit.NotFoundError):
        index.chunk("a:b")


@pytest.mark.parametrize("query", ["", "   ", "\n"])
def test_empty_query(seed_index: searchkit.Index, query: str) -> None:
    with pytest.raises(searchkit.EmptyQueryError, match="empty query"):
        seed_index.search(query)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"unclosed', "cannot parse query '\"unclosed' at character 1: unclosed '\"'"),
        ("(Belarus OR Russia", "at character 1: '(' is never closed"),
        ("Belarus)", "at character 8: ')' without a matching '('"),
        ("published:notadate", "is not a date"),
        ("title:the AND title:of", "nothing searchable is left"),
        ("title:", "at character 1: 'title:' has no value; write title:WORD or title:\"a phrase\""),
        ("Belarus title: Minsk", "at character 9: 'title:' has no value"),
        ("(Belarus author:)", "at character 10: 'author:' has no value"),
        ("site: Belarus", "at character 1: 'site:' has no value"),
    ],
)
def test_unparsable_query(seed_index: searchkit.Index, query: str, message: str) -> None:
    with pytest.raises(searchkit.QuerySyntaxError) as err:
        seed_index.search(query)
    assert message in str(err.value)
    assert err.value.query == query


@pytest.mark.parametrize(
    ("kwargs", "message", "error"),
    [
        ({"since": "June"}, "since: 'June' is not a date", searchkit.FilterError),
        ({"until": "2025-13"}, "until: '2025-13' is not a valid date", searchkit.FilterError),
        ({"since": "2025-07", "until": "2025-06"}, "is after until", searchkit.FilterError),
        ({"limit": 0}, "limit must be a whole number of at least 1", searchkit.ArgumentError),
        ({"page": 0}, "page must be", searchkit.ArgumentError),
        ({"sort": "size"}, "sort must be one of relevance, date, oldest", searchkit.ArgumentError),
        ({"context": -1}, "context must be", searchkit.ArgumentError),
        ({"operator": "xor"}, "operator must be", searchkit.ArgumentError),
    ],
)
def test_bad_options(
    seed_index: searchkit.Index, kwargs: dict[str, object], message: str, error: type[Exception]
) -> None:
    with pytest.raises(error) as err:
        seed_index.search("Belarus", **kwargs)  # type: ignore[arg-type]
    assert message in str(err.value)


@pytest.mark.parametrize(
    "query",
    ["http://x.com/a?b=c", "Ukraine: what next?", "foo:bar", "AND", "OR NOT", ":", "a:b:c", "~"],
)
def test_odd_queries_give_results_or_searchkit_error(
    seed_index: searchkit.Index, query: str
) -> None:
    try:
        results = seed_index.search(query)
    except searchkit.SearchkitError as exc:
        assert str(exc)
    else:
        assert results.total == len(results.hits) or results.total > 10
