"""An S3 endpoint for tests: moto's server, spoken to through the minio SDK like MinIO."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from moto.server import ThreadedMotoServer


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """Run a moto S3 server on a free loopback port; yield its ``host:port``, stop it after.

    moto checks no signature and enforces no policy (STACK.md): any access key works.
    """
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"{host}:{port}"
    finally:
        server.stop()
