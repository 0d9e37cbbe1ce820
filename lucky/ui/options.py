"""What-if widgets drawn from a tool's declared options, and the generic page built on them.

A tool declares its knobs once (`lucky.core.Option`); the CLI parses `--option k=v` with the
declaration and the page draws the matching widget here, bound to the URL like the shared
filters, so a link reproduces the what-if too. A tool with no page file of its own gets
`generic_page(slug)`: the declaration is the whole recipe.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import streamlit as st

from lucky.core import Option, Tool
from lucky.errors import InputError

#: URL/query-parameter key of an option widget: `opt_<name>` (never clashes with the filters).
PREFIX = "opt_"


def key_of(slug: str, opt: Option) -> str:
    """One key per page and option: two tools' `share` knobs never overwrite each other."""
    return f"{PREFIX}{slug.replace('-', '_')}_{opt.name}"


def _widget(slug: str, opt: Option, box: Any) -> Any:
    """One widget for one option; returns its raw value (parsed by the declaration later)."""
    key, label, helptext = key_of(slug, opt), opt.title, opt.help or None
    common = {"key": key, "help": helptext, "bind": "query-params"}
    if opt.kind is bool:
        return box.toggle(label, value=bool(opt.default), **common)
    if opt.choices:
        choices = list(opt.choices)
        index = choices.index(opt.default) if opt.default in choices else None
        return box.selectbox(label, choices, index=index, **common)
    if opt.kind in (int, float) and opt.range is not None:
        lo, hi = (opt.kind(v) for v in opt.range)
        step = opt.kind(opt.step) if opt.step is not None else (1 if opt.kind is int else (hi - lo) / 100)
        value = opt.kind(opt.default) if opt.default is not None else lo
        return box.slider(label, min_value=lo, max_value=hi, value=value, step=step, **common)
    if opt.kind in (int, float):
        value = None if opt.default is None else opt.kind(opt.default)
        step = opt.kind(opt.step) if opt.step is not None else (1 if opt.kind is int else 0.01)
        return box.number_input(label, value=value, step=step, placeholder="automatic", **common)
    if opt.kind is date:
        return box.date_input(label, value=opt.default, **common)
    text = "" if opt.default is None else (opt.default.isoformat() if isinstance(opt.default, datetime)
                                          else str(opt.default))
    placeholder = "YYYY-MM-DDTHH:MM (UTC)" if opt.kind is datetime else "automatic"
    return box.text_input(label, value=text, placeholder=placeholder, **common)


def current(tool: Tool, name: str) -> Any:
    """An option's value before its widget is drawn (a page that shows results above its what-if
    widgets): the widget's state, else the URL, else the default. A URL value the declaration
    rejects is reported once and left at the default."""
    opt = tool.option(name)
    key = key_of(tool.slug, opt)
    raw = st.session_state.get(key, st.query_params.get(key))
    if raw in (None, ""):
        return opt.default
    try:
        return opt.parse(raw)
    except InputError as exc:
        st.warning(f"{exc}; using the default.", icon=":material/link_off:")
        return opt.default


def widgets(tool: Tool, box: Any | None = None) -> dict[str, Any]:
    """Draw every declared option of `tool` in `box` (an expander by default) and return the
    values that differ from the defaults, parsed; a value the declaration rejects is shown as a
    warning next to the widgets and left at its default, so the rest of the page keeps working."""
    if not tool.options:
        return {}
    box = box or st.expander("What-if and options", expanded=False, icon=":material/tune:")
    values: dict[str, Any] = {}
    for opt in tool.options:
        raw = _widget(tool.slug, opt, box)
        if raw in ("", None):
            continue
        try:
            value = opt.parse(raw)
        except InputError as exc:
            box.warning(str(exc), icon=":material/warning:")
            continue
        if value != opt.default:
            values[opt.name] = value
    return values


def generic_page(slug: str) -> Callable[[], None]:
    """The page of a tool without `pages/<slug>.py`: title, description, shared filters, its
    option widgets, then every KPI, message, chart and table of its Output."""
    def page() -> None:
        from lucky import tools
        from lucky.ui import frame, render

        filters, viewer = frame.setup_page(slug)
        tool = tools.get(slug)
        st.title(tool.title)
        if tool.description:
            st.caption(tool.description)
        chosen = widgets(tool)
        out = frame.run_cached(slug, filters, viewer, **chosen)
        if out is not None:
            render.render_output(out, filters, slug)
    page.__name__ = slug.replace("-", "_")   # st.Page derives a default title from it
    return page
