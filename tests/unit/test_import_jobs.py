"""The statement import's commit job: a task of the core's Celery app, sent with JSON ids, never scheduled."""

from __future__ import annotations

from pathlib import Path

from financy.core.entrypoints.import_jobs import COMMIT_IMPORT, COMMIT_SOFT_LIMIT_S
from financy.core.entrypoints.tasks import JOBS, create_app
from financy.core.settings import CoreSettings


def test_the_commit_job_is_a_task_beat_never_sends_and_it_ends_before_redis_hands_it_on() -> None:
    settings = CoreSettings.model_validate(
        {"redis_url": "unix:///tmp/financy-test/redis.sock", "data_dir": Path("/box")}
    )
    app = create_app(settings)
    (job,) = [j for j in JOBS if j.name == COMMIT_IMPORT]
    assert COMMIT_IMPORT in app.tasks
    assert COMMIT_IMPORT not in {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert (job.every_s, job.at_start, job.exclusive) == (None, False, False)
    assert job.soft_limit_s == COMMIT_SOFT_LIMIT_S
    assert job.hard_limit_s < app.conf.broker_transport_options["visibility_timeout"]
    assert app.tasks[COMMIT_IMPORT].time_limit == job.hard_limit_s
    app.close()
