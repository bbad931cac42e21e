"""The single box end to end: `financy up`, real messages in through the dev chat, the API lists them.

The box is started exactly as a user starts it (``python -m financy.cli up``) on a fresh data
directory: embedded PostgreSQL and Redis by default, or the servers named by
``FINANCY_TEST_DATABASE_URL`` / ``FINANCY_TEST_REDIS_URL`` (a database of its own is created).
The messages are the third-party expense lines in ``tests/fixtures/messages`` (see SOURCES.md).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.conftest import FIXTURES
from tests.support.box import Box, running_box

pytestmark = pytest.mark.e2e

MESSAGES = FIXTURES / "messages" / "expense_messages.jsonl"


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Box]:
    with running_box(tmp_path_factory.mktemp("box")) as b:
        yield b


def expected(row: dict[str, object]) -> tuple[Decimal, str] | None:
    """Return the (amount, ISO currency) the box must record for a fixture row, or None for none."""
    if row["expected_amount"] is None:
        return None
    amount = Decimal(str(row["expected_amount"]))
    currency = str(row["expected_currency"])
    if currency.startswith("cent"):
        return amount / 100, "USD"
    if currency.startswith(("$", "none")):  # an unspecified dollar, or "bucks", in a BRL context
        return amount, "USD"
    if currency.startswith("£"):
        return amount, "GBP"
    return amount, currency


def test_send_cli_answers_with_yesterday_in_the_context_time_zone(box: Box) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "financy.cli",
            "send",
            "gastei 45,90 no mercado ontem",
            "--edge-url",
            box.edge,
        ],
        env=box.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    yesterday = dt.datetime.now(ZoneInfo("America/Sao_Paulo")).date() - dt.timedelta(days=1)
    assert result.stdout.startswith(f"✅ R$ 45,90 · mercado · Mercado · {yesterday:%d/%m}")
    headers = {"Authorization": f"Bearer {box.token()}"}
    (context,) = httpx.get(f"{box.api}/api/v1/contexts", headers=headers).json()["items"]
    listed = httpx.get(
        f"{box.api}/api/v1/contexts/{context['id']}/transactions",
        params={"from": yesterday.isoformat(), "to": yesterday.isoformat()},
        headers=headers,
    ).json()["items"]
    assert [(t["amount"], t["currency"], t["occurred_on"], t["merchant"]) for t in listed] == [
        ("45.90", "BRL", yesterday.isoformat(), "mercado")
    ]


def test_real_messages_are_recorded_with_their_amounts_and_currencies(box: Box) -> None:
    rows = [json.loads(line) for line in MESSAGES.read_text().splitlines() if line.strip()]
    assert len(rows) == 49
    chat = f"e2e-{uuid.uuid4().hex[:6]}"
    want: list[tuple[Decimal, str]] = []
    with httpx.Client(timeout=40) as client:
        for row in rows:
            body = {
                "text": row["text"],
                "user_id": "admin",
                "chat_id": chat,
                "message_id": row["id"],
                "wait": 30,
            }
            response = client.post(f"{box.edge}/devchat/messages", json=body)
            assert response.status_code == 200, (row["id"], response.text)
            reply = response.json()["reply"]
            exp = expected(row)
            if exp is None:
                assert reply["kind"] == "question", (row["id"], row["text"], reply)
            else:
                assert reply["kind"] == "recorded", (row["id"], row["text"], reply)
                want.append(exp)
        headers = {"Authorization": f"Bearer {box.token()}"}
        (context,) = client.get(f"{box.api}/api/v1/contexts", headers=headers).json()["items"]
        got: list[tuple[Decimal, str]] = []
        cursor: str | None = None
        today = dt.datetime.now(ZoneInfo("America/Sao_Paulo")).date().isoformat()
        while True:
            params = {"from": today, "to": today, "limit": "20", **({"cursor": cursor} if cursor else {})}
            page = client.get(
                f"{box.api}/api/v1/contexts/{context['id']}/transactions", params=params, headers=headers
            ).json()
            got.extend((Decimal(t["amount"]), t["currency"]) for t in page["items"])
            cursor = page["next_cursor"]
            if not cursor:
                break
    # Newest first in the API; the messages were sent oldest first.
    assert list(reversed(got)) == want
    assert len(want) == 41


def test_the_category_model_trained_by_the_box_categorises_what_the_lexicon_cannot(box: Box) -> None:
    """The worker trains the first model on a new box; the edge picks it up from the shared models dir."""
    manifest = box.data_dir / "models" / "categories" / "current.json"
    deadline = time.monotonic() + 90
    while not manifest.exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert manifest.exists(), "the worker trained no model"
    chat = f"e2e-model-{uuid.uuid4().hex[:6]}"
    reply: dict[str, str] = {}
    while time.monotonic() < deadline:  # the edge looks for a new model every few seconds
        body = {"text": "paguei 60 no detran", "user_id": "admin", "chat_id": chat, "wait": 20}
        reply = httpx.post(f"{box.edge}/devchat/messages", json=body, timeout=30).json()["reply"]
        if "Impostos e tarifas" in reply["text"]:
            break
        httpx.post(f"{box.edge}/devchat/messages", json={**body, "text": "/desfazer"}, timeout=30)
        time.sleep(2)
    assert reply["text"].startswith("✅ R$ 60,00 · detran · Impostos e tarifas"), reply


def _send(box: Box, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "financy.cli", "send", *args, "--edge-url", box.edge, "--user", "admin"],
        env=box.env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_a_voice_note_and_a_receipt_photo_from_the_dev_chat(box: Box) -> None:
    # A real Portuguese voice note without an amount: the bot quotes it and asks; "8,50" completes it.
    heard = _send(box, "--voice", str(FIXTURES / "audio" / "ufpalign_coxinha_ptbr.derived_voice_note.ogg"))
    assert heard.returncode == 0, heard.stderr
    assert "coxinha de frango" in heard.stdout.lower()
    assert "quanto foi" in heard.stdout.lower()
    answered = _send(box, "8,50")
    assert answered.returncode == 0, answered.stderr
    assert answered.stdout.startswith("✅ R$ 8,50")
    # A real receipt photo: one transaction, its items, the photo kept.
    photo = FIXTURES / "receipts" / "azure_contoso_cafe_photo.jpg"
    read = _send(box, "--photo", str(photo))
    assert read.returncode == 0, read.stderr
    assert read.stdout.startswith("✅ US$ 14,50 ≈ R$ 56,30 (BCE 10/06) · Contoso · Alimentação · 10/06")
    headers = {"Authorization": f"Bearer {box.token()}"}
    (context,) = httpx.get(f"{box.api}/api/v1/contexts", headers=headers).json()["items"]
    listed = httpx.get(
        f"{box.api}/api/v1/contexts/{context['id']}/transactions",
        params={"from": "2019-06-10", "to": "2019-06-10"},
        headers=headers,
    ).json()["items"]
    assert [(t["amount"], t["currency"]) for t in listed] == [("14.50", "USD")]
    url = f"{box.api}/api/v1/contexts/{context['id']}/transactions/{listed[0]['id']}"
    detail = httpx.get(url, headers=headers).json()
    assert detail["items"][0]["description"] == "Cappuccino"
    assert detail["source"]["media_type"] == "photo"
    assert detail["source"]["provenance"]["source"] == "ocr"
    assert detail["source"]["receipt"]["total"] == "14.50"
    original = httpx.get(f"{url}/original", headers=headers)
    assert original.status_code == 200
    assert original.headers["content-type"] == "image/jpeg"
    assert original.content == photo.read_bytes()
    assert (box.data_dir / "objects" / detail["source"]["media"]["key"]).read_bytes() == photo.read_bytes()


def test_what_was_not_recorded_is_listed_with_its_original(box: Box, tmp_path: Path) -> None:
    from tests.support.media import cat_png

    picture = tmp_path / "cat.png"
    picture.write_bytes(cat_png(seed=11))
    sent = _send(box, "--photo", str(picture))
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.startswith("🧾")
    headers = {"Authorization": f"Bearer {box.token()}"}
    (context,) = httpx.get(f"{box.api}/api/v1/contexts", headers=headers).json()["items"]
    url = f"{box.api}/api/v1/contexts/{context['id']}/captures"
    waiting = httpx.get(url, params={"status": "needs_review", "limit": 5}, headers=headers).json()["items"]
    newest = waiting[0]
    assert (newest["media_type"], newest["status"], newest["problem"]) == (
        "photo",
        "needs_review",
        "receipt_no_text",
    )
    assert newest["media"]["content_type"] == "image/png"
    original = httpx.get(f"{url}/{newest['id']}/original", headers=headers)
    assert original.status_code == 200
    assert original.content == picture.read_bytes()
    assert httpx.get(url, params={"status": "lost"}, headers=headers).status_code == 400


def test_core_train_runs_beside_the_box_on_its_data_dir(box: Box) -> None:
    """``financy core train --data-dir DIR`` finds the running box's database and models by itself."""
    result = subprocess.run(
        [sys.executable, "-m", "financy.cli", "core", "train", "--data-dir", str(box.data_dir)],
        env=box.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("trained categories ")
    manifest = json.loads((box.data_dir / "models" / "categories" / "current.json").read_text())
    assert manifest["version"] in result.stdout
