"""Compliance arithmetic: check verdicts, the monthly score, new failures, and the hash chain of
the audit log. Pure functions (no I/O) so the rules can be tested by hand.

Verdicts: a check "pass"es when it ran and found nothing, "fail"s when it found something, and
"could not run" when its source (or the viewer's access to it) was missing: never "pass".

Monthly score (stated on the page and in the export):
    score(month) = 100 x sum(weight of checks that passed in that month) / sum(weight of checks that ran)
A check passes in a month when none of its findings falls in that month; findings without a date
(a state such as "luckyus_fi_tax is empty") count against every month. Checks that could not run
are left out of numerator and denominator and listed beside the score.

Tamper-evident log (Certificate Transparency's idea): entry n stores
    hash_n = sha256(hash_{n-1} + canonical_json(entry_n)),  hash_0 = 64 zeros,
so altering any field of any entry, deleting or reordering one, breaks every later link;
the head hash kept outside the store (the auditor's export) also catches a rewrite of the chain.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

PASS, FAIL, NOT_RUN = "pass", "fail", "could not run"
WEIGHTS = {"critical": 3, "major": 2, "minor": 1}
GENESIS = "0" * 64
#: the fields of a log entry that the hash covers, in this order
HASHED = ("seq", "at", "actor", "role", "check_id", "period_start", "period_end", "status", "findings",
          "detail")


def verdict(findings: int | None) -> str:
    """pass / fail from a finding count; None (the check did not run) is never a pass."""
    if findings is None:
        return NOT_RUN
    return PASS if findings == 0 else FAIL


def months(start: date, end: date) -> list[pd.Timestamp]:
    """First days of every month from start's to end's (inclusive)."""
    return list(pd.period_range(pd.Timestamp(start), pd.Timestamp(end), freq="M").to_timestamp())


def monthly_findings(findings: pd.DataFrame | None, month_list: list[pd.Timestamp],
                     date_col: str = "business_date") -> pd.Series:
    """Findings per month of `month_list`; findings without a date count in every month."""
    out = pd.Series(0, index=pd.DatetimeIndex(month_list), dtype="int64")
    if findings is None or findings.empty:
        return out
    if date_col not in findings:
        return out + len(findings)
    when = pd.to_datetime(findings[date_col], errors="coerce")
    undated = int(when.isna().sum())
    counted = when.dropna().dt.to_period("M").dt.to_timestamp().value_counts()
    return out.add(counted.reindex(out.index).fillna(0).astype("int64"), fill_value=0) + undated


def monthly_score(per_month: pd.DataFrame, weights: dict[str, int]) -> pd.DataFrame:
    """Score per month from `per_month` (index month, one column of finding counts per check that
    ran) and each check's weight: month, score, checks_passed, checks_run, weight_passed, weight_run."""
    rows = []
    for month, counts in per_month.iterrows():
        ran = [c for c in per_month.columns if pd.notna(counts[c])]
        passed = [c for c in ran if counts[c] == 0]
        w_run = sum(weights[c] for c in ran)
        w_pass = sum(weights[c] for c in passed)
        rows.append({"month": month, "score": round(100.0 * w_pass / w_run, 1) if w_run else None,
                     "checks_passed": len(passed), "checks_run": len(ran),
                     "weight_passed": w_pass, "weight_run": w_run})
    return pd.DataFrame(rows, columns=["month", "score", "checks_passed", "checks_run", "weight_passed",
                                       "weight_run"])


def new_failures(previous: dict[str, str], current: dict[str, str]) -> list[str]:
    """Checks failing now that were not failing at their last logged run (or never ran before)."""
    return sorted(c for c, s in current.items() if s == FAIL and previous.get(c) != FAIL)


# ------------------------------------------------------------------ the hash chain
def _plain(value):
    if isinstance(value, (datetime, pd.Timestamp)):
        return pd.Timestamp(value).strftime("%Y-%m-%dT%H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if hasattr(value, "item"):          # numpy scalars
        return value.item()
    return value


def canonical(entry: dict) -> str:
    """The entry's hashed fields as sorted, compact JSON (the same bytes on every machine)."""
    return json.dumps({k: _plain(entry.get(k)) for k in HASHED}, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True)


def entry_hash(prev_hash: str, entry: dict) -> str:
    return hashlib.sha256((prev_hash + canonical(entry)).encode()).hexdigest()


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    entries: int
    head: str
    problem: str = ""
    seq: int | None = None          # the first altered or missing entry


def verify_chain(rows: list[dict], expected_head: str | None = None) -> ChainCheck:
    """Recompute the chain over rows ordered by seq: the first altered or missing entry, if any.

    Each row holds the HASHED fields plus `prev_hash` and `hash`. Sequence numbers run 1, 2, 3...
    with no gap, so a deleted entry shows as a missing number (or, at the end, as a head that
    differs from `expected_head`, the hash printed in an export).
    """
    prev, want_seq = GENESIS, 1
    for row in rows:
        seq = int(row["seq"])
        if seq != want_seq:
            return ChainCheck(False, len(rows), prev, f"entry {want_seq} is missing (next entry is {seq})",
                              want_seq)
        if row["prev_hash"] != prev:
            return ChainCheck(False, len(rows), prev, f"entry {seq} does not link to entry {seq - 1} "
                                                      "(previous hash differs: an entry before it was altered "
                                                      "or removed)", seq)
        if entry_hash(prev, row) != row["hash"]:
            return ChainCheck(False, len(rows), prev, f"entry {seq} was altered (its content no longer "
                                                      "matches its hash)", seq)
        prev, want_seq = row["hash"], seq + 1
    if expected_head and expected_head != prev:
        known = {r["hash"]: int(r["seq"]) for r in rows}
        if expected_head in known:      # later runs appended entries: the export is still intact
            return ChainCheck(True, len(rows), prev, f"the exported head is entry {known[expected_head]}; "
                                                     f"{want_seq - 1 - known[expected_head]} entries were "
                                                     "appended since")
        return ChainCheck(False, len(rows), prev, f"the exported head hash {expected_head[:12]}… is not in "
                                                  f"the log: entry {want_seq} onwards is missing or the chain "
                                                  "was rewritten", want_seq)
    return ChainCheck(True, len(rows), prev)
