"""A real folder of short pages: does an everyday question find its page in the top 3?

Builds (seeded, the same every run) a folder of command-reference pages written the way
tldr-pages writes them: a ``# title``, a one-line ``>`` summary, a ``More information:
<https://...>.`` line, then pairs of a ``- description:`` line and an example line in a
code span, with ``{{placeholders}}`` and bracket mnemonics (``E[x]tract``, ``[l]ist``).
Pages sit in ``common/``, ``linux/`` and ``osx/``; some names exist in two folders
(``linux/kill.md`` and ``osx/kill.md``).  About sixty pages describe real commands (in
this project's own words, in ``realfolder_pages.txt``); the rest (2,400 by default) are made-up
tools written from the same patterns and words, so the right page must win against many
pages that share its vocabulary.

The questions (:data:`QUESTIONS`) are what people type into a search box, each with the
page or pages that answer it.  The index is built with the defaults a new user gets
(``Index.create(path)``, languages detected) and every question runs as a plain
``search``.  Reported, per question kind and overall:

- ``hits``: the hits as shown (the first ten, in the default order: one hit per page
  since issue 23; every paragraph a hit with ``--flat``): a right page among the first
  1 or 3 hits, and the reciprocal rank of the first right hit (MRR@10);
- ``pages``: the same hits read as a list of pages (each page at its best hit's place,
  over the first 100 hits), as a grouped view would show them.

Kinds: ``plain`` questions; ``typo`` questions with a misspelled word (did-you-mean and
auto-correction); ``platform`` questions naming macOS or Linux, whose right page is the
one in that folder (where a hit came from).

    python benchmarks/realfolder.py [--pages 2400] [--seed 23] [--json FILE] [--show N]
        [--group | --flat]

Run it against another checkout with ``PYTHONPATH=/path/to/checkout``.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import searchkit

# -- the real pages ------------------------------------------------------------------------

PAGES_FILE = Path(__file__).resolve().parent / "realfolder_pages.txt"


def real_pages() -> dict[str, str]:
    """``folder/name`` -> the page's Markdown, from :data:`PAGES_FILE`."""
    pages: dict[str, str] = {}
    name = None
    for line in PAGES_FILE.read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith("=== "):
            name = line[4:].strip()
            pages[name] = ""
        elif name is not None:
            pages[name] += line
    return {n: text.strip("\n") + "\n" for n, text in pages.items()}


# The questions: (kind, question, right pages as folder/name).
QUESTIONS: list[tuple[str, str, tuple[str, ...]]] = [
    ("plain", "extract a tar archive", ("common/tar",)),
    ("plain", "extract a tar.gz file into a directory", ("common/tar",)),
    ("plain", "create a gzipped tarball", ("common/tar",)),
    ("plain", "list open ports", ("common/netstat", "common/lsof", "linux/ss")),
    ("plain", "which process is using a port", ("common/lsof", "common/netstat", "linux/ss")),
    ("plain", "set environment variable", ("common/export", "common/env")),
    ("plain", "kill a process by name", ("common/pkill", "common/killall")),
    ("plain", "find files by name", ("common/find",)),
    ("plain", "change file permissions", ("common/chmod",)),
    ("plain", "make a script executable", ("common/chmod",)),
    ("plain", "change the owner of a file", ("common/chown",)),
    ("plain", "create a symbolic link", ("common/ln",)),
    ("plain", "create nested directories", ("common/mkdir",)),
    ("plain", "delete a folder recursively", ("common/rm",)),
    ("plain", "how much disk space is free", ("common/df",)),
    ("plain", "size of a directory", ("common/du",)),
    ("plain", "download a file from a url", ("common/curl", "common/wget")),
    ("plain", "resume an interrupted download", ("common/wget",)),
    ("plain", "copy files to a remote server", ("common/scp", "common/rsync")),
    ("plain", "generate an ssh key", ("common/ssh-keygen",)),
    ("plain", "list running processes", ("common/ps", "common/top")),
    ("plain", "search text in files recursively", ("common/grep",)),
    ("plain", "replace a string in a file", ("common/sed",)),
    ("plain", "count lines in a file", ("common/wc",)),
    ("plain", "remove duplicate lines", ("common/uniq",)),
    ("plain", "sort numbers in a file", ("common/sort",)),
    ("plain", "follow a log file", ("common/tail",)),
    ("plain", "schedule a job every day", ("common/crontab",)),
    ("plain", "restart a service", ("linux/systemctl", "osx/launchctl")),
    ("plain", "undo the last git commit", ("common/git-reset",)),
    ("plain", "list docker containers", ("common/docker-ps",)),
    ("plain", "show network interfaces", ("linux/ip", "osx/ifconfig")),
    ("plain", "check if a host is reachable", ("common/ping",)),
    ("plain", "unzip to a folder", ("common/unzip",)),
    ("plain", "compare two files", ("common/diff",)),
    ("plain", "current working directory", ("common/pwd",)),
    ("plain", "regular expression search", ("common/grep",)),
    ("plain", "show free memory", ("linux/free", "osx/vm_stat")),
    ("typo", "extarct archive", ("common/tar", "common/7z", "common/unzip")),
    ("typo", "chnage file permissions", ("common/chmod",)),
    ("typo", "dowload file from url", ("common/curl", "common/wget")),
    ("typo", "symbolic lnik", ("common/ln",)),
    ("platform", "kill process on macos", ("osx/kill",)),
    ("platform", "list signal names linux", ("linux/kill",)),
    ("platform", "current date as unix timestamp on macos", ("osx/date",)),
    ("platform", "install a package on macos", ("osx/brew",)),
    ("platform", "install a package on debian linux", ("linux/apt",)),
]

# -- the made-up pages ---------------------------------------------------------------------


def _words(text: str, sep: str | None = None) -> list[str]:
    return text.split(sep)


_SYLLABLES = _words(
    "ab ac ad ar as at ba be bi bo bu ca ce ci co cu da de di do du fa fe fi fo ga ge gi go "
    "ka ke ki ko la le li lo lu ma me mi mo mu na ne ni no nu pa pe pi po ra re ri ro ru "
    "sa se si so su ta te ti to tu va ve vi vo xa xe xi yo za ze zi zo"
)
_SUFFIXES = ["", "", "", "ctl", "d", "-cli", "tool", "x", "fs", "sh", "db", "adm", "-ng"]
_THINGS = _words(
    "archive file directory process port service container image package key user group "
    "branch commit repository snapshot volume network interface socket record table "
    "database bucket cluster node job task queue message log certificate token secret "
    "variable environment config profile device partition disk signal session window "
    "page document font theme plugin module dependency library build release tag label "
    "schedule timer alarm backup mirror route host domain zone address link stream"
)
_VERBS = _words(
    "list create delete show start stop restart update remove install export import "
    "extract compress encrypt decrypt sign verify mount unmount attach detach rename copy "
    "move sync watch print set unset enable disable inspect search filter convert merge "
    "split open close tag push pull fetch clean reset check"
)
_ADJECTIVES = _words(
    "all specific remote local running stopped current default new old given hidden "
    "compressed encrypted available installed failed active inactive temporary"
)
_DOMAINS = _words(
    "Kubernetes clusters|cloud storage|virtual machines|the Git history|PDF documents|"
    "audio files|video streams|DNS zones|TLS certificates|container images|Python projects|"
    "Node.js packages|SQL databases|mail queues|system logs|network traffic|Bluetooth devices|"
    "disk partitions|backups|music libraries|e-books|web servers|firewall rules|DHCP leases|"
    "printers|USB devices|cron schedules|user accounts|SSH agents|source code",
    "|",
)
_HOSTS = [
    "github.com/{n}/{n}",
    "manned.org/{n}",
    "{n}.readthedocs.io",
    "docs.{n}.dev",
    "man.archlinux.org/man/{n}.1",
]


def _mnemonic(word: str, rng: random.Random) -> str:
    """``word`` with one letter in brackets, as tldr pages mark a short option."""
    if len(word) < 3 or rng.random() < 0.55:
        return word
    i = rng.randrange(len(word))
    return f"{word[:i]}[{word[i]}]{word[i + 1 :]}"


def _made_up_page(rng: random.Random, name: str) -> tuple[str, str, str, list[tuple[str, str]]]:
    domain = rng.choice(_DOMAINS)
    things = rng.sample(_THINGS, 4)
    summary = rng.choice(
        [
            f"Manage {things[0]}s of {domain}.",
            f"Command-line client for {domain}.",
            f"Inspect and {rng.choice(_VERBS)} {things[0]}s in {domain}.",
            f"A tool to {rng.choice(_VERBS)} {things[0]}s and {things[1]}s.",
            f"Utility to {rng.choice(_VERBS)} {domain} from the terminal.",
        ]
    )
    if rng.random() < 0.25:
        summary += "|" + rng.choice(
            [
                f"Some subcommands such as `{rng.choice(_VERBS)}` have their own usage "
                "documentation.",
                f"See also: `{rng.choice(_SYLLABLES)}{rng.choice(_SYLLABLES)}`.",
                f"Part of the {rng.choice(_SYLLABLES).upper()} suite.",
            ]
        )
    url = "https://" + rng.choice(_HOSTS).format(n=name.split("-")[0])
    examples: list[tuple[str, str]] = []
    for _ in range(rng.randint(3, 8)):
        verb, thing = rng.choice(_VERBS), rng.choice(things)
        adjective = rng.choice(_ADJECTIVES)
        description = rng.choice(
            [
                f"{_mnemonic(verb.capitalize(), rng)} {adjective} {thing}s",
                f"{_mnemonic(verb.capitalize(), rng)} a {thing} from a {rng.choice(things)}",
                f"{_mnemonic(verb.capitalize(), rng)} the {thing} of a {rng.choice(things)} "
                f"in {rng.choice(['verbose', 'quiet', 'JSON', 'dry-run'])} mode",
                f"{_mnemonic(verb.capitalize(), rng)} {adjective} {thing}s to a "
                f"{rng.choice(things)}",
                f"Display help for a {thing} subcommand",
            ]
        )
        flag = rng.choice(
            ["", "", f" --{adjective}", f" -{verb[0]}", f" {{{{-{verb[0]}|--{verb}}}}}"]
        )
        argument = rng.choice(
            [
                f" {{{{path/to/{thing}}}}}",
                f" {{{{{thing}_name}}}}",
                f" {{{{{thing}1 {thing}2 ...}}}}",
                f" {{{{path/to/{thing}}}}} {{{{path/to/{rng.choice(things)}}}}}",
                "",
            ]
        )
        examples.append((description, f"{name} {verb}{flag}{argument}"))
    return name, summary, url, examples


def _render(name: str, summary: str, url: str, examples: list[tuple[str, str]]) -> str:
    lines = [f"# {name}", ""]
    lines += [f"> {line}" for line in summary.split("|")]
    lines += [f"> More information: <{url}>.", ""]
    for description, command in examples:
        lines += [f"- {description}:", "", f"`{command}`", ""]
    return "\n".join(lines)


def build_folder(root: Path, made_up: int, seed: int) -> int:
    """Write the pages under ``root``; return how many."""
    rng = random.Random(seed)
    written: set[str] = set()
    for page, text in real_pages().items():
        folder = root / page.split("/")[0]
        folder.mkdir(parents=True, exist_ok=True)
        (root / f"{page}.md").write_text(text, encoding="utf-8")
        written.add(page)
    taken = {page.split("/")[1] for page in written}
    folders = ["common"] * 7 + ["linux"] * 2 + ["osx"]
    count = 0
    while count < made_up:
        name = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3)))
        name += rng.choice(_SUFFIXES)
        if rng.random() < 0.2:
            name += "-" + rng.choice(_VERBS)
        folder = rng.choice(folders)
        if f"{folder}/{name}" in written:
            continue
        if name in taken and rng.random() < 0.8:
            continue  # some names, not many, in two folders
        (root / folder).mkdir(parents=True, exist_ok=True)
        page = _made_up_page(rng, name)
        (root / folder / f"{name}.md").write_text(_render(*page), encoding="utf-8")
        written.add(f"{folder}/{name}")
        taken.add(name)
        count += 1
    return len(written)


# -- measuring -------------------------------------------------------------------------


def _page_of(path: str, root: Path) -> str:
    rel = Path(path).resolve().relative_to(root.resolve())
    return str(rel.with_suffix(""))


def measure(
    index: searchkit.Index, root: Path, show: int = 0, group: bool = False, flat: bool = False
) -> dict[str, object]:
    # Only asked when --flat is given, so that the script also runs on a checkout from
    # before ``collapse`` (whose plain search is the flat order).
    shape: dict[str, Any] = {"collapse": "none"} if flat else {}
    rows = []
    for kind, question, right in QUESTIONS:
        hits = index.search(question, limit=100, group=group, **shape).hits
        pages = [_page_of(h.path, root) for h in hits]
        hit_rank = next((i for i, p in enumerate(pages[:10], 1) if p in right), None)
        distinct = list(dict.fromkeys(pages))
        page_rank = next((i for i, p in enumerate(distinct[:10], 1) if p in right), None)
        rows.append((kind, question, hit_rank, page_rank, pages[:3]))
    out: dict[str, object] = {}
    for kind in ["all", *dict.fromkeys(k for k, *_ in QUESTIONS)]:
        chosen = [r for r in rows if kind in ("all", r[0])]
        n = len(chosen)
        figures: dict[str, object] = {"questions": n}
        for label, at in (("hits", 2), ("pages", 3)):
            ranks = [r[at] for r in chosen]
            figures[label] = {
                "top1": sum(1 for r in ranks if r == 1) / n,
                "top3": sum(1 for r in ranks if r is not None and r <= 3) / n,
                "mrr10": sum(1 / r for r in ranks if r is not None) / n,
            }
        out[kind] = figures
    out["per_question"] = [
        {"kind": k, "question": q, "hit_rank": h, "page_rank": p, "top3": top}
        for k, q, h, p, top in rows
    ]
    if show:
        for _k, q, h, p, top in rows[:show]:
            print(f"  {q!r:48} hit rank {h}, page rank {p}: {', '.join(top)}")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--pages", type=int, default=2400, help="made-up pages besides the real ones"
    )
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--show", type=int, default=0, help="print the first N questions' ranks")
    parser.add_argument("--group", action="store_true", help="search with group=True")
    parser.add_argument("--flat", action="store_true", help="search with collapse='none'")
    args = parser.parse_args(argv)
    # A fixed place: a document's id is made from its path, and equal scores are ordered
    # by id, so the same path gives the same order every run.
    tmp = Path(tempfile.gettempdir()) / f"searchkit-realfolder-{args.seed}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        root = tmp / "pages"
        pages = build_folder(root, args.pages, args.seed)
        started = time.perf_counter()
        index = searchkit.Index.create(tmp / "index")
        report = index.add(root)
        built = time.perf_counter() - started
        figures = measure(index, root, args.show, args.group, args.flat)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    figures["pages"] = pages
    figures["paragraphs"] = report.chunks
    figures["index_seconds"] = round(built, 1)
    figures["searchkit"] = searchkit.__file__
    print(f"{pages} pages, {report.chunks} paragraphs, indexed in {built:.1f} s")
    print(f"searchkit: {searchkit.__file__}")
    print(
        f"{'questions':10} {'n':>3}  {'hits top1':>9} {'top3':>6} {'MRR@10':>7}"
        f"  {'pages top1':>10} {'top3':>6} {'MRR@10':>7}"
    )
    for kind, f in figures.items():
        if not isinstance(f, dict) or "hits" not in f:
            continue
        h, p = f["hits"], f["pages"]
        print(
            f"{kind:10} {f['questions']:>3}  {h['top1']:>9.2f} {h['top3']:>6.2f} {h['mrr10']:>7.3f}"
            f"  {p['top1']:>10.2f} {p['top3']:>6.2f} {p['mrr10']:>7.3f}"
        )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
