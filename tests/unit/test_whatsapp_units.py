"""A notification body split into stored units: one per message and one per status."""

from __future__ import annotations

import json
from typing import Any

from financy.bots.whatsapp.webhook import split_units
from tests.conftest import FIXTURES


def _sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "whatsapp" / f"{name}.json").read_text())
    return data


def test_a_batched_body_makes_one_unit_per_message_and_status() -> None:
    body = _sample("pywa_message__text")
    value = body["entry"][0]["changes"][0]["value"]
    second = dict(value["messages"][0], id="wamid.second", text={"body": "uber 23"})
    value["messages"].append(second)
    value["statuses"] = _sample("pywa_message_status__delivered")["entry"][0]["changes"][0]["value"][
        "statuses"
    ]
    body["entry"].append(_sample("pywa_message_status__read")["entry"][0])
    units, notes = split_units(body)
    assert notes == []
    assert [key for key, _ in units] == [
        "wamid.xyzxyz",
        "wamid.second",
        "status:wamid.xyzxyz:delivered:1698266945",
        "status:wamid.xyzxyz:read:1689380458",
    ]
    first = json.loads(units[0][1])
    assert first == {
        "v": 1,
        "kind": "message",
        "phone_number_id": "1122334455667",
        "display_phone_number": "972123456789",
        "contact": {"wa_id": "972987654321", "name": "Test Name"},
        "message": value["messages"][0],
    }
    status = json.loads(units[2][1])
    assert (status["kind"], status["status"]["status"]) == ("status", "delivered")


def test_bodies_without_entries_or_of_other_fields_are_only_noted() -> None:
    assert split_units({"object": "whatsapp_business_account"}) == (
        [],
        [{"note": "no_entries", "object": "whatsapp_business_account"}],
    )
    assert split_units([1, 2]) == ([], [{"note": "no_entries", "object": None}])
    other = {"entry": [{"changes": [{"field": "account_update", "value": {}}]}]}
    assert split_units(other) == ([], [{"note": "ignored_field", "field": "account_update"}])
    assert split_units({"entry": []}) == ([], [{"note": "empty"}])


def test_reported_errors_are_noted_and_the_message_kept() -> None:
    units, notes = split_units(_sample("pywa_message__interactive_message_with_err"))
    assert [key for key, _ in units] == ["wamid.wegrchytvwcggt="]
    assert notes[0]["note"] == "errors"
    assert "131000" in notes[0]["errors"]


def test_a_message_without_an_id_gets_a_stable_key() -> None:
    body = _sample("pywa_message__text")
    del body["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    ((key, _unit),) = split_units(body)[0]
    assert key.startswith("noid:")
    assert split_units(body)[0][0][0] == key


def test_odd_shapes_are_noted_never_raised() -> None:
    odd: list[Any] = [
        {"entry": "x"},
        {"entry": [None, 1, {"changes": "x"}, {"changes": [None, {"field": "messages", "value": []}]}]},
        {
            "entry": [
                {"changes": [{"field": "messages", "value": {"messages": 5, "statuses": "s", "contacts": 3}}]}
            ]
        },
        {
            "entry": [
                {"changes": [{"field": "messages", "value": {"messages": [1, {"id": 7}], "statuses": [{}]}}]}
            ]
        },
        {
            "entry": [
                {
                    "changes": [
                        {"field": "messages", "value": {"metadata": [], "contacts": [{"wa_id": 1}, "x"]}}
                    ]
                }
            ]
        },
    ]
    for body in odd:
        units, notes = split_units(body)
        assert all(isinstance(key, str) and isinstance(unit, bytes) for key, unit in units)
        assert units or notes, body
    units, notes = split_units(odd[3])
    assert [key[:5] for key, _ in units] == ["noid:"]
    assert notes == [{"note": "malformed_message"}, {"note": "malformed_status"}]
