"""``financy send`` and ``financy chat``: a terminal chat with the running box's edge.

A reply's buttons are printed as one line under its text (``[↩️ Desfazer] [🏷️ Saúde]``). When
``FINANCY_EDGE__DEVCHAT_TOKEN`` is set, it is sent as the dev chat's Bearer token.
"""

from __future__ import annotations

import argparse
import base64
import json
import mimetypes
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from financy.bots.devchat import strings

DEFAULT_EDGE_URL = "http://127.0.0.1:8081"


def _edge_url(args: argparse.Namespace) -> str:
    url: str = args.edge_url or os.environ.get("FINANCY_EDGE_URL") or DEFAULT_EDGE_URL
    return url.rstrip("/")


def auth_headers() -> dict[str, str]:
    """Return the dev chat's ``Authorization`` header when ``FINANCY_EDGE__DEVCHAT_TOKEN`` is set."""
    token = os.environ.get("FINANCY_EDGE__DEVCHAT_TOKEN", "").strip()
    return {"Authorization": f"Bearer {token}"} if token else {}


def buttons_line(reply: dict[str, Any]) -> str | None:
    """Return a reply's buttons as one line (``[↩️ Desfazer] [🏷️ Saúde]``), or ``None`` without buttons."""
    labels = [str(b.get("label", "")) for b in reply.get("buttons") or () if isinstance(b, dict)]
    return " ".join(f"[{label}]" for label in labels if label) or None


#: Largest file ``financy send --voice/--photo`` sends (the edge's own limit is in its settings).
MAX_FILE_BYTES = 25 * 1024 * 1024


def media_body(path: Path) -> dict[str, str]:
    """Return the dev chat's ``media`` object for the file at ``path`` (base64, type from its name).

    Raises:
        OSError: the file cannot be read.
        ValueError: the file is larger than :data:`MAX_FILE_BYTES`.
    """
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ValueError(f"{path} is {size} bytes; the largest file Financy takes is {MAX_FILE_BYTES} bytes")
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return {
        "data": base64.b64encode(path.read_bytes()).decode("ascii"),
        "content_type": content_type,
        "filename": path.name,
    }


def post_message(
    client: httpx.Client,
    args: argparse.Namespace,
    text: str | None,
    message_id: str | None = None,
    media: dict[str, str] | None = None,
) -> dict[str, Any]:
    """POST one message (or a file with an optional caption) to the edge's dev chat; return its JSON answer.

    Raises:
        httpx.HTTPError: the edge is not reachable or answered with an error status.
    """
    message_id = message_id or uuid.uuid4().hex
    body: dict[str, Any] = {
        "text": text,
        "user_id": args.user,
        "chat_id": args.chat or args.user,
        "message_id": message_id,
        "wait": min(args.timeout, 30.0),
    }
    if args.name:
        body["name"] = args.name
    if getattr(args, "lang", None):
        body["language"] = args.lang
    if media is not None:
        body["media"] = media
    response = client.post(
        f"{_edge_url(args)}/devchat/messages", json=body, headers=auth_headers(), timeout=args.timeout + 5
    )
    if response.status_code >= 400:
        raise httpx.HTTPStatusError(
            f"edge answered {response.status_code}: {response.text}",
            request=response.request,
            response=response,
        )
    result: dict[str, Any] = response.json()
    deadline = time.monotonic() + args.timeout
    chat_id = body["chat_id"]
    while result.get("reply") is None and not result.get("duplicate") and time.monotonic() < deadline:
        # Voice notes and photos can take longer than one wait: follow the chat's replies.
        wait = max(1.0, min(30.0, deadline - time.monotonic()))
        found = client.get(
            f"{_edge_url(args)}/devchat/replies",
            params={"chat_id": chat_id, "after": 0, "wait": wait},
            headers=auth_headers(),
            timeout=wait + 5,
        )
        found.raise_for_status()
        for reply in found.json().get("replies", ()):
            if reply.get("in_reply_to") == message_id:
                result["reply"] = {
                    "seq": reply["seq"],
                    "text": reply["text"],
                    "kind": reply["kind"],
                    "buttons": reply.get("buttons", []),
                }
        if result.get("reply") is None:
            time.sleep(0.2)
    return result


def _show(result: dict[str, Any], as_json: bool) -> int:
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
        return 0 if result.get("reply") or result.get("duplicate") else 1
    reply = result.get("reply")
    if reply:
        print(reply["text"])
        line = buttons_line(reply)
        if line:
            print(line)
        return 0
    if result.get("duplicate"):
        print(strings.ALREADY_RECEIVED)
        return 0
    print(strings.NO_ANSWER_YET, file=sys.stderr)
    return 1


def send(args: argparse.Namespace) -> int:
    """Send ``args.text`` (or a ``--voice``/``--photo`` file, the text its caption) and print the reply.

    Exits 1 if no reply came within ``args.timeout`` seconds, 2 if the edge or the file cannot be read.
    """
    path = getattr(args, "voice", None) or getattr(args, "photo", None)
    media = None
    if path:
        try:
            media = media_body(Path(path))
        except (OSError, ValueError) as exc:
            print(f"financy send: {exc}", file=sys.stderr)
            return 2
    elif args.text is None:
        print(strings.NOTHING_TO_SEND, file=sys.stderr)
        return 2
    with httpx.Client() as client:
        try:
            result = post_message(client, args, args.text, args.message_id, media)
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code in (401, 403):
                print(strings.REFUSED.format(error=exc), file=sys.stderr)
            else:
                print(strings.CANNOT_REACH.format(url=_edge_url(args), error=exc), file=sys.stderr)
            return 2
        except httpx.HTTPError as exc:
            print(strings.CANNOT_REACH.format(url=_edge_url(args), error=exc), file=sys.stderr)
            return 2
    return _show(result, args.json)


def chat(args: argparse.Namespace) -> int:
    """Read lines from the terminal and send each one; Ctrl-D or /quit ends (exit 0).

    Exits 2 at once when the edge refuses the caller (401/403: a dev chat token is missing or wrong).
    """
    print(strings.GREETING.format(url=_edge_url(args), user=args.user))
    with httpx.Client() as client:
        while True:
            try:
                line = input("> ")
            except EOFError:
                print()
                return 0
            if line.strip() in ("/quit", "/sair"):
                return 0
            if not line.strip():
                continue
            try:
                result = post_message(client, args, line)
            except httpx.HTTPStatusError as exc:
                if exc.response.status_code in (401, 403):
                    # Every line would be refused the same way: say why and stop.
                    print(strings.REFUSED.format(error=exc), file=sys.stderr)
                    return 2
                print(strings.CANNOT_REACH_CHAT.format(error=exc), file=sys.stderr)
                continue
            except httpx.HTTPError as exc:
                print(strings.CANNOT_REACH_CHAT.format(error=exc), file=sys.stderr)
                continue
            _show(result, args.json)
