"""``python -m tests.eval.receipts [--all-engines]``: receipt field accuracy, dev and test (``make eval``).

Two splits (``tests/eval/splits.py``):

* **dev**: the photos in ``tests/fixtures/receipts/`` pinned in unit tests (Contoso cafe and Surface,
  MEGA MARKET, Safeway, the Philippine grocery photo), the REWE photo (the receipt of the REWE OCR
  text the unit tests use) and the REWE OCR text (text only, through :func:`extract_fields`);
* **test**: the 33 receipts in ``tests/fixtures/receipts_test/`` (SROIE Malaysia, German
  supermarkets, Czech Tesco/Albert, a London pub), with the collector's truth in
  ``collected_2026_12.expected.json``; no item is annotated there.

Every photo goes through :func:`read_receipt` with the edge's default engine setting (ppocr);
``--all-engines`` also runs tesseract and ppocr+tesseract (the second only fills what the first
missed). Four fields are scored against the annotations:

* **total**: exact Decimal; where the receipt shows no total (Safeway, the Philippine photo) the
  right answer is "no total" (None with problem "no_total"): any number there is a wrong guess.
* **date**: exact ISO date (None where none is visible).
* **merchant**: case-, accent- and punctuation-insensitive similarity >= 0.8 (difflib) with any
  accepted name (OCR slips like "SAFEWAYC" pass; "Contos" for "Contoso" too), or the accepted
  name inside the name read (the test truth is a lower-case substring: "tesco", "albert"); None
  where no merchant is printed (the Philippine photo shows items only).
* **currency**: ISO code, scored where the annotation names one.

Items are scored apart, on the receipts whose items are annotated (Contoso cafe: Azure
``Items[].TotalPrice``; MEGA MARKET: Textract ``LineItemGroups`` PRICE; Contoso Surface: the
collector's reading in MANIFEST.md): an annotated item counts as found when a distinct item read
from the receipt has the same line total (Decimal, exact); the table shows found / annotated per
engine setting, and the JSON also counts the items read that match no annotated one ("extra").

Expected values come from the sidecar annotations when there is one (Azure ``receipt_result.json``
documentResults, Textract ``analyze_expense.json`` SummaryFields, whose VENDOR_NAME lists both "MEGA
MARKET PLUS" and "MEGA BIGBOK"), else from the collector's reading in the shared MANIFEST.md (row
numbers in ``SOURCE``). Prints a table per engine and the misses, writes ``var/eval/receipts.json``.
Exit status 0 when the run completed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import json
import re
import sys
import time
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RECEIPTS = ROOT / "tests" / "fixtures" / "receipts"
TEST_RECEIPTS = ROOT / "tests" / "fixtures" / "receipts_test"
TEST_TRUTH = TEST_RECEIPTS / "collected_2026_12.expected.json"
DEFAULT_OUT = ROOT / "var" / "eval" / "receipts.json"
FIELDS = ("total", "date", "merchant", "currency")
CENT = Decimal("0.01")
#: The edge's default (``FINANCY_EDGE_OCR_ENGINES``), then the other settings (``--all-engines``).
SETTINGS = (("ppocr",), ("tesseract",), ("ppocr", "tesseract"))


@dataclass(frozen=True)
class Expected:
    """A receipt's annotation. ``currency`` None: not scored; ``merchants`` empty: none printed."""

    name: str
    source: str
    total: Decimal | None
    date: dt.date | None
    merchants: tuple[str, ...]
    currency: str | None
    #: Annotated line totals, one per item; None: the receipt's items are not annotated (not scored).
    items: tuple[Decimal, ...] | None = None
    split: str = "dev"
    folder: Path = RECEIPTS


def _azure(path: Path) -> dict[str, Any]:
    fields = json.loads(path.read_text())["analyzeResult"]["documentResults"][0]["fields"]
    items = fields["Items"]["valueArray"]
    return {
        "items": tuple(
            Decimal(str(it["valueObject"]["TotalPrice"]["valueNumber"])).quantize(CENT) for it in items
        ),
        "total": Decimal(str(fields["Total"]["valueNumber"])).quantize(Decimal("0.01")),
        "date": dt.date.fromisoformat(fields["TransactionDate"]["valueDate"]),
        # Azure's valueString joins the logo and the name ("Contoso Contoso"); MANIFEST [5] says Contoso.
        "merchants": (fields["MerchantName"]["valueString"], fields["MerchantName"]["text"].split()[0]),
    }


def _textract(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text())["ExpenseDocuments"][0]
    summary = document["SummaryFields"]
    by_type: dict[str, list[dict[str, Any]]] = {}
    for entry in summary:
        by_type.setdefault(entry["Type"]["Text"], []).append(entry)
    if "TOTAL" not in by_type:
        return {"total": None, "date": None, "merchants": (), "currency": None}
    total = by_type["TOTAL"][0]
    prices = [
        field["ValueDetection"]["Text"]
        for group in document["LineItemGroups"]
        for item in group["LineItems"]
        for field in item["LineItemExpenseFields"]
        if field["Type"]["Text"] == "PRICE"
    ]
    month, day, year = (
        int(x) for x in by_type["INVOICE_RECEIPT_DATE"][0]["ValueDetection"]["Text"].split("/")
    )
    return {
        "total": Decimal(total["ValueDetection"]["Text"].lstrip("$").replace(",", "")),
        "date": dt.date(year, month, day),
        "merchants": tuple(e["ValueDetection"]["Text"] for e in by_type.get("VENDOR_NAME", [])),
        "currency": total["Currency"]["Code"],
        # "$899.99 S": the price and the tax flag.
        "items": tuple(Decimal(re.sub(r"[^\d.]", "", price)) for price in prices) or None,
    }


def _collected(name: str, split: str, folder: Path) -> Expected:
    truth = json.loads(TEST_TRUTH.read_text(encoding="utf-8"))[name]
    return Expected(
        name,
        truth["source"],
        Decimal(truth["total"]) if truth["total"] is not None else None,
        dt.date.fromisoformat(truth["date"]) if truth["date"] else None,
        (truth["merchant"],) if truth["merchant"] else (),
        truth["currency"],
        None,
        split,
        folder,
    )


def load_test() -> list[Expected]:
    """The test receipts: every photo in ``receipts_test/`` with its truth in the collector's JSON."""
    truth = json.loads(TEST_TRUTH.read_text(encoding="utf-8"))
    return [_collected(name, "test", TEST_RECEIPTS) for name in truth if (TEST_RECEIPTS / name).exists()]


def load_expected() -> list[Expected]:
    """The dev receipts (photos), expected values read from their sidecars where they exist."""
    cafe = _azure(RECEIPTS / "azure_contoso_cafe_photo.receipt_result.json")
    mega = _textract(RECEIPTS / "textractor_megabigbox_rendered.analyze_expense.json")
    ph = _textract(RECEIPTS / "textractor_ph_grocery_photo_no_summary.analyze_expense.json")
    return [
        Expected("azure_contoso_cafe_photo.jpg", "Azure receipt_result.json [6]", currency="USD", **cafe),
        Expected(
            "azure_contoso_surface_photo.jpg",
            "collector, MANIFEST [7]",
            Decimal("2516.28"),
            dt.date(2019, 6, 10),
            ("Contoso",),
            "USD",
            (Decimal("1998.00"), Decimal("299.97")),  # "2 Surface Pro 6 $1,998.00", "3 Surface Pen $299.97"
        ),
        Expected("textractor_megabigbox_rendered.jpg", "Textract analyze_expense.json [2]", **mega),
        Expected(
            "mmocr_wildreceipt_safeway_photo.jpg",
            "WildReceipt annotation, MANIFEST [12]: total not visible",
            None,
            None,
            ("SAFEWAY",),
            None,
        ),
        Expected(
            "textractor_ph_grocery_photo_no_summary.png",
            "Textract: no summary fields [4]; MANIFEST: P-prices",
            ph["total"],
            ph["date"],
            ph["merchants"],
            "PHP",
            None,  # 29 items on the photo, not annotated
        ),
        # the receipt of the REWE OCR text: dev, though its truth is in the collector's test JSON
        _collected("rpl_rewe_20141204_de.jpg", "dev", RECEIPTS),
    ]


REWE = Expected(
    "receipt_parser_legacy_rewe_de_ocr_text.txt",
    "receipt-parser-legacy tests, MANIFEST [17]",
    Decimal("0.99"),
    dt.date(2014, 12, 4),
    ("REWE",),
    "EUR",
)


def _norm(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text)
    return re.sub(r"[^a-z0-9]", "", "".join(c for c in plain if not unicodedata.combining(c)).lower())


def score(expected: Expected, got: dict[str, Any]) -> dict[str, bool | None]:
    """Per field: True/False, or None when the field is not scored for this receipt."""
    merchant = got["merchant"]
    if expected.merchants:
        merchant_ok = merchant is not None and any(
            difflib.SequenceMatcher(None, _norm(merchant), _norm(name)).ratio() >= 0.8
            or (bool(_norm(name)) and _norm(name) in _norm(merchant))
            for name in expected.merchants
        )
    else:
        merchant_ok = merchant is None
    return {
        "total": got["total"] == expected.total,
        "date": got["date"] == expected.date,
        "merchant": merchant_ok,
        "currency": None if expected.currency is None else got["currency"] == expected.currency,
    }


def score_items(expected: Expected, line_totals: list[Decimal | None]) -> dict[str, int] | None:
    """Items found (an annotated line total matched by a distinct item read), annotated and extra
    (items read matching none); None when the receipt's items are not annotated."""
    if expected.items is None:
        return None
    left = list(line_totals)
    found = 0
    for want in expected.items:
        if want in left:
            left.remove(want)
            found += 1
    return {"found": found, "annotated": len(expected.items), "extra": len(left)}


def _as_row(fields: Any) -> dict[str, Any]:
    return {
        "total": fields.total,
        "date": fields.date,
        "merchant": fields.merchant,
        "currency": fields.currency,
        "problem": fields.problem,
        "items": [item.line_total for item in fields.items],
    }


def run_images(setting: tuple[str, ...], expected: list[Expected]) -> list[dict[str, Any]]:
    """Read every photo with the engines of ``setting``; return one result row per receipt."""
    from financy.inference.vision.ocr import make_engines
    from financy.inference.vision.receipt import read_receipt

    engines = make_engines(list(setting))
    for engine in engines:  # model loading is not part of the per-receipt seconds
        load = getattr(engine, "load", None)
        if load is not None:
            load()
    rows = []
    for case in expected:
        started = time.perf_counter()
        receipt = read_receipt((case.folder / case.name).read_bytes(), engines=engines)
        seconds = time.perf_counter() - started
        got = _as_row(receipt.fields)
        rows.append(
            {
                "receipt": case.name,
                "got": got,
                "ok": score(case, got),
                "items": score_items(case, got["items"]),
                "engine": receipt.engine,
                "seconds": round(seconds, 2),
            }
        )
    return rows


def run_rewe() -> dict[str, Any]:
    from financy.inference.vision.fields import extract_fields

    lines = (RECEIPTS / REWE.name).read_text(encoding="utf-8").splitlines()
    got = _as_row(extract_fields(lines))
    return {
        "receipt": REWE.name,
        "got": got,
        "ok": score(REWE, got),
        "items": None,
        "engine": "text",
        "seconds": 0.0,
    }


def _accuracy(rows: list[dict[str, Any]], field: str) -> tuple[int, int]:
    scored = [row["ok"][field] for row in rows if row["ok"][field] is not None]
    return sum(1 for ok in scored if ok), len(scored)


def _item_accuracy(rows: list[dict[str, Any]]) -> tuple[int, int, int]:
    scored = [row["items"] for row in rows if row.get("items") is not None]
    return (
        sum(s["found"] for s in scored),
        sum(s["annotated"] for s in scored),
        sum(s["extra"] for s in scored),
    )


def _show(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value) or "-"
    return "-" if value is None else str(value)


def _json(key: str, value: Any) -> Any:
    if key == "problem":
        return value
    if key == "items":
        return [_show(v) for v in value]
    return _show(value)


def _cell(correct: int, total: int) -> str:
    return "-" if not total else f"{correct}/{total} ({correct / total:.0%})"


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation, print the tables, write the JSON report."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.eval.receipts", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON report (default {DEFAULT_OUT})")
    parser.add_argument("--all-engines", action="store_true", help="also tesseract and ppocr+tesseract")
    parser.add_argument("--split", choices=("dev", "test"), action="append", help="only this split")
    args = parser.parse_args(argv)
    cases = {"dev": load_expected(), "test": load_test()}
    cases = {split: found for split, found in cases.items() if not args.split or split in args.split}
    by_name = {case.name: case for case in [*cases["dev"], *cases["test"], REWE]}
    settings = SETTINGS if args.all_engines else SETTINGS[:1]
    report: dict[str, Any] = {"fields": [*FIELDS, "items"], "settings": {}, "receipts": {}}
    for case in by_name.values():
        report["receipts"][case.name] = {
            "split": case.split,
            "source": case.source,
            "total": _show(case.total),
            "date": _show(case.date),
            "merchants": list(case.merchants),
            "currency": case.currency,
            "items": None if case.items is None else [str(v) for v in case.items],
        }
    rewe = run_rewe()
    results: dict[tuple[str, str], list[dict[str, Any]]] = {}
    started = time.perf_counter()
    for setting in settings:
        name = "+".join(setting)
        for split, expected in cases.items():
            rows = run_images(setting, expected)
            if split == "dev":
                rows = [*rows, rewe]
            results[(name, split)] = rows
            report["settings"][f"{name} {split}"] = {
                "rows": [{**row, "got": {k: _json(k, v) for k, v in row["got"].items()}} for row in rows],
                "accuracy": {field: "{}/{}".format(*_accuracy(rows, field)) for field in FIELDS},
                "items": dict(zip(("found", "annotated", "extra"), _item_accuracy(rows), strict=True)),
                "mean_seconds": round(sum(row["seconds"] for row in rows) / len(rows), 2),
            }
    report["seconds"] = round(time.perf_counter() - started, 1)

    sizes = ", ".join(f"{split} {len(found)} photos" for split, found in cases.items())
    print(f"Receipt fields ({sizes}; dev also the REWE OCR text); cells: right/scored (accuracy)")
    header = f"{'field':<10}" + "".join(f"{f'{name} {split}':>24}" for name, split in results)
    print(header)
    print("-" * len(header))
    for field in FIELDS:
        print(f"{field:<10}" + "".join(f"{_cell(*_accuracy(rows, field)):>24}" for rows in results.values()))
    items = "".join(f"{_cell(*_item_accuracy(rows)[:2]):>24}" for rows in results.values())
    print(f"{'items':<10}{items}")
    seconds = "".join(
        f"{sum(r['seconds'] for r in rows) / max(1, len(rows)):>23.2f}s" for rows in results.values()
    )
    print(f"{'s/receipt':<10}{seconds}")
    print(
        "items: annotated items read with the right line total (dev only: Contoso cafe, Contoso "
        "Surface, MEGA MARKET; the test receipts have no item annotation)"
    )
    print()
    print("Misses (receipt: field read -> expected):")
    misses = 0
    for (name, split), rows in results.items():
        for row in rows:
            case = by_name[row["receipt"]]
            for field in FIELDS:
                if row["ok"][field] is False:
                    misses += 1
                    want = (
                        " / ".join(case.merchants) or "-"
                        if field == "merchant"
                        else _show(getattr(case, field))
                    )
                    print(
                        f"  [{name} {split}] {row['receipt']}: {field} {_show(row['got'][field])!s} -> {want}"
                    )
            item_score = row.get("items")
            if item_score is not None and (
                item_score["found"] < item_score["annotated"] or item_score["extra"]
            ):
                misses += 1
                print(
                    f"  [{name} {split}] {row['receipt']}: items {_show(row['got']['items'])} -> "
                    f"{_show(list(case.items or ()))}"
                )
    if not misses:
        print("  none")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
