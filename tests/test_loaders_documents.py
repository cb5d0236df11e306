"""PDF, DOCX, ODT, EPUB and e-mail loaders: each file built here, indexed, and found with
its title, author, date and place; offsets into the extracted text; the missing extra."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import searchkit
from searchkit.cli import cli
from searchkit.loaders import load_file
from searchkit.models import extracted_text
from tests._documents import _W, docx_bytes, eml_bytes, epub_bytes, odt_bytes, pdf_bytes

EXTRA = "pip install 'searchkit[documents]'"


def _one_hit(ix: searchkit.Index, word: str) -> searchkit.Hit:
    results = ix.search(word)
    assert [h.text for h in results] == [results[0].text], word
    return results[0]


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "report.pdf").write_bytes(
        pdf_bytes(
            [
                ["The first page is about rain.", "Rain falls on the plain."],
                ["Page two holds the word quetzalpdf alone.", "Another block."],
            ],
            title="Quarterly Report",
            author="Jo Doe",
            date="D:20240301093000+01'00'",
        )
    )
    (folder / "letter.docx").write_bytes(
        docx_bytes(
            [("Heading1", "Greetings"), "A body paragraph with quetzaldocx in it."],
            title="A Letter",
            author="Ann Lee",
            created="2023-05-06T07:08:09Z",
        )
    )
    (folder / "notes.odt").write_bytes(
        odt_bytes(
            [("h", "Minutes"), "We agreed on quetzalodt today."],
            title="Meeting Notes",
            author="Bo Chan",
            created="2022-01-02T03:04:05",
        )
    )
    (folder / "book.epub").write_bytes(
        epub_bytes(
            [("The Storm", ["Wind and quetzalepub rain."]), ("The Calm", ["The sun returned."])],
            title="A Small Book",
            author="Cy Dee",
            date="2021-07-08",
            spine=[1, 0],  # The Calm is read first
        )
    )
    (folder / "hello.eml").write_bytes(
        eml_bytes(
            "Lunch on Friday",
            "Ed Fox <ed@example.org>",
            "Fri, 01 Mar 2024 09:30:00 +0100",
            "Shall we meet?\n\nBring quetzaleml along.",
            attachment=("menu.bin", b"12345"),
        )
    )
    return folder


def test_each_format_indexes_and_is_found_with_its_metadata_and_place(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    with searchkit.Index.create(tmp_path / "index") as ix:
        report = ix.add(folder)
        assert report.added == 5
        assert [(Path(s.path).name, s.reason, s.kind) for s in report.skipped] == [
            (
                "hello.eml",
                "attachment 'menu.bin' (application/octet-stream, 5 bytes) not indexed",
                "note",
            )
        ]
        pdf = _one_hit(ix, "quetzalpdf")
        assert (pdf.title, pdf.author, pdf.published) == (
            "Quarterly Report",
            "Jo Doe",
            dt.datetime(2024, 3, 1, 9, 30),
        )
        assert (pdf.page, pdf.chapter, pdf.paragraph, pdf.place) == (2, None, 3, "page 2")
        docx = _one_hit(ix, "quetzaldocx")
        assert (docx.title, docx.author, docx.published, docx.paragraph) == (
            "A Letter",
            "Ann Lee",
            dt.datetime(2023, 5, 6, 7, 8, 9),
            2,
        )
        odt = _one_hit(ix, "quetzalodt")
        assert (odt.title, odt.author, odt.published, odt.paragraph) == (
            "Meeting Notes",
            "Bo Chan",
            dt.datetime(2022, 1, 2, 3, 4, 5),
            2,
        )
        epub = _one_hit(ix, "quetzalepub")
        assert (epub.title, epub.author, epub.published) == (
            "A Small Book",
            "Cy Dee",
            dt.datetime(2021, 7, 8),
        )
        # Spine order: The Calm (heading, paragraph) comes before The Storm.
        assert (epub.chapter, epub.paragraph, epub.place) == ("The Storm", 4, "chapter The Storm")
        eml = _one_hit(ix, "quetzaleml")
        assert (eml.title, eml.author, eml.published, eml.paragraph) == (
            "Lunch on Friday",
            "Ed Fox",
            dt.datetime(2024, 3, 1, 9, 30),
            2,
        )
        # The passage (what `searchkit show` prints) comes from the extracted text.
        passage = ix.passage(pdf.id, context=1)
        assert passage.chunk.text == "Page two holds the word quetzalpdf alone."
        assert [c.text for c in passage.before] == ["Rain falls on the plain."]
        assert [c.page for c in (*passage.before, passage.chunk)] == [1, 2]
        assert pdf.as_dict()["page"] == 2 and epub.as_dict()["chapter"] == "The Storm"
        assert ix.document(epub.doc_id).paragraphs[3].chapter == "The Storm"


@pytest.mark.parametrize(
    "name", ["report.pdf", "letter.docx", "notes.odt", "book.epub", "hello.eml"]
)
def test_offsets_index_into_the_extracted_text(tmp_path: Path, name: str) -> None:
    (doc,), _ = load_file(_folder(tmp_path) / name)
    text = extracted_text(doc.paragraphs)
    assert doc.encoding == "binary"
    assert [text[p.start : p.end] for p in doc.paragraphs] == [p.text for p in doc.paragraphs]
    assert text.count("\n\n") == len(doc.paragraphs) - 1


def test_docx_without_core_title_takes_its_title_style_paragraph(tmp_path: Path) -> None:
    f = tmp_path / "t.docx"
    f.write_bytes(docx_bytes([("Title", "Styled Title"), "Body words."]))
    (doc,), _ = load_file(f)
    assert (doc.title, doc.author, doc.published) == ("Styled Title", None, None)


def _xmp_document(tmp_path: Path, description: bytes) -> Any:
    """The document of a PDF whose XMP packet holds this ``rdf:Description``."""
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        b'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
        + description
        + b"</rdf:RDF></x:xmpmeta>"
    )
    f = tmp_path / "x.pdf"
    f.write_bytes(pdf_bytes([["Some text."]], xmp=xmp))
    (doc,), _ = load_file(f)
    return doc


def test_pdf_metadata_from_xmp_when_the_info_dictionary_has_none(tmp_path: Path) -> None:
    doc = _xmp_document(
        tmp_path,
        b'<rdf:Description><dc:title><rdf:Alt><rdf:li xml:lang="x-default">XMP Title</rdf:li>'
        b"</rdf:Alt></dc:title><dc:creator><rdf:Seq><rdf:li>Xa Mp</rdf:li></rdf:Seq></dc:creator>"
        b"<xmp:CreateDate>2020-02-03T04:05:06Z</xmp:CreateDate></rdf:Description>",
    )
    assert (doc.title, doc.author, doc.published) == (
        "XMP Title",
        "Xa Mp",
        dt.datetime(2020, 2, 3, 4, 5, 6),
    )


def test_a_placeholder_title_in_xmp_gives_way_to_the_file_name(tmp_path: Path) -> None:
    doc = _xmp_document(
        tmp_path,
        b'<rdf:Description><dc:title><rdf:Alt><rdf:li xml:lang="x-default">Untitled'
        b"</rdf:li></rdf:Alt></dc:title></rdf:Description>",
    )
    assert doc.title == "x"


def test_pdf_xmp_lists_every_creator_and_reads_the_short_form(tmp_path: Path) -> None:
    doc = _xmp_document(
        tmp_path,
        b'<rdf:Description xmp:CreateDate="2022-02-03T04:05:06"><dc:title><rdf:Alt>'
        b'<rdf:li xml:lang="x-default">Title</rdf:li><rdf:li xml:lang="fr">Titre</rdf:li>'
        b"</rdf:Alt></dc:title><dc:creator><rdf:Seq><rdf:li>Ann One</rdf:li>"
        b"<rdf:li>Bob Two</rdf:li></rdf:Seq></dc:creator></rdf:Description>",
    )
    assert (doc.title, doc.authors, doc.published) == (
        "Title",
        ("Ann One", "Bob Two"),  # was "Ann OneBob Two"
        dt.datetime(2022, 2, 3, 4, 5, 6),
    )


def test_pages_sharing_a_content_stream_read_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two thousand pages sharing one 8 MiB stream of drawing operators, a few KB of
    # PDF, read it two thousand times: hours.
    import pypdf

    read: list[int] = []
    extract = pypdf.PageObject.extract_text

    def counted(self: Any, *args: Any, **kwargs: Any) -> str:
        read.append(1)
        return extract(self, *args, **kwargs)

    monkeypatch.setattr(pypdf.PageObject, "extract_text", counted)
    f = tmp_path / "shared.pdf"
    f.write_bytes(pdf_bytes([["Same words on every page."]] * 3, shared=True))
    docs, skipped = load_file(f)
    assert skipped == [] and len(read) == 1
    assert [(p.text, p.page) for p in docs[0].paragraphs] == [
        ("Same words on every page.", n) for n in (1, 2, 3)
    ]


def test_a_pdfs_streams_are_read_up_to_a_total(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from searchkit.loaders import pdf

    f = tmp_path / "pages.pdf"
    f.write_bytes(pdf_bytes([[f"Page {w} text."] for w in ("one", "two", "three")]))
    monkeypatch.setattr(pdf, "MAX_FILE_STREAM_BYTES", 100)  # two pages' streams
    docs, skipped = load_file(f)
    assert [p.text for p in docs[0].paragraphs] == ["Page one text.", "Page two text."]
    assert [(s.kind, s.reason.split(":")[0]) for s in skipped] == [("note", "pages from 3 on")]


def test_odt_deleted_text_comments_and_footnote_numbers_are_not_paragraph_text(
    tmp_path: Path,
) -> None:
    body = (
        "<text:tracked-changes><text:changed-region text:id='c1'><text:deletion>"
        "<office:change-info><dc:creator>Rev</dc:creator></office:change-info>"
        "<text:p>Removed secretodtword sentence.</text:p>"
        "</text:deletion></text:changed-region></text:tracked-changes>"
        "<text:p>Kept <office:annotation><dc:creator>Rev</dc:creator><dc:date>2024-01-01"
        "</dc:date><text:p>A comment.</text:p></office:annotation>words.</text:p>"
        "<text:p>A claim<text:note text:note-class='footnote'><text:note-citation>1"
        "</text:note-citation><text:note-body><text:p>The footnote.</text:p></text:note-body>"
        "</text:note> goes on.</text:p>"
    )
    f = tmp_path / "tracked.odt"
    f.write_bytes(odt_bytes([], body_xml=body))
    docs, skipped = load_file(f)
    assert skipped == []
    assert [p.text for p in docs[0].paragraphs] == [
        "Kept words.",
        "The footnote.",
        "A claim goes on.",
    ]


def test_a_docx_text_box_is_read_once(tmp_path: Path) -> None:
    mc = "http://schemas.openxmlformats.org/markup-compatibility/2006"
    box = "<w:p><w:r><w:t>Box words.</w:t></w:r></w:p>"
    document = (
        f'<w:document xmlns:w="{_W}" xmlns:mc="{mc}"><w:body><w:p><w:r>'
        f"<mc:AlternateContent><mc:Choice><w:txbxContent>{box}</w:txbxContent></mc:Choice>"
        f"<mc:Fallback><w:pict><w:txbxContent>{box}</w:txbxContent></w:pict></mc:Fallback>"
        "</mc:AlternateContent><w:t>Anchor text.</w:t></w:r></w:p></w:body></w:document>"
    )
    f = tmp_path / "box.docx"
    f.write_bytes(docx_bytes([], document_xml=document.encode()))
    docs, _skipped = load_file(f)
    assert [p.text for p in docs[0].paragraphs] == ["Box words.", "Anchor text."]


def _mail(tmp_path: Path, content_type: str, body: bytes, more: str = "") -> Any:
    """``load_file`` of an e-mail with this ``Content-Type`` (and ``more`` header lines)
    and this raw body."""
    head = f"Subject: t\nFrom: a@b.example\nMIME-Version: 1.0\nContent-Type: {content_type}\n"
    f = tmp_path / "mail.eml"
    f.write_bytes((head + more).replace("\n", "\r\n").encode() + b"\r\n" + body)
    return load_file(f)


def test_an_e_mail_body_in_another_charset_than_said_is_detected(tmp_path: Path) -> None:
    # get_content() put U+FFFD for each byte the charset (or ASCII) did not fit, quietly.
    body = "Le café crème était très chaud, à bientôt.\r\n".encode("cp1252")
    for ctype in ("text/plain", "text/plain; charset=utf-8", "text/plain; charset=windows-1252"):
        docs, _skipped = _mail(tmp_path, ctype, body)
        text = docs[0].paragraphs[0].text
        assert "\ufffd" not in text and "café" in text, ctype


def test_an_html_e_mail_with_a_blank_plain_part_reads_the_html(tmp_path: Path) -> None:
    body = (
        b"--b\r\nContent-Type: text/plain\r\n\r\n \r\n"
        b"--b\r\nContent-Type: text/html\r\n\r\n<p>Only in the HTML part.</p>\r\n--b--\r\n"
    )
    docs, _skipped = _mail(tmp_path, 'multipart/alternative; boundary="b"', body)
    assert [p.text for p in docs[0].paragraphs] == ["Only in the HTML part."]


def test_an_epub_spine_entry_without_a_manifest_item_is_said(tmp_path: Path) -> None:
    f = tmp_path / "book.epub"
    f.write_bytes(epub_bytes([("One", ["The only chapter."])], title="Book", spine=[0, 4]))
    docs, skipped = load_file(f)
    assert [p.text for p in docs[0].paragraphs][-1] == "The only chapter."
    assert [(s.kind, s.reason) for s in skipped] == [
        ("note", "spine entry 'c5' names no manifest item, left out")
    ]


def test_an_epub_spine_reads_each_chapter_once_and_says_what_it_left_out(
    tmp_path: Path,
) -> None:
    """A spine naming one chapter 50,000 times (a 3.6 KB file) read it 50,000 times; one
    naming 200,000 missing items made as many notes."""
    f = tmp_path / "book.epub"
    chapters = [("One", ["First chapter."]), ("Two", ["Second chapter."])]
    f.write_bytes(epub_bytes(chapters, title="Book", spine=[1, 0, 1, 0, 1, 7, 8, 9, 10, 11, 12, 7]))
    docs, skipped = load_file(f)
    assert [p.text for p in docs[0].paragraphs if p.text.endswith("chapter.")] == [
        "Second chapter.",
        "First chapter.",
    ]
    assert [(s.kind, s.reason) for s in skipped] == [
        (
            "note",
            "6 ids in the spine name no manifest item, left out: "
            "'c8', 'c9', 'c10', 'c11', 'c12', ...",
        ),
        ("note", "3 spine entries name a chapter again: each chapter read once"),
    ]


@pytest.mark.parametrize("charset", ["utf-16le", "utf-16be", "utf-16"])
def test_an_e_mail_body_in_utf_16_is_read(tmp_path: Path, charset: str) -> None:
    # Its NUL bytes are no NUL characters: the body was taken as binary, the mail skipped.
    import base64

    body = base64.encodebytes("Grüße aus Köln\n".encode(charset))
    base64_body = "Content-Transfer-Encoding: base64\n"
    docs, _skipped = _mail(tmp_path, f'text/plain; charset="{charset}"', body, base64_body)
    assert [p.text for p in docs[0].paragraphs] == ["Grüße aus Köln"]


def test_a_forwarded_message_is_named_as_an_attachment(tmp_path: Path) -> None:
    body = (
        b"--b\r\nContent-Type: text/plain\r\n\r\nSee the message below.\r\n"
        b"--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: Inner\r\nFrom: c@d.example"
        b"\r\n\r\nInner words.\r\n--b--\r\n"
    )
    docs, skipped = _mail(tmp_path, 'multipart/mixed; boundary="b"', body)
    assert [p.text for p in docs[0].paragraphs] == ["See the message below."]
    (note,) = skipped  # was "'(no file name)' (message/rfc822, 0 bytes)"
    assert note.reason.startswith("attachment 'forwarded: Inner' (message/rfc822, ")
    assert not note.reason.endswith(" 0 bytes) not indexed")


def test_a_binary_file_named_as_mail_is_skipped(tmp_path: Path) -> None:
    for name, what in (("program.eml", "an e-mail"), ("program.mbox", "a mailbox")):
        f = tmp_path / name
        f.write_bytes(b"From x\n\x7fELF\x02\x01\x01\x00\x00\x00 hello\x00world\n")
        with pytest.raises(searchkit.DocumentError, match=f"binary file .*, not {what}$"):
            load_file(f)


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-128", "AES-256"])
def test_a_pdf_encrypted_with_an_empty_password_is_read(tmp_path: Path, algorithm: str) -> None:
    # Most encrypted PDFs only restrict printing or copying; AES needs cryptography.
    import io

    import pypdf

    writer = pypdf.PdfWriter(clone_from=io.BytesIO(pdf_bytes([["Locked but readable."]])))
    writer.encrypt(user_password="", owner_password="owner", algorithm=algorithm)
    f = tmp_path / "locked.pdf"
    with f.open("wb") as out:
        writer.write(out)
    docs, skipped = load_file(f)
    assert skipped == [] and [p.text for p in docs[0].paragraphs] == ["Locked but readable."]


def test_a_pdf_date_of_other_digits_is_no_date(tmp_path: Path) -> None:
    # "²".isdigit() is true, and int("²") an error: the file was skipped as damaged.
    f = tmp_path / "odd.pdf"
    f.write_bytes(pdf_bytes([["Text with superscript dates."]], date="D:²²²²0101"))
    docs, skipped = load_file(f)
    assert skipped == []
    assert [(d.published, d.paragraphs[0].text) for d in docs] == [
        (None, "Text with superscript dates.")
    ]


def test_a_pdf_text_object_of_several_lines_is_one_paragraph(tmp_path: Path) -> None:
    """A typeset paragraph: one text object of several lines, a word broken at a line's
    end, a compound's hyphen at another, ligatures (StandardEncoding's 0xAE and 0xAF
    are fi and fl).  Its last line went to the next paragraph (pypdf hands it over as
    the object ends); broken words stayed broken (``contra- diction``), and ligatures
    kept (``ﬁeld``: not found by ``field``).  A paragraph written a text object a line
    was a paragraph a line, and text objects side by side were paragraphs apart."""
    stream = (
        b"BT /F1 11 Tf 72 700 Td (The proof by contra-) Tj 0 -13 Td (diction needs a Schwarz-) Tj"
        b" 0 -13 Td (Weiss \256eld of \257owers.) Tj ET\n"
        b"BT /F1 11 Tf 72 600 Td (A second block of) Tj 0 -13 Td (two lines.) Tj ET\n"
        # LibreOffice and Word write a text object a line; a form, a label and its value.
        b"BT /F1 11 Tf 72 500 Td (A paragraph written as) Tj ET\n"
        b"BT /F1 11 Tf 72 487 Td (one text object a line.) Tj ET\n"
        b"BT /F1 11 Tf 72 400 Td (Name:) Tj ET BT /F1 11 Tf 150 400 Td (Ada) Tj ET\n"
        # A heading close above its text, in a larger size: apart.
        b"BT /F1 16 Tf 72 300 Td (A Heading) Tj ET BT /F1 11 Tf 72 285 Td (Its text.) Tj ET"
    )
    f = tmp_path / "typeset.pdf"
    f.write_bytes(pdf_bytes([["unused"]], title="untitled\x00", page_stream=stream))
    (doc,), skipped = load_file(f)
    assert skipped == []
    assert doc.title == "typeset"  # a placeholder title (and its NUL) gives way to the name
    assert [p.text for p in doc.paragraphs] == [
        "The proof by contradiction needs a Schwarz-Weiss field of flowers.",
        "A second block of two lines.",
        "A paragraph written as one text object a line.",
        "Name: Ada",
        "A Heading",
        "Its text.",
    ]
    with searchkit.Index.create(tmp_path / "ix") as ix:
        ix.add(f)
        for query in ("contradiction", "field", "flowers", "Schwarz-Weiss"):
            assert [h.paragraph for h in ix.search(query)] == [1], query
        assert [h.paragraph for h in ix.search('"written as one text object"')] == [3]


@pytest.mark.parametrize("kind", ["pdf", "docx", "odt"])
def test_authors_a_document_property_lists_with_semicolons(tmp_path: Path, kind: str) -> None:
    # Word and LibreOffice write several authors as "A; B" (a PDF made from them too):
    # it was one author, "Ann One; Bob Two". A comma is left alone ("Doe, Jo").
    make = {"pdf": pdf_bytes, "docx": docx_bytes, "odt": odt_bytes}[kind]
    for given, authors in (("Ann One; Bob Two", ("Ann One", "Bob Two")), ("Doe, Jo", ("Doe, Jo",))):
        f = tmp_path / f"x.{kind}"
        body = [["Some text."]] if kind == "pdf" else ["Some text."]
        f.write_bytes(make(body, author=given))  # type: ignore[operator]
        (doc,), _ = load_file(f)
        assert doc.authors == authors, (kind, given)


def test_mbox_is_one_document_a_message_with_its_line(tmp_path: Path) -> None:
    box = b""
    for i, word in enumerate(["alpha", "beta", "gamma"]):
        box += b"From someone@example.org Fri Mar  1 09:30:00 2024\n"
        box += eml_bytes(
            f"Message {word}",
            f"Sender {i} <s{i}@example.org>",
            f"Fri, 0{i + 1} Mar 2024 09:30:00 +0000",
            f"Body {word}mbox here.\n>From the escaped line.\n",
            message_id=f"<m{i}@example.org>",
        )
        box += b"\n"
    f = tmp_path / "inbox.mbox"
    f.write_bytes(box)
    docs, skipped = load_file(f)
    assert skipped == []
    assert [(d.title, d.author, d.published, d.record_line) for d in docs] == [
        ("Message alpha", "Sender 0", dt.datetime(2024, 3, 1, 9, 30), 1),
        ("Message beta", "Sender 1", dt.datetime(2024, 3, 2, 9, 30), 14),
        ("Message gamma", "Sender 2", dt.datetime(2024, 3, 3, 9, 30), 27),
    ]
    assert docs[1].paragraphs[0].text == "Body betambox here. From the escaped line."
    assert len({d.id for d in docs}) == 3
    with searchkit.Index.create(tmp_path / "index") as ix:
        assert ix.add(f).added == 3
        assert _one_hit(ix, "gammambox").title == "Message gamma"


def test_an_html_only_message_is_read_through_the_html_path(tmp_path: Path) -> None:
    f = tmp_path / "news.eml"
    f.write_bytes(
        eml_bytes(
            "Newsletter",
            "news@example.org",
            "Fri, 01 Mar 2024 09:30:00 +0000",
            "",
            html="<html><body><p>First <b>bold</b> news.</p><script>x()</script>"
            "<p>Two</p></body></html>",
        )
    )
    (doc,), _ = load_file(f)
    assert [p.text for p in doc.paragraphs] == ["First bold news.", "Two"]
    assert doc.author == "news@example.org"


def test_without_the_extra_a_pdf_is_skipped_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path)
    monkeypatch.setitem(sys.modules, "pypdf", None)  # import pypdf raises ImportError
    monkeypatch.setitem(sys.modules, "defusedxml", None)
    with searchkit.Index.create(tmp_path / "index") as ix:
        report = ix.add(folder)
    reasons = sorted((Path(s.path).name, s.reason) for s in report.skipped if s.kind == "file")
    assert reasons == [
        ("book.epub", f"EPUB files need the documents extra (defusedxml): {EXTRA}"),
        ("letter.docx", f"DOCX files need the documents extra (defusedxml): {EXTRA}"),
        ("notes.odt", f"ODT files need the documents extra (defusedxml): {EXTRA}"),
        ("report.pdf", f"PDF files need the documents extra (pypdf): {EXTRA}"),
    ]
    assert report.added == 1  # the e-mail needs no extra
    result = CliRunner().invoke(
        cli, ["index", str(folder / "report.pdf"), "--index", str(tmp_path / "i2")]
    )
    assert "Traceback" not in result.output
    assert f"PDF files need the documents extra (pypdf): {EXTRA}" in result.output


def test_cli_search_and_show_print_the_page_and_chapter(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    index = str(tmp_path / "index")
    runner = CliRunner()
    assert runner.invoke(cli, ["index", str(folder), "--index", index]).exit_code == 0
    found = runner.invoke(cli, ["search", "quetzalpdf", "--index", index])
    assert found.exit_code == 0
    assert " · ¶3 · page 2 · " in found.output
    chapter = runner.invoke(cli, ["search", "quetzalepub", "--index", index])
    assert " · ¶4 · chapter The Storm · " in chapter.output
    chunk_id = found.output.split(" · ")[-1].split()[0]
    shown = runner.invoke(cli, ["show", chunk_id, "--index", index])
    assert shown.exit_code == 0
    assert "paragraph 3 · page 2 · characters " in shown.output
    assert "> ¶3  Page two holds the word quetzalpdf alone." in shown.output


def test_the_web_pages_show_the_page_and_chapter(tmp_path: Path) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from searchkit.web import create_app

    folder = _folder(tmp_path)
    with searchkit.Index.create(tmp_path / "index") as ix:
        ix.add(folder)
        pdf = _one_hit(ix, "quetzalpdf")
    with TestClient(create_app(tmp_path / "index"), base_url="http://127.0.0.1:8765") as web:

        def shown(word: str) -> str:
            return " ".join(web.get("/", params={"q": word}).text.split())

        assert "¶3 · page 2" in shown("quetzalpdf")
        assert "¶4 · chapter The Storm" in shown("quetzalepub")
        chunk = " ".join(web.get(f"/chunk/{pdf.chunk_id}").text.split())
        assert "paragraph 3, page 2, characters" in chunk
