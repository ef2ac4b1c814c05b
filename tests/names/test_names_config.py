"""The ``[networks.names]`` table: its checks, and the job the server plans from it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from lanventory.cli import main
from lanventory.network_config import NAMES_SCHEDULE, NetworkConfig
from lanventory.service.jobs import plan_jobs


def network(**names: Any) -> NetworkConfig:
    return NetworkConfig.model_validate(
        {"name": "lan", "cidr": "198.18.0.0/24", "interface": "br0", "names": names}
    )


def test_defaults() -> None:
    config = network(resolver="198.18.1.2").names
    assert config is not None
    assert (str(config.resolver), config.reverse_dns, config.mdns) == ("198.18.1.2", True, True)
    assert (config.schedule, config.timeout, config.browse_seconds) == (NAMES_SCHEDULE, 2.0, 3.0)


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ({}, "reverse_dns needs 'resolver'"),
        ({"resolver": "router.lan"}, "not a valid IPv4 address"),
        ({"resolver": "198.18.1.2", "schedule": "often"}, "not a cron expression"),
        ({"resolver": "198.18.1.2", "timeout": 0}, "greater than 0"),
        ({"resolver": "198.18.1.2", "extra": 1}, "Extra inputs are not permitted"),
    ],
)
def test_problems_are_named(given: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        network(**given)


def test_mdns_needs_the_interface() -> None:
    base = {"name": "lan", "cidr": "198.18.0.0/24"}
    with pytest.raises(ValidationError, match="mDNS names need the network's 'interface'"):
        NetworkConfig.model_validate({**base, "names": {"resolver": "198.18.1.2"}})
    only_dns = {**base, "names": {"resolver": "198.18.1.2", "mdns": False}}
    assert NetworkConfig.model_validate(only_dns).names is not None
    assert NetworkConfig.model_validate(
        {**base, "names": {"reverse_dns": False, "mdns": False}}
    ).names


def test_the_server_plans_a_names_job_and_the_agent_does_not() -> None:
    start = datetime(2026, 12, 5, 12, 1, tzinfo=UTC)
    nets = [network(resolver="198.18.1.2", schedule="*/5 * * * *")]
    assert plan_jobs(nets, start) == []
    (job,) = plan_jobs(nets, start, names=True)
    assert (job.key, job.kind, job.schedule) == ("lan/names", "names", "*/5 * * * *")
    assert job.due == datetime(2026, 12, 5, 12, 5, tzinfo=UTC)
    # Its runs are recorded under each lookup's own source, as the status page looks for them.
    assert job.run_sources == ("reverse-dns", "mdns")
    (mdns_only,) = plan_jobs([network(reverse_dns=False)], start, names=True)
    assert mdns_only.run_sources == ("mdns",)


def test_the_command_needs_a_names_table(tmp_path: Any) -> None:
    config = tmp_path / "lanventory.toml"
    config.write_text('[[networks]]\nname = "lan"\ncidr = "198.18.0.0/24"\n')
    result = CliRunner().invoke(
        main, ["--db", f"sqlite:///{tmp_path / 'db'}", "--config", str(config), "names"]
    )
    assert result.exit_code == 1
    assert "no network to name: add a [networks.names] table" in result.output
