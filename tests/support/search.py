"""A ledger to search, recorded through the production ingest plus rows written in SQL.

:func:`search_ledger` records (texts, a receipt photo with its lines and OCR text, a voice note
with its transcript, a "how much?" answer to a voice note) and inserts by hand (an import, an
income, a reversed one); :class:`Ledger` names each transaction. Shared by the PostgreSQL and the
OpenSearch search tests, which assert the same results.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Engine, insert

from financy.core.adapters import orm
from financy.core.contracts.v1 import (
    CaptureV1,
    Intent,
    LineItem,
    MediaRef,
    ProposedTransaction,
    Provenance,
    ReplyKind,
    Sender,
    Understanding,
    idempotency_key,
)
from financy.runtime.ids import uuid7
from tests.support.api import Member, new_user
from tests.support.ledger import ingest

NOW = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)
OCR = "PAO DE ACUCAR LTDA\nCNPJ 47.508.411/0001-56\nCOXINHA FRANGO 2 x 6,50\nLEITE INTEGRAL 1L 5,99\nTOTAL 210,00"


def capture(member: Member, said: str | None, understanding: Understanding, **fields: object) -> CaptureV1:
    mid = uuid.uuid4().hex
    return CaptureV1.model_validate(
        {
            "capture_id": uuid.uuid4(),
            "idempotency_key": idempotency_key("devchat", member.devchat_id, mid),
            "edge_id": "edge-search",
            "platform": "devchat",
            "chat_id": member.devchat_id,
            "message_id": mid,
            "sender": Sender(platform_user_id=member.devchat_id),
            "received_at": NOW,
            "text": said,
            "understanding": understanding,
            **fields,
        }
    )


def record(
    engine: Engine, member: Member, said: str | None, tx: ProposedTransaction, **fields: object
) -> uuid.UUID:
    understanding = Understanding(language="pt", intent=Intent.RECORD, transactions=(tx,), confidence=0.95)
    cap = capture(member, said, understanding, **fields)
    reply = ingest(engine, cap)
    assert reply is not None
    assert reply.kind is ReplyKind.RECORDED, reply
    (recorded,) = reply.transactions
    return recorded.transaction_id


def media(kind: str) -> MediaRef:
    return MediaRef(
        key=f"captures/edge-search/{uuid.uuid4()}/original.{kind}",
        content_type="x/y",
        size=10,
        sha256="0" * 64,
    )


def insert_row(engine: Engine, member: Member, **values: object) -> uuid.UUID:
    ident = uuid7()
    row = {
        "id": ident,
        "context_id": member.context_id,
        "kind": "expense",
        "currency": "BRL",
        "source_channel": "import",
        "author_id": member.user_id,
        "paid_by": member.user_id,
        **values,
    }
    with engine.begin() as conn:
        conn.execute(insert(orm.transactions).values(**row))
    return ident


@dataclass(frozen=True)
class Ledger:
    owner: Member
    partner: Member
    farmacia: uuid.UUID  # "Farmácia São João", text, 2026-11-10, 32.50, health
    pao: uuid.UUID  # "Pão de Açúcar", receipt photo (coxinha line), 2026-11-12, 210.00, groceries
    padaria: uuid.UUID  # "Padaria Estrela", 2026-11-15, 12.00, restaurants, "café da manhã"
    voice: uuid.UUID  # no merchant, voice note "... de uber para o aeroporto", 2026-11-20, 25.00, transport
    popular: uuid.UUID  # "Farmácia Popular", import, 2026-10-05, 80.00, health, paid by the partner
    salary: uuid.UUID  # "ACME Ltda" income 5000.00, import, 2026-11-05
    reversed_: uuid.UUID  # "Padaria Estrela" reversed, 2026-11-16
    answered: uuid.UUID  # "90" answering a voice note "comprei remédio na drogaria", 2026-11-21


def search_ledger(engine: Engine) -> Ledger:
    """Record the ledger :class:`Ledger` describes (a new owner with a partner as editor)."""
    owner, partner = new_user(engine), new_user(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(orm.members).values(context_id=owner.context_id, user_id=partner.user_id, role="editor")
        )
    farmacia = record(
        engine,
        owner,
        "farmácia 32,50",
        ProposedTransaction(
            amount=Decimal("32.50"),
            occurred_on=dt.date(2026, 11, 10),
            merchant="Farmácia São João",
            category="health",
        ),
    )
    pao = record(
        engine,
        owner,
        None,
        ProposedTransaction(
            amount=Decimal("210.00"),
            occurred_on=dt.date(2026, 11, 12),
            merchant="Pão de Açúcar",
            category="groceries",
            items=(
                LineItem(description="COXINHA FRANGO", quantity=Decimal(2), unit_price=Decimal("6.50")),
                LineItem(description="LEITE INTEGRAL 1L", line_total=Decimal("5.99")),
            ),
        ),
        media_type="photo",
        media=media("jpg"),
        provenance=Provenance(source="ocr", engine="tesseract", text=OCR, confidence=0.9),
    )
    padaria = record(
        engine,
        owner,
        "padaria 12",
        ProposedTransaction(
            amount=Decimal("12.00"),
            occurred_on=dt.date(2026, 11, 15),
            merchant="Padaria Estrela",
            description="café da manhã",
            category="restaurants",
        ),
    )
    voice = record(
        engine,
        owner,
        None,
        ProposedTransaction(amount=Decimal("25.00"), occurred_on=dt.date(2026, 11, 20), category="transport"),
        media_type="voice",
        media=media("ogg"),
        provenance=Provenance(
            source="speech",
            engine="faster-whisper",
            text="paguei vinte e cinco reais de uber para o aeroporto",
        ),
    )
    popular = insert_row(
        engine,
        owner,
        amount=Decimal("80.00"),
        occurred_on=dt.date(2026, 10, 5),
        merchant="Farmácia Popular",
        category="health",
        paid_by=partner.user_id,
    )
    salary = insert_row(
        engine,
        owner,
        kind="income",
        amount=Decimal("5000.00"),
        occurred_on=dt.date(2026, 11, 5),
        merchant="ACME Ltda",
        category="salary",
    )
    reversed_ = insert_row(
        engine,
        owner,
        amount=Decimal("9.00"),
        occurred_on=dt.date(2026, 11, 16),
        merchant="Padaria Estrela",
        category="restaurants",
        status="reversed",
    )
    # A voice note without an amount, then "90" answering it: the answer's transaction carries the
    # note's transcript too.
    note = capture(
        owner,
        None,
        Understanding(
            language="pt",
            intent=Intent.UNKNOWN,
            confidence=0.0,
            problem="no_amount",
            item_without_amount="remédio",
        ),
        media_type="voice",
        media=media("ogg"),
        provenance=Provenance(source="speech", engine="faster-whisper", text="comprei remédio na drogaria"),
    )
    assert ingest(engine, note) is not None
    answer = capture(
        owner,
        "90",
        Understanding(
            language="pt",
            intent=Intent.RECORD,
            transactions=(
                ProposedTransaction(amount=Decimal(90), occurred_on=dt.date(2026, 11, 21), category="health"),
            ),
            confidence=0.9,
        ),
        completes=note.capture_id,
    )
    reply = ingest(engine, answer)
    assert reply is not None
    assert reply.kind is ReplyKind.RECORDED
    answered = reply.transactions[0].transaction_id
    return Ledger(owner, partner, farmacia, pao, padaria, voice, popular, salary, reversed_, answered)
