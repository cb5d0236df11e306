"""The writer's work counted in instructions, against another commit: a measure that noise
does not move.

    python benchmarks/instructions.py [--rows 8000] [--against REV] [--data DIR]
    python benchmarks/instructions.py --articles 3000 [--against REV]

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
not reading files, chunking or the writer processes' messages.  ``--articles N`` counts
the whole of ``Index.add_documents`` instead, over the first N Reuters articles (read
before the count; at least 1,000, so that two writer processes run): language detection,
chunking, the jobs sent to the two writer processes and everything they do, every
process summed, less what each writer inherited from its parent's count (a forked
process starts with it) and less the same over no article.
Skips cleanly when valgrind, git or the data are missing.  Takes about three minutes a
commit at the default size, six with ``--articles 3000``.
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

# Run in the counted process and its writer processes: add the first documents of
# ``docs.pkl`` (the count the second argument) to a new index.  With a third argument
# k > 0, the process ends (status 7) where it would start its k-th writer process.
_WHOLE = """
import os, pickle, sys, tempfile
from pathlib import Path
docs = pickle.load(open(sys.argv[1], "rb"))[: int(sys.argv[2])]
import searchkit
from searchkit import _mpwriter
print(searchkit.__file__)
print(os.getpid())
stop, started = int(sys.argv[3]), []
new_task = _mpwriter.MpWriter._new_task
def counted(self):
    started.append(1)
    if len(started) == stop:
        os._exit(7)
    return new_task(self)
_mpwriter.MpWriter._new_task = counted
with tempfile.TemporaryDirectory() as folder:
    with searchkit.Index.create(Path(folder) / "ix", vectors=False) as ix:
        ix.add_documents(docs)
"""
# Where a whole build stops to learn the parent's count as it starts each writer.
_STOPPED = 7
_WRITERS = 2

_COLLECTED = re.compile(rb"==(\d+)== Collected : (\d+)")


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


def counts(rows_file: Path, *args: object, source: Path, script: str) -> tuple[dict[int, int], int]:
    """Instructions of each process (by pid) of the child running ``script`` with
    ``args`` (``rows_file`` first), searchkit imported from the checkout ``source`` (run
    from another folder: ``-c`` puts the current one first); and the child's own pid."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(source)}
    child = [sys.executable, "-c", script, str(rows_file), *map(str, args)]
    out = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--trace-children=yes",
            "--callgrind-out-file=/dev/null",
            *child,
        ],
        env=env,
        cwd=rows_file.parent,
        capture_output=True,
        check=False,
    )
    stopped = script is _WHOLE and int(str(args[-1])) > 0
    if out.returncode != (_STOPPED if stopped else 0):
        raise SystemExit(f"the count's child failed:\n{out.stderr.decode()[-2000:]}")
    printed = out.stdout.decode().split()
    imported = Path(printed[0]).resolve()
    if not imported.is_relative_to(source.resolve()):
        raise SystemExit(f"the count imported {imported}, not searchkit from {source}")
    found = {int(pid): int(n) for pid, n in _COLLECTED.findall(out.stderr)}
    if not found:
        raise SystemExit(f"callgrind printed no count:\n{out.stderr.decode()[-2000:]}")
    return found, int(printed[1]) if len(printed) > 1 else min(found)


def writer_instructions(rows_file: Path, rows: int, source: Path) -> int:
    """One writer's own instructions: ``rows`` rows, less none (imports, the schema)."""
    here, none = (
        sum(counts(rows_file, n, source=source, script=_CHILD)[0].values()) for n in (rows, 0)
    )
    return here - none


def build_instructions(docs_file: Path, docs: int, source: Path) -> int:
    """``Index.add_documents``' own instructions over ``docs`` documents, every process.

    A process forked under callgrind starts with its parent's count so far, so each
    writer's count less the parent's where it started that writer (learnt by a run that
    stops there) is the writer's own; less, too, a build of no document (imports)."""
    every, _pid = counts(docs_file, docs, 0, source=source, script=_WHOLE)
    inherited = 0
    for k in range(1, _WRITERS + 1):
        stopped, parent = counts(docs_file, docs, k, source=source, script=_WHOLE)
        inherited += stopped[parent]
    none, _pid = counts(docs_file, 0, 0, source=source, script=_WHOLE)
    return sum(every.values()) - inherited - sum(none.values())


def reuters_documents(root: Path, count: int) -> list[object]:
    """The first ``count`` Reuters articles, as ``scale.py`` gives them to ``Index``."""
    import _reuters

    return list(_reuters.documents(root, count))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="shared data folder (default ../shared/data)")
    parser.add_argument("--rows", type=int, default=8000, help="Reuters paragraphs to write")
    parser.add_argument("--against", metavar="REV", help="a commit to count beside this one")
    parser.add_argument(
        "--articles", type=int, help="count all of Index.add_documents over this many articles"
    )
    args = parser.parse_args(argv)
    if args.articles is not None and args.articles < 1000:
        parser.error("--articles must be at least 1000 (a smaller batch has no writer processes)")
    root = c.data_root(args.data) / "reuters21578"
    c.require(root, "Reuters-21578")
    for tool in ("valgrind", "git") if args.against else ("valgrind",):
        if shutil.which(tool) is None:
            print(f"skipped: {tool} is not installed")
            return 0
    with tempfile.TemporaryDirectory() as work:
        rows_file = Path(work) / "rows.pkl"
        whole = args.articles is not None
        measure = build_instructions if whole else writer_instructions
        rows = reuters_documents(root, args.articles) if whole else reuters_rows(root, args.rows)
        rows_file.write_bytes(pickle.dumps(rows, pickle.HIGHEST_PROTOCOL))
        unit = "articles, every process" if whole else "paragraphs, one writer"
        here = measure(rows_file, len(rows), c.REPO)
        print(f"this checkout: {here:,} instructions for {len(rows):,} {unit}")
        if args.against:
            tree = Path(work) / "against"
            git = ["git", "-C", str(c.REPO), "worktree"]
            subprocess.run([*git, "add", "-q", "--detach", str(tree), args.against], check=True)
            try:
                there = measure(rows_file, len(rows), tree)
            finally:
                subprocess.run([*git, "remove", "--force", str(tree)], check=False)
            print(f"{args.against}: {there:,} instructions")
            print(f"this checkout / {args.against}: {here / there:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
