"""`fundos config`: configuration databases (docs/CONFIG.md).

    fundos config init URL           create the schema, or migrate it to this version
    fundos config import FILE URL    store a JSON configuration as the service it names
    fundos config export URL         print the normalized JSON configuration
    fundos config validate SOURCE    check a file or a database's configuration
    fundos config diff A B           differences between two sources, by JSON path
    fundos config set SOURCE PATH=VALUE...   change values, and tell the running Fund

Validation and normalization are the Fund's own (``fund check-config``); this module parses
arguments, calls :mod:`fundos.config` and prints."""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fundos.cli import control
from fundos.cli.discovery import FUND, find_program
from fundos.cli.errors import CliError
from fundos.config import ConfigError
from fundos.config.address import parse_address
from fundos.config.diff import differences
from fundos.config.normalize import check_change
from fundos.config.source import NOTIFY_CHANNEL, Change, import_file, init, load, prepare_change, write_change

SOURCES = """\
sources:
  FILE                                         a JSON configuration (schema/fund-config.schema.json)
  sqlite:///ABSOLUTE/PATH.db[#SERVICE]         a SQLite database (sqlite:RELATIVE/PATH.db: relative
                                               to the current folder)
  postgresql://USER[:PASSWORD]@HOST[:PORT]/DB[?PARAM=VALUE&...][#SERVICE]
                                               a PostgreSQL database; the URL goes to libpq as it
                                               is, so sslmode, sslrootcert, sslcert, sslkey,
                                               connect_timeout ... work (postgres:// too)
  SERVICE is a Fund's service id, its configuration's name. Without #SERVICE the database must
  hold exactly one configuration. Messages name the source without its password; PGPASSWORD and
  ~/.pgpass work as with every libpq program."""

EXIT_STATUS = """\
exit status:
  0   done; for validate: valid; for diff: no difference; for set: written, and applied by the
      running Fund when one was told
  1   diff: the sources differ; set: the running Fund rejected the change or did not answer in
      time (the source is written); otherwise a failure while writing (rolled back: nothing
      changed)
  2   bad input: a bad URL or option, an invalid configuration (the message names the source
      and the field), a database that cannot be reached or refuses the password, a schema
      version other than this one (run `fundos config init URL`), an unknown service; for set:
      a bad PATH=VALUE, or a change the running Fund cannot make while it runs (nothing
      written)"""

DESCRIPTION = f"""\
Keep Fund configurations in a SQLite or PostgreSQL database, and move them between JSON files
and databases. A database holds the same content a file does: import stores the normalized
form the Fund makes of the file (`fund check-config FILE --print`), and export prints it back,
identical.

commands:
  init URL          create the schema in the database (a SQLite file is created), or apply the
                    migrations it lacks; each migration in a transaction of its own
  import FILE URL   check FILE with the Fund's loader and store it as the service it names
                    (replacing that service's configuration), in one transaction: on any fault
                    nothing is changed
  export URL        print the normalized configuration of a service in the database
  validate SOURCE   check a file or a database's configuration as the Fund would
  diff A B          print the differences between two sources' normalized configurations, one
                    line per JSON path
  set SOURCE PATH=VALUE...
                    change values in a file or a database, whole or not at all, and have the
                    running Fund apply them (risk limits, restricted, price collars, agents'
                    instruments: docs/CONFIG.md, "Changes while running")

{SOURCES}

programs:
  Validation and normalization are the Fund's: `fund check-config`, found as `fundos run` finds
  it (--fund PATH, $FUNDOS_FUND, $FUNDOS_BUILD_DIR/fund/fund, build/fund/fund above the current
  folder, fund on $PATH).

{EXIT_STATUS}

examples:
  fundos config init sqlite:///srv/fundos/config.db
  fundos config import fund/examples/demo.json sqlite:///srv/fundos/config.db
  fundos config export 'postgresql://fundos@db.example/fundos?sslmode=verify-full#demo' > demo.json
  fundos config diff fund/examples/demo.json sqlite:///srv/fundos/config.db#demo
  fundos config set fund/examples/demo.json 'agents[ma_crossover].risk.max_position=500' --run-dir runs/demo
  fund run --config 'sqlite:///srv/fundos/config.db#demo'"""


def add_parser(commands: argparse._SubParsersAction[Any], parser_class: type[argparse.ArgumentParser]) -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    p = commands.add_parser("config", help="configuration databases", formatter_class=formatter,
                            usage="fundos config [-h] COMMAND ...", description=DESCRIPTION)
    sub = p.add_subparsers(dest="config_command", metavar="COMMAND", parser_class=parser_class,
                           help=argparse.SUPPRESS, prog="fundos config")

    epilog = f"{SOURCES}\n\n{EXIT_STATUS}"

    def command(name: str, description: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = sub.add_parser(
            name, formatter_class=formatter, description=textwrap.fill(description, 79), epilog=epilog)
        return parser

    def fund_option(q: argparse.ArgumentParser) -> None:
        q.add_argument("--fund", metavar="PATH", help="the `fund` program (default: found as `fundos run` finds it)")

    q = command("init", "Create the configuration schema in the database at URL (a SQLite file is created), or "
                        "apply the migrations it lacks, each in a transaction of its own.")
    q.add_argument("url", metavar="URL", help="the database (sqlite:... or postgresql://...)")

    q = command("import", "Check FILE with the Fund's loader and store its normalized form in the database as "
                          "the service FILE names (its `name`), replacing that service's configuration. One "
                          "transaction: on any fault nothing is changed.")
    q.add_argument("file", metavar="FILE", help="the JSON configuration")
    q.add_argument("url", metavar="URL", help="the database, without #SERVICE")
    fund_option(q)

    q = command("export", "Print a service's normalized configuration (JSON) from the database: what "
                          "`fund check-config FILE --print` prints for the file it was imported from.")
    q.add_argument("url", metavar="URL", help="the database[#SERVICE]")
    q.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    fund_option(q)

    q = command("validate", "Check a configuration file or a database's configuration as the Fund would at "
                            "start-up.")
    q.add_argument("source", metavar="SOURCE", help="FILE or URL[#SERVICE]")
    fund_option(q)

    q = command("diff", "Compare two sources' normalized configurations and print each difference as "
                        "`PATH: A -> B`, `PATH: only in A: VALUE` or `PATH: only in B: VALUE`.")
    q.add_argument("a", metavar="A", help="FILE or URL[#SERVICE]")
    q.add_argument("b", metavar="B", help="FILE or URL[#SERVICE]")
    fund_option(q)

    q = sub.add_parser("set", formatter_class=formatter, usage="fundos config set SOURCE PATH=VALUE... "
                       "[--run-dir DIR] [--timeout SECONDS] [--fund PATH]", description=SET_DESCRIPTION,
                       epilog=epilog)
    q.add_argument("source", metavar="SOURCE", help="FILE or URL[#SERVICE]")
    q.add_argument("assignments", metavar="PATH=VALUE", nargs="+",
                   help="a value to set, e.g. agents[ma_crossover].risk.max_position=500")
    q.add_argument("--run-dir", metavar="DIR", help="the running Fund's run folder (default: runs/NAME under the "
                                                    "current folder when a Fund listens there)")
    q.add_argument("--timeout", metavar="SECONDS", type=float, default=30.0,
                   help="how long to wait for the running Fund's answer (default 30)")
    fund_option(q)


SET_DESCRIPTION = """\
Change values of a configuration, whole or not at all, and have the running Fund apply them.

what it does:
  1. Reads SOURCE's configuration and makes each PATH=VALUE in it, then checks the result with
     the Fund's loader (`fund check-config`). A bad path, a bad value or an invalid result is
     refused: nothing is written (exit 2).
  2. When a Fund runs on it (--run-dir DIR, or runs/NAME under the current folder when a Fund
     listens there), asks that Fund for its running configuration and checks the change is one
     it can make while running (`fund check-config --running`): risk limits (risk.*,
     agents[...].risk.*, instruments[...].risk.*), instruments' restricted and price_collar_bps,
     and agents' instruments. Anything else is refused: nothing is written (exit 2).
  3. Writes: a file through a temporary file in its folder and a rename (its own spelling kept:
     only the values set change); a database in one transaction (as import does), which for
     PostgreSQL also sends NOTIFY fundos_config with the service id.
  4. Tells the Fund: a file or SQLite through its control socket ({"cmd":"reload"}, the same as
     SIGHUP); PostgreSQL through the NOTIFY. Then waits (--timeout) for the Fund's answer: the
     change applied from step K (exit 0), or rejected with the reason (exit 1; the Fund keeps
     its configuration). Without a running Fund it only writes (send the Fund SIGHUP later).

PATH:
  The JSON path of the normalized configuration, as the Fund's messages spell it:
  risk.halt_loss, agents[1].risk.max_position, instruments[0].restricted. An agent may be
  named by its name and an instrument by its symbol: agents[ma_crossover].risk.max_position,
  instruments[SPY].price_collar_bps. The field must exist (every field does in the normalized
  form).

VALUE:
  JSON when it parses as JSON (500, "0.5", true, ["SYN001","SYN002"]), else the text as a
  string (2s is "2s"). A number with a fraction stays exact (0.5 is "0.5"). Decimals and
  durations as the configuration takes them: 1000.5, 250ms. Quote it for the shell.

examples:
  fundos config set demo.json 'agents[ma_crossover].risk.max_position=500' --run-dir runs/demo
  fundos config set demo.json 'agents[breakout_c].instruments=["SYN001","SYN002"]' risk.halt_loss=90000
  fundos config set 'sqlite:///srv/fundos/config.db#demo' 'instruments[SYN003].restricted=true'
  fundos config set 'postgresql://fundos@db/cfg#demo' 'risk.max_gross_exposure=800000'"""


def _fund(explicit: str | None, *sources: str) -> Path:
    starts = [Path(s).resolve().parent for s in sources if not parse_address(s).is_database]
    return find_program(FUND, explicit, [*starts, Path.cwd()])


def dispatch(args: argparse.Namespace) -> int:
    try:
        return _dispatch(args)
    except ConfigError as error:
        raise CliError(str(error), error.exit_code) from None


def _dispatch(args: argparse.Namespace) -> int:
    command = args.config_command
    if command == "init":
        address, before, applied, now = init(args.url)
        if applied:
            print(f"{address.label}: schema version {before} -> {now} ({', '.join(applied)})")
        else:
            print(f"{address.label}: schema version {now}, up to date")
        return 0
    if command == "import":
        given, stored = import_file(_fund(args.fund, args.file), args.file, args.url)
        doc = given.document
        print(f"{stored}: imported {args.file} ({len(doc['instruments'])} instruments, {len(doc['agents'])} agents)")
        return 0
    if command == "export":
        text = load(_fund(args.fund), args.url).text
        if args.output:
            try:
                Path(args.output).write_text(text)
            except OSError as error:
                raise CliError(f"--output {args.output}: {error.strerror or error}", 2) from None
        else:
            sys.stdout.write(text)
        return 0
    if command == "validate":
        loaded = load(_fund(args.fund, args.source), args.source)
        doc = loaded.document
        print(f"{loaded.source}: ok ({len(doc['instruments'])} instruments, {len(doc['agents'])} agents)")
        return 0
    if command == "diff":
        fund = _fund(args.fund, args.a, args.b)
        a, b = load(fund, args.a), load(fund, args.b)
        found = differences(a.document, b.document)
        if not found:
            print(f"no differences between {a.source} and {b.source}", file=sys.stderr)
            return 0
        print(f"--- A {a.source}\n+++ B {b.source}")
        for line in found:
            print(line)
        return 1
    if command == "set":
        return _set(args)
    raise CliError("a command is needed: init, import, export, validate, diff or set (see fundos config --help)", 2)


# ---- set -----------------------------------------------------------------------------------------

POLL_S = 0.05


def _running_fund(run_dir: str | None, name: str) -> Path | None:
    """The control socket of the Fund to tell: --run-dir's (which must answer), or runs/NAME's
    under the current folder when a Fund listens there; None when there is none."""
    if run_dir:
        return control.control_socket(run_dir)
    path = Path("runs") / name / "control.sock"
    if not path.is_socket():
        return None
    try:
        answer = control.request(path, {"cmd": "status"}, timeout=2.0)
    except CliError:
        return None  # left over from a run that ended
    return path if answer.get("name") == name else None


def _config_status(path: Path) -> Mapping[str, Any]:
    answer = control.request(path, {"cmd": "status"})
    config = answer.get("config")
    if answer.get("ok") is not True or not isinstance(config, Mapping):
        raise CliError(f"the Fund at {path} does not report its configuration (an older Fund?): nothing written")
    return config


def _same_source(fund_source: str, change: Change) -> bool:
    """Whether the Fund reads the configuration the change is written to."""
    if change.address.is_database:
        return fund_source == change.source
    return os.path.realpath(fund_source) == os.path.realpath(change.address.path) or (
        not os.path.isabs(fund_source) and Path(fund_source).name == Path(change.address.path).name)


def _wait(path: Path, done_at_least: int, skip_unchanged: bool, timeout: float) -> Mapping[str, Any]:
    """The Fund's answer to a re-read: its config status's `last` once `done` reaches
    ``done_at_least`` (PostgreSQL: an answer that is not "unchanged", which is a re-read that
    began before the commit)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            config = _config_status(path)
        except CliError as error:
            raise CliError(f"the change is written, but the Fund stopped answering: {error}") from None
        last = config.get("last")
        done = config.get("done")
        if isinstance(done, int) and done >= done_at_least and isinstance(last, Mapping):
            if not (skip_unchanged and last.get("status") == "unchanged"):
                return last
            done_at_least = done + 1
        if time.monotonic() >= deadline:
            raise CliError(f"the change is written, but the Fund at {path.parent} did not answer within {timeout:g} s "
                           "(it applies changes at step boundaries: is it waiting for an agent? see its journal)")
        time.sleep(POLL_S)


def _set(args: argparse.Namespace) -> int:
    fund = _fund(args.fund, args.source)
    change = prepare_change(fund, args.source, args.assignments)
    lines = change.lines
    if not change.changed:
        print(f"{change.source}: no change (the values are set already); nothing written")
        return 0
    postgres = change.address.kind == "postgresql"
    socket = _running_fund(args.run_dir, change.name)
    done_before = 0
    if socket is not None:
        running = control.request(socket, {"cmd": "config"})
        text = running.get("config")
        if running.get("ok") is not True or not isinstance(text, str):
            raise CliError(f"the Fund at {socket.parent} does not give its configuration (an older Fund?): "
                           "nothing written")
        fund_source = str(running.get("source", ""))
        if not _same_source(fund_source, change):
            raise CliError(f"the Fund at {socket.parent} reads its configuration from {fund_source}, not "
                           f"{change.source}: nothing written", 2)
        check_change(fund, change.after.text, change.source, text)
        done = _config_status(socket).get("done")
        done_before = done if isinstance(done, int) else 0
    write_change(fund, change)
    for line in lines:
        print(f"{change.source}: {line}")
    if socket is None:
        if postgres:
            print(f"written, and NOTIFY {NOTIFY_CHANNEL} '{change.name}' sent: a Fund reading this database applies "
                  "it at its next step boundary")
        else:
            print("written; no running Fund was told (send it SIGHUP, or give --run-dir DIR)")
        return 0
    if postgres:
        last = _wait(socket, done_before + 1, True, args.timeout)
    else:
        answer = control.request(socket, {"cmd": "reload"})
        number = answer.get("request")
        if answer.get("ok") is not True or not isinstance(number, int):
            raise CliError(f"the change is written, but the Fund at {socket.parent} refused to re-read it: "
                           f"{answer.get('error', 'no reason given')}")
        last = _wait(socket, number, False, args.timeout)
    status = last.get("status")
    if status == "applied":
        print(f"the Fund in {socket.parent} applied it from step {last.get('applies_from_step')}")
        return 0
    if status == "rejected":
        raise CliError(f"the change is written, but the Fund in {socket.parent} rejected it and keeps its "
                       f"configuration: {last.get('error', 'no reason given')}")
    print(f"the Fund in {socket.parent} re-read it: no change for it")
    return 0
