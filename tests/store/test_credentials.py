"""Owner credentials in the database: only hashes stored, tokens revocable, sessions expiring."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select, update

from lanventory.auth.passwords import check_password
from lanventory.auth.ratelimit import FailureLimiter
from lanventory.auth.tokens import digest
from lanventory.store.credentials import (
    TokenError,
    create_session,
    create_token,
    delete_session,
    ensure_owner_password,
    list_tokens,
    needs_touch,
    revoke_token,
    session_for,
    set_owner_password,
    token_principal,
    touch_token,
    verify_owner_password,
)
from lanventory.store.tables import api_tokens, owner, sessions
from tests.conftest import SAMPLE_NOW

NOW = SAMPLE_NOW


def _verify(engine: Engine, password: str) -> bool:
    with engine.begin() as connection:
        return verify_owner_password(connection, password)


def test_a_password_is_generated_once(engine: Engine) -> None:
    assert not _verify(engine, "anything at all")
    generated = ensure_owner_password(engine, NOW)
    assert generated is not None and len(generated) >= 24
    assert ensure_owner_password(engine, NOW) is None
    assert _verify(engine, generated)
    with engine.connect() as connection:
        stored = connection.execute(select(owner.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and generated not in stored


def test_setting_the_password_replaces_it(engine: Engine) -> None:
    ensure_owner_password(engine, NOW)
    set_owner_password(engine, "the owner's own choice", NOW)
    assert _verify(engine, "the owner's own choice")
    assert not _verify(engine, "the owner's own choic")
    assert ensure_owner_password(engine, NOW) is None


def test_an_outdated_hash_is_upgraded_on_login(engine: Engine) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("old but gold!")
    set_owner_password(engine, "placeholder", NOW)
    with engine.begin() as connection:
        connection.execute(update(owner).values(password_hash=weak))
    assert _verify(engine, "old but gold!")
    with engine.connect() as connection:
        upgraded = connection.execute(select(owner.c.password_hash)).scalar_one()
    assert upgraded != weak and _verify(engine, "old but gold!")


@pytest.mark.parametrize(
    ("password", "problem"), [("short", "too short"), (" padded password ", "white space")]
)
def test_weak_passwords_are_refused(password: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        check_password(password)


def test_a_token_is_stored_only_as_its_digest(engine: Engine) -> None:
    token = create_token(engine, "backup-script", NOW)
    assert token.startswith("lv_") and len(token) > 40
    with engine.connect() as connection:
        row = connection.execute(select(api_tokens)).one()
        assert row.token_hash == digest(token) and token not in str(tuple(row))
        info = token_principal(connection, token, NOW)
        assert token_principal(connection, token + "x", NOW) is None
    assert info is not None and (info.name, info.kind) == ("backup-script", "owner")


def test_token_names_are_unique_and_checked(engine: Engine) -> None:
    create_token(engine, "ci", NOW)
    with pytest.raises(TokenError, match="already exists"):
        create_token(engine, "ci", NOW)
    with pytest.raises(TokenError, match="invalid token name"):
        create_token(engine, "two words", NOW)
    revoke_token(engine, "ci", NOW)
    with pytest.raises(TokenError, match="a revoked token keeps its name"):
        create_token(engine, "ci", NOW)


def test_revoking_is_immediate_and_idempotent(engine: Engine) -> None:
    token = create_token(engine, "ci", NOW)
    first = revoke_token(engine, "ci", NOW + timedelta(hours=1))
    again = revoke_token(engine, "ci", NOW + timedelta(hours=2))
    assert first.revoked_at == again.revoked_at == NOW + timedelta(hours=1)
    with engine.connect() as connection:
        assert token_principal(connection, token, NOW) is None
    with pytest.raises(TokenError, match="no token named 'nope'"):
        revoke_token(engine, "nope", NOW)


def test_tokens_are_listed_oldest_first_with_their_use(engine: Engine) -> None:
    create_token(engine, "a", NOW)
    create_token(engine, "b", NOW + timedelta(minutes=1), kind="agent", networks=["lan"])
    touch_token(engine, "a", NOW + timedelta(minutes=5))
    with engine.connect() as connection:
        listed = list_tokens(connection)
    assert [(t.name, t.kind, t.networks) for t in listed] == [
        ("a", "owner", None),
        ("b", "agent", ["lan"]),
    ]
    assert listed[0].last_used_at == NOW + timedelta(minutes=5)
    assert needs_touch(listed[1], NOW) and not needs_touch(listed[0], NOW + timedelta(minutes=5))


def test_sessions_expire_and_end(engine: Engine) -> None:
    token, csrf = create_session(engine, NOW, days=1)
    with engine.connect() as connection:
        found = session_for(connection, token, NOW + timedelta(hours=23))
        assert found is not None and found.csrf == csrf
        assert session_for(connection, token, NOW + timedelta(days=1)) is None
        assert session_for(connection, csrf, NOW) is None
    delete_session(engine, token)
    with engine.connect() as connection:
        assert session_for(connection, token, NOW) is None


def test_expired_sessions_are_swept_when_a_new_one_opens(engine: Engine) -> None:
    create_session(engine, NOW, days=1)
    create_session(engine, NOW + timedelta(days=2), days=1)
    with engine.connect() as connection:
        assert len(connection.execute(select(sessions)).all()) == 1


def test_the_limiter_slides_and_keeps_keys_apart() -> None:
    now = [0.0]
    limiter = FailureLimiter(2, 60.0, clock=lambda: now[0])
    limiter.fail("a")
    now[0] = 10.0
    limiter.fail("a")
    limiter.fail("b")
    assert limiter.retry_after("a") == 50 and limiter.retry_after("b") is None
    now[0] = 60.0  # the first failure left the window
    assert limiter.retry_after("a") is None
    limiter.fail("a")
    assert limiter.retry_after("a") == 10
    limiter.clear("b")
    assert limiter.retry_after("a") == 10


def test_the_limiter_stays_bounded() -> None:
    now = [0.0]
    limiter = FailureLimiter(1, 60.0, clock=lambda: now[0], max_keys=3)
    for key in "abc":
        limiter.fail(key)
    now[0] = 30.0
    limiter.fail("d")  # full of live keys: the oldest goes
    assert limiter.retry_after("a") is None and limiter.retry_after("d") == 60
    now[0] = 100.0
    limiter.fail("e")  # the expired ones go first
    assert [limiter.retry_after(k) for k in "bcde"] == [None, None, None, 60]
