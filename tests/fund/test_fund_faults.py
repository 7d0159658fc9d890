"""Faults against the real Fund in simulation mode, with real agent processes and real shared
memory (issue #5): an agent SIGKILLed mid-run and restarted, an agent writing garbage into its
intent ring, a silent agent, the operator's kill switch, SIGTERM to the Fund, a bad
configuration. Each run is small (two synthetic symbols, one day, max_steps) and takes seconds.

The agents are tests/fund/agents/fault_agent.py; fault_harness.py builds the configuration,
runs the Fund (`fundos run`, or `fund run` with the agents started by the test) and reads the
journal (`fund journal`), report.json and the agents' logs.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
from pathlib import Path

import pytest
from fault_harness import (
    ENV,
    Agent,
    Run,
    agent_events,
    agent_report,
    build_dir,
    fundos_cli,
    journal,
    of_type,
    report,
    wait_for,
    write_config,
)


def _seqs(records: object) -> list[int]:
    return [int(r["seq"]) for r in records]  # type: ignore[attr-defined]


def _fills(run_dir: Path, agent: str) -> list[dict[str, str]]:
    with (run_dir / "fills.csv").open() as f:
        return [row for row in csv.DictReader(f) if row["agent"] == agent]


def test_agent_killed_mid_run_is_restarted_and_trades_again(tmp_path: Path) -> None:
    victim = Agent(1, "SYN001", ["--delay-ms", "15"], extra={"restart": "on_failure", "max_restarts": 2})
    other = Agent(2, "SYN002", ["--delay-ms", "15"])
    config = write_config(tmp_path, [victim, other], max_steps=200)  # ~3 s: room for the restart
    run_dir = tmp_path / "run"
    run = Run(config, run_dir, cli=True)
    try:
        first = wait_for(lambda: agent_events(run_dir, 1, "attached"), 30, "agent 1 attached", run)[0]
        wait_for(lambda: any(e["n"] >= 20 for e in agent_events(run_dir, 1, "snapshot")), 30,
                 "agent 1 at its 20th snapshot", run)
        os.kill(first["pid"], signal.SIGKILL)
        code = run.wait(60)
    finally:
        run.kill()
    assert code == 0, run.stderr
    assert "restart 1 of 2" in run.stderr and "was restarted 1 time" in run.stderr, run.stderr

    attached = agent_events(run_dir, 1, "attached")
    assert [a["generation"] for a in attached] == [1, 2], attached
    records = journal(run_dir)
    dead = _seqs(of_type(records, "policy", agent=1))
    assert dead, "no silent step recorded for the killed agent"
    assert all(r["why"] == "dead" and r["policy"] == "cancel_orders" for r in of_type(records, "policy", agent=1))
    assert dead == list(range(dead[0], dead[-1] + 1)), f"the dead steps are not one stretch: {dead}"
    assert not list(of_type(records, "policy", agent=2)), "the other agent was silent"
    # the restarted agent answered the very step during which it reattached (nothing refused as stale)
    assert dead[-1] + 1 in _seqs(of_type(records, "intent", agent=1)), "no answer in the step it reattached"
    # the other agent kept trading while agent 1 was down
    other_steps = set(_seqs(of_type(records, "intent", agent=2)))
    assert set(dead) <= other_steps, f"agent 2 missed steps {sorted(set(dead) - other_steps)}"
    # agent 1 trades again after its restart, with ids that kept increasing (no duplicates)
    mine = list(of_type(records, "intent", agent=1, kind="ORDER"))
    assert any(int(r["seq"]) > dead[-1] and r["verdict"] == "ACCEPTED" for r in mine)
    ids = [int(r["id"]) for r in mine]
    assert ids == sorted(set(ids)), "intent ids repeated across the restart"
    assert not [r for r in records if r.type in ("intent", "refusal") and r.get("agent") == "1"
                and r.get("verdict") not in ("ACCEPTED", "JOURNALED")], "an intent of agent 1 was refused"
    # nothing accepted is lost: every accepted order of agent 1 either filled or was canceled
    # (its silent policy, a DAY end, shutdown), and report.json counts every fill
    accepted = {r["id"] for r in mine if r["verdict"] == "ACCEPTED"}
    filled = {r["intent"] for r in of_type(records, "allocation", agent=1)}
    canceled = {r["intent"] for r in of_type(records, "cancel", agent=1)}
    assert accepted <= filled | canceled, f"accepted but never filled nor canceled: {accepted - filled - canceled}"
    fills = _fills(run_dir, "agent1")
    last_before = max(int(r["id"]) for r in mine if int(r["seq"]) < dead[0])
    assert {int(row["intent_id"]) <= last_before for row in fills} == {True, False}, "fills of one generation only"
    assert agent_report(run_dir, 1)["trades"] == len(fills)
    assert report(run_dir)["run"]["steps"] == 200


def test_agent_writing_garbage_is_refused_journaled_and_reported(tmp_path: Path) -> None:
    config = write_config(tmp_path, [Agent(1, "SYN001", ["--garbage-at", "3"]), Agent(2, "SYN002")],
                          max_steps=12, answer_timeout_ms=500, launch=False)
    run_dir = tmp_path / "run"
    run = Run(config, run_dir, cli=False)
    try:
        run.start_agents(config, {1: ["--garbage-at", "3"], 2: []})
        code = run.wait(60)
    finally:
        run.kill()
    assert code == 0, run.stderr
    records = journal(run_dir)
    refusals = list(of_type(records, "refusal", agent=1))
    structural = [r for r in refusals if r["source"] == "transport"]
    assert [r["reason"] for r in structural] == ["UNKNOWN_ENUM", "UNKNOWN_ENUM", "BAD_QUANTITY", "BAD_QUANTITY",
                                                 "BAD_PRICE", "UNKNOWN_INSTRUMENT"]
    assert structural[2]["qty"] == str(0x7FF8000000000000)
    quarantine = [r for r in refusals if r["source"] == "quarantine"]
    assert len(quarantine) == 1 and quarantine[0]["reason"] == "CORRUPT_SLOT"
    assert int(quarantine[0]["commit"], 16) == int(quarantine[0]["ring_position"]) + 1001
    # none of it reached the engine or the market
    garbage_ids = {str(i) for i in agent_events(run_dir, 1, "garbage")[0]["ids"]}
    assert {r["id"] for r in structural} == garbage_ids
    assert not [r for r in of_type(records, "intent", agent=1) if r["id"] in garbage_ids]
    assert not [r for r in of_type(records, "order", agent=1) if r["intent"] in garbage_ids]
    # the valid intent of the same answer went through; after the quarantine agent 1 is silent
    garbage_seq = structural[0]["seq"]
    assert [r["verdict"] for r in of_type(records, "intent", agent=1, seq=garbage_seq, kind="ORDER")] == ["ACCEPTED"]
    silent = _seqs(of_type(records, "policy", agent=1))
    assert silent and all(r["why"] == "quarantined" for r in of_type(records, "policy", agent=1))
    assert silent == list(range(int(quarantine[0]["seq"]), 13))
    # the Fund kept serving agent 2 in every step
    assert set(_seqs(of_type(records, "step_end"))) == set(_seqs(of_type(records, "intent", agent=2)))
    # the agent was told, the report counts it, the operator saw the quarantine
    told = {e["intent_id"]: e["reason"] for e in agent_events(run_dir, 1, "report") if e["kind"] == "REJECTED"}
    assert sorted(told.values()) == sorted(r["reason"] for r in structural)
    expected = {"UNKNOWN_ENUM": 2, "BAD_QUANTITY": 2, "BAD_PRICE": 1, "UNKNOWN_INSTRUMENT": 1, "CORRUPT_SLOT": 1}
    assert agent_report(run_dir, 1)["rejects"] == expected
    assert report(run_dir)["fund"]["rejects"] == expected
    assert agent_report(run_dir, 2)["rejects"] == {}
    assert [e["agent_id"] for e in run.events("agent") if e["what"] == "quarantined"] == [1]


def test_silent_agents_time_out_and_their_policy_applies(tmp_path: Path) -> None:
    cancels = Agent(1, "SYN001", ["--silent-after", "4", "--limit-at", "4"], silent_policy="cancel_orders")
    flattens = Agent(2, "SYN002", ["--silent-after", "4", "--pattern", "buy"], silent_policy="flatten")
    trader = Agent(3, "SYN001")
    config = write_config(tmp_path, [cancels, flattens, trader], max_steps=14, answer_timeout_ms=100)
    run_dir = tmp_path / "run"
    run = Run(config, run_dir, cli=True)
    try:
        code = run.wait(60)
    finally:
        run.kill()
    assert code == 0, run.stderr
    records = journal(run_dir)
    for agent_id, policy in ((1, "cancel_orders"), (2, "flatten")):
        applied = list(of_type(records, "policy", agent=agent_id))
        assert _seqs(applied) == list(range(5, 15)), f"agent {agent_id}: {[r.text for r in applied]}"
        assert all(r["why"] == "timeout" and r["policy"] == policy for r in applied)
    assert not list(of_type(records, "policy", agent=3))
    assert set(range(1, 15)) <= set(_seqs(of_type(records, "intent", agent=3))), "agent 3 stopped trading"
    # cancel_orders: the resting limit order of agent 1 is canceled at its first silent step
    limit = [r for r in of_type(records, "intent", agent=1, type="LIMIT") if r["verdict"] == "ACCEPTED"]
    assert len(limit) == 1
    canceled = list(of_type(records, "cancel", agent=1, intent=limit[0]["id"]))
    assert [(r["cause"], r["reason"]) for r in canceled] == [("silent", "AGENT_SILENT")]
    # flatten: orders with intent 0 close agent 2's long position; it ends flat
    assert [r for r in of_type(records, "order", agent=2, intent=0) if r["side"] == "SELL"]
    net = sum(float(row["qty"]) * (1 if row["side"] == "BUY" else -1) for row in _fills(run_dir, "agent2"))
    assert _fills(run_dir, "agent2") and net == 0, "agent 2 was not flattened"


def _control(run_dir: Path, *args: str) -> str:
    done = subprocess.run([fundos_cli(), *args, "--run-dir", str(run_dir)], capture_output=True, text=True,
                          env=ENV, check=False, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _status(run_dir: Path) -> dict[str, object]:
    value = json.loads(_control(run_dir, "status", "--json"))
    assert isinstance(value, dict)
    return value


def test_the_operator_is_served_while_steps_are_quick(tmp_path: Path) -> None:
    """A step per market event, answered at once: the Fund serves the control socket between
    steps (at 1 kHz of wall clock across steps), not only while a step waits for a slow agent."""
    config = write_config(tmp_path, [Agent(1, "SYN001")], max_steps=0, launch=False, days=40,
                          decision={"events": 1})
    run_dir = tmp_path / "run"
    run = Run(config, run_dir, cli=False)
    try:
        run.start_agents(config, {1: ["--pattern", "buy"]})
        wait_for(lambda: any(e["n"] >= 50 for e in agent_events(run_dir, 1, "snapshot")), 30,
                 "agent 1 at its 50th snapshot", run)
        status = _status(run_dir)  # `fundos status` gives up after its own timeout
        assert isinstance(status["step"], int) and status["step"] >= 50, status
        assert run.proc.poll() is None, "the run ended before the operator was answered: make it longer"
        _control(run_dir, "kill-switch", "--agent", "1", "--on")
        wait_for(lambda: [e for e in agent_events(run_dir, 1, "snapshot") if e["trading_state"] == "HALTED"], 10,
                 "agent 1 seeing itself HALTED", run)
        os.kill(run.proc.pid, signal.SIGTERM)
        code = run.wait(60)
    finally:
        run.kill()
    assert code == 0, run.stderr
    assert [(r["scope"], r["on"]) for r in of_type(journal(run_dir), "kill_switch")] == [("agent", "1")]


def test_kill_switch_by_agent_instrument_and_fund(tmp_path: Path) -> None:
    loss = {"risk": {"max_position": "50", "reducing_loss": "0.001", "halt_loss": "100000"}}
    config = write_config(tmp_path, [Agent(1, "SYN001"), Agent(2, "SYN002", extra=loss)], max_steps=200,
                          launch=False)
    run_dir = tmp_path / "run"
    run = Run(config, run_dir, cli=False)
    args = ["--delay-ms", "20", "--pattern", "buy"]
    try:
        run.start_agents(config, {1: [*args, "--limit-at", "3"], 2: args})

        def at(agent_id: int, n: int) -> bool:
            return any(e["n"] >= n for e in agent_events(run_dir, agent_id, "snapshot"))

        wait_for(lambda: at(1, 6), 30, "agent 1 at its 6th snapshot", run)
        _control(run_dir, "kill-switch", "--agent", "1", "--on")
        wait_for(lambda: [e for e in agent_events(run_dir, 1, "snapshot") if e["trading_state"] == "HALTED"], 10,
                 "agent 1 seeing itself HALTED", run)
        status = _status(run_dir)
        agents = {a["id"]: a for a in status["agents"]}  # type: ignore[attr-defined]
        assert agents[1]["trading_state"] == "halted" and status["trading_state"] == "active"
        assert agents[2]["trading_state"] == "reducing", "a loss over reducing_loss must show as REDUCING"
        _control(run_dir, "kill-switch", "--instrument", "SYN002", "--on")
        wait_for(lambda: _status(run_dir).get("halted_instruments") == "SYN002", 10, "SYN002 halted", run)
        mark = len(agent_events(run_dir, 2, "snapshot"))
        _control(run_dir, "kill-switch", "--fund", "--on")
        wait_for(lambda: _status(run_dir)["trading_state"] == "halted", 10, "the fund halted", run)
        wait_for(lambda: [e for e in agent_events(run_dir, 2, "snapshot")[mark:] if e["trading_state"] == "HALTED"],
                 10, "agent 2 seeing the fund's kill switch", run)
        os.kill(run.proc.pid, signal.SIGTERM)
        code = run.wait(60)
    finally:
        run.kill()
    assert code == 0, run.stderr
    records = journal(run_dir)
    switches = [(r["scope"], r["id"], r["on"]) for r in of_type(records, "kill_switch")]
    assert switches == [("agent", "1", "1"), ("instrument", "2", "1"), ("fund", "0", "1")]
    first_switch = records.index(next(of_type(records, "kill_switch")))
    agent_on = next(int(r["seq"]) for r in records[first_switch:] if r.type == "step_begin")
    # the working limit order of agent 1 was canceled by its kill switch
    limit = [r for r in of_type(records, "intent", agent=1, type="LIMIT") if r["verdict"] == "ACCEPTED"]
    assert [(c["cause"], c["reason"]) for c in of_type(records, "cancel", agent=1, intent=limit[0]["id"])] == \
        [("kill_switch", "KILL_SWITCH")]
    after = [r for r in of_type(records, "intent", agent=1, kind="ORDER") if int(r["seq"]) >= agent_on]
    buys = [r for r in after if r["side"] == "BUY"]
    sells = [r for r in after if r["side"] == "SELL"]
    assert buys and all(r["verdict"] == "REJECTED" and r["reason"] == "KILL_SWITCH" for r in buys)
    assert sells and sells[0]["verdict"] == "ACCEPTED", "a risk-reducing SELL must pass the kill switch"
    assert report(run_dir)["agents"][0]["rejects"].get("KILL_SWITCH", 0) == len(buys) + \
        sum(1 for r in sells if r["verdict"] == "REJECTED")
    # agent 2: LOSS_LIMIT while REDUCING, then KILL_SWITCH for SYN002 / the fund
    reasons2 = {r["reason"] for r in of_type(records, "intent", agent=2) if r["verdict"] == "REJECTED"}
    assert {"LOSS_LIMIT", "KILL_SWITCH"} <= reasons2, reasons2
    assert any(e["trading_state"] == "REDUCING" for e in agent_events(run_dir, 2, "snapshot"))


def test_sigterm_finishes_the_step_and_writes_everything(tmp_path: Path) -> None:
    config = write_config(tmp_path, [Agent(1, "SYN001"), Agent(2, "SYN002")], max_steps=0, launch=False)
    run_dir = tmp_path / "run"
    run = Run(config, run_dir, cli=False)
    try:
        run.start_agents(config, {1: ["--delay-ms", "20", "--limit-at", "2"], 2: ["--delay-ms", "20"]})
        wait_for(lambda: any(e["n"] >= 10 for e in agent_events(run_dir, 1, "snapshot")), 30,
                 "agent 1 at its 10th snapshot", run)
        os.kill(run.proc.pid, signal.SIGTERM)
        code = run.wait(60)
    finally:
        run.kill()
    assert code == 0, run.stderr
    done = run.events("done")
    assert len(done) == 1 and done[0]["status"] == "stopped"
    records = journal(run_dir)
    steps = _seqs(of_type(records, "step_end"))
    assert _seqs(of_type(records, "step_begin")) == steps, "a step was left unfinished"
    total = report(run_dir)["run"]
    assert 10 <= total["steps"] == len(steps) < 390, total
    assert total["stopped_by"] == "SIGTERM"
    assert records[-1].type == "run_end" and records[-1]["why"] == "SIGTERM"
    limit = [r for r in of_type(records, "intent", agent=1, type="LIMIT") if r["verdict"] == "ACCEPTED"]
    assert [c["cause"] for c in of_type(records, "cancel", agent=1, intent=limit[0]["id"])] == ["shutdown"]
    equity = (run_dir / "equity.csv").read_text().splitlines()
    assert len(equity) == 1 + len(steps)
    assert (run_dir / "fills.csv").read_text().startswith("time,agent,")
    assert all(proc.returncode == 0 for proc in run.agents.values()), "an agent did not see the Fund hang up"


@pytest.mark.parametrize("cli", [False, True], ids=["fund", "fundos"])
@pytest.mark.parametrize(("path", "value", "where"), [
    (("agents", 0, "silent_policy"), "explode", "agents[0].silent_policy"),
    (("agents", 0, "restart"), "always", "agents[0].restart"),
    (("agents", 0, "instruments"), ["NOSUCH"], "agents[0].instruments"),
    (("instruments", 1, "symbol"), "SYN099", "instruments[1].symbol"),  # valid, but not in the data
])
def test_bad_config_exits_2_with_one_line_and_no_run_folder(tmp_path: Path, cli: bool, path: tuple[str | int, ...],
                                                           value: object, where: str) -> None:
    config = write_config(tmp_path, [Agent(1, "SYN001")])
    data = json.loads(config.read_text())
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    config.write_text(json.dumps(data))
    run_dir = tmp_path / "run"
    build = build_dir()
    argv = [fundos_cli(), "run", "--quiet"] if cli else [str(build / "fund/fund"), "run", "--quiet"]
    done = subprocess.run([*argv, "--config", str(config), "--run-dir", str(run_dir)], capture_output=True, text=True,
                          env=dict(ENV, FUNDOS_FUND=str(build / "fund/fund")), check=False, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    line = next(line for line in done.stderr.splitlines() if where in line)
    assert str(config) in line, done.stderr
    if not cli:
        assert done.stderr.count("\n") == 1, done.stderr
    assert not run_dir.exists(), f"{run_dir} was created: {list(run_dir.iterdir())}"
