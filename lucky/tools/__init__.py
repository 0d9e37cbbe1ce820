"""The tool registry: every module in this package that defines `TOOL` is a tool.

`execute` is the one code path shared by pages and the CLI: it clamps the filters to what the
viewer may see, runs the tool, then applies row-level and column-level access rules.
"""
from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from lucky.tools.base import Filters, Output, Tool, Viewer


@lru_cache(maxsize=1)
def registry() -> dict[str, Tool]:
    """slug -> Tool for every tool module, ordered by the report's numbering."""
    found: list[Tool] = []
    for info in pkgutil.iter_modules(__path__):
        if info.name in {"base", "cli"} or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        tool = getattr(module, "TOOL", None)
        if isinstance(tool, Tool):
            found.append(tool)
    return {t.slug: t for t in sorted(found, key=lambda t: (t.number, t.slug))}


def get(slug: str) -> Tool:
    tools = registry()
    if slug not in tools:
        raise KeyError(f"unknown tool '{slug}'; known: {', '.join(tools)}")
    return tools[slug]


def execute(slug: str, filters: Filters, viewer: Viewer | None = None, **options) -> Output:
    """Run a tool as `viewer` would see it (admin when None)."""
    from lucky import access

    viewer = viewer or Viewer()
    tool = get(slug)
    access.require(tool, viewer)
    output = tool.run(access.clamp_filters(filters, viewer), **options)
    return access.apply(output, viewer)
