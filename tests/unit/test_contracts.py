"""Wire contract v1: every stream message round-trips through JSON, and bad payloads are refused."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from pydantic import ValidationError

from financy.core.contracts.v1 import (
    CaptureV1,
    Intent,
    ProposedTransaction,
    RecordedTransaction,
    ReplyKind,
    ReplyV1,
    Sender,
    TransactionKind,
    Understanding,
    decode_capture,
    decode_reply,
    encode,
    idempotency_key,
    replies_stream,
)


def capture() -> CaptureV1:
    return CaptureV1(
        capture_id=uuid.uuid4(),
        idempotency_key=idempotency_key("telegram", "-100", "42"),
        edge_id="home-1",
        platform="telegram",
        chat_id="-100",
        message_id="42",
        sender=Sender(platform_user_id="7", display_name="Ana", language_code="pt-br"),
        received_at=dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC),
        text="gastei 45,90 no mercado ontem",
        understanding=Understanding(
            language="pt",
            intent=Intent.RECORD,
            transactions=(
                ProposedTransaction(amount=Decimal("45.90"), currency="BRL", days_ago=1, merchant="mercado"),
            ),
            confidence=0.93,
        ),
    )


def test_capture_round_trips_through_the_stream_encoding() -> None:
    original = capture()
    fields = encode(original)
    assert list(fields) == ["payload"]
    again = decode_capture({k.encode(): v.encode() for k, v in fields.items()})
    assert again == original
    assert again.understanding is not None
    assert again.understanding.transactions[0].amount == Decimal("45.90")
    assert again.idempotency_key == "telegram:-100:42"


def test_reply_round_trips() -> None:
    reply = ReplyV1(
        reply_id=uuid.uuid4(),
        capture_id=uuid.uuid4(),
        idempotency_key="devchat:a:1",
        edge_id="local",
        platform="devchat",
        chat_id="a",
        in_reply_to="1",
        language="en",
        kind=ReplyKind.RECORDED,
        transactions=(
            RecordedTransaction(
                transaction_id=uuid.uuid4(),
                kind=TransactionKind.EXPENSE,
                amount=Decimal("12.00"),
                currency="USD",
                occurred_on=dt.date(2026, 11, 29),
                merchant="lunch",
            ),
        ),
        created_at=dt.datetime.now(dt.UTC),
    )
    assert decode_reply(encode(reply)) == reply
    assert replies_stream("local") == "financy:edge:local:replies"


@pytest.mark.parametrize(
    "change",
    [
        {"schema_version": 2},
        {"unexpected": "field"},
        {"edge_id": "bad id with spaces"},
        {"platform": "signal"},
        {"text": "x" * 10_001},
    ],
)
def test_capture_refuses_what_v1_does_not_allow(change: dict[str, object]) -> None:
    data = capture().model_dump(mode="json") | change
    with pytest.raises(ValidationError):
        CaptureV1.model_validate(data)


@pytest.mark.parametrize("amount", ["0", "-1", "1e30", "0.00001"])
def test_amounts_must_be_positive_and_bounded(amount: str) -> None:
    with pytest.raises(ValidationError):
        ProposedTransaction(amount=Decimal(amount))


def test_currency_must_look_like_iso_4217() -> None:
    with pytest.raises(ValidationError):
        ProposedTransaction(amount=Decimal(1), currency="real")


def test_messages_are_frozen() -> None:
    c = capture()
    with pytest.raises(ValidationError):
        c.text = "changed"  # type: ignore[misc]


def test_missing_payload_field_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        decode_capture({"other": "{}"})


def test_ids_with_colons_make_distinct_idempotency_keys() -> None:
    assert idempotency_key("devchat", "a:b", "c") != idempotency_key("devchat", "a", "b:c")
    assert idempotency_key("telegram", "-1001234", "42") == "telegram:-1001234:42"
    assert idempotency_key("devchat", "50%", "x:y") == "devchat:50%25:x%3Ay"


def test_nul_and_lone_surrogates_are_replaced_everywhere_on_the_wire() -> None:
    from financy.core.contracts.v1 import clean_text

    assert clean_text("Jo\x00ao \ud800!") == "Jo\ufffdao \ufffd!"
    assert clean_text("açaí 🍕") == "açaí 🍕"
    c = capture().model_copy(update={})
    data = c.model_dump() | {
        "text": "mercado\x00 10",
        "sender": {"platform_user_id": "7", "display_name": "A\udc80"},
    }
    cleaned = CaptureV1.model_validate(data)
    assert cleaned.text == "mercado\ufffd 10"
    assert cleaned.sender.display_name == "A\ufffd"
    assert decode_capture(encode(cleaned)) == cleaned


def test_the_domain_taxonomy_and_the_readers_slugs_are_the_same() -> None:
    from financy.core.domain.model import TAXONOMY
    from financy.inference.taxonomy import CATEGORY_SLUGS

    assert tuple(c.slug for c in TAXONOMY) == CATEGORY_SLUGS
