"""``DIR/edge.env``: the credentials an enrolled edge keeps, as ``KEY=VALUE`` lines (mode 0600).

The format is a small, strict subset that systemd's ``EnvironmentFile=`` and a POSIX shell read
the same way:

* one ``KEY=VALUE`` a line; keys ``[A-Z_][A-Z0-9_]*``; blank lines and ``#`` comments skipped;
* a value made only of ``A-Z a-z 0-9 _ . / : @ % + , = -`` is written bare; any other value is
  written in double quotes with ``\\``, ``"``, ``$`` and `````` escaped by a backslash;
* newlines, carriage returns and NUL are refused in values (one line is one setting).

Reading accepts bare values, double-quoted values with those escapes and single-quoted values
(taken literally). Errors name the line, never the value (values are secrets).
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Iterable, Mapping, MutableMapping
from pathlib import Path

ENV_FILE_NAME = "edge.env"
FILE_MODE = 0o600

_KEY_RE = re.compile(r"[A-Z_][A-Z0-9_]*")
_BARE_RE = re.compile(r"[A-Za-z0-9_./:@%+,=-]+")
_FORBIDDEN = ("\n", "\r", "\x00")
_ESCAPED = {"\\", '"', "$", "`"}


class EnvFileError(ValueError):
    """An env file (or a setting for one) is not in the format above; the message names the line."""


def quote_value(value: str) -> str:
    """Return ``value`` as written after ``KEY=``: bare when safe, else double-quoted and escaped.

    Raises:
        EnvFileError: ``value`` holds a newline, a carriage return or NUL.
    """
    if any(ch in value for ch in _FORBIDDEN):
        raise EnvFileError("a value may not contain a newline, carriage return or NUL")
    if _BARE_RE.fullmatch(value):
        return value
    return '"' + "".join("\\" + ch if ch in _ESCAPED else ch for ch in value) + '"'


def format_env(items: Iterable[tuple[str, str]]) -> str:
    """Return the file text for ``(key, value)`` pairs in order, one line each, ending in a newline.

    Raises:
        EnvFileError: a key is not ``[A-Z_][A-Z0-9_]*``, appears twice, or a value is refused.
    """
    lines: list[str] = []
    seen: set[str] = set()
    for key, value in items:
        if not _KEY_RE.fullmatch(key):
            raise EnvFileError(f"{key[:60]!r} is not a setting name (A-Z, 0-9 and _)")
        if key in seen:
            raise EnvFileError(f"{key} is given twice")
        seen.add(key)
        try:
            lines.append(f"{key}={quote_value(value)}")
        except EnvFileError as exc:
            raise EnvFileError(f"{key}: {exc}") from None
    return "".join(line + "\n" for line in lines)


def _unquote_double(value: str, number: int) -> str:
    """Decode ``value`` (starting with its opening ``"``); the closing quote must end it."""
    out: list[str] = []
    i = 1
    while i < len(value):
        ch = value[i]
        if ch == "\\":
            if i + 1 >= len(value):
                break
            nxt = value[i + 1]
            out.append(nxt if nxt in _ESCAPED else "\\" + nxt)
            i += 2
            continue
        if ch == '"':
            if i != len(value) - 1:
                raise EnvFileError(f"line {number}: text after the closing double quote")
            return "".join(out)
        out.append(ch)
        i += 1
    raise EnvFileError(f"line {number}: the double quote is not closed")


def parse_env(text: str) -> dict[str, str]:
    """Return the settings in ``text`` (the env file format above), later lines winning.

    Raises:
        EnvFileError: a line is not ``KEY=VALUE``, a key is malformed or a quote is not closed.
    """
    settings: dict[str, str] = {}
    for number, raw_line in enumerate(text.split("\n"), start=1):
        line = raw_line.removesuffix("\r").strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not _KEY_RE.fullmatch(key):
            raise EnvFileError(f"line {number} is not KEY=VALUE with a key of A-Z, 0-9 and _")
        value = value.strip()
        if value.startswith('"'):
            value = _unquote_double(value, number)
        elif value.startswith("'"):
            if len(value) < 2 or not value.endswith("'") or "'" in value[1:-1]:
                raise EnvFileError(f"line {number}: the single quote is not closed")
            value = value[1:-1]
        elif any(ch in value for ch in " \t\"'`$\\"):
            raise EnvFileError(f"line {number}: a value with spaces or quotes must be double-quoted")
        settings[key] = value
    return settings


def read_env_file(path: Path) -> tuple[dict[str, str], list[str]]:
    """Return the settings in ``path`` and warnings (mode wider than 0600, not owned by this user).

    Raises:
        FileNotFoundError: no file at ``path``.
        EnvFileError: the file is not valid UTF-8 or not in the format above.
        OSError: the file cannot be read.
    """
    with path.open("rb") as handle:
        info = os.fstat(handle.fileno())
        data = handle.read()
    warnings: list[str] = []
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        warnings.append(
            f"{path} has mode {mode:04o}: it holds this edge's credentials, others may read it "
            f"(chmod 600 {path})"
        )
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        warnings.append(f"{path} belongs to user id {info.st_uid}, not to the user running this edge")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise EnvFileError(f"{path} is not UTF-8 text") from None
    try:
        return parse_env(text), warnings
    except EnvFileError as exc:
        raise EnvFileError(f"{path}: {exc}") from None


def apply_env(settings: Mapping[str, str], environ: MutableMapping[str, str]) -> list[str]:
    """Set each of ``settings`` in ``environ`` unless already there (the real environment wins).

    Returns the keys the environment kept (not taken from the file).
    """
    kept = [key for key in settings if key in environ]
    for key, value in settings.items():
        environ.setdefault(key, value)
    return kept


def write_env_file(path: Path, text: str, *, replace: bool) -> None:
    """Write ``text`` to ``path`` atomically with mode 0600 (temporary file, fsync, rename, fsync dir).

    With ``replace`` False an existing ``path`` is never overwritten, even one made a moment ago.

    Raises:
        FileExistsError: ``path`` exists and ``replace`` is False.
        OSError: the directory cannot be written.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)  # whatever the umask
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails with FileExistsError: no check-then-write race
            tmp.unlink()
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
