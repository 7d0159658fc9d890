"""Soak scenarios against the real Fund (issue #9): agent death, hostile agents, 32 agents under
load, Fund death. Real processes (`fundos run` / `fund run`, Python agents), real shared memory.
Short in `make test`, long in `make soak` (soak_harness.count). After each run the journal is
read back (soak_harness.check_journal: the position invariant at every step, one verdict per
intent, fills allocated exactly, reports agreeing) and the figures go to the summary JSON.
"""

from __future__ import annotations

import os
import random
import signal
import statistics
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

from fault_harness import Agent, Run, journal, of_type, wait_for, write_config
from soak_harness import SOAK_AGENT, Scenario, agent_lines, check_journal, count, reproduce
from test_fund_recovery import FundRun, _check_resumed_run, _write_config
from test_fund_recovery import Setup as RecoverySetup

HERE = "tests/soak/test_soak_fund.py"
sys.path.insert(0, str(SOAK_AGENT.parent))
from soak_agent import FORGED_REQUESTS, fate  # the agent's own choice of how it dies, its forgeries


def _command(*args: str) -> list[str]:
    return [sys.executable, str(SOAK_AGENT), *args]


def _log(run_dir: Path, agent_id: int) -> list[dict[str, Any]]:
    return agent_lines(run_dir / "agents" / f"agent{agent_id}.log")


def _events(run_dir: Path, agent_id: int, kind: str) -> list[dict[str, Any]]:
    return [line for line in _log(run_dir, agent_id) if line.get("event") == kind]


def _stop(run: Run) -> int:
    os.kill(run.proc.pid, signal.SIGTERM)
    return run.wait(120)


def _one_report_per_intent(lines: list[dict[str, Any]]) -> tuple[int, int, list[float]]:
    """(intents, intents without exactly one report, round trips in us) of one agent's log
    whose process was never killed (a killed one's last reports may be unread). The agent reads
    reports at its next snapshot; its last intent's report only when the Fund hangs up, after
    writing the run's files: that intent has no round trip."""
    sent = {line["sub"]: line["t"] for line in lines if "sub" in line}
    last = max(sent, default=None)
    reports: dict[int, list[int]] = {}
    for line in lines:
        if "rep" in line and line["kind"] in ("ACCEPTED", "REJECTED"):  # the verdict, not fills
            reports.setdefault(line["rep"], []).append(line["t"])
    missing = [i for i in sent if len(reports.get(i, [])) != 1]
    trips = [(reports[i][0] - t) / 1000 for i, t in sent.items() if len(reports.get(i, [])) == 1 and i != last]
    return len(sent), len(missing), trips


def _generation(run_dir: Path, kind: str, generation: int) -> list[dict[str, Any]]:
    return [e for e in _events(run_dir, 1, kind) if e.get("generation") == generation]


def _kill_cycles(config: Path, run_dir: Path, k: int, seed: int, rng: random.Random,
                 hows: dict[str, int]) -> tuple[int, Run]:
    """One `fundos run` in which agent 1 dies k times (fate() or the test's SIGKILL) and is
    restarted; stopped with SIGTERM once its generation k + 1 trades. Returns (status, run)."""
    run = Run(config, run_dir, cli=True)
    try:
        for generation in range(1, k + 1):
            attached = wait_for(partial(_generation, run_dir, "attached", generation), 60,
                                f"agent 1's generation {generation}", run)[0]
            how, _ = fate(seed, generation)
            hows[how] = hows.get(how, 0) + 1
            if how == "external":
                wait_for(partial(_generation, run_dir, "dying", generation), 60,
                         "the agent at its chosen snapshot", run)
                time.sleep(rng.uniform(0, 0.02))  # lands anywhere in its answer loop
                os.kill(attached["pid"], signal.SIGKILL)
        wait_for(lambda: _generation(run_dir, "attached", k + 1), 60, "agent 1 back after its last death", run)
        time.sleep(0.3)  # it trades again
        return _stop(run), run
    finally:
        run.kill()


def test_agent_death_cycles(tmp_path: Path) -> None:
    kills = count("agent_kills")
    scenario = Scenario("agent_death", unit="kill cycle", command=reproduce(f"{HERE}::test_agent_death_cycles"))
    rng = random.Random(9001)
    done = run_no = 0
    hows: dict[str, int] = {}
    while done < kills:
        k = min(100, kills - done)  # the Fund restarts an agent at most 100 times per run
        seed = 9001 + run_no
        victim = Agent(1, "SYN001", extra={"command": _command("--symbol", "SYN001", "--die", str(k), "--seed", str(seed)),
                                           "restart": "on_failure", "max_restarts": k})
        trader = Agent(2, "SYN002", extra={"command": _command("--symbol", "SYN002", "--delay-ms", "5")})
        folder = tmp_path / f"run{run_no}"
        folder.mkdir()
        config = write_config(folder, [victim, trader], max_steps=0, days=40, launch=False)
        run_dir = folder / "run"
        code, run = _kill_cycles(config, run_dir, k, seed, rng, hows)
        assert code == 0, run.stderr
        assert f"restart {k} of {k}" in run.stderr, run.stderr[-2000:]
        check = check_journal(run_dir)
        scenario.add(check)
        assert not check.problems, check.problems
        records = journal(run_dir)
        dead = {r["seq"] for r in of_type(records, "policy", agent=1) if r["why"] == "dead"}
        assert dead, "no step saw agent 1 dead"
        traded = {r["seq"] for r in of_type(records, "intent", agent=2)}
        assert dead <= traded, f"agent 2 stopped trading while agent 1 was dead: {sorted(dead - traded)[:10]}"
        # the stale half-written slots of the dead generations were never read (a dead agent's
        # unfinished answer is voided: its intents refused AGENT_SILENT, source void_answer)
        read = [r.text for r in of_type(records, "refusal", agent=1) if r["source"] != "void_answer"]
        assert not read, f"a dead generation's slot was read: {read[:5]}"
        assert {r["reason"] for r in of_type(records, "refusal", agent=1)} <= {"AGENT_SILENT"}
        assert not [r for r in of_type(records, "intent", agent=1) if int(r["id"]) >= 1 << 40]
        intents, missing, _ = _one_report_per_intent(_log(run_dir, 2))
        assert intents > 0 and missing == 0, f"agent 2: {missing} of {intents} intents without one report"
        done += k
        run_no += 1
    scenario.runs = done
    scenario.figures = {"runs": run_no, "deaths_by_how": hows}
    scenario.write()


HOSTILE = ["garbage", "replay", "race", "flood", "readonly", "forged", "stale"]
FLOOD = 1100  # intents per snapshot: past the 1024 the Fund holds for one answer (fund_run.cpp)


def test_hostile_agents(tmp_path: Path) -> None:
    rounds = count("hostile_rounds")
    scenario = Scenario("hostile_agents", unit="run (7 hostile agents + 1 trader)",
                        command=reproduce(f"{HERE}::test_hostile_agents"))
    readonly_attempts = forged_attempts = 0
    for round_no in range(rounds):
        trader = Agent(1, "SYN001", extra={"command": _command("--symbol", "SYN001", "--delay-ms", "2")})
        rate = {"max_position": "50", "max_order_notional": "50000", "max_intents_per_window": 5, "rate_window": "1m"}
        hostile = [Agent(2 + i, "SYN00" + str(1 + i % 2), extra={
            "command": _command("--symbol", f"SYN00{1 + i % 2}", "--hostile", mode, "--flood", str(FLOOD)), "capital": "50000", "risk": rate})
            for i, mode in enumerate(HOSTILE)]
        folder = tmp_path / f"round{round_no}"
        folder.mkdir()
        config = write_config(folder, [trader, *hostile], max_steps=40, answer_timeout_ms=1000, launch=False)
        run_dir = folder / "run"
        run = Run(config, run_dir, cli=True)
        code = run.wait(180)  # kills the run if it overstays
        assert code == 0, run.stderr
        check = check_journal(run_dir)
        scenario.add(check)
        assert not check.problems, check.problems
        records = journal(run_dir)
        by_mode = {mode: 2 + i for i, mode in enumerate(HOSTILE)}
        steps = {r["seq"] for r in of_type(records, "step_end")}
        assert steps == {r["seq"] for r in of_type(records, "intent", agent=1)}, "the trader was not served every step"
        assert [r for r in of_type(records, "intent", agent=1) if r["verdict"] == "REJECTED"] == []
        # garbage: quarantined once, silent after, and nothing of it reached the engine
        quarantine = list(of_type(records, "refusal", agent=by_mode["garbage"], source="quarantine"))
        assert [r["reason"] for r in quarantine] == ["CORRUPT_SLOT"], [r.text for r in quarantine]
        after = int(quarantine[0]["seq"])
        assert not [r for r in of_type(records, "intent", agent=by_mode["garbage"]) if int(r["seq"]) > after]
        # replay: the old slot written again is refused by its id
        replayed = _events(run_dir, by_mode["replay"], "replayed")
        assert replayed, "the replay agent never replayed"
        refused = [r for r in records if r.get("agent") == str(by_mode["replay"]) and
                   r.get("id") == str(replayed[0]["intent_id"]) and r.get("reason") == "INTENT_ID_NOT_INCREASING"]
        assert len(refused) == 1, [r.text for r in records if r.get("agent") == str(by_mode["replay"])][:20]
        # race: every raced slot was either taken whole (one verdict) or refused CORRUPT_SLOT
        assert _events(run_dir, by_mode["race"], "raced"), "the race agent never raced"
        race_ids = [r["id"] for r in of_type(records, "intent", agent=by_mode["race"])]
        assert len(race_ids) == len(set(race_ids))
        # flood: the rate limit refused the excess, the window's first intents went through
        flood = [r for r in of_type(records, "intent", agent=by_mode["flood"], kind="ORDER")]
        assert sum(1 for r in flood if r.get("reason") == "RATE_LIMIT") > len(flood) // 2, "the flood was not limited"
        # ... those past what the Fund holds for one answer were refused as they came, and every
        # intent the flood submitted has its one verdict in the journal (none dropped unreported)
        overflow = list(of_type(records, "refusal", agent=by_mode["flood"], source="answer_overflow"))
        assert overflow and {r["reason"] for r in overflow} == {"RATE_LIMIT"}, [r.text for r in overflow[:3]]
        submitted = {str(line["sub"]) for line in _log(run_dir, by_mode["flood"]) if "sub" in line}
        verdicts = [r["id"] for r in records if r.type in ("intent", "refusal") and r.get("agent") == str(by_mode["flood"])
                    and r.get("kind", "ORDER") == "ORDER"]
        assert len(submitted) > 40 * FLOOD // 2 and sorted(verdicts) == sorted(submitted), (
            f"{len(submitted)} submitted, {len(verdicts)} verdicts; without one: {sorted(submitted - set(verdicts))[:10]}")
        scenario.figures["flood_refused_past_one_answer"] = (scenario.figures.get("flood_refused_past_one_answer", 0)
                                                            + len(overflow))
        # readonly: every attempt failed
        attempts = _events(run_dir, by_mode["readonly"], "readonly")
        assert len(attempts) >= 10 and all(a["failed"] for a in attempts), [a for a in attempts if not a["failed"]]
        readonly_attempts += len(attempts)
        # forged: every forged request (versions, hashes, magic, size, ids) refused, the trader
        # kept its attachment
        forged = _events(run_dir, by_mode["forged"], "forged")
        assert len(forged) == len(FORGED_REQUESTS) + 3 and all(f["refused"] for f in forged), forged
        assert {str(f["agent_id"]): f["status"] for f in forged} == {
            "major": "VERSION_MISMATCH", "major_0": "VERSION_MISMATCH", "newer_minor_other_hash": "LAYOUT_MISMATCH",
            "own_minor_other_hash": "LAYOUT_MISMATCH", "magic": "BAD_REQUEST", "truncated": "BAD_REQUEST",
            "1": "ALREADY_ATTACHED", "4242": "UNKNOWN_AGENT"}, forged
        forged_attempts += len(forged)
        # stale: its old generation's ring was never read, its new one traded
        stale = _events(run_dir, by_mode["stale"], "stale")
        assert len(stale) >= 5, "the stale agent did not write into its old ring"
        assert [e["generation"] for e in _events(run_dir, by_mode["stale"], "attached")] == [1, 2]
        stale_ids = {str(e["intent_id"]) for e in stale}
        assert not [r for r in records if r.get("agent") == str(by_mode["stale"]) and r.get("id") in stale_ids]
        assert [r for r in of_type(records, "intent", agent=by_mode["stale"], kind="ORDER")
                if r["verdict"] == "ACCEPTED"], "the stale agent's new generation did not trade"
        scenario.figures["stale_generation_writes"] = scenario.figures.get("stale_generation_writes", 0) + len(stale)
        for mode in ("readonly", "forged"):
            for line in _events(run_dir, by_mode[mode], "readonly") + _events(run_dir, by_mode[mode], "forged"):
                key = f"{mode}: {line.get('what', line.get('agent_id'))}" + (f" -> {line['status']}" if "status" in line else "")
                scenario.figures.setdefault("refused_attempts", {}).setdefault(key, 0)
                scenario.figures["refused_attempts"][key] += 1
    scenario.runs = rounds
    scenario.figures.update(readonly_attempts=readonly_attempts, forged_attaches=forged_attempts)
    scenario.write()


def test_load_32_agents(tmp_path: Path) -> None:
    n, steps = count("load_agents"), count("load_steps")
    scenario = Scenario("load", unit="step", command=reproduce(f"{HERE}::test_load_32_agents"))
    # Every eighth agent has a rate limit it cannot keep (one intent per five market minutes, and
    # it trades every minute): the refusals per reason are part of the figures, and they must
    # not slow the others.
    limited = {i for i in range(1, n + 1) if i % 8 == 0}
    tight = {"max_position": "50", "max_order_notional": "50000", "max_intents_per_window": 1, "rate_window": "5m"}
    agents = [Agent(i, f"SYN00{1 + i % 2}", extra={"command": _command("--symbol", f"SYN00{1 + i % 2}"), "capital": "25000",
                                                   "lease": "60s", **({"risk": tight} if i in limited else {})})
              for i in range(1, n + 1)]
    config = write_config(tmp_path, agents, max_steps=steps, answer_timeout_ms=20000, launch=False,
                          days=max(1, steps // 390 + 1))
    run_dir = tmp_path / "run"
    started = time.monotonic()
    run = Run(config, run_dir, cli=True)
    code = run.wait(60 + steps)  # kills the run if it overstays
    elapsed = time.monotonic() - started
    assert code == 0, run.stderr
    check = check_journal(run_dir)
    scenario.add(check)
    assert not check.problems, check.problems
    assert check.steps == steps
    records = journal(run_dir)
    answered = {a: {r["seq"] for r in of_type(records, "intent", agent=a)} for a in range(1, n + 1)}
    assert all(len(seqs) == steps for seqs in answered.values()), {a: len(s) for a, s in answered.items()}
    refused = {int(r["agent"]) for r in of_type(records, "intent") if r["verdict"] == "REJECTED"}
    assert refused == limited, f"refusals for agents {sorted(refused)}, rate-limited were {sorted(limited)}"
    assert set(check.refusals) == {"RATE_LIMIT"}, check.refusals
    trips: list[float] = []
    sent = missing = 0
    for agent_id in range(1, n + 1):
        s, m, t = _one_report_per_intent(_log(run_dir, agent_id))
        sent, missing, trips = sent + s, missing + m, trips + t
    assert sent >= n * steps and missing == 0, f"{missing} of {sent} intents without exactly one report"
    cuts = statistics.quantiles(trips, n=100)
    scenario.runs = steps
    scenario.figures = {"agents": n, "rate_limited_agents": len(limited), "intents": sent, "wall_s": round(elapsed, 1),
                        "intents_per_s": round(sent / elapsed), "round_trip_us": {
                            "p50": round(cuts[49]), "p90": round(cuts[89]), "p99": round(cuts[98]),
                            "max": round(max(trips))}}
    scenario.notes.append("round trip: from the agent's submit to its reading the verdict report at its next "
                          "snapshot, both on the agent's monotonic clock (includes the lock-step wait for the other "
                          "agents; each agent's last intent, answered only when the run ends, is left out)")
    scenario.write()


def _kill(run: FundRun) -> bool:
    """SIGKILL the Fund unless it already finished; True when the kill is what ended it."""
    if run.proc.poll() is not None:
        run.proc.communicate(timeout=60)
        run.reap_agents()
        assert run.proc.returncode == 0, f"the Fund ended by itself with status {run.proc.returncode}"
        return False
    run.kill()
    if run.proc.returncode == 0:
        return False
    assert run.proc.returncode == -signal.SIGKILL, f"the Fund ended with status {run.proc.returncode}"
    return True


def test_fund_death_and_resume(tmp_path: Path) -> None:
    """K SIGKILLs of the Fund at random moments (a chain: each resumed run is killed again), then
    the last resume runs to the end: journal, report.json, fills.csv and equity.csv must be the
    uninterrupted run's, byte for byte (test_fund_recovery's comparison)."""
    from fund_build import build_dir

    kills = count("fund_kills")
    scenario = Scenario("fund_death", unit="Fund SIGKILL", command=reproduce(f"{HERE}::test_fund_death_and_resume"))
    build = build_dir()
    # test_fund_recovery's configuration on `fund_days` days of its market (its _write_config keeps
    # a synth.fmd that exists): in make soak a run long enough for kills to land all over it
    subprocess.run([str(build / "fund/fundos-data"), "synth", "--out", str(tmp_path / "synth.fmd"), "--symbols", "3",
                    "--days", str(count("fund_days")), "--seed", "11"], check=True, capture_output=True)
    setup = RecoverySetup(build, _write_config(tmp_path, build), tmp_path)
    reference = tmp_path / "uninterrupted"
    uninterrupted = FundRun(setup, reference)
    uninterrupted.next_event("progress")
    started = time.monotonic()  # from its first progress event: what a first kill's delay counts from
    done = uninterrupted.finish()
    span = 0.9 * (time.monotonic() - started)  # most kills land before the run's end
    assert done["status"] == "ok"
    reference_check = check_journal(reference)
    rng = random.Random(4711)
    killed = chains = finished_first = 0
    resumed_at: list[int] = []
    while killed < kills:
        run_dir = tmp_path / f"chain{chains}"
        extra: tuple[str, ...] = ()
        last: dict[str, Any] = {}
        for _ in range(min(10, kills - killed)):  # up to 10 kills per chain, then it runs to its end
            attempt = FundRun(setup, run_dir, *extra)
            if extra:
                last = attempt.ready["resumed"]
                resumed_at.append(int(last["step"]))
            else:
                # not before its first commit: test_fund_killed_before_its_first_commit (make soak)
                attempt.next_event("progress")
            time.sleep(rng.uniform(0, span))
            if not _kill(attempt):
                finished_first += 1  # it finished before the kill came: nothing left to resume
                break
            killed += 1
            extra = ("--resume",)
        else:
            final = FundRun(setup, run_dir, "--resume", "--quiet")
            last = final.ready["resumed"]
            resumed_at.append(int(last["step"]))
            assert final.finish()["status"] == "ok"
        if last:
            _check_resumed_run(setup, run_dir, reference, last)
        check = check_journal(run_dir)
        scenario.add(check)
        assert not check.problems, check.problems
        chains += 1
    scenario.runs = killed
    scenario.figures = {"chains": chains, "uninterrupted_steps": reference_check.steps,
                        "resumed_at_steps": f"{min(resumed_at)}..{max(resumed_at)}",
                        "identical_outputs": chains, "runs_that_finished_before_their_kill": finished_first}
    scenario.notes.append("each chain's final journal, report.json, fills.csv and equity.csv are byte-identical "
                          "to the uninterrupted run's")
    scenario.write()


# A Fund killed after its ready event but before its first journal commit leaves a journal of
# only its 128-byte header: `fund run --resume` starts the run over (it once refused it, exit 2,
# "the replay wrote record 0 (run_start) past the journal's end"; found by this suite).
def test_fund_killed_before_its_first_commit_resumes(tmp_path: Path) -> None:
    from fund_build import build_dir

    setup = RecoverySetup(build_dir(), _write_config(tmp_path, build_dir()), tmp_path)
    reference = tmp_path / "uninterrupted"
    FundRun(setup, reference, "--quiet").finish()
    run_dir = tmp_path / "early"
    first = FundRun(setup, run_dir)
    assert _kill(first), "the Fund finished before the kill"
    final = FundRun(setup, run_dir, "--resume", "--quiet")
    last = final.ready["resumed"]
    assert final.finish()["status"] == "ok"
    assert last["step"] == 0 and (run_dir / "journal.fj").exists(), last  # nothing was committed: started over
    # The run started over is the uninterrupted one, byte for byte.
    for name in ("journal.fj", "report.json", "fills.csv", "equity.csv"):
        assert (run_dir / name).read_bytes() == (reference / name).read_bytes(), name
