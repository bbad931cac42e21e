"""What a Graph API error means for a reply: send again later, hold it, or give it up.

Codes (WhatsApp Cloud API error reference): throttling ``4`` (app rate limit), ``80007`` (WABA
rate limit), ``130429`` (throughput), ``131048`` (spam rate limit), ``131056`` (pair rate limit);
``131047`` re-engagement needed (the 24-hour window is closed: only a template may be sent);
``131026`` message undeliverable; ``190`` or HTTP 401 an invalid or expired access token (an
admin must fix it: the reply is kept); ``1``, ``2``, ``131000``, ``131016``, ``133004`` and any
HTTP 5xx are the platform's own trouble (temporary).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from financy.bots.common.message import (
    DeliveryError,
    OutsideWindowError,
    RetryLaterError,
    UndeliverableError,
)

THROTTLING = frozenset({4, 80007, 130429, 131048, 131056})
TEMPORARY = frozenset({1, 2, 131000, 131016, 133004})
TOKEN_INVALID = 190
REENGAGEMENT = 131047
UNDELIVERABLE = 131026
#: How long to wait before trying again with a token an admin has to fix (seconds).
TOKEN_RETRY_S = 60.0


class Verdict(StrEnum):
    """What to do with a reply the platform did not take."""

    RETRY = "retry"  # throttled or temporary: send again with backoff
    REAUTHORIZE = "reauthorize"  # the access token is invalid: keep, log an error, send again later
    HOLD = "hold"  # outside the 24-hour window: hold until the user writes
    GIVE_UP = "give_up"  # refused for good


def verdict(status: int | None, code: int | None) -> Verdict:
    """Return what to do after HTTP ``status`` (``None``: a failed-status webhook) with Graph ``code``."""
    if code == REENGAGEMENT:
        return Verdict.HOLD
    if status == 401 or code == TOKEN_INVALID:
        return Verdict.REAUTHORIZE
    if status == 429 or code in THROTTLING or code in TEMPORARY:
        return Verdict.RETRY
    if status is not None and status >= 500:
        return Verdict.RETRY
    return Verdict.GIVE_UP


def graph_error(body: Any) -> tuple[int | None, str]:
    """Return the Graph error ``code`` and a one-line description from a response body (parsed JSON)."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, ""
    code = error.get("code")
    parts = [str(error.get(k)) for k in ("type", "message") if error.get(k)]
    data = error.get("error_data")
    if isinstance(data, dict) and data.get("details"):
        parts.append(str(data["details"]))
    return (code if isinstance(code, int) and not isinstance(code, bool) else None), ": ".join(parts)[:300]


def delivery_error(status: int, body: Any, *, retry_after_s: float | None = None) -> DeliveryError:
    """Return the :class:`DeliveryError` a failed ``POST /messages`` (HTTP ``status``, JSON ``body``) raises."""
    code, what = graph_error(body)
    message = f"HTTP {status}" + (f" code {code}" if code is not None else "") + (f": {what}" if what else "")
    match verdict(status, code):
        case Verdict.HOLD:
            return OutsideWindowError(message)
        case Verdict.REAUTHORIZE:
            return RetryLaterError(
                f"access token refused ({message}); fix FINANCY_WHATSAPP__TOKEN", TOKEN_RETRY_S
            )
        case Verdict.RETRY:
            return RetryLaterError(message, retry_after_s)
        case _:
            return UndeliverableError(message)
