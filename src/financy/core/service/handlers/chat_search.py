"""The chat's search: "/buscar farmácia", "/search pharmacy" (:attr:`Intent.SEARCH`).

Any member may search (:attr:`Action.READ`). The words go to the unit of work's search
(``uow.search``: PostgreSQL full-text search on the ledger's ``search_documents``, in the same
transaction; accents and typos forgiven as the API's search forgives them), recorded
transactions only, best first. The reply (:attr:`ReplyKind.SEARCH_RESULTS`) shows at most
:data:`CHAT_RESULTS` of them and says when there are more; nothing said after the command is
``problem`` "search_empty", and a text the search refuses (more than ten words) "search_invalid".
"""

from __future__ import annotations

from financy.core.contracts.v1 import (
    Intent,
    RecordedTransaction,
    ReplyKind,
    ReplyV1,
    TransactionKind,
    Understanding,
)
from financy.core.domain.authorization import Action
from financy.core.domain.commands import ChatMessage
from financy.core.domain.model import CATEGORY_BY_SLUG
from financy.core.domain.search_commands import SearchFromChat
from financy.core.service.handlers.chat import ChatScope, Outcome, handle_chat
from financy.core.service.handlers.users import ContextDefaults
from financy.core.service.registry import Registration
from financy.core.service.search import InvalidSearchError, SearchHit, SearchQuery
from financy.core.service.unit_of_work import AbstractUnitOfWork

#: Most transactions a chat search reply lists (a chat message stays short; the dashboard and
#: the API page through the rest).
CHAT_RESULTS = 10


def _shown(hit: SearchHit, language: str) -> RecordedTransaction:
    category = CATEGORY_BY_SLUG.get(hit.category) if hit.category else None
    foreign = hit.base_currency is not None and hit.base_currency != hit.currency
    return RecordedTransaction(
        transaction_id=hit.transaction_id,
        kind=TransactionKind(hit.kind),
        amount=hit.amount,
        currency=hit.currency,
        occurred_on=hit.occurred_on,
        merchant=hit.merchant[:200] if hit.merchant else None,
        category=hit.category,
        category_name=category.name(language) if category else None,
        base_amount=hit.base_amount if foreign else None,
        base_currency=hit.base_currency if foreign else None,
    )


def _decide(cmd: SearchFromChat, scope: ChatScope, uow: AbstractUnitOfWork) -> Outcome:
    outcome = Outcome(ReplyKind.SEARCH_RESULTS, search_text=cmd.text)
    if not cmd.text:
        outcome.problem = "search_empty"
        return outcome
    try:
        query = SearchQuery(text=cmd.text, limit=CHAT_RESULTS)
    except InvalidSearchError:
        outcome.problem = "search_invalid"
        return outcome
    page = uow.search.search(scope.context.id, query)
    outcome.transactions = [_shown(hit, scope.language) for hit in page.hits]
    outcome.search_more = page.next_cursor is not None
    return outcome


def search_from_chat(
    cmd: SearchFromChat, uow: AbstractUnitOfWork, defaults: ContextDefaults
) -> ReplyV1 | None:
    """Answer a chat search (any member); ``None`` for a duplicate delivery."""
    return handle_chat(cmd, uow, defaults, action=Action.READ, decide=_decide)


def search_command(message: ChatMessage, understanding: Understanding) -> SearchFromChat:
    """The :class:`SearchFromChat` of a search message (``understanding.search_text``)."""
    return SearchFromChat(message, understanding.search_text)


REGISTRATIONS = (Registration(SearchFromChat, search_from_chat, {Intent.SEARCH: search_command}),)
