"""Commands of recurring series: list a ledger's series, confirm or dismiss one, refresh a ledger.

The API's carry ``actor_id``, the user the route acts for; the handler checks the actor's role in
the context in the same unit of work (:attr:`~financy.core.domain.authorization.Action.READ` to
list, :attr:`...EDIT` to confirm or dismiss). The chat's are :class:`ListSubscriptions` and
:class:`DecideSubscription`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from financy.core.domain.commands import ChatCommand, Command


@dataclass(frozen=True, slots=True)
class ListSubscriptions(ChatCommand):
    """ "quais minhas assinaturas?", "/assinaturas": the chat ledger's recurring payments."""


@dataclass(frozen=True, slots=True)
class DecideSubscription(ChatCommand):
    """ "/assinatura confirmar Netflix", "/assinaturas ignorar 2": confirm (``action`` "confirm")
    or dismiss ("dismiss") the chat ledger's series named ``series`` (its merchant, or its
    number in the chat's list)."""

    action: str
    series: str


@dataclass(frozen=True, slots=True)
class ListRecurring(Command):
    """Every series of ``context_id`` (any status), detected first if none was yet.
    ``today``: the context's date (``None``: now)."""

    context_id: uuid.UUID
    actor_id: uuid.UUID
    today: dt.date | None = None


@dataclass(frozen=True, slots=True)
class ConfirmSeries(Command):
    """A member says series ``series_id`` of ``context_id`` is a real recurring payment."""

    context_id: uuid.UUID
    series_id: uuid.UUID
    actor_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class DismissSeries(Command):
    """A member says series ``series_id`` of ``context_id`` is none: it is not proposed again."""

    context_id: uuid.UUID
    series_id: uuid.UUID
    actor_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class RefreshRecurring(Command):
    """Detect ``context_id``'s series again and send the reminders due (the daily job): a
    reminder ``remind_days_before`` days before a confirmed series' next date. ``now``: aware."""

    context_id: uuid.UUID
    now: dt.datetime
    remind_days_before: int = 3
