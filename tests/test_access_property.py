"""Access as a property of the whole registry, not of one page.

1. For every role, a tool the role may not open never runs on its behalf: every denied tool's
   `run` is replaced by a tripwire, then every tool the role may open is executed as that role.
   A tool that runs another one for the viewer (the briefing) must go through `execute` with the
   viewer, where the access check stops before `run`; a tripwire that fires is a leak.
2. A store manager sees no other store: no other shop id in any shop column, and no other
   store's name or id in any table cell, KPI or message of any tool they may open.
"""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from lucky.core import ROLES, Filters, Output, Viewer

RANGE = Filters(start=date(2026, 2, 8), end=date(2026, 2, 14), as_of=date(2026, 2, 14))
FLEET = {"db-health", "redis-console"}     # watch servers, not stores: no store data to leak


def _registry():
    from lucky import tools
    return tools.registry()


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_denied_tools_never_run_for_the_role(demo, state_store, monkeypatch, role):
    from lucky import tools

    viewer = Viewer(role=role, shop_ids=(_first_store(),) if role == "store_manager" else ())
    fired: list[str] = []
    registry = _registry()
    for slug, tool in list(registry.items()):
        if not tool.allows(viewer):
            def tripwire(*_a, _slug=slug, **_k) -> Output:
                fired.append(_slug)
                raise AssertionError(f"{_slug} ran for {role}")
            monkeypatch.setitem(registry, slug, replace(tool, run=tripwire))
    for slug, tool in registry.items():
        if tool.allows(viewer) and slug not in FLEET:
            tools.execute(slug, RANGE, viewer)
    assert not fired, f"denied tools ran for {role}: {sorted(set(fired))}"


def _first_store() -> int:
    from lucky.queries.shops import trading_shops
    return int(trading_shops("USD")["shop_id"].iloc[0])


def _texts(out: Output) -> list[str]:
    texts = [m.text for m in out.messages]
    texts += [f"{k.label} {k.value} {k.help}" for k in out.kpis]
    for df in out.tables.values():
        for col in df.columns:
            if df[col].dtype == object:
                texts += [str(v) for v in df[col].dropna().unique()]
    return texts


def _shop_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if re.search(r"(^|_)shop(_id)?$|shop_id", str(c))
            and pd.api.types.is_numeric_dtype(df[c])]


def test_a_store_manager_never_sees_another_store(demo, state_store):
    from lucky import tools
    from lucky.queries.shops import shops, trading_shops

    mine = _first_store()
    viewer = Viewer(role="store_manager", shop_ids=(mine,))
    all_shops = shops()
    others = all_shops[all_shops["shop_id"] != mine]
    names = [n for n in others["shop_name"].dropna().astype(str) if len(n) >= 5]
    other_ids = {int(s) for s in trading_shops("USD")["shop_id"]} - {mine}
    leaks = []
    for slug, tool in _registry().items():
        if not tool.allows(viewer) or slug in FLEET:
            continue
        out = tools.execute(slug, RANGE, viewer)
        for name, df in out.tables.items():
            for col in _shop_columns(df):
                seen = set(pd.to_numeric(df[col], errors="coerce").dropna().astype(int)) - {mine}
                if seen:
                    leaks.append(f"{slug}.{name}.{col}: {sorted(seen)[:5]}")
        for text in _texts(out):
            hit = next((n for n in names if n in text), None)
            hit = hit or next((str(s) for s in other_ids if re.search(rf"\({s}\b|\bshop {s}\b", text)), None)
            if hit:
                leaks.append(f"{slug}: {hit!r} in {text[:120]!r}")
    assert not leaks, "\n".join(leaks[:20])


def test_briefing_cli_briefs_as_the_given_role(demo, capsys):
    """`python -m lucky briefing --role R`: finance reads the reconciliation and tax lines,
    marketing (which may not open them) does not; a store manager needs their shops."""
    from lucky.cli import main

    def brief(*extra: str) -> tuple[int, str]:
        code = main(["briefing", "--date", "2026-02-14", "--format", "md", "--no-llm", *extra])
        return code, capsys.readouterr().out

    code, finance = brief("--role", "finance")
    assert code == 0 and "Reconciliation:" in finance and "Tax:" in finance
    code, marketing = brief("--role", "marketing")
    assert code == 0 and "Revenue" in marketing
    assert "Reconciliation" not in marketing and "Tax:" not in marketing
    assert main(["briefing", "--role", "store_manager"]) == 2
    assert "needs --manager-of" in capsys.readouterr().err
    assert main(["briefing", "--date", "2026-02-14", "--role", "it"]) == 3
