"""The tool registry: every module in this package that defines `TOOL` is a tool.

`execute` is the one code path shared by pages and the CLI: it clamps the filters to what the
viewer may see, runs the tool, then applies row-level and column-level access rules.
"""
from __future__ import annotations

import importlib
import logging
import pkgutil
from functools import lru_cache

from lucky.core import Filters, Output, Tool, Viewer

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _scan() -> tuple[dict[str, Tool], dict[str, str]]:
    found: list[Tool] = []
    failed: dict[str, str] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name in {"cli", "warm"} or info.name.startswith("_"):
            continue
        try:
            module = importlib.import_module(f"{__name__}.{info.name}")
        except Exception as exc:  # noqa: BLE001 - one broken tool must not take the others down
            log.exception("tool module %s failed to import", info.name)
            failed[info.name] = f"{type(exc).__name__}: {exc}"
            continue
        tool = getattr(module, "TOOL", None)
        if isinstance(tool, Tool):
            found.append(tool)
    return {t.slug: t for t in sorted(found, key=lambda t: (t.number, t.slug))}, failed


def registry() -> dict[str, Tool]:
    """slug -> Tool for every tool module that imports, ordered by the report's numbering."""
    return _scan()[0]


def broken() -> dict[str, str]:
    """module name -> the error that kept it out of the registry (shown in the app and CLI)."""
    return _scan()[1]


def get(slug: str) -> Tool:
    tools = registry()
    if slug not in tools:
        module = slug.replace("-", "_")
        if module in broken():
            raise KeyError(f"tool '{slug}' failed to load: {broken()[module]}")
        raise KeyError(f"unknown tool '{slug}'; known: {', '.join(tools)}")
    return tools[slug]


def execute(slug: str, filters: Filters, viewer: Viewer, **options) -> Output:
    """Run a tool as `viewer` may see it: role check, store clamp, declared options only.

    The viewer is required: a path that runs a tool for someone must say who, so no caller
    (the briefing running reconciliation, a scheduled job) silently runs with admin rights.
    Unknown or ill-typed options raise InputError naming what the tool accepts.
    """
    from lucky import access

    tool = get(slug)
    access.require(tool, viewer)
    values = tool.parse_options(options)
    output = tool.run(access.clamp_filters(filters, viewer), viewer, **values)
    return access.apply(output, viewer)
