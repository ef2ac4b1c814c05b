"""Apply a legacy table's import plan: every network in one write transaction, or nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection, Engine

from lanventory.inventory.merge import VendorLookup
from lanventory.inventory.model import Policy, Status
from lanventory.inventory.state import Changes
from lanventory.legacy.apply import KnownHistory, NetworkImport, apply_plan
from lanventory.legacy.dhcp_leases import SOURCE, ImportPlan
from lanventory.store.engine import write_transaction
from lanventory.store.network_state import LoadedNetwork, load_network, save_changes
from lanventory.store.runs import finish_run, start_run
from lanventory.store.stable_prefixes import effective_policy
from lanventory.store.tables import LIVE, devices, ip_history

Clock = Callable[[], datetime]


def _known_history(connection: Connection, network: str) -> KnownHistory:
    query = (
        select(devices.c.mac, ip_history.c.ip, ip_history.c.first_seen, ip_history.c.last_seen)
        .join(ip_history, ip_history.c.device_id == devices.c.id)
        .where(devices.c.network == network, LIVE)
    )
    return {(mac, ip): (first, last) for mac, ip, first, last in connection.execute(query)}


def _write_first_seen(connection: Connection, loaded: LoadedNetwork, changes: Changes) -> None:
    """``save_changes`` leaves ``first_seen`` alone; an import may move it earlier."""
    rows = [
        {"b_id": loaded.ids[mac], "b_first_seen": loaded.state.devices[mac].first_seen}
        for mac in sorted(changes.updated)
    ]
    if rows:
        connection.execute(
            update(devices)
            .where(devices.c.id == bindparam("b_id"))
            .values(first_seen=bindparam("b_first_seen")),
            rows,
        )


def import_legacy_plan(
    engine: Engine,
    plan: ImportPlan,
    *,
    label: str,
    status: Status,
    now: datetime,
    policy: Policy,
    lookup: VendorLookup,
    clock: Clock,
) -> list[NetworkImport]:
    """Merge every network of ``plan`` into the inventory in one transaction.

    Each network that changes gets a run record (source ``legacy-dhcp-leases``,
    its figures in ``counts``) that its events point to; a network with
    nothing to change gets none, so a repeated import writes nothing at all.
    Any error rolls the whole import back.
    """
    outcomes = []
    started_at = clock()
    with write_transaction(engine) as connection:
        policy = effective_policy(connection, policy)
        for network, network_plan in plan.networks.items():
            loaded = load_network(connection, network)
            changes, outcome = apply_plan(
                loaded.state,
                network_plan,
                _known_history(connection, network),
                label=label,
                status=status,
                now=now,
                policy=policy,
                lookup=lookup,
            )
            outcomes.append(outcome)
            if not outcome.changed:
                continue
            outcome.run_id = start_run(connection, SOURCE, network, started_at, [label])
            save_changes(connection, loaded, changes, outcome.run_id)
            _write_first_seen(connection, loaded, changes)
            finish_run(
                connection,
                outcome.run_id,
                clock(),
                source=SOURCE,
                network=network,
                ok=True,
                lines=network_plan.rows,
                observations=len(network_plan.devices),
                counts=outcome.run_counts(),
            )
    return outcomes
