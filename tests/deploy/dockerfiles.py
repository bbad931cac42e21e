"""Readers of the deployment files the tests check: Dockerfile instructions and ``.dockerignore`` rules.

Small on purpose: a Dockerfile is read as its instructions (continuation lines joined, comments and
parser directives kept apart), and ``.dockerignore`` is matched as Docker's pattern matcher does
(Go ``filepath.Match`` plus ``**``; a pattern matching a parent directory matches what is inside;
the last matching pattern wins, ``!`` re-includes).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Instruction:
    """One Dockerfile instruction: ``keyword`` upper-cased, ``args`` its text, ``line`` (1-based)."""

    keyword: str
    args: str
    line: int

    def exec_form(self) -> list[str] | None:
        """Return the JSON (exec) form of ``args`` (``["financy", "core", "api"]``), or ``None``."""
        text = self.args.strip()
        if not text.startswith("["):
            return None
        value = json.loads(text)
        if not (isinstance(value, list) and all(isinstance(item, str) for item in value)):
            raise ValueError(f"line {self.line}: {self.keyword} is not a JSON list of strings")
        return value


@dataclass(frozen=True, slots=True)
class Stage:
    """One build stage: its ``FROM`` image, its ``AS`` name and its instructions (``FROM`` included)."""

    image: str
    name: str | None
    instructions: tuple[Instruction, ...]

    def all(self, keyword: str) -> list[Instruction]:
        """Return the stage's instructions with ``keyword`` (``RUN``, ``ENV`` …), in order."""
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        """Return the stage's last ``keyword`` instruction, or ``None``."""
        found = self.all(keyword)
        return found[-1] if found else None


def read_instructions(path: Path) -> list[Instruction]:
    """Return ``path``'s instructions (continuations joined, comment lines inside them dropped)."""
    instructions: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # a comment inside a continued instruction is not part of it
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        text = " ".join(part for part in pending if part)
        pending = []
        keyword, _, args = text.partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip(), start))
    if pending:
        raise ValueError(f"{path}: the instruction at line {start} ends in a continuation")
    return instructions


def read_stages(path: Path) -> list[Stage]:
    """Return ``path``'s build stages in order.

    Raises:
        ValueError: an instruction before the first ``FROM`` (other than ``ARG``).
    """
    stages: list[Stage] = []
    current: list[Instruction] = []
    for instruction in read_instructions(path):
        if instruction.keyword == "FROM":
            if current:
                stages.append(_stage(current))
            current = [instruction]
        elif current:
            current.append(instruction)
        elif instruction.keyword != "ARG":
            raise ValueError(f"{path}:{instruction.line}: {instruction.keyword} before FROM")
    if current:
        stages.append(_stage(current))
    return stages


def _stage(instructions: list[Instruction]) -> Stage:
    words = [w for w in instructions[0].args.split() if not w.startswith("--")]
    name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
    return Stage(words[0], name, tuple(instructions))


def env_values(stage: Stage) -> dict[str, str]:
    """Return the ``ENV KEY=VALUE`` settings of ``stage`` (quotes removed; later ones win)."""
    values: dict[str, str] = {}
    for instruction in stage.all("ENV"):
        for match in re.finditer(r'([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)', instruction.args):
            values[match.group(1)] = match.group(2).strip('"')
    return values


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = pattern.index("]", i)
            body = pattern[i + 1 : end]
            out.append("[" + ("^" + body[1:] if body.startswith("^") else body) + "]")
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out) + r"\Z")


@dataclass(frozen=True, slots=True)
class IgnoreRules:
    """The rules of a ``.dockerignore``: ``(exclude, regex)`` pairs in file order."""

    rules: tuple[tuple[bool, re.Pattern[str]], ...]

    @classmethod
    def read(cls, path: Path) -> IgnoreRules:
        """Parse ``path`` (``#`` comments and blank lines skipped, patterns cleaned as Docker does)."""
        rules: list[tuple[bool, re.Pattern[str]]] = []
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            exclude = not line.startswith("!")
            pattern = line.lstrip("!").strip().strip("/")
            pattern = re.sub(r"/+", "/", pattern).removeprefix("./")
            rules.append((exclude, _pattern_regex(pattern)))
        return cls(tuple(rules))

    def excluded(self, relative: str) -> bool:
        """Return True when the file ``relative`` (a ``/``-separated path in the context) is left out."""
        parts = relative.strip("/").split("/")
        prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
        result = False
        for exclude, regex in self.rules:
            if any(regex.match(prefix) for prefix in prefixes):
                result = exclude
        return result
