"""Markdown, JSONL and HTML loaders: metadata, paragraphs, offsets, bad input, and indexing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import searchkit
from searchkit.chunking import chunk_document
from searchkit.loaders import LOADERS, iter_files, load_file
from searchkit.loaders._base import document_id
from searchkit.models import Skipped


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _texts(doc: searchkit.Document) -> list[str]:
    return [p.text for p in doc.paragraphs]


# -- JSONL --------------------------------------------------------------------------------


def _jsonl(path: Path, *records: object) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    return _write(path, "\n".join(lines) + "\n")


def test_jsonl_records_fields_and_offsets(tmp_path: Path) -> None:
    f = _jsonl(
        tmp_path / "news.jsonl",
        {
            "id": "a1",
            "title": "Rain in Minsk",
            "author": "Jo Doe",
            "date": "2024-03-01T09:30",
            "url": "https://www.example.org/rain",
            "text": "First para\nstill first.\n\nSecond para &amp; \u00e9t\u00e9.",
        },
        {
            "_id": 7,
            "title": "Snow",
            "authors": "ignored",
            "author": [{"name": "Ann  Lee"}, "Bo Chan"],
            "published": "June 14, 2025",
            "source_url": "https://news.example.com/s",
            "body": "Only paragraph.",
        },
        {"content": "No id, no title.", "disclaimer": "Views are the author's own."},
    )
    docs = searchkit.load_documents(f)
    assert [d.title for d in docs] == ["Rain in Minsk", "Snow", "news line 3"]
    a, b, c = docs
    assert a.id == document_id(f.resolve(), "id:a1")
    assert b.id == document_id(f.resolve(), "id:7")
    assert c.id == document_id(f.resolve(), "line:3")
    assert (a.author, a.published) == ("Jo Doe", dt.datetime(2024, 3, 1, 9, 30))
    assert (a.source_url, a.source_domain) == ("https://www.example.org/rain", "example.org")
    assert (b.author, b.published) == ("Ann Lee, Bo Chan", dt.datetime(2025, 6, 14))
    assert b.source_domain == "news.example.com"
    assert c.disclaimer == "Views are the author's own."
    assert [d.record_line for d in docs] == [1, 2, 3]
    assert {d.format for d in docs} == {"jsonl"}
    assert len({d.content_hash for d in docs}) == 1
    assert _texts(a) == ["First para\nstill first.", "Second para &amp; \u00e9t\u00e9."]
    assert [(p.number, p.start, p.end) for p in a.paragraphs] == [(1, 0, 23), (2, 25, 47)]
    lines = f.read_text(encoding="utf-8").split("\n")
    for doc in docs:
        record = json.loads(lines[doc.record_line - 1])
        value = next(record[k] for k in ("text", "body", "content") if k in record)
        for p in doc.paragraphs:
            assert value[p.start : p.end] == p.text


def test_jsonl_bad_lines_are_skipped_with_reasons(tmp_path: Path) -> None:
    f = _jsonl(
        tmp_path / "mixed.ndjson",
        {"id": "ok1", "text": "Good one."},
        '{"id": "broken", "text": "unterminated',
        "",
        "[1, 2, 3]",
        {"id": "empty", "text": "   "},
        {"id": "nontext", "text": ["a", "b"]},
        {"id": "ok1", "text": "Same id again."},
        {"id": "ok2", "body": "Good two."},
    )
    docs, skipped = load_file(f)
    assert [(d.title, d.record_line) for d in docs] == [("ok1", 1), ("ok2", 8)]
    assert skipped == [
        Skipped(
            str(f), "line 2: invalid JSON: Unterminated string starting at: column 26", "record"
        ),
        Skipped(str(f), "line 4: not a JSON object (a list)", "record"),
        Skipped(str(f), "line 5: no text (no text/body/content string)", "record"),
        Skipped(str(f), "line 6: no text (no text/body/content string)", "record"),
        Skipped(str(f), "line 7: duplicate id 'ok1' (first on line 1)", "record"),
    ]
    assert [d.title for d in searchkit.load_documents(f)] == ["ok1", "ok2"]


def test_jsonl_without_usable_records_is_a_document_error(tmp_path: Path) -> None:
    f = _jsonl(tmp_path / "bad.jsonl", "not json", {"title": "no text"})
    with pytest.raises(searchkit.DocumentError) as err:
        searchkit.load_documents(f)
    assert err.value.reason == (
        "no usable records (2 skipped; first: line 1: invalid JSON: Expecting value: column 1)"
    )


def test_jsonl_crlf_and_bom(tmp_path: Path) -> None:
    f = tmp_path / "crlf.jsonl"
    f.write_bytes(b"\xef\xbb\xbf" + b'{"text": "one"}\r\n\r\n{"text": "two\\r\\nlines"}\r\n')
    docs = searchkit.load_documents(f)
    assert [(d.record_line, _texts(d)) for d in docs] == [(1, ["one"]), (3, ["two\r\nlines"])]
    assert docs[0].encoding == "utf-8-sig"


# -- Markdown -----------------------------------------------------------------------------


def _check_literal(path: Path, doc: searchkit.Document) -> None:
    """Each Markdown paragraph spans its raw block: the words a reader sees of it (a code
    block as written), and each chunk spans its paragraph's block or its exact slice."""
    from searchkit.loaders._plain import markdown_text

    text = path.read_bytes().decode(doc.encoding)
    for p in doc.paragraphs:
        raw = text[p.start : p.end]
        assert p.text in (raw, markdown_text(raw))
    for c in chunk_document(doc, max_chars=200):
        raw = text[c.start : c.end]
        assert raw == c.text or c.text in markdown_text(raw)


MARKDOWN = """\
---
title: "Rain: a report"
authors:
  - Jo Doe
  - name: Ann  Lee
    email: ann@example.org
date: 2024-03-01 10:15
url: https://www.example.org/rain
disclaimer: Views are the authors' own.
tags: [weather]
---
# Rain in Minsk

It rained *all day*,
and [nobody](https://x.org) minded.

## Later ##

```sh
umbrella --open

# not a heading
```

Setext heading
==============

<!-- a comment
over lines -->

[ref]: https://example.org/ref

***
- a list item
- another item
"""


def test_markdown_front_matter_and_blocks(tmp_path: Path) -> None:
    f = _write(tmp_path / "rain.md", MARKDOWN)
    doc = searchkit.load_document(f)
    assert doc.title == "Rain: a report"
    assert doc.author == "Jo Doe, Ann Lee"
    assert doc.published == dt.datetime(2024, 3, 1, 10, 15)
    assert (doc.source_url, doc.source_domain) == ("https://www.example.org/rain", "example.org")
    assert doc.disclaimer == "Views are the authors' own."
    assert (doc.format, doc.id) == ("markdown", document_id(f.resolve()))
    assert _texts(doc) == [
        "Rain in Minsk",
        "It rained all day, and nobody minded.",  # the block's words, without markup or URL
        "Later",
        "umbrella --open\n\n# not a heading",  # code as written
        "Setext heading",
        "a list item another item",
    ]
    assert [(p.number, p.start, p.end) for p in doc.paragraphs] == [
        (1, 213, 226),
        (2, 228, 284),
        (3, 289, 294),
        (4, 305, 337),
        (5, 343, 357),
        (6, 441, 469),
    ]
    _check_literal(f, doc)


def test_markdown_title_from_first_h1_is_not_a_paragraph(tmp_path: Path) -> None:
    f = _write(tmp_path / "notes.md", "Intro line.\n\n#  The Title  #\n\nBody.\n\n# Second\n")
    doc = searchkit.load_document(f)
    assert doc.title == "The Title"
    assert _texts(doc) == ["Intro line.", "Body.", "Second"]
    assert (doc.author, doc.published, doc.source_url) == (None, None, None)
    _check_literal(f, doc)


def test_markdown_front_matter_title_drops_the_same_h1(tmp_path: Path) -> None:
    f = _write(tmp_path / "same.md", "---\ntitle: Same  Title\n---\n# same title\nText.\n")
    doc = searchkit.load_document(f)
    assert doc.title == "Same Title"
    assert _texts(doc) == ["Text."]


def test_markdown_without_title_uses_file_name(tmp_path: Path) -> None:
    f = _write(tmp_path / "plain-notes.markdown", "## Only h2\n\nSome text\nwrapped.\n")
    doc = searchkit.load_document(f)
    assert doc.title == "plain-notes"
    assert _texts(doc) == ["Only h2", "Some text wrapped."]


def test_markdown_only_a_heading_is_title_and_paragraph(tmp_path: Path) -> None:
    doc = searchkit.load_document(_write(tmp_path / "h.md", "# Lonely\n"))
    assert (doc.title, _texts(doc)) == ("Lonely", ["Lonely"])


def test_markdown_toml_front_matter(tmp_path: Path) -> None:
    f = _write(
        tmp_path / "hugo.md",
        '+++\ntitle = "Hugo post"\nauthor = "Jo Doe"\n'
        'date = 2023-05-06T07:08:09+02:00\nsource_url = "https://blog.example.net/p"\n+++\n'
        "Body of the post.\n",
    )
    doc = searchkit.load_document(f)
    assert (doc.title, doc.author) == ("Hugo post", "Jo Doe")
    assert doc.published == dt.datetime(2023, 5, 6, 7, 8, 9)
    assert doc.source_domain == "blog.example.net"
    assert _texts(doc) == ["Body of the post."]


@pytest.mark.parametrize(
    ("front", "published"),
    [
        ("published: June 14, 2025, 10:55 AM", dt.datetime(2025, 6, 14, 10, 55)),
        ("date: 2025-06-14T10:55:00Z", dt.datetime(2025, 6, 14, 10, 55)),
        ("date: 2024-02-30", None),
        ("date: [2024]", None),
    ],
)
def test_markdown_front_matter_dates(
    tmp_path: Path, front: str, published: dt.datetime | None
) -> None:
    f = _write(tmp_path / "d.md", f"---\n{front}\n...\nText.\n")
    doc = searchkit.load_document(f)
    assert (doc.published, _texts(doc)) == (published, ["Text."])


def test_markdown_bad_front_matter_is_reported_and_left_out(tmp_path: Path) -> None:
    f = _write(tmp_path / "bad.md", "---\ntitle: [unclosed\n---\nThe body.\n")
    docs, skipped = load_file(f)
    assert [(d.title, _texts(d)) for d in docs] == [("bad", ["The body."])]
    assert len(skipped) == 1
    assert skipped[0].path == str(f)
    assert skipped[0].reason.startswith("front matter left out: not valid YAML (")


@pytest.mark.parametrize("opener", ["---", "+++"])
def test_markdown_front_matter_past_the_limit_is_left_out_unread(
    tmp_path: Path, opener: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its YAML is read in Python at about 0.3 MiB a second into some seventy times its
    size (4 MiB took 12.9 s and 279 MiB); past the limit it is not read at all."""
    from searchkit.loaders import markdown

    monkeypatch.setattr(markdown, "MAX_FRONT_MATTER_CHARS", 1000)
    read: list[str] = []
    monkeypatch.setattr("yaml.load", lambda raw, **kw: read.append(raw))
    monkeypatch.setattr("tomllib.loads", lambda raw: read.append(raw))
    lines = [f'k{i} = "v{i}"' if opener == "+++" else f"k{i}: v{i}" for i in range(200)]
    f = _write(tmp_path / "big.md", "\n".join([opener, *lines, opener, "", "The body.", ""]))
    docs, skipped = load_file(f)
    assert [(d.title, _texts(d)) for d in docs] == [("big", ["The body."])]
    size = len("\n".join(lines)) + 1
    assert [s.reason for s in skipped] == [
        f"front matter left out: {size:,} characters (limit 1,000)"
    ]
    assert read == []


def test_markdown_rule_pairs_that_are_not_front_matter(tmp_path: Path) -> None:
    # Prose between two rules is not a mapping, so it is body text (a setext heading).
    f = _write(tmp_path / "rules.md", "---\nJust prose here\n---\nMore text.\n")
    doc = searchkit.load_document(f)
    assert _texts(doc) == ["Just prose here", "More text."]
    # An opening rule that never closes is a thematic break.
    f = _write(tmp_path / "open.md", "---\ntitle: x\n\nText.\n")
    assert _texts(searchkit.load_document(f)) == ["title: x", "Text."]


def test_markdown_unclosed_fence_runs_to_the_end(tmp_path: Path) -> None:
    f = _write(tmp_path / "u.md", "Text.\n~~~~\ncode\n\n~~~\n# still code\n")
    doc = searchkit.load_document(f)
    assert _texts(doc) == ["Text.", "code\n\n~~~\n# still code"]
    _check_literal(f, doc)


def test_markdown_inline_backticks_are_not_a_fence(tmp_path: Path) -> None:
    f = _write(tmp_path / "i.md", "```not a fence``` here\n# Heading\n")
    assert _texts(searchkit.load_document(f)) == ["not a fence here"]  # a code span


def test_markdown_records_where_code_is(tmp_path: Path) -> None:
    f = _write(
        tmp_path / "c.md",
        "# T\n\n  Run `tar  cf x`, then *not* `ls`.\n\n```sh\nls -l\n\ncd /\n```\n\nNo code.\n",
    )
    doc = searchkit.load_document(f)
    code = [[p.text[s:e] for s, e in p.code] for p in doc.paragraphs]
    assert code == [["tar  cf x", "ls"], ["ls -l\n\ncd /"], []]
    # a code span cut by a paragraph's split: each part keeps its share, in its own text
    from searchkit.chunking import chunk_document

    text = "word word tar cf x end"
    split = searchkit.Document(
        "d", "p", "t", (searchkit.Paragraph(1, text, 0, 22, code=((10, 18),)),)
    )
    parts = [(c.text, c.code) for c in chunk_document(split, max_chars=14)]
    assert parts == [("word word tar ", ((10, 14),)), ("cf x end", ((0, 4),))]


def test_markdown_crlf_and_latin1(tmp_path: Path) -> None:
    f = _write(
        tmp_path / "w.md",
        "---\r\ntitle: Caf\u00e9\r\n---\r\n\r\nLes \u00e9l\u00e8ves lisaient.\r\n\r\n"
        "Deuxi\u00e8me paragraphe, \u00e0 la biblioth\u00e8que.\r\n",
        encoding="cp1252",
    )
    doc = searchkit.load_document(f)
    assert doc.encoding != "utf-8"
    assert doc.title == "Caf\u00e9"
    assert _texts(doc) == [
        "Les \u00e9l\u00e8ves lisaient.",
        "Deuxi\u00e8me paragraphe, \u00e0 la biblioth\u00e8que.",
    ]
    _check_literal(f, doc)


# -- HTML ---------------------------------------------------------------------------------

PAGE = """\
<!DOCTYPE html>
<html><head>
  <meta charset="utf-8">
  <title>Rain in Minsk | Example News</title>
  <meta property="og:title" content="Rain in Minsk">
  <meta name="author" content="Jo  Doe">
  <meta property="article:published_time" content="2024-03-01T09:30:00Z">
  <link rel="canonical" href="https://www.example.org/rain">
  <script>var x = "<p>not text</p>";</script>
  <style>p { color: red }</style>
</head><body>
  <nav><a href="/">Home</a> <a href="/news">News</a></nav>
  <h1>Rain in Minsk</h1>
  <p>It rained <b>all</b> day &amp; night.</p>
  <p>Caf&eacute;s were
     full &mdash; &#8220;nested <i>tags <b>too</b></i>&#8221;.
  <p>Unclosed second.
  <ul><li>Umbrellas: sold out.<li>Boots &lt;too&gt;.</ul>
  <blockquote><p>Quote one.</p><p>Quote two.</p></blockquote>
  <div>Loose text <em>here</em><p>Inner para</p>and trailing.</div>
  <table><tr><td>Cell a</td><td>Cell b</td></tr></table>
  <h2>Later <small>that day</small></h2>
  <!-- <p>commented out</p> -->
  <p>Line<br>break&nbsp;here</p>
  <footer><p>Copyright footer</p></footer>
</body></html>
"""


def _spans(path: Path, doc: searchkit.Document) -> list[tuple[str, str]]:
    text = path.read_bytes().decode(doc.encoding)
    return [(p.text, text[p.start : p.end]) for p in doc.paragraphs]


def test_html_metadata_paragraphs_and_spans(tmp_path: Path) -> None:
    f = _write(tmp_path / "rain.html", PAGE)
    doc = searchkit.load_document(f)
    assert doc.title == "Rain in Minsk"
    assert doc.author == "Jo Doe"
    assert doc.published == dt.datetime(2024, 3, 1, 9, 30)
    assert (doc.source_url, doc.source_domain) == ("https://www.example.org/rain", "example.org")
    assert (doc.format, doc.encoding, doc.disclaimer) == ("html", "utf-8", None)
    assert _spans(f, doc) == [
        ("It rained all day & night.", "<p>It rained <b>all</b> day &amp; night.</p>"),
        (
            "Caf\u00e9s were full \u2014 \u201cnested tags too\u201d.",
            "<p>Caf&eacute;s were\n     full &mdash; &#8220;nested <i>tags <b>too</b></i>&#8221;.",
        ),
        ("Unclosed second.", "<p>Unclosed second."),
        ("Umbrellas: sold out.", "<li>Umbrellas: sold out."),
        ("Boots <too>.", "<li>Boots &lt;too&gt;."),
        ("Quote one.", "<p>Quote one.</p>"),
        ("Quote two.", "<p>Quote two.</p>"),
        ("Loose text here", "Loose text <em>here</em>"),
        ("Inner para", "<p>Inner para</p>"),
        ("and trailing.", "and trailing."),
        ("Cell a Cell b", "<tr><td>Cell a</td><td>Cell b</td></tr>"),
        ("Later that day", "<h2>Later <small>that day</small></h2>"),
        ("Line break here", "<p>Line<br>break&nbsp;here</p>"),
    ]
    first = doc.paragraphs[0]
    assert (first.number, first.start, first.end) == (1, 509, 553)


def test_html_title_fallbacks_and_other_metadata(tmp_path: Path) -> None:
    f = _write(
        tmp_path / "t.htm",
        "<title>\n  Page &amp; Title </title>"
        '<meta property="article:author" content="https://example.org/jo">'
        '<meta property="og:url" content="https://m.example.com/x">'
        '<link rel="canonical" href="/relative">'
        '<h1>Heading one</h1><p>Body <time datetime="2023-07-08">July 8</time>.</p>',
    )
    doc = searchkit.load_document(f)
    assert doc.title == "Page & Title"
    assert doc.author is None  # article:author given as a profile URL is not a name
    assert doc.published == dt.datetime(2023, 7, 8)
    assert (doc.source_url, doc.source_domain) == ("https://m.example.com/x", "m.example.com")
    assert _texts(doc) == ["Heading one", "Body July 8."]

    g = _write(tmp_path / "h1.html", "<body><h1>The <em>Title</em></h1><p>Text.</p></body>")
    doc = searchkit.load_document(g)
    assert (doc.title, _texts(doc)) == ("The Title", ["Text."])

    h = _write(tmp_path / "bare-page.html", "<div>Just <b>loose</b> text</div>")
    doc = searchkit.load_document(h)
    assert (doc.title, _spans(h, doc)) == (
        "bare-page",
        [("Just loose text", "<div>Just <b>loose</b> text</div>")],
    )


def test_html_latin1_with_meta_charset(tmp_path: Path) -> None:
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">'
        "<title>Caf\u00e9 soci\u00e9t\u00e9</title></head>"
        "<body><p>Les \u00e9l\u00e8ves \u00e9taient \u00e0 la biblioth\u00e8que.</p>"
        "<p>Na\u00efve &eacute;t\u00e9.</p></body></html>"
    )
    f = _write(tmp_path / "latin.html", page, encoding="latin-1")
    doc = searchkit.load_document(f)
    assert doc.encoding == "cp1252"  # what browsers read iso-8859-1 as
    assert doc.title == "Caf\u00e9 soci\u00e9t\u00e9"
    assert _texts(doc) == [
        "Les \u00e9l\u00e8ves \u00e9taient \u00e0 la biblioth\u00e8que.",
        "Na\u00efve \u00e9t\u00e9.",
    ]
    assert _spans(f, doc)[0][1] == (
        "<p>Les \u00e9l\u00e8ves \u00e9taient \u00e0 la biblioth\u00e8que.</p>"
    )


def test_html_declared_charset_beats_guessing(tmp_path: Path) -> None:
    words = "\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440"  # Привет мир
    f = _write(
        tmp_path / "ru.html",
        f'<meta charset="windows-1251"><p>{words}</p>',
        encoding="cp1251",
    )
    doc = searchkit.load_document(f)
    assert (doc.encoding, _texts(doc)) == ("cp1251", [words])


def test_html_declared_charset_that_does_not_fit_is_ignored(tmp_path: Path) -> None:
    # Declared UTF-8 but written in cp1252: the declaration cannot decode the bytes, so
    # detection decides (whatever it guesses, the file loads and ASCII text is intact).
    f = _write(
        tmp_path / "liar.html",
        '<meta charset="utf-8"><p>Cr\u00e8me br\u00fbl\u00e9e, ordered twice.</p>',
        encoding="cp1252",
    )
    doc = searchkit.load_document(f)
    assert doc.encoding != "utf-8"
    assert _texts(doc)[0].endswith(", ordered twice.")


def test_html_split_paragraph_parts_keep_the_element_span(tmp_path: Path) -> None:
    sentence = "Rain fell on the city again. "
    f = _write(tmp_path / "long.html", f"<p>{sentence * 20}</p><p>short</p>")
    doc = searchkit.load_document(f)
    chunks = list(chunk_document(doc, max_chars=200))
    first = doc.paragraphs[0]
    parts = [c for c in chunks if c.paragraph == 1]
    assert [len(c.text) for c in parts] == [174, 174, 174, 57]
    assert "".join(c.text for c in parts) == first.text
    assert {(c.start, c.end) for c in parts} == {(first.start, first.end)}
    assert (chunks[-1].text, chunks[-1].start) == ("short", doc.paragraphs[1].start)


@pytest.mark.parametrize(
    "markup",
    [
        "<div><nav><div>menu</div><ul><li>Home</ul></nav><p>Kept</p></div>",
        "<div><nav><ul><li>Home</ul></div><p>Kept</p>",  # nav closed by its parent's end
        "<div><footer><footer>a</footer>b</footer><p>Kept</p></div>",
        "<p><script>document.write('<p>x</p>')</script>Kept</p>",
    ],
)
def test_html_skipped_elements(tmp_path: Path, markup: str) -> None:
    doc = searchkit.load_document(_write(tmp_path / "skip.html", markup))
    assert _texts(doc) == ["Kept"]


@pytest.mark.parametrize(
    "markup",
    [
        "<p>ok</p><![foo bar]><p>after</p>",
        "<p>ok</p><!x><p>after</p>",
        "<p>ok < 3 & 4 > 2</p><p>after",
        "<p>ok</p></p></div><p>after</p>",
        "<p>ok<svg><title>icon</title><text>no</text></svg></p><p>after</p>",
    ],
)
def test_html_odd_markup_does_not_break(tmp_path: Path, markup: str) -> None:
    f = _write(tmp_path / "odd.html", markup)
    doc = searchkit.load_document(f)
    assert doc.title == "odd"
    texts = _texts(doc)
    assert texts[0].startswith("ok") and texts[-1] == "after"
    text = f.read_text(encoding="utf-8")
    for p in doc.paragraphs:
        assert 0 <= p.start < p.end <= len(text)
        assert p.text.split()[0] in text[p.start : p.end]


# -- end to end ---------------------------------------------------------------------------


def test_folder_walk_picks_the_new_suffixes(tmp_path: Path) -> None:
    names = ["a.md", "b.MARKDOWN", "c.jsonl", "d.ndjson", "e.html", "f.HTM", "g.json", "h.xml"]
    for name in names:
        (tmp_path / name).write_text("x", encoding="utf-8")
    found = [p.name for p in iter_files([tmp_path]) if isinstance(p, Path)]
    assert found == names[:7]
    assert {n: LOADERS[Path(n).suffix.lower()].name for n in names[:7]} == {
        "a.md": "markdown",
        "b.MARKDOWN": "markdown",
        "c.jsonl": "jsonl",
        "d.ndjson": "jsonl",
        "e.html": "html",
        "f.HTM": "html",
        "g.json": "json",
    }


def test_index_a_folder_of_every_format(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    md = _write(docs / "rain.md", MARKDOWN)
    page = _write(docs / "rain.html", PAGE)
    feed = _jsonl(
        docs / "feed.jsonl",
        {
            "id": "s1",
            "title": "Snow",
            "author": "Bo Chan",
            "date": "2025-01-05",
            "url": "https://snow.example.com/1",
            "text": "Intro.\n\nThe glaciers were calving.",
        },
        "{not json",
        {"id": "s2", "title": "Sun", "text": "Sunshine everywhere."},
    )
    with searchkit.Index.create(tmp_path / "index") as index:
        report = index.add(docs)
        assert (report.added, report.skipped) == (
            4,
            (
                Skipped(
                    str(feed),
                    "line 2: invalid JSON: Expecting property name enclosed in "
                    "double quotes: column 2",
                    "record",
                ),
            ),
        )

        hit = index.search("umbrella open").hits[0]
        assert (hit.title, hit.author, hit.path) == ("Rain: a report", "Jo Doe, Ann Lee", str(md))
        assert (hit.published, hit.source_domain) == (
            dt.datetime(2024, 3, 1, 10, 15),
            "example.org",
        )
        assert hit.text == "umbrella --open\n\n# not a heading"
        assert md.read_text(encoding="utf-8")[hit.start : hit.end] == hit.text

        hit = index.search("glaciers calving").hits[0]
        assert (hit.title, hit.author, hit.record_line) == ("Snow", "Bo Chan", 1)
        assert (hit.published, hit.source_domain) == (dt.datetime(2025, 1, 5), "snow.example.com")
        assert (hit.paragraph, hit.text, hit.start, hit.end) == (
            2,
            "The glaciers were calving.",
            8,
            34,
        )
        assert index.search("glaciers", source="snow.example.com").total == 1

        hit = index.search('"boots too"').hits[0]
        assert (hit.title, hit.author, hit.path) == ("Rain in Minsk", "Jo Doe", str(page))
        assert hit.published == dt.datetime(2024, 3, 1, 9, 30)
        assert hit.text == "Boots <too>."
        assert page.read_text(encoding="utf-8")[hit.start : hit.end] == "<li>Boots &lt;too&gt;."
        assert hit.record_line is None

        assert index.search("home OR copyright OR commented").total == 0
        assert index.document(hit.doc_id).paragraphs == searchkit.load_document(page).paragraphs
        sun = index.search("sunshine").hits[0]
        assert index.document(sun.doc_id).record_line == 3
        assert {d.format for d in index.documents()} == {"markdown", "html", "jsonl"}

        again = index.add(docs)
        assert (again.added, again.unchanged, again.skipped) == (0, 4, ())


# -- any input: a document or a DocumentError, never a crash; offsets always hold --------

_PROPERTY = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _fragments(*pieces: str) -> st.SearchStrategy[str]:
    return st.lists(st.one_of(st.sampled_from(pieces), st.text(max_size=4)), max_size=60).map(
        "".join
    )


def _load_any(tmp_path: Path, name: str, text: str) -> tuple[str, list[searchkit.Document]]:
    f = tmp_path / name
    f.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        docs = searchkit.load_documents(f)
    except searchkit.DocumentError as exc:
        assert exc.path == str(f.resolve())
        return "", []
    return f.read_bytes().decode(docs[0].encoding), docs


@_PROPERTY
@given(
    _fragments(
        "---\n",
        "+++\n",
        "...\n",
        "```",
        "~~~",
        "# ",
        "## x",
        "#",
        "\n",
        "\r\n",
        "\r",
        "=",
        "-",
        "***",
        "<!--",
        "-->",
        "[a]: b",
        "title: x",
        "date: 2024-02-30",
        "- ",
        "> ",
        " ",
        "\t",
        "text",
        "\\",
        "`",
    )
)
def test_markdown_any_text(tmp_path: Path, text: str) -> None:
    decoded, docs = _load_any(tmp_path, "any.md", text)
    from searchkit.loaders._plain import markdown_text

    for doc in docs:
        assert doc.paragraphs
        for p in doc.paragraphs:
            raw = decoded[p.start : p.end]
            assert p.text in (raw, markdown_text(raw))
            assert p.text == p.text.strip() and p.text


@_PROPERTY
@given(
    _fragments(
        "<p>",
        "</p>",
        "<div>",
        "</div>",
        "<li>",
        "<ul>",
        "</ul>",
        "<b>",
        "</b>",
        "<br>",
        "<p/>",
        "<h1>",
        "</h1>",
        "<tr>",
        "<td>",
        "</table>",
        "<nav>",
        "</nav>",
        "<svg>",
        "</svg>",
        "<title>",
        "</title>",
        "<script>",
        "</script>",
        "<!--",
        "-->",
        "<![x",
        "<!x",
        "&amp;",
        "&",
        "<",
        ">",
        "\n",
        "\r\n",
        "\r",
        " ",
        "text",
        "\u00e9",
        '<meta charset="latin1">',
        '<time datetime="2024">',
    )
)
def test_html_any_markup(tmp_path: Path, text: str) -> None:
    decoded, docs = _load_any(tmp_path, "any.html", text)
    end = 0
    for doc in docs:
        for p in doc.paragraphs:
            assert end <= p.start < p.end <= len(decoded)
            assert p.text and p.text == " ".join(p.text.split())
            end = p.end
        for c in chunk_document(doc, max_chars=200):
            assert 0 <= c.start < c.end <= len(decoded)


@_PROPERTY
@given(
    st.lists(
        st.one_of(
            st.text(max_size=30),
            st.fixed_dictionaries(
                {},
                optional={
                    "id": st.one_of(st.text(max_size=3), st.integers(), st.booleans()),
                    "title": st.text(max_size=10),
                    "text": st.one_of(st.text(max_size=80), st.integers()),
                    "body": st.text(max_size=20),
                    "author": st.one_of(st.text(max_size=8), st.lists(st.text(max_size=8))),
                    "date": st.text(max_size=25),
                },
            ).map(json.dumps),
        ),
        max_size=12,
    ).map("\n".join)
)
def test_jsonl_any_lines(tmp_path: Path, text: str) -> None:
    f = tmp_path / "any.jsonl"
    f.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        docs, skipped = load_file(f)
    except searchkit.DocumentError:
        return
    lines = f.read_bytes().decode(docs[0].encoding).split("\n")
    assert len({d.id for d in docs}) == len(docs)
    for doc in docs:
        record = json.loads(lines[doc.record_line - 1])
        value = next(
            record[k]
            for k in ("text", "body", "content")
            if isinstance(record.get(k), str) and record[k].strip()
        )
        for p in doc.paragraphs:
            assert value[p.start : p.end] == p.text
    assert all(s.reason.startswith("line ") for s in skipped)
