"""Extra addresses in the store: written, reloaded, moved between devices, on both databases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, select

from lanventory.store import network_state
from lanventory.store.tables import device_addresses, devices, events
from tests.conftest import SAMPLE_NOW, fixture_path
from tests.store.test_store import run, scan

A, B, C, D = "00:16:3e:00:00:0a", "00:16:3e:00:00:0b", "00:16:3e:00:00:0c", "00:16:3e:00:00:0d"
CAPTURE = fixture_path("arp-scan/handmade-multi-address-arp-scan-1.10.0.txt").read_text()


def held(engine: Engine) -> dict[str, list[str]]:
    """Every current address per MAC, primary first, from the tables themselves."""
    found: dict[str, list[str]] = {}
    with engine.connect() as connection:
        for mac, ip in connection.execute(select(devices.c.mac, devices.c.ip)):
            found[mac] = [ip] if ip is not None else []
        query = (
            select(devices.c.mac, device_addresses.c.ip)
            .join(devices, devices.c.id == device_addresses.c.device_id)
            .order_by(device_addresses.c.ip)
        )
        for mac, ip in connection.execute(query):
            found[mac].append(ip)
    return found


def ip_changes(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        query = select(events.c.mac, events.c.data).where(events.c.type == "ip_changed")
        return [{"mac": mac, **data} for mac, data in connection.execute(query)]


def test_a_capture_with_a_multi_address_device_is_stored_and_reloaded(engine: Engine) -> None:
    for day in range(3):
        report = run(engine, "arp-scan", CAPTURE, now=SAMPLE_NOW + timedelta(days=day))
        assert report.ok, report.error
    assert held(engine)[A] == ["198.18.0.3", "198.18.0.2", "198.18.0.20"]
    assert held(engine)[B] == ["198.18.0.30"]
    assert ip_changes(engine) == []
    with engine.connect() as connection:
        state = network_state.load_network(connection, "lan").state
    assert state.extra_ips(A) == ["198.18.0.2", "198.18.0.20"]
    assert state.holder_of("198.18.0.20") == A


def test_another_device_taking_an_extra_keeps_each_address_with_one_device(
    engine: Engine,
) -> None:
    assert run(engine, "arp-scan", CAPTURE).ok
    later = SAMPLE_NOW + timedelta(minutes=5)
    report = run(
        engine, "arp-scan", scan(("198.18.0.20", C), ("198.18.0.3", A), ("198.18.0.2", A)), later
    )
    assert report.ok, report.error
    found = held(engine)
    assert found[A] == ["198.18.0.3", "198.18.0.2"]
    assert found[C] == ["198.18.0.20"]
    everything = [ip for ips in found.values() for ip in ips]
    assert len(everything) == len(set(everything))


def test_a_second_mac_taking_the_primary_promotes_an_extra(engine: Engine) -> None:
    assert run(engine, "arp-scan", CAPTURE).ok
    later = SAMPLE_NOW + timedelta(minutes=5)
    assert run(engine, "arp-scan", scan(("198.18.0.3", D), ("198.18.0.30", B)), later).ok
    found = held(engine)
    assert found[D] == ["198.18.0.3"]
    assert found[A] == ["198.18.0.2", "198.18.0.20"]
    assert ip_changes(engine) == [
        {"mac": A, "old": "198.18.0.3", "new": "198.18.0.2", "taken_by": D}
    ]


def test_a_device_taking_back_addresses_moves_them_between_devices(engine: Engine) -> None:
    assert run(engine, "arp-scan", CAPTURE).ok
    swap = scan(("198.18.0.2", B), ("198.18.0.30", A), ("198.18.0.3", A), ("198.18.0.20", B))
    assert run(engine, "arp-scan", swap, SAMPLE_NOW + timedelta(minutes=5)).ok
    found = held(engine)
    assert sorted(found[A]) == ["198.18.0.3", "198.18.0.30"]
    assert sorted(found[B]) == ["198.18.0.2", "198.18.0.20"]


def test_deleting_a_device_deletes_its_extra_addresses(engine: Engine) -> None:
    assert run(engine, "arp-scan", CAPTURE).ok
    with engine.begin() as connection:
        connection.execute(devices.delete().where(devices.c.mac == A))
    with engine.connect() as connection:
        assert connection.execute(select(device_addresses)).all() == []
