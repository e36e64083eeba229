"""Entry of the Streamlit app (`streamlit run dashboard/app.py`): page config, session check, navigation."""

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

st.set_page_config(page_title="舆情回应监测", page_icon=":material/campaign:", layout="wide", initial_sidebar_state="expanded")


try:
    runtime.engine()
    auth.revalidate()
except ConfigError as exc:
    st.error(str(exc))
    st.stop()
except Exception as exc:  # a schema too old or an unreachable database: say which command fixes it
    st.error(f"无法连接数据库 / cannot use the database: {exc}")
    st.stop()

user = auth.current_user()
signed_in = user is not None
is_admin = user is not None and user.can(Permission.ADMIN)


def _visible(flag: bool) -> Literal["visible", "hidden"]:
    return "visible" if flag else "hidden"


# Every page is registered so links resolve; hidden pages still guard themselves (auth.require_role).
pages = [
    st.Page("pages/signin.py", title="登录", icon=":material/login:", url_path="signin",
            default=not signed_in, visibility=_visible(not signed_in)),
    st.Page("pages/duty.py", title="值班台", icon=":material/dashboard:", url_path="duty",
            default=signed_in, visibility=_visible(signed_in)),
    st.Page("pages/case.py", title="处置单", icon=":material/assignment:", url_path="case",
            visibility=_visible(signed_in)),
    st.Page("pages/stats.py", title="统计", icon=":material/bar_chart:", url_path="stats",
            visibility=_visible(signed_in)),
    st.Page("pages/reports.py", title="评估报告", icon=":material/description:", url_path="reports",
            visibility=_visible(signed_in)),
    st.Page("pages/admin.py", title="管理", icon=":material/settings:", url_path="admin",
            visibility=_visible(is_admin)),
]

if user is not None:
    with st.sidebar:
        st.caption("当前用户 / Signed in")
        st.text(user.label)
        if st.button("退出登录 / Sign out", key="signout"):
            auth.sign_out()
            st.rerun()

st.navigation(pages, position="sidebar").run()
