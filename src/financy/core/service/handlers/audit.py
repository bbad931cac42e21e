"""What happens after a commit for every audit event: a log line and a count.

The events table is the audit log itself (written in the same transaction as the change);
these handlers run only once it is committed, so they never report a change that was rolled back.
"""

from __future__ import annotations

import functools
import logging

from prometheus_client import Counter

from financy.core.domain.events import Event
from financy.runtime.logging import get_logger

log = get_logger(__name__)
_DEBUG = functools.partial(logging.getLogger(__name__).isEnabledFor, logging.DEBUG)

#: Committed ledger events by name, in this process (``financy_ledger_events_total``).
LEDGER_EVENTS = Counter("financy_ledger_events", "Committed ledger events, by name.", ("name",))


def count_event(event: Event) -> None:
    """Count ``event`` in :data:`LEDGER_EVENTS` and log it at debug level (ids only, no amounts)."""
    LEDGER_EVENTS.labels(event.name).inc()
    if not _DEBUG():  # five or more events a message: skip building the line when it is dropped
        return
    log.debug(
        "ledger.event",
        name=event.name,
        context_id=str(event.context_id) if event.context_id else None,
        entity=event.entity,
        entity_id=str(event.entity_id),
    )


#: ``"*"`` runs for every event name.
EVENT_HANDLERS = {"*": (count_event,)}
