"""The owner's credentials: the password, API tokens and login sessions.

Only hashes are stored: an argon2 hash of the password, SHA-256 digests of
tokens and session cookies. The clear values are returned once, when created,
and never logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, Engine, delete, insert, select, update

from lanventory.auth.passwords import generate_password, hash_password, verify_password
from lanventory.auth.tokens import check_token_name, digest, new_api_token, new_secret
from lanventory.store.tables import api_tokens, owner, sessions

TokenKind = Literal["owner", "agent"]

#: ``last_used_at`` of a token is refreshed at most this often.
TOUCH_EVERY = timedelta(minutes=1)


class TokenError(Exception):
    """A token operation that cannot be done; the message says why."""


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """An API token as listed: everything but its secret and its hash."""

    name: str
    kind: TokenKind
    networks: list[str] | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """A login session: its CSRF token and when it ends."""

    csrf: str
    created_at: datetime
    expires_at: datetime


# The owner password ---------------------------------------------------------


def _store_hash(connection: Connection, password_hash: str, now: datetime) -> None:
    found = connection.execute(select(owner.c.id).where(owner.c.id == 1)).first()
    values = {"password_hash": password_hash, "updated_at": now}
    if found is None:
        connection.execute(insert(owner).values(id=1, **values))
    else:
        connection.execute(update(owner).where(owner.c.id == 1).values(**values))


def has_owner_password(connection: Connection) -> bool:
    """Whether an owner password is set."""
    return connection.execute(select(owner.c.id).where(owner.c.id == 1)).first() is not None


def ensure_owner_password(engine: Engine, now: datetime) -> str | None:
    """Set a generated password if none is set and return it (the only time it is shown)."""
    with engine.begin() as connection:
        if has_owner_password(connection):
            return None
        password = generate_password()
        _store_hash(connection, hash_password(password), now)
    return password


def set_owner_password(engine: Engine, password: str, now: datetime) -> None:
    """Replace the owner password; every login session ends (API tokens stay valid)."""
    password_hash = hash_password(password)
    with engine.begin() as connection:
        _store_hash(connection, password_hash, now)
        connection.execute(delete(sessions))


def verify_owner_password(connection: Connection, password: str) -> bool:
    """Whether ``password`` is the owner's; an outdated hash is upgraded on ``connection``."""
    stored = connection.execute(select(owner.c.password_hash).where(owner.c.id == 1)).scalar()
    if stored is None:
        return False
    ok, new_hash = verify_password(stored, password)
    if new_hash is not None:
        connection.execute(update(owner).where(owner.c.id == 1).values(password_hash=new_hash))
    return ok


# API tokens -----------------------------------------------------------------


def _token_info(row: Any) -> TokenInfo:
    return TokenInfo(
        name=row.name,
        kind=row.kind,
        networks=row.networks,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


_INFO_COLUMNS = (
    api_tokens.c.name,
    api_tokens.c.kind,
    api_tokens.c.networks,
    api_tokens.c.created_at,
    api_tokens.c.last_used_at,
    api_tokens.c.revoked_at,
)


def create_token(
    engine: Engine,
    name: str,
    now: datetime,
    *,
    kind: TokenKind = "owner",
    networks: list[str] | None = None,
) -> str:
    """Create the token ``name`` and return its secret: this is the only time it exists in clear."""
    try:
        check_token_name(name)
    except ValueError as error:
        raise TokenError(str(error)) from None
    token = new_api_token()
    with engine.begin() as connection:
        taken = connection.execute(
            select(api_tokens.c.revoked_at).where(api_tokens.c.name == name)
        ).first()
        if taken is not None:
            state = "a revoked token keeps its name" if taken.revoked_at else "it is in use"
            raise TokenError(
                f"a token named {name!r} already exists ({state}): choose another name"
            )
        connection.execute(
            insert(api_tokens).values(
                name=name, token_hash=digest(token), kind=kind, networks=networks, created_at=now
            )
        )
    return token


def list_tokens(connection: Connection) -> list[TokenInfo]:
    """Every token, oldest first, revoked ones included."""
    rows = connection.execute(
        select(*_INFO_COLUMNS).order_by(api_tokens.c.created_at, api_tokens.c.id)
    )
    return [_token_info(row) for row in rows]


def revoke_token(engine: Engine, name: str, now: datetime) -> TokenInfo:
    """Revoke the token ``name`` at once; revoking it again changes nothing."""
    with engine.begin() as connection:
        connection.execute(
            update(api_tokens)
            .where(api_tokens.c.name == name, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        row = connection.execute(select(*_INFO_COLUMNS).where(api_tokens.c.name == name)).first()
    if row is None:
        raise TokenError(f"no token named {name!r} (see `lanventory token list`)")
    return _token_info(row)


def token_principal(connection: Connection, token: str, now: datetime) -> TokenInfo | None:
    """The valid token ``token`` is; None if unknown or revoked.

    Read-only: when its ``last_used_at`` is older than :data:`TOUCH_EVERY`
    (see :func:`needs_touch`), the caller records the use with :func:`touch_token`.
    """
    del now  # tokens do not expire; revocation is immediate
    row = connection.execute(
        select(*_INFO_COLUMNS).where(api_tokens.c.token_hash == digest(token))
    ).first()
    if row is None or row.revoked_at is not None:
        return None
    return _token_info(row)


def needs_touch(info: TokenInfo, now: datetime) -> bool:
    """Whether the use of ``info`` at ``now`` should be written down."""
    return info.last_used_at is None or now - info.last_used_at >= TOUCH_EVERY


def touch_token(engine: Engine, name: str, now: datetime) -> None:
    """Record that the token ``name`` was used at ``now``."""
    with engine.begin() as connection:
        connection.execute(
            update(api_tokens).where(api_tokens.c.name == name).values(last_used_at=now)
        )


# Login sessions -------------------------------------------------------------


def create_session(engine: Engine, now: datetime, days: float) -> tuple[str, str]:
    """Open a session lasting ``days``: its cookie token and CSRF token (expired ones go)."""
    token, csrf = new_secret(), new_secret()
    with engine.begin() as connection:
        connection.execute(delete(sessions).where(sessions.c.expires_at <= now))
        connection.execute(
            insert(sessions).values(
                token_hash=digest(token),
                csrf=csrf,
                created_at=now,
                expires_at=now + timedelta(days=days),
            )
        )
    return token, csrf


def session_for(connection: Connection, token: str, now: datetime) -> SessionInfo | None:
    """The live session of the cookie ``token``; None if unknown or expired."""
    row = connection.execute(
        select(sessions.c.csrf, sessions.c.created_at, sessions.c.expires_at).where(
            sessions.c.token_hash == digest(token)
        )
    ).first()
    if row is None or row.expires_at <= now:
        return None
    return SessionInfo(csrf=row.csrf, created_at=row.created_at, expires_at=row.expires_at)


def delete_session(engine: Engine, token: str) -> None:
    """End the session of the cookie ``token`` (nothing if there is none)."""
    with engine.begin() as connection:
        connection.execute(delete(sessions).where(sessions.c.token_hash == digest(token)))
