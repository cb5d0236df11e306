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

Then how well a fuzzy term finds the word meant: each word of six letters or more of
every 50th title (a word whose stem is in 5 paragraphs or more) with its third and fourth
letters swapped, searched as ``typo~`` (a flat list of paragraphs), and the share of the
ten best paragraphs holding the word's stem (and the reciprocal rank of the first), with
the variants weighed as searchkit weighs them (the idf of the most common word the term
stands for, times likeness: Lucene's way) and, as the baseline in the same run, each by
its own idf (the way before 2026-12-08).

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


def ranking(ix: Any, root: Path) -> list[dict[str, Any]]:
    """Precision@10 and MRR of the word meant by ``typo~``, both ways (see above)."""
    from searchkit import typos
    from searchkit.analysis import text_analyzer

    analyse = text_analyzer()

    def stems(text: str) -> set[str]:
        return {t.text for t in analyse(text)}

    searcher = ix._reader()
    typed: dict[str, str] = {}
    for title in _reuters.titles(root, 50):
        for word in (w.lower() for w in c.words(title)):
            if len(word) < 6 or not word.isalpha() or word in typed:
                continue
            stem = stems(word)
            typo = word[:2] + word[3] + word[2] + word[4:]
            if len(stem) == 1 and stems(typo) != stem:
                (only,) = stem
                if searcher.doc_frequency("body", only) >= 5:
                    typed[word] = typo
    own = typos._variant_boosts
    out = []
    for way in ("the most common word's idf, likeness", "each its own idf"):
        if way == "each its own idf":
            typos._variant_boosts = lambda _s, _q, variants, _e: dict.fromkeys(variants, 1.0)  # type: ignore[assignment]
        precision, reciprocal = [], []
        for word, typo in typed.items():
            (stem,) = stems(word)
            hits = ix.search(typo + "~", limit=10, collapse="none", highlight=False)
            good = [stem in stems(f"{h.title} {h.text}") for h in hits]
            precision.append(sum(good) / 10)
            reciprocal.append(next((1 / (i + 1) for i, g in enumerate(good) if g), 0.0))
        typos._variant_boosts = own
        out.append(
            {
                "way": way,
                "typos": len(typed),
                "precision": statistics.mean(precision),
                "mrr": statistics.mean(reciprocal),
            }
        )
    return out


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
        meant = ranking(ix, root)
    print(f"Reuters-21578, {args.docs or 'all'} articles; ms a query (one run after a first)")
    columns = [("kind", "kind"), ("queries", "queries")]
    columns += [("tables_p50", "tables p50"), ("tables_max", "tables max")]
    columns += [("walk_p50", "walk p50"), ("walk_max", "walk max"), ("speedup", "p50 walk/tables")]
    columns += [("tables_matches", "matches (tables)"), ("walk_matches", "matches (walk)")]
    print(c.table(rows, columns))
    print(f"\nThe word meant, over {meant[0]['typos']} typos (``typo~``, ten best paragraphs):")
    weighed = [("way", "variants weighed"), ("precision", "precision@10"), ("mrr", "MRR")]
    print(c.table(meant, weighed))
    c.write_json(args.json, {"machine": c.machine(), "rows": rows, "meant": meant})
    return 0


if __name__ == "__main__":
    sys.exit(main())
