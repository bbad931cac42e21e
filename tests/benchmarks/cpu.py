"""CPU time of each process in a run (where the time goes, per message)."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

import psutil


def _cpu_s(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


class CpuMeter:
    """Snapshots of CPU seconds used by named processes (``tree`` ones with their children)."""

    def __init__(self, pids: Mapping[str, int | None], tree: frozenset[str] = frozenset()) -> None:
        self.procs: dict[str, psutil.Process] = {}
        for name, pid in pids.items():
            if pid is None:
                continue
            with contextlib.suppress(psutil.Error):
                self.procs[name] = psutil.Process(pid)
        self.tree = tree

    def snapshot(self) -> dict[str, float]:
        """Return CPU seconds used so far by each process (a server with its children)."""
        out: dict[str, float] = {}
        for name, proc in self.procs.items():
            total = 0.0
            members = [proc]
            with contextlib.suppress(psutil.Error):
                if name in self.tree:
                    members += proc.children(recursive=True)
            for member in members:
                with contextlib.suppress(psutil.Error):
                    total += _cpu_s(member)
            out[name] = total
        return out

    @staticmethod
    def per_message(
        before: Mapping[str, float], after: Mapping[str, float], messages: int
    ) -> dict[str, float]:
        """Return CPU milliseconds per message of each process between two snapshots."""
        if messages <= 0:
            return {}
        return {
            name: round((after[name] - before.get(name, 0.0)) * 1000 / messages, 3)
            for name in after
            if name in before
        }
