"""Password hashing for dashboard users (argon2id); storage only keeps the hash."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of a password."""
    return str(_hasher().hash(password))


def verify_password(password_hash: str, password: str) -> bool:
    """True if the password matches the hash; False for a mismatch or an unreadable hash."""
    try:
        return bool(_hasher().verify(password_hash, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True if the hash was made with weaker parameters than the current ones."""
    return bool(_hasher().check_needs_rehash(password_hash))
