"""``financy core api|ingest|worker|beat|train|migrate``: build the settings once, configure logs, run one process."""

from __future__ import annotations

from financy.core.settings import CoreSettings
from financy.runtime.logging import configure_logging


def run(process: str) -> int:
    """Run core ``process`` ("api", "ingest", "worker", "beat", "train" or "migrate") and return its exit status.

    Raises:
        ValueError: unknown ``process``.
        RuntimeError: a URL the process needs is not set (see :class:`CoreSettings`).
    """
    settings = CoreSettings()
    configure_logging("core-" + process, level=settings.log_level, json=settings.log_json)
    if process == "api":
        from financy.core.entrypoints.api import run_api

        return run_api(settings)
    if process == "migrate":
        from financy.core.adapters.migrate import upgrade

        upgrade(settings.require_database_url())
        return 0
    if process == "ingest":
        from financy.core.entrypoints.ingest import run_ingest

        return run_ingest(settings)
    if process == "worker":
        from financy.core.entrypoints.worker import run_worker

        return run_worker(settings)
    if process == "beat":
        from financy.core.entrypoints.worker import run_beat

        return run_beat(settings)
    if process == "train":
        from sqlalchemy import create_engine

        from financy.core.service.training import models_dir, retrain_categories

        engine = create_engine(settings.require_database_url())
        model = retrain_categories(engine, models_dir(settings.data_dir))
        engine.dispose()
        print(f"trained {model.name} {model.version} ({model.n_examples} examples) sha256 {model.sha256}")
        print(f"  {model.path}")
        return 0
    raise ValueError(
        f"unknown core process {process!r}; expected api, ingest, worker, beat, train or migrate"
    )
