"""The names job on a real database (SQLite and PostgreSQL), with the lookups faked.

No packet is sent: the PTR query and the mDNS browse are injected.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from lanventory.names.mdns_hosts import ServiceInstance
from lanventory.names.ptr import PtrAnswer, ResolverError
from lanventory.names.ptr_cache import PtrCache
from lanventory.names.run import MDNS_KEEP, run_names
from lanventory.network_config import NetworkConfig
from lanventory.store.device_names import advertised_services, name_targets, names_of
from lanventory.store.engine import write_transaction
from lanventory.store.tables import device_names, devices, events, runs
from tests.conftest import SAMPLE_NOW
from tests.store.test_store import run, scan

PRINTER, LAPTOP, OLD, BARE = (
    "00:16:3e:00:00:01",
    "00:16:3e:00:00:02",
    "00:16:3e:00:00:03",
    "00:16:3e:00:00:04",
)
IPS = {PRINTER: "198.18.0.20", LAPTOP: "198.18.0.3", OLD: "198.18.0.30", BARE: "198.18.0.40"}
NETWORK = NetworkConfig.model_validate(
    {
        "name": "lan",
        "cidr": "198.18.0.0/24",
        "interface": "br0",
        "names": {"resolver": "198.18.1.2", "timeout": 0.5, "browse_seconds": 0.1},
    }
)
PTR_NAMES = {IPS[PRINTER]: "printer.lab", IPS[LAPTOP]: "laptop.lab", IPS[OLD]: "old.lab"}
BROWSE = [
    ServiceInstance("_ipp._tcp.local.", "Lab Printer._ipp._tcp.local.", "labprinter.local.", (IPS[PRINTER],)),
    ServiceInstance("_airplay._tcp.local.", "Lab Printer._airplay._tcp.local.", "labprinter.local.", (IPS[PRINTER],)),
    ServiceInstance("_ssh._tcp.local.", "old._ssh._tcp.local.", "old.local.", (IPS[OLD],)),
]  # fmt: skip


class Fakes:
    """The lookups a run makes, answered from tables; each call is recorded."""

    def __init__(self) -> None:
        self.ptr = dict(PTR_NAMES)
        self.instances = list(BROWSE)
        self.asked: list[str] = []
        self.browsed: list[tuple[str, float]] = []
        self.resolver_down = False
        self.browse_fails = False

    def query(self, ip: str, resolver: str, timeout: float, now: datetime) -> PtrAnswer:
        assert resolver == "198.18.1.2" and timeout == 0.5
        self.asked.append(ip)
        if self.resolver_down:
            raise ResolverError(f"PTR {ip}: no answer from {resolver} within 0.5 s")
        return PtrAnswer(ip, self.ptr.get(ip), 600, now)

    def browse(self, address: str, seconds: float) -> list[ServiceInstance]:
        self.browsed.append((address, seconds))
        if self.browse_fails:
            raise OSError("[Errno 19] No such device")
        return list(self.instances)


@pytest.fixture
def fakes() -> Fakes:
    return Fakes()


def inventory(engine: Engine) -> None:
    """Four devices on ``lan``; the owner named the printer; OLD is retired."""
    assert run(engine, "arp-scan", scan(*((ip, mac) for mac, ip in IPS.items()))).ok
    with write_transaction(engine) as connection:
        connection.execute(update(devices).where(devices.c.mac == PRINTER).values(name="Office"))
        connection.execute(
            update(devices).where(devices.c.mac == OLD).values(retired_at=SAMPLE_NOW)
        )


def names_job(engine: Engine, fakes: Fakes, now: datetime = SAMPLE_NOW, **kw: Any) -> Any:
    return run_names(
        engine,
        NETWORK,
        clock=lambda: now,
        query=fakes.query,
        browser=fakes.browse,
        address="198.18.0.1",
        **kw,
    )


def stored(engine: Engine) -> dict[str, dict[str, tuple[str, tuple[str, ...]]]]:
    """MAC -> source -> (name, services)."""
    with engine.connect() as connection:
        ids = {row.id: row.mac for row in connection.execute(select(devices.c.id, devices.c.mac))}
        found = names_of(connection, ids)
    return {
        ids[device_id]: {n.source: (n.name or "", n.services) for n in names}
        for device_id, names in found.items()
    }


def owner_names(engine: Engine) -> dict[str, str | None]:
    with engine.connect() as connection:
        rows = connection.execute(select(devices.c.mac, devices.c.name))
        return {row.mac: row.name for row in rows}


def test_targets_are_live_devices_with_an_ipv4_address(engine: Engine) -> None:
    inventory(engine)
    with engine.connect() as connection:
        targets = name_targets(connection, "lan")
        assert name_targets(connection, "iot") == []
    assert [(t.mac, t.ip, t.name) for t in targets] == [
        (LAPTOP, IPS[LAPTOP], None),
        (PRINTER, IPS[PRINTER], "Office"),
        (BARE, IPS[BARE], None),
    ]


def test_a_run_stores_ptr_and_mdns_names_and_never_the_owner_name(
    engine: Engine, fakes: Fakes
) -> None:
    inventory(engine)
    before = owner_names(engine)
    report = names_job(engine, fakes)
    assert report.ok, report.summary()
    assert (
        report.summary() == "lan <- names: 3 devices with IPv4, reverse DNS 2 named, mDNS 1 found"
    )
    assert fakes.browsed == [("198.18.0.1", 0.1)]
    assert sorted(fakes.asked) == sorted(IPS[m] for m in (PRINTER, LAPTOP, BARE))
    assert stored(engine) == {
        PRINTER: {
            "mdns": ("labprinter.local", ("_airplay._tcp", "_ipp._tcp")),
            "ptr": ("printer.lab", ()),
        },
        LAPTOP: {"ptr": ("laptop.lab", ())},
    }
    assert owner_names(engine) == before  # the retired device got nothing either
    with engine.connect() as connection:
        printer_id = connection.execute(
            select(devices.c.id).where(devices.c.mac == PRINTER)
        ).scalar_one()
        names = names_of(connection, [printer_id])[printer_id]
    assert [n.source for n in names] == ["mdns", "ptr"]
    assert names[0].expires_at == SAMPLE_NOW + MDNS_KEEP
    assert names[1].expires_at == SAMPLE_NOW + timedelta(seconds=600)
    assert advertised_services(names) == ["_airplay._tcp", "_ipp._tcp"]


def test_a_failing_resolver_or_browse_keeps_the_stored_names(engine: Engine, fakes: Fakes) -> None:
    inventory(engine)
    assert names_job(engine, fakes).ok
    before = stored(engine)
    fakes.resolver_down = fakes.browse_fails = True
    report = names_job(engine, fakes, SAMPLE_NOW + timedelta(hours=2))
    assert not report.ok
    assert len(report.ptr_errors) == 3
    assert "reverse DNS FAILED for 3: PTR " in report.summary()
    assert "mDNS FAILED: [Errno 19] No such device" in report.summary()
    assert stored(engine) == before


def test_answers_replace_names_and_negative_ones_remove_them(engine: Engine, fakes: Fakes) -> None:
    inventory(engine)
    assert names_job(engine, fakes).ok
    fakes.ptr = {IPS[PRINTER]: "printer2.lab"}  # the laptop's PTR record is gone
    fakes.instances = []  # and the printer is asleep
    later = SAMPLE_NOW + timedelta(hours=1)
    assert names_job(engine, fakes, later).ok
    assert stored(engine) == {
        PRINTER: {
            "mdns": ("labprinter.local", ("_airplay._tcp", "_ipp._tcp")),
            "ptr": ("printer2.lab", ()),
        },
    }
    # A day without mDNS answers: the mDNS name expires.
    assert names_job(engine, fakes, SAMPLE_NOW + MDNS_KEEP).ok
    assert stored(engine) == {PRINTER: {"ptr": ("printer2.lab", ())}}


def test_the_cache_spares_queries_within_the_ttl(engine: Engine, fakes: Fakes) -> None:
    inventory(engine)
    cache = PtrCache()
    assert names_job(engine, fakes, cache=cache).ok
    fakes.asked.clear()
    assert names_job(engine, fakes, SAMPLE_NOW + timedelta(seconds=599), cache=cache).ok
    assert fakes.asked == []
    assert names_job(engine, fakes, SAMPLE_NOW + timedelta(seconds=600), cache=cache).ok
    assert len(fakes.asked) == 3


def test_a_network_without_names_config_does_nothing(engine: Engine, fakes: Fakes) -> None:
    inventory(engine)
    plain = NETWORK.model_copy(update={"names": None})
    report = run_names(engine, plain, clock=lambda: SAMPLE_NOW, query=fakes.query)
    assert report.devices == [] and fakes.asked == []
    with engine.connect() as connection:
        assert connection.execute(select(device_names)).all() == []


def test_names_go_with_their_device(engine: Engine, fakes: Fakes) -> None:
    inventory(engine)
    assert names_job(engine, fakes).ok
    with write_transaction(engine) as connection:
        connection.execute(devices.delete().where(devices.c.mac == PRINTER))
    assert PRINTER not in stored(engine) and LAPTOP in stored(engine)


def _runs(engine: Engine) -> list[tuple[str, bool, str | None]]:
    with engine.connect() as connection:
        query = select(runs.c.source, runs.c.ok, runs.c.error).order_by(runs.c.id)
        return [(source, ok, error) for source, ok, error in connection.execute(query)]


def _event_types(engine: Engine) -> list[tuple[str, Any]]:
    with engine.connect() as connection:
        query = select(events.c.type, events.c.data).where(events.c.run_id.is_not(None))
        rows = connection.execute(query.order_by(events.c.id)).all()
    return [(kind, data.get("source")) for kind, data in rows if kind != "device_new"]


def test_each_source_is_a_run_and_a_failure_is_a_failed_run(engine: Engine, fakes: Fakes) -> None:
    inventory(engine)
    before = _runs(engine)
    names_job(engine, fakes)
    assert _runs(engine)[len(before) :] == [("reverse-dns", True, None), ("mdns", True, None)]
    fakes.resolver_down, fakes.browse_fails = True, True
    kept = stored(engine)
    names_job(engine, fakes, SAMPLE_NOW + timedelta(hours=1))
    failed = _runs(engine)[len(before) + 2 :]
    assert [(source, ok) for source, ok, _ in failed] == [("reverse-dns", False), ("mdns", False)]
    ptr_error = failed[0][2] or ""
    assert ptr_error.count("no answer from 198.18.1.2 within 0.5 s") == 3  # each device's
    assert failed[1][2] == "[Errno 19] No such device"
    assert ("source_failed", "reverse-dns") in _event_types(engine)
    assert ("source_failed", "mdns") in _event_types(engine)
    assert stored(engine) == kept
