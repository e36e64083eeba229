"""The dashboard's small exception tree."""

from __future__ import annotations


class DashboardError(Exception):
    """Base of every error the dashboard raises on purpose."""


class ConfigError(DashboardError):
    """The environment the service hands over (database URL, plan paths) is unusable."""


class AccessDenied(DashboardError):
    """The signed-in user's role does not allow this action."""


class ActionError(DashboardError):
    """A case action could not be applied (wrong state, missing field); the message is for the user."""
