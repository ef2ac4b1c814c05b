"""Notifications: new devices, watched devices coming and going, failed sources, via Apprise.

The notifier subscribes to the event bus and sends each message to every
Apprise URL of the config. What to send is decided by pure functions
(:func:`plan`, and one formatter per kind of message) that the sending never
touches, so the wording and the rules are tested without a network:

- ``device_new`` (``new_device``): one message per device, with its network,
  MAC, IP, hostname and vendor, and for a randomized MAC the devices it likely
  replaces (rotation suggestions). A MAC adopted automatically in the same run
  gets one ``adopted`` message instead ("… has a new MAC"). More than
  ``digest_after`` new devices with randomized MACs from one run are one digest
  instead: a phone rotating its private address, or a guest network filling
  up, is a single message.
- ``online`` / ``offline`` (``presence``): only for devices marked watched.
- ``source_failed`` (``source_failed``): the source, the network and the error.

Every string a device reports is attacker-controlled: messages are plain text
(Apprise body format ``text``), control characters are replaced and every
value is cut to a sane length.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool

from lanventory.device_view import inert
from lanventory.inventory.model import Device, EventType
from lanventory.inventory.rotation import Suggestion
from lanventory.server_config import NotificationConfig
from lanventory.service.bus import BusEvent, EventBus, Subscription
from lanventory.stable_macs import DEFAULT_STABLE_PREFIXES, StablePrefix, is_rotating
from lanventory.store.devices import get_device, owner_names
from lanventory.store.suggestions import rotation_suggestions
from lanventory.web.services import Services

if TYPE_CHECKING:
    import apprise

_LOGGER = logging.getLogger(__name__)

#: Longest device-reported value (hostname, vendor, …) put in a message.
VALUE_WIDTH = 64
#: Longest error text of a failed source put in a message.
ERROR_WIDTH = 500
#: Longest title and body sent.
TITLE_WIDTH = 120
BODY_WIDTH = 2000
#: Devices listed by name in a digest; the rest are counted.
DIGEST_LISTED = 20
#: Rotation suggestions listed in a new-device message.
SUGGESTIONS_LISTED = 3
#: Seconds without a new event after which pending events are sent anyway
#: (normally a run's ``run_finished`` event sends them at once).
SETTLE_SECONDS = 1.0
#: Seconds an idle notifier waits for an event before looking whether it should stop.
IDLE_WAKE_SECONDS = 0.5
#: Seconds :meth:`Notifier.stop` lets the last messages take before giving up on them.
STOP_SECONDS = 10.0

_NOTIFIED = frozenset(
    {
        EventType.DEVICE_NEW,
        EventType.ONLINE,
        EventType.OFFLINE,
        EventType.SOURCE_FAILED,
        EventType.ADOPTED,
    }
)
_DEVICE_EVENTS = frozenset(
    {EventType.DEVICE_NEW, EventType.ONLINE, EventType.OFFLINE, EventType.ADOPTED}
)


@dataclass(frozen=True, slots=True)
class Message:
    """One notification: a title and a plain-text body."""

    title: str
    body: str


@dataclass(frozen=True, slots=True)
class DeviceFacts:
    """What a message says about a device (from its row, or from the event if it is gone)."""

    network: str
    mac: str
    ip: str | None = None
    hostname: str | None = None
    vendor: str | None = None
    name: str | None = None
    randomized: bool = False
    watched: bool = False
    #: For a new randomized MAC: the devices it likely replaces, in words.
    suggestions: tuple[str, ...] = ()

    @classmethod
    def of(cls, device: Device, suggestions: Sequence[str] = ()) -> DeviceFacts:
        """The facts of a stored device."""
        return cls(
            device.network,
            device.mac,
            device.ip,
            device.hostname,
            device.vendor,
            device.name,
            device.randomized,
            device.watched,
            tuple(suggestions),
        )

    @classmethod
    def from_event(
        cls, event: BusEvent, stable: tuple[StablePrefix, ...] = DEFAULT_STABLE_PREFIXES
    ) -> DeviceFacts:
        """The facts an event carries, for a device no longer in the inventory."""
        mac = event.mac or ""
        data = event.data
        return cls(
            event.network,
            mac,
            _text(data.get("ip")),
            _text(data.get("hostname")),
            randomized=bool(mac) and is_rotating(mac, stable),
        )

    def label(self) -> str:
        """How the device is called in a title: its name, hostname, IP or MAC."""
        return _plain(self.name or self.hostname or self.ip or self.mac)


DeviceKey = tuple[str, str]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _plain(text: str, width: int = VALUE_WIDTH) -> str:
    """Untrusted ``text`` as one inert line of at most ``width`` characters."""
    return inert(text, width)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _facts_lines(device: DeviceFacts) -> list[str]:
    lines = [f"Network: {device.network}"]
    mac = device.mac + (" (randomized)" if device.randomized else "")
    lines.append(f"MAC: {mac}")
    for label, value in (
        ("Name", device.name),
        ("IP", device.ip),
        ("Hostname", device.hostname),
        ("Vendor", device.vendor),
    ):
        if value:
            lines.append(f"{label}: {_plain(value)}")
    return lines


def _message(title: str, lines: Sequence[str]) -> Message:
    return Message(_cut(title, TITLE_WIDTH), _cut("\n".join(lines), BODY_WIDTH))


def new_device_message(device: DeviceFacts) -> Message:
    """A device seen for the first time, with the devices it may be under a rotated MAC."""
    lines = _facts_lines(device)
    if device.suggestions:
        lines.append("Maybe a known device under a new MAC (adopt it on its page):")
        lines.extend(f"- {_plain(text, 200)}" for text in device.suggestions[:SUGGESTIONS_LISTED])
    return _message(f"New device on {device.network}: {device.label()}", lines)


def suggestion_text(suggestion: Suggestion, name: str | None) -> str:
    """One suggestion in words: the old MAC, its name, the score and the evidence."""
    named = f" ({name})" if name else ""
    evidence = ", ".join(suggestion.evidence)
    return f"{suggestion.mac}{named}, score {suggestion.score:.2f}: {evidence}"


def adopted_message(device: DeviceFacts, old_mac: str) -> Message:
    """A new MAC was adopted automatically as a device the owner knows."""
    lines = [
        *_facts_lines(device),
        f"Adopted automatically: it is {old_mac} under a new MAC (undo on its page).",
    ]
    return _message(f"{device.label()} has a new MAC on {device.network}", lines)


def digest_message(network: str, devices: Sequence[DeviceFacts]) -> Message:
    """A burst of new devices with randomized MACs, in one message."""
    lines = [f"{len(devices)} new devices with randomized (private) MAC addresses on {network}:"]
    for device in devices[:DIGEST_LISTED]:
        details = " ".join(_plain(v, 40) for v in (device.ip, device.hostname) if v)
        lines.append(f"- {device.mac}" + (f" {details}" if details else ""))
    if len(devices) > DIGEST_LISTED:
        lines.append(f"… and {len(devices) - DIGEST_LISTED} more")
    return _message(f"{len(devices)} new randomized-MAC devices on {network}", lines)


def presence_message(kind: EventType, device: DeviceFacts) -> Message:
    """A watched device came online (``online``) or went offline (``offline``)."""
    state = "is back online" if kind is EventType.ONLINE else "went offline"
    return _message(f"{device.label()} {state} on {device.network}", _facts_lines(device))


def source_failed_message(network: str, source: str, error: str) -> Message:
    """A source run failed: nothing it read was applied."""
    title = f"{_plain(source, 32)} failed on {network}"
    lines = [
        f"Network: {network}",
        f"Source: {_plain(source, 32)}",
        f"Error: {_plain(error, ERROR_WIDTH)}",
        "Nothing from this run was applied; the inventory is unchanged.",
    ]
    return _message(title, lines)


def plan(
    config: NotificationConfig,
    events: Sequence[BusEvent],
    devices: Mapping[DeviceKey, DeviceFacts],
    stable: tuple[StablePrefix, ...] = DEFAULT_STABLE_PREFIXES,
) -> list[Message]:
    """The messages ``events`` call for, in order; ``devices`` holds what is stored about them.

    A device no longer stored counts as randomized when its MAC is under none
    of the ``stable`` prefixes.

    New devices are grouped by run: a run that brought more than
    ``config.digest_after`` randomized MACs to a network gets one digest for
    those (listed after the run's other new devices).
    """
    messages: list[Message] = []
    new_by_run: dict[tuple[str, int | None], list[DeviceFacts]] = defaultdict(list)
    auto = {
        (e.network, e.mac): str(e.data.get("from"))
        for e in events
        if e.type == EventType.ADOPTED and e.data.get("by") == "auto"
    }
    for event in events:
        kind = _kind(event)
        if kind is None:
            continue
        facts = _facts(event, devices, stable)
        if kind is EventType.ADOPTED:
            if config.new_device and (event.network, event.mac) in auto:
                messages.append(adopted_message(facts, auto[(event.network, event.mac)]))
        elif (event.network, event.mac) in auto and kind is EventType.DEVICE_NEW:
            continue  # adopted in the same run: the adoption's message says it
        elif kind is EventType.DEVICE_NEW and config.new_device:
            key = (event.network, event.run_id if event.run_id is not None else -event.id)
            new_by_run[key].append(facts)
        elif kind in (EventType.ONLINE, EventType.OFFLINE) and config.presence:
            if facts.watched:
                messages.append(presence_message(kind, facts))
        elif kind is EventType.SOURCE_FAILED and config.source_failed:
            source = _text(event.data.get("source")) or "a source"
            error = _text(event.data.get("error")) or "unknown error"
            messages.append(source_failed_message(event.network, source, error))
    for (network, _run), found in new_by_run.items():
        randomized = [d for d in found if d.randomized]
        burst = len(randomized) > config.digest_after
        messages.extend(new_device_message(d) for d in found if not (burst and d.randomized))
        if burst:
            messages.append(digest_message(network, randomized))
    return messages


def _kind(event: BusEvent) -> EventType | None:
    try:
        kind = EventType(event.type)
    except ValueError:
        return None
    return kind if kind in _NOTIFIED else None


def _facts(
    event: BusEvent, devices: Mapping[DeviceKey, DeviceFacts], stable: tuple[StablePrefix, ...]
) -> DeviceFacts:
    stored = devices.get((event.network, event.mac or ""))
    return stored if stored is not None else DeviceFacts.from_event(event, stable)


def _apprise_for(urls: Sequence[str]) -> apprise.Apprise:
    """An Apprise object for ``urls``; invalid ones are logged (without their secrets).

    Apprise (and its plugins) is imported only here, when URLs are configured:
    a server without notifications does not carry it in memory.
    """
    import apprise

    sender = apprise.Apprise()
    with warnings.catch_warnings():
        # Apprise loads its plugins on the first URL; one imports the deprecated
        # ``imghdr`` module (through PGPy) on Python < 3.13.
        warnings.filterwarnings("ignore", "'imghdr' is deprecated", DeprecationWarning)
        for url in urls:
            if not sender.add(url):
                scheme = url.split("://", 1)[0] if "://" in url else "?"
                _LOGGER.warning("notifications: ignoring an invalid Apprise URL (%s://…)", scheme)
    return sender


class Notifier:
    """Sends the messages the bus's events call for to the configured Apprise URLs."""

    def __init__(self, config: NotificationConfig, bus: EventBus, services: Services) -> None:
        self._config = config
        self._bus = bus
        self._services = services
        self._apprise = _apprise_for(config.urls) if config.urls else None
        self._stack = contextlib.AsyncExitStack()
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.settle = SETTLE_SECONDS

    @property
    def enabled(self) -> bool:
        """True when there is somewhere to send to."""
        return self._apprise is not None and len(self._apprise) > 0

    async def start(self) -> None:
        """Subscribe to the bus (at once: no event written after this is missed) and listen."""
        if not self.enabled or self._task is not None:
            return
        subscription = await self._stack.enter_async_context(self._bus.subscribe())
        self._task = asyncio.create_task(self._listen(subscription), name="lanventory-notifier")

    async def stop(self) -> None:
        """Send what has arrived (for at most ``STOP_SECONDS``), then unsubscribe."""
        if self._task is not None:
            self._stopping.set()
            try:
                await asyncio.wait_for(self._task, STOP_SECONDS)
            except TimeoutError:
                _LOGGER.warning("notifications: gave up sending the last messages")
            self._task = None
        await self._stack.aclose()

    async def handle(self, events: Sequence[BusEvent]) -> list[Message]:
        """Send the messages ``events`` call for; the messages (sent or not)."""
        wanted = [e for e in events if _kind(e) is not None]
        if not wanted:
            return []
        devices = await run_in_threadpool(self._load_devices, wanted)
        stable = self._services.settings.policy.stable_mac_prefixes
        messages = plan(self._config, wanted, devices, stable)
        for message in messages:
            await self._send(message)
        return messages

    async def _listen(self, subscription: Subscription) -> None:
        pending: list[BusEvent] = []
        while True:
            if self._stopping.is_set():
                timeout = 0.05  # only what is queued already
            else:
                timeout = self.settle if pending else IDLE_WAKE_SECONDS
            try:
                event = await asyncio.wait_for(subscription.get(), timeout)
            except TimeoutError:
                if pending:
                    pending = await self._flush(pending)
                elif self._stopping.is_set():
                    return
                continue
            if event is None:  # the bus stopped
                await self._flush(pending)
                return
            if event.type == EventType.RUN_FINISHED:  # the run's events are all in
                pending = await self._flush([*pending, event])
            elif _kind(event) is not None:
                pending.append(event)

    async def _flush(self, pending: list[BusEvent]) -> list[BusEvent]:
        try:
            await self.handle(pending)
        except Exception:  # a notification problem must never stop the server
            _LOGGER.exception("notifications: handling %d events failed", len(pending))
        return []

    async def _send(self, message: Message) -> None:
        if self._apprise is None:
            return
        sent = await asyncio.to_thread(
            self._apprise.notify, body=message.body, title=message.title, body_format="text"
        )
        if not sent:
            _LOGGER.warning("notifications: could not deliver %r", message.title)

    def _load_devices(self, events: Sequence[BusEvent]) -> dict[DeviceKey, DeviceFacts]:
        keys = {(e.network, e.mac) for e in events if e.mac and e.type in _DEVICE_EVENTS}
        found: dict[DeviceKey, DeviceFacts] = {}
        new = {(e.network, e.mac) for e in events if e.type == EventType.DEVICE_NEW}
        services = self._services
        with services.engine.connect() as connection:
            stored = {key: get_device(connection, *key) for key in sorted(keys)}
            asking = [d for key, d in stored.items() if d is not None and key in new]
            suggested = rotation_suggestions(
                connection, asking, services.settings.policy, services.clock()
            )
            for key, device in stored.items():
                if device is None:
                    continue
                listed = suggested.get(key, [])[:SUGGESTIONS_LISTED]
                names = owner_names(connection, device.network, [s.mac for s in listed])
                texts = [suggestion_text(s, names.get(s.mac)) for s in listed]
                found[key] = DeviceFacts.of(device, texts)
        return found
