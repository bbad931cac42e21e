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


def check_migrated(wait: float = 0.0) -> int:
    """``financy core migrate --check [--wait S]``: is ``FINANCY_DATABASE_URL`` at the code's head?

    Changes nothing. ``wait`` (seconds) keeps asking, also while the database is unreachable.
    Prints the database's and the code's revisions (stdout when at head, stderr otherwise).

    Returns:
        0 at head, 1 when not (never migrated, behind, ahead of this code, or unreachable).

    Raises:
        MissingSettingError: ``FINANCY_DATABASE_URL`` is not set.
    """
    from financy.core.adapters.migrate import wait_for_head

    settings = CoreSettings()
    configure_logging("core-migrate", level=settings.log_level, json=settings.log_json)
    ok, detail = wait_for_head(settings.require_database_url(), timeout=wait)
    if ok:
        print(f"financy core migrate --check: schema at head ({detail})")
        return 0
    print(
        f"financy core migrate --check: schema not at head ({detail}); run financy core migrate",
        file=sys.stderr,
    )
    return 1


def run(process: str, *, action: str | None = None, file: str | None = None, name: str | None = None) -> int:
    """Run core ``process`` ("api", "ingest", "worker", "beat", "train", "migrate", "admin", "fx" with
    ``action`` "load" and an optional ``file``, or "edges" with ``action`` "add"/"list"/"revoke" and
    the edge ``name``) and return its exit status.

    Raises:
        ValueError: unknown ``process`` (``fx`` without ``load`` prints why and returns 2).
        RuntimeError: a URL the process needs is not set (see :class:`CoreSettings`).
    """
    settings = CoreSettings()
    if process in ("edges", "admin"):  # a command a person reads: only problems go to stderr
        configure_logging("cli", level="WARNING", json=False)
    else:
        configure_logging("core-" + process, level=settings.log_level, json=settings.log_json)
    if process == "api":
        from financy.core.entrypoints.api import run_api

        return run_api(settings)
    if process == "migrate":
        from financy.core.adapters.migrate import upgrade

        upgrade(settings.require_database_url())
        return 0
    if process == "admin":
        from financy.core.entrypoints.admin import run_admin

        return run_admin(settings)
    if process == "fx":
        if action != "load" or name is not None:
            print(
                "financy core fx: expected the action 'load' (financy core fx load [--file F])",
                file=sys.stderr,
            )
            return 2
        return load_fx(settings, file)
    if process == "edges":
        from financy.core.entrypoints.edges_cli import run_edges

        return run_edges(settings, action, name)
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

        from financy.core.service.training import models_dir, publish, retrain_categories
        from financy.runtime.objects import ObjectStoreError, object_store_from_settings

        engine = create_engine(settings.require_database_url())
        model = retrain_categories(engine, models_dir(settings.data_dir))
        engine.dispose()
        print(f"trained {model.name} {model.version} ({model.n_examples} examples) sha256 {model.sha256}")
        print(f"  {model.path}")
        store = object_store_from_settings(settings.s3, settings.data_dir / "objects")
        try:
            print(f"  published {publish(store, model)} in {store.describe()}")
        except ObjectStoreError as exc:
            print(f"  not published to {store.describe()}: {exc}", file=sys.stderr)
            return 1
        return 0
    raise ValueError(
        f"unknown core process {process!r}; expected api, ingest, worker, beat, train, migrate, admin or fx"
    )
