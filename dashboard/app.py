"""Entry of the Streamlit app (`streamlit run dashboard/app.py`): page config, session check, navigation.

The page files live in app_pages/, not pages/: Streamlit treats a directory named pages/ next to the
entry script as its older file-based multipage app, and a browser opening /stats directly would run
pages/stats.py on its own, skipping this script (page config, schema check, navigation).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal

# `streamlit run dashboard/app.py` puts dashboard/ (not the project root) on sys.path.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import streamlit as st  # noqa: E402

from dashboard import auth, runtime  # noqa: E402
from dashboard.auth import Permission  # noqa: E402
from dashboard.errors import ConfigError  # noqa: E402
from dashboard.text import md_escape  # noqa: E402

st.set_page_config(page_title="舆情回应监测", page_icon=":material/campaign:", layout="wide", initial_sidebar_state="expanded")


PAGE_PATHS = ("signin", "duty", "case", "stats", "reports", "admin")


def _unusable(message: str) -> None:
    """Show why the database cannot be used, on whatever page path was asked for."""

    def show() -> None:
        st.title("舆情回应监测")
        st.error(message)

    error_pages = [
        st.Page(show, title="无法启动", url_path=path, default=index == 0) for index, path in enumerate(PAGE_PATHS)
    ]
    st.navigation(error_pages, position="hidden").run()
    st.stop()


try:
    runtime.engine()
    auth.revalidate()
except ConfigError as exc:
    _unusable(md_escape(str(exc)))
except Exception as exc:  # a schema too old or an unreachable database: the message names the fixing command
    _unusable(f"无法使用数据库 / cannot use the database: {md_escape(str(exc))}")

user = auth.current_user()
signed_in = user is not None
is_admin = user is not None and user.can(Permission.ADMIN)


def _forget_session() -> None:
    """Sign out and forget everything this browser session held (filters, last case, seen cases)."""
    for key in list(st.session_state.keys()):
        del st.session_state[key]


def _visible(flag: bool) -> Literal["visible", "hidden"]:
    return "visible" if flag else "hidden"


# Every page is registered so links resolve; hidden pages still guard themselves (auth.require_role).
pages = [
    st.Page("app_pages/signin.py", title="登录", icon=":material/login:", url_path="signin",
            default=not signed_in, visibility=_visible(not signed_in)),
    st.Page("app_pages/duty.py", title="值班台", icon=":material/dashboard:", url_path="duty",
            default=signed_in, visibility=_visible(signed_in)),
    st.Page("app_pages/case.py", title="处置单", icon=":material/assignment:", url_path="case",
            visibility=_visible(signed_in)),
    st.Page("app_pages/stats.py", title="统计", icon=":material/bar_chart:", url_path="stats",
            visibility=_visible(signed_in)),
    st.Page("app_pages/reports.py", title="评估报告", icon=":material/description:", url_path="reports",
            visibility=_visible(signed_in)),
    st.Page("app_pages/admin.py", title="管理", icon=":material/settings:", url_path="admin",
            visibility=_visible(is_admin)),
]

if user is not None:
    with st.sidebar:
        st.caption("当前用户 / Signed in")
        st.text(user.label)
        st.button("退出登录 / Sign out", key="signout", on_click=_forget_session)

st.navigation(pages, position="sidebar").run()
