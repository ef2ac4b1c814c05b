"""Notifications: what is sent for which events, checked on a loopback HTTP server."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import Engine

from lanventory.config import Settings
from lanventory.ingest import RunReport, ingest_result, record_failure
from lanventory.inventory.model import EventType, Policy
from lanventory.server_config import NotificationConfig
from lanventory.service.bus import BusEvent, EventBus
from lanventory.service.notify import (
    BODY_WIDTH,
    DeviceFacts,
    Message,
    Notifier,
    digest_message,
    plan,
    source_failed_message,
)
from lanventory.service.writer import Writer
from lanventory.sources.observation import Observation, ParseResult
from lanventory.store.devices import edit_device
from lanventory.web.services import Services
from tests.conftest import SAMPLE_NOW, ingest_fixture

UNIVERSAL = ["3c:22:fb:00:00:01", "3c:22:fb:00:00:02"]
RANDOMIZED = [f"ae:3f:91:00:00:{n:02x}" for n in range(1, 6)]


class Inbox:
    """A loopback HTTP server that keeps the JSON body of every POST."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self._arrived = threading.Condition()
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the http.server API)
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                with inbox._arrived:
                    inbox.posts.append(body)
                    inbox._arrived.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"json://127.0.0.1:{self.server.server_address[1]}/"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def wait(self, count: int, timeout: float = 15) -> list[dict[str, Any]]:
        """The posts, once at least ``count`` arrived; then a pause to catch extra ones."""
        with self._arrived:
            assert self._arrived.wait_for(lambda: len(self.posts) >= count, timeout), self.posts
        time.sleep(0.5)
        return list(self.posts)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    server = Inbox()
    yield server
    server.close()


_IDS = itertools.count(1)


def _event(
    type_: EventType, mac: str | None = None, run_id: int | None = 1, **data: Any
) -> BusEvent:
    return BusEvent(next(_IDS), SAMPLE_NOW, "lan", mac, type_.value, data, run_id)


def _facts(*macs: str, watched: bool = False) -> dict[tuple[str, str], DeviceFacts]:
    return {
        ("lan", mac): DeviceFacts(
            "lan",
            mac,
            f"198.18.0.{n + 10}",
            f"host-{n}",
            "Vendor Inc",
            randomized=int(mac[:2], 16) & 2 == 2,
            watched=watched,
        )
        for n, mac in enumerate(macs)
    }


def test_one_message_per_new_device() -> None:
    events = [_event(EventType.DEVICE_NEW, mac) for mac in UNIVERSAL]
    messages = plan(NotificationConfig(), events, _facts(*UNIVERSAL))
    assert [m.title for m in messages] == [
        "New device on lan: host-0",
        "New device on lan: host-1",
    ]
    assert messages[0].body == (
        "Network: lan\nMAC: 3c:22:fb:00:00:01\nIP: 198.18.0.10\nHostname: host-0\n"
        "Vendor: Vendor Inc"
    )


@pytest.mark.parametrize(("randomized", "digests"), [(3, 0), (4, 1), (5, 1)])
def test_more_than_digest_after_randomized_macs_in_a_run_are_one_digest(
    randomized: int, digests: int
) -> None:
    macs = [*UNIVERSAL, *RANDOMIZED[:randomized]]
    events = [_event(EventType.DEVICE_NEW, mac, run_id=7) for mac in macs]
    messages = plan(NotificationConfig(digest_after=3), events, _facts(*macs))
    digest = [m for m in messages if "randomized-MAC devices" in m.title]
    assert len(digest) == digests
    assert len(messages) == (len(UNIVERSAL) + 1 if digests else len(macs))
    if digests:
        assert digest[0].title == f"{randomized} new randomized-MAC devices on lan"
        assert all(mac in digest[0].body for mac in RANDOMIZED[:randomized])


def test_randomized_macs_from_different_runs_are_not_a_burst() -> None:
    events = [_event(EventType.DEVICE_NEW, mac, run_id=n) for n, mac in enumerate(RANDOMIZED)]
    messages = plan(NotificationConfig(digest_after=3), events, _facts(*RANDOMIZED))
    assert len(messages) == len(RANDOMIZED)
    assert all(m.title.startswith("New device on lan") for m in messages)


def test_presence_only_for_watched_devices() -> None:
    events = [
        _event(EventType.OFFLINE, UNIVERSAL[0]),
        _event(EventType.OFFLINE, UNIVERSAL[1]),
        _event(EventType.ONLINE, UNIVERSAL[0]),
    ]
    devices = {**_facts(UNIVERSAL[0], watched=True), **_facts(UNIVERSAL[1])}
    devices[("lan", UNIVERSAL[1])] = DeviceFacts("lan", UNIVERSAL[1], watched=False)
    messages = plan(NotificationConfig(), events, devices)
    assert [m.title for m in messages] == [
        "host-0 went offline on lan",
        "host-0 is back online on lan",
    ]


def test_each_kind_can_be_turned_off() -> None:
    events = [
        _event(EventType.DEVICE_NEW, UNIVERSAL[0]),
        _event(EventType.OFFLINE, UNIVERSAL[0]),
        _event(EventType.SOURCE_FAILED, None, source="kea-csv", error="gone"),
        _event(EventType.EDITED, UNIVERSAL[0]),
        _event(EventType.RUN_FINISHED, None),
    ]
    devices = _facts(UNIVERSAL[0], watched=True)
    assert len(plan(NotificationConfig(), events, devices)) == 3
    off = NotificationConfig(new_device=False, presence=False, source_failed=False)
    assert plan(off, events, devices) == []


def test_a_device_gone_from_the_inventory_is_described_from_its_event() -> None:
    event = _event(EventType.DEVICE_NEW, RANDOMIZED[0], ip="198.18.0.9", hostname="pixel")
    [message] = plan(NotificationConfig(), [event], {})
    assert message == Message(
        "New device on lan: pixel",
        "Network: lan\nMAC: ae:3f:91:00:00:01 (randomized)\nIP: 198.18.0.9\nHostname: pixel",
    )


def test_untrusted_strings_are_inert_and_cut() -> None:
    hostile = "evil\x1b[31m\r\nInjected: yes\x00" + "x" * 500
    device = DeviceFacts("lan", UNIVERSAL[0], hostname=hostile, vendor=hostile)
    [message] = plan(
        NotificationConfig(),
        [_event(EventType.DEVICE_NEW, UNIVERSAL[0])],
        {("lan", UNIVERSAL[0]): device},
    )
    assert "\x1b" not in message.title + message.body
    assert "\r" not in message.body and "\x00" not in message.body
    assert "\nInjected" not in message.body
    assert all(len(line) <= 80 for line in message.body.splitlines())
    failed = source_failed_message("lan", "kea-csv", hostile * 20)
    assert len(failed.body) <= BODY_WIDTH and "\x1b" not in failed.body
    many = [DeviceFacts("lan", f"ae:00:00:00:{n >> 8:02x}:{n & 255:02x}") for n in range(300)]
    digest = digest_message("lan", many)
    assert digest.body.endswith("… and 280 more")
    assert len(digest.body) <= BODY_WIDTH


# --- for real: the bus tails the database, Apprise posts to the loopback inbox ------------


def _ip(mac: str) -> str:
    return f"198.18.{int(mac[:2], 16)}.{int(mac[-2:], 16)}"


def _ingest(engine: Engine, source: str, macs: Sequence[str], clock: Callable[[], Any]) -> None:
    observations = [
        Observation(mac, _ip(mac), source, SAMPLE_NOW, hostname=f"host-{n}")
        for n, mac in enumerate(macs)
    ]
    report = ingest_result(
        engine,
        RunReport(source, "lan", [f"{source}.txt"], ok=False),
        ParseResult(observations, lines=len(observations)),
        started_at=clock(),
        now=clock(),
        policy=Policy(),
        lookup=lambda mac: "Vendor Inc" if mac.startswith("3c") else None,
        clock=clock,
    )
    assert report.ok


class Clock:
    def __init__(self) -> None:
        self.now = SAMPLE_NOW

    def __call__(self) -> Any:
        self.now += timedelta(seconds=1)
        return self.now


def _run(
    engine: Engine,
    config: NotificationConfig,
    inbox: Inbox,
    steps: Callable[[], None],
    expected: int,
) -> list[dict[str, Any]]:
    """Start the bus and the notifier, run ``steps`` (writes), wait for ``expected`` posts."""

    async def scenario() -> list[dict[str, Any]]:
        services = Services(Settings(), engine, Writer(), Clock(), lambda _mac: None)
        bus = EventBus(engine, interval=0.05)
        notifier = Notifier(config, bus, services)
        await bus.start()
        await notifier.start()
        try:
            await asyncio.to_thread(steps)
            return await asyncio.to_thread(inbox.wait, expected)
        finally:
            await notifier.stop()
            await bus.stop()
            services.writer.close()

    return asyncio.run(scenario())


def test_new_devices_and_a_digest_arrive(engine: Engine, inbox: Inbox) -> None:
    clock = Clock()
    config = NotificationConfig(urls=[inbox.url], digest_after=3)
    posts = _run(
        engine,
        config,
        inbox,
        lambda: _ingest(engine, "kea-csv", [*UNIVERSAL, *RANDOMIZED], clock),
        3,
    )
    assert [p["title"] for p in posts] == [
        "New device on lan: host-0",
        "New device on lan: host-1",
        "5 new randomized-MAC devices on lan",
    ]
    assert posts[0]["message"] == (
        "Network: lan\nMAC: 3c:22:fb:00:00:01\nIP: 198.18.60.1\nHostname: host-0\n"
        "Vendor: Vendor Inc"
    )
    assert all(mac in posts[2]["message"] for mac in RANDOMIZED)


def test_presence_arrives_only_for_watched_devices(engine: Engine, inbox: Inbox) -> None:
    clock = Clock()
    router = "3c:22:fb:00:00:09"  # always there: a sweep that sees nobody judges nothing
    _ingest(engine, "arp-scan", [*UNIVERSAL, router], clock)
    edit_device(engine, "lan", UNIVERSAL[0], {"watched": True}, clock())

    def steps() -> None:
        _ingest(engine, "arp-scan", [router], clock)  # both go away
        _ingest(engine, "arp-scan", [*UNIVERSAL, router], clock)  # both come back

    config = NotificationConfig(urls=[inbox.url])
    posts = _run(engine, config, inbox, steps, 2)
    assert [p["title"] for p in posts] == [
        "host-0 went offline on lan",
        "host-0 is back online on lan",
    ]


def test_a_source_failure_arrives(engine: Engine, inbox: Inbox) -> None:
    clock = Clock()
    report = RunReport("kea-csv", "lan", ["/var/lib/kea/kea-leases4.csv"], ok=False)
    report.error = "cannot read /var/lib/kea/kea-leases4.csv: permission denied"

    def steps() -> None:
        record_failure(engine, report, clock(), clock)

    posts = _run(engine, NotificationConfig(urls=[inbox.url]), inbox, steps, 1)
    assert len(posts) == 1
    assert posts[0]["title"] == "kea-csv failed on lan"
    assert posts[0]["message"] == (
        "Network: lan\nSource: kea-csv\n"
        "Error: cannot read /var/lib/kea/kea-leases4.csv: permission denied\n"
        "Nothing from this run was applied; the inventory is unchanged."
    )


def test_stop_still_sends_what_the_bus_already_delivered(engine: Engine, inbox: Inbox) -> None:
    clock = Clock()

    async def scenario() -> None:
        services = Services(Settings(), engine, Writer(), clock, lambda _mac: None)
        bus = EventBus(engine, interval=3600)  # polled by hand below, as the server stops
        notifier = Notifier(NotificationConfig(urls=[inbox.url]), bus, services)
        await bus.start()
        await notifier.start()
        await asyncio.to_thread(_ingest, engine, "kea-csv", UNIVERSAL[:1], clock)
        await bus.poll()  # (or the bus's own first read already had them)
        await notifier.stop()
        await bus.stop()
        services.writer.close()

    asyncio.run(scenario())
    assert [p["title"] for p in inbox.posts] == ["New device on lan: host-0"]


def test_a_new_randomized_device_lists_its_likely_predecessors() -> None:
    mac = RANDOMIZED[0]
    facts = _facts(mac)
    facts[("lan", mac)] = replace(
        facts[("lan", mac)],
        suggestions=("9a:11:22:33:44:55 (Anna's iPhone), score 0.90: same hostname `host-0`",),
    )
    (message,) = plan(NotificationConfig(), [_event(EventType.DEVICE_NEW, mac)], facts)
    assert message.body.endswith(
        "Maybe a known device under a new MAC (adopt it on its page):\n"
        "- 9a:11:22:33:44:55 (Anna's iPhone), score 0.90: same hostname `host-0`"
    )


def test_a_mac_adopted_automatically_gets_one_message_instead_of_new_device() -> None:
    mac = RANDOMIZED[0]
    facts = _facts(mac)
    facts[("lan", mac)] = replace(facts[("lan", mac)], name="Anna's iPhone")
    events = [
        _event(EventType.DEVICE_NEW, mac),
        _event(EventType.ADOPTED, mac, **{"from": "9a:11:22:33:44:55", "by": "auto"}),
        _event(EventType.ADOPTED, RANDOMIZED[1], **{"from": "9a:00:00:00:00:01", "by": "owner"}),
    ]
    (message,) = plan(NotificationConfig(), events, facts)
    assert message.title == "Anna's iPhone has a new MAC on lan"
    assert "it is 9a:11:22:33:44:55 under a new MAC" in message.body
    quiet = plan(NotificationConfig(new_device=False), events, facts)
    assert quiet == []


def _rotation(engine: Engine, name: str, at: Any, policy: Policy) -> None:
    leases = f"handmade-rotation-{name}-dnsmasq-2.90.leases"
    ingest_fixture(engine, "dnsmasq", leases, at, policy)


@pytest.mark.parametrize("auto", [False, True])
def test_a_rotated_mac_arrives_with_its_suggestion_or_as_adopted(
    engine: Engine, inbox: Inbox, auto: bool
) -> None:
    policy = Policy(auto_adopt_networks=frozenset({"lan"}) if auto else frozenset())
    _rotation(engine, "before", SAMPLE_NOW, policy)
    edit_device(engine, "lan", "9a:11:22:33:44:55", {"name": "Anna's iPhone"}, SAMPLE_NOW)
    later = SAMPLE_NOW + timedelta(minutes=40)
    config = NotificationConfig(urls=[inbox.url])
    (post,) = _run(engine, config, inbox, lambda: _rotation(engine, "after", later, policy), 1)
    if auto:
        assert post["title"] == "Anna's iPhone has a new MAC on lan"
        assert "it is 9a:11:22:33:44:55 under a new MAC" in post["message"]
    else:
        assert post["title"] == "New device on lan: Annas-iPhone"
        assert post["message"].endswith(
            "Maybe a known device under a new MAC (adopt it on its page):\n"
            "- 9a:11:22:33:44:55 (Anna's iPhone), score 0.85: same hostname `Annas-iPhone`, "
            "old MAC last seen 40 min before the new one appeared, took over 198.18.0.105"
        )
