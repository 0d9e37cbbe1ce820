"""A figure of the briefing: a value with its two benchmarks, formatted one way everywhere.

The HTML, the Markdown, the deterministic narrative and the fact sheet given to the LLM all
format numbers through `Figure`, so the narrative checker can compare like with like.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

FLAT = 0.02   # changes under 2% are shown as flat (grey)


def fmt(value: float | None, unit: str = "", decimals: int = 0) -> str:
    """$15,432 / 3,316 / 4.7% / 212s; 'n/a' for a missing value."""
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return "n/a"
    if unit == "$":
        return f"${value:,.{decimals}f}"
    if unit == "%":
        return f"{value * 100:.{decimals}f}%"
    if unit == "s":
        return f"{value:,.{decimals}f}s"
    return f"{value:,.{decimals}f}"


def change(value: float | None, ref: float | None) -> float | None:
    """Relative change, None when either side is missing or the reference is zero."""
    if value is None or ref is None or not ref or any(
            isinstance(v, float) and math.isnan(v) for v in (value, ref)):
        return None
    return value / ref - 1


def fmt_change(c: float | None) -> str:
    return "n/a" if c is None else f"{c * 100:+.0f}%"


@dataclass
class Figure:
    label: str
    value: float | None
    unit: str = ""
    decimals: int = 0
    week: float | None = None      # same weekday last week
    avg30: float | None = None     # average of the same weekday over the 4 weeks before
    good: int = 1                  # +1: up is good; -1: down is good; 0: neutral
    spark: list[float] = field(default_factory=list)
    judged: bool = True            # False for a day still in progress: arrows stay grey

    @property
    def text(self) -> str:
        return fmt(self.value, self.unit, self.decimals)

    @property
    def vs_week(self) -> float | None:
        return change(self.value, self.week)

    @property
    def vs_avg(self) -> float | None:
        return change(self.value, self.avg30)

    def tone(self, c: float | None) -> str:
        """good / bad / flat: the colour of a trend arrow."""
        if c is None or abs(c) < FLAT or self.good == 0 or not self.judged:
            return "flat"
        return "good" if (c > 0) == (self.good > 0) else "bad"

    def fact(self) -> str:
        """One line of the fact sheet: the value and both comparisons."""
        bits = [f"{self.label}: {self.text}"]
        if self.week is not None:
            bits.append(f"vs same weekday last week {fmt(self.week, self.unit, self.decimals)} ({fmt_change(self.vs_week)})")
        if self.avg30 is not None:
            bits.append(f"vs the same weekday's 4-week average {fmt(self.avg30, self.unit, self.decimals)} ({fmt_change(self.vs_avg)})")
        return "; ".join(bits)
