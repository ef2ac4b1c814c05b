"""Reading devices' extra current addresses (the rules write them with a run)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.engine import Connection

from lanventory.inventory.state import ip_order
from lanventory.store.tables import device_addresses


def extra_ips(
    connection: Connection, device_ids: Collection[int] | None = None
) -> dict[int, list[str]]:
    """The extra addresses of each device (of ``device_ids``, or all), in address order.

    Devices without extras are absent from the answer.
    """
    query = select(device_addresses.c.device_id, device_addresses.c.ip)
    if device_ids is not None:
        if not device_ids:
            return {}
        query = query.where(device_addresses.c.device_id.in_(list(device_ids)))
    found: dict[int, list[str]] = {}
    for device_id, ip in connection.execute(query):
        found.setdefault(device_id, []).append(ip)
    for ips in found.values():
        ips.sort(key=ip_order)
    return found
