"""Rotation suggestions for stored devices: each network concerned loaded once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.engine import Connection

from lanventory.inventory.model import Device, Policy, Status
from lanventory.inventory.rotation import Suggestion, suggest_predecessors
from lanventory.store.network_state import load_network
from lanventory.store.stable_prefixes import effective_policy


def rotation_suggestions(
    connection: Connection, listed: Iterable[Device], policy: Policy, now: datetime
) -> dict[tuple[str, str], list[Suggestion]]:
    """The likely predecessors of each new randomized device in ``listed``, by
    ``(network, mac)``.

    Each network concerned is loaded once; devices that are not ``new`` or
    whose MAC does not rotate get none.
    """
    policy = effective_policy(connection, policy)
    asking = [d for d in listed if d.status is Status.NEW and d.randomized]
    answers: dict[tuple[str, str], list[Suggestion]] = {}
    for network in sorted({d.network for d in asking}):
        state = load_network(connection, network).state
        for device in asking:
            if device.network == network:
                answers[(network, device.mac)] = suggest_predecessors(
                    state, device, now, policy.rotation_window, policy.stable_mac_prefixes
                )
    return answers
