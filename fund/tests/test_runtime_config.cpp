// The JSON configuration loader: the bad-configuration corpus (tests/fund/bad_configs), the
// example configurations, exact conversions, defaults, and the normalized round trip.
//
// Also a helper for tests/fund/test_config_schema.py:
//   fund_test_runtime_config --normalize FILE   prints config_to_json of FILE (exit 0), or the
//                                               loader's messages on stderr (exit 2)
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "check.hpp"
#include "fundos/runtime/config_json.hpp"
#include "fundos/runtime/config_source.hpp"

namespace fs = std::filesystem;
using fundos::runtime::LoadResult;
using fundos::runtime::load_config;
using fundos::runtime::load_config_text;
namespace engine = fundos::engine;

namespace {

const fs::path kSource = FUNDOS_SOURCE_DIR;
const fs::path kTmp = FUNDOS_TEST_TMP_DIR;

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void touch(const fs::path& p) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary).flush();
}

fs::path fresh_dir(const std::string& name) {
    const fs::path dir = kTmp / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

/// A minimal valid configuration in `dir` (its data file made), as text.
std::string minimal(const fs::path& dir, const std::string& extra_top = "", const std::string& agents = "[]") {
    touch(dir / "d.fmd");
    return "{\"name\": \"t\", \"capital\": \"1000\", \"simulation\": {\"data\": [\"d.fmd\"]}," + extra_top +
           " \"instruments\": [{\"id\": 7, \"symbol\": \"SPY\"}], \"agents\": " + agents + "}";
}

struct Expected {
    std::string file;
    std::string schema;
    std::string fragment;
};

std::vector<Expected> expected_corpus() {
    std::vector<Expected> out;
    std::istringstream in(read_file(kSource / "tests/fund/bad_configs/expected.txt"));
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') {
            continue;
        }
        const auto a = line.find(" | ");
        const auto b = a == std::string::npos ? a : line.find(" | ", a + 3);
        if (b == std::string::npos) {
            std::fprintf(stderr, "  bad line in expected.txt: %s\n", line.c_str());
            out.push_back({line, "", "<malformed>"});
            continue;
        }
        out.push_back({line.substr(0, a), line.substr(a + 3, b - a - 3), line.substr(b + 3)});
    }
    return out;
}

/// Loads an example configuration as if it sat in `root`/fund/examples, with the data files it
/// names created (empty) where it expects them.
LoadResult load_example(const std::string& name, const fs::path& root) {
    const fs::path real = kSource / "fund/examples" / name;
    const std::string text = read_file(real);
    const fs::path as = root / "fund/examples" / name;
    fs::create_directories(as.parent_path());
    const nlohmann::json j = nlohmann::json::parse(text);
    for (const auto& d : j.at("simulation").at("data")) {
        touch((as.parent_path() / d.get<std::string>()).lexically_normal());
    }
    return load_config_text(text, as.string());
}

}  // namespace

TEST(bad_configs_each_fail_with_their_message) {
    const std::vector<Expected> corpus = expected_corpus();
    CHECK(corpus.size() >= 20);
    for (const Expected& e : corpus) {
        const std::string path = (kSource / "tests/fund/bad_configs" / e.file).string();
        const LoadResult r = load_config(path);
        if (r.ok()) {
            fundos::test::fail(__FILE__, __LINE__, e.file + " loaded, but should fail with: " + e.fragment);
            continue;
        }
        if (r.errors.size() != 1) {
            fundos::test::fail(__FILE__, __LINE__, e.file + ": expected one message, got:\n" + r.error);
        }
        if (r.error.find(e.fragment) == std::string::npos) {
            fundos::test::fail(__FILE__, __LINE__, e.file + ": message\n      " + r.error + "\n    lacks\n      " + e.fragment);
        }
        if (r.error.rfind(path, 0) != 0) {
            fundos::test::fail(__FILE__, __LINE__, e.file + ": message does not start with the file: " + r.error);
        }
        CHECK(e.schema == "reject" || e.schema == "accept" || e.schema == "syntax");
    }
}

TEST(bad_configs_corpus_is_complete) {
    const std::vector<Expected> corpus = expected_corpus();
    for (const auto& entry : fs::directory_iterator(kSource / "tests/fund/bad_configs")) {
        if (entry.path().extension() != ".json") {
            continue;
        }
        const std::string name = entry.path().filename().string();
        bool listed = false;
        for (const Expected& e : corpus) {
            listed = listed || e.file == name;
        }
        if (!listed) {
            fundos::test::fail(__FILE__, __LINE__, name + " has no line in expected.txt");
        }
    }
    for (const Expected& e : corpus) {
        CHECK(fs::exists(kSource / "tests/fund/bad_configs" / e.file));
    }
}

TEST(examples_load_and_round_trip) {
    const fs::path root = fresh_dir("examples");
    int seen = 0;
    for (const auto& entry : fs::directory_iterator(kSource / "fund/examples")) {
        if (entry.path().extension() != ".json") {
            continue;
        }
        ++seen;
        const std::string name = entry.path().filename().string();
        const LoadResult r = load_example(name, root);
        if (!r.ok()) {
            fundos::test::fail(__FILE__, __LINE__, name + ": " + r.error);
            continue;
        }
        CHECK(r.config.mode == fundos::abi::Mode::SIMULATION);
        CHECK(!r.config.instruments.empty());
        for (const std::string& f : r.config.simulation.data_files) {
            CHECK(fs::path(f).is_absolute());
            CHECK(fs::exists(f));
        }
        const std::string normalized = fundos::runtime::config_to_json(r.config);
        const LoadResult again = load_config_text(normalized, (root / "elsewhere" / name).string());
        if (!again.ok()) {
            fundos::test::fail(__FILE__, __LINE__, name + " normalized does not load: " + again.error);
            continue;
        }
        CHECK_EQ(fundos::runtime::config_to_json(again.config), normalized);
        CHECK_EQ(fundos::runtime::config_hash(again.config), fundos::runtime::config_hash(r.config));
    }
    CHECK(seen >= 2);
}

TEST(demo_example_has_three_agents_on_synthetic_symbols) {
    const fs::path root = fresh_dir("demo");
    const LoadResult r = load_example("demo.json", root);
    REQUIRE(r.ok());
    REQUIRE(r.config.agents.size() == 3);
    CHECK_EQ(r.config.instruments[0].symbol, std::string("SYN001"));
    CHECK_EQ(r.config.agents[2].instruments.size(), std::size_t{4});
    CHECK_EQ(r.config.capital, 1'000'000'000'000LL);
    CHECK_EQ(r.config.execution.fee_centibps, 50U);          // "0.5" bp
    CHECK_EQ(r.config.execution.fee_per_share, 5'000LL);     // "0.005"
    CHECK_EQ(r.config.simulation.stale_after_ns, 300'000'000'000ULL);
    CHECK_EQ(r.config.agents[0].working_dir, (root / "fund/examples").string());
}

TEST(exact_conversions) {
    const fs::path dir = fresh_dir("exact");
    const std::string agents =
        R"([{"id": 3, "name": "a", "instruments": ["SPY"], "capital": 0.1, "lease": "1.5h",
             "risk": {"max_position": "12.345678", "max_order_notional": 0.000001, "rate_window": 250,
                      "max_open_orders": 4.0}}])";
    const std::string text =
        minimal(dir, R"( "execution": {"fee_bps": 0.25, "latency": "250us", "fee_per_share": "0.0050"},)", agents);
    const LoadResult r = load_config_text(text, (dir / "c.json").string());
    REQUIRE(r.ok());
    const engine::AgentConfig& a = r.config.agents[0];
    CHECK_EQ(a.capital, 100'000LL);
    CHECK_EQ(a.lease_ns, 5'400'000'000'000ULL);
    CHECK_EQ(a.limits.max_position, 12'345'678LL);
    CHECK_EQ(a.limits.max_order_notional, 1LL);
    CHECK_EQ(a.limits.rate_window_ns, 250ULL);
    CHECK_EQ(a.limits.max_open_orders, 4U);
    CHECK_EQ(a.instruments.size(), std::size_t{1});
    CHECK_EQ(a.instruments[0], 7U);  // mapped by symbol to the instrument's id
    CHECK_EQ(r.config.execution.fee_centibps, 25U);
    CHECK_EQ(r.config.execution.latency_ns, 250'000ULL);
    CHECK_EQ(r.config.execution.fee_per_share, 5'000LL);
}

TEST(defaults_are_filled_in) {
    const fs::path dir = fresh_dir("defaults");
    const LoadResult r = load_config_text(minimal(dir, "", R"([{"id": 1, "name": "a", "instruments": [], "capital": "1"}])"),
                                          (dir / "c.json").string());
    REQUIRE(r.ok());
    const engine::FundConfig& c = r.config;
    CHECK(c.mode == fundos::abi::Mode::SIMULATION);
    CHECK(c.simulation.decision.kind == engine::DecisionPolicy::Kind::kEveryBar);
    CHECK_EQ(c.simulation.answer_timeout_ms, 5000ULL);
    CHECK_EQ(c.simulation.start_timeout_ms, 30000ULL);
    CHECK_EQ(c.execution.participation_pct, 100U);
    CHECK_EQ(c.agents[0].lease_ns, 2'000'000'000ULL);
    CHECK(c.agents[0].silent_policy == engine::SilentPolicy::kNoOp);
    CHECK(c.agents[0].wake == engine::WakeMode::kSpin);
    CHECK_EQ(c.agents[0].working_dir, dir.string());
    CHECK_EQ(c.simulation.data_files[0], (dir / "d.fmd").string());
    CHECK_EQ(c.source, (dir / "c.json").string());
    const std::string normalized = fundos::runtime::config_to_json(c);
    const nlohmann::json j = nlohmann::json::parse(normalized);
    CHECK_EQ(j["simulation"]["decision"]["every"].get<std::string>(), std::string("bar"));
    CHECK_EQ(j["agents"][0]["lease"].get<std::string>(), std::string("2s"));
    CHECK_EQ(j["agents"][0]["silent_policy"].get<std::string>(), std::string("no_op"));
    CHECK_EQ(j["risk"]["rate_window"].get<std::string>(), std::string("1s"));
    CHECK_EQ(j["capital"].get<std::string>(), std::string("1000"));
    CHECK(normalized.back() == '\n');
}

TEST(no_agents_is_a_valid_run) {
    const fs::path dir = fresh_dir("no_agents");
    std::string text = minimal(dir);
    CHECK(load_config_text(text, (dir / "c.json").string()).ok());
    // "agents" may be left out entirely.
    text.erase(text.find(", \"agents\": []"), std::string(", \"agents\": []").size());
    const LoadResult r = load_config_text(text, (dir / "c.json").string());
    CHECK(r.ok());
    CHECK(r.config.agents.empty());
}

TEST(decision_policies) {
    const fs::path dir = fresh_dir("decision");
    touch(dir / "d.fmd");
    const auto with = [&](const std::string& decision) {
        return load_config_text(R"({"name": "t", "capital": "1", "simulation": {"data": ["d.fmd"], "decision": )" +
                                    decision + R"(}, "instruments": [{"id": 1, "symbol": "X"}]})",
                                (dir / "c.json").string());
    };
    LoadResult r = with(R"({"events": 500})");
    REQUIRE(r.ok());
    CHECK(r.config.simulation.decision.kind == engine::DecisionPolicy::Kind::kEveryEvents);
    CHECK_EQ(r.config.simulation.decision.events, 500ULL);
    r = with(R"({"interval": "60s"})");
    REQUIRE(r.ok());
    CHECK(r.config.simulation.decision.kind == engine::DecisionPolicy::Kind::kEveryInterval);
    CHECK_EQ(r.config.simulation.decision.interval_ns, 60'000'000'000ULL);
    CHECK(fundos::runtime::config_to_json(r.config).find("\"interval\": \"1m\"") != std::string::npos);
    r = with(R"({"every": "tick"})");
    CHECK(!r.ok());
    CHECK(r.error.find("simulation.decision.every: must be one of \"bar\"") != std::string::npos);
    r = with(R"({})");
    CHECK(!r.ok());
    CHECK(r.error.find("got 0") != std::string::npos);
}

TEST(syntax_errors_give_line_and_column) {
    const LoadResult r = load_config_text("{\n  \"name\": \"x\",\n  oops\n}\n", "cfg/x.json");
    REQUIRE(!r.ok());
    CHECK(r.error.rfind("cfg/x.json:3:3: syntax error while parsing object key", 0) == 0);
    const LoadResult empty = load_config_text("", "e.json");
    CHECK(!empty.ok());
    CHECK(empty.error.rfind("e.json:1:1: syntax error", 0) == 0);
    const LoadResult trailing = load_config_text("{} {}", "t.json");
    CHECK(!trailing.ok());
    CHECK(trailing.error.rfind("t.json:1:4: syntax error", 0) == 0);
}

TEST(every_fault_is_reported_not_just_the_first) {
    const fs::path dir = fresh_dir("many");
    touch(dir / "d.fmd");
    const LoadResult r = load_config_text(
        R"({"name": "bad name", "capital": "-1", "simulation": {"data": ["d.fmd"], "max_step": 3},
            "instruments": [{"id": 1, "symbol": "X", "tick_size": "0.000000001"}]})",
        (dir / "c.json").string());
    REQUIRE(!r.ok());
    CHECK_EQ(r.errors.size(), std::size_t{4});
    CHECK(r.error.find("name: must be 1..64 characters") != std::string::npos);
    CHECK(r.error.find("capital: must be > 0, got \"-1\"") != std::string::npos);
    CHECK(r.error.find("simulation.max_step: unknown key (did you mean \"max_steps\"?)") != std::string::npos);
    CHECK(r.error.find("instruments[0].tick_size: has more than 8 decimal places") != std::string::npos);
}

TEST(hostile_input_does_not_crash) {
    std::string deep(100000, '[');
    LoadResult r = load_config_text(deep, "deep.json");
    CHECK(!r.ok());
    CHECK(r.error.find("nesting deeper than") != std::string::npos);
    r = load_config_text("{\"name\": \"\xff\xfe\"}", "utf.json");
    CHECK(!r.ok());
    r = load_config_text(R"({"name": "t", "capital": 123456789012345678901234567890})", "big.json");
    CHECK(!r.ok());
    CHECK(r.error.find("capital: is too large") != std::string::npos);
    r = load_config_text(R"({"name": "t", "capital": "1", "simulation": {"data": ["x"], "max_steps": 1e400}})", "inf.json");
    CHECK(!r.ok());
    std::string wide = "{";
    for (int i = 0; i < 50000; ++i) {
        wide += "\"k" + std::to_string(i % 1000) + "\": 0,";
    }
    wide += "\"name\": \"x\"}";
    r = load_config_text(wide, "wide.json");
    CHECK(!r.ok());
    CHECK_EQ(r.errors.size(), fundos::runtime::LoadResult::kMaxErrors);
    r = load_config("/nonexistent/fundos/config.json");
    CHECK(!r.ok());
    CHECK(r.error == "/nonexistent/fundos/config.json: no such file");
    r = load_config(kSource.string());
    CHECK(!r.ok());
    CHECK(r.error.find("not a regular file") != std::string::npos);
}

TEST(config_hash_follows_the_normalized_text) {
    const fs::path dir = fresh_dir("hash");
    const LoadResult a = load_config_text(minimal(dir), (dir / "c.json").string());
    // Same configuration written differently: number vs string, explicit defaults, key order.
    const LoadResult b = load_config_text(
        R"({"instruments": [{"symbol": "SPY", "id": 7, "lot_size": 0}], "capital": 1000.000, "mode": "simulation",
            "simulation": {"decision": {"every": "bar"}, "data": ["./d.fmd"], "stale_after": 0}, "name": "t"})",
        (dir / "c.json").string());
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK_EQ(fundos::runtime::config_to_json(a.config), fundos::runtime::config_to_json(b.config));
    CHECK_EQ(fundos::runtime::config_hash(a.config), fundos::runtime::config_hash(b.config));
    engine::FundConfig changed = a.config;
    changed.capital += 1;
    CHECK(fundos::runtime::config_hash(changed) != fundos::runtime::config_hash(a.config));
}

TEST(formatting_helpers) {
    using fundos::runtime::format_duration;
    CHECK_EQ(format_duration(0), std::string("0s"));
    CHECK_EQ(format_duration(3'600'000'000'000ULL), std::string("1h"));
    CHECK_EQ(format_duration(90'000'000'000ULL), std::string("90s"));
    CHECK_EQ(format_duration(1'500'000ULL), std::string("1500us"));
    CHECK_EQ(format_duration(7ULL), std::string("7ns"));
    CHECK_EQ(fundos::runtime::fnv1a64(""), 0xcbf29ce484222325ULL);
    CHECK_EQ(fundos::runtime::fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
}

TEST(model_fields_of_issue_6_defaults_and_disabled_instruments) {
    const fs::path dir = fresh_dir("model_fields");
    touch(dir / "d.fmd");
    const std::string text =
        "{\"name\": \"t\", \"capital\": \"1000\", \"simulation\": {\"data\": [\"d.fmd\"]},"
        " \"execution\": {\"venue\": {\"name\": \"v1\"}}, \"market_data\": {\"feed\": \"tcp://x:1\"},"
        " \"instruments\": [{\"id\": 7, \"symbol\": \"A\", \"status\": \"disabled\"},"
        " {\"id\": 8, \"symbol\": \"B\", \"currency\": \"EUR\"}, {\"id\": 9, \"symbol\": \"C\"}],"
        " \"agents\": [{\"id\": 1, \"name\": \"x\", \"instruments\": [\"C\"], \"capital\": \"1\"}]}";
    const LoadResult r = load_config_text(text, (dir / "c.json").string());
    CHECK(r.ok());
    if (!r.ok()) {
        std::fprintf(stderr, "%s\n", r.error.c_str());
        return;
    }
    // The Fund's table holds the enabled instruments in order; the disabled one is kept aside.
    CHECK_EQ(r.config.instruments.size(), std::size_t{2});
    CHECK_EQ(r.config.instruments[0].symbol, std::string("B"));
    CHECK_EQ(r.config.instruments[0].currency, std::string("EUR"));
    CHECK_EQ(r.config.instruments[1].currency, std::string("USD"));
    CHECK_EQ(r.config.disabled_instruments.size(), std::size_t{1});
    CHECK_EQ(r.config.execution.venue.name, std::string("v1"));
    CHECK_EQ(r.config.market_data.feed, std::string("tcp://x:1"));
    const nlohmann::json j = nlohmann::json::parse(fundos::runtime::config_to_json(r.config));
    CHECK_EQ(j["instruments"][2]["symbol"].get<std::string>(), std::string("A"));
    CHECK_EQ(j["instruments"][2]["status"].get<std::string>(), std::string("disabled"));
    CHECK_EQ(j["execution"]["fill_model"].get<std::string>(), std::string("simulated"));
    CHECK_EQ(j["market_data"]["source"].get<std::string>(), std::string("replay"));
    // Normalized text loads to the same text again (from anywhere: the paths are absolute).
    const LoadResult again = load_config_text(fundos::runtime::config_to_json(r.config), "db#t", "/");
    CHECK(again.ok());
    CHECK_EQ(fundos::runtime::config_to_json(again.config), fundos::runtime::config_to_json(r.config));
    // Every instrument disabled: refused.
    const LoadResult none = load_config_text(
        "{\"name\": \"t\", \"capital\": \"1\", \"simulation\": {\"data\": [\"d.fmd\"]},"
        " \"instruments\": [{\"id\": 7, \"symbol\": \"A\", \"status\": \"disabled\"}]}",
        "src", dir.string());
    CHECK(none.error.find("src: instruments: every instrument is disabled") != std::string::npos);
}

TEST(config_addresses) {
    using fundos::runtime::ConfigAddress;
    using fundos::runtime::parse_config_address;
    ConfigAddress a;
    std::string error;
    CHECK(parse_config_address("demo.json", a, error) && a.kind == ConfigAddress::Kind::kFile && a.path == "demo.json");
    CHECK(parse_config_address("sqlite:///srv/c%20d.db#demo", a, error));
    CHECK(a.kind == ConfigAddress::Kind::kSqlite && a.path == "/srv/c d.db" && a.service == "demo");
    CHECK_EQ(a.label, std::string("sqlite:///srv/c d.db"));
    CHECK(parse_config_address("sqlite:rel/c.db", a, error) && fs::path(a.path).is_absolute() && a.service.empty());
    CHECK(!parse_config_address("sqlite://host/c.db", a, error) && error.find("no host") != std::string::npos);
    CHECK(!parse_config_address("sqlite:c.db?mode=ro", a, error));
    CHECK(!parse_config_address("sqlite:c.db#bad name", a, error));
    CHECK(parse_config_address("postgresql://u:secret@h:5/db?password=x&sslmode=require#f/agent", a, error));
    CHECK(a.kind == ConfigAddress::Kind::kPostgres && a.service == "f/agent");
    CHECK_EQ(a.conninfo, std::string("postgresql://u:secret@h:5/db?password=x&sslmode=require"));
    CHECK_EQ(a.label, std::string("postgresql://u@h:5/db?sslmode=require"));
    CHECK(!parse_config_address("postgresql:db", a, error));
    // A database that is not there is a message naming it, never a file created.
    const fs::path dir = fresh_dir("addresses");
    const LoadResult r = fundos::runtime::load_config_source("sqlite:" + (dir / "none.db").string());
    CHECK(r.error.find("none.db: no such database file") != std::string::npos);
    CHECK(!fs::exists(dir / "none.db"));
}

int main(int argc, char** argv) {
    if (argc == 3 && std::string(argv[1]) == "--normalize") {
        const LoadResult r = load_config(argv[2]);
        if (!r.ok()) {
            std::fprintf(stderr, "%s\n", r.error.c_str());
            return 2;
        }
        std::fputs(fundos::runtime::config_to_json(r.config).c_str(), stdout);
        return 0;
    }
    return fundos::test::run_all(argc, argv);
}
