"""Hits show the text of Markdown and HTML without markup; offsets still find the block."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import searchkit
from searchkit.chunking import chunk_document

PAGE = """\
# Release notes

<a id="v2"></a>

The **new** release adds [faster search](https://example.org/search-docs "docs") and
*accent* folding; see https://example.org/changelog for details.

- `zip` archives
- [tar](https://example.org/tar) files
"""

HTML = """<html><body>
<p>Read the <a href="https://example.net/a">full story</a> at https://example.net/story today.</p>
<p><a id="top"></a></p>
</body></html>
"""


def test_markdown_hits_show_words_and_span_the_raw_block(
    index: searchkit.Index, tmp_path: Path
) -> None:
    page = tmp_path / "notes.md"
    page.write_text(PAGE, encoding="utf-8")
    index.add(page)
    doc = index.document(index.documents()[0].id)
    assert [p.text for p in doc.paragraphs] == [
        "The new release adds faster search and accent folding; see "
        "https://example.org/changelog for details.",
        "zip archives tar files",
    ]
    hit = index.search("faster").hits[0]
    assert hit.snippet() == (
        "The new release adds [faster] search and accent folding; see "
        "https://example.org/changelog for details."
    )
    # The offsets slice the block as written: that is how to get the raw Markdown.
    raw = page.read_text(encoding="utf-8")[hit.start : hit.end]
    assert raw.startswith("The **new** release adds [faster search](https://example.org")
    assert raw.endswith("for details.")
    # A URL the author wrote is text; a link's target is markup.
    assert [h.paragraph for h in index.search("changelog").hits] == [1]
    assert index.search('"search docs"').total == 0


CODE_SPANS = """\
# cd

> Change the current working directory.
> More information: <https://manned.org/cd>.

- Go to the given directory and list it:

`cd {{path/to/directory}} .`

- Run `ls  -l` after [the move](https://example.org/move), **twice**:

`cd -`
"""


def test_markdown_text_keeps_code_spans_verbatim_and_autolink_text(
    index: searchkit.Index, tmp_path: Path
) -> None:
    page = tmp_path / "cd.md"
    page.write_text(CODE_SPANS, encoding="utf-8")
    index.add(page)
    doc = index.document(index.documents()[0].id)
    assert [p.text for p in doc.paragraphs] == [
        "Change the current working directory. More information: https://manned.org/cd.",
        "Go to the given directory and list it:",
        "cd {{path/to/directory}} .",
        "Run ls  -l after the move, twice:",
        "cd -",
    ]
    # The lines that say "directory" rank above the one whose placeholder holds it.
    hits = index.search("directory", collapse="none").hits
    assert [h.paragraph for h in hits] == [2, 1, 3]
    hit = hits[2]
    assert hit.text == "cd {{path/to/directory}} ."
    # The offsets still lead to the block as written.
    assert CODE_SPANS[hit.start : hit.end] == "`cd {{path/to/directory}} .`"
    assert [h.paragraph for h in index.search("manned").hits] == [1]


def test_html_urls_are_not_words(index: searchkit.Index, tmp_path: Path) -> None:
    page = tmp_path / "story.html"
    page.write_text(HTML, encoding="utf-8")
    index.add(page)
    hits = index.search("story").hits
    assert [h.text for h in hits] == ["Read the full story at today."]
    assert index.search("example").total == 0


# -- property: a Markdown paragraph's text is its source with the markup removed ----------

_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCXYZ", min_size=1, max_size=8)
_TAIL = st.sampled_from(["", "", ".", ",", ":", "!", "?", ";"])
_CODE = st.text(alphabet="abcxyz019 {}/._-*[]<>|=$~'\"", min_size=1, max_size=24).filter(
    lambda c: not c.startswith(" ") and c.strip()
)
_URL = st.builds("https://{}.org/{}".format, _WORD.map(str.lower), _WORD.map(str.lower))


def _pieces() -> st.SearchStrategy[tuple[str, str]]:
    """One inline piece as ``(markdown, what a reader sees of it)``."""
    word = st.builds(lambda w, t: (w + t, w + t), _WORD, _TAIL)
    words = st.lists(_WORD, min_size=1, max_size=3).map(" ".join)
    return st.one_of(
        word,
        word,
        st.builds(lambda w: (f"*{w}*", w), words),
        st.builds(lambda w: (f"**{w}**", w), words),
        st.builds(lambda w: (f"_{w}_", w), words),
        st.builds(lambda c: (f"`{c}`", c), _CODE),
        st.builds(lambda c: (f"`{c}`.", f"{c}."), _CODE),
        st.builds(lambda w, u: (f"[{w}]({u})", w), words, _URL),
        st.builds(lambda u, t: (f"<{u}>{t}", u + t), _URL, _TAIL),
        st.builds(lambda u: (u, u), _URL),
        st.builds(lambda a, b, c: (f"{a}[{b}]{c}", f"{a}[{b}]{c}"), _WORD, _WORD, _WORD),
        st.builds(lambda b, c: (f"[{b}]{c}", f"[{b}]{c}"), _WORD, _WORD),
    )


@st.composite
def _paragraph(draw: st.DrawFn) -> tuple[str, str]:
    first = draw(_WORD)  # a letter first: never a list, quote or heading mark
    pieces = [(first, first), *draw(st.lists(_pieces(), min_size=1, max_size=8))]
    source, shown = pieces[0]
    for md, text in pieces[1:]:
        source += draw(st.sampled_from([" ", " ", "\n", "  "])) + md
        shown += " " + text
    return source, shown


@settings(max_examples=200, deadline=None)
@given(st.lists(_paragraph(), min_size=1, max_size=4))
def test_markdown_text_is_the_source_without_markup(paragraphs: list[tuple[str, str]]) -> None:
    source = "# Page\n\n" + "\n\n".join(md for md, _ in paragraphs) + "\n"
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "page.md"
        path.write_text(source, encoding="utf-8")
        doc = searchkit.load_document(path)
    # A paragraph has no white space at either end (a code span's last space included).
    assert [p.text for p in doc.paragraphs] == [shown.rstrip() for _, shown in paragraphs]
    for p, (md, _) in zip(doc.paragraphs, paragraphs, strict=True):
        assert source[p.start : p.end] == md
    for small in (4000, 7):
        chunks = list(chunk_document(doc, max_chars=small))
        for p in doc.paragraphs:
            parts = [c for c in chunks if c.paragraph == p.number]
            assert "".join(c.text for c in parts) == p.text
            for c in parts:
                if len(p.text) == p.end - p.start:  # markup-free: each part its own slice
                    assert source[c.start : c.end].replace("\n", " ") == c.text
                else:  # each part leads to its whole block
                    assert (c.start, c.end) == (p.start, p.end)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_paragraph())
def test_markdown_hits_show_the_source_without_markup(
    tmp_path_factory: pytest.TempPathFactory, paragraph: tuple[str, str]
) -> None:
    md, shown = paragraph
    root = tmp_path_factory.mktemp("md")
    source = f"# Page\n\n{md}\n"
    (root / "page.md").write_text(source, encoding="utf-8")
    index = searchkit.Index.create(root / "index")
    index.add(root / "page.md")
    word = md.split()[0]
    hits = index.search(f'"{word}"').hits
    assert [(h.text, source[h.start : h.end]) for h in hits] == [(shown.rstrip(), md)]


# -- letters in brackets inside a word (mnemonic markup) -----------------------------------

TAR = """\
# tar

> Archiving utility.

- E[x]tract an archive into the current directory:

`tar xf {{path/to/source.tar}}`

- [c]reate an archive from [a]ll files:

`tar cf {{path/to/target.tar}} {{path/to/file1}}`

- Lis[t] the contents of an archive:

`tar tf {{path/to/source.tar}}`

- Read [x] and [y] as letters, and a[1] as a word and a number:

`tar --help`
"""


def test_a_bracketed_letter_run_inside_a_word_is_one_word(
    index: searchkit.Index, tmp_path: Path
) -> None:
    page = tmp_path / "tar.md"
    page.write_text(TAR, encoding="utf-8")
    index.add(page)
    for query, paragraph, marked in [
        ("extract", 2, "E[x]tract"),
        ("create", 4, "[c]reate"),
        ("list", 6, "Lis[t]"),
    ]:
        hits = index.search(query).hits
        assert [(h.paragraph, h.highlights) for h in hits] == [(paragraph, (marked,))]
        assert marked in hits[0].text  # the text keeps the brackets
    assert index.search("tract").total == 0  # no longer cut into e, x, tract
    # A bracketed stop word is a stop word; brackets alone join nothing.
    assert [h.paragraph for h in index.search('"from all"').hits] == [4]
    assert [(h.paragraph, h.highlights) for h in index.search("x").hits] == [(8, ("x",))]


def test_bracketed_letters_are_analysed_as_one_word_part() -> None:
    from searchkit.analysis import highlight_spans, index_term, text_analyzer
    from searchkit.analysis.languages import analysis_for, language_analyzer

    text = "E[x]tract, [c]reate and Lis[t] [x] [a][b] arr[0]"
    assert [t.text for t in text_analyzer()(text)] == [
        "extract",
        "creat",
        "list",
        "x",
        "b",
        "arr",
        "0",
    ]
    assert index_term("E[x]tract") == "extract"
    spans = list(highlight_spans(text, frozenset({"extract", "list"})))
    assert [text[s:e] for s, e in spans] == ["E[x]tract", "Lis[t]"]
    assert [t.text for t in language_analyzer("de")("[E]xtrakt")] == ["extrakt"]
    german = analysis_for("de")
    assert [text[s:e] for s, e in german.highlight_spans(text, frozenset({"list"}))] == ["Lis[t]"]
