"""Reader dates: relative days as ``days_ago``, everything else as ``occurred_on`` from ``today``.

``TODAY`` is Saturday 28 November 2026.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from financy.inference.text import read_message

TODAY = dt.date(2026, 11, 28)


def when(text: str, *, today: dt.date = TODAY, hint: str | None = None) -> tuple[dt.date | None, int | None]:
    reading = read_message(text, today=today, language_hint=hint)
    assert reading.intent == "record", reading
    item = reading.items[0]
    return item.occurred_on, item.days_ago


@pytest.mark.parametrize(
    ("text", "days_ago"),
    [
        ("hoje uber 20", 0),
        ("hj uber 20", 0),
        ("today coffee 5", 0),
        ("ontem uber 20", 1),
        ("yesterday lunch 12", 1),
        ("anteontem uber 20", 2),
        ("antes de ontem uber 20", 2),
        ("the day before yesterday lunch 12", 2),
        ("há 3 dias uber 20", 3),
        ("ha 3 dias uber 20", 3),
        ("faz 3 dias uber 20", 3),
        ("3 dias atrás uber 20", 3),
        ("há dois dias uber 20", 2),
        ("3 days ago lunch 12", 3),
        ("two days ago lunch 12", 2),
        ("há duas semanas cinema 40", 14),
        ("a week ago movie 40", 7),
    ],
)
def test_relative_days(text: str, days_ago: int) -> None:
    assert when(text) == (None, days_ago)


@pytest.mark.parametrize(
    ("text", "hint", "day"),
    [
        ("dia 5 mercado 100", None, dt.date(2026, 11, 5)),
        ("no dia 28 mercado 100", None, dt.date(2026, 11, 28)),
        ("dia 30 mercado 100", None, dt.date(2026, 10, 30)),  # after today: last month
        ("dia primeiro aluguel 1500", None, dt.date(2026, 11, 1)),
        ("on the 3rd lunch 12", "en", dt.date(2026, 11, 3)),
        ("the 21st dinner 30", "en", dt.date(2026, 11, 21)),
    ],
)
def test_day_of_month(text: str, hint: str | None, day: dt.date) -> None:
    assert when(text, hint=hint) == (day, None)


def test_day_of_month_skips_months_without_that_day() -> None:
    assert when("dia 31 luz 100", today=dt.date(2026, 3, 10)) == (dt.date(2026, 1, 31), None)
    assert when("dia 31 luz 100") == (dt.date(2026, 10, 31), None)


@pytest.mark.parametrize(
    ("text", "hint", "day"),
    [
        ("5/11 mercado 30", "pt", dt.date(2026, 11, 5)),
        ("28/11 mercado 30", "pt", dt.date(2026, 11, 28)),
        ("25/12 presente 100", "pt", dt.date(2025, 12, 25)),  # after today: last year
        ("5/11/2025 mercado 30", "pt", dt.date(2025, 11, 5)),
        ("05/11/25 mercado 30", "pt", dt.date(2025, 11, 5)),
        ("05.11.2025 mercado 30", "pt", dt.date(2025, 11, 5)),
        ("2025-11-05 mercado 30", "pt", dt.date(2025, 11, 5)),
        # English: month/day only when the day (> 12) makes it certain, else day/month
        ("11/28 lunch 12", "en", dt.date(2026, 11, 28)),
        ("13/11 lunch 12", "en", dt.date(2026, 11, 13)),
        ("5/11 lunch 12", "en", dt.date(2026, 11, 5)),
    ],
)
def test_numeric_dates(text: str, hint: str, day: dt.date) -> None:
    assert when(text, hint=hint) == (day, None)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("5 de novembro mercado 30", dt.date(2026, 11, 5)),
        ("1º de maio mercado 30", dt.date(2026, 5, 1)),
        ("10 de dez mercado 30", dt.date(2025, 12, 10)),
        ("5 de novembro de 2024 mercado 30", dt.date(2024, 11, 5)),
        ("november 5th lunch 12", dt.date(2026, 11, 5)),
        ("nov 5, 2025 lunch 12", dt.date(2025, 11, 5)),
        ("the 3rd of march lunch 12", dt.date(2026, 3, 3)),
    ],
)
def test_named_months(text: str, day: dt.date) -> None:
    assert when(text) == (day, None)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("sexta passada bar 30", dt.date(2026, 11, 27)),
        ("sexta-feira passada bar 30", dt.date(2026, 11, 27)),
        ("última sexta bar 30", dt.date(2026, 11, 27)),
        ("na segunda bar 30", dt.date(2026, 11, 23)),
        ("segunda-feira bar 30", dt.date(2026, 11, 23)),
        ("no sábado feira 40", dt.date(2026, 11, 28)),  # on or before today
        ("sábado passado feira 40", dt.date(2026, 11, 21)),  # strictly before today
        ("sexta retrasada bar 30", dt.date(2026, 11, 20)),
        ("last friday lunch 12", dt.date(2026, 11, 27)),
        ("last saturday lunch 12", dt.date(2026, 11, 21)),
        ("on monday lunch 12", dt.date(2026, 11, 23)),
        ("semana passada mercado 50", dt.date(2026, 11, 21)),
        ("last week dinner 30", dt.date(2026, 11, 21)),
        ("amanhã aluguel 50", dt.date(2026, 11, 29)),
        ("tomorrow rent 50", dt.date(2026, 11, 29)),
    ],
)
def test_weekdays_and_weeks(text: str, day: dt.date) -> None:
    assert when(text) == (day, None)


def test_ordinal_words_are_not_weekdays() -> None:
    assert when("segunda parcela 100") == (None, None)


def test_no_date_words() -> None:
    assert when("uber 23") == (None, None)


def test_numbers_in_dates_are_not_amounts() -> None:
    """Each item keeps the date written in its own words (see test_reader_guards.py)."""
    reading = read_message("dia 5 mercado 100 e há 3 dias uber 20", today=TODAY)
    assert [(i.amount, i.occurred_on, i.days_ago) for i in reading.items] == [
        (Decimal(100), dt.date(2026, 11, 5), None),
        (Decimal(20), None, 3),
    ]


def test_first_date_in_the_text_wins() -> None:
    assert when("ontem, quer dizer dia 5, mercado 100") == (None, 1)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("padaria 12 no dia 5 do mês passado", dt.date(2026, 10, 5)),
        ("dia 31 do mês anterior farmácia 40", dt.date(2026, 10, 31)),
        ("dia 2 do mês retrasado luz 150", dt.date(2026, 9, 2)),
        ("taxi 18 on the 10th of last month", dt.date(2026, 10, 10)),
    ],
)
def test_day_of_last_month(text: str, day: dt.date) -> None:
    assert when(text) == (day, None)


def test_day_of_last_month_that_does_not_exist_asks() -> None:
    reading = read_message("dia 31 do mês passado mercado 40", today=dt.date(2026, 12, 5))
    assert (reading.intent, reading.items, reading.problem) == ("unknown", (), "ambiguous_date")


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("quinta paguei 35 na farmácia", dt.date(2026, 11, 26)),
        ("segunda 18 de pedágio", dt.date(2026, 11, 23)),
        ("quarta comprei 60 de ração", dt.date(2026, 11, 25)),
        ("terça 30 no bar", dt.date(2026, 11, 24)),
        ("sábado paguei 50 de feira", dt.date(2026, 11, 28)),
    ],
)
def test_bare_weekday_before_a_verb_or_an_amount(text: str, day: dt.date) -> None:
    assert when(text) == (day, None)


@pytest.mark.parametrize(
    "text",
    ["segunda via do boleto 12", "quinta vez que pago 30 de taxa", "paguei a quarta parcela de 80"],
)
def test_ordinal_segunda_quarta_quinta_stay_words(text: str) -> None:
    assert when(text) == (None, None)


@pytest.mark.parametrize(
    ("text", "days_ago"),
    [
        ("a 3 dias paguei 25 de lanche", 3),
        ("a 4 dias atrás farmácia 30", 4),
        ("ha 2 dias padaria 9", 2),
        ("a dois dias gastei 40 no posto", 2),
        ("pizza 45 last night", 1),
        ("ontem à noite bar 60", 1),
        ("coffee 6 this morning", 0),
    ],
)
def test_more_relative_days(text: str, days_ago: int) -> None:
    assert when(text) == (None, days_ago)


@pytest.mark.parametrize(
    "text",
    ["daqui a 2 dias pago 50 de luz", "prazo de 2 a 5 dias frete 30", "a 2 dias do vencimento paguei 90"],
)
def test_a_n_dias_that_is_not_a_past_date(text: str) -> None:
    assert when(text) == (None, None)
