"""Notifications of devices no longer stored: randomized means "under no stable prefix"."""

from __future__ import annotations

from lanventory.inventory.model import EventType
from lanventory.server_config import NotificationConfig
from lanventory.service.bus import BusEvent
from lanventory.service.notify import DeviceFacts, plan
from tests.conftest import SAMPLE_NOW

KVMS = [f"52:54:00:00:00:{n:02x}" for n in range(1, 6)]


def _new(n: int, mac: str) -> BusEvent:
    return BusEvent(n, SAMPLE_NOW, "lan", mac, EventType.DEVICE_NEW.value, {}, 7)


def test_a_stable_mac_is_not_randomized() -> None:
    assert not DeviceFacts.from_event(_new(1, KVMS[0])).randomized
    assert DeviceFacts.from_event(_new(1, KVMS[0]), ()).randomized
    assert DeviceFacts.from_event(_new(1, "ae:3f:91:6b:20:c4")).randomized


def test_new_virtual_machines_are_not_a_randomized_digest() -> None:
    events = [_new(n, mac) for n, mac in enumerate(KVMS, start=1)]
    config = NotificationConfig(digest_after=3)
    assert len(plan(config, events, {})) == len(KVMS)  # one message each
    [digest] = plan(config, events, {}, ())
    assert digest.title == f"{len(KVMS)} new randomized-MAC devices on lan"
