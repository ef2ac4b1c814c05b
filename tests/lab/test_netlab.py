"""Self-test of the namespace lab: Kea hands out leases, arp-scan sees every device."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from .netlab import Lab, iter_lab_namespaces, lab_available

pytestmark = pytest.mark.lab

MACS = {
    "xen1": "00:16:3e:00:00:01",
    "xen2": "00:16:3e:00:00:02",
    "rand": "ae:3f:91:00:00:01",  # locally administered
}


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    reason = lab_available()
    if reason is not None:
        pytest.skip(reason)
    with Lab(tmp_path) as lab:
        yield lab


def test_dhcp_and_arp_scan(lab: Lab) -> None:
    devices = [lab.add_device(name, mac) for name, mac in MACS.items()]
    kea = lab.start_kea()

    leased = {d.mac: d.dhcp() for d in devices}
    assert all(ip is not None for ip in leased.values()), leased
    assert len(set(leased.values())) == len(devices)

    lease_text = kea.leases_text()
    assert lease_text.startswith("address,hwaddr,client_id,valid_lifetime,expire,subnet_id,")
    rows = {(r["hwaddr"], r["address"]) for r in kea.rows()}
    for mac, ip in leased.items():
        assert mac in lease_text
        assert (mac, ip) in rows

    out = lab.arp_scan()
    for mac, ip in leased.items():
        assert re.search(rf"^{re.escape(str(ip))}\t{mac}\t", out, re.MULTILINE), out
    last = out.rstrip("\n").splitlines()[-1]
    assert re.match(
        rf"^Ending arp-scan \S+: 256 hosts scanned in .* {len(devices)} responded$", last
    ), last


def test_cleanup_removes_namespaces(tmp_path: Path) -> None:
    reason = lab_available()
    if reason is not None:
        pytest.skip(reason)
    with pytest.raises(RuntimeError, match="boom"):
        with Lab(tmp_path) as lab:
            lab.add_device("pc", "00:16:3e:00:00:09", ip="198.18.0.9")
            lab.start_kea()
            owned = lab.namespaces()
            assert len(owned) == 2
            raise RuntimeError("boom")
    assert lab.kea is not None and not lab.kea.running
    assert not set(owned) & set(iter_lab_namespaces())
