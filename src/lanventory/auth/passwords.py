"""The owner password: argon2 hashes, and a strong one generated when none is set."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

#: Argon2id with the library's recommended parameters (RFC 9106, low-memory profile).
_HASHER = PasswordHasher()

#: Shortest password ``lanventory passwd`` accepts.
MIN_LENGTH = 8


def generate_password() -> str:
    """A random password, 24 URL-safe characters (144 bits)."""
    return secrets.token_urlsafe(18)


def check_password(password: str) -> str:
    """``password`` if acceptable as the owner password; ValueError says why not."""
    if len(password) < MIN_LENGTH:
        raise ValueError(f"the password is too short: use at least {MIN_LENGTH} characters")
    if password != password.strip():
        raise ValueError("the password starts or ends with white space")
    return password


def hash_password(password: str) -> str:
    """The argon2 hash of ``password`` (salted; its own parameters inside)."""
    return _HASHER.hash(password)


def verify_password(stored: str, password: str) -> tuple[bool, str | None]:
    """Whether ``password`` matches ``stored``; and a new hash when the parameters changed."""
    try:
        _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False, None
    if _HASHER.check_needs_rehash(stored):
        return True, _HASHER.hash(password)
    return True, None
