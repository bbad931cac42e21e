"""Who the dev chat serves: loopback callers only without a token; with one, Bearer callers only.

A real edge app (``create_app``, its background tasks on a real Redis) answers each request.
Loopback callers come over a real socket on 127.0.0.1 (sanic-testing's server). A caller from
elsewhere comes through Sanic's ASGI interface with the peer address an ASGI server would hand
it (``scope["client"]``, 203.0.113.9 from the documentation range): no packet leaves the machine,
and the guard reads the same ``conn_info`` it reads behind a real socket.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sanic_testing.testing
from sanic_testing.testing import SanicASGITestClient, SanicTestClient

from financy.edge.app import create_app
from financy.edge.settings import EdgeNode, EdgeSettings

TOKEN = "s3cret-dev-chat-token"
#: A peer that is not this machine (RFC 5737 documentation range); only ever an ASGI scope value.
ELSEWHERE = "203.0.113.9"

Probe = Callable[..., Any]


@pytest.fixture
def probe(tmp_path: Path, redis_url: str, edge_id: str, monkeypatch: pytest.MonkeyPatch) -> Probe:
    """Return ``probe(method, path, peer=, token=, **request)``: one request to a fresh real edge app."""
    count = 0

    def run(
        method: str, path: str, *, peer: str | None = None, token: str | None = None, **request: Any
    ) -> Any:
        nonlocal count
        count += 1
        settings = EdgeSettings(
            redis_url=redis_url,
            data_dir=tmp_path / str(count),
            edge=EdgeNode(id=edge_id, devchat_token=token),
        )
        app = create_app(settings)  # one app per request: sanic-testing runs a server per request
        if peer is None:
            _request, response = getattr(SanicTestClient(app, port=None, host="127.0.0.1"), method)(
                path, **request
            )
            return response
        monkeypatch.setattr(sanic_testing.testing, "ASGI_HOST", peer)
        client = SanicASGITestClient(app)
        _request, response = asyncio.run(getattr(client, method)(path, **request))
        return response

    return run


def test_loopback_callers_are_served_without_a_token(probe: Probe) -> None:
    response = probe("get", "/devchat/replies?chat_id=a")
    assert response.status == 200
    assert response.json == {"replies": []}
    posted = probe("post", "/devchat/messages", json={"text": "uber 23", "user_id": "u1", "wait": 0})
    assert posted.status == 202
    assert posted.json["accepted"] is True
    assert probe("get", "/healthz").status == 200


def test_other_callers_get_403_without_a_token_whatever_they_forward(probe: Probe) -> None:
    response = probe(
        "get", "/devchat/replies?chat_id=a", peer=ELSEWHERE, headers={"X-Forwarded-For": "127.0.0.1"}
    )
    assert response.status == 403
    assert response.json["error"]["code"] == "forbidden"
    posted = probe("post", "/devchat/messages", peer=ELSEWHERE, json={"text": "uber 23", "user_id": "u1"})
    assert posted.status == 403
    assert probe("get", "/healthz", peer=ELSEWHERE).status == 200  # only the dev chat is guarded


def test_with_a_token_a_missing_or_wrong_one_gets_401_even_from_loopback(probe: Probe) -> None:
    missing = probe("get", "/devchat/replies?chat_id=a", token=TOKEN)
    assert missing.status == 401
    assert missing.json["error"]["code"] == "unauthorized"
    assert missing.headers["www-authenticate"].startswith("Bearer")
    for header in (f"Bearer {TOKEN}x", "Bearer", f"Basic {TOKEN}", TOKEN):
        wrong = probe("get", "/devchat/replies?chat_id=a", token=TOKEN, headers={"Authorization": header})
        assert wrong.status == 401, header
    right = probe(
        "get", "/devchat/replies?chat_id=a", token=TOKEN, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert right.status == 200


def test_with_a_token_other_callers_are_served_when_they_send_it(probe: Probe) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    assert probe("get", "/devchat/replies?chat_id=a", peer=ELSEWHERE, token=TOKEN).status == 401
    served = probe("get", "/devchat/replies?chat_id=a", peer=ELSEWHERE, token=TOKEN, headers=headers)
    assert served.status == 200
    posted = probe(
        "post",
        "/devchat/messages",
        peer=ELSEWHERE,
        token=TOKEN,
        headers=headers,
        json={"text": "uber 23", "user_id": "u1", "wait": 0},
    )
    assert posted.status == 202
