"""Domain events: facts, written to the append-only ``events`` table in the same transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Event:
    """A change to the ledger: who did what to which row, with its state before and after.

    ``before``/``after`` are JSON-ready dicts (amounts as strings) or ``None`` for creation
    and deletion.
    """

    name: str
    context_id: uuid.UUID | None
    actor_id: uuid.UUID | None
    entity: str
    entity_id: uuid.UUID
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    capture_id: uuid.UUID | None = None
    extra: dict[str, Any] = field(default_factory=dict)
