"""Reuters-21578 articles as searchkit Documents, streamed one ``reut2-*.sgm`` file at a time.

The files are SGML read as latin-1.  ``html.parser`` from the standard library reads them
(it lower-cases tag names and turns ``&lt;`` and ``&#3;`` into characters), fed in pieces,
so at most one file's worth of articles is ever held.  An article becomes one Document:
``<TITLE>`` the title, ``<DATE>`` the publication time, ``<AUTHOR>`` the author (without
"by" and ", Reuters"), and ``<BODY>`` the text, cut into paragraphs where a line starts
with white space (the data README: "paragraphs start with a newline and spaces").  The
closing "Reuter" signature is not a paragraph.  Articles without a body are skipped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

from searchkit import Document, Paragraph

_PARAGRAPH_BREAK = re.compile(r"\n(?=[ \t])")
_AUTHOR = re.compile(r"^\s*by\s+(?P<name>.*?)(?:,\s*reuters?)?\s*$", re.IGNORECASE)
_SIGNATURE = {"reuter", "reuters"}
_READ = 1 << 16


def files(root: Path) -> list[Path]:
    """The 22 ``reut2-NNN.sgm`` files in order."""
    return sorted(root.glob("reut2-*.sgm"))


def index_arguments(ap: argparse.ArgumentParser, docs: int | None) -> None:
    """The options of a script timing queries over an index of Reuters: ``--data``,
    ``--docs`` (``docs`` articles by default; ``None``: all), ``--every`` (which titles
    make queries), ``--index`` and ``--json``."""
    ap.add_argument("--data", help="shared data folder (default ../shared/data)")
    ap.add_argument(
        "--docs", type=int, default=docs, help=f"articles to index (default {docs or 'all'})"
    )
    ap.add_argument("--every", type=int, default=100, help="take every Nth title as a query")
    ap.add_argument("--index", help="index folder: reused if it exists, else built there")
    ap.add_argument("--json", metavar="FILE", help="write the results as JSON (- for stdout)")


def index_at(folder: str | None, root: Path, limit: int | None = None) -> Path:
    """A searchkit index (lexical) of the first ``limit`` articles (all: ``None``) in
    ``folder``: reused if it exists, else built there (in a new temporary folder when
    ``folder`` is ``None``).  Its path."""
    import tempfile

    import searchkit

    work = Path(folder) if folder else Path(tempfile.mkdtemp()) / "ix"
    if not work.exists():
        with searchkit.Index.create(work, vectors=False) as ix:
            ix.add_documents(documents(root, limit))
    return work


def documents(root: Path, limit: int | None = None) -> Iterator[Document]:
    """Yield up to ``limit`` articles with a body, in file order, as Documents."""
    n = 0
    for path in files(root):
        parser = _Parser(path.name)
        with path.open(encoding="latin-1", newline="") as f:
            while chunk := f.read(_READ):
                parser.feed(chunk)
                for doc in parser.take():
                    yield doc
                    n += 1
                    if limit is not None and n >= limit:
                        return
        parser.close()
        for doc in parser.take():
            yield doc
            n += 1
            if limit is not None and n >= limit:
                return


def titles(root: Path, every: int = 100) -> list[str]:
    """Every ``every``-th article title: a fixed, reproducible set of queries."""
    out: list[str] = []
    for i, doc in enumerate(documents(root)):
        if i % every == 0 and doc.title:
            out.append(doc.title)
    return out


class _Parser(HTMLParser):
    """Collects one ``<REUTERS>`` element at a time; ``take()`` hands over finished ones."""

    _FIELDS = frozenset({"title", "date", "author", "dateline", "body"})

    def __init__(self, filename: str) -> None:
        super().__init__(convert_charrefs=True)
        self.filename = filename
        self._done: list[Document] = []
        self._fields: dict[str, list[str]] = {}
        self._in: str | None = None
        self._newid = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "reuters":
            self._fields = {}
            self._newid = dict(attrs).get("newid") or ""
        elif tag in self._FIELDS:
            self._in = tag
            self._fields.setdefault(tag, [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "reuters":
            doc = self._document()
            if doc is not None:
                self._done.append(doc)
        elif tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in is not None:
            self._fields[self._in].append(data)

    def take(self) -> list[Document]:
        done, self._done = self._done, []
        return done

    def _text(self, name: str) -> str:
        return "".join(self._fields.get(name, ())).replace("\x03", "").strip()

    def _document(self) -> Document | None:
        body = "".join(self._fields.get("body", ())).replace("\x03", "")
        paragraphs = _paragraphs(body)
        if not paragraphs:
            return None
        author = None
        if m := _AUTHOR.match(self._text("author")):
            author = m["name"] or None
        title = " ".join(self._text("title").split())
        return Document(
            id=f"reuters-{self._newid}",
            path=f"{self.filename}#{self._newid}",
            title=title or f"Reuters {self._newid}",
            paragraphs=paragraphs,
            author=author,
            published=_date(self._text("date")),
            format="reuters-sgml",
            encoding="latin-1",
        )


def _paragraphs(body: str) -> tuple[Paragraph, ...]:
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _PARAGRAPH_BREAK.finditer(body):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(body)))
    out: list[Paragraph] = []
    for s, e in spans:
        while s < e and body[s].isspace():
            s += 1
        while e > s and body[e - 1].isspace():
            e -= 1
        if s < e and body[s:e].lower() not in _SIGNATURE:
            out.append(Paragraph(len(out) + 1, body[s:e], s, e))
    return tuple(out)


def _date(text: str) -> dt.datetime | None:
    """``26-FEB-1987 15:01:01.79`` -> a naive datetime (``None`` if it does not parse)."""
    try:
        return dt.datetime.strptime(text.split(".")[0].strip(), "%d-%b-%Y %H:%M:%S")
    except ValueError:
        return None


def write_jsonl(
    root: Path,
    out: Path,
    *,
    limit: int | None = None,
    per_file: int = 100,
    copies: int = 1,
    folders: int = 1,
) -> int:
    """Write the articles as JSON Lines files that searchkit's loader reads; return the count.

    ``per_file`` records a file, the files dealt round robin into ``folders`` sub-folders
    (``part-0``, ``part-1``, ...), the corpus written ``copies`` times with new record ids
    (``<newid>`` for the first copy, ``<newid>-<copy>`` after).  A paragraph's white space
    is collapsed to single spaces and paragraphs are separated by blank lines, so each
    Reuters paragraph is one searchkit paragraph.
    """
    import json

    written = 0
    files = 0
    batch: list[str] = []

    def flush() -> None:
        nonlocal files, batch
        if batch:
            folder = out / f"part-{files % folders}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"reuters-{files:05d}.jsonl").write_text("".join(batch), encoding="utf-8")
            files += 1
            batch = []

    for copy in range(copies):
        for doc in documents(root, limit):
            newid = doc.id.removeprefix("reuters-")
            record = {
                "id": newid if copy == 0 else f"{newid}-{copy}",
                "title": doc.title,
                "author": doc.author,
                "date": doc.published.isoformat() if doc.published else None,
                "text": "\n\n".join(" ".join(p.text.split()) for p in doc.paragraphs),
            }
            batch.append(json.dumps(record, ensure_ascii=False) + "\n")
            written += 1
            if len(batch) >= per_file:
                flush()
    flush()
    return written
