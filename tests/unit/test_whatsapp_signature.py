"""X-Hub-Signature-256: the HMAC of the raw bytes, checked in constant time; malformed headers refused."""

from __future__ import annotations

import json

import pytest

from financy.bots.whatsapp.signature import expected_signature, parse_signature, verify_signature
from tests.conftest import FIXTURES

SIGNED = FIXTURES / "whatsapp" / "pywa_signed_text_body.bin"
SIGNATURE = json.loads((FIXTURES / "whatsapp" / "pywa_signed_text_signature.json").read_text())
SECRET = SIGNATURE["app_secret"].encode()


def test_the_published_sample_verifies_with_its_secret() -> None:
    body = SIGNED.read_bytes()
    assert (
        SIGNATURE["x_hub_signature"]
        == "sha256=54edfa1d7259e0eb13c677cc7d73d1b5c86cfa12433d19156e058ab9251bc441"
    )
    assert verify_signature(body, SIGNATURE["x_hub_signature"], SECRET)
    assert expected_signature(body, SECRET) == SIGNATURE["x_hub_signature"]


def test_one_byte_changed_anywhere_is_refused() -> None:
    body = SIGNED.read_bytes()
    for index in (0, len(body) // 2, len(body) - 1):
        changed = bytearray(body)
        changed[index] ^= 0x01
        assert not verify_signature(bytes(changed), SIGNATURE["x_hub_signature"], SECRET), index
    assert not verify_signature(body, SIGNATURE["x_hub_signature"], b"another secret")


def test_a_reserialised_body_is_not_what_meta_signed() -> None:
    # Meta escapes non-ASCII as \uXXXX; the bytes parsed and dumped again differ, and so does the HMAC.
    raw = b'{"text":{"body":"almo\\u00e7o 35"}}'
    header = expected_signature(raw, SECRET)
    assert verify_signature(raw, header, SECRET)
    again = json.dumps(json.loads(raw), ensure_ascii=False, separators=(",", ":")).encode()
    assert again == '{"text":{"body":"almoço 35"}}'.encode()
    assert not verify_signature(again, header, SECRET)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        "54edfa1d7259e0eb13c677cc7d73d1b5c86cfa12433d19156e058ab9251bc441",  # no prefix
        "sha1=54edfa1d7259e0eb13c677cc7d73d1b5c86cfa12433d19156e058ab9251bc441",
        "sha256=54edfa1d7259e0eb13c677cc7d73d1b5c86cfa12433d19156e058ab9251bc44",  # 63 digits
        "sha256=54edfa1d7259e0eb13c677cc7d73d1b5c86cfa12433d19156e058ab9251bc4411",  # 65 digits
        "sha256=zzedfa1d7259e0eb13c677cc7d73d1b5c86cfa12433d19156e058ab9251bc441",  # not hex
        "sha256=54edfa1d7259e0eb13c677cc7d73d1b5c86cfa12433d19156e058ab9251bcé41",  # not ASCII
        "sha256=٥٤edfa1d7259e0eb13c677cc7d73d1b5c86cfa12433d19156e058ab9251bc441",  # Arabic-Indic digits
    ],
)
def test_malformed_headers_are_refused_without_raising(header: str | None) -> None:
    assert parse_signature(header) is None
    assert not verify_signature(SIGNED.read_bytes(), header, SECRET)


def test_prefix_case_and_surrounding_spaces_are_tolerated() -> None:
    digest = SIGNATURE["x_hub_signature"].removeprefix("sha256=")
    assert verify_signature(SIGNED.read_bytes(), f"  SHA256={digest.upper()} ", SECRET)
