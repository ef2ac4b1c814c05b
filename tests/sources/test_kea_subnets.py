"""Kea subnet ids to prefixes, from config-get and subnet4-list answers."""

from __future__ import annotations

import json
import re
from ipaddress import IPv4Network
from typing import Any

import pytest

from lanventory.sources import kea_subnets
from tests.conftest import fixture_path

LAB: dict[str, Any] = json.loads(fixture_path("kea-api", "lab-kea-2.2.0.scenario.json").read_text())


def fixture_text(name: str) -> str:
    return fixture_path("kea-api", name).read_text()


def test_config_get_includes_subnets_of_shared_networks() -> None:
    text = fixture_text("shared-sample-kea-3.3-config-get.trimmed.json")
    assert kea_subnets.parse_subnets(text) == {
        1: IPv4Network("192.168.1.0/24"),
        20: IPv4Network("192.168.20.0/24"),
    }
    assert [s.shared_network for s in kea_subnets.read_subnets(text)] == [None, "iot"]


def test_subnet4_list() -> None:
    subnets = kea_subnets.read_subnets(fixture_text("shared-sample-kea-3.3-subnet4-list.json"))
    assert subnets == [
        kea_subnets.KeaSubnet(1, IPv4Network("192.168.1.0/24")),
        kea_subnets.KeaSubnet(20, IPv4Network("192.168.20.0/24"), "iot"),
    ]


def test_real_kea_220_config_get() -> None:
    subnets = kea_subnets.read_subnets(fixture_text(LAB["files"]["config_get_unix"]))
    assert [(s.id, str(s.network), s.shared_network) for s in subnets] == [
        (s["id"], s["subnet"], s.get("shared_network")) for s in LAB["subnets"]
    ]


def test_list_wrapped_answer_and_no_subnets() -> None:
    text = json.dumps([{"result": 0, "arguments": {"Dhcp4": {}}}])
    assert kea_subnets.parse_subnets(text) == {}
    assert kea_subnets.parse_subnets('{"result": 3, "text": "0 IPv4 subnets found"}') == {}


def config(dhcp4: object) -> str:
    return json.dumps({"result": 0, "arguments": {"Dhcp4": dhcp4}})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nope", "subnet list: not a Kea answer: invalid JSON"),
        ('{"result": 1, "text": "boom"}', "Kea answered with an error (result 1): boom"),
        ('{"result": 0, "arguments": {"Dhcp6": {}}}', "neither a config-get answer"),
        (config([]), "arguments.Dhcp4 is not an object"),
        (config({"subnet4": {}}), "Dhcp4.subnet4 is not a list"),
        (config({"subnet4": [{"id": "1", "subnet": "10.0.0.0/8"}]}), "without an integer 'id'"),
        (config({"subnet4": [{"id": 1, "subnet": "2001:db8::/64"}]}), "not an IPv4 prefix"),
        (config({"subnet4": [5]}), "a subnet is not an object"),
        (config({"shared-networks": [5]}), "an entry is not an object"),
        (
            config(
                {
                    "subnet4": [{"id": 1, "subnet": "10.0.0.0/24"}],
                    "shared-networks": [
                        {"name": "x", "subnet4": [{"id": 1, "subnet": "10.0.1.0/24"}]}
                    ],
                }
            ),
            "subnet id 1 appears twice",
        ),
    ],
)
def test_bad_answers_raise_a_clear_value_error(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        kea_subnets.parse_subnets(text)
