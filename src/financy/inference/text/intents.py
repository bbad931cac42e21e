"""Messages that are not transactions: commands, confirmations, small talk, category corrections.

Slash commands ("/desfazer", "/undo@financy_bot") are recognised anywhere they start the message.
Plain-word commands ("desfazer", "apaga o último", "undo", "delete last", "ajuda", "help") must be
the whole message, so "ajuda com o aluguel 500" is still a transaction.

The other cues must be the whole message too, so a line with an amount stays a transaction:

* :func:`chat_intent`: "confirm" for "sim", "isso mesmo", "pode", "ok", "yes", "correct", "👍"
  (with "por favor"/"obrigado" after a confirming word); "small_talk" for greetings, thanks and
  politeness ("oi", "bom dia", "obrigado", "tudo bem?", "hi", "thank you"), laughter ("kkkk",
  "haha") and messages of emoji only ("😀", "🍕🍕🍕"), except a thumbs up, which confirms.
* :func:`correction`: the target of a category change, after a change cue: strong cues ("muda pra
  X", "categoria: X", "change it to X", "category X", "should be X") take any word, so an unknown
  one is asked about; weak cues ("era X", "isso foi X", "não, foi X", "that was X") only count
  when X names a category (the reader checks), since "isso foi caro" is no correction.
* :func:`chatter_spans`: a greeting before a transaction ("oi, gastei 20 no bar") or thanks after
  it ("..., obrigado!"), so neither becomes the merchant or the description.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

__all__ = [
    "ContextRequest",
    "Correction",
    "chat_intent",
    "chatter_spans",
    "command_argument",
    "command_intent",
    "command_language",
    "command_mention",
    "context_request",
    "correction",
    "invite_code",
    "link_code",
    "phrase_intent",
    "plain",
    "request_language",
    "start_payload",
]

_COMMAND_RE: Final = re.compile(r"^\s*/(?P<cmd>[a-z_]+)(?P<bot>@\w+)?(?:\s|$)")
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
    # the chat's ledgers: list them, or switch to the one named after the command
    "contexto": "contexts",
    "contextos": "contexts",
    "context": "contexts",
    "contexts": "contexts",
    "ledger": "contexts",
    "ledgers": "contexts",
    # this month by category
    "resumo": "summary",
    "summary": "summary",
    # the list of categories; with a category after it, a category change ("/categoria saúde")
    "categoria": "categories",
    "categorias": "categories",
    "category": "categories",
    "categories": "categories",
    # "I paid" the transaction the bot asked "who paid?" about
    "eu": "claim_payer",
    "me": "claim_payer",
    "paguei": "claim_payer",
    # the confirmation under "link this chat to account X?": "/vincular K7QM-2XPD"
    "vincular": "link_confirm",
    "link": "link_confirm",
    # shared ledgers: invite into the chat's ledger, accept an invitation, back to one's own ledger
    "convidar": "invite",
    "convite": "invite",
    "invite": "invite",
    "entrar": "join",
    "join": "join",
    "pessoal": "personal",
    "personal": "personal",
    # the ledger's subscriptions and recurring payments
    "assinaturas": "subscriptions",
    "assinatura": "subscriptions",
    "recorrentes": "subscriptions",
    "subscriptions": "subscriptions",
    "subscription": "subscriptions",
    "recurring": "subscriptions",
    # credit cards: set one up ("/cartao Nubank fecha 5 vence 12"), and its bills ("/fatura")
    "cartao": "card",
    "cartoes": "card",
    "card": "card",
    "cards": "card",
    "fatura": "card_bill",
    "faturas": "card_bill",
    "bill": "card_bill",
    "cardbill": "card_bill",
    "card_bill": "card_bill",
}
# Commands that read the rest of the message as a transaction when there is one ("/paguei 50
# mercado"), and mean their own intent when alone ("/paguei": I paid).
_RECORD_WITH_TEXT: Final = frozenset({"paguei"})

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
    "contexto": "pt",
    "contextos": "pt",
    "context": "en",
    "contexts": "en",
    "ledger": "en",
    "ledgers": "en",
    "resumo": "pt",
    "summary": "en",
    "categoria": "pt",
    "categorias": "pt",
    "category": "en",
    "categories": "en",
    "eu": "pt",
    "me": "en",
    "paguei": "pt",
    "vincular": "pt",
    "link": "en",
    "convidar": "pt",
    "convite": "pt",
    "invite": "en",
    "entrar": "pt",
    "join": "en",
    "pessoal": "pt",
    "personal": "en",
    "assinaturas": "pt",
    "assinatura": "pt",
    "recorrentes": "pt",
    "subscriptions": "en",
    "subscription": "en",
    "recurring": "en",
    "cartao": "pt",
    "cartoes": "pt",
    "card": "en",
    "cards": "en",
    "fatura": "pt",
    "faturas": "pt",
    "bill": "en",
    "cardbill": "en",
    "card_bill": "en",
}


def command_language(fold: str) -> str | None:
    """Return the language of the slash command the folded text starts with ("/help" -> "en"),
    or None when there is none or its word belongs to no one language."""
    m = _COMMAND_RE.match(fold)
    return None if m is None else _COMMAND_LANGUAGE.get(m.group("cmd"))


def command_mention(fold: str) -> tuple[int, int] | None:
    """Return the characters of the bot's name after a slash command ("/start@financy_bot"), a
    name in no language, or None."""
    m = _COMMAND_RE.match(fold)
    return None if m is None or m.group("bot") is None else m.span("bot")


def command_intent(fold: str) -> str | None:
    """Return the intent of a slash command ("start", "help", "undo", "record" for "/add"-like
    commands whose text is then read, or "unknown_command"), or None when the folded text does
    not start with one."""
    m = _COMMAND_RE.match(fold)
    if m is None:
        return None
    command = m.group("cmd")
    if command in _RECORD_WITH_TEXT and fold[m.end() :].strip():
        return "record"
    return _COMMANDS.get(command, "unknown_command")


def command_argument(fold: str) -> tuple[int, int] | None:
    """Return the characters ``[start, end)`` of what follows the slash command the folded text
    starts with, without surrounding blanks ("/contexto 2" -> the "2"), or None when there is no
    command or nothing after it."""
    m = _COMMAND_RE.match(fold)
    if m is None:
        return None
    start, end = m.end(), len(fold)
    while start < end and fold[start].isspace():
        start += 1
    while end > start and fold[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def phrase_intent(fold: str) -> str | None:
    """Return "undo", "help", "summary" ("resumo do mês", "monthly summary") or "claim_payer"
    ("fui eu", "eu paguei", "i paid", "it was me") when the whole folded message is such a
    request, "query" when it asks about the ledger rather than telling a transaction, else None."""
    if len(fold) <= 80:
        text = _words_only(fold)
        if _UNDO_RE.match(text):
            return "undo"
        if _HELP_RE.match(text):  # before questions: "what can you do" asks for help
            return "help"
        if _SUMMARY_RE.match(text):  # before questions: "show me my summary" is no query
            return "summary"
        if _CLAIM_RE.match(text):
            return "claim_payer"
    if _QUERY_RE.match(fold.strip()):
        return "query"
    return None


def _words_only(fold: str) -> str:
    """The folded text's words and digits, one space between them."""
    return _SPACES_RE.sub(" ", _NOT_WORD_RE.sub(" ", fold)).strip()


# --- the chat's ledgers, the month's summary, "I paid", link codes ------------------------------

_SUMMARY_RE: Final = re.compile(
    r"^(?:(?:(?:me |por favor )?(?:mostra|mostre|manda|mande|envia|envie|ver|veja|quero|quero ver|qual|cade)"
    r"(?: (?:o|meu|a|um))? )?(?:meu |o )?resumo"
    r"(?: (?:do mes|deste mes|desse mes|este mes|esse mes|mes|mensal|do mes atual|por categoria|dos gastos"
    r"|de gastos|do mes por categoria))?"
    r"|(?:(?:show|send|give|get)(?: me)?(?: (?:the|my|a))? )?(?:my |the )?"
    r"(?:monthly |month s |this month s |months |month )?summary"
    r"(?: (?:for this month|of this month|this month|by category|for the month|of the month))?"
    r")(?: (?:por favor|pfv|pf|please|pls))?$"
)
_CLAIM_RE: Final = re.compile(
    r"^(?:(?:sim|ah|opa|ops|oi|yes|oh|hey) )?(?:"
    r"eu|fui eu|foi eu|eu mesmo|eu mesma|fui eu mesmo|fui eu mesma|eu paguei|paguei eu|eu que paguei"
    r"|fui eu que paguei|quem pagou fui eu|quem pagou foi eu|eu quem paguei|fui eu quem pagou"
    r"|me|it was me|that was me|was me|i paid|i paid it|i paid for it|i paid for that|i paid this"
    r"|i paid that|me i paid|i did|i did it"
    r")(?: (?:por favor|pfv|pf|please|pls))?$"
)
_ENGLISH_REQUEST_RE: Final = re.compile(
    r"\b(?:me|it|that|was|i|paid|did|yes|hey|oh|please|pls|summary|monthly|month|show|send|give|get|my|the)\b"
)
_PORTUGUESE_REQUEST_RE: Final = re.compile(r"\b(?:resumo|eu|fui|foi|paguei|mostra|mostre|meu|mes)\b")
_CONTEXT_RE: Final = re.compile(
    r"^(?:(?:(?:quero |vamos |por favor )?(?:trocar|troca|troque|mudar|muda|mude|alternar|alterna|alterne"
    r"|escolher|escolhe|escolha|usar|usa|use|ver|veja|mostra|mostre|listar|lista|liste)"
    r"(?: (?:de|o|os|meu|meus|para|pra|pro|p))* )?(?:(?:meus|meu|os|o) )?"
    r"(?:contexto|contextos|livro de contas|livros de contas)"
    r"|(?:(?:please )?(?:switch|change|select|choose|use|show|list)(?: (?:the|my|to|me))* )?(?:(?:my|the) )?"
    r"(?:context|contexts|ledger|ledgers)"
    r")(?: (?:para|pra|pro|numero|n|to|number|no))*(?: (?P<choice>[1-9][0-9]?))?$"
)
_CONTEXT_LANGUAGE_RE: Final = re.compile(r"\b(?:context|contexts|ledger|ledgers)\b")


@dataclass(frozen=True, slots=True)
class ContextRequest:
    """A whole message asking for the chat's ledgers ("trocar contexto", "switch ledger"), or to
    switch to the one numbered ``choice`` ("contexto 2"; None: list them); ``language`` is the
    language of the message's words."""

    choice: str | None
    language: str


def context_request(fold: str) -> ContextRequest | None:
    """Return the ledger request the whole folded message is ("contextos", "trocar contexto 2",
    "my ledgers"), or None."""
    if len(fold) > 80:
        return None
    m = _CONTEXT_RE.match(_words_only(fold))
    if m is None:
        return None
    language = "en" if _CONTEXT_LANGUAGE_RE.search(m.group()) else "pt"
    return ContextRequest(m.group("choice"), language)


def request_language(fold: str) -> str:
    """Return the language of a "summary" or "claim_payer" phrase ("fui eu", "resumo do mês":
    "pt"; "it was me", "monthly summary": "en"). "me" is English: "/me", "me!"."""
    text = _words_only(fold)
    if _PORTUGUESE_REQUEST_RE.search(text):
        return "pt"
    return "en" if _ENGLISH_REQUEST_RE.search(text) else "pt"


# Crockford's base32 (digits and letters but I, L, O, U), plus I, L and O, which people type for
# 1, 1 and 0 (the core reads them so): four characters, an optional dash or space, four more.
_CODE_CHAR: Final = "[0-9A-TV-Za-tv-z]"
_LINK_CODE_RE: Final = re.compile(
    rf"^\s*(?:(?P<cue>(?:(?:o |meu |my |the )?(?:codigo|code|link)(?: (?:e|eh|is|de acesso))?)\s*:?\s+))?"
    rf"(?P<code>(?P<a>{_CODE_CHAR}{{4}})(?P<sep>[- ]?)(?P<b>{_CODE_CHAR}{{4}}))\s*$"
)
_START_PAYLOAD_RE: Final = re.compile(r"^[0-9A-Za-z_-]{4,32}$")
_LETTERS_RE: Final = re.compile(r"[a-z]", re.IGNORECASE)
_DIGITS_RE: Final = re.compile(r"[0-9]")
_RUN_RE: Final = re.compile(r"[0-9]+|[a-z]+", re.IGNORECASE)


def link_code(clean: str, fold: str) -> tuple[int, int] | None:
    """Return the characters ``[start, end)`` of the link code the whole message is ("K7QM-2XPD",
    "k7qm2xpd", "código: K7QM-2XPD"), or None.

    ``clean`` is the message with its case (an upper-case "ABCD-EFGH" is a code, "reco-reco" is
    not) and ``fold`` the same text folded (same length). To keep ordinary words and numbers out,
    a code must hold a letter and: with a dash, a digit too, or be typed in capitals; with a space,
    letters and digits in at least one half ("room 1204", "taxi 1500" are no codes); with
    nothing between, at least three runs of letters or digits ("k7qm2xpd"; "padaria1" and
    "uber2345" are no codes). After a cue ("código:", "my code is") any eight such characters do.
    """
    m = _LINK_CODE_RE.match(fold)
    if m is None:
        return None
    start, end = m.span("code")
    code, sep = clean[start:end], m.group("sep")
    halves = (m.group("a"), m.group("b"))
    has_letter, has_digit = _LETTERS_RE.search(code) is not None, _DIGITS_RE.search(code) is not None
    if m.group("cue") is not None:
        sure = True
    elif not has_letter:
        sure = False
    elif sep == "-":
        sure = has_digit or code.upper() == code
    elif sep == " ":
        sure = any(_LETTERS_RE.search(h) and _DIGITS_RE.search(h) for h in halves)
    else:
        sure = len(_RUN_RE.findall(code)) >= 3
    return (start, end) if sure else None


_INVITE_ALPHABET: Final = frozenset("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
_INVITE_READ_AS: Final = str.maketrans({"O": "0", "I": "1", "L": "1"})
#: Symbols in an invitation code (a link code has 8).
INVITE_CODE_LENGTH: Final = 10


def invite_code(clean: str) -> bool:
    """True when ``clean`` (what follows "/start", say) is one word that reads as an invitation
    code: 10 symbols of Crockford's base32 once dashes are dropped ("K7QM2-XPD9A"); a link code
    has 8, and words with blanks between them ("hello there") are none."""
    if not start_payload(clean):
        return False
    code = clean.upper().replace("-", "").translate(_INVITE_READ_AS)
    return len(code) == INVITE_CODE_LENGTH and all(c in _INVITE_ALPHABET for c in code)


def start_payload(clean: str) -> bool:
    """True when ``clean`` (what follows "/start") is one word a deep link can carry (4 to 32
    letters, digits, "-" or "_"): a link code, perhaps mistyped, for the core to check."""
    return _START_PAYLOAD_RE.match(clean) is not None


# --- plain text -------------------------------------------------------------------------------

_PLAIN_RE: Final = re.compile(r"[\W_]")


def plain(fold: str) -> str:
    """Return the folded text with every character that is not a letter or digit made a space
    (same length, so spans line up with the reader's other views)."""
    return _PLAIN_RE.sub(" ", fold)


def _alternation(phrases: dict[str, str | None] | frozenset[str]) -> str:
    return "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in sorted(phrases, key=len, reverse=True))


# --- confirmations and small talk -------------------------------------------------------------

# phrase -> the language it settles ("pt"/"en"), or None when it is used in both.
_CONFIRM_PHRASES: Final[dict[str, str | None]] = {
    **dict.fromkeys(
        (
            "sim",
            "sim sim",
            "s",
            "ss",
            "isso",
            "isso mesmo",
            "isso ai",
            "e isso",
            "e isso mesmo",
            "exato",
            "exatamente",
            "certo",
            "certinho",
            "correto",
            "ta certo",
            "esta certo",
            "esta correto",
            "pode",
            "pode sim",
            "pode ser",
            "pode confirmar",
            "pode registrar",
            "pode lancar",
            "pode salvar",
            "pode anotar",
            "confirma",
            "confirmo",
            "confirmado",
            "confirmar",
            "beleza",
            "blz",
            "fechado",
            "perfeito",
            "claro",
            "com certeza",
            "positivo",
            "uhum",
            "aham",
            "manda ver",
            "salva",
            "registra",
            "anota",
        ),
        "pt",
    ),
    **dict.fromkeys(
        (
            "yes",
            "yep",
            "yeah",
            "yup",
            "ya",
            "y",
            "correct",
            "right",
            "that s right",
            "thats right",
            "that s correct",
            "confirm",
            "confirmed",
            "sure",
            "of course",
            "exactly",
            "go ahead",
            "do it",
            "sounds good",
            "looks good",
            "affirmative",
            "yes please",
            "save it",
            "record it",
            "log it",
            "add it",
        ),
        "en",
    ),
    **dict.fromkeys(("ok", "okay", "okey", "ok ok", "perfect"), None),
}
_POLITE: Final[dict[str, str | None]] = {
    **dict.fromkeys(
        ("por favor", "pf", "pfv", "obrigado", "obrigada", "valeu", "vlw", "obg", "muito obrigado"), "pt"
    ),
    **dict.fromkeys(("please", "pls", "plz", "thanks", "thank you", "thx", "ty"), "en"),
}
_SMALL_TALK_PHRASES: Final[dict[str, str | None]] = {
    **dict.fromkeys(
        (
            "oi",
            "oie",
            "oii",
            "oiii",
            "ola",
            "opa",
            "e ai",
            "eai",
            "eae",
            "bom dia",
            "boa tarde",
            "boa noite",
            "tudo bem",
            "tudo bom",
            "tudo certo",
            "tudo joia",
            "tudo tranquilo",
            "como vai",
            "como voce esta",
            "como vai voce",
            "como esta",
            "obrigado",
            "obrigada",
            "obg",
            "obrigadao",
            "brigado",
            "brigada",
            "valeu",
            "vlw",
            "agradeco",
            "de nada",
            "tchau",
            "ate mais",
            "ate logo",
            "ate amanha",
            "falou",
            "flw",
            "abraco",
            "abracos",
            "bjs",
            "beijos",
            "legal",
            "massa",
            "otimo",
            "boa",
            "show de bola",
            "maravilha",
            "que bom",
            "bom saber",
            "tranquilo",
            "rs",
            "tmj",
            "top",
            "show",
            "obrigadinho",
            "obrigadinha",
        ),
        "pt",
    ),
    **dict.fromkeys(
        (
            "hi",
            "hey",
            "hello",
            "hiya",
            "howdy",
            "yo",
            "good morning",
            "good afternoon",
            "good evening",
            "good night",
            "morning",
            "thanks",
            "thank you",
            "thank u",
            "thx",
            "ty",
            "tysm",
            "cheers",
            "bye",
            "goodbye",
            "see you",
            "see ya",
            "how are you",
            "how are u",
            "how s it going",
            "how is it going",
            "whats up",
            "what s up",
            "sup",
            "lol",
            "lmao",
            "nice",
            "great",
            "cool",
            "awesome",
            "no problem",
            "np",
            "you re welcome",
            "have a nice day",
            "have a good day",
            "you re awesome",
            "you are awesome",
            "you re the best",
            "you rock",
            "good job",
            "well done",
        ),
        "en",
    ),
}
# words that may come with small talk without making it anything else ("oi bot", "thanks again")
_FILLERS: Final = frozenset(
    {
        "bot",
        "financy",
        "pessoal",
        "amigo",
        "amiga",
        "cara",
        "mano",
        "there",
        "again",
        "muito",
        "mesmo",
        "so",
        "very",
        "much",
        "a",
        "lot",
        "you",
        "voce",
        "vc",
        "tambem",
        "too",
        "e",
        "and",
        "pra",
        "para",
        "to",
        "de",
        "novo",
        "hein",
        "ne",
        "ai",
        "viu",
        "guys",
        "all",
        "everyone",
        "todos",
        "folks",
    }
)
_LAUGH: Final = r"k{2,}|(?:ha){2,}h?|(?:he){2,}h?|(?:hi){2,}|(?:rs){2,}|lo+l|lmao|kkk+"
_EMOTICON_RE: Final = re.compile(r"(?<!\S)(?:[:;=x]-?[)(dp\]\[/|*]+|<3+|\^\^|\^_\^|o/|\\o/?)(?!\S)")
_CONFIRM_EMOJI: Final = frozenset("👍👌✅✔☑🆗")
_EMOJI_PARTS: Final = frozenset("\ufe0f\u200d\u20e3")  # variation selector, joiner, keycap

_CONFIRM_WORDS_RE: Final = re.compile(
    rf"^\s*(?:(?:{_alternation(_CONFIRM_PHRASES)})\s+)*(?:{_alternation(_CONFIRM_PHRASES)})"
    rf"(?:\s+(?:{_alternation(_POLITE)}))*\s*$"
)
_CHAT_TOKEN_RE: Final = re.compile(
    rf"(?:{_alternation(_SMALL_TALK_PHRASES)}|{_LAUGH}|{_alternation(_FILLERS)})(?=\s|$)"
)
_CHAT_PHRASE_RE: Final = re.compile(rf"\b(?:{_alternation(_SMALL_TALK_PHRASES)}|{_LAUGH})\b")
_PHRASE_LANGUAGE_RE: Final = re.compile(
    rf"\b(?:{_alternation({**_CONFIRM_PHRASES, **_POLITE, **_SMALL_TALK_PHRASES})})\b"
)
_PHRASE_LANGUAGES: Final = {
    re.sub(r"\s+", " ", p): lang for p, lang in {**_CONFIRM_PHRASES, **_POLITE, **_SMALL_TALK_PHRASES}.items()
}


def _is_emoji(char: str) -> bool:
    return unicodedata.category(char) in {"So", "Sk", "Cs"} or char in _EMOJI_PARTS


def _only_chat(text: str) -> bool:
    """True if ``text`` (plain, non-empty) is small-talk phrases and fillers only, one at least."""
    at = 0
    text = text.strip()
    while at < len(text):
        m = _CHAT_TOKEN_RE.match(text, at)
        if m is None:
            return False
        at = m.end()
        while at < len(text) and text[at] == " ":
            at += 1
    return _CHAT_PHRASE_RE.search(text) is not None


def _phrase_language(text: str) -> str | None:
    """The language the chat phrases of ``text`` settle, or None when they settle none."""
    found = {
        _PHRASE_LANGUAGES.get(re.sub(r"\s+", " ", m.group())) for m in _PHRASE_LANGUAGE_RE.finditer(text)
    } - {None}
    return found.pop() if len(found) == 1 else None


def chat_intent(fold: str) -> tuple[str, str | None] | None:
    """Return ("confirm" or "small_talk", the language its words settle or None) when the whole
    folded message is a confirmation or small talk, else None. Digits make it neither."""
    if any(c.isdigit() for c in fold):
        return None
    text = _EMOTICON_RE.sub(" ", fold)
    emoji = {c for c in text if _is_emoji(c)}
    words = plain(text)
    if not words.strip():
        # skin tones (category Sk) and joiners only modify the emoji they follow
        shown = {c for c in emoji if c not in _EMOJI_PARTS and unicodedata.category(c) != "Sk"}
        if shown and shown <= _CONFIRM_EMOJI:
            return "confirm", None
        if emoji or text != fold:  # any other emoji, or an emoticon such as ":)"
            return "small_talk", None
        return None
    if any(not (c.isspace() or c.isalnum() or _is_emoji(c) or c in ",.!?;:-~…'’\"()*") for c in text):
        return None
    if _CONFIRM_WORDS_RE.match(words):
        return "confirm", _phrase_language(words)
    if _only_chat(words):
        return "small_talk", _phrase_language(words)
    return None


# --- greetings and thanks around a transaction --------------------------------------------------

_GREETING_RE: Final = re.compile(
    rf"^\s*(?:(?:{_alternation(_SMALL_TALK_PHRASES)}|{_LAUGH})[\s,!.]*)+(?=[,!.;\n]|\s+(?:gastei|paguei|comprei"
    r"|recebi|ganhei|transferi|spent|paid|bought|received|got)\b)"
)
_THANKS_RE: Final = re.compile(
    rf"(?<=[,!.;\n])\s*(?:(?:{_alternation(_SMALL_TALK_PHRASES)}|{_alternation(_FILLERS)}|{_LAUGH})[\s,!.]*)+$"
)


def chatter_spans(fold: str) -> list[tuple[int, int]]:
    """Return the character spans of a greeting opening a transaction ("oi, gastei 20") and of
    thanks closing it ("..., obrigado!")."""
    spans: list[tuple[int, int]] = []
    head = _GREETING_RE.match(fold)
    if head is not None and head.end() > head.start():
        spans.append(head.span())
    tail = _THANKS_RE.search(fold)
    if tail is not None and _CHAT_PHRASE_RE.search(fold, tail.start()) is not None:
        spans.append(tail.span())
    return spans


# --- category corrections ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Correction:
    """A category change: the target words are characters ``[start, end)``; ``strong`` when the
    cue leaves no doubt it is a change ("muda pra", "categoria:"), so an unknown word is asked
    about rather than ignored. After a weak cue ("era", "that was") every target word must belong
    to the category's name ("isso foi caro" and "era o joão" are no corrections)."""

    start: int
    end: int
    strong: bool


_LEAD: Final = (
    r"^\s*(?:(?:nao|no|nope|ops|opa|oops|errei|ah|eh|hmm|desculpa|desculpe|sorry|na\s+verdade|na\s+real"
    r"|actually|wait|pera|espera|ok|okay|sim|yes|oi|hey)\s+)*"
)
_TARGET: Final = r"(?P<x>[a-z]+(?:\s+[a-z]+){0,4}?)"
_POLITE_END: Final = rf"(?:\s+(?:{_alternation(_POLITE)}))*\s*$"
_PT_CHANGE: Final = (
    r"(?:muda|mude|mudar|troca|troque|trocar|altera|altere|alterar|corrige|corrija|corrigir|coloca|coloque"
    r"|colocar|poe|ponha|bota|botar|move|mova|mover|passa|passe|joga|categoriza|categorize|classifica"
    r"|classifique|reclassifica|reclassifique|marca|marque)"
)
_PT_OBJECT: Final = (
    r"(?:\s+(?:isso|isto|ele|ela|esse|essa|este|esta|o|a|ultimo|ultima|gasto|lancamento|registro|transacao"
    r"|despesa|de|da|do|categoria|pra\s+mim|por\s+favor))*"
)
_EN_CHANGE: Final = (
    r"(?:change|switch|move|put|recategorize|recategorise|categorize|categorise|reclassify|file|tag|mark"
    r"|set|make)"
)
_EN_OBJECT: Final = (
    r"(?:\s+(?:it|that|this|the|last|one|entry|expense|transaction|category|its|it\s+s|please))*"
)
_STRONG_RES: Final = (
    re.compile(
        rf"{_LEAD}{_PT_CHANGE}{_PT_OBJECT}\s+(?:pra|para|pro|p|em|como|na|no)(?:\s+(?:a|o|categoria))*\s+"
        rf"{_TARGET}{_POLITE_END}"
    ),
    re.compile(
        rf"{_LEAD}(?:a\s+)?categoria(?:\s+(?:e|eh|era|vai\s+ser|deve\s+ser|pra|para))?\s+{_TARGET}{_POLITE_END}"
    ),
    re.compile(
        rf"{_LEAD}{_EN_CHANGE}{_EN_OBJECT}\s+(?:to|as|into|under|in|on)(?:\s+(?:the|category))*\s+"
        rf"{_TARGET}{_POLITE_END}"
    ),
    re.compile(rf"{_LEAD}(?:make|mark|tag)\s+(?:it|that|this)\s+{_TARGET}{_POLITE_END}"),
    re.compile(rf"{_LEAD}(?:the\s+)?category(?:\s+(?:is|should\s+be|to|was))?\s+{_TARGET}{_POLITE_END}"),
    re.compile(
        rf"{_LEAD}(?:(?:isso|isto|it|that|this)\s+)?(?:deveria\s+ser|devia\s+ser|era\s+pra\s+ser"
        rf"|era\s+para\s+ser|e\s+pra\s+ser|should\s+be|should\s+have\s+been)(?:\s+(?:de|do|da|em|a|o|the|in))*\s+"
        rf"{_TARGET}{_POLITE_END}"
    ),
)
# weak cues: at most three words after them, all of which must name the category (the reader checks)
_WEAK_TARGET: Final = r"(?P<x>[a-z]+(?:\s+[a-z]+){0,2}?)"
_WEAK_RES: Final = (
    re.compile(
        rf"{_LEAD}(?:(?:isso|isto|esse|essa|este|esta|ele|ela|o\s+ultimo|a\s+ultima)\s+)?(?:foi|era|e|eh)"
        rf"(?:\s+(?:de|do|da|com|no|na|em|um|uma|o|a|pra|para))*\s+{_WEAK_TARGET}{_POLITE_END}"
    ),
    re.compile(
        rf"{_LEAD}(?:that|it|this|the\s+last\s+one|that\s+one)\s+(?:was|is|s|were)"
        rf"(?:\s+(?:for|at|on|a|an|the|in))*\s+{_WEAK_TARGET}{_POLITE_END}"
    ),
)


_NEGATION_RE: Final = re.compile(r"^\s*(?:nao|not|no|instead\s+of|em\s+vez\s+de|ao\s+inves\s+de)\b")
_TRAILING_NEGATION_RE: Final = re.compile(r"\s+(?:nao|not|instead\s+of|em\s+vez\s+de)(?:\s+[a-z]+){1,2}\s*$")
_CLAUSE_RE: Final = re.compile(r"[,;]")


def _without_contrast(fold: str) -> str:
    """Return :func:`plain` of ``fold`` with a negated clause blanked: "era presente, não compras"
    and "não é mercado, é pet" keep the clause that names the new category; "that was travel not
    food" loses its tail."""
    text = plain(fold)
    cuts = [m.start() for m in _CLAUSE_RE.finditer(fold)]
    if len(cuts) == 1:
        cut = cuts[0]
        first, second = text[:cut], text[cut + 1 :]
        if _NEGATION_RE.match(second) and not _NEGATION_RE.match(first):
            return first + " " * (len(text) - cut)
        if _NEGATION_RE.match(first) and not _NEGATION_RE.match(second):
            return " " * (cut + 1) + second
    tail = _TRAILING_NEGATION_RE.search(text)
    if tail is not None:
        return text[: tail.start()] + " " * (len(text) - tail.start())
    return text


def correction(fold: str) -> Correction | None:
    """Return the category change the whole folded message asks for, or None."""
    if len(fold) > 80:
        return None
    text = _without_contrast(fold)
    for strong, regexes in ((True, _STRONG_RES), (False, _WEAK_RES)):
        for regex in regexes:
            m = regex.match(text)
            if m is not None:
                start, end = m.span("x")
                return Correction(start, end, strong)
    return None
