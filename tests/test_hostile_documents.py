"""Hostile PDF, DOCX, ODT and EPUB files: each skipped with its reason, within bounded
memory (measured with tracemalloc, never with a clock), and the rest of the run indexed."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

import searchkit
from searchkit.errors import DocumentError
from searchkit.loaders import _binary, load_file
from searchkit.loaders.pdf import MAX_PAGE_STREAM_BYTES
from tests._documents import (
    _W,
    BOMB_XML,
    docx_bytes,
    encrypted_pdf_bytes,
    entity_bomb_epub_bytes,
    epub_bytes,
    pdf_bytes,
)

MiB = 1024 * 1024


def _peak(fn: Callable[[], object]) -> int:
    """Peak bytes Python allocated while ``fn`` ran."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _skipped_reason(path: Path) -> str:
    with pytest.raises(DocumentError) as err:
        load_file(path)
    return err.value.reason


def test_an_encrypted_pdf_is_skipped_and_an_owner_only_one_is_read(tmp_path: Path) -> None:
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(encrypted_pdf_bytes("secret"))
    assert _skipped_reason(locked) == "encrypted PDF (needs a password)"
    open_ = tmp_path / "open.pdf"
    open_.write_bytes(encrypted_pdf_bytes(""))
    (doc,), _ = load_file(open_)
    assert [p.text for p in doc.paragraphs] == ["hidden words"]


def test_a_pdf_without_text_is_skipped_as_having_no_text_layer(tmp_path: Path) -> None:
    scanned = tmp_path / "scan.pdf"
    scanned.write_bytes(pdf_bytes([[], []]))
    assert _skipped_reason(scanned) == "no text layer (a scanned PDF? searchkit does no OCR)"


def test_a_damaged_pdf_is_skipped_with_a_reason(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 100)
    assert _skipped_reason(bad).startswith("damaged PDF file: ")


def test_a_huge_pdf_page_is_left_out_and_the_other_pages_load(tmp_path: Path) -> None:
    huge = b"BT /F1 11 Tf 72 700 Td (hugepage words) Tj ET\n" + b"%" * (MAX_PAGE_STREAM_BYTES + 1)
    f = tmp_path / "huge.pdf"
    f.write_bytes(pdf_bytes([["x"], ["second page survives"]], page_stream=huge))
    holder: list[object] = []
    peak = _peak(lambda: holder.append(load_file(f)))
    (doc,), notes = holder[0]  # type: ignore[misc]
    assert [p.text for p in doc.paragraphs] == ["second page survives"]
    assert [n.reason for n in notes] == [
        f"page 1: content stream of {len(huge):,} bytes left out (limit {MAX_PAGE_STREAM_BYTES:,})"
    ]
    assert peak < 6 * MAX_PAGE_STREAM_BYTES


def test_a_damaged_zip_is_skipped(tmp_path: Path) -> None:
    for name, data in (
        ("cut.docx", docx_bytes(["words"])[:-40]),
        ("cut.epub", epub_bytes([("C", ["words"])], title="T")[:100]),
        ("junk.odt", b"PK\x03\x04 not really a zip"),
    ):
        f = tmp_path / name
        f.write_bytes(data)
        kind = name.rsplit(".", 1)[1].upper()
        assert _skipped_reason(f).startswith(f"damaged {kind} file (not a readable zip: "), name


def test_a_zip_without_its_document_part_is_skipped_naming_the_part(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "words")
    for name, reason in (
        ("other.docx", "not a DOCX file (no word/document.xml)"),
        ("other.odt", "not an ODT file (no content.xml)"),
        ("other.epub", "not an EPUB file (no META-INF/container.xml)"),
    ):
        f = tmp_path / name
        f.write_bytes(buf.getvalue())
        assert _skipped_reason(f) == reason, name


def _bomb_docx(unpacked: int) -> bytes:
    """A DOCX whose document.xml unpacks to ``unpacked`` bytes (mostly one comment)."""
    filler = b"<!--" + b"x" * (unpacked - 200) + b"-->"
    xml = b'<w:document xmlns:w="urn:w"><w:body>' + filler + b"</w:body></w:document>"
    return docx_bytes(["x"], document_xml=xml)


def test_a_zip_bomb_is_refused_from_its_directory(tmp_path: Path) -> None:
    f = tmp_path / "bomb.docx"
    f.write_bytes(_bomb_docx(_binary.MAX_UNPACKED_BYTES + 1024))
    assert f.stat().st_size < MiB  # a small file ...
    reason = _skipped_reason(f)  # ... refused before anything is unpacked
    assert reason.startswith("zip bomb: its members unpack to ")
    assert reason.endswith(f"bytes (limit {_binary.MAX_UNPACKED_BYTES:,})")
    assert _peak(lambda: _skipped_reason(f)) < 4 * MiB


def test_a_part_past_the_part_limit_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "big.epub"
    chapter = (
        b"<html><body><p>" + b"a " * (_binary.MAX_PART_BYTES // 2 + 10) + b"</p></body></html>"
    )
    f.write_bytes(
        epub_bytes([("C", ["x"]), ("D", ["kept words"])], title="T", chapter_html=chapter)
    )
    (doc,), notes = load_file(f)
    assert [p.text for p in doc.paragraphs] == ["D", "kept words"]
    assert [n.reason for n in notes] == [
        f"chapter 1 (OEBPS/text/ch1.xhtml): zip bomb: OEBPS/text/ch1.xhtml unpacks to "
        f"{len(chapter):,} bytes (limit {_binary.MAX_PART_BYTES:,})"
    ]


def test_a_zip_whose_directory_lies_about_a_size_is_stopped_while_reading(
    tmp_path: Path,
) -> None:
    data = _bomb_docx(8 * MiB)
    size = zipfile.ZipFile(io.BytesIO(data)).getinfo("word/document.xml").file_size
    lying = data.replace(struct.pack("<I", size), struct.pack("<I", 1000))  # both headers
    f = tmp_path / "lying.docx"
    f.write_bytes(lying)
    assert _skipped_reason(f) == "damaged DOCX file: Bad CRC-32 for file 'word/document.xml'"
    assert _peak(lambda: _skipped_reason(f)) < 2 * MiB  # never unpacked past the 1000


def test_the_counting_reader_stops_at_its_limit(tmp_path: Path) -> None:
    stream = _binary._Counted(io.BytesIO(b"x" * 5000), 4096, tmp_path, "part.xml")
    with pytest.raises(DocumentError, match=r"zip bomb: part\.xml unpacks past 4,096 bytes"):
        io.BufferedReader(stream).read()


def _bomb_odt() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", BOMB_XML)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "part", "make"),
    [
        ("bomb.docx", "word/document.xml", lambda: docx_bytes(["x"], document_xml=BOMB_XML)),
        ("bomb.odt", "content.xml", _bomb_odt),
    ],
)
def test_an_xml_entity_bomb_is_refused_before_expanding(
    tmp_path: Path, name: str, part: str, make: Callable[[], bytes]
) -> None:
    f = tmp_path / name
    f.write_bytes(make())
    reason = _skipped_reason(f)
    assert reason.startswith(f"{part}: XML with a document type or entities refused ("), reason
    assert _peak(lambda: _skipped_reason(f)) < 2 * MiB  # the 10**9 "lol"s are never made


def test_an_entity_bomb_in_an_epub_package_file_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "bomb.epub"
    f.write_bytes(entity_bomb_epub_bytes())
    assert _skipped_reason(f).startswith(
        "OEBPS/content.opf: XML with a document type or entities refused ("
    )


def _attributes_docx(count: int, value: str = "") -> bytes:
    """A DOCX whose one paragraph element has ``count`` attributes (then a word), and
    whose text holds as many ``=`` signs (text is not an element's)."""
    names = " ".join(f'a{i}="{value}"' for i in range(count))
    return docx_bytes(
        ["x"],
        document_xml=(
            f'<w:document xmlns:w="{_W}"><w:body><w:p {names}><w:r>'
            f"<w:t>findme {'=' * count}</w:t></w:r></w:p></w:body></w:document>"
        ).encode(),
    )


@pytest.mark.parametrize("value", ["", "v" * 40])  # a tag of 90 KB or of 550 KB
def test_an_element_of_too_many_attributes_is_refused_before_it_is_parsed(
    tmp_path: Path, value: str
) -> None:
    limit = _binary.MAX_XML_ATTRIBUTES
    at_limit, past = tmp_path / "many.docx", tmp_path / "more.docx"
    at_limit.write_bytes(_attributes_docx(limit, value))
    past.write_bytes(_attributes_docx(limit + 1, value))
    (document,), _ = load_file(at_limit)
    assert document.paragraphs[0].text.startswith("findme ==")
    reason = _skipped_reason(past)
    assert reason == "word/document.xml: an XML element with more than 10,000 attributes refused"
    # Refused from its bytes: ElementTree never builds the attributes (2 million of them
    # in a 4.6 MB DOCX took 40 s and 840 MiB).
    assert _peak(lambda: _skipped_reason(past)) < 2 * MiB


@pytest.mark.parametrize("size", [1, 7, 4096, 10**9])
def test_attributes_are_counted_across_reads_and_text_is_not(size: int) -> None:
    limit = _binary.MAX_XML_ATTRIBUTES
    names = " ".join(f'a{i}="1"' for i in range(limit))
    text = "=" * (3 * limit)
    fine = f"<r><e {names}>{text}</e><e {names}/>{text}</r>".encode()

    def read_all(xml: bytes) -> bytes:
        bounded = _binary._AttributeBound(io.BytesIO(xml), Path("f.xml"), "f.xml")
        return b"".join(iter(lambda: bounded.read(size), b""))

    assert read_all(fine) == fine
    for damaged in (fine.replace(b"<e ", b'<e b="1" ', 1), fine.replace(b"/>", b' b="1"/>')):
        with pytest.raises(DocumentError, match="more than 10,000 attributes"):
            read_all(damaged)


def test_hostile_files_are_skipped_and_the_rest_of_the_run_is_indexed(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good.docx").write_bytes(docx_bytes(["the survivingword stays"], title="Good"))
    (folder / "bomb.docx").write_bytes(docx_bytes(["x"], document_xml=BOMB_XML))
    (folder / "locked.pdf").write_bytes(encrypted_pdf_bytes("secret"))
    (folder / "scan.pdf").write_bytes(pdf_bytes([[]]))
    (folder / "cut.epub").write_bytes(epub_bytes([("C", ["w"])], title="T")[:120])
    (folder / "zipbomb.docx").write_bytes(_bomb_docx(_binary.MAX_UNPACKED_BYTES + 1024))
    with searchkit.Index.create(tmp_path / "index") as ix:
        report = ix.add(folder)
        assert report.added == 1
        assert sorted(Path(s.path).name for s in report.skipped) == [
            "bomb.docx",
            "cut.epub",
            "locked.pdf",
            "scan.pdf",
            "zipbomb.docx",
        ]
        assert [h.title for h in ix.search("survivingword")] == ["Good"]
    assert searchkit.check_index(tmp_path / "index").ok
