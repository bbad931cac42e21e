"""Data residency and presigned originals: real edge app intake, moto S3 through the minio SDK, real API.

``FINANCY_EDGE__MEDIA_RESIDENCY=edge``: a voice note stays in the edge's own ``<data_dir>/objects``
and never reaches the core's bucket; the capture carries its hash, size and key with
``held_at_edge``, and the core's API says where the original is instead of looking for it. In
S3 mode (residency "core") the API hands out a short-lived presigned URL.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import secrets
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import Engine, select

from financy.bots.common.message import InboundMessage, MediaPayload
from financy.core.adapters import orm
from financy.core.contracts.v1 import (
    CaptureV1,
    Intent,
    MediaRef,
    Sender,
    Understanding,
    idempotency_key,
)
from financy.core.entrypoints.api import create_app as create_api
from financy.core.settings import CoreSettings
from financy.edge.app import create_app as create_edge
from financy.edge.pipeline.media import MediaJob
from financy.edge.settings import EdgeNode, EdgeSettings
from financy.runtime.objects import DirectoryStore, S3Settings, S3Store
from tests.support.api import Member, bearer, new_user, spend, token_for
from tests.support.ledger import ingest
from tests.support.s3 import moto_server

pytestmark = pytest.mark.integration

VOICE_NOTE = Path(__file__).parents[1] / "fixtures" / "audio" / "ufpalign_coxinha_ptbr.derived_voice_note.ogg"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """Yield ``host:port`` of a moto S3 server shared by this module's tests."""
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3(s3_endpoint: str) -> S3Settings:
    """The core's bucket (of this test's own)."""
    return S3Settings(
        endpoint=f"http://{s3_endpoint}",
        access_key="testing",
        secret_key="testing",
        bucket=f"financy-core-{secrets.token_hex(4)}",
    )


async def _send_voice_note(settings: EdgeSettings, member: Member) -> MediaJob:
    """Hand a real voice note to the real edge app's intake; return the media job it kept."""
    app = create_edge(settings)
    ctx = app.ctx
    data = VOICE_NOTE.read_bytes()
    try:
        result = await ctx.intake(
            InboundMessage(
                platform="devchat",
                chat_id=member.devchat_id,
                message_id=uuid.uuid4().hex,
                sender_id=member.devchat_id,
                text=None,
                received_at=dt.datetime.now(dt.UTC),
                media=MediaPayload(data=data, content_type="audio/ogg"),
            )
        )
        assert result.accepted
        row = ctx.outbox.media_sent_before(
            member.devchat_id, member.devchat_id, hashlib.sha256(data).hexdigest()
        )
        assert row is not None
        return MediaJob.model_validate_json(row.payload)
    finally:
        await ctx.redis.aclose()
        ctx.outbox.close()
        ctx.bots.close()


def _record(engine: Engine, member: Member, edge_id: str, job: MediaJob) -> uuid.UUID:
    """Record the capture of ``job`` (as the edge's worker would read it) through the real ingest handler.

    Returns the transaction id.
    """
    mid = uuid.uuid4().hex
    media: MediaRef = job.media
    capture = CaptureV1(
        capture_id=job.capture_id,
        idempotency_key=idempotency_key("devchat", member.devchat_id, mid),
        edge_id=edge_id,
        platform="devchat",
        chat_id=member.devchat_id,
        message_id=mid,
        sender=Sender(platform_user_id=member.devchat_id),
        received_at=dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC),
        media_type="voice",
        text="uma coxinha 12 reais",
        media=media,
        understanding=Understanding(
            language="pt",
            intent=Intent.RECORD,
            transactions=(spend("12", dt.date(2026, 11, 29), "restaurants", "coxinha"),),
            confidence=0.9,
        ),
    )
    assert ingest(engine, capture) is not None
    with engine.connect() as conn:
        return conn.execute(
            select(orm.transactions.c.id)
            .join(orm.captures, orm.captures.c.id == orm.transactions.c.capture_id)
            .where(orm.captures.c.id == capture.capture_id)
        ).scalar_one()


async def test_edge_residency_keeps_the_original_at_the_edge_and_the_api_says_so(
    s3: S3Settings,
    tmp_path: Path,
    redis_url: str,
    edge_id: str,
    engine: Engine,
    settings: CoreSettings,
    redis_conn: Redis,
) -> None:
    member = new_user(engine)
    edge_settings = EdgeSettings(
        redis_url=redis_url,
        data_dir=tmp_path / "edge",
        s3=s3,
        edge=EdgeNode(id=edge_id, media_residency="edge"),
    )
    job = await _send_voice_note(edge_settings, member)
    media = job.media
    assert media.held_at_edge
    assert media.key.startswith(f"captures/{edge_id}/")
    assert (media.size, media.sha256) == (12203, hashlib.sha256(VOICE_NOTE.read_bytes()).hexdigest())
    core_store = S3Store(s3)
    assert core_store.list("") == []  # nothing reached the core's bucket
    local = DirectoryStore(tmp_path / "edge" / "objects")
    assert local.stat(media.key).sha256 == media.sha256

    transaction_id = _record(engine, member, edge_id, job)
    with engine.connect() as conn:
        kept = conn.execute(
            select(orm.captures.c.media).where(orm.captures.c.id == job.capture_id)
        ).scalar_one()
    assert kept["held_at_edge"] is True
    assert kept["sha256"] == media.sha256

    api = create_api(settings.model_copy(update={"s3": s3}), engine=engine, redis=redis_conn)
    token = await token_for(api, member)
    path = f"/api/v1/contexts/{member.context_id}/transactions/{transaction_id}/original"
    _, response = await api.asgi_client.get(path, headers=bearer(token))
    assert response.status == 409, response.text
    assert response.json["error"]["code"] == "held_at_edge"
    assert f"the original is held at the edge {edge_id}" in response.json["error"]["message"]


async def test_core_residency_uploads_and_the_api_redirects_to_a_presigned_url(
    s3: S3Settings,
    tmp_path: Path,
    redis_url: str,
    edge_id: str,
    engine: Engine,
    settings: CoreSettings,
    redis_conn: Redis,
) -> None:
    member = new_user(engine)
    edge_settings = EdgeSettings(
        redis_url=redis_url, data_dir=tmp_path / "edge", s3=s3, edge=EdgeNode(id=edge_id)
    )
    job = await _send_voice_note(edge_settings, member)
    assert not job.media.held_at_edge
    core_store = S3Store(s3)
    assert core_store.list("") == [job.media.key]
    transaction_id = _record(engine, member, edge_id, job)

    api = create_api(settings.model_copy(update={"s3": s3}), engine=engine, redis=redis_conn)
    token = await token_for(api, member)
    path = f"/api/v1/contexts/{member.context_id}/transactions/{transaction_id}/original"
    _, response = await api.asgi_client.get(path, headers=bearer(token), follow_redirects=False)
    assert response.status == 307, response.text
    url = response.headers["location"]
    assert "X-Amz-Expires=300" in url
    assert "X-Amz-Signature=" in url

    def fetch() -> tuple[bytes, str, str]:
        with urllib.request.urlopen(url, timeout=10) as got:
            return got.read(), got.headers["Content-Type"], got.headers["Content-Disposition"]

    body, content_type, disposition = await asyncio.to_thread(fetch)
    assert body == VOICE_NOTE.read_bytes()
    assert content_type == "audio/ogg"
    assert "attachment" in disposition
