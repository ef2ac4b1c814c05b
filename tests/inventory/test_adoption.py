"""The adoption rules: what a successor inherits, what undo gives back, when auto-adopt may act."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lanventory.inventory.adoption import (
    AdoptionError,
    adopt,
    owner_fields,
    unambiguous,
    undo_fields,
)
from lanventory.inventory.model import Device, EventType, Status
from lanventory.inventory.rotation import Suggestion
from tests.conftest import SAMPLE_NOW

OLD, NEW = "9a:11:22:33:44:55", "ae:3f:91:6b:20:c4"


def _device(mac: str, **fields: object) -> Device:
    device = Device("lan", mac, SAMPLE_NOW, SAMPLE_NOW, randomized=True)
    for name, value in fields.items():
        setattr(device, name, value)
    return device


def test_the_successor_takes_what_the_owner_gave_the_old_mac() -> None:
    old = _device(OLD, name="Anna's iPhone", grp="Phones", note="Anna", status=Status.KNOWN)
    new = _device(NEW, note="seen in the kitchen")
    adoption = adopt(new, old, SAMPLE_NOW)
    assert adoption.fields == {
        "name": "Anna's iPhone",
        "grp": "Phones",
        "note": "Anna",
        "status": "known",
        "flagged": False,
        "watched": False,
    }
    assert adoption.before == owner_fields(new)
    assert adoption.inherited == {
        "name": "Anna's iPhone",
        "grp": "Phones",
        "note": "Anna",
        "status": "known",
    }
    adopted, retired = adoption.events
    assert (adopted.mac, adopted.type, adopted.data["from"], adopted.data["by"]) == (
        NEW,
        EventType.ADOPTED,
        OLD,
        "owner",
    )
    assert (retired.mac, retired.type, retired.data) == (
        OLD,
        EventType.RETIRED,
        {"into": NEW, "by": "owner"},
    )


def test_empty_old_fields_keep_the_new_values_and_flags_stay_on() -> None:
    old = _device(OLD, flagged=True)
    new = _device(NEW, name="Guest phone", status=Status.KNOWN, watched=True)
    fields = adopt(new, old, SAMPLE_NOW, auto=True).fields
    assert fields["name"] == "Guest phone"
    assert fields["status"] == "known"  # a `new` predecessor does not demote it
    assert fields["flagged"] is True and fields["watched"] is True


def test_an_ignored_old_device_stays_ignored_under_its_new_mac() -> None:
    old = _device(OLD, status=Status.IGNORED)
    assert adopt(_device(NEW), old, SAMPLE_NOW).fields["status"] == "ignored"


@pytest.mark.parametrize(
    ("new", "old", "words"),
    [
        (_device(NEW), _device(NEW), "cannot adopt itself"),
        (_device(NEW), Device("iot", OLD, SAMPLE_NOW, SAMPLE_NOW), "same network"),
    ],
)
def test_what_cannot_be_adopted(new: Device, old: Device, words: str) -> None:
    with pytest.raises(AdoptionError, match=words):
        adopt(new, old, SAMPLE_NOW)


def test_undo_restores_inherited_values_but_keeps_later_edits() -> None:
    before = {"name": None, "grp": None, "note": "x", "status": "new", "flagged": False}
    inherited = {"name": "Anna's iPhone", "grp": "Phones", "status": "known"}
    current = {
        "name": "Anna's iPhone",
        "grp": "Family",  # the owner regrouped it after the adoption
        "note": "x",
        "status": "known",
        "flagged": False,
    }
    assert undo_fields(current, before, inherited) == {
        "name": None,
        "grp": "Family",
        "note": "x",
        "status": "new",
        "flagged": False,
    }


def _suggestion(mac: str, *matched: str) -> Suggestion:
    return Suggestion(mac, 0.9, SAMPLE_NOW - timedelta(minutes=3), [], frozenset(matched))


def test_auto_adopt_needs_one_candidate_with_the_same_hostname() -> None:
    only = _suggestion(OLD, "hostname", "ip")
    assert unambiguous([only]) is only
    assert unambiguous([]) is None
    assert unambiguous([_suggestion(OLD, "client_id", "ip")]) is None
    assert unambiguous([only, _suggestion("9a:00:00:00:00:01", "hostname")]) is None
