"""The error panel: what failed, and the setting that fixes it; never a traceback on screen.

Pages keep working when another page's source is down, because each page only shows the panel for
its own failure. Unexpected exceptions are logged with their traceback for the operator.
"""
from __future__ import annotations

import logging

import streamlit as st

from lucky.access import AccessDenied
from lucky.errors import InputError, LuckyError, SourceError, StateError

log = logging.getLogger("lucky.ui")

#: Text every panel starts with, so tests can tell a failure from a finding a tool reports.
SOURCE_PREFIX = "Cannot read"
UNEXPECTED_PREFIX = "Unexpected error in"
DENIED_PREFIX = "Access denied"


def show(exc: BaseException, title: str) -> None:
    """Render one failure as a panel a person can act on."""
    if isinstance(exc, AccessDenied):
        denied(str(exc))
    elif isinstance(exc, SourceError):
        st.error(
            f"**{SOURCE_PREFIX} `{exc.database}`** for {title}: {exc.reason}\n\n"
            f"Fix it with: `{exc.setting}`. Other pages that do not need this database keep working.",
            icon=":material/database_off:")
    elif isinstance(exc, InputError):
        st.warning(f"{exc}", icon=":material/tune:")
    elif isinstance(exc, StateError):
        st.error(f"**Lucky's own store is unavailable** for {title}: {exc}\n\n"
                 "Fix it with: `LUCKY_STATE_URL`.", icon=":material/storage:")
    elif isinstance(exc, LuckyError):
        st.error(f"**{title}**: {exc}", icon=":material/error:")
    else:
        log.exception("unexpected error in %s", title, exc_info=exc)
        st.error(
            f"**{UNEXPECTED_PREFIX} {title}**: {type(exc).__name__}: {str(exc)[:300]}\n\n"
            "The details are in the server log. Other pages keep working.",
            icon=":material/bug_report:")


def denied(reason: str) -> None:
    """The denial panel: says so and why; the caller stops the page."""
    st.error(f"**{DENIED_PREFIX}.** {reason}", icon=":material/lock:")
