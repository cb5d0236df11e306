from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import searchkit
from searchkit.loaders import iter_files
from searchkit.models import Skipped

from .conftest import SEED

TITLE = "What important role does Belarus play in the Ukraine conflict?"


def test_seed_article_metadata() -> None:
    doc = searchkit.load_document(SEED)
    assert doc.title == TITLE
    assert doc.published == dt.datetime(2025, 6, 14, 10, 55)
    assert doc.author == "Natalia Grigoryeva"
    assert doc.source_url == "https://www.toutiao.com/article/7515969173709767187/"
    assert doc.source_domain == "toutiao.com"
    assert doc.disclaimer == (
        "This article solely represents the author's views. Please express your opinions "
        "by clicking the 'Like' or 'Dislike' buttons below."
    )
    assert len(doc.paragraphs) == 17
    assert doc.paragraphs[0].text.startswith("Belarus has repeatedly emphasized")
    assert doc.paragraphs[-1].text.startswith("Therefore, it can be determined")
    assert [p.number for p in doc.paragraphs] == list(range(1, 18))
    assert doc.format == "article"
    assert doc.encoding == "utf-8"
    assert len(doc.content_hash) == 64


def test_seed_disclaimer_is_exact() -> None:
    raw = SEED.read_text(encoding="utf-8")
    line = next(ln for ln in raw.splitlines() if ln.startswith("Disclaimer:"))
    assert searchkit.load_document(SEED).disclaimer == line.removeprefix("Disclaimer:").strip()


def test_metadata_lines_are_not_paragraphs() -> None:
    doc = searchkit.load_document(SEED)
    for p in doc.paragraphs:
        assert not p.text.startswith(("Original Source:", "Disclaimer:", "Author:"))
        assert p.text != TITLE


def _check_offsets(path: Path, doc: searchkit.Document) -> None:
    raw = path.read_bytes()
    text = raw.decode(doc.encoding)
    for p in doc.paragraphs:
        assert text[p.start : p.end] == p.text
    for c in searchkit.chunk_document(doc):
        assert text[c.start : c.end] == c.text


def test_offsets_seed() -> None:
    _check_offsets(SEED, searchkit.load_document(SEED))


def test_offsets_crlf_bom_copy(tmp_path: Path) -> None:
    raw = SEED.read_bytes().replace(b"\n", b"\r\n")
    copy = tmp_path / "crlf.txt"
    copy.write_bytes(b"\xef\xbb\xbf" + raw)
    doc = searchkit.load_document(copy)
    assert doc.encoding == "utf-8-sig"
    assert doc.title == TITLE
    assert len(doc.paragraphs) == 17
    assert not any("\r" in p.text for p in doc.paragraphs)
    _check_offsets(copy, doc)


def test_blank_line_separated_paragraphs(tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_text(
        "A title\n2024-03-01\nAuthor: Jo Doe\n\nFirst paragraph line one\nstill first.\n\n"
        "Second paragraph.\n\n\nThird.\nOriginal Source: https://example.org/x\n",
        encoding="utf-8",
    )
    doc = searchkit.load_document(f)
    assert doc.title == "A title"
    assert doc.published == dt.datetime(2024, 3, 1)
    assert doc.author == "Jo Doe"
    assert doc.source_domain == "example.org"
    assert [p.text for p in doc.paragraphs] == [
        "First paragraph line one\nstill first.",
        "Second paragraph.",
        "Third.",
    ]
    _check_offsets(f, doc)


def test_plain_text_without_headers(tmp_path: Path) -> None:
    f = tmp_path / "notes.txt"
    long_line = "word " * 60
    f.write_text(long_line + "\nsecond line here\n", encoding="utf-8")
    doc = searchkit.load_document(f)
    assert doc.title == "notes"
    assert doc.author is None and doc.published is None and doc.source_url is None
    assert len(doc.paragraphs) == 2


def test_one_line_file_is_title_and_paragraph(tmp_path: Path) -> None:
    f = tmp_path / "one.txt"
    f.write_text("just one line", encoding="utf-8")
    doc = searchkit.load_document(f)
    assert doc.title == "just one line"
    assert [p.text for p in doc.paragraphs] == ["just one line"]


def test_legacy_encoding_decodes(tmp_path: Path) -> None:
    f = tmp_path / "latin.txt"
    text = "Café société\n\nLes élèves étaient à la bibliothèque, où ils lisaient des thèses.\n"
    f.write_bytes(text.encode("cp1252"))
    doc = searchkit.load_document(f)
    assert doc.encoding != "utf-8"
    assert doc.title == "Café société"
    assert "élèves" in doc.paragraphs[0].text
    _check_offsets(f, doc)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file"),
        (b"  \n\n \t", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary file"),
    ],
)
def test_empty_and_binary_raise_document_error(tmp_path: Path, content: bytes, reason: str) -> None:
    f = tmp_path / "bad.txt"
    f.write_bytes(content)
    with pytest.raises(searchkit.DocumentError) as err:
        searchkit.load_document(f)
    assert str(f) in str(err.value)
    assert reason in err.value.reason


def test_invalid_utf8_does_not_crash(tmp_path: Path) -> None:
    f = tmp_path / "mixed.txt"
    f.write_bytes(b"Title\n\nGood text then a bad byte \xff here.\n")
    doc = searchkit.load_document(f)
    assert doc.title == "Title"
    assert "bad byte" in doc.paragraphs[0].text
    _check_offsets(f, doc)


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(searchkit.DocumentError, match=r"nope\.txt: no such file"):
        searchkit.load_document(tmp_path / "nope.txt")


def test_folder_walk_skips_hidden_and_unknown(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    (tmp_path / "b.bin").write_bytes(b"\x00")
    (tmp_path / ".hidden.txt").write_text("x", encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "c.txt").write_text("x", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.TXT").write_text("x", encoding="utf-8")
    (tmp_path / "README").write_text("x", encoding="utf-8")
    (tmp_path / "link").symlink_to(tmp_path / "sub")
    found = list(iter_files([tmp_path, tmp_path / "missing"]))
    files = [p.relative_to(tmp_path).as_posix() for p in found if isinstance(p, Path)]
    assert files == [".hidden.txt", "a.txt", "sub/d.TXT"]
    # What was left out on purpose is reported, with the reason.
    assert [s for s in found if isinstance(s, Skipped)] == [
        Skipped(str(tmp_path / ".git"), "hidden folder, not walked"),
        Skipped(
            str(tmp_path / "link"),
            "symbolic link to a folder, not followed (--follow-links follows it)",
        ),
        Skipped(str(tmp_path / "README"), "no loader for files without a suffix"),
        Skipped(str(tmp_path / "b.bin"), "no loader for .bin files"),
        Skipped(str(tmp_path / "missing"), "no such file or folder"),
    ]


def test_a_hidden_file_with_a_known_suffix_is_a_document(tmp_path: Path) -> None:
    for name in ("..md", ".notes.md", ".env", ".DS_Store", "._page.md", "page.md"):
        (tmp_path / name).write_text("# A page\n\nSome text.\n", encoding="utf-8")
    (tmp_path / ".#page.md").symlink_to("root@host.1234")  # an editor's lock: a dangling link
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "notes.md").write_text("Some text.\n", encoding="utf-8")
    found = list(iter_files([tmp_path]))
    assert sorted(p.name for p in found if isinstance(p, Path)) == ["..md", ".notes.md", "page.md"]
    assert sorted((Path(s.path).name, s.reason) for s in found if isinstance(s, Skipped)) == [
        (".#page.md", "hidden file"),
        (".DS_Store", "hidden file"),
        ("._page.md", "hidden file"),
        (".env", "hidden file"),
        (".venv", "hidden folder, not walked"),
    ]


def test_impossible_iso_date_is_not_a_date_line(tmp_path: Path) -> None:
    f = tmp_path / "odd.txt"
    f.write_text("A title\n2024-02-30\n\nBody text here.\n", encoding="utf-8")
    doc = searchkit.load_document(f)
    assert (doc.title, doc.published) == ("A title", None)
    assert [p.text for p in doc.paragraphs] == ["2024-02-30", "Body text here."]


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Les élèves étaient très contents à la bibliothèque, où ils lisaient.", "latin-1"),
        ("très bien", "latin-1"),
        ("Müller straße über", "cp1252"),
        ("The café in São Paulo costs £5 — nice", "cp1252"),
        ("Привет, как дела? Это тестовый текст на русском языке.", "cp1251"),
        ("这是一个中文测试文本，用于检测编码。我们希望它能正确解码。", "gbk"),  # noqa: RUF001
        ("日本語のテキストです。エンコーディングの検出をテストします。", "shift_jis"),
        ("Žluťoučký kůň úpěl ďábelské ódy. Příliš žluťoučký kůň.", "cp1250"),
    ],
)
def test_legacy_encodings_are_detected(tmp_path: Path, text: str, encoding: str) -> None:
    f = tmp_path / "legacy.txt"
    f.write_bytes(f"Title\n\n{text}\n".encode(encoding))
    assert searchkit.load_document(f).paragraphs[0].text == text
