"""Properties the rendered Kubernetes manifests of ``k8s/`` must have (used by ``test_k8s.py``).

Each ``check_*`` function takes the rendered objects (a list of dicts, as ``yaml.safe_load_all``
returns them) and returns a list of problems, one human-readable line each; an empty list means
the property holds. They are plain functions so a test can also run them on a deliberately
broken copy of ``k8s/`` and see them fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

Obj = dict[str, Any]

WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}
FINANCY_IMAGES = ("ghcr.io/financy/financy-core", "ghcr.io/financy/financy-edge")
FINANCY_UID = 10001

#: Environment variable names whose value is a credential: only ever a secretKeyRef.
SECRET_NAME = re.compile(r"(PASSWORD|SECRET|TOKEN|_KEY$|ACCESS_KEY|DATABASE_URL|REDIS_URL|AUTH)")
#: Literal values that look like credentials: user:password@ in a URL, long hex or base64 runs.
SECRET_VALUE = re.compile(r"://[^/@\s$]*:[^/@\s$]+@|\b[0-9a-f]{32,}\b|[A-Za-z0-9+/]{40,}={0,2}")


def name_of(obj: Obj) -> str:
    """Return ``Kind/name`` of a rendered object (for problem messages)."""
    return f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"


def pod_template(obj: Obj) -> Obj | None:
    """Return the pod template (``{"metadata": ..., "spec": ...}``) of a workload, else ``None``."""
    spec = obj.get("spec", {})
    if obj.get("kind") == "CronJob":
        return spec["jobTemplate"]["spec"]["template"]  # type: ignore[no-any-return]
    if obj.get("kind") in WORKLOADS:
        return spec["template"]  # type: ignore[no-any-return]
    return None


def workloads(objs: list[Obj]) -> Iterator[tuple[Obj, Obj]]:
    """Yield ``(workload, pod template)`` for every workload among ``objs``."""
    for obj in objs:
        template = pod_template(obj)
        if template is not None:
            yield obj, template


def containers(template: Obj, *, init: bool = True) -> Iterator[tuple[str, Obj]]:
    """Yield ``("container"|"initContainer", container)`` of a pod template."""
    spec = template["spec"]
    for c in spec.get("initContainers", []) if init else []:
        yield "initContainer", c
    for c in spec.get("containers", []):
        yield "container", c


def is_financy(container: Obj) -> bool:
    """True when the container runs one of Financy's own images."""
    return str(container.get("image", "")).startswith(FINANCY_IMAGES)


def selects(selector: Obj, labels: dict[str, str]) -> bool:
    """True when a label ``selector`` (matchLabels/matchExpressions; ``{}`` = all) selects ``labels``."""
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions", []):
        present, values = expr["key"] in labels, expr.get("values", [])
        op = expr["operator"]
        if (op == "In" and labels.get(expr["key"]) not in values) or (
            op == "NotIn" and labels.get(expr["key"]) in values
        ):
            return False
        if (op == "Exists" and not present) or (op == "DoesNotExist" and present):
            return False
    return True


def check_resources(objs: list[Obj]) -> list[str]:
    """Every container (init ones too) requests and limits CPU and memory."""
    problems = []
    for obj, template in workloads(objs):
        for what, c in containers(template):
            res = c.get("resources", {})
            for part in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if resource not in res.get(part, {}):
                        problems.append(f"{name_of(obj)} {what} {c['name']}: no {part}.{resource}")
    return problems


def _port_number(container: Obj, port: int | str) -> int | str:
    for p in container.get("ports", []):
        if port in (p.get("name"), p.get("containerPort")):
            return int(p["containerPort"])
    return port


def check_probes(objs: list[Obj]) -> list[str]:
    """Long-running containers have liveness and readiness probes, and Financy's the agreed ones:
    HTTP /healthz and /readyz on 8080 (API) or 8081 (edge), else ``financy healthcheck --redis``
    (with ``--database`` for the core's ingest, worker and beat)."""
    problems = []
    for obj, template in workloads(objs):
        if obj["kind"] in ("Job", "CronJob"):
            continue
        for _what, c in containers(template, init=False):
            where = f"{name_of(obj)} container {c['name']}"
            live, ready = c.get("livenessProbe"), c.get("readinessProbe")
            if not live or not ready:
                problems.append(f"{where}: needs a livenessProbe and a readinessProbe")
                continue
            if not is_financy(c):
                continue
            args = c.get("args", [])
            if args[:2] in (["core", "api"], ["edge", "run"]):
                port = 8080 if args[0] == "core" else 8081
                for probe, path in ((live, "/healthz"), (ready, "/readyz")):
                    got = probe.get("httpGet", {})
                    if got.get("path") != path or _port_number(c, got.get("port", "")) != port:
                        problems.append(f"{where}: probe must be GET {path} on {port}, got {got}")
            else:
                wanted = ["financy", "healthcheck", "--redis"]
                if args[0] == "core":
                    wanted.append("--database")
                for probe in (live, ready):
                    command = probe.get("exec", {}).get("command", [])
                    if command[: len(wanted)] != wanted:
                        problems.append(f"{where}: probe must run {' '.join(wanted)}, got {command}")
    return problems


def check_security(objs: list[Obj]) -> list[str]:
    """Pods run non-root with seccomp RuntimeDefault and no service-account token; every container
    drops ALL capabilities, cannot escalate, has a read-only root filesystem and a writable /tmp;
    Financy's containers run as uid 10001."""
    problems = []
    for obj in objs:
        if obj.get("kind") == "ServiceAccount" and obj.get("automountServiceAccountToken") is not False:
            problems.append(f"{name_of(obj)}: automountServiceAccountToken must be false")
    for obj, template in workloads(objs):
        spec = template["spec"]
        pod_sc = spec.get("securityContext", {})
        if spec.get("automountServiceAccountToken") is not False:
            problems.append(f"{name_of(obj)}: pod automountServiceAccountToken must be false")
        if pod_sc.get("runAsNonRoot") is not True:
            problems.append(f"{name_of(obj)}: pod must runAsNonRoot")
        if pod_sc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            problems.append(f"{name_of(obj)}: pod seccompProfile must be RuntimeDefault")
        for what, c in containers(template):
            where = f"{name_of(obj)} {what} {c['name']}"
            sc = c.get("securityContext", {})
            if sc.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where}: allowPrivilegeEscalation must be false")
            if sc.get("privileged", False):
                problems.append(f"{where}: must not be privileged")
            if sc.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{where}: readOnlyRootFilesystem must be true")
            if sc.get("capabilities", {}).get("drop") != ["ALL"] or sc.get("capabilities", {}).get("add"):
                problems.append(f"{where}: capabilities must drop ALL and add none")
            if sc.get("seccompProfile", pod_sc.get("seccompProfile", {})).get("type") != "RuntimeDefault":
                problems.append(f"{where}: seccompProfile must be RuntimeDefault")
            if sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is not True:
                problems.append(f"{where}: must runAsNonRoot")
            uid = sc.get("runAsUser", pod_sc.get("runAsUser"))
            if is_financy(c) and uid != FINANCY_UID:
                problems.append(f"{where}: Financy's images run as uid {FINANCY_UID}, got {uid}")
            if not isinstance(uid, int) or uid <= 0:
                problems.append(f"{where}: needs a numeric non-root runAsUser, got {uid}")
            if "/tmp" not in {m["mountPath"] for m in c.get("volumeMounts", [])}:
                problems.append(f"{where}: the root filesystem is read-only, /tmp needs a volume")
    return problems


def check_secrets(objs: list[Obj]) -> list[str]:
    """No Secret object is rendered; credentials reach containers only by secretKeyRef (or a
    Secret volume): no literal env value is named or shaped like a credential."""
    problems = [
        f"{name_of(o)}: Secrets are the operator's, never in the repo"
        for o in objs
        if o.get("kind") == "Secret"
    ]
    for obj in objs:
        if obj.get("kind") == "ConfigMap":
            for key, value in obj.get("data", {}).items():
                if SECRET_NAME.search(key) or SECRET_VALUE.search(str(value)):
                    problems.append(f"{name_of(obj)}: {key} looks like a secret, use a secretKeyRef")
    for obj, template in workloads(objs):
        for what, c in containers(template):
            for env in c.get("env", []):
                where = f"{name_of(obj)} {what} {c['name']} env {env['name']}"
                if "value" in env:
                    value = str(env["value"])
                    if SECRET_VALUE.search(value):
                        problems.append(f"{where}: the value looks like a secret")
                    if (
                        SECRET_NAME.search(env["name"])
                        and not env["name"].endswith("_FILE")
                        and "$(" not in value
                    ):
                        problems.append(f"{where}: a credential must be a secretKeyRef")
                elif "secretKeyRef" not in env.get("valueFrom", {}) and SECRET_NAME.search(env["name"]):
                    problems.append(f"{where}: a credential must be a secretKeyRef")
    return problems


def secret_refs(objs: list[Obj]) -> set[tuple[str, str]]:
    """Return every ``(Secret name, key)`` the objects use: env secretKeyRefs, Secret volumes
    (their items, or the mounts' subPath) and Ingress TLS Secrets (``tls.crt``, ``tls.key``)."""
    refs: set[tuple[str, str]] = set()
    for obj in objs:
        if obj.get("kind") == "Ingress":
            for tls in obj["spec"].get("tls", []):
                refs |= {(tls["secretName"], "tls.crt"), (tls["secretName"], "tls.key")}
    for _obj, template in workloads(objs):
        volumes = {v["name"]: v["secret"] for v in template["spec"].get("volumes", []) if "secret" in v}
        for _what, c in containers(template):
            for env in c.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    refs.add((ref["name"], ref["key"]))
            for mount in c.get("volumeMounts", []):
                secret = volumes.get(mount["name"])
                if secret is None:
                    continue
                if secret.get("items"):
                    refs |= {(secret["secretName"], item["key"]) for item in secret["items"]}
                elif mount.get("subPath"):
                    refs.add((secret["secretName"], mount["subPath"]))
    return refs


def check_disruption_budgets(objs: list[Obj]) -> list[str]:
    """Every Deployment's pods are selected by a PodDisruptionBudget that still lets a node drain
    (a ``minAvailable`` below its replicas, or its HPA's ``minReplicas``)."""
    pdbs = [o for o in objs if o.get("kind") == "PodDisruptionBudget"]
    floors = {  # an HPA's floor is the fewest replicas a Deployment it scales runs
        o["spec"]["scaleTargetRef"]["name"]: int(o["spec"].get("minReplicas", 1))
        for o in objs if o.get("kind") == "HorizontalPodAutoscaler"
    }  # fmt: skip
    problems = []
    for obj in objs:
        if obj.get("kind") != "Deployment":
            continue
        labels = obj["spec"]["template"]["metadata"]["labels"]
        chosen = [p for p in pdbs if selects(p["spec"]["selector"], labels)]
        if not chosen:
            problems.append(f"{name_of(obj)}: no PodDisruptionBudget selects its pods")
        for pdb in chosen:
            floor = pdb["spec"].get("minAvailable")
            replicas = floors.get(obj["metadata"]["name"], int(obj["spec"].get("replicas", 1)))
            if isinstance(floor, int) and floor >= replicas:
                problems.append(
                    f"{name_of(pdb)}: minAvailable {floor} would block every drain of {name_of(obj)}"
                )
    return problems


def _pods(objs: list[Obj]) -> list[tuple[Obj, dict[str, str]]]:
    return [(obj, t["metadata"]["labels"]) for obj, t in workloads(objs)]


def check_network_policies(objs: list[Obj], *, exposed: set[str], edges_reach: set[str]) -> list[str]:
    """A default deny (all pods, Ingress and Egress, no rule); traffic from outside the namespace
    (namespaceSelector or ipBlock peers) only into the components ``exposed``; and the edges'
    in-namespace egress only to the components ``edges_reach`` (DNS aside)."""
    policies = [o for o in objs if o.get("kind") == "NetworkPolicy"]
    problems = []
    deny = [
        p for p in policies
        if p["spec"]["podSelector"] == {} and set(p["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress") and not p["spec"].get("egress")
    ]  # fmt: skip
    if not deny:
        problems.append("no default-deny NetworkPolicy (podSelector {}, Ingress and Egress, no rules)")
    pods = _pods(objs)
    for policy in policies:
        targets = [labels for _o, labels in pods if selects(policy["spec"]["podSelector"], labels)]
        for rule in policy["spec"].get("ingress", []):
            outside = any("namespaceSelector" in peer or "ipBlock" in peer for peer in rule.get("from", [{}]))
            if not rule.get("from"):
                outside = True  # an empty from admits everyone
            for labels in targets:
                component = labels.get("app.kubernetes.io/component", "")
                if outside and component not in exposed:
                    problems.append(f"{name_of(policy)}: admits traffic from outside into {component}")
        for rule in policy["spec"].get("egress", []):
            for labels in targets:
                if labels.get("app.kubernetes.io/component") not in ("edge", "edge-worker"):
                    continue
                for peer in rule.get("to", [{}]):
                    if "podSelector" in peer and "namespaceSelector" not in peer:
                        reached = {
                            lab.get("app.kubernetes.io/component", "")
                            for _o, lab in pods if selects(peer["podSelector"], lab)
                        }  # fmt: skip
                        if reached - edges_reach:
                            problems.append(
                                f"{name_of(policy)}: lets edges reach {sorted(reached - edges_reach)}"
                            )
                    elif "ipBlock" in peer:
                        private = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"}
                        if not private <= set(peer["ipBlock"].get("except", [])):
                            problems.append(f"{name_of(policy)}: lets edges reach private addresses")
                    elif "namespaceSelector" in peer:
                        dns = peer.get("podSelector", {}).get("matchLabels", {}) == {"k8s-app": "kube-dns"}
                        ports = {p.get("port") for p in rule.get("ports", [])}
                        if not dns or ports != {53}:
                            problems.append(f"{name_of(policy)}: lets edges into other namespaces beyond DNS")
    return problems


def check_exposure(objs: list[Obj], *, ingress_services: set[str]) -> list[str]:
    """Only the given Services have an Ingress (with TLS for every host); no NodePort or
    LoadBalancer Service; no hostNetwork or hostPort."""
    problems = []
    for obj in objs:
        if obj.get("kind") == "Service" and obj["spec"].get("type", "ClusterIP") != "ClusterIP":
            problems.append(f"{name_of(obj)}: type {obj['spec']['type']} exposes it outside the cluster")
    backends = set()
    for obj in objs:
        if obj.get("kind") != "Ingress":
            continue
        tls_hosts = {h for t in obj["spec"].get("tls", []) for h in t.get("hosts", [])}
        for rule in obj["spec"].get("rules", []):
            if rule.get("host") not in tls_hosts:
                problems.append(f"{name_of(obj)}: host {rule.get('host')} has no TLS")
            for path in rule.get("http", {}).get("paths", []):
                backends.add(path["backend"]["service"]["name"])
    if backends != ingress_services:
        problems.append(f"Ingress backends are {sorted(backends)}, expected {sorted(ingress_services)}")
    for obj, template in workloads(objs):
        if template["spec"].get("hostNetwork"):
            problems.append(f"{name_of(obj)}: hostNetwork")
        for _what, c in containers(template):
            if any("hostPort" in p for p in c.get("ports", [])):
                problems.append(f"{name_of(obj)} {c['name']}: hostPort")
    return problems


def check_migration_gate(objs: list[Obj]) -> list[str]:
    """The Job ``financy-migrate`` runs ``financy core migrate``; every Deployment running the
    core image first waits in an initContainer (``core migrate --check --wait N``, N > 0) on the
    same database the Job migrates."""
    jobs = [o for o in objs if o.get("kind") == "Job" and o["metadata"]["name"] == "financy-migrate"]
    if not jobs:
        return ["no Job financy-migrate"]
    job_c = jobs[0]["spec"]["template"]["spec"]["containers"][0]
    problems = []
    if job_c.get("args") != ["core", "migrate"] or not job_c["image"].startswith(FINANCY_IMAGES[0]):
        problems.append(f"Job financy-migrate must run financy core migrate, runs {job_c.get('args')}")
    db = [e for e in job_c.get("env", []) if e["name"] == "FINANCY_DATABASE_URL"]
    for obj in objs:
        if obj.get("kind") != "Deployment":
            continue
        spec = obj["spec"]["template"]["spec"]
        if not any(c["image"].startswith(FINANCY_IMAGES[0]) for c in spec["containers"]):
            continue
        gates = [
            c for c in spec.get("initContainers", [])
            if c.get("args", [])[:4] == ["core", "migrate", "--check", "--wait"] and float(c["args"][4]) > 0
        ]  # fmt: skip
        if not gates:
            problems.append(
                f"{name_of(obj)}: no initContainer waits for the migration (core migrate --check --wait N)"
            )
        elif [e for e in gates[0].get("env", []) if e["name"] == "FINANCY_DATABASE_URL"] != db:
            problems.append(f"{name_of(obj)}: waits on another database than the Job migrates")
        elif gates[0]["image"] != job_c["image"]:
            problems.append(
                f"{name_of(obj)}: its gate's image {gates[0]['image']} is not the Job's {job_c['image']}"
            )
    return problems


def check_images(objs: list[Obj], tag: str) -> list[str]:
    """Financy's containers all run ``ghcr.io/financy/financy-{core,edge}:{tag}``; other images
    carry an explicit version tag (never ``latest`` or none)."""
    problems = []
    for obj, template in workloads(objs):
        for what, c in containers(template):
            image = str(c["image"])
            repo, _, got = image.rpartition(":")
            if is_financy(c) and got != tag:
                problems.append(f"{name_of(obj)} {what} {c['name']}: {image}, expected tag {tag}")
            if not repo or got in ("", "latest") or "/" in got:
                problems.append(f"{name_of(obj)} {what} {c['name']}: {image} has no version tag")
    return problems
