"""kea-api: lease_cmds answers, from the shared samples and from real Kea 2.2.0."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from lanventory.collect.files import read_texts
from lanventory.sources import kea_api
from lanventory.sources.observation import SourceText
from tests.conftest import SAMPLE_NOW, fixture_path

LAB: dict[str, Any] = json.loads(fixture_path("kea-api", "lab-kea-2.2.0.scenario.json").read_text())
LAB_NOW = datetime.fromtimestamp(LAB["now"], UTC)


def texts(*names: str) -> list[SourceText]:
    return read_texts([fixture_path("kea-api", name) for name in names])


def summary(inputs: list[SourceText], now: datetime = SAMPLE_NOW) -> dict[str, tuple[Any, ...]]:
    result = kea_api.parse(inputs, now)
    assert result.error is None and result.complete
    return {str(o.ip): (o.mac, o.hostname, o.active) for o in result.observations}


def test_shared_sample_over_the_unix_socket() -> None:
    inputs = texts("shared-sample-kea-3.3-lease4-get-all.unix-socket.json")
    assert summary(inputs) == {
        "192.168.1.23": ("3c:22:fb:12:34:56", "macbook-air", True),
        "192.168.1.64": ("a4:cf:12:01:02:03", "Kitchen Display, 2nd gen", True),
        "192.168.1.77": ("00:0c:29:90:07:e9", None, False),  # expired-reclaimed
    }
    result = kea_api.parse(inputs, SAMPLE_NOW)
    assert result.skipped_by_reason() == {"declined": 1} and result.lines == 4
    assert result.skipped[0].where.endswith("unix-socket.json:leases[2]")
    by_ip = {o.ip: o for o in result.observations}
    macbook = by_ip["192.168.1.23"]
    assert macbook.seen_at == datetime.fromtimestamp(1795415400, UTC)  # cltt
    assert (macbook.client_id, macbook.subnet_id, macbook.source) == (
        "01:3c:22:fb:12:34:56",
        1,
        "kea-api",
    )


def test_shared_sample_over_http_is_list_wrapped() -> None:
    inputs = texts("shared-sample-kea-3.3-lease4-get-page.http.json")
    assert summary(inputs) == {
        "192.168.1.23": ("3c:22:fb:12:34:56", "macbook-air", True),
        "192.168.1.57": ("b8:27:eb:aa:bb:cc", "pihole.home.arpa.", True),
    }


def test_result_3_is_an_empty_complete_answer() -> None:
    result = kea_api.parse(texts("shared-sample-kea-3.3-lease4-get-all.empty.json"), SAMPLE_NOW)
    assert (result.error, result.complete, result.observations, result.lines) == (
        None,
        True,
        [],
        0,
    )


def expected_lab() -> dict[str, tuple[Any, ...]]:
    return {
        e["ip"]: (e["mac"], e["hostname"], e["active"]) for e in LAB["expected"]["observations"]
    }


@pytest.mark.parametrize("key", ["get_all_unix", "get_all_http", "pages_unix"])
def test_real_kea_220_answers(key: str) -> None:
    names = LAB["files"][key]
    inputs = texts(*(names if isinstance(names, list) else [names]))
    assert summary(inputs, LAB_NOW) == expected_lab()
    result = kea_api.parse(inputs, LAB_NOW)
    assert result.skipped_by_reason() == LAB["expected"]["skipped"]
    seen = {o.ip: (int(o.seen_at.timestamp()), o.subnet_id) for o in result.observations}
    assert seen == {
        e["ip"]: (e["seen_at"], e["subnet_id"]) for e in LAB["expected"]["observations"]
    }


@pytest.mark.parametrize("key", ["empty_unix", "empty_http"])
def test_real_kea_220_empty_server(key: str) -> None:
    assert summary(texts(LAB["files"][key]), LAB_NOW) == {}


def test_real_kea_220_without_lease_cmds() -> None:
    result = kea_api.parse(texts(LAB["files"]["no_hook_unix"]), LAB_NOW)
    assert result.error is not None
    assert "'lease4-get-all' command not supported" in result.error
    assert "libdhcp_lease_cmds.so" in result.error


def answer(*leases: dict[str, Any], result: int = 0, wrap: bool = False) -> SourceText:
    body: Any = {"result": result, "text": "x", "arguments": {"leases": list(leases)}}
    return SourceText("api", json.dumps([body] if wrap else body))


def lease(ip: str = "10.0.0.5", mac: str = "00:16:3e:00:00:05", **extra: Any) -> dict[str, Any]:
    return {
        "ip-address": ip,
        "hw-address": mac,
        "cltt": 1795415400,
        "valid-lft": 3600,
        "subnet-id": 7,
        "state": 0,
        "hostname": "",
        **extra,
    }


def test_the_same_address_in_a_later_page_wins() -> None:
    first = answer(lease(hostname="old"), lease("10.0.0.6", "00:16:3e:00:00:06"))
    second = answer(lease(mac="00:16:3e:00:00:55", hostname="new"))
    result = kea_api.parse([first, second], SAMPLE_NOW)
    assert {o.ip: (o.mac, o.hostname) for o in result.observations} == {
        "10.0.0.5": ("00:16:3e:00:00:55", "new"),
        "10.0.0.6": ("00:16:3e:00:00:06", None),
    }


@pytest.mark.parametrize(
    ("state", "cltt", "valid", "active"),
    [
        (0, 1795415400, 3600, True),
        (0, 1795413600, 3600, False),  # expire == now: expired
        (0, 1000, 4294967295, True),  # infinite
        (2, 1795415400, 3600, False),
        (3, 1795415400, 3600, False),
        (4, 1795415400, 3600, False),
    ],
)
def test_activity_follows_the_lease_file_rule(
    state: int, cltt: int, valid: int, active: bool
) -> None:
    entry = lease(state=state, cltt=cltt)
    entry["valid-lft"] = valid
    result = kea_api.parse([answer(entry)], SAMPLE_NOW)
    assert [o.active for o in result.observations] == [active]


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ({"hw-address": ""}, "no-hwaddr"),
        ({"hw-address": "01:00:5e:00:00:01"}, "invalid-mac (multicast)"),
        ({"ip-address": "999.0.0.1"}, "bad-address"),
        ({"cltt": "1795415400"}, "bad-field (cltt)"),
        ({"valid-lft": True}, "bad-field (valid-lft)"),
        ({"state": None}, "bad-field (state)"),
        ({"hostname": 5}, "bad-field (hostname)"),
        ({"state": 1}, "declined"),
    ],
)
def test_bad_leases_are_skipped_with_a_reason(entry: dict[str, Any], reason: str) -> None:
    good = lease("10.0.0.2", "00:16:3e:00:00:02")
    result = kea_api.parse([answer(lease(**entry), good)], SAMPLE_NOW)
    assert [o.ip for o in result.observations] == ["10.0.0.2"]
    assert result.skipped_by_reason() == {reason: 1}
    assert result.error is None and result.complete


def test_missing_keys_and_non_objects_are_skipped() -> None:
    broken = lease()
    del broken["subnet-id"]
    result = kea_api.parse([answer(broken, "10.0.0.9", lease("10.0.0.2"))], SAMPLE_NOW)  # type: ignore[arg-type]
    assert result.skipped_by_reason() == {"missing-field (subnet-id)": 1, "not-a-lease": 1}
    assert [o.ip for o in result.observations] == ["10.0.0.2"]


def test_optional_keys_may_be_absent() -> None:
    bare = {k: v for k, v in lease().items() if k not in ("state", "hostname")}
    result = kea_api.parse([answer(bare, wrap=True)], SAMPLE_NOW)
    (obs,) = result.observations
    assert (obs.active, obs.hostname, obs.client_id) == (True, None, None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "api: not a Kea answer: invalid JSON"),
        ("{ leases", "api: not a Kea answer: invalid JSON"),
        ("[]", "api: not a Kea answer: an empty list"),
        ('{"leases": []}', "api: not a Kea answer: no integer 'result'"),
        ('"hello"', "api: not a Kea answer"),
        ('{"result": 0, "arguments": {}}', "api: not a lease list"),
        ('{"result": 1, "text": "boom"}', "api: Kea answered with an error (result 1): boom"),
        ('[{"result": 2, "text": "no"}]', "api: Kea does not support the command (no)"),
    ],
)
def test_answers_that_fail_the_run(text: str, message: str) -> None:
    result = kea_api.parse([SourceText("api", text)], SAMPLE_NOW)
    assert result.error is not None and result.error.startswith(message)
    assert result.observations == []


def test_a_failed_page_fails_the_run_even_after_good_pages() -> None:
    good = answer(lease())
    result = kea_api.parse([good, SourceText("page 2", '{"result": 1, "text": "x"}')], SAMPLE_NOW)
    assert result.error is not None and result.error.startswith("page 2:")
    assert result.observations == []


def test_a_multi_service_answer_uses_the_first() -> None:
    body = [
        {"result": 0, "text": "x", "arguments": {"leases": [lease()]}},
        {"result": 1, "text": "dhcp6 not configured"},
    ]
    result = kea_api.parse([SourceText("api", json.dumps(body))], SAMPLE_NOW)
    assert result.error is None and [o.ip for o in result.observations] == ["10.0.0.5"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("cltt", 10**20),
        ("cltt", -1),
        ("valid-lft", 2**32),
        ("valid-lft", -3600),
        ("subnet-id", 2**63),
    ],
)
def test_a_number_out_of_keas_range_is_a_bad_field(key: str, value: int) -> None:
    # Found by tests/properties/: a cltt that fits no date raised OverflowError.
    lease = {
        "cltt": 1795415400,
        "hw-address": "3c:22:fb:12:34:56",
        "ip-address": "192.168.1.23",
        "subnet-id": 1,
        "valid-lft": 3600,
        key: value,
    }
    answer = json.dumps({"arguments": {"leases": [lease]}, "result": 0})
    result = kea_api.parse([SourceText("answer", answer)], SAMPLE_NOW)
    assert result.error is None and result.observations == []
    assert result.skipped_by_reason() == {f"bad-field ({key})": 1}
