"""The abigen command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from abigen import __version__
from abigen.compat import cli as compat_cli
from abigen.compat.served import ReleasedLayout, released_layouts
from abigen.diagnostics import SpecError, UsageError
from abigen.frontend import load_spec
from abigen.ir.model import Spec
from abigen.output import compare_tree, write_tree
from abigen.targets import render_all

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

DESCRIPTION = """\
Compiles the FundOS shared-memory ABI spec (schema/abi.yaml) into C++ and C headers, a Python
ctypes module, a reference document, layout-assertion tests and golden byte images, and proves
that every compiler lays the structs out exactly as the spec says. Wire messages (`messages:`)
get encoders and decoders in C++, C and Python, with golden byte images of their own."""

EPILOG = """\
commands:
  generate   check the spec (schema, types, layout, lint), then replace --out with fresh outputs;
             nothing in --out changes when the spec has an error
  check      fail, naming each file, when --out differs from what generate would write
  verify     parse the generated C and C++ headers with libclang for x86_64 and aarch64 and
             compare every struct's size and alignment and every field's offset and width
             with the spec (wire messages: their headers compile and their fields' types match)
  lint       check the spec only; report everything unsafe in shared memory
  compat     compare the spec with a released version (--against: a lock file, a spec file or
             git:REF; default the newest schema/history lock) rule by rule: breaking, compatible
             or source-only, for which readers, and the version bump needed (see compat --help)
  changelog  print a Markdown changelog of the ABI between --against and the spec
  release    freeze the spec's layout into schema/history/abi-MAJOR.MINOR.lock.json

defaults:
  --spec is schema/abi.yaml and --out is generated/, both in the nearest folder at or above
  the current one that has schema/abi.yaml. generate and check read the release locks in
  --history (default: the history/ folder beside --spec) for the table of layouts a Fund built
  from the spec serves (C++ ABI_LAYOUTS): every released minor of the spec's major that compat
  finds no break in for old agents of a new Fund, then the spec's own.

exit status:
  0  success
  1  check found stale outputs, or verify found a layout mismatch
  2  the spec has errors (each printed as FILE:LINE:COL: error[CODE]: YAML.PATH: message),
     or the command line is wrong
  compat exits with a bitmask: 1 expired allow_breaking entry, 2 usage or spec error,
  4 compatible changes, 8 breaking changes, 16 version not bumped as the changes require

examples:
  abigen generate                       regenerate generated/ after editing schema/abi.yaml
  abigen check                          in CI: is generated/ up to date?
  abigen verify --out /tmp/abi          verify outputs generated elsewhere
  abigen lint --spec proposed.yaml      check a draft spec
  abigen compat --against git:main      what does this branch change in the ABI?
  abigen release                        after bumping abi.version: freeze it in schema/history/
"""


COMMAND_EXIT_STATUS = {
    "generate": "exit status: 0 written; 2 the spec has errors, a release lock in --history is unreadable, or --out "
                "is not an abigen folder (nothing written)",
    "check": "exit status: 0 --out is up to date; 1 stale (each file named); 2 the spec has errors or a release "
             "lock in --history is unreadable",
    "verify": "exit status: 0 every layout matches; 1 a mismatch (each printed); 2 the spec has errors",
    "lint": "exit status: 0 the spec is clean; 2 the spec has errors (each printed with file, line and path)",
}


def _project_root() -> Path:
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / "schema" / "abi.yaml").is_file():
            return folder
    return here


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="abigen", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"abigen {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, summary in (
        ("generate", "check the spec and write every output into --out"),
        ("check", "fail when --out is stale"),
        ("verify", "compare the compiled layout with the spec using libclang"),
        ("lint", "check the spec only"),
    ):
        sub = commands.add_parser(name, help=summary, description=summary, epilog=COMMAND_EXIT_STATUS[name],
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        sub.add_argument("--spec", type=Path, default=None, help="the ABI spec (default: schema/abi.yaml)")
        if name != "lint":
            sub.add_argument("--out", type=Path, default=None, help="the output folder (default: generated/)")
        if name in ("generate", "check"):
            sub.add_argument("--history", type=Path, default=None, metavar="DIR",
                             help="the release locks abi-MAJOR.MINOR.lock.json (default: history/ beside --spec)")
        if name == "verify":
            sub.add_argument("--target", action="append", dest="targets", metavar="TRIPLE",
                             help="target triple to verify (repeatable; default: x86_64-linux-gnu and "
                                  "aarch64-linux-gnu)")
    compat_cli.add_commands(commands)
    return parser


def _source_label(spec_path: Path) -> str:
    """How outputs name the spec: `schema/<file>` for a spec in a schema/ folder, else its file
    name, so output bytes never depend on the current folder or on how the path was typed."""
    resolved = spec_path.resolve()
    return f"schema/{resolved.name}" if resolved.parent.name == "schema" else resolved.name


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    root = _project_root()
    if args.command in compat_cli.COMMANDS:
        return compat_cli.run(args, root)
    spec_path: Path = args.spec if args.spec is not None else root / "schema" / "abi.yaml"
    out: Path | None = getattr(args, "out", None)
    if out is None:
        out = root / "generated"
    label = _source_label(spec_path)
    try:
        spec = load_spec(spec_path)
        if args.command == "lint":
            wire = f", {len(spec.messages)} wire messages, wire hash {spec.wire_hash_hex}" if spec.messages else ""
            print(f"{spec_path}: ok ({len(spec.structs)} structs, layout hash {spec.layout_hash_hex}{wire})")
            return EXIT_OK
        history: Path | None = getattr(args, "history", None)
        released = released_layouts(spec, history if history is not None else spec_path.parent / "history") \
            if args.command in ("generate", "check") else ()
        if args.command == "generate":
            files = render_all(spec, label, released)
            write_tree(files, out)
            print(f"{out}: {len(files)} files from {spec_path} (ABI {spec.version}, layout hash {spec.layout_hash_hex})")
            return EXIT_OK
        if args.command == "check":
            return _check(spec, label, out, released)
        return _verify(spec, out, args.targets)
    except SpecError as error:
        print(error, file=sys.stderr)
        count = len(error.diagnostics)
        print(f"abigen: {spec_path}: {count} error{'s' if count != 1 else ''}; nothing was written",
              file=sys.stderr)
        return EXIT_USAGE
    except UsageError as error:
        print(f"abigen: {error}", file=sys.stderr)
        return EXIT_USAGE


def _check(spec: Spec, label: str, out: Path, released: tuple[ReleasedLayout, ...]) -> int:
    staleness = compare_tree(render_all(spec, label, released), out)
    if not staleness.stale:
        print(f"{out}: up to date with the spec")
        return EXIT_OK
    for what, paths in (("differs", staleness.changed), ("missing", staleness.missing),
                        ("not generated (remove it)", staleness.extra)):
        for path in paths:
            print(f"{out / path}: {what}", file=sys.stderr)
    print(f"abigen: {out} is stale; run `abigen generate` and commit the result", file=sys.stderr)
    return EXIT_FAILED


def _verify(spec: Spec, out: Path, targets: list[str] | None) -> int:
    from abigen.verify import verify_headers  # libclang loads only for this command

    chosen = targets or ["x86_64-linux-gnu", "aarch64-linux-gnu"]
    mismatches = verify_headers(spec, out, chosen)
    for mismatch in mismatches:
        print(mismatch, file=sys.stderr)
    if mismatches:
        print(f"abigen: verify found {len(mismatches)} mismatches", file=sys.stderr)
        return EXIT_FAILED
    fields = sum(len(s.fields) for s in spec.structs)
    wire = f" ({len(spec.messages)} wire messages too)" if spec.messages else ""
    print(f"{out}: {len(spec.structs)} structs, {fields} fields match the spec in C and C++ for {', '.join(chosen)}"
          f"{wire}")
    return EXIT_OK
