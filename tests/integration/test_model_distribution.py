"""Model distribution through the object store: the core publishes, an edge on another disk downloads.

Real parts: the trained category model (scikit-learn -> ONNX), PostgreSQL (``edges`` and
``model_artifacts``), Redis (the control stream and its dead-letter stream) and an S3 endpoint
(moto's server) spoken to through the minio SDK by both sides. The edge's models directory is
not the core's, so nothing but the object store can bring it the model.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import redis.asyncio as aioredis
from sqlalchemy import Engine, delete, insert

from financy.core.adapters import orm
from financy.core.contracts.v1 import PAYLOAD_FIELD, ModelUpdatedV1, control_stream, decode_control
from financy.core.service.training import (
    MANIFEST_KEY,
    PublishedModel,
    announce,
    current_model,
    edges_to_tell,
    model_key,
    publish,
    retrain_categories,
)
from financy.edge.models import ControlConsumer, EdgeCategorizer
from financy.runtime.objects import S3Settings, S3Store
from tests.support.s3 import moto_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """Yield ``host:port`` of a moto S3 server shared by this module's tests."""
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def store(s3_endpoint: str) -> S3Store:
    """A bucket of the test's own on the moto server."""
    return S3Store(
        S3Settings(
            endpoint=f"http://{s3_endpoint}",
            access_key="testing",
            secret_key="testing",
            bucket=f"financy-models-{secrets.token_hex(4)}",
        )
    )


@pytest.fixture(scope="module")
def trained(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> PublishedModel:
    """A real category model the core trained into its own directory."""
    directory = tmp_path_factory.mktemp("core-models") / "categories"
    retrain_categories(engine, directory)
    model = current_model(directory)
    assert model is not None
    return model


@pytest.fixture
def enrolled(engine: Engine, edge_id: str) -> Iterator[str]:
    """An enrolled edge with no chat bound on this core yet (only the ``edges`` table names it)."""
    with engine.begin() as conn:
        conn.execute(insert(orm.edges).values(id=edge_id, enrolled_at=dt.datetime.now(dt.UTC)))
    try:
        yield edge_id
    finally:
        with engine.begin() as conn:
            conn.execute(delete(orm.edges).where(orm.edges.c.id == edge_id))


def _acknowledged(sync: redis.Redis, edge_id: str) -> bool:
    """Whether the edge's control group has read every entry of its stream and acknowledged them all
    (the model can be in place before its control message is: the edge pulls the published one at start)."""
    stream, group = control_stream(edge_id), f"edge-{edge_id}-control"
    groups = [g for g in sync.xinfo_groups(stream) if g["name"].decode() == group]
    if not groups:
        return False
    last = sync.xrevrange(stream, count=1)
    read_all = not last or groups[0]["last-delivered-id"] == last[0][0]
    return bool(read_all and groups[0]["pending"] == 0)


async def _consume_until(consumer: ControlConsumer, done: object, timeout_s: float = 20) -> None:
    task = asyncio.create_task(consumer.run())
    try:
        async with asyncio.timeout(timeout_s):
            while not done():  # type: ignore[operator]
                await asyncio.sleep(0.05)
    finally:
        consumer.stop()
        await asyncio.wait_for(task, 5)


def test_publish_uploads_the_artifact_and_rewrites_the_manifest(
    store: S3Store, trained: PublishedModel
) -> None:
    key = publish(store, trained)
    assert key == model_key(trained.version) == f"models/categories/{trained.version}.onnx"
    assert hashlib.sha256(store.get(key)).hexdigest() == trained.sha256
    manifest = json.loads(store.get(MANIFEST_KEY))
    assert manifest["name"] == "categories"
    assert manifest["version"] == trained.version
    assert manifest["sha256"] == trained.sha256
    assert manifest["size_bytes"] == trained.path.stat().st_size > 100_000
    assert manifest["key"] == key
    assert dt.datetime.fromisoformat(manifest["created_at"]).tzinfo is not None
    # Publishing again (the same version) keeps one artifact and one manifest.
    publish(store, trained)
    assert store.list("models/") == sorted([key, MANIFEST_KEY])


def test_enrolled_edges_are_told_and_revoked_ones_are_not(engine: Engine, enrolled: str) -> None:
    other = f"{enrolled}-gone"
    with engine.begin() as conn:
        conn.execute(
            insert(orm.edges).values(
                id=other, enrolled_at=dt.datetime.now(dt.UTC), revoked_at=dt.datetime.now(dt.UTC)
            )
        )
    try:
        told = edges_to_tell(engine)
        assert enrolled in told
        assert other not in told
    finally:
        with engine.begin() as conn:
            conn.execute(delete(orm.edges).where(orm.edges.c.id == other))


async def test_an_edge_downloads_verifies_and_swaps_the_published_model(
    store: S3Store,
    trained: PublishedModel,
    engine: Engine,
    enrolled: str,
    redis_url: str,
    tmp_path: Path,
) -> None:
    sync = redis.Redis.from_url(redis_url)
    key = publish(store, trained)
    assert enrolled in announce(sync, engine, trained, object_key=key)
    ((_, fields),) = sync.xrange(control_stream(enrolled))
    message = decode_control(fields)
    assert (message.object_key, message.sha256) == (key, trained.sha256)

    edge_models = tmp_path / "edge" / "models" / "categories"
    categorizer = EdgeCategorizer(edge_models)
    client = aioredis.Redis.from_url(redis_url)
    consumer = ControlConsumer(
        client, edge_id=enrolled, categorizer=categorizer, consumer="c1", store=store, models_dir=edge_models
    )
    await _consume_until(
        consumer, lambda: categorizer.version == trained.version and _acknowledged(sync, enrolled)
    )
    downloaded = edge_models / f"categories-{trained.version}.onnx"
    assert hashlib.sha256(downloaded.read_bytes()).hexdigest() == trained.sha256
    assert json.loads((edge_models / "current.json").read_text())["file"] == downloaded.name
    assert not [p for p in edge_models.iterdir() if p.name.endswith(".tmp")]
    assert categorizer.categorize("conta de luz") == pytest.approx(("utilities", 0.9), abs=0.1)
    assert sync.xpending(control_stream(enrolled), f"edge-{enrolled}-control")["pending"] == 0

    # A newer version: a request holding the old model finishes on it; new requests get the new one.
    old = categorizer.model
    assert old is not None
    newer = trained.version + "b"
    store.put(model_key(newer), trained.path.read_bytes(), "application/octet-stream")
    update = message.model_copy(update={"version": newer, "object_key": model_key(newer)})
    sync.xadd(control_stream(enrolled), {PAYLOAD_FIELD: update.model_dump_json()})
    consumer = ControlConsumer(
        client, edge_id=enrolled, categorizer=categorizer, consumer="c1", store=store, models_dir=edge_models
    )
    worker = EdgeCategorizer(edge_models)  # an edge worker process: it reads current.json
    assert worker.categorize("conta de luz") is not None
    assert worker.version == trained.version
    await _consume_until(consumer, lambda: categorizer.version == newer and _acknowledged(sync, enrolled))
    assert categorizer.model is not old
    assert old.predict("conta de luz", 1)[0][0] == "utilities"
    worker._next_look = 0.0  # its next look at current.json is due (every MANIFEST_RETRY_S)
    assert worker.categorize("conta de luz") is not None
    assert worker.version == newer
    await client.aclose()
    sync.close()


async def test_a_corrupted_object_keeps_the_old_model_and_is_dead_lettered(
    store: S3Store,
    trained: PublishedModel,
    enrolled: str,
    redis_url: str,
    tmp_path: Path,
) -> None:
    sync = redis.Redis.from_url(redis_url)
    key = publish(store, trained)
    edge_models = tmp_path / "edge-models"
    categorizer = EdgeCategorizer(edge_models)
    client = aioredis.Redis.from_url(redis_url)
    consumer = ControlConsumer(
        client, edge_id=enrolled, categorizer=categorizer, consumer="c1", store=store, models_dir=edge_models
    )
    # At start, with no model of its own, the edge reads the published manifest.
    assert await consumer.bootstrap()
    assert categorizer.version == trained.version

    data = bytearray(trained.path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte in transit or at rest
    bad_key = "models/categories/corrupted.onnx"
    store.put(bad_key, bytes(data), "application/octet-stream")
    bad = ModelUpdatedV1(
        name="categories",
        version="corrupted",
        sha256=trained.sha256,
        location="/nowhere/on/this/disk.onnx",
        created_at=dt.datetime.now(dt.UTC),
        object_key=bad_key,
    )
    dead_stream = f"{control_stream(enrolled)}:dead"
    sync.xadd(control_stream(enrolled), {PAYLOAD_FIELD: bad.model_dump_json()})
    await _consume_until(consumer, lambda: sync.xlen(dead_stream) == 1)
    ((_, dead),) = sync.xrange(dead_stream)
    reason = dead[b"dead_reason"].decode()
    assert "not loadable" in reason
    assert "sha256 is" in reason
    assert categorizer.version == trained.version  # the old model stays
    assert not (edge_models / "categories-corrupted.onnx").exists()  # a bad download never lands
    assert json.loads((edge_models / "current.json").read_text())["version"] == trained.version
    assert key in store.list("models/")
    await client.aclose()
    sync.close()
