"""A stand-in Telegram Bot API on 127.0.0.1: answers ``/bot<token>/<method>`` and serves files.

It records every call (method and parameters, JSON-encoded fields decoded) in order, serves the
files a test registers at ``/file/bot<token>/<path>`` (recording each download), and lets a test
script the next answers of a method (a 429 with ``retry_after``, a 403...).
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

BOT_ID = 7000001
TOKEN = f"{BOT_ID}:TEST-token_for-the-stand-in"
USERNAME = "FinancyTestBot"


@dataclass
class Call:
    """One Bot API call: the method (as sent, camelCase), its parameters and when it came (epoch s)."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.time)


@dataclass
class StandInBotApi:
    """The stand-in server (see the module); ``url`` is its root, e.g. ``http://127.0.0.1:PORT``."""

    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    downloads: list[str] = field(default_factory=list)
    #: ``(file path, bytes written before the reader went away or the file ended)`` per download.
    served: list[tuple[str, int]] = field(default_factory=list)
    #: Whether downloads declare their Content-Length (without it the body ends when the connection closes).
    send_length: bool = True
    #: File paths answered with this HTTP status (an empty body) instead of their bytes.
    file_errors: dict[str, int] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    admins: list[dict[str, Any]] = field(default_factory=list)
    updates: deque[list[dict[str, Any]]] = field(default_factory=deque)
    scripted: dict[str, deque[tuple[int, dict[str, Any]]]] = field(default_factory=lambda: defaultdict(deque))
    #: Called from the server's threads with each call as it is recorded (a benchmark's clock).
    on_call: Callable[[Call], None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _next_message_id: int = 500
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        """Return the server's root URL."""
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def add_file(self, file_id: str, data: bytes, path: str) -> None:
        """Serve ``data`` for getFile(``file_id``) at the file path ``path``."""
        self.files[file_id] = (path, data)

    def script(self, method: str, *answers: tuple[int, dict[str, Any]]) -> None:
        """Answer the next calls of ``method`` with ``answers`` (HTTP status, JSON body) in order."""
        with self._lock:
            self.scripted[method].extend(answers)

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        """Return the parameters of every call of ``method`` so far, in order."""
        with self._lock:
            return [c.params for c in self.calls if c.method == method]

    def methods(self) -> list[str]:
        """Return the methods called so far, in order."""
        with self._lock:
            return [c.method for c in self.calls]

    def sent_to(self, chat_id: int | str) -> list[dict[str, Any]]:
        """Return the parameters of every sendMessage to ``chat_id`` so far, in order."""
        return [c for c in self.calls_of("sendMessage") if str(c.get("chat_id")) == str(chat_id)]

    def wait_sent_to(self, chat_id: int | str, count: int, timeout_s: float = 60.0) -> list[dict[str, Any]]:
        """Wait until ``count`` messages were sent to ``chat_id``; return them (``TimeoutError`` if not)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            sent = self.sent_to(chat_id)
            if len(sent) >= count:
                return sent
            time.sleep(0.05)
        raise TimeoutError(
            f"{len(self.sent_to(chat_id))} messages sent to {chat_id}, expected {count}: {self.calls}"
        )

    def wait_for(self, method: str, count: int = 1, timeout_s: float = 20.0) -> list[dict[str, Any]]:
        """Wait until ``method`` was called ``count`` times; return its calls.

        Raises:
            TimeoutError: fewer calls within ``timeout_s``.
        """
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            calls = self.calls_of(method)
            if len(calls) >= count:
                return calls
            time.sleep(0.02)
        raise TimeoutError(f"{method} called {len(self.calls_of(method))} times, expected {count}")

    def start(self) -> StandInBotApi:
        """Start serving on a free port of 127.0.0.1 in a daemon thread."""
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the edge stopped mid long poll
                    return

            def _stream(self, path: str, data: bytes) -> None:
                """Send ``data`` in 64 KiB writes, recording how much was written (see ``served``)."""
                written = 0
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/octet-stream")
                    if api.send_length:
                        self.send_header("Content-Length", str(len(data)))
                    else:
                        self.close_connection = True
                    self.end_headers()
                    for start in range(0, len(data), 65536):
                        self.wfile.write(data[start : start + 65536])
                        written = min(len(data), start + 65536)
                except (BrokenPipeError, ConnectionResetError):  # the reader stopped early
                    pass
                with api._lock:
                    api.served.append((path, written))

            def do_GET(self) -> None:
                self._route()

            def do_POST(self) -> None:
                self._route()

            def _route(self) -> None:
                path = unquote(urlsplit(self.path).path)  # PTB quotes the token's ":"
                file_prefix = f"/file/bot{api.token}/"
                bot_prefix = f"/bot{api.token}/"
                if path.startswith(file_prefix):
                    wanted = path[len(file_prefix) :]
                    with api._lock:
                        api.downloads.append(wanted)
                    if wanted in api.file_errors:
                        self._send(api.file_errors[wanted], b"", "text/plain")
                        return
                    for stored_path, data in api.files.values():
                        if stored_path == wanted:
                            self._stream(wanted, data)
                            return
                    self._send(404, b"not found", "text/plain")
                    return
                if not path.startswith(bot_prefix):
                    self._send(
                        404, json.dumps({"ok": False, "error_code": 404, "description": "Not Found"}).encode()
                    )
                    return
                method = path[len(bot_prefix) :]
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                params = api._params(raw, self.headers.get("Content-Type") or "")
                status, answer = api._answer(method, params)
                self._send(status, json.dumps(answer).encode())

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="stand-in-bot-api", daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop the server."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # --- the Bot API ----------------------------------------------------------------------------

    @staticmethod
    def _params(raw: bytes, content_type: str) -> dict[str, Any]:
        if not raw:
            return {}
        if content_type.startswith("application/json"):
            loaded = json.loads(raw)
            return loaded if isinstance(loaded, dict) else {}
        params: dict[str, Any] = {}
        for key, value in parse_qsl(raw.decode("utf-8"), keep_blank_values=True):
            try:
                params[key] = json.loads(value) if value[:1] in ("{", "[") else value
            except ValueError:
                params[key] = value
        return params

    def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        call = Call(method, params)
        with self._lock:
            self.calls.append(call)
        if self.on_call is not None:
            self.on_call(call)
        with self._lock:
            queue = self.scripted.get(method)
            if queue:
                return queue.popleft()
        result: Any = True
        if method == "getMe":
            result = {"id": BOT_ID, "is_bot": True, "first_name": "Financy", "username": USERNAME}
        elif method == "getFile":
            file_id = str(params.get("file_id"))
            if file_id not in self.files:
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"}
            path, data = self.files[file_id]
            result = {
                "file_id": file_id,
                "file_unique_id": f"u{file_id[:10]}",
                "file_size": len(data),
                "file_path": path,
            }
        elif method == "sendMessage":
            with self._lock:
                self._next_message_id += 1
                message_id = self._next_message_id
            chat_id = int(params["chat_id"])
            result = {
                "message_id": message_id,
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Financy", "username": USERNAME},
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup", "title": "t"},
                "date": int(time.time()),
                "text": params.get("text", ""),
            }
        elif method == "getChatAdministrators":
            result = self.admins
        elif method == "getUpdates":
            with self._lock:
                batch = self.updates.popleft() if self.updates else None
            if batch is None:
                time.sleep(min(0.2, float(params.get("timeout") or 0)))
                batch = []
            result = batch
        return 200, {"ok": True, "result": result}
