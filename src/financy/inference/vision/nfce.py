"""Brazilian NFC-e (and NF-e) receipts: the QR code's URL and the 44-digit access key.

Every NFC-e DANFE carries a QR code whose payload is the state tax office's (SEFAZ) consultation
URL with the access key ("chave de acesso") in it, and prints the key in groups of four digits.

Sources:

* Access key layout and check digit: "Manual de Orientação do Contribuinte" (MOC) NF-e/NFC-e,
  versão 7.0, Anexo I, §5.4 "Chave de Acesso": cUF(2) AAMM(4) CNPJ/CPF(14) mod(2) serie(3)
  nNF(9) tpEmis(1) cNF(8) cDV(1); cDV is mod 11 with weights 2..9 repeated from the right, and
  a remainder of 0 or 1 gives 0.
* QR payload: "Manual de Especificações Técnicas do DANFE NFC-e e QR Code", versão 5.0 (NT
  2015.002, QR Code versão 2): ``<url>?p=<chave>|2|<tpAmb>|<cIdToken>|<cHashQRCode>`` on line,
  ``<url>?p=<chave>|2|<tpAmb>|<dia dhEmi>|<vNF>|<digVal>|<cIdToken>|<cHashQRCode>`` in
  contingency (off line); NT 2025.001 adds version 3 (``p=<chave>|3|<tpAmb>`` on line, no CSC
  hash). Version 1 (before 2019) used query parameters ``chNFe=<chave>&nVersao=100&tpAmb=...``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "NfceInfo",
    "NfceKey",
    "access_key_check_digit",
    "decode_qr_codes",
    "find_access_key",
    "parse_access_key",
    "parse_nfce_qr",
]

#: IBGE codes of the Brazilian states (the key's first two digits), MOC Anexo I, tabela de UF.
STATE_CODES = {
    "11": "RO", "12": "AC", "13": "AM", "14": "RR", "15": "PA", "16": "AP", "17": "TO",
    "21": "MA", "22": "PI", "23": "CE", "24": "RN", "25": "PB", "26": "PE", "27": "AL",
    "28": "SE", "29": "BA", "31": "MG", "32": "ES", "33": "RJ", "35": "SP", "41": "PR",
    "42": "SC", "43": "RS", "50": "MS", "51": "MT", "52": "GO", "53": "DF",
}  # fmt: skip


@dataclass(frozen=True)
class NfceKey:
    """The parts of a 44-digit NF-e/NFC-e access key.

    ``state_code`` is the IBGE code ("35" = SP); ``year_month`` is "AAMM" of issue ("2403");
    ``issuer_cnpj`` the 14 issuer digits (a CPF issuer has "000" + its 11 digits); ``model`` "65"
    for NFC-e, "55" for NF-e; ``series`` (3 digits) and ``number`` (9 digits) of the document;
    ``emission_type`` (1 = normal); ``check_digit_ok`` whether the last digit is the mod-11 digit
    of the first 43.
    """

    access_key: str
    state_code: str
    year_month: str
    issuer_cnpj: str
    model: str
    series: str
    number: str
    emission_type: str
    check_digit_ok: bool

    @property
    def state(self) -> str | None:
        """The state's two-letter code ("SP"), or None for a code that is not a state."""
        return STATE_CODES.get(self.state_code)

    @property
    def is_nfce(self) -> bool:
        """Whether the key is of a consumer receipt (model 65)."""
        return self.model == "65"


@dataclass(frozen=True)
class NfceInfo:
    """What an NFC-e QR code says.

    ``url`` is the payload as read (the SEFAZ consultation URL), or "" when the key came from the
    printed digits only; ``key`` the parsed access key (None when the payload carries none);
    ``qr_version`` 1, 2 or 3; ``environment`` "production" (tpAmb 1) or "homologation" (tpAmb 2,
    a test document with no fiscal value); ``total`` the vNF of an off-line (contingency) payload.
    """

    url: str
    key: NfceKey | None
    qr_version: int | None = None
    environment: str | None = None
    total: Decimal | None = None


def access_key_check_digit(first43: str) -> int:
    """Return the mod-11 check digit (cDV) of the first 43 digits of an access key.

    Raises ValueError when ``first43`` is not 43 digits.
    """
    if not re.fullmatch(r"[0-9]{43}", first43):
        raise ValueError("an access key's body is 43 digits")
    total = 0
    weight = 2
    for ch in reversed(first43):
        total += int(ch) * weight
        weight = 2 if weight == 9 else weight + 1
    remainder = total % 11
    return 0 if remainder < 2 else 11 - remainder


def parse_access_key(digits: str) -> NfceKey | None:
    """Split a 44-digit access key (spaces allowed) into its parts; None when it is not 44 digits.

    A key whose check digit is wrong is still returned, with ``check_digit_ok`` False: the caller
    decides (an OCR slip in the printed key, a damaged QR code).
    """
    key = re.sub(r"\s", "", digits)
    if not re.fullmatch(r"[0-9]{44}", key):
        return None
    return NfceKey(
        access_key=key,
        state_code=key[0:2],
        year_month=key[2:6],
        issuer_cnpj=key[6:20],
        model=key[20:22],
        series=key[22:25],
        number=key[25:34],
        emission_type=key[34],
        check_digit_ok=access_key_check_digit(key[:43]) == int(key[43]),
    )


_ENVIRONMENTS = {"1": "production", "2": "homologation"}


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def parse_nfce_qr(payload: str) -> NfceInfo | None:
    """Read an NFC-e QR payload (versions 1, 2 and 3, see the module docstring).

    Returns None when the payload is not an NFC-e/NF-e consultation URL (another QR code on the
    receipt: a loyalty app, a Pix code, a web site).
    """
    text = payload.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https", "") or not parts.query:
        return None
    query = parse_qs(parts.query, keep_blank_values=True)
    if "p" in query:
        fields = unquote(query["p"][0]).split("|")
        key = parse_access_key(fields[0])
        if key is None:
            return None
        version = int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else None
        environment = _ENVIRONMENTS.get(fields[2]) if len(fields) > 2 else None
        total = None
        if version == 2 and len(fields) >= 8:  # off-line: chave|2|tpAmb|dia|vNF|digVal|cIdToken|hash
            total = _decimal(fields[4])
        return NfceInfo(url=text, key=key, qr_version=version, environment=environment, total=total)
    if "chNFe" in query:
        key = parse_access_key(query["chNFe"][0])
        if key is None:
            return None
        environment = _ENVIRONMENTS.get(query.get("tpAmb", [""])[0])
        total = _decimal(query["vNF"][0]) if "vNF" in query else None
        return NfceInfo(url=text, key=key, qr_version=1, environment=environment, total=total)
    return None


_PRINTED_KEY_RE = re.compile(r"(?<![0-9])((?:[0-9]{4}[ .]?){10}[0-9]{4})(?![0-9])")


def find_access_key(text: str) -> NfceKey | None:
    """Return the first printed access key in ``text`` whose check digit verifies (OCR text).

    DANFEs print the key as eleven groups of four digits; a key that fails its check digit (an OCR
    slip) is not returned.
    """
    for m in _PRINTED_KEY_RE.finditer(text):
        key = parse_access_key(re.sub(r"[ .]", "", m[1]))
        if key is not None and key.check_digit_ok:
            return key
    return None


def decode_qr_codes(pixels: np.ndarray) -> list[str]:
    """Return the text of every QR code in an image, in the order zxing-cpp finds them.

    ``pixels`` is an HxWx3 uint8 RGB array (or HxW grayscale). Uses ``zxingcpp.read_barcodes``
    (zxing-cpp) restricted to QR codes, which also tries rotated, downscaled and inverted images.
    Returns an empty list when there is none.
    """
    import numpy as np
    import zxingcpp

    if pixels.ndim == 3:
        # zxing-cpp reads 3-channel arrays as BGR; give it luminance (ITU-R BT.601) instead.
        gray = (pixels[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)).astype(
            np.uint8
        )
    else:
        gray = np.ascontiguousarray(pixels, dtype=np.uint8)
    results = zxingcpp.read_barcodes(
        np.ascontiguousarray(gray), formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    )
    return [r.text for r in results if r.text]
