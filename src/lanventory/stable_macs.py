"""Locally administered MAC prefixes that do not rotate: virtual machines, containers, routers.

A MAC with the U/L bit set is usually a privacy address a phone or laptop
rotates; some software, though, assigns locally administered addresses that
stay put for the life of a VM, a container or a protocol address. A device
under one of these *stable prefixes* is not treated as randomized: it gets no
randomized badge, the ordinary prune period and no rotation suggestions.

The owner's config entries extend the built-in :data:`DEFAULT_STABLE_PREFIXES`:
``"PREFIX"`` or ``"PREFIX reason"`` adds one, ``"!PREFIX"`` drops a built-in one.

>>> is_rotating("52:54:00:12:34:56", DEFAULT_STABLE_PREFIXES)
False
>>> is_rotating("ae:3f:91:6b:20:c4", DEFAULT_STABLE_PREFIXES)
True
>>> parse_prefix("52-54-00"), parse_prefix("0242")
('52:54:00', '02:42')
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from lanventory.net import is_locally_administered

#: Longest reason an owner's entry may give.
REASON_WIDTH = 80
#: The reason shown for an owner's entry that gives none.
CONFIGURED = "listed in the config"

_SEPARATED = re.compile(r"[0-9a-f]{1,2}(?:([:-])[0-9a-f]{1,2}(?:\1[0-9a-f]{1,2}){0,4})?")
_BARE = re.compile(r"(?:[0-9a-f]{2}){1,6}")
_EXAMPLES = "e.g. 52:54:00, 52-54-00 or 525400"


@dataclass(frozen=True, slots=True)
class StablePrefix:
    """A locally administered prefix (1–6 octets, canonical colon form) and why it is stable."""

    prefix: str
    reason: str

    def covers(self, mac: str) -> bool:
        """True when the canonical ``mac`` starts with this prefix."""
        return mac.startswith(self.prefix)

    def describe(self) -> str:
        """``52:54:00: QEMU/KVM …``, as the device page and the status page show it."""
        return f"{self.prefix}: {self.reason}"


#: Built-in prefixes, each locally administered and documented as stable by its writer:
#: libvirt and QEMU give a VM a fixed ``52:54:00`` MAC in its definition; Docker's
#: bridge driver derives ``02:42:…`` from the container's IPv4 address; VirtualBox
#: gives its host-only adapters ``0a:00:27:…``; DECnet Phase IV sets the MAC to
#: ``aa:00:04:00`` followed by the node's DECnet address.
DEFAULT_STABLE_PREFIXES: tuple[StablePrefix, ...] = (
    StablePrefix("52:54:00", "QEMU/KVM"),
    StablePrefix("02:42", "Docker bridge network"),
    StablePrefix("0a:00:27", "VirtualBox host-only adapter"),
    StablePrefix("aa:00:04:00", "DECnet Phase IV"),
)


def _digits(text: str) -> str | None:
    """The hex digits of a prefix written in any common spelling, or None."""
    raw = text.strip().lower()
    if _SEPARATED.fullmatch(raw) and (":" in raw or "-" in raw):
        return "".join(part.zfill(2) for part in re.split(r"[:-]", raw))
    bare = (
        raw.replace(".", "") if re.fullmatch(r"[0-9a-f]{4}(?:\.[0-9a-f]{2,4}){0,2}", raw) else raw
    )
    return bare if _BARE.fullmatch(bare) else None


def parse_prefix(text: str) -> str:
    """A prefix in canonical form (``52:54:00``); raises ValueError saying what is wrong.

    Accepts 1 to 6 octets separated by ``:`` or ``-`` (one or two digits each),
    bare hex (``525400``) or Cisco dotted groups (``5254.00``). The prefix must
    itself be locally administered: a universal MAC is never treated as
    randomized, so listing it would change nothing.
    """
    digits = _digits(text)
    if digits is None:
        raise ValueError(f"{text!r} is not a MAC prefix: write 1 to 6 octets, {_EXAMPLES}")
    prefix = ":".join(digits[i : i + 2] for i in range(0, len(digits), 2))
    first = int(digits[:2], 16)
    if first & 0x01:
        raise ValueError(
            f"{prefix!r} is a multicast prefix (the 0x01 bit of its first octet is set): "
            "no device sends from such an address"
        )
    if not first & 0x02:
        raise ValueError(
            f"{prefix!r} is universally administered (the 0x02 bit of its first octet is clear): "
            "such MACs are never treated as randomized, so it need not be listed"
        )
    return prefix


@dataclass(frozen=True, slots=True)
class Entry:
    """One config entry: a prefix to add (with its reason) or a built-in one to drop."""

    prefix: StablePrefix
    drop: bool = False


def parse_entry(text: str, defaults: Iterable[StablePrefix] = DEFAULT_STABLE_PREFIXES) -> Entry:
    """``"PREFIX"``, ``"PREFIX reason"`` or ``"!PREFIX"``; raises ValueError saying what is wrong."""
    drop = text.strip().startswith("!")
    head, _, reason = text.strip().removeprefix("!").strip().partition(" ")
    if not head:
        raise ValueError(f"{text!r} names no prefix: write e.g. '52:54:00 my VMs' or '!02:42'")
    prefix = parse_prefix(head)
    reason = " ".join(reason.split())
    if drop:
        builtins = {p.prefix: p for p in defaults}
        if prefix not in builtins:
            raise ValueError(
                f"{text!r} drops nothing: {prefix} is not a built-in prefix "
                f"(built-in: {', '.join(builtins) or 'none'})"
            )
        if reason:
            raise ValueError(f"{text!r}: a dropped prefix takes no reason")
        return Entry(builtins[prefix], drop=True)
    if not reason.isprintable() or len(reason) > REASON_WIDTH:
        raise ValueError(
            f"{text!r}: the reason must be printable text of at most {REASON_WIDTH} characters"
        )
    return Entry(StablePrefix(prefix, reason or CONFIGURED))


def stable_prefixes(
    entries: Iterable[str], defaults: Iterable[StablePrefix] = DEFAULT_STABLE_PREFIXES
) -> tuple[StablePrefix, ...]:
    """The effective list: ``defaults``, plus the entries that add, minus those that drop.

    An added prefix that is already listed replaces its reason. Raises
    ValueError for the first bad entry.
    """
    builtin = tuple(defaults)
    found = {p.prefix: p for p in builtin}
    for text in entries:
        entry = parse_entry(text, builtin)
        if entry.drop:
            found.pop(entry.prefix.prefix, None)
        else:
            found[entry.prefix.prefix] = entry.prefix
    return tuple(found.values())


def stable_prefix_of(mac: str, prefixes: Iterable[StablePrefix]) -> StablePrefix | None:
    """The longest stable prefix covering the canonical ``mac``, or None."""
    covering = [p for p in prefixes if p.covers(mac)]
    return max(covering, key=lambda p: len(p.prefix)) if covering else None


def is_rotating(mac: str, prefixes: Iterable[StablePrefix]) -> bool:
    """True for a locally administered MAC under no stable prefix: one that may rotate.

    This is what ``randomized`` means: the short prune period, no registry
    vendor, the randomized badge and the candidates for rotation suggestions.
    """
    return is_locally_administered(mac) and stable_prefix_of(mac, prefixes) is None
