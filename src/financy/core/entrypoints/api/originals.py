"""Streaming an original (voice note, photo, document) from the object store, as an attachment."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sanic.response import HTTPResponse, raw
from sqlalchemy import Connection

from financy.core.entrypoints.api.context import ApiRequest
from financy.core.entrypoints.api.errors import ApiError, not_found
from financy.runtime.objects import ObjectStoreError


async def serve_original(
    request: ApiRequest, find: Callable[[Connection], dict[str, Any] | None]
) -> HTTPResponse:
    """Return the bytes of the original ``find(conn)`` names (``{"key", "content_type", ...}``).

    The caller has authorized the request already. The answer is an attachment that browsers
    neither sniff nor run (``nosniff``, ``sandbox``).

    Raises:
        ApiError: 404 ``not_found`` (no such row, a text, or the file is gone), 503
            ``object_store_unavailable``.
    """
    app = request.app

    def load() -> tuple[dict[str, Any] | None, bytes | None]:
        with app.ctx.engine.connect() as conn:
            media = find(conn)
        if media is None or app.ctx.objects is None:
            return media, None
        try:
            return media, app.ctx.objects.get(str(media["key"]))
        except ObjectStoreError as exc:
            if exc.code == "not_found":
                return media, None
            raise ApiError(503, "object_store_unavailable", "the object store did not answer") from exc

    media, data = await asyncio.to_thread(load)
    if media is None or data is None:
        raise not_found("there is no original file for this")
    name = str(media.get("key", "original")).rsplit("/", 1)[-1]
    return raw(
        data,
        content_type=str(media.get("content_type") or "application/octet-stream"),
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
            "Cache-Control": "private, max-age=3600",
        },
    )
