"""Reading an add's files: PDF, DOCX, ODT and EPUB files read ahead in a pool of processes
when there are enough of them, with what reading them one by one gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import searchkit
from searchkit import _loads
from tests._documents import docx_bytes, epub_bytes, odt_bytes, pdf_bytes


def _many(folder: Path) -> Path:
    """Nine PDFs, a DOCX, an ODT and an EPUB (twelve slow files), a damaged PDF, a text
    file."""
    folder.mkdir()
    for n in range(9):
        pages = [[f"Page one of report {n} mentions quetzal{n}.", "A second block."], ["More."]]
        (folder / f"r{n}.pdf").write_bytes(pdf_bytes(pages, title=f"Report {n}"))
    (folder / "letter.docx").write_bytes(docx_bytes(["A letter about quetzal rivers."]))
    (folder / "notes.odt").write_bytes(odt_bytes(["Notes on quetzal migration."]))
    (folder / "book.epub").write_bytes(
        epub_bytes([("One", ["A quetzal in a book."])], title="Book")
    )
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 not really a PDF")
    (folder / "plain.txt").write_text("Plain\n\nA plain quetzal note.\n", encoding="utf-8")
    return folder


def _add(folder: Path, index: Path) -> tuple[Any, list[str], list[Any], list[str]]:
    seen: list[str] = []
    with searchkit.Index.create(index, vectors=False) as ix:
        report = ix.add(folder, progress=lambda done, total, name: seen.append(name))
        hits = [
            (h.chunk_id, h.title, h.text, h.page, h.spans) for h in ix.search("quetzal", limit=50)
        ]
        return report, seen, hits, [d.title for d in ix.documents()]


def test_many_slow_files_are_read_in_a_pool_as_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _many(tmp_path / "docs")
    pools: list[int] = []
    made = _loads.pool

    def counted(workers: int) -> Any:
        pools.append(workers)
        return made(workers)

    monkeypatch.setattr(_loads, "pool", counted)
    monkeypatch.setattr(_loads.os, "cpu_count", lambda: 2)
    pooled = _add(folder, tmp_path / "pooled")
    assert pools == [2]
    monkeypatch.setattr(_loads, "POOL_FILES", 10**6)
    alone = _add(folder, tmp_path / "alone")
    assert pools == [2]  # no pool the second time
    assert pooled == alone
    report, seen, hits, titles = pooled
    assert (report.added, report.chunks, len(hits)) == (13, 32, 13)  # 27 PDF paragraphs
    assert [(s.path, s.reason) for s in report.skipped] == [
        (str(folder / "broken.pdf"), "damaged PDF file: Stream has ended unexpectedly")
    ]
    assert titles[:4] == ["Book", "letter", "notes", "Plain"]
    assert [Path(name).name for name in seen] == sorted(p.name for p in folder.iterdir())


def test_an_add_interrupted_while_the_pool_reads_leaves_the_index_as_it_was(
    tmp_path: Path,
) -> None:
    folder = _many(tmp_path / "docs")
    with searchkit.Index.create(tmp_path / "ix", vectors=False) as ix:
        ix.add(folder / "plain.txt")

        def stop(done: int, total: int, name: str) -> None:
            if done == 4:
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            ix.add(folder, progress=stop)
    with searchkit.Index.open(tmp_path / "ix") as ix:
        assert [d.title for d in ix.documents()] == ["Plain"]
        assert ix.search("quetzal").total == 1


def test_a_file_changed_since_it_was_read_ahead_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What was read ahead is taken only when the file's status at its turn is the one
    it had when it was sent: else the text would not be the one its status says."""
    folder = _many(tmp_path / "docs")
    files = sorted(folder.glob("r*.pdf"))
    read_here: list[str] = []  # reads in this process (the pool's are in its own)
    load_file = _loads.load_file

    def counted(path: Path, field_map: Any) -> Any:
        read_here.append(path.name)
        return load_file(path, field_map)

    monkeypatch.setattr(_loads.os, "cpu_count", lambda: 2)
    ahead = [(p, p.stat(), None) for p in files]
    with _loads.Loads(ahead) as loads:
        # The pool's processes were forked as it started: they read with their own.
        monkeypatch.setattr(_loads, "load_file", counted)
        (files[4]).write_bytes(pdf_bytes([["Changed after it was sent."]]))
        got = [loads.get(p, None, p.stat()) for p in files]
    assert read_here == ["r4.pdf"]
    texts = [docs[0].paragraphs[0].text for docs, _skipped in got]  # type: ignore[misc]
    assert texts[4] == "Changed after it was sent." and texts[3].startswith("Page one of report 3")


def test_files_passed_over_do_not_stop_the_reading_ahead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file sent ahead whose turn comes without a read (gone by then, or named twice)
    is dropped: six such files held the pool's four places for good, and every file
    after them was read in this process."""
    folder = tmp_path / "docs"
    folder.mkdir()
    files = []
    for n in range(12):
        files.append(folder / f"r{n:02}.pdf")
        files[-1].write_bytes(pdf_bytes([[f"Report {n} text."]]))
    read_here: list[str] = []
    load_file = _loads.load_file

    def counted(path: Path, field_map: Any) -> Any:
        read_here.append(path.name)
        return load_file(path, field_map)

    monkeypatch.setattr(_loads.os, "cpu_count", lambda: 2)
    with _loads.Loads([(p, p.stat(), None) for p in files]) as loads:
        monkeypatch.setattr(_loads, "load_file", counted)  # the pool's own are forked
        got = [loads.get(p, None, p.stat()) for p in files[6:]]
    assert read_here == ["r06.pdf"]  # past the four sent when the pool started; not the rest
    assert [docs[0].paragraphs[0].text for docs, _skipped in got] == [  # type: ignore[misc]
        f"Report {n} text." for n in range(6, 12)
    ]
