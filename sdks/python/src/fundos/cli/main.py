"""The `fundos` command: parse the command line, dispatch to one module per subcommand, and turn
every :class:`~fundos.cli.errors.CliError` into one line on stderr and an exit status."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from fundos.cli import config_cmd, control, passthrough, run
from fundos.cli.discovery import FUND, FUNDOS_DATA, FUNDOS_FEED, find_program
from fundos.cli.errors import EXIT_USAGE, CliError

DESCRIPTION = """\
The FundOS operator's command: run a simulation with its agents, watch and steer a running Fund,
read journals, check configurations and manage market data.

commands:
  run            run the Fund on a configuration, launch its agents, summarise the result
  status         ask a running Fund how it is doing
  kill-switch    turn a kill switch on or off (fund, agent or instrument)
  journal        print a run's journal
  replay         rebuild a finished run's report, fills and equity curve from its journal
  check-config   check a configuration file without running it
  config         configurations: init, import, export, validate, diff (SQLite, PostgreSQL), set (while running)
  data           market-data tools (runs `fundos-data`)
  feed           serve market data as a live feed, or listen to one (runs `fundos-feed`)

Run `fundos COMMAND --help` for a command's options."""

PROGRAMS = """\
programs:
  `fundos` drives three native programs, found in this order: the --fund option (run, journal,
  check-config); $FUNDOS_FUND (or $FUNDOS_DATA for fundos-data, $FUNDOS_FEED for fundos-feed);
  $FUNDOS_BUILD_DIR/fund/NAME;
  build/fund/NAME in the configuration file's folder or the current folder or any folder above;
  NAME on $PATH."""

EXIT_STATUS = """\
exit status:
  0   success
  1   failure (the Fund failed, an agent failed, no Fund listening, a request refused)
  2   usage error: a bad option, a missing file or folder, a configuration the Fund refuses"""

RUN_EPILOG = f"""\
what it does:
  Starts `fund run --config FILE [--run-dir DIR] [--resume]` and reads its events. Once the
  Fund is ready it starts every configured agent that has a command: in its working folder, with stdout and
  stderr in DIR/agents/NAME.log and, in its environment, FUNDOS_SOCKET, FUNDOS_AGENT_ID,
  FUNDOS_WAKE, FUNDOS_RUN_DIR, FUNDOS_AGENT_NAME, FUNDOS_CONFIG (the configuration's address,
  absolute) and FUNDOS_SERVICE (FUND/AGENT_NAME), from which the agent reads its own configuration
  (its instruments, limits). A progress bar runs on stderr when it is a terminal; otherwise a progress
  line every 5 seconds. When the Fund is done the agents get 5 seconds to exit, then SIGTERM,
  then SIGKILL.

  At the end it prints a table from DIR/report.json (per agent and for the fund: PnL, return,
  Sharpe ratio, maximum drawdown, trades, fees, rejected intents), draws DIR/equity.png from
  DIR/equity.csv, and says where the report, journal and logs are.

signals:
  SIGINT (Ctrl-C) or SIGTERM: the Fund gets SIGTERM, finishes its step and writes its report,
  then the agents are stopped and the summary printed. A second one kills the Fund and agents.

files (in DIR, default runs/<config name>):
  journal.fj, report.json, fills.csv, equity.csv   written by the Fund
  fund.log                                         the Fund's messages
  agents/NAME.log                                  each agent's output
  equity.png                                       the equity chart

{EXIT_STATUS}
  A run stopped by a signal that finished cleanly exits 0. An agent that exits with a non-zero
  status before it is told to stop makes the run fail (1); its log is named.

examples:
  fundos run --config configs/demo.json
  fundos run --config demo.json --run-dir /tmp/demo --fund build/fund/fund --quiet"""

STATUS_EPILOG = f"""\
Asks the Fund listening on DIR/control.sock for its status: step, market events, simulated
clock, trading state, and per agent its status, equity and positions. Without --run-dir, the
only run under ./runs/ with a control socket.

{EXIT_STATUS}"""

KILL_EPILOG = f"""\
Turns a kill switch of the Fund listening on DIR/control.sock on or off. While a kill switch is
on, the Fund accepts only intents that reduce risk in its scope: the whole fund, one agent (by
id) or one instrument (by symbol).

{EXIT_STATUS}

examples:
  fundos kill-switch --run-dir runs/demo --fund --on
  fundos kill-switch --run-dir runs/demo --agent 2 --off
  fundos kill-switch --run-dir runs/demo --instrument SPY --on"""

JOURNAL_EPILOG = f"""\
Runs `fund journal FILE [--json]`: every record of a run's journal (DIR/journal.fj), as text or
one JSON object per line.

{PROGRAMS}"""

REPLAY_EPILOG = f"""\
Runs `fund replay --run-dir DIR [--out DIR2]`: replays DIR/journal.fj into a fresh engine built
from DIR/config.json (a simulation's market data is read again from its .fmd files; a paper
run's market events are in its journal) and writes report.json, fills.csv and equity.csv into
DIR2 (default DIR/replay). They are byte-identical to the run's own; every record the replay
writes must equal the journal's, and the first that differs is reported (exit status 2).

examples:
  fundos replay --run-dir runs/paper
  cmp runs/paper/report.json runs/paper/replay/report.json

{PROGRAMS}"""

CHECK_EPILOG = f"""\
Runs `fund check-config FILE`: exit status 0 when the configuration is valid, 2 with a message
naming the file and the field otherwise.

{PROGRAMS}"""

DATA_EPILOG = """\
Every argument after `data` goes to `fundos-data` unchanged (`fundos data --help` shows its
own help): importing LEAN or CSV market data, synthesising data, inspecting .fmd files."""

FEED_EPILOG = """\
Every argument after `feed` goes to `fundos-feed` unchanged (`fundos feed --help` shows its own
help): `fundos feed serve --data FILE.fmd --speed 1x|10x|max --port N --recovery-port M` replays
market data as a live binary feed on 127.0.0.1 (with --gap-rate, --gap-every, --duplicate-every,
--reorder-every and --seed to inject faults), `fundos feed listen --port N --recovery-port M`
prints what a receiver makes of it. The protocol is docs/FEED.md."""


class Parser(argparse.ArgumentParser):
    """argparse, with errors on one line: ``PROG: error: MESSAGE (see PROG --help)``."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> Parser:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = Parser(prog="fundos", usage="fundos [-h] COMMAND [OPTIONS...]", description=DESCRIPTION,
                    epilog=f"{PROGRAMS}\n\n{EXIT_STATUS}", formatter_class=formatter)
    # The commands are listed in DESCRIPTION (argparse's own list wraps long names badly).
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser, help=argparse.SUPPRESS)

    p = commands.add_parser("run", help="run a simulation and its agents", formatter_class=formatter,
                            description="Run the Fund on a configuration file, launch its agents, show progress, "
                                        "and summarise the run.", epilog=f"{RUN_EPILOG}\n\n{PROGRAMS}")
    p.add_argument("--config", required=True, metavar="SOURCE",
                   help="the run's configuration: a JSON file, or a database URL (sqlite:///PATH.db#NAME, "
                        "postgresql://...#NAME; see fundos config --help)")
    p.add_argument("--run-dir", metavar="DIR", help="where the run's files go (default: runs/<config name>)")
    p.add_argument("--fund", metavar="PATH", help="the `fund` program (default: found as below)")
    p.add_argument("--quiet", action="store_true", help="no progress and no notes; warnings, errors and the "
                                                        "summary still print")
    p.add_argument("--resume", action="store_true", help="recover a Fund that was killed: replay DIR/journal.fj "
                                                         "and continue the run from its last committed step")

    p = commands.add_parser("status", help="the status of a running Fund", formatter_class=formatter,
                            description="Show the status of a running Fund.", epilog=STATUS_EPILOG)
    p.add_argument("--run-dir", metavar="DIR", help="the run's folder (default: the only one in ./runs)")
    p.add_argument("--json", action="store_true", help="print the Fund's answer as JSON")

    p = commands.add_parser("kill-switch", help="turn a kill switch on or off", formatter_class=formatter,
                            description="Turn a kill switch of a running Fund on or off.", epilog=KILL_EPILOG)
    p.add_argument("--run-dir", metavar="DIR", required=True, help="the run's folder")
    scope = p.add_mutually_exclusive_group(required=True)
    scope.add_argument("--fund", action="store_true", help="the whole fund")
    scope.add_argument("--agent", metavar="ID", type=_agent_id, help="one agent, by id")
    scope.add_argument("--instrument", metavar="SYMBOL", help="one instrument, by symbol")
    state = p.add_mutually_exclusive_group(required=True)
    state.add_argument("--on", action="store_true", help="turn it on: only risk-reducing intents pass")
    state.add_argument("--off", action="store_true", help="turn it off")

    p = commands.add_parser("journal", help="print a run's journal", formatter_class=formatter,
                            description="Print a run's journal.", epilog=JOURNAL_EPILOG)
    p.add_argument("file", metavar="FILE", help="the journal, DIR/journal.fj")
    p.add_argument("--json", action="store_true", help="one JSON object per record")
    p.add_argument("--fund", metavar="PATH", help="the `fund` program (default: found as below)")

    p = commands.add_parser("replay", help="rebuild a finished run from its journal", formatter_class=formatter,
                            description="Rebuild a finished run from its journal.", epilog=REPLAY_EPILOG)
    p.add_argument("--run-dir", metavar="DIR", required=True, help="the run folder (journal.fj, config.json)")
    p.add_argument("--out", metavar="DIR2", help="where the outputs go (default: DIR/replay)")
    p.add_argument("--fund", metavar="PATH", help="the `fund` program (default: found as below)")

    p = commands.add_parser("check-config", help="check a configuration file", formatter_class=formatter,
                            description="Check a configuration file without running it.", epilog=CHECK_EPILOG)
    p.add_argument("file", metavar="FILE", help="the configuration file")
    p.add_argument("--fund", metavar="PATH", help="the `fund` program (default: found as below)")

    config_cmd.add_parser(commands, Parser)

    p = commands.add_parser("data", help="market-data tools (fundos-data)", formatter_class=formatter,
                            add_help=False, description="Run `fundos-data` with the arguments given.",
                            epilog=DATA_EPILOG)
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments for fundos-data")

    p = commands.add_parser("feed", help="a live market-data feed (fundos-feed)", formatter_class=formatter,
                            add_help=False, description="Run `fundos-feed` with the arguments given.",
                            epilog=FEED_EPILOG)
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments for fundos-feed")
    return parser


def _agent_id(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"an agent id is a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"an agent id is 1 or more, not {value}")
    return value


def dispatch(args: argparse.Namespace) -> int:
    if args.command == "run":
        return run.command(args.config, args.run_dir, args.fund, args.quiet, args.resume)
    if args.command == "status":
        print(control.status(args.run_dir, args.json))
        return 0
    if args.command == "kill-switch":
        scope, target = (("agent", args.agent) if args.agent is not None
                         else ("instrument", args.instrument) if args.instrument is not None else ("fund", None))
        print(control.kill_switch(args.run_dir, scope, target, on=args.on))
        return 0
    if args.command == "journal":
        journal = passthrough.existing_file(args.file, "journal")
        fund = find_program(FUND, args.fund, [journal.resolve().parent, Path.cwd()])
        return passthrough.run_program(fund, ["journal", str(journal), *(["--json"] if args.json else [])])
    if args.command == "replay":
        run_dir = Path(args.run_dir)
        journal = passthrough.existing_file(str(run_dir / "journal.fj"), "replay")
        fund = find_program(FUND, args.fund, [journal.resolve().parent, Path.cwd()])
        return passthrough.run_program(fund, ["replay", "--run-dir", str(run_dir),
                                              *(["--out", args.out] if args.out else [])])
    if args.command == "check-config":
        config = passthrough.existing_file(args.file, "check-config")
        fund = find_program(FUND, args.fund, [config.resolve().parent, Path.cwd()])
        return passthrough.run_program(fund, ["check-config", str(config)])
    if args.command == "config":
        return config_cmd.dispatch(args)
    raise AssertionError(args.command)


def main(argv: Sequence[str] | None = None) -> int:
    """The console script `fundos`; returns the exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    command = "fundos"
    try:
        if arguments[:1] == ["data"]:  # everything after `data` is fundos-data's, --help included
            command = "fundos data"
            return passthrough.run_program(find_program(FUNDOS_DATA, None, [Path.cwd()]), arguments[1:])
        if arguments[:1] == ["feed"]:  # everything after `feed` is fundos-feed's, --help included
            command = "fundos feed"
            return passthrough.run_program(find_program(FUNDOS_FEED, None, [Path.cwd()]), arguments[1:])
        parser = build_parser()
        args = parser.parse_args(arguments)
        if args.command is None:
            parser.error("a command is needed: run, status, kill-switch, journal, replay, check-config, config, data "
                         "or feed")
        command = f"fundos {args.command}"
        if args.command == "config" and getattr(args, "config_command", None):
            command += f" {args.config_command}"
        return dispatch(args)
    except CliError as error:
        print(f"{command}: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print(f"{command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
