"""Authenticated origin of a stream entry: which edge wrote it, proven with a per-edge HMAC key.

An enrolled edge holds a secret key (issued at enrolment, ``FINANCY_EDGE__ORIGIN_KEY``, hex) and
adds two fields to every entry it writes to ``financy:captures``: ``origin`` (its edge id) and
``sig`` (hex HMAC-SHA256). The core keeps the same key in ``edges.origin_key`` and checks the
signature over the raw bytes in constant time before it believes the entry's edge id. The Redis
ACL lets any edge XADD to ``financy:captures``; this signature is what stops one edge posting
captures as another.

The signed message is ``b"financy-origin-v1\\n" + edge_id + b"\\n" + payload`` (UTF-8), so a
signature made for one edge id never verifies for another.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ORIGIN_FIELD = "origin"
SIGNATURE_FIELD = "sig"
_DOMAIN = b"financy-origin-v1\n"
#: Bytes of a new origin key (256 bits, as HMAC-SHA256's block-size guidance allows).
KEY_BYTES = 32


def new_origin_key() -> str:
    """Return a fresh random origin key as 64 hex characters (``secrets.token_hex``)."""
    return secrets.token_hex(KEY_BYTES)


def _key_bytes(key_hex: str) -> bytes:
    """Return the bytes of a hex key; raises ``ValueError`` if ``key_hex`` is not hex of 16+ bytes."""
    raw = bytes.fromhex(key_hex)
    if len(raw) < 16:
        raise ValueError("an origin key must be at least 16 bytes (32 hex characters)")
    return raw


def signature(key_hex: str, edge_id: str, payload: str | bytes) -> str:
    """Return the hex HMAC-SHA256 of ``payload`` for ``edge_id`` under ``key_hex``.

    Raises:
        ValueError: ``key_hex`` is not hex, or shorter than 16 bytes.
    """
    body = payload.encode("utf-8") if isinstance(payload, str) else payload
    message = _DOMAIN + edge_id.encode("utf-8") + b"\n" + body
    return hmac.new(_key_bytes(key_hex), message, hashlib.sha256).hexdigest()


def signed_fields(
    fields: dict[str, str], *, edge_id: str, key_hex: str, payload_field: str
) -> dict[str, str]:
    """Return ``fields`` plus ``origin`` and ``sig`` signing ``fields[payload_field]`` for ``edge_id``.

    Raises:
        KeyError: ``fields`` has no ``payload_field``.
        ValueError: ``key_hex`` is not a valid key (see :func:`signature`).
    """
    return {
        **fields,
        ORIGIN_FIELD: edge_id,
        SIGNATURE_FIELD: signature(key_hex, edge_id, fields[payload_field]),
    }


def verify(key_hex: str, edge_id: str, payload: str | bytes, claimed: str) -> bool:
    """Return whether ``claimed`` is the signature of ``payload`` for ``edge_id`` (constant time).

    A key that is not valid hex, or a claimed signature that is not hex, verifies as ``False``.
    """
    try:
        expected = signature(key_hex, edge_id, payload)
    except ValueError:
        return False
    return hmac.compare_digest(expected.encode("ascii"), claimed.encode("utf-8", "replace"))
