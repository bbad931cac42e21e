"""A TCP proxy that can cut the network between a process and a server (for outage tests).

It stands between our processes and a real Redis or PostgreSQL; :meth:`TcpProxy.cut` closes
every connection and refuses new ones (what a client sees when a server or link goes away),
:meth:`TcpProxy.restore` listens again.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from urllib.parse import urlsplit


class TcpProxy:
    """Forward ``127.0.0.1:<port>`` to ``target`` ("host:port" or a Unix socket path), in a thread."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    @classmethod
    def for_redis_url(cls, url: str) -> TcpProxy:
        """Return a proxy for the Redis server ``url`` names (``redis://`` or ``unix://``)."""
        parts = urlsplit(url)
        if parts.scheme == "unix":
            return cls(parts.path)
        return cls(f"{parts.hostname or '127.0.0.1'}:{parts.port or 6379}")

    def url_for(self, original: str) -> str:
        """Return ``original`` Redis URL rewritten to go through this proxy (keeps the db index)."""
        parts = urlsplit(original)
        db = parts.path if parts.scheme != "unix" else ""
        if parts.scheme == "unix" and parts.query:
            db = "/" + dict(p.split("=", 1) for p in parts.query.split("&")).get("db", "0")
        return f"redis://127.0.0.1:{self.port}{db or '/0'}"

    def start(self) -> None:
        """Start listening (picks a free port on the first start and keeps it)."""
        if not self._thread.is_alive():
            self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(10)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _open_target(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if ":" in self.target and not self.target.startswith("/"):
            host, port = self.target.rsplit(":", 1)
            return await asyncio.open_connection(host, int(port))
        return await asyncio.open_unix_connection(self.target)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await self._open_target()
        except OSError:
            writer.close()
            return
        self._writers.update({writer, up_writer})

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.IncompleteReadError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))
        self._writers.difference_update({writer, up_writer})

    def cut(self) -> None:
        """Close every proxied connection and stop accepting new ones."""

        async def _cut() -> None:
            server, self._server = self._server, None
            if server is not None:
                server.close()
            for w in list(self._writers):
                w.transport.abort()
            self._writers.clear()
            if server is not None:
                await server.wait_closed()

        asyncio.run_coroutine_threadsafe(_cut(), self._loop).result(10)

    def restore(self) -> None:
        """Accept connections again on the same port."""
        self.start()

    def close(self) -> None:
        """Cut everything and stop the proxy's thread."""
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
