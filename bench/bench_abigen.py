#!/usr/bin/env python3
"""Times the ABI compiler and rewrites bench/RESULTS.md.

Measured, each REPEAT times, on (a) schema/abi.yaml and (b) a synthetic spec of STRUCTS structs
that this script writes to a temporary folder:
  - `abigen generate --spec SPEC --out TMP` as a fresh process into an empty folder: load, validate,
    lay out and render every target, as a developer runs it (interpreter start-up included);
  - the same through `abigen.cli.main([...])` in this process (imports already warm);
  - `abigen verify --spec SPEC --out TMP` as a fresh process, on the output just generated.
Targets: generate under 1 s for schema/abi.yaml and under 5 s for the synthetic spec (median of the
fresh-process runs).

Every run's times also go to results/abigen.json beside --output (for bench_plots.py).

Usage: .venv/bin/python bench/bench_abigen.py [--repeat 7] [--structs 500] [--output bench/RESULTS.md]
(`make bench` runs it with the defaults.)
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import io
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import results_file  # bench/, beside this script
import yaml

ROOT = Path(__file__).resolve().parents[1]
REAL_SPEC = ROOT / "schema" / "abi.yaml"
TARGETS_S = {"real": 1.0, "synthetic": 5.0}

INT_SCALARS = ("u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64")
FIELD_SCALARS = INT_SCALARS + ("f32", "f64")
UNITS = {
    "epoch_ns": "nanoseconds since the Unix epoch",
    "ns": "a duration in nanoseconds",
    "currency": "an amount of the base currency",
    "price": "quote currency per unit",
    "count": "a plain count",
    "id": "an identifier",
}
N_ENUMS = 20
N_ALIASES = 10
LEVEL_WIDTH = 100  # struct i may embed structs of the level below, i - LEVEL_WIDTH and i % LEVEL_WIDTH


def synthetic_spec(n_structs: int) -> dict[str, object]:
    """A valid spec of n_structs structs: scalars, enums, aliases, char and scalar arrays, atomics,
    reserved bytes, declared alignment, and arrays of earlier structs nested up to
    n_structs / LEVEL_WIDTH levels deep."""
    enums = {}
    for e in range(N_ENUMS):
        scalar = INT_SCALARS[e % len(INT_SCALARS)]
        values = {f"V{v}": {"value": v, "doc": f"value {v}"} for v in range(3 + e % 5)}
        enums[f"Enum{e}"] = {"type": scalar, "on_unknown": "reject" if e % 2 else "ignore",
                             "doc": f"synthetic enum {e}", "values": values}
    aliases = {}
    units = list(UNITS)
    for a in range(N_ALIASES):
        body: dict[str, object] = {"type": INT_SCALARS[(a * 3) % len(INT_SCALARS)], "unit": units[a % len(units)],
                                   "doc": f"synthetic alias {a}"}
        if a % 2:
            body["decimals"] = a % 9
        aliases[f"Amount{a}"] = body
    structs: dict[str, object] = {}
    directions = ("fund -> agent", "agent -> fund", "any")
    for i in range(n_structs):
        fields: list[dict[str, object]] = []
        for k in range(6 + i % 7):
            kind = (i + k) % 8
            if kind in (0, 1, 2):
                fields.append({"name": f"x{k}", "type": FIELD_SCALARS[(i * 7 + k) % len(FIELD_SCALARS)],
                               "doc": "a scalar"})
            elif kind == 3:
                fields.append({"name": f"e{k}", "type": f"Enum{(i + k) % N_ENUMS}"})
            elif kind == 4:
                fields.append({"name": f"a{k}", "type": f"Amount{(i * 3 + k) % N_ALIASES}"})
            elif kind == 5:
                fields.append({"name": f"label{k}", "type": "char[NAME_LEN]", "doc": "NUL-padded text"})
            elif kind == 6:
                fields.append({"name": f"arr{k}", "type": f"{INT_SCALARS[(i + k) % len(INT_SCALARS)]}[N_SMALL]",
                               "unit": "count"})
            else:
                fields.append({"name": f"seq{k}", "type": "u64", "atomic": True, "unit": "count"})
        if i % 9 == 4:
            fields.append({"reserved": 8 + i % 24})
        if i >= LEVEL_WIDTH:
            fields.append({"name": "children", "type": f"S{i - LEVEL_WIDTH:04d}[{2 + i % 2}]"})
            fields.append({"name": "leaf", "type": f"S{i % LEVEL_WIDTH:04d}"})
        body = {"doc": f"synthetic struct {i}", "direction": directions[i % 3], "fields": fields}
        if i % 10 == 0:
            body["align"] = 64
        structs[f"S{i:04d}"] = body
    return {
        "abi": {"name": "synthetic", "version": "1.0", "doc": f"{n_structs} generated structs for bench/"},
        "units": UNITS,
        "constants": {
            "NAME_LEN": {"type": "u32", "value": 16, "doc": "bytes in a label"},
            "N_SMALL": {"type": "u32", "value": 4, "doc": "a small array length"},
        },
        "enums": enums,
        "types": aliases,
        "structs": structs,
    }


@dataclass
class Timing:
    what: str
    spec: str
    command: str
    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def rel(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def abigen_command() -> list[str]:
    for candidate in (ROOT / ".venv" / "bin" / "abigen", Path(sys.executable).parent / "abigen"):
        if candidate.exists():
            return [str(candidate)]
    found = shutil.which("abigen")
    return [found] if found else [sys.executable, "-m", "abigen"]


def run_checked(argv: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, check=False, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"bench: `{shlex.join(argv)}` failed with exit code {done.returncode}:\n"
                 f"{done.stdout}{done.stderr}")
    return elapsed


def in_process(argv: list[str]) -> float:
    from abigen.cli import main

    sink = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        code = main(argv)
    elapsed = time.perf_counter() - start
    if code:
        sys.exit(f"bench: abigen.cli.main({argv!r}) returned {code}:\n{sink.getvalue()}")
    return elapsed


def repeat(n: int, action: Callable[[int], float]) -> list[float]:
    return [action(k) for k in range(n)]


def machine() -> dict[str, str]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Model", "cpu model", "Hardware") and value.strip():
                model = value.strip()
                break
    if not model and shutil.which("lscpu"):
        for line in subprocess.run(["lscpu"], check=False, capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    return {
        "arch": platform.machine(),
        "cpu": model or "unknown",
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "load": "/".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def write_results(path: Path, timings: list[Timing], info: dict[str, str], argv: list[str],
                  n_structs: int, spec_stats: dict[str, str], repeats: int) -> bool:
    ok = True
    date = datetime.datetime.now(datetime.UTC).strftime('%Y-%m-%d %H:%M UTC')
    described = f"{info['arch']}, {info['cpu']}, {info['cores']} cores; {info['os']}; Python {info['python']}"
    lines = [
        "# abigen benchmark",
        "",
        "Written by `bench/bench_abigen.py`; do not edit by hand. Regenerate with `make bench`.",
        "",
        f"- date: {date}",
        f"- machine: {described}",
        f"- command: `{shlex.join(argv)}`",
        f"- load average (1/5/15 min) when the runs ended: {info['load']} (other work on the machine widens the spread)",
        f"- repeats: {repeats} per row; times are wall-clock seconds (median, min, max)",
        (f"- specs: real = `{rel(REAL_SPEC)}` ({spec_stats['real']}); synthetic = {spec_stats['synthetic']}, "
         "written by the script to a temporary folder (scalars, enums, aliases, char and scalar arrays, "
         f"atomics, reserved bytes, `align: 64`, arrays of earlier structs nested {(n_structs - 1) // LEVEL_WIDTH} "
         "levels deep)"),
        "- every generate run writes into a fresh empty folder; verify runs on the output of the last generate",
        "",
        ("- ratio: the median over the same command's median on the real spec (abigen has no peer to be "
         "compared with; the ratio says how the time grows with the spec)"),
        "",
        "| system | what | spec | median s | min s | max s | ratio to the real spec | target | result |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    real = {t.what: t.median for t in timings if t.spec == "real"}
    for t in timings:
        target = TARGETS_S.get(t.spec) if t.what == "generate (fresh process)" else None
        if target is None:
            verdict, target_text = "", "-"
        else:
            passed = t.median < target
            ok = ok and passed
            verdict, target_text = ("PASS" if passed else "FAIL"), f"< {target:g} s"
        ratio = f"{t.median / real[t.what]:.1f}x" if real.get(t.what) else "-"
        lines.append(f"| FundOS abigen | {t.what} | {t.spec} | {t.median:.3f} | {min(t.seconds):.3f} "
                     f"| {max(t.seconds):.3f} | {ratio} | {target_text} | {verdict} |")
    lines += ["", "Timed commands (TMP is a fresh temporary folder, SYNTH the synthetic spec in it):", ""]
    seen = set()
    for t in timings:
        if t.command not in seen:
            seen.add(t.command)
            lines.append(f"- {t.what}, {t.spec}: `{t.command}`")
    lines += ["", (f"Overall: {'PASS' if ok else 'FAIL'} against the targets "
                   "(generate < 1 s on schema/abi.yaml, < 5 s on the synthetic spec; fresh-process median).")]
    results_file.write_section(path, "abigen", "\n".join(lines))
    results_file.write_data(path, "abigen", {
        "date": date, "machine": described,
        "command": shlex.join(argv), "specs": spec_stats,
        "timings": [{"what": t.what, "spec": t.spec, "command": t.command, "seconds": t.seconds} for t in timings]})
    return ok


class SpecBench:
    """Timed runs on one spec; every generate writes into a fresh folder under `work`, and
    verify reads the output of the last fresh-process generate."""

    def __init__(self, abigen: list[str], spec: Path, work: Path) -> None:
        self.abigen = abigen
        self.spec = spec
        self.work = work
        self.last_out = work / "out-last"
        work.mkdir()

    def fresh_out(self, k: int) -> Path:
        out = self.work / f"out-{k}"
        shutil.rmtree(out, ignore_errors=True)
        return out

    def generate_process(self, k: int) -> float:
        out = self.fresh_out(k)
        seconds = run_checked([*self.abigen, "generate", "--spec", str(self.spec), "--out", str(out)])
        shutil.rmtree(self.last_out, ignore_errors=True)
        out.rename(self.last_out)
        return seconds

    def generate_in_process(self, k: int) -> float:
        out = self.fresh_out(k)
        seconds = in_process(["generate", "--spec", str(self.spec), "--out", str(out)])
        shutil.rmtree(out)
        return seconds

    def verify(self, k: int) -> float:
        return run_checked([*self.abigen, "verify", "--spec", str(self.spec), "--out", str(self.last_out)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog=("Exit 1 when a target is missed. Writes its section of --output and "
                                             "results/abigen.json beside it."))
    parser.add_argument("--repeat", type=int, default=7, help="runs per row (default 7)")
    parser.add_argument("--structs", type=int, default=500, help="structs of the synthetic spec (default 500)")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md",
                        help="the results file whose abigen section is rewritten (default bench/RESULTS.md)")
    parser.add_argument("--no-verify", action="store_true", help="skip timing `abigen verify`")
    args = parser.parse_args()
    abigen = abigen_command()
    shown = [rel(Path(abigen[0])) if Path(abigen[0]).is_absolute() else abigen[0]] + abigen[1:]
    timings: list[Timing] = []
    stats: dict[str, str] = {}

    with tempfile.TemporaryDirectory(prefix="abigen-bench-") as tmp_name:
        tmp = Path(tmp_name)
        synth = tmp / "synthetic.yaml"
        synth.write_text(yaml.safe_dump(synthetic_spec(args.structs), sort_keys=False, width=200), encoding="utf-8")
        for name, spec, shown_spec in (("real", REAL_SPEC, rel(REAL_SPEC)), ("synthetic", synth, "SYNTH")):
            data = yaml.safe_load(spec.read_text(encoding="utf-8"))
            stats[name] = f"{len(data['structs'])} structs, {spec.stat().st_size / 1024:.0f} KiB of YAML"
            print(f"bench: {name} spec ({stats[name]}), {args.repeat} runs each", flush=True)
            bench = SpecBench(abigen, spec, tmp / name)
            cmd = shlex.join([*shown, "generate", "--spec", shown_spec, "--out", "TMP"])
            timings.append(Timing("generate (fresh process)", name, cmd, repeat(args.repeat, bench.generate_process)))
            cmd = f"abigen.cli.main(['generate', '--spec', '{shown_spec}', '--out', 'TMP'])"
            timings.append(Timing("generate (in process)", name, cmd, repeat(args.repeat, bench.generate_in_process)))
            if not args.no_verify:
                cmd = shlex.join([*shown, "verify", "--spec", shown_spec, "--out", "TMP"])
                timings.append(Timing("verify (fresh process)", name, cmd, repeat(args.repeat, bench.verify)))

    argv = [rel(Path(sys.executable)) if Path(sys.executable).is_relative_to(ROOT) else "python3",
            rel(Path(__file__).resolve())] + sys.argv[1:]
    ok = write_results(args.output, timings, machine(), argv, args.structs, stats, args.repeat)
    for t in timings:
        print(f"  {t.what:26} {t.spec:9} median {t.median:.3f} s  (min {min(t.seconds):.3f}, max {max(t.seconds):.3f})")
    print(f"bench: wrote {rel(args.output.resolve())}: {'PASS' if ok else 'FAIL'} against the targets")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
