"""Passwords, roles and the permission matrix."""

from __future__ import annotations

import pytest

from dashboard.auth import (
    ROLE_PERMISSIONS,
    Permission,
    Role,
    SignedInUser,
    check_permission,
)
from dashboard.errors import AccessDenied
from storage.passwords import hash_password, needs_rehash, verify_password


def test_hash_verifies_only_the_right_password() -> None:
    hashed = hash_password("正确的密码 correct")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "正确的密码 correct")
    assert not verify_password(hashed, "正确的密码 wrong")
    assert not verify_password(hashed, "")
    assert not needs_rehash(hashed)


def test_malformed_or_empty_hash_never_matches() -> None:
    assert not verify_password("not-a-hash", "x")
    assert not verify_password("", "x")
    with pytest.raises(ValueError):
        hash_password("")


def test_two_hashes_of_one_password_differ_by_salt() -> None:
    assert hash_password("same password") != hash_password("same password")


@pytest.mark.parametrize(
    ("raw", "role"),
    [("duty", Role.DUTY), ("值班员", Role.DUTY), ("LEADER", Role.LEADER), ("领导", Role.LEADER), ("admin", Role.ADMIN)],
)
def test_role_parse_accepts_codes_and_chinese(raw: str, role: Role) -> None:
    assert Role.parse(raw) is role


def test_role_parse_rejects_unknown() -> None:
    with pytest.raises(ValueError):
        Role.parse("root")


def test_permission_matrix() -> None:
    assert ROLE_PERMISSIONS[Role.DUTY] >= {Permission.VIEW, Permission.ACT}
    assert Permission.ADMIN not in ROLE_PERMISSIONS[Role.DUTY]
    assert Permission.ACT not in ROLE_PERMISSIONS[Role.LEADER]
    assert Permission.ANNOTATE in ROLE_PERMISSIONS[Role.LEADER]
    assert Permission.ADMIN in ROLE_PERMISSIONS[Role.ADMIN]
    assert Permission.ACT not in ROLE_PERMISSIONS[Role.ADMIN]


def test_check_permission_raises_for_missing_user_and_role() -> None:
    leader = SignedInUser("l", "领导", Role.LEADER)
    with pytest.raises(AccessDenied):
        check_permission(None, Permission.VIEW)
    with pytest.raises(AccessDenied, match="领导"):
        check_permission(leader, Permission.ACT)
    assert check_permission(leader, Permission.ANNOTATE) is leader
