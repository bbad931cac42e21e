"""Serving an original (voice note, photo, document) from the object store, as an attachment.

A directory store's bytes are streamed through the API. With S3 the API answers ``307`` to a
presigned URL valid for :data:`PRESIGNED_TTL_S` seconds (the browser fetches the file from the
object store, pinned as an attachment of the stored content type). An original kept at its edge
(data-residency mode ``edge``: ``held_at_edge`` in the reference) is not in the core's store:
409 ``held_at_edge`` names the edge instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sanic.response import HTTPResponse, raw, redirect
from sqlalchemy import Connection

from financy.core.entrypoints.api.context import ApiRequest
from financy.core.entrypoints.api.errors import ApiError, not_found
from financy.runtime.objects import ObjectStoreError, S3Store

#: Seconds a presigned URL to an original stays valid.
PRESIGNED_TTL_S = 300


def _edge_of(media: dict[str, Any]) -> str:
    """Return the edge id in ``captures/{edge_id}/...`` (``"?"`` for a key of another shape)."""
    parts = str(media.get("key", "")).split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "captures" else "?"


async def serve_original(
    request: ApiRequest, find: Callable[[Connection], dict[str, Any] | None]
) -> HTTPResponse:
    """Return the bytes of the original ``find(conn)`` names (``{"key", "content_type", ...}``).

    The caller has authorized the request already. The answer is an attachment that browsers
    neither sniff nor run (``nosniff``, ``sandbox``).

    In S3 mode the answer is a ``307`` to a presigned URL (:data:`PRESIGNED_TTL_S` seconds).

    Raises:
        ApiError: 404 ``not_found`` (no such row, a text, or the file is gone), 409
            ``held_at_edge`` (the original never left its edge), 503 ``object_store_unavailable``.
    """
    app = request.app

    def load() -> tuple[dict[str, Any] | None, bytes | str | None]:
        with app.ctx.engine.connect() as conn:
            media = find(conn)
        if media is None or app.ctx.objects is None:
            return media, None
        if media.get("held_at_edge"):
            raise ApiError(
                409,
                "held_at_edge",
                f"the original is held at the edge {_edge_of(media)}: it never left that edge "
                "(data-residency mode), so the core cannot serve it",
            )
        store = app.ctx.objects
        if isinstance(store, S3Store):
            key = str(media["key"])
            try:
                if not store.exists(key):
                    return media, None
                return media, store.presigned_get_url(
                    key,
                    PRESIGNED_TTL_S,
                    content_type=str(media.get("content_type") or "application/octet-stream"),
                    filename=key.rsplit("/", 1)[-1],
                )
            except ObjectStoreError as exc:
                raise ApiError(503, "object_store_unavailable", "the object store did not answer") from exc
        try:
            return media, app.ctx.objects.get(str(media["key"]))
        except ObjectStoreError as exc:
            if exc.code == "not_found":
                return media, None
            raise ApiError(503, "object_store_unavailable", "the object store did not answer") from exc

    media, data = await asyncio.to_thread(load)
    if media is None or data is None:
        raise not_found("there is no original file for this")
    if isinstance(data, str):
        return redirect(data, status=307, headers={"Cache-Control": "no-store"})
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
