"""A receipt that prints two different TOTAL lines: the one its items add up to is the total.

"PAO 10,00", "LEITE 5,00", "TOTAL 15,00", "TOTAL 150,00" once gave 150,00 (the later line) with a
confidence high enough to record it unasked, though the items add up to 15,00.
"""

from __future__ import annotations

from decimal import Decimal

from financy.inference.vision.fields import extract_fields

HEAD = ["PADARIA BOM PAO", "02/12/2026", "PAO 10,00", "LEITE 5,00"]


def test_the_total_the_items_add_up_to_wins_over_a_later_one() -> None:
    fields = extract_fields([*HEAD, "TOTAL 15,00", "TOTAL 150,00"], language="pt", currency="BRL")
    assert (fields.total, fields.total_verified, fields.problem) == (Decimal("15.00"), True, None)


def test_a_single_total_reads_as_before() -> None:
    fields = extract_fields([*HEAD, "TOTAL 15,00"], language="pt", currency="BRL")
    assert (fields.total, fields.total_verified) == (Decimal("15.00"), True)
    unchecked = extract_fields([*HEAD, "TOTAL 16,00"], language="pt", currency="BRL")
    assert (unchecked.total, unchecked.total_verified) == (Decimal("16.00"), False)
