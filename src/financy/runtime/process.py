"""Supervised child processes of the single box: start, watch, restart with backoff, stop.

Each child runs in its own session (so Ctrl-C in the terminal reaches only the supervisor,
which then stops everything in order) and, on Linux, gets SIGTERM if the supervisor dies
without cleaning up. Its stdout and stderr are appended to one log file.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class RestartPolicy:
    """When to restart a child that died, and when to give up.

    Attributes:
        base_s: delay before the first restart, in seconds.
        max_s: the longest delay between restarts, in seconds.
        crash_limit: this many crashes inside ``crash_window_s`` mean a crash loop.
        crash_window_s: the window, in seconds, in which crashes are counted.
        stable_after_s: a child that ran this long before dying starts its backoff over.
    """

    base_s: float = 1.0
    max_s: float = 30.0
    crash_limit: int = 5
    crash_window_s: float = 60.0
    stable_after_s: float = 60.0

    def delay(self, failures: int) -> float:
        """Return the seconds to wait before restart number ``failures`` (1-based): 1, 2, 4, ... max_s.

        Raises:
            ValueError: ``failures`` is below 1.
        """
        if failures < 1:
            raise ValueError(f"failures must be >= 1, got {failures}")
        # Cap the exponent so huge counts do not build huge floats.
        return min(self.max_s, self.base_s * 2.0 ** min(failures - 1, 32))

    def is_crash_loop(self, crash_times: Iterable[float], now: float) -> bool:
        """Return True if ``crash_limit`` or more ``crash_times`` (monotonic seconds) fall in the window."""
        recent = [t for t in crash_times if now - t <= self.crash_window_s]
        return len(recent) >= self.crash_limit


@dataclass(frozen=True)
class ChildSpec:
    """A child process of the box: a short ``name`` (also its log file's stem) and its argv."""

    name: str
    argv: tuple[str, ...]


@dataclass(frozen=True)
class ChildExit:
    """A child died unexpectedly: its exit ``code`` (negative: killed by that signal), what happens next."""

    name: str
    code: int
    restart_in_s: float | None
    crash_loop: bool


def _die_with_parent(parent_pid: int) -> Callable[[], None] | None:
    """Return a ``preexec_fn`` that asks Linux to SIGTERM the child when ``parent_pid`` exits."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent_pid:  # the supervisor died between fork and prctl
            os._exit(1)

    return preexec


@dataclass
class SupervisedChild:
    """One child process: started with ``env``, output appended to ``log_path``, restarted per ``policy``."""

    spec: ChildSpec
    env: Mapping[str, str]
    log_path: Path
    policy: RestartPolicy = field(default_factory=RestartPolicy)
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    started_at: float = 0.0
    failures: int = 0
    restarts: int = 0
    restart_at: float | None = None
    crash_times: deque[float] = field(default_factory=lambda: deque(maxlen=64))

    @property
    def name(self) -> str:
        """Return the child's name."""
        return self.spec.name

    @property
    def pid(self) -> int | None:
        """Return the pid of the running process, or None."""
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None

    def start(self, now: float | None = None) -> None:
        """Start the process (its own session; stdin from /dev/null; output appended to the log).

        Raises:
            OSError: the executable could not be run.
        """
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(  # noqa: S603 - argv is ours, never a shell string
                list(self.spec.argv),
                env=dict(self.env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent(os.getpid()),  # noqa: PLW1509 - no threads in the supervisor
            )
        self.started_at = time.monotonic() if now is None else now
        self.restart_at = None

    def poll(self, now: float) -> ChildExit | None:
        """Watch the child once: return a :class:`ChildExit` when it has just died, restart it when due.

        ``now`` is ``time.monotonic()``. After a crash the next start is scheduled per the policy; a
        crash loop (``crash_limit`` crashes in ``crash_window_s``) is reported and nothing is scheduled.
        """
        if self.proc is None:
            if self.restart_at is not None and now >= self.restart_at:
                self.restarts += 1
                self.start(now)
            return None
        code = self.proc.poll()
        if code is None:
            return None
        self._kill_group(self.proc.pid)
        self.proc = None
        if now - self.started_at >= self.policy.stable_after_s:
            self.failures = 0
        self.failures += 1
        self.crash_times.append(now)
        if self.policy.is_crash_loop(self.crash_times, now):
            return ChildExit(self.name, code, None, crash_loop=True)
        delay = self.policy.delay(self.failures)
        self.restart_at = now + delay
        return ChildExit(self.name, code, delay, crash_loop=False)

    def _kill_group(self, pgid: int) -> None:
        # Leftovers of the dead child's session (e.g. server workers) would hold its port.
        if pgid > 0:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)

    def terminate(self) -> None:
        """Ask the child to stop (SIGTERM to the process; it stops its own workers) and cancel restarts."""
        self.restart_at = None
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """Kill the child's whole process group (SIGKILL) and reap it."""
        self.restart_at = None
        proc = self.proc
        if proc is None:
            return
        self._kill_group(proc.pid)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)
        self.proc = None

    def reap(self) -> bool:
        """Return True if the child is gone (reaping it and its group's leftovers if it just exited)."""
        proc = self.proc
        if proc is None:
            return True
        if proc.poll() is None:
            return False
        self._kill_group(proc.pid)
        self.proc = None
        return True


def stop_all(
    children: Sequence[SupervisedChild],
    *,
    timeout_s: float = 15.0,
    hurry: Callable[[], bool] | None = None,
) -> list[str]:
    """SIGTERM every child, wait up to ``timeout_s`` seconds, SIGKILL the rest; return the killed names.

    ``hurry`` (e.g. "the user pressed Ctrl-C again") cuts the wait short when it returns True.
    """
    for child in children:
        child.terminate()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not (hurry is not None and hurry()):
        if all(child.reap() for child in children):
            return []
        time.sleep(0.05)
    killed = [child.name for child in children if not child.reap()]
    for child in children:
        child.kill()
    return killed
