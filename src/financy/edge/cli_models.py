"""``financy models list|verify|pull``: the model artifacts of ``models/manifest.toml`` (DESIGN §5).

Exit codes: 0 success; 1 a checksum mismatch, a missing artifact in ``verify``, or a failed ``pull``
(nothing installed); 2 bad usage or an unreadable manifest. Errors go to stderr as
``error: <code>: <message>`` (with ``--json``, stdout gets ``{"error": {"code", "message"}}``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from financy.inference.registry import Artifact, ModelError, ModelRegistry


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"  # pragma: no cover


def _error(args: argparse.Namespace, exc: ModelError, status: int = 1) -> int:
    if getattr(args, "json", False):
        print(json.dumps({"error": {"code": exc.code, "message": str(exc)}}, ensure_ascii=False))
    print(f"error: {exc.code}: {exc}", file=sys.stderr)
    return status


def _languages(artifact: Artifact) -> str:
    langs = artifact.languages
    return ",".join(langs) if len(langs) <= 5 else f"{len(langs)} languages"


def _list(registry: ModelRegistry, args: argparse.Namespace) -> int:
    names = [args.name] if args.name else [a.name for a in registry.artifacts()]
    rows: list[dict[str, Any]] = []
    for name in names:
        artifact = registry.artifact(name)
        try:
            found = registry.locate(name)
        except ModelError:
            found = None
        joinable = found is None and registry.joinable(name)
        rows.append(
            {
                "name": artifact.name,
                "version": artifact.version,
                "kind": artifact.kind,
                "languages": list(artifact.languages),
                "size": artifact.size,
                "sha256": artifact.sha256,
                "licence": artifact.licence,
                "source": artifact.source,
                "installed": found is not None or joinable,
                "where": found[0] if found else ("join" if joinable else None),
                "path": str(found[1]) if found else (str(registry.store_dir(name)) if joinable else None),
            }
        )
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    header = ("NAME", "VERSION", "KIND", "LANGUAGES", "SIZE", "LICENCE", "SOURCE", "INSTALLED")
    table = [header]
    for row in rows:
        installed = "no"
        if row["where"] == "join":
            installed = "parts (joined on first use)"
        elif row["installed"]:
            installed = f"{row['where']}: {row['path']}"
        artifact = registry.artifact(row["name"])
        table.append(
            (
                row["name"],
                row["version"],
                row["kind"],
                _languages(artifact),
                _human(row["size"]),
                row["licence"],
                row["source"],
                installed,
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(header) - 1)]
    for line in table:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(line[:-1], widths, strict=True))
            + "  "
            + line[-1]
        )
    return 0


def _verify(registry: ModelRegistry, args: argparse.Namespace) -> int:
    names = [args.name] if args.name else [a.name for a in registry.artifacts()]
    results: list[dict[str, Any]] = []
    status = 0
    for name in names:
        registry.artifact(name)
        try:
            result = registry.verify(name)
        except ModelError as exc:
            status = 1
            results.append({"name": name, "ok": False, "code": exc.code, "message": str(exc)})
            if not args.json:
                print(f"{name}: MISSING ({exc.code}) {exc}")
            continue
        if not result.ok:
            status = 1
        results.append(
            {
                "name": name,
                "ok": result.ok,
                "code": None if result.ok else "checksum_mismatch",
                "path": str(result.path),
                "expected": result.expected,
                "actual": result.actual,
                "size": result.size,
                "seconds": round(result.seconds, 3),
                "mismatches": list(result.mismatches),
            }
        )
        if not args.json:
            verdict = "OK" if result.ok else "MISMATCH"
            print(f"{name}: {verdict} {result.path} ({_human(result.size)} in {result.seconds:.2f} s)")
            for problem in result.mismatches:
                print(f"  {problem}")
    if args.json:
        print(json.dumps(results, ensure_ascii=False))
    return status


def _pull(registry: ModelRegistry, args: argparse.Namespace) -> int:
    if not args.name or not args.source:
        print("error: usage: financy models pull NAME --from URL|DIR", file=sys.stderr)
        return 2
    artifact = registry.artifact(args.name)
    started = time.perf_counter()
    target = registry.pull(args.name, args.source)
    seconds = time.perf_counter() - started
    if args.json:
        out = {"name": artifact.name, "version": artifact.version, "path": str(target), "size": artifact.size}
        print(json.dumps(out | {"sha256": artifact.sha256, "seconds": round(seconds, 3)}, ensure_ascii=False))
    else:
        print(
            f"{artifact.name} {artifact.version}: installed {target} ({_human(artifact.size)}, sha256 verified)"
        )
    return 0


def models(args: argparse.Namespace) -> int:
    """Run ``financy models ACTION [NAME] [--from SRC] [--models-dir DIR] [--json]``; return the exit code."""
    models_dir = Path(args.models_dir) if getattr(args, "models_dir", None) else None
    try:
        registry = ModelRegistry.default(models_dir)
    except ModelError as exc:
        return _error(args, exc, status=2)
    try:
        if args.action == "list":
            return _list(registry, args)
        if args.action == "verify":
            return _verify(registry, args)
        if args.action == "pull":
            return _pull(registry, args)
    except ModelError as exc:
        return _error(args, exc)
    print(f"error: unknown action {args.action!r}", file=sys.stderr)
    return 2
