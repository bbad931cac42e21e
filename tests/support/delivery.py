"""Captures made for delivery tests, and the counts a fault test prints: sent / recorded / duplicated / lost."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Engine, text

from financy.core.contracts.v1 import CaptureV1, Intent, ProposedTransaction, Sender, Understanding


def capture_for(chat: str, n: int, edge_id: str) -> CaptureV1:
    """Return capture number ``n`` of ``chat``: "mercado n", amount ``n``, key ``devchat:{chat}:{n}``."""
    return CaptureV1(
        capture_id=uuid.uuid4(),
        idempotency_key=f"devchat:{chat}:{n}",
        edge_id=edge_id,
        platform="devchat",
        chat_id=chat,
        message_id=str(n),
        sender=Sender(platform_user_id=chat),
        received_at=dt.datetime.now(dt.UTC),
        text=f"mercado {n}",
        understanding=Understanding(
            language="pt",
            intent=Intent.RECORD,
            transactions=(ProposedTransaction(amount=Decimal(n), merchant="mercado", category="groceries"),),
            confidence=0.9,
        ),
    )


def count(engine: Engine, sql: str, **params: object) -> int:
    """Return the single integer ``sql`` selects."""
    with engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


def wait_until(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll ``predicate`` every 0.2 s; raise ``AssertionError`` naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


TRANSACTIONS_OF_CHAT = (
    "SELECT count(*) FROM transactions t JOIN captures c ON c.id = t.capture_id WHERE c.chat_id = :c"
)


@dataclass(frozen=True)
class DeliveryCounts:
    """What a fault run sent and what the ledger holds for its chat.

    ``recorded``: distinct captures (idempotency keys 1..sent) with a transaction; ``duplicated``:
    transactions beyond one per capture plus capture rows beyond one per key; ``lost``: sent
    minus recorded.
    """

    sent: int
    recorded: int
    duplicated: int
    lost: int

    def line(self) -> str:
        """Return ``sent=N recorded=N duplicated=N lost=N``."""
        return f"sent={self.sent} recorded={self.recorded} duplicated={self.duplicated} lost={self.lost}"


def delivery_counts(engine: Engine, chat: str, sent: int) -> DeliveryCounts:
    """Count the ledger's rows of ``chat`` against ``sent`` captures numbered 1..sent."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT count(DISTINCT c.idempotency_key), count(t.id),"
                " (SELECT count(*) FROM captures WHERE chat_id = :c),"
                " (SELECT count(DISTINCT idempotency_key) FROM captures WHERE chat_id = :c)"
                " FROM captures c JOIN transactions t ON t.capture_id = c.id WHERE c.chat_id = :c"
            ),
            {"c": chat},
        ).one()
    recorded, transactions, capture_rows, keys = (int(x) for x in row)
    duplicated = (transactions - recorded) + (capture_rows - keys)
    return DeliveryCounts(sent, recorded, duplicated, sent - recorded)
