"""Where an index's bytes go: per file kind, per field, per stored field.

    python benchmarks/disk.py INDEX [--positions] [--json out.json]
    python benchmarks/disk.py --build DIR [--limit N] [--positions]

Reads a searchkit index's data folder (the ``whoosh-N`` folder ``searchkit.json`` names)
and prints, in MiB and as a share of the whole folder:

- each segment file's parts (Whoosh keeps a segment in one compound ``.seg`` file): the
  postings (``.pst``), split by field; the term tables (``.trm``), split by field; the
  stored records (the ``_stored`` column), with an estimate of each stored field's share
  (the size of its values as JSON, before compression); the other columns (field lengths,
  sortable fields);
- the files searchkit keeps beside the segments: the column caches (``.skcol``, by
  field) and the paragraph vectors (``.skvec``, with ``searchkit[semantic]``);
- with ``--positions``, how much of each positional field's postings is positions (each
  block decoded: slow, a minute for all of Reuters).

``--build DIR`` first indexes all of Reuters-21578 (or its first ``--limit`` articles)
into ``DIR`` and answers ``scale.py``'s 191 title queries twice, so the column caches a
searching process writes are there, as in ``scale.py``'s disk figure.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import pickle
import struct
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import _common as c

MIB = 1024 * 1024
_INFO_SIZE = struct.calcsize("!BfIBBfII")  # W3TermInfo's fixed part


def data_folder(index: Path) -> Path:
    settings = json.loads((index / "searchkit.json").read_text())
    for key in ("data", "data_dir", "folder"):
        if key in settings:
            return index / settings[key]
    found = sorted(index.glob("whoosh-*"))
    if not found:
        raise SystemExit(f"{index}: no whoosh-N data folder")
    return found[-1]


def build(folder: Path, limit: int | None) -> None:
    import _reuters

    import searchkit

    root = c.data_root(None) / "reuters21578"
    c.require(root, "Reuters-21578")
    start = time.perf_counter()
    paragraphs = 0

    def stream() -> Any:
        nonlocal paragraphs
        for doc in _reuters.documents(root, limit):
            paragraphs += len(doc.paragraphs)
            yield doc

    with searchkit.Index.create(folder) as index:
        index.add_documents(stream())
    took = time.perf_counter() - start
    print(f"indexed {paragraphs:,} paragraphs in {took:.1f} s ({paragraphs / took:,.0f}/s)")
    queries = _reuters.titles(root)
    index = searchkit.Index.open(folder)
    for _ in range(2):
        for q in queries:
            with contextlib.suppress(searchkit.QueryError):
                index.search(q, limit=10)
    index.close()


def segment_parts(seg: Path) -> dict[str, int]:
    """The sub-files of a compound segment file and their sizes."""
    with seg.open("rb") as f:
        diroffset = struct.unpack(">q", f.read(8))[0]
        f.seek(diroffset)
        directory = pickle.load(f)
    return {name: int(info["length"]) for name, info in directory.items()}


def field_postings(
    folder: Path, positions: bool
) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """Bytes of postings, of term-table entries and (with ``positions``) of encoded
    positions, per field, over every segment."""
    from whoosh.index import open_dir

    from searchkit.schema import build_schema

    posts: Counter[str] = Counter()
    terms: Counter[str] = Counter()
    pos: Counter[str] = Counter()
    ix = open_dir(str(folder), schema=build_schema())
    with ix.reader() as reader:
        leaves = [r for r, _ in reader.leaf_readers()] if not reader.is_atomic() else [reader]
        for leaf in leaves:
            tr = leaf._terms
            unmap = tr._fieldunmap
            postfile = tr._postfile
            for key, value in tr._tindex.items():
                field = unmap[struct.unpack(">H", key[:2])[0]]
                terms[field] += 8 + len(key) + len(value)
                if value[0]:  # postings inlined in the term table
                    continue
                offset, length = struct.unpack(">qi", value[_INFO_SIZE : _INFO_SIZE + 12])
                posts[field] += length
                if positions:
                    pos[field] += _positions_bytes(postfile, offset, length)
    return posts, terms, pos


def _positions_bytes(postfile: Any, offset: int, length: int) -> int:
    """The bytes of encoded positions in one term's posting blocks."""
    import zlib

    raw = postfile.get(offset, length)
    at, total = 4, 0  # after the W3 header magic
    while at < len(raw):
        size = struct.unpack(">i", raw[at : at + 4])[0]
        at += 4
        block = raw[at : at + abs(size)]
        f = io.BytesIO(block)
        header = pickle.load(f)
        data = block[f.tell() :]
        if header[3]:
            data = zlib.decompress(data)
        ids, weights, values = pickle.loads(data)
        if values:  # what the block would lose without them, as pickled (shared ones once)
            total += len(data) - len(pickle.dumps((ids, weights, ()), 3))
        at += abs(size)
        if size < 0:
            break
    return total


def stored_fields(index: Path) -> Counter[str]:
    """Per stored field: the bytes of its values as a record's JSON holds them (key
    included), uncompressed.  Read through searchkit, which reads its records (JSON in
    blocks, not Whoosh's pickles)."""
    import searchkit
    from searchkit import _records

    out: Counter[str] = Counter()
    with searchkit.Index.open(index) as ix:
        for fields in ix._reader().all_stored_fields():
            for k, v in fields.items():
                out[k] += len(_records.encode({k: v})) - 1  # its comma, not the braces
    return out


def breakdown(index: Path, positions: bool) -> dict[str, Any]:
    folder = data_folder(index)
    total = c.dir_size(folder)
    kinds: Counter[str] = Counter()
    caches: Counter[str] = Counter()
    columns: Counter[str] = Counter()
    for path in folder.iterdir():
        size = path.stat().st_size if path.is_file() else c.dir_size(path)
        if path.suffix == ".seg":
            for name, length in segment_parts(path).items():
                ext = name.rsplit(".", 1)[-1]
                if ext == "col":
                    columns[name.split(".", 1)[1].rsplit(".", 1)[0]] += length
                    kinds["columns" if ".col" in name and "_stored" not in name else "stored"] += (
                        length
                    )
                else:
                    kinds[{"pst": "postings", "trm": "term tables"}.get(ext, ext)] += length
            kinds["segment file overhead"] += size - sum(segment_parts(path).values())
        elif path.suffix == ".skcol":
            caches[path.name.split(".")[1]] += size
            kinds["column caches"] += size
        elif path.suffix == ".skvec":
            kinds["vectors"] += size
        else:
            kinds["other"] += size
    posts, terms, pos = field_postings(folder, positions)
    stored = stored_fields(index)
    return {
        "folder": str(folder),
        "total": total,
        "kinds": dict(kinds),
        "postings by field": dict(posts),
        "positions by field": dict(pos),
        "term tables by field": dict(terms),
        "columns": dict(columns),
        "column caches by field": dict(caches),
        "stored fields (JSON, uncompressed)": dict(stored),
    }


def show(report: dict[str, Any]) -> None:
    total = report["total"]
    print(f"{report['folder']}: {total / MIB:.1f} MiB")
    for title, key in (
        ("by kind", "kinds"),
        ("postings by field", "postings by field"),
        ("positions by field (inside the postings)", "positions by field"),
        ("term tables by field", "term tables by field"),
        ("columns (stored records are _stored)", "columns"),
        ("column caches by field", "column caches by field"),
        ("stored fields, as JSON and uncompressed", "stored fields (JSON, uncompressed)"),
    ):
        items = report[key]
        if not items:
            continue
        print(f"\n{title}:")
        for name, size in sorted(items.items(), key=lambda kv: -kv[1]):
            if size >= 0.001 * total:
                print(f"  {name:<28} {size / MIB:8.2f} MiB  {100 * size / total:5.1f}%")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("index", nargs="?", help="a searchkit index folder")
    p.add_argument("--build", metavar="DIR", help="index Reuters-21578 into DIR first")
    p.add_argument("--limit", type=int, default=None, help="articles to index with --build")
    p.add_argument("--positions", action="store_true", help="measure positions in postings")
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    if args.build:
        build(Path(args.build), args.limit)
        index = Path(args.build)
    elif args.index:
        index = Path(args.index)
    else:
        p.error("give an index folder or --build DIR")
    report = breakdown(index, args.positions)
    show(report)
    c.write_json(args.json, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
