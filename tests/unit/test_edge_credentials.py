"""Edge credentials without servers: the MinIO policy document (no MinIO server here), the
``shared`` and ``none`` modes, and the ACL rules read from the data file."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from financy.core.adapters.object_credentials import edge_policy, issue_credentials, revoke_credentials
from financy.core.adapters.redis_acl import EdgeCredentialsError, RedisEdgeUser, acl_rules
from financy.core.service.edges import InvalidEdgeNameError, check_name
from financy.runtime.objects import S3Settings

_S3 = S3Settings(
    endpoint="http://127.0.0.1:9000",
    access_key=SecretStr("core-key"),
    secret_key=SecretStr("core-secret"),
    bucket="financy",
)


def test_the_minio_policy_lets_an_edge_write_only_its_captures_and_read_only_models() -> None:
    assert edge_policy("casa", "financy") == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteOwnCaptures",
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": ["arn:aws:s3:::financy/captures/casa/*"],
            },
            {
                "Sid": "ReadModels",
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": ["arn:aws:s3:::financy/models/*"],
            },
        ],
    }


def test_none_gives_no_credentials_and_shared_gives_the_core_key() -> None:
    assert issue_credentials("none", _S3, "casa") is None
    shared = issue_credentials("shared", _S3, "casa")
    assert shared is not None
    assert shared.to_json() == {
        "endpoint": "http://127.0.0.1:9000",
        "access_key": "core-key",
        "secret_key": "core-secret",
        "bucket": "financy",
        "secure": False,
        "region": "us-east-1",
    }
    revoke_credentials("shared", _S3, "casa", "core-key")  # nothing made, nothing removed


@pytest.mark.parametrize("mode", ["shared", "minio"])
def test_object_credentials_without_an_endpoint_are_refused_clearly(mode: str) -> None:
    with pytest.raises(EdgeCredentialsError, match="FINANCY_S3__ENDPOINT"):
        issue_credentials(mode, S3Settings(), "casa")  # type: ignore[arg-type]


def test_minio_without_the_core_key_is_refused_clearly() -> None:
    with pytest.raises(EdgeCredentialsError, match="ACCESS_KEY"):
        issue_credentials("minio", S3Settings(endpoint="http://127.0.0.1:9000"), "casa")


def test_the_acl_rules_come_from_the_data_file_in_order() -> None:
    rules = acl_rules("casa", "PW")
    assert rules[:5] == ["reset", "on", ">PW", "resetchannels", "-@all"]
    # The shared captures stream only in its own selector, with XADD alone.
    assert rules[-1] == "(%W~financy:captures +xadd)"
    assert "~financy:edge:casa:*" in rules
    assert not any("financy:captures" in rule for rule in rules[:-1])
    assert "+xadd" in rules
    assert "+xgroup|create" in rules
    assert "+set" not in rules
    assert RedisEdgeUser("edge-casa", "p/w").url("redis://h:6379/0") == "redis://edge-casa:p%2Fw@h:6379/0"


@pytest.mark.parametrize("name", ["", "a b", "x" * 65, "casa/ana", "ção"])
def test_bad_edge_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidEdgeNameError):
        check_name(name)


def test_what_an_edge_reports_cannot_draw_rows_or_drive_the_terminal() -> None:
    from financy.core.entrypoints.edges_cli import printable

    forged = "1.0\nsouth   revoked\x1b[31mred\x1b]0;owned\x07"
    assert printable(forged) == "1.0?south   revoked?[31mred?]0;owned?"
    assert printable("x" * 300, 10) == "x" * 9 + "…"


@pytest.mark.parametrize("name", [".", "..", "...", "", "a*", "a b", "é"])
def test_edge_names_that_are_not_plain_ids_are_refused(name: str) -> None:
    from financy.core.service.edges import InvalidEdgeNameError, check_name

    with pytest.raises(InvalidEdgeNameError):
        check_name(name)
    assert check_name("kitchen.2") == "kitchen.2"


def test_enrolment_tokens_never_look_like_a_command_line_option() -> None:
    from financy.core.service.edges import TOKEN_PREFIX, new_enrolment_token

    tokens = {new_enrolment_token() for _ in range(2000)}
    assert len(tokens) == 2000
    assert all(t.startswith(TOKEN_PREFIX) and len(t) == len(TOKEN_PREFIX) + 43 for t in tokens)
