"""The writer's work counted in instructions, against another commit: a measure that noise
does not move.

    python benchmarks/instructions.py [--rows 8000] [--against REV] [--data DIR]

On a shared machine two runs of the same build differ by a tenth or more in seconds, as
much as most changes to the writer; the instructions a process executes (counted by
valgrind's callgrind) differ by a few tenths of a percent.  This script writes the
first ``--rows`` paragraphs of Reuters-21578 (chunked and turned into field values as
``Index.add`` does) through one ``SegmentWriter`` and commits, under callgrind; then does
the same with no rows, and reports the difference: the writer's own instructions.  With
``--against REV`` it counts that commit too (checked out in a temporary git worktree,
imported through ``PYTHONPATH``) and prints the ratio.  ``PYTHONHASHSEED=0`` in both, so
dictionaries grow the same way.

Counts the writer only (analysis, postings, stored records, column caches, the segment),
not reading files, chunking or the writer processes' messages.  Skips cleanly when
valgrind, git or the data are missing.  Takes about three minutes a commit at the
default size.
"""

from __future__ import annotations

import argparse
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import _common as c

# Run in the counted process: write the rows of ``rows.pkl`` (its first argument, the
# count its second) into a new index folder, as one segment.
_CHILD = """
import pickle, sys, tempfile
rows = pickle.load(open(sys.argv[1], "rb"))[: int(sys.argv[2])]
from whoosh import index as windex
import searchkit
from searchkit import _writer, semantic
print(searchkit.__file__)
from searchkit.schema import build_schema
semantic.available = lambda: False  # a lexical index, as the benchmarks build
with tempfile.TemporaryDirectory() as folder:
    ix = windex.create_in(folder, build_schema())
    w = _writer.SegmentWriter(ix, codec=_writer.codec(), limitmb=512)
    for fields in rows:
        w.add_document(**fields)
    w.commit()
    ix.close()
"""

_COLLECTED = re.compile(rb"Collected : (\d+)")


def reuters_rows(root: Path, count: int) -> list[dict[str, object]]:
    """The field values of the first ``count`` Reuters paragraphs, as ``Index.add`` makes
    them (language detected, chunked, the first chunk with its document's bookkeeping)."""
    import _reuters

    from searchkit.analysis.detect import with_language
    from searchkit.chunking import chunk_document
    from searchkit.schema import chunk_rows, manifest_fields

    rows: list[dict[str, object]] = []
    for doc in _reuters.documents(root):
        doc = with_language(doc, "auto")
        chunks = list(chunk_document(doc, 4000))
        rows += chunk_rows(chunks, manifest_fields(doc, len(chunks), 1, 2))
        if len(rows) >= count:
            return rows[:count]
    return rows


def count(rows_file: Path, rows: int, source: Path) -> int:
    """Instructions of the child writing ``rows`` rows, searchkit imported from the
    checkout ``source`` (run from another folder: ``-c`` puts the current one first)."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(source)}
    child = [sys.executable, "-c", _CHILD, str(rows_file), str(rows)]
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *child],
        env=env,
        cwd=rows_file.parent,
        capture_output=True,
        check=True,
    )
    imported = Path(out.stdout.decode().strip()).resolve()
    if not imported.is_relative_to(source.resolve()):
        raise SystemExit(f"the count imported {imported}, not searchkit from {source}")
    found = _COLLECTED.search(out.stderr)
    if found is None:
        raise SystemExit(f"callgrind printed no count:\n{out.stderr.decode()[-2000:]}")
    return int(found.group(1))


def writer_instructions(rows_file: Path, rows: int, source: Path) -> int:
    """The writer's own instructions: ``rows`` rows, less none (imports, the schema)."""
    return count(rows_file, rows, source) - count(rows_file, 0, source)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="shared data folder (default ../shared/data)")
    parser.add_argument("--rows", type=int, default=8000, help="Reuters paragraphs to write")
    parser.add_argument("--against", metavar="REV", help="a commit to count beside this one")
    args = parser.parse_args(argv)
    root = c.data_root(args.data) / "reuters21578"
    c.require(root, "Reuters-21578")
    for tool in ("valgrind", "git") if args.against else ("valgrind",):
        if shutil.which(tool) is None:
            print(f"skipped: {tool} is not installed")
            return 0
    with tempfile.TemporaryDirectory() as work:
        rows_file = Path(work) / "rows.pkl"
        rows = reuters_rows(root, args.rows)
        rows_file.write_bytes(pickle.dumps(rows, pickle.HIGHEST_PROTOCOL))
        here = writer_instructions(rows_file, len(rows), c.REPO)
        print(f"this checkout: {here:,} instructions for {len(rows):,} paragraphs")
        if args.against:
            tree = Path(work) / "against"
            git = ["git", "-C", str(c.REPO), "worktree"]
            subprocess.run([*git, "add", "-q", "--detach", str(tree), args.against], check=True)
            try:
                there = writer_instructions(rows_file, len(rows), tree)
            finally:
                subprocess.run([*git, "remove", "--force", str(tree)], check=False)
            print(f"{args.against}: {there:,} instructions")
            print(f"this checkout / {args.against}: {here / there:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
