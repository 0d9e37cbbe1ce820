"""Live fleet monitoring (Tools 1 and 3): inventory, collector, metric store, alerts, capacity.

Data flows inventory -> collector (probes, read-only) -> store (Lucky's state store) -> alerts
and notifications; the tools `db-health` and `redis-console` only read the store.
"""
