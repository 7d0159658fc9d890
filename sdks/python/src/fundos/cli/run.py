"""`fundos run`: one simulation, from the configuration file to the summary.

1. Start the Fund (`fund run --config FILE [--run-dir DIR]`) in a session of its own and read
   its JSON lines (:mod:`fundos.cli.events`); its stderr is shown and kept in DIR/fund.log.
2. On ``ready``, start every configured agent that has a command (:mod:`fundos.cli.agents`).
3. While it runs: progress (:mod:`fundos.cli.progress`), agent events, agents that exit early.
   An agent with ``restart: on_failure`` whose process fails (non-zero exit or a signal) while
   the Fund runs is started again, up to its ``max_restarts`` (the log gets a line saying so);
   it reattaches as a new generation, and the steps it missed are silent in the journal (its
   silent policy applied, why "dead"). Past the limit, or with ``restart: no``, the failure
   fails the run as before. An agent that exits with status 0 is never restarted.
4. SIGINT, SIGTERM or SIGHUP: SIGTERM to the Fund, which finishes its step and writes its
   report; a second one kills the Fund and the agents.
5. When the Fund is done: the agents get a few seconds to exit by themselves (they see the Fund
   hang up), then SIGTERM, then SIGKILL. Then the summary table (:mod:`fundos.cli.report`) on
   stdout, DIR/equity.png (:mod:`fundos.cli.chart`), and where the report is.

Exit status: 0 when the Fund finished (or was stopped) cleanly and no agent failed; 2 when the
Fund refused the configuration (its own exit status 2); 1 when the Fund failed, or an agent could
not start or exited with a non-zero status before it was told to stop.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, TextIO

from fundos.cli import agents as agent_procs
from fundos.cli.chart import render_chart
from fundos.cli.discovery import FUND, find_program
from fundos.cli.equity import load_equity
from fundos.cli.errors import EXIT_FAILURE, EXIT_USAGE, CliError, UsageError
from fundos.cli.events import AgentEvent, Done, EventError, OtherEvent, Progress, Ready, TextLine, parse_line
from fundos.cli.progress import Display, choose_mode
from fundos.cli.report import format_table, load_report, summary_rows
from fundos.config.address import absolute_address, is_database_url
from fundos.config.errors import ConfigError

AGENT_GRACE = 5.0
"""Seconds the agents get to exit by themselves after the Fund is done."""
WARN_ONCE = ("late", "silent")
"""Agent events that can come every step: shown once per agent, then counted."""


@dataclass
class Outcome:
    """What happened, for the exit status and the closing lines."""

    ready: Ready | None = None
    done: Done | None = None
    fund_status: int | None = None
    failures: list[str] = field(default_factory=list)
    counts: dict[tuple[int, str], int] = field(default_factory=dict)
    restarts: dict[int, int] = field(default_factory=dict)
    """Agent id -> how many times it was restarted."""


def _pump(stream: IO[str], kind: str, sink: queue.Queue[tuple[str, str]]) -> None:
    for line in stream:
        sink.put((kind, line))
    sink.put((kind + "-eof", ""))


class Runner:
    def __init__(self, fund: Path, config: Path | str, run_dir: Path | None, display: Display, out: TextIO,
                 resume: bool = False, config_dir: Path | None = None) -> None:
        self.fund = fund
        self.config = config  # a file, or a configuration database's URL (given to the Fund as it is)
        # ... and to the agents (FUNDOS_CONFIG), valid from their working folders.
        try:
            self.agent_config = absolute_address(str(config))
        except ConfigError:
            self.agent_config = ""  # a malformed URL: the Fund refuses it and says why
        # Agents' relative working folders are relative to this (a database's are absolute).
        self.config_dir = config_dir if config_dir is not None else Path(config).resolve().parent
        self.run_dir = run_dir
        self.resume = resume
        self.display = display
        self.out = out
        self.outcome = Outcome()
        self.agents: list[agent_procs.AgentProcess] = []
        self.exited: set[int] = set()  # agent ids already reported as exited
        self.signals = 0
        self.signals_handled = 0
        self.stop_sent = False
        self.fund_log: IO[str] | None = None
        self.early_stderr: list[str] = []
        self.proc: subprocess.Popen[str] | None = None

    # ---- signals: the handler only counts; the loop acts (no locks taken in a handler)
    def _on_signal(self, signo: int, frame: FrameType | None) -> None:
        self.signals += 1

    def _handle_signals(self) -> None:
        while self.signals_handled < self.signals:
            self.signals_handled += 1
            if not self.stop_sent:
                self._stop_fund("stopping: the Fund finishes its step and writes its report "
                                "(interrupt again to kill it)")
            elif self.proc is not None and self.proc.poll() is None:
                self.display.warn("fundos run: killing the Fund and the agents")
                self.proc.kill()
                agent_procs.kill_all(self.agents)

    def _stop_fund(self, why: str) -> None:
        """SIGTERM to the Fund (once): it finishes the step, writes its report and exits."""
        if self.stop_sent or self.proc is None or self.proc.poll() is not None:
            return
        self.stop_sent = True
        self.display.warn(f"fundos run: {why}")
        self.proc.send_signal(signal.SIGTERM)

    # ---- the run
    def run(self) -> int:
        argv = [str(self.fund), "run", "--config", str(self.config)]
        if self.run_dir is not None:
            argv += ["--run-dir", str(self.run_dir)]
        if self.resume:
            argv.append("--resume")
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True, bufsize=1, start_new_session=True,
                                         errors="replace")
        except OSError as error:
            raise CliError(f"cannot start the Fund {self.fund}: {error.strerror or error}") from None
        assert self.proc.stdout is not None and self.proc.stderr is not None
        lines: queue.Queue[tuple[str, str]] = queue.Queue()
        readers = [threading.Thread(target=_pump, args=(self.proc.stdout, "out", lines), daemon=True),
                   threading.Thread(target=_pump, args=(self.proc.stderr, "err", lines), daemon=True)]
        for reader in readers:
            reader.start()
        previous = {signo: signal.signal(signo, self._on_signal)
                    for signo in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        try:
            open_streams = 2
            while open_streams:
                self._handle_signals()
                self._check_agents()
                try:
                    kind, line = lines.get(timeout=0.1)
                except queue.Empty:
                    continue
                if kind.endswith("-eof"):
                    open_streams -= 1
                elif kind == "err":
                    self._fund_stderr(line)
                else:
                    self._fund_stdout(line)
            while self.proc.poll() is None:
                self._handle_signals()
                try:
                    self.proc.wait(timeout=0.1)
                except subprocess.TimeoutExpired:
                    pass
            self.outcome.fund_status = self.proc.returncode
            self.display.finish()
            self._check_agents()
            if self.agents:
                def hurry() -> bool:  # an interrupt now: no more waiting
                    return self.signals > self.signals_handled

                quiet_wait = min(1.0, AGENT_GRACE)
                agent_procs.wait_all(self.agents, quiet_wait, hurry)
                running = [a.spec.name for a in self.agents if a.popen.poll() is None]
                if running and not hurry():
                    self.display.note(f"fundos run: waiting up to {AGENT_GRACE - quiet_wait:g} s more for "
                                      f"{', '.join(running)} to exit (interrupt to stop them now)")
                agent_procs.stop_all(self.agents, grace=AGENT_GRACE - quiet_wait, hurry=hurry)
                self._check_agents()
        finally:
            for signo, handler in previous.items():
                signal.signal(signo, handler)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            agent_procs.kill_all(self.agents)
            if self.fund_log is not None:
                self.fund_log.close()
        return self._conclude()

    def _fund_stderr(self, line: str) -> None:
        self.display.warn(line.rstrip("\n"))
        if self.fund_log is not None:
            self.fund_log.write(line)
            self.fund_log.flush()
        else:
            self.early_stderr.append(line)

    def _fund_stdout(self, line: str) -> None:
        if not line.strip():
            return
        try:
            event = parse_line(line)
        except EventError as error:
            self.display.warn(f"fundos run: the Fund printed a malformed event ({error}): {line.strip()}")
            return
        if isinstance(event, Ready):
            self._on_ready(event)
        elif isinstance(event, AgentEvent):
            self._on_agent_event(event)
        elif isinstance(event, Progress):
            self.display.progress(event)
        elif isinstance(event, Done):
            self.outcome.done = event
        elif isinstance(event, TextLine):
            self.display.note(f"fund: {event.text}")
        elif isinstance(event, OtherEvent):
            pass  # newer Fund; nothing this CLI knows to show

    def _on_ready(self, ready: Ready) -> None:
        self.outcome.ready = ready
        try:
            ready.run_dir.mkdir(parents=True, exist_ok=True)
            # A resumed run keeps the killed one's messages: they say where and how it stopped.
            self.fund_log = (ready.run_dir / "fund.log").open("a" if self.resume else "w", encoding="utf-8")
            self.fund_log.writelines(self.early_stderr)
        except OSError as error:
            self.display.warn(f"fundos run: cannot write {ready.run_dir / 'fund.log'}: {error.strerror}")
        self.display.note(f"fundos run: the Fund is ready in {ready.run_dir} ({ready.total_events:,} market events, "
                          f"{len(ready.agents)} agent(s))")
        config_dir = self.config_dir
        for spec in ready.agents:
            if not spec.command:
                self.display.note(f"fundos run: agent {spec.name} (id {spec.id}) has no command; attach it by hand "
                                  f"with FUNDOS_SOCKET={ready.socket} FUNDOS_AGENT_ID={spec.id}")
                continue
            try:
                started = agent_procs.start(spec, ready, config_dir, os.environ, config=self.agent_config)
            except CliError as error:
                self.outcome.failures.append(str(error))
                self._stop_fund(f"{error}; stopping the Fund")
                return
            self.agents.append(started)
            self.display.note(f"fundos run: started agent {spec.name} (id {spec.id}, pid {started.popen.pid}); "
                              f"log {started.log}")

    def _on_agent_event(self, event: AgentEvent) -> None:
        name = next((spec.name for spec in (self.outcome.ready.agents if self.outcome.ready else ())
                     if spec.id == event.agent_id), f"#{event.agent_id}")
        key = (event.agent_id, event.what)
        self.outcome.counts[key] = self.outcome.counts.get(key, 0) + 1
        detail = f": {event.detail}" if event.detail else ""
        text = f"agent {name} (id {event.agent_id}) {event.what}{detail}"
        if event.what in ("attached", "detached"):
            self.display.note(text)
        elif event.what in WARN_ONCE:
            if self.outcome.counts[key] == 1:
                self.display.warn(f"{text} (further '{event.what}' events are counted, not shown)")
        else:
            self.display.warn(text)

    def _check_agents(self) -> None:
        for index, agent in enumerate(self.agents):
            code = agent.popen.poll()
            if code is None or agent.spec.id in self.exited:
                continue
            self.exited.add(agent.spec.id)
            if agent.signaled:
                continue
            if code == 0:
                continue  # it saw the Fund hang up, or chose to stop: the Fund reports it as detached
            status = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
            restarted = self.outcome.restarts.get(agent.spec.id, 0)
            if self._restart(index, agent, status, restarted):
                continue
            limit = f" (after {restarted} restart{'s' if restarted != 1 else ''})" if restarted else ""
            message = f"{agent.label} {status}{limit}; see {agent.log}"
            self.outcome.failures.append(message)
            self.display.warn(f"fundos run: {message}")

    def _restart(self, index: int, agent: agent_procs.AgentProcess, status: str, restarted: int) -> bool:
        """Start a failed agent again when its policy allows it and the run goes on."""
        ready = self.outcome.ready
        fund_running = self.proc is not None and self.proc.poll() is None
        if (agent.spec.restart != "on_failure" or restarted >= agent.spec.max_restarts or ready is None
                or not fund_running or self.stop_sent or self.outcome.done is not None):
            return False
        note = f"{status}; restart {restarted + 1} of {agent.spec.max_restarts}"
        try:
            started = agent_procs.start(agent.spec, ready, self.config_dir, os.environ, restart_note=note,
                                        config=self.agent_config)
        except CliError as error:
            self.display.warn(f"fundos run: {error}")
            return False
        self.agents[index] = started
        self.exited.discard(agent.spec.id)
        self.outcome.restarts[agent.spec.id] = restarted + 1
        self.display.warn(f"fundos run: {agent.label} {note} (pid {started.popen.pid})")
        return True

    # ---- the end
    def _conclude(self) -> int:
        outcome = self.outcome
        names = {spec.id: spec.name for spec in (outcome.ready.agents if outcome.ready else ())}
        for (agent_id, what), count in sorted(outcome.counts.items()):
            if what in WARN_ONCE and count > 1:
                self.display.warn(f"agent {names.get(agent_id, '?')} (id {agent_id}): {what} {count} times")
        for agent_id, count in sorted(outcome.restarts.items()):
            self.display.warn(f"agent {names.get(agent_id, '?')} (id {agent_id}) was restarted {count} "
                              f"time{'s' if count != 1 else ''}")
        if outcome.fund_status == EXIT_USAGE and outcome.done is None:
            raise CliError(f"the Fund refused the configuration {self.config} (see its message above)", EXIT_USAGE)
        run_dir = outcome.ready.run_dir if outcome.ready else None
        if outcome.done is not None and run_dir is not None:
            self._summarise(run_dir, outcome.done)
        problems = list(outcome.failures)
        if outcome.fund_status != 0:
            log = f"; see {run_dir / 'fund.log'}" if run_dir else ""
            status = (f"was killed by signal {-outcome.fund_status}" if outcome.fund_status is not None
                      and outcome.fund_status < 0 else f"exited with status {outcome.fund_status}")
            problems.insert(0, f"the Fund {status}{log}")
        elif outcome.done is None:
            problems.insert(0, "the Fund exited without finishing the run (no 'done' event)")
        elif outcome.done.status == "failed":
            problems.insert(0, f"the run failed; see {run_dir / 'fund.log' if run_dir else 'the messages above'}")
        if problems:
            for problem in problems[:-1]:
                self.display.warn(f"fundos run: {problem}")
            raise CliError(problems[-1], EXIT_FAILURE)
        return 0

    def _summarise(self, run_dir: Path, done: Done) -> None:
        report_path = Path(done.report) if done.report else run_dir / "report.json"
        if not report_path.is_absolute():
            report_path = Path.cwd() / report_path
        lines = [f"run {done.status}: {done.steps:,} steps, {done.events:,} market events"]
        try:
            rows = summary_rows(load_report(report_path))
        except CliError as error:
            self.display.warn(f"fundos run: {error}")
            rows = []
        if rows:
            lines += ["", format_table(rows), ""]
        equity_csv = run_dir / "equity.csv"
        chart_line = ""
        if equity_csv.is_file():
            names = {str(spec.id): spec.name for spec in (self.outcome.ready.agents if self.outcome.ready else ())}
            try:
                png = render_chart(load_equity(equity_csv, names), title=f"Equity, change since start: {run_dir.name}")
                (run_dir / "equity.png").write_bytes(png)
                chart_line = f"equity chart: {run_dir / 'equity.png'}"
            except (CliError, OSError, ValueError) as error:
                self.display.warn(f"fundos run: no equity chart: {error}")
        if report_path.is_file():
            lines.append(f"report: {report_path}")
        if chart_line:
            lines.append(chart_line)
        lines.append(f"journal: {run_dir / 'journal.fj'}  agent logs: {run_dir / 'agents'}")
        try:
            self.out.write("\n".join(lines) + "\n")
            self.out.flush()
        except BrokenPipeError:
            pass


def command(config: str, run_dir: str | None, fund: str | None, quiet: bool, resume: bool = False) -> int:
    """`fundos run` (with ``resume``: `fund run --resume`, recovering a killed Fund from its journal)."""
    display = Display(sys.stderr, choose_mode(sys.stderr, quiet))
    run_path = Path(run_dir).expanduser() if run_dir else None
    if is_database_url(config):  # the Fund reads it (and names it in its messages)
        binary = find_program(FUND, fund, [Path.cwd()])
        return Runner(binary, config, run_path, display, sys.stdout, resume=resume, config_dir=Path.cwd()).run()
    config_path = Path(config).expanduser()
    if not config_path.is_file():
        raise UsageError(f"--config {config}: no such file" if not config_path.exists()
                         else f"--config {config}: not a file")
    binary = find_program(FUND, fund, [config_path.resolve().parent, Path.cwd()])
    runner = Runner(binary, config_path, run_path, display, sys.stdout, resume=resume)
    return runner.run()
