"""Reverse DNS answers: the PTR query for an address and what its response means.

Pure: :func:`read_answer` turns a response message into a :class:`PtrAnswer`
(a name, or a negative answer) or a :class:`ResolverError`; sending the query
is :mod:`lanventory.names.resolver`'s job.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

import dns.message
import dns.rcode
import dns.rdatatype
import dns.reversename

#: How long a negative answer without an SOA record is believed, in seconds.
NEGATIVE_TTL = 300


class ResolverError(Exception):
    """The resolver gave no usable answer (timeout, refused, server failure)."""


@dataclass(frozen=True, slots=True)
class PtrAnswer:
    """What the resolver said about one address: its name, or none, and for how long."""

    ip: str
    name: str | None
    """The PTR target without its trailing dot; None for a negative answer."""
    ttl: int
    answered_at: datetime

    @property
    def expires_at(self) -> datetime:
        """When this answer is to be asked again."""
        return self.answered_at + timedelta(seconds=self.ttl)


def ptr_query(ip: str) -> dns.message.QueryMessage:
    """The PTR query for an IPv4 address (``10.1.168.192.in-addr.arpa.``)."""
    address = ipaddress.IPv4Address(ip)
    return dns.message.make_query(dns.reversename.from_address(str(address)), "PTR")


def _negative_ttl(response: dns.message.Message) -> int:
    """RFC 2308: the SOA's own TTL capped by its minimum field; else :data:`NEGATIVE_TTL`."""
    for rrset in response.authority:
        if rrset.rdtype == dns.rdatatype.SOA and len(rrset):
            minimum = int(rrset[0].minimum)
            return max(0, min(int(rrset.ttl), minimum))
    return NEGATIVE_TTL


def read_answer(ip: str, response: dns.message.Message, now: datetime) -> PtrAnswer:
    """The meaning of the resolver's ``response`` to :func:`ptr_query` for ``ip``.

    NOERROR with PTR records: the first name in sorted order, with the record
    set's TTL. NXDOMAIN, or NOERROR without a PTR record: a negative answer,
    cached for the SOA minimum. Any other response code is a ResolverError.
    """
    rcode = response.rcode()
    if rcode == dns.rcode.NXDOMAIN:
        return PtrAnswer(ip, None, _negative_ttl(response), now)
    if rcode != dns.rcode.NOERROR:
        raise ResolverError(f"PTR {ip}: the resolver answered {dns.rcode.to_text(rcode)}")
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.PTR and len(rrset):
            names = sorted(str(record.target).rstrip(".") for record in rrset)
            return PtrAnswer(ip, names[0], int(rrset.ttl), now)
    return PtrAnswer(ip, None, _negative_ttl(response), now)
