"""Keeping passwords of connection URLs out of messages (errors, logs, health probes, manifests).

A URL may come in any shape an admin types: ``scheme://user:pass@host/...``, ``user:pass@host``
without a scheme, a password holding an unencoded ``/``, ``#`` or ``@``, a ``?password=`` query
parameter, or a libpq ``key=value`` string (``host=db password=...``). :func:`redact` hides the
credentials of each of them (it never parses the URL, so it cannot fail on a malformed one), and
:func:`scrub` removes them from a message a library made of the URL (libpq quotes the piece it
could not parse, which may be the password).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

#: Everything before the last ``@`` (after an optional ``scheme://``): the ``user:password`` part.
_USERINFO_RE = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)?(?P<userinfo>.*)@", re.DOTALL)
#: ``password=...`` (and its kin) as a query parameter or a libpq ``key=value`` pair, quoted or not.
_PARAM_RE = re.compile(
    r"(?i)(?P<name>\b(?:password|passwd|pass|pwd|secret|secret_key|access_key|token|sslpassword))"
    r"(?P<eq>\s*=\s*)(?P<value>'(?:[^'\\]|\\.|'')*'|[^&\s;#]+)"
)
MASK = "***"


def redact(url: str) -> str:
    """Return ``url`` with its credentials replaced by ``***`` (for messages).

    ``redis://:pw@redis:6379/0`` -> ``redis://***@redis:6379/0``; ``host=db password=pw`` ->
    ``host=db password=***``; a URL without credentials is returned unchanged. Everything up to
    the last ``@`` is hidden (an ``@`` elsewhere in the URL hides more than needed, never less).
    """
    text = _PARAM_RE.sub(lambda m: f"{m.group('name')}{m.group('eq')}{MASK}", url)
    found = _USERINFO_RE.match(text)
    if found is not None:
        text = f"{found.group('scheme') or ''}{MASK}@{text[found.end() :]}"
    return text


def url_secrets(url: str) -> list[str]:
    """Return the secret strings of ``url`` (its password as written and percent-decoded, the
    values of ``password=`` parameters), longest first; ``[]`` when it holds none."""
    found: set[str] = set()
    userinfo = _USERINFO_RE.match(url)
    if userinfo is not None and ":" in userinfo.group("userinfo"):
        password = userinfo.group("userinfo").split(":", 1)[1]
        found.add(password)
        # An unencoded "/", "?", "#" or "@" cuts it where a URL parser would: each piece is secret too.
        found.update(re.split(r"[/?#@]", password))
    for param in _PARAM_RE.finditer(url):
        value = param.group("value")
        found.add(value)
        if value.startswith("'") and value.endswith("'") and len(value) >= 2:
            found.add(value[1:-1].replace("\\'", "'").replace("\\\\", "\\"))
    found |= {unquote(value) for value in found}
    return sorted((value for value in found if value), key=len, reverse=True)


def scrub(message: str, url: str) -> str:
    """Return ``message`` (made by a library from ``url``) with every secret of ``url`` replaced by ``***``."""
    for secret in url_secrets(url):
        message = message.replace(secret, MASK)
    return message
