// Changes while running, the runtime's half (fundos/runtime/config_reload.hpp): what differs
// between a running configuration and a re-read one, as engine entries with their paths and
// values; every difference that cannot change while running rejected, naming its path; and
// apply_config_change giving the re-read configuration back.
#include <filesystem>
#include <fstream>
#include <string>

#include "check.hpp"
#include "fundos/engine/engine.hpp"
#include "fundos/runtime/config_json.hpp"
#include "fundos/runtime/config_reload.hpp"

namespace fs = std::filesystem;
namespace engine = fundos::engine;
using fundos::runtime::apply_config_change;
using fundos::runtime::ConfigDiff;
using fundos::runtime::config_to_json;
using fundos::runtime::diff_config;
using fundos::runtime::load_config_text;

namespace {

const fs::path kTmp = FUNDOS_TEST_TMP_DIR;

/// A configuration with two agents and three instruments (the third disabled); `edit` replaces
/// a placeholder of the text. Its data file and working folder exist under kTmp.
engine::FundConfig load(const std::string& fund_risk = "{}", const std::string& a_risk = "{}",
                        const std::string& a_instruments = R"(["AAA", "BBB"])", const std::string& tail = "",
                        const std::string& b_name = "b", const std::string& instrument_1 = "") {
    fs::create_directories(kTmp);
    std::ofstream(kTmp / "d.fmd").flush();
    const std::string text = R"({"name": "t", "capital": "1000000", "risk": )" + fund_risk +
                             R"(, "simulation": {"data": ["d.fmd"]}, "instruments": [
        {"id": 1, "symbol": "AAA")" + instrument_1 + R"(},
        {"id": 3, "symbol": "OFF", "status": "disabled"},
        {"id": 2, "symbol": "BBB"}],
      "agents": [
        {"id": 1, "name": "a", "instruments": )" + a_instruments + R"(, "capital": "1000", "risk": )" + a_risk + R"(},
        {"id": 2, "name": ")" + b_name + R"(", "instruments": ["BBB"], "capital": "1000"}])" + tail + "}";
    const fundos::runtime::LoadResult r = load_config_text(text, (kTmp / "t.json").string());
    if (!r.ok()) {
        std::fprintf(stderr, "  load failed: %s\n", r.error.c_str());
    }
    return r.config;
}

}  // namespace

TEST(identical_configurations_differ_in_nothing) {
    const ConfigDiff d = diff_config(load(), load());
    CHECK(d.ok());
    CHECK(d.empty());
    CHECK(d.lines.empty());
}

TEST(limits_of_every_scope_in_document_order) {
    const engine::FundConfig running = load(R"({"halt_loss": "500"})", R"({"max_position": "400"})");
    const engine::FundConfig next = load(R"({"halt_loss": "600", "max_open_orders": 3})",
                                         R"({"max_position": "5", "rate_window": "2s"})", R"(["AAA", "BBB"])", "",
                                         "b", R"(, "restricted": true, "price_collar_bps": 25, "risk": {"max_order_qty": "0.5"})");
    const ConfigDiff d = diff_config(running, next);
    REQUIRE(d.ok());
    REQUIRE(d.entries.size() == 7);
    REQUIRE(d.lines.size() == 7);
    CHECK_EQ(d.lines[0].path, std::string("risk.max_open_orders"));
    CHECK_EQ(d.lines[0].old_value, std::string("0"));
    CHECK_EQ(d.lines[0].new_value, std::string("3"));
    CHECK_EQ(d.lines[1].path, std::string("risk.halt_loss"));
    CHECK_EQ(d.lines[1].new_value, std::string("\"600\""));
    CHECK_EQ(d.lines[2].path, std::string("instruments[0].restricted"));
    CHECK_EQ(d.lines[2].new_value, std::string("true"));
    CHECK_EQ(d.lines[3].path, std::string("instruments[0].price_collar_bps"));
    CHECK_EQ(d.lines[4].path, std::string("instruments[0].risk.max_order_qty"));
    CHECK_EQ(d.lines[4].new_value, std::string("\"0.5\""));
    CHECK_EQ(d.lines[5].path, std::string("agents[0].risk.max_position"));
    CHECK_EQ(d.lines[5].old_value, std::string("\"400\""));
    CHECK_EQ(d.lines[5].new_value, std::string("\"5\""));
    CHECK_EQ(d.lines[6].path, std::string("agents[0].risk.rate_window"));
    CHECK_EQ(d.lines[6].old_value, std::string("\"1s\""));
    CHECK_EQ(d.lines[6].new_value, std::string("\"2s\""));
    const engine::ConfigChangeEntry& e = d.entries[5];
    CHECK(static_cast<engine::Scope>(e.scope) == engine::Scope::kAgent);
    CHECK(static_cast<engine::ConfigField>(e.field) == engine::ConfigField::kMaxPosition);
    CHECK_EQ(e.id, 1u);
    CHECK_EQ(e.index, 0u);
    CHECK_EQ(e.old_value, 400'000'000);
    CHECK_EQ(e.new_value, 5'000'000);
    CHECK_EQ(d.text(), std::string("risk.max_open_orders: 0 -> 3\nrisk.halt_loss: \"500\" -> \"600\"\n") +
                           "instruments[0].restricted: false -> true\ninstruments[0].price_collar_bps: 0 -> 25\n" +
                           "instruments[0].risk.max_order_qty: \"0\" -> \"0.5\"\n" +
                           "agents[0].risk.max_position: \"400\" -> \"5\"\nagents[0].risk.rate_window: \"1s\" -> \"2s\"\n");
    // Applying the entries gives the re-read configuration (the same normalized text).
    engine::FundConfig applied = running;
    apply_config_change(applied, d.entries);
    CHECK_EQ(config_to_json(applied), config_to_json(next));
}

TEST(mappings_are_sets_of_rows) {
    const engine::FundConfig running = load();
    // Reordered: not a change.
    CHECK(diff_config(running, load("{}", "{}", R"(["BBB", "AAA"])")).empty());
    // One lost: rows {0, 1} -> {0}.
    const ConfigDiff lost = diff_config(running, load("{}", "{}", R"(["AAA"])"));
    REQUIRE(lost.ok());
    REQUIRE(lost.entries.size() == 1);
    CHECK(static_cast<engine::ConfigField>(lost.entries[0].field) == engine::ConfigField::kInstruments);
    CHECK_EQ(lost.entries[0].old_value, 3);
    CHECK_EQ(lost.entries[0].new_value, 1);
    CHECK_EQ(lost.lines[0].path, std::string("agents[0].instruments"));
    CHECK_EQ(lost.lines[0].old_value, std::string("[\"AAA\",\"BBB\"]"));
    CHECK_EQ(lost.lines[0].new_value, std::string("[\"AAA\"]"));
    // Gained back: the kept ones first, in their order, then the new ones in table order.
    engine::FundConfig only_b = load("{}", "{}", R"(["BBB"])");
    const ConfigDiff gained = diff_config(only_b, running);
    REQUIRE(gained.entries.size() == 1);
    apply_config_change(only_b, gained.entries);
    CHECK(only_b.agents[0].instruments == (std::vector<std::uint32_t>{2, 1}));
    CHECK_EQ(gained.lines[0].new_value, std::string("[\"BBB\",\"AAA\"]"));
}

TEST(what_cannot_change_is_named_by_its_path) {
    const engine::FundConfig running = load();
    const auto error = [&](const engine::FundConfig& next) { return diff_config(running, next).error; };
    const std::string capital = error(load("{}", "{}", R"(["AAA", "BBB"])", R"(, "execution": {"slippage_bps": 3})"));
    CHECK(capital.starts_with("execution.slippage_bps: 0 -> 3 cannot change while the Fund runs (only risk limits"));
    CHECK(error(load("{}", "{}", R"(["AAA", "BBB"])", "", "renamed")).starts_with("agents[1].name: \"b\" -> \"renamed\""));
    // An instrument added (the disabled one enabled) changes the table.
    engine::FundConfig enabled = running;
    enabled.instruments.push_back(enabled.disabled_instruments[0]);
    enabled.instruments.back().enabled = true;
    enabled.disabled_instruments.clear();
    CHECK(error(enabled).find("cannot") != std::string::npos);
    // A disabled instrument's limits are not the engine's: they cannot change either.
    engine::FundConfig disabled = running;
    disabled.disabled_instruments[0].restricted = true;
    CHECK(error(disabled).starts_with("instruments[2].restricted: false -> true cannot change"));
    // An agent removed.
    engine::FundConfig fewer = running;
    fewer.agents.pop_back();
    CHECK(error(fewer).starts_with("agents[1]: cannot be removed"));
}

TEST(entries_for_another_configuration_are_skipped) {
    engine::FundConfig config = load();
    const std::string before = config_to_json(config);
    engine::ConfigChangeEntry wrong_id{0, 5, 9, 0, static_cast<std::uint8_t>(engine::Scope::kAgent),
                                       static_cast<std::uint8_t>(engine::ConfigField::kMaxPosition)};
    engine::ConfigChangeEntry wrong_index{0, 5, 1, 7, static_cast<std::uint8_t>(engine::Scope::kInstrument),
                                          static_cast<std::uint8_t>(engine::ConfigField::kRestricted)};
    const engine::ConfigChangeEntry entries[] = {wrong_id, wrong_index};
    apply_config_change(config, entries);
    CHECK_EQ(config_to_json(config), before);
}

FUNDOS_TEST_MAIN
