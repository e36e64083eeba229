"""Password hashing for dashboard users (argon2id); storage only keeps the hash.

The CLI (`yuqing user add`, the demo) and the dashboard (sign-in, user administration) both use these.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher: PasswordHasher | None = None


def _password_hasher() -> PasswordHasher:
    # Built on first use so importing this module costs nothing.
    global _hasher
    if _hasher is None:
        _hasher = PasswordHasher()
    return _hasher


def hash_password(password: str) -> str:
    """An argon2id hash of a password (the encoded hash carries its own salt and parameters)."""
    if not password:
        raise ValueError("密码不能为空 / empty password")
    return str(_password_hasher().hash(password))


def verify_password(password_hash: str, password: str) -> bool:
    """True if the password matches the hash; False for a mismatch, an empty value or an unreadable hash."""
    if not password_hash or not password:
        return False
    try:
        return bool(_password_hasher().verify(password_hash, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True if the hash was made with weaker parameters than the current ones (or cannot be read)."""
    try:
        return bool(_password_hasher().check_needs_rehash(password_hash))
    except InvalidHashError:
        return True
