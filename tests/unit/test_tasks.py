"""The core's Celery app: built from the settings, JSON only, on the core's Redis."""

from __future__ import annotations

from pathlib import Path

import pytest

from financy.core.entrypoints.tasks import (
    JOBS,
    TRAIN_CATEGORIES,
    beat_schedule_path,
    celery_broker_url,
    create_app,
)
from financy.core.settings import CoreSettings


@pytest.mark.parametrize(
    ("redis_url", "celery_url"),
    [
        ("unix:///tmp/box/redis/redis.sock", "redis+socket:///tmp/box/redis/redis.sock"),
        ("unix:///tmp/redis.sock?db=3", "redis+socket:///tmp/redis.sock?virtual_host=3"),
        ("unix://:s3cret@/tmp/redis.sock?db=1", "redis+socket://:s3cret@/tmp/redis.sock?virtual_host=1"),
        ("redis://127.0.0.1:6379/2", "redis://127.0.0.1:6379/2"),
        ("rediss://core:pw@redis.example:6380/0", "rediss://core:pw@redis.example:6380/0"),
    ],
)
def test_the_broker_url_is_the_redis_url_as_kombu_spells_it(redis_url: str, celery_url: str) -> None:
    assert celery_broker_url(redis_url) == celery_url


@pytest.mark.parametrize("url", ["postgresql://db/financy", "unix://", "127.0.0.1:6379"])
def test_a_url_that_is_not_redis_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"Redis URL|socket"):
        celery_broker_url(url)


def settings(**overrides: object) -> CoreSettings:
    values: dict[str, object] = {
        "redis_url": "unix:///tmp/financy-test/redis.sock",
        "database_url": "postgresql://postgres:@/postgres?host=/tmp",
        "data_dir": Path("/box"),
        "train_interval_s": 120.0,
        **overrides,
    }
    return CoreSettings.model_validate(values)


def test_the_app_speaks_json_only_and_acknowledges_after_the_work() -> None:
    conf = create_app(settings()).conf
    assert conf.task_serializer == conf.result_serializer == "json"
    assert list(conf.accept_content) == ["json"]
    assert list(conf.result_accept_content) == ["json"]
    assert conf.task_acks_late is True
    assert conf.worker_prefetch_multiplier == 1
    assert 0 < conf.task_soft_time_limit < conf.task_time_limit
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit


def test_broker_and_results_are_the_core_redis() -> None:
    app = create_app(settings(redis_url="unix:///tmp/r.sock?db=2"))
    assert app.conf.broker_url == "redis+socket:///tmp/r.sock?virtual_host=2"
    assert app.conf.result_backend == "redis+socket:///tmp/r.sock?virtual_host=2"


def test_every_job_is_a_task_and_beat_sends_the_training_on_its_interval() -> None:
    app = create_app(settings(train_interval_s=45.0))
    assert {job.name for job in JOBS} <= set(app.tasks)
    entry = app.conf.beat_schedule[TRAIN_CATEGORIES]
    assert entry["task"] == TRAIN_CATEGORIES
    assert entry["schedule"] == 45.0
    assert entry["options"]["expires"] == 45.0
    task = app.tasks[TRAIN_CATEGORIES]
    assert task.acks_late is True
    assert 0 < task.soft_time_limit < task.time_limit


def test_worker_pool_and_concurrency_come_from_the_settings() -> None:
    conf = create_app(settings(worker_pool="solo", worker_concurrency=1)).conf
    assert (conf.worker_pool, conf.worker_concurrency) == ("solo", 1)
    default = create_app(settings()).conf
    assert (default.worker_pool, default.worker_concurrency) == ("threads", 2)


def test_two_apps_do_not_share_configuration() -> None:
    first = create_app(settings(train_interval_s=10.0))
    second = create_app(settings(train_interval_s=20.0))
    assert first.conf.beat_schedule[TRAIN_CATEGORIES]["schedule"] == 10.0
    assert second.conf.beat_schedule[TRAIN_CATEGORIES]["schedule"] == 20.0


def test_the_app_needs_a_redis_url() -> None:
    with pytest.raises(RuntimeError, match="FINANCY_REDIS_URL"):
        create_app(settings(redis_url=None))


def test_beat_keeps_its_schedule_under_the_data_dir() -> None:
    assert beat_schedule_path(Path("/box")) == Path("/box/celery/beat-schedule")


@pytest.mark.parametrize(
    "overrides", [{"train_interval_s": 0}, {"worker_concurrency": 0}, {"worker_pool": "gevent"}]
)
def test_settings_refuse_a_schedule_or_pool_the_worker_cannot_run(overrides: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="validation error"):
        settings(**overrides)
