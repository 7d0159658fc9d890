"""An agent's own configuration, read from the Fund's configuration source by service id.

:func:`agent_config` reads the configuration at ``address`` (a JSON file, ``sqlite:...`` or
``postgresql://...``: the address the Fund was started with, which `fundos run` gives every
agent as FUNDOS_CONFIG) and returns the part of the agent ``service`` (``FUND/AGENT``, given as
FUNDOS_SERVICE). The reading and every rule are the Fund's own loader, through the C SDK's
``fundos_agent_config_load`` (sdks/c/include/fundos/config.h) in :mod:`fundos._core`; this module
only turns the loader's JSON view of the agent into frozen dataclasses (decimals as
:class:`~decimal.Decimal`, durations as integers of nanoseconds)::

    config = fundos.config.agent_config("sqlite:///srv/fundos/config.db", "demo/ma_crossover")
    config.agent_id, config.symbols           # 1, ("SYN001", "SYN002")
    config.risk.max_position                  # Decimal("2000")

Faults raise :class:`~fundos.AgentConfigError` (a :class:`~fundos.FundosError` and a
:class:`~fundos.config.ConfigError`) with the loader's message, e.g.
``sqlite:///srv/fundos/config.db#demo: no agent "foo" in this configuration (it has ...)``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from fundos import _core, _errors


@dataclass(frozen=True)
class RiskLimits:
    """Risk limits of one scope, as the Fund checks them; 0 means "no limit"."""

    max_order_qty: Decimal
    max_order_notional: Decimal
    max_position: Decimal
    max_gross_exposure: Decimal
    max_net_exposure: Decimal
    max_open_orders: int
    max_intents_per_window: int
    rate_window_ns: int
    reducing_loss: Decimal
    halt_loss: Decimal


@dataclass(frozen=True)
class InstrumentConfig:
    """One instrument mapped to the agent."""

    instrument_id: int
    symbol: str
    currency: str
    tick_size: Decimal
    """0: the market data's."""
    lot_size: Decimal
    """0: the market data's."""
    restricted: bool
    """Only risk-reducing intents are accepted."""
    price_collar_bps: int
    risk: RiskLimits
    """The instrument's fund-wide limits."""


@dataclass(frozen=True)
class AgentConfig:
    """An agent's configuration: what the Fund knows about it. Equal whatever source held it
    (``source`` aside)."""

    service: str
    """``FUND/AGENT``."""
    fund: str
    mode: str
    agent_id: int
    name: str
    capital: Decimal
    instruments: tuple[InstrumentConfig, ...]
    """The instruments mapped to the agent, in the configured order."""
    risk: RiskLimits
    """The agent's own limits."""
    lease_ns: int
    silent_policy: str
    """``no_op``, ``cancel_orders`` or ``flatten``."""
    wake: str
    """``spin``, ``busy`` or ``futex``."""
    restart: str
    max_restarts: int
    command: tuple[str, ...]
    working_dir: str
    allowed_uids: tuple[int, ...]
    allowed_gids: tuple[int, ...]
    source: str = field(default="", compare=False)
    """What it was read from: the file, or ``LABEL#FUND`` for a database (no password)."""
    view_json: str = field(default="", compare=False, repr=False)
    """The loader's JSON view it was built from (the same bytes from every source)."""

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(instrument.symbol for instrument in self.instruments)

    def instrument(self, key: str | int) -> InstrumentConfig | None:
        """The mapped instrument with this symbol or id, or None."""
        for instrument in self.instruments:
            if key in (instrument.symbol, instrument.instrument_id):
                return instrument
        return None


def _risk(data: Mapping[str, Any]) -> RiskLimits:
    return RiskLimits(
        max_order_qty=Decimal(data["max_order_qty"]),
        max_order_notional=Decimal(data["max_order_notional"]),
        max_position=Decimal(data["max_position"]),
        max_gross_exposure=Decimal(data["max_gross_exposure"]),
        max_net_exposure=Decimal(data["max_net_exposure"]),
        max_open_orders=int(data["max_open_orders"]),
        max_intents_per_window=int(data["max_intents_per_window"]),
        rate_window_ns=int(data["rate_window_ns"]),
        reducing_loss=Decimal(data["reducing_loss"]),
        halt_loss=Decimal(data["halt_loss"]),
    )


def _instrument(data: Mapping[str, Any]) -> InstrumentConfig:
    return InstrumentConfig(
        instrument_id=int(data["id"]),
        symbol=str(data["symbol"]),
        currency=str(data["currency"]),
        tick_size=Decimal(data["tick_size"]),
        lot_size=Decimal(data["lot_size"]),
        restricted=bool(data["restricted"]),
        price_collar_bps=int(data["price_collar_bps"]),
        risk=_risk(data["risk"]),
    )


def from_json(text: str, source: str = "") -> AgentConfig:
    """The :class:`AgentConfig` of the loader's JSON view (``fundos_agent_config_json``)."""
    view = json.loads(text)
    agent = view["agent"]
    return AgentConfig(
        service=str(view["service"]),
        fund=str(view["fund"]),
        mode=str(view["mode"]),
        agent_id=int(agent["id"]),
        name=str(agent["name"]),
        capital=Decimal(agent["capital"]),
        instruments=tuple(_instrument(row) for row in view["instruments"]),
        risk=_risk(agent["risk"]),
        lease_ns=int(agent["lease_ns"]),
        silent_policy=str(agent["silent_policy"]),
        wake=str(agent["wake"]),
        restart=str(agent["restart"]),
        max_restarts=int(agent["max_restarts"]),
        command=tuple(str(arg) for arg in agent["command"]),
        working_dir=str(agent["working_dir"]),
        allowed_uids=tuple(int(uid) for uid in agent["allowed_uids"]),
        allowed_gids=tuple(int(gid) for gid in agent["allowed_gids"]),
        source=source,
        view_json=text,
    )


def agent_config(address: str, service: str) -> AgentConfig:
    """The configuration of the agent ``service`` (``FUND/AGENT``) at ``address`` (a JSON file,
    ``sqlite:...`` or ``postgresql://...``, as the Fund reads it; a database address may name
    the Fund after ``#``). Blocks while it reads. Raises :class:`~fundos.AgentConfigError` with
    the loader's message naming the source and the service or field."""
    for what, value in (("address", address), ("service", service)):
        if not isinstance(value, str):
            raise TypeError(f"agent_config: {what} must be a str, not {type(value).__name__}")
        if "\0" in value:
            raise _errors.make_error(_CONFIG, f"{what} {value!r} contains a NUL character")
    code, message, text, source = _core.agent_config(address, service)
    if code != 0:
        raise _errors.make_error(code, message)
    return from_json(text, source)


_CONFIG = next(code for code, name, _ in _core.error_codes() if name == "FUNDOS_E_CONFIG")
