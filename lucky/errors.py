"""Errors a person can act on: each names the thing that failed and the setting that fixes it."""
from __future__ import annotations


class LuckyError(Exception):
    """Base of the errors Lucky shows in its error panel instead of a traceback."""


class SourceError(LuckyError):
    """A source database is unknown, unreachable, slow, or refused the credentials."""

    def __init__(self, database: str, setting: str, reason: str):
        self.database, self.setting, self.reason = database, setting, reason
        super().__init__(f"{database}: {reason} (check {setting})")


class StateError(LuckyError):
    """Lucky's own writable store (LUCKY_STATE_URL) cannot be reached or written."""


class InputError(LuckyError):
    """A parameter the user gave cannot be used (a range with no data, an unknown store, ...)."""
