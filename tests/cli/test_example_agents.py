"""The example agents of sdks/python/examples and sdks/c/examples against a lock-step fake Fund:
each answers every snapshot with END_OF_ANSWER, trades as its strategy says, drops instruments
the Fund says are not mapped to it, exits 0 when the Fund hangs up, and gives the same intents
for the same snapshots."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import fundos_abi
from cli_lockstep import PRICE, QTY, LockstepFund, Quote
from sdk_fakefund import FakeFund

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "sdks" / "python" / "examples"
Kind = fundos_abi.IntentKind


def run_agent(fake: FakeFund, argv: Sequence[str], prices: Sequence[float], *, mapped: tuple[int, ...] = (1,),
              quoted: bool = True) -> tuple[LockstepFund, str]:
    """Start the agent (FUNDOS_* variables as `fundos run` sets them), step the fake Fund through
    ``prices`` for AAA (id 1) and BBB (id 2, same prices), hang up, and return the Fund with what
    it saw plus the agent's output; the agent must exit 0."""
    env = dict(os.environ, FUNDOS_SOCKET=fake.path, FUNDOS_AGENT_ID="7", FUNDOS_WAKE="futex",
               ASAN_OPTIONS="detect_leaks=0")
    for name in ("FUNDOS_CONFIG", "FUNDOS_SERVICE"):  # no configuration: the agents trade what the Fund allows
        env.pop(name, None)
    fake.serve()
    agent = subprocess.Popen(list(argv), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        fake.join()
        fund = LockstepFund(fake, mapped=set(mapped))
        for price in prices:
            raw = round(price * PRICE)
            fund.step([Quote(1, "AAA", raw, quoted), Quote(2, "BBB", raw, quoted)])
        fake.hang_up()
        out, _ = agent.communicate(timeout=20)
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.wait()
    assert agent.returncode == 0, out
    assert fund.answered == list(range(1, len(prices) + 1))
    return fund, out


def trading(fund: LockstepFund) -> list[tuple[int, int, int, int, int, int, int]]:
    """The intents other than END_OF_ANSWER, as comparable tuples (intent ids included)."""
    return [(r.intent_id, r.kind, r.instrument_id, r.side, r.qty, r.limit_price, r.ref_intent_id)
            for r in fund.intents if r.kind != Kind.END_OF_ANSWER]


def check_not_mapped_dropped(fund: LockstepFund) -> None:
    on_bbb = [r for r in fund.intents if r.instrument_id == 2]
    assert len(on_bbb) == 1, "the agent must stop trading BBB once the Fund says it is not mapped"


MA_PRICES = [100, 100, 100, 100, 101, 102, 103, 104, 100, 96, 92, 88, 90]


def test_ma_crossover(fake: FakeFund) -> None:
    fund, out = run_agent(fake, [sys.executable, str(EXAMPLES / "ma_crossover.py"), "--fast", "2", "--slow", "4",
                                 "--notional", "1000"], MA_PRICES)
    targets = [(r.instrument_id, r.qty, r.snapshot_seq) for r in fund.intents if r.kind == Kind.TARGET_POSITION]
    # seq 5 (101): fast 100.5 > slow 100.25: long floor(1000 / 101) = 9 units; seq 9 (100): fast 102 < 102.25: flat
    assert targets == [(1, 9 * QTY, 5), (2, 9 * QTY, 5), (1, 0, 9)], out
    assert {r.kind for r in fund.intents} == {Kind.TARGET_POSITION, Kind.END_OF_ANSWER}
    check_not_mapped_dropped(fund)
    assert "13 snapshots" in out


def test_ma_crossover_short_and_deterministic(tmp_path: Path) -> None:
    runs = []
    for attempt in range(2):
        (tmp_path / str(attempt)).mkdir()
        fake = FakeFund(tmp_path / str(attempt))
        try:
            fund, _ = run_agent(fake, [sys.executable, str(EXAMPLES / "ma_crossover.py"), "--fast", "2", "--slow",
                                       "4", "--notional", "1000", "--short", "--price", "last", "--quiet"],
                                MA_PRICES, mapped=(1, 2))
        finally:
            fake.close()
        runs.append(trading(fund))
    assert runs[0] == runs[1]
    # short as soon as the window is full (fast == slow is not "fast > slow"), long at 101, short again at 100
    assert [(kind, iid, qty) for _, kind, iid, _, qty, _, _ in runs[0] if iid == 1] == [
        (Kind.TARGET_POSITION, 1, -10 * QTY), (Kind.TARGET_POSITION, 1, 9 * QTY),
        (Kind.TARGET_POSITION, 1, -10 * QTY)]


MR_PRICES = [100, 100, 100, 100, 100, 95, 95.5, 100, 100]


def test_mean_reversion(fake: FakeFund) -> None:
    fund, out = run_agent(fake, [sys.executable, str(EXAMPLES / "mean_reversion.py"), "--window", "5",
                                 "--entry", "1.5", "--exit", "0.5", "--notional", "1000"], MR_PRICES)
    on_aaa = [r for r in fund.intents if r.instrument_id in (0, 1) and r.kind != Kind.END_OF_ANSWER]
    # seq 6 (95, z = -2): BUY floor(1000 / 95) = 10 at the bid 94.99; seq 7 (95.5, still long): the
    # bid moved to 95.49, cancel and replace; seq 8 (100, z > -0.5): flat, cancel.
    assert [(r.kind, r.side, r.qty, r.limit_price, r.snapshot_seq) for r in on_aaa] == [
        (Kind.ORDER, fundos_abi.Side.BUY, 10 * QTY, 9_499_000_000, 6),
        (Kind.CANCEL, fundos_abi.Side.NONE, 0, 0, 7),
        (Kind.ORDER, fundos_abi.Side.BUY, 10 * QTY, 9_549_000_000, 7),
        (Kind.CANCEL, fundos_abi.Side.NONE, 0, 0, 8),
    ], out
    assert all(r.order_type == fundos_abi.OrderType.LIMIT and r.time_in_force == fundos_abi.TimeInForce.DAY
               for r in on_aaa if r.kind == Kind.ORDER)
    assert on_aaa[1].ref_intent_id == on_aaa[0].intent_id and on_aaa[3].ref_intent_id == on_aaa[2].intent_id
    check_not_mapped_dropped(fund)
    assert not fund.working


def test_mean_reversion_without_quotes_limits_on_the_tick(fake: FakeFund) -> None:
    prices = [100, 100, 100, 100, 100, 95.004]
    fund, out = run_agent(fake, [sys.executable, str(EXAMPLES / "mean_reversion.py"), "--window", "5",
                                 "--entry", "1.5", "--notional", "1000", "--instruments", "AAA"],
                          prices, quoted=False)
    orders = [r for r in fund.intents if r.kind == Kind.ORDER]
    assert [(r.instrument_id, r.side, r.limit_price) for r in orders] == [(1, fundos_abi.Side.BUY, 9_500_000_000)], out


BREAKOUT_PRICES = [100, 100, 100, 105, 106, 107, 103, 103, 98]


def test_breakout_agent(fake: FakeFund, breakout_binary: Path) -> None:
    fund, out = run_agent(fake, [str(breakout_binary), "--entry", "3", "--exit", "2", "--notional", "1000"],
                          BREAKOUT_PRICES)
    on_aaa = [(r.kind, r.side, r.order_type, r.qty, r.snapshot_seq) for r in fund.intents
              if r.instrument_id == 1 and r.kind != Kind.END_OF_ANSWER]
    # seq 4 (105 > 100): BUY floor(1000 / 105) = 9 at the market; seq 7 (103 < 106, the exit
    # channel's low): FLATTEN; seq 9 (98 < 103): no short without --short.
    assert on_aaa == [
        (Kind.ORDER, fundos_abi.Side.BUY, fundos_abi.OrderType.MARKET, 9 * QTY, 4),
        (Kind.FLATTEN, fundos_abi.Side.NONE, 0, 0, 7),
    ], out
    check_not_mapped_dropped(fund)
    assert "9 snapshots" in out


def test_breakout_agent_short(fake: FakeFund, breakout_binary: Path) -> None:
    fund, out = run_agent(fake, [str(breakout_binary), "--entry", "3", "--exit", "2", "--notional", "1000",
                                 "--short", "--quiet", "--instruments", "AAA"], [100, 100, 100, 95, 94, 97])
    assert [(r.kind, r.side, r.qty) for r in fund.intents if r.kind != Kind.END_OF_ANSWER] == [
        (Kind.ORDER, fundos_abi.Side.SELL, 10 * QTY), (Kind.FLATTEN, fundos_abi.Side.NONE, 0)], out


def test_agents_need_a_socket() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUNDOS_")}
    for script in ("ma_crossover.py", "mean_reversion.py"):
        done = subprocess.run([sys.executable, str(EXAMPLES / script)], env=env, capture_output=True, text=True,
                              timeout=30, check=False)
        assert done.returncode == 2 and "FUNDOS_SOCKET" in done.stderr
