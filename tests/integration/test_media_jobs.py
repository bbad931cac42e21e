"""Media jobs when things go wrong: a worker that died, an intake that died, a job that keeps failing.

Real Redis (RQ queue), the edge outbox's SQLite file and a directory object store; the reader is
the edge's own with no models (enough for the failure paths).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
import zlib
from pathlib import Path

import pytest
import redis

from financy.core.contracts.v1 import CaptureV1, MediaRef
from financy.edge.outbox.store import DONE, QUEUED, EdgeOutbox
from financy.edge.pipeline.media import MediaJob, MediaReader
from financy.edge.settings import EdgeNode, EdgeSettings
from financy.edge.workers import MediaQueue, MediaRunner, MediaSweeper, media_queue
from financy.runtime.objects import DirectoryStore, original_key

pytestmark = pytest.mark.integration

EDGE = "jobs"


def _job(store: DirectoryStore, data: bytes = b"OggS fake voice", *, stored: bool = True) -> MediaJob:
    capture_id = uuid.uuid4()
    key = original_key(EDGE, str(capture_id), "audio/ogg")
    if stored:
        store.put(key, data, "audio/ogg")
    return MediaJob(
        capture_id=capture_id,
        idempotency_key=f"devchat:c1:{capture_id}",
        edge_id=EDGE,
        platform="devchat",
        chat_id="c1",
        message_id=str(capture_id),
        sender_id="u1",
        received_at=dt.datetime.now(dt.UTC),
        kind="voice",
        media=MediaRef(
            key=key, content_type="audio/ogg", size=len(data), sha256=hashlib.sha256(data).hexdigest()
        ),
    )


def _claim(outbox: EdgeOutbox, job: MediaJob, *, queued: bool = True) -> None:
    assert (
        outbox.claim_media(job.idempotency_key, str(job.capture_id), job.model_dump_json(), job.media.sha256)
        is None
    )
    if queued:
        outbox.media_stored(str(job.capture_id))


@pytest.fixture
def parts(tmp_path: Path, redis_url: str) -> tuple[EdgeOutbox, DirectoryStore, MediaQueue, redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    return (
        EdgeOutbox(tmp_path / "outbox.sqlite3"),
        DirectoryStore(tmp_path / "objects"),
        MediaQueue(client, EDGE, job_timeout_s=60),
        client,
    )


def test_a_job_whose_worker_died_is_queued_again(
    parts: tuple[EdgeOutbox, DirectoryStore, MediaQueue, redis.Redis],
) -> None:
    outbox, store, queue, client = parts
    job = _job(store)
    _claim(outbox, job)
    fresh = MediaSweeper(outbox, store, queue, job_timeout_s=60)
    assert fresh.sweep() == 0  # not stale yet
    sweeper = MediaSweeper(outbox, store, queue, job_timeout_s=0, margin_s=0)
    assert sweeper.sweep() == 1
    rq = media_queue(client, EDGE)
    assert [tuple(j.args) for j in rq.get_jobs()] == [(str(job.capture_id),)]
    row = outbox.media_job(str(job.capture_id))
    assert row is not None
    assert row.state == QUEUED


def test_an_intake_that_died_before_the_file_was_kept_releases_the_message(
    parts: tuple[EdgeOutbox, DirectoryStore, MediaQueue, redis.Redis],
) -> None:
    outbox, store, queue, client = parts
    lost = _job(store, stored=False)  # claimed, then the process died before the put
    kept = _job(store)  # claimed, stored, died before marking it queued
    _claim(outbox, lost, queued=False)
    _claim(outbox, kept, queued=False)
    assert MediaSweeper(outbox, store, queue, job_timeout_s=0, margin_s=0).sweep() == 1
    assert outbox.media_job(str(lost.capture_id)) is None  # the platform's redelivery is accepted again
    assert outbox.claim_media(lost.idempotency_key, str(uuid.uuid4()), lost.model_dump_json(), "x") is None
    row = outbox.media_job(str(kept.capture_id))
    assert row is not None
    assert row.state == QUEUED
    assert media_queue(client, EDGE).count == 1


def _runner(outbox: EdgeOutbox, store: DirectoryStore, tmp_path: Path, attempts: int = 3) -> MediaRunner:
    settings = EdgeSettings(data_dir=tmp_path, edge=EdgeNode(id=EDGE, job_attempts=attempts))
    reader = MediaReader(
        time_zone="America/Sao_Paulo",
        language="pt",
        currency="BRL",
        transcriber=None,
        read_receipt=None,
        categorize=None,
    )
    return MediaRunner(settings=settings, outbox=outbox, store=store, reader=reader)


def _outbox_capture(outbox: EdgeOutbox, job: MediaJob) -> CaptureV1:
    payload = outbox.payload_of(job.idempotency_key)
    assert payload is not None
    return CaptureV1.model_validate_json(payload)


def test_a_job_that_keeps_dying_gives_up_and_the_user_is_told(
    parts: tuple[EdgeOutbox, DirectoryStore, MediaQueue, redis.Redis], tmp_path: Path
) -> None:
    outbox, store, _queue, _client = parts
    job = _job(store)
    _claim(outbox, job)
    for _ in range(2):  # two starts that died (killed mid-job: nothing recorded)
        outbox.start_media(str(job.capture_id))
    runner = _runner(outbox, store, tmp_path, attempts=2)
    assert runner.run(str(job.capture_id)) == "gave_up"
    capture = _outbox_capture(outbox, job)
    assert capture.understanding is not None
    assert capture.understanding.problem == "media_failed"
    assert capture.media == job.media  # the original stays referenced
    assert store.get(job.media.key) == b"OggS fake voice"
    assert runner.run(str(job.capture_id)) == "already_done"
    assert outbox.count_pending() == 1


def test_a_job_whose_original_is_gone_says_so(
    parts: tuple[EdgeOutbox, DirectoryStore, MediaQueue, redis.Redis], tmp_path: Path
) -> None:
    outbox, store, _queue, _client = parts
    job = _job(store, stored=False)
    _claim(outbox, job)
    assert _runner(outbox, store, tmp_path).run(str(job.capture_id)) == "gave_up"
    understanding = _outbox_capture(outbox, job).understanding
    assert understanding is not None
    assert understanding.problem == "media_missing"
    row = outbox.media_job(str(job.capture_id))
    assert row is not None
    assert row.state == DONE


def test_finishing_twice_stores_one_capture(
    parts: tuple[EdgeOutbox, DirectoryStore, MediaQueue, redis.Redis],
) -> None:
    outbox, store, _queue, _client = parts
    job = _job(store)
    _claim(outbox, job)
    reader = MediaReader(
        time_zone="UTC", language="pt", currency="BRL", transcriber=None, read_receipt=None, categorize=None
    )
    payload = reader.failed(job).model_dump_json()
    assert outbox.finish_media(str(job.capture_id), job.idempotency_key, payload) is True
    assert outbox.finish_media(str(job.capture_id), job.idempotency_key, payload) is False
    assert outbox.count_pending() == 1


def test_media_jobs_are_json_on_the_queue_never_pickle(
    parts: tuple[EdgeOutbox, DirectoryStore, MediaQueue, redis.Redis],
) -> None:
    """GIVEN a queued media job WHEN its hash is read from Redis THEN its payload is plain JSON."""
    _outbox, _store, queue, client = parts
    queue.enqueue("0190a7c2-0000-7000-8000-000000000001")
    (job_id,) = media_queue(client, EDGE).job_ids
    data = client.hget(f"rq:job:{job_id}", "data")
    assert isinstance(data, bytes)
    assert not data.startswith(b"\x80")  # pickle's protocol marker
    func, _instance, args, kwargs = json.loads(zlib.decompress(data) if data[:1] == b"x" else data)
    assert (func, args, kwargs) == (
        "financy.edge.workers.process_media",
        ["0190a7c2-0000-7000-8000-000000000001"],
        {},
    )
