"""Draws the benchmarks' figures as PNG plots and links them from bench/RESULTS.md.

Reads the raw figures the benchmark scripts wrote beside --output (results/abigen.json,
results/transport.json, results/fund.json: every run of every row), writes plots/*.png beside
--output, and rewrites the plots section of --output (between `<!-- plots-bench:begin/end -->`)
with the images and what each shows. A plot whose results file is missing is left out and the
section says so. Every bar or point is the median over the runs and its error bar the [min, max]
over the runs, as in the tables; nothing is computed here that the tables do not show.

  replay.png      events/s of every replay row (FundOS and the peers), log scale
  memory.png      the Fund's peak RSS against data length (1x, 4x, 16x), and each system's peak RSS
  round_trip.png  p50/p99/p99.9 round trip of FundOS, iceoryx2 and the cache-line floor, log scale
  scaling.png     replay events/s and the step round trip against the number of agents, and the
                  transport's round trips/s and mean round trip with several agents
  abigen.png      generate and verify times, schema/abi.yaml and the synthetic spec

Runs under bench/.venv's Python (matplotlib is in bench/requirements.txt; `make bench` runs it
last).

Usage: bench/.venv/bin/python bench/bench_plots.py [--output bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import results_file  # bench/, beside this script

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Spread:
    median: float
    low: float
    high: float

    @staticmethod
    def of(values: list[float]) -> Spread:
        return Spread(statistics.median(values), min(values), max(values))

    def errors(self) -> tuple[float, float]:
        return self.median - self.low, self.high - self.median


def spread(runs: list[dict[str, float]], key: str, scale: float = 1.0) -> Spread | None:
    values = [run[key] * scale for run in runs if key in run]
    return Spread.of(values) if values else None


def error_bars(spreads: list[Spread]) -> list[list[float]]:
    return [[s.errors()[0] for s in spreads], [s.errors()[1] for s in spreads]]


def subtitle(data: dict[str, Any]) -> str:
    return f"{data.get('date', '?')}; {data.get('machine', '?').split(';')[0]}"


def plot_replay(plt: Any, fund: dict[str, Any], out: Path) -> str:
    rows = [(row["short"], s) for row in fund["replay"]
            if row["runs"] and (s := spread(row["runs"], "eps")) is not None]
    figure, axis = plt.subplots(figsize=(9, 0.45 * len(rows) + 1.8))
    names = [name for name, _ in rows][::-1]
    values = [s for _, s in rows][::-1]
    colors = ["tab:blue" if name.startswith("FundOS") else "tab:gray" for name in names]
    axis.barh(names, [s.median for s in values], xerr=error_bars(values), color=colors, capsize=3)
    for y, s in enumerate(values):
        axis.text(s.median * 1.15, y, f"{s.median / 1e3:,.0f} k/s", va="center", fontsize=8)
    axis.set_xscale("log")
    axis.set_xlim(right=max(s.high for s in values) * 4)
    axis.set_xlabel("events per second (log scale; median, error bar min..max over the runs)")
    axis.set_title(f"Replay throughput on the SPY trade ticks\n{subtitle(fund)}", fontsize=10)
    axis.tick_params(axis="y", labelsize=8)
    figure.tight_layout()
    figure.savefig(out, dpi=110)
    plt.close(figure)
    return "Events/s of every replay row, FundOS (blue) and the peers (gray), on the same ticks"


def plot_memory(plt: Any, fund: dict[str, Any], out: Path) -> str:
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5), gridspec_kw={"width_ratios": [1, 1.4]})
    lengths = sorted(int(n) for n in fund["memory"])
    rss = [spread(fund["memory"][str(n)]["runs"], "rss_mb") for n in lengths]
    points = [(n, s) for n, s in zip(lengths, rss) if s is not None]
    left.errorbar([n for n, _ in points], [s.median for _, s in points], yerr=error_bars([s for _, s in points]),
                  marker="o", capsize=3)
    events = [fund["memory"][str(n)]["runs"][0]["events"] for n, _ in points]
    left.set_xscale("log", base=2)
    left.set_xticks([n for n, _ in points], [f"{n}x\n{e / 1e6:.1f} M" for (n, _), e in zip(points, events)])
    left.set_ylim(0, max(s.high for _, s in points) * 1.3)
    left.set_ylabel("Fund peak RSS, MB")
    left.set_title("FundOS: peak RSS against data length\n(no agent, a step every 1000 events)", fontsize=10)
    rows = [(row["short"], s, spread(row["runs"], "agents_rss_mb"))
            for row in fund["replay"] if row["runs"] and (s := spread(row["runs"], "rss_mb")) is not None]
    names = [name for name, _, _ in rows][::-1]
    own = [s for _, s, _ in rows][::-1]
    agents = [a.median if a is not None else 0.0 for _, _, a in rows][::-1]
    right.barh(names, [s.median for s in own], xerr=error_bars(own), color="tab:blue", capsize=3,
               label="the Fund, or the peer's process")
    right.barh(names, agents, left=[s.median for s in own], color="tab:cyan", label="FundOS agents (summed)")
    right.set_xlim(0, max(s.high + a for s, a in zip(own, agents)) * 1.1)
    right.set_xlabel("peak RSS, MB")
    right.tick_params(axis="y", labelsize=7)
    right.legend(fontsize=8)
    right.set_title(f"Peak RSS per system\n{subtitle(fund)}", fontsize=10)
    figure.tight_layout()
    figure.savefig(out, dpi=110)
    plt.close(figure)
    return ("The Fund's peak RSS at 1x, 4x and 16x the ticks, and the peak RSS of every replay row (the Fund plus "
            "its agents' summed; a peer's whole process)")


TRANSPORT_ROWS = (("c", "FundOS C agent"), ("public", "FundOS Python agent (fundos.Agent)"),
                  ("core", "FundOS Python on fundos._core"), ("iceoryx2", "iceoryx2 Python pub-sub"),
                  ("floor", "bare C cache-line ping-pong (floor)"))


def plot_round_trip(plt: Any, transport: dict[str, Any], out: Path) -> str:
    rows = [(label, transport["round_trip"][key]["runs"]) for key, label in TRANSPORT_ROWS
            if key in transport["round_trip"]]
    figure, axis = plt.subplots(figsize=(10, 4.8))
    width = 0.26
    for k, (name, color) in enumerate((("p50", "tab:blue"), ("p99", "tab:orange"), ("p99.9", "tab:red"))):
        spreads = [spread(runs, name, 1e-3) or Spread(0, 0, 0) for _, runs in rows]
        xs = [i + (k - 1) * width for i in range(len(rows))]
        axis.bar(xs, [s.median for s in spreads], width, yerr=error_bars(spreads), label=name, color=color, capsize=2)
    axis.set_xticks(range(len(rows)), [label for label, _ in rows], fontsize=8, rotation=12)
    axis.set_yscale("log")
    axis.set_ylabel("round trip, us (log scale)")
    axis.legend(fontsize=8)
    axis.set_title(f"Shared-memory round trip between two processes\n{subtitle(transport)}", fontsize=10)
    figure.tight_layout()
    figure.savefig(out, dpi=110)
    plt.close(figure)
    return "The p50, p99 and p99.9 round trip of FundOS's agents, iceoryx2's Python binding and the physical floor"


def below(axis: Any, twin: Any) -> None:
    """One legend for an axis and its twin, under the plot."""
    handles, labels = axis.get_legend_handles_labels()
    more_handles, more_labels = twin.get_legend_handles_labels()
    axis.legend(handles + more_handles, labels + more_labels, fontsize=8, loc="upper center",
                bbox_to_anchor=(0.5, -0.16), ncol=3, frameon=False)


def plot_scaling(plt: Any, fund: dict[str, Any] | None, transport: dict[str, Any] | None, out: Path) -> str:
    figure, axes = plt.subplots(1, 2, figsize=(12, 5.2))
    left, right = axes
    if fund is not None and fund["scaling"]:
        counts = sorted(int(n) for n in fund["scaling"])
        runs = [fund["scaling"][str(n)]["runs"] for n in counts]
        eps = [spread(r, "eps") or Spread(0, 0, 0) for r in runs]
        left.errorbar(counts, [s.median for s in eps], yerr=error_bars(eps), marker="o", capsize=3, color="tab:blue",
                      label="replay events/s (Fund)")
        left.set_ylabel("replay events/s", color="tab:blue")
        twin = left.twinx()
        for name, color in (("step_p50", "tab:green"), ("step_p99", "tab:orange")):
            steps = [spread(r, name, 1e-3) or Spread(0, 0, 0) for r in runs]
            twin.errorbar(counts, [s.median for s in steps], yerr=error_bars(steps), marker="s", capsize=3,
                          color=color, linestyle="--", label=f"step round trip {name[5:]}, us")
        twin.set_yscale("log")
        twin.set_ylabel("step round trip seen by agent 1, us (log)")
        below(left, twin)
        left.set_yscale("log")
        left.set_xscale("log", base=2)
        left.set_xticks(counts, [str(n) for n in counts])
        left.set_xlabel("C agents (futex wait)")
        left.set_title(f"Fund replay with N agents\n{subtitle(fund)}", fontsize=10)
    if transport is not None:
        keys = sorted((int(k[len("agents"):]), k) for k in transport["round_trip"] if k.startswith("agents"))
        if keys:
            counts = [n for n, _ in keys]
            runs = [transport["round_trip"][k]["runs"] for _, k in keys]
            rate = [spread(r, "rate") or Spread(0, 0, 0) for r in runs]
            mean = [spread(r, "mean", 1e-3) or Spread(0, 0, 0) for r in runs]
            right.errorbar(counts, [s.median for s in rate], yerr=error_bars(rate), marker="o", capsize=3,
                           color="tab:blue", label="round trips/s, all agents")
            right.set_ylabel("round trips per second", color="tab:blue")
            right.set_xscale("log", base=2)
            right.set_xticks(counts, [str(n) for n in counts])
            right.set_xlabel("C agents against one transport host (futex wait)")
            twin = right.twinx()
            twin.errorbar(counts, [s.median for s in mean], yerr=error_bars(mean), marker="s", capsize=3,
                          color="tab:red", linestyle="--", label="mean round trip, us")
            twin.set_yscale("log")
            twin.set_ylabel("mean round trip, us (log)", color="tab:red")
            below(right, twin)
            right.set_title(f"Transport round trip with N agents\n{subtitle(transport)}", fontsize=10)
    figure.tight_layout()
    figure.savefig(out, dpi=110)
    plt.close(figure)
    return ("Left: the Fund's replay events/s and the step round trip (p50, p99) with 1 to 32 agents; right: the "
            "transport host's round trips per second and the mean round trip with 1 to 32 agents")


def plot_abigen(plt: Any, abigen: dict[str, Any], out: Path) -> str:
    timings = abigen["timings"]
    whats = list(dict.fromkeys(t["what"] for t in timings))
    figure, axis = plt.subplots(figsize=(9, 4.2))
    width = 0.38
    for k, (spec, color) in enumerate((("real", "tab:blue"), ("synthetic", "tab:orange"))):
        spreads = [Spread.of(t["seconds"]) for what in whats for t in timings
                   if t["what"] == what and t["spec"] == spec]
        if len(spreads) != len(whats):
            continue
        xs = [i + (k - 0.5) * width for i in range(len(whats))]
        axis.bar(xs, [s.median for s in spreads], width, yerr=error_bars(spreads), capsize=3, color=color,
                 label=f"{spec}: {abigen['specs'].get(spec, '')}")
    axis.set_xticks(range(len(whats)), whats, fontsize=8)
    axis.set_ylabel("seconds")
    axis.legend(fontsize=8)
    axis.set_title(f"abigen generate and verify\n{subtitle(abigen)}", fontsize=10)
    figure.tight_layout()
    figure.savefig(out, dpi=110)
    plt.close(figure)
    return ("The times of abigen generate (fresh process and in process) and verify, on schema/abi.yaml and the "
            "synthetic spec")


def load(output: Path, name: str) -> dict[str, Any] | None:
    path = results_file.data_path(output, name)
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None,
                                     epilog="Needs matplotlib (bench/.venv). Exit 1 when it is missing.")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md",
                        help="the results file beside whose results/ and plots/ it works (default bench/RESULTS.md)")
    args = parser.parse_args(argv)
    try:
        import matplotlib
    except ImportError:
        print("bench: matplotlib is missing; run this with bench/.venv/bin/python (bench/requirements.txt)",
              file=sys.stderr)
        return 1
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = args.output.parent / "plots"
    folder.mkdir(parents=True, exist_ok=True)
    fund, transport, abigen = load(args.output, "fund"), load(args.output, "transport"), load(args.output, "abigen")
    plots: list[tuple[str, str, Callable[[Path], str] | None, str]] = [
        ("replay.png", "Replay throughput", (lambda p: plot_replay(plt, fund, p)) if fund else None, "fund"),
        ("memory.png", "Peak memory", (lambda p: plot_memory(plt, fund, p)) if fund else None, "fund"),
        ("round_trip.png", "Round trip",
         (lambda p: plot_round_trip(plt, transport, p)) if transport else None, "transport"),
        ("scaling.png", "Scaling with agents",
         (lambda p: plot_scaling(plt, fund, transport, p)) if fund or transport else None, "fund, transport"),
        ("abigen.png", "abigen", (lambda p: plot_abigen(plt, abigen, p)) if abigen else None, "abigen"),
    ]
    lines = [
        "# Plots",
        "",
        ("Drawn by `bench/bench_plots.py` from the raw figures the scripts above wrote to `results/*.json` "
         "(every run of every row); do not edit by hand. Median over the runs, error bars [min, max]; the "
         "date and machine of each are in its title and in the section of the table it draws."),
        "",
    ]
    for name, title, draw, source in plots:
        if draw is None:
            lines += [f"- {title}: not drawn, `results/{source.split(',')[0]}.json` is missing", ""]
            continue
        what = draw(folder / name)
        lines += [f"## {title}", "", f"{what}.", "", f"![{title}](plots/{name})", ""]
        print(f"bench: wrote {folder / name}", flush=True)
    results_file.write_section(args.output, "plots", "\n".join(lines))
    print(f"bench: wrote the plots section of {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
