"""``financy core api|ingest|worker|beat|train|migrate|fx load``: build settings, configure logs, run a process."""

from __future__ import annotations

import sys

from financy.core.settings import CoreSettings
from financy.runtime.logging import configure_logging


def load_fx(settings: CoreSettings, file: str | None) -> int:
    """``financy core fx load [--file F]``: upsert the ECB rates of ``file`` (default: the packaged
    history) into ``fx_rates``, value the transactions that had no rate, print what changed.

    Returns 0, or 1 when ``file`` cannot be read or is not an ECB rates file (nothing stored).
    """
    from pathlib import Path

    from sqlalchemy import create_engine

    from financy.core.adapters.ecb import EcbFormatError, load_rates, packaged_history, parse_ecb
    from financy.core.adapters.unit_of_work import SqlAlchemyUnitOfWork
    from financy.core.service.valuation import revalue_unvalued

    path = Path(file) if file else packaged_history()
    try:
        rates = parse_ecb(path.read_bytes())
    except (OSError, EcbFormatError) as exc:
        print(f"financy core fx load: cannot read ECB rates from {path}: {exc}", file=sys.stderr)
        return 1
    engine = create_engine(settings.require_database_url())
    try:
        with engine.begin() as conn:
            changed = load_rates(conn, rates)
        with SqlAlchemyUnitOfWork(engine) as uow:
            revalued = revalue_unvalued(uow, limit=100_000)
            uow.commit()
    finally:
        engine.dispose()
    days = sorted({r.rate_date for r in rates})
    print(
        f"{len(rates)} ECB rates of {len(days)} days ({days[0]} to {days[-1]}) from {path}: "
        f"{changed} new or changed; {revalued} transactions valued"
    )
    return 0


def run(process: str, *, action: str | None = None, file: str | None = None) -> int:
    """Run core ``process`` ("api", "ingest", "worker", "beat", "train", "migrate" or "fx" with
    ``action`` "load" and an optional ``file``) and return its exit status.

    Raises:
        ValueError: unknown ``process`` (``fx`` without ``load`` prints why and returns 2).
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
    if process == "fx":
        if action != "load":
            print(
                "financy core fx: expected the action 'load' (financy core fx load [--file F])",
                file=sys.stderr,
            )
            return 2
        return load_fx(settings, file)
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
        f"unknown core process {process!r}; expected api, ingest, worker, beat, train, migrate or fx"
    )
