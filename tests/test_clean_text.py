"""Hits show the words of Markdown and HTML without markup; offsets still find the block."""

from __future__ import annotations

from pathlib import Path

import searchkit

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
        "The new release adds faster search and accent folding; see for details.",
        "zip archives tar files",
    ]
    hit = index.search("faster").hits[0]
    assert (
        hit.snippet() == "The new release adds [faster] search and accent folding; see for details."
    )
    # The offsets slice the block as written: that is how to get the raw Markdown.
    raw = page.read_text(encoding="utf-8")[hit.start : hit.end]
    assert raw.startswith("The **new** release adds [faster search](https://example.org")
    assert raw.endswith("for details.")
    # URLs are not words of the text.
    assert index.search("changelog").total == 0
    assert index.search("example").total == 0


def test_html_urls_are_not_words(index: searchkit.Index, tmp_path: Path) -> None:
    page = tmp_path / "story.html"
    page.write_text(HTML, encoding="utf-8")
    index.add(page)
    hits = index.search("story").hits
    assert [h.text for h in hits] == ["Read the full story at today."]
    assert index.search("example").total == 0
