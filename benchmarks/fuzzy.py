"""Fuzzy terms and wildcards: words found in the column tables against Whoosh's walk.

    python benchmarks/fuzzy.py [--docs N] [--every 200] [--index DIR] [--json FILE]

Indexes Reuters-21578 (all of it by default, or the first ``--docs`` articles; or opens
``--index`` if it holds an index already), then, in one process, runs the same queries
two ways, taking turns query by query: as searchkit runs them (a fuzzy term's, a
wildcard's and a prefix's words found in the body field's column table, ``_lexicon.py``),
and with the tables hidden, so that each segment's term file is walked as Whoosh walks it
(the way before 2026-12-08).  Prints the median and slowest milliseconds a query of each
kind for both, their ratio, and the matches each way found (a fuzzy term at two edits may
find more through the tables: words two swaps away, which the walk missed).

The queries, from every 200th title (``--every``): its longest word with two neighbouring
letters swapped, as ``word~`` and ``word~2``; the word with two swaps as ``word~2``; the
word's last four letters after a ``*``; its first four before one.

Skips cleanly, with a message, when the data is not on this machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import _common as c
import _reuters


def swapped(word: str, at: int) -> str:
    """``word`` with its letters ``at`` and ``at + 1`` swapped."""
    return word[:at] + word[at + 1] + word[at] + word[at + 2 :]


def queries(root: Path, every: int) -> dict[str, list[str]]:
    kinds: dict[str, list[str]] = {"word~": [], "word~2": [], "two swaps~2": []}
    kinds.update({"*suffix": [], "prefix*": []})
    for title in _reuters.titles(root, every):
        words = sorted((w.lower() for w in c.words(title) if w.isalpha()), key=len)
        if not words or len(words[-1]) < 6:
            continue
        w = words[-1]
        kinds["word~"].append(swapped(w, 2) + "~")
        kinds["word~2"].append(swapped(w, 2) + "~2")
        kinds["two swaps~2"].append(swapped(swapped(w, 1), 4) + "~2")
        kinds["*suffix"].append("*" + w[-4:])
        kinds["prefix*"].append(w[:4] + "*")
    return kinds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _reuters.index_arguments(ap, docs=None)
    ap.set_defaults(every=200)
    args = ap.parse_args(argv)
    root = c.data_root(args.data) / "reuters21578"
    c.require(root, "Reuters-21578")

    import searchkit
    from searchkit import _lexicon

    work = _reuters.index_at(args.index, root, args.docs)
    tables = _lexicon.existing

    def hidden(*_args: Any) -> None:
        return None

    rows: list[dict[str, Any]] = []
    with searchkit.Index.open(work) as ix:
        for kind, texts in queries(root, args.every).items():
            times: dict[str, list[float]] = {"tables": [], "walk": []}
            matches = {"tables": 0, "walk": 0}
            for text in texts:
                for way in ("tables", "walk"):
                    _lexicon.existing = tables if way == "tables" else hidden  # type: ignore[assignment]
                    ix.search(text)  # the first run opens what the query reads
                    start = time.perf_counter()
                    found = ix.search(text)
                    times[way].append((time.perf_counter() - start) * 1000)
                    matches[way] += found.paragraphs
            _lexicon.existing = tables
            row: dict[str, Any] = {"kind": kind, "queries": len(texts)}
            for way in ("tables", "walk"):
                row[f"{way}_p50"] = statistics.median(times[way])
                row[f"{way}_max"] = max(times[way])
                row[f"{way}_matches"] = matches[way]
            row["speedup"] = c.ratio(row["walk_p50"], row["tables_p50"])
            rows.append(row)
    print(f"Reuters-21578, {args.docs or 'all'} articles; ms a query (one run after a first)")
    columns = [("kind", "kind"), ("queries", "queries")]
    columns += [("tables_p50", "tables p50"), ("tables_max", "tables max")]
    columns += [("walk_p50", "walk p50"), ("walk_max", "walk max"), ("speedup", "p50 walk/tables")]
    columns += [("tables_matches", "matches (tables)"), ("walk_matches", "matches (walk)")]
    print(c.table(rows, columns))
    c.write_json(args.json, {"machine": c.machine(), "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
