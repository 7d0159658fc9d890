// Changes while running, the engine's half (config_change.hpp, Engine::change_config): limits
// of each scope take effect from the next intent, the restricted flag and collars too; rate
// windows keep what was sent; an agent losing an instrument keeps its position, has its working
// orders there canceled and may then only reduce; a rejected change only journals; the record
// reads back, describes itself, and replays to the same bytes.
#include <cstdint>
#include <string>
#include <vector>

#include "check.hpp"
#include "fundos/engine/journal_records.hpp"
#include "fundos/engine/journal_replay.hpp"
#include "fundos/engine/testing.hpp"

using namespace fundos;
using namespace fundos::engine;
using namespace fundos::engine::testing;
using abi::RejectReason;
using abi::ReportKind;
using abi::Side;
using abi::TimeInForce;

namespace {

Rig primed(FundConfig c = default_config(2)) {
    Rig r(std::move(c));
    r.market(quote(kT0, 1, P(999), P(1001), Q(10'000), Q(10'000)));
    r.market(quote(kT0, 2, P(1999), P(2001), Q(10'000), Q(10'000)));
    return r;
}

RejectReason reason(const Rig& r, std::uint16_t slot, std::uint64_t id) { return r.verdict(slot, id).reason; }
bool accepted(const Rig& r, std::uint16_t slot, std::uint64_t id) {
    return r.verdict(slot, id).kind == ReportKind::ACCEPTED;
}

ConfigChangeEntry entry(Scope scope, std::uint32_t id, std::uint16_t index, ConfigField field, std::int64_t old_value,
                        std::int64_t new_value) {
    return {old_value, new_value, id, index, static_cast<std::uint8_t>(scope), static_cast<std::uint8_t>(field)};
}

ConfigChange applied(std::vector<ConfigChangeEntry> entries, std::string text = "x") {
    ConfigChange c;
    c.status = ConfigChangeStatus::kApplied;
    c.trigger = ConfigTrigger::kControl;
    c.old_hash = 0x1111;
    c.new_hash = 0x2222;
    c.entries = std::move(entries);
    c.text = std::move(text);
    return c;
}

std::vector<RecordingSink::Journal> of(const Rig& r, RecordType type) {
    std::vector<RecordingSink::Journal> out;
    for (const auto& j : r.sink.journals) {
        if (j.type == type) {
            out.push_back(j);
        }
    }
    return out;
}

}  // namespace

TEST(a_lowered_limit_refuses_the_next_intent_and_is_journaled) {
    Rig r = primed();
    r.step(kT0 + kSec, {market(1, 1, 1, Side::BUY, Q(10))});
    CHECK(accepted(r, 0, 1));
    r.engine->change_config(applied({entry(Scope::kAgent, 1, 0, ConfigField::kMaxOrderQty, 0, Q(5))},
                                    "agents[0].risk.max_order_qty: \"0\" -> \"5\"\n"));
    r.step(kT0 + 2 * kSec, {market(1, 2, 1, Side::BUY, Q(10)), market(1, 3, 1, Side::BUY, Q(5)),
                            market(2, 1, 1, Side::BUY, Q(10))});
    CHECK(reason(r, 0, 2) == RejectReason::MAX_ORDER_SIZE);
    CHECK(accepted(r, 0, 3));
    CHECK(accepted(r, 1, 1));  // the other agent's limits did not change
    // Fund scope and instrument scope likewise.
    r.engine->change_config(applied({entry(Scope::kFund, 0, 0, ConfigField::kMaxOrderQty, 0, Q(3)),
                                     entry(Scope::kInstrument, 2, 1, ConfigField::kMaxOrderQty, 0, Q(1))}));
    r.step(kT0 + 3 * kSec, {market(2, 2, 1, Side::BUY, Q(4)), market(2, 3, 2, Side::BUY, Q(2)),
                            market(2, 4, 1, Side::BUY, Q(3))});
    CHECK(reason(r, 1, 2) == RejectReason::MAX_ORDER_SIZE);
    CHECK(reason(r, 1, 3) == RejectReason::MAX_ORDER_SIZE);
    CHECK(accepted(r, 1, 4));

    const auto records = of(r, RecordType::kConfigChange);
    REQUIRE(records.size() == 2);
    ConfigChangeView v;
    REQUIRE(read_config_change(records[0].payload, v));
    CHECK_EQ(v.head.after_seq, 1u);
    CHECK_EQ(v.head.clock, kT0 + kSec);
    CHECK_EQ(v.head.old_hash, 0x1111u);
    CHECK_EQ(v.head.new_hash, 0x2222u);
    REQUIRE(v.change.entries.size() == 1);
    CHECK(v.change.entries[0] == entry(Scope::kAgent, 1, 0, ConfigField::kMaxOrderQty, 0, Q(5)));
    CHECK(v.change.trigger == ConfigTrigger::kControl);
    const std::string line = describe_record(RecordType::kConfigChange, records[0].payload);
    CHECK_EQ(line, std::string("config_change after_seq=1 clock=") + std::to_string(kT0 + kSec) +
                       " status=applied trigger=control old_hash=0000000000001111 new_hash=0000000000002222 "
                       "changes=1 values={agents[0].risk.max_order_qty: \"0\" -> \"5\"}");
    CHECK(record_size_ok(RecordType::kConfigChange, records[0].payload));
    std::vector<std::byte> cut = records[0].payload;
    cut.pop_back();
    CHECK(!record_size_ok(RecordType::kConfigChange, cut));
    CHECK(describe_record(RecordType::kConfigChange, cut).starts_with("config_change bad payload size"));
}

TEST(a_rejected_change_is_journaled_and_changes_nothing) {
    Rig r = primed();
    ConfigChange rejected;
    rejected.status = ConfigChangeStatus::kRejected;
    rejected.trigger = ConfigTrigger::kSignal;
    rejected.old_hash = 0x1111;
    rejected.text = "demo.json: agents[0].risk.max_position: must be >= 0, got \"-5\"";
    r.engine->change_config(rejected);
    r.step(kT0 + kSec, {market(1, 1, 1, Side::BUY, Q(10))});
    CHECK(accepted(r, 0, 1));
    const auto records = of(r, RecordType::kConfigChange);
    REQUIRE(records.size() == 1);
    CHECK(describe_record(RecordType::kConfigChange, records[0].payload)
              .ends_with("status=rejected trigger=sighup old_hash=0000000000001111 reason={demo.json: "
                         "agents[0].risk.max_position: must be >= 0, got \"-5\"}"));
}

TEST(restricted_and_collar_change_with_the_next_intent) {
    Rig r = primed();
    r.engine->change_config(applied({entry(Scope::kInstrument, 1, 0, ConfigField::kRestricted, 0, 1),
                                     entry(Scope::kInstrument, 2, 1, ConfigField::kPriceCollarBps, 0, 10)}));
    r.step(kT0 + kSec, {market(1, 1, 1, Side::BUY, Q(1)), limit(1, 2, 2, Side::BUY, Q(1), P(1900))});
    CHECK(reason(r, 0, 1) == RejectReason::RESTRICTED);
    CHECK(reason(r, 0, 2) == RejectReason::PRICE_COLLAR);
    r.engine->change_config(applied({entry(Scope::kInstrument, 1, 0, ConfigField::kRestricted, 1, 0)}));
    r.step(kT0 + 2 * kSec, {market(1, 3, 1, Side::BUY, Q(1))});
    CHECK(accepted(r, 0, 3));
}

TEST(a_lowered_rate_limit_counts_what_was_already_sent) {
    FundConfig c = default_config(1);
    c.agents[0].limits.max_intents_per_window = 10;
    c.agents[0].limits.rate_window_ns = 60 * kSec;
    Rig r = primed(c);
    r.step(kT0 + kSec, {market(1, 1, 1, Side::BUY, Q(1)), market(1, 2, 1, Side::BUY, Q(1)),
                        market(1, 3, 1, Side::BUY, Q(1))});
    r.engine->change_config(applied({entry(Scope::kAgent, 1, 0, ConfigField::kMaxIntentsPerWindow, 10, 4)}));
    r.step(kT0 + 2 * kSec, {market(1, 4, 1, Side::BUY, Q(1)), market(1, 5, 1, Side::BUY, Q(1))});
    CHECK(accepted(r, 0, 4));
    CHECK(reason(r, 0, 5) == RejectReason::RATE_LIMIT);
    // A shorter window lets the old ones out.
    r.engine->change_config(applied({entry(Scope::kAgent, 1, 0, ConfigField::kRateWindow, 60 * kSec, kSec / 2)}));
    r.step(kT0 + 3 * kSec, {market(1, 6, 1, Side::BUY, Q(1))});
    CHECK(accepted(r, 0, 6));
}

TEST(an_agent_losing_an_instrument_keeps_its_position_and_may_only_reduce) {
    Rig r = primed();
    // Agent 1 buys 10 BBB (filled at the next quote) and rests a buy limit in BBB.
    r.step(kT0 + kSec, {market(1, 1, 2, Side::BUY, Q(10), TimeInForce::GTC),
                        limit(1, 2, 2, Side::BUY, Q(3), P(1990), TimeInForce::GTC)});
    r.market(quote(kT0 + 2 * kSec, 2, P(1999), P(2001), Q(10'000), Q(10'000)));
    CHECK_EQ(r.position(0, 2).qty, Q(10));
    CHECK_EQ(r.position(0, 2).working_qty, Q(3));
    // Rows {AAA, BBB} -> {AAA}.
    r.engine->change_config(applied({entry(Scope::kAgent, 1, 0, ConfigField::kInstruments, 3, 1)}));
    const auto canceled = r.reports_of(0, 2, ReportKind::CANCELED);
    REQUIRE(canceled.size() == 1);
    CHECK(canceled[0].reason == RejectReason::INSTRUMENT_NOT_MAPPED);
    const auto cancels = r.sink.records<CancelRecord>(RecordType::kCancel);
    REQUIRE(!cancels.empty());
    CHECK(static_cast<CancelCause>(cancels.back().cause) == CancelCause::kUnmapped);
    // The change is journaled before the cancel it caused.
    std::size_t change_at = 0, cancel_at = 0;
    for (std::size_t i = 0; i < r.sink.journals.size(); ++i) {
        change_at = r.sink.journals[i].type == RecordType::kConfigChange ? i : change_at;
        cancel_at = r.sink.journals[i].type == RecordType::kCancel ? i : cancel_at;
    }
    CHECK(change_at < cancel_at);
    CHECK_EQ(r.position(0, 2).qty, Q(10));  // still in its book
    CHECK_EQ(r.position(0, 2).working_qty, 0);
    // Adding risk there is refused; reducing it is not; agent 2 is unaffected.
    r.step(kT0 + 3 * kSec, {market(1, 3, 2, Side::BUY, Q(1)), market(1, 4, 2, Side::SELL, Q(11)),
                            market(1, 5, 2, Side::SELL, Q(4)), target(1, 6, 2, Q(8)), target(1, 7, 2, Q(2)),
                            market(2, 1, 2, Side::BUY, Q(1))});
    CHECK(reason(r, 0, 3) == RejectReason::INSTRUMENT_NOT_MAPPED);
    CHECK(reason(r, 0, 4) == RejectReason::INSTRUMENT_NOT_MAPPED);  // would flip it
    CHECK(accepted(r, 0, 5));                                       // 10 -> 6 with what works
    CHECK(reason(r, 0, 6) == RejectReason::INSTRUMENT_NOT_MAPPED);  // 6 -> 8 adds
    CHECK(accepted(r, 0, 7));                                       // 6 -> 2 reduces
    CHECK(accepted(r, 1, 1));
    r.market(quote(kT0 + 4 * kSec, 2, P(1999), P(2001), Q(10'000), Q(10'000)));
    r.step(kT0 + 5 * kSec, {flatten(1, 8, 2)});
    CHECK(accepted(r, 0, 8));
    r.market(quote(kT0 + 6 * kSec, 2, P(1999), P(2001), Q(10'000), Q(10'000)));
    CHECK_EQ(r.position(0, 2).qty, 0);
    // Flat there now: every intent in BBB is refused, as for an instrument it never had.
    r.step(kT0 + 7 * kSec, {flatten(1, 9, 2), market(1, 10, 2, Side::SELL, Q(1))});
    CHECK(reason(r, 0, 9) == RejectReason::INSTRUMENT_NOT_MAPPED);
    CHECK(reason(r, 0, 10) == RejectReason::INSTRUMENT_NOT_MAPPED);
    // Mapped again: tradable at once.
    r.engine->change_config(applied({entry(Scope::kAgent, 1, 0, ConfigField::kInstruments, 1, 3)}));
    r.step(kT0 + 8 * kSec, {market(1, 11, 2, Side::BUY, Q(1))});
    CHECK(accepted(r, 0, 11));
    CHECK(r.engine->invariants_hold());
}

TEST(entries_for_unknown_slots_rows_or_ids_are_skipped) {
    Rig r = primed();
    r.engine->change_config(applied({entry(Scope::kAgent, 7, 0, ConfigField::kMaxOrderQty, 0, Q(1)),
                                     entry(Scope::kAgent, 1, 9, ConfigField::kMaxOrderQty, 0, Q(1)),
                                     entry(Scope::kInstrument, 1, 5, ConfigField::kRestricted, 0, 1)}));
    r.step(kT0 + kSec, {market(1, 1, 1, Side::BUY, Q(10))});
    CHECK(accepted(r, 0, 1));
}

TEST(a_journal_with_changes_replays_to_the_same_bytes) {
    Rig r = primed();
    r.step(kT0 + kSec, {limit(1, 1, 2, Side::BUY, Q(3), P(1990), TimeInForce::GTC), market(2, 1, 1, Side::BUY, Q(5))});
    r.engine->change_config(applied({entry(Scope::kAgent, 1, 0, ConfigField::kInstruments, 3, 1),
                                     entry(Scope::kAgent, 2, 1, ConfigField::kMaxPosition, 0, Q(6))},
                                    "agents[0].instruments: x\nagents[1].risk.max_position: y\n"));
    r.market(quote(kT0 + 2 * kSec, 1, P(999), P(1001), Q(10'000), Q(10'000)));
    r.step(kT0 + 3 * kSec, {market(2, 2, 1, Side::BUY, Q(5)), market(2, 3, 1, Side::BUY, Q(1))});
    CHECK(reason(r, 1, 2) == RejectReason::POSITION_LIMIT);
    r.engine->finish("end of data");

    std::vector<JournalEntry> entries;
    for (const auto& j : r.sink.journals) {
        entries.push_back({j.type, j.payload});
    }
    struct Events final : MarketEvents {
        std::vector<marketdata::EventRecord> all;
        bool event(std::uint64_t index, marketdata::EventRecord& out) noexcept override {
            if (index >= all.size()) {
                return false;
            }
            out = all[index];
            return true;
        }
    } events;
    events.all = {quote(kT0, 1, P(999), P(1001), Q(10'000), Q(10'000)), quote(kT0, 2, P(1999), P(2001), Q(10'000), Q(10'000)),
                  quote(kT0 + 2 * kSec, 1, P(999), P(1001), Q(10'000), Q(10'000))};
    struct CheckSink final : Sink {
        explicit CheckSink(std::span<const JournalEntry> e) : check(e) {}
        ReplayOutputCheck check;
        void report(std::uint16_t, const abi::IntentReport&) override {}
        void journal(RecordType type, std::span<const std::byte> payload) override { check.record(type, payload); }
        void equity(std::span<const EquityPoint>) override {}
    } sink(entries);
    Engine again(r.config, r.md, sink);
    ReplayPosition at;
    const std::string error = replay_journal(again, entries, events, at);
    CHECK_EQ(error, std::string());
    CHECK(sink.check.ok());
    if (!sink.check.ok()) {
        std::fprintf(stderr, "  %s\n", sink.check.error().c_str());
    }
    CHECK_EQ(sink.check.matched(), static_cast<std::uint64_t>(entries.size()));
    CHECK_EQ(again.state_hash(), r.engine->state_hash());
}

FUNDOS_TEST_MAIN
