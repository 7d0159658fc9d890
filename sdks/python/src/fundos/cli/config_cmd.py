"""`fundos config`: configuration databases (docs/CONFIG.md).

    fundos config init URL           create the schema, or migrate it to this version
    fundos config import FILE URL    store a JSON configuration as the service it names
    fundos config export URL         print the normalized JSON configuration
    fundos config validate SOURCE    check a file or a database's configuration
    fundos config diff A B           differences between two sources, by JSON path

Validation and normalization are the Fund's own (``fund check-config``); this module parses
arguments, calls :mod:`fundos.config` and prints."""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path
from typing import Any

from fundos.cli.discovery import FUND, find_program
from fundos.cli.errors import CliError
from fundos.config import ConfigError
from fundos.config.address import parse_address
from fundos.config.diff import differences
from fundos.config.source import import_file, init, load

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
  0   done; for validate: valid; for diff: no difference
  1   diff: the sources differ; otherwise a failure while writing (rolled back: nothing changed)
  2   bad input: a bad URL or option, an invalid configuration (the message names the source
      and the field), a database that cannot be reached or refuses the password, a schema
      version other than this one (run `fundos config init URL`), an unknown service"""

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
    raise CliError("a command is needed: init, import, export, validate or diff (see fundos config --help)", 2)
