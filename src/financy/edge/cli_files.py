"""What ``financy transcribe`` and ``financy receipt`` share: reading the input file, and failing clearly."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


class InputFileError(Exception):
    """A command's failure: ``code`` and ``message`` for the user, ``status`` for the exit."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def fail(command: str, args: argparse.Namespace, code: str, message: str, status: int) -> int:
    """Print one line to stderr (and ``{"error": {"code", "message"}}`` on stdout with --json);
    return ``status``."""
    print(f"financy {command}: {message} ({code})", file=sys.stderr)
    if getattr(args, "json", False):
        print(json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False))
    return status


def read_input(path: Path, what: str, max_bytes: int) -> bytes:
    """Return the bytes of the file ``path`` (``what`` names it in messages: "an audio file"...).

    Raises:
        InputFileError: ``unreadable_path`` (status 2) for a directory or an unreadable path,
            ``too_large`` (status 1) for a file over ``max_bytes``, refused before it is read.
    """
    try:
        if path.is_dir():
            raise InputFileError("unreadable_path", f"{path} is a directory, not {what}", 2)
        size = path.stat().st_size
        if size > max_bytes:  # refuse before reading a huge file into memory
            raise InputFileError(
                "too_large",
                f"the file is {size / 2**20:.1f} MB; at most {max_bytes / 2**20:.0f} MB is accepted",
                1,
            )
        return path.read_bytes()
    except OSError as exc:
        raise InputFileError("unreadable_path", f"cannot read {path}: {exc.strerror or exc}", 2) from exc
