"""Splitting a source's observations among configured networks."""

from __future__ import annotations

from datetime import UTC, datetime
from ipaddress import IPv4Network

import pytest

from lanventory.sources import network_map
from lanventory.sources.observation import IpConflict, Observation, ParseResult, Skip

SEEN = datetime.fromtimestamp(1795417200, UTC)
NETWORKS = {
    "lan": IPv4Network("192.168.0.0/16"),
    "office": IPv4Network("192.168.1.0/24"),
    "iot": IPv4Network("10.20.0.0/24"),
}
SUBNETS = {
    1: IPv4Network("192.168.1.0/24"),
    20: IPv4Network("10.20.0.0/25"),
    30: IPv4Network("172.16.0.0/24"),
}


def obs(
    ip: str | None, subnet_id: int | None = None, mac: str = "00:16:3e:00:00:01"
) -> Observation:
    return Observation(mac=mac, ip=ip, source="kea-api", seen_at=SEEN, subnet_id=subnet_id)


def result(*observations: Observation, **flags: object) -> ParseResult:
    skipped = [Skip("f:3", "declined", "x")]
    return ParseResult(observations=list(observations), skipped=skipped, lines=9, **flags)  # type: ignore[arg-type]


def where(observation: Observation, subnets: dict[int, IPv4Network] | None = SUBNETS) -> str | None:
    return network_map.network_of(observation, NETWORKS, subnets)[0]


def test_subnet_id_wins_over_the_address() -> None:
    # Kea says subnet 20 (10.20.0.0/25, inside iot) whatever the address looks like.
    assert where(obs("192.168.1.5", 20)) == "iot"


def test_a_subnet_goes_to_the_most_specific_network_holding_it() -> None:
    assert where(obs("192.168.1.5", 1)) == "office"


@pytest.mark.parametrize(
    ("observation", "network"),
    [
        (obs("192.168.7.9", 99), "lan"),  # unknown id: by address
        (obs("192.168.1.9"), "office"),  # no id: most specific CIDR
        (obs("10.20.0.200", 30), "iot"),  # subnet 30 is in no network: by address
        (obs("8.8.8.8"), None),
        (obs(None, 99), None),
    ],
)
def test_otherwise_by_address(observation: Observation, network: str | None) -> None:
    assert where(observation) == network


def test_without_a_subnet_map_everything_goes_by_address() -> None:
    assert where(obs("10.20.0.200", 1), subnets=None) == "iot"


def test_ipv6_goes_by_subnet_id_only() -> None:
    assert where(obs("2001:db8::5", 20)) == "iot"
    assert where(obs("2001:db8::5", 99)) is None
    assert where(obs("2001:db8::5", 20), subnets=None) is None


def test_assign_splits_and_reports_the_unmapped() -> None:
    a, b, c, d = (
        obs("192.168.1.5", 1),
        obs("192.168.9.9"),
        obs("10.20.0.7", 20, mac="02:00:00:00:00:07"),
        obs("2001:db8::9", 77, mac="02:00:00:00:00:09"),
    )
    shares, unmapped = network_map.assign(result(a, b, c, d, complete=False), NETWORKS, SUBNETS)
    assert {name: share.observations for name, share in shares.items()} == {
        "lan": [b],
        "office": [a],
        "iot": [c],
    }
    for share in shares.values():
        assert (share.lines, share.complete, share.error) == (9, False, None)
        assert share.skipped_by_reason() == {"declined": 1}
    assert unmapped == [
        Skip(
            "kea-api 2001:db8::9",
            "unmapped",
            "ip 2001:db8::9 subnet-id 77 mac 02:00:00:00:00:09: in no configured network",
        )
    ]


def test_equal_matches_are_not_guessed() -> None:
    networks = {"a": IPv4Network("10.0.0.0/24"), "b": IPv4Network("10.0.0.0/24")}
    shares, unmapped = network_map.assign(result(obs("10.0.0.5")), networks, None)
    assert all(share.observations == [] for share in shares.values())
    assert [s.text for s in unmapped] == [
        "ip 10.0.0.5 subnet-id None mac 00:16:3e:00:00:01: matches a and b equally"
    ]


def test_conflicts_go_by_address() -> None:
    inside = IpConflict("192.168.1.7", ("00:16:3e:00:00:01", "00:16:3e:00:00:02"), "scan:4")
    outside = IpConflict("172.16.0.1", ("00:16:3e:00:00:03", "00:16:3e:00:00:04"), "scan:9")
    found = ParseResult(conflicts=[inside, outside])
    shares, unmapped = network_map.assign(found, NETWORKS, SUBNETS)
    assert shares["office"].conflicts == [inside]
    assert [(s.where, s.reason) for s in unmapped] == [("scan:9", "unmapped")]


def test_an_error_is_kept_in_every_share() -> None:
    shares, _ = network_map.assign(result(error="broken"), NETWORKS, None)
    assert {share.error for share in shares.values()} == {"broken"}


def test_for_network() -> None:
    share, unmapped = network_map.for_network(
        result(obs("192.168.1.5"), obs("8.8.8.8")), "office", NETWORKS
    )
    assert [o.ip for o in share.observations] == ["192.168.1.5"]
    assert [s.reason for s in unmapped] == ["unmapped"]
    with pytest.raises(ValueError, match="'dmz' is not configured .*lan, office, iot"):
        network_map.for_network(result(), "dmz", NETWORKS)


def test_an_unmapped_ipv6_lease_follows_its_macs_ipv4_lease() -> None:
    v4 = obs("10.20.0.7", mac="02:00:00:00:00:07")
    v6 = obs("2001:db8::7", mac="02:00:00:00:00:07")
    stray = obs("2001:db8::8", mac="02:00:00:00:00:08")
    shares, unmapped = network_map.assign(result(v6, v4, stray), NETWORKS, None)
    assert shares["iot"].observations == [v4, v6]
    assert [skip.text.split(":")[0] for skip in unmapped] == ["ip 2001"]
