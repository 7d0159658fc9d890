// Run outputs from hand-made fills and equity: report.json, fills.csv and equity.csv against
// golden text (every figure worked out by hand in the comments), determinism, atomic writes.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "check.hpp"
#include "fundos/marketdata/civil_time.hpp"
#include "fundos/runtime/config_json.hpp"
#include "fundos/runtime/run_report.hpp"

namespace fs = std::filesystem;
namespace abi = fundos::abi;
namespace engine = fundos::engine;
using engine::EquityPoint;
using engine::FillRow;
using fundos::runtime::RunFacts;
using fundos::runtime::RunResults;

namespace {

const fs::path kTmp = FUNDOS_TEST_TMP_DIR;

constexpr abi::Money kUnit = 1'000'000;  // 1.0 in Money and Quantity
constexpr abi::Price kPriceUnit = 100'000'000;

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

/// An engine stand-in with the result accessors of engine::Engine.
struct FakeEngine {
    std::vector<FillRow> fill_rows = make_fills();
    std::vector<std::vector<EquityPoint>> series = make_equity();
    [[nodiscard]] std::span<const FillRow> fills() const noexcept { return fill_rows; }
    [[nodiscard]] const std::vector<std::vector<EquityPoint>>& equity() const noexcept { return series; }
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
    r.equity = e.equity();
    r.rejects = rejects;
    return r;
}

fs::path fresh_dir(const std::string& name) {
    const fs::path dir = kTmp / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
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
}

TEST(fills_csv_golden) {
    const engine::FundConfig config = make_config();
    const auto fills = make_fills();
    CHECK_EQ(fundos::runtime::fills_csv(config, fills), std::string(kFills));
}

TEST(equity_csv_golden) {
    const engine::FundConfig config = make_config();
    const auto equity = make_equity();
    CHECK_EQ(fundos::runtime::equity_csv(config, equity), std::string(kEquity));
}

TEST(writes_the_three_files_identically_each_time) {
    const engine::FundConfig config = make_config();
    const FakeEngine e;
    const fs::path a = fresh_dir("run_a");
    const fs::path b = fresh_dir("run_b");
    REQUIRE(fundos::runtime::write_run_outputs(a.string(), config, make_facts(), e).ok());
    REQUIRE(fundos::runtime::write_run_outputs(b.string(), config, make_facts(), results_of(e)).ok());
    for (const char* name : {"report.json", "fills.csv", "equity.csv"}) {
        CHECK(fs::exists(a / name));
        CHECK(read_file(a / name) == read_file(b / name));
    }
    CHECK(read_file(a / "report.json") == expected_report(config));
    CHECK(read_file(a / "fills.csv") == kFills);
    CHECK(read_file(a / "equity.csv") == kEquity);
    // Nothing else is left behind (no temporary files).
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(a)) {
        ++files;
    }
    CHECK_EQ(files, std::size_t{3});
    // Writing again replaces the files.
    REQUIRE(fundos::runtime::write_run_outputs(a.string(), config, make_facts(), e).ok());
    CHECK(read_file(a / "fills.csv") == kFills);
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
    CHECK_EQ(fundos::runtime::equity_csv(config, {}), std::string("time,fund\n"));
}

TEST(write_failure_is_reported) {
    const engine::FundConfig config = make_config();
    const FakeEngine e;
    const auto s = fundos::runtime::write_run_outputs((kTmp / "no/such/folder").string(), config, make_facts(), e);
    CHECK(!s.ok());
    CHECK(s.message().find("no/such/folder") != std::string::npos);
}

TEST(formatting) {
    using fundos::runtime::format_fixed;
    using fundos::runtime::format_time;
    CHECK_EQ(format_fixed(0, 6), std::string("0.000000"));
    CHECK_EQ(format_fixed(-1, 6), std::string("-0.000001"));
    CHECK_EQ(format_fixed(47'012'345'678, 8), std::string("470.12345678"));
    CHECK_EQ(format_fixed(INT64_MIN, 6), std::string("-9223372036854.775808"));
    CHECK_EQ(format_fixed(42, 0), std::string("42"));
    CHECK_EQ(format_time(0), std::string("1970-01-01T00:00:00.000000000Z"));
    CHECK_EQ(format_time(kT2), std::string("2024-01-02T14:32:00.000000123Z"));
    CHECK_EQ(format_time(at(2024, 2, 29, 23, 59, 999'999'999)), std::string("2024-02-29T23:59:00.999999999Z"));
    (void)kPriceUnit;
}

FUNDOS_TEST_MAIN
