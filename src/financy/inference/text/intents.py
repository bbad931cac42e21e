"""Messages that are commands rather than transactions: undo, help, start.

Slash commands ("/desfazer", "/undo@financy_bot") are recognised anywhere they start the message.
Plain-word commands ("desfazer", "apaga o último", "undo", "delete last", "ajuda", "help") must be
the whole message, so "ajuda com o aluguel 500" is still a transaction.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["command_intent", "command_language", "phrase_intent"]

_COMMAND_RE: Final = re.compile(r"^\s*/(?P<cmd>[a-z_]+)(?:@\w+)?(?:\s|$)")
_COMMANDS: Final[dict[str, str]] = {
    "start": "start",
    "comecar": "start",
    "iniciar": "start",
    "help": "help",
    "ajuda": "help",
    "undo": "undo",
    "desfazer": "undo",
    "desfaz": "undo",
    # commands that introduce a transaction: the rest of the message is read as usual
    "add": "record",
    "gasto": "record",
    "gastei": "record",
    "despesa": "record",
    "expense": "record",
    "spent": "record",
    "registrar": "record",
    "receita": "record",
    "income": "record",
}

_UNDO_RE: Final = re.compile(
    r"^(?:por favor |please )?(?:"
    r"(?:desfazer|desfaz|desfaca|undo)"
    r"(?: (?:isso|isto|o ultimo|a ultima|ultimo|ultima|that|this|it|the last(?: one)?|last(?: one)?"
    r"|lancamento|registro|gasto|por favor|please))*"
    r"|(?:apaga|apagar|apague|cancela|cancelar|cancele|remove|remover|remova|exclui|excluir|exclua"
    r"|deleta|deletar|delete|erase)"
    r" (?:o |a |the )?(?:ultimo|ultima|last|isso|isto|that|this|it)"
    r"(?: (?:lancamento|registro|gasto|transacao|one|entry|transaction|expense|por favor|please))*"
    r")$"
)
_HELP_RE: Final = re.compile(
    r"^(?:ajuda|help|socorro|menu|comandos|commands|como funciona|como usa|como usar|como uso"
    r"|how does (?:this|it) work|what can you do|o que voce faz)(?: por favor| please)?$"
)
# Questions and requests about the ledger ("quanto gastei em 2024?", "show me my ten most recent
# transactions") mention numbers that are not transactions.
_QUERY_RE: Final = re.compile(
    r"^(?:quanto|quantos|quanta|quantas|qual|quais|mostra|mostre|mostrar|liste|listar"
    r"|what|which|how|convert|converter|converta|converte)\b"
    # "show"/"lista" are also nouns ("show 50" is a concert ticket): only with an object
    r"|^(?:show|list|lista|ver|veja)\s+(?:me|my|all|the|meu|meus|minha|minhas|os|as|o|a|todos|todas)\b"
)
_NOT_WORD_RE: Final = re.compile(r"[^\w\s]+")
_SPACES_RE: Final = re.compile(r"\s+")


# The language a command word itself is in; "/start", "/menu" and the like say nothing.
_COMMAND_LANGUAGE: Final[dict[str, str]] = {
    "help": "en",
    "undo": "en",
    "expense": "en",
    "spent": "en",
    "income": "en",
    "add": "en",
    "ajuda": "pt",
    "desfazer": "pt",
    "desfaz": "pt",
    "comecar": "pt",
    "iniciar": "pt",
    "gasto": "pt",
    "gastei": "pt",
    "despesa": "pt",
    "registrar": "pt",
    "receita": "pt",
}


def command_language(fold: str) -> str | None:
    """Return the language of the slash command the folded text starts with ("/help" -> "en"),
    or None when there is none or its word belongs to no one language."""
    m = _COMMAND_RE.match(fold)
    return None if m is None else _COMMAND_LANGUAGE.get(m.group("cmd"))


def command_intent(fold: str) -> str | None:
    """Return the intent of a slash command ("start", "help", "undo", "record" for "/add"-like
    commands whose text is then read, or "unknown_command"), or None when the folded text does
    not start with one."""
    m = _COMMAND_RE.match(fold)
    if m is None:
        return None
    return _COMMANDS.get(m.group("cmd"), "unknown_command")


def phrase_intent(fold: str) -> str | None:
    """Return "undo" or "help" when the whole folded message is such a request, "query" when it
    asks about the ledger rather than telling a transaction, else None."""
    text = fold.strip()
    if _QUERY_RE.match(text):
        return "query"
    if len(fold) > 80:
        return None
    text = _SPACES_RE.sub(" ", _NOT_WORD_RE.sub(" ", fold)).strip()
    if _UNDO_RE.match(text):
        return "undo"
    if _HELP_RE.match(text):
        return "help"
    return None
