"""The example agents (sdks/python/examples, sdks/c/examples) against the fake Fund: prices that
rise one snapshot after another must make them BUY, answer each snapshot and heartbeat."""

from __future__ import annotations

import importlib.util
import subprocess
import threading
import time
from pathlib import Path
from types import ModuleType

import fundos_abi
import pytest
from fund_build import build_dir
from sdk_fakefund import FakeFund, instrument

REPO = Path(__file__).resolve().parents[2]
SNAPSHOTS = 12


def load_python_example() -> ModuleType:
    path = REPO / "sdks" / "python" / "examples" / "momentum_agent.py"
    spec = importlib.util.spec_from_file_location("momentum_agent_example", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rising_market(fund: FakeFund, stop: threading.Event) -> None:
    """Once the agent is attached, publish SYM1 rising by 0.1% per snapshot, every 5 ms, until told
    to stop."""
    fund.join()
    last = 10_000_000_000  # 100.00
    while not stop.is_set():
        state = fundos_abi.FundState()
        instrument(state, 0, 1, "SYM1", last)
        fund.publish(state)
        last += last // 1000
        time.sleep(0.005)


def check_answers(fund: FakeFund) -> None:
    ring = fund.intents().ring
    records = [ring[i] for i in range(fundos_abi.INTENT_RING_SLOTS) if ring[i].commit != 0]
    kinds = [record.kind for record in records]
    assert kinds.count(fundos_abi.IntentKind.END_OF_ANSWER) >= SNAPSHOTS - 1
    orders = [record for record in records if record.kind == fundos_abi.IntentKind.ORDER]
    assert orders, "a rising market must make the momentum agent buy"
    for order in orders:
        assert order.side == fundos_abi.Side.BUY and order.instrument_id == 1 and order.qty == 1_000_000
        assert order.order_type == fundos_abi.OrderType.MARKET and order.time_in_force == fundos_abi.TimeInForce.DAY
    assert [record.intent_id for record in records] == list(range(1, len(records) + 1))
    assert fund.intents().heartbeat.counter >= SNAPSHOTS - 1


def test_python_example(fund: FakeFund, capsys: pytest.CaptureFixture[str]) -> None:
    example = load_python_example()
    fund.serve()
    stop = threading.Event()
    publisher = threading.Thread(target=rising_market, args=(fund, stop))
    publisher.start()
    try:
        code = example.main(["--socket", fund.path, "--agent-id", "7", "--window", "3", "--threshold-bps", "5",
                             "--max-snapshots", str(SNAPSHOTS), "--wait", "futex"])
    finally:
        stop.set()
        publisher.join()
    out = capsys.readouterr().out
    assert code == 0, out
    assert "attached as agent 7" in out and "BUY SYM1" in out and f"{SNAPSHOTS} snapshots" in out
    check_answers(fund)


def test_c_example(fund: FakeFund) -> None:
    binary = build_dir("sdks/c/fundos_momentum_agent") / "sdks" / "c" / "fundos_momentum_agent"
    fund.serve()
    stop = threading.Event()
    publisher = threading.Thread(target=rising_market, args=(fund, stop))
    publisher.start()
    try:
        result = subprocess.run(
            [str(binary), "--socket", fund.path, "--agent-id", "7", "--window", "3", "--threshold-bps", "5",
             "--max-snapshots", str(SNAPSHOTS), "--wait", "spin"],
            capture_output=True, text=True, timeout=30, check=False,
        )
    finally:
        stop.set()
        publisher.join()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "attached as agent 7" in result.stdout and "BUY SYM1" in result.stdout
    check_answers(fund)
