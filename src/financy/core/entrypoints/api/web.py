"""The pages a browser loads: the dashboard at ``/`` and the Swagger UI's own scripts and styles.

The docs themselves (``/docs``, ``/docs/openapi.json``) are sanic-ext's; their page is
``static/swagger.html``, which loads the UI from ``/static/swagger-ui`` (the swagger-ui-bundle
package), never from a CDN, so they work on a box without internet.
"""

from __future__ import annotations

from sanic import Blueprint
from sanic.response import HTTPResponse, raw
from sanic_ext import openapi
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

from financy.core.entrypoints.api.context import ApiRequest


@openapi.exclude()
async def dashboard(request: ApiRequest) -> HTTPResponse:
    """Return the dashboard page (one self-contained HTML file) with a CSP that allows only its code."""
    page = request.app.ctx.dashboard
    return raw(
        page.body,
        content_type="text/html; charset=utf-8",
        headers={
            "Content-Security-Policy": page.csp,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
        },
    )


def blueprint() -> Blueprint:
    """Return a new ``web`` blueprint (one per app): the dashboard and the Swagger UI assets."""
    bp = Blueprint("web")
    bp.add_route(dashboard, "/", methods=["GET"], name="dashboard")
    bp.static("/static/swagger-ui", str(swagger_ui_path), name="swagger_ui_assets")
    return bp
