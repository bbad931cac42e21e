"""Receipts as printed in other countries and languages: totals, currencies without decimals, dates.

Every receipt text here was written for these tests (synthetic OCR output of made-up shops, in the
label vocabulary of each country); none comes from an evaluation set.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from babel.core import get_global

from financy.inference.vision import words
from financy.inference.vision.fields import extract_fields, find_amounts
from financy.inference.vision.merchants import known_merchant, merchant_key

D = Decimal

RECEIPTS: dict[str, str] = {
    "fr": """CARREF0UR
12 RUE DES LILAS 75011 PARIS
TEL +33 1 43 55 12 12
14/03/2024 12:41
BAGUETTE TRADITION        1,20
FROMAGE COMTE 250G        5,90
EAU MINERALE 6X1,5L       3,45
TOTAL HT                  9,59
TVA 5,5%                  0,53
TOTAL TTC                10,55
CB                       10,55
MERCI DE VOTRE VISITE""",
    "fr2": """BOULANGERIE DU MARCHE
Le 02/11/2023 a 08:15
2 CROISSANT               2,40
1 PAIN AU CHOCOLAT        1,30
NET A PAYER               3,70
ESPECES                   5,00
RENDU MONNAIE             1,30""",
    "de": """LIDLDIENSTAG
Hauptstr. 5, 10115 Berlin
Vollkornbrot              1,49 A
Milch 1,5%                0,99 A
Bananen                   1,79 A
ZU ZAHLEN                 4,27
BAR                      10,00
RUECKGELD                 5,73
MWST 7% A 0,28
05.03.2024 18:27""",
    "de2": """Baeckerei Sonnenschein
Brezel                    0,89
Kaffee                    2,40
EC-KARTE                  3,29
08.01.2024 07:55""",
    "it": """PANIFICIO ROSSI SRL
P.IVA 01234567890
DOCUMENTO COMMERCIALE
FOCACCIA                  3,50
CAPPUCCINO                1,60
TOTALE COMPLESSIVO        5,10
DI CUI IVA                0,46
PAGAMENTO CONTANTE       10,00
RESTO                     4,90
IMPORTO PAGATO            5,10
21-06-2023 10:02""",
    "es": """FRUTERIA LA HUERTA
NIF B12345678
TOMATES 1,2KG             2,38
NARANJAS                  1,95
BASE IMPONIBLE            3,93
IVA 10%                   0,39
TOTAL A PAGAR             4,32
EFECTIVO                  5,00
CAMBIO                    0,68
15/07/2023""",
    "es_total_eur": """BAR MANOLO
2 CANAS                   3,00
1 TAPA                    2,50
TOTAL €                   5,50
01/08/2023 22:10""",
    "cs": """POTRAVINY U NADRAZI
ICO 12345678
Rohlik                    3,90
Maslo                    54,90
Mleko                    21,90
CELKEM K UHRADE          80,70
HOTOVOST                100,00
VRACENO                  19,30
12.09.2023 17:45""",
    "nl": """BAKKERIJ DE ZON
Bruin brood               2,95
Appeltaart                4,50
TOTAAL                    7,45
PIN                       7,45
03-10-2023 09:12""",
    "pt": """PADARIA PAO QUENTE LTDA
CNPJ 12.345.678/0001-95
PAO FRANCES               6,50
CAFE COM LEITE            5,00
VALOR TOTAL R$           11,50
DINHEIRO                 20,00
TROCO                     8,50
03/05/202318:27""",
    "pt_pt": """PASTELARIA ALFAMA
NIF 501234567
2 PASTEL DE NATA          2,60
1 BICA                    0,80
VALOR A PAGAR             3,40 EUR
04-02-2024 16:20""",
    "id": """WARUNG MAKAN SEDERHANA
Jl. Merdeka No. 10 Bandung
Telp +62 22 1234567
Nasi Goreng            25.000
Es Teh                  5.000
Kerupuk                 2.000
TOTAL BAYAR            32.000
TUNAI                  50.000
KEMBALI                18.000
12/05/2024 19:30""",
    "id2": """KEDAI KOPI
Kopi susu     Rp 18,000
Roti bakar    Rp 15,000
Total         Rp 33,000
11/06/2024""",
    "my": """KEDAI RUNCIT AMAN
Roti canai            RM 2.50
Teh tarik             RM 2.00
JUMLAH                RM 4.50
09/04/2024 08:10 AM""",
    "jp": """ローソン
おにぎり            ¥150
お茶                ¥128
合計                ¥278
お預り              ¥1,000
お釣り              ¥722
2024/02/10 13:05""",
    "jp2": """喫茶 さくら
ブレンドコーヒー      500
ケーキセット        1,280
合計              ¥1,780""",
    "kr": """카페 모카
아메리카노        4,500원
치즈케이크        7,500원
합계             12,000원
2024-03-15 14:22""",
    "cl": """PANADERIA LA ESPIGA
RUT 76.123.456-7
Marraqueta            $ 1.290
Empanada              $ 2.500
TOTAL                 $ 3.790
15/10/2023""",
    "co": """TIENDA DON JOSE
NIT 900.123.456-1
Arepa                  3.500
Cafe                   2.000
TOTAL A PAGAR        $ 5.500""",
    "hu": """PEKSEG
Kifli                  120 Ft
Kakaos csiga           450 Ft
OSSZESEN               570 Ft
2024.01.20""",
    "us": """JOE'S DINER
123 Main St
Austin, TX 78701
12/24/2023 05:32 PM
2 Pancakes            $8.50
Coffee                $2.25
Subtotal             $10.75
Tax                   $0.89
Total                $11.64""",
    "nodate": """MERCADINHO DO ZE
ARROZ 5KG                24,90
FEIJAO 1KG                8,50
TOTAL                    33,40""",
    "incl": """CAFE KOALA
Flat white                 4.50
Muffin                     3.80
TOTAL                      8.30
TOTAL INCLUDES GST         0.75""",
    "inkl": """Kiosk am Markt
Zeitung                    2,50
Wasser                     1,20
SUMME inkl. MwSt           3,70""",
}

#: name -> (total, currency, date, merchant); None where the receipt prints none.
EXPECTED: dict[str, tuple[Decimal | None, str | None, dt.date | None, str | None]] = {
    "fr": (D("10.55"), "EUR", dt.date(2024, 3, 14), "Carrefour"),
    "fr2": (D("3.70"), "EUR", dt.date(2023, 11, 2), "BOULANGERIE DU MARCHE"),
    "de": (D("4.27"), "EUR", dt.date(2024, 3, 5), "LIDLDIENSTAG"),
    "de2": (D("3.29"), "EUR", dt.date(2024, 1, 8), "Baeckerei Sonnenschein"),
    "it": (D("5.10"), "EUR", dt.date(2023, 6, 21), "PANIFICIO ROSSI SRL"),
    "es": (D("4.32"), "EUR", dt.date(2023, 7, 15), "FRUTERIA LA HUERTA"),
    "es_total_eur": (D("5.50"), "EUR", dt.date(2023, 8, 1), "BAR MANOLO"),
    "cs": (D("80.70"), "CZK", dt.date(2023, 9, 12), "POTRAVINY U NADRAZI"),
    "nl": (D("7.45"), "EUR", dt.date(2023, 10, 3), "BAKKERIJ DE ZON"),
    "pt": (D("11.50"), "BRL", dt.date(2023, 5, 3), "PADARIA PAO QUENTE LTDA"),
    "pt_pt": (D("3.40"), "EUR", dt.date(2024, 2, 4), "PASTELARIA ALFAMA"),
    "id": (D("32000"), "IDR", dt.date(2024, 5, 12), "WARUNG MAKAN SEDERHANA"),
    "id2": (D("33000"), "IDR", dt.date(2024, 6, 11), "KEDAI KOPI"),
    "my": (D("4.50"), "MYR", dt.date(2024, 4, 9), "KEDAI RUNCIT AMAN"),
    "jp": (D("278"), "JPY", dt.date(2024, 2, 10), "ローソン"),
    "jp2": (D("1780"), "JPY", None, "喫茶 さくら"),
    "kr": (D("12000"), "KRW", dt.date(2024, 3, 15), "카페 모카"),
    "cl": (D("3790"), "CLP", dt.date(2023, 10, 15), "PANADERIA LA ESPIGA"),
    "co": (D("5500"), "COP", None, "TIENDA DON JOSE"),
    "hu": (D("570"), "HUF", dt.date(2024, 1, 20), "PEKSEG"),
    "us": (D("11.64"), "USD", dt.date(2023, 12, 24), "JOE'S DINER"),
    "nodate": (D("33.40"), None, None, "MERCADINHO DO ZE"),
    "incl": (D("8.30"), None, None, "CAFE KOALA"),
    "inkl": (D("3.70"), "EUR", None, "Kiosk am Markt"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_receipts_of_other_countries(name: str) -> None:
    f = extract_fields(RECEIPTS[name].split("\n"))
    assert (f.total, f.currency, f.date, f.merchant) == EXPECTED[name]
    assert f.problem is None


def test_the_neighbours_of_the_total_in_other_languages() -> None:
    fr = extract_fields(RECEIPTS["fr"].split("\n"))
    assert (fr.subtotal, fr.tax, fr.total_verified) == (D("9.59"), D("0.53"), True)
    de = extract_fields(RECEIPTS["de"].split("\n"))
    assert (de.tax, de.change, de.tendered) == (D("0.28"), D("5.73"), D("10.00"))
    it = extract_fields(RECEIPTS["it"].split("\n"))
    assert (it.tax, it.change) == (D("0.46"), D("4.90"))  # "DI CUI IVA", "RESTO"
    es = extract_fields(RECEIPTS["es"].split("\n"))
    assert (es.subtotal, es.tax, es.change, es.total_verified) == (D("3.93"), D("0.39"), D("0.68"), True)
    cs = extract_fields(RECEIPTS["cs"].split("\n"))
    assert (cs.tendered, cs.change, cs.total_verified) == (D("100.00"), D("19.30"), True)
    # "TOTAL INCLUDES GST 0.75" is the tax inside the total; "SUMME inkl. MwSt" is the total.
    incl = extract_fields(RECEIPTS["incl"].split("\n"))
    assert (incl.total, incl.tax) == (D("8.30"), D("0.75"))


def test_what_a_card_was_charged_or_cash_less_change_is_the_total_when_none_is_printed() -> None:
    card = extract_fields(["Baeckerei Sonnenschein", "Brezel   0,89", "Kaffee   2,40", "EC-KARTE   3,29"])
    assert (card.total, card.payment_method) == (D("3.29"), "debit_card")
    cash = extract_fields(["Kiosk Nord", "Zeitung   2,50", "BAR EUR   10,00", "Rueckgeld   7,50"])
    assert cash.total == D("2.50")
    # Cash handed over without the change read says nothing about the total: asked, not guessed.
    unknown = extract_fields(["Kiosk Nord", "Zeitung   2,50", "BAR EUR   10,00"])
    assert (unknown.total, unknown.problem) == (None, "no_total")
    # An item named "Bar ..." is not a cash payment.
    bar = extract_fields(["Cafe Ost", "Bar snacks   4,50", "SUMME   4,50"])
    assert [i.description for i in bar.items] == ["Bar snacks"]


@pytest.mark.parametrize(
    ("line", "currency", "expected"),
    [
        ("Nasi Goreng            25.000", "IDR", D("25000")),
        ("Total         Rp 33,000", "IDR", D("33000")),
        ("Rp25.000,00", "IDR", D("25000.00")),
        ("合計              ¥1,780", "JPY", D("1780")),
        ("합계             12,000원", "KRW", D("12000")),
        ("TOTAL                 $ 3.790", "CLP", D("3790")),
        ("Kifli                  12 990 Ft", "HUF", D("12990")),
        ("Cafe   1.250.000", "COP", D("1250000")),
    ],
)
def test_whole_amounts_of_currencies_without_decimals(line: str, currency: str, expected: Decimal) -> None:
    assert words.currencies()[currency].receipt_decimals == 0
    (amount,) = find_amounts(line, whole=True)
    assert amount.value == expected


def test_numbers_that_are_not_money_on_a_receipt_without_decimals() -> None:
    for line in (
        "Meja 12 Kasir 3",
        "Telp 0812 3456 7890",
        "12/05/2024 19:30",
        "PPN 10%",
        "2 x Es Teh",
        "Beras 1.25 kg",
    ):
        assert find_amounts(line, whole=True) == [], line
    # A number ending a line after a column gap, or on a labelled line, is an amount.
    assert [a.value for a in find_amounts("Kerupuk     2000", whole=True)] == [D("2000")]
    assert [a.value for a in find_amounts("TOTAL 500", whole=True, labelled=True)] == [D("500")]


def test_the_currency_comes_from_markers_then_country_hints_then_label_language() -> None:
    def currency(*lines: str, hint: str | None = None) -> str | None:
        return extract_fields(["LOJA", *lines], currency=hint).currency

    assert currency("Kava   45,00 Kč", "CELKEM   45,00") == "CZK"  # a marker
    assert currency("Tel +420 603 123 456", "Kava   45,00", "SUMA   45,00") == "CZK"  # a phone prefix
    assert currency("NPWP 01.234.567.8-901.000", "Kopi    18.000", "TOTAL   18.000") == "IDR"  # a tax id word
    assert currency("Kava   45,00", "CELKEM K UHRADE   45,00", hint="BRL") == "CZK"  # the labels' language
    assert currency("Coffee   4.50", "TOTAL   4.50", hint="BRL") == "BRL"  # nothing: the caller's
    assert currency("Coffee   $4.50", "TOTAL   $4.50", hint="CAD") == "CAD"  # a bare "$": a dollar hint
    assert currency("RUT 76.123.456-7", "Pan   $ 1.290", "TOTAL   $ 1.290") == "CLP"  # "$" in Chile
    assert currency("茶   ¥12.50", "合计   ¥12.50") == "CNY"  # "¥" with decimals: yuan
    # A lettered marker counts beside a number only, and never outvotes the dollar signs: "6 Ft" of cable.
    assert currency("Cable 6 Ft   $12.99", "Rope   $4.50", "TOTAL   $17.49", hint="BRL") == "USD"
    assert currency("FT CABLE   $12.99", "TOTAL   $12.99", hint="BRL") == "USD"


def test_dates_glued_to_times_us_dates_with_a_time_and_iso_dates() -> None:
    def read(line: str, language: str | None = None) -> tuple[dt.date | None, dt.time | None]:
        f = extract_fields(["LOJA", line, "TOTAL 12,00"], language=language)
        return f.date, f.time

    assert read("03/05/202318:27") == (dt.date(2023, 5, 3), dt.time(18, 27))
    assert read("03/05/202318:27", "pt") == (dt.date(2023, 5, 3), dt.time(18, 27))
    assert read("Data: 2023-05-0318:27:05") == (dt.date(2023, 5, 3), dt.time(18, 27, 5))
    assert read("12/24/2023 05:32 PM") == (dt.date(2023, 12, 24), dt.time(17, 32))
    # A 12-hour clock is the US convention: month first when nothing else says.
    assert read("12/11/2023 05:32 PM") == (dt.date(2023, 12, 11), dt.time(17, 32))
    assert read("2024-02-10T13:05:00") == (dt.date(2024, 2, 10), dt.time(13, 5))


def test_merchant_names_ocr_garbled_are_matched_to_known_names() -> None:
    assert known_merchant("SUPERMERCADOPAODEACUCAR") == "Pao de Acucar"
    assert known_merchant("CARREF0UR") == "Carrefour"
    assert known_merchant("LIDLDIENSTAG", names=["lidl"]) == "Lidl"
    assert known_merchant("REWE MARKT", names=["rewe markt"]) == "REWE MARKT"  # already right: as printed
    assert known_merchant("SAFEVVAY", names=["safeway"]) is None  # two edits in seven letters
    assert known_merchant("SAFEWAYC", names=["safeway"]) == "Safeway"
    assert known_merchant("PADARIA SAO JORGE", names=["lidl"]) is None
    assert merchant_key("CARREF0UR") == merchant_key("Carrefour")
    assert merchant_key("L1DL") == merchant_key("lidl")


def test_zero_decimal_currencies_agree_with_cldr() -> None:
    """``receipt_decimals`` is CLDR's ``digits`` (babel's copy of supplementalData) for every row."""
    fractions = get_global("currency_fractions")
    for code, currency in words.currencies().items():
        digits = fractions.get(code, fractions["DEFAULT"])[0]
        assert currency.receipt_decimals == digits, code
        assert currency.iso_minor in (0, 2), code


def test_every_label_row_compiles_and_each_total_has_a_strength() -> None:
    for label in ("total", "subtotal", "tax", "change", "tendered"):
        assert (
            words.label_line(
                {
                    "total": "total ttc",
                    "subtotal": "total ht",
                    "tax": "tva 20%",
                    "change": "rendu monnaie",
                    "tendered": "especes",
                }[label]
            ).label
            == label
        )  # type: ignore[union-attr]
    assert words.label_line("net a payer").strength == 3  # type: ignore[union-attr]
    assert words.label_line("totaal").strength == 2  # type: ignore[union-attr]
    assert words.label_line("ec-karte").tendered == "exact"  # type: ignore[union-attr]
    assert words.label_line("totalapagar").strength == 3  # type: ignore[union-attr]
