"""Tax ids printed on receipts: Brazilian CNPJ/CPF and EU/UK VAT ids, each with its check digits.

Only ids whose check digits verify are returned, so an OCR slip in one digit gives nothing rather
than a wrong merchant id.

Sources of the check-digit rules:

* CNPJ and CPF: Receita Federal, mod-11 with weights 2..9 (CNPJ) and 2..11 (CPF), remainder < 2
  gives 0 (Instrução Normativa RFB nº 2.119/2022 annex; CPF: Receita Federal "cálculo do dígito
  verificador"). The alphanumeric CNPJ announced for July 2026 (IN RFB 2.229/2024) uses the same
  weights over ``ord(c) - 48``; it is accepted too.
* VAT ids: the algorithms the European Commission's VIES checks apply per member state, as
  documented in the EU "VIES VAT number validation" FAQ and implemented in python-stdnum
  (``stdnum.de.vat``, ``at.uid``, ``be.vat``, ``fr.tva``, ``it.iva``, ``nl.btw``, ``pt.nif``,
  ``pl.nip``, ``dk.cvr``, ``fi.alv``, ``lu.tva``, ``se.vat``, ``gb.vat``), whose published
  example numbers our tests use. Countries without a check digit we can verify are not reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["TaxId", "find_tax_ids", "valid_cnpj", "valid_cpf", "valid_vat"]

TaxIdKind = Literal["cnpj", "cpf", "vat"]


@dataclass(frozen=True)
class TaxId:
    """A verified tax id.

    ``kind`` is "cnpj" (Brazilian company, 14 characters), "cpf" (Brazilian person, 11 digits) or
    "vat" (EU/UK VAT id); ``value`` is the id without punctuation (VAT ids keep their country
    prefix, e.g. "DE812706034"); ``country`` is the ISO 3166-1 alpha-2 code ("BR", "DE", "GB"...).
    """

    kind: TaxIdKind
    value: str
    country: str

    def formatted(self) -> str:
        """Return the id as usually printed: "12.345.678/0001-95", "123.456.789-09", "DE812706034"."""
        v = self.value
        if self.kind == "cnpj":
            return f"{v[:2]}.{v[2:5]}.{v[5:8]}/{v[8:12]}-{v[12:]}"
        if self.kind == "cpf":
            return f"{v[:3]}.{v[3:6]}.{v[6:9]}-{v[9:]}"
        return v


def _mod11_digit(values: list[int], weights: list[int]) -> int:
    remainder = sum(v * w for v, w in zip(values, weights, strict=True)) % 11
    return 0 if remainder < 2 else 11 - remainder


def valid_cnpj(digits: str) -> bool:
    """Whether ``digits`` (14 characters, punctuation allowed) is a CNPJ with correct check digits.

    Also accepts the alphanumeric CNPJ (12 letters/digits + 2 digits, IN RFB 2.229/2024). A run of
    one repeated digit ("00000000000000") is rejected, as the Receita does.
    """
    value = re.sub(r"[.\-/\s]", "", digits).upper()
    if not re.fullmatch(r"[0-9A-Z]{12}[0-9]{2}", value) or len(set(value)) == 1:
        return False
    values = [ord(c) - 48 for c in value]
    first = _mod11_digit(values[:12], [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])
    second = _mod11_digit([*values[:12], first], [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])
    return values[12] == first and values[13] == second


def valid_cpf(digits: str) -> bool:
    """Whether ``digits`` (11 digits, punctuation allowed) is a CPF with correct check digits.

    Runs of one repeated digit ("111.111.111-11") pass the arithmetic but are not issued: rejected.
    """
    value = re.sub(r"[.\-\s]", "", digits)
    if not re.fullmatch(r"[0-9]{11}", value) or len(set(value)) == 1:
        return False
    values = [int(c) for c in value]
    first = _mod11_digit(values[:9], list(range(10, 1, -1)))
    second = _mod11_digit(values[:10], list(range(11, 1, -1)))
    return values[9] == first and values[10] == second


# -- VAT ids ------------------------------------------------------------------------------------------


def _luhn_sum(number: str) -> int:
    """Luhn checksum (0 for a valid number), the rightmost digit undoubled."""
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10


def _vat_de(n: str) -> bool:
    # ISO 7064 MOD 11,10 over 9 digits (the first is not 0).
    if not re.fullmatch(r"[1-9][0-9]{8}", n):
        return False
    check = 5
    for ch in n:
        check = (((check or 10) * 2) % 11 + int(ch)) % 10
    return check == 1


def _vat_at(n: str) -> bool:
    if not re.fullmatch(r"U[0-9]{8}", n):
        return False
    return (6 - _luhn_sum(n[1:8])) % 10 == int(n[8])


def _vat_be(n: str) -> bool:
    if len(n) == 9:
        n = "0" + n
    if not re.fullmatch(r"[01][0-9]{9}", n):
        return False
    return 97 - int(n[:8]) % 97 == int(n[8:])


def _vat_fr(n: str) -> bool:
    # Old-style numeric key only: key = (12 + 3 * (SIREN mod 97)) mod 97, and the SIREN is Luhn-valid.
    if not re.fullmatch(r"[0-9]{11}", n):
        return False
    return _luhn_sum(n[2:]) == 0 and int(n[:2]) == int(n[2:] + "12") % 97


def _vat_it(n: str) -> bool:
    return bool(re.fullmatch(r"[0-9]{11}", n)) and int(n[:7]) != 0 and _luhn_sum(n) == 0


def _vat_nl(n: str) -> bool:
    m = re.fullmatch(r"([0-9]{9})B([0-9]{2})", n)
    if not m or int(m[2]) == 0:
        return False
    digits = m[1]
    eleven = (sum(int(c) * (9 - i) for i, c in enumerate(digits[:8])) - int(digits[8])) % 11 == 0
    # Since 2020 sole traders get an id checked mod 97 over "NL" + number with letters as 10..35.
    as_number = "2321" + digits + "11" + m[2]  # N=23, L=21, B=11
    return eleven or int(as_number) % 97 == 1


def _vat_pt(n: str) -> bool:
    if not re.fullmatch(r"[1-9][0-9]{8}", n):
        return False
    check = 11 - sum(int(c) * (9 - i) for i, c in enumerate(n[:8])) % 11
    return (0 if check >= 10 else check) == int(n[8])


def _vat_pl(n: str) -> bool:
    if not re.fullmatch(r"[0-9]{10}", n):
        return False
    check = sum(int(c) * w for c, w in zip(n[:9], (6, 5, 7, 2, 3, 4, 5, 6, 7), strict=True)) % 11
    return check == int(n[9])


def _vat_dk(n: str) -> bool:
    if not re.fullmatch(r"[1-9][0-9]{7}", n):
        return False
    return sum(int(c) * w for c, w in zip(n, (2, 7, 6, 5, 4, 3, 2, 1), strict=True)) % 11 == 0


def _vat_fi(n: str) -> bool:
    if not re.fullmatch(r"[0-9]{8}", n):
        return False
    return sum(int(c) * w for c, w in zip(n, (7, 9, 10, 5, 8, 4, 2, 1), strict=True)) % 11 == 0


def _vat_lu(n: str) -> bool:
    return bool(re.fullmatch(r"[0-9]{8}", n)) and int(n[:6]) % 89 == int(n[6:])


def _vat_se(n: str) -> bool:
    return bool(re.fullmatch(r"[0-9]{10}01", n)) and _luhn_sum(n[:10]) == 0


def _vat_gb(n: str) -> bool:
    if not re.fullmatch(r"[0-9]{9}(?:[0-9]{3})?", n):
        return False
    total = sum(int(c) * w for c, w in zip(n[:9], (8, 7, 6, 5, 4, 3, 2, 10, 1), strict=True)) % 97
    # Numbers issued since 2010 ("9755" scheme) check to 42 (or 55 after a restart of the range).
    return total == 0 or (int(n[:3]) >= 100 and total in (42, 55))


_VAT_RULES: Final[dict[str, Callable[[str], bool]]] = {
    "DE": _vat_de,
    "AT": _vat_at,
    "BE": _vat_be,
    "FR": _vat_fr,
    "IT": _vat_it,
    "NL": _vat_nl,
    "PT": _vat_pt,
    "PL": _vat_pl,
    "DK": _vat_dk,
    "FI": _vat_fi,
    "LU": _vat_lu,
    "SE": _vat_se,
    "GB": _vat_gb,
    "XI": _vat_gb,  # Northern Ireland traders keep their UK number under the XI prefix
}
_VAT_COUNTRY = {"XI": "GB"}


def valid_vat(vat_id: str) -> bool:
    """Whether ``vat_id`` ("DE812706034", "ATU13585627", "GB 980 7806 84") has valid check digits.

    The two-letter prefix names the country; only countries with a verifiable check digit are known
    (see the module docstring); others return False.
    """
    value = re.sub(r"[\s.\-]", "", vat_id).upper()
    rule = _VAT_RULES.get(value[:2])
    return rule is not None and rule(value[2:])


# -- finding them in text -----------------------------------------------------------------------------

_CNPJ_RE = re.compile(
    r"(?<![0-9A-Za-z])([0-9A-Z]{2}\.?[0-9A-Z]{3}\.?[0-9A-Z]{3}\s?/?\s?[0-9A-Z]{4}\s?-?\s?[0-9]{2})(?![0-9])"
)
_CPF_RE = re.compile(r"(?<![0-9])([0-9]{3}\.?[0-9]{3}\.?[0-9]{3}\s?-?\s?[0-9]{2})(?![0-9])")
_VAT_RE = re.compile(
    r"(?<![A-Za-z0-9])(DE|AT|BE|FR|IT|NL|PT|PL|DK|FI|LU|SE|GB|XI)\s?"
    r"(U?[0-9][0-9 .]{6,14}[0-9](?:B[0-9]{2})?)(?![0-9])"
)


def _labelled(upper: str, start: int, label: str) -> bool:
    """Whether ``label`` ("CNPJ") stands shortly before ``start`` on the same line."""
    line_start = upper.rfind("\n", 0, start) + 1
    return label in upper[max(line_start, start - 24) : start]


def find_tax_ids(text: str) -> list[TaxId]:
    """Return the valid tax ids in ``text``, in reading order, each once.

    Recognised: CNPJ "12.345.678/0001-95" or 14 bare digits, CPF "123.456.789-09" or 11 bare digits,
    VAT ids with their country prefix ("DE812706034", "UID Nr.: ATU13585627", "VAT GB 980 7806 84").
    Ids whose check digits fail are left out. A bare 14- or 11-digit run (no punctuation) counts only
    after its label on the same line ("CNPJ 11222333000181"): barcodes pass the check 1 time in 100.
    """
    found: list[tuple[int, TaxId]] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    upper = text.upper()
    for m in _CNPJ_RE.finditer(upper):
        value = re.sub(r"[.\-/\s]", "", m[1])
        if not re.search(r"[./]", m[1]) and not _labelled(upper, m.start(1), "CNPJ"):
            continue  # bare digits: a barcode (EAN-14) passes the check 1 time in 100
        if valid_cnpj(value):
            found.append((m.start(1), TaxId("cnpj", value, "BR")))
            taken.append(m.span(1))
    for m in _CPF_RE.finditer(text):
        value = re.sub(r"[.\-\s]", "", m[1])
        if not re.search(r"[.\-]", m[1]) and not _labelled(upper, m.start(1), "CPF"):
            continue
        if free(*m.span(1)) and valid_cpf(value):
            found.append((m.start(1), TaxId("cpf", value, "BR")))
            taken.append(m.span(1))
    for m in _VAT_RE.finditer(text.upper()):
        prefix = m[1]
        if not free(*m.span(2)):
            continue
        # The number may be followed by other digits after a space: try the longest verifying prefix.
        raw = m[2]
        while raw:
            number = re.sub(r"[\s.]", "", raw)
            if valid_vat(prefix + number):
                found.append((m.start(1), TaxId("vat", prefix + number, _VAT_COUNTRY.get(prefix, prefix))))
                taken.append((m.start(2), m.start(2) + len(raw)))
                break
            cut = max(raw.rfind(" "), raw.rfind("."))
            raw = raw[:cut].rstrip(" .") if cut > 0 else ""
    seen: set[TaxId] = set()
    out: list[TaxId] = []
    for _, tax_id in sorted(found, key=lambda pair: pair[0]):
        if tax_id not in seen:
            seen.add(tax_id)
            out.append(tax_id)
    return out
