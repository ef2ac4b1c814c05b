"""ARP frames: the request the sweeper sends and the replies it accepts."""

from __future__ import annotations

import ipaddress
import struct

from lanventory.sweep.arp_frame import FRAME_SIZE, parse_reply, request, request_template

OURS = "02:00:c6:12:00:01"


def reply(op: int = 2, ethertype: int = 0x0806) -> bytes:
    header = bytes.fromhex("0200c6120001" + "00163e000001") + struct.pack("!H", ethertype)
    arp = struct.pack(
        "!HHBBH6s4s6s4s",
        1,
        0x0800,
        6,
        4,
        op,
        bytes.fromhex("00163e000001"),
        ipaddress.IPv4Address("198.18.0.10").packed,
        bytes.fromhex("0200c6120001"),
        ipaddress.IPv4Address("198.18.0.1").packed,
    )
    return header + arp + b"\x00" * 18


def test_request_is_a_broadcast_who_has() -> None:
    frame = request(request_template(OURS, "198.18.0.1"), int(ipaddress.IPv4Address("198.18.0.7")))
    assert len(frame) == FRAME_SIZE
    assert frame[:6] == b"\xff" * 6 and frame[6:12].hex(":") == OURS
    assert frame[12:14] == b"\x08\x06" and frame[20:22] == b"\x00\x01"
    assert frame[28:32] == ipaddress.IPv4Address("198.18.0.1").packed
    assert frame[38:42] == ipaddress.IPv4Address("198.18.0.7").packed


def test_reply_is_parsed() -> None:
    parsed = parse_reply(reply())
    assert parsed is not None
    assert (parsed.sender_mac, parsed.sender_ip) == ("00:16:3e:00:00:01", "198.18.0.10")
    assert (parsed.target_mac, parsed.target_ip) == ("02:00:c6:12:00:01", "198.18.0.1")


def test_anything_else_is_ignored() -> None:
    assert parse_reply(reply(op=1)) is None
    assert parse_reply(reply(ethertype=0x0800)) is None
    assert parse_reply(reply()[:30]) is None
