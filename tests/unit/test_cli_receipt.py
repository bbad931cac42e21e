"""`financy receipt IMAGE --json`: the DESIGN §5 shape on a real photo, one clear line for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from financy.cli import main

RECEIPTS = Path(__file__).parents[1] / "fixtures" / "receipts"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["receipt", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
def test_json_shape_on_a_real_photo(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(RECEIPTS / "textractor_megabigbox_rendered.jpg"), "--json")
    assert code == 0
    body = json.loads(out)
    design = {"merchant", "merchant_tax_id", "date", "total", "currency", "items", "text", "confidence"}
    extra = {"time", "subtotal", "tax", "tip", "change", "payment_method", "nfce", "problem", "engine"}
    assert design | extra | {"model_version"} <= set(body)
    assert (body["total"], body["subtotal"], body["tax"]) == ("1810.46", "1699.96", "110.50")
    assert (body["currency"], body["date"], body["time"], body["problem"]) == (
        "USD",
        "2019-12-07",
        "12:22:00",
        None,
    )
    assert body["items"][0] == {
        "description": "LG FLATSCREEN 65",
        "quantity": None,
        "unit_price": None,
        "line_total": "899.99",
    }
    assert body["engine"] == "ppocr"
    assert "TOTAL" in body["text"]
    assert 0.9 < body["confidence"] <= 1.0


def test_unreadable_path_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, str(tmp_path / "missing.jpg"), "--json")
    assert code == 2
    assert json.loads(out)["error"]["code"] == "unreadable_path"
    assert err.count("\n") == 1
    assert err.startswith("financy receipt: cannot read")
    code, _, err = run(capsys, str(tmp_path))
    assert code == 2
    assert "is a directory" in err


@pytest.mark.parametrize(
    ("content", "code_name"),
    [
        (b"", "empty"),
        (b"this is a text file, not a photo", "not_an_image"),
        ((RECEIPTS / "azure_contoso_cafe_photo.jpg").read_bytes()[:20000], "corrupt_image"),
    ],
)
def test_bad_images_exit_1_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes, code_name: str
) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(content)
    code, out, err = run(capsys, str(photo), "--json")
    assert code == 1
    assert json.loads(out)["error"]["code"] == code_name
    assert err.count("\n") == 1
    assert err.rstrip().endswith(f"({code_name})")
    code, out, _ = run(capsys, str(photo))
    assert (code, out) == (1, "")


def test_unknown_engine_and_bad_currency(capsys: pytest.CaptureFixture[str]) -> None:
    photo = str(RECEIPTS / "azure_contoso_cafe_photo.jpg")
    code, out, _ = run(capsys, photo, "--engine", "ppocr,easyocr", "--json")
    assert code == 1
    assert json.loads(out)["error"]["code"] == "unknown_engine"
    code, out, _ = run(capsys, photo, "--currency", "R$", "--json")
    assert code == 1
    assert json.loads(out)["error"]["code"] == "bad_currency"
