"""The box stack's edge-enroll script (compose/compose.yaml) against what ``financy core edges add`` prints.

The compose files themselves are validated in tests/deploy; this checks, on real PostgreSQL and Redis,
that the script's token extraction reads the token out of the real command's answer.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import financy_env

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def test_the_token_extraction_reads_what_edges_add_prints(database_url: str, redis_server_url: str) -> None:
    text = (REPO / "compose" / "compose.yaml").read_text(encoding="utf-8")
    block = text[text.index("  edge-enroll:") : text.index("  edge-redis:")]
    expression = re.search(r"sed -n '([^']+)'", block)
    assert expression is not None
    assert "financy core edges add" in block
    env = financy_env(
        PYTHONPATH=f"{REPO / 'src'}{os.pathsep}{REPO}",
        FINANCY_DATABASE_URL=database_url,
        FINANCY_REDIS_URL=redis_server_url,
    )
    name = f"box-{secrets.token_hex(4)}"
    added = subprocess.run(
        [sys.executable, "-m", "financy.cli", "core", "edges", "add", name],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    sed = subprocess.run(
        ["sed", "-n", expression.group(1)], input=added.stdout, capture_output=True, text=True, check=True
    )
    token = sed.stdout.strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]{20,}", token), sed.stdout
    assert f"--token {token} " in added.stdout  # the very token the printed enroll line names
