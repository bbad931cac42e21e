"""UUIDv7 ids: time-ordered, and strictly increasing within one process (rows made together keep their order)."""

from __future__ import annotations

from financy.runtime.ids import uuid7


def test_ids_made_in_one_process_are_strictly_increasing_and_stay_version_7() -> None:
    ids = [uuid7() for _ in range(20_000)]  # many share a millisecond
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert {i.version for i in ids} == {7}
    assert {i.variant for i in ids} == {"specified in RFC 4122"}


def test_an_id_for_a_given_millisecond_starts_with_it() -> None:
    assert uuid7(1_700_000_000_000).int >> 80 == 1_700_000_000_000
