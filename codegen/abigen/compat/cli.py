"""`abigen compat`, `abigen changelog` and `abigen release`; abigen.cli hands these commands here."""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import sys
from pathlib import Path
from typing import Any

from abigen.compat import render
from abigen.compat.policy import Verdict, evaluate
from abigen.compat.rules import EXIT_BREAKING, EXIT_COMPATIBLE, EXIT_ERROR, EXIT_NOT_BUMPED, EXIT_USAGE, RULES
from abigen.compat.sources import label_for, load_base, load_lock, lock_path, lock_text, locks
from abigen.diagnostics import SpecError, UsageError
from abigen.frontend import load_spec
from abigen.ir.serialize import normalized

COMMANDS = ("compat", "changelog", "release")

POLICY = """\
policy:
  breaking    needs a MAJOR bump AND an allow_breaking: entry in the new spec naming the finding's
              rule and path, with a reason and an expiry date not yet past; accepted breaks are
              still listed and set bit 4. A breaking finding without a valid entry always sets
              bit 8, whatever the version says, so CI fails.
  compatible  needs a MINOR bump (or a MAJOR one)
  source      renames and the like: reported, need no bump, set no bit
  directions  each finding names the readers it hurts (old readers of new writers, new readers
              of old writers) from the direction: of every struct holding the item, and the
              upgrade orders (Fund first, agents first) that stay safe; the summary line gives
              the order safe for all findings together

exit status (a bitmask, like abidiff's):
  0   no changes, or source-only changes
  1   error: an allow_breaking: entry has expired (remove it)
  2   usage error, or BASE or NEW has spec errors (printed as FILE:LINE:COL: error[CODE]: ...)
  4   compatible changes (or accepted breaks) found; --ci clears this bit
  8   breaking changes found that no valid allow_breaking: entry accepts
  16  the version number is not bumped as the changes require (abi.version; or wire.version, for
      a breaking change to the wire messages)
"""

BASE_HELP = """\
BASE:
  a spec file (any path not ending in .json), a release lock file (schema/history/abi-M.m.lock.json)
  or git:REF (schema/abi.yaml at that commit, read with git show from the project root; the work
  tree is not touched). Default: the newest lock in schema/history/.
"""


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (expected YYYY-MM-DD)") from None


def add_commands(commands: Any) -> None:
    """Adds the three subcommands to abigen's subparsers."""
    formatter = argparse.RawDescriptionHelpFormatter
    rules = "\n".join(f"  {r.id:<29} {r.severity:<10} {r.summary}" for r in RULES.values())
    compat = commands.add_parser(
        "compat", help="check the spec against a released or earlier version of the ABI",
        description="Compare the ABI of --spec (NEW) with BASE, rule by rule, and say which changes are\n"
                    "breaking, compatible or source-only, for which readers, and which version bump they need.",
        epilog=f"{BASE_HELP}\n{POLICY}\nrules:\n{rules}\n", formatter_class=formatter)
    changelog = commands.add_parser(
        "changelog", help="print a Markdown changelog of the ABI between BASE and the spec",
        description="Print a Markdown changelog of the ABI from BASE to --spec, grouped by severity.",
        epilog=f"{BASE_HELP}\nexit status: 0 printed, 2 usage error or spec errors in BASE or NEW\n",
        formatter_class=formatter)
    for sub in (compat, changelog):
        sub.add_argument("--against", metavar="BASE", default=None,
                         help="spec file, lock file or git:REF (default: the newest schema/history lock)")
        sub.add_argument("--spec", type=Path, default=None, help="the new ABI spec (default: schema/abi.yaml)")
        sub.add_argument("--today", type=_date, default=None, metavar="YYYY-MM-DD",
                         help="the date allow_breaking: expiry is judged against (default: today)")
    compat.add_argument("--format", choices=("text", "json", "sarif"), default="text",
                        help="text: one line per finding (default); json; sarif: SARIF 2.1.0")
    compat.add_argument("--ci", action="store_true",
                        help="clear bit 4, so properly versioned compatible changes exit 0 (what CI runs)")
    release = commands.add_parser(
        "release", help="freeze the spec's layout into schema/history/abi-MAJOR.MINOR.lock.json",
        description="Write the serialized IR of --spec (every struct's size, alignment and fields, the enums,\n"
                    "constants and layout hash) to HISTORY/abi-MAJOR.MINOR.lock.json. Refuses to overwrite a\n"
                    "different lock of the same version, to release a version older than the newest lock, and\n"
                    "to release changes that `abigen compat` against the newest older lock fails (bits 1, 8, 16).",
        epilog="exit status: 0 written (or already identical), 1 refused, 2 usage or spec error",
        formatter_class=formatter)
    release.add_argument("--spec", type=Path, default=None, help="the ABI spec (default: schema/abi.yaml)")
    release.add_argument("--history", type=Path, default=None, help="the lock folder (default: schema/history/)")
    release.add_argument("--today", type=_date, default=None, metavar="YYYY-MM-DD",
                         help="the date allow_breaking: expiry is judged against (default: today)")


def run(args: argparse.Namespace, root: Path) -> int:
    try:
        if args.command == "release":
            return _release(args, root)
        return _compare(args, root)
    except SpecError as error:
        print(error, file=sys.stderr)
        count = len(error.diagnostics)
        print(f"abigen: {count} spec error{'s' if count != 1 else ''}; nothing was compared", file=sys.stderr)
        return EXIT_USAGE
    except UsageError as error:
        print(f"abigen: {error}", file=sys.stderr)
        return EXIT_USAGE


def _today(args: argparse.Namespace) -> datetime.date:
    given: datetime.date | None = args.today
    return given if given is not None else datetime.date.today()


def _verdict(args: argparse.Namespace, root: Path) -> tuple[Verdict, render.Sides]:
    spec_path: Path = args.spec if args.spec is not None else root / "schema" / "abi.yaml"
    new = load_spec(spec_path)
    against: str | None = args.against
    if against is None:
        history = root / "schema" / "history"
        released = locks(history)
        if not released:
            raise UsageError(f"{history}: no release lock; pass --against BASE or run `abigen release`")
        against = str(released[-1][1])
    base, base_label = load_base(against, root)
    sides = render.Sides(base_label, label_for(spec_path, root), spec_path.read_text(encoding="utf-8"))
    return evaluate(base, normalized(new), _today(args)), sides


def _compare(args: argparse.Namespace, root: Path) -> int:
    verdict, sides = _verdict(args, root)
    if args.command == "changelog":
        sys.stdout.write(render.changelog(verdict, sides))
        return 0
    status = verdict.exit_status & ~EXIT_COMPATIBLE if args.ci else verdict.exit_status
    verdict = dataclasses.replace(verdict, exit_status=status)
    writer = {"text": render.text, "json": render.to_json, "sarif": render.to_sarif}[args.format]
    sys.stdout.write(writer(verdict, sides))
    return status


def _release(args: argparse.Namespace, root: Path) -> int:
    spec_path: Path = args.spec if args.spec is not None else root / "schema" / "abi.yaml"
    history: Path = args.history if args.history is not None else root / "schema" / "history"
    spec = load_spec(spec_path)
    target = lock_path(history, spec.version)
    content = lock_text(spec)
    if target.exists():
        if target.read_text(encoding="utf-8") == content:
            print(f"{label_for(target, root)}: {spec.name} ABI {spec.version} is already released with this exact layout")
            return 0
        print(f"abigen: {target}: ABI {spec.version} is already released with a different content; refusing to "
              "overwrite it (bump abi.version in the spec)", file=sys.stderr)
        return EXIT_ERROR
    released = locks(history)
    newer = [version for version, _ in released
             if (version.major, version.minor) > (spec.version.major, spec.version.minor)]
    if newer:
        print(f"abigen: ABI {newer[-1]} is already released; {spec.version} cannot follow it", file=sys.stderr)
        return EXIT_ERROR
    if released:
        previous = released[-1][1]
        verdict = evaluate(normalized(load_lock(previous)), normalized(spec), _today(args))
        if verdict.exit_status & (EXIT_ERROR | EXIT_BREAKING | EXIT_NOT_BUMPED):
            sides = render.Sides(label_for(previous, root), label_for(spec_path, root),
                                 spec_path.read_text(encoding="utf-8"))
            sys.stderr.write(render.text(verdict, sides))
            print(f"abigen: refusing to release {spec.version}: `abigen compat --against {label_for(previous, root)}` "
                  "fails", file=sys.stderr)
            return EXIT_ERROR
    history.mkdir(parents=True, exist_ok=True)
    target.write_text(content, encoding="utf-8")
    wire = f", {len(spec.messages)} wire messages, wire hash {spec.wire_hash_hex}" if spec.messages else ""
    print(f"{label_for(target, root)}: released {spec.name} ABI {spec.version} ({len(spec.structs)} structs, layout hash "
          f"{spec.layout_hash_hex}{wire})")
    return 0
