"""What a tool is: a function of its parameters returning named tables, charts and messages.

The page renders an `Output`; `python -m lucky run <slug>` prints its tables. Both call
`lucky.tools.execute`, so the page and the CLI can never disagree.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Callable, Literal

import pandas as pd

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

    def with_stores(self, stores: tuple[int, ...]) -> "Filters":
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


@dataclass(frozen=True)
class Tool:
    """A registered tool. `run(filters, **options) -> Output`; options are the what-if knobs."""

    slug: str
    number: int                      # the report's tool number; 0 for the landscape
    title: str
    department: str
    roles: frozenset[str]            # roles that may open it (admin always may)
    sources: tuple[str, ...]         # source databases it reads ("" for none)
    run: Callable[..., Output]
    icon: str = ":material/analytics:"
    description: str = ""

    def allows(self, viewer: Viewer) -> bool:
        return viewer.is_admin or viewer.role in self.roles
