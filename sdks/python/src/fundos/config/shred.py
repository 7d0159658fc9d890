"""``fundos config import``: the normalized JSON document into the tables, in one transaction.

The input is always the Fund's normalized form (every field present, decimals exact, durations
"2s"-style, paths absolute): the loader has checked it, so this module only maps fields to
columns. The service's previous rows are deleted first (ON DELETE CASCADE), in the same
transaction: a failure anywhere leaves the database as it was."""

from __future__ import annotations

import re
from typing import Any

from fundos.config.database import Database

UNITS = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000}
DURATION = re.compile(r"^(\d+)(ns|us|ms|s|m|h)$")
LIMITS = ("max_order_qty", "max_order_notional", "max_position", "max_gross_exposure", "max_net_exposure",
          "max_open_orders", "max_intents_per_window", "rate_window_ns", "reducing_loss", "halt_loss")


def nanoseconds(value: object) -> int:
    """A normalized duration ("250ms", "2s") in nanoseconds."""
    if isinstance(value, int):
        return value
    match = DURATION.match(str(value))
    if not match:
        raise ValueError(f"not a normalized duration: {value!r}")
    return int(match.group(1)) * UNITS[match.group(2)]


def _boolean(db: Database, value: object) -> object:
    return bool(value) if db.dialect == "postgresql" else int(bool(value))


def _insert(db: Database, table: str, row: dict[str, object]) -> None:
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    db.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(row.values()))


def _limits(db: Database, fund: str, scope: str, risk: dict[str, Any], agent_id: int | None = None,
            instrument_id: int | None = None) -> None:
    row: dict[str, object] = {"fund": fund, "scope": scope, "agent_id": agent_id, "instrument_id": instrument_id}
    for key in LIMITS:
        row[key] = nanoseconds(risk["rate_window"]) if key == "rate_window_ns" else risk[key]
    _insert(db, "risk_limits", row)


def write_document(db: Database, doc: dict[str, Any]) -> None:
    """Replaces the service ``doc["name"]`` with ``doc`` (normalized). Call inside a transaction."""
    name = doc["name"]
    db.execute("DELETE FROM fund WHERE name = ?", [name])
    _insert(db, "fund", {"name": name, "mode": doc["mode"], "capital": doc["capital"]})
    _limits(db, name, "fund", doc["risk"])

    sim = doc.get("simulation")
    if sim is not None:
        decision = sim["decision"]
        kind = "bar" if "every" in decision else "events" if "events" in decision else "interval"
        _insert(db, "simulation", {
            "fund": name, "decision_kind": kind,
            "decision_events": decision.get("events"),
            "decision_interval_ns": nanoseconds(decision["interval"]) if kind == "interval" else None,
            "answer_timeout_ms": sim["answer_timeout_ms"], "start_timeout_ms": sim["start_timeout_ms"],
            "stale_after_ns": nanoseconds(sim["stale_after"]), "max_steps": sim["max_steps"]})
        for position, path in enumerate(sim["data"]):
            _insert(db, "simulation_data", {"fund": name, "position": position, "path": path})

    ex = doc["execution"]
    _insert(db, "execution", {
        "fund": name, "fill_model": ex["fill_model"], "slippage_bps": ex["slippage_bps"],
        "fee_per_share": ex["fee_per_share"], "fee_bps": ex["fee_bps"], "latency_ns": nanoseconds(ex["latency"]),
        "participation_pct": ex["participation_pct"], "venue_name": ex["venue"]["name"],
        "venue_endpoint": ex["venue"]["endpoint"], "venue_host": ex["venue"]["host"], "venue_port": ex["venue"]["port"],
        "venue_sender_comp_id": ex["venue"]["sender_comp_id"], "venue_target_comp_id": ex["venue"]["target_comp_id"],
        "venue_heartbeat_s": ex["venue"]["heartbeat_s"],
        "venue_reset_on_logon": _boolean(db, ex["venue"]["reset_on_logon"]), "venue_account": ex["venue"]["account"]})
    md = doc["market_data"]
    _insert(db, "market_data", {
        "fund": name, "source": md["source"], "feed": md["feed"], "address": md["address"], "port": md["port"],
        "interface": md["interface"], "recovery_address": md["recovery_address"], "recovery_port": md["recovery_port"],
        "reorder_window": md["reorder_window"], "reorder_timeout_ns": nanoseconds(md["reorder_timeout"]),
        "stale_after_ns": nanoseconds(md["stale_after"]), "recovery_timeout_ns": nanoseconds(md["recovery_timeout"]),
        "publish_interval_ns": nanoseconds(md["publish_interval"]),
        "heartbeat_interval_ns": nanoseconds(md["heartbeat_interval"]), "max_snapshot_lag": md["max_snapshot_lag"]})

    ids: dict[str, int] = {}
    for position, ins in enumerate(doc["instruments"]):
        ids[ins["symbol"]] = ins["id"]
        _insert(db, "instrument", {
            "fund": name, "id": ins["id"], "position": position, "symbol": ins["symbol"],
            "currency": ins["currency"], "status": ins["status"], "tick_size": ins["tick_size"],
            "lot_size": ins["lot_size"], "restricted": _boolean(db, ins["restricted"]),
            "price_collar_bps": ins["price_collar_bps"]})
        _limits(db, name, "instrument", ins["risk"], instrument_id=ins["id"])

    for position, agent in enumerate(doc["agents"]):
        agent_id = agent["id"]
        _insert(db, "agent", {
            "fund": name, "id": agent_id, "position": position, "name": agent["name"],
            "working_dir": agent["working_dir"], "capital": agent["capital"], "lease_ns": nanoseconds(agent["lease"]),
            "silent_policy": agent["silent_policy"], "wake": agent["wake"], "restart": agent["restart"],
            "max_restarts": agent["max_restarts"]})
        for i, arg in enumerate(agent["command"]):
            _insert(db, "agent_command", {"fund": name, "agent_id": agent_id, "position": i, "arg": arg})
        for i, symbol in enumerate(agent["instruments"]):
            _insert(db, "agent_instrument", {"fund": name, "agent_id": agent_id, "position": i,
                                             "instrument_id": ids[symbol]})
        for i, uid in enumerate(agent["allowed_uids"]):
            _insert(db, "agent_allowed_uid", {"fund": name, "agent_id": agent_id, "position": i, "uid": uid})
        for i, gid in enumerate(agent["allowed_gids"]):
            _insert(db, "agent_allowed_gid", {"fund": name, "agent_id": agent_id, "position": i, "gid": gid})
        _limits(db, name, "agent", agent["risk"], agent_id=agent_id)
