"""`lanventory adopt`: adopt a rotated MAC from the command line, and undo it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from lanventory.cli import main
from tests.conftest import fixture_path

OLD, NEW = "9a:11:22:33:44:55", "ae:3f:91:6b:20:c4"
BEFORE = fixture_path("dnsmasq", "handmade-rotation-before-dnsmasq-2.90.leases")
AFTER = fixture_path("dnsmasq", "handmade-rotation-after-dnsmasq-2.90.leases")


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LANVENTORY_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "none.toml").write_text("")
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        config = ["--config", str(tmp_path / "none.toml"), "--db", db_url]
        result = runner.invoke(main, [*config, *args], catch_exceptions=False)
        return result.exit_code, result.output

    return invoke


def test_adopt_and_undo(cli) -> None:
    for path, at in ((BEFORE, "2026-11-23T09:00:00Z"), (AFTER, "2026-11-23T09:40:00Z")):
        code, out = cli("ingest", "dnsmasq", str(path), "--network", "lan", "--now", at)
        assert code == 0, out
    code, out = cli("edit", "lan", OLD, "--name", "Anna's iPhone", "--status", "known")
    assert code == 0, out
    code, out = cli("adopt", "lan", NEW.replace(":", "-").upper(), OLD)
    assert code == 0, out
    assert out.splitlines() == [f"lan {NEW}: adopted {OLD}", "  name Anna's iPhone, status known"]
    code, out = cli("adopt", "lan", NEW, OLD)
    assert code == 1 and f"no device {OLD}" in out
    code, out = cli("adopt", "--undo", "lan", NEW)
    assert code == 0 and out.splitlines() == [
        f"lan {NEW}: the latest adoption is undone",
        "  name (no name), status new",
    ]
    code, out = cli("adopt", "--undo", "lan", NEW)
    assert code == 1 and "has adopted no device" in out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("lan", NEW), "give OLD_MAC to adopt, or --undo"),
        (("--undo", "lan", NEW, OLD), "give OLD_MAC to adopt, or --undo"),
        (("lan", NEW, "nonsense"), "OLD_MAC"),
        (("Not A Slug", NEW, OLD), "slug"),
    ],
)
def test_usage_errors(cli, args: tuple[str, ...], words: str) -> None:
    code, out = cli("adopt", *args)
    assert code == 2 and words in out
