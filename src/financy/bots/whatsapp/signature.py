"""Meta's webhook signature: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>``.

The HMAC is taken over the request's **raw bytes** with the app secret. Meta serialises bodies
with ``\\uXXXX`` escapes for non-ASCII characters, so a body parsed and serialised again would
not match: only the bytes as received are ever signed here.
"""

from __future__ import annotations

import hashlib
import hmac
import string

PREFIX = "sha256="
_HEX = frozenset(string.hexdigits)
#: A SHA-256 digest in hex.
_DIGEST_CHARS = 64


def expected_signature(body: bytes, app_secret: bytes) -> str:
    """Return the header value Meta sends for ``body`` signed with ``app_secret`` (``sha256=<64 hex>``)."""
    return PREFIX + hmac.new(app_secret, body, hashlib.sha256).hexdigest()


def parse_signature(header: str | None) -> bytes | None:
    """Return the 32-byte digest a ``X-Hub-Signature-256`` header carries, or ``None`` if malformed.

    Malformed: missing, not ASCII, without the ``sha256=`` prefix (case-insensitive), or not
    exactly 64 hex digits after it (surrounding spaces are ignored).
    """
    if header is None:
        return None
    value = header.strip()
    if not value.isascii() or value[: len(PREFIX)].lower() != PREFIX:
        return None
    digest = value[len(PREFIX) :]
    if len(digest) != _DIGEST_CHARS or not _HEX.issuperset(digest):
        return None
    return bytes.fromhex(digest)


def verify_signature(body: bytes, header: str | None, app_secret: bytes) -> bool:
    """Return whether ``header`` is the valid signature of the raw ``body`` (constant-time compare).

    Never raises: a missing or malformed header is simply not valid.
    """
    given = parse_signature(header)
    if given is None:
        return False
    return hmac.compare_digest(given, hmac.new(app_secret, body, hashlib.sha256).digest())
