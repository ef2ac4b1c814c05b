"""Ethernet ARP frames: the request the sweeper sends and the reply it reads (RFC 826)."""

from __future__ import annotations

import socket
import struct
from typing import NamedTuple

ETH_P_ARP = 0x0806
_BROADCAST = b"\xff" * 6
_ZERO_MAC = b"\x00" * 6
# Ethernet header, then ARP for Ethernet/IPv4: htype 1, ptype 0x0800, hlen 6, plen 4, op.
_HEADER = struct.Struct("!6s6sH")
_ARP = struct.Struct("!HHBBH6s4s6s4s")
_OP_REQUEST = 1
_OP_REPLY = 2
FRAME_SIZE = _HEADER.size + _ARP.size  # 42 bytes; the NIC pads it to 60


class ArpReply(NamedTuple):
    """Who answered (sender MAC and IP) and whom the answer was for."""

    sender_mac: str
    sender_ip: str
    target_mac: str
    target_ip: str


def mac_bytes(mac: str) -> bytes:
    """``aa:bb:cc:dd:ee:ff`` as 6 bytes."""
    return bytes.fromhex(mac.replace(":", ""))


def mac_text(raw: bytes) -> str:
    """6 bytes as lowercase ``aa:bb:cc:dd:ee:ff``."""
    return raw.hex(":")


def request_template(source_mac: str, source_ip: str) -> bytearray:
    """A broadcast who-has request from us, with the target IP left to fill in (last 4 bytes)."""
    frame = bytearray(FRAME_SIZE)
    ours = mac_bytes(source_mac)
    _HEADER.pack_into(frame, 0, _BROADCAST, ours, ETH_P_ARP)
    _ARP.pack_into(
        frame,
        _HEADER.size,
        1,
        0x0800,
        6,
        4,
        _OP_REQUEST,
        ours,
        socket.inet_aton(source_ip),
        _ZERO_MAC,
        b"\x00\x00\x00\x00",
    )
    return frame


def request(template: bytearray, target_ip: int) -> bytes:
    """The request for ``target_ip`` (an integer address) built on ``template``."""
    template[-4:] = target_ip.to_bytes(4, "big")
    return bytes(template)


def parse_reply(frame: bytes) -> ArpReply | None:
    """The ARP reply in an Ethernet frame, or None for anything else."""
    if len(frame) < FRAME_SIZE:
        return None
    if int.from_bytes(frame[12:14], "big") != ETH_P_ARP:
        return None
    htype, ptype, hlen, plen, op, sha, spa, tha, tpa = _ARP.unpack_from(frame, _HEADER.size)
    if (htype, ptype, hlen, plen, op) != (1, 0x0800, 6, 4, _OP_REPLY):
        return None
    return ArpReply(mac_text(sha), socket.inet_ntoa(spa), mac_text(tha), socket.inet_ntoa(tpa))
