"""Asking the configured DNS server for PTR records: the only part that sends queries.

Queries go to the configured resolver only (never the system's
``/etc/resolv.conf``), over UDP with a short timeout, a few at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import dns.exception
import dns.query

from lanventory.names.ptr import PtrAnswer, ResolverError, ptr_query, read_answer
from lanventory.names.ptr_cache import PtrCache

_LOGGER = logging.getLogger(__name__)

#: PTR queries in flight at once.
CONCURRENCY = 8

#: ``query(ip, resolver, timeout, now)``: one PTR lookup (tests pass a fake).
Query = Callable[[str, str, float, datetime], PtrAnswer]


def query_ptr(ip: str, resolver: str, timeout: float, now: datetime) -> PtrAnswer:
    """Ask ``resolver`` (port 53, UDP) for ``ip``'s PTR record; ResolverError if it fails."""
    try:
        response = dns.query.udp(ptr_query(ip), resolver, timeout=timeout)
    except dns.exception.Timeout:
        raise ResolverError(f"PTR {ip}: no answer from {resolver} within {timeout:g} s") from None
    except (OSError, dns.exception.DNSException) as error:
        raise ResolverError(f"PTR {ip}: asking {resolver} failed: {error}") from None
    return read_answer(ip, response, now)


def lookup_ptrs(
    ips: Sequence[str],
    resolver: str,
    cache: PtrCache,
    now: datetime,
    *,
    timeout: float,
    query: Query = query_ptr,
) -> tuple[dict[str, PtrAnswer], list[str]]:
    """Each address's answer, from ``cache`` while valid, else asked (and cached).

    Returns the answers by address and the errors of the lookups that failed.
    """
    answers: dict[str, PtrAnswer] = {}
    missing: list[str] = []
    for ip in dict.fromkeys(ips):
        cached = cache.get(resolver, ip, now)
        if cached is not None:
            answers[ip] = cached
        else:
            missing.append(ip)

    def ask(ip: str) -> PtrAnswer | ResolverError:
        try:
            return query(ip, resolver, timeout, now)
        except ResolverError as error:
            return error

    errors: list[str] = []
    with ThreadPoolExecutor(max_workers=max(1, min(CONCURRENCY, len(missing)))) as pool:
        for ip, outcome in zip(missing, pool.map(ask, missing), strict=True):
            if isinstance(outcome, ResolverError):
                _LOGGER.info("%s", outcome)  # the run's summary reports the failures
                errors.append(str(outcome))
                continue
            cache.put(resolver, outcome)
            answers[ip] = outcome
    return answers, errors
