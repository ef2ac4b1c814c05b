"""Reverse DNS answers read from real response messages, and their TTL cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dns.message
import pytest

from lanventory.names.ptr import NEGATIVE_TTL, PtrAnswer, ResolverError, ptr_query, read_answer
from lanventory.names.ptr_cache import PtrCache
from lanventory.names.resolver import lookup_ptrs

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
IP = "198.18.0.20"


def response(text: str) -> dns.message.Message:
    """A response to the PTR query of ``IP``, from dig-style text sections."""
    query = ptr_query(IP)
    message = dns.message.from_text(f"id {query.id}\nflags QR RD RA\n{text}")
    return message


def test_the_query_asks_for_the_in_addr_arpa_name() -> None:
    question = ptr_query(IP).question[0]
    assert str(question.name) == "20.0.18.198.in-addr.arpa."
    with pytest.raises(ValueError):
        ptr_query("fe80::1")


def test_a_ptr_record_gives_the_name_and_its_ttl() -> None:
    answer = read_answer(
        IP,
        response(
            "rcode NOERROR\n;ANSWER\n"
            "20.0.18.198.in-addr.arpa. 600 IN PTR printer.lab.\n"
            "20.0.18.198.in-addr.arpa. 600 IN PTR alias.lab.\n"
        ),
        NOW,
    )
    assert answer == PtrAnswer(IP, "alias.lab", 600, NOW)
    assert answer.expires_at == NOW + timedelta(seconds=600)


def test_nxdomain_is_a_negative_answer_for_the_soa_minimum() -> None:
    answer = read_answer(
        IP,
        response(
            "rcode NXDOMAIN\n;AUTHORITY\n"
            "18.198.in-addr.arpa. 3600 IN SOA ns.lab. admin.lab. 1 3600 600 86400 120\n"
        ),
        NOW,
    )
    assert answer.name is None and answer.ttl == 120


def test_the_soa_record_ttl_caps_the_negative_ttl() -> None:
    answer = read_answer(
        IP,
        response(
            "rcode NOERROR\n;AUTHORITY\n"
            "18.198.in-addr.arpa. 30 IN SOA ns.lab. admin.lab. 1 3600 600 86400 120\n"
        ),
        NOW,
    )
    assert answer.name is None and answer.ttl == 30


def test_a_negative_answer_without_soa_is_cached_briefly() -> None:
    answer = read_answer(IP, response("rcode NXDOMAIN\n"), NOW)
    assert answer.name is None and answer.ttl == NEGATIVE_TTL


@pytest.mark.parametrize("rcode", ["SERVFAIL", "REFUSED", "FORMERR"])
def test_a_failing_resolver_is_an_error(rcode: str) -> None:
    with pytest.raises(ResolverError, match=rcode):
        read_answer(IP, response(f"rcode {rcode}\n"), NOW)


def test_the_cache_keeps_an_answer_until_its_ttl_ends() -> None:
    cache = PtrCache()
    cache.put("198.18.1.2", PtrAnswer(IP, "printer.lab", 60, NOW))
    cache.put("198.18.1.2", PtrAnswer("198.18.0.21", None, 30, NOW))
    cache.put("198.18.1.2", PtrAnswer("198.18.0.22", "zero.lab", 0, NOW))
    assert len(cache) == 2
    later = NOW + timedelta(seconds=59)
    assert cache.get("198.18.1.2", IP, later) == PtrAnswer(IP, "printer.lab", 60, NOW)
    assert cache.get("198.18.1.2", "198.18.0.21", later) is None  # the negative one expired
    assert cache.get("198.18.1.2", "198.18.0.22", NOW) is None
    assert cache.get("198.18.1.3", IP, NOW) is None  # another resolver
    assert cache.get("198.18.1.2", IP, NOW + timedelta(seconds=60)) is None
    assert len(cache) == 0


def test_lookups_ask_only_for_what_is_not_cached() -> None:
    asked: list[str] = []

    def query(ip: str, resolver: str, timeout: float, now: datetime) -> PtrAnswer:
        assert resolver == "198.18.1.2" and timeout == 1.5
        asked.append(ip)
        if ip.endswith(".9"):
            raise ResolverError(f"PTR {ip}: no answer from {resolver} within 1.5 s")
        return PtrAnswer(ip, None if ip.endswith(".5") else f"h{ip[-1]}.lab", 300, now)

    cache = PtrCache()
    ips = ["198.18.0.1", "198.18.0.5", "198.18.0.9", "198.18.0.1"]
    answers, errors = lookup_ptrs(ips, "198.18.1.2", cache, NOW, timeout=1.5, query=query)
    assert sorted(asked) == ["198.18.0.1", "198.18.0.5", "198.18.0.9"]
    assert answers["198.18.0.1"].name == "h1.lab" and answers["198.18.0.5"].name is None
    assert "198.18.0.9" not in answers and errors == [
        "PTR 198.18.0.9: no answer from 198.18.1.2 within 1.5 s"
    ]
    asked.clear()
    again, _ = lookup_ptrs(
        ips, "198.18.1.2", cache, NOW + timedelta(seconds=10), timeout=1.5, query=query
    )
    assert asked == ["198.18.0.9"]  # the two answers (one negative) came from the cache
    assert again["198.18.0.1"] == answers["198.18.0.1"]
