"""The Graph API calls the adapter makes, over httpx: send a message, look a media id up, download it.

``api_base_url`` is the Graph API root with its version (``https://graph.facebook.com/v21.0``);
tests point it at a local stand-in. Every call carries ``Authorization: Bearer <token>``, and a
media download is only made to the API root's own host or to Meta's media hosts
(:func:`token_host`): the token is never sent anywhere else.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import structlog

from financy.bots.common.message import RetryLaterError, UndeliverableError
from financy.bots.whatsapp.errors import Verdict, delivery_error, graph_error, verdict

log = structlog.stdlib.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class GraphConfig:
    """Access to one WhatsApp Business phone number: the token, its id and the Graph API root."""

    token: str
    phone_number_id: str
    api_base_url: str = "https://graph.facebook.com/v21.0"
    timeout_s: float = 20.0


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """``GET /{media_id}``'s answer: the download URL, the declared type and size (bytes), if given."""

    url: str
    mime_type: str | None
    file_size: int | None


class MediaError(Exception):
    """A media file could not be fetched; ``permanent`` when asking again cannot help (expired id)."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class MediaTooLargeError(MediaError):
    """The file is larger than the edge accepts (found while downloading)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


#: Meta's hosts a media URL may point at (the host itself, or any host ending in ``.<suffix>``).
MEDIA_HOST_SUFFIXES = ("fbsbx.com", "facebook.com", "whatsapp.net", "fbcdn.net")


def token_host(url: str, api_base_url: str) -> bool:
    """Return whether ``url``'s host may be sent the token: the API root's host or a Meta media host."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if not host:
        return False
    if host == (urlsplit(api_base_url).hostname or "").lower().rstrip("."):
        return True
    return any(host == suffix or host.endswith("." + suffix) for suffix in MEDIA_HOST_SUFFIXES)


def _media_retry(status: int) -> bool:
    """Return whether a non-2xx media answer is worth asking again (5xx, 429, 401: a token to fix)."""
    return verdict(status, None) is not Verdict.GIVE_UP


def _json(response: httpx.Response) -> Any:
    with contextlib.suppress(ValueError):
        return response.json()
    return None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, min(3600.0, float(value)))
    except ValueError:
        return None


class GraphClient:
    """The Graph API for one phone number (an :class:`httpx.AsyncClient`, made on first use)."""

    def __init__(self, config: GraphConfig, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.config = config
        self._base = config.api_base_url.rstrip("/")
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self.config.timeout_s,
                headers={"Authorization": f"Bearer {self.config.token}"},
                follow_redirects=False,
                transport=self._transport,
            )
        return self._client

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def send_message(self, body: dict[str, Any]) -> str:
        """``POST /{phone_number_id}/messages`` with ``body``; return the sent message's wamid.

        Raises:
            RetryLaterError: throttled (429, throttling codes), the platform's trouble (5xx,
                temporary codes), a network error, or an invalid token (kept for the admin to fix).
            OutsideWindowError: code 131047, the 24-hour window is closed.
            UndeliverableError: any other refusal (4xx), or an answer without a message id.
        """
        url = f"{self._base}/{quote(self.config.phone_number_id, safe='')}/messages"
        try:
            response = await self._http().post(url, json=body)
        except httpx.HTTPError as exc:
            raise RetryLaterError(f"Graph API unreachable: {type(exc).__name__}: {exc}") from exc
        data = _json(response)
        if response.status_code >= 400:
            error = delivery_error(response.status_code, data, retry_after_s=_retry_after(response))
            if verdict(response.status_code, graph_error(data)[0]) is Verdict.REAUTHORIZE:
                log.error("whatsapp.token_refused", status=response.status_code, error=str(error))
            raise error
        try:
            message_id = data["messages"][0]["id"]
        except (TypeError, KeyError, IndexError):
            message_id = None
        if not isinstance(message_id, str) or not message_id:
            raise UndeliverableError(f"HTTP {response.status_code} without a message id: {str(data)[:200]}")
        return message_id

    async def media_info(self, media_id: str) -> MediaInfo:
        """``GET /{media_id}``: where to download a user's file, its type and size.

        Raises:
            MediaError: permanent for any non-2xx other than 5xx/401/429 (an unknown or expired
                id, a redirect), or an answer without an http(s) URL; temporary otherwise (5xx,
                network, token, throttled).
        """
        try:
            response = await self._http().get(f"{self._base}/{quote(media_id, safe='')}")
        except httpx.HTTPError as exc:
            raise MediaError(f"Graph API unreachable: {type(exc).__name__}", permanent=False) from exc
        data = _json(response)
        if not 200 <= response.status_code < 300:
            code, what = graph_error(data)
            permanent = verdict(response.status_code, code) is Verdict.GIVE_UP
            if verdict(response.status_code, code) is Verdict.REAUTHORIZE:
                log.error("whatsapp.token_refused", status=response.status_code, code=code)
            raise MediaError(
                f"media {media_id}: HTTP {response.status_code} {what}".strip(), permanent=permanent
            )
        url = data.get("url") if isinstance(data, dict) else None
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            raise MediaError(f"media {media_id}: no http(s) url in {json.dumps(data)[:200]}", permanent=True)
        size = data.get("file_size")
        if isinstance(size, str) and size.isdigit():
            size = int(size)
        mime = data.get("mime_type")
        return MediaInfo(
            url=url,
            mime_type=mime if isinstance(mime, str) else None,
            file_size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        )

    async def download(self, url: str, max_bytes: int) -> bytes:
        """``GET url`` with the token; return the bytes (at most ``max_bytes``, at least one).

        Raises:
            MediaTooLargeError: the body is longer than ``max_bytes`` (reading stops there).
            MediaError: permanent when not http(s), on a host the token may not go to (see
                :func:`token_host`; nothing is fetched), any non-2xx other than 5xx/401/429 (a
                redirect is not followed) or an empty body; temporary for 5xx, 401, 429 or a
                network error.
        """
        if urlsplit(url).scheme not in ("http", "https"):
            raise MediaError("media url is not http(s)", permanent=True)
        if not token_host(url, self.config.api_base_url):
            log.warning("whatsapp.media_host_refused", host=(urlsplit(url).hostname or "")[:200])
            raise MediaError("media url is not on a Graph API or Meta media host", permanent=True)
        try:
            async with self._http().stream("GET", url) as response:
                if not 200 <= response.status_code < 300:
                    permanent = not _media_retry(response.status_code)
                    raise MediaError(f"media download: HTTP {response.status_code}", permanent=permanent)
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise MediaTooLargeError(f"media download: {declared} bytes over {max_bytes}")
                chunks: list[bytes] = []
                total = 0
                async for chunk in response.aiter_bytes():
                    total += len(chunk)
                    if total > max_bytes:
                        raise MediaTooLargeError(f"media download: over {max_bytes} bytes")
                    chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise MediaError(f"media download failed: {type(exc).__name__}", permanent=False) from exc
        if total == 0:
            raise MediaError("media download: empty body", permanent=True)
        return b"".join(chunks)
