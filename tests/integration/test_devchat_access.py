"""Who the dev chat serves: loopback callers only without a token; with one, Bearer callers only.

A real edge app (``create_app``, its background tasks on a real Redis) is served by sanic-testing
on a real socket. Non-loopback callers are real too: the server is bound on this machine's own
non-loopback address (its first global interface), so the socket's peer is that address; the
test is skipped on a machine that has none.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sanic_testing.testing import SanicTestClient

from financy.edge.app import create_app
from financy.edge.settings import EdgeNode, EdgeSettings

TOKEN = "s3cret-dev-chat-token"


def _own_address() -> str | None:
    """Return an IPv4 address of this machine that is not loopback and can be bound, or None."""
    candidates: list[str] = []
    with contextlib.suppress(OSError):
        candidates += socket.gethostbyname_ex(socket.gethostname())[2]
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.connect(("198.51.100.1", 9))  # no packet is sent: this only picks the outgoing interface
            candidates.append(udp.getsockname()[0])
    except OSError:
        pass
    for address in candidates:
        if address.startswith("127.") or address == "0.0.0.0":
            continue
        try:
            with socket.socket() as sock:
                sock.bind((address, 0))
        except OSError:
            continue
        return address
    return None


OWN_ADDRESS = _own_address()

Probe = Callable[..., Any]


@pytest.fixture
def probe(tmp_path: Path, redis_url: str, edge_id: str) -> Probe:
    """Return ``probe(method, path, host=, token=, **request)``: one request to a fresh real edge app."""
    count = 0

    def run(
        method: str, path: str, *, host: str = "127.0.0.1", token: str | None = None, **request: Any
    ) -> Any:
        nonlocal count
        count += 1
        settings = EdgeSettings(
            redis_url=redis_url,
            data_dir=tmp_path / str(count),
            edge=EdgeNode(id=edge_id, devchat_token=token),
        )
        app = create_app(settings)  # one app per request: sanic-testing runs a server per request
        client = SanicTestClient(app, port=None, host=host)
        _request, response = getattr(client, method)(path, **request)
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


@pytest.mark.skipif(OWN_ADDRESS is None, reason="this machine has no non-loopback address to bind")
def test_other_callers_get_403_without_a_token_whatever_they_forward(probe: Probe) -> None:
    assert OWN_ADDRESS is not None
    response = probe(
        "get", "/devchat/replies?chat_id=a", host=OWN_ADDRESS, headers={"X-Forwarded-For": "127.0.0.1"}
    )
    assert response.status == 403
    assert response.json["error"]["code"] == "forbidden"
    posted = probe("post", "/devchat/messages", host=OWN_ADDRESS, json={"text": "uber 23", "user_id": "u1"})
    assert posted.status == 403
    assert probe("get", "/healthz", host=OWN_ADDRESS).status == 200  # only the dev chat is guarded


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


@pytest.mark.skipif(OWN_ADDRESS is None, reason="this machine has no non-loopback address to bind")
def test_with_a_token_other_callers_are_served_when_they_send_it(probe: Probe) -> None:
    assert OWN_ADDRESS is not None
    headers = {"Authorization": f"Bearer {TOKEN}"}
    assert probe("get", "/devchat/replies?chat_id=a", host=OWN_ADDRESS, token=TOKEN).status == 401
    served = probe("get", "/devchat/replies?chat_id=a", host=OWN_ADDRESS, token=TOKEN, headers=headers)
    assert served.status == 200
    posted = probe(
        "post",
        "/devchat/messages",
        host=OWN_ADDRESS,
        token=TOKEN,
        headers=headers,
        json={"text": "uber 23", "user_id": "u1", "wait": 0},
    )
    assert posted.status == 202
