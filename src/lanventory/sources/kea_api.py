"""ISC Kea's lease_cmds answers: ``lease4-get-all`` and ``lease4-get-page``.

An answer looks like this (over the UNIX control socket; over HTTP the same
object comes wrapped in a JSON list)::

    { "arguments": { "leases": [ { "cltt": 1795415400, "fqdn-fwd": false, "fqdn-rev": false, "hostname": "macbook-air", "hw-address": "3c:22:fb:12:34:56", "ip-address": "192.168.1.23", "state": 0, "subnet-id": 1, "valid-lft": 3600 } ] }, "result": 0, "text": "1 IPv4 lease(s) found." }

``result`` 3 means no leases (not an error). The list holds every lease in
storage, declined, reclaimed and expired ones included; they are judged by the
same rules as the lease file (:mod:`kea_csv`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from lanventory.net import parse_ipv4
from lanventory.sources import kea_csv
from lanventory.sources.observation import ParseResult, Skip, SourceText

SOURCE = "kea-api"

RESULT_SUCCESS = 0
RESULT_ERROR = 1
RESULT_UNSUPPORTED = 2
RESULT_EMPTY = 3

#: Keys every lease carries, with the type Kea gives them.
_REQUIRED: tuple[tuple[str, type], ...] = (
    ("ip-address", str),
    ("hw-address", str),
    ("cltt", int),
    ("valid-lft", int),
    ("subnet-id", int),
)
#: Kea's own ranges for the numbers a lease depends on: lifetimes and subnet ids
#: are 32-bit unsigned; a ``cltt`` outside the range of a date is no time at all.
_RANGES: tuple[tuple[str, int, int], ...] = (
    ("cltt", 0, 253402300799),  # up to 9999-12-31T23:59:59Z
    ("valid-lft", 0, 0xFFFFFFFF),
    ("subnet-id", 0, 0xFFFFFFFF),
)
_OPTIONAL: tuple[tuple[str, type, object], ...] = (
    ("state", int, kea_csv.STATE_DEFAULT),
    ("hostname", str, ""),
    ("client-id", str, ""),
    ("pool-id", int, 0),
)


def read_answer(text: str, name: str) -> dict[str, Any]:
    """The one answer in a Kea control channel reply, bare or list-wrapped.

    Over HTTP the answer is a list with one element per service asked; the
    first is taken. Raises ValueError naming ``name`` when the text is not a
    Kea answer.

    >>> read_answer('[{"result": 3, "text": "0 IPv4 lease(s) found."}]', "x")["result"]
    3
    """
    try:
        answer = json.loads(text)
    except ValueError as error:
        raise ValueError(f"{name}: not a Kea answer: invalid JSON ({error})") from None
    if isinstance(answer, list):
        if not answer:
            raise ValueError(f"{name}: not a Kea answer: an empty list")
        answer = answer[0]
    if not isinstance(answer, dict) or type(answer.get("result")) is not int:
        raise ValueError(f"{name}: not a Kea answer: no integer 'result' in {text[:120]!r}")
    return answer


def answer_error(answer: dict[str, Any], name: str) -> str | None:
    """Why a lease command failed, or None for results 0 and 3 (found, none found)."""
    code = answer["result"]
    if code in (RESULT_SUCCESS, RESULT_EMPTY):
        return None
    text = answer.get("text", "(no text)")
    if code == RESULT_UNSUPPORTED:
        return (
            f"{name}: Kea does not support the command ({text}): the lease_cmds hook "
            "libdhcp_lease_cmds.so is probably not loaded; add it to Dhcp4 hooks-libraries"
        )
    return f"{name}: Kea answered with an error (result {code}): {text}"


def answer_leases(answer: dict[str, Any], name: str) -> list[Any]:
    """The ``arguments.leases`` list of a successful answer; ValueError if it has none."""
    if answer["result"] == RESULT_EMPTY:
        return []
    arguments = answer.get("arguments")
    leases = arguments.get("leases") if isinstance(arguments, dict) else None
    if not isinstance(leases, list):
        raise ValueError(f"{name}: not a lease list: the answer has no arguments.leases list")
    return leases


def _lease(entry: object, where: str) -> kea_csv.Lease | str:
    """A lease in the lease file's terms, or why the entry is unusable."""
    if not isinstance(entry, dict):
        return "not-a-lease"
    for key, kind in _REQUIRED:
        if key not in entry:
            return f"missing-field ({key})"
        if type(entry[key]) is not kind:
            return f"bad-field ({key})"
    for key, low, high in _RANGES:
        if not low <= entry[key] <= high:
            return f"bad-field ({key})"
    values: dict[str, Any] = {}
    for key, kind, default in _OPTIONAL:
        if key not in entry:
            values[key] = default
        elif type(entry[key]) is kind:
            values[key] = entry[key]
        else:
            return f"bad-field ({key})"
    context = entry.get("user-context")
    address = parse_ipv4(entry["ip-address"])
    if address is None:
        return "bad-address"
    return kea_csv.Lease(
        address=address,
        hwaddr=entry["hw-address"],
        client_id=values["client-id"].lower() or None,
        valid_lifetime=entry["valid-lft"],
        expire=entry["cltt"] + entry["valid-lft"],
        subnet_id=entry["subnet-id"],
        hostname=values["hostname"].strip() or None,
        state=values["state"],
        user_context=context if isinstance(context, dict) else None,
        pool_id=values["pool-id"],
        where=where,
        line=json.dumps(entry, sort_keys=True),
    )


def parse(inputs: Sequence[SourceText], now: datetime) -> ParseResult:
    """Parse lease_cmds answers (one ``lease4-get-all``, or every page in order).

    The same address in a later page replaces the earlier one. A failed
    command or a text that is not a Kea answer fails the whole result.
    """
    leases: dict[str, kea_csv.Lease] = {}
    skipped: list[Skip] = []
    lines = 0
    for source in inputs:
        try:
            answer = read_answer(source.text, source.name)
            error = answer_error(answer, source.name)
            entries = answer_leases(answer, source.name) if error is None else []
        except ValueError as problem:
            error = str(problem)
        if error is not None:
            return ParseResult(skipped=skipped, lines=lines, error=error)
        for number, entry in enumerate(entries):
            lines += 1
            where = f"{source.name}:leases[{number}]"
            lease = _lease(entry, where)
            if isinstance(lease, str):
                skipped.append(Skip(where, lease, json.dumps(entry, sort_keys=True)))
                continue
            leases.pop(lease.address, None)
            leases[lease.address] = lease
    log = kea_csv.LeaseLog(leases, skipped, lines, None, True)
    return kea_csv.to_observations(log, now, SOURCE)
