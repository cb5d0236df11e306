"""Pages per second for each document format, on files generated here.

A *page* is 20 paragraphs of 25 words (500 words, about a printed page).  For each format
the script writes ``--files`` files of ``--pages`` pages each with the writers the tests
use (``tests/_documents.py``: a PDF with one text object a paragraph and one PDF page a
page; DOCX and ODT paragraphs; an EPUB chapter a page; an e-mail body; an mbox of one
message a page) plus, for comparison, the same text as Markdown.  It then measures:

- ``load``: ``searchkit.loaders.load_file`` on every file (reading and extracting only);
- ``index``: ``Index.add`` of the folder into a fresh index (loading, analysis, writing).

    python benchmarks/formats.py [--files 20] [--pages 10] [--json FILE]

Needs the ``documents`` extra.  Run it against another checkout with
``PYTHONPATH=/path/to/checkout``.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import _common

sys.path.insert(0, str(_common.REPO))

import searchkit
from searchkit.loaders import load_file
from tests import _documents as make

PARAGRAPHS = 20
WORDS = 25
_VOCABULARY = [
    "".join(random.Random(i).choice("abcdefghijklmnopqrstuvwxyz") for _ in range(3 + i % 8))
    for i in range(2_000)
]


def _page(rng: random.Random) -> list[str]:
    return [
        " ".join(rng.choice(_VOCABULARY) for _ in range(WORDS)).capitalize() + "."
        for _ in range(PARAGRAPHS)
    ]


def _mbox(pages: list[list[str]]) -> bytes:
    out = b""
    for n, page in enumerate(pages):
        out += b"From someone@example.org Fri Mar  1 09:30:00 2024\n"
        out += make.eml_bytes(
            f"Message {n}",
            "A <a@example.org>",
            "Fri, 01 Mar 2024 09:30:00 +0000",
            "\n\n".join(page),
        )
        out += b"\n"
    return out


WRITERS: dict[str, tuple[str, Callable[[list[list[str]]], bytes]]] = {
    "pdf": (".pdf", lambda pages: make.pdf_bytes(pages, title="Generated")),
    "docx": (".docx", lambda pages: make.docx_bytes([p for page in pages for p in page])),
    "odt": (".odt", lambda pages: make.odt_bytes([p for page in pages for p in page])),
    "epub": (
        ".epub",
        lambda pages: make.epub_bytes(
            [(f"Chapter {n}", page) for n, page in enumerate(pages, 1)], title="Generated"
        ),
    ),
    "eml": (
        ".eml",
        lambda pages: make.eml_bytes(
            "Generated",
            "A <a@example.org>",
            "Fri, 01 Mar 2024 09:30:00 +0000",
            "\n\n".join(p for page in pages for p in page),
        ),
    ),
    "mbox": (".mbox", _mbox),
    "markdown": (
        ".md",
        lambda pages: ("# Generated\n\n" + "\n\n".join(p for page in pages for p in page)).encode(),
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=20, help="files a format")
    parser.add_argument("--pages", type=int, default=10, help="pages a file")
    parser.add_argument("--formats", help="comma-separated formats (default: all)")
    parser.add_argument("--json", dest="json_out", help="also write the results here")
    args = parser.parse_args()
    names = args.formats.split(",") if args.formats else list(WRITERS)
    work = Path(tempfile.mkdtemp(prefix="searchkit-formats-"))
    results: dict[str, dict[str, float]] = {}
    total = args.files * args.pages
    print(f"{args.files} files x {args.pages} pages of {PARAGRAPHS} paragraphs a format\n")
    print("| format | MiB | load s | load pages/s | index s | index pages/s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    try:
        for name in names:
            suffix, write = WRITERS[name]
            folder = work / name
            folder.mkdir()
            rng = random.Random(26)
            size = 0
            for i in range(args.files):
                data = write([_page(rng) for _ in range(args.pages)])
                (folder / f"f{i:04}{suffix}").write_bytes(data)
                size += len(data)
            start = time.perf_counter()
            chunks = sum(
                len(d.paragraphs) for f in sorted(folder.iterdir()) for d in load_file(f)[0]
            )
            load = time.perf_counter() - start
            assert chunks >= total * PARAGRAPHS, (name, chunks)
            start = time.perf_counter()
            with searchkit.Index.create(work / f"{name}-index") as ix:
                report = ix.add(folder)
            index = time.perf_counter() - start
            assert report.added >= args.files and not [
                s for s in report.skipped if s.kind != "note"
            ]
            results[name] = {
                "mib": round(size / 2**20, 2),
                "load_seconds": round(load, 3),
                "load_pages_per_second": round(total / load, 1),
                "index_seconds": round(index, 3),
                "index_pages_per_second": round(total / index, 1),
            }
            r = results[name]
            print(
                f"| {name} | {r['mib']:.2f} | {load:.2f} | {r['load_pages_per_second']:,.0f} | "
                f"{index:.2f} | {r['index_pages_per_second']:,.0f} |",
                flush=True,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _common.write_json(
        args.json_out,
        {
            "machine": _common.machine(),
            "files": args.files,
            "pages": args.pages,
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
