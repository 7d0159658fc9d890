// Run outputs from hand-made fills and equity: report.json, fills.csv and equity.csv against
// golden text (every figure worked out by hand in the comments), determinism, atomic writes; the
// equity recorder's one-pass figures, its row formatting and its constant memory.
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "check.hpp"
#include "counting_allocator.hpp"
#include "fundos/marketdata/civil_time.hpp"
#include "fundos/marketdata/decimal.hpp"
#include "fundos/runtime/config_json.hpp"
#include "fundos/runtime/equity_recorder.hpp"
#include "fundos/runtime/run_report.hpp"


namespace fs = std::filesystem;
namespace abi = fundos::abi;
namespace engine = fundos::engine;
using engine::EquityPoint;
using engine::FillRow;
using fundos::runtime::EquityFigures;
using fundos::runtime::EquityRecorder;
using fundos::runtime::EquitySummary;
using fundos::runtime::RunFacts;
using fundos::runtime::RunResults;

namespace {

const fs::path kTmp = FUNDOS_TEST_TMP_DIR;

constexpr abi::Money kUnit = 1'000'000;  // 1.0 in Money and Quantity

abi::Timestamp at(int year, unsigned month, unsigned day, int hh, int mm, std::uint64_t ns = 0) {
    const std::int64_t days = fundos::marketdata::days_from_civil({year, month, day});
    return static_cast<abi::Timestamp>(days * 86'400 + hh * 3600 + mm * 60) * 1'000'000'000ULL + ns;
}

engine::FundConfig make_config() {
    engine::FundConfig c;
    c.name = "report-test";
    c.capital = 1'000'000 * kUnit;
    c.instruments.resize(2);
    c.instruments[0].id = 1;
    c.instruments[0].symbol = "SPY";
    c.instruments[1].id = 2;
    c.instruments[1].symbol = "QQQ";
    c.agents.resize(2);
    c.agents[0].id = 1;
    c.agents[0].name = "alpha";
    c.agents[0].capital = 500'000 * kUnit;
    c.agents[0].instruments = {1, 2};
    c.agents[1].id = 2;
    c.agents[1].name = "beta";
    c.agents[1].capital = 250'000 * kUnit;
    c.agents[1].instruments = {1};
    c.simulation.data_files = {"/data/x.fmd"};
    return c;
}

// Four steps over two UTC days: periods_per_year = 252 * 4 / 2 = 504.
const abi::Timestamp kT1 = at(2024, 1, 2, 14, 31);
const abi::Timestamp kT2 = at(2024, 1, 2, 14, 32, 123);
const abi::Timestamp kT3 = at(2024, 1, 3, 14, 31);
const abi::Timestamp kT4 = at(2024, 1, 3, 14, 32);

std::vector<FillRow> make_fills() {
    std::vector<FillRow> f(4);
    // 100 SPY at 470.12345678, fee 0.50: notional 47012.345678
    f[0] = {kT1, 1, 1, 1, abi::Side::BUY, 100 * kUnit, 47'012'345'678, kUnit / 2, false};
    // an internal cross of 10.5 SPY at 470.5 between beta (sells) and alpha (buys): 4940.25 each
    f[1] = {kT2, 2, 1, 1, abi::Side::SELL, 10'500'000, 47'050'000'000, 0, true};
    f[2] = {kT2, 1, 1, 2, abi::Side::BUY, 10'500'000, 47'050'000'000, 0, true};
    // 0.000001 QQQ at 400.5, fee 0.000001: notional 0.0004005, which rounds half up to 0.000401
    f[3] = {kT3, 1, 2, 3, abi::Side::SELL, 1, 40'050'000'000, 1, false};
    return f;
}

std::vector<std::vector<EquityPoint>> make_equity() {
    const auto series = [](std::vector<abi::Money> values) {
        const abi::Timestamp times[4] = {kT1, kT2, kT3, kT4};
        std::vector<EquityPoint> s;
        for (std::size_t i = 0; i < values.size(); ++i) {
            EquityPoint p;
            p.time = times[i];
            p.equity = values[i] * kUnit;
            s.push_back(p);
        }
        return s;
    };
    std::vector<std::vector<EquityPoint>> e;
    e.push_back(series({1'010'000, 1'005'000, 1'020'000, 1'000'000}));  // fund
    e.push_back(series({505'000, 505'000, 510'000, 490'000}));          // alpha
    e.push_back(series({250'000, 250'000, 250'000, 250'000}));          // beta: flat, no Sharpe
    e[0].back().realized = 12'345 * kUnit / 100;                         // 123.45
    e[0].back().unrealized = -12'345 * kUnit / 100;
    e[0].back().gross = 500'000 * kUnit;
    e[0].back().net = -100'000 * kUnit;
    return e;
}

/// The series above as the engine hands them out: per step, the fund's point then each agent's.
std::vector<std::vector<EquityPoint>> steps_of(const std::vector<std::vector<EquityPoint>>& series) {
    std::vector<std::vector<EquityPoint>> steps(series.empty() ? 0 : series[0].size());
    for (std::size_t t = 0; t < steps.size(); ++t) {
        for (const auto& scope : series) {
            steps[t].push_back(scope[t]);
        }
    }
    return steps;
}

EquitySummary make_summary(const engine::FundConfig& config) {
    EquitySummary summary(config);
    for (const auto& step : steps_of(make_equity())) {
        summary.add(step);
    }
    return summary;
}

std::uint64_t rejects(std::size_t agent, abi::RejectReason reason) {
    if (agent == 0 && reason == abi::RejectReason::POSITION_LIMIT) return 3;
    if (agent == 0 && reason == abi::RejectReason::RATE_LIMIT) return 1;
    if (agent == 1 && reason == abi::RejectReason::POSITION_LIMIT) return 2;
    return 0;
}

RunFacts make_facts() {
    RunFacts f;
    f.steps = 4;
    f.events = 1234;
    f.first_time = kT1;
    f.last_time = kT4;
    f.stopped_by = "end of data";
    return f;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// An engine stand-in with the result accessors of engine::Engine, and the run's equity figures.
struct FakeEngine {
    std::vector<FillRow> fill_rows = make_fills();
    EquitySummary summary = make_summary(make_config());
    [[nodiscard]] std::span<const FillRow> fills() const noexcept { return fill_rows; }
    [[nodiscard]] std::uint64_t rejects(std::size_t a, abi::RejectReason r) const noexcept { return ::rejects(a, r); }
};

// Fund returns 0.01, -0.0049504950, 0.0149253731, -0.0196078431 (mean 0.0000917587, sample sd
// 0.0156173835): Sharpe 0.0000917587 / 0.0156173835 * sqrt(504) = 0.131903 (alpha: -4.632690). Drawdown: peak
// 1020000, trough 1000000: 20000 / 1020000 = 0.019608. Turnover: 47012.346079 / 1000000.
// alpha: returns 0.01, 0, 0.0099009901, -0.0392156863; drawdown 20000 / 510000 = 0.039216;
// notional 47012.345678 + 4940.25 + 0.0004005 = 51952.5960785 -> 51952.596079 (half up).
const char* const kReport = R"({
  "run": {
    "name": "report-test",
    "mode": "simulation",
    "config_hash": "HASH",
    "steps": 4,
    "events": 1234,
    "first_time": "2024-01-02T14:31:00.000000000Z",
    "last_time": "2024-01-03T14:32:00.000000000Z",
    "stopped_by": "end of data",
    "periods_per_year": 504.000000
  },
  "fund": {
    "capital": "1000000.000000",
    "final_equity": "1000000.000000",
    "pnl": "0.000000",
    "return": 0.000000,
    "sharpe": 0.131903,
    "max_drawdown": 0.019608,
    "max_drawdown_amount": "20000.000000",
    "traded_notional": "47012.346079",
    "turnover": 0.047012,
    "fees": "0.500001",
    "trades": 4,
    "internal_trades": 2,
    "realized": "123.450000",
    "unrealized": "-123.450000",
    "gross_exposure": "500000.000000",
    "net_exposure": "-100000.000000",
    "rejects": {"POSITION_LIMIT": 5, "RATE_LIMIT": 1}
  },
  "agents": [
    {
      "id": 1,
      "name": "alpha",
      "capital": "500000.000000",
      "final_equity": "490000.000000",
      "pnl": "-10000.000000",
      "return": -0.020000,
      "sharpe": -4.632690,
      "max_drawdown": 0.039216,
      "max_drawdown_amount": "20000.000000",
      "traded_notional": "51952.596079",
      "turnover": 0.103905,
      "fees": "0.500001",
      "trades": 3,
      "internal_trades": 1,
      "realized": "0.000000",
      "unrealized": "0.000000",
      "gross_exposure": "0.000000",
      "net_exposure": "0.000000",
      "rejects": {"POSITION_LIMIT": 3, "RATE_LIMIT": 1}
    },
    {
      "id": 2,
      "name": "beta",
      "capital": "250000.000000",
      "final_equity": "250000.000000",
      "pnl": "0.000000",
      "return": 0.000000,
      "sharpe": null,
      "max_drawdown": 0.000000,
      "max_drawdown_amount": "0.000000",
      "traded_notional": "4940.250000",
      "turnover": 0.019761,
      "fees": "0.000000",
      "trades": 1,
      "internal_trades": 1,
      "realized": "0.000000",
      "unrealized": "0.000000",
      "gross_exposure": "0.000000",
      "net_exposure": "0.000000",
      "rejects": {"POSITION_LIMIT": 2}
    }
  ]
}
)";

const char* const kFills = R"(time,agent,instrument,intent_id,side,qty,price,fee,internal
2024-01-02T14:31:00.000000000Z,alpha,SPY,1,BUY,100.000000,470.12345678,0.500000,false
2024-01-02T14:32:00.000000123Z,beta,SPY,1,SELL,10.500000,470.50000000,0.000000,true
2024-01-02T14:32:00.000000123Z,alpha,SPY,2,BUY,10.500000,470.50000000,0.000000,true
2024-01-03T14:31:00.000000000Z,alpha,QQQ,3,SELL,0.000001,400.50000000,0.000001,false
)";

const char* const kEquity = R"(time,fund,alpha,beta
2024-01-02T14:31:00.000000000Z,1010000.000000,505000.000000,250000.000000
2024-01-02T14:32:00.000000123Z,1005000.000000,505000.000000,250000.000000
2024-01-03T14:31:00.000000000Z,1020000.000000,510000.000000,250000.000000
2024-01-03T14:32:00.000000000Z,1000000.000000,490000.000000,250000.000000
)";

std::string expected_report(const engine::FundConfig& config) {
    char hash[24];
    std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(fundos::runtime::config_hash(config)));
    std::string s = kReport;
    s.replace(s.find("HASH"), 4, hash);
    return s;
}

RunResults results_of(const FakeEngine& e) {
    RunResults r;
    r.fills = e.fills();
    r.equity = &e.summary;
    r.rejects = rejects;
    return r;
}

fs::path fresh_dir(const std::string& name) {
    const fs::path dir = kTmp / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

std::size_t files_in(const fs::path& dir) {
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir)) {
        ++files;
    }
    return files;
}

/// equity.csv of the hand-made series, written by the recorder as a run writes it.
fundos::runtime::Status record_equity(const fs::path& dir, const engine::FundConfig& config, EquityRecorder& recorder) {
    if (auto s = recorder.open(dir.string(), config); !s.ok()) {
        return s;
    }
    for (const auto& step : steps_of(make_equity())) {
        recorder.record(step);
    }
    return recorder.finish();
}

}  // namespace

TEST(report_json_golden) {
    const engine::FundConfig config = make_config();
    const FakeEngine e;
    const std::string report = fundos::runtime::report_json(config, make_facts(), results_of(e));
    if (report != expected_report(config)) {
        fundos::test::fail(__FILE__, __LINE__, "report.json differs:\n" + report);
    }
    // It is JSON, and its figures are what they claim.
    const nlohmann::json j = nlohmann::json::parse(report);
    CHECK_EQ(j["agents"].size(), std::size_t{2});
    CHECK(j["agents"][1]["sharpe"].is_null());
}

TEST(sharpe_matches_its_definition) {
    // Recompute the fund's Sharpe from the documented formula, independently of the writer.
    const double e[5] = {1'000'000, 1'010'000, 1'005'000, 1'020'000, 1'000'000};
    double r[4];
    double mean = 0;
    for (int i = 0; i < 4; ++i) {
        r[i] = e[i + 1] / e[i] - 1;
        mean += r[i] / 4;
    }
    double ss = 0;
    for (const double x : r) {
        ss += (x - mean) * (x - mean);
    }
    const double sharpe = mean / std::sqrt(ss / 3) * std::sqrt(504.0);
    char text[32];
    std::snprintf(text, sizeof text, "%.6f", sharpe);
    CHECK_EQ(std::string(text), std::string("0.131903"));
    // The recorder's one-pass (Welford) figures agree with the two-pass ones to rounding.
    const EquitySummary summary = make_summary(make_config());
    const EquityFigures& fund = summary.scopes()[0];
    CHECK_EQ(fund.returns, 4ULL);
    CHECK(std::fabs(fund.return_mean - mean) <= 1e-15);
    CHECK(std::fabs(fund.return_m2 - ss) <= 1e-15);
    REQUIRE(fund.sharpe(504.0).has_value());
    CHECK(std::fabs(*fund.sharpe(504.0) - sharpe) <= 1e-12);
    CHECK(!fund.sharpe(std::nullopt).has_value());
    // beta is flat: every return is 0, sd = 0 exactly, no Sharpe.
    CHECK_EQ(summary.scopes()[2].return_m2, 0.0);
    CHECK(!summary.scopes()[2].sharpe(504.0).has_value());
}

TEST(running_figures_by_hand) {
    const EquitySummary summary = make_summary(make_config());
    REQUIRE(summary.scopes().size() == 3);
    // Fund 1010000, 1005000, 1020000, 1000000 from 1000000: peak 1020000, fall 20000.
    const EquityFigures& fund = summary.scopes()[0];
    CHECK_EQ(fund.points, 4ULL);
    CHECK_EQ(fund.peak, 1'020'000 * kUnit);
    CHECK_EQ(fund.max_drawdown_amount, 20'000 * kUnit);
    CHECK_EQ(fund.max_drawdown, 20'000.0 / 1'020'000.0);
    CHECK_EQ(fund.final_equity(), 1'000'000 * kUnit);
    CHECK_EQ(fund.last.realized, 12'345 * kUnit / 100);
    CHECK_EQ(fund.last.gross, 500'000 * kUnit);
    // alpha 505000, 505000, 510000, 490000 from 500000: peak 510000, fall 20000.
    const EquityFigures& alpha = summary.scopes()[1];
    CHECK_EQ(alpha.max_drawdown_amount, 20'000 * kUnit);
    CHECK_EQ(alpha.max_drawdown, 20'000.0 / 510'000.0);
    // An earlier, deeper fall in fraction but not in money: 100 -> 50 (0.5, 50), 1000 -> 900 (0.1, 100).
    EquityFigures f(100 * kUnit);
    for (const abi::Money e : {50, 1000, 900}) {
        EquityPoint p;
        p.equity = e * kUnit;
        f.add(p);
    }
    CHECK_EQ(f.max_drawdown, 0.5);
    CHECK_EQ(f.max_drawdown_amount, 100 * kUnit);
    // Returns only where the previous equity is positive: 100 -> 0 -> 10 -> 20 gives -1 and 1.
    EquityFigures z(100 * kUnit);
    for (const abi::Money e : {0, 10, 20}) {
        EquityPoint p;
        p.equity = e * kUnit;
        z.add(p);
    }
    CHECK_EQ(z.returns, 2ULL);
    CHECK_EQ(z.return_mean, 0.0);
    CHECK_EQ(z.return_m2, 2.0);  // (-1 - 0)^2 + (1 - 0)^2
    // No points: the capital, no drawdown, no Sharpe.
    const EquityFigures none(7 * kUnit);
    CHECK_EQ(none.final_equity(), 7 * kUnit);
    CHECK_EQ(none.max_drawdown, 0.0);
    CHECK(!none.sharpe(252.0).has_value());
}

TEST(periods_per_year_counts_utc_days) {
    // The golden series: 4 steps on 2 UTC days: 252 * 4 / 2 = 504.
    const EquitySummary golden = make_summary(make_config());
    CHECK_EQ(golden.days(), 2ULL);
    REQUIRE(golden.periods_per_year().has_value());
    CHECK_EQ(golden.periods_per_year().value_or(0.0), 504.0);
    // 390 minute bars a day (14:30..20:59 UTC) over 3 days: 252 * 390 = 98280. Midnight UTC
    // starts a day; two steps at the same time stay one day.
    engine::FundConfig config = make_config();
    config.agents.clear();
    EquitySummary minutes(config);
    for (unsigned day = 2; day <= 4; ++day) {
        for (int m = 0; m < 390; ++m) {
            EquityPoint p;
            p.time = at(2024, 1, day, 14 + (30 + m) / 60, (30 + m) % 60);
            p.equity = config.capital;
            minutes.add(std::span<const EquityPoint>(&p, 1));
        }
    }
    CHECK_EQ(minutes.days(), 3ULL);
    CHECK_EQ(minutes.periods_per_year().value_or(0.0), 98'280.0);
    EquitySummary midnight(config);
    for (const abi::Timestamp t : {at(2024, 1, 2, 23, 59, 999'999'999), at(2024, 1, 3, 0, 0), at(2024, 1, 3, 0, 0)}) {
        EquityPoint p;
        p.time = t;
        midnight.add(std::span<const EquityPoint>(&p, 1));
    }
    CHECK_EQ(midnight.days(), 2ULL);
    CHECK_EQ(midnight.periods_per_year().value_or(0.0), 378.0);  // 252 * 3 / 2
    CHECK(!EquitySummary(config).periods_per_year().has_value());
    CHECK(!EquitySummary().periods_per_year().has_value());
}

TEST(fills_csv_golden) {
    const engine::FundConfig config = make_config();
    const auto fills = make_fills();
    CHECK_EQ(fundos::runtime::fills_csv(config, fills), std::string(kFills));
}

TEST(equity_csv_golden) {
    const engine::FundConfig config = make_config();
    const fs::path dir = fresh_dir("equity_golden");
    EquityRecorder recorder;
    REQUIRE(record_equity(dir, config, recorder).ok());
    CHECK_EQ(read_file(dir / "equity.csv"), std::string(kEquity));
    CHECK_EQ(files_in(dir), std::size_t{1});  // the temporary file became equity.csv
    // The recorder's figures are the ones the report is written from.
    CHECK_EQ(recorder.summary().scopes()[0].max_drawdown_amount, 20'000 * kUnit);
}

TEST(equity_rows_format_as_the_other_outputs) {
    // Money and times as marketdata::format_fixed / format_utc write them, at the edges too.
    engine::FundConfig config = make_config();
    const std::vector<abi::Money> values = {0,         1,          -1,          999'999,         -999'999,
                                            1'000'000, -1'000'000, 123'456'789, -987'654'321'012, INT64_MAX,
                                            INT64_MIN, INT64_MIN + 1};
    config.agents.resize(values.size() - 1);
    for (std::size_t a = 0; a < config.agents.size(); ++a) {
        config.agents[a].id = static_cast<std::uint32_t>(a + 1);
        config.agents[a].name = std::string("a").append(std::to_string(a));  // GCC 12 -Wrestrict false positive on "a" + ...
    }
    const std::vector<abi::Timestamp> times = {0,
                                               1,
                                               kT2,
                                               at(2024, 2, 29, 23, 59, 999'999'999),
                                               at(2000, 3, 1, 0, 0),
                                               at(2100, 12, 31, 23, 59, 999'999'999),
                                               UINT64_MAX};
    const fs::path dir = fresh_dir("equity_format");
    EquityRecorder recorder;
    REQUIRE(recorder.open(dir.string(), config).ok());
    std::string expected = "time,fund";
    for (const auto& a : config.agents) {
        expected += ',' + a.name;
    }
    expected += '\n';
    std::vector<EquityPoint> step(values.size());
    for (std::size_t t = 0; t < times.size(); ++t) {
        expected += fundos::marketdata::format_utc(times[t]);
        for (std::size_t c = 0; c < values.size(); ++c) {
            step[c].time = times[t];
            step[c].equity = values[(c + t) % values.size()];
            expected += ',' + fundos::marketdata::format_fixed(step[c].equity, abi::MONEY_DECIMALS);
        }
        expected += '\n';
        recorder.record(step);
    }
    // A step with fewer points than scopes leaves the missing cells empty (defensive).
    recorder.record(std::span<const EquityPoint>(step).first(1));
    expected += fundos::marketdata::format_utc(times.back()) + ',' +
                fundos::marketdata::format_fixed(step[0].equity, abi::MONEY_DECIMALS) +
                std::string(values.size() - 1, ',') + '\n';
    REQUIRE(recorder.finish().ok());
    CHECK_EQ(read_file(dir / "equity.csv"), expected);
}

TEST(catching_up_at_any_pace_writes_the_same_rows_and_figures) {
    // The Fund catches up while agents decide, a step at a time, as fast as they let it; record()
    // catches up itself when kPendingSteps wait. The file and figures must not show the pace.
    const engine::FundConfig config = make_config();
    const std::uint64_t steps = 5 * EquityRecorder::kPendingSteps + 3;
    const auto run = [&](const std::string& name, std::uint64_t every, std::size_t how_many) {
        const fs::path dir = fresh_dir(name);
        EquityRecorder recorder;
        REQUIRE(recorder.open(dir.string(), config).ok());
        std::vector<EquityPoint> step(1 + config.agents.size());
        for (std::uint64_t i = 0; i < steps; ++i) {
            for (std::size_t c = 0; c < step.size(); ++c) {
                step[c].time = kT1 + i * 3'600'000'000'000ULL;
                step[c].equity = static_cast<abi::Money>(1'000'000 * kUnit + (i * 7919 + c * 104729) % 100'000'000);
            }
            // Steps 7 and 8 bring fewer points (an empty cell), step 9 none (no row).
            const std::size_t n = i == 7 || i == 8 ? 1 : (i == 9 ? 0 : step.size());
            recorder.record(std::span<const EquityPoint>(step).first(n));
            if (every != 0 && i % every == 0) {
                (void)recorder.catch_up(how_many);
            }
        }
        REQUIRE(recorder.finish().ok());
        const EquityFigures& fund = recorder.summary().scopes()[0];
        return std::make_tuple(read_file(dir / "equity.csv"), fund.points, fund.peak, fund.max_drawdown_amount,
                               fund.return_mean, recorder.summary().days());
    };
    const auto lazy = run("equity_pace_lazy", 0, 0);
    CHECK_EQ(std::get<1>(lazy), steps - 1);  // the step without points adds none
    CHECK(run("equity_pace_1", 1, 1) == lazy);
    CHECK(run("equity_pace_3", 2, 3) == lazy);
    CHECK(run("equity_pace_all", 5, SIZE_MAX) == lazy);
}

TEST(recorder_memory_does_not_grow_with_steps) {
    engine::FundConfig config = make_config();
    const fs::path dir = fresh_dir("equity_memory");
    const long before_open = fundos::test::allocations();
    {
        EquityRecorder recorder;
        REQUIRE(recorder.open(dir.string(), config).ok());
        CHECK(fundos::test::allocations() > before_open);  // the counter sees open's buffer
        std::vector<EquityPoint> step(1 + config.agents.size());
        const abi::Timestamp t0 = kT1;
        const auto feed = [&](std::uint64_t from, std::uint64_t to) {
            for (std::uint64_t i = from; i < to; ++i) {
                for (std::size_t c = 0; c < step.size(); ++c) {
                    step[c].time = t0 + i * 60'000'000'000ULL;  // a step a minute: days go by too
                    step[c].equity = static_cast<abi::Money>(1'000'000 * kUnit + (i * 7919 + c * 104729) % 100'000'000);
                }
                recorder.record(step);
            }
        };
        feed(0, 10);
        const long allocations = fundos::test::allocations();
        const std::size_t heap = recorder.heap_bytes();
        feed(10, 1'000'000);
        CHECK_EQ(fundos::test::allocations() - allocations, 0L);
        CHECK_EQ(recorder.heap_bytes(), heap);
        CHECK(heap < 2 * EquityRecorder::kBufferBytes);
        CHECK(recorder.status().ok());
        CHECK(!recorder.catch_up(EquityRecorder::kPendingSteps));  // record() kept at most that many
        CHECK_EQ(recorder.summary().scopes()[0].points, 1'000'000ULL);
        constexpr std::uint64_t kDay = 86'400'000'000'000ULL;
        CHECK_EQ(recorder.summary().days(), (t0 + 999'999 * 60'000'000'000ULL) / kDay - t0 / kDay + 1);
        CHECK(fs::file_size(dir / "equity.csv.tmp") > 1'000'000ULL * 30);
        // Destroyed unfinished (a run that failed): its temporary file goes with it.
    }
    CHECK_EQ(files_in(dir), std::size_t{0});
}

TEST(writes_the_three_files_identically_each_time) {
    const engine::FundConfig config = make_config();
    const FakeEngine e;
    const fs::path a = fresh_dir("run_a");
    const fs::path b = fresh_dir("run_b");
    // As FundRun::finish: the recorder's equity.csv, then the rest from its figures.
    EquityRecorder recorder_a;
    EquityRecorder recorder_b;
    REQUIRE(record_equity(a, config, recorder_a).ok());
    REQUIRE(record_equity(b, config, recorder_b).ok());
    REQUIRE(fundos::runtime::write_run_outputs(a.string(), config, make_facts(), e, recorder_a.summary()).ok());
    REQUIRE(fundos::runtime::write_run_outputs(b.string(), config, make_facts(), results_of(e)).ok());
    for (const char* name : {"report.json", "fills.csv", "equity.csv"}) {
        CHECK(fs::exists(a / name));
        CHECK(read_file(a / name) == read_file(b / name));
    }
    CHECK(read_file(a / "report.json") == expected_report(config));
    CHECK(read_file(a / "fills.csv") == kFills);
    CHECK(read_file(a / "equity.csv") == kEquity);
    // Nothing else is left behind (no temporary files).
    CHECK_EQ(files_in(a), std::size_t{3});
    // Writing again replaces the files.
    REQUIRE(fundos::runtime::write_run_outputs(a.string(), config, make_facts(), e, e.summary).ok());
    CHECK(read_file(a / "fills.csv") == kFills);
    EquityRecorder again;
    REQUIRE(record_equity(a, config, again).ok());
    CHECK(read_file(a / "equity.csv") == kEquity);
    CHECK_EQ(files_in(a), std::size_t{3});
}

TEST(an_empty_run) {
    engine::FundConfig config = make_config();
    config.agents.clear();
    RunFacts facts;
    facts.stopped_by = "signal";
    const RunResults none;
    const std::string report = fundos::runtime::report_json(config, facts, none);
    const nlohmann::json j = nlohmann::json::parse(report);
    CHECK(j["run"]["first_time"].is_null());
    CHECK(j["run"]["periods_per_year"].is_null());
    CHECK(j["fund"]["sharpe"].is_null());
    CHECK_EQ(j["fund"]["final_equity"].get<std::string>(), std::string("1000000.000000"));
    CHECK_EQ(j["fund"]["trades"].get<int>(), 0);
    CHECK(j["agents"].empty());
    CHECK(report.find("\"agents\": []\n}\n") != std::string::npos);
    CHECK_EQ(fundos::runtime::fills_csv(config, {}), std::string("time,agent,instrument,intent_id,side,qty,price,fee,internal\n"));
    // A recorder given no step: the same report, and equity.csv is its header.
    const fs::path dir = fresh_dir("empty_run");
    EquityRecorder recorder;
    REQUIRE(recorder.open(dir.string(), config).ok());
    REQUIRE(recorder.finish().ok());
    CHECK_EQ(read_file(dir / "equity.csv"), std::string("time,fund\n"));
    RunResults empty;
    empty.equity = &recorder.summary();
    CHECK_EQ(fundos::runtime::report_json(config, facts, empty), report);
}

TEST(write_failure_is_reported) {
    const engine::FundConfig config = make_config();
    const FakeEngine e;
    const auto s = fundos::runtime::write_run_outputs((kTmp / "no/such/folder").string(), config, make_facts(), e,
                                                      e.summary);
    CHECK(!s.ok());
    CHECK(s.message().find("no/such/folder") != std::string::npos);
    // The recorder: open fails and says where; records are still summed, never written, and
    // finish reports the failure.
    EquityRecorder recorder;
    const auto opened = recorder.open((kTmp / "no/such/folder").string(), config);
    CHECK(!opened.ok());
    CHECK(opened.message().find("no/such/folder/equity.csv.tmp") != std::string::npos);
    CHECK(recorder.opened());
    for (const auto& step : steps_of(make_equity())) {
        recorder.record(step);
    }
    CHECK_EQ(recorder.summary().scopes()[0].points, 0ULL);  // recorded, not caught up with yet
    CHECK(!recorder.catch_up(2 * EquityRecorder::kPendingSteps));
    CHECK_EQ(recorder.summary().scopes()[0].points, 4ULL);
    CHECK(!recorder.status().ok());
    CHECK(!recorder.finish().ok());
    CHECK(!EquityRecorder().finish().ok());  // never opened
}


FUNDOS_TEST_MAIN
