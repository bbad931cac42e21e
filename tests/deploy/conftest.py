"""Deployment files validated offline (``make validate-deploy``, also part of ``make test``).

The validators live in their own venv, ``.venv-deploy`` (``scripts/install-deploy-tools.sh``, pins in
``scripts/deploy-tools.txt``); ``FINANCY_DEPLOY_TOOLS`` names another directory of their binaries. A
missing validator fails the test that needs it: ``make test`` installs them all.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def tools_dir() -> Path:
    """Return the directory holding the deployment validators' executables."""
    return Path(os.environ.get("FINANCY_DEPLOY_TOOLS", str(REPO / ".venv-deploy" / "bin")))


@pytest.fixture(scope="session")
def deploy_tool() -> Callable[[str], Path]:
    """Return a function mapping a validator's name (``kustomize``, ``checkov`` …) to its path.

    Raises (in the test):
        pytest.fail: the executable is not installed (run ``make validate-deploy``).
    """

    def find(name: str) -> Path:
        path = tools_dir() / name
        if not os.access(path, os.X_OK):
            pytest.fail(f"{path} is missing: run scripts/install-deploy-tools.sh (make validate-deploy)")
        return path

    return find


@pytest.fixture(scope="session")
def run_tool(deploy_tool: Callable[[str], Path]) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Return ``run(name, *args, cwd=REPO, env=None, timeout=600)``: the validator's completed process.

    Its ``bin`` directory is first on ``PATH`` (ansible-lint calls ansible-playbook), output is text.
    """

    def run(
        name: str, *args: str | os.PathLike[str], cwd: Path = REPO, env: dict[str, str] | None = None,
        timeout: float = 600,
    ) -> subprocess.CompletedProcess[str]:  # fmt: skip
        full_env = {**os.environ, **(env or {})}
        full_env["PATH"] = f"{tools_dir()}{os.pathsep}{full_env.get('PATH', '')}"
        argv: Sequence[str | os.PathLike[str]] = [deploy_tool(name), *args]
        return subprocess.run(
            argv, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout, check=False
        )

    return run
