"""Tax ids on receipts: CNPJ/CPF (Receita Federal mod-11) and VAT ids, only valid ones found in text."""

from __future__ import annotations

import pytest

from financy.inference.vision.taxid import TaxId, find_tax_ids, valid_cnpj, valid_cpf, valid_vat


def _bump_last(number: str) -> str:
    """The same id with its last digit changed (a one-digit OCR slip)."""
    return number[:-1] + str((int(number[-1]) + 1) % 10)


@pytest.mark.parametrize(
    "cnpj",
    [
        "33.000.167/0001-01",  # Petróleo Brasileiro S.A. (Petrobras), as published in its reports
        "00.000.000/0001-91",  # Banco do Brasil S.A., headquarters
        "11.222.333/0001-81",  # the Receita's usual example number
        "11222333000181",  # the same without punctuation
        "12.ABC.345/01DE-35",  # alphanumeric CNPJ, the Receita's example (IN RFB 2.229/2024)
    ],
)
def test_valid_cnpj_and_one_changed_digit(cnpj: str) -> None:
    assert valid_cnpj(cnpj)
    assert not valid_cnpj(_bump_last(cnpj))


@pytest.mark.parametrize("bad", ["00.000.000/0000-00", "11.111.111/1111-11", "11.222.333/0001", "", "abc"])
def test_invalid_cnpj_shapes(bad: str) -> None:
    assert not valid_cnpj(bad)


@pytest.mark.parametrize("cpf", ["111.444.777-35", "11144477735", "123.456.789-09"])
def test_valid_cpf_and_one_changed_digit(cpf: str) -> None:
    assert valid_cpf(cpf)
    assert not valid_cpf(_bump_last(cpf))


@pytest.mark.parametrize("bad", ["111.111.111-11", "000.000.000-00", "123.456.789", "1234567890a"])
def test_invalid_cpf_shapes(bad: str) -> None:
    assert not valid_cpf(bad)


# Example numbers of python-stdnum's documentation (each country's published check-digit rule).
@pytest.mark.parametrize(
    "vat",
    [
        "DE136695976",
        "DE812706034",  # REWE Markt GmbH, printed on the REWE receipt fixture
        "ATU13585627",
        "BE0403019261",
        "FR40303265045",
        "IT00743110157",
        "PT501964843",
        "PL8567346215",
        "DK13585628",
        "FI20774740",
        "LU15027442",
        "SE123456789701",
        "GB980780684",
    ],
)
def test_valid_vat_and_one_changed_digit(vat: str) -> None:
    assert valid_vat(vat)
    assert not valid_vat(_bump_last(vat))


def test_vat_with_spaces_and_unknown_country() -> None:
    assert valid_vat("GB 980 7806 84")
    assert valid_vat("NL004495445B01")
    assert not valid_vat("NL123456789B90")
    assert not valid_vat("US123456789")  # no VAT in the US: never "valid"


def test_find_tax_ids_in_receipt_text() -> None:
    text = (
        "SUPERMERCADO BOM PRECO LTDA\n"
        "CNPJ: 11.222.333/0001-81 IE: 123.456.789.110\n"
        "CONSUMIDOR CPF: 111.444.777-35\n"
        "UID Nr.: DE812706034\n"
        "VAT No. GB 980 7806 84 Tel 0211 3006966\n"
    )
    assert find_tax_ids(text) == [
        TaxId("cnpj", "11222333000181", "BR"),
        TaxId("cpf", "11144477735", "BR"),
        TaxId("vat", "DE812706034", "DE"),
        TaxId("vat", "GB980780684", "GB"),
    ]
    assert find_tax_ids(text)[0].formatted() == "11.222.333/0001-81"


def test_invalid_ids_and_bare_barcodes_are_not_found() -> None:
    # A one-digit slip in each id; then a 14-digit EAN barcode that happens to pass the CNPJ check,
    # from the Philippine receipt fixture's OCR: bare digits count only after a "CNPJ" label.
    text = "CNPJ 11.222.333/0001-82\nCPF 111.444.777-36\nDE812706035\nottgijinramenchi110g\n08801045077048"
    assert valid_cnpj("08801045077048")
    assert find_tax_ids(text) == []
    assert find_tax_ids("CNPJ 08801045077048") == [TaxId("cnpj", "08801045077048", "BR")]
