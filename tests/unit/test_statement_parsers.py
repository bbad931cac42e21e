"""Statement parsers on real third-party samples (tests/fixtures/statements, see SOURCES.md) and
on small files written here, one per quirk; every value asserted exactly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from financy.core.adapters.statements import CsvOptions, detect_format, load_presets, parse_statement
from financy.core.domain.statements import StatementFormat, StatementFormatError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "statements"
D = Decimal


def read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def amounts(parsed) -> list[Decimal]:
    return [line.amount for line in parsed.lines]


# --- OFX / QFX samples -----------------------------------------------------------------------


def test_banco_do_brasil_utf8_body_under_cp1252_header():
    parsed = parse_statement(read("asgrim_banco_do_brasil_brl.ofx"))
    assert parsed.format is StatementFormat.OFX
    assert len(parsed.lines) == 1
    line = parsed.lines[0]
    assert (line.occurred_on, line.amount, line.currency) == (dt.date(2015, 11, 3), D("239.55"), "BRL")
    assert line.memo == "DOC CRÉDITO EM CONTA"
    assert line.check_number == "252602"
    assert line.external_id == "20151103023955"
    assert (parsed.balance, parsed.balance_on) == (D("239.35"), dt.date(2015, 12, 9))
    assert parsed.account == "455000-5"
    assert parsed.detected["encoding"] == "utf-8"


def test_bank_medium_sgml_with_time_zone_suffix_keeps_written_dates():
    parsed = parse_statement(read("ofxparse_bank_medium_sgml_v102.ofx"))
    assert amounts(parsed) == [D("-6.60"), D("-316.67"), D("-22.00")]
    assert {line.currency for line in parsed.lines} == {"CAD"}
    assert parsed.lines[0].payee == "MCDONALD'S #112"
    assert [line.occurred_on for line in parsed.lines] == [dt.date(2009, 4, d) for d in (1, 2, 3)]
    assert parsed.account == "12300 000012345678"
    assert parsed.balance == D("382.34")
    assert "tolerant" not in parsed.detected


def test_suncorp_xml_cdata():
    parsed = parse_statement(read("ofxparse_suncorp_xml_v200.ofx"))
    assert len(parsed.lines) == 1
    line = parsed.lines[0]
    assert (line.amount, line.currency, line.occurred_on) == (D("-16.85"), "AUD", dt.date(2013, 12, 15))
    assert line.payee == "EFTPOS WDL HANDYWAY ALDI STORE"
    assert line.memo == "EFTPOS WDL HANDYWAY ALDI STORE   GEELONG WEST VICAU"
    assert parsed.balance == D("1234.12")


def test_anz_credit_card_statement():
    parsed = parse_statement(read("ofxparse_anz_creditcard_v203.ofx"))
    assert parsed.account == "1234123412341234"
    assert [(x.occurred_on, x.amount, x.currency) for x in parsed.lines] == [
        (dt.date(2017, 5, 8), D("-5.50"), "AUD")
    ]
    assert parsed.balance == D("-123.45")


def test_fail_decimal_error_is_a_line_problem_not_a_crash():
    parsed = parse_statement(read("ofxparse_fail_decimal_error.ofx"))
    assert parsed.lines == ()
    assert len(parsed.problems) == 1
    assert "$120" in parsed.problems[0].reason
    assert "201120000000" in parsed.problems[0].reason
    assert "Fail1" in parsed.problems[0].text
    assert parsed.detected["tolerant"] == "yes"
    assert parsed.currency == "CAD"


def test_qfx_html_escaped_and_double_escaped():
    parsed = parse_statement(read("actual_qfx_html_escaped_cad.qfx"))
    assert [x.payee for x in parsed.lines] == ["000000000000000", "TPAY <DEFTPYMT>"]
    assert [x.memo for x in parsed.lines] == [
        "PREAUTHORIZED DEBIT;B.C. HYDRO & POWER AUTHORITY;Electronic Funds Transfer",
        "PREAUTHORIZED DEBIT;LUXMORE REALTY PPTY MGMT;Electronic Funds Transfer",
    ]
    assert [x.occurred_on for x in parsed.lines] == [dt.date(2023, 5, 9), dt.date(2023, 3, 1)]
    assert amounts(parsed) == [D("-1.00"), D("-1.00")]
    assert [x.external_id for x in parsed.lines] == [
        "23129130032333396279270000",
        "23060061032549554596530000",
    ]
    assert (parsed.currency, parsed.balance) == ("CAD", D("1111.11"))


OFX_HEAD = (
    b"OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\n"
    b"COMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n"
)


def ofx(transactions: bytes, *, curdef: bytes = b"BRL", close: bool = True) -> bytes:
    body = (
        b"<OFX><BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS><STMTRS><CURDEF>"
        + curdef
        + b"<BANKACCTFROM><BANKID>341<ACCTID>1234-5<ACCTTYPE>CHECKING</BANKACCTFROM>"
        + b"<BANKTRANLIST><DTSTART>20240101<DTEND>20240131"
        + transactions
        + b"</BANKTRANLIST><LEDGERBAL><BALAMT>1.234,56<DTASOF>20240131[-3:BRT]</LEDGERBAL>"
        + b"</STMTRS></STMTTRNRS></BANKMSGSRSV1>"
    )
    return OFX_HEAD + body + (b"</OFX>\n" if close else b"")


def trn(date: bytes, amount: bytes, name: bytes = b"LOJA", extra: bytes = b"") -> bytes:
    return (
        b"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>"
        + date
        + b"<TRNAMT>"
        + amount
        + b"<FITID>F"
        + date[:8]
        + b"<NAME>"
        + name
        + extra
        + b"</STMTTRN>"
    )


def test_ofx_tolerant_path_brazilian_quirks():
    data = ofx(
        trn(b"20240105", b"-110,70")
        + trn(b"20240106120000[-3:BRT]", b"1.234,56", b"SALARIO & CIA")
        + trn(b"00000000", b"-5.00", b"SEM DATA")
        + trn(b"20240131230000[-3:BRT]", b"-3.000", b"P&G &lt;LOJA&gt;")
    )
    parsed = parse_statement(data)
    assert parsed.detected["tolerant"] == "yes"
    assert amounts(parsed) == [D("-110.70"), D("1234.56"), D("-3.000")]
    assert [x.occurred_on for x in parsed.lines] == [
        dt.date(2024, 1, 5),
        dt.date(2024, 1, 6),
        dt.date(2024, 1, 31),
    ]
    assert [x.payee for x in parsed.lines] == ["LOJA", "SALARIO & CIA", "P&G <LOJA>"]
    assert [(p.line_no, "00000000" in p.reason) for p in parsed.problems] == [(3, True)]
    assert (parsed.balance, parsed.balance_on, parsed.account) == (
        D("1234.56"),
        dt.date(2024, 1, 31),
        "1234-5",
    )


def test_ofx_without_time_zone_and_line_currency():
    data = ofx(
        trn(b"20240105101500", b"-10.00")
        + trn(b"20240106", b"-20.00", extra=b"<CURRENCY><CURRATE>5.1<CURSYM>USD</CURRENCY>"),
        curdef=b"BRL",
    )
    parsed = parse_statement(data)
    assert [(x.occurred_on, x.amount, x.currency) for x in parsed.lines] == [
        (dt.date(2024, 1, 5), D("-10.00"), "BRL"),
        (dt.date(2024, 1, 6), D("-20.00"), "USD"),
    ]


def test_truncated_ofx_is_a_format_error():
    data = ofx(trn(b"20240105", b"-10.00"), close=False)
    with pytest.raises(StatementFormatError, match="truncated"):
        parse_statement(data[:-40])


# --- CSV samples -----------------------------------------------------------------------------


def test_gls_latin1_semicolon_comma_decimal():
    parsed = parse_statement(read("csv2ofx_gls_de_latin1.csv"))
    assert parsed.format is StatementFormat.CSV
    assert len(parsed.lines) == 1
    line = parsed.lines[0]
    assert (line.occurred_on, line.amount, line.currency) == (dt.date(2017, 10, 10), D("-98.76"), "EUR")
    assert line.payee == "Drillisch Online AG"
    assert line.memo == "SEPA-Basislastschrift; B4658645 U123456789 B123456; 987 SIMply Rechnung"
    assert parsed.detected["encoding"] == "cp1252"
    assert (parsed.detected["delimiter"], parsed.detected["decimal"], parsed.detected["preset"]) == (
        ";",
        ",",
        "gls_de",
    )


def test_ing_spain_ten_lines_sum():
    parsed = parse_statement(read("csv2ofx_ing_es.csv"))
    assert len(parsed.lines) == 10
    assert sum(amounts(parsed)) == D("350.21")
    assert parsed.currency == "EUR"
    sports = parsed.lines[4]
    assert (sports.occurred_on, sports.amount) == (dt.date(2022, 5, 14), D("-17.60"))
    assert sports.payee == "Pago en SPORTS BAR DANI JARQUE S BOI LLOBREGES"
    assert sports.category == "Cafeterías y restaurantes"
    assert parsed.lines[2].occurred_on == dt.date(2022, 12, 31)
    assert parsed.detected["date_order"] == "DMY"
    assert parsed.detected["date_order_from"] == "column"


def test_mint_cr_only_line_ends_and_debit_credit_column():
    parsed = parse_statement(read("csv2ofx_mint_cr_lineends.csv"))
    assert amounts(parsed) == [D("-1000.00"), D("-1500.00"), D("2000.00"), D("-2500.00")]
    assert [x.occurred_on for x in parsed.lines] == [dt.date(2015, 6, d) for d in (12, 12, 13, 14)]
    assert parsed.lines[0].payee == "Transfer from Checking"
    assert parsed.detected["date_order"] == "MDY"
    assert parsed.detected["preset"] == "mint"


def test_mint_without_preset_uses_the_vocabulary():
    parsed = parse_statement(read("csv2ofx_mint_cr_lineends.csv"), options=CsvOptions(preset="generic"))
    assert amounts(parsed) == [D("-1000.00"), D("-1500.00"), D("2000.00"), D("-2500.00")]
    assert "indicator=Transaction Type" in parsed.detected["columns"]


# --- QIF -------------------------------------------------------------------------------------


def test_qif_with_categories():
    parsed = parse_statement(read("actual_qif_with_categories.qif"))
    assert parsed.format is StatementFormat.QIF
    assert [(x.occurred_on, x.amount, x.payee, x.category, x.memo) for x in parsed.lines] == [
        (dt.date(2024, 6, 24), D("-100.58"), "Outlet", "Shopping", "Pay Designer Outlet"),
        (dt.date(2024, 6, 23), D("-20.15"), "GroceriesYou", "Groceries", "Pay Groceries"),
    ]
    assert parsed.currency is None


def test_qif_with_accounts_and_splits():
    parsed = parse_statement(read("csv2ofx_mint_cr_lineends.expected.qif"))
    assert amounts(parsed) == [D("-1500.00"), D("2000.00"), D("-2500.00"), D("-1000.00")]
    assert parsed.detected["splits"] == "4"
    assert parsed.detected["accounts"] == "Checking, Savings"


def test_qif_dmy_apostrophe_years_and_grouping():
    data = (
        b"!Type:CCard\nD25/12/2023\nT-1,234.50\nPMercado\nN1001\n^\n"
        b"D3/1'24\nU2,000.00\nPSalario\nLRenda:Sal\xc3\xa1rio/Fam\n^\n"
    )
    parsed = parse_statement(data)
    assert [(x.occurred_on, x.amount, x.check_number, x.category) for x in parsed.lines] == [
        (dt.date(2023, 12, 25), D("-1234.50"), "1001", None),
        (dt.date(2024, 1, 3), D("2000.00"), None, "Salário"),
    ]
    assert parsed.detected["date_order"] == "DMY"


# --- camt.053 --------------------------------------------------------------------------------


def test_camt053_entries_balance_and_counterparties():
    parsed = parse_statement(read("financy_camt053_001_02_de_eur.xml"))
    assert parsed.format is StatementFormat.CAMT053
    assert (parsed.account, parsed.currency) == ("DE89370400440532013000", "EUR")
    assert (parsed.balance, parsed.balance_on) == (D("3614.66"), dt.date(2024, 3, 1))
    assert [(x.occurred_on, x.amount, x.payee, x.external_id) for x in parsed.lines] == [
        (dt.date(2024, 3, 1), D("-89.90"), "Stadtwerke Köln GmbH", "2024030100001234"),
        (dt.date(2024, 2, 29), D("2450.00"), "Beispiel & Partner AG", "2024030100001235"),
        (dt.date(2024, 3, 1), D("-245.44"), None, "3"),
    ]
    assert parsed.lines[0].memo == "Abschlag Strom März 2024 Vertrag 4711"
    assert parsed.lines[1].booked_on == dt.date(2024, 3, 1)
    assert parsed.lines[2].memo == "KARTENZAHLUNG REWE MARKT 0815 KOELN"
    assert D("1500.00") + sum(amounts(parsed)) == parsed.balance


def test_camt053_other_version_and_refusals():
    text = read("financy_camt053_001_02_de_eur.xml").decode()
    v8 = text.replace("camt.053.001.02", "camt.053.001.08").replace(
        "<Cdtr><Nm>Stadtwerke Köln GmbH</Nm></Cdtr>", "<Cdtr><Pty><Nm>Stadtwerke Köln GmbH</Nm></Pty></Cdtr>"
    )
    parsed = parse_statement(v8.encode())
    assert parsed.lines[0].payee == "Stadtwerke Köln GmbH"
    assert parsed.detected["version"] == "camt.053.001.08"
    with pytest.raises(StatementFormatError, match="truncated"):
        parse_statement(text.encode()[:2000])
    bomb = text.replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>',
    )
    with pytest.raises(StatementFormatError, match="DOCTYPE"):
        parse_statement(bomb.encode())


# --- CSV quirks ------------------------------------------------------------------------------


def csv_lines(data: bytes, **options):
    parsed = parse_statement(data, options=CsvOptions(**options) if options else None)
    return parsed, [(x.occurred_on, x.amount) for x in parsed.lines]


def test_utf16_bom_csv_with_debit_credit_columns():
    text = "Data;Histórico;Débito;Crédito\r\n02/01/2024;Padaria São João;12,50;\r\n03/01/2024;Salário;;3.500,00\r\n"
    for encoding in ("utf-16-le", "utf-16-be"):
        bom = b"\xff\xfe" if encoding.endswith("le") else b"\xfe\xff"
        parsed, lines = csv_lines(bom + text.encode(encoding))
        assert lines == [(dt.date(2024, 1, 2), D("-12.50")), (dt.date(2024, 1, 3), D("3500.00"))]
        assert parsed.lines[0].payee == "Padaria São João"
        assert parsed.detected["encoding"] == encoding


def test_utf8_bom_and_tab_delimiter():
    data = "\ufeffDate\tPayee\tAmount\n2024-02-29\tCafé\t-4.20\n".encode()
    parsed, lines = csv_lines(data)
    assert lines == [(dt.date(2024, 2, 29), D("-4.20"))]
    assert parsed.detected["delimiter"] == "\t"
    assert parsed.detected["encoding"] == "utf-8-sig"


@pytest.mark.parametrize(
    ("dates", "order", "expected"),
    [
        (["13/02/2024", "01/03/2024"], "DMY", [dt.date(2024, 2, 13), dt.date(2024, 3, 1)]),
        (["02/13/2024", "03/01/2024"], "MDY", [dt.date(2024, 2, 13), dt.date(2024, 3, 1)]),
        (["2024-02-13", "2024-03-01"], "YMD", [dt.date(2024, 2, 13), dt.date(2024, 3, 1)]),
        (["2024.02.13", "2024.03.01"], "YMD", [dt.date(2024, 2, 13), dt.date(2024, 3, 1)]),
        (["13.02.24", "01.03.24"], "DMY", [dt.date(2024, 2, 13), dt.date(2024, 3, 1)]),
        (["2/13/99", "3/1/99"], "MDY", [dt.date(1999, 2, 13), dt.date(1999, 3, 1)]),
    ],
)
def test_date_formats_decided_over_the_column(dates, order, expected):
    data = ("date|amount\n" + "".join(f"{d}|1.00\n" for d in dates)).encode()
    parsed, lines = csv_lines(data)
    assert [d for d, _ in lines] == expected
    assert parsed.detected["date_order"] == order
    assert parsed.detected["delimiter"] == "|"


def test_ambiguous_dates_follow_the_locale_then_the_option():
    data = b'Fecha,Concepto,Importe\n01/02/2024,Bar,"-3,50"\n03/04/2024,Tienda,"-1,00"\n'
    parsed, lines = csv_lines(data)
    assert [d for d, _ in lines] == [dt.date(2024, 2, 1), dt.date(2024, 4, 3)]
    assert (parsed.detected["date_order"], parsed.detected["date_order_from"]) == ("DMY", "locale")
    parsed, lines = csv_lines(data, date_order="MDY")
    assert [d for d, _ in lines] == [dt.date(2024, 1, 2), dt.date(2024, 3, 4)]
    assert parsed.detected["date_order_from"] == "option"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1 234,56", "1234.56"),
        ("1\u00a0234,56", "1234.56"),
        ("1\u202f234,56", "1234.56"),
        ("1'234.56", "1234.56"),
        ("R$ 1.234,56", "1234.56"),
        ("-110.7 €", "-110.70"),
        ("45,90-", "-45.90"),
        ("(45.90)", "-45.90"),
        ("45,90 D", "-45.90"),
        ("45,90 C", "45.90"),
        ("USD -12.5", "-12.50"),
    ],
)
def test_amount_grouping_signs_and_symbols(written, expected):
    data = f'Date;Description;Amount\n13/02/2024;x;"{written}"\n'.encode()
    _, lines = csv_lines(data)
    assert lines == [(dt.date(2024, 2, 13), D(expected))]


def test_three_digit_group_decided_by_the_column():
    comma_file = b"Data;Valor\n01/02/2024;-3.000\n02/02/2024;12,50\n"
    _, lines = csv_lines(comma_file)
    assert [a for _, a in lines] == [D("-3000"), D("12.50")]
    bhd_file = b"Date,Amount,Currency\n01/02/2024,-3.000,BHD\n02/02/2024,1.250,BHD\n"
    parsed, lines = csv_lines(bhd_file)
    assert [a for _, a in lines] == [D("-3.000"), D("1.250")]
    assert (parsed.detected["decimal"], parsed.detected["decimal_from"]) == (".", "currency")
    assert parsed.currency == "BHD"


def test_zero_decimal_currencies():
    jpy = b"Date,Amount\n2024-02-01,-3.000\n2024-02-02,12.500\n"
    parsed, lines = csv_lines(jpy, currency="JPY")
    assert [a for _, a in lines] == [D("-3000"), D("12500")]
    assert (parsed.detected["decimal_from"], parsed.currency) == ("currency", "JPY")
    _, lines = csv_lines(b'Date,Amount\n2024-02-01,"-1,000"\n', currency="JPY")
    assert [a for _, a in lines] == [D("-1000")]
    clp = b"Fecha;Importe\n01/02/2024;-15.990\n02/02/2024;1.250.000\n"
    _, lines = csv_lines(clp, currency="CLP")
    assert [a for _, a in lines] == [D("-15990"), D("1250000")]


def test_rows_with_wrong_column_count_or_bad_values_become_problems():
    data = (
        b"Date,Payee,Amount\n"
        b"2024-02-01,Shop,-1.00\n"
        b"2024-02-02,Shop,extra,-2.00\n"
        b"2024-13-45,Bad date,-3.00\n"
        b"2024-02-04,Bad amount,abc\n"
        b"2024-02-05,Last,-5.00\n"
    )
    parsed, lines = csv_lines(data)
    assert lines == [(dt.date(2024, 2, 1), D("-1.00")), (dt.date(2024, 2, 5), D("-5.00"))]
    assert [(p.line_no, p.text) for p in parsed.problems] == [
        (3, "2024-02-02,Shop,extra,-2.00"),
        (4, "2024-13-45,Bad date,-3.00"),
        (5, "2024-02-04,Bad amount,abc"),
    ]
    assert "4 fields" in parsed.problems[0].reason


def test_nubank_presets_matched_by_header():
    conta = "Data,Valor,Identificador,Descrição\n05/03/2024,-37.79,68138eea-2dd1,Compra no débito - iFood\n".encode()
    parsed = parse_statement(conta)
    assert parsed.detected["preset"] == "nubank_conta"
    line = parsed.lines[0]
    assert (line.occurred_on, line.amount, line.external_id, line.currency) == (
        dt.date(2024, 3, 5),
        D("-37.79"),
        "68138eea-2dd1",
        "BRL",
    )
    cartao = b"date,title,amount\n2025-12-20,Burger King,72.80\n2025-12-05,Pagamento recebido,-4558.53\n"
    parsed = parse_statement(cartao)
    assert parsed.detected["preset"] == "nubank_cartao"
    assert amounts(parsed) == [D("-72.80"), D("4558.53")]


def test_banco_do_brasil_preset_skips_balance_rows_and_reads_indicator():
    data = (
        '"Data","Lançamento","Detalhes","Nº documento","Valor","Tipo Lançamento"\n'
        '"25/08/2025","Saldo Anterior","","","-372,93",""\n'
        '"01/09/2025","Pix - Enviado","30/08 10:29 João Silva","90101","2,06","Saída"\n'
        '"12/09/2025","PLR","","5887006052399","7.116,90","Entrada"\n'
    ).encode("cp1252")
    parsed = parse_statement(data)
    assert parsed.detected["preset"] == "banco_do_brasil"
    assert parsed.detected["skipped_rows"] == "1"
    assert [(x.occurred_on, x.amount, x.payee, x.check_number) for x in parsed.lines] == [
        (dt.date(2025, 9, 1), D("-2.06"), "Pix - Enviado", "90101"),
        (dt.date(2025, 9, 12), D("7116.90"), "PLR", "5887006052399"),
    ]
    assert parsed.lines[0].memo == "30/08 10:29 João Silva"


def test_preamble_rows_before_the_header_and_explicit_columns():
    data = (
        "Extrato Conta Corrente\nConta ;12345\n\n"
        "Data Lançamento;Descrição;Valor;Saldo\n10/01/2024;Pix recebido;1.500,00;2.000,00\n"
    ).encode()
    parsed = parse_statement(data)
    assert parsed.detected["preset"] == "inter"
    assert parsed.detected["skip_rows"] == "3"
    assert [(x.occurred_on, x.amount, x.payee) for x in parsed.lines] == [
        (dt.date(2024, 1, 10), D("1500.00"), "Pix recebido")
    ]
    headerless = b"10/01/2024;Coffee;-3,20\n11/01/2024;Tea;-2,10\n"
    parsed = parse_statement(
        headerless, options=CsvOptions(has_header=False, columns={"date": 0, "payee": 1, "amount": 2})
    )
    assert amounts(parsed) == [D("-3.20"), D("-2.10")]


def test_headerless_csv_columns_from_content():
    parsed = parse_statement(b"10/01/2024;Coffee;-3,20\n11/01/2024;Tea;-2,10\n")
    assert amounts(parsed) == [D("-3.20"), D("-2.10")]
    assert [x.payee for x in parsed.lines] == ["Coffee", "Tea"]
    assert parsed.detected["header"] == "no"


def test_csv_without_date_and_amount_columns_is_a_format_error():
    with pytest.raises(StatementFormatError, match="no column with a date and an amount"):
        parse_statement(b"name,city\nAna,Lisboa\nBo,Porto\n")


def test_latin1_fallback_and_unknown_encoding():
    data = "Fecha;Concepto;Importe\n01/02/2024;Panader\xeda\x81;-1,00\n".encode("latin-1")
    parsed = parse_statement(data)
    assert parsed.detected["encoding"] == "latin-1"
    assert parsed.lines[0].payee == "Panadería\x81"
    with pytest.raises(StatementFormatError, match="not readable text"):
        parse_statement(bytes(range(256)) * 4)
    with pytest.raises(StatementFormatError, match="unknown text encoding"):
        parse_statement(b"Date,Amount\n2024-01-01,1\n", options=CsvOptions(encoding="no-such-codec"))


# --- guards and sniffing ---------------------------------------------------------------------


def test_empty_and_too_large_files_are_refused_before_decoding():
    with pytest.raises(StatementFormatError, match="empty"):
        parse_statement(b"")
    with pytest.raises(StatementFormatError, match="empty"):
        parse_statement(b"\xef\xbb\xbf \r\n")
    # 200 MB stands for any size over the limit: max_bytes is small here, and the bytes are not
    # text at all, so a decode attempt would raise a different error.
    with pytest.raises(StatementFormatError, match="larger than 1,024 bytes"):
        parse_statement(b"\xff\x00" * 1000, max_bytes=1024)


def test_detect_format():
    assert detect_format(read("ofxparse_suncorp_xml_v200.ofx")) is StatementFormat.OFX
    assert detect_format(read("ofxparse_fail_decimal_error.ofx")) is StatementFormat.OFX
    assert detect_format(read("actual_qif_with_categories.qif")) is StatementFormat.QIF
    assert detect_format(read("financy_camt053_001_02_de_eur.xml")) is StatementFormat.CAMT053
    assert detect_format(read("csv2ofx_ing_es.csv"), "x.csv") is StatementFormat.CSV


def test_presets_are_data_with_sources():
    presets = load_presets()
    assert set(presets) == {
        "banco_do_brasil",
        "generic",
        "gls_de",
        "ing_es",
        "inter",
        "itau",
        "mint",
        "nubank_cartao",
        "nubank_conta",
    }
    assert all(p.source for p in presets.values())
