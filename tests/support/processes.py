"""Start Financy's real processes for a test and wait for them, the way the supervisor does."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def financy_env(**overrides: str) -> dict[str, str]:
    """Return this environment without FINANCY_* settings, plus ``overrides`` (plain text logs)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINANCY_")}
    env.update({"FINANCY_LOG_JSON": "true", "PYTHONUNBUFFERED": "1"})
    env.update(overrides)
    return env


def start(args: list[str], env: Mapping[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """Start ``python -m financy.cli ARGS`` with its output appended to ``log_path``."""
    log = log_path.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "financy.cli", *args], env=dict(env), stdout=log, stderr=subprocess.STDOUT
    )


def wait_http(url: str, timeout_s: float = 30.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Wait until ``GET url`` answers 200.

    Raises:
        TimeoutError: not ready within ``timeout_s``.
        RuntimeError: ``proc`` exited first.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} was ready")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise TimeoutError(url)


def stop(proc: subprocess.Popen[bytes], timeout_s: float = 15.0) -> int:
    """SIGTERM ``proc``, SIGKILL it after ``timeout_s``; return its exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


@contextlib.contextmanager
def running(args: list[str], env: Mapping[str, str], log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run a process for the duration of a ``with`` block, stopping it afterwards."""
    proc = start(args, env, log_path)
    try:
        yield proc
    finally:
        stop(proc)
