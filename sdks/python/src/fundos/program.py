"""The parts every agent program repeats: its command line, attach, the answer loop, the exit code.

A strategy is an object with ``step(agent, snapshot, reports)``, which submits the intents that
answer ``snapshot`` (``reports`` are those the Fund wrote since the last step, oldest first), and
``summary()``, one line printed when the program ends. :func:`run_agent` does the rest, the same
way for every agent::

    parser = fundos.program.agent_arguments(__doc__)
    parser.add_argument("--window", type=int, default=20)
    args = fundos.program.parse_agent_arguments(parser, argv)
    return fundos.program.run_agent("my_agent", args, MyStrategy(args.window))

Before attaching, the agent reads its own configuration from the Fund's configuration source
(:func:`fundos.config.agent_config`, ``args.agent_config``) when it has an address for it: its
id, its instruments, its limits. The loop: wait for a snapshot newer than the last (heartbeating
while none comes), read the reports, call ``step``, then END_OF_ANSWER for that snapshot and a
heartbeat. It ends when the Fund hangs up (exit 0), on SIGTERM/SIGINT (0), after
``--max-snapshots`` (0), when the agent cannot attach (1) or is quarantined (1). Usage errors and
a configuration that cannot be read exit 2 (through argparse).

Options every agent takes (``fundos run`` sets the environment variables):

- ``--socket PATH`` (FUNDOS_SOCKET): the Fund's socket, ``<run-dir>/fund.sock``;
- ``--config ADDRESS`` (FUNDOS_CONFIG) and ``--service FUND/AGENT`` (FUNDOS_SERVICE): where the
  Fund's configuration is (a JSON file, ``sqlite:...``, ``postgresql://...``) and this agent's
  service id in it;
- ``--agent-id N`` (FUNDOS_AGENT_ID, else the configured id): this agent's configured id;
- ``--wait spin|busy|futex`` (FUNDOS_WAKE, else the configured wake, else spin): how to wait for
  snapshots;
- ``--instruments LIST``: symbols or ids to trade, comma-separated, among the configured ones;
  without it, every instrument mapped to the agent by its configuration, or without a
  configuration every instrument less those the Fund rejects as INSTRUMENT_NOT_MAPPED
  (:class:`Universe`);
- ``--max-snapshots N``: stop after N snapshots (0: never);
- ``--quiet``: print only the final summary.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from types import FrameType
from typing import Protocol

from fundos_abi import RejectReason, ReportKind

from fundos._agent import Agent
from fundos._errors import AgentConfigError, Disconnected, FundosError, Interrupted, Quarantined, ReportsLost, Timeout
from fundos._types import Instrument, Report, Snapshot
from fundos.config.agent import AgentConfig, agent_config

HEARTBEAT_EVERY = 0.5
"""Seconds between heartbeats while no snapshot comes (a Fund's lease is longer)."""


class Strategy(Protocol):
    def step(self, agent: Agent, snapshot: Snapshot, reports: Sequence[Report]) -> None:
        """Submit the intents that answer ``snapshot`` (not END_OF_ANSWER: the loop sends it)."""

    def summary(self) -> str:
        """One line of counts for the end of the run."""


def _env_int(name: str) -> int | None:
    value = os.environ.get(name, "").strip()
    return int(value) if value.isdigit() else None


def agent_arguments(doc: str | None) -> argparse.ArgumentParser:
    """A parser with the options every agent takes; ``doc``'s first paragraph is its summary."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0] if doc else None)
    parser.add_argument("--socket", default=os.environ.get("FUNDOS_SOCKET"),
                        help="the Fund's socket, <run-dir>/fund.sock (default: $FUNDOS_SOCKET)")
    parser.add_argument("--config", metavar="ADDRESS", default=os.environ.get("FUNDOS_CONFIG") or None,
                        help="the Fund's configuration: a JSON file, sqlite:... or postgresql://...; read "
                             "before attaching (default: $FUNDOS_CONFIG)")
    parser.add_argument("--service", metavar="FUND/AGENT", default=os.environ.get("FUNDOS_SERVICE") or None,
                        help="this agent's service id in the configuration (default: $FUNDOS_SERVICE)")
    parser.add_argument("--agent-id", type=int, default=_env_int("FUNDOS_AGENT_ID"),
                        help="this agent's configured id (default: $FUNDOS_AGENT_ID, else the configuration's)")
    parser.add_argument("--wait", choices=["spin", "busy", "futex"], default=os.environ.get("FUNDOS_WAKE") or None,
                        help="how to wait for snapshots (default: $FUNDOS_WAKE, else the configured wake, "
                             "else spin)")
    parser.add_argument("--instruments", default="",
                        help="comma-separated symbols or ids to trade, among the configured ones (default: "
                             "every instrument mapped to this agent)")
    parser.add_argument("--max-snapshots", type=int, default=0, help="stop after this many (0: never)")
    parser.add_argument("--quiet", action="store_true", help="print only the final summary")
    return parser


def parse_agent_arguments(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Parse, check the common options, and read the agent's configuration when there is an address
    for it (``args.agent_config``: an :class:`~fundos.config.AgentConfig`, or None). argparse exits
    2 with a message on an error, a configuration that cannot be read included."""
    args = parser.parse_args(argv)
    if args.wait not in (None, "spin", "busy", "futex"):  # a bad $FUNDOS_WAKE skips argparse's choices
        parser.error(f"FUNDOS_WAKE must be spin, busy or futex, not {args.wait!r}")
    args.agent_config = None
    if args.config:
        args.agent_config = _read_configuration(parser, args)
    if args.wait is None:
        args.wait = args.agent_config.wake if args.agent_config is not None else "spin"
    if not args.socket:
        parser.error("no socket: give --socket or set FUNDOS_SOCKET")
    if args.agent_id is None or args.agent_id < 1:
        parser.error("no agent id: give --agent-id N (N >= 1) or set FUNDOS_AGENT_ID")
    if args.max_snapshots < 0:
        parser.error("--max-snapshots must be 0 (never) or more")
    return args


def _tokens(text: str) -> list[str]:
    return [token.strip() for token in text.split(",") if token.strip()]


def _read_configuration(parser: argparse.ArgumentParser, args: argparse.Namespace) -> AgentConfig:
    """The agent's configuration (``--config``, ``--service``), checked against ``--agent-id`` and
    ``--instruments``; argparse's exit 2 with the message when it cannot be read or disagrees."""
    if not args.service:
        parser.error("--config needs --service FUND/AGENT (or FUNDOS_SERVICE): this agent's service id")
    try:
        config = agent_config(args.config, args.service)
    except AgentConfigError as error:
        parser.exit(2, f"{parser.prog}: {error}\n")
    if args.agent_id is None:
        args.agent_id = config.agent_id
    elif args.agent_id != config.agent_id:
        parser.error(f"agent id {args.agent_id} is not the id of {config.service}, which is {config.agent_id} "
                     f"in {config.source}")
    for token in _tokens(args.instruments):
        if config.instrument(token) is None and not (token.isdigit() and config.instrument(int(token))):
            parser.error(f"--instruments: {token} is not one of the instruments of {config.service} in "
                         f"{config.source} ({', '.join(config.symbols) or 'none'})")
    return config


@dataclass
class Universe:
    """The instruments an agent trades: those its configuration maps to it (``configured``, when
    it read it), narrowed to the operator's list when there is one; without a configuration the
    operator's list, or all of them less the ones the Fund said are not mapped to this agent
    (learnt from INSTRUMENT_NOT_MAPPED reports)."""

    wanted: frozenset[str]
    not_mapped: set[int] = field(default_factory=set)
    configured: frozenset[int] | None = None
    """The ids of the configured instruments; None: no configuration was read."""

    @classmethod
    def parse(cls, text: str) -> Universe:
        return cls(frozenset(_tokens(text)))

    @classmethod
    def from_arguments(cls, args: argparse.Namespace) -> Universe:
        """``--instruments`` within the configured instruments (``args.agent_config``, if read)."""
        universe = cls.parse(args.instruments)
        config = getattr(args, "agent_config", None)
        if isinstance(config, AgentConfig):
            universe = replace(universe, configured=frozenset(i.instrument_id for i in config.instruments))
        return universe

    def learn(self, report: Report) -> None:
        if report.kind is ReportKind.REJECTED and report.reason == RejectReason.INSTRUMENT_NOT_MAPPED:
            self.not_mapped.add(report.instrument_id)

    def trades(self, instrument: Instrument) -> bool:
        if instrument.instrument_id in self.not_mapped:
            return False
        if self.configured is not None and instrument.instrument_id not in self.configured:
            return False
        return not self.wanted or instrument.symbol in self.wanted or str(instrument.instrument_id) in self.wanted


def mid_or_last(instrument: Instrument) -> float:
    """The mid when both sides are quoted, else the last trade; 0 when neither."""
    if instrument.bid > 0 and instrument.ask > 0:
        return (instrument.bid + instrument.ask) / 2
    return instrument.last


def lot_of(instrument: Instrument) -> Decimal:
    """The instrument's lot size, exact (0.01 stays 0.01); 1 when the Fund gives none."""
    return Decimal(repr(instrument.lot_size)) if instrument.lot_size > 0 else Decimal(1)


def whole_lots(notional: float, price: float, instrument: Instrument) -> Decimal:
    """``notional / price`` rounded down to whole lots of ``instrument``, exactly."""
    lot = lot_of(instrument)
    return math.floor(notional / price / float(lot)) * lot


def read_reports(agent: Agent, name: str) -> list[Report]:
    """Every report waiting, oldest first (a loss is noted on stderr and reading goes on)."""
    out: list[Report] = []
    while True:
        try:
            batch = agent.reports()
        except ReportsLost as lost:
            print(f"{name}: {lost.lost} reports were lost (read too slowly)", file=sys.stderr)
            continue
        out.extend(batch)
        if len(batch) < 256:
            return out


def run_agent(name: str, args: argparse.Namespace, strategy: Strategy, banner: str = "") -> int:
    """Attach as ``args.agent_id`` on ``args.socket`` and answer every snapshot with ``strategy``
    until the run ends; the program's exit code. ``banner`` is printed after attaching."""
    agent = Agent(args.socket, args.agent_id, wait=args.wait, ring_full="wait")

    def on_signal(signo: int, frame: FrameType | None) -> None:
        agent.stop()  # the wait below raises Interrupted within 50 ms

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        agent.attach()
    except FundosError as error:
        print(f"{name}: cannot attach to {args.socket} as agent {args.agent_id}: {error}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"{name}: attached as agent {args.agent_id}" + (f"; {banner}" if banner else ""), flush=True)
        config = getattr(args, "agent_config", None)
        if isinstance(config, AgentConfig):
            print(f"{name}: {config.service} from {config.source}: instruments {', '.join(config.symbols) or 'none'}",
                  flush=True)
    exit_code = 0
    snapshots = 0
    seq = 0
    with agent:
        try:
            while True:
                try:
                    snapshot = agent.wait_snapshot(after_seq=seq, timeout=HEARTBEAT_EVERY)
                except Timeout:
                    agent.heartbeat()
                    continue
                seq = snapshot.seq
                snapshots += 1
                strategy.step(agent, snapshot, read_reports(agent, name))
                agent.end_of_answer(seq)
                agent.heartbeat(seq)
                if args.max_snapshots and snapshots >= args.max_snapshots:
                    break
        except Disconnected:
            if not args.quiet:
                print(f"{name}: the Fund hung up (end of the run)")
        except Interrupted:
            if not args.quiet:
                print(f"{name}: stopped by a signal")
        except Quarantined as error:
            print(f"{name}: {error}", file=sys.stderr)
            exit_code = 1
    print(f"{name}: {snapshots} snapshots, {strategy.summary()}", flush=True)
    return exit_code
