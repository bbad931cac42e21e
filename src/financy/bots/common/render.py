"""Render the core's replies as chat text and buttons in the user's language (pt-BR or English).

Amounts are formatted by babel with CLDR currency patterns (e.g. ``R$ 45,90`` in pt-BR,
``$12.00`` in en-US); dates as ``dd/mm`` (pt) or ``mm/dd`` (en). :func:`render` adds the buttons:
undo under a recorded transaction with one "change category" button per category guess and "➕
Categorias", confirm under a confirm request, "🔗 Vincular" under a link confirmation, "🙋 Fui eu"
under a "who paid?"; each button's value
is the message the text reader understands. Every :class:`ReplyKind` has a text in both
languages, also when its optional body (``contexts``, ``summary``) is missing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from babel.numbers import format_currency, format_decimal

from financy.bots.common.render_cards import render_cards
from financy.bots.common.render_cost_sharing import KINDS as COST_SHARING_KINDS
from financy.bots.common.render_cost_sharing import render_cost_sharing
from financy.bots.common.render_imports import IMPORT_KINDS, statement_import_text
from financy.bots.common.render_recurring import render_recurring
from financy.bots.common.render_search import render_search
from financy.bots.common.reply import Button, ButtonAction, Reply
from financy.core.contracts.categories import CATEGORY_DISPLAY
from financy.core.contracts.categories import LANGUAGES as CATEGORY_LANGUAGES
from financy.core.contracts.v1 import (
    BudgetAlertV1,
    BudgetStatusV1,
    ContextChoice,
    QueryAnswer,
    RecordedTransaction,
    ReplyKind,
    ReplyV1,
    SummaryRow,
    SummaryV1,
    TransactionKind,
    UnvaluedTotal,
)

_LOCALES = {"pt": "pt_BR", "en": "en_US"}

#: The taxonomy's display names and the words a "change category" message names each category by
#: (words the text reader knows), per language: ``{"pt": {slug: ("Saúde", "saúde")}}``, read from
#: the one data file the core and the dashboard name categories from (``core.contracts.categories``).
CATEGORY_NAMES: dict[str, dict[str, tuple[str, str]]] = {
    language: {c.slug: (c.names[language], c.words[language]) for c in CATEGORY_DISPLAY}
    for language in CATEGORY_LANGUAGES
}

#: The emoji before a category's name in a summary ("🛒 Mercado: R$ 450,00 (12)").
CATEGORY_EMOJI: dict[str, str] = {
    "groceries": "🛒",
    "restaurants": "🍽️",
    "transport": "🚌",
    "fuel": "⛽",
    "housing": "🏠",
    "utilities": "💡",
    "health": "💊",
    "education": "🎓",
    "entertainment": "🎬",
    "shopping": "🛍️",
    "travel": "✈️",
    "subscriptions": "🔁",
    "personal_care": "💇",
    "pets": "🐾",
    "gifts_donations": "🎁",
    "taxes_fees": "🧾",
    "salary": "💼",
    "other_income": "💰",
    "transfer": "🔄",
    "other": "📦",
}

#: At most this many "🙋 Fui eu" buttons under a "who paid?" (one per transaction).
MAX_CLAIM_BUTTONS = 3

_STRINGS: dict[str, dict[str, str]] = {
    "pt": {
        "edge.offline": "Recebido — registro quando a conexão voltar.",
        "button.undo": "↩️ Desfazer",
        "button.undo.value": "/desfazer",
        "button.confirm": "✅ Sim",
        "button.confirm.value": "sim",
        "button.category": "🏷️ {name}",
        "button.category.value": "muda pra {word}",
        "recorded_hint": "Errado? /desfazer",
        "receipt_no_date": "📅 Sem data legível no recibo: registrei como hoje ({day}).",
        "category.guesses": '🤔 Qual categoria? Pode ser {names} (toque num botão ou diga "muda pra {word}").',
        "category.unsure": (
            "🤔 Não tenho certeza da categoria; se não for essa, pode ser {names} "
            '(toque num botão ou diga "muda pra {word}").'
        ),
        "category.or": " ou ",
        "undone": "↩️ Desfeito: {line}",
        "nothing_to_undo": "Não há nada para desfazer.",
        "welcome": (
            "Olá! Me conte seus gastos como numa conversa: “gastei 45,90 no mercado ontem”, "
            "“uber 23 e almoço 35”. /desfazer apaga o último. /ajuda mostra exemplos."
        ),
        "help": (
            "Exemplos: “gastei 45,90 no mercado ontem” · “uber 23 e almoço 35” · “recebi 3000 de salário” · "
            "“20 dólares no jantar” · “orçamento de 800 para mercado”. /desfazer apaga o último "
            "lançamento. /resumo mostra o mês, "
            "/categoria as categorias, /contexto seus livros de contas e /buscar farmácia procura "
            "lançamentos."
        ),
        "q.no_amount": "Não encontrei um valor nessa mensagem. Quanto foi? (ex.: “mercado 45,90”)",
        "q.ambiguous_amount": "Entendi mais de um valor possível. Qual foi o valor exato?",
        "q.empty": "Mensagem vazia. Me diga o gasto, ex.: “almoço 35”.",
        "q.unknown_currency": "Não conheço a moeda “{code}”. Pode escrever com o código ISO (ex.: USD, EUR)?",
        "q.not_understood": (
            "Não entendi. Guardei a mensagem; pode me dizer o valor e onde foi? (ex.: “uber 23”)"
        ),
        "q.not_text": (
            "Recebi, mas ainda não consigo ler esse tipo de mensagem. Guardei; pode escrever o gasto?"
        ),
        "q.query": (
            "Essa pergunta eu ainda não sei responder; guardei. Posso responder: “quanto gastei com "
            "mercado este mês?”, “qual meu saldo?”, “últimos gastos”, “onde mais gastei este mês?” "
            "— e /resumo mostra o mês por categoria."
        ),
        "q.too_long": (
            "Mensagem longa demais para eu ler. Guardei; pode mandar só o gasto? (ex.: “mercado 45,90”)"
        ),
        "q.too_many_items": "São valores demais numa mensagem só. Pode mandar em partes?",
        "q.unknown_command": "Não conheço esse comando. /ajuda mostra o que sei fazer.",
        "q.amount_out_of_range": "Esse valor parece grande demais. Pode confirmar o valor exato?",
        "q.ambiguous_date": "Não entendi a data. Quando foi? (ex.: “ontem”, “dia 5”, “5/11”)",
        "q.unknown_category": (
            "Não conheço essa categoria. Exemplos: mercado, alimentação, transporte, saúde, lazer."
        ),
        "q.unsupported_period": (
            "Respondo por hoje, ontem, esta semana, semana passada, este mês, mês passado e ano."
        ),
        "q.low_confidence": "Não tenho certeza. É isso? Responda “sim” para registrar.",
        "confirm_request": "🤔 Entendi assim:\n{lines}\nEstá certo? Responda “sim” para registrar.",
        "q.no_amount.item": "Quanto foi “{item}”? Responda só o valor (ex.: “45,90”) e eu registro.",
        "confirm_unusual": (
            "🤔 Isso é bem mais que o habitual {where} ({low} a {high}). Confirma {amount}?\n{lines}\n"
            "Responda “sim” para registrar."
        ),
        "unusual.merchant": "em “{name}”",
        "unusual.category": "em {name}",
        "nothing_to_confirm": "Não há nada esperando confirmação.",
        "recategorized": "🏷️ Categoria alterada: {line}",
        "nothing_to_recategorize": "Ainda não há lançamento para mudar a categoria.",
        "small_talk": "😊 Estou aqui! Me conte um gasto, ex.: “almoço 35”.",
        "not_a_member": (
            "🔒 Você não é membro do livro de contas desta conversa: não li nem registrei nada nele. "
            "Peça um convite a quem o administra."
        ),
        "forbidden": (
            "🔒 Neste livro de contas seu papel só permite ver os lançamentos; não registrei nada. "
            "Peça a quem o administra para mudar seu papel."
        ),
        "forbidden.group_ledger_fixed": (
            "🔒 Este grupo registra sempre no livro de contas do grupo. /contexto troca de livro só "
            "numa conversa privada comigo."
        ),
        "forbidden.amend": "🔒 Só quem mandou a mensagem pode corrigi-la editando.",
        "forbidden.manage_members": (
            "🔒 Só donos e administradores deste livro de contas convidam pessoas. Peça a um deles."
        ),
        "invitation_created": (
            "✉️ Convite para {name} como {role}: {code}\n"
            "Quem for entrar manda /entrar {code} numa conversa privada comigo (ou usa o link do painel). "
            "Vale uma vez, até {expires}."
        ),
        "invitation_created.bare": (
            "✉️ Convite criado. Quem for entrar manda /entrar CÓDIGO numa conversa privada comigo."
        ),
        "joined": (
            "🤝 Pronto! Você entrou em {name} como {role}. Esta conversa agora registra em {name}; "
            "/pessoal volta para o seu livro pessoal."
        ),
        "joined.bare": "🤝 Pronto! Você entrou no livro de contas; /pessoal volta para o seu livro pessoal.",
        "joined.viewer": (
            "🤝 Pronto! Você entrou em {name} como {role}: pode ver e perguntar (/resumo), mas não "
            "registrar lançamentos. /pessoal volta para o seu livro pessoal."
        ),
        "invitation.invitation_unknown": (
            "✉️ Não achei esse convite. Confira o código (10 letras e números) e mande /entrar CÓDIGO."
        ),
        "invitation.invitation_used": "✉️ Esse convite já foi usado. Peça um novo a quem convidou.",
        "invitation.invitation_expired": "✉️ Esse convite expirou. Peça um novo a quem convidou.",
        "invitation.invitation_revoked": "✉️ Esse convite foi cancelado. Peça um novo a quem convidou.",
        "invitation.invitation_private_only": (
            "✉️ Convites se aceitam numa conversa privada comigo, não num grupo: mande /entrar CÓDIGO lá."
        ),
        "invitation.invitation_role": (
            "✉️ Posso convidar como leitor, editor ou administrador, até o seu papel ({role}). "
            "Ex.: /convidar leitor"
        ),
        "invitation.invitation_role.bare": "✉️ Diga o papel: /convidar leitor, /convidar editor ou /convidar admin.",
        "invitation.invitation_archived": (
            "🗄️ Esse livro de contas está arquivado: não aceita novos membros. Desarquive-o no painel."
        ),
        "context_archived": (
            "🗄️ {name} está arquivado: não registrei nada. Desarquive-o no painel, ou /contexto para "
            "registrar em outro livro."
        ),
        "context_archived.bare": (
            "🗄️ Este livro de contas está arquivado: não registrei nada. /contexto troca de livro."
        ),
        "forbidden.not_a_person": (
            "🔒 Mensagens em nome de um canal ou de um administrador anônimo não desfazem nem mudam "
            "lançamentos. Mande pela sua própria conta."
        ),
        "answer_none": "Nenhum lançamento {what} {period}.",
        "answer": "💰 {what} {period}: {totals} ({count})",
        "answer.expense": "Gastos",
        "answer.income": "Receitas",
        "answer.transfer": "Transferências",
        "answer.with": "com {name}",
        "answer.count.one": "1 lançamento",
        "answer.count.many": "{n} lançamentos",
        "period.today": "hoje",
        "period.yesterday": "ontem",
        "period.this_week": "nesta semana",
        "period.last_week": "na semana passada",
        "period.this_month": "neste mês",
        "period.last_month": "no mês passado",
        "period.this_year": "neste ano",
        "period.last_year": "no ano passado",
        "period.all": "no total",
        "q.amount_too_small": "Esse valor é menor que um centavo. Qual foi o valor exato?",
        "heard": "🎙️ “{heard}”",
        "items.one": "🧾 1 item guardado",
        "items.many": "🧾 {n} itens guardados",
        "q.voice_no_amount": (
            "🎙️ Ouvi: “{heard}”. Não ouvi um valor — quanto foi? (responda só o valor, ex.: “8,50”)"
        ),
        "q.no_speech": (
            "🎙️ Não consegui ouvir um valor nesse áudio (não ouvi fala). Guardei; pode repetir "
            "ou escrever o gasto?"
        ),
        "q.file_too_large": (
            "📎 Esse arquivo é grande demais para mim (até 25 MB) e não o guardei. Pode mandar um "
            "menor, ou escrever o gasto?"
        ),
        "q.duplicate_media": (
            "📎 Você já me mandou esse mesmo arquivo; não registrei de novo. /desfazer apaga o primeiro."
        ),
        "q.audio": (
            "🎙️ Não consegui ouvir esse áudio: {why}. Guardei o arquivo; pode mandar de novo ou "
            "escrever o gasto?"
        ),
        "q.receipt_no_total": (
            "🧾 Li o recibo{merchant}, mas não achei o total. Quanto foi? (responda só o valor, ex.: “45,90”)"
        ),
        "q.receipt_not_a_receipt": (
            "🧾 Essa foto não parece um recibo. Guardei; pode mandar a foto do recibo ou escrever o gasto?"
        ),
        "q.receipt_no_text": (
            "🧾 Não consegui ler texto nessa foto. Guardei; pode mandar outra foto (mais perto, "
            "com luz) ou escrever o gasto?"
        ),
        "q.image": (
            "🖼️ Não consegui abrir essa imagem: {why}. Guardei o arquivo; pode mandar uma foto do "
            "recibo (JPG ou PNG)?"
        ),
        "q.media_failed": (
            "Não consegui ler esse arquivo. Guardei; pode escrever o gasto? (ex.: “mercado 45,90”)"
        ),
        "q.media_missing": "Perdi o acesso a esse arquivo. Pode mandar de novo?",
        "why.corrupt_audio": "o arquivo está corrompido",
        "why.empty_audio": "o arquivo está vazio",
        "why.too_long": "é longo demais (até {max_minutes} minutos)",
        "why.too_large": "o arquivo é grande demais (até 25 MB)",
        "why.unsupported_audio": "não conheço esse formato de áudio",
        "why.not_an_image": "não é uma imagem",
        "why.too_many_pixels": "a imagem é grande demais em pixels",
        "why.corrupt_image": "o arquivo está corrompido",
        "why.unreadable_pdf": "não consegui ler esse PDF",
        "why.empty": "o arquivo está vazio",
        "why.unknown": "formato que não conheço",
        "why.unsupported_language": "este servidor não reconhece fala nesse idioma",
        "button.more_categories": "➕ Categorias",
        "button.more_categories.value": "/categoria",
        "button.claim": "🙋 Fui eu",
        "button.claim.numbered": "🙋 Fui eu ({n})",
        "button.claim.value": "/eu",
        "type.personal": "pessoal",
        "type.family": "família",
        "type.project": "projeto",
        "type.travel": "viagem",
        "role.owner": "dono",
        "role.admin": "administrador",
        "role.editor": "editor",
        "role.viewer": "leitor",
        "contexts": "📒 Seus livros de contas:",
        "contexts.hint": "Troque com /contexto {n}",
        "contexts.fixed": (
            "Este grupo registra sempre no livro ✅; /contexto troca de livro numa conversa privada comigo."
        ),
        "contexts.none": "📒 Você ainda não tem livros de contas.",
        "context_switched": "🔀 Agora esta conversa registra em: {name} ({type}).",
        "context_switched.bare": "🔀 Livro de contas trocado.",
        "unknown_context": "❓ Não achei esse livro de contas. /contexto lista os seus.",
        "summary": "📊 Resumo de {name} · {period}",
        "summary.bare": "📊 Ainda não há resumo para mostrar.",
        "summary.none": "Nenhum lançamento neste período ainda.",
        "summary.expense": "Gastos: {totals}",
        "fx.ecb": "BCE",
        "fx.override": "cotação informada",
        "fx.missing": "sem cotação",
        "unvalued.one": "⚠️ {n} lançamento em {currency} sem cotação ({total}), fora do total",
        "unvalued.many": "⚠️ {n} lançamentos em {currency} sem cotação ({total}), fora do total",
        "summary.income": "Receitas: {totals}",
        "summary.left": " — restam {left} de {budget}",
        "summary.over": " — ⚠️ {over} acima do orçamento de {budget}",
        "summary.uncategorized": "Sem categoria",
        "summary.budgets": "🎯 Orçamentos:",
        "budget.ledger": "todos os gastos",
        "budget.set": "🎯 Orçamento de {amount} por mês para {subject}{rollover}.",
        "budget.replaced": "🎯 Orçamento de {subject} atualizado: {amount} por mês{rollover}.",
        "budget.rollover": " (o que sobrar ou faltar passa para o mês seguinte)",
        "budget.this_month": "Este mês: {line}",
        "budget.line": "{spent} de {available} ({percent}%) — restam {left}",
        "budget.line.over": "{spent} de {available} ({percent}%) — ⚠️ {over} acima",
        "budget.carried": " · {carried} vieram do mês anterior",
        "budget.unvalued.one": "1 lançamento sem cotação não entrou",
        "budget.unvalued.many": "{n} lançamentos sem cotação não entraram",
        "budget.status": "🎯 Orçamento · {month}",
        "budget.none": "🎯 Não há orçamento para {subject}. Defina com “orçamento de 800 para mercado”.",
        "budget.none.any": "🎯 Este livro ainda não tem orçamentos. Defina com “orçamento de 800 para mercado”.",
        "budget.alert.80": (
            "⚠️ {subject} já usou {percent}% do orçamento de {month}: {spent} de {available}, restam {left}."
        ),
        "budget.alert.100": "🚨 Orçamento de {subject} estourado em {month}: {spent} de {available} ({over} acima).",
        "budget.alert.100.exact": "🚨 Orçamento de {subject} esgotado em {month}: {spent} de {available}.",
        "q.budget_no_amount": "Qual o valor do orçamento? Ex.: “orçamento de 800 para mercado”.",
        "q.budget_amount": (
            "Um orçamento precisa ser um valor maior que zero, com no máximo os centavos da moeda "
            "(ex.: 800 ou 800,50)."
        ),
        "q.budget_currency": (
            "Os orçamentos ficam na moeda do livro, e “{code}” não é ela. Diga o valor sem moeda, ex.: "
            "“orçamento de 800 para mercado”."
        ),
        "q.budget_category": "Orçamento só vale para categorias de gastos. Ex.: “orçamento de 800 para mercado”.",
        "categories": "🏷️ Categorias: {names}.",
        "categories.hint": "Para mudar a do último lançamento: /categoria {word} ou “muda pra {word}”.",
        "who_paid": "🤷 Quem pagou?\n{lines}\nQuem pagou toca em “🙋 Fui eu” ou responde /eu.",
        "who_paid.bare": "🤷 Quem pagou? Quem pagou responde /eu.",
        "payer_set": "🙋 Anotado, você pagou:\n{lines}",
        "payer_set.bare": "🙋 Anotado, você pagou.",
        "nothing_to_claim": "Não há lançamento esperando saber quem pagou.",
        "linked": (
            "🔗 Pronto! Esta conversa está ligada à sua conta: os mesmos livros de contas aqui e no painel."
        ),
        "link.link_unknown": (
            "🔗 Não reconheci esse código. Confira e mande de novo, ou gere um novo no painel."
        ),
        "link.link_used": "🔗 Esse código já foi usado. Gere um novo no painel e mande aqui.",
        "link.link_expired": "🔗 Esse código expirou. Gere um novo no painel e mande aqui.",
        "link.link_private_only": (
            "🔒 Por segurança, mande o código numa conversa privada comigo, não no grupo. "
            "Este código não foi usado."
        ),
        "link.link_identity_taken": (
            "🔗 Esta conversa já pertence a outra conta, então não a vinculei. Para trazê-la para "
            "esta conta, desvincule-a primeiro na outra."
        ),
        "link_confirm": (
            "🔗 Vincular este chat à conta {account}? Os livros deste chat passarão a aparecer nessa "
            "conta. Se não foi você quem pediu, ignore."
        ),
        "link_confirm.bare": (
            "🔗 Vincular este chat a outra conta? Os livros deste chat passarão a aparecer nessa "
            "conta. Se não foi você quem pediu, ignore."
        ),
        "button.link": "🔗 Vincular",
        "button.link.value": "/vincular {code}",
        "group_bound": (
            "👋 Olá, grupo! Este grupo agora é o livro de contas compartilhado “{name}”: tudo que "
            "vocês escreverem aqui entra nele. Exemplos: “mercado 45,90”, “uber 23 e almoço 35”. "
            "/resumo mostra o mês; /desfazer apaga o último."
        ),
        "group_bound.bare": (
            "👋 Olá, grupo! Este grupo agora é um livro de contas compartilhado: tudo que vocês "
            "escreverem aqui entra nele. Exemplos: “mercado 45,90”, “uber 23 e almoço 35”. "
            "/resumo mostra o mês; /desfazer apaga o último."
        ),
        "group_unbound": "👋 Saí do grupo; o livro de contas “{name}” continua guardado.",
        "group_unbound.bare": "👋 Saí do grupo; o livro de contas continua guardado.",
        "chat_migrated": "🔁 O grupo mudou de endereço; o livro de contas veio junto.",
        "amended": "✏️ Atualizado: {line}",
        "amended.bare": "✏️ Atualizado.",
        "resend": (
            "📩 A plataforma não me entregou o conteúdo dessa mensagem. Guardei o aviso; pode mandar "
            "de novo como texto, áudio ou foto?"
        ),
        "duplicate": "📎 Você já me mandou isso; não registrei de novo.",
        "balance": "💰 Saldo {period}: {balance} (receitas {income} − gastos {expenses})",
        "balance.all": "Desde o início: {balance}",
        "balance.none": "💰 Ainda não há receitas nem gastos {period}.",
        "recent.all": "🧾 Últimos lançamentos",
        "recent.expense": "🧾 Últimos gastos",
        "recent.income": "🧾 Últimas receitas",
        "recent.transfer": "🧾 Últimas transferências",
        "recent.none": "🧾 Nenhum lançamento para mostrar {period}.",
        "top": "🏆 Onde mais foi dinheiro {period}:",
        "top.total": "Total: {totals}",
        "top.none": "🏆 Nenhum gasto {period} ainda.",
        "not_yet.bills": "📋 Ainda não acompanho contas a pagar nem vencimentos.",
        "not_yet.card_bill": "💳 Ainda não acompanho a fatura do cartão.",
        "not_yet.chart": "📊 Ainda não faço gráficos pelo chat.",
        "not_yet.budget": "🎯 Ainda não tenho orçamentos, então não registrei isso como gasto.",
        "not_yet.budget_set": (
            "🎯 Entendi um orçamento de {amount}{subject}, mas ainda não tenho orçamentos: não registrei "
            "isso como gasto."
        ),
        "not_yet.budget_for": " para {name}",
        "not_yet.other": "Isso eu ainda não faço.",
        "not_yet.hint": (
            "Posso responder: “quanto gastei com mercado este mês?”, “qual meu saldo?”, “últimos "
            "gastos”, “onde mais gastei este mês?” — e /resumo mostra o mês por categoria."
        ),
    },
    "en": {
        "edge.offline": "Received — I'll record it when the connection is back.",
        "button.undo": "↩️ Undo",
        "button.undo.value": "/undo",
        "button.confirm": "✅ Yes",
        "button.confirm.value": "yes",
        "button.category": "🏷️ {name}",
        "button.category.value": "change category to {word}",
        "recorded_hint": "Wrong? /undo",
        "receipt_no_date": "📅 No readable date on the receipt: recorded as today ({day}).",
        "category.guesses": '🤔 Which category? Maybe {names} (tap a button or say "change category to {word}").',
        "category.unsure": (
            "🤔 Not sure of the category; if it isn't that, maybe {names} "
            '(tap a button or say "change category to {word}").'
        ),
        "category.or": " or ",
        "undone": "↩️ Undone: {line}",
        "nothing_to_undo": "There is nothing to undo.",
        "welcome": (
            "Hi! Tell me what you spend as you would a friend: “paid $12 for lunch”, “uber 23 and coffee 5”. "
            "/undo removes the last one. /help shows examples."
        ),
        "help": (
            "Examples: “paid $12 for lunch yesterday” · “groceries 45.90” · “got paid 3000 salary” · "
            "“budget 500 for groceries”. "
            "/undo removes the last entry. /summary shows the month, /category the categories, "
            "/context your ledgers and /search pharmacy finds entries."
        ),
        "q.no_amount": "I couldn't find an amount in that message. How much was it? (e.g. “groceries 45.90”)",
        "q.ambiguous_amount": "I see more than one possible amount. What was the exact amount?",
        "q.empty": "That message was empty. Tell me the expense, e.g. “lunch 12”.",
        "q.unknown_currency": (
            "I don't know the currency “{code}”. Could you use its ISO code (e.g. USD, EUR)?"
        ),
        "q.not_understood": (
            "I didn't get that. I kept your message; how much was it and where? (e.g. “uber 23”)"
        ),
        "q.not_text": (
            "Got it, but I can't read this kind of message yet. I kept it; could you type the expense?"
        ),
        "q.query": (
            "I can't answer that question yet; I kept it. I can answer: “how much did I spend on "
            "groceries this month?”, “what's my balance?”, “last transactions”, “where did I spend "
            "the most this month?” — and /summary shows the month by category."
        ),
        "q.too_long": "That message is too long for me to read. I kept it; could you send just the expense?",
        "q.too_many_items": "That's too many amounts for one message. Could you send them in parts?",
        "q.unknown_command": "I don't know that command. /help shows what I can do.",
        "q.amount_out_of_range": "That amount looks too large. Could you confirm the exact amount?",
        "q.ambiguous_date": "I couldn't tell the date. When was it? (e.g. “yesterday”, “on the 5th”, “11/5”)",
        "q.unknown_category": (
            "I don't know that category. For example: groceries, restaurants, transport, health."
        ),
        "q.unsupported_period": (
            "I answer for today, yesterday, this or last week, this or last month, and the year."
        ),
        "q.low_confidence": "I'm not sure. Is that right? Reply “yes” to record it.",
        "confirm_request": "🤔 I read it as:\n{lines}\nIs that right? Reply “yes” to record it.",
        "q.no_amount.item": "How much was “{item}”? Reply with just the amount (e.g. “45.90”) and I'll record it.",
        "confirm_unusual": (
            "🤔 That's much more than usual {where} ({low} to {high}). Confirm {amount}?\n{lines}\n"
            "Reply “yes” to record it."
        ),
        "unusual.merchant": "at “{name}”",
        "unusual.category": "for {name}",
        "nothing_to_confirm": "There is nothing waiting for confirmation.",
        "recategorized": "🏷️ Category changed: {line}",
        "nothing_to_recategorize": "There is no entry yet to change the category of.",
        "small_talk": "😊 I'm here! Tell me an expense, e.g. “lunch 12”.",
        "not_a_member": (
            "🔒 You are not a member of this chat's ledger, so I neither read nor recorded anything "
            "in it. Ask whoever runs it for an invite."
        ),
        "forbidden": (
            "🔒 Your role in this ledger only lets you view entries; I recorded nothing. Ask an admin "
            "to change your role."
        ),
        "forbidden.group_ledger_fixed": (
            "🔒 This group always records into the group's ledger. /context switches ledgers only in "
            "a private chat with me."
        ),
        "forbidden.amend": "🔒 Only whoever sent the message can correct it by editing.",
        "forbidden.manage_members": "🔒 Only this ledger's owners and admins invite people. Ask one of them.",
        "invitation_created": (
            "✉️ Invitation to {name} as {role}: {code}\n"
            "Whoever joins sends /join {code} to me in a private chat (or uses the dashboard's link). "
            "It works once, until {expires}."
        ),
        "invitation_created.bare": "✉️ Invitation made. Whoever joins sends /join CODE to me in a private chat.",
        "joined": (
            "🤝 Done! You joined {name} as {role}. This chat now records into {name}; "
            "/personal switches back to your personal ledger."
        ),
        "joined.bare": "🤝 Done! You joined the ledger; /personal switches back to your personal ledger.",
        "joined.viewer": (
            "🤝 Done! You joined {name} as {role}: you can see it and ask (/summary), but not record "
            "entries. /personal switches back to your personal ledger."
        ),
        "invitation.invitation_unknown": (
            "✉️ I could not find that invitation. Check the code (10 letters and digits) and send /join CODE."
        ),
        "invitation.invitation_used": "✉️ That invitation was already used. Ask whoever invited you for a new one.",
        "invitation.invitation_expired": "✉️ That invitation has expired. Ask whoever invited you for a new one.",
        "invitation.invitation_revoked": "✉️ That invitation was revoked. Ask whoever invited you for a new one.",
        "invitation.invitation_private_only": (
            "✉️ Invitations are accepted in a private chat with me, not in a group: send /join CODE there."
        ),
        "invitation.invitation_role": (
            "✉️ I can invite as viewer, editor or admin, up to your own role ({role}). E.g. /invite viewer"
        ),
        "invitation.invitation_role.bare": "✉️ Say the role: /invite viewer, /invite editor or /invite admin.",
        "invitation.invitation_archived": (
            "🗄️ That ledger is archived: it takes no new members. Unarchive it on the dashboard."
        ),
        "context_archived": (
            "🗄️ {name} is archived: nothing was recorded. Unarchive it on the dashboard, or use /context "
            "to record into another ledger."
        ),
        "context_archived.bare": "🗄️ This ledger is archived: nothing was recorded. /context switches ledgers.",
        "forbidden.not_a_person": (
            "🔒 Messages sent on behalf of a channel or an anonymous admin cannot undo or change "
            "entries. Send it from your own account."
        ),
        "answer_none": "No entries {what} {period}.",
        "answer": "💰 {what} {period}: {totals} ({count})",
        "answer.expense": "Spent",
        "answer.income": "Received",
        "answer.transfer": "Transfers",
        "answer.with": "on {name}",
        "answer.count.one": "1 entry",
        "answer.count.many": "{n} entries",
        "period.today": "today",
        "period.yesterday": "yesterday",
        "period.this_week": "this week",
        "period.last_week": "last week",
        "period.this_month": "this month",
        "period.last_month": "last month",
        "period.this_year": "this year",
        "period.last_year": "last year",
        "period.all": "in total",
        "q.amount_too_small": "That amount is less than a cent. What was the exact amount?",
        "heard": "🎙️ “{heard}”",
        "items.one": "🧾 1 item kept",
        "items.many": "🧾 {n} items kept",
        "q.voice_no_amount": (
            "🎙️ I heard: “{heard}”. I couldn't hear an amount — how much was it? (reply with just "
            "the amount, e.g. “8.50”)"
        ),
        "q.no_speech": (
            "🎙️ I couldn't hear an amount in that voice note (I heard no speech). I kept it; could "
            "you say it again or type it?"
        ),
        "q.file_too_large": (
            "📎 That file is too large for me (up to 25 MB) and I did not keep it. Could you send a "
            "smaller one, or type the expense?"
        ),
        "q.duplicate_media": (
            "📎 You already sent me this very file; I did not record it again. /undo removes the first."
        ),
        "q.audio": (
            "🎙️ I couldn't play that voice note: {why}. I kept the file; could you send it again "
            "or type the expense?"
        ),
        "q.receipt_no_total": (
            "🧾 I read the receipt{merchant} but found no total. How much was it? (reply with just "
            "the amount, e.g. “45.90”)"
        ),
        "q.receipt_not_a_receipt": (
            "🧾 That photo doesn't look like a receipt. I kept it; could you send the receipt or "
            "type the expense?"
        ),
        "q.receipt_no_text": (
            "🧾 I couldn't read any text in that photo. I kept it; could you send a closer, "
            "brighter photo or type the expense?"
        ),
        "q.image": (
            "🖼️ I couldn't open that image: {why}. I kept the file; could you send a photo of the "
            "receipt (JPG or PNG)?"
        ),
        "q.media_failed": (
            "I couldn't read that file. I kept it; could you type the expense? (e.g. “groceries 45.90”)"
        ),
        "q.media_missing": "I lost access to that file. Could you send it again?",
        "why.corrupt_audio": "the file is corrupt",
        "why.empty_audio": "the file is empty",
        "why.too_long": "it is too long (up to {max_minutes} minutes)",
        "why.too_large": "the file is too large (up to 25 MB)",
        "why.unsupported_audio": "I don't know that audio format",
        "why.not_an_image": "it is not an image",
        "why.too_many_pixels": "the image has too many pixels",
        "why.corrupt_image": "the file is corrupt",
        "why.unreadable_pdf": "I couldn't read that PDF",
        "why.empty": "the file is empty",
        "why.unknown": "a format I don't know",
        "why.unsupported_language": "this server does not recognise speech in that language",
        "button.more_categories": "➕ Categories",
        "button.more_categories.value": "/category",
        "button.claim": "🙋 I paid",
        "button.claim.numbered": "🙋 I paid ({n})",
        "button.claim.value": "/me",
        "type.personal": "personal",
        "type.family": "family",
        "type.project": "project",
        "type.travel": "travel",
        "role.owner": "owner",
        "role.admin": "admin",
        "role.editor": "editor",
        "role.viewer": "viewer",
        "contexts": "📒 Your ledgers:",
        "contexts.hint": "Switch with /context {n}",
        "contexts.fixed": (
            "This group always records into the ✅ ledger; /context switches ledgers in a private chat with me."
        ),
        "contexts.none": "📒 You have no ledgers yet.",
        "context_switched": "🔀 This chat now records into: {name} ({type}).",
        "context_switched.bare": "🔀 Ledger switched.",
        "unknown_context": "❓ I couldn't find that ledger. /context lists yours.",
        "summary": "📊 Summary of {name} · {period}",
        "summary.bare": "📊 There is no summary to show yet.",
        "summary.none": "No entries in this period yet.",
        "summary.expense": "Spent: {totals}",
        "fx.ecb": "ECB",
        "fx.override": "your rate",
        "fx.missing": "no FX rate",
        "unvalued.one": "⚠️ {n} entry in {currency} without an FX rate ({total}), left out of the total",
        "unvalued.many": "⚠️ {n} entries in {currency} without an FX rate ({total}), left out of the total",
        "summary.income": "Received: {totals}",
        "summary.left": " — {left} left of {budget}",
        "summary.over": " — ⚠️ {over} over the {budget} budget",
        "summary.uncategorized": "Uncategorised",
        "summary.budgets": "🎯 Budgets:",
        "budget.ledger": "All spending",
        "budget.set": "🎯 Budget of {amount} a month for {subject}{rollover}.",
        "budget.replaced": "🎯 Budget for {subject} updated: {amount} a month{rollover}.",
        "budget.rollover": " (what is left or overspent carries to the next month)",
        "budget.this_month": "This month: {line}",
        "budget.line": "{spent} of {available} ({percent}%) — {left} left",
        "budget.line.over": "{spent} of {available} ({percent}%) — ⚠️ {over} over",
        "budget.carried": " · {carried} carried from last month",
        "budget.unvalued.one": "1 entry without an FX rate is not counted",
        "budget.unvalued.many": "{n} entries without an FX rate are not counted",
        "budget.status": "🎯 Budget · {month}",
        "budget.none": "🎯 There is no budget for {subject}. Set one with “budget 500 for groceries”.",
        "budget.none.any": "🎯 This ledger has no budgets yet. Set one with “budget 500 for groceries”.",
        "budget.alert.80": (
            "⚠️ {subject} has used {percent}% of its {month} budget: {spent} of {available}, {left} left."
        ),
        "budget.alert.100": "🚨 {subject} is over its {month} budget: {spent} of {available} ({over} over).",
        "budget.alert.100.exact": "🚨 {subject} has used all of its {month} budget: {spent} of {available}.",
        "q.budget_no_amount": "How much is the budget? E.g. “budget 500 for groceries”.",
        "q.budget_amount": (
            "A budget must be an amount above zero, with at most the currency's cents (e.g. 500 or 500.50)."
        ),
        "q.budget_currency": (
            "Budgets are in the ledger's currency, and “{code}” is not it. Say the amount without a "
            "currency, e.g. “budget 500 for groceries”."
        ),
        "q.budget_category": "Budgets are for expense categories only. E.g. “budget 500 for groceries”.",
        "categories": "🏷️ Categories: {names}.",
        "categories.hint": "To change the last entry's: /category {word} or “change it to {word}”.",
        "who_paid": "🤷 Who paid?\n{lines}\nWhoever paid, tap “🙋 I paid” or reply /me.",
        "who_paid.bare": "🤷 Who paid? Whoever paid, reply /me.",
        "payer_set": "🙋 Noted, you paid:\n{lines}",
        "payer_set.bare": "🙋 Noted, you paid.",
        "nothing_to_claim": "There is no entry waiting to know who paid.",
        "linked": "🔗 Done! This chat is now linked to your account: the same ledgers here and on the dashboard.",
        "link.link_unknown": (
            "🔗 I don't recognise that code. Check it and send it again, or get a new one from the dashboard."
        ),
        "link.link_used": "🔗 That code was already used. Get a new one from the dashboard and send it here.",
        "link.link_expired": "🔗 That code has expired. Get a new one from the dashboard and send it here.",
        "link.link_private_only": (
            "🔒 For your safety, send the code in a private chat with me, not in the group. "
            "This code was not used."
        ),
        "link.link_identity_taken": (
            "🔗 This chat already belongs to another account, so I did not link it. To bring it to "
            "this account, unlink it in the other one first."
        ),
        "link_confirm": (
            "🔗 Link this chat to the account {account}? This chat's ledgers will show up in that "
            "account. If it wasn't you who asked, ignore this."
        ),
        "link_confirm.bare": (
            "🔗 Link this chat to another account? This chat's ledgers will show up in that account. "
            "If it wasn't you who asked, ignore this."
        ),
        "button.link": "🔗 Link",
        "button.link.value": "/link {code}",
        "group_bound": (
            "👋 Hi, everyone! This group is now the shared ledger “{name}”: whatever you write here is "
            "recorded in it. Examples: “groceries 45.90”, “uber 23 and lunch 12”. /summary shows the "
            "month; /undo removes the last entry."
        ),
        "group_bound.bare": (
            "👋 Hi, everyone! This group is now a shared ledger: whatever you write here is recorded "
            "in it. Examples: “groceries 45.90”, “uber 23 and lunch 12”. /summary shows the month; "
            "/undo removes the last entry."
        ),
        "group_unbound": "👋 I left the group; the ledger “{name}” is kept.",
        "group_unbound.bare": "👋 I left the group; its ledger is kept.",
        "chat_migrated": "🔁 The group moved to a new address; its ledger moved with it.",
        "amended": "✏️ Updated: {line}",
        "amended.bare": "✏️ Updated.",
        "resend": (
            "📩 The platform didn't give me what was in that message. I kept a note of it; could you "
            "send it again as text, a voice note or a photo?"
        ),
        "duplicate": "📎 You already sent me this; I did not record it again.",
        "balance": "💰 Balance {period}: {balance} (income {income} − expenses {expenses})",
        "balance.all": "All time: {balance}",
        "balance.none": "💰 No income or expenses {period} yet.",
        "recent.all": "🧾 Last transactions",
        "recent.expense": "🧾 Last expenses",
        "recent.income": "🧾 Last income",
        "recent.transfer": "🧾 Last transfers",
        "recent.none": "🧾 No transactions to show {period}.",
        "top": "🏆 Where most of the money went {period}:",
        "top.total": "Total: {totals}",
        "top.none": "🏆 No expenses {period} yet.",
        "not_yet.bills": "📋 I don't keep track of bills to pay or due dates yet.",
        "not_yet.card_bill": "💳 I don't keep track of the card's bill yet.",
        "not_yet.chart": "📊 I can't draw charts in the chat yet.",
        "not_yet.budget": "🎯 I don't have budgets yet, so I did not record that as an expense.",
        "not_yet.budget_set": (
            "🎯 I read a budget of {amount}{subject}, but I don't have budgets yet: I did not record "
            "it as an expense."
        ),
        "not_yet.budget_for": " for {name}",
        "not_yet.other": "I can't do that yet.",
        "not_yet.hint": (
            "I can answer: “how much did I spend on groceries this month?”, “what's my balance?”, "
            "“last transactions”, “where did I spend the most this month?” — and /summary shows the "
            "month by category."
        ),
    },
}


def format_money(amount: Decimal, currency: str, language: str) -> str:
    """Return ``amount`` in ``currency`` formatted for ``language`` ("pt" or "en")."""
    text = format_currency(amount, currency, locale=_LOCALES.get(language, "en_US"))
    return text.replace("\xa0", " ")


def _fx(tx: RecordedTransaction, language: str) -> str:
    """ " ≈ R$ 99,80 (BCE 28/11)" after a foreign amount, " (sem cotação)" when no rate is known."""
    s = _STRINGS.get(language, _STRINGS["en"])
    if tx.base_amount is not None and tx.base_currency and tx.base_currency != tx.currency:
        base = format_money(tx.base_amount, tx.base_currency, language)
        source = s["fx.override"] if tx.fx_source == "override" else s["fx.ecb"]
        day = f" {tx.fx_date.strftime('%d/%m' if language == 'pt' else '%m/%d')}" if tx.fx_date else ""
        return f" ≈ {base} ({source}{day})"
    if tx.fx_missing:
        return f" ({s['fx.missing']})"
    return ""


def _unvalued(unvalued: Sequence[UnvaluedTotal], language: str, s: dict[str, str]) -> list[str]:
    """One line per currency whose transactions have no FX rate and were left out of the figures."""
    return [
        s["unvalued.one" if u.count == 1 else "unvalued.many"].format(
            n=u.count, currency=u.currency, total=format_money(u.total, u.currency, language)
        )
        for u in unvalued
    ]


def _line(tx: RecordedTransaction, language: str) -> str:
    sign = "+" if tx.kind.value == "income" else ""
    day = tx.occurred_on.strftime("%d/%m" if language == "pt" else "%m/%d")
    parts = [sign + format_money(tx.amount, tx.currency, language) + _fx(tx, language)]
    if tx.merchant:
        parts.append(tx.merchant)
    if tx.category_name:
        parts.append(tx.category_name)
    parts.append(day)
    return " · ".join(parts)


def _answer(answer: QueryAnswer, language: str, s: dict[str, str]) -> str:
    query = answer.query
    subject = answer.category_name or query.merchant
    with_subject = s["answer.with"].format(name=subject) if subject else ""
    period = s[f"period.{query.period}"]
    unvalued = _unvalued(answer.unvalued, language, s)
    if not answer.totals:
        return "\n".join(
            [" ".join(s["answer_none"].format(what=with_subject, period=period).split()), *unvalued]
        )
    what = " ".join(f"{s[f'answer.{query.kind.value}']} {with_subject}".split())
    totals = " + ".join(format_money(amount, currency, language) for currency, amount in answer.totals)
    count = s["answer.count.one"] if answer.count == 1 else s["answer.count.many"].format(n=answer.count)
    return "\n".join([s["answer"].format(what=what, period=period, totals=totals, count=count), *unvalued])


def _balance(answer: QueryAnswer, language: str, s: dict[str, str]) -> str:
    period = s[f"period.{answer.query.period}"]
    asked = [row for row in answer.balances if row.period == answer.query.period]
    if not asked:
        return "\n".join([s["balance.none"].format(period=period), *_unvalued(answer.unvalued, language, s)])
    lines = [
        s["balance"].format(
            period=period,
            balance=format_money(row.balance, row.currency, language),
            income=format_money(row.income, row.currency, language),
            expenses=format_money(row.expenses, row.currency, language),
        )
        for row in asked
    ]
    if answer.query.period != "all":
        lines.extend(
            s["balance.all"].format(balance=format_money(row.balance, row.currency, language))
            for row in answer.balances
            if row.period == "all"
        )
    lines.extend(_unvalued(answer.unvalued, language, s))
    return "\n".join(lines)


def _recent(answer: QueryAnswer, language: str, s: dict[str, str]) -> str:
    query = answer.query
    period = s[f"period.{query.period}"] if query.period != "all" else ""
    if not answer.transactions:
        return " ".join(s["recent.none"].format(period=period).split()).replace(" .", ".")
    title = s["recent.all"] if query.all_kinds else s[f"recent.{query.kind.value}"]
    subject = answer.category_name or query.merchant
    head = " ".join([title, s["answer.with"].format(name=subject) if subject else "", period]).split()
    lines = [" ".join(head) + ":", *("• " + _line(tx, language) for tx in answer.transactions)]
    return "\n".join(lines)


def _top(answer: QueryAnswer, language: str, s: dict[str, str]) -> str:
    period = s[f"period.{answer.query.period}"]
    if not answer.top:
        return "\n".join([s["top.none"].format(period=period), *_unvalued(answer.unvalued, language, s)])
    totals = dict(answer.totals)
    lines = [s["top"].format(period=period)]
    for n, row in enumerate(answer.top, start=1):
        line = (
            f"{n}. {_category_label(row.category, row.category_name, language, s)}: "
            f"{format_money(row.total, row.currency, language)}"
        )
        whole = totals.get(row.currency)
        if whole:
            line += f" ({round(100 * row.total / whole)}%)"
        lines.append(line)
    lines.append(s["top.total"].format(totals=_totals(answer.totals, language)))
    lines.extend(_unvalued(answer.unvalued, language, s))
    return "\n".join(lines)


def _not_yet(reply: ReplyV1, language: str, s: dict[str, str]) -> str:
    """ "Not yet", said plainly, with what can be asked; a budget phrase gets the budget as read."""
    topic = reply.problem or "other"
    budget = reply.budget
    if topic == "budget" and budget is not None and budget.amount is not None:
        amount = (
            format_money(budget.amount, budget.currency, language)
            if budget.currency
            else format_decimal(budget.amount, format="#,##0.00", locale=_LOCALES.get(language, "en_US"))
        )
        slugs = (budget.category,) if budget.category else budget.categories
        names = [CATEGORY_NAMES[language][slug][0] for slug in slugs if slug in CATEGORY_NAMES[language]]
        subject = s["not_yet.budget_for"].format(name=" + ".join(names)) if names else ""
        text = s["not_yet.budget_set"].format(amount=amount, subject=subject)
    else:
        text = s.get(f"not_yet.{topic}", s["not_yet.other"])
    return "\n".join([text, s["not_yet.hint"]])


def _period(date_from: dt.date, date_to: dt.date, language: str) -> str:
    pattern = "%d/%m" if language == "pt" else "%m/%d"
    return f"{date_from.strftime(pattern)}–{date_to.strftime(pattern)}"


def _totals(totals: Sequence[tuple[str, Decimal]], language: str) -> str:
    return " + ".join(format_money(amount, currency, language) for currency, amount in totals)


def _category_label(slug: str | None, name: str | None, language: str, s: dict[str, str]) -> str:
    """ "🛒 Mercado": the bot's own name for a taxonomy slug, else the core's name, else "uncategorised"."""
    names = CATEGORY_NAMES[language].get(slug or "")
    label = names[0] if names is not None else name or s["summary.uncategorized"]
    return f"{CATEGORY_EMOJI.get(slug or '', '❔')} {label}"


def _summary_row(row: SummaryRow, language: str, s: dict[str, str]) -> str:
    line = (
        f"{_category_label(row.category, row.category_name, language, s)}: "
        f"{format_money(row.total, row.currency, language)} ({row.count})"
    )
    if row.budget is not None:
        left = row.budget_left if row.budget_left is not None else row.budget - row.total
        budget = format_money(row.budget, row.currency, language)
        if left >= 0:
            line += s["summary.left"].format(left=format_money(left, row.currency, language), budget=budget)
        else:
            line += s["summary.over"].format(over=format_money(-left, row.currency, language), budget=budget)
    return line


def _budget_subject(status: BudgetStatusV1, language: str, s: dict[str, str], *, emoji: bool = True) -> str:
    """ "🛒 Mercado", "Mercado + Alimentação" (a group), "Total do mês" (the whole ledger: "todos os gastos")."""
    if status.scope == "category" and status.category:
        if emoji:
            return _category_label(status.category, None, language, s)
        found = CATEGORY_NAMES[language].get(status.category)
        return found[0] if found else status.category
    if status.scope == "group":
        names = [CATEGORY_NAMES[language][c][0] for c in status.categories if c in CATEGORY_NAMES[language]]
        return " + ".join(names) or (status.group or "")
    return s["budget.ledger"]


def _budget_month(month: dt.date) -> str:
    return month.strftime("%m/%Y")


def _budget_line(status: BudgetStatusV1, language: str, s: dict[str, str]) -> str:
    """ "R$ 450,00 de R$ 800,00 (56%) — restam R$ 350,00", with carry and unvalued notes."""
    money = {
        "spent": format_money(status.spent, status.currency, language),
        "available": format_money(status.available, status.currency, language),
        "percent": str(status.percent),
        "left": format_money(status.left, status.currency, language),
        "over": format_money(-status.left, status.currency, language),
    }
    line = s["budget.line" if status.left >= 0 else "budget.line.over"].format(**money)
    if status.rollover and status.carried:
        line += s["budget.carried"].format(carried=format_money(status.carried, status.currency, language))
    if status.unvalued:
        key = "budget.unvalued.one" if status.unvalued == 1 else "budget.unvalued.many"
        line += " (" + s[key].format(n=status.unvalued) + ")"
    return line


def _budget_set(reply: ReplyV1, language: str, s: dict[str, str]) -> str:
    if not reply.budgets:
        return s["budget.none.any"]
    status = reply.budgets[0]
    key = "budget.replaced" if reply.problem == "replaced" else "budget.set"
    head = s[key].format(
        amount=format_money(status.amount, status.currency, language),
        subject=_budget_subject(status, language, s, emoji=False),
        rollover=s["budget.rollover"] if status.rollover else "",
    )
    return "\n".join([head, s["budget.this_month"].format(line=_budget_line(status, language, s))])


def _budget_status(reply: ReplyV1, language: str, s: dict[str, str]) -> str:
    if not reply.budgets:
        asked = reply.budget
        slugs = (asked.category,) if asked and asked.category else (asked.categories if asked else ())
        names = [CATEGORY_NAMES[language][c][0] for c in slugs if c in CATEGORY_NAMES[language]]
        if names:
            return s["budget.none"].format(subject=" + ".join(names))
        return s["budget.none.any"]
    lines = [s["budget.status"].format(month=_budget_month(reply.budgets[0].month))]
    lines.extend(f"{_budget_subject(b, language, s)}: {_budget_line(b, language, s)}" for b in reply.budgets)
    return "\n".join(lines)


def _budget_alert(alert: BudgetAlertV1, language: str, s: dict[str, str]) -> str:
    status = alert.status
    key = f"budget.alert.{alert.threshold}"
    if alert.threshold == 100 and status.left == 0:
        key = "budget.alert.100.exact"
    return s[key].format(
        subject=_budget_subject(status, language, s, emoji=False),
        month=_budget_month(status.month),
        percent=status.percent,
        spent=format_money(status.spent, status.currency, language),
        available=format_money(status.available, status.currency, language),
        left=format_money(status.left, status.currency, language),
        over=format_money(-status.left, status.currency, language),
    )


def _budget_alerts(reply: ReplyV1, language: str, s: dict[str, str]) -> list[str]:
    return [_budget_alert(alert, language, s) for alert in reply.budget_alerts]


def _summary(summary: SummaryV1 | None, language: str, s: dict[str, str]) -> str:
    if summary is None:
        return s["summary.bare"]
    lines = [
        s["summary"].format(
            name=summary.context_name, period=_period(summary.date_from, summary.date_to, language)
        )
    ]
    lines.extend(_summary_row(row, language, s) for row in summary.rows)
    if summary.expense_totals:
        lines.append(s["summary.expense"].format(totals=_totals(summary.expense_totals, language)))
    if summary.income_totals:
        lines.append(s["summary.income"].format(totals=_totals(summary.income_totals, language)))
    if len(lines) == 1:
        lines.append(s["summary.none"])
    lines.extend(_unvalued(summary.unvalued, language, s))
    if summary.budgets:
        lines.append(s["summary.budgets"])
        lines.extend(
            f"{_budget_subject(b, language, s)}: {_budget_line(b, language, s)}" for b in summary.budgets
        )
    return "\n".join(lines)


def _context_line(number: int, choice: ContextChoice, s: dict[str, str]) -> str:
    mark = " ✅" if choice.current else ""
    return f"{number}. {choice.name} ({s[f'type.{choice.type}']} · {s[f'role.{choice.role}']}){mark}"


def _contexts(contexts: Sequence[ContextChoice], s: dict[str, str], problem: str | None = None) -> str:
    if not contexts:
        return s["contexts.none"]
    lines = [s["contexts"], *(_context_line(n, c, s) for n, c in enumerate(contexts, start=1))]
    other = next((n for n, c in enumerate(contexts, start=1) if not c.current), None)
    if problem == "group_ledger_fixed":
        lines.append(s["contexts.fixed"])
    elif other is not None:
        lines.append(s["contexts.hint"].format(n=other))
    return "\n".join(lines)


def _categories(language: str, s: dict[str, str]) -> str:
    names = ", ".join(label for label, _word in CATEGORY_NAMES[language].values())
    example = CATEGORY_NAMES[language]["health"][1]
    return "\n".join([s["categories"].format(names=names), s["categories.hint"].format(word=example)])


def _with_lines(
    reply: ReplyV1, key: str, s: dict[str, str], *, bullet: str = "• ", numbered: bool = False
) -> str:
    """``s[key]`` with one line per transaction, or ``s[key + ".bare"]`` when there are none."""
    if not reply.transactions:
        return s[f"{key}.bare"]
    lines = [
        (f"{n}. " if numbered else bullet) + _line(tx, reply.language)
        for n, tx in enumerate(reply.transactions, start=1)
    ]
    return s[key].format(lines="\n".join(lines))


def render_offline(language: str) -> Reply:
    """Return the edge's own answer to a message kept while the core is unreachable ("Recebido —
    registro quando a conexão voltar."), in ``language`` ("en"; anything else: pt). The core's
    real answer follows when it is back."""
    s = _STRINGS["en" if language == "en" else "pt"]
    return Reply(text=s["edge.offline"])


def render(reply: ReplyV1) -> Reply:
    """Return the text and buttons for ``reply`` in ``reply.language``."""
    return Reply(render_reply(reply), buttons(reply))


def buttons(reply: ReplyV1) -> tuple[Button, ...]:
    """Return the buttons under ``reply``.

    * recorded: undo, then with one transaction a "change category" button per guess and
      "➕ Categorias" (``MORE_CATEGORIES``, value "/categoria"), each naming the transaction;
    * confirm request: confirm;
    * link confirmation: "🔗 Vincular" (``CONFIRM_LINK``, value "/vincular K7QM-2XPD");
    * who paid: "🙋 Fui eu" (``CLAIM_PAYER``, value "/eu"), one per transaction (at most
      :data:`MAX_CLAIM_BUTTONS`, numbered as the text's lines when there are several);
    * a statement import's preview with something to import: confirm ("sim" commits it).
    """
    language = reply.language if reply.language in _STRINGS else "en"
    s = _STRINGS[language]
    if reply.kind is ReplyKind.CONFIRM_REQUEST and reply.transactions:
        return (Button(s["button.confirm"], ButtonAction.CONFIRM, s["button.confirm.value"]),)
    found = reply.statement_import
    if (
        reply.kind is ReplyKind.IMPORT_PREVIEW
        and found is not None
        and (found.add or found.merge or found.ambiguous)
    ):
        return (Button(s["button.confirm"], ButtonAction.CONFIRM, s["button.confirm.value"]),)
    if reply.kind is ReplyKind.LINK_CONFIRM and reply.link_code:
        code = _shown_link_code(reply.link_code)
        return (
            Button(s["button.link"], ButtonAction.CONFIRM_LINK, s["button.link.value"].format(code=code)),
        )
    if reply.kind is ReplyKind.WHO_PAID and reply.transactions:
        if len(reply.transactions) == 1:
            tx_id = str(reply.transactions[0].transaction_id)
            return (Button(s["button.claim"], ButtonAction.CLAIM_PAYER, s["button.claim.value"], tx_id),)
        return tuple(
            Button(
                s["button.claim.numbered"].format(n=n),
                ButtonAction.CLAIM_PAYER,
                s["button.claim.value"],
                str(tx.transaction_id),
            )
            for n, tx in enumerate(reply.transactions[:MAX_CLAIM_BUTTONS], start=1)
        )
    if reply.kind is not ReplyKind.RECORDED or not reply.transactions:
        return ()
    single = len(reply.transactions) == 1
    target = str(reply.transactions[0].transaction_id) if single else None
    out = [Button(s["button.undo"], ButtonAction.UNDO, s["button.undo.value"], target)]
    if single:
        # "muda pra ..." changes the last transaction: offered only when there is just one.
        tx = reply.transactions[0]
        for slug in tx.category_guesses:
            names = CATEGORY_NAMES[language].get(slug)
            if names is None or slug == tx.category:
                continue
            label, word = names
            out.append(
                Button(
                    s["button.category"].format(name=label),
                    ButtonAction.CHANGE_CATEGORY,
                    s["button.category.value"].format(word=word),
                    target,
                )
            )
        out.append(
            Button(
                s["button.more_categories"],
                ButtonAction.MORE_CATEGORIES,
                s["button.more_categories.value"],
                target,
            )
        )
    return tuple(out)


def _offered(tx: RecordedTransaction, language: str) -> list[str]:
    """The slugs a recorded transaction's reply offers as choices: its guesses (at most three) with
    a name, without its own category."""
    names = CATEGORY_NAMES.get(language, CATEGORY_NAMES["en"])
    return [slug for slug in tx.category_guesses if slug in names and slug != tx.category][:3]


def _category_choices(tx: RecordedTransaction, language: str, s: dict[str, str]) -> list[str]:
    """The line offering the guesses when the category is missing or unsure (else nothing):
    "🤔 Qual categoria? Pode ser 🛍️ Compras, 💊 Saúde ou 🐾 Pets (...)"."""
    if tx.kind is not TransactionKind.EXPENSE or not (tx.category is None or tx.category_unsure):
        return []
    offered = _offered(tx, language)
    if not offered:
        return []
    labels = [_category_label(slug, None, language, s) for slug in offered]
    names = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + s["category.or"] + labels[-1]
    key = "category.guesses" if tx.category is None else "category.unsure"
    word = CATEGORY_NAMES.get(language, CATEGORY_NAMES["en"])[offered[0]][1]
    return [s[key].format(names=names, word=word)]


def _shown_link_code(code: str) -> str:
    """A link code with one dash in the middle ("k7qm2xpd" -> "K7QM-2XPD"), as the reader reads it
    back; upper case, without spaces or dashes elsewhere."""
    bare = "".join(c for c in code.upper() if c.isalnum())
    half = len(bare) // 2
    return f"{bare[:half]}-{bare[half:]}" if bare else ""


def render_reply(reply: ReplyV1) -> str:
    """Return the chat text for ``reply`` in ``reply.language``; the budget alerts a reply
    carries (an expense that crossed 80 % or 100 % of a budget) follow its text."""
    text = _render_body(reply)
    if reply.budget_alerts and reply.kind is not ReplyKind.BUDGET_ALERT:
        language = reply.language if reply.language in _STRINGS else "en"
        text = "\n".join([text, *_budget_alerts(reply, language, _STRINGS[language])])
    return text


def _render_body(reply: ReplyV1) -> str:
    s = _STRINGS.get(reply.language, _STRINGS["en"])
    if reply.kind is ReplyKind.RECORDED:
        lines = ["✅ " + _line(tx, reply.language) for tx in reply.transactions]
        items = sum(tx.items for tx in reply.transactions)
        if items:
            lines.append(s["items.one"] if items == 1 else s["items.many"].format(n=items))
        if reply.heard and reply.transactions and not items:
            lines.append(s["heard"].format(heard=_quote(reply.heard)))
        undated = next((tx for tx in reply.transactions if tx.receipt_date_missing), None)
        if undated is not None:
            day = undated.occurred_on.strftime("%d/%m" if reply.language == "pt" else "%m/%d")
            lines.append(s["receipt_no_date"].format(day=day))
        if len(reply.transactions) == 1:
            lines.extend(_category_choices(reply.transactions[0], reply.language, s))
        return "\n".join([*lines, s["recorded_hint"]])
    if reply.kind is ReplyKind.UNDONE and reply.transactions:
        return s["undone"].format(line=_line(reply.transactions[0], reply.language))
    if reply.kind is ReplyKind.NOTHING_TO_UNDO:
        return s["nothing_to_undo"]
    if reply.kind is ReplyKind.CONFIRM_REQUEST and reply.usual is not None:
        return _confirm_unusual(reply, s)
    if reply.kind is ReplyKind.CONFIRM_REQUEST:
        return s["confirm_request"].format(
            lines="\n".join("• " + _line(tx, reply.language) for tx in reply.transactions)
        )
    if reply.kind is ReplyKind.RECATEGORIZED and reply.transactions:
        return s["recategorized"].format(line=_line(reply.transactions[0], reply.language))
    if reply.kind is ReplyKind.ANSWER and reply.answer is not None:
        ask = reply.answer.query.ask
        if ask == "balance":
            return _balance(reply.answer, reply.language, s)
        if ask == "recent":
            return _recent(reply.answer, reply.language, s)
        if ask == "top_categories":
            return _top(reply.answer, reply.language, s)
        return _answer(reply.answer, reply.language, s)
    special = _render_chat_reply(reply, s)
    if special is not None:
        return special
    simple = {
        ReplyKind.NOTHING_TO_CONFIRM: "nothing_to_confirm",
        ReplyKind.NOTHING_TO_RECATEGORIZE: "nothing_to_recategorize",
        ReplyKind.SMALL_TALK: "small_talk",
        ReplyKind.NOT_A_MEMBER: "not_a_member",
        ReplyKind.FORBIDDEN: "forbidden",
        ReplyKind.NOTHING_TO_CLAIM: "nothing_to_claim",
        ReplyKind.LINKED: "linked",
        ReplyKind.CHAT_MIGRATED: "chat_migrated",
        ReplyKind.RESEND: "resend",
    }
    if reply.kind is ReplyKind.FORBIDDEN and reply.problem:
        # "group_ledger_fixed", "not_a_person:record", "forbidden:amend" (only the author may
        # edit): their own words; a role's limit otherwise.
        key = (
            reply.problem.partition(":")[2]
            if reply.problem in ("forbidden:amend", "forbidden:manage_members")
            else reply.problem.partition(":")[0]
        )
        reason = s.get(f"forbidden.{key}")
        if reason is not None:
            return reason
    if reply.kind in simple:
        return s[simple[reply.kind]]
    if reply.kind is ReplyKind.DUPLICATE and reply.problem is None:
        return s["duplicate"]
    if reply.kind is ReplyKind.HELP:
        return s["help"]
    if reply.kind is ReplyKind.WELCOME:
        return s["welcome"]
    problem = reply.problem or "not_understood"
    key, _, detail = problem.partition(":")
    if key in ("audio", "image"):
        why = s.get(f"why.{detail}", s["why.unknown"]).format(max_minutes=10)
        return s[f"q.{key}"].format(why=why)
    template = s.get(f"q.{key}", s["q.not_understood"])
    if key == "no_amount" and reply.asked_about and _quote(reply.asked_about, 60):
        return "❓ " + s["q.no_amount.item"].format(item=_quote(reply.asked_about, 60))
    heard = _quote(reply.heard or "")
    if key == "voice_no_amount" and not heard:
        template = s["q.no_speech"]
    merchant = ""
    if key == "receipt_no_total" and reply.heard:
        merchant = f" ({_quote(reply.heard, 60)})"
    text = template.format(code=detail, heard=heard, merchant=merchant)
    return text if text.startswith(("🎙", "🧾", "🖼", "📎")) else "❓ " + text


def _short_money(amount: Decimal, currency: str, language: str) -> str:
    """``amount`` as :func:`format_money` writes it, without a whole amount's zero cents ("R$ 8")."""
    text = format_money(amount, currency, language)
    if amount == amount.to_integral_value():
        for zeros in (",00", ".00"):
            text = text.replace(zeros, "")
    return text


def _confirm_unusual(reply: ReplyV1, s: dict[str, str]) -> str:
    """ "That's much more than usual at “padaria” (R$ 8 to R$ 20). Confirm R$ 1,200.00?" and the lines."""
    usual = reply.usual
    assert usual is not None
    language = reply.language if reply.language in _STRINGS else "en"
    if usual.basis == "category":
        names = CATEGORY_NAMES[language].get(usual.name)
        where = s["unusual.category"].format(name=names[0] if names else usual.name)
    else:
        where = s["unusual.merchant"].format(name=_quote(usual.name, 60))
    return s["confirm_unusual"].format(
        where=where,
        low=_short_money(usual.low, usual.currency, language),
        high=_short_money(usual.high, usual.currency, language),
        amount=format_money(usual.amount, usual.currency, language),
        lines="\n".join("• " + _line(tx, language) for tx in reply.transactions),
    )


def _render_chat_reply(reply: ReplyV1, s: dict[str, str]) -> str | None:
    """The text of the replies about ledgers, summaries, payers, links and chat events, or None
    for the other kinds. Missing bodies (no ``contexts``, no ``summary``) get a general text."""
    language = reply.language if reply.language in _STRINGS else "en"
    kind = reply.kind
    first = reply.contexts[0] if reply.contexts else None
    if kind is ReplyKind.CONTEXTS:
        return _contexts(reply.contexts, s, reply.problem)
    if kind is ReplyKind.CONTEXT_SWITCHED:
        if first is None:
            return s["context_switched.bare"]
        return s["context_switched"].format(name=first.name, type=s[f"type.{first.type}"])
    if kind is ReplyKind.UNKNOWN_CONTEXT:
        return "\n".join(
            [s["unknown_context"], _contexts(reply.contexts, s)] if reply.contexts else [s["unknown_context"]]
        )
    if kind is ReplyKind.SUMMARY:
        return _summary(reply.summary, language, s)
    if kind is ReplyKind.CATEGORIES:
        return _categories(language, s)
    if kind is ReplyKind.NOT_YET:
        return _not_yet(reply, language, s)
    if kind is ReplyKind.BUDGET_SET:
        return _budget_set(reply, language, s)
    if kind is ReplyKind.BUDGET_STATUS:
        return _budget_status(reply, language, s)
    if kind is ReplyKind.BUDGET_ALERT:
        return "\n".join(_budget_alerts(reply, language, s)) or s["budget.none.any"]
    if kind is ReplyKind.WHO_PAID:
        return _with_lines(reply, "who_paid", s, numbered=len(reply.transactions) > 1)
    if kind is ReplyKind.PAYER_SET:
        return _with_lines(reply, "payer_set", s)
    if kind is ReplyKind.AMENDED:
        if not reply.transactions:
            return s["amended.bare"]
        return "\n".join(s["amended"].format(line=_line(tx, language)) for tx in reply.transactions)
    if kind is ReplyKind.LINK_INVALID:
        return s.get(f"link.{reply.problem}", s["link.link_unknown"])
    if kind is ReplyKind.LINK_CONFIRM:
        account = _link_account(reply)
        return s["link_confirm"].format(account=account) if account else s["link_confirm.bare"]
    if kind in (
        ReplyKind.INVITATION_CREATED,
        ReplyKind.JOINED,
        ReplyKind.INVITATION_INVALID,
        ReplyKind.CONTEXT_ARCHIVED,
    ):
        return _sharing(reply, s)
    if kind is ReplyKind.GROUP_BOUND:
        return s["group_bound"].format(name=first.name) if first is not None else s["group_bound.bare"]
    if kind is ReplyKind.GROUP_UNBOUND:
        return s["group_unbound"].format(name=first.name) if first is not None else s["group_unbound.bare"]
    if kind in (
        ReplyKind.SUBSCRIPTIONS,
        ReplyKind.SUBSCRIPTION_REMINDER,
        ReplyKind.SUBSCRIPTION_PRICE_CHANGE,
    ):
        return render_recurring(reply)
    if kind in (ReplyKind.CARD_BILL, ReplyKind.CARD_SET):
        return render_cards(reply, language)
    if kind in IMPORT_KINDS:
        return statement_import_text(reply)
    if kind in COST_SHARING_KINDS:
        return render_cost_sharing(reply)
    if kind is ReplyKind.SEARCH_RESULTS:
        return render_search(reply, _line)
    return None


def _sharing(reply: ReplyV1, s: dict[str, str]) -> str:
    """The text of an invitation made, a ledger joined, an invitation refused, or an archived ledger."""
    first = reply.contexts[0] if reply.contexts else None
    kind = reply.kind
    if kind is ReplyKind.INVITATION_CREATED:
        if first is None or not reply.invite_code or reply.invite_role is None:
            return s["invitation_created.bare"]
        expires = reply.invite_expires_at
        when = ""
        if expires is not None:
            when = expires.strftime("%d/%m %H:%M UTC" if reply.language == "pt" else "%m/%d %H:%M UTC")
        return s["invitation_created"].format(
            name=_quote(first.name, 80),
            role=s[f"role.{reply.invite_role}"],
            code=_quote(reply.invite_code, 32),
            expires=when,
        )
    if kind is ReplyKind.JOINED:
        if first is None:
            return s["joined.bare"]
        key = "joined.viewer" if first.role == "viewer" else "joined"
        return s[key].format(name=_quote(first.name, 80), role=s[f"role.{first.role}"])
    if kind is ReplyKind.CONTEXT_ARCHIVED:
        if first is None:
            return s["context_archived.bare"]
        return s["context_archived"].format(name=_quote(first.name, 80))
    problem = reply.problem or "invitation_unknown"
    if problem == "invitation_role":
        if reply.invite_role is None:
            return s["invitation.invitation_role.bare"]
        return s["invitation.invitation_role"].format(role=s[f"role.{reply.invite_role}"])
    return s.get(f"invitation.{problem}", s["invitation.invitation_unknown"])


def _link_account(reply: ReplyV1) -> str | None:
    """ "“ana” (Ana Silva)": the account a link confirmation names, as plain text (its owner chose
    both names), or None when the reply names none."""
    username = _quote(reply.link_account or "", 60)
    name = _quote(reply.link_account_name or "", 80)
    if not username:
        return f"“{name}”" if name else None
    if not name or name.casefold() == username.casefold():
        return f"“{username}”"
    return f"“{username}” ({name})"


def _quote(text: str, limit: int = 200) -> str:
    """Return ``text`` on one line, cut at ``limit`` characters with an ellipsis."""
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"
