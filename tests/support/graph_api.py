"""A stand-in for the WhatsApp Cloud API (Graph API) on 127.0.0.1: answers and records every call.

``GET /v21.0/{media_id}`` -> ``{"url", "mime_type", "sha256", "file_size", "id"}`` for a file added
with :meth:`GraphStandIn.add_media`; ``GET /files/{media_id}`` -> its bytes;
``POST /v21.0/{phone_number_id}/messages`` -> ``{"messages": [{"id": "wamid.sent<N>"}]}``, or the
next answer queued with :meth:`GraphStandIn.answer_next` (a 429, a Graph error code). Calls
without ``Authorization: Bearer <token>`` get 401 with code 190, as Meta answers.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

VERSION = "v21.0"
#: The access token the unit tests' stand-in accepts.
TOKEN = "EAAG-test-token"


@dataclass(frozen=True)
class Call:
    """One request the stand-in received: method, path (no query), Authorization header and JSON body."""

    method: str
    path: str
    authorization: str | None
    body: Any = None


@dataclass
class _Media:
    data: bytes
    mime_type: str
    file_size: int
    url: str | None = None
    info_status: int = 200
    file_status: int = 200


@dataclass
class GraphStandIn:
    """The stand-in server (start with :meth:`start`, stop with :meth:`close`)."""

    token: str
    calls: list[Call] = field(default_factory=list)
    media: dict[str, _Media] = field(default_factory=dict)
    #: ``(to, wamid)`` of every message the stand-in accepted, in order.
    accepted: list[tuple[str, str]] = field(default_factory=list)
    _answers: deque[tuple[int, Any]] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        """Return the port the server listens on."""
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """Return the Graph API root to configure (``FINANCY_WHATSAPP__API_BASE_URL``)."""
        return f"http://127.0.0.1:{self.port}/{VERSION}"

    def media_url(self, media_id: str) -> str:
        """Return where the stand-in serves the bytes of ``media_id``."""
        return f"http://127.0.0.1:{self.port}/files/{media_id}"

    def add_media(
        self,
        media_id: str,
        data: bytes,
        mime_type: str,
        *,
        file_size: int | None = None,
        url: str | None = None,
        info_status: int = 200,
        file_status: int = 200,
    ) -> None:
        """Serve ``data`` as ``media_id``; ``file_size``: what ``GET /{media_id}`` declares (default: the size).

        ``url``: the download URL ``GET /{media_id}`` gives (default: :meth:`media_url`);
        ``info_status``/``file_status``: answer ``GET /{media_id}``/the download with that HTTP
        status and an empty body instead (a redirect, a 5xx...).
        """
        with self._lock:
            self.media[media_id] = _Media(
                data,
                mime_type,
                len(data) if file_size is None else file_size,
                url,
                info_status,
                file_status,
            )

    def answer_next(self, status: int, body: Any) -> None:
        """Answer the next ``POST .../messages`` with ``status`` and JSON ``body`` (queued in order)."""
        with self._lock:
            self._answers.append((status, body))

    def reset(self) -> None:
        """Forget the calls, media and queued answers."""
        with self._lock:
            self.calls.clear()
            self.accepted.clear()
            self.media.clear()
            self._answers.clear()

    def sent(self) -> list[Call]:
        """Return the ``POST .../messages`` calls so far."""
        with self._lock:
            return [c for c in self.calls if c.method == "POST" and c.path.endswith("/messages")]

    def wamids_to(self, to: str) -> list[str]:
        """Return the wamids of the messages accepted for ``to``, in order."""
        with self._lock:
            return [wamid for recipient, wamid in self.accepted if recipient == to]

    def wait_for(self, predicate: Callable[[list[Call]], bool], timeout_s: float = 20.0) -> list[Call]:
        """Wait until ``predicate(calls)`` holds; return the calls (raises TimeoutError with them)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                calls = list(self.calls)
            if predicate(calls):
                return calls
            time.sleep(0.05)
        raise TimeoutError(f"calls so far: {calls}")

    def _handle(
        self, method: str, path: str, authorization: str | None, raw: bytes
    ) -> tuple[int, str, bytes]:
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        with self._lock:
            self.calls.append(Call(method, path, authorization, body))
            if authorization != f"Bearer {self.token}":
                error = {
                    "error": {"message": "Invalid OAuth access token", "type": "OAuthException", "code": 190}
                }
                return 401, "application/json", json.dumps(error).encode()
            parts = path.strip("/").split("/")
            if method == "GET" and len(parts) == 2 and parts[0] == "files" and parts[1] in self.media:
                item = self.media[parts[1]]
                if item.file_status != 200:
                    return item.file_status, "text/plain", b""
                return 200, item.mime_type, item.data
            if method == "GET" and len(parts) == 2 and parts[0] == VERSION and parts[1] in self.media:
                item = self.media[parts[1]]
                if item.info_status != 200:
                    return item.info_status, "text/plain", b""
                info = {
                    "messaging_product": "whatsapp",
                    "url": item.url or self.media_url(parts[1]),
                    "mime_type": item.mime_type,
                    "sha256": hashlib.sha256(item.data).hexdigest(),
                    "file_size": item.file_size,
                    "id": parts[1],
                }
                return 200, "application/json", json.dumps(info).encode()
            if method == "POST" and len(parts) == 3 and parts[0] == VERSION and parts[2] == "messages":
                if self._answers:
                    status, answer = self._answers.popleft()
                    return status, "application/json", json.dumps(answer).encode()
                wamid = f"wamid.sent{next(self._ids)}"
                self.accepted.append((str((body or {}).get("to")), wamid))
                answer = {
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": (body or {}).get("to"), "wa_id": (body or {}).get("to")}],
                    "messages": [{"id": wamid}],
                }
                return 200, "application/json", json.dumps(answer).encode()
        error = {"error": {"message": "Unsupported request", "type": "GraphMethodException", "code": 100}}
        return 400 if method == "POST" else 404, "application/json", json.dumps(error).encode()

    def start(self) -> GraphStandIn:
        """Listen on a free port of 127.0.0.1 in a thread."""
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, method: str) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, content_type, payload = stand_in._handle(
                    method, self.path.split("?", 1)[0], self.headers.get("authorization"), raw
                )
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def close(self) -> None:
        """Stop the server."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
