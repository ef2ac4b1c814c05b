"""One source run applied to one network: the rules in their order."""

from __future__ import annotations

from datetime import datetime

from lanventory.inventory.batch import current_addresses, dedup
from lanventory.inventory.merge import VendorLookup, merge
from lanventory.inventory.model import Policy
from lanventory.inventory.presence import mark_missed, settle
from lanventory.inventory.prune import prune
from lanventory.inventory.state import Changes, NetworkState
from lanventory.sources.observation import ParseResult
from lanventory.stable_macs import StablePrefix, is_rotating


def reclassify(state: NetworkState, changes: Changes, stable: tuple[StablePrefix, ...]) -> None:
    """Re-decide ``randomized`` for every device, so a changed stable-prefix list applies.

    A device whose flag flips is written; one that becomes randomized loses
    its vendor (no registry vendor for a rotating MAC), one that becomes
    stable gets the source's vendor on its next sighting.
    """
    for device in state.devices.values():
        rotating = is_rotating(device.mac, stable)
        if rotating != device.randomized:
            device.randomized = rotating
            if rotating:
                device.vendor = None
            changes.touch(device)


def apply_run(
    state: NetworkState,
    source: str,
    result: ParseResult,
    now: datetime,
    policy: Policy,
    lookup: VendorLookup,
    *,
    sweep: bool = False,
) -> Changes:
    """Apply a successful parse of ``source`` to ``state`` and say what changed.

    Dedup (rules 1–2), the randomized flag of every device re-decided from
    ``policy.stable_mac_prefixes``, upsert and IP moves (3–4), then absence (5)
    only when the run was complete and saw someone, then prune (6) only after a
    sweep.
    """
    if result.error is not None:
        raise ValueError(f"a failed run cannot be applied: {result.error}")
    changes = Changes()
    observations, conflicts = dedup(result.observations)
    changes.counts.conflicts = len(result.conflicts) + len(conflicts)
    reclassify(state, changes, policy.stable_mac_prefixes)
    seen = merge(
        state,
        observations,
        changes,
        now,
        lookup,
        policy.stable_mac_prefixes,
        addresses=current_addresses(result.observations, observations),
        complete=result.complete,
    )
    for obs in result.observations:  # every address seen, also those dedup set aside
        if obs.ip is not None and obs.mac in state.devices:
            changes.see_ip(obs.mac, obs.ip, obs.seen_at)
    if result.complete and seen:
        mark_missed(state, source, seen, changes, policy)
        changes.absence_evaluated = True
    settle(state, changes, now)
    if sweep and changes.absence_evaluated:
        prune(state, changes, now, policy)
    changes.counts.updated = len(changes.updated)
    changes.counts.moved = len(changes.moved)
    return changes
