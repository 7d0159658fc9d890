// The engine's venue mode (engine.hpp, "Venue execution"): a scripted venue (the test hands the
// events a venue would send) drives parent orders through acceptance, partial fills, cancels that
// are requests until confirmed, replaces, rejects, kill switch, silent policy and shutdown; the
// invariants hold after every event, and a session's journal replays byte for byte.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "check.hpp"
#include "fundos/engine/journal_records.hpp"
#include "fundos/engine/journal_replay.hpp"
#include "fundos/engine/testing.hpp"

using namespace fundos;
using namespace fundos::engine;
using namespace fundos::engine::testing;
using abi::ReportKind;
using abi::RejectReason;
using abi::Side;
using abi::TimeInForce;
using Cmd = venue::VenueCommand::Kind;
using Ev = venue::VenueEvent::Kind;

namespace {

FundConfig venue_config(std::uint32_t agents = 2, abi::Mode mode = abi::Mode::SIMULATION) {
    FundConfig c = default_config(agents);
    c.mode = mode;
    c.execution.fill_model = FillModel::kVenue;
    return c;
}

venue::VenueEvent event(Ev kind, std::uint64_t parent) {
    venue::VenueEvent e{};
    e.kind = kind;
    e.parent_id = parent;
    return e;
}

venue::VenueEvent fill(std::uint64_t parent, Quantity qty, Price price, Quantity cum, Quantity leaves,
                       const char* exec_id, Money fee = 0) {
    venue::VenueEvent e = event(Ev::kFill, parent);
    e.qty = qty;
    e.price = price;
    e.cum = cum;
    e.leaves = leaves;
    e.fee = fee;
    std::strncpy(e.exec_id, exec_id, sizeof e.exec_id - 1);
    return e;
}

/// A Rig in venue mode that keeps the market events it applied (for replays) and checks the
/// engine's invariants after every venue event.
struct Session {
    Rig rig;
    std::vector<marketdata::EventRecord> events;
    abi::Timestamp t = kT0;

    explicit Session(FundConfig c = venue_config()) : rig(std::move(c)) {}

    void market(const marketdata::EventRecord& e) {
        events.push_back(e);
        rig.market(e);
    }
    /// Quotes for both instruments (100.00 mid), then a step with `intents`.
    void step(const std::vector<abi::IntentRecord>& intents = {}) {
        t += kSec;
        market(quote(t, 1, P(9999), P(10001), Q(1000), Q(1000)));
        market(quote(t, 2, P(4999), P(5001), Q(1000), Q(1000)));
        rig.step(t, intents);
    }
    void send(const venue::VenueEvent& e) {
        rig.engine->venue_event(e);
        CHECK(rig.engine->invariants_hold());
        CHECK(!rig.engine->faulted());
    }
    [[nodiscard]] const std::vector<venue::VenueCommand>& commands() const { return rig.sink.venue_commands; }
    [[nodiscard]] std::vector<CancelRecord> cancels() const {
        return rig.sink.records<CancelRecord>(RecordType::kCancel);
    }
    [[nodiscard]] std::vector<VenueEventRecord> venue_records() const {
        return rig.sink.records<VenueEventRecord>(RecordType::kVenueEvent);
    }
    [[nodiscard]] VenueVerdict last_verdict() const {
        const auto r = venue_records();
        return r.empty() ? VenueVerdict{} : static_cast<VenueVerdict>(r.back().verdict);
    }
};

struct CheckingSink final : Sink {
    explicit CheckingSink(std::span<const JournalEntry> expected) : check(expected) {}
    void report(std::uint16_t, const abi::IntentReport&) override {}
    void journal(RecordType type, std::span<const std::byte> payload) override { check.record(type, payload); }
    void equity(std::span<const EquityPoint>) override {}
    void venue(const venue::VenueCommand& c) override { commands.push_back(c); }
    ReplayOutputCheck check;
    std::vector<venue::VenueCommand> commands;
};

/// Replays `s`'s journal into a fresh engine: "" when it reproduces every record byte for byte,
/// the same venue commands and the same final state.
std::string replay(const Session& s) {
    const std::vector<JournalEntry> journal = entries(s.rig.sink);
    CheckingSink sink(journal);
    Engine engine(s.rig.config, s.rig.md, sink);
    VectorEvents market(s.events);
    ReplayPosition at;
    std::string error = replay_journal(engine, journal, market, at);
    if (!error.empty()) {
        return error;
    }
    if (!sink.check.ok()) {
        return sink.check.error();
    }
    if (sink.check.matched() != journal.size()) {
        return "matched " + std::to_string(sink.check.matched()) + " of " + std::to_string(journal.size());
    }
    if (engine.state_hash() != s.rig.engine->state_hash()) {
        return "state differs";
    }
    const auto& want = s.commands();
    if (sink.commands.size() != want.size() ||
        !std::equal(want.begin(), want.end(), sink.commands.begin(), [](const auto& a, const auto& b) {
            return std::memcmp(&a, &b, sizeof a) == 0;
        })) {
        return "venue commands differ";
    }
    return {};
}

std::size_t count_reports(const Rig& rig, std::uint16_t slot, std::uint64_t intent, ReportKind kind) {
    return rig.reports_of(slot, intent, kind).size();
}

}  // namespace

TEST(a_netted_parent_goes_to_the_venue_and_its_fills_are_allocated_pro_rata) {
    Session s;
    s.step({market(1, 1, 1, Side::BUY, Q(30)), market(2, 1, 1, Side::BUY, Q(10))});
    REQUIRE(s.commands().size() == 1u);
    const venue::VenueCommand c = s.commands()[0];
    CHECK(c.kind == Cmd::kNew);
    CHECK(c.side == Side::BUY);
    CHECK(c.type == abi::OrderType::MARKET);
    CHECK(c.tif == TimeInForce::DAY);
    CHECK_EQ(c.qty, Q(40));
    CHECK_EQ(c.instrument_id, 1u);
    CHECK_EQ(std::string(c.symbol), std::string("AAA"));
    CHECK_EQ(s.rig.sink.records<venue::VenueCommand>(RecordType::kVenueCommand).size(), 1u);
    // Market events never fill in venue mode.
    s.step();
    CHECK(s.rig.sink.records<FillRecord>(RecordType::kFill).empty());
    CHECK_EQ(s.rig.position(0, 1).working_qty, Q(30));

    const std::uint64_t parent = c.parent_id;
    s.send(event(Ev::kAccepted, parent));
    VenueView view = s.rig.engine->venue_view();
    REQUIRE(view.parents.size() == 1u);
    CHECK(view.parents[0].accepted);
    CHECK_EQ(view.parents[0].leaves, Q(40));

    s.send(fill(parent, Q(20), P(10000), Q(20), Q(20), "x1", M(100)));  // venue fee 1.00
    CHECK_EQ(s.rig.position(0, 1).qty, Q(15));
    CHECK_EQ(s.rig.position(1, 1).qty, Q(5));
    const auto allocs = s.rig.sink.records<AllocationRecord>(RecordType::kAllocation);
    REQUIRE(allocs.size() == 2u);
    CHECK_EQ(allocs[0].fee + allocs[1].fee, M(100));  // the venue's fee, split exactly
    CHECK_EQ(allocs[0].fee, M(75));
    const auto fills = s.rig.sink.records<FillRecord>(RecordType::kFill);
    REQUIRE(fills.size() == 1u);
    CHECK_EQ(fills[0].event_kind, 0u);
    CHECK_EQ(fills[0].event_index, 1u);  // the second venue event
    CHECK_EQ(fills[0].parent_remaining, Q(20));

    s.send(fill(parent, Q(20), P(10002), Q(40), 0, "x2"));
    CHECK_EQ(s.rig.position(0, 1).qty, Q(30));
    CHECK_EQ(s.rig.position(1, 1).qty, Q(10));
    CHECK_EQ(s.rig.position(0, 1).working_qty, 0);
    CHECK_EQ(s.rig.engine->fund_position(1), Q(40));
    CHECK_EQ(count_reports(s.rig, 0, 1, ReportKind::FILLED), 2u);
    CHECK_EQ(count_reports(s.rig, 1, 1, ReportKind::FILLED), 2u);
    view = s.rig.engine->venue_view();
    CHECK(view.parents.empty());
    REQUIRE(view.positions.size() == 2u);
    CHECK_EQ(view.positions[0].position, Q(40));
    CHECK_EQ(std::string(view.positions[0].symbol), std::string("AAA"));
    CHECK_EQ(view.positions[1].position, 0);
    CHECK_EQ(s.rig.engine->venue_counters().applied, 3u);
    CHECK(!s.rig.engine->venue_counters().anomalous());
    CHECK_EQ(replay(s), std::string());
}

TEST(internal_crosses_stay_internal_and_only_the_net_goes_out) {
    Session s;
    s.step({market(1, 1, 1, Side::BUY, Q(30)), market(2, 1, 1, Side::SELL, Q(10))});
    REQUIRE(s.commands().size() == 1u);
    CHECK_EQ(s.commands()[0].qty, Q(20));
    CHECK_EQ(s.rig.sink.records<CrossRecord>(RecordType::kCross).size(), 2u);
    CHECK_EQ(s.rig.position(1, 1).qty, -Q(10));
}

TEST(time_in_force_groups_are_separate_parents_in_venue_mode) {
    Session s;
    s.step({market(1, 1, 1, Side::BUY, Q(30), TimeInForce::GTC), market(2, 1, 1, Side::BUY, Q(10)),
            limit(2, 2, 2, Side::SELL, Q(5), P(5002), TimeInForce::IOC)});
    REQUIRE(s.commands().size() == 3u);
    CHECK(s.commands()[0].tif == TimeInForce::DAY);
    CHECK_EQ(s.commands()[0].qty, Q(10));
    CHECK(s.commands()[1].tif == TimeInForce::GTC);
    CHECK_EQ(s.commands()[1].qty, Q(30));
    CHECK(s.commands()[2].type == abi::OrderType::LIMIT);
    CHECK(s.commands()[2].tif == TimeInForce::IOC);
    CHECK_EQ(s.commands()[2].limit, P(5002));
    // The venue cancels an IOC's rest on its own: reason NONE, cause venue.
    s.send(fill(s.commands()[2].parent_id, Q(2), P(5002), Q(2), Q(3), "i1"));
    s.send(event(Ev::kCanceled, s.commands()[2].parent_id));
    const auto c = s.cancels();
    REQUIRE(c.size() == 1u);
    CHECK_EQ(c[0].canceled_qty, Q(3));
    CHECK_EQ(c[0].filled_qty, Q(2));
    CHECK_EQ(c[0].cause, static_cast<std::uint8_t>(CancelCause::kVenue));
    CHECK(s.rig.last_report(1, 2).kind == ReportKind::CANCELED);
    CHECK(s.rig.last_report(1, 2).reason == RejectReason::NONE);
}

TEST(canceling_one_agents_share_replaces_the_parent_and_a_late_fill_goes_to_the_kept_child_first) {
    Session s;
    s.step({market(1, 1, 1, Side::BUY, Q(30)), market(2, 1, 1, Side::BUY, Q(10))});
    const std::uint64_t parent = s.commands().at(0).parent_id;
    s.send(event(Ev::kAccepted, parent));
    s.step({cancel(2, 2, 1)});
    CHECK(s.rig.verdict(1, 2).kind == ReportKind::ACCEPTED);
    REQUIRE(s.commands().size() == 2u);
    CHECK(s.commands()[1].kind == Cmd::kReplace);
    CHECK_EQ(s.commands()[1].qty, Q(30));
    CHECK_EQ(s.commands()[1].parent_id, parent);
    // Not a fact yet: no CANCELED, the child still works and counts.
    CHECK(s.cancels().empty());
    CHECK_EQ(count_reports(s.rig, 1, 1, ReportKind::CANCELED), 0u);
    CHECK_EQ(s.rig.position(1, 1).working_qty, Q(10));
    CHECK(s.rig.engine->venue_view().parents.at(0).cancel_pending);

    // The fill raced the replace: the venue counts it against the new total of 30, so the kept
    // child takes it.
    s.send(fill(parent, Q(8), P(10000), Q(8), Q(22), "r1"));
    CHECK_EQ(s.rig.position(0, 1).qty, Q(8));
    CHECK_EQ(s.rig.position(1, 1).qty, 0);
    s.send(event(Ev::kReplaced, parent));  // leaves 0 in the event: compared below
    CHECK_EQ(s.rig.engine->venue_counters().leaves_mismatch, 1u);
    const auto c = s.cancels();
    REQUIRE(c.size() == 1u);
    CHECK_EQ(c[0].agent_id, 2u);
    CHECK_EQ(c[0].canceled_qty, Q(10));
    CHECK_EQ(c[0].cause, static_cast<std::uint8_t>(CancelCause::kAgent));
    CHECK(s.rig.last_report(1, 1).kind == ReportKind::CANCELED);
    CHECK(s.rig.last_report(1, 1).reason == RejectReason::NONE);
    CHECK_EQ(s.rig.position(1, 1).working_qty, 0);
    VenueView view = s.rig.engine->venue_view();
    REQUIRE(view.parents.size() == 1u);
    CHECK(!view.parents[0].cancel_pending);
    CHECK_EQ(view.parents[0].qty, Q(30));
    CHECK_EQ(view.parents[0].filled, Q(8));
    CHECK_EQ(view.parents[0].leaves, Q(22));
    s.send(fill(parent, Q(22), P(10001), Q(30), 0, "r2"));
    CHECK_EQ(s.rig.position(0, 1).qty, Q(30));
    CHECK(s.rig.engine->venue_view().parents.empty());
    CHECK_EQ(replay(s), std::string());
}

TEST(a_replace_with_matching_leaves_is_no_anomaly_and_a_second_cancel_waits_for_the_first) {
    Session s(venue_config(3));
    s.step({market(1, 1, 1, Side::BUY, Q(10)), market(2, 1, 1, Side::BUY, Q(10)), market(3, 1, 1, Side::BUY, Q(10))});
    const std::uint64_t parent = s.commands().at(0).parent_id;
    s.step({cancel(1, 2, 1)});
    s.step({cancel(2, 2, 1)});  // while the first replace is in flight: queued
    REQUIRE(s.commands().size() == 2u);
    venue::VenueEvent replaced = event(Ev::kReplaced, parent);
    replaced.leaves = Q(20);
    s.send(replaced);
    CHECK_EQ(s.rig.engine->venue_counters().leaves_mismatch, 0u);
    REQUIRE(s.commands().size() == 3u);  // the queued cancel goes out on the answer
    CHECK(s.commands()[2].kind == Cmd::kReplace);
    CHECK_EQ(s.commands()[2].qty, Q(10));
    replaced.leaves = Q(10);
    s.send(replaced);
    CHECK_EQ(s.cancels().size(), 2u);
    const VenueView view = s.rig.engine->venue_view();
    CHECK_EQ(view.parents.at(0).leaves, Q(10));
}

TEST(a_fill_beyond_what_a_replace_keeps_reaches_the_cancel_pending_child) {
    Session s;
    s.step({market(1, 1, 1, Side::BUY, Q(10)), market(2, 1, 1, Side::BUY, Q(10))});
    const std::uint64_t parent = s.commands().at(0).parent_id;
    s.step({cancel(2, 2, 1)});
    REQUIRE(s.commands().size() == 2u);
    CHECK_EQ(s.commands()[1].qty, Q(10));
    s.send(fill(parent, Q(15), P(10000), Q(15), Q(5), "b1"));
    CHECK_EQ(s.rig.position(0, 1).qty, Q(10));
    CHECK_EQ(s.rig.position(1, 1).qty, Q(5));
    // The venue cannot reduce the order below what it filled: the cancel is refused and the
    // rest of agent 2's child works again.
    s.send(event(Ev::kCancelRejected, parent));
    const VenueView view = s.rig.engine->venue_view();
    REQUIRE(view.parents.size() == 1u);
    CHECK(!view.parents[0].cancel_pending);
    CHECK_EQ(view.parents[0].leaves, Q(5));
    CHECK_EQ(view.parents[0].filled, Q(15));
    s.send(fill(parent, Q(5), P(10000), Q(20), 0, "b2"));
    CHECK_EQ(s.rig.position(1, 1).qty, Q(10));
    CHECK(s.cancels().empty());
    CHECK_EQ(replay(s), std::string());
}

TEST(a_loss_limit_halt_and_a_day_end_cancel_at_the_venue) {
    FundConfig config = venue_config();
    config.agents[0].limits.halt_loss = M(500);  // 5.00
    Session s(config);
    s.step({market(1, 1, 1, Side::BUY, Q(10))});
    s.send(fill(s.commands().at(0).parent_id, Q(10), P(10000), Q(10), 0, "h1"));
    s.step({market(1, 2, 1, Side::BUY, Q(5)), market(2, 1, 2, Side::BUY, Q(5))});
    REQUIRE(s.commands().size() == 3u);
    const std::uint64_t p2 = s.commands()[1].parent_id;
    const std::uint64_t p3 = s.commands()[2].parent_id;
    // The price falls 1.00: agent 1 loses 10.00 and is halted at the next step's start.
    s.t += kSec;
    s.market(quote(s.t, 1, P(9899), P(9901), Q(1000), Q(1000)));
    s.rig.begin(s.t);
    CHECK(s.rig.engine->agent_trading_state(0) == abi::TradingState::HALTED);
    REQUIRE(s.commands().size() == 4u);
    CHECK(s.commands()[3].kind == Cmd::kCancel);
    CHECK_EQ(s.commands()[3].parent_id, p2);
    s.rig.engine->end_step();
    s.send(event(Ev::kCanceled, p2));
    CHECK(s.rig.last_report(0, 2).kind == ReportKind::CANCELED);
    CHECK(s.rig.last_report(0, 2).reason == RejectReason::LOSS_LIMIT);
    // A new New York day: agent 2's DAY order is asked to be canceled by the first event of it.
    s.t += 24 * 3600 * kSec;
    s.market(quote(s.t, 2, P(4999), P(5001), Q(1000), Q(1000)));
    REQUIRE(s.commands().size() == 5u);
    CHECK(s.commands()[4].kind == Cmd::kCancel);
    CHECK_EQ(s.commands()[4].parent_id, p3);
    s.send(event(Ev::kCanceled, p3));
    const auto c = s.cancels();
    REQUIRE(c.size() == 2u);
    CHECK_EQ(c[1].cause, static_cast<std::uint8_t>(CancelCause::kDayEnd));
    CHECK(s.rig.last_report(1, 1).reason == RejectReason::NONE);
    CHECK_EQ(replay(s), std::string());
}

TEST(a_late_fill_between_cancel_and_confirmation_is_allocated_and_the_rest_canceled) {
    Session s;
    s.step({market(1, 1, 1, Side::BUY, Q(10))});
    const std::uint64_t parent = s.commands().at(0).parent_id;
    s.step({cancel(1, 2, 1)});
    REQUIRE(s.commands().size() == 2u);
    CHECK(s.commands()[1].kind == Cmd::kCancel);
    s.send(fill(parent, Q(4), P(10000), Q(4), Q(6), "l1"));
    CHECK_EQ(s.rig.position(0, 1).qty, Q(4));
    CHECK(s.rig.last_report(0, 1).kind == ReportKind::FILLED);
    CHECK_EQ(s.rig.last_report(0, 1).remaining_qty, Q(6));
    s.send(event(Ev::kCanceled, parent));
    const auto c = s.cancels();
    REQUIRE(c.size() == 1u);
    CHECK_EQ(c[0].canceled_qty, Q(6));
    CHECK_EQ(c[0].filled_qty, Q(4));
    CHECK(s.rig.last_report(0, 1).kind == ReportKind::CANCELED);
    CHECK_EQ(s.rig.position(0, 1).working_qty, 0);
    // A second confirmation names a finished parent: counted, nothing applied.
    const std::uint64_t hash = s.rig.engine->state_hash();
    s.send(event(Ev::kCanceled, parent));
    CHECK(s.last_verdict() == VenueVerdict::kFinished);
    CHECK_EQ(s.rig.engine->state_hash(), hash);
    CHECK_EQ(s.cancels().size(), 1u);
}

TEST(a_rejected_cancel_returns_the_children_to_working) {
    Session s;
    s.step({market(1, 1, 1, Side::BUY, Q(10))});
    const std::uint64_t parent = s.commands().at(0).parent_id;
    s.step({cancel(1, 2, 1)});
    s.send(event(Ev::kCancelRejected, parent));
    CHECK(s.cancels().empty());
    CHECK(!s.rig.engine->venue_view().parents.at(0).cancel_pending);
    CHECK_EQ(s.rig.position(0, 1).working_qty, Q(10));
    // It can be asked again, and fills as any working order.
    s.step({cancel(1, 3, 1)});
    REQUIRE(s.commands().size() == 3u);
    CHECK(s.commands()[2].kind == Cmd::kCancel);
    s.send(event(Ev::kCancelRejected, parent));
    s.send(fill(parent, Q(10), P(10000), Q(10), 0, "c1"));
    CHECK_EQ(s.rig.position(0, 1).qty, Q(10));
    CHECK_EQ(count_reports(s.rig, 0, 1, ReportKind::CANCELED), 0u);
    CHECK(s.rig.engine->venue_view().parents.empty());
}

TEST(a_venue_reject_cancels_every_child_with_venue_reject) {
    Session s;
    s.step({market(1, 1, 1, Side::BUY, Q(30)), market(2, 1, 1, Side::BUY, Q(10))});
    const std::uint64_t parent = s.commands().at(0).parent_id;
    venue::VenueEvent r = event(Ev::kRejected, parent);
    std::strncpy(r.text, "unknown symbol", sizeof r.text - 1);
    s.send(r);
    for (std::uint16_t slot : {0, 1}) {
        const abi::IntentReport rep = s.rig.last_report(slot, 1);
        CHECK(rep.kind == ReportKind::CANCELED);
        CHECK(rep.reason == RejectReason::VENUE_REJECT);
        CHECK_EQ(s.rig.position(slot, 1).working_qty, 0);
    }
    const auto c = s.cancels();
    REQUIRE(c.size() == 2u);
    CHECK_EQ(c[0].cause, static_cast<std::uint8_t>(CancelCause::kVenueReject));
    CHECK(s.rig.engine->venue_view().parents.empty());
    CHECK_EQ(s.rig.engine->fund_position(1), 0);
}

TEST(the_kill_switch_cancels_every_working_order_at_the_venue) {
    Session s;
    s.step({market(1, 1, 1, Side::BUY, Q(30)), market(2, 1, 1, Side::BUY, Q(10)),
            limit(2, 2, 2, Side::SELL, Q(5), P(5010), TimeInForce::GTC)});
    REQUIRE(s.commands().size() == 2u);
    const std::uint64_t p1 = s.commands()[0].parent_id;
    const std::uint64_t p2 = s.commands()[1].parent_id;
    s.send(event(Ev::kAccepted, p1));
    s.send(event(Ev::kAccepted, p2));
    s.send(fill(p1, Q(20), P(10000), Q(20), Q(20), "k1"));
    s.rig.engine->kill_switch(Scope::kFund, 0, true);
    REQUIRE(s.commands().size() == 4u);
    CHECK(s.commands()[2].kind == Cmd::kCancel);
    CHECK_EQ(s.commands()[2].parent_id, p1);
    CHECK(s.commands()[3].kind == Cmd::kCancel);
    CHECK_EQ(s.commands()[3].parent_id, p2);
    CHECK(s.cancels().empty());
    const VenueView view = s.rig.engine->venue_view();
    REQUIRE(view.parents.size() == 2u);
    CHECK(view.parents[0].cancel_pending && view.parents[1].cancel_pending);
    // While on, new risk is refused; the pending orders still count as working.
    s.step({market(1, 3, 1, Side::BUY, Q(1))});
    CHECK(s.rig.verdict(0, 3).reason == RejectReason::KILL_SWITCH);
    CHECK_EQ(s.rig.position(0, 1).working_qty, Q(15));
    s.send(event(Ev::kCanceled, p1));
    s.send(event(Ev::kCanceled, p2));
    const auto c = s.cancels();
    REQUIRE(c.size() == 3u);
    for (const CancelRecord& r : c) {
        CHECK_EQ(r.reason, static_cast<std::uint16_t>(RejectReason::KILL_SWITCH));
        CHECK_EQ(r.cause, static_cast<std::uint8_t>(CancelCause::kKillSwitch));
    }
    CHECK(s.rig.last_report(1, 2).reason == RejectReason::KILL_SWITCH);
    CHECK(s.rig.engine->venue_view().parents.empty());
    CHECK_EQ(s.rig.engine->fund_position(1), Q(20));
    CHECK_EQ(replay(s), std::string());
}

TEST(a_dead_agents_orders_are_canceled_at_the_venue_by_its_silent_policy) {
    FundConfig config = venue_config();
    config.agents[0].silent_policy = SilentPolicy::kCancelOrders;
    Session s(config);
    s.step({market(1, 1, 1, Side::BUY, Q(30)), market(2, 1, 1, Side::BUY, Q(10))});
    const std::uint64_t parent = s.commands().at(0).parent_id;
    s.t += kSec;
    s.rig.begin(s.t);
    s.rig.engine->silent(0, "dead");
    s.rig.engine->end_step();
    REQUIRE(s.commands().size() == 2u);
    CHECK(s.commands()[1].kind == Cmd::kReplace);
    CHECK_EQ(s.commands()[1].qty, Q(10));
    // Silent again before the venue answered: already asked, nothing new goes out.
    s.t += kSec;
    s.rig.begin(s.t);
    s.rig.engine->silent(0, "dead");
    s.rig.engine->end_step();
    CHECK_EQ(s.commands().size(), 2u);
    venue::VenueEvent replaced = event(Ev::kReplaced, parent);
    replaced.leaves = Q(10);
    s.send(replaced);
    CHECK(s.rig.last_report(0, 1).kind == ReportKind::CANCELED);
    CHECK(s.rig.last_report(0, 1).reason == RejectReason::AGENT_SILENT);
    CHECK_EQ(s.rig.position(1, 1).working_qty, Q(10));
    CHECK_EQ(s.rig.engine->venue_counters().leaves_mismatch, 0u);
    CHECK_EQ(replay(s), std::string());
}

TEST(flatten_and_shutdown_ask_the_venue_and_confirmations_after_finish_still_apply) {
    Session s;
    s.step({market(1, 1, 1, Side::BUY, Q(10))});
    const std::uint64_t p1 = s.commands().at(0).parent_id;
    s.send(fill(p1, Q(10), P(10000), Q(10), 0, "f1"));
    s.step({market(1, 2, 1, Side::BUY, Q(5)), market(2, 1, 2, Side::BUY, Q(5))});
    REQUIRE(s.commands().size() == 3u);
    const std::uint64_t p2 = s.commands()[1].parent_id;
    const std::uint64_t p3 = s.commands()[2].parent_id;
    s.step({flatten(1, 3, 1)});  // cancels the working 5 (a request) and sells the 10 held
    REQUIRE(s.commands().size() == 5u);
    CHECK(s.commands()[3].kind == Cmd::kCancel);
    CHECK_EQ(s.commands()[3].parent_id, p2);
    CHECK(s.commands()[4].kind == Cmd::kNew);
    CHECK(s.commands()[4].side == Side::SELL);
    CHECK_EQ(s.commands()[4].qty, Q(10));
    s.send(event(Ev::kCanceled, p2));
    CHECK(s.rig.last_report(0, 2).kind == ReportKind::CANCELED);
    s.rig.engine->finish("end");
    REQUIRE(s.commands().size() == 7u);
    CHECK(s.commands()[5].kind == Cmd::kCancel);
    CHECK_EQ(s.commands()[5].parent_id, p3);
    CHECK(s.commands()[6].kind == Cmd::kCancel);
    const std::uint64_t p4 = s.commands()[6].parent_id;
    s.send(fill(p4, Q(4), P(10000), Q(4), Q(6), "f2"));  // late, after finish
    s.send(event(Ev::kCanceled, p4));
    s.send(event(Ev::kCanceled, p3));
    CHECK(s.rig.last_report(1, 1).reason == RejectReason::SHUTDOWN);
    CHECK(s.rig.last_report(0, 3).reason == RejectReason::SHUTDOWN);
    CHECK_EQ(s.rig.engine->fund_position(1), Q(6));
    CHECK(s.rig.engine->venue_view().parents.empty());
    CHECK_EQ(replay(s), std::string());
}

TEST(unknown_duplicate_invalid_and_excess_events_are_journaled_counted_and_never_applied_twice) {
    Session s;
    s.step({market(1, 1, 1, Side::BUY, Q(30)), market(2, 1, 1, Side::BUY, Q(10))});
    const std::uint64_t parent = s.commands().at(0).parent_id;
    std::uint64_t hash = s.rig.engine->state_hash();
    s.send(fill(99, Q(5), P(10000), Q(5), 0, "u1"));
    CHECK(s.last_verdict() == VenueVerdict::kUnknown);
    s.send(event(Ev::kCanceled, 0));
    CHECK(s.last_verdict() == VenueVerdict::kUnknown);
    CHECK_EQ(s.rig.engine->state_hash(), hash);

    s.send(fill(parent, Q(8), P(10000), Q(8), Q(32), "d1"));
    hash = s.rig.engine->state_hash();
    s.send(fill(parent, Q(8), P(10000), Q(8), Q(32), "d1"));  // a resend: same exec id
    CHECK(s.last_verdict() == VenueVerdict::kDuplicate);
    s.send(fill(parent, Q(8), P(10000), Q(8), Q(32), "d1-copy"));  // cum not beyond
    CHECK(s.last_verdict() == VenueVerdict::kDuplicate);
    s.send(fill(parent, 0, P(10000), Q(8), Q(32), "z"));
    CHECK(s.last_verdict() == VenueVerdict::kInvalid);
    s.send(fill(parent, Q(1), 0, Q(9), Q(31), "z2"));
    CHECK(s.last_verdict() == VenueVerdict::kInvalid);
    CHECK_EQ(s.rig.engine->state_hash(), hash);
    CHECK_EQ(s.rig.engine->venue_counters().duplicates, 2u);
    CHECK_EQ(s.rig.engine->venue_counters().invalid, 2u);
    CHECK(!s.rig.engine->venue_counters().anomalous());

    // 32 working, 35 filled: the fund takes all 35, the 3 beyond go to the excess row.
    s.send(fill(parent, Q(35), P(10000), Q(43), 0, "o1"));
    CHECK(s.last_verdict() == VenueVerdict::kExcess);
    CHECK_EQ(s.rig.engine->fund_position(1), Q(43));
    CHECK_EQ(s.rig.position(0, 1).qty + s.rig.position(1, 1).qty, Q(40));
    const auto allocs = s.rig.sink.records<AllocationRecord>(RecordType::kAllocation);
    REQUIRE(!allocs.empty());
    CHECK_EQ(allocs.back().agent_id, 0u);
    CHECK_EQ(allocs.back().order_id, 0u);
    CHECK_EQ(allocs.back().qty, Q(3));
    // A fill on the finished parent happened at the venue too.
    s.send(fill(parent, Q(2), P(10000), Q(45), 0, "o2"));
    CHECK(s.last_verdict() == VenueVerdict::kExcess);
    CHECK_EQ(s.rig.engine->fund_position(1), Q(45));
    const VenueView view = s.rig.engine->venue_view();
    CHECK_EQ(view.positions.at(0).excess, Q(5));
    CHECK_EQ(view.positions.at(0).position, Q(45));
    CHECK_EQ(s.rig.engine->venue_counters().excess_fills, 2u);
    CHECK(s.rig.engine->venue_counters().anomalous());
    // The excess is the fund's: NAV counts it (bought at 100.00, marked at the 100.00 mid).
    s.step();
    const abi::FundState state = s.rig.state();
    CHECK_EQ(state.nav, M(100'000'000));
    CHECK_EQ(state.cash, M(100'000'000) - M(450'000));
    CHECK_EQ(state.gross_exposure, M(450'000));
    CHECK_EQ(s.rig.engine->venue_counters().events, 9u);
    // Every one of them is in the journal, and the dump reads them.
    const auto records = s.venue_records();
    CHECK_EQ(records.size(), 9u);
    for (const auto& j : s.rig.sink.journals) {
        if (j.type == RecordType::kVenueEvent || j.type == RecordType::kVenueCommand) {
            const std::string line = describe_record(j.type, j.payload);
            CHECK(line.rfind(j.type == RecordType::kVenueEvent ? "venue_event " : "venue_command ", 0) == 0);
            CHECK(line.find("bad payload") == std::string::npos);
        }
    }
    CHECK(describe_record(RecordType::kVenueEvent, record_bytes(records[0])).find("verdict=unknown") !=
          std::string::npos);
    CHECK_EQ(replay(s), std::string());
}

TEST(a_production_mode_journal_replays_without_the_venue) {
    Session s(venue_config(2, abi::Mode::PRODUCTION));
    s.step({market(1, 1, 1, Side::BUY, Q(30)), market(2, 1, 1, Side::BUY, Q(10))});
    const std::uint64_t parent = s.commands().at(0).parent_id;
    s.send(event(Ev::kAccepted, parent));
    s.send(fill(parent, Q(10), P(10000), Q(10), Q(30), "p1", M(40)));
    s.step({cancel(2, 2, 1)});
    s.send(fill(parent, Q(10), P(10001), Q(20), Q(20), "p2"));
    venue::VenueEvent replaced = event(Ev::kReplaced, parent);
    replaced.leaves = Q(10);
    s.send(replaced);
    s.rig.engine->kill_switch(Scope::kFund, 0, true);
    s.step();
    s.send(event(Ev::kCanceled, parent));
    s.rig.engine->finish("end");
    CHECK(!s.rig.sink.records<MarketEventRecord>(RecordType::kMarketEvent).empty());
    CHECK_EQ(replay(s), std::string());
    // A journal whose venue events were tampered with does not replay.
    RecordingSink doctored = s.rig.sink;
    for (auto& j : doctored.journals) {
        if (j.type == RecordType::kVenueEvent) {
            VenueEventRecord r{};
            std::memcpy(static_cast<void*>(&r), j.payload.data(), sizeof r);
            if (r.event.kind == Ev::kFill) {
                r.event.qty += Q(1);
                std::memcpy(j.payload.data(), &r, sizeof r);
                break;
            }
        }
    }
    const std::vector<JournalEntry> journal = entries(doctored);
    CheckingSink sink(journal);
    Engine engine(s.rig.config, s.rig.md, sink);
    VectorEvents market(s.events);
    ReplayPosition at;
    const std::string error = replay_journal(engine, journal, market, at);
    CHECK(!error.empty() || !sink.check.ok());
}

TEST(a_venue_journal_does_not_replay_under_a_simulated_configuration) {
    Session s;
    s.step({market(1, 1, 1, Side::BUY, Q(10))});
    const std::vector<JournalEntry> journal = entries(s.rig.sink);
    FundConfig simulated = s.rig.config;
    simulated.execution.fill_model = FillModel::kSimulated;
    CheckingSink sink(journal);
    Engine engine(simulated, s.rig.md, sink);
    CHECK(sink.check.error().find("different configuration") != std::string::npos);
}

TEST(simulation_mode_never_talks_to_a_venue) {
    Rig rig(default_config());
    rig.market(quote(kT0, 1, P(9999), P(10001), Q(1000), Q(1000)));
    rig.step(kT0, {market(1, 1, 1, Side::BUY, Q(10))});
    rig.market(quote(kT0 + kSec, 1, P(9999), P(10001), Q(1000), Q(1000)));
    CHECK_EQ(rig.position(0, 1).qty, Q(10));
    CHECK(rig.sink.venue_commands.empty());
    const std::uint64_t hash = rig.engine->state_hash();
    rig.engine->venue_event(fill(1, Q(5), P(10000), Q(5), 0, "s1"));
    CHECK_EQ(rig.engine->state_hash(), hash);
    CHECK_EQ(rig.engine->venue_counters().unknown, 1u);
}

FUNDOS_TEST_MAIN
