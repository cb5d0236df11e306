"""Test collections on disk -> :class:`Collection` values.

Two layouts, told apart by their file names (:func:`detect_format`):

``beir``
    A BEIR folder: ``corpus.jsonl`` (``_id``, ``title``, ``text``), ``queries.jsonl``
    (``_id``, ``text``) and ``qrels/<split>.tsv`` (``query-id  corpus-id  score`` with a
    header line).
``smart``
    A classic SMART collection: Cranfield (``cran.all.1400``, ``cran.qry``, ``cranqrel``)
    or ``X.ALL``, ``X.QRY``, ``X.REL`` (CISI, MED, CACM), records of ``.I id`` followed by
    ``.T`` title, ``.A`` authors, ``.B`` source, ``.W`` text, ``.X`` references..., with
    CRLF or LF line ends.

Quirks handled here, once, so that metrics see clean judgments:

- Cranfield's queries carry ``.I`` numbers that skip (1, 2, 4, 8, ...) while its
  judgments number them 1..225 by position.  Whichever numbering matches more of the
  judged query ids is used, so collections whose ``.I`` numbers are the judged ids keep
  them.
- Cranfield grades on Cleverdon's scale, 1 (a complete answer) to 4 (of minimum
  interest), and -1 for not relevant (``cranqrel.readme``).  Grades become nDCG gains
  ``5 - grade`` (4 for a complete answer ... 1), and -1 becomes 0: judged, not relevant.
- ``X.REL`` files come as ``query doc 0 0.0`` (CISI, CACM) or TREC's
  ``query 0 doc relevance`` (MED); both are read, every listed pair counting as relevant.
- Ids are compared as written, except that SMART's numeric ids drop leading zeros.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Literal, get_args

import attrs

from ..errors import CollectionError

__all__ = [
    "FORMATS",
    "Collection",
    "CollectionDocument",
    "Format",
    "detect_format",
    "read_beir",
    "read_collection",
    "read_smart",
]

Format = Literal["auto", "beir", "smart"]
FORMATS: tuple[str, ...] = get_args(Format)

# query id -> document id -> graded relevance (0 = judged not relevant)
Qrels = Mapping[str, Mapping[str, int]]


@attrs.frozen
class CollectionDocument:
    """One document of a test collection, as the collection gives it."""

    id: str
    title: str
    text: str
    author: str | None = None


@attrs.frozen
class Collection:
    """A test collection: documents, queries and relevance judgments for one split.

    ``queries`` holds every query the collection has text for; ``qrels`` maps query id
    to document id to grade, 0 meaning judged not relevant.
    """

    name: str
    format: str
    documents: tuple[CollectionDocument, ...]
    queries: Mapping[str, str]
    qrels: Qrels
    split: str = "test"
    # Ids the documents file repeats; the first document of each id is kept.
    duplicates: tuple[str, ...] = ()

    def judged_queries(self) -> list[str]:
        """Ids of the queries to evaluate: those with text and at least one relevant
        document, in the collection's query order."""
        return [q for q in self.queries if any(g > 0 for g in self.qrels.get(q, {}).values())]


def detect_format(path: str | Path) -> Literal["beir", "smart"]:
    """``beir`` or ``smart`` from the file names in the folder ``path``."""
    root = Path(path)
    if not root.is_dir():
        raise CollectionError(root, "is not a folder; give the folder that holds the collection")
    if (root / "corpus.jsonl").is_file():
        return "beir"
    if _smart_files(root) is not None:
        return "smart"
    raise CollectionError(
        root,
        "no test collection found: expected corpus.jsonl, queries.jsonl and qrels/ (BEIR), "
        "or cran.all.1400, cran.qry and cranqrel, or X.ALL, X.QRY and X.REL (SMART)",
    )


def read_collection(
    path: str | Path, *, format: Format = "auto", split: str = "test"
) -> Collection:
    """Read the collection in folder ``path``; ``format="auto"`` tells the kind by its files.

    ``split`` names the BEIR judgments file (``qrels/<split>.tsv``); SMART collections
    have one set of judgments and ignore it.
    """
    if format not in FORMATS:
        raise CollectionError(path, f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    kind = detect_format(path) if format == "auto" else format
    return read_beir(path, split=split) if kind == "beir" else read_smart(path)


# -- BEIR --------------------------------------------------------------------------------


def read_beir(path: str | Path, *, split: str = "test") -> Collection:
    """Read a BEIR folder: ``corpus.jsonl``, ``queries.jsonl``, ``qrels/<split>.tsv``."""
    root = Path(path)
    corpus, queries_file = root / "corpus.jsonl", root / "queries.jsonl"
    qrels_file = root / "qrels" / f"{split}.tsv"
    for f in (corpus, queries_file, qrels_file):
        if not f.is_file():
            raise CollectionError(root, f"missing {f.relative_to(root)} (a BEIR folder needs it)")
    documents, duplicates = _first_of_each(
        CollectionDocument(
            id=str(rec["_id"]), title=str(rec.get("title") or ""), text=str(rec.get("text") or "")
        )
        for rec in _jsonl(corpus)
    )
    queries = {str(rec["_id"]): str(rec.get("text") or "") for rec in _jsonl(queries_file)}
    qrels: dict[str, dict[str, int]] = {}
    for n, line in enumerate(_text(qrels_file).splitlines(), 1):
        cols = line.split("\t") if "\t" in line else line.split()
        if not cols or not line.strip():
            continue
        if n == 1 and not _is_int(cols[-1]):
            continue  # the header
        if len(cols) < 3 or not _is_int(cols[-1]):
            raise CollectionError(qrels_file, f"line {n}: expected query-id, corpus-id, score")
        qrels.setdefault(cols[0], {})[cols[1]] = max(0, int(cols[-1]))
    return Collection(root.name, "beir", documents, queries, qrels, split, duplicates)


def _jsonl(path: Path) -> Iterator[dict[str, object]]:
    for n, line in enumerate(_text(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError as exc:
            raise CollectionError(path, f"line {n} is not JSON: {exc}") from None
        if not isinstance(rec, dict) or "_id" not in rec:
            raise CollectionError(path, f"line {n}: expected an object with an _id")
        yield rec


# -- SMART -------------------------------------------------------------------------------

_MARKER = re.compile(r"^\.([A-Z])(?:\s+(.*?))?\s*$")


def _smart_files(root: Path) -> tuple[Path, Path, Path] | None:
    """The (documents, queries, judgments) files of a SMART collection in ``root``."""
    names = {p.name.lower(): p for p in root.iterdir() if p.is_file()}
    if {"cran.all.1400", "cran.qry", "cranqrel"} <= names.keys():
        return names["cran.all.1400"], names["cran.qry"], names["cranqrel"]
    for name, p in sorted(names.items()):
        if name.endswith(".all"):
            stem = name[: -len(".all")]
            if f"{stem}.qry" in names and f"{stem}.rel" in names:
                return p, names[f"{stem}.qry"], names[f"{stem}.rel"]
    return None


def read_smart(path: str | Path) -> Collection:
    """Read a SMART collection folder (Cranfield, CISI, MED, CACM layouts)."""
    root = Path(path)
    files = _smart_files(root) if root.is_dir() else None
    if files is None:
        raise CollectionError(
            root,
            "no SMART collection: expected cran.all.1400/cran.qry/cranqrel or X.ALL/X.QRY/X.REL",
        )
    docs_file, queries_file, rel_file = files
    documents, duplicates = _first_of_each(
        CollectionDocument(
            id=rid,
            title=_one_line(rec.get("T", "")),
            text=rec.get("W", "").strip("\n"),
            author=_one_line(rec.get("A", "")) or None,
        )
        for rid, rec in _records(docs_file)
    )
    cranfield = rel_file.name.lower() == "cranqrel"
    qrels = _smart_qrels(rel_file, cranfield)
    records = [(rid, _one_line(rec.get("W", ""))) for rid, rec in _records(queries_file)]
    by_id = {rid: text for rid, text in records}
    by_position = {str(n): text for n, (_, text) in enumerate(records, 1)}
    judged = set(qrels)
    queries = (
        by_position if len(judged & by_position.keys()) > len(judged & by_id.keys()) else by_id
    )
    return Collection(root.name, "smart", documents, queries, qrels, "test", duplicates)


def _first_of_each(
    documents: Iterable[CollectionDocument],
) -> tuple[tuple[CollectionDocument, ...], tuple[str, ...]]:
    """The first document of each id, and the ids seen again (once each, in order).

    Indexed under one id, a later document would silently replace an earlier one.
    """
    kept: dict[str, CollectionDocument] = {}
    repeated: dict[str, None] = {}
    for doc in documents:
        if doc.id in kept:
            repeated[doc.id] = None
        else:
            kept[doc.id] = doc
    return tuple(kept.values()), tuple(repeated)


def _records(path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """``(id, {field letter: text})`` for each ``.I`` record; repeated fields are joined."""
    rid: str | None = None
    fields: dict[str, list[str]] = {}
    current: str | None = None
    for line in _text(path).splitlines():
        m = _MARKER.match(line)
        if m:
            letter, value = m.group(1), m.group(2)
            if letter == "I":
                if rid is not None:
                    yield rid, {k: "\n".join(v) for k, v in fields.items()}
                if not value:
                    raise CollectionError(path, "a .I line without an id")
                rid, fields, current = _smart_id(value), {}, None
            else:
                current = letter
                fields.setdefault(letter, [])
                if value:
                    fields[letter].append(value)
        elif current is not None:
            fields[current].append(line)
    if rid is not None:
        yield rid, {k: "\n".join(v) for k, v in fields.items()}


def _smart_qrels(path: Path, cranfield: bool) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    for n, line in enumerate(_text(path).splitlines(), 1):
        cols = line.split()
        if not cols:
            continue
        if len(cols) < 2 or not all(_is_int(c) for c in cols[:2]):
            raise CollectionError(path, f"line {n}: expected a query id and a document id")
        if len(cols) == 4 and cols[1] == "0" and _is_int(cols[3]):  # TREC: q 0 doc rel
            query, doc, grade = cols[0], cols[2], int(cols[3])
        elif len(cols) == 3 and _is_int(cols[2]):  # Cranfield: q doc grade
            query, doc, grade = cols[0], cols[1], int(cols[2])
            if cranfield:
                grade = 5 - grade if 1 <= grade <= 4 else 0
        else:  # CISI, CACM: q doc 0 0.0, every pair relevant
            query, doc, grade = cols[0], cols[1], 1
        qrels.setdefault(_smart_id(query), {})[_smart_id(doc)] = max(0, grade)
    return qrels


def _smart_id(value: str) -> str:
    value = value.strip()
    return str(int(value)) if value.isascii() and value.isdigit() else value


def _one_line(text: str) -> str:
    return " ".join(text.split())


# -- shared ------------------------------------------------------------------------------


def _text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CollectionError(path, f"cannot read: {exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _is_int(value: str) -> bool:
    return value.isascii() and value.lstrip("-").isdigit()
