"""The lock a single box holds on its data directory (``DIR/box.lock``) while it runs.

``financy up`` holds it for its whole life; the offline commands that must not run beside a box
(``financy restore --data-dir``, a backup of a stopped box) take it too, so a box cannot start
meanwhile.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


class BoxLockedError(RuntimeError):
    """Another ``financy up`` holds the data directory's lock; ``holder`` is its pid if known."""

    def __init__(self, lock_path: Path, holder: int | None) -> None:
        self.lock_path = lock_path
        self.holder = holder
        who = f" (pid {holder})" if holder else ""
        super().__init__(f"another `financy up`{who} is already running on {lock_path.parent}")


@contextlib.contextmanager
def box_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive, non-blocking ``flock`` on ``path`` (writing our pid into it) while inside.

    The lock goes away with the process, so a crashed box never leaves the directory locked.

    Raises:
        BoxLockedError: another process holds the lock.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            holder: int | None = None
            with contextlib.suppress(ValueError, OSError):
                holder = int(os.pread(fd, 32, 0).decode().strip() or "0") or None
            raise BoxLockedError(path, holder) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
