"""``financy edge enroll --core URL --token TOKEN --data-dir DIR``: trade a one-time token for credentials.

The edge POSTs ``{"token", "software_version", "contract_versions"}`` to
``{core}/api/v1/edges/enroll`` and writes the answer to ``DIR/edge.env`` (mode 0600,
:mod:`financy.edge.envfile`): ``FINANCY_EDGE__ID``, ``FINANCY_REDIS_URL`` (the edge's own Redis
ACL user), ``FINANCY_EDGE__ORIGIN_KEY``, ``FINANCY_EDGE__CORE_URL``, ``FINANCY_S3__*`` when the
core gives object-store credentials, and ``FINANCY_EDGE__DATA_DIR``. ``financy edge run
--data-dir DIR`` then needs nothing else.

TLS is verified (the system's CAs, or ``--ca-file`` for a private CA). Plain ``http://`` is
allowed to a loopback host only, unless ``--insecure-http``: the token and the credentials that
come back would cross the network readable by anyone on the path.

Exit codes: 0 enrolled; 1 the core's answer was not what the contract says; 2 usage or local
problem (bad URL, refused http, ``edge.env`` exists without ``--force``, DIR not writable);
3 the token was refused (unknown, used or expired); 4 version skew (the core reads none of our
contract versions); 5 the core is unreachable or unavailable (503, network, TLS).
Secrets (the token, passwords, keys) are never printed.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import ssl
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from financy.core.contracts.v1 import SCHEMA_VERSION
from financy.edge.envfile import ENV_FILE_NAME, EnvFileError, format_env, write_env_file

EXIT_OK = 0
EXIT_BAD_ANSWER = 1
EXIT_USAGE = 2
EXIT_TOKEN_REFUSED = 3
EXIT_VERSION_SKEW = 4
EXIT_UNAVAILABLE = 5

#: The contract versions this edge writes and reads (sent to the core's version-skew guard).
CONTRACT_VERSIONS: tuple[int, ...] = (SCHEMA_VERSION,)
ENROLL_PATH = "/api/v1/edges/enroll"
_FROM_STDIN = "-"
_EDGE_ID_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_HEX_RE = re.compile(r"(?:[0-9a-fA-F]{2}){16,}")


class EnrollError(Exception):
    """Enrolment failed; ``code`` is the exit status, the message says why (never a secret)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class S3Grant(BaseModel):
    """The object-store credentials the core gives an edge (limited to its prefix)."""

    model_config = ConfigDict(extra="ignore")

    endpoint: str = Field(min_length=1)
    access_key: str = Field(min_length=1)
    secret_key: str = Field(min_length=1)
    bucket: str = Field(min_length=1)
    secure: bool | None = None
    region: str | None = None


class EnrollAnswer(BaseModel):
    """The core's 200 answer to ``POST /api/v1/edges/enroll`` (unknown fields ignored: additions only)."""

    model_config = ConfigDict(extra="ignore")

    edge_id: str
    redis_url: str
    origin_key: str
    s3: S3Grant | None = None
    core_url: str | None = None

    @field_validator("edge_id")
    @classmethod
    def _edge_id(cls, value: str) -> str:
        if not _EDGE_ID_RE.fullmatch(value):
            raise ValueError("edge_id must be 1-64 of A-Z a-z 0-9 _ . -")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if urlsplit(value).scheme not in ("redis", "rediss", "unix"):
            raise ValueError("redis_url must be a redis://, rediss:// or unix:// URL")
        return value

    @field_validator("origin_key")
    @classmethod
    def _origin_key(cls, value: str) -> str:
        if not _HEX_RE.fullmatch(value):
            raise ValueError("origin_key must be hex, at least 16 bytes")
        return value.lower()


def software_version() -> str:
    """Return this Financy's version (the installed package's, else ``financy.__version__``)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("financy")
    except PackageNotFoundError:
        import financy

        return financy.__version__


def is_loopback(host: str) -> bool:
    """Return True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_core_url(core: str, *, insecure_http: bool) -> str:
    """Return the core's base URL (no trailing ``/``) after checking it.

    Raises:
        EnrollError(EXIT_USAGE): not an http(s) URL with a host, credentials or a query in it, or
            ``http://`` to a host that is not loopback without ``insecure_http``.
    """
    core = core.strip().rstrip("/")
    try:
        parts = urlsplit(core)
        _ = parts.port
    except ValueError as exc:
        raise EnrollError(EXIT_USAGE, f"--core {core!r} is not a URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EnrollError(
            EXIT_USAGE, f"--core must be https://HOST[:PORT] (or http:// on loopback), not {core!r}"
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise EnrollError(EXIT_USAGE, "--core must not carry credentials, a query or a fragment")
    if parts.scheme == "http" and not is_loopback(parts.hostname) and not insecure_http:
        raise EnrollError(
            EXIT_USAGE,
            f"refusing plain http:// to {parts.hostname}: the enrolment token and the credentials the "
            "core sends back would cross the network unencrypted. Use https:// (with --ca-file for a "
            "private CA), or pass --insecure-http if this network is trusted.",
        )
    return core


def env_items(answer: EnrollAnswer, *, core_url: str, data_dir: Path) -> list[tuple[str, str]]:
    """Return the ``edge.env`` settings for ``answer``, in the file's order (fleet interfaces)."""
    items = [
        ("FINANCY_EDGE__ID", answer.edge_id),
        ("FINANCY_REDIS_URL", answer.redis_url),
        ("FINANCY_EDGE__ORIGIN_KEY", answer.origin_key),
        ("FINANCY_EDGE__CORE_URL", (answer.core_url or core_url).rstrip("/")),
    ]
    if answer.s3 is not None:
        s3 = answer.s3
        items += [
            ("FINANCY_S3__ENDPOINT", s3.endpoint),
            ("FINANCY_S3__ACCESS_KEY", s3.access_key),
            ("FINANCY_S3__SECRET_KEY", s3.secret_key),
            ("FINANCY_S3__BUCKET", s3.bucket),
        ]
        if s3.secure is not None:
            items.append(("FINANCY_S3__SECURE", "true" if s3.secure else "false"))
        if s3.region:
            items.append(("FINANCY_S3__REGION", s3.region))
    items.append(("FINANCY_EDGE__DATA_DIR", str(data_dir)))
    return items


def _error_text(response: httpx.Response) -> str:
    """Return the core's ``error`` text (a string or ``{"message"}``), cut short; "" if none."""
    try:
        body: Any = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        error = error.get("message") or error.get("code")
    return str(error)[:300] if error else ""


def _answer(response: httpx.Response) -> EnrollAnswer:
    """Map the core's answer to an :class:`EnrollAnswer` or an :class:`EnrollError`."""
    status = response.status_code
    said = _error_text(response)
    because = f" (the core says: {said})" if said else ""
    if status == 401:
        raise EnrollError(
            EXIT_TOKEN_REFUSED,
            "the core refused the enrolment token: it is unknown, already used or expired"
            f"{because}. Ask the core's admin for a new one (financy core edges add NAME).",
        )
    if status == 409:
        raise EnrollError(
            EXIT_VERSION_SKEW,
            f"the core reads none of this edge's contract versions {list(CONTRACT_VERSIONS)} "
            f"(Financy {software_version()}){because}: upgrade the edge or the core so they share one.",
        )
    if status == 503:
        raise EnrollError(
            EXIT_UNAVAILABLE,
            f"the core cannot make this edge's credentials now{because}; the token was not used, try again later.",
        )
    if status == 422:
        raise EnrollError(EXIT_BAD_ANSWER, f"the core refused the enrolment request as malformed{because}")
    if status != 200:
        raise EnrollError(EXIT_BAD_ANSWER, f"the core answered HTTP {status}{because}")
    try:
        body = response.json()
    except ValueError:
        kind = response.headers.get("content-type", "no content type")
        raise EnrollError(
            EXIT_BAD_ANSWER,
            f"the core's answer is not JSON ({kind}): is --core the Financy core's URL?",
        ) from None
    try:
        return EnrollAnswer.model_validate(body)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) or "body" for e in exc.errors())
        raise EnrollError(EXIT_BAD_ANSWER, f"the core's answer lacks or garbles: {fields}") from None


def exchange(
    core: str,
    token: str,
    *,
    ca_file: Path | None = None,
    timeout_s: float = 30.0,
) -> EnrollAnswer:
    """POST the enrolment request to ``core`` (checked base URL) and return the core's answer.

    Raises:
        EnrollError: the token was refused (3), version skew (4), the core is unreachable or
            unavailable (5), or it answered outside the contract (1).
    """
    verify: ssl.SSLContext | bool = True
    if ca_file is not None:
        try:
            verify = ssl.create_default_context(cafile=str(ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise EnrollError(EXIT_USAGE, f"--ca-file {ca_file}: cannot load it ({exc})") from None
    body = {
        "token": token,
        "software_version": software_version(),
        "contract_versions": list(CONTRACT_VERSIONS),
    }
    url = core + ENROLL_PATH
    try:
        with httpx.Client(verify=verify, timeout=timeout_s, trust_env=False) as http:
            response = http.post(url, json=body)
    except httpx.ConnectError as exc:
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(exc):
            raise EnrollError(
                EXIT_UNAVAILABLE,
                f"the core's TLS certificate is not trusted ({core}); give its CA with --ca-file",
            ) from None
        raise EnrollError(
            EXIT_UNAVAILABLE, f"cannot reach the core at {core} ({type(exc).__name__}: {exc})"
        ) from None
    except httpx.TimeoutException:
        raise EnrollError(
            EXIT_UNAVAILABLE, f"the core at {core} did not answer within {timeout_s:g} s"
        ) from None
    except httpx.HTTPError as exc:
        raise EnrollError(
            EXIT_UNAVAILABLE, f"talking to the core at {core} failed ({type(exc).__name__})"
        ) from None
    return _answer(response)


@dataclass(frozen=True)
class EnrollResult:
    """An enrolment that succeeded: the edge's id and the file written."""

    edge_id: str
    env_file: Path
    s3: bool


def enroll(
    core: str,
    token: str,
    data_dir: Path,
    *,
    force: bool = False,
    ca_file: Path | None = None,
    insecure_http: bool = False,
    timeout_s: float = 30.0,
) -> EnrollResult:
    """Enrol this edge with ``core`` using the one-time ``token``; write ``data_dir/edge.env``.

    Everything that can be checked locally (URL, token shape, an existing file, a writable
    directory) is checked before the token is spent.

    Raises:
        EnrollError: with the exit status and a message (see the module's exit codes).
    """
    base = check_core_url(core, insecure_http=insecure_http)
    token = token.strip()
    if not token or any(ch.isspace() or ord(ch) < 32 for ch in token) or len(token) > 512:
        raise EnrollError(EXIT_USAGE, "--token must be the one-time token `financy core edges add` printed")
    directory = data_dir.expanduser().resolve()
    target = directory / ENV_FILE_NAME
    if target.exists() and not force:
        raise EnrollError(
            EXIT_USAGE,
            f"{target} already exists (this edge is enrolled); pass --force to replace it with new credentials",
        )
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        probe = directory / f".{ENV_FILE_NAME}.probe-{os.getpid()}"
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        probe.unlink()
    except OSError as exc:
        raise EnrollError(EXIT_USAGE, f"cannot write in {directory} ({exc.strerror or exc})") from None
    host = urlsplit(base).hostname or ""
    if base.startswith("http://") and not is_loopback(host):
        print(
            f"warning: --insecure-http: the token and this edge's credentials cross the network to {host} "
            "unencrypted",
            file=sys.stderr,
        )
    answer = exchange(base, token, ca_file=ca_file, timeout_s=timeout_s)
    try:
        text = format_env(env_items(answer, core_url=base, data_dir=directory))
    except EnvFileError as exc:
        raise EnrollError(EXIT_BAD_ANSWER, f"the core's answer cannot be written safely: {exc}") from None
    try:
        write_env_file(target, text, replace=force)
    except FileExistsError:
        raise EnrollError(
            EXIT_USAGE,
            f"{target} appeared while enrolling; the token is now used: move that file away and ask for a new token",
        ) from None
    except OSError as exc:
        raise EnrollError(
            EXIT_USAGE,
            f"writing {target} failed ({exc.strerror or exc}); the token is now used: ask for a new one",
        ) from None
    return EnrollResult(answer.edge_id, target, answer.s3 is not None)


def run_enroll(
    core: str | None,
    token: str | None,
    data_dir: str | None,
    *,
    force: bool = False,
    ca_file: str | None = None,
    insecure_http: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """``financy edge enroll``: enrol, print where the credentials went; return the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    if token == _FROM_STDIN:  # keeps the token out of the process list and the shell history
        token = sys.stdin.readline().strip()
    if not core or not token or not data_dir:
        given = (("--core", core), ("--token", token), ("--data-dir", data_dir))
        print(f"financy edge enroll: {', '.join(f for f, v in given if not v)} required", file=err)
        return EXIT_USAGE
    try:
        result = enroll(
            core,
            token,
            Path(data_dir),
            force=force,
            ca_file=Path(ca_file) if ca_file else None,
            insecure_http=insecure_http,
        )
    except EnrollError as exc:
        print(f"financy edge enroll: {exc}", file=err)
        return exc.code
    with contextlib.suppress(OSError):
        out.write(
            f"Enrolled as edge {result.edge_id!r}; credentials saved in {result.env_file} (mode 0600"
            f"{', with object-store credentials' if result.s3 else ''}).\n"
            f"Start it with: financy edge run --data-dir {result.env_file.parent}\n"
        )
        out.flush()
    return EXIT_OK
