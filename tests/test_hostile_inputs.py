"""Hostile documents and collections: each is read, reported or refused, never a crash."""

from __future__ import annotations

import datetime as dt
import email.policy
import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import searchkit
from searchkit.chunking import MAX_META_CHARS, cap_text
from searchkit.cli import cli
from searchkit.errors import DocumentError
from searchkit.evaluation.readers import read_beir, read_smart
from searchkit.loaders import html, load_file, mail
from tests._documents import epub_bytes


def test_a_jsonl_number_too_long_skips_only_its_record(tmp_path: Path) -> None:
    path = tmp_path / "ids.jsonl"
    path.write_text(
        json.dumps({"id": 1, "text": "first record"})
        + "\n"
        + '{"id": '
        + "9" * 5000
        + ', "text": "the hostile record"}\n'
        + json.dumps({"id": 3, "text": "third record"})
        + "\n",
        encoding="utf-8",
    )
    docs, skipped = load_file(path)
    assert [d.title for d in docs] == ["1", "3"]
    assert [s.reason for s in skipped] == [
        "line 2: invalid JSON: Exceeds the limit (4300 digits) for integer string conversion"
    ]
    with searchkit.Index.create(tmp_path / "ix") as ix:
        report = ix.add(path)
    assert (report.added, len(report.skipped)) == (2, 1)


def test_mostly_utf8_with_a_bad_byte_stays_utf8(tmp_path: Path) -> None:
    path = tmp_path / "mixed.txt"
    path.write_bytes(
        "Café au lait\n\nThe café serves crème brûlée and a naïve résumé.\n".encode()
        + b"\nOne stray \xff byte here.\n"
    )
    docs, skipped = load_file(path)
    assert docs[0].encoding == "utf-8"
    assert docs[0].title == "Café au lait"
    assert [p.text for p in docs[0].paragraphs][-1] == "One stray \ufffd byte here."
    assert [s.reason for s in skipped] == [
        "1 byte not valid UTF-8 (the first on line 5) replaced with U+FFFD; "
        "the rest of the file is UTF-8"
    ]
    with searchkit.Index.create(tmp_path / "ix") as ix:
        report = ix.add(path)
        assert report.added == 1
        assert ix.search("crème").total == 1
    assert report.skipped[0].reason.startswith("1 byte not valid UTF-8")


def test_a_latin1_file_is_still_detected_as_such(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("Café au lait\n\nThe café is open, the crème is fresh.\n".encode("cp1252"))
    docs, skipped = load_file(path)
    assert (docs[0].encoding, docs[0].title, skipped) == ("cp1252", "Café au lait", [])


def test_deeply_nested_html_loads_every_item(tmp_path: Path) -> None:
    depth = 5000
    path = tmp_path / "deep.html"
    path.write_text(
        "<html><body>" + "<ul><li>x" * depth + "</li></ul>" * depth + "</body></html>",
        encoding="utf-8",
    )
    docs, _ = load_file(path)
    assert len(docs[0].paragraphs) == depth
    assert {p.text for p in docs[0].paragraphs} == {"x"}


@pytest.mark.parametrize(
    "attribute",
    [
        "a{}",  # a bare name
        'a{}=""',
        "a{}='x>y'",  # a quoted value holds a ">", so the tag's first ">" is not its end
        'a{}=x"y',  # a quote in an unquoted value
    ],
)
def test_an_html_start_tag_of_too_many_attributes_is_refused_before_it_is_parsed(
    tmp_path: Path, attribute: str
) -> None:
    """The parser's search for a tag's end held memory for each attribute: a page whose
    one paragraph had 2 million took 9.6 s and 1.6 GiB to index."""
    limit = html.MAX_ATTRIBUTES

    def page(count: int, lead: str = "") -> str:
        names = " ".join(attribute.format(i) for i in range(count))
        return f"<html><body><p>before</p><p {lead}{names}>findme</p><p>after</p></body></html>"

    fine, past, hidden = tmp_path / "fine.html", tmp_path / "past.html", tmp_path / "hidden.html"
    fine.write_text(page(limit), encoding="utf-8")
    past.write_text(page(limit + 1), encoding="utf-8")
    hidden.write_text(page(limit + 1, lead="b='>' "), encoding="utf-8")
    docs, _ = load_file(fine)
    assert [p.text for p in docs[0].paragraphs] == ["before", "findme", "after"]
    for refused in (past, hidden):
        with pytest.raises(DocumentError) as err:
            load_file(refused)
        assert err.value.reason == "an HTML start tag with more than 10,000 attributes refused"
    tracemalloc.start()
    try:
        with pytest.raises(DocumentError):
            load_file(past)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * len(past.read_bytes())  # the text, decoded, and little more


def test_a_start_tag_of_too_many_attributes_in_an_email_or_a_book_is_refused_too(
    tmp_path: Path,
) -> None:
    names = " ".join(f"a{i}" for i in range(html.MAX_ATTRIBUTES + 1))
    page = f"<html><body><p {names}>findme</p></body></html>"
    message = tmp_path / "page.eml"
    message.write_text(f"Subject: hi\nFrom: a@b.org\nContent-Type: text/html\n\n{page}\n")
    book = tmp_path / "book.epub"
    book.write_bytes(epub_bytes([("C", ["x"])], title="T", chapter_html=page.encode()))
    reason = "an HTML start tag with more than 10,000 attributes refused"
    for path, said in (
        (message, reason),
        (book, f"no text read (chapter 1 (OEBPS/text/ch1.xhtml): {reason})"),
    ):
        with pytest.raises(DocumentError) as err:
            load_file(path)
        assert err.value.reason == said


def test_an_email_header_is_parsed_up_to_its_first_1024_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The standard library's header parser takes time growing with the square of a
    value's length: a From of 10,000 quotes (20 KB) took 2.3 s, of 10,000 encoded words
    (140 KB) 4.6 s."""
    parsed: dict[str, int] = {}
    real = email.policy.EmailPolicy.header_fetch_parse

    def spy(policy: Any, name: str, value: str) -> Any:
        parsed[name.lower()] = max(parsed.get(name.lower(), 0), len(value))
        return real(policy, name, value)

    monkeypatch.setattr(email.policy.EmailPolicy, "header_fetch_parse", spy)
    path = tmp_path / "long.eml"
    subject = "=?utf-8?q?caf=C3=A9?= " * 5_000
    sender = '"a' * 10_000 + " <a@b.org>"
    path.write_text(
        f"Subject: {subject}\nFrom: {sender}\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n\nhello\n"
    )
    (doc,), _ = load_file(path)
    assert doc.title.startswith(
        "cafécafé"
    )  # encoded words side by side join and doc.author.startswith("aaaa")
    assert doc.published == dt.datetime(2024, 1, 1, 10, 0)
    assert parsed["subject"] == parsed["from"] == mail.MAX_HEADER_CHARS == 1024


@pytest.mark.parametrize("piece", ["<a", "</", "<?x", "<!x", "<![", "<!--<a"])
def test_text_after_the_last_tag_is_read_as_text_once(
    tmp_path: Path, piece: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Markup ends with a ">"; fed to the parser, each "<" after the last one started
    markup it searched all the rest for the end of (before Python 3.13.5 and 3.12.11:
    80 KB of "<a" took 29 s, the time growing with the square of the length)."""
    searched: list[int] = []
    for name in ("parse_starttag", "parse_endtag", "parse_pi", "parse_html_declaration"):
        real = getattr(html._Extractor, name)
        monkeypatch.setattr(
            html._Extractor, name, lambda self, i, real=real: searched.append(i) or real(self, i)
        )
    path = tmp_path / "tail.html"
    tail = piece * 20_000
    path.write_text(f"<html><body><p>first</p>{tail} &amp; more", encoding="utf-8")
    docs, _ = load_file(path)
    assert [p.text for p in docs[0].paragraphs] == ["first", f"{tail} & more"]
    assert len(searched) == 4  # <html>, <body>, <p> and </p>, none of the tail


def test_long_tags_of_few_attributes_load(tmp_path: Path) -> None:
    """A data URI of megabytes, a drawing's path of 30,000 spaces: one attribute each."""
    path = tmp_path / "long.html"
    picture = "data:image/png;base64," + "QUJD" * 500_000
    drawing = " ".join(f"L {i} {i}" for i in range(10_000))
    path.write_text(
        f"<html><body><p><img src=\"{picture}\" alt='a > b'>caption</p>"
        f'<svg><path d="M 0 0 {drawing}"/></svg><p>after</p></body></html>',
        encoding="utf-8",
    )
    docs, _ = load_file(path)
    assert [p.text for p in docs[0].paragraphs] == ["caption", "after"]


def test_a_long_title_is_stored_once_capped_per_chunk(tmp_path: Path) -> None:
    title = " ".join(f"word{i}" for i in range(2000))  # about 15,000 characters
    text = "\n\n".join(f"Paragraph {i} about herons." for i in range(50))
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({"id": "big", "title": title, "text": text}) + "\n", "utf-8")
    assert load_file(path)[0][0].title == title  # the loaded document keeps it whole
    with searchkit.Index.create(tmp_path / "ix") as ix:
        ix.add(path)
        hits = ix.search("herons", limit=50, collapse="none")
        stored = ix.document(hits[0].doc_id).title
    assert hits.total == 50
    assert {h.title for h in hits} == {stored}
    assert len(stored) <= MAX_META_CHARS
    assert stored.endswith("…")
    assert stored == cap_text(title)
    assert title.startswith(stored[:-1])


def test_cap_text_cuts_at_a_space_or_at_the_limit() -> None:
    assert cap_text("short") == "short"
    assert cap_text(None) is None
    assert cap_text("a" * 20, 10) == "a" * 9 + "…"
    assert cap_text("abc defgh ijklmnop", 10) == "abc defgh…"


def _beir(root: Path, corpus: list[dict[str, str]]) -> Path:
    (root / "qrels").mkdir(parents=True)
    (root / "corpus.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in corpus), encoding="utf-8"
    )
    (root / "queries.jsonl").write_text(
        json.dumps({"_id": "q1", "text": "herons"}) + "\n", encoding="utf-8"
    )
    (root / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n", "utf-8")
    return root


def test_repeated_collection_ids_are_kept_once_and_warned(tmp_path: Path) -> None:
    root = _beir(
        tmp_path / "beir",
        [
            {"_id": "d1", "title": "Herons", "text": "Herons wade."},
            {"_id": "d2", "title": "Gulls", "text": "Gulls fly."},
            {"_id": "d1", "title": "Again", "text": "A second d1."},
        ],
    )
    collection = read_beir(root)
    assert [d.title for d in collection.documents] == ["Herons", "Gulls"]
    assert collection.duplicates == ("d1",)
    report = searchkit.evaluate(root)
    assert (report.documents, report.duplicates) == (2, ("d1",))
    result = CliRunner().invoke(cli, ["eval", str(root), "--json"])
    assert result.exit_code == 0
    assert result.stderr == (
        "Warning: 1 document id repeated in the collection "
        "(the first document of each was indexed): 'd1'\n"
    )


def test_repeated_smart_ids_are_kept_once(tmp_path: Path) -> None:
    root = tmp_path / "smart"
    root.mkdir()
    (root / "X.ALL").write_text(
        ".I 1\n.T\nFirst\n.W\nOne.\n.I 1\n.T\nAgain\n.W\nTwo.\n.I 2\n.T\nSecond\n.W\nThree.\n",
        encoding="utf-8",
    )
    (root / "X.QRY").write_text(".I 1\n.W\nfirst\n", encoding="utf-8")
    (root / "X.REL").write_text("1 1 0 0.0\n", encoding="utf-8")
    collection = read_smart(root)
    assert [d.title for d in collection.documents] == ["First", "Second"]
    assert collection.duplicates == ("1",)
