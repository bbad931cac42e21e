"""The edge runs the WhatsApp adapter when its token is set, and keeps an unreadable message with its problem."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from financy.bots.common.message import InboundMessage
from financy.core.contracts.v1 import CaptureV1, Intent
from financy.edge.app import create_app
from financy.edge.intake import Intake
from financy.edge.outbox.store import EdgeOutbox
from financy.edge.pipeline.steps import Pipeline, PipelineContext
from financy.edge.settings import EdgeSettings

NO_REDIS = "redis://127.0.0.1:1/0"  # never connected to: the app is built, not started


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINANCY_WHATSAPP__TOKEN", "EAAG")
    monkeypatch.setenv("FINANCY_WHATSAPP__APP_SECRET", "app-secret")
    monkeypatch.setenv("FINANCY_WHATSAPP__VERIFY_TOKEN", "verify")
    monkeypatch.setenv("FINANCY_WHATSAPP__PHONE_NUMBER_ID", "1122334455667")
    wa = EdgeSettings().whatsapp
    assert wa.token is not None
    assert wa.token.get_secret_value() == "EAAG"
    assert wa.app_secret is not None
    assert wa.app_secret.get_secret_value() == "app-secret"
    assert wa.verify_token is not None
    assert wa.verify_token.get_secret_value() == "verify"
    assert (wa.phone_number_id, wa.api_base_url) == ("1122334455667", "https://graph.facebook.com/v21.0")


def test_the_adapter_and_its_routes_run_only_with_a_token(tmp_path: Path) -> None:
    with_token = EdgeSettings.model_validate(
        {
            "redis_url": NO_REDIS,
            "data_dir": tmp_path / "a",
            "whatsapp": {"token": "EAAG", "app_secret": "s", "verify_token": "v", "phone_number_id": "1"},
        }
    )
    app = create_app(with_token)
    assert "whatsapp" in app.ctx.senders
    assert {route.path for route in app.router.routes} >= {"webhooks/whatsapp"}
    without = create_app(EdgeSettings(redis_url=NO_REDIS, data_dir=tmp_path / "b"))
    assert "whatsapp" not in without.ctx.senders
    assert all("whatsapp" not in route.path for route in without.router.routes)


def test_a_token_without_a_phone_number_id_is_refused_at_start(tmp_path: Path) -> None:
    settings = EdgeSettings.model_validate(
        {"redis_url": NO_REDIS, "data_dir": tmp_path, "whatsapp": {"token": "EAAG"}}
    )
    with pytest.raises(RuntimeError, match="FINANCY_WHATSAPP__PHONE_NUMBER_ID"):
        create_app(settings)


async def test_a_message_with_a_problem_is_kept_unread_with_that_problem(tmp_path: Path) -> None:
    outbox = EdgeOutbox(tmp_path / "outbox.sqlite3")
    woken: list[bool] = []
    intake = Intake("local", Pipeline([], PipelineContext(language="en")), outbox, lambda: woken.append(True))
    inbound = InboundMessage(
        platform="whatsapp",
        chat_id="5511",
        message_id="wamid.a",
        sender_id="5511",
        received_at=dt.datetime(2026, 12, 2, tzinfo=dt.UTC),
        text=None,
        media_type="other",
        problem="not_text",
    )
    first = await intake(inbound)
    second = await intake(inbound)
    assert (first.accepted, second.accepted, woken) == (True, False, [True])
    payload = outbox.payload_of(first.idempotency_key)
    assert payload is not None
    capture = CaptureV1.model_validate_json(payload)
    assert capture.understanding is not None
    assert (capture.text, capture.media_type, capture.media) == (None, "other", None)
    assert (capture.understanding.intent, capture.understanding.problem, capture.understanding.language) == (
        Intent.UNKNOWN,
        "not_text",
        "en",
    )
    outbox.close()
