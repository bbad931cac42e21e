"""The single box's pure parts: restart policy, children's environment, lock, summary."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from financy.box.supervisor import (
    bot_lines,
    box_children,
    child_env,
    display_path,
    format_summary,
    local_host,
    redact_url,
    tail,
    write_secret,
)
from financy.runtime.boxlock import BoxLockedError, box_lock
from financy.runtime.process import RestartPolicy


def test_backoff_doubles_from_one_second_up_to_thirty() -> None:
    policy = RestartPolicy()
    assert [policy.delay(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 30, 30, 30]
    assert policy.delay(10_000) == 30


def test_backoff_counts_from_one() -> None:
    with pytest.raises(ValueError, match="failures"):
        RestartPolicy().delay(0)


def test_five_crashes_within_a_minute_are_a_crash_loop() -> None:
    policy = RestartPolicy()
    assert policy.is_crash_loop([100, 101, 103, 107, 115], now=115)
    assert not policy.is_crash_loop([101, 103, 107, 115], now=115)


def test_old_crashes_fall_out_of_the_window() -> None:
    policy = RestartPolicy()
    assert not policy.is_crash_loop([0, 10, 70, 80, 90], now=90)
    assert policy.is_crash_loop([40, 50, 70, 80, 90], now=90)


BASE = {"PATH": "/usr/bin", "HOME": "/root"}


def build(base: dict[str, str]) -> dict[str, str]:
    return child_env(
        base,
        database_url="postgresql://postgres:@/financy?host=/d/postgres",
        redis_url="unix:///d/redis/redis.sock",
        data_dir=Path("/d"),
        port=8080,
        edge_port=8081,
    )


def test_child_env_carries_the_box_settings() -> None:
    env = build(BASE)
    assert env["FINANCY_DATABASE_URL"] == "postgresql://postgres:@/financy?host=/d/postgres"
    assert env["FINANCY_REDIS_URL"] == "unix:///d/redis/redis.sock"
    assert env["FINANCY_DATA_DIR"] == "/d"
    assert env["FINANCY_PORT"] == "8080"
    assert env["FINANCY_EDGE__PORT"] == "8081"
    assert env["FINANCY_EDGE__ID"] == "local"
    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["PATH"] == "/usr/bin"


def test_child_env_keeps_what_the_user_set_but_the_box_decides_ports_and_dirs() -> None:
    base = {
        **BASE,
        "FINANCY_EDGE__ID": "home",
        "FINANCY_TELEGRAM__TOKEN": "123:abc",
        "FINANCY_PORT": "9999",
        "FINANCY_DATA_DIR": "elsewhere",
    }
    env = build(base)
    assert env["FINANCY_EDGE__ID"] == "home"
    assert env["FINANCY_TELEGRAM__TOKEN"] == "123:abc"
    assert env["FINANCY_PORT"] == "8080"
    assert env["FINANCY_DATA_DIR"] == "/d"
    assert base["FINANCY_PORT"] == "9999"  # the caller's mapping is not changed


def test_children_are_the_core_api_ingest_worker_beat_and_edge_on_this_python() -> None:
    specs = box_children(edge_workers=2)
    assert [s.name for s in specs] == [
        "api",
        "ingest",
        "worker",
        "beat",
        "edge",
        "edge-worker-1",
        "edge-worker-2",
    ]
    assert [s.argv[3:] for s in specs] == [
        ("core", "api"),
        ("core", "ingest"),
        ("core", "worker"),
        ("core", "beat"),
        ("edge", "run"),
        ("edge", "worker"),
        ("edge", "worker"),
    ]
    assert all(s.argv[:3] == (sys.executable, "-m", "financy.cli") for s in specs)


def test_edge_workers_follow_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINANCY_EDGE__WORKERS", "3")
    assert [s.name for s in box_children()][-3:] == ["edge-worker-1", "edge-worker-2", "edge-worker-3"]
    monkeypatch.setenv("FINANCY_EDGE__WORKERS", "0")
    assert [s.name for s in box_children()] == ["api", "ingest", "worker", "beat", "edge"]


def test_local_host_reaches_wildcard_binds_through_loopback() -> None:
    assert local_host(None) == "127.0.0.1"
    assert local_host("0.0.0.0") == "127.0.0.1"
    assert local_host("192.168.1.10") == "192.168.1.10"


def test_redact_url_hides_only_the_password() -> None:
    assert redact_url("postgresql://fin:s3cret@db:5432/financy") == "postgresql://fin:***@db:5432/financy"
    assert redact_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_display_path_is_relative_inside_the_working_directory(tmp_path: Path) -> None:
    assert display_path(tmp_path / "var" / "logs", cwd=tmp_path) == "var/logs"
    assert display_path(Path("/etc"), cwd=tmp_path) == "/etc"


def test_summary_of_the_first_run_shows_the_password(tmp_path: Path) -> None:
    text = format_summary(
        core_url="http://127.0.0.1:8080",
        edge_url="http://127.0.0.1:8081",
        edge_port=8081,
        password="pa55-word",
        password_file=tmp_path / "secrets" / "admin-password",
        data_dir=tmp_path,
        financy="financy",
    )
    assert text.startswith("Financy is up.")
    assert "http://127.0.0.1:8080/docs" in text
    assert "admin / pa55-word" in text
    assert 'financy send "gastei 45,90 no mercado ontem"' in text
    assert "--edge-url" not in text
    assert text.endswith("Press Ctrl-C to stop.")


def test_summary_of_a_later_run_points_at_the_password_file(tmp_path: Path) -> None:
    secret = tmp_path / "admin-password"
    secret.write_text("x\n")
    text = format_summary(
        core_url="http://127.0.0.1:18080",
        edge_url="http://127.0.0.1:18081",
        edge_port=18081,
        password=None,
        password_file=secret,
        data_dir=tmp_path,
        financy=".venv/bin/financy",
    )
    assert "the account exists" in text
    assert str(secret) in text
    assert ".venv/bin/financy send --edge-url http://127.0.0.1:18081" in text


def test_the_summary_says_how_each_bot_gets_its_updates_or_what_keeps_it_from_any() -> None:
    edge, log = "http://127.0.0.1:8081", "var/logs/edge.log"
    assert bot_lines({}, edge, log) == []
    token = {"FINANCY_TELEGRAM__TOKEN": "1:x"}
    assert bot_lines({**token, "FINANCY_TELEGRAM__MODE": "polling"}, edge, log) == [
        "  Telegram          long polling (FINANCY_TELEGRAM__MODE=polling)   (start-up in var/logs/edge.log)"
    ]
    (no_secret,) = bot_lines(token, edge, log)
    assert "⚠ FINANCY_TELEGRAM__WEBHOOK_SECRET is not set" in no_secret
    (no_url,) = bot_lines({**token, "FINANCY_TELEGRAM__WEBHOOK_SECRET": "s"}, edge, log)
    assert "⚠ FINANCY_TELEGRAM__WEBHOOK_URL is not set" in no_url
    webhook = {
        **token,
        "FINANCY_TELEGRAM__WEBHOOK_SECRET": "s",
        "FINANCY_TELEGRAM__WEBHOOK_URL": "https://f.example/w",
    }
    (served,) = bot_lines(webhook, edge, log)
    assert "webhook https://f.example/w -> http://127.0.0.1:8081/webhooks/telegram" in served
    (half,) = bot_lines({"FINANCY_WHATSAPP__TOKEN": "t", "FINANCY_WHATSAPP__APP_SECRET": "a"}, edge, log)
    assert "⚠ not serving: set FINANCY_WHATSAPP__VERIFY_TOKEN, FINANCY_WHATSAPP__PHONE_NUMBER_ID" in half
    whatsapp = {
        f"FINANCY_WHATSAPP__{k}": "v" for k in ("TOKEN", "APP_SECRET", "VERIFY_TOKEN", "PHONE_NUMBER_ID")
    }
    lines = bot_lines({**webhook, **whatsapp}, edge, log)
    assert [line.split()[0] for line in lines] == ["Telegram", "WhatsApp"]
    assert "webhook http://127.0.0.1:8081/webhooks/whatsapp" in lines[1]
    text = format_summary(
        core_url="http://127.0.0.1:8080",
        edge_url=edge,
        edge_port=8081,
        password=None,
        password_file=Path("var/secrets/admin-password"),
        data_dir=Path("var"),
        financy="financy",
        bots=lines,
    )
    assert text.splitlines()[4:6] == lines


def test_a_second_lock_on_the_same_directory_is_refused(tmp_path: Path) -> None:
    lock = tmp_path / "box.lock"
    with box_lock(lock):
        with pytest.raises(BoxLockedError, match="already running") as caught, box_lock(lock):
            pass
        assert caught.value.holder is not None
    with box_lock(lock):  # released on exit
        pass


def test_secrets_are_written_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "admin-password"
    write_secret(path, "first")
    write_secret(path, "second")
    assert path.read_text() == "second\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_tail_returns_the_last_lines(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text("".join(f"line {i}\n" for i in range(100)))
    assert tail(log, 2) == ["line 98", "line 99"]
    assert tail(tmp_path / "missing.log") == []


def test_child_env_gives_the_edge_the_box_origin_key_over_any_the_user_set() -> None:
    """GIVEN the box's origin key WHEN the children's env is made THEN FINANCY_EDGE__ORIGIN_KEY is that key."""
    key = "ab" * 32
    env = child_env(
        {**BASE, "FINANCY_EDGE__ORIGIN_KEY": "cd" * 32},
        database_url="postgresql://postgres:@/financy?host=/d/postgres",
        redis_url="redis://default:pw@127.0.0.1:6380/0",
        data_dir=Path("/d"),
        port=8080,
        edge_port=8081,
        origin_key=key,
    )
    assert env["FINANCY_EDGE__ORIGIN_KEY"] == key
    assert env["FINANCY_REDIS_URL"] == "redis://default:pw@127.0.0.1:6380/0"
    assert "FINANCY_EDGE__ORIGIN_KEY" not in build(BASE)
