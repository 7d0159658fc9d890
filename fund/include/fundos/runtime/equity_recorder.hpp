// EquityRecorder: equity.csv and report.json's equity figures, kept as the steps come, in memory
// that does not grow with the run. The engine hands its Sink the equity points of every step
// (engine::Sink::equity); the Fund process passes them here. Each step's row is appended to a
// buffer written to `run_dir`/equity.csv.tmp in large chunks, and finish() moves the file to
// equity.csv atomically (fsync, rename, fsync of the folder), as the other outputs are written.
// Alongside, per scope (the fund, each agent) it keeps the running figures report.json needs
// (run_report.hpp SPEC): the number of points, the last point, the peak and the largest
// drawdown, and the returns' mean and sum of squared deviations (Welford's one-pass method).
//
// record() only copies the step's points; catch_up() turns them into rows and figures, a few
// steps at a time, so that the Fund can do that while it waits for agents (and record() does it
// when kPendingSteps are waiting). finish() catches up first.
//
// Memory: the buffer (kBufferBytes), the pending points (kPendingSteps steps) and one
// EquityFigures per scope, all allocated by open(); record() never allocates, whatever the number
// of steps.
//
// A killed run leaves equity.csv.tmp behind; the name is fixed so that the resumed run (which
// replays the journal's steps through a fresh engine, and so through record() again) truncates
// and rewrites it rather than leaving one more. An unfinished recorder removes its file when
// destroyed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "fundos/engine/config.hpp"
#include "fundos/engine/engine.hpp"
#include "fundos/runtime/status.hpp"

namespace fundos::runtime {

/// The running figures of one scope's equity series E_1..E_n, with E_0 its capital (report.json
/// figures, run_report.hpp SPEC).
struct EquityFigures {
    abi::Money capital = 0;              ///< E_0
    std::uint64_t points = 0;            ///< n
    engine::EquityPoint last{};          ///< the n-th point (all zero while n = 0)
    abi::Money peak = 0;                 ///< max(E_0..E_n)
    double max_drawdown = 0.0;           ///< the largest (peak - E_t) / peak
    abi::Money max_drawdown_amount = 0;  ///< the largest peak - E_t
    std::uint64_t returns = 0;           ///< the returns r_t counted (E_{t-1} > 0)
    double return_mean = 0.0;            ///< their running mean (Welford)
    double return_m2 = 0.0;              ///< their running sum of squared deviations from the mean (Welford)

    explicit EquityFigures(abi::Money capital_ = 0) noexcept : capital(capital_), peak(capital_) {}
    void add(const engine::EquityPoint& point) noexcept;
    /// E_n, or the capital without points.
    [[nodiscard]] abi::Money final_equity() const noexcept { return points == 0 ? capital : last.equity; }
    /// mean / sample sd * sqrt(periods_per_year); nullopt with fewer than 2 returns, sd = 0 or no
    /// periods_per_year.
    [[nodiscard]] std::optional<double> sharpe(std::optional<double> periods_per_year) const noexcept;
};

/// The figures of every scope of a run ([0] the fund, then the agents in configuration order)
/// and the distinct UTC days of the fund's points, for periods_per_year. No I/O: the recorder's
/// arithmetic, usable alone (tests, tools).
class EquitySummary {
public:
    EquitySummary() = default;
    /// Scopes for the fund and each agent of `config`, with their capitals. May throw bad_alloc.
    explicit EquitySummary(const engine::FundConfig& config);

    /// One step's points: the fund's, then each agent's. Points beyond the configured scopes are
    /// ignored; scopes without a point this step keep their figures.
    void add(std::span<const engine::EquityPoint> fund_then_agents) noexcept;

    [[nodiscard]] std::span<const EquityFigures> scopes() const noexcept { return scopes_; }
    /// Distinct UTC calendar days of the fund's points: counted as the day changes, points being
    /// in non-decreasing time order (one per step).
    [[nodiscard]] std::uint64_t days() const noexcept { return days_; }
    /// 252 * the fund's points / days(); nullopt without points.
    [[nodiscard]] std::optional<double> periods_per_year() const noexcept;

private:
    std::vector<EquityFigures> scopes_;
    std::uint64_t days_ = 0;
    std::uint64_t last_day_ = 0;
};

class EquityRecorder {
public:
    /// Bytes of rows buffered before a write(2): a few thousand steps' rows.
    static constexpr std::size_t kBufferBytes = 256 * 1024;

    EquityRecorder() = default;
    ~EquityRecorder();  ///< an unfinished recording's temporary file is removed
    EquityRecorder(const EquityRecorder&) = delete;
    EquityRecorder& operator=(const EquityRecorder&) = delete;

    /// Sets up the scopes of `config` and creates (truncates) `run_dir`/equity.csv.tmp with the
    /// header row. Once only. A failure is also kept in status(): later records are then summed
    /// but not written.
    [[nodiscard]] Status open(const std::string& run_dir, const engine::FundConfig& config);
    /// open() was called (whatever its outcome).
    [[nodiscard]] bool opened() const noexcept { return opened_; }

    /// Steps recorded and not yet caught up with, at most.
    static constexpr std::size_t kPendingSteps = 64;

    /// One step's points (the fund's, then each agent's), for an equity.csv row and the figures.
    /// Never allocates; catches up when kPendingSteps are pending. Ignored before open() and
    /// after finish().
    void record(std::span<const engine::EquityPoint> fund_then_agents) noexcept;
    /// Makes the rows and figures of up to `max_steps` pending steps, oldest first; writes when
    /// the buffer is full. Returns whether steps are still pending.
    bool catch_up(std::size_t max_steps) noexcept;

    /// The first failure (open, write), sticky; ok otherwise.
    [[nodiscard]] const Status& status() const noexcept { return status_; }

    /// Writes what is buffered, fsyncs, renames the file to `run_dir`/equity.csv and fsyncs the
    /// folder. Returns status() when an earlier write had failed (the file is then removed).
    [[nodiscard]] Status finish();

    /// The figures of the steps caught up with: all of them after finish().
    [[nodiscard]] const EquitySummary& summary() const noexcept { return summary_; }
    /// Heap bytes held (the buffer's capacity and the scopes'): fixed from open() on.
    [[nodiscard]] std::size_t heap_bytes() const noexcept;

private:
    void add_row(std::span<const engine::EquityPoint> fund_then_agents) noexcept;
    void flush() noexcept;
    void fail(Status status) noexcept;
    void append_money(abi::Money value) noexcept;
    void append_time(abi::Timestamp ns) noexcept;

    bool opened_ = false;
    bool finished_ = false;
    int fd_ = -1;
    std::string temp_path_;
    std::string final_path_;
    std::vector<char> buffer_;  ///< sized once by open(); used_ bytes of it hold unwritten rows
    std::size_t used_ = 0;
    std::size_t max_row_ = 0;  ///< the longest possible row: a flush leaves room for it
    std::size_t columns_ = 0;  ///< equity columns: the fund and each agent
    // The date text of the last row's UTC day ("2024-01-02T"): rows share a day for hours.
    std::uint64_t date_day_ = UINT64_MAX;
    char date_text_[11] = {};
    EquitySummary summary_;
    std::vector<engine::EquityPoint> pending_;  ///< kPendingSteps rows of columns_ points
    std::vector<std::size_t> pending_counts_;   ///< the points each pending step brought
    std::size_t pending_head_ = 0;              ///< the oldest pending step
    std::size_t pending_steps_ = 0;             ///< steps in pending_ (caught up or not)
    Status status_;
};

}  // namespace fundos::runtime
