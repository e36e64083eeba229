"""The responder's small exception tree."""

from __future__ import annotations


class ResponderError(Exception):
    """Base of every error raised by responder/."""


class PlanError(ResponderError):
    """A plan file is invalid; the message names the file and the key path."""


class CalendarNotCovered(ResponderError):
    """The working-day calendar has no data for a year; we refuse to guess."""


class InvalidTransition(ResponderError):
    """A case state change that the state machine does not allow (message in Chinese)."""


class InvalidInput(ResponderError, ValueError):
    """A caller passed a value the responder cannot work with (naive datetime, missing id, bad policy)."""
