"""The guard every Ask Lucky statement passes before it runs, whichever engine wrote it.

Defence in layers (anchors, "Text to SQL"): parse with a real SQL parser (sqlglot) and accept
exactly one SELECT (or set operation of SELECTs); every table must be a fully qualified
allow-listed source table of ONE database (the schema in `lucky.schema`, never
information_schema, mysql, pg_catalog or Lucky's state store); every column must exist in those
tables (or be an alias the statement defines); every function must be on an allow-list, so
SLEEP, BENCHMARK, pg_sleep, LOAD_FILE, read_csv and anything unknown are refused by name; no INTO,
no locking clause, no recursive CTE, no join without a condition; PII columns only for admins;
the statement is re-emitted from the parsed tree in the source's dialect (so comments cannot
smuggle a second statement) with a LIMIT clamped to the row limit, and it runs on the read-only
engine with a short statement timeout. A refusal says why, and nothing runs.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import pandas as pd
import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from lucky import sources
from lucky.core import Viewer
from lucky.schema import DATABASES, metadata

ROW_LIMIT = int(os.environ.get("LUCKY_ASK_ROW_LIMIT", "1000"))
TIMEOUT_S = float(os.environ.get("LUCKY_ASK_TIMEOUT_S", "10"))
MAX_TABLES = 4

#: Columns that identify a person (phone, email, names, addresses, payment identifiers): admin only.
PII_COLUMNS: frozenset[str] = frozenset({
    "phone", "email", "receiver_name", "receiver_phone", "address", "longitude", "latitude",
    "stripe_customer_id", "card_last4", "birthday", "zip_code",
})
#: Tables where `address`/`phone` describe a store, not a person: readable by every role.
PUBLIC_PII_TABLES: frozenset[str] = frozenset({"luckyus_opshop.t_shop_info"})

#: Functions a read-only analytical question may use (sqlglot expression classes).
ALLOWED_FUNCS: tuple[type, ...] = (
    exp.Count, exp.Sum, exp.Avg, exp.Min, exp.Max, exp.Cast, exp.TryCast, exp.Extract,
    exp.Coalesce, exp.Case, exp.If, exp.Nullif, exp.Round, exp.Abs, exp.Floor, exp.Ceil,
    exp.Lower, exp.Upper, exp.Length, exp.Substring, exp.Concat, exp.Trim, exp.Greatest,
    exp.Least, exp.Year, exp.Month, exp.Day, exp.CurrentDate, exp.Distinct,
    exp.TsOrDsToDate, exp.Date, exp.CurrentTimestamp, exp.DateAdd, exp.DateSub, exp.DateDiff,
    exp.DateTrunc, exp.TimestampTrunc, exp.Stddev, exp.Variance, exp.CountIf, exp.Sqrt, exp.Quarter,
    exp.Hour, exp.Minute, exp.DayOfWeek, exp.Week, exp.StrPosition, exp.Left, exp.Right, exp.Replace,
)
#: Node types never allowed anywhere in the tree (writes, DDL, file I/O, session changes, locks).
FORBIDDEN_NODES: tuple[type, ...] = (
    exp.Insert, exp.Update, exp.Delete, exp.Drop, exp.Create, exp.Alter, exp.Command, exp.Into,
    exp.Lock, exp.Copy, exp.Set, exp.Use, exp.Merge, exp.TruncateTable, exp.LoadData,
    exp.Grant, exp.Pragma, exp.Transaction, exp.Commit, exp.Rollback, exp.Describe,
)
#: Node types that are neither functions nor forbidden but still not for a question.
_TABLE_FUNCS = (exp.UDTF, exp.Lateral, exp.Unnest)


class Refused(Exception):
    """The statement may not run; `reason` says why in words a person can act on."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Checked:
    """A statement the guard accepted: the SQL to run, its database and what it reads."""

    sql: str
    database: str
    tables: tuple[str, ...]
    limit: int
    columns: frozenset[str] = field(default_factory=frozenset)


def allowed_tables() -> dict[str, dict[str, frozenset[str]]]:
    """database -> table -> columns, from the schema: every source table, nothing else."""
    out: dict[str, dict[str, frozenset[str]]] = {db: {} for db in DATABASES}
    for tbl in metadata.tables.values():
        if tbl.schema in out:
            out[tbl.schema][tbl.name] = frozenset(c.name for c in tbl.columns)
    return out


_ALLOWED = allowed_tables()


def pii_columns(database: str, table: str) -> frozenset[str]:
    """The PII columns of one table (none for tables whose addresses are a store's)."""
    if f"{database}.{table}" in PUBLIC_PII_TABLES:
        return frozenset()
    return frozenset(c for c in _ALLOWED.get(database, {}).get(table, ()) if c in PII_COLUMNS)


def _parse(sql: str) -> exp.Expression:
    if not isinstance(sql, str) or not sql.strip():
        raise Refused("there is no SQL statement")
    try:
        statements = [s for s in sqlglot.parse(sql, read="mysql") if s is not None]
    except SqlglotError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "unparseable"
        raise Refused(f"the SQL does not parse as one read statement ({first[:120]})") from None
    if len(statements) != 1:
        raise Refused(f"exactly one statement may run; this has {len(statements)}")
    return statements[0]


def _check_shape(tree: exp.Expression) -> None:
    if not isinstance(tree, (exp.Select, exp.Union, exp.Intersect, exp.Except)):
        raise Refused(f"only SELECT statements may run (this is {tree.key.upper()})")
    for node in tree.walk():
        if isinstance(node, FORBIDDEN_NODES):
            raise Refused(f"{node.key.upper()} is not allowed: Ask Lucky only reads")
        if isinstance(node, _TABLE_FUNCS):
            raise Refused("table functions are not allowed")
        if isinstance(node, exp.With) and node.args.get("recursive"):
            raise Refused("recursive queries are not allowed")
        if isinstance(node, exp.Select) and (node.args.get("locks") or node.args.get("into")):
            raise Refused("SELECT ... INTO / FOR UPDATE is not allowed")
        if isinstance(node, exp.Func) and not isinstance(node, (exp.Binary, exp.Connector, exp.Unary)) \
                and not isinstance(node, ALLOWED_FUNCS):
            name = node.name if isinstance(node, exp.Anonymous) else node.sql_name()
            raise Refused(f"the function {str(name).upper()} is not allowed")
        if isinstance(node, exp.Placeholder) and node.name in ("", "?"):
            raise Refused("positional parameters are not allowed")


def _check_joins(tree: exp.Expression) -> None:
    for select in tree.find_all(exp.Select):
        for join in select.args.get("joins") or []:
            kind = (join.args.get("kind") or "").upper()
            on = join.args.get("on")
            if kind == "CROSS" or not (on or join.args.get("using")):
                raise Refused("joins need a condition (ON or USING): a cross join can explode")
            if on is not None and not any(isinstance(eq.left, exp.Column) and isinstance(eq.right, exp.Column)
                                          for eq in on.find_all(exp.EQ)):
                raise Refused("a join must match columns (ON a.x = b.y): ON 1=1 is a cross join")


def _tables(tree: exp.Expression) -> tuple[str, list[exp.Table]]:
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    found: list[exp.Table] = []
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            raise Refused("table functions are not allowed")
        name, db = table.name.lower(), (table.db or "").lower()
        if table.args.get("catalog"):
            raise Refused(f"{table.sql()} names a catalog; use <database>.<table>")
        if not db and name in ctes:
            continue
        if not db:
            raise Refused(f"table {name} must be qualified as <database>.<table>")
        if db not in _ALLOWED:
            raise Refused(f"{db} is not a source database Ask Lucky may read "
                          "(system schemas and Lucky's own store are off limits)")
        if name not in _ALLOWED[db]:
            raise Refused(f"{db}.{name} is not an allow-listed table")
        found.append(table)
    if not found:
        raise Refused("the statement reads no source table")
    dbs = {t.db.lower() for t in found}
    if len(dbs) > 1:
        raise Refused(f"one database per question ({', '.join(sorted(dbs))} were named)")
    if len(found) > MAX_TABLES:
        raise Refused(f"at most {MAX_TABLES} table references per question")
    return dbs.pop(), found


def _defined_names(tree: exp.Expression) -> set[str]:
    """Aliases the statement itself defines (select aliases, CTE and subquery column names)."""
    names = {a.alias.lower() for a in tree.find_all(exp.Alias) if a.alias}
    for ta in tree.find_all(exp.TableAlias):
        names.add(ta.name.lower())
        names.update(c.name.lower() for c in ta.columns)
    return names


def _check_columns(tree: exp.Expression, db: str, tables: list[exp.Table], viewer: Viewer) -> frozenset[str]:
    names = {t.name.lower() for t in tables}
    known: set[str] = set().union(*(_ALLOWED[db][n] for n in names))
    pii: set[str] = set().union(*(pii_columns(db, n) for n in names))
    defined = _defined_names(tree)
    used: set[str] = set()
    for col in tree.find_all(exp.Column):
        if isinstance(col.this, exp.Star):
            continue
        name = col.name.lower()
        if name not in known and name not in defined:
            raise Refused(f"column {name} is not in {', '.join(sorted(names))}")
        used.add(name)
    for star in tree.find_all(exp.Star):
        if isinstance(star.parent, exp.Count):
            continue
        if pii and not viewer.is_admin:
            raise Refused(f"SELECT * would include personal data ({', '.join(sorted(pii))}); "
                          "name the columns you need")
    leaked = sorted(used & pii)
    if leaked and not viewer.is_admin:
        raise Refused(f"{', '.join(leaked)} is personal data, visible to admins only")
    return frozenset(used)


def _clamp_limit(tree: exp.Expression, limit: int) -> exp.Expression:
    current = tree.args.get("limit")
    if current is not None:
        value = current.expression if isinstance(current, exp.Limit) else None
        if isinstance(value, exp.Literal) and value.is_int and int(value.this) <= limit:
            return tree
    return tree.limit(limit)


def _restore_binds(tree: exp.Expression) -> exp.Expression:
    """sqlglot writes `:name` per dialect ($name, %(name)s); SQLAlchemy's text() wants `:name`."""
    return tree.transform(lambda n: exp.var(":" + n.name) if isinstance(n, exp.Placeholder) else n)


_DIALECTS = {"duckdb": "duckdb", "mysql": "mysql", "postgresql": "postgres"}


def check(sql: str, viewer: Viewer, limit: int = ROW_LIMIT, params: dict | None = None,
          dialect: str | None = None, scoped: bool = False) -> Checked:
    """The statement as it may run for `viewer`, or Refused with the reason.

    `params` are the binds the caller supplies (the offline engine); a statement naming a bind
    nobody supplies is refused. `scoped` says the statement already keeps to the viewer's stores
    (the offline engine binds them); free SQL is not scoped, so store managers may not run it.
    `dialect` defaults to the database's backend.
    """
    if viewer.role == "store_manager" and not scoped:
        raise Refused("free-form SQL reads every store; as a store manager ask a question the "
                      "offline engine answers (it keeps to your stores)")
    tree = _parse(sql)
    _check_shape(tree)
    _check_joins(tree)
    db, tables = _tables(tree)
    used = _check_columns(tree, db, tables, viewer)
    binds = {p.name for p in tree.find_all(exp.Placeholder)}
    missing = binds - set(params or {})
    if missing:
        raise Refused(f"the statement needs values nobody supplied ({', '.join(sorted(missing))})")
    tree = _restore_binds(_clamp_limit(tree, limit))
    target = dialect or _DIALECTS.get(sources.resolve(db).kind, "mysql")
    out = tree.sql(dialect=target, comments=False)
    names = tuple(sorted({f"{db}.{t.name.lower()}" for t in tables}))
    return Checked(sql=out, database=db, tables=names, limit=limit, columns=used)


def run(checked: Checked, params: dict | None = None, timeout_s: float = TIMEOUT_S) -> pd.DataFrame:
    """Run an accepted statement on the read-only engine with the short statement timeout."""
    return sources.read(checked.database, checked.sql, params or {}, timeout_s=timeout_s)
