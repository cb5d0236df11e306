"""Every example in README.md and docs/ runs, and shows what it prints.

The rules (also in docs/contributing.md):

- ```` ```python ```` blocks of one page run in order in one namespace; ```` ```console ````
  blocks hold ``$ command`` lines (bash) each followed by its expected output (stdout and
  stderr together).  Expected output matches line by line, trailing spaces ignored; ``...``
  inside a line matches any text, and a line holding only ``...`` any number of lines.
- ```` ```sh ```` (or ``bash``, ``shell``) blocks run whole with ``bash -e`` and must succeed.
- A page's blocks share one fresh directory holding a copy of ``seeds/``.
- ``<!-- skip -->`` on the line directly before a block leaves it out (installs, servers,
  data a reader does not have).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIP_MARK = "<!-- skip -->"
SHELL = ("sh", "bash", "shell")
RUNNABLE = ("python", "console", *SHELL)
_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)")


@attrs.frozen
class Block:
    page: Path
    line: int  # 1-based line of the opening fence
    lang: str
    text: str


def pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def blocks(page: Path) -> Iterator[Block]:
    """The runnable fenced blocks of ``page``, in order, without those marked to skip."""
    lines = page.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang = m["fence"], m["lang"].lower()
        j = i + 1
        while j < len(lines) and not lines[j].strip().startswith(fence):
            j += 1
        skipped = i > 0 and lines[i - 1].strip() == SKIP_MARK
        if lang in RUNNABLE and not skipped:
            body = "\n".join(line[len(m["indent"]) :] for line in lines[i + 1 : j])
            yield Block(page, i + 1, lang, body)
        i = j + 1


def console_steps(text: str) -> Iterator[tuple[str, list[str]]]:
    """``(command, expected output lines)`` pairs of a console block."""
    command: list[str] | None = None
    expected: list[str] = []
    for line in text.splitlines():
        if line.startswith("$ ") or (command and command[-1].endswith("\\")):
            if command is not None and not command[-1].endswith("\\"):
                yield "\n".join(command), expected
                command, expected = None, []
            command = (command or []) + [line[2:] if line.startswith("$ ") else line]
        elif command is not None:
            expected.append(line)
    if command is not None:
        yield "\n".join(command), expected


def matches(expected: list[str], actual: list[str]) -> bool:
    """Line-by-line match with ``...`` wildcards (in a line, or as a whole line)."""
    exp = [e.rstrip() for e in expected]
    act = [a.rstrip() for a in actual]
    while exp and not exp[-1]:
        exp.pop()
    while act and not act[-1]:
        act.pop()

    def line_ok(e: str, a: str) -> bool:
        if "..." not in e:
            return e == a
        pattern = ".*".join(re.escape(part) for part in e.split("..."))
        return re.fullmatch(pattern, a) is not None

    def walk(i: int, j: int) -> bool:
        while i < len(exp):
            if exp[i].strip() == "...":
                return any(walk(i + 1, k) for k in range(j, len(act) + 1))
            if j >= len(act) or not line_ok(exp[i], act[j]):
                return False
            i, j = i + 1, j + 1
        return j == len(act)

    return walk(0, 0)


def _env(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHKIT_")}
    bindir = str(Path(sys.executable).parent)
    env.update(
        PATH=bindir + os.pathsep + env.get("PATH", ""),
        NO_COLOR="1",
        PYTHONUNBUFFERED="1",
        COLUMNS="100",
        HOME=str(workdir),
    )
    return env


_PAGES = [p for p in pages() if any(True for _ in blocks(p))]


@pytest.mark.parametrize("page", _PAGES, ids=[str(p.relative_to(ROOT)) for p in _PAGES])
def test_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    env = _env(tmp_path)
    for key in [k for k in os.environ if k.startswith("SEARCHKIT_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for block in blocks(page):
        where = f"{page.relative_to(ROOT)}:{block.line}"
        if block.lang == "python":
            code = compile(block.text, where, "exec")
            exec(code, namespace)  # the documentation's own examples
            continue
        if block.lang in SHELL:
            script = subprocess.run(
                ["bash", "-e", "-c", block.text],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert script.returncode == 0, f"{where}: exit {script.returncode}\n{script.stderr}"
            continue
        for command, expected in console_steps(block.text):
            run = subprocess.run(
                ["bash", "-c", command],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=300,
            )
            actual = run.stdout.splitlines()
            assert matches(expected, actual), (
                f"{where}: `{command}` printed:\n{run.stdout}\nexpected:\n" + "\n".join(expected)
            )


def test_every_page_has_examples_counted() -> None:
    """The collector finds the README's examples (a broken fence parser would find none)."""
    readme = list(blocks(ROOT / "README.md"))
    assert any(b.lang == "console" for b in readme)
    assert any(b.lang == "python" for b in readme)


@pytest.mark.parametrize(
    ("expected", "actual", "ok"),
    [
        (["a", "b"], ["a", "b"], True),
        (["a", "b"], ["a", "c"], False),
        (["a", "..."], ["a", "b", "c"], True),
        (["...", "c"], ["a", "b", "c"], True),
        (["...", "c"], ["a", "b"], False),
        (["x ... z"], ["x yyy z"], True),
        (["x ... z"], ["x yyy"], False),
        (["a"], ["a", "b"], False),
        (["a  "], ["a"], True),
    ],
)
def test_output_matching(expected: list[str], actual: list[str], ok: bool) -> None:
    assert matches(expected, actual) is ok


def test_console_steps_split_commands_and_output() -> None:
    text = "$ echo a \\\n  b\na b\n$ true\n$ echo c\nc"
    assert list(console_steps(text)) == [
        ("echo a \\\n  b", ["a b"]),
        ("true", []),
        ("echo c", ["c"]),
    ]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    """``.ci/run`` ends with the README's test command, so the two cannot drift apart."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [b.text.strip() for b in _all_blocks(ROOT / "README.md") if "pytest" in b.text]
    assert commands, "the README shows no test command"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert ci == commands[0]
    assert readme.index(commands[0]) < 2000  # on the first screen


def _all_blocks(page: Path) -> list[Block]:
    """Every fenced block of ``page``, skipped or not."""
    found: list[Block] = []
    lines = page.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        m = _FENCE.match(line)
        if m and m["lang"]:
            end = next(
                (j for j in range(i + 1, len(lines)) if lines[j].strip().startswith(m["fence"])),
                len(lines),
            )
            found.append(Block(page, i + 1, m["lang"], "\n".join(lines[i + 1 : end])))
    return found
