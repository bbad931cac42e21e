"""Serve a Sanic app in this process until SIGTERM or SIGINT, whenever in its life the signal comes.

``app.run(single_process=True)`` is not used: Sanic's runner drives the event loop in several
separate runs (start-up, ``before_server_start``, binding, ``after_server_start``, then
``run_forever``) and registers its SIGTERM/SIGINT handlers between two of them, while uvloop only
listens for signals during a run. A signal that arrives between two runs, or at the end of one
(uvloop closes its wake-up pipe with the signal's byte still in it), is recorded by uvloop and
never dispatched: the process went on serving and ignored SIGTERM until it was killed. That
window opens right when ``/healthz`` first answers, so a supervisor that stops a freshly started
process lands in it, and more often on a loaded machine.

Here the server's whole life is ONE run of one loop (:func:`serve`): the loop's signal handlers
are installed before anything starts, and a signal that came even earlier (while the process was
still starting, see :func:`signals_requesting`) is kept in a :class:`Shutdown` and honoured as
soon as the server could stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

import structlog
from sanic import Sanic

log = structlog.stdlib.get_logger(__name__)

#: The signals that stop a server.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
#: Seconds the app's own tasks (``app.add_task``) get to end once cancelled.
TASKS_GRACE_S = 5.0


class Shutdown:
    """A request to stop, from a signal or from the app itself; remembers the first ``reason``.

    Safe to call :meth:`request` from a signal handler, another thread or the loop. ``wait()``
    returns once a stop was requested (before or after the loop started).
    """

    def __init__(self) -> None:
        self.reason: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None

    @property
    def requested(self) -> bool:
        """Return True once a stop was requested."""
        return self.reason is not None

    def request(self, reason: str) -> None:
        """Ask the server to stop (``reason``: e.g. ``"SIGTERM"``, ``"revoked"``); later calls keep the first."""
        if self.reason is None:
            self.reason = reason
        loop, event = self._loop, self._event
        if loop is not None and event is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nothing left to wake
                loop.call_soon_threadsafe(event.set)

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Bind to the running ``loop`` (a request made before is kept)."""
        self._loop = loop
        self._event = asyncio.Event()
        if self.requested:
            self._event.set()

    async def wait(self) -> None:
        """Return once a stop is requested.

        Raises:
            RuntimeError: :meth:`attach` was not called in this loop.
        """
        if self._event is None:
            raise RuntimeError("Shutdown.wait() before attach()")
        await self._event.wait()


@contextlib.contextmanager
def signals_requesting(shutdown: Shutdown) -> Iterator[Shutdown]:
    """While the block runs, SIGTERM and SIGINT request ``shutdown`` instead of ending the process.

    For the start-up and clean-up of a process around :func:`serve` (a stop asked for meanwhile is
    honoured once the server could stop). The previous handlers come back when the block ends.
    Must be used in the main thread (``signal.signal``'s rule; ``ValueError`` otherwise).
    """

    previous = {sig: signal.signal(sig, _requesting(shutdown)) for sig in STOP_SIGNALS}
    try:
        yield shutdown
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old if old is not None else signal.SIG_DFL)


def _requesting(shutdown: Shutdown) -> Callable[[int, object], None]:
    """Return a ``signal.signal`` handler that requests ``shutdown`` (named after the signal)."""

    def handler(signum: int, _frame: object) -> None:
        shutdown.request(signal.Signals(signum).name)

    return handler


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """Return uvloop's loop factory when it is installed (what Sanic itself would run), else None."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop ships with Sanic on Linux
        return None
    return uvloop.new_event_loop


def serve(app: Sanic[Any, Any], *, host: str, port: int, shutdown: Shutdown | None = None) -> str | None:
    """Serve ``app`` on ``host:port`` in this process until SIGTERM/SIGINT or ``shutdown.request()``.

    Runs the app's listeners in Sanic's order (``before_server_start``, then the socket serves,
    ``after_server_start``; at the stop ``before_server_stop``, open requests get
    ``GRACEFUL_SHUTDOWN_TIMEOUT`` seconds, ``after_server_stop``). A stop requested while the app
    starts is honoured right after ``before_server_start`` (nothing is served). Returns the
    reason of the stop (``"SIGTERM"``, ``"SIGINT"`` or what the app passed to ``request``).

    Raises:
        OSError: ``host:port`` cannot be bound (before any listener ran).
        ValueError: called outside the main thread.
    """
    shutdown = shutdown or Shutdown()
    app.config.MOTD = False
    with signals_requesting(shutdown), asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(_serve(app, host, port, shutdown))
    return shutdown.reason


async def _serve(app: Sanic[Any, Any], host: str, port: int, shutdown: Shutdown) -> None:
    loop = asyncio.get_running_loop()
    shutdown.attach(loop)
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, shutdown.request, sig.name)
    try:
        server: Any = await app.create_server(
            host=host,
            port=port,
            return_asyncio_server=True,
            access_log=False,
            asyncio_server_kwargs={"start_serving": False},
        )
        if server is None:  # pragma: no cover - Sanic returns it when asked to
            raise RuntimeError("Sanic did not return its server")
        await server.startup()
        await server.before_start()
        try:
            if not shutdown.requested:
                await server.start_serving()
                await server.after_start()
                app.set_serving(True)
                log.info("http.serving", app=app.name, host=host, port=port)
                await shutdown.wait()
            log.info("http.stopping", app=app.name, reason=shutdown.reason)
        finally:
            app.set_serving(False)
            await server.before_stop()
            await _drain(app, server)
            await server.after_stop()
    finally:
        for sig in STOP_SIGNALS:  # back to recording a signal, never to the default (the end)
            loop.remove_signal_handler(sig)
            signal.signal(sig, _requesting(shutdown))


async def _drain(app: Sanic[Any, Any], server: Any) -> None:
    """Stop accepting, let open requests finish (``GRACEFUL_SHUTDOWN_TIMEOUT``), then close the rest."""
    closed = server.close()
    if closed is not None:
        await closed
    connections = server.connections
    for connection in list(connections):
        connection.signal.stopped = True  # a keep-alive connection closes after its current request
        connection.close_if_idle()
    deadline = time.monotonic() + float(app.config.GRACEFUL_SHUTDOWN_TIMEOUT)
    while connections and time.monotonic() < deadline:  # noqa: ASYNC110 - Sanic's set has no event to await
        await asyncio.sleep(0.1)
    for connection in list(connections):
        websocket = getattr(connection, "websocket", None)
        if websocket:
            websocket.fail_connection(code=1001)
        else:
            connection.abort()
    tasks = [task for task in app.tasks if not task.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks, timeout=TASKS_GRACE_S)
