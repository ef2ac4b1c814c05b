"""One source run applied to one network: the rules in their order."""

from __future__ import annotations

from datetime import datetime

from lanventory.inventory.batch import dedup
from lanventory.inventory.merge import VendorLookup, merge
from lanventory.inventory.model import Policy
from lanventory.inventory.presence import mark_missed, settle
from lanventory.inventory.prune import prune
from lanventory.inventory.state import Changes, NetworkState
from lanventory.sources.observation import ParseResult


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

    Dedup (rules 1–2), upsert and IP moves (3–4), then absence (5) only when
    the run was complete and saw someone, then prune (6) only after a sweep.
    """
    if result.error is not None:
        raise ValueError(f"a failed run cannot be applied: {result.error}")
    changes = Changes()
    observations, conflicts = dedup(result.observations)
    changes.counts.conflicts = len(result.conflicts) + len(conflicts)
    seen = merge(state, observations, changes, now, lookup)
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
