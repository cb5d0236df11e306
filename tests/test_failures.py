"""Failures a user meets: each one line on stderr and a documented exit code, never a traceback.

Output errors run the installed script as a subprocess (a closed pipe and /dev/full are
real file descriptors).  A full disk and a read-only mount need a file system of their own:
those tests mount a small tmpfs in a user and mount namespace (``unshare -Urm``) and are
skipped where that is not allowed.  Permissions are tested by running the script as the
``nobody`` user (``setpriv``), which needs root.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import searchkit
from searchkit.cli import cli

from .conftest import searchkit_script

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
NO_SPACE = "Error: cannot write the output: No space left on device\n"


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("SEARCHKIT_", "NO_COLOR"))}


@pytest.fixture(scope="module")
def index_dir() -> Iterator[Path]:
    """An index of seeds/ in a folder every user may read (for the ``nobody`` test)."""
    root = Path(tempfile.mkdtemp(prefix="searchkit-failures-"))
    root.chmod(0o755)
    with searchkit.Index.create(root / "ix") as ix:
        ix.add(SEEDS)
    yield root / "ix"
    shutil.rmtree(root, ignore_errors=True)


def _doc_id(index_dir: Path) -> str:
    with searchkit.Index.open(index_dir) as ix:
        return ix.documents()[0].id


def _output_commands(index_dir: Path) -> list[list[str]]:
    doc, ix = _doc_id(index_dir), str(index_dir)
    return [
        ["search", "belarus", "--index", ix],
        ["search", "belarus", "--index", ix, "--json"],
        ["search", "belarus", "--index", ix, "--jsonl"],
        ["search", "belarus", "--index", ix, "--fields", "title,path"],
        ["docs", "--index", ix],
        ["docs", "--index", ix, "--json"],
        ["show", f"{doc}:7", "--index", ix],
        ["show", "--doc", doc, "--index", ix, "--json"],
        ["stats", "--index", ix],
        ["stats", "--index", ix, "--json"],
    ]


def _forked(args: list[str], stdout_fd: int) -> tuple[int, bytes]:
    """Run the command line ``args`` in a forked child with ``stdout_fd`` as its stdout.

    A fork of this process rather than a new interpreter (each costs a second on a busy
    machine); the child runs ``main`` as the console script does, then flushes stdout as
    the interpreter would at exit.  Returns the exit code and what went to stderr.
    """
    err_read, err_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        code = 70
        try:
            os.dup2(stdout_fd, 1)
            os.dup2(err_write, 2)
            sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
            sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
            try:
                cli.main(args, prog_name="searchkit")
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            try:
                sys.stdout.flush()
            except OSError as exc:
                sys.stderr.write(f"Exception ignored at exit: {exc!r}\n")
            sys.stderr.flush()
        finally:
            os._exit(code)
    os.close(err_write)
    with os.fdopen(err_read, "rb") as err:
        stderr = err.read()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), stderr


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_every_output_mode_exits_141_when_the_reader_is_gone(index_dir: Path) -> None:
    for args in _output_commands(index_dir):
        read, write = os.pipe()
        os.close(read)  # the reader left before the first byte (as `| head -c 0` would)
        try:
            assert _forked(args, write) == (141, b""), args
        finally:
            os.close(write)
    read, write = os.pipe()  # and once through the installed script itself
    os.close(read)
    try:
        proc = subprocess.run(
            [searchkit_script(), *_output_commands(index_dir)[1]],
            stdout=write,
            stderr=subprocess.PIPE,
            env=_env(),
            timeout=60,
            check=False,
        )
    finally:
        os.close(write)
    assert (proc.returncode, proc.stderr) == (141, b"")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_every_output_mode_reports_a_failed_write_in_one_line(index_dir: Path) -> None:
    for args in _output_commands(index_dir):
        with open("/dev/full", "wb") as full:
            assert _forked(args, full.fileno()) == (2, NO_SPACE.encode()), args
    with open("/dev/full", "w") as full:  # and once through the installed script itself
        proc = subprocess.run(
            [searchkit_script(), *_output_commands(index_dir)[0]],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
            timeout=60,
            check=False,
        )
    assert (proc.returncode, proc.stderr) == (2, NO_SPACE)


def _namespace_sh(script: str) -> subprocess.CompletedProcess[str]:
    """Run ``script`` with sh as root of a new user and mount namespace."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("no unshare here")
    probe = subprocess.run(
        [unshare, "-Urm", "true"], capture_output=True, text=True, check=False, timeout=30
    )
    if probe.returncode != 0:
        pytest.skip(f"user namespaces are not allowed here: {probe.stderr.strip()}")
    return subprocess.run(
        [unshare, "-Urm", "sh", "-c", script],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
        check=False,
    )


def _on_a_tmpfs(tmp_path: Path, size: str, body: str) -> subprocess.CompletedProcess[str]:
    """``body`` (shell lines) run in ``tmp_path`` with a tmpfs of ``size`` mounted at
    ``mnt`` there (``exit 98`` in it: a remount failed); skipped where either cannot be
    done.  Nothing it prints to stderr is a traceback."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    proc = _namespace_sh(
        f"mount -t tmpfs -o size={size} tmpfs {mnt} || exit 99\ncd {tmp_path}\n{body}"
    )
    if proc.returncode in (98, 99):
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    assert "Traceback" not in proc.stderr
    return proc


def test_a_full_disk_and_a_read_only_index(tmp_path: Path) -> None:
    many = tmp_path / "many"
    many.mkdir()
    for i in range(200):
        text = f"Title {i}\n\n" + f"word{i} lorem ipsum dolor sit amet. " * 200 + "\n"
        (many / f"{i}.txt").write_text(text, encoding="utf-8")
    sk = searchkit_script()
    proc = _on_a_tmpfs(
        tmp_path,
        "400k",
        f"""
        {sk} index many --index mnt/ix; echo "rc=$?"
        {sk} search word1 --index mnt/ix -n 1 > /dev/null; echo "rc=$?"
        rm -rf mnt/ix
        {sk} index {SEEDS} --index mnt/ix -q; echo "rc=$?"
        mount -o remount,ro mnt || exit 98
        {sk} index {SEEDS} --index mnt/ix --dry-run; echo "rc=$?"
        {sk} index {SEEDS} --index mnt/ix; echo "rc=$?"
        {sk} search belarus --index mnt/ix -n 1 > /dev/null; echo "rc=$?"
        """,
    )
    assert proc.stderr.splitlines() == [
        "Error: no space left on the device that holds index mnt/ix (No space left on "
        "device): free some space; work committed before it is kept; run the command again",
        "No hits",
        "Error: index mnt/ix is on a read-only file system (Read-only file system: "
        "write.lock): searching it works; to change it, copy the folder somewhere writable "
        "(and index with --index there) or mount it read-write",
        "1 hit (17 matching paragraphs)",
    ]
    assert proc.stdout.splitlines() == [
        "rc=3",
        "rc=1",
        "rc=0",
        "Dry run, nothing written: would index 0 documents (0 paragraphs) in mnt/ix: 1 unchanged.",
        "rc=0",
        "rc=3",
        "rc=0",
    ]


def test_optimize_on_a_read_only_mount_says_so_for_plain_and_sharded_indexes(
    tmp_path: Path,
) -> None:
    sk = searchkit_script()
    proc = _on_a_tmpfs(
        tmp_path,
        "20m",
        f"""
        {sk} index {SEEDS} --index mnt/ix -q; echo "rc=$?"
        {sk} index {SEEDS} --index mnt/sh --shards 2 -q; echo "rc=$?"
        mount -o remount,ro mnt || exit 98
        {sk} optimize --index mnt/ix; echo "rc=$?"
        {sk} optimize --index mnt/sh; echo "rc=$?"
        """,
    )
    assert proc.stdout.splitlines() == ["rc=0", "rc=0", "rc=3", "rc=3"]
    assert proc.stderr.splitlines() == [
        f"Error: index mnt/{name} is on a read-only file system (Read-only file system: "
        "write.lock): searching it works; to change it, copy the folder somewhere writable "
        "(and index with --index there) or mount it read-write"
        for name in ("ix", "sh")
    ]


def _unreachable_as(user: list[str], script: str) -> str | None:
    """Why ``user`` (a ``setpriv`` prefix) cannot run ``script`` on the seeds, or None.

    A clone in a folder other users may not enter (``/root``, ``mktemp -d``) holds a
    script, a Python and a package that user cannot reach: the test is then about the
    clone's place, not about searchkit, and is skipped with the reason.
    """
    probes = [
        [*user, "test", "-x", script],
        [*user, "test", "-r", str(SEEDS), "-a", "-x", str(SEEDS)],
        [*user, script, "--version"],
    ]
    for probe in probes:
        proc = subprocess.run(
            probe, capture_output=True, text=True, env=_env(), timeout=60, check=False
        )
        if proc.returncode != 0:
            said = proc.stderr.strip().splitlines()[-1:] or [f"exit {proc.returncode}"]
            return f"`{' '.join(probe[len(user) :])}` fails as that user: {said[0]}"
    return None


def test_an_index_this_user_may_not_read_says_permission_denied(index_dir: Path) -> None:
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv to run as another user")
    as_nobody = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    script = searchkit_script()
    why = _unreachable_as(as_nobody, script)
    if why is not None:
        pytest.skip(f"the user nobody cannot reach this clone's script or seeds ({why})")
    nobody = [*as_nobody, script]
    data = next(index_dir.glob("whoosh-*"))
    segment = next(data.glob("*.seg"))
    for path, mode in ((index_dir, 0o700), (data, 0o700), (segment, 0o600)):
        old = path.stat().st_mode & 0o777
        path.chmod(mode)
        try:
            proc = subprocess.run(
                [*nobody, "search", "belarus", "--index", str(index_dir)],
                capture_output=True,
                text=True,
                env=_env(),
                timeout=60,
                check=False,
            )
        finally:
            path.chmod(old)
        assert proc.returncode == 3, proc.stderr
        assert proc.stderr.startswith(f"Error: permission denied for index {index_dir} (")
        assert "damaged" not in proc.stderr
        assert proc.stderr.count("\n") == 1
    write = subprocess.run(
        [*nobody, "index", str(SEEDS), "--index", str(index_dir)],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
        check=False,
    )
    assert write.returncode == 3
    assert write.stderr.startswith(
        f"Error: permission denied for index {index_dir} (Permission denied: write.lock)"
    )


def test_an_index_removed_while_in_use(tmp_path: Path) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    for i in range(6):
        (folder / f"{i}.txt").write_text(f"Title {i}\n\nParagraph {i}.\n", encoding="utf-8")
    where = tmp_path / "ix"
    ix = searchkit.Index.create(where)

    def remove_at_third(done: int, total: int, path: str) -> None:
        if done == 3:
            shutil.rmtree(where)

    with pytest.raises(searchkit.IndexAccessError) as excinfo:
        ix.add(folder, progress=remove_at_third, batch_size=2)
    assert str(excinfo.value).startswith(f"index {where} was removed or moved while in use (")
    assert isinstance(excinfo.value, searchkit.SearchkitIndexError)  # exit 3 in the CLI
    with pytest.raises(searchkit.IndexNotFoundError):
        ix.search("paragraph")


def test_control_characters_never_reach_the_terminal_on_any_text_path(tmp_path: Path) -> None:
    folder = tmp_path / "evil\nname"
    folder.mkdir()
    doc = folder / "evil.txt"
    doc.write_text(
        "Heron \x1b[2J\x1b]0;owned\x07 \x9b31m title\n\nHerons \x1b[31mred\x1b[0m \x9b1m here.\n",
        encoding="utf-8",
    )
    ix = str(tmp_path / "ix")
    runner = CliRunner()
    assert runner.invoke(cli, ["index", str(doc), "--index", ix]).exit_code == 0
    outputs = {
        "fields": runner.invoke(cli, ["search", "herons", "--index", ix, "--fields", "title,path"]),
        "text": runner.invoke(cli, ["search", "herons", "--index", ix]),
        "docs": runner.invoke(cli, ["docs", "--index", ix]),
        "jsonl": runner.invoke(cli, ["search", "herons", "--index", ix, "--jsonl"]),
    }
    for name, result in outputs.items():
        for bad in ("\x1b", "\x9b", "\x07"):
            assert bad not in result.stdout + result.stderr, (name, bad)
    fields = outputs["fields"].stdout.splitlines()
    assert len(fields) == 1
    title, path = fields[0].split("\t")
    assert title == "Heron [2J ]0;owned 31m title"
    assert path == str(doc).replace("\n", " ")
    assert len(outputs["docs"].stdout.splitlines()) == 2  # a document is two lines
    hit = json.loads(outputs["jsonl"].stdout)
    assert hit["title"] == "Heron \x1b[2J\x1b]0;owned\x07 \x9b31m title"  # JSON keeps it exact
    assert "\\u009b" in outputs["jsonl"].stdout


def test_a_lone_surrogate_a_document_holds_never_breaks_the_output(tmp_path: Path) -> None:
    """A JSON document's ``"\\ud800"`` escape is half a UTF-16 pair: the index keeps it
    exactly, and printing it raised UnicodeEncodeError (a traceback, exit 1).  A terminal
    shows U+FFFD in its place, one character for one; JSON escapes it, the same value."""
    folder = tmp_path / "docs"
    folder.mkdir()
    line = {"id": "s1", "title": "Lone \ud800 gannets", "text": "Gannets \udc00 dive."}
    (folder / "docs.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    ix = str(tmp_path / "ix")
    runner = CliRunner()
    assert runner.invoke(cli, ["index", str(folder), "--index", ix]).exit_code == 0
    for args in (["--json"], ["--jsonl"]):
        found = runner.invoke(cli, ["search", "gannets", "--index", ix, *args])
        assert found.exit_code == 0, found.output
        assert "\\ud800" in found.stdout  # JSON's own escape
        hit = json.loads(found.stdout)
        hit = hit["hits"][0] if "hits" in hit else hit
        assert (hit["title"], hit["text"]) == ("Lone \ud800 gannets", "Gannets \udc00 dive.")
    text = runner.invoke(cli, ["search", "gannets", "--index", ix, "--color", "never"])
    assert text.exit_code == 0, text.output
    assert text.stdout == (
        f"1. Lone \ufffd [gannets]  (score {hit['score']:.2f})\n"
        f"   docs.jsonl · ¶1 · {hit['chunk_id']}\n"
        "   [Gannets] \ufffd dive.\n\n"
    )
    fields = runner.invoke(cli, ["search", "gannets", "--index", ix, "--fields", "title,text"])
    assert fields.stdout == "Lone \ufffd gannets\tGannets \ufffd dive.\n"
    for args in (["docs"], ["show", "--doc", hit["doc_id"]]):
        shown = runner.invoke(cli, [*args, "--index", ix])
        assert shown.exit_code == 0, (args, shown.output)
        assert "Lone \ufffd gannets" in shown.stdout


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux's /proc")
def test_ctrl_c_while_the_writer_processes_run_is_one_line(tmp_path: Path) -> None:
    """Ctrl-C reaches the whole process group: the writer processes stopped with a
    traceback of their own ("Process _Task-2:", a KeyboardInterrupt) beside the
    command's one line."""
    folder = tmp_path / "docs"
    folder.mkdir()
    words = ["river", "harbour", "ship", "grain", "price", "market", "rain", "sun", "cloud", "wind"]
    for i in range(600):
        body = "\n\n".join(" ".join(words[(i + j + k) % 10] for k in range(60)) for j in range(20))
        (folder / f"doc{i}.md").write_text(f"# Doc {i}\n\n{body}\n", encoding="utf-8")
    proc = subprocess.Popen(
        [searchkit_script(), "index", str(folder), "--index", str(tmp_path / "ix"), "-q"],
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        start_new_session=True,
    )
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        if children.exists() and children.read_text().split():
            time.sleep(0.2)  # a writer process runs: let it work, then interrupt
            break
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert (proc.returncode, stderr.strip()) == (130, "Error: interrupted")


def test_an_index_path_that_is_a_file_says_so_not_damaged(tmp_path: Path) -> None:
    """``--index`` naming a file was "index damaged ... run `searchkit check --repair`",
    advice that check then refused."""
    file = tmp_path / "notes.txt"
    file.write_text("not an index\n", encoding="utf-8")
    for path, what in ((file, "it is a file"), (file / "ix", f"{file} is a file")):
        with pytest.raises(searchkit.SearchkitIndexError) as caught:
            searchkit.Index.open(path)
        assert type(caught.value) is searchkit.SearchkitIndexError
        assert str(caught.value) == f"{path} is not a searchkit index: {what}"
    result = CliRunner().invoke(cli, ["search", "x", "--index", str(file)])
    assert (result.exit_code, result.output) == (
        3,
        f"Error: {file} is not a searchkit index: it is a file\n",
    )


def test_an_index_committed_to_while_it_opens_is_read_again_not_called_damaged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A writer's commit can clean away the generation a reader has just picked (the
    # watcher under load did): the reader opens again, and only an index whose files stay
    # missing is damaged.
    from searchkit import _base

    path = tmp_path / "ix"
    with searchkit.Index.create(path) as ix:
        ix.add(Path(__file__).parent.parent / "seeds")
    real, calls = _base._open_latest, []

    def racing(root: Path, folder: Path) -> object:
        calls.append(folder)
        if len(calls) < 3:
            raise FileNotFoundError(2, "No such file or directory", str(folder / "_MAIN_1.toc"))
        return real(root, folder)

    monkeypatch.setattr(_base, "_open_latest", racing)
    with searchkit.Index.open(path) as ix:
        assert len(ix) == 17 and len(calls) == 3
    calls.clear()
    monkeypatch.setattr(_base, "_OPEN_ATTEMPTS", 2)  # both attempts miss the file
    with pytest.raises(searchkit.IndexIncompatibleError, match=r"is damaged .*_MAIN_1\.toc"):
        searchkit.Index.open(path)
    assert len(calls) == 2
