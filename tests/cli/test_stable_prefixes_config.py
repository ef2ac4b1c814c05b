"""``stable_mac_prefixes`` in the config file: the effective list, and `config check`'s messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from lanventory.cli import main
from lanventory.config import Settings, load_settings
from lanventory.stable_macs import DEFAULT_STABLE_PREFIXES, StablePrefix


def check(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--config", str(path), "config", "check"])
    return result.exit_code, result.output


def test_without_the_setting_the_defaults_apply() -> None:
    assert Settings().policy.stable_mac_prefixes == DEFAULT_STABLE_PREFIXES


def test_the_owners_entries_extend_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "lanventory.toml"
    path.write_text('stable_mac_prefixes = ["A2-B4-C6 mesh repeater", "!02:42"]\n')
    found = load_settings(path).policy.stable_mac_prefixes
    assert StablePrefix("a2:b4:c6", "mesh repeater") in found
    assert [p.prefix for p in found] == ["52:54:00", "0a:00:27", "aa:00:04:00", "a2:b4:c6"]
    code, out = check(path)
    assert code == 0 and ": ok" in out


def test_the_environment_overrides_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANVENTORY_STABLE_MAC_PREFIXES", '["06:00:01 lab"]')
    found = Settings().policy.stable_mac_prefixes
    assert found == (*DEFAULT_STABLE_PREFIXES, StablePrefix("06:00:01", "lab"))


def test_every_bad_entry_is_printed_with_its_location(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        'stable_mac_prefixes = ["06:00:01 fine", "00:15:5d Hyper-V", "01:00:5e", "vm", '
        '"!06:00:01", 525400]\n'
    )
    code, out = check(path)
    assert code == 1
    for line in [
        "stable_mac_prefixes[1]: '00:15:5d' is universally administered (the 0x02 bit of its "
        "first octet is clear): such MACs are never treated as randomized, so it need not be "
        "listed",
        "stable_mac_prefixes[2]: '01:00:5e' is a multicast prefix",
        "stable_mac_prefixes[3]: 'vm' is not a MAC prefix: write 1 to 6 octets, e.g. 52:54:00",
        "stable_mac_prefixes[4]: '!06:00:01' drops nothing: 06:00:01 is not a built-in prefix",
        "stable_mac_prefixes[5]: Input should be a valid string",
    ]:
        assert line in out, line
    assert "stable_mac_prefixes[0]" not in out


def test_a_single_string_is_not_a_list(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('stable_mac_prefixes = "52:54:00"\n')
    code, out = check(path)
    assert code == 1 and "stable_mac_prefixes: Input should be a valid list" in out
