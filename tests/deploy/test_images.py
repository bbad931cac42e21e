"""The container images' files, checked offline: hadolint, checkov, their structure, ``.dockerignore``.

No Docker engine runs here: nothing is built. What can be known without building is checked: the
linters' findings, that each image runs as uid 10001 with a ``financy`` entrypoint, a healthcheck and a
command line the real ``financy`` parser accepts, pinned bases, no secret in a layer, the extras and
Debian packages each process needs, and what the build context sends.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import tomllib
from collections.abc import Callable

import pytest

from financy.cli import build_parser
from tests.deploy.conftest import REPO
from tests.deploy.dockerfiles import IgnoreRules, Stage, env_values, read_stages

Run = Callable[..., subprocess.CompletedProcess[str]]
DOCKERFILES = {"core": REPO / "docker" / "core.Dockerfile", "edge": REPO / "docker" / "edge.Dockerfile"}
EXTRAS = {"core": {"core", "train", "inference", "backup"}, "edge": {"edge", "inference", "speech", "vision"}}
DEFAULT_CMD = {"core": ["core", "api"], "edge": ["edge", "run", "--data-dir", "/var/lib/financy"]}
PORT = {"core": 8080, "edge": 8081}
SECRET_WORDS = re.compile(r"SECRET|TOKEN|PASSWORD|PASSWD|ACCESS_KEY|PRIVATE|CREDENTIAL|API_KEY", re.I)


def final_stage(kind: str) -> Stage:
    return read_stages(DOCKERFILES[kind])[-1]


def parses(argv: list[str]) -> None:
    """Fail unless ``financy ARGV`` parses with the real command line (argparse exits 2 otherwise)."""
    try:
        build_parser().parse_args(argv)
    except SystemExit as exc:  # pragma: no cover - the failure path
        pytest.fail(f"financy {shlex.join(argv)} does not parse (exit {exc.code})")


def test_hadolint_finds_nothing_at_warning(run_tool: Run) -> None:
    result = run_tool(
        "hadolint", "--failure-threshold", "warning", "-f", "json", *DOCKERFILES.values(), timeout=60
    )
    findings = json.loads(result.stdout or "[]")
    serious = [f for f in findings if f["level"] in ("error", "warning")]
    assert serious == [], serious
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("kind", sorted(DOCKERFILES))
def test_each_hadolint_ignore_is_justified(kind: str) -> None:
    """Every ``# hadolint ignore=RULE`` has a comment just above it that names RULE and says why."""
    lines = DOCKERFILES[kind].read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        match = re.match(r"#\s*hadolint\s+ignore=(\S+)", line.strip())
        if not match:
            continue
        above: list[str] = []
        for previous in reversed(lines[:number]):
            if not previous.strip().startswith("#"):
                break
            above.append(previous)
        comment = " ".join(above)
        for rule in match.group(1).split(","):
            assert rule in comment, f"{kind}:{number + 1}: ignore of {rule} without a reason naming it"
        assert len(comment) > 60, f"{kind}:{number + 1}: the reason is too short to be one"


def test_checkov_fails_no_dockerfile_check(run_tool: Run) -> None:
    args = [a for path in DOCKERFILES.values() for a in ("-f", str(path))]
    result = run_tool(
        "checkov", "--framework", "dockerfile", *args, "--skip-download", "-o", "json", "--quiet", timeout=300
    )
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    summary = reports[0]["summary"]
    assert summary["parsing_errors"] == 0
    assert summary["resource_count"] == 2
    assert summary["passed"] > 50  # the Dockerfile policies really ran on both files
    failed = [c["check_id"] for r in reports for c in r.get("results", {}).get("failed_checks", [])]
    assert failed == []
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.parametrize("kind", sorted(DOCKERFILES))
def test_checkov_skips_carry_a_reason(kind: str) -> None:
    text = DOCKERFILES[kind].read_text(encoding="utf-8")
    for match in re.finditer(r"checkov:skip=([A-Z0-9_]+)(:?)(.*)", text):
        assert match.group(2) == ":", match.group(0)
        assert len(match.group(3).strip()) > 20, match.group(0)


@pytest.mark.parametrize("kind", sorted(DOCKERFILES))
def test_multi_stage_with_pinned_bases(kind: str) -> None:
    stages = read_stages(DOCKERFILES[kind])
    assert len(stages) >= 2
    assert stages[0].name == "builder"
    for stage in stages:
        assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", stage.image), stage.image
    text = DOCKERFILES[kind].read_text(encoding="utf-8")
    assert "digest" in text
    assert "offline" in text
    # wheels are built in the builder and installed from there in the runtime, without an index
    builder, runtime = stages[0], stages[-1]
    assert any("pip wheel" in r.args for r in builder.all("RUN"))
    installs = [r.args for r in runtime.all("RUN") if "pip install" in r.args]
    assert len(installs) == 1
    assert "from=builder" in installs[0]
    assert "--no-index" in installs[0]
    assert "--no-cache-dir" in installs[0]
    assert not any(c.args.startswith("--from=builder") for c in runtime.all("COPY")), "wheels in a layer"


@pytest.mark.parametrize("kind", sorted(DOCKERFILES))
def test_runs_as_uid_10001_with_financy_entrypoint(kind: str) -> None:
    stage = final_stage(kind)
    user = stage.last("USER")
    assert user is not None
    assert user.args == "10001:10001"
    # nothing after USER switches back or runs as root
    after = [i for i in stage.instructions if i.line > user.line]
    assert not any(i.keyword in {"USER", "RUN"} for i in after), after
    runs = " ".join(r.args for r in stage.all("RUN"))
    assert "--uid 10001" in runs
    assert "--gid 10001" in runs
    assert "financy" in runs
    workdir = stage.last("WORKDIR")
    assert workdir is not None
    assert workdir.args == "/var/lib/financy"
    entrypoint = stage.last("ENTRYPOINT")
    assert entrypoint is not None
    assert entrypoint.exec_form() == ["financy"]
    expose = stage.last("EXPOSE")
    assert expose is not None
    assert expose.args == str(PORT[kind])


@pytest.mark.parametrize("kind", sorted(DOCKERFILES))
def test_cmd_and_healthcheck_parse_with_financy(kind: str) -> None:
    stage = final_stage(kind)
    cmd = stage.last("CMD")
    assert cmd is not None
    assert cmd.exec_form() == DEFAULT_CMD[kind]
    parses(DEFAULT_CMD[kind])
    health = stage.last("HEALTHCHECK")
    assert health is not None
    options, _, command = health.args.partition(" CMD ")
    assert re.search(r"--interval=\d+s", options)
    assert re.search(r"--timeout=\d+s", options)
    argv = json.loads(command)
    assert argv[:2] == ["financy", "healthcheck"]
    assert argv[2] == f"http://127.0.0.1:{PORT[kind]}/healthz"
    parses(argv[1:])


@pytest.mark.parametrize("kind", sorted(DOCKERFILES))
def test_environment_holds_no_secret_and_the_shared_settings(kind: str) -> None:
    stages = read_stages(DOCKERFILES[kind])
    for stage in stages:
        for instruction in (*stage.all("ARG"), *stage.all("ENV")):
            names = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=", instruction.args) or instruction.args.split()[:1]
            assert not [n for n in names if SECRET_WORDS.search(n)], instruction
    env = env_values(stages[-1])
    assert env["FINANCY_HOST"] == "0.0.0.0"
    assert env["FINANCY_EDGE__HOST"] == "0.0.0.0"
    assert env["FINANCY_MODELS_DIR"] == "/var/lib/financy/models"
    assert env["FINANCY_MODELS_MANIFEST"] == "/opt/financy/models/manifest.toml"
    assert env["PATH"].startswith("/opt/venv/bin:")
    copies = [c.args.split() for c in stages[-1].all("COPY")]
    assert ["--chown=root:root", "models/manifest.toml", "/opt/financy/models/manifest.toml"] in copies


@pytest.mark.parametrize("kind", sorted(DOCKERFILES))
def test_extras_are_the_process_needs_and_exist(kind: str) -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    text = " ".join(i.args for s in read_stages(DOCKERFILES[kind]) for i in s.all("RUN"))
    named = re.findall(r"financy(?:-0\.1\.0-py3-none-any\.whl)?\[([a-z,]+)\]", text)
    assert named, "no extras installed"
    for group in named:
        assert set(group.split(",")) == EXTRAS[kind]
    assert EXTRAS[kind] <= set(project["optional-dependencies"])
    assert f"=={project['version']}" in text  # the runtime installs exactly this version


def test_core_has_the_backup_tools_and_says_their_constraint() -> None:
    stage = final_stage("core")
    installs = " ".join(r.args for r in stage.all("RUN") if "pip install" in r.args)
    assert "backup]" in installs  # the extra with PostgreSQL 18's pg_dump, pg_restore and psql
    text = DOCKERFILES["core"].read_text(encoding="utf-8")
    assert "pg_dump" in text
    assert "pg_restore" in text
    assert "VERSION CONSTRAINT" in text


def test_edge_has_tesseract_at_the_manifest_versions() -> None:
    stage = final_stage("edge")
    installs = " ".join(r.args for r in stage.all("RUN") if "apt-get install" in r.args)
    manifest = tomllib.loads((REPO / "models" / "manifest.toml").read_text(encoding="utf-8"))
    debian = [a["source"].removeprefix("debian:") for a in manifest["artifacts"].values() if
              a["source"].startswith("debian:")]  # fmt: skip
    assert sorted(debian) == ["tesseract-ocr-eng=1:4.1.0-2", "tesseract-ocr-por=1:4.1.0-2"]
    for package in (*debian, "tesseract-ocr=5.3.0-2"):
        assert package in installs.split()
    for run in stage.all("RUN"):
        if "apt-get" in run.args:
            assert "--no-install-recommends" in run.args
            assert "rm -rf /var/lib/apt/lists/*" in run.args


def context_files() -> list[str]:
    """Return every file of the repository as the build context would see it (``/``-separated)."""
    found = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    return found


def test_dockerignore_sends_only_what_the_images_copy() -> None:
    rules = IgnoreRules.read(REPO / ".dockerignore")
    for path in (
        "var/secrets/admin-password", "var/postgres/PG_VERSION", ".venv/bin/python", ".venv-deploy/bin/checkov",
        ".git/config", "secrets/jwt.key", "src/financy/secrets/x", "compose/.env", "compose/edge.env",
        "prod.env", ".env", ".env.local", "tests/conftest.py", "deploy/tls.key", "src/financy/__pycache__/cli.pyc",
        "src/financy.egg-info/PKG-INFO", "src/var/x", "docker/core.Dockerfile",
    ):  # fmt: skip
        assert rules.excluded(path), f"{path} would be sent to the Docker daemon"
    for path in (
        "pyproject.toml", "README.md", "models/manifest.toml", "src/financy/cli.py",
        "src/financy/core/adapters/data/edge_acl.txt", "src/financy/core/migrations/env.py",
        "compose/.env.example",
    ):  # fmt: skip
        assert not rules.excluded(path), f"{path} is needed (or harmless) but left out"


def test_every_copied_source_is_in_the_context() -> None:
    """What each ``COPY`` names exists in the repository and is not dropped by ``.dockerignore``."""
    rules = IgnoreRules.read(REPO / ".dockerignore")
    files = context_files()
    sent = [f for f in files if not rules.excluded(f)]
    for kind, path in DOCKERFILES.items():
        for stage in read_stages(path):
            for copy in stage.all("COPY"):
                words = [w for w in copy.args.split() if not w.startswith("--")]
                for named in words[:-1]:
                    source = named.rstrip("/")
                    assert any(f == source or f.startswith(source + "/") for f in sent), (kind, source)
    assert not [f for f in sent if f.startswith(("tests/", "var/", ".git"))]
    assert not [f for f in sent if f.endswith(".env") or "/secrets/" in f]
