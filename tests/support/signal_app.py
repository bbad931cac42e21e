"""A small Sanic app served by :func:`financy.runtime.server.serve` that sends itself SIGTERM.

``python -m tests.support.signal_app MOMENT PORT``: MOMENT is when the signal is sent —
``start`` (before the loop runs), ``before_start`` (in ``before_server_start``), ``after_start``
(in ``after_server_start``: the moment Sanic's own runner lost it under uvloop) or ``serving``
(once ``/healthz`` answered, from another thread). Each listener prints one line, the result last.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from typing import Any

from sanic import Request, Sanic
from sanic.response import HTTPResponse, json

from financy.runtime.server import Shutdown, serve, signals_requesting


def main(moment: str, port: int) -> int:
    """Serve until the SIGTERM sent at ``moment``; print the listeners run and the stop's reason."""
    app: Sanic[Any, Any] = Sanic("signal_probe")

    def say(line: str) -> None:
        print(line, flush=True)

    @app.get("/healthz")
    async def healthz(request: Request) -> HTTPResponse:
        if moment == "serving":
            threading.Thread(target=os.kill, args=(os.getpid(), signal.SIGTERM)).start()
        return json({"status": "ok"})

    @app.before_server_start
    async def before_start(app: Sanic[Any, Any]) -> None:
        say("before_server_start")
        if moment == "before_start":
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.sleep(0.2)  # start-up work goes on (the edge warms its models up in a thread)

    @app.after_server_start
    async def after_start(app: Sanic[Any, Any]) -> None:
        say("after_server_start")
        if moment == "after_start":
            os.kill(os.getpid(), signal.SIGTERM)

    @app.before_server_stop
    async def before_stop(app: Sanic[Any, Any]) -> None:
        say("before_server_stop")

    @app.after_server_stop
    async def after_stop(app: Sanic[Any, Any]) -> None:
        say("after_server_stop")

    with signals_requesting(Shutdown()) as shutdown:
        if moment == "start":
            os.kill(os.getpid(), signal.SIGTERM)
        reason = serve(app, host="127.0.0.1", port=port, shutdown=shutdown)
    say(f"stopped: {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
