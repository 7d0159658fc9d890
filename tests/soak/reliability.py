"""Write docs/RELIABILITY.md from a soak run's summary JSON (tests/soak/soak_harness.py).

    python tests/soak/reliability.py [--summary FILE] [--asan-junit FILE] [--tsan-junit FILE] [--out FILE]

--summary defaults to $FUNDOS_BUILD_DIR/soak/summary.json, --out to docs/RELIABILITY.md;
--asan-junit and --tsan-junit are ctest's --output-junit of the AddressSanitizer + UBSan (Debug)
and ThreadSanitizer builds (make soak), whose tests and failures (with the first sanitizer report
of each) the page lists. Every figure in the page comes from those files: nothing is typed by
hand. Exit status 2 with one line naming the file when one is missing or malformed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parents[2]
ORDER = ["agent_death", "hostile_agents", "fuzz", "load", "fund_death", "bad_input"]
TITLES = {"agent_death": "Agent death", "hostile_agents": "Hostile agents", "fuzz": "Fuzzing the intent path",
          "load": "Load", "fund_death": "Fund death",
          "bad_input": "Bad input corpus"}


def render(summary: dict[str, Any], source: str) -> str:
    counts = summary["counts"]
    mode = "make soak" if summary["soak"] else "make test (short scale)"
    out = ["# Reliability figures", "",
           f"Written by `tests/soak/reliability.py` from `{source}` (a run of the soak suite, `{mode}`);",
           "do not edit by hand: run `make soak`, which rewrites it. The scenarios ran the Fund and tools built in",
           (f"`{Path(summary.get('build_dir', '?')).name}` (`make soak`: Debug with AddressSanitizer and "
           "UndefinedBehaviorSanitizer, so a memory error or undefined behaviour fails its scenario)."), "",
           "The scale actually run:", "",
           "| count | value |", "| --- | --- |"]
    out += [f"| `{name}` | {value:,} |" for name, value in sorted(counts.items())]
    out += ["", ("| scenario | ran | Fund crashes | accepted intents | accepted lost | fills | fills lost or duplicated |"
                 " position invariant checks | failures |"), "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    scenarios = summary["scenarios"]
    for name in [n for n in ORDER if n in scenarios] + sorted(set(scenarios) - set(ORDER)):
        s = scenarios[name]
        out.append(f"| {TITLES.get(name, name)} | {s['runs']:,} × {s['unit']} | {s['fund_crashes']} | "
                   f"{s['accepted_intents']:,} | {s['accepted_lost']} | {s['fills']:,} | "
                   f"{s['fills_lost_or_duplicated']} | {s['invariant_checks']:,} | {s['invariant_failures']} |")
    failures = summary.get("failures", {})
    if failures:
        out += ["", f"**{len(failures)} soak test(s) failed in this run** (the product, not the suite, is to be fixed):", ""]
        out += [f"- `{test}`: {message}" for test, message in sorted(failures.items())]
    missing = [n for n in ORDER if n not in scenarios]
    if missing:
        out += ["", f"Not in this summary (not run or failed before writing its figures): {', '.join(missing)}."]
    for name in [n for n in ORDER if n in scenarios]:
        s = scenarios[name]
        out += ["", f"## {TITLES[name]}", ""]
        if s["refusals"]:
            out += ["Refusals, by the reason code each was reported with:", "",
                    "| reason | count |", "| --- | --- |"]
            out += [f"| `{reason}` | {n:,} |" for reason, n in sorted(s["refusals"].items())]
            out.append("")
        else:
            out += ["No refusals.", ""]
        for key, value in sorted(s["figures"].items()):
            out.append(f"- {key}: `{json.dumps(value, sort_keys=True)}`")
        out += [f"- {note}" for note in s["notes"]]
        out += ["", "Reproduce:", "", "```sh", s["command"], "```"]
    return "\n".join(out) + "\n"


# The ctest runs `make soak` makes under a sanitizer: (option, section title, compiler flag).
SANITIZED = [("asan_junit", "AddressSanitizer and UndefinedBehaviorSanitizer", "-fsanitize=address,undefined"),
             ("tsan_junit", "ThreadSanitizer", "-fsanitize=thread")]


def render_sanitized(title: str, flag: str, junit: Path) -> str:
    """A sanitizer's section from ctest's JUnit file: counts, and each failure with the first
    line its sanitizer reported."""
    cases = ElementTree.parse(junit).getroot().findall("testcase")
    failed = [c for c in cases if c.get("status") == "fail"]
    out = ["", f"## {title}", "",
           (f"{len(cases)} ctest programs built with `{flag}` and run (`{junit.name}`): "
            f"{len(cases) - len(failed)} passed, {len(failed)} failed.")]
    for case in failed:
        text = case.findtext("system-out") or ""
        warning = next((line.strip() for line in text.splitlines()
                        if line.startswith(("WARNING:", "SUMMARY:", "ERROR:")) or "runtime error:" in line),
                       "no sanitizer report (the test itself failed)")
        out.append(f"- `{case.get('name')}`: {warning}")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    build = os.environ.get("FUNDOS_BUILD_DIR", "build")
    parser.add_argument("--summary", type=Path, default=Path(build) / "soak" / "summary.json")
    for option, title, _ in SANITIZED:
        parser.add_argument(f"--{option.replace('_', '-')}", type=Path, help=f"ctest's JUnit file of the {title} build")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "RELIABILITY.md")
    args = parser.parse_args(argv)
    try:
        summary = json.loads(args.summary.read_text())
        text = render(summary, str(args.summary))
    except (OSError, json.JSONDecodeError, KeyError) as error:
        print(f"reliability: {args.summary}: not a soak summary ({type(error).__name__}: {error})", file=sys.stderr)
        return 2
    for option, title, flag in SANITIZED:
        junit = getattr(args, option)
        if junit is None:
            continue
        try:
            text += render_sanitized(title, flag, junit)
        except (OSError, ElementTree.ParseError) as error:
            print(f"reliability: {junit}: not ctest JUnit output ({type(error).__name__}: {error})", file=sys.stderr)
            return 2
    args.out.write_text(text)
    print(f"reliability: wrote {args.out} from {args.summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
