"""NFC-e: access key check digit (MOC 7.0 §5.4), QR payload versions, QR codes decoded with zxing-cpp."""

from __future__ import annotations

import io
from decimal import Decimal

import numpy as np
import pytest
import segno
from PIL import Image

from financy.inference.vision.nfce import (
    NfceKey,
    access_key_check_digit,
    decode_qr_codes,
    find_access_key,
    parse_access_key,
    parse_nfce_qr,
)

# cUF 35 (SP), AAMM 2403, CNPJ 11.222.333/0001-81, model 65, series 001, number 123, tpEmis 1, cNF 00000123
BODY = "35" + "2403" + "11222333000181" + "65" + "001" + "000000123" + "1" + "00000123"
SP_URL = "https://www.nfce.fazenda.sp.gov.br/NFCeConsultaPublica/Paginas/ConsultaQRCode.aspx"


def key() -> str:
    return BODY + str(access_key_check_digit(BODY))


def qr_pixels(payload: str, scale: int = 4) -> np.ndarray:
    buffer = io.BytesIO()
    segno.make(payload, error="m").save(buffer, kind="png", scale=scale, border=4)
    return np.array(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))


def test_check_digit_of_a_real_key() -> None:
    # A real NF-e (model 55) issued in Rondônia in 02/2021, from the XML in the test constants of
    # github.com/sancrisxa/projeto-suprimentos (src/test/java/.../Constantes.java): <cDV>3</cDV>.
    real = "11210205883509000224550020000063421000657553"
    assert access_key_check_digit(real[:43]) == 3
    parsed = parse_access_key(real)
    assert parsed is not None
    assert (parsed.state, parsed.year_month, parsed.issuer_cnpj, parsed.model) == (
        "RO",
        "2102",
        "05883509000224",
        "55",
    )
    assert (parsed.series, parsed.number, parsed.check_digit_ok, parsed.is_nfce) == (
        "002",
        "000006342",
        True,
        False,
    )
    # Remainders 0 and 1 give digit 0 (MOC §5.4).
    assert access_key_check_digit("0" * 43) == 0


def test_parse_access_key_parts() -> None:
    parsed = parse_access_key(" ".join(key()[i : i + 4] for i in range(0, 44, 4)))
    assert parsed == NfceKey(
        access_key=key(),
        state_code="35",
        year_month="2403",
        issuer_cnpj="11222333000181",
        model="65",
        series="001",
        number="000000123",
        emission_type="1",
        check_digit_ok=True,
    )
    assert parsed.state == "SP"
    assert parsed.is_nfce


def test_bad_check_digit_is_reported_not_hidden() -> None:
    wrong = BODY + str((access_key_check_digit(BODY) + 1) % 10)
    parsed = parse_access_key(wrong)
    assert parsed is not None
    assert parsed.check_digit_ok is False
    assert parse_access_key(key()[:43]) is None
    assert parse_access_key("x" * 44) is None


def test_qr_v2_online_rendered_and_decoded() -> None:
    payload = f"{SP_URL}?p={key()}|2|1|1|0A1B2C3D4E5F60718293A4B5C6D7E8F901234567"
    decoded = decode_qr_codes(qr_pixels(payload))
    assert decoded == [payload]
    info = parse_nfce_qr(decoded[0])
    assert info is not None
    assert info.url == payload
    assert info.key is not None
    assert info.key.access_key == key()
    assert info.key.check_digit_ok
    assert (info.qr_version, info.environment, info.total) == (2, "production", None)


def test_qr_v2_offline_carries_the_total() -> None:
    payload = (
        f"{SP_URL}?p={key()}|2|2|15|45.90|6c4d2f31474e4b4c2b2f4f2f|1|ABCDEF0123456789ABCDEF0123456789ABCDEF01"
    )
    info = parse_nfce_qr(payload)
    assert info is not None
    assert (info.qr_version, info.environment, info.total) == (2, "homologation", Decimal("45.90"))


def test_qr_v1_and_v3() -> None:
    v1 = (
        f"http://www.fazenda.pr.gov.br/nfce/qrcode?chNFe={key()}&nVersao=100&tpAmb=1&vNF=45.90&cHashQRCode=AB"
    )
    info = parse_nfce_qr(v1)
    assert info is not None
    assert info.key is not None
    assert (info.key.access_key, info.qr_version, info.total) == (key(), 1, Decimal("45.90"))
    v3 = parse_nfce_qr(f"{SP_URL}?p={key()}|3|1")
    assert v3 is not None
    assert v3.qr_version == 3


@pytest.mark.parametrize(
    "payload",
    [
        "https://example.com/app?ref=123",
        "00020126580014br.gov.bcb.pix0136abc",
        "",
        "hello",
        f"{SP_URL}?p=123|2|1",
    ],
)
def test_other_qr_payloads_are_not_nfce(payload: str) -> None:
    assert parse_nfce_qr(payload) is None


def test_wrong_digit_in_qr_gives_check_digit_false() -> None:
    wrong = BODY + str((access_key_check_digit(BODY) + 1) % 10)
    info = parse_nfce_qr(decode_qr_codes(qr_pixels(f"{SP_URL}?p={wrong}|2|1|1|00"))[0])
    assert info is not None
    assert info.key is not None
    assert info.key.check_digit_ok is False


def test_printed_key_in_ocr_text() -> None:
    printed = " ".join(key()[i : i + 4] for i in range(0, 44, 4))
    found = find_access_key(f"Consulte pela Chave de Acesso em\n{printed}\nProtocolo 135240000123456")
    assert found is not None
    assert found.access_key == key()
    slipped = printed[:-1] + str((int(printed[-1]) + 1) % 10)
    assert find_access_key(slipped) is None


def test_no_qr_in_a_blank_image() -> None:
    assert decode_qr_codes(np.full((200, 300, 3), 255, np.uint8)) == []
