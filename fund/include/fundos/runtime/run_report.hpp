// Run outputs: report.json, fills.csv and equity.csv in the run folder, from the configuration
// and the engine's results. Pure functions of their inputs: no wall clock, no locale, no hash
// order; identical inputs give byte-identical files. Each file is written atomically (a temporary
// file in the same folder, fsync, rename, fsync of the folder).
//
// The equity series is never held: the engine hands each step's points to its Sink, and the run's
// EquityRecorder (equity_recorder.hpp) appends equity.csv's row and folds the point into running
// figures (EquitySummary) as the step ends; report.json is written from those figures. The run's
// memory does not grow with its number of steps.
//
// Number formats:
//   * fixed-point values are printed exactly from their integers with all their decimals:
//     Money and Quantity 6 ("1250.500000"), Price 8 ("101.25000000"); in report.json as strings
//   * ratios (return, sharpe, max_drawdown, turnover, periods_per_year) are JSON numbers with
//     exactly 6 decimals ("0.012345"), or null where undefined
//   * times are ISO-8601 UTC with nanoseconds, "2024-01-02T14:31:00.000000000Z"
//
// report.json:
//   {"run":    {"name", "mode", "config_hash" (16 hex digits, runtime::config_hash), "steps",
//               "events", "first_time", "last_time" (simulated; null if none), "stopped_by",
//               "periods_per_year"},
//    "fund":   {figures},
//    "agents": [{"id", "name", figures}, ...]}          in configuration order
// figures, for a scope with capital C and equity series E_1..E_n (one point per step; E_0 = C),
// each computed in one pass over the series as the steps come (EquityFigures::add):
//   capital          C (the fund's or the agent's configured capital)
//   final_equity     E_n (C when there are no steps)
//   pnl              E_n - C
//   return           pnl / C
//   sharpe           mean(r) / sd(r) * sqrt(periods_per_year), r_t = E_t / E_{t-1} - 1 for the
//                    steps with E_{t-1} > 0, computed in double as (E_t - E_{t-1}) / E_{t-1}, sd
//                    the sample standard deviation (n - 1), risk-free rate 0; null with fewer
//                    than 2 returns or sd = 0. mean and sd come from Welford's one-pass update, in
//                    step order: k += 1, d = r_k - mean, mean += d / k, m2 += d * (r_k - mean),
//                    sd = sqrt(m2 / (k - 1)). It needs no stored returns and does not cancel
//                    catastrophically; it may differ from a two-pass mean/sd in the last bits
//                    (so, rarely, in the last printed decimal); it is deterministic: the same
//                    series gives the same bits
//   periods_per_year 252 * (steps per trading day), steps per trading day = the fund series'
//                    points / the distinct UTC calendar days they fall on: a step series of
//                    minute bars over regular sessions gives 252 * 390 = 98280. Points come in
//                    non-decreasing time order, so the days are counted as the day changes
//   max_drawdown     the largest (peak - E_t) / peak over t with peak > 0, peak = max(E_0..E_t);
//                    a fraction
//   max_drawdown_amount  the largest peak - E_t, in money
//   traded_notional  sum of qty * price over the scope's fills, rounded once to 1e-6 at the end
//                    (half up); for the fund, only fills with the market (internal crosses move
//                    nothing in or out of the fund)
//   turnover         traded_notional / C
//   fees             sum of the fills' fees
//   trades           fills (one per allocation to an agent); internal_trades: of them, crosses
//   realized, unrealized, gross_exposure, net_exposure   from the last equity point (0 without)
//   rejects          {"REASON": count} for the reasons with a count, in RejectReason order
//                    (the fund: the sum over its agents)
//
// fills.csv:  time,agent,instrument,intent_id,side,qty,price,fee,internal
//             (agent by name, instrument by symbol, side BUY/SELL, internal true/false)
// equity.csv: time,fund,<agent name>...   one row per step: its time and the equity of the fund
//             and of each agent at its end (written by EquityRecorder, row by row)
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "fundos/engine/config.hpp"
#include "fundos/engine/engine.hpp"
#include "fundos/runtime/equity_recorder.hpp"
#include "fundos/runtime/status.hpp"

namespace fundos::runtime {

/// What the run loop knows about the run as a whole.
struct RunFacts {
    std::uint64_t steps = 0;
    std::uint64_t events = 0;
    abi::Timestamp first_time = 0;  ///< simulated time of the first step (0: none)
    abi::Timestamp last_time = 0;   ///< simulated time of the last step
    std::string stopped_by;         ///< "end of data", "max_steps", "signal", ...
};

/// Rejections of the agent at `agent_index` (configuration order) for `reason`.
using RejectCounter = std::function<std::uint64_t(std::size_t agent_index, abi::RejectReason reason)>;

/// The engine's results, as plain views.
struct RunResults {
    std::span<const engine::FillRow> fills;
    /// The equity figures of the fund and each agent (the run's EquityRecorder::summary());
    /// nullptr or without scopes: no steps (every scope at its capital).
    const EquitySummary* equity = nullptr;
    RejectCounter rejects;  ///< empty: no rejections
};

[[nodiscard]] std::string report_json(const engine::FundConfig& config, const RunFacts& facts, const RunResults& results);
[[nodiscard]] std::string fills_csv(const engine::FundConfig& config, std::span<const engine::FillRow> fills);

/// Writes report.json and fills.csv into `run_dir` (which must exist); equity.csv is the
/// EquityRecorder's (EquityRecorder::finish).
[[nodiscard]] Status write_run_outputs(const std::string& run_dir, const engine::FundConfig& config,
                                       const RunFacts& facts, const RunResults& results);

/// The same from anything with the engine's result accessors (engine::Engine): fills() and
/// rejects(agent_index, reason), and the run's equity figures. A template so that this library
/// does not depend on the engine's implementation.
template <class EngineLike>
    requires requires(const EngineLike& e) {
        e.fills();
        e.rejects(std::size_t{0}, abi::RejectReason::NONE);
    }
[[nodiscard]] Status write_run_outputs(const std::string& run_dir, const engine::FundConfig& config,
                                       const RunFacts& facts, const EngineLike& engine, const EquitySummary& equity) {
    RunResults results;
    results.fills = engine.fills();
    results.equity = &equity;
    results.rejects = [&engine](std::size_t agent, abi::RejectReason reason) { return engine.rejects(agent, reason); };
    return write_run_outputs(run_dir, config, facts, results);
}

/// Writes `content` to `path` atomically: `path`.tmp.PID, fsync, rename, fsync of the folder.
[[nodiscard]] Status write_file_atomic(const std::string& path, std::string_view content);



}  // namespace fundos::runtime
