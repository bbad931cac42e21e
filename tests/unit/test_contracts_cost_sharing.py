"""Wire contract v1, cost sharing: the new optional fields round-trip, and messages without them still parse."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from pydantic import ValidationError

from financy.core.contracts.v1 import (
    CaptureV1,
    CostSharingV1,
    CostSplitRequest,
    Intent,
    MemberAmountV1,
    ReplyKind,
    ReplyV1,
    Sender,
    SettlementRequest,
    TransferV1,
    Understanding,
    decode_capture,
    decode_reply,
    encode,
    idempotency_key,
)


def capture(understanding: Understanding) -> CaptureV1:
    return CaptureV1(
        capture_id=uuid.uuid4(),
        idempotency_key=idempotency_key("telegram", "-100", "42"),
        edge_id="home-1",
        platform="telegram",
        chat_id="-100",
        message_id="42",
        sender=Sender(platform_user_id="7"),
        received_at=dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC),
        text="divide com a Ana e o João",
        understanding=understanding,
        chat_type="group",
    )


def test_a_split_and_a_settlement_round_trip() -> None:
    split = Understanding(
        language="pt",
        intent=Intent.SPLIT,
        confidence=0.9,
        cost_split=CostSplitRequest(names=("Ana", "João"), ways=3),
    )
    original = capture(split)
    again = decode_capture(encode(original))
    assert again == original
    assert again.understanding is not None
    assert again.understanding.cost_split == CostSplitRequest(names=("Ana", "João"), ways=3)
    settle = Understanding(
        language="pt",
        intent=Intent.SETTLE,
        confidence=1.0,
        settlement=SettlementRequest(name="Ana", amount=Decimal("60.00")),
    )
    back = decode_capture(encode(capture(settle)))
    assert back.understanding is not None
    assert back.understanding.settlement == SettlementRequest(name="Ana", amount=Decimal("60.00"))


def test_an_understanding_written_before_the_fields_existed_still_parses() -> None:
    older = {"language": "pt", "intent": "record", "transactions": [], "confidence": 0.9}
    read = Understanding.model_validate(older)
    assert (read.cost_split, read.settlement) == (None, None)


@pytest.mark.parametrize(
    "bad",
    [
        {"ways": 1},
        {"ways": 101},
        {"names": ["x" * 101]},
        {"names": [""]},
        {"names": ["n"] * 21},
        {"who": "Ana"},
    ],
)
def test_a_split_request_is_bounded(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        CostSplitRequest.model_validate(bad)


@pytest.mark.parametrize("amount", ["0", "-5", "0.00001"])
def test_a_settlement_amount_is_positive_with_at_most_four_decimals(amount: str) -> None:
    with pytest.raises(ValidationError):
        SettlementRequest(name="Ana", amount=Decimal(amount))


def test_a_reply_carries_who_owes_whom() -> None:
    ana, bia = uuid.uuid4(), uuid.uuid4()
    view = CostSharingV1(
        currency="BRL",
        balances=(
            MemberAmountV1(user_id=ana, name="Ana", amount=Decimal("30.00")),
            MemberAmountV1(user_id=bia, name="Bia", amount=Decimal("-30.00")),
        ),
        transfers=(
            TransferV1(from_user=bia, from_name="Bia", to_user=ana, to_name="Ana", amount=Decimal("30.00")),
        ),
    )
    reply = ReplyV1(
        reply_id=uuid.uuid4(),
        capture_id=uuid.uuid4(),
        idempotency_key="telegram:-100:42",
        edge_id="home-1",
        platform="telegram",
        chat_id="-100",
        in_reply_to="42",
        language="pt",
        kind=ReplyKind.WHO_OWES,
        created_at=dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC),
        cost_sharing=view,
    )
    assert decode_reply(encode(reply)) == reply
    with pytest.raises(ValidationError):
        TransferV1(from_user=bia, from_name="Bia", to_user=ana, to_name="Ana", amount=Decimal("0"))


def test_the_new_kinds_and_intents_come_last() -> None:
    # the chat's search came after them
    assert list(Intent)[-4:] == [Intent.SPLIT, Intent.WHO_OWES, Intent.SETTLE, Intent.SEARCH]
    assert list(ReplyKind)[-5:] == [
        ReplyKind.COST_SPLIT,
        ReplyKind.COST_SPLIT_QUESTION,
        ReplyKind.WHO_OWES,
        ReplyKind.SETTLED,
        ReplyKind.SEARCH_RESULTS,
    ]
