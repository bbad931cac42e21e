"""The strict OFX path checks each transaction once per shape: a fault in any later transaction
still makes ofxtools refuse the file (read by the tolerant reader instead), exactly as when
ofxtools validated the whole tree at once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from financy.core.adapters.statements.ofx import parse_ofx

HEAD = (
    "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\n"
    "COMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n"
    "<OFX>\n<SIGNONMSGSRSV1>\n<SONRS>\n<STATUS>\n<CODE>0\n<SEVERITY>INFO\n</STATUS>\n"
    "<DTSERVER>20261101120000\n<LANGUAGE>POR\n</SONRS>\n</SIGNONMSGSRSV1>\n"
    "<BANKMSGSRSV1>\n<STMTTRNRS>\n<TRNUID>1\n<STATUS>\n<CODE>0\n<SEVERITY>INFO\n</STATUS>\n"
    "<STMTRS>\n<CURDEF>BRL\n<BANKACCTFROM>\n<BANKID>0341\n<ACCTID>1-2\n<ACCTTYPE>CHECKING\n"
    "</BANKACCTFROM>\n<BANKTRANLIST>\n<DTSTART>20261001\n<DTEND>20261031\n"
)
TAIL = (
    "</BANKTRANLIST>\n<LEDGERBAL>\n<BALAMT>10.00\n<DTASOF>20261031\n</LEDGERBAL>\n</STMTRS>\n"
    "</STMTTRNRS>\n</BANKMSGSRSV1>\n</OFX>\n"
)


def transaction(n: int, trntype: str = "DEBIT", extra: str = "", currency: str | None = None) -> str:
    money = f"<CURRENCY>\n<CURRATE>5.1\n<CURSYM>{currency}\n</CURRENCY>\n" if currency else ""
    return (
        f"<STMTTRN>\n<TRNTYPE>{trntype}\n<DTPOSTED>202610{n % 28 + 1:02d}\n<TRNAMT>-{n}.50\n"
        f"<FITID>F{n}\n{extra}<NAME>LOJA {n}\n<MEMO>COMPRA {n}\n{money}</STMTTRN>\n"
    )


def ofx(*changed: tuple[int, dict[str, str]]) -> bytes:
    faults = dict(changed)
    body = "".join(
        transaction(n, **({"currency": "USD"} if n % 7 == 0 else {}) | faults.get(n, {}))
        for n in range(1, 41)
    )
    return (HEAD + body + TAIL).encode("ascii")


def test_forty_good_transactions_take_the_strict_path() -> None:
    parsed = parse_ofx(ofx())
    assert "tolerant" not in parsed.detected
    assert len(parsed.lines) == 40
    assert (parsed.lines[29].amount, parsed.lines[29].external_id) == (Decimal("-30.50"), "F30")
    assert parsed.lines[6].currency == "USD"


@pytest.mark.parametrize(
    "fault",
    [
        {"trntype": "BOGUS"},  # not a transaction type
        {"extra": "<SIC>abc\n"},  # not an integer
        {"extra": "<CHECKNUM>1234567890123\n"},  # longer than 12
        {"currency": "ZZZ"},  # not a currency
        {"extra": "<TRNTYPE>DEBIT\n"},  # out of order and repeated
    ],
)
def test_a_fault_in_the_thirtieth_transaction_refuses_the_strict_path(fault: dict[str, str]) -> None:
    parsed = parse_ofx(ofx((30, fault)))
    assert parsed.detected["tolerant"] == "yes"
    assert len(parsed.lines) == 40  # the tolerant reader still reads every one


def test_tags_ofxtools_skips_stay_on_the_strict_path() -> None:
    parsed = parse_ofx(ofx((30, {"extra": "<INTU.BID>3000\n"}), (31, {"extra": "<XFOO>bar\n"})))
    assert "tolerant" not in parsed.detected
    assert len(parsed.lines) == 40
