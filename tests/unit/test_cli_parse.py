"""`financy parse`: the DESIGN §5 JSON shape, reproducible with --today/--tz/--currency, clear errors."""

from __future__ import annotations

import json

import pytest

from financy.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["parse", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_design_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "gastei 45,90 no mercado ontem", "--json", "--today", "2026-11-29")
    assert code == 0
    assert json.loads(out) == {
        "language": "pt",
        "intent": "record",
        "transactions": [
            {
                "kind": "expense",
                "amount": "45.90",
                "currency": "BRL",
                "occurred_on": "2026-11-28",
                "merchant": "mercado",
                "category": "groceries",
                "payment_method": None,
                "installments": None,
            }
        ],
        "confidence": 0.85,
    }


def test_base_currency_applies_when_none_is_said(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "lunch 12", "--json", "--today", "2026-11-29", "--currency", "eur", "--lang", "en"
    )
    assert code == 0
    (tx,) = json.loads(out)["transactions"]
    assert (tx["amount"], tx["currency"]) == ("12", "EUR")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--currency", "R$"], "--currency must be an ISO 4217 code"),
        (["--currency", ""], "--currency must be an ISO 4217 code"),
        (["--today", "29/11/2026"], "--today must be YYYY-MM-DD"),
        (["--today", "0001-01-01"], "--today must be between"),
        (["--tz", "Mars/Olympus"], "unknown time zone"),
    ],
)
def test_bad_options_exit_2_with_a_message(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, "gastei 10 ontem", *args)
    assert code == 2
    assert out == ""
    assert message in err


def test_nothing_to_record_is_said(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "2 pizzas", "--today", "2026-11-29")
    assert code == 0
    assert out.strip() == "(nothing to record: unknown, no_amount)"


def test_categorize_without_a_model_says_how_to_get_one(
    capsys: pytest.CaptureFixture[str], tmp_path: pytest.TempPathFactory
) -> None:
    code = main(["categorize", "paguei 30 na farmácia", "--json", "--models-dir", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 0
    assert json.loads(out) == {
        "text": "paguei 30 na farmácia",
        "category": "health",
        "model": [],
        "model_version": None,
        "keywords": "health",
    }
    assert "financy core train" in err
