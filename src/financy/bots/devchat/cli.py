"""``financy send`` and ``financy chat``: a terminal chat with the running box's edge."""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from typing import Any

import httpx

DEFAULT_EDGE_URL = "http://127.0.0.1:8081"


def _edge_url(args: argparse.Namespace) -> str:
    url: str = args.edge_url or os.environ.get("FINANCY_EDGE_URL") or DEFAULT_EDGE_URL
    return url.rstrip("/")


def post_message(
    client: httpx.Client, args: argparse.Namespace, text: str, message_id: str | None = None
) -> dict[str, Any]:
    """POST one message to the edge's dev chat and return its JSON answer.

    Raises:
        httpx.HTTPError: the edge is not reachable or answered with an error status.
    """
    body: dict[str, Any] = {
        "text": text,
        "user_id": args.user,
        "chat_id": args.chat or args.user,
        "message_id": message_id or uuid.uuid4().hex,
        "wait": min(args.timeout, 30.0),
    }
    if args.name:
        body["name"] = args.name
    response = client.post(f"{_edge_url(args)}/devchat/messages", json=body, timeout=args.timeout + 5)
    if response.status_code >= 400:
        raise httpx.HTTPStatusError(
            f"edge answered {response.status_code}: {response.text}",
            request=response.request,
            response=response,
        )
    result: dict[str, Any] = response.json()
    return result


def _show(result: dict[str, Any], as_json: bool) -> int:
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
        return 0 if result.get("reply") or result.get("duplicate") else 1
    reply = result.get("reply")
    if reply:
        print(reply["text"])
        return 0
    if result.get("duplicate"):
        print("(already received: that message id was sent before)")
        return 0
    print(
        "(message kept; the answer has not arrived yet — is `financy core ingest` running?)", file=sys.stderr
    )
    return 1


def send(args: argparse.Namespace) -> int:
    """Send ``args.text`` and print the reply; exit 1 if none came within ``args.timeout`` seconds."""
    with httpx.Client() as client:
        try:
            result = post_message(client, args, args.text, args.message_id)
        except httpx.HTTPError as exc:
            print(
                f"financy send: cannot reach the edge at {_edge_url(args)} ({exc}); is `financy up` running?",
                file=sys.stderr,
            )
            return 2
    return _show(result, args.json)


def chat(args: argparse.Namespace) -> int:
    """Read lines from the terminal and send each one; Ctrl-D or /quit ends."""
    print(
        f"Talking to {_edge_url(args)} as {args.user!r}. Type an expense, /desfazer, /ajuda; Ctrl-D to leave."
    )
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
            except httpx.HTTPError as exc:
                print(f"(cannot reach the edge: {exc})", file=sys.stderr)
                continue
            _show(result, args.json)
