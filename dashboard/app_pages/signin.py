"""登录 (sign-in): users from the database, argon2-checked; the session lives in st.session_state."""

from __future__ import annotations

import streamlit as st

from dashboard import auth
from dashboard.text import md_escape

st.title("舆情回应监测 · 登录")
st.caption("Public-opinion response monitoring · Sign in")

user = auth.signin_form()
if user is not None:
    st.success(f"已登录：{md_escape(user.label)}")
    st.switch_page("app_pages/duty.py")
