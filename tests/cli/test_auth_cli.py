"""`lanventory passwd` and `lanventory token create|list|revoke`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select

from lanventory.cli import main
from lanventory.store.credentials import token_principal, verify_owner_password
from lanventory.store.tables import api_tokens

Invoke = Callable[..., tuple[int, str]]


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.setenv("LANVENTORY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LANVENTORY_CONFIG", str(tmp_path / "none.toml"))
    (tmp_path / "none.toml").write_text("")
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None) -> tuple[int, str]:
        result = runner.invoke(main, ["--db", db_url, *args], input=stdin, catch_exceptions=False)
        return result.exit_code, result.output

    return invoke


def _is_password(engine: Engine, password: str) -> bool:
    with engine.begin() as connection:
        return verify_owner_password(connection, password)


def test_passwd_prompts_twice_without_echo(cli: Invoke, engine: Engine) -> None:
    code, out = cli("passwd", stdin="a good passphrase\na good passphrase\n")
    assert code == 0, out
    assert "a good passphrase" not in out
    assert out.count("owner password") >= 2 and "owner password set" in out
    assert _is_password(engine, "a good passphrase")


def test_passwd_repeats_the_prompt_when_the_two_differ(cli: Invoke, engine: Engine) -> None:
    code, out = cli("passwd", stdin="first try!\nsecond try\nthird time\nthird time\n")
    assert code == 0 and "do not match" in out
    assert _is_password(engine, "third time")


def test_passwd_from_stdin(cli: Invoke, engine: Engine) -> None:
    code, out = cli("passwd", "--password-stdin", stdin="from a secret store\n")
    assert code == 0, out
    assert _is_password(engine, "from a secret store")


def test_passwd_refuses_a_short_password(cli: Invoke, engine: Engine) -> None:
    code, out = cli("passwd", "--password-stdin", stdin="short\n")
    assert code == 1 and "too short" in out
    assert not _is_password(engine, "short")


def test_a_token_is_printed_once_and_works(cli: Invoke, engine: Engine) -> None:
    code, out = cli("token", "create", "backup")
    assert code == 0
    token = out.strip()
    assert token.startswith("lv_")
    with engine.connect() as connection:
        assert token_principal(connection, token, datetime.now(UTC)) is not None
        stored = connection.execute(select(api_tokens.c.token_hash)).scalar_one()
    code, listing = cli("token", "list")
    assert code == 0
    assert token not in listing and stored not in listing
    header, row = listing.splitlines()
    assert header.split() == ["NAME", "KIND", "NETWORKS", "CREATED", "LAST", "USED", "REVOKED"]
    assert row.split()[:3] == ["backup", "owner", "all"] and row.split()[-1] == "-"


def test_an_agent_token_is_scoped_to_its_networks(cli: Invoke, engine: Engine) -> None:
    code, out = cli("token", "create", "site-b", "--agent", "--networks", "lan, iot,lan")
    assert code == 0, out
    token = out.strip().splitlines()[-1]
    with engine.connect() as connection:
        info = token_principal(connection, token, datetime.now(UTC))
    assert info is not None and info.kind == "agent" and info.networks == ["iot", "lan"]
    assert "not configured here yet" in out  # no config names lan or iot
    _, listing = cli("token", "list")
    assert listing.splitlines()[1].split()[:3] == ["site-b", "agent", "iot,lan"]


def test_agent_token_options_are_checked(cli: Invoke) -> None:
    code, out = cli("token", "create", "x", "--agent")
    assert code == 2 and "needs --networks" in out
    code, out = cli("token", "create", "x", "--networks", "lan")
    assert code == 2 and "add --agent" in out
    code, out = cli("token", "create", "x", "--agent", "--networks", "LAN!")
    assert code == 2 and "not a slug" in out


def test_token_names_are_unique(cli: Invoke) -> None:
    cli("token", "create", "backup")
    code, out = cli("token", "create", "backup")
    assert code == 1 and "already exists" in out


def test_revoke(cli: Invoke, engine: Engine) -> None:
    _, out = cli("token", "create", "old")
    code, message = cli("token", "revoke", "old")
    assert code == 0 and "token 'old' revoked at" in message
    with engine.connect() as connection:
        assert token_principal(connection, out.strip(), datetime.now(UTC)) is None
    _, listing = cli("token", "list")
    assert listing.splitlines()[1].split()[-1] != "-"
    code, out = cli("token", "revoke", "missing")
    assert code == 1 and "no token named 'missing'" in out


def test_an_empty_list_says_how_to_create_one(cli: Invoke) -> None:
    code, out = cli("token", "list")
    assert code == 0 and "lanventory token create" in out
