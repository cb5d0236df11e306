"""Hostile inputs: how long each takes and how much memory, or how it is refused.

Each case runs in a fresh Python process that imports searchkit from ``--src`` (default:
this checkout), so the same script measures an older commit too (``git archive`` it into a
folder and pass that folder).  A case is killed after ``--cap`` seconds.  Queries run on an
index of SciFact (5,183 abstracts); loader cases write their hostile file to a temporary
folder and index it.

    python benchmarks/hostile.py                     # every case, this checkout
    python benchmarks/hostile.py --src /tmp/old --src . --json hostile.json
    python benchmarks/hostile.py --cases html_deep_10k,q_star

For every case: the seconds of the search call (or of ``Index.add`` for a file; the
process's whole run when it was killed or crashed), the peak RSS of its process (MiB,
opening the SciFact index included), and the outcome: how many hits, ``refused`` with
the error's first words, ``timed out`` (a partial result), or ``killed`` when it ran
past the cap.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import _common

_QUERY = """
import json, searchkit, sys, time
ix = searchkit.Index.open({index!r})
ix.search("warm")
start = time.perf_counter()
try:
    r = ix.search({query}, **{kwargs!r})
    out = f"{{r.total}} hits" + (", timed out" if getattr(r, "timed_out", False) else "")
except searchkit.SearchkitError as exc:
    out = "refused: " + str(exc)
print(json.dumps({{"outcome": out, "seconds": time.perf_counter() - start}}))
"""

_LOAD = """
import json, os, searchkit, time
from pathlib import Path
start = time.perf_counter()
try:
    with searchkit.Index.create({index!r}) as ix:
        report = ix.add({path!r})
    size = sum(p.stat().st_size for p in Path({index!r}).rglob("*") if p.is_file())
    skipped = f", {{len(report.skipped)}} skipped" if report.skipped else ""
    out = f"{{report.chunks}} chunks{{skipped}}, index {{size / 2**20:.1f}} MiB"
except searchkit.SearchkitError as exc:
    out = "refused: " + str(exc)
print(json.dumps({{"outcome": out, "seconds": time.perf_counter() - start}}))
"""


def _words(n: int, seed: str = "word") -> str:
    return " ".join(f"{seed}{i % 997}" for i in range(n))


def _deep_html(depth: int) -> str:
    return "<html><body>" + "<ul><li>x" * depth + "</li></ul>" * depth + "</body></html>"


def _big_title_record() -> str:
    title = _words(100_000, "title")  # about 0.8 MB
    text = "\n".join(_words(30, f"p{i}x") + "." for i in range(300))
    return json.dumps({"id": "big", "title": title, "text": text}) + "\n"


def _bigint_records() -> str:
    lines = [
        json.dumps({"id": 1, "text": "first record"}),
        '{"id": ' + "9" * 5000 + ', "text": "the hostile record"}',
        json.dumps({"id": 3, "text": "third record"}),
    ]
    return "\n".join(lines) + "\n"


# name -> (what it is, kind, argument)
CASES: dict[str, tuple[str, str, Any]] = {
    "q_wildcards": ("`*e* OR *a* OR *o* OR *i*`", "query", ("*e* OR *a* OR *o* OR *i*", {})),
    "q_fuzzy50": (
        "50 fuzzy terms `wordN~2`",
        "query",
        (" ".join(f"prote{i}n~2" for i in range(50)), {}),
    ),
    "q_context": (
        "`cell`, limit 10,000, context 50",
        "query",
        ("cell", {"limit": 10_000, "context": 50}),
    ),
    "q_1mb": ("a 1 MB query of words", "query", (_words(120_000), {})),
    "q_star": ("`*` alone", "query", ("*", {})),
    "q_fuzzy3": (
        "3 fuzzy terms, the most allowed: `prote1n~2 cell~2 protein~2`",
        "query",
        ("prote1n~2 cell~2 protein~2", {}),
    ),
    "q_all_10000": ("`*`, limit 10,000: every chunk a hit", "query", ("*", {"limit": 10_000})),
    "q_timeout": (
        "`*`, limit 10,000, timeout 0.5 s",
        "query",
        ("*", {"limit": 10_000, "timeout": 0.5}),
    ),
    "q_3star": ("`***`", "query", ("***", {})),
    "html_deep_10k": ("HTML, 10,000 nested `<ul><li>`", "load", ("deep.html", _deep_html(10_000))),
    "html_deep_20k": ("HTML, 20,000 nested `<ul><li>`", "load", ("deep.html", _deep_html(20_000))),
    "jsonl_title": (
        "JSONL, one 1 MB record: 0.8 MB title, 300 paragraphs",
        "load",
        ("big.jsonl", _big_title_record()),
    ),
    "jsonl_bigint": (
        "JSONL, a 5,000-digit id between two good records",
        "load",
        ("ids.jsonl", _bigint_records()),
    ),
    "long_line": (
        "article, one 8 MB line without a sentence end",
        "load",
        ("line.txt", "Title\n\n" + "x" * 8_000_000 + "\n"),
    ),
}


# -- hostile index files (issue 28 items 3, 4, 10) -----------------------------------------
#
# Each case builds a small index of ``seeds/``, damages one file the way a crafted index
# would, then searches it and checks it.  The child caps its own address space at 2 GB
# (so code without the bounds fails with MemoryError instead of taking the machine).

_FILE_SETUP = """
import json, pickle, resource, time
resource.setrlimit(resource.RLIMIT_AS, (2_000_000_000, 2_000_000_000))
import searchkit
from whoosh.index import TOC
index = {index!r}
RECORD = {record!r}
with searchkit.Index.create(index) as ix:
    ix.add({seeds!r})
    ix.search("warm")
    before = [h.id for h in ix.search("prisoner OR court").hits]
    wix = ix._ix
    data = ix.path / ix._settings.data

def write_toc(segments=None, raw=None):
    gen = wix.latest_generation() + 1
    TOC(wix.schema, [] if raw is not None else segments, gen).write(wix.storage, wix.indexname)
    if raw is not None:
        path = data / f"_MAIN_{{gen}}.toc"
        empty = pickle.dumps([], pickle.HIGHEST_PROTOCOL)
        path.write_bytes(path.read_bytes()[: -len(empty)] + raw)

def segment_with(**changes):
    segments = list(wix._read_toc().segments)
    for name, value in changes.items():
        setattr(segments[0], name, value)
    return segments

def record(raw):
    from searchkit import _writers
    w = _writers.writer(wix)
    stored = w.perdocwriter._colwriters["_stored"]
    add = stored._child.add
    stored.add = lambda docnum, value: add(docnum, raw)
    w.add_document(doc_id="d", chunk_id="d:1", body=("T", "prisoner"), text="x")
    w.commit()

def tamper_cache():
    import numpy as np
    [cache] = data.glob("*.body.skcol")
    body = bytearray(cache.read_bytes())
    header = json.loads(body[16 : 16 + int.from_bytes(body[8:12], "little")])
    offset, dtype, count = header["arrays"]["weights"]
    w = np.frombuffer(body, dtype=dtype, count=count, offset=offset).copy()
    w *= np.arange(1, count + 1) % 7 + 1
    body[offset : offset + w.nbytes] = w.tobytes()
    cache.write_bytes(bytes(body))

{craft}

def search():
    with searchkit.Index.open(index) as ix:
        ix.search("warm")
        hits = [h.id for h in ix.search("prisoner OR court").hits]
    return "same ranking" if hits == before else f"{{len(hits)}} hits, ranking changed"

def check():
    report = searchkit.check_index(index)
    return "ok" if report.ok else "damaged: " + report.problems[0]

start = time.perf_counter()
outcomes = []
for name, call in (("search", search), ("check", check)):
    try:
        outcomes.append(f"{{name}}: {{call()}}")
    except searchkit.SearchkitError as exc:
        outcomes.append(f"{{name}} refused: {{exc}}")
    except MemoryError:
        outcomes.append(f"{{name}}: MemoryError at the 2 GB cap")
    except Exception as exc:
        outcomes.append(f"{{name}} crashed: {{type(exc).__name__}}: {{exc}}")
out = "; ".join(o.split("; run `searchkit check")[0][:150] for o in outcomes)
print(json.dumps({{"outcome": out, "seconds": time.perf_counter() - start}}))
"""

_RECORD = (
    b"\x80\x04}(\x8c\x08chunk_id\x8c\x03d:1\x8c\x06doc_id\x8c\x01d\x8c\x04path\x8c\x02/p"
    b"\x8c\tparagraph\x4b\x01\x8c\x05start\x4b\x00\x8c\x03end\x4b\x01\x8c\x05title\x8c\x01T"
)
# name -> (what it is, the code that damages the index)
FILE_CASES: dict[str, tuple[str, str]] = {
    "toc_memo": (
        "TOC `]r\\x00\\x00\\x00\\x08.` (a memo index)",
        r"write_toc(raw=b']r\x00\x00\x00\x08.')",
    ),
    "toc_bytearray": (
        "TOC `bytearray(2**31)`",
        r"write_toc(raw=b'c__builtin__\nbytearray\nJ\xff\xff\xff\x7f\x85R.')",
    ),
    "toc_int": ("TOC `K\\x05.` (an int)", r"write_toc(raw=b'K\x05.')"),
    "toc_none": ("TOC `N.`", r"write_toc(raw=b'N.')"),
    "toc_list_int": ("TOC `]K\\x05a.`", r"write_toc(raw=b']K\x05a.')"),
    "toc_timedelta": (
        "TOC timedelta overflow",
        r"write_toc(raw=b'cdatetime\ntimedelta\nJ\xff\xff\xff\x7f\x85R.')",
    ),
    "toc_frame": (
        "TOC huge FRAME",
        r"write_toc(raw=b'\x80\x05\x95\xff\xff\xff\xff\xff\xff\xff\x7f]\x94.')",
    ),
    "doccount_1e9": ("`_doccount` 10^9", "write_toc(segment_with(_doccount=10**9))"),
    "doccount_1e6": ("`_doccount` 10^6", "write_toc(segment_with(_doccount=10**6))"),
    "doccount_neg": ("`_doccount` -1", "write_toc(segment_with(_doccount=-1))"),
    "segment_name": (
        "segment name `../../victim/MAIN_x`",
        "write_toc(segment_with(indexname='../../victim/MAIN', segid='x'))",
    ),
    "record_bytearray": (
        "stored record holding `bytearray(2**31)`",
        r"record(RECORD + b'\x8c\x04textcbuiltins\nbytearray\nJ\xff\xff\xff\x7f\x85Ru.')",
    ),
    "record_int": ("stored record `7`", "record(pickle.dumps(7))"),
    "record_text_int": (
        "stored record with `text: 7`",
        r"record(RECORD + b'\x8c\x04textK\x07u.')",
    ),
    "colcache_tampered": ("column cache, weights scaled, header intact", "tamper_cache()"),
}


def _run_file_case(name: str, src: Path, cap: float, work: Path, n: int) -> dict[str, Any]:
    what, craft = FILE_CASES[name]
    index = work / f"{name}-{n}-index"
    seeds = str(_common.REPO / "seeds")
    code = _FILE_SETUP.format(index=str(index), seeds=seeds, craft=craft, record=_RECORD)
    return {"input": what, **_run_isolated(code, src, cap, work)}


# -- issue 28, item 10 (i28-repair): a search over an index of one 60 MB paragraph -------
#
# The index is built first, in a process of its own (not measured), which then searches
# twice: a process's second search writes the column caches, once per segment (for this
# index 8.0 s and 1,171 MiB before the fix, 8.2-9.3 s and 253 MiB after, on the 2-core
# machine of 2026-12-05).  The case is a search after that, in a fresh process that
# opens the index, as every command-line search does.  Whoosh used to copy each file
# inside a memory-mapped segment into memory, so every such search held all the
# paragraph's postings (about 900 MiB).


def _letters(n: int) -> str:
    """A word of letters only (``wordNNN`` would be analysed as a phrase, ``word NNN``)."""
    return "w" + "".join("abcdefghijklmnopqrstuvwxyz"[int(d)] for d in str(n))


def _one_paragraph(megabytes: int) -> str:
    vocabulary = [_letters(i) for i in range(997)]
    words = " ".join(vocabulary[i % 997] for i in range(megabytes * 1_000_000 * 10 // 49))
    return "One long paragraph\n\n" + words + "\n"


PARAGRAPH_CASES: dict[str, tuple[str, str, Any]] = {
    "paragraph_60mb": (
        "search `wbh` (word 17) in an index of one 60 MB paragraph",
        "paragraph",
        ("paragraph.txt", lambda: _one_paragraph(60), _letters(17)),
    ),
}
CASES.update(PARAGRAPH_CASES)


def _paragraph_index(folder: Path, src: Path, arg: tuple[str, Any, str]) -> Path:
    """The case's file written to ``folder`` and indexed by the searchkit in ``src``."""
    file_name, make, query = arg
    folder.mkdir()
    (folder / file_name).write_text(make(), encoding="utf-8")
    index = folder / "index"
    build = (
        "import searchkit\n"
        f"with searchkit.Index.create({str(index)!r}) as ix:\n"
        f"    ix.add({str(folder / file_name)!r})\n"
        f"    ix.search({query!r})\n"
        f"    ix.search({query!r})\n"
    )
    env = {**os.environ, "PYTHONPATH": str(src)}
    subprocess.run([sys.executable, "-c", build], env=env, check=True)
    (folder / file_name).unlink()
    return index


# -- issue 28: did you mean, synonyms files, nesting, edit distances and boosts -------

_WEB = """
import json, searchkit, time
from fastapi.testclient import TestClient
from searchkit.web import create_app
with TestClient(create_app({index!r}), base_url="http://localhost") as client:
    client.get("/api/search", params={{"q": "warm"}})
    start = time.perf_counter()
    answer = client.get("/api/search", params={{"q": {query!r}}})
    body = answer.json()
    if answer.status_code == 200:
        out = f"HTTP 200, {{body['total']}} hits"
        if body.get("suggestions_cut"):
            out += f", suggestions cut: {{body['suggestions_cut']}}"
    else:
        out = f"HTTP {{answer.status_code}}: {{json.dumps(body)[:80]}}"
print(json.dumps({{"outcome": out, "seconds": time.perf_counter() - start}}))
"""

_SYNONYMS = """
import json, searchkit, time
from pathlib import Path
folder = Path({folder!r})
(folder / "doc.txt").write_text("A title\\n\\nword1 and word2 in a paragraph.\\n")
with searchkit.Index.create(folder / "ix") as ix:
    ix.add(folder / "doc.txt")
start = time.perf_counter()
try:
    with searchkit.Index.open(folder / "ix") as ix:
        ix.set_synonyms({path!r})
        r = ix.search("word1")
    out = f"{{r.total}} hits"
except searchkit.SearchkitError as exc:
    out = "refused: " + str(exc).split(": ", 1)[-1]
print(json.dumps({{"outcome": out, "seconds": time.perf_counter() - start}}))
"""


def _letters(n: int, seed: int = 28) -> str:
    """``n`` random lower-case letters: one word absent from any index."""
    import random
    import string

    rng = random.Random(seed)
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(n))


def _random_words(n: int, seed: int = 28) -> str:
    return " ".join(_letters(4 + i % 9, seed + i) for i in range(n))  # 8,100 characters


def _synonyms_line(n: int) -> str:
    return ", ".join(f"word{i}" for i in range(n)) + "\n"


# name -> (what it is, kind, argument); kinds: "query" (text, kwargs), "web" (q),
# "synonyms" (file name, content).
CASES_28: dict[str, tuple[str, str, Any]] = {
    "sug_long_word": ("one 4,000-letter word", "query", (_letters(4_000), {})),
    "sug_long_word_timeout": (
        "one 4,000-letter word, timeout 0.5 s",
        "query",
        (_letters(4_000), {"timeout": 0.5}),
    ),
    "sug_900_words": (
        "900 random words, timeout 1 s",
        "query",
        (_random_words(900), {"timeout": 1.0}),
    ),
    "web_q_9999": ("web /api/search, a 9,999-letter q", "web", _letters(9_999)),
    "syn_line_1000": (
        "synonyms file, one line of 1,000 words, then a search",
        "synonyms",
        ("synonyms.txt", _synonyms_line(1_000)),
    ),
    "syn_line_2000": (
        "synonyms file, one line of 2,000 words, then a search",
        "synonyms",
        ("synonyms.txt", _synonyms_line(2_000)),
    ),
    "q_deep_parens": (
        "1,000 nested parentheses (a 2 KB query)",
        "query",
        ("(" * 1_000 + "cell" + ")" * 1_000, {}),
    ),
    "q_fuzzy_100": ("`zebrafish~100`", "query", ("zebrafish~100", {})),
    "q_boost_1e400": ("`cell^1e400`", "query", ("cell^1e400", {})),
}
CASES.update(CASES_28)


# -- issue 26: hostile PDF, DOCX, ODT and EPUB files ----------------------------------
# Each file is made when its case runs (a zip bomb takes a second to pack) by the
# writers the tests use, tests/_documents.py, and indexed as the "load" cases are.


def _documents() -> Any:
    sys.path.insert(0, str(_common.REPO))
    import tests._documents as documents

    return documents


def _encrypted_pdf() -> bytes:
    encrypted: bytes = _documents().encrypted_pdf_bytes("secret")
    return encrypted


def _zip_bomb_docx(unpacked: int) -> bytes:
    filler = b"<!--" + b"x" * unpacked + b"-->"
    xml = b'<w:document xmlns:w="urn:w"><w:body>' + filler + b"</w:body></w:document>"
    return bytes(_documents().docx_bytes(["x"], document_xml=xml))


def _lying_zip_docx() -> bytes:
    import io
    import struct
    import zipfile

    data = _zip_bomb_docx(50 * 2**20)
    size = zipfile.ZipFile(io.BytesIO(data)).getinfo("word/document.xml").file_size
    return data.replace(struct.pack("<I", size), struct.pack("<I", 1000))


def _huge_page_pdf() -> bytes:
    stream = b"BT /F1 11 Tf 72 700 Td (huge page) Tj ET\n" + b"%" * (9 * 2**20)
    return bytes(_documents().pdf_bytes([["x"], ["second page"]], page_stream=stream))


def _entity_bomb_epub() -> bytes:
    bomb: bytes = _documents().entity_bomb_epub_bytes()
    return bomb


def _many_pages_pdf() -> bytes:
    pages = [[f"Page {n} paragraph {k} of words." for k in range(20)] for n in range(2_000)]
    return bytes(_documents().pdf_bytes(pages))


CASES_26: dict[str, tuple[str, str, Any]] = {
    "pdf_encrypted": ("PDF encrypted with a password", "load", ("locked.pdf", _encrypted_pdf)),
    "pdf_scanned": (
        "PDF of 50 pages without text",
        "load",
        ("scan.pdf", lambda: _documents().pdf_bytes([[]] * 50)),
    ),
    "pdf_huge_page": ("PDF page of a 9 MiB content stream", "load", ("huge.pdf", _huge_page_pdf)),
    "pdf_2000_pages": ("PDF of 2,000 pages, 40,000 blocks", "load", ("big.pdf", _many_pages_pdf)),
    "pdf_damaged": (
        "PDF header then junk",
        "load",
        ("bad.pdf", lambda: b"%PDF-1.4\n" + b"\0" * 9999),
    ),
    "docx_zip_bomb": (
        "DOCX unpacking to 300 MiB (directory)",
        "load",
        ("bomb.docx", lambda: _zip_bomb_docx(300 * 2**20)),
    ),
    "docx_lying_zip": (
        "DOCX whose directory says 1,000 bytes for 50 MiB",
        "load",
        ("lying.docx", _lying_zip_docx),
    ),
    "docx_entity_bomb": (
        "DOCX with a billion-laughs entity bomb",
        "load",
        ("lol.docx", lambda: _documents().docx_bytes(["x"], document_xml=_documents().BOMB_XML)),
    ),
    "epub_entity_bomb": (
        "EPUB whose package file is an entity bomb",
        "load",
        ("lol.epub", _entity_bomb_epub),
    ),
    "epub_damaged_zip": (
        "EPUB cut after 120 bytes",
        "load",
        ("cut.epub", lambda: _documents().epub_bytes([("C", ["w"])], title="T")[:120]),
    ),
}
CASES.update(CASES_26)


def _case_28_code(name: str, kind: str, arg: Any, index: Path, work: Path, n: int) -> str:
    """The script of one issue-28 case of kind "web" or "synonyms"."""
    if kind == "web":
        return _WEB.format(index=str(index), query=arg)
    folder = work / f"{name}-{n}"
    folder.mkdir()
    file_name, content = arg
    (folder / file_name).write_text(content, encoding="utf-8")
    return _SYNONYMS.format(folder=str(folder), path=str(folder / file_name))


def _run(script: str, src: Path, cap: float) -> dict[str, Any]:
    """Run the file ``script`` in a fresh process; its wall time, peak RSS and outcome."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    timer = threading.Timer(cap, lambda: os.killpg(proc.pid, signal.SIGKILL))
    timer.start()
    out, err = proc.communicate()
    timer.cancel()
    seconds = time.perf_counter() - start
    # communicate() has reaped the child; its rusage is gone, so read the maximum the
    # child printed, else the children's maximum (this script runs one child at a time).
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if proc.returncode == -signal.SIGKILL:
        outcome = f"killed after {cap:g} s"
    elif proc.returncode != 0:
        last = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        outcome = f"crashed: {last[0][:100]}"
    else:
        printed = json.loads(out.decode().strip().splitlines()[-1])
        outcome, seconds = printed["outcome"], printed["seconds"]
    return {"seconds": round(seconds, 2), "peak_mib": round(peak, 1), "outcome": outcome}


def _run_isolated(code: str, src: Path, cap: float, work: Path) -> dict[str, Any]:
    """:func:`_run` in a process of its own, so the peak RSS is this case's alone."""
    script = work / "case.py"  # a file: a 1 MB query is too long for a command line
    script.write_text(code, encoding="utf-8")
    helper = textwrap.dedent(
        f"""
        import json, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from hostile import _run
        from pathlib import Path
        print(json.dumps(_run({str(script)!r}, Path({str(src)!r}), {cap!r})))
        """
    )
    done = subprocess.run([sys.executable, "-c", helper], capture_output=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--src",
        action="append",
        help="folder holding searchkit/ (default: this checkout); repeat to compare "
        "several, case by case, taking turns",
    )
    parser.add_argument("--data", help="the shared data folder (default ../shared/data)")
    parser.add_argument("--cap", type=float, default=60.0, help="seconds before a case is killed")
    parser.add_argument("--cases", help="comma-separated case names (default: all)")
    parser.add_argument("--json", dest="json_out", help="also write the results here")
    args = parser.parse_args()
    sources = [Path(s).resolve() for s in (args.src or [str(_common.REPO)])]
    names = args.cases.split(",") if args.cases else [*CASES, *FILE_CASES]
    work = Path(tempfile.mkdtemp(prefix="searchkit-hostile-"))
    results: dict[str, dict[str, Any]] = {str(src): {} for src in sources}
    try:
        if any(n in CASES and CASES[n][1] in ("query", "web") for n in names):
            scifact = _common.data_root(args.data) / "scifact"
            _common.require(scifact, "SciFact")
            for n, src in enumerate(sources):
                _build_index(scifact, work / f"scifact-{n}", src)
        print("| input | source | seconds | peak MiB | outcome |")
        print("| --- | --- | ---: | ---: | --- |")
        for name in names:
            if name in FILE_CASES:
                for n, src in enumerate(sources):
                    result = _run_file_case(name, src, args.cap, work, n)
                    results[str(src)][name] = result
                    print(
                        f"| {result['input']} | {src.name} | {result['seconds']:.2f} | "
                        f"{result['peak_mib']:.0f} | {result['outcome'][:300]} |",
                        flush=True,
                    )
                continue
            what, kind, arg = CASES[name]
            for n, src in enumerate(sources):
                if kind == "query":
                    text, kwargs = arg
                    index = work / f"scifact-{n}"
                    code = _QUERY.format(index=str(index), query=repr(text), kwargs=kwargs)
                elif kind == "paragraph":
                    index = _paragraph_index(work / f"{name}-{n}", src, arg)
                    code = _QUERY.format(index=str(index), query=repr(arg[2]), kwargs={})
                elif kind in ("web", "synonyms"):
                    code = _case_28_code(name, kind, arg, work / f"scifact-{n}", work, n)
                else:
                    file_name, content = arg
                    folder = work / f"{name}-{n}"
                    folder.mkdir()
                    content = content() if callable(content) else content  # issue 26: bytes
                    data = content if isinstance(content, bytes) else content.encode("utf-8")
                    (folder / file_name).write_bytes(data)
                    index = work / f"{name}-{n}-index"
                    code = _LOAD.format(index=str(index), path=str(folder / file_name))
                result = _run_isolated(code, src, args.cap, work)
                results[str(src)][name] = {"input": what, **result}
                print(
                    f"| {what} | {src.name} | {result['seconds']:.2f} | "
                    f"{result['peak_mib']:.0f} | {result['outcome'][:110]} |",
                    flush=True,
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _common.write_json(args.json_out, {"machine": _common.machine(), "results": results})


def _build_index(scifact: Path, index: Path, src: Path) -> None:
    """An index of SciFact at ``index``, written by the searchkit in ``src``."""
    build = (
        "import searchkit\n"
        "from searchkit.evaluation.readers import read_collection\n"
        "from searchkit.evaluation.runner import to_document\n"
        f"c = read_collection({str(scifact)!r})\n"
        f"with searchkit.Index.create({str(index)!r}) as ix:\n"
        "    ix.add_documents(to_document(d) for d in c.documents)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(src)}
    subprocess.run([sys.executable, "-c", build], env=env, check=True)


if __name__ == "__main__":
    main()
