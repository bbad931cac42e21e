"""The core's Celery jobs on real Redis and PostgreSQL: a worker trains, publishes and announces the model."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from celery import Celery
from celery.contrib.testing.worker import start_worker
from sqlalchemy import Engine, insert, select

from financy.core.adapters import orm
from financy.core.contracts.v1 import PAYLOAD_FIELD, ModelUpdatedV1, control_stream
from financy.core.entrypoints.tasks import (
    JOBS,
    TRAIN_CATEGORIES,
    JobResources,
    beat_schedule_path,
    create_app,
    lock_name,
)
from financy.core.service.training import current_model, models_dir
from financy.core.settings import CoreSettings
from tests.support.processes import financy_env, running, stop

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RESULT_TIMEOUT_S = 90.0


@pytest.fixture
def settings(database_url: str, redis_url: str, tmp_path: Path) -> CoreSettings:
    return CoreSettings(database_url=database_url, redis_url=redis_url, data_dir=tmp_path / "box")


@pytest.fixture
def app(settings: CoreSettings, engine: Engine) -> Iterator[Celery]:
    """The core's app with a real worker (solo pool) consuming from the run's Redis in a thread."""
    resources = JobResources(settings, engine=engine)
    celery_app = create_app(settings, resources)
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        yield celery_app
    resources.close()
    celery_app.close()


def bind_chat(engine: Engine, edge_id: str) -> None:
    """Give ``edge_id`` a chat here (a user, their personal context, a binding), so it is told of models."""
    from financy.core.adapters.unit_of_work import SqlAlchemyUnitOfWork
    from financy.core.service.handlers.users import ContextDefaults, create_personal_context

    user_id = uuid.uuid4()
    with SqlAlchemyUnitOfWork(engine) as uow:
        uow.users.add(user_id, display_name="celery", locale="pt-BR")
        context_id = create_personal_context(uow, user_id, "Personal", ContextDefaults())
        uow.contexts.bind_chat(uuid.uuid4(), "devchat", f"celery-{edge_id}", context_id, edge_id)
        uow.commit()


def correct(engine: Engine, text: str, category: str) -> None:
    """Record a user's category correction (a labelled example), as the change-category flow does."""
    with engine.begin() as conn:
        context_id = conn.execute(select(orm.contexts.c.id).limit(1)).scalar_one()
        conn.execute(
            insert(orm.category_examples).values(context_id=context_id, text=text, category=category)
        )


def artifacts_under(engine: Engine, directory: Path) -> list[str]:
    """Return the versions in ``model_artifacts`` whose file is in ``directory``, oldest first."""
    table = orm.model_artifacts
    with engine.connect() as conn:
        rows = conn.execute(
            select(table.c.version)
            .where(table.c.path.startswith(str(directory)))
            .order_by(table.c.created_at)
        ).scalars()
        return list(rows)


def announcements(client: redis.Redis, edge_id: str) -> list[ModelUpdatedV1]:
    """Return the ``model.updated`` messages on ``edge_id``'s control stream, oldest first."""
    entries: list[tuple[bytes, dict[bytes, bytes]]] = client.xrange(control_stream(edge_id))  # type: ignore[assignment]
    return [ModelUpdatedV1.model_validate_json(fields[PAYLOAD_FIELD.encode()]) for _, fields in entries]


def run_training(app: Celery) -> dict[str, object]:
    result: dict[str, object] = app.send_task(TRAIN_CATEGORIES).get(timeout=RESULT_TIMEOUT_S)
    return result


def test_the_worker_trains_announces_and_retrains_only_after_a_correction(
    app: Celery, settings: CoreSettings, engine: Engine, redis_client: redis.Redis, edge_id: str
) -> None:
    """GIVEN a box with no model WHEN the job runs THEN a model is written, recorded and announced;
    a second run does nothing; after a correction the next run trains a new model."""
    bind_chat(engine, edge_id)
    directory = models_dir(settings.data_dir)
    raw = redis.Redis.from_url(settings.require_redis_url())

    first = run_training(app)
    assert first["status"] == "trained", first
    assert edge_id in first["edges"]  # type: ignore[operator]
    model = current_model(directory)
    assert model is not None
    assert model.path.is_file()
    assert model.version == first["version"]
    assert artifacts_under(engine, directory) == [model.version]
    (told,) = announcements(raw, edge_id)
    assert (told.name, told.version, told.sha256) == ("categories", model.version, model.sha256)
    assert told.location == str(model.path)

    assert run_training(app) == {"status": "up_to_date"}
    assert artifacts_under(engine, directory) == [model.version]
    assert len(announcements(raw, edge_id)) == 1

    correct(engine, "Bar do Zé", "restaurants")
    again = run_training(app)
    assert again["status"] == "trained", again
    newer = current_model(directory)
    assert newer is not None
    assert newer.version != model.version
    assert newer.path.is_file()
    assert artifacts_under(engine, directory) == [model.version, newer.version]
    assert [m.version for m in announcements(raw, edge_id)] == [model.version, newer.version]
    raw.close()


def test_a_run_overlapping_another_does_not_train(
    app: Celery, settings: CoreSettings, engine: Engine, redis_client: redis.Redis
) -> None:
    """GIVEN the training's lock is held (a run in progress) WHEN another run starts THEN it returns busy."""
    (job,) = [j for j in JOBS if j.name == TRAIN_CATEGORIES]
    held = redis_client.lock(lock_name(job), timeout=60)
    assert held.acquire(blocking=False)
    try:
        assert run_training(app) == {"status": "busy"}
    finally:
        held.release()
    assert current_model(models_dir(settings.data_dir)) is None
    assert artifacts_under(engine, models_dir(settings.data_dir)) == []


def wait_for(predicate: Callable[[], bool], timeout_s: float, what: str, logs: Path) -> None:
    """Wait until ``predicate()`` holds, or fail showing the processes' logs."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    tails = "\n".join(
        f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(logs.glob("*.log"))
    )
    pytest.fail(f"{what} within {timeout_s}s\n{tails}")


def test_financy_core_worker_and_beat_train_the_first_model_then_on_schedule(
    database_url: str, redis_url: str, engine: Engine, tmp_path: Path
) -> None:
    """GIVEN `financy core worker` and `financy core beat` on a new data dir THEN the worker trains a first
    model at start, beat's runs change nothing until a correction, the next run after one trains again,
    and both stop with 0 on SIGTERM (beat having saved its schedule)."""
    data_dir = tmp_path / "box"
    logs = tmp_path / "logs"
    logs.mkdir()
    env = financy_env(
        FINANCY_DATABASE_URL=database_url,
        FINANCY_REDIS_URL=redis_url,
        FINANCY_DATA_DIR=str(data_dir),
        FINANCY_TRAIN_INTERVAL_S="1",
    )
    directory = models_dir(data_dir)
    manifest = directory / "current.json"
    with (
        running(["core", "worker"], env, logs / "worker.log") as worker,
        running(["core", "beat"], env, logs / "beat.log") as beat,
    ):
        wait_for(manifest.exists, RESULT_TIMEOUT_S, "the worker trained no first model", logs)
        first = json.loads(manifest.read_text())["version"]
        time.sleep(3)  # three beat ticks
        assert worker.poll() is None
        assert beat.poll() is None
        assert artifacts_under(engine, directory) == [first]

        correct(engine, "Padaria Estrela", "groceries")
        wait_for(
            lambda: json.loads(manifest.read_text())["version"] != first,
            RESULT_TIMEOUT_S,
            "beat's run did not retrain after a correction",
            logs,
        )
        assert len(artifacts_under(engine, directory)) == 2
        assert stop(worker, timeout_s=30) == 0
        assert stop(beat, timeout_s=30) == 0
    assert beat_schedule_path(data_dir).parent.is_dir()
    assert any(beat_schedule_path(data_dir).parent.iterdir())
    events = [
        json.loads(line) for line in (logs / "worker.log").read_text().splitlines() if line.startswith("{")
    ]
    published = [e for e in events if e["event"] == "worker.model_published"]
    assert len(published) == 2
    assert all(e["service"] == "core-worker" and e["job"] == TRAIN_CATEGORIES for e in published)
    assert events[-1]["event"] == "worker.stopped"
