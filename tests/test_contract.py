"""The tool contract: declared options (parsed, checked, drawn), the layering of the packages, and
every tool reading only the databases it declares."""
from __future__ import annotations

import ast
import re
from datetime import date, datetime
from pathlib import Path

import pytest

from lucky.core import Filters, Option, Tool, Viewer
from lucky.errors import InputError

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------ options, by hand
@pytest.mark.parametrize(("option", "raw", "expected"), [
    (Option("share", float, 0.1, range=(0.0, 1.0)), "0.25", 0.25),
    (Option("share", float, 0.1, range=(0.0, 1.0)), 1, 1.0),
    (Option("channel", int, None), "53", 53),
    (Option("channel", int, None), 53.0, 53),
    (Option("on", bool, False), "yes", True),
    (Option("on", bool, True), "false", False),
    (Option("day", date, None), "2026-02-14", date(2026, 2, 14)),
    (Option("day", date, None), datetime(2026, 2, 14, 9), date(2026, 2, 14)),
    (Option("now", datetime, None), "2026-02-14T09:30", datetime(2026, 2, 14, 9, 30)),
    (Option("sev", str, "Info", choices=("Info", "Warning", "Critical")), "Critical", "Critical"),
])
def test_option_parses_values_of_its_kind(option, raw, expected):
    assert option.parse(raw) == expected


@pytest.mark.parametrize(("option", "raw", "words"), [
    (Option("share", float, 0.1, range=(0.0, 1.0)), "1.5", "out of range: a float from 0.0 to 1.0"),
    (Option("share", float, 0.1, range=(0.0, 1.0)), "lots", "is not a float from 0.0 to 1.0"),
    (Option("channel", int, None), "5.5", "is not a int"),
    (Option("channel", int, None), True, "is not a int"),
    (Option("on", bool, False), "maybe", "is not true or false"),
    (Option("day", date, None), "14/02/2026", "is not a date YYYY-MM-DD"),
    (Option("sev", str, "Info", choices=("Info", "Warning", "Critical")), "critical",
     "is not one of Info, Warning, Critical"),
])
def test_option_rejects_bad_values_saying_what_is_allowed(option, raw, words):
    with pytest.raises(InputError, match=re.escape(words)):
        option.parse(raw)


def _tool(**kw) -> Tool:
    return Tool(slug="t", number=0, title="T", department="Finance", roles=frozenset(),
                sources=(), run=lambda f, v, **o: None, **kw)


def test_parse_options_fills_defaults_and_names_unknown_keys():
    tool = _tool(options=(Option("a", int, 1), Option("b", str, None)))
    assert tool.parse_options({}) == {"a": 1, "b": None}
    assert tool.parse_options({"a": "7"}) == {"a": 7, "b": None}
    with pytest.raises(InputError, match=r"t has no option 'c'; its options: a \(a int\), b \(a str\)"):
        tool.parse_options({"c": 1})


def test_execute_rejects_undeclared_options(demo):
    from lucky import tools

    with pytest.raises(InputError, match="has no option 'nonsense'"):
        tools.execute("tax-gap", Filters(), Viewer(), nonsense=1)


def test_every_tool_declares_what_its_run_takes():
    """Each keyword of a tool's `run` (after filters and viewer) is a declared option and back."""
    import inspect

    from lucky import tools

    for slug, tool in tools.registry().items():
        params = list(inspect.signature(tool.run).parameters.values())
        assert [p.name for p in params[:2]] == ["filters", "viewer"], slug
        assert not any(p.kind is p.VAR_KEYWORD for p in params), f"{slug} swallows **options"
        assert {p.name for p in params[2:]} == {o.name for o in tool.options}, slug


# ------------------------------------------------------------------ the CLI
def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    from lucky.cli import main

    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_unknown_option_exits_2_listing_the_options(demo, capsys):
    code, out, err = _cli(capsys, "run", "anomalies", "--option", "min_sev=Critical")
    assert code == 2 and out == ""
    assert "anomalies has no option 'min_sev'" in err
    assert "min_severity (one of Info, Warning, Critical)" in err


def test_cli_bad_value_exits_2(demo, capsys):
    code, _, err = _cli(capsys, "run", "payment-costs", "--option", "share=2")
    assert code == 2
    assert "option share='2' is out of range: a float from 0.0 to 1.0" in err
    code, _, err = _cli(capsys, "run", "anomalies", "--option", "min_severity=Severe")
    assert code == 2 and "is not one of Info, Warning, Critical" in err


def test_cli_declared_option_changes_the_result(demo, capsys):
    code, all_rows, _ = _cli(capsys, "run", "anomalies", "--table", "anomalies")
    assert code == 0
    code, critical, _ = _cli(capsys, "run", "anomalies", "--table", "anomalies",
                             "--option", "min_severity=Critical")
    assert code == 0
    assert 1 < len(critical.splitlines()) < len(all_rows.splitlines())
    assert "Info" not in critical and "Warning," not in critical


# ------------------------------------------------------------------ the generic page
def test_generic_page_draws_the_declared_options_bound_to_the_url(demo):
    """payment-costs' declaration alone makes a working page: its share slider drives the what-if."""
    from streamlit.testing.v1 import AppTest

    script = "from lucky.ui.options import generic_page\ngeneric_page('payment-costs')()\n"
    at = AppTest.from_string(script, default_timeout=60)
    at.query_params["opt_payment_costs_share"] = "0.3"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    slider = at.slider(key="opt_payment_costs_share")
    assert slider.value == pytest.approx(0.3)
    assert at.title[0].value == "Payment Channel Cost Optimizer"
    shares = [df.value for df in at.dataframe if "share" in df.value.columns]
    assert shares and shares[0]["share"].iloc[0] == pytest.approx(30.0)   # shown as percent
    slider.set_value(0.5).run()
    shares = [df.value for df in at.dataframe if "share" in df.value.columns]
    assert shares[0]["share"].iloc[0] == pytest.approx(50.0)


def test_generic_page_warns_about_a_bad_url_value_and_keeps_working(demo):
    from streamlit.testing.v1 import AppTest

    script = "from lucky.ui.options import generic_page\ngeneric_page('db-health')()\n"
    at = AppTest.from_string(script, default_timeout=60)
    at.query_params["opt_db_health_now"] = "yesterday-ish"
    at.run()
    assert not at.exception
    assert any("is not a UTC time" in w.value for w in at.warning)
    assert at.title[0].value == "Database Health Monitor"


# ------------------------------------------------------------------ layers and cycles
LAYER_RULES = {   # package prefix -> prefixes it must never import (even lazily)
    "lucky.models": ("lucky.queries", "lucky.sources", "lucky.tools", "lucky.ui", "lucky.demo"),
    "lucky.queries": ("lucky.tools", "lucky.ui", "lucky.demo"),
    "lucky.ui": ("lucky.queries",),
    "pages": ("lucky.queries", "lucky.sources"),
}
#: lucky.core is the bottom layer: it may import lucky.errors and nothing else of Lucky's.
CORE_ALLOWED = ("lucky.errors",)
REAL_DATA = ("lucky.sources", "lucky.queries", "lucky.models", "lucky.tools", "lucky.ui",
             "lucky.anomaly", "lucky.briefing", "lucky.monitor", "lucky.access")


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(imported module, at module level) for every import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(n) for n in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, id(node) in top) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(f"{node.module}.{a.name}", id(node) in top) for a in node.names]
    return found


def _graph() -> dict[str, list[tuple[str, bool]]]:
    files = [*(ROOT / "lucky").rglob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "Home.py"]
    return {_module_name(p): _imports(p) for p in files}


def test_no_layer_imports_upwards():
    wrong = []
    for module, imports in _graph().items():
        for prefix, banned in LAYER_RULES.items():
            if module == prefix or module.startswith(prefix + "."):
                wrong += [f"{module} imports {name}" for name, _ in imports
                          if name.startswith(banned) and name != module]
        if module == "lucky.core":
            wrong += [f"lucky.core imports {name}" for name, _ in imports
                      if name.startswith("lucky.") and not name.startswith(CORE_ALLOWED)]
        if module.startswith(REAL_DATA):   # the one way in: build the embedded demo on first use
            wrong += [f"{module} (real-data code) imports {name}" for name, _ in imports
                      if name.startswith("lucky.demo") and name != "lucky.demo.build.ensure_demo"]
    assert not wrong, "\n".join(sorted(set(wrong)))


def test_no_import_cycles_at_module_level():
    graph = _graph()
    modules = set(graph)

    def target(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    edges = {m: {t for n, top in imps if top and (t := target(n)) and t != m} for m, imps in graph.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(edges.get(m, ())):
            if state.get(n) == 1:
                return stack[stack.index(n):] + [n]
            if n not in state and (cycle := visit(n)):
                return cycle
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(edges):
        if m not in state and (cycle := visit(m)):
            pytest.fail("import cycle: " + " -> ".join(cycle))


# ------------------------------------------------------------------ declared sources
SCHEMA_NAME = re.compile(r"\b(luckyus_[a-z_]+)\.", re.I)


def test_every_tool_reads_only_the_databases_it_declares(demo, monkeypatch, state_store):
    """A spy on the one source reader: every database a tool touches (by engine and by the
    schema names in its SQL) must be in its `sources`."""
    from lucky import sources, tools

    seen: set[str] = set()
    real_read = sources.read

    def spy(database: str, sql: str, params: dict | None = None):
        seen.add(database)
        seen.update(m.lower() for m in SCHEMA_NAME.findall(sql))
        return real_read(database, sql, params)

    monkeypatch.setattr(sources, "read", spy)
    wrong = {}
    for slug, tool in tools.registry().items():
        seen.clear()
        try:
            tools.execute(slug, Filters(start=date(2026, 2, 1), end=date(2026, 2, 14)), Viewer())
        except Exception:  # noqa: BLE001 - a fleet tool without servers still reads nothing else
            pass
        extra = seen - set(tool.sources)
        if extra:
            wrong[slug] = sorted(extra)
    assert not wrong, f"tools read databases they do not declare: {wrong}"
