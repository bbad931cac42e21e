"""A family shares a ledger on a real single box, end to end (the shared-ledgers story).

The box is started as a user starts it (``python -m financy.cli up``, see
:func:`tests.support.box.running_box`): embedded PostgreSQL and Redis by default, or the servers
named by ``FINANCY_TEST_DATABASE_URL`` / ``FINANCY_TEST_REDIS_URL``. Ana is the box's first login
(``admin``) and its dev chat user ``admin``; Bruno is a second dev chat user. The tests run in
order and share one story (:class:`Story`): each step builds on the ledger the one before left.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pyotp
import pytest
from currency_converter import CurrencyConverter

from tests.support.box import Box, running_box

pytestmark = pytest.mark.e2e

TZ = ZoneInfo("America/Sao_Paulo")
ANA, BRUNO = "admin", "bruno"
#: The two budget alerts of the groceries budget of R$ 100,00 (render.py's budget.alert.80 / .100.exact).
ALERT_80 = re.compile(
    r"⚠️ Mercado já usou 80% do orçamento de [^:]+: R\$ 80,00 de R\$ 100,00, restam R\$ 20,00"
)
ALERT_100 = re.compile(r"🚨 Orçamento de Mercado esgotado em [^:]+: R\$ 100,00 de R\$ 100,00")


@dataclass
class Story:
    """What the steps share: the box, Ana's sign-in token, the family ledger and Bruno's entry."""

    box: Box
    token: str
    casa: str = ""
    bruno_id: str = ""
    entry: str = ""
    seq: dict[str, int] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def tx(self) -> str:
        return f"{self.box.api}/api/v1/contexts/{self.casa}/transactions"

    def say(self, user: str, text: str, **extra: Any) -> dict[str, Any]:
        """Send ``text`` as dev chat ``user`` in their private chat; return the bot's reply."""
        body = {"text": text, "user_id": user, "name": user.title(), "wait": 30, **extra}
        response = httpx.post(f"{self.box.edge}/devchat/messages", json=body, timeout=40)
        assert response.status_code == 200, response.text
        reply: dict[str, Any] = response.json()["reply"]
        self.seq[user] = max(self.seq.get(user, 0), int(reply["seq"]))
        return reply

    def listed(self, **params: str) -> list[dict[str, Any]]:
        """Return every transaction of the family ledger the API lists with ``params`` (all pages)."""
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            query = {"limit": "200", **params, **({"cursor": cursor} if cursor else {})}
            page = httpx.get(self.tx, params=query, headers=self.headers).json()
            items.extend(page["items"])
            cursor = page["next_cursor"]
            if not cursor:
                return items


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    with running_box(tmp_path_factory.mktemp("family"), redis_db=12) as box:
        yield Story(box, box.token())


def today() -> dt.date:
    return dt.datetime.now(TZ).date()


def test_1_ana_has_a_family_ledger_and_her_chat_records_into_it(story: Story) -> None:
    assert story.say(ANA, "oi")["kind"] != "recorded"
    created = httpx.post(
        f"{story.box.api}/api/v1/contexts",
        json={"name": "Casa", "type": "family", "base_currency": "BRL", "time_zone": "America/Sao_Paulo"},
        headers=story.headers,
    )
    assert created.status_code == 201, created.text
    story.casa = created.json()["id"]
    listed = httpx.get(f"{story.box.api}/api/v1/contexts", headers=story.headers).json()["items"]
    assert sorted((c["name"], c["type"]) for c in listed if c["type"] == "family") == [("Casa", "family")]
    switched = story.say(ANA, "/contexto Casa")
    assert switched["text"].startswith("🔀 Agora esta conversa registra em: Casa (família)."), switched


def test_2_bruno_joins_as_viewer_is_refused_then_records_as_editor(story: Story) -> None:
    invite = story.say(ANA, "/convidar leitor")["text"]
    match = re.search(r"Convite para Casa como leitor: (\S+)", invite)
    assert match, invite
    joined = story.say(BRUNO, f"/entrar {match.group(1)}")["text"]
    assert joined.startswith("🤝 Pronto! Você entrou em Casa como leitor: pode ver e perguntar"), joined
    assert "não registrar" in joined, joined
    members = httpx.get(f"{story.box.api}/api/v1/contexts/{story.casa}/members", headers=story.headers)
    roles = {m["user_id"]: m["role"] for m in members.json()["items"]}
    assert sorted(roles.values()) == ["owner", "viewer"]
    story.bruno_id = next(u for u, r in roles.items() if r == "viewer")

    refused = story.say(BRUNO, "gastei 30 no mercado")
    assert refused["text"].startswith("🔒 Neste livro de contas seu papel só permite ver"), refused
    assert story.listed() == []

    promoted = httpx.patch(
        f"{story.box.api}/api/v1/contexts/{story.casa}/members/{story.bruno_id}",
        json={"role": "editor"},
        headers=story.headers,
    )
    assert promoted.status_code == 200, promoted.text
    assert promoted.json() == {"user_id": story.bruno_id, "role": "editor"}
    recorded = story.say(BRUNO, "gastei 30 no mercado")
    assert recorded["kind"] == "recorded", recorded
    assert recorded["text"].startswith(f"✅ R$ 30,00 · mercado · Mercado · {today():%d/%m}"), recorded
    (entry,) = story.listed()
    assert (entry["amount"], entry["category"], entry["author_id"], entry["occurred_on"]) == (
        "30.00",
        "groceries",
        story.bruno_id,
        today().isoformat(),
    )
    story.entry = entry["id"]

    back = story.say(BRUNO, "/pessoal")
    assert back["text"].startswith("🔀"), back
    assert story.say(BRUNO, "uber 12")["kind"] == "recorded"
    assert [t["id"] for t in story.listed()] == [story.entry]  # Bruno's uber went to his own ledger


def test_3_ana_edits_splits_deletes_and_restores_brunos_entry_with_an_audit(story: Story) -> None:
    url = f"{story.tx}/{story.entry}"
    edited = httpx.patch(url, json={"amount": "35.00", "merchant": "Atacadão"}, headers=story.headers)
    assert edited.status_code == 200, edited.text
    assert (edited.json()["amount"], edited.json()["merchant"], edited.json()["base_amount"]) == (
        "35.00",
        "Atacadão",
        "35.00",
    )
    lines = [
        {"category": "groceries", "amount": "25.00"},
        {"category": "personal_care", "amount": "10.00", "note": "shampoo"},
    ]
    split = httpx.put(f"{url}/splits", json=lines, headers=story.headers)
    assert split.status_code == 200, split.text
    assert [(s["category"], s["amount"]) for s in split.json()["splits"]] == [
        ("groceries", "25.00"),
        ("personal_care", "10.00"),
    ]
    deleted = httpx.delete(url, headers=story.headers)
    assert (deleted.status_code, deleted.json()["status"]) == (200, "reversed")
    assert story.listed(status="recorded") == []
    restored = httpx.post(f"{url}/restore", headers=story.headers)
    assert (restored.status_code, restored.json()["status"]) == (200, "recorded")
    audit = httpx.get(f"{url}/audit", headers=story.headers).json()["items"]
    me = httpx.get(f"{story.box.api}/api/v1/me", headers=story.headers).json()
    trail = [(e["name"], e["actor"]["id"] if e["actor"] else None) for e in audit]
    assert trail == [
        ("transaction.recorded", story.bruno_id),
        ("transaction.edited", me["id"]),
        ("transaction.split", me["id"]),
        ("transaction.reversed", me["id"]),
        ("transaction.restored", me["id"]),
    ], trail
    assert (audit[1]["before"]["amount"], audit[1]["after"]["amount"]) == ("30.00", "35.00")


def _alerts(story: Story, user: str) -> list[str]:
    """Return the texts of the budget alerts the bot sent to ``user``'s chat since the last look."""
    got = httpx.get(
        f"{story.box.edge}/devchat/replies",
        params={"chat_id": user, "after": str(story.seq.get(user, 0)), "wait": "2"},
        timeout=10,
    ).json()["replies"]
    for reply in got:
        story.seq[user] = max(story.seq.get(user, 0), int(reply["seq"]))
    return [r["text"] for r in got if r["kind"] == "budget_alert"]


def test_4_a_budget_by_chat_alerts_once_at_80_and_once_at_100_percent(story: Story) -> None:
    assert story.say(BRUNO, "/contexto Casa")["text"].startswith("🔀 Agora esta conversa registra em: Casa")
    budget = story.say(ANA, "orçamento de 100 para mercado")["text"]
    assert budget.startswith("🎯 Orçamento de R$ 100,00 por mês para Mercado."), budget
    # Bruno's entry is split: only its R$ 25,00 of groceries counts.
    assert "Este mês: R$ 25,00 de R$ 100,00 (25%) — restam R$ 75,00" in budget, budget
    _alerts(story, BRUNO)

    at_80 = story.say(ANA, "gastei 55 no mercado")["text"]
    assert len(ALERT_80.findall(at_80)) == 1, at_80
    assert not ALERT_100.search(at_80), at_80
    assert [ALERT_80.search(t) is not None for t in _alerts(story, BRUNO)] == [True]

    at_100 = story.say(ANA, "gastei 20 no mercado")["text"]
    assert len(ALERT_100.findall(at_100)) == 1, at_100
    assert not ALERT_80.search(at_100), at_100
    assert [ALERT_100.search(t) is not None for t in _alerts(story, BRUNO)] == [True]

    further = story.say(ANA, "gastei 5 no mercado")["text"]
    assert further.startswith("✅ R$ 5,00"), further
    assert not ALERT_80.search(further), further
    assert not ALERT_100.search(further), further
    assert _alerts(story, BRUNO) == []
    listed = httpx.get(f"{story.box.api}/api/v1/contexts/{story.casa}/budgets", headers=story.headers).json()[
        "items"
    ]
    assert [(b["category"], b["amount"], b["spent"], b["left"], b["percent"]) for b in listed] == [
        ("groceries", "100.00", "105.00", "-5.00", 105)
    ]


def test_5_dollars_on_an_ecb_day_are_valued_at_that_days_cross_rate(story: Story) -> None:
    day = dt.date(today().year, 10, 28)
    rates = CurrencyConverter(fallback_on_missing_rate=False)
    brl, usd = (Decimal(str(rates._get_rate(c, day))) for c in ("BRL", "USD"))  # per EUR, that day
    expected = (Decimal(20) * brl / usd).quantize(Decimal("0.01"), ROUND_HALF_UP)
    reply = story.say(ANA, "paguei 20 dólares no jantar dia 28/10")
    assert reply["kind"] == "recorded", reply
    shown = f"{expected:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    assert reply["text"].startswith(f"✅ US$ 20,00 ≈ R$ {shown} (BCE 28/10)"), reply
    (dinner,) = story.listed(**{"from": day.isoformat(), "to": day.isoformat()})
    assert (dinner["amount"], dinner["currency"], dinner["base_currency"]) == ("20.00", "USD", "BRL")
    assert (Decimal(dinner["base_amount"]), dinner["fx_date"], dinner["fx_source"]) == (
        expected,
        day.isoformat(),
        "ecb",
    )


def _listed_sums(story: Story, first: dt.date, last: dt.date) -> dict[tuple[str, str], Decimal]:
    """Return the base amounts of the expenses the API lists from ``first`` to ``last``, by month
    and category (a split transaction's lines each in their own category, with their share)."""
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for item in story.listed(**{"from": first.isoformat(), "to": last.isoformat(), "status": "recorded"}):
        if item["kind"] != "expense":
            continue
        detail = httpx.get(f"{story.tx}/{item['id']}", headers=story.headers).json()
        parts = detail["splits"] or [{"category": item["category"], "base_amount": item["base_amount"]}]
        for part in parts:
            sums[(item["occurred_on"][:7], part["category"])] += Decimal(part["base_amount"])
    return dict(sums)


def _report(story: Story, first: dt.date, last: dt.date) -> tuple[dict[tuple[str, str], Decimal], Decimal]:
    """Return the month-by-category report's totals by (month, category), and its grand total."""
    report = httpx.get(
        f"{story.box.api}/api/v1/contexts/{story.casa}/reports/month-by-category",
        params={"from": f"{first:%Y-%m}", "to": f"{last:%Y-%m}"},
        headers=story.headers,
    )
    assert report.status_code == 200, report.text
    got = {
        (m["month"][:7], c["category"]): Decimal(c["total"])
        for m in report.json()["months"]
        for c in m["categories"]
    }
    return got, Decimal(report.json()["total"])


def test_6_month_by_category_of_the_dollar_month_equals_the_listed_transactions(story: Story) -> None:
    october = dt.date(today().year, 10, 1)
    sums = _listed_sums(story, october, dt.date(today().year, 10, 31))
    (dinner,) = story.listed(**{"from": f"{october:%Y-%m}-28", "to": f"{october:%Y-%m}-28"})
    assert sums == {(f"{october:%Y-%m}", "restaurants"): Decimal(dinner["base_amount"])}
    assert _report(story, october, october) == (sums, sum(sums.values()))


def test_6b_month_by_category_counts_a_split_by_its_lines(story: Story) -> None:
    first, last = dt.date(today().year, 10, 1), today()
    sums = _listed_sums(story, first, last)
    assert sums[(f"{last:%Y-%m}", "groceries")] == Decimal("105.00")
    assert sums[(f"{last:%Y-%m}", "personal_care")] == Decimal("10.00")
    assert _report(story, first, last) == (sums, sum(sums.values()))


def test_7_totp_login_and_a_read_only_api_token(story: Story) -> None:
    api = f"{story.box.api}/api/v1"
    started = httpx.post(f"{api}/me/totp", headers=story.headers)
    assert started.status_code in (200, 201), started.text
    totp = pyotp.TOTP(started.json()["secret"])
    confirmed = httpx.post(f"{api}/me/totp/confirm", json={"code": totp.now()}, headers=story.headers)
    assert confirmed.status_code == 200, confirmed.text
    assert len(confirmed.json()["recovery_codes"]) == 10
    password = (story.box.data_dir / "secrets" / "admin-password").read_text().strip()
    login = {"username": "admin", "password": password}
    bare = httpx.post(f"{api}/auth/token", json=login)
    assert (bare.status_code, bare.json()["error"]["code"]) == (401, "totp_required")
    # The confirming code was used once; the next step's code is inside the ±30 s window.
    with_code = httpx.post(f"{api}/auth/token", json={**login, "code": totp.at(time.time() + 30)})
    assert with_code.status_code == 200, with_code.text
    fresh = {"Authorization": f"Bearer {with_code.json()['access_token']}"}
    made = httpx.post(f"{api}/me/tokens", json={"name": "planilha", "scopes": ["read"]}, headers=fresh)
    assert made.status_code == 201, made.text
    read_only = {"Authorization": f"Bearer {made.json()['token']}"}
    assert made.json()["token"].startswith("fny_")
    listed = httpx.get(story.tx, headers=read_only)
    assert listed.status_code == 200, listed.text
    assert {t["id"] for t in listed.json()["items"]} == {t["id"] for t in story.listed()}
    body = {"kind": "expense", "amount": "9.90", "currency": "BRL", "occurred_on": today().isoformat()}
    posted = httpx.post(story.tx, json={**body, "category": "groceries"}, headers=read_only)
    assert (posted.status_code, posted.json()["error"]["code"]) == (403, "insufficient_scope")
    assert len(story.listed()) == len(listed.json()["items"])
