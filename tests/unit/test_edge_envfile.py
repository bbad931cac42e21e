"""edge.env: quoting, parsing, atomic 0600 writes, the real environment winning, the core URL check."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from financy.edge.cli import load_edge_env
from financy.edge.enroll import EXIT_USAGE, EnrollAnswer, EnrollError, check_core_url, env_items, is_loopback
from financy.edge.envfile import (
    EnvFileError,
    apply_env,
    format_env,
    parse_env,
    quote_value,
    read_env_file,
    write_env_file,
)
from financy.edge.store import EdgeScopedStore
from financy.runtime.objects import DirectoryStore, ObjectStoreError

HOSTILE = [
    "plain",
    "redis://edge-a:p%40ss@core.example:6379/0",
    'with "quotes" and \\backslashes\\',
    "dollars $HOME and `backticks` and $(cmd)",
    "spaces  inside  ",
    "  leading space",
    "'single' quotes",
    "#not-a-comment",
    "ünïcødé senha",
    "",
    "ends with backslash\\",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_every_value_survives_a_round_trip(value: str) -> None:
    text = format_env([("FINANCY_X", value), ("FINANCY_Y", "after")])
    assert parse_env(text) == {"FINANCY_X": value, "FINANCY_Y": "after"}
    assert text.count("\n") == 2


def test_safe_values_are_bare_and_others_quoted() -> None:
    assert quote_value("redis://edge-a:abc123@127.0.0.1:6379/13") == "redis://edge-a:abc123@127.0.0.1:6379/13"
    assert quote_value("a b") == '"a b"'
    assert quote_value('x"$`\\') == '"x\\"\\$\\`\\\\"'


@pytest.mark.parametrize("value", ["two\nlines", "cr\rhere", "nul\x00"])
def test_newlines_and_nul_are_refused(value: str) -> None:
    with pytest.raises(EnvFileError, match="newline"):
        format_env([("FINANCY_X", value)])


def test_bad_keys_and_duplicates_are_refused() -> None:
    with pytest.raises(EnvFileError, match="not a setting name"):
        format_env([("financy-x", "1")])
    with pytest.raises(EnvFileError, match="given twice"):
        format_env([("FINANCY_X", "1"), ("FINANCY_X", "2")])


def test_parse_skips_comments_and_blank_lines_and_reads_single_quotes() -> None:
    text = '# credentials\n\nFINANCY_A=1\nexport FINANCY_B=\'a "b" $c\'\r\nFINANCY_C="x y"\n'
    assert parse_env(text) == {"FINANCY_A": "1", "FINANCY_B": 'a "b" $c', "FINANCY_C": "x y"}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("FINANCY_A", "line 2 is not KEY=VALUE"),
        ('FINANCY_A="s3cr3t', "line 2: the double quote is not closed"),
        ('FINANCY_A="s3cr3t"b', "line 2: text after the closing"),
        ("FINANCY_A=s3cr3t b", "line 2: a value with spaces or quotes must be double-quoted"),
        ("FINANCY_A='s3cr3t", "line 2: the single quote is not closed"),
        ("lower=s3cr3t", "line 2 is not KEY=VALUE"),
    ],
)
def test_malformed_lines_name_the_line_not_the_value(line: str, message: str) -> None:
    with pytest.raises(EnvFileError) as info:
        parse_env("FINANCY_OK=1\n" + line + "\n")
    assert message in str(info.value)
    assert "s3cr3t" not in str(info.value)


def test_write_is_0600_whatever_the_umask_and_never_overwrites_without_replace(tmp_path: Path) -> None:
    path = tmp_path / "edge.env"
    old = os.umask(0)
    try:
        write_env_file(path, "FINANCY_A=1\n", replace=False)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):
        write_env_file(path, "FINANCY_A=2\n", replace=False)
    assert path.read_text() == "FINANCY_A=1\n"
    write_env_file(path, "FINANCY_A=3\n", replace=True)
    assert path.read_text() == "FINANCY_A=3\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["edge.env"]  # no temporary file left


def test_a_readable_file_warns_and_the_real_environment_wins(tmp_path: Path) -> None:
    path = tmp_path / "edge.env"
    path.write_text("FINANCY_EDGE__ID=from-file\nFINANCY_REDIS_URL=redis://file\n")
    path.chmod(0o644)
    values, warnings = read_env_file(path)
    assert values == {"FINANCY_EDGE__ID": "from-file", "FINANCY_REDIS_URL": "redis://file"}
    assert len(warnings) == 1
    assert "mode 0644" in warnings[0]
    assert "chmod 600" in warnings[0]
    environ = {"FINANCY_EDGE__ID": "from-env"}
    assert apply_env(values, environ) == ["FINANCY_EDGE__ID"]
    assert environ == {"FINANCY_EDGE__ID": "from-env", "FINANCY_REDIS_URL": "redis://file"}


def test_load_edge_env_defaults_the_data_dirs(tmp_path: Path) -> None:
    write_env_file(tmp_path / "edge.env", "FINANCY_EDGE__ID=e1\n", replace=False)
    environ: dict[str, str] = {}
    assert load_edge_env(tmp_path, environ) == []
    assert environ == {
        "FINANCY_EDGE__ID": "e1",
        "FINANCY_EDGE__DATA_DIR": str(tmp_path.resolve()),
        "FINANCY_DATA_DIR": str(tmp_path.resolve()),
    }


def test_env_items_follow_the_fleet_interface(tmp_path: Path) -> None:
    answer = EnrollAnswer.model_validate(
        {
            "edge_id": "home-1",
            "redis_url": "redis://edge-home-1:pw@core:6379/0",
            "origin_key": "ab" * 32,
            "s3": {
                "endpoint": "https://s3.example",
                "access_key": "AK",
                "secret_key": "S K",
                "bucket": "financy",
                "secure": True,
                "region": "us-east-1",
            },
            "core_url": "https://core.example/",
            "future_field": "ignored",
        }
    )
    items = dict(env_items(answer, core_url="https://other", data_dir=tmp_path))
    assert items == {
        "FINANCY_EDGE__ID": "home-1",
        "FINANCY_REDIS_URL": "redis://edge-home-1:pw@core:6379/0",
        "FINANCY_EDGE__ORIGIN_KEY": "ab" * 32,
        "FINANCY_EDGE__CORE_URL": "https://core.example",
        "FINANCY_S3__ENDPOINT": "https://s3.example",
        "FINANCY_S3__ACCESS_KEY": "AK",
        "FINANCY_S3__SECRET_KEY": "S K",
        "FINANCY_S3__BUCKET": "financy",
        "FINANCY_S3__SECURE": "true",
        "FINANCY_S3__REGION": "us-east-1",
        "FINANCY_EDGE__DATA_DIR": str(tmp_path),
    }


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://core.example", True),
        ("https://core.example:8443/financy/", True),
        ("http://127.0.0.1:8080", True),
        ("http://localhost:8080", True),
        ("http://[::1]:8080", True),
        ("http://core.example", False),
        ("http://192.168.1.10:8080", False),
        ("ftp://core.example", False),
        ("https://user:pw@core.example", False),
        ("core.example", False),
    ],
)
def test_core_url_check(url: str, ok: bool) -> None:
    if ok:
        assert check_core_url(url, insecure_http=False) == url.rstrip("/")
    else:
        with pytest.raises(EnrollError) as info:
            check_core_url(url, insecure_http=False)
        assert info.value.code == EXIT_USAGE
    assert check_core_url("http://core.example", insecure_http=True) == "http://core.example"


def test_plain_http_refusal_says_why() -> None:
    with pytest.raises(EnrollError, match=r"unencrypted.*--insecure-http"):
        check_core_url("http://core.example", insecure_http=False)
    assert is_loopback("127.8.9.1")
    assert not is_loopback("10.0.0.1")


def test_the_edge_store_writes_only_under_its_own_captures(tmp_path: Path) -> None:
    store = EdgeScopedStore(DirectoryStore(tmp_path), "home-1")
    stored = store.put("captures/home-1/c1/original.ogg", b"OggS", "audio/ogg")
    assert stored.size == 4
    assert store.get("captures/home-1/c1/original.ogg") == b"OggS"
    for key in ("captures/home-2/c1/original.ogg", "models/x.onnx", "captures/home-1x/c", "other/k"):
        with pytest.raises(ObjectStoreError, match="may write only under captures/home-1/") as info:
            store.put(key, b"x", "application/octet-stream")
        assert info.value.code == "invalid_key"
    with pytest.raises(ObjectStoreError, match="may write only"):
        store.delete("captures/home-2/c1/original.ogg")
    with pytest.raises(ObjectStoreError, match="may read only"):
        store.get("captures/home-2/c1/original.ogg")
    assert not store.exists("models/categories/current.json")  # models/ may be read
    assert list(tmp_path.rglob("original*")) == [tmp_path / "captures/home-1/c1/original.ogg"]
