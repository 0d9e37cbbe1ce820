"""The core vocabulary every layer shares: filters, viewers, a tool's declaration and its output.

A tool is a function of its parameters returning named tables, charts and messages. The page
renders an `Output`; `python -m lucky run <slug>` prints its tables. Both call
`lucky.tools.execute`, so the page and the CLI can never disagree. This module imports nothing
of Lucky's, so every layer may depend on it without a cycle.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Literal

import pandas as pd

from lucky.errors import InputError

DEPARTMENTS: tuple[str, ...] = (
    "Company-wide", "IT / DevOps", "Marketing", "Finance", "Product", "Operations", "Supply Chain",
)

ROLES: tuple[str, ...] = (
    "admin", "finance", "marketing", "product", "operations", "supply_chain", "it", "store_manager",
)


@dataclass(frozen=True)
class Filters:
    """The shared sidebar filters. Dates are store-local business days, inclusive."""

    start: date | None = None
    end: date | None = None
    stores: tuple[int, ...] = ()
    currency: str = "USD"
    as_of: date | None = None

    def with_stores(self, stores: tuple[int, ...]) -> Filters:
        return replace(self, stores=tuple(sorted(stores)))

    def label(self) -> str:
        """Compact text for file names: `2026-01-01_2026-02-14_USD_s1-2`."""
        parts = [str(self.start or "start"), str(self.end or "end"), self.currency]
        if self.stores:
            parts.append("s" + "-".join(str(s) for s in self.stores))
        return "_".join(parts)


@dataclass(frozen=True)
class Viewer:
    """Who is looking: a role, and for store managers the shops they may see."""

    role: str = "admin"
    shop_ids: tuple[int, ...] = ()
    name: str = "demo user"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class Message:
    level: Literal["info", "success", "warning", "error"]
    text: str


@dataclass(frozen=True)
class Kpi:
    label: str
    value: float | int | str | None
    unit: str = ""          # "$", "%", "s", "" ...
    delta: float | None = None
    help: str = ""


@dataclass
class Output:
    """Everything a tool produced for one set of parameters."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    charts: dict[str, Any] = field(default_factory=dict)       # Altair charts / pydeck decks
    kpis: list[Kpi] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)

    def note(self, level: str, text: str) -> None:
        self.messages.append(Message(level, text))  # type: ignore[arg-type]


OptionKind = type  # int, float, str, bool, date or datetime


@dataclass(frozen=True)
class Option:
    """A declared what-if knob: the CLI parses and checks `--option name=value` with it and the
    generic page draws its widget from it (slider for a range, select for choices, else an input).

    `default` None means "the tool picks" (e.g. the busiest channel); `range` is inclusive.
    """

    name: str
    kind: OptionKind
    default: Any = None
    help: str = ""
    choices: tuple[Any, ...] = ()
    range: tuple[float, float] | None = None
    step: float | None = None
    label: str = ""

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    def allowed(self) -> str:
        """What values are allowed, in words, for error messages and help."""
        if self.choices:
            return "one of " + ", ".join(str(c) for c in self.choices)
        if self.range:
            return f"a {self.kind.__name__} from {self.range[0]} to {self.range[1]}"
        return {bool: "true or false", date: "a date YYYY-MM-DD",
                datetime: "a UTC time YYYY-MM-DDTHH:MM"}.get(self.kind, f"a {self.kind.__name__}")

    def parse(self, raw: Any) -> Any:
        """The value as `kind`, checked against choices and range; InputError says what is allowed."""
        if raw is None:
            return None
        try:
            value = _coerce(self.kind, raw)
        except (TypeError, ValueError):
            raise InputError(f"option {self.name}={raw!r} is not {self.allowed()}") from None
        if self.choices and value not in self.choices:
            raise InputError(f"option {self.name}={raw!r} is not {self.allowed()}")
        if self.range and not (self.range[0] <= value <= self.range[1]):
            raise InputError(f"option {self.name}={raw!r} is out of range: {self.allowed()}")
        return value


def _coerce(kind: OptionKind, raw: Any) -> Any:
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise ValueError(raw)
    if kind is datetime:
        return raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw).strip())
    if kind is date:
        if isinstance(raw, datetime):
            return raw.date()
        return raw if isinstance(raw, date) else date.fromisoformat(str(raw).strip())
    if kind is int:
        if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
            raise ValueError(raw)
        return int(str(raw).strip()) if isinstance(raw, str) else int(raw)
    if kind is float:
        if isinstance(raw, bool):
            raise ValueError(raw)
        return float(raw)
    return kind(raw)


@dataclass(frozen=True)
class Tool:
    """A registered tool. `run(filters, viewer, **options) -> Output`.

    `viewer` is who the tool runs for: a tool that runs other tools (the briefing) passes it on,
    so nobody sees through it what they may not open. `options` declares every what-if knob;
    `execute` rejects anything else.
    """

    slug: str
    number: int                      # the report's tool number; 0 for the landscape
    title: str
    department: str
    roles: frozenset[str]            # roles that may open it (admin always may)
    sources: tuple[str, ...]         # source databases it reads ("" for none)
    run: Callable[..., Output]
    icon: str = ":material/analytics:"
    description: str = ""
    options: tuple[Option, ...] = ()
    #: its heavy base is kept once per data version (`lucky.tools._memo`): `python -m lucky warm`
    #: computes it after new data, so the first person to open the page does not wait for it
    precompute: bool = False

    def allows(self, viewer: Viewer) -> bool:
        return viewer.is_admin or viewer.role in self.roles

    def option(self, name: str) -> Option:
        for opt in self.options:
            if opt.name == name:
                return opt
        known = ", ".join(f"{o.name} ({o.allowed()})" for o in self.options) or "none"
        raise InputError(f"{self.slug} has no option '{name}'; its options: {known}")

    def parse_options(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Every declared option with its value: given ones parsed and checked, the rest default."""
        values = {opt.name: opt.default for opt in self.options}
        for name, value in raw.items():
            values[name] = self.option(name).parse(value)
        return values
