"""Run by tests as a separate process: index folders into an index, in small batches.

usage: python -m tests._writer INDEX BATCH_SIZE [--rebuild] PATH...
"""

from __future__ import annotations

import sys

import searchkit


def main(argv: list[str]) -> None:
    index_path, batch, *rest = argv
    rebuild = "--rebuild" in rest
    paths = [p for p in rest if p != "--rebuild"]
    ix = (
        searchkit.Index.open(index_path)
        if searchkit.Index.exists(index_path)
        else searchkit.Index.create(index_path)
    )
    with ix:
        print("ready", flush=True)
        if rebuild:
            ix.rebuild(*paths, batch_size=int(batch), confirm=True)
        else:
            ix.add(*paths, batch_size=int(batch))
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
