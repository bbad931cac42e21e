"""The category model's life: trained from the shipped set plus corrections, published, loaded by the edge."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest
import redis
import redis.asyncio as aioredis
from sqlalchemy import Engine, insert, text

from financy.core.adapters import orm
from financy.core.contracts.v1 import PAYLOAD_FIELD, ModelUpdatedV1, control_stream
from financy.core.service.training import announce, current_model, needs_training, retrain_categories
from financy.edge.models import ControlConsumer, EdgeCategorizer
from financy.inference.classify import ModelIntegrityError

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def trained(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("models") / "categories"
    assert needs_training(engine, directory)
    retrain_categories(engine, directory)
    return directory


@pytest.fixture
def context_id(engine: Engine) -> uuid.UUID:
    """A user's personal context, made through the service layer."""
    from financy.core.adapters.unit_of_work import SqlAlchemyUnitOfWork
    from financy.core.service.handlers.users import ContextDefaults, create_personal_context

    user_id = uuid.uuid4()
    with SqlAlchemyUnitOfWork(engine) as uow:
        uow.users.add(user_id, display_name="trainer", locale="pt-BR")
        context_id = create_personal_context(uow, user_id, "Personal", ContextDefaults())
        uow.commit()
    return context_id


def test_a_trained_model_is_current_recorded_and_verified(trained: Path, engine: Engine) -> None:
    model = current_model(trained)
    assert model is not None
    manifest = json.loads((trained / "current.json").read_text())
    assert manifest["file"] == model.path.name
    assert model.path.exists()
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT sha256, size_bytes, n_examples FROM model_artifacts WHERE version = :v"),
            {"v": model.version},
        ).one()
    assert row.sha256 == model.sha256
    assert row.size_bytes == model.path.stat().st_size
    assert row.n_examples == model.n_examples > 5000
    assert not needs_training(engine, trained)
    categorizer = EdgeCategorizer(trained)
    slug, probability = categorizer.categorize("conta de luz") or ("", 0.0)
    assert slug == "utilities"
    assert probability > 0.5
    assert categorizer.version == model.version


def test_a_correction_makes_the_next_training_due(
    trained: Path, engine: Engine, context_id: uuid.UUID
) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(orm.category_examples).values(
                context_id=context_id, text="Bar do Zé", category="restaurants"
            )
        )
    assert needs_training(engine, trained)


def test_a_tampered_artifact_is_refused(trained: Path) -> None:
    model = current_model(trained)
    assert model is not None
    categorizer = EdgeCategorizer(trained)
    with pytest.raises(ModelIntegrityError):
        categorizer.load(model.path, "0" * 64, "fake")
    assert categorizer.version is None


async def test_the_edge_loads_what_the_core_announces(
    trained: Path, engine: Engine, redis_url: str, edge_id: str
) -> None:
    model = current_model(trained)
    assert model is not None
    with engine.begin() as conn:
        context_id = conn.execute(text("SELECT id FROM contexts LIMIT 1")).scalar_one()
        conn.execute(
            insert(orm.chat_bindings).values(
                id=uuid.uuid4(),
                platform="devchat",
                chat_id=f"train-{edge_id}",
                context_id=context_id,
                edge_id=edge_id,
            )
        )
    sync = redis.Redis.from_url(redis_url)
    assert edge_id in announce(sync, engine, model)
    bad = ModelUpdatedV1.model_validate(
        {
            **json.loads(sync.xrange(control_stream(edge_id))[0][1][PAYLOAD_FIELD.encode()]),
            "sha256": "1" * 64,
            "version": "x",
        }
    )
    sync.xadd(control_stream(edge_id), {PAYLOAD_FIELD: bad.model_dump_json()})
    categorizer = EdgeCategorizer(trained / "nowhere")  # no manifest: only the control stream can load it
    client = aioredis.Redis.from_url(redis_url)
    consumer = ControlConsumer(client, edge_id=edge_id, categorizer=categorizer, consumer="c1")
    task = asyncio.create_task(consumer.run())
    async with asyncio.timeout(15):
        while categorizer.version != model.version or not sync.xlen(f"{control_stream(edge_id)}:dead"):
            await asyncio.sleep(0.05)
    consumer.stop()
    await asyncio.wait_for(task, 5)
    await client.aclose()
    (dead,) = sync.xrange(f"{control_stream(edge_id)}:dead")
    assert b"not loadable" in dead[1][b"dead_reason"]
    assert categorizer.version == model.version  # the bad announcement did not replace it
    sync.close()


def test_categorize_and_parse_use_the_trained_model(
    trained: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from financy.cli import main

    assert main(["categorize", "paguei 60 no detran", "--json", "--models-dir", str(trained)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["keywords"] is None
    assert out["category"] == "taxes_fees"
    assert out["model"][0]["category"] == "taxes_fees"
    assert out["model"][0]["probability"] > 0.5
    assert (
        main(["parse", "lavanderia 45", "--json", "--today", "2026-11-29", "--models-dir", str(trained)]) == 0
    )
    (tx,) = json.loads(capsys.readouterr().out)["transactions"]
    assert (tx["amount"], tx["category"]) == ("45", "personal_care")
