"""Stable MAC prefixes the owner adds in the web UI, and the policy they make effective.

The built-in prefixes and the config file's entries come with the settings;
the owner's own additions live in the database so the UI can change them
without a restart. Every run applies the effective list (the settings' plus
these), so a change takes effect at the next run on each network.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.engine import Connection

from lanventory.inventory.model import Policy
from lanventory.stable_macs import REASON_WIDTH, StablePrefix, parse_prefix
from lanventory.store.engine import write_transaction
from lanventory.store.tables import stable_prefixes

#: The reason stored for an addition that gives none.
ADDED = "added by the owner"


class PrefixError(ValueError):
    """The prefix cannot be added or removed; the message says why."""


def stored_prefixes(connection: Connection) -> list[StablePrefix]:
    """The owner's additions, by prefix."""
    query = select(stable_prefixes.c.prefix, stable_prefixes.c.reason).order_by(
        stable_prefixes.c.prefix
    )
    return [StablePrefix(prefix, reason) for prefix, reason in connection.execute(query)]


def effective_policy(connection: Connection, policy: Policy) -> Policy:
    """``policy`` with the owner's stored prefixes added to its stable prefixes."""
    stored = stored_prefixes(connection)
    if not stored:
        return policy
    listed = {p.prefix for p in policy.stable_mac_prefixes}
    extra = tuple(p for p in stored if p.prefix not in listed)
    return replace(policy, stable_mac_prefixes=policy.stable_mac_prefixes + extra)


def add_stable_prefix(
    engine: Engine, text: str, reason: str, now: datetime, policy: Policy
) -> StablePrefix:
    """Store the prefix ``text`` (any common spelling) as stable; raises PrefixError.

    A prefix that is already listed (built in, in the config, or added before)
    is refused, so each prefix has one place where it is set.
    """
    try:
        prefix = parse_prefix(text)
    except ValueError as error:
        raise PrefixError(str(error)) from None
    reason = " ".join(reason.split()) or ADDED
    if not reason.isprintable() or len(reason) > REASON_WIDTH:
        raise PrefixError(f"the reason must be printable text of at most {REASON_WIDTH} characters")
    with write_transaction(engine) as connection:
        listed = effective_policy(connection, policy).stable_mac_prefixes
        if any(p.prefix == prefix for p in listed):
            raise PrefixError(f"{prefix} is already a stable prefix")
        connection.execute(
            insert(stable_prefixes).values(prefix=prefix, reason=reason, added_at=now)
        )
    return StablePrefix(prefix, reason)


def remove_stable_prefix(engine: Engine, text: str) -> str:
    """Forget an owner-added prefix; raises PrefixError when there is none such."""
    try:
        prefix = parse_prefix(text)
    except ValueError as error:
        raise PrefixError(str(error)) from None
    with write_transaction(engine) as connection:
        gone = connection.execute(delete(stable_prefixes).where(stable_prefixes.c.prefix == prefix))
        if not gone.rowcount:
            raise PrefixError(
                f"{prefix} was not added in the web UI (built-in and config prefixes are set "
                "in the config file)"
            )
    return prefix
