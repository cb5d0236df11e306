"""``searchkit watch`` and ``searchkit serve --watch``, run as a user would: real
processes, real files, Ctrl-C.

Each check waits (up to 30 s, polling) for an event and asserts it: a wait, not a timing
threshold.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import searchkit

pytest.importorskip("watchfiles")

WAIT = 30.0
SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def _until(check: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + WAIT
    while not check():
        if time.monotonic() > deadline:
            return check()
        time.sleep(0.1)
    return True


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "searchkit", *args]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHKIT_")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    return env


def _hits(index_dir: Path, word: str) -> list[str]:
    with searchkit.Index.open(index_dir) as ix:
        return sorted(Path(h.path).name for h in ix.search(word))


def test_watch_commits_a_file_written_just_before_ctrl_c_and_exits_130(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "first.md").write_text("# First\n\nAn okapiwhale paragraph.\n")
    index_dir = tmp_path / "ix"
    log = tmp_path / "watch.err"
    with log.open("w") as err:
        proc = subprocess.Popen(
            _command("watch", str(docs), "--index", str(index_dir)),
            stderr=err,
            stdout=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            env=_env(),
        )
        try:
            assert _until(lambda: "start: 1 added" in log.read_text()), log.read_text()
            assert _hits(index_dir, "okapiwhale") == ["first.md"]
            (docs / "last.md").write_text("# Last\n\nA narwhalbadger paragraph.\n")
            proc.send_signal(signal.SIGINT)  # at once: the change has not been synced yet
            assert proc.wait(timeout=WAIT) == 130
        finally:
            if proc.poll() is None:
                proc.kill()
    assert _hits(index_dir, "narwhalbadger") == ["last.md"]
    assert "Stopped; the last changes are committed." in log.read_text()
    assert "Traceback" not in log.read_text()


def test_watch_of_a_path_that_does_not_exist_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = subprocess.run(
        _command("watch", str(tmp_path / "nowhere"), "--index", str(tmp_path / "ix")),
        capture_output=True,
        text=True,
        env=_env(),
        timeout=WAIT,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2
    assert "nowhere" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_serve_watch_shows_a_new_file_without_a_restart(tmp_path: Path) -> None:
    httpx = pytest.importorskip("httpx")
    pytest.importorskip("uvicorn")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "seed.txt").write_bytes(next(SEEDS.iterdir()).read_bytes())
    index_dir = tmp_path / "ix"
    with searchkit.Index.open_or_create(index_dir) as ix:
        ix.add(docs)
    port = _free_port()
    log = tmp_path / "serve.err"
    with log.open("w") as err:
        proc = subprocess.Popen(
            _command("serve", "--watch", "--port", str(port), "--index", str(index_dir)),
            stderr=err,
            stdout=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            env=_env(),
        )
        try:
            url = f"http://127.0.0.1:{port}/api/search"

            def total(word: str) -> int:
                try:
                    found: int = httpx.get(url, params={"q": word}, timeout=5).json()["total"]
                except (httpx.HTTPError, ValueError, KeyError):
                    return -1
                return found

            assert _until(lambda: total("belarus") > 0), log.read_text()
            assert total("dugongferret") == 0
            (docs / "new.md").write_text("# New\n\nA dugongferret paragraph.\n")
            assert _until(lambda: total("dugongferret") == 1), log.read_text()
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                proc.kill()
    assert "Traceback" not in log.read_text()
