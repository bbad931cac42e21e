"""k8s/: both overlays render with kustomize, validate strictly against the newest Kubernetes schemas
kubernetes-validate ships, pass checkov with every skip justified, and have the properties an
operator relies on (tests/deploy/k8s_checks.py). A broken copy of k8s/ makes the same checks fail.

No cluster runs here: this is offline validation only.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import tomllib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy import k8s_checks as checks
from tests.deploy.conftest import REPO

K8S = REPO / "k8s"
#: The newest Kubernetes version kubernetes-validate 1.37.0 has strict schemas for.
K8S_VERSION = "1.37.0"
OVERLAYS = ("saas", "edge")
#: The only checkov checks a manifest may skip (each with its reason in a checkov.io/skip annotation).
ALLOWED_SKIPS = {"CKV_K8S_35", "CKV_K8S_40", "CKV_K8S_43"}
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]

Run = Callable[..., subprocess.CompletedProcess[str]]
Obj = dict[str, Any]

#: The rendered files: both overlays and a copy of k8s/ with the API's limits removed.
RENDERS = (*OVERLAYS, "saas-without-limits")


def objects(text: str) -> list[Obj]:
    """Return the rendered objects of ``text`` (a multi-document YAML stream)."""
    return [doc for doc in yaml.safe_load_all(text) if doc]


def _remove_api_limits(root: Path) -> None:
    api = root / "base" / "core" / "api.yaml"
    docs = [d for d in yaml.safe_load_all(api.read_text()) if d]
    del docs[0]["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    api.write_text(yaml.safe_dump_all(docs, sort_keys=False))


@pytest.fixture(scope="module")
def rendered(run_tool: Run, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Return ``{render name: file}``: ``kustomize build`` of each overlay and of the broken copy
    (run side by side: rendering is the slow part of this module)."""
    out = tmp_path_factory.mktemp("k8s")
    broken = out / "broken" / "k8s"
    shutil.copytree(K8S, broken)
    _remove_api_limits(broken)
    sources = {"saas": K8S, "edge": K8S, "saas-without-limits": broken}

    def build(name: str) -> tuple[str, subprocess.CompletedProcess[str]]:
        overlay = name.split("-", 1)[0]
        return name, run_tool("kustomize", "build", sources[name] / "overlays" / overlay, timeout=300)

    files = {}
    with ThreadPoolExecutor(max_workers=3) as pool:
        for name, done in pool.map(build, RENDERS):
            assert done.returncode == 0, f"kustomize build {name}: {done.stderr}"
            files[name] = out / f"{name}.yaml"
            files[name].write_text(done.stdout)
    return files


@pytest.fixture(scope="module")
def rendered_objects(rendered: dict[str, Path]) -> dict[str, list[Obj]]:
    """Return ``{render name: its objects}``."""
    return {name: objects(path.read_text()) for name, path in rendered.items()}


@pytest.fixture(scope="module")
def checkov_results(run_tool: Run, rendered: dict[str, Path]) -> dict[str, dict[str, list[Obj]]]:
    """Run checkov's Kubernetes checks once on every render; return ``{render name: {"passed" |
    "failed" | "skipped": [check records]}}``."""
    args: list[str | Path] = []
    for path in rendered.values():
        args += ["-f", path]
    done = run_tool(
        "checkov", "--framework", "kubernetes", *args, "-o", "json", "--skip-download", timeout=600
    )
    assert done.returncode in (0, 1), done.stderr[-2000:]
    report = json.loads(done.stdout)
    report = report[0] if isinstance(report, list) else report
    assert report["check_type"] == "kubernetes"
    by_file = {path.name: name for name, path in rendered.items()}
    results: dict[str, dict[str, list[Obj]]] = {
        n: {"passed": [], "failed": [], "skipped": []} for n in rendered
    }
    for outcome in ("passed", "failed", "skipped"):
        for record in report["results"][f"{outcome}_checks"]:
            results[by_file[Path(record["file_path"]).name]][outcome].append(record)
    return results


def test_kubernetes_validate_strict(run_tool: Run, rendered: dict[str, Path]) -> None:
    files = [rendered[o] for o in OVERLAYS]
    done = run_tool("kubernetes-validate", "--strict", "-k", K8S_VERSION, *files, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    for path in files:
        passed = re.findall(
            rf"{re.escape(str(path))} passed for resource (\S+) against", done.stdout + done.stderr
        )
        assert len(passed) == len(objects(path.read_text())) > 10, path.name


def test_validated_against_the_newest_schemas(run_tool: Run) -> None:
    done = run_tool(
        "python", "-c",
        "import kubernetes_validate, pathlib; d = pathlib.Path(kubernetes_validate.__file__).parent; "
        "print('\\n'.join(p.name for p in (d / 'kubernetes-json-schema').iterdir()))",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    strict = [re.match(r"v(\d+)\.(\d+)\.(\d+)-local-strict$", n) for n in done.stdout.split()]
    newest = max(tuple(int(g) for g in m.groups()) for m in strict if m)
    assert ".".join(map(str, newest)) == K8S_VERSION


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_checkov_fails_nothing_and_every_skip_says_why(
    overlay: str, checkov_results: dict[str, dict[str, list[Obj]]]
) -> None:
    results = checkov_results[overlay]
    assert [(r["check_id"], r["resource"]) for r in results["failed"]] == []
    assert len(results["passed"]) > 200
    for skipped in results["skipped"]:
        assert skipped["check_id"] in ALLOWED_SKIPS, skipped["check_id"]
        reason = skipped["check_result"].get("suppress_comment", "")
        assert len(reason) >= 30, (skipped["check_id"], skipped["resource"], reason)  # a reason, not an id


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_is_bounded_probed_and_confined(
    overlay: str, rendered_objects: dict[str, list[Obj]]
) -> None:
    objs = rendered_objects[overlay]
    assert checks.check_resources(objs) == []
    assert checks.check_probes(objs) == []
    assert checks.check_security(objs) == []
    assert checks.check_secrets(objs) == []
    assert checks.check_images(objs, VERSION) == []
    assert checks.check_disruption_budgets(objs) == []
    namespaces = {o["metadata"].get("namespace") for o in objs if o["kind"] != "Namespace"}
    assert namespaces == {"financy" if overlay == "saas" else "financy-edge"}


def test_saas_exposes_only_the_api_and_fences_the_edges(rendered_objects: dict[str, list[Obj]]) -> None:
    objs = rendered_objects["saas"]
    assert checks.check_network_policies(objs, exposed={"api"}, edges_reach={"redis", "minio"}) == []
    assert checks.check_exposure(objs, ingress_services={"financy-api"}) == []
    (ingress,) = [o for o in objs if o["kind"] == "Ingress"]
    assert [t["secretName"] for t in ingress["spec"]["tls"]] == ["financy-tls"]
    config = _find(objs, "ConfigMap", "financy-core-config")["data"]
    hosts = [rule["host"] for rule in ingress["spec"]["rules"]]
    assert config["FINANCY_EDGES__CORE_PUBLIC_URL"] == f"https://{hosts[0]}"  # edges enrol where it is served


def test_saas_migrates_before_the_rollout(rendered_objects: dict[str, list[Obj]]) -> None:
    objs = rendered_objects["saas"]
    assert checks.check_migration_gate(objs) == []
    gated = {
        o["metadata"]["name"] for o in objs
        if o["kind"] == "Deployment" and o["spec"]["template"]["spec"].get("initContainers")
    }  # fmt: skip
    assert gated == {"financy-api", "financy-ingest", "financy-worker", "financy-beat"}


def test_saas_autoscales_api_ingest_and_edge_workers(rendered_objects: dict[str, list[Obj]]) -> None:
    objs = rendered_objects["saas"]
    deployments = {o["metadata"]["name"]: o for o in objs if o["kind"] == "Deployment"}
    hpas = {o["spec"]["scaleTargetRef"]["name"]: o for o in objs if o["kind"] == "HorizontalPodAutoscaler"}
    assert set(hpas) == {"financy-api", "financy-ingest", "financy-edge-worker"}
    for name, hpa in hpas.items():
        assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        assert name in deployments
        assert 1 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
        assert "replicas" not in deployments[name]["spec"]  # an apply never resets what the HPA chose
    beat = deployments["financy-beat"]["spec"]
    assert beat["replicas"] == 1
    assert beat["strategy"]["type"] == "Recreate"  # never two schedulers


def test_saas_backs_up_nightly_into_a_timestamped_directory(rendered_objects: dict[str, list[Obj]]) -> None:
    objs = rendered_objects["saas"]
    (cron,) = [o for o in objs if o["kind"] == "CronJob"]
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    assert c["image"] == f"ghcr.io/financy/financy-core:{VERSION}"
    assert c["command"] == ["/bin/sh", "-c"]
    assert c["args"] == ['exec financy backup "/backups/$(date -u +%Y%m%dT%H%M%SZ)"']
    assert {m["mountPath"] for m in c["volumeMounts"]} >= {"/backups"}
    claims = {v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"] if "persistentVolumeClaim" in v}
    pvcs = {o["metadata"]["name"] for o in objs if o["kind"] == "PersistentVolumeClaim"}
    assert claims == {"financy-backups"} <= pvcs


def test_edge_overlay_is_an_enrolled_edge_and_nothing_of_the_core(
    rendered_objects: dict[str, list[Obj]],
) -> None:
    objs = rendered_objects["edge"]
    images = {c["image"] for _o, t in checks.workloads(objs) for _w, c in checks.containers(t)}
    assert images == {f"ghcr.io/financy/financy-edge:{VERSION}", "redis:7.4.6-bookworm"}
    assert checks.check_network_policies(objs, exposed=set(), edges_reach={"edge-queue"}) == []
    assert checks.check_exposure(objs, ingress_services=set()) == []
    for name in ("financy-edge", "financy-edge-worker"):
        (dep,) = [o for o in objs if o["kind"] == "Deployment" and o["metadata"]["name"] == name]
        (c,) = dep["spec"]["template"]["spec"]["containers"]
        assert c["args"][-2:] == ["--data-dir", "/var/lib/financy"]
        mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
        assert mounts["/var/lib/financy/edge.env"]["subPath"] == "edge.env"
        assert mounts["/var/lib/financy/edge.env"]["readOnly"] is True
        assert "/var/lib/financy/models" in mounts
        env = {e["name"]: e for e in c["env"]}
        assert "FINANCY_REDIS_URL" not in env  # the enrolled edge.env says where the core is
        assert env["FINANCY_EDGE__QUEUE_REDIS_URL"]["value"].startswith(
            "redis://:$(FINANCY_EDGE_QUEUE_PASSWORD)@"
        )
    (worker,) = [
        o for o in objs if o["metadata"]["name"] == "financy-edge-worker" and o["kind"] == "Deployment"
    ]
    affinity = worker["spec"]["template"]["spec"]["affinity"]["podAffinity"]
    assert (
        affinity["requiredDuringSchedulingIgnoredDuringExecution"][0]["topologyKey"]
        == "kubernetes.io/hostname"
    )


def documented_secrets() -> set[tuple[str, str]]:
    """Return the ``(Secret, key)`` rows of k8s/README.md's Secrets tables."""
    text = (K8S / "README.md").read_text()
    return set(re.findall(r"^\|\s*`([a-z0-9-]+)`\s*\|\s*`([A-Za-z0-9._-]+)`\s*\|", text, re.M))


def test_every_secret_used_is_documented_and_every_documented_one_used(
    rendered_objects: dict[str, list[Obj]],
) -> None:
    used = set().union(*(checks.secret_refs(rendered_objects[o]) for o in OVERLAYS))
    assert used == documented_secrets()
    assert ("financy-core", "database-url") in used


# --- a broken manifest must fail ---------------------------------------------------------------
# One breakage goes through the whole path (a source file of k8s/ edited, rendered, checked by
# checkov and by k8s_checks); the others break a copy of the rendered objects, which is enough to
# show each check bites (rendering is the slow part here).


def _find(objs: list[Obj], kind: str, name: str) -> Obj:
    (found,) = [o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def _main_container(objs: list[Obj], name: str) -> Obj:
    return _find(objs, "Deployment", name)["spec"]["template"]["spec"]["containers"][0]  # type: ignore[no-any-return]


def _no_gate(objs: list[Obj]) -> None:
    del _find(objs, "Deployment", "financy-ingest")["spec"]["template"]["spec"]["initContainers"]


def _literal_password(objs: list[Obj]) -> None:
    env = _main_container(objs, "financy-worker")["env"]
    env.append({"name": "FINANCY_CELERY_URL", "value": "redis://:hunter2hunter2@financy-redis:6379/1"})


def _writable_root(objs: list[Obj]) -> None:
    _main_container(objs, "financy-edge")["securityContext"]["readOnlyRootFilesystem"] = False


def _root_user(objs: list[Obj]) -> None:
    _main_container(objs, "financy-api")["securityContext"]["runAsUser"] = 0


def _no_probe(objs: list[Obj]) -> None:
    del _main_container(objs, "financy-beat")["readinessProbe"]


def _no_ingest_pdb(objs: list[Obj]) -> None:
    objs.remove(_find(objs, "PodDisruptionBudget", "financy-ingest"))


def _a_secret(objs: list[Obj]) -> None:
    objs.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "oops"}, "data": {"k": "dg=="}})


def _edge_exposed(objs: list[Obj]) -> None:
    objs.append({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "edge-open"},
        "spec": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/component": "edge"}}, "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}],
        },
    })  # fmt: skip


def _edge_reaches_postgres(objs: list[Obj]) -> None:
    rule = {"to": [{"podSelector": {"matchLabels": {"app.kubernetes.io/component": "postgres"}}}]}
    _find(objs, "NetworkPolicy", "edge-egress")["spec"]["egress"].append(rule)


def _no_default_deny(objs: list[Obj]) -> None:
    objs.remove(_find(objs, "NetworkPolicy", "default-deny"))


def _nodeport(objs: list[Obj]) -> None:
    _find(objs, "Service", "financy-edge")["spec"]["type"] = "NodePort"


def _fences(objs: list[Obj]) -> list[str]:
    return checks.check_network_policies(objs, exposed={"api"}, edges_reach={"redis", "minio"})


Breakage = tuple[Callable[[list[Obj]], None], Callable[[list[Obj]], list[str]], str]
BREAKAGES: dict[str, Breakage] = {
    "ingest without the migration gate": (_no_gate, checks.check_migration_gate, "financy-ingest: no initContainer"),
    "a literal password": (_literal_password, checks.check_secrets, "FINANCY_CELERY_URL: the value looks like"),
    "a Secret in the manifests": (_a_secret, checks.check_secrets, "Secret/oops"),
    "a writable root filesystem": (_writable_root, checks.check_security, "readOnlyRootFilesystem must be true"),
    "the API as root": (_root_user, checks.check_security, "financy-api container api: Financy's images run as"),
    "beat without readiness": (_no_probe, checks.check_probes, "financy-beat container beat: needs"),
    "ingest without a PDB": (_no_ingest_pdb, checks.check_disruption_budgets, "financy-ingest: no PodDisruptionBudget"),
    "an exposed edge": (_edge_exposed, _fences, "admits traffic from outside into edge"),
    "an edge reaching PostgreSQL": (_edge_reaches_postgres, _fences, "lets edges reach ['postgres']"),
    "no default deny": (_no_default_deny, _fences, "no default-deny NetworkPolicy"),
    "a NodePort edge": (_nodeport, lambda o: checks.check_exposure(o, ingress_services={"financy-api"}), "NodePort"),
}  # fmt: skip


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_a_broken_manifest_fails_its_check(breakage: str, rendered_objects: dict[str, list[Obj]]) -> None:
    change, check, expected = BREAKAGES[breakage]
    objs = rendered_objects["saas"]
    assert check(objs) == []
    broken = copy.deepcopy(objs)
    change(broken)
    problems = check(broken)
    assert any(expected in p for p in problems), problems


def test_a_limit_removed_from_k8s_fails_checkov_and_the_checks(
    rendered_objects: dict[str, list[Obj]], checkov_results: dict[str, dict[str, list[Obj]]]
) -> None:
    assert checks.check_resources(rendered_objects["saas-without-limits"]) == [
        "Deployment/financy-api container api: no limits.cpu",
        "Deployment/financy-api container api: no limits.memory",
    ]
    failed = {(r["check_id"], r["resource"]) for r in checkov_results["saas-without-limits"]["failed"]}
    assert failed == {
        ("CKV_K8S_11", "Deployment.financy.financy-api"),
        ("CKV_K8S_13", "Deployment.financy.financy-api"),
    }
