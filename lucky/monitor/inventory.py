"""The fleet: a TOML file of `[[instances]]`, found via --inventory or LUCKY_INVENTORY.

Each instance has `name`, `kind` (mysql | postgres | redis), and either `url` or `secret` (the
name of a setting, read from the environment or `.streamlit/secrets.toml`, that holds the URL),
so production credentials never live in the inventory. Optional top-level tables tune the
collector (`[collector]`), alert thresholds (`[alerts.<rule>]`) and notifications (`[notify]`).
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from lucky import config
from lucky.errors import InputError

KINDS = ("mysql", "postgres", "redis")
DEFAULT_INVENTORY = config.ROOT / "inventories" / "local.toml"


@dataclass(frozen=True)
class Instance:
    """One monitored server."""

    name: str
    kind: str
    url: str | None = None
    secret: str | None = None
    service: str = ""
    environment: str = ""
    capacity_gb: float | None = None     # disk or plan size, for days-until-full
    timeout: float | None = None         # overrides [collector].timeout

    def resolve_url(self) -> str:
        """The connection URL, from `url` or the named secret; InputError names what to set."""
        if self.url:
            return self.url
        value = config.setting(self.secret) if self.secret else None
        if not value:
            raise InputError(f"no URL for {self.name}: set {self.secret} in the environment or "
                             f".streamlit/secrets.toml")
        return value


@dataclass(frozen=True)
class Inventory:
    path: Path
    instances: tuple[Instance, ...]
    collector: dict = field(default_factory=dict)
    alerts: dict = field(default_factory=dict)
    notify: dict = field(default_factory=dict)

    def by_name(self) -> dict[str, Instance]:
        return {i.name: i for i in self.instances}

    def setting(self, key: str, default: float) -> float:
        return float(self.collector.get(key, default))


def inventory_path(path: str | Path | None = None) -> Path:
    """--inventory, else LUCKY_INVENTORY, else inventories/local.toml."""
    chosen = path or config.setting("LUCKY_INVENTORY") or DEFAULT_INVENTORY
    return Path(chosen)


def _instance(raw: dict, where: str) -> Instance:
    name, kind = raw.get("name"), raw.get("kind")
    if not name or kind not in KINDS:
        raise InputError(f"{where}: each instance needs a name and kind in {KINDS} (got {raw!r})")
    if not raw.get("url") and not raw.get("secret"):
        raise InputError(f"{where}: instance {name} needs `url` or `secret`")
    tags = raw.get("tags", {})
    return Instance(
        name=str(name), kind=str(kind), url=raw.get("url"), secret=raw.get("secret"),
        service=str(tags.get("service", raw.get("service", ""))),
        environment=str(tags.get("environment", raw.get("environment", ""))),
        capacity_gb=raw.get("capacity_gb"), timeout=raw.get("timeout"))


def load(path: str | Path | None = None) -> Inventory:
    """Parse and validate the inventory; names must be unique."""
    where = inventory_path(path)
    if not where.exists():
        raise InputError(f"inventory {where} not found; pass --inventory or set LUCKY_INVENTORY")
    with open(where, "rb") as fh:
        try:
            raw = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"inventory {where} is not valid TOML: {exc}") from exc
    instances = tuple(_instance(item, str(where)) for item in raw.get("instances", []))
    seen: set[str] = set()
    for inst in instances:
        if inst.name in seen:
            raise InputError(f"{where}: instance name {inst.name} appears twice")
        seen.add(inst.name)
    return Inventory(where, instances, raw.get("collector", {}), raw.get("alerts", {}),
                     raw.get("notify", {}))


def secret_name(instance_name: str) -> str:
    """The conventional secret for an instance: LUCKY_DSN_<NAME> (upper, - -> _)."""
    return "LUCKY_DSN_" + instance_name.upper().replace("-", "_")

