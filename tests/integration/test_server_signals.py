"""SIGTERM stops a server run by :func:`financy.runtime.server.serve` at every moment of its life.

Sanic's own runner (``app.run(single_process=True)``) installs its handlers between two runs of
uvloop, which drops a signal arriving then or at the end of a run: a SIGTERM sent from
``after_server_start`` (when ``/healthz`` can first answer) was ignored for good. Each case runs
a real process (``tests/support/signal_app.py``) that sends itself SIGTERM at one moment.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import financy_env, free_port, wait_http

ROOT = Path(__file__).resolve().parents[2]
ALL_LISTENERS = ["before_server_start", "after_server_start", "before_server_stop", "after_server_stop"]


def _run(moment: str) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.signal_app", moment, str(port)],
        cwd=ROOT,
        env=financy_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return proc, port


def _lines(proc: subprocess.Popen[str], timeout_s: float = 60) -> list[str]:
    try:
        out, _ = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        pytest.fail(f"SIGTERM was ignored for {timeout_s} s:\n{out[-3000:]}")
    assert proc.returncode == 0, out[-3000:]
    wanted = {*ALL_LISTENERS, "stopped: SIGTERM"}
    return [line for line in out.splitlines() if line in wanted or line.startswith("stopped:")]


@pytest.mark.parametrize("moment", ["after_start", "serving"])
def test_sigterm_while_starting_to_serve_stops_the_server(moment: str) -> None:
    proc, port = _run(moment)
    if moment == "serving":
        wait_http(f"http://127.0.0.1:{port}/healthz", timeout_s=60, proc=proc)
    assert _lines(proc) == [*ALL_LISTENERS, "stopped: SIGTERM"]


@pytest.mark.parametrize("moment", ["start", "before_start"])
def test_sigterm_before_serving_stops_after_start_up_without_serving(moment: str) -> None:
    proc, _port = _run(moment)
    assert _lines(proc) == [
        "before_server_start",
        "before_server_stop",
        "after_server_stop",
        "stopped: SIGTERM",
    ]
