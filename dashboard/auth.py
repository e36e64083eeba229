"""Passwords (argon2), roles and the server-side guard every page calls first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NoReturn

from dashboard.errors import AccessDenied
from storage.passwords import hash_password, verify_password

SESSION_USER_KEY = "yuqing_user"


class Role(StrEnum):
    """The three roles; the value is what the UI shows and what the users table stores."""

    DUTY = "值班员"  # handles cases
    LEADER = "领导"  # reads everything, annotates reviews, changes nothing else
    ADMIN = "管理员"  # sources, units, plans, users

    @classmethod
    def parse(cls, raw: str) -> Role:
        """Accept the Chinese value or the English alias (duty/leader/admin)."""
        text = raw.strip()
        aliases = {"duty": cls.DUTY, "leader": cls.LEADER, "admin": cls.ADMIN}
        if text.lower() in aliases:
            return aliases[text.lower()]
        return cls(text)

    @property
    def alias(self) -> str:
        """English alias of the role (duty/leader/admin)."""
        return {Role.DUTY: "duty", Role.LEADER: "leader", Role.ADMIN: "admin"}[self]


class Permission(StrEnum):
    """What a page or a button needs."""

    VIEW = "view"  # duty board, cases, statistics, reports
    ACT = "act"  # acknowledge, respond, dismiss, re-grade, assign, close
    ANNOTATE = "annotate"  # 评估意见 on reports/reviews
    ADMIN = "admin"  # sources, units, plans, users


# Policy as data: one table, so a test can read the whole matrix.
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.DUTY: frozenset({Permission.VIEW, Permission.ACT, Permission.ANNOTATE}),
    Role.LEADER: frozenset({Permission.VIEW, Permission.ANNOTATE}),
    Role.ADMIN: frozenset({Permission.VIEW, Permission.ADMIN}),
}


@dataclass(frozen=True, slots=True)
class SignedInUser:
    """Who is signed in this browser session; units empty means every unit."""

    username: str
    display_name: str
    role: Role
    units: tuple[str, ...] = ()
    user_id: int | None = None

    def can(self, permission: Permission) -> bool:
        """True when this user's role grants the permission."""
        return permission in ROLE_PERMISSIONS[self.role]

    @property
    def label(self) -> str:
        """Name and role as shown in the sidebar and written to the audit log."""
        return f"{self.display_name or self.username}（{self.role.value}）"


def check_permission(user: SignedInUser | None, permission: Permission) -> SignedInUser:
    """Return the user when allowed; raise AccessDenied otherwise (used by actions, not only pages)."""
    if user is None:
        raise AccessDenied("请先登录 / please sign in")
    if not user.can(permission):
        raise AccessDenied(f"当前角色（{user.role.value}）无此权限 / role {user.role.alias} may not do this")
    return user


def current_user(state: Any = None) -> SignedInUser | None:
    """The signed-in user stored in st.session_state, or None."""
    if state is None:
        import streamlit as st

        state = st.session_state
    user = state.get(SESSION_USER_KEY)
    return user if isinstance(user, SignedInUser) else None


def sign_in(user: SignedInUser, state: Any = None) -> None:
    """Store the user in the session (server-side state; nothing goes to the browser but a session id)."""
    if state is None:
        import streamlit as st

        state = st.session_state
    state[SESSION_USER_KEY] = user


def sign_out(state: Any = None) -> None:
    """Forget the signed-in user."""
    if state is None:
        import streamlit as st

        state = st.session_state
    if SESSION_USER_KEY in state:
        del state[SESSION_USER_KEY]


def _stop() -> NoReturn:
    import streamlit as st

    st.stop()
    raise AssertionError("st.stop() returned")  # pragma: no cover - st.stop raises


def require_role(*roles: Role, permission: Permission | None = None) -> SignedInUser:
    """Page guard: return the signed-in user if their role is allowed, else show why and stop the run."""
    import streamlit as st

    user = revalidate()
    if user is None:
        # Sign in right here, so a link opened in a new tab lands on its page after signing in.
        signin_form()
        _stop()
    allowed: Iterable[Role] = roles or tuple(Role)
    if user.role not in allowed or (permission is not None and not user.can(permission)):
        st.error(f"无权访问：当前角色为「{user.role.value}」。/ Access denied for role {user.role.alias}.")
        _stop()
    return user


def authenticate(session: Any, username: str, password: str) -> SignedInUser | None:
    """Check a username and password against the users table; None when unknown, inactive or wrong."""
    from dashboard import data

    found = data.user_credentials(session, username.strip())
    if found is None:
        # Spend the same time as a real check, so timing does not tell which usernames exist.
        verify_password(_dummy_hash(), password)
        return None
    info, password_hash = found
    if not verify_password(password_hash, password) or not info.active:
        return None
    try:
        role = Role.parse(info.role)
    except ValueError:
        return None
    return SignedInUser(info.username, info.display_name, role, info.units, info.id)


_dummy: str | None = None


def _dummy_hash() -> str:
    global _dummy
    if _dummy is None:
        _dummy = hash_password("yuqing-dummy-password")
    return _dummy


FAILED_KEY = "yuqing_failed_signins"


def signin_form() -> SignedInUser | None:
    """The sign-in form; on success stores the user and reruns the current page."""
    import time

    import streamlit as st

    from dashboard import runtime

    user = current_user()
    if user is not None:
        return user
    st.subheader("请登录 / Please sign in")
    with st.form("signin", clear_on_submit=False):
        username = st.text_input("用户名 / Username", key="signin_username")
        password = st.text_input("密码 / Password", type="password", key="signin_password")
        submitted = st.form_submit_button("登录 / Sign in", type="primary")
    if not submitted:
        return None
    failures = int(st.session_state.get(FAILED_KEY, 0))
    if failures >= 5:
        # Slow down guessing in this session; argon2 already makes each try expensive.
        time.sleep(min(10.0, 0.5 * failures))
    with runtime.read_session() as session:
        signed = authenticate(session, username, password)
    if signed is None:
        st.session_state[FAILED_KEY] = failures + 1
        st.error("用户名或密码错误，或账号已停用。/ Wrong username or password, or the account is inactive.")
        return None
    st.session_state[FAILED_KEY] = 0
    sign_in(signed)
    st.rerun()
    return signed  # pragma: no cover - st.rerun raises


def revalidate() -> SignedInUser | None:
    """Re-read the signed-in user from the database: a deactivated or re-roled account changes at once."""
    import streamlit as st

    from dashboard import data, runtime

    user = current_user()
    if user is None:
        return None
    with runtime.read_session() as session:
        found = data.user_credentials(session, user.username)
    if found is None or not found[0].active:
        sign_out()
        st.warning("账号已停用，请联系管理员。/ Account deactivated.")
        return None
    info = found[0]
    try:
        role = Role.parse(info.role)
    except ValueError:
        sign_out()
        return None
    if role != user.role or info.units != user.units or info.display_name != user.display_name:
        user = SignedInUser(info.username, info.display_name, role, info.units, info.id)
        sign_in(user)
    return user
