"""The event bus: tails the events table (whoever wrote it) and fans events out."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from lanventory.inventory.model import Event, EventType
from lanventory.service.bus import BusEvent, EventBus
from lanventory.store.engine import create_engine, write_transaction
from lanventory.store.runs import insert_events
from tests.conftest import SAMPLE_NOW


@pytest.fixture
def elsewhere(engine: Engine) -> Iterator[Engine]:
    """A second engine on the same database: another connection pool, like another process."""
    other = create_engine(engine.url.render_as_string(hide_password=False))
    yield other
    other.dispose()


def write(engine: Engine, *macs: str) -> None:
    with write_transaction(engine) as connection:
        insert_events(
            connection,
            [Event(SAMPLE_NOW, "lan", mac, EventType.DEVICE_NEW, {"ip": None}) for mac in macs],
            None,
        )


def macs(items: list[BusEvent]) -> list[str | None]:
    return [item.mac for item in items]


def test_subscribers_get_only_what_was_written_after_the_bus_started(
    engine: Engine, elsewhere: Engine
) -> None:
    write(engine, "00:00:00:00:00:01")

    async def scenario() -> tuple[list[BusEvent], list[BusEvent], int]:
        bus = EventBus(engine)
        await bus.start()
        async with bus.subscribe() as first, bus.subscribe() as second:
            write(elsewhere, "00:00:00:00:00:02", "00:00:00:00:00:03")
            count = await bus.poll()
            got_first = [await first.get(), await first.get()]
            got_second = [await second.get(), await second.get()]
        await bus.stop()
        return [e for e in got_first if e], [e for e in got_second if e], count

    got_first, got_second, count = asyncio.run(scenario())
    assert count == 2
    assert macs(got_first) == macs(got_second) == ["00:00:00:00:00:02", "00:00:00:00:00:03"]
    event = got_first[0]
    assert event.type == "device_new" and event.network == "lan" and event.data == {"ip": None}
    assert event.as_json()["at"] == "2026-11-23T07:00:00+00:00"


def test_a_slow_subscriber_loses_its_oldest_events_and_slows_nobody(engine: Engine) -> None:
    async def scenario() -> tuple[list[BusEvent], int, list[BusEvent]]:
        bus = EventBus(engine, queue_size=2)
        await bus.start()
        async with bus.subscribe() as slow:
            write(engine, *(f"00:00:00:00:00:0{n}" for n in range(1, 6)))
            await bus.poll()
            kept = [await slow.get(), await slow.get()]
            dropped = slow.dropped
        big = EventBus(engine, queue_size=100)
        big.last_id = 0
        async with big.subscribe() as fast:
            await big.poll()
            everything = [await fast.get() for _ in range(5)]
        return [e for e in kept if e], dropped, [e for e in everything if e]

    kept, dropped, everything = asyncio.run(scenario())
    assert macs(kept) == ["00:00:00:00:00:04", "00:00:00:00:00:05"] and dropped == 3
    assert len(everything) == 5


def test_the_tail_delivers_by_itself_and_subscriptions_end_when_it_stops(
    engine: Engine, elsewhere: Engine
) -> None:
    async def scenario() -> list[BusEvent]:
        bus = EventBus(engine, interval=0.05)
        await bus.start()
        received: list[BusEvent] = []

        async def listen() -> None:
            async with bus.subscribe() as subscription:
                async for event in subscription:
                    received.append(event)

        listener = asyncio.create_task(listen())
        await asyncio.sleep(0.05)
        write(elsewhere, "00:00:00:00:00:0a")
        for _ in range(100):
            if received:
                break
            await asyncio.sleep(0.05)
        await bus.stop()
        await asyncio.wait_for(listener, 5)  # the iteration ended with the bus
        return received

    assert macs(asyncio.run(scenario())) == ["00:00:00:00:00:0a"]
