"""What each Graph API answer means for a reply: retry later, hold, or give up."""

from __future__ import annotations

import pytest

from financy.bots.common.message import OutsideWindowError, RetryLaterError, UndeliverableError
from financy.bots.whatsapp.errors import TOKEN_RETRY_S, Verdict, delivery_error, graph_error, verdict


def _body(code: int, message: str = "m") -> dict[str, object]:
    return {"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "x"}}


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (429, None, Verdict.RETRY),
        (400, 4, Verdict.RETRY),
        (400, 80007, Verdict.RETRY),
        (400, 130429, Verdict.RETRY),
        (400, 131048, Verdict.RETRY),
        (400, 131056, Verdict.RETRY),
        (500, 131000, Verdict.RETRY),
        (503, None, Verdict.RETRY),
        (400, 131047, Verdict.HOLD),
        (401, 190, Verdict.REAUTHORIZE),
        (401, None, Verdict.REAUTHORIZE),
        (400, 190, Verdict.REAUTHORIZE),
        (400, 131026, Verdict.GIVE_UP),
        (400, 100, Verdict.GIVE_UP),
        (404, None, Verdict.GIVE_UP),
        (None, 131047, Verdict.HOLD),
        (None, 131026, Verdict.GIVE_UP),
        (None, 130429, Verdict.RETRY),
        (None, None, Verdict.GIVE_UP),
    ],
)
def test_verdicts(status: int | None, code: int | None, expected: Verdict) -> None:
    assert verdict(status, code) is expected


def test_throttling_is_retried_with_the_platforms_wait() -> None:
    error = delivery_error(400, _body(130429, "Rate limit hit"), retry_after_s=7.0)
    assert isinstance(error, RetryLaterError)
    assert error.retry_after_s == 7.0
    assert str(error) == "HTTP 400 code 130429: OAuthException: Rate limit hit"
    plain = delivery_error(429, None)
    assert isinstance(plain, RetryLaterError)
    assert plain.retry_after_s is None  # the edge's backoff decides


def test_a_refused_token_keeps_the_reply_and_names_the_setting() -> None:
    error = delivery_error(401, _body(190, "Invalid OAuth access token"))
    assert isinstance(error, RetryLaterError)
    assert error.retry_after_s == TOKEN_RETRY_S
    assert "FINANCY_WHATSAPP__TOKEN" in str(error)


def test_window_closed_and_permanent_refusals() -> None:
    assert isinstance(delivery_error(400, _body(131047)), OutsideWindowError)
    assert isinstance(delivery_error(400, _body(131026)), UndeliverableError)
    assert isinstance(delivery_error(400, "not json"), UndeliverableError)


def test_graph_error_reads_code_and_details() -> None:
    body = {"error": {"code": 131051, "message": "Unsupported", "error_data": {"details": "type x"}}}
    assert graph_error(body) == (131051, "Unsupported: type x")
    assert graph_error({"error": {"code": True}}) == (None, "")
    assert graph_error([1, 2]) == (None, "")
