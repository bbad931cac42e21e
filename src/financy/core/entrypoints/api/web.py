"""The pages a browser loads: the dashboard at ``/`` and the Swagger UI's own scripts and styles.

The docs themselves (``/docs``, ``/docs/openapi.json``) are sanic-ext's; their page is
``static/swagger.html``, which loads the UI from ``/static/swagger-ui`` (the swagger-ui-bundle
package), never from a CDN, so they work on a box without internet. sanic-ext's OAuth2 redirect
page would be fetched from a CDN: :func:`offline_oauth2_redirect` answers it from the bundle.
"""

from __future__ import annotations

from pathlib import Path

from sanic import Blueprint
from sanic.response import HTTPResponse, file, raw
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


async def offline_oauth2_redirect(request: ApiRequest) -> HTTPResponse | None:
    """Serve Swagger UI's OAuth2 redirect page from the bundle (request middleware; else ``None``).

    sanic-ext's own handler downloads it from a CDN, which an offline box cannot reach.
    """
    config = request.app.config
    if request.path != config.OAS_URL_PREFIX.rstrip("/") + config.OAS_UI_SWAGGER_OAUTH2_REDIRECT:
        return None
    return await file(Path(swagger_ui_path) / "oauth2-redirect.html", mime_type="text/html; charset=utf-8")


def blueprint() -> Blueprint:
    """Return a new ``web`` blueprint (one per app): the dashboard and the Swagger UI assets."""
    bp = Blueprint("web")
    bp.add_route(dashboard, "/", methods=["GET"], name="dashboard")
    bp.static("/static/swagger-ui", str(swagger_ui_path), name="swagger_ui_assets")
    return bp
