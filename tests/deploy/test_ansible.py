"""ansible/: syntax and lint of every playbook, and real runs of the box and edge roles on localhost.

The real runs use ``connection: local`` with ``ansible_python_interpreter`` set explicitly, into a
throwaway prefix under the test's tmp directory (venv, settings, data, unit files), as root with
no new system user (``financy_user: root``, ``financy_create_user: false``). Each role runs twice;
the second run must report ``changed=0`` in the play recap.

Installing Financy: the role really pip-installs a wheel of this checkout, built here, into a fresh
venv. Its dependencies are not downloaded again (a real resolve fetches hundreds of MB from PyPI):
they come from a directory of links to the project venv's installed distributions (Financy's own
left out), which the role adds to the new venv's ``sys.path`` (``financy_venv_site_dirs``), with
``--no-index --no-deps``.

No systemd runs on this machine (PID 1 is not systemd): the roles install the unit files and skip
enabling them (``common_systemd: auto`` finds no ``/run/systemd/system``). The test then starts the
installed unit's ``ExecStart`` itself, with the environment its ``Environment=`` and
``EnvironmentFile=`` lines give, in its ``WorkingDirectory``, and checks ``/healthz``: what the unit
would run is proven, systemd's own handling of the unit is not.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from financy.edge.envfile import parse_env, read_env_file
from tests.conftest import create_database, drop_database
from tests.deploy.conftest import REPO, tools_dir
from tests.support.processes import financy_env, free_port, wait_http
from tests.support.redis7 import redis7_server

ANSIBLE = REPO / "ansible"
PLAYBOOKS = ("site.yml", "edge.yml", "box.yml", "upgrade.yml")
EXAMPLE_INVENTORY = ANSIBLE / "inventory" / "example" / "hosts.yml"
RECAP = re.compile(
    r"^localhost\s*:\s*ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)"
    r"\s+failed=(?P<failed>\d+)",
    re.MULTILINE,
)
#: What systemd gives a service of a system user before its own Environment= lines.
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
TESSDATA = Path("/usr/share/tesseract-ocr/5/tessdata")
PG_SERVER = os.environ.get("FINANCY_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

Run = Callable[..., subprocess.CompletedProcess[str]]


def test_every_playbook_passes_the_syntax_check(run_tool: Run) -> None:
    # One ansible-playbook for all four (each start costs seconds); it stops at the first bad one.
    result = run_tool(
        "ansible-playbook", "--syntax-check", "-i", EXAMPLE_INVENTORY, *PLAYBOOKS, cwd=ANSIBLE, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for playbook in PLAYBOOKS:
        assert f"playbook: {playbook}" in result.stdout, result.stdout


# ansible-lint loads every role and playbook and runs its own syntax checks: minutes on a loaded machine.
@pytest.mark.timeout(1200)
def test_ansible_lint_production_profile(run_tool: Run) -> None:
    result = run_tool(
        "ansible-lint", "--profile", "production", "--strict", "--nocolor", cwd=ANSIBLE, timeout=840
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Passed: 0 failure(s), 0 warning(s)" in output, output
    assert "Profile 'production' was required, and it passed" in output, output


# -- real runs -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def financy_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a wheel of this checkout (built from a copy, so the tree gets no build/ directory)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    shutil.copy2(REPO / "pyproject.toml", source)
    shutil.copy2(REPO / "README.md", source)
    shutil.copytree(REPO / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    out = work / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "--quiet", "-w", str(out), str(source)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = out.glob("financy-*.whl")
    return wheel


@pytest.fixture(scope="module")
def dependency_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a directory of links to this venv's installed distributions, without Financy's own."""
    tree = tmp_path_factory.mktemp("deps")
    site = Path(sysconfig.get_paths()["purelib"])
    for entry in site.iterdir():
        name = entry.name
        if name.startswith(("financy", "__editable__", "_financy")) or name in {"__pycache__"}:
            continue
        if name.endswith(".pth"):
            continue  # the new venv processes only its own .pth files; these would re-add the checkout
        (tree / name).symlink_to(entry)
    return tree


@dataclass
class Prefix:
    """A throwaway install prefix and the variables pointing the roles into it."""

    root: Path
    variables: dict[str, object]

    @property
    def units(self) -> Path:
        return self.root / "systemd"

    @property
    def venv(self) -> Path:
        return self.root / "opt" / "venv"


def make_prefix(root: Path, wheel: Path, deps: Path, **more: object) -> Prefix:
    """Return a prefix under ``root`` with the install variables every real run shares."""
    root.mkdir(parents=True, exist_ok=True)
    base_python = getattr(sys, "_base_executable", sys.executable)
    variables: dict[str, object] = {
        "financy_prefix": str(root / "opt"),
        "financy_etc_dir": str(root / "etc"),
        "financy_data_dir": str(root / "data"),
        "financy_unit_dir": str(root / "systemd"),
        "financy_user": "root",
        "financy_group": "root",
        "financy_create_user": False,
        "common_install_packages": False,
        "financy_python": base_python,
        "financy_package": str(wheel),
        "financy_pip_extra_args": ["--no-index", "--no-deps"],
        "financy_venv_site_dirs": [str(deps)],
        **more,
    }
    return Prefix(root, variables)


def write_inventory(prefix: Prefix, group: str) -> Path:
    """Write an inventory of localhost in ``group`` (local connection, the interpreter explicit)."""
    inventory = prefix.root / "inventory.json"
    inventory.write_text(
        json.dumps(
            {
                "all": {
                    "children": {group: {"hosts": {"localhost": None}}},
                    "vars": {
                        "ansible_connection": "local",
                        # discovery would pick a python shim that is not installed (STACK.md)
                        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                        "ansible_become": False,  # already root; no sudo here
                    },
                }
            }
        )
    )
    return inventory


def play(
    deploy_tool: Callable[[str], Path], prefix: Prefix, group: str, playbook: str, **extra: object
) -> dict[str, int]:
    """Run ``playbook`` on localhost; return its recap counts (the run must not fail)."""
    inventory = write_inventory(prefix, group)
    variables = prefix.root / "vars.json"
    variables.write_text(json.dumps({**prefix.variables, **extra}))
    # The playbook and what it runs see none of this test's Python settings (PYTHONPATH names the
    # checkout: the role's pip would find Financy "installed" there) nor its FINANCY_* settings.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FINANCY_", "PYTHON", "VIRTUAL_ENV"))}
    env.update({"ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", "PATH": f"{tools_dir()}:{SYSTEMD_PATH}"})
    result = subprocess.run(
        [deploy_tool("ansible-playbook"), "-i", inventory, playbook, "-e", f"@{variables}"],
        cwd=ANSIBLE, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    variables.unlink()  # it may hold the enrolment token
    output = result.stdout + result.stderr
    with (prefix.root / f"{playbook}.log").open("a") as log:
        log.write(output)
    assert result.returncode == 0, output[-6000:]
    found = RECAP.search(result.stdout)
    assert found, output[-3000:]
    counts = {k: int(v) for k, v in found.groupdict().items()}
    assert counts["failed"] == 0, output[-3000:]
    assert counts["unreachable"] == 0, output[-3000:]
    return counts


def changed_tasks(prefix: Prefix, playbook: str) -> str:
    """Return the lines of the playbook's last log naming changed tasks (for assertion messages)."""
    text = (prefix.root / f"{playbook}.log").read_text()
    last = text.rsplit("PLAY [", 1)[-1]
    lines = last.splitlines()
    return "\n".join(
        f"{lines[i - 1]} {line}" for i, line in enumerate(lines) if line.startswith("changed:") and i
    )


@dataclass
class Unit:
    """The [Service] of an installed unit file: what systemd would start, and how."""

    argv: list[str]
    env: dict[str, str]
    user: str
    working_directory: Path


def read_unit(path: Path) -> Unit:
    """Parse an installed unit: ``ExecStart``, ``Environment=``, ``EnvironmentFile=``, ``User``.

    The environment is built as systemd builds it: its defaults, then ``Environment=`` lines, then
    the ``EnvironmentFile=`` files in order (a leading ``-`` makes a missing file allowed).
    """
    section = ""
    argv: list[str] = []
    user = ""
    workdir = Path("/")
    env: dict[str, str] = {"PATH": SYSTEMD_PATH, "LANG": "C.UTF-8"}
    files: list[str] = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
            continue
        if section != "[Service]":
            continue
        key, _, value = line.partition("=")
        if key == "ExecStart":
            argv = shlex.split(value)
        elif key == "Environment":
            for item in shlex.split(value):
                name, _, val = item.partition("=")
                env[name] = val
        elif key == "EnvironmentFile":
            files.append(value)
        elif key == "User":
            user = value
        elif key == "WorkingDirectory":
            workdir = Path(value)
    for name in files:
        optional = name.startswith("-")
        file = Path(name.removeprefix("-"))
        if optional and not file.exists():
            continue
        env.update(parse_env(file.read_text()))
    if user:
        home = "/root" if user == "root" else "/"
        env.update({"USER": user, "LOGNAME": user, "HOME": home})
    assert argv, f"{path} has no ExecStart"
    return Unit(argv, env, user, workdir)


@contextlib.contextmanager
def started(unit: Unit, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Start the unit's ExecStart as systemd would (its own session); SIGTERM it afterwards."""
    with log.open("ab") as out:
        proc = subprocess.Popen(
            unit.argv, env=unit.env, cwd=unit.working_directory, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(90)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


# Two real playbook runs and a service start: about 1.5 CPU-minutes, many more wall-clock minutes on a loaded machine.
@pytest.mark.timeout(1200)
def test_box_role_installs_an_idempotent_service_that_answers(
    deploy_tool: Callable[[str], Path], financy_wheel: Path, dependency_tree: Path, tmp_path: Path
) -> None:
    port, edge_port = free_port(), free_port()
    prefix = make_prefix(
        tmp_path / "box", financy_wheel, dependency_tree,
        box_port=port, box_edge_port=edge_port, box_edge_workers=0,
    )  # fmt: skip
    first = play(deploy_tool, prefix, "box", "box.yml")
    assert first["changed"] > 0
    # The package itself is installed in the new venv (not the checkout): its files and console script.
    venv_python = prefix.venv / "bin" / "python"
    where = subprocess.run(
        [venv_python, "-c", "import financy, importlib.metadata as m; print(financy.__file__, m.version('financy'))"],
        capture_output=True, text=True, check=True, env={"PATH": SYSTEMD_PATH},
    ).stdout.split()  # fmt: skip
    assert where[0].startswith(str(prefix.venv)), where
    assert where[1] == "0.1.0"
    assert (prefix.venv / "bin" / "financy").is_file()

    second = play(deploy_tool, prefix, "box", "box.yml")
    assert second["changed"] == 0, changed_tasks(prefix, "box.yml")

    unit_file = prefix.units / "financy-box.service"
    unit = read_unit(unit_file)
    data_dir = prefix.root / "data" / "box"
    assert unit.argv == [
        str(prefix.venv / "bin" / "financy"), "up", "--data-dir", str(data_dir),
        "--port", str(port), "--edge-port", str(edge_port),
    ]  # fmt: skip
    assert unit.user == "root"
    assert "KillMode=mixed" in unit_file.read_text()
    settings = prefix.root / "etc" / "box.env"
    assert settings.stat().st_mode & 0o777 == 0o640
    assert unit.env["FINANCY_EDGE__WORKERS"] == "0"
    assert unit.env["FINANCY_MODELS_MANIFEST"] == str(prefix.root / "opt" / "share" / "manifest.toml")

    with started(unit, prefix.root / "box-service.log") as proc:
        wait_http(f"http://127.0.0.1:{port}/healthz", 180, proc)
        answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        assert answer.status_code == 200
        assert answer.json() == {"status": "ok"}
        wait_http(f"http://127.0.0.1:{edge_port}/healthz", 60, proc)
        assert (data_dir / "secrets" / "admin-password").is_file()
    assert proc.returncode == 0, (prefix.root / "box-service.log").read_text()[-3000:]


@pytest.fixture
def core_api(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """Yield the URL and environment of a real core API on a fresh, migrated PostgreSQL 15 database
    and a Redis 7 with ACLs (edges get their own ACL users at enrolment)."""
    database_url = create_database(PG_SERVER)
    try:
        with redis7_server(tmp_path / "redis7") as redis_url:
            port = free_port()
            env = financy_env(
                FINANCY_DATABASE_URL=database_url,
                FINANCY_REDIS_URL=redis_url,
                FINANCY_HOST="127.0.0.1",
                FINANCY_PORT=str(port),
                FINANCY_DATA_DIR=str(tmp_path / "core"),
                FINANCY_JWT_SECRET=secrets.token_hex(32),
            )
            migrated = subprocess.run(
                [sys.executable, "-m", "financy.cli", "core", "migrate"],
                env=env, capture_output=True, text=True, timeout=180, check=False,
            )  # fmt: skip
            assert migrated.returncode == 0, migrated.stdout + migrated.stderr
            with (tmp_path / "core-api.log").open("ab") as log:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "financy.cli", "core", "api"],
                    env=env, stdout=log, stderr=subprocess.STDOUT,
                )  # fmt: skip
            try:
                url = f"http://127.0.0.1:{port}"
                wait_http(f"{url}/healthz", 90, proc)
                yield url, env
            finally:
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    finally:
        drop_database(PG_SERVER, database_url)


def core_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``financy core ARGS`` against the test's core."""
    return subprocess.run(
        [sys.executable, "-m", "financy.cli", "core", *args],
        env=env, capture_output=True, text=True, timeout=120, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip


# Two real playbook runs and a service start: about 1.5 CPU-minutes, many more wall-clock minutes on a loaded machine.
@pytest.mark.timeout(1200)
def test_edge_role_pulls_models_enrols_once_and_installs_units_that_answer(
    deploy_tool: Callable[[str], Path],
    financy_wheel: Path,
    dependency_tree: Path,
    tmp_path: Path,
    core_api: tuple[str, dict[str, str]],
) -> None:
    core_url, core_env = core_api
    added = core_cli(core_env, "edges", "add", "garage")
    assert added.returncode == 0, added.stdout + added.stderr
    token_match = re.search(r"--token (\S+)", added.stdout)
    assert token_match, added.stdout
    token = token_match.group(1)

    edge_port = free_port()
    prefix = make_prefix(
        tmp_path / "edge", financy_wheel, dependency_tree,
        edge_core_url=core_url, edge_port=edge_port, edge_host="127.0.0.1", edge_workers=1,
        edge_models=[{"name": "tesseract-por", "source": str(TESSDATA)}, {"name": "tesseract-eng"}],
    )  # fmt: skip
    first = play(deploy_tool, prefix, "edge", "edge.yml", edge_enroll_token=token)
    assert first["changed"] > 0
    log = (prefix.root / "edge.yml.log").read_text()
    assert token not in log  # the enrolment task is no_log and the token goes on stdin

    data_dir = prefix.root / "data" / "edge"
    credentials = data_dir / "edge.env"
    assert credentials.stat().st_mode & 0o777 == 0o600
    values, _warnings = read_env_file(credentials)
    assert values["FINANCY_EDGE__ID"] == "garage"
    assert values["FINANCY_EDGE__CORE_URL"] == core_url
    assert values["FINANCY_REDIS_URL"].startswith("redis://edge-garage:")
    pulled = prefix.root / "data" / "models" / "tesseract-por" / "4.1.0" / "por.traineddata"
    assert pulled.read_bytes() == (TESSDATA / "por.traineddata").read_bytes()

    listed = core_cli(core_env, "edges", "list")
    assert listed.returncode == 0, listed.stderr
    assert "garage" in listed.stdout

    # Second run: the token is spent, edge.env exists, so nothing enrols again and nothing changes.
    second = play(deploy_tool, prefix, "edge", "edge.yml", edge_enroll_token=token)
    assert second["changed"] == 0, changed_tasks(prefix, "edge.yml")
    assert read_env_file(credentials)[0] == values

    units = prefix.units
    edge_unit = read_unit(units / "financy-edge.service")
    assert edge_unit.argv == [
        str(prefix.venv / "bin" / "financy"),
        "edge",
        "run",
        "--data-dir",
        str(data_dir),
    ]
    worker_unit = read_unit(units / "financy-edge-worker@.service")
    assert worker_unit.argv[1:] == ["edge", "worker", "--data-dir", str(data_dir)]
    assert edge_unit.env["FINANCY_EDGE__PORT"] == str(edge_port)

    with started(edge_unit, prefix.root / "edge-service.log") as proc:
        wait_http(f"http://127.0.0.1:{edge_port}/healthz", 120, proc)
        answer = httpx.get(f"http://127.0.0.1:{edge_port}/healthz", timeout=5)
        assert answer.status_code == 200
        # Enrolled for real: the edge reaches the core's Redis as its own ACL user (readiness).
        wait_http(f"http://127.0.0.1:{edge_port}/readyz", 60, proc)
