// Risk checks, each firing on its own (one test per reason), the definition of risk-reducing,
// later intents seeing earlier accepted ones, trading states (loss limits, kill switch), silent
// policies, and the semantics of TARGET_POSITION / CANCEL / FLATTEN.
#include <cstring>
#include <cstdint>
#include <vector>

#include "check.hpp"
#include "fundos/engine/journal_records.hpp"
#include "fundos/engine/testing.hpp"

using namespace fundos;
using namespace fundos::engine;
using namespace fundos::engine::testing;
using abi::RejectReason;
using abi::ReportKind;
using abi::Side;
using abi::TimeInForce;

namespace {

/// A rig whose AAA has a quote 9.99 / 10.01 (reference 10.00).
Rig primed(FundConfig c = default_config(2)) {
    Rig r(std::move(c));
    r.market(quote(kT0, 1, P(999), P(1001), Q(10'000), Q(10'000)));
    return r;
}

RejectReason reason(const Rig& r, std::uint16_t slot, std::uint64_t id) { return r.verdict(slot, id).reason; }
bool accepted(const Rig& r, std::uint16_t slot, std::uint64_t id) {
    return r.verdict(slot, id).kind == ReportKind::ACCEPTED;
}

/// Fill everything working in AAA against a deep quote.
void fill_all(Rig& r, abi::Timestamp t) { r.market(quote(t, 1, P(999), P(1001), Q(100'000), Q(100'000))); }

}  // namespace

TEST(bad_agent_id) {
    Rig r = primed();
    r.begin(kT0);
    r.engine->submit(0, market(2, 1, 1, Side::BUY, Q(1)));
    r.engine->end_step();
    CHECK(reason(r, 0, 1) == RejectReason::BAD_AGENT_ID);
    CHECK_EQ(r.engine->rejects(0, RejectReason::BAD_AGENT_ID), 1u);
}

TEST(duplicate) {
    Rig r = primed();
    r.begin(kT0);
    r.engine->submit(0, market(1, 5, 1, Side::BUY, Q(1)));
    r.engine->submit(0, market(1, 5, 1, Side::BUY, Q(1)));
    r.engine->end_step();
    const auto reports = r.sink.for_slot(0);
    REQUIRE(reports.size() == 2);
    CHECK(reports[0].kind == ReportKind::ACCEPTED);
    CHECK(reports[1].kind == ReportKind::REJECTED);
    CHECK(reports[1].reason == RejectReason::DUPLICATE);
    r.step(kT0 + 1, {market(1, 4, 1, Side::BUY, Q(1))});
    CHECK(reason(r, 0, 4) == RejectReason::DUPLICATE);
    CHECK_EQ(r.engine->rejects(0, RejectReason::DUPLICATE), 2u);
    CHECK_EQ(r.book(0).account.intents_rejected, 2u);
    CHECK_EQ(r.book(0).account.last_intent_id, 5u);
}

TEST(unknown_instrument) {
    Rig r = primed();
    r.step(kT0, {market(1, 1, 99, Side::BUY, Q(1))});
    CHECK(reason(r, 0, 1) == RejectReason::UNKNOWN_INSTRUMENT);
}

TEST(instrument_not_mapped) {
    FundConfig c = default_config(2);
    c.agents[0].instruments = {1};
    Rig r = primed(c);
    r.step(kT0, {market(1, 1, 2, Side::BUY, Q(1))});
    CHECK(reason(r, 0, 1) == RejectReason::INSTRUMENT_NOT_MAPPED);
    CHECK_EQ(r.book(0).position_count, 1);
}

TEST(trading_halted_when_not_in_market_data) {
    FundConfig c = default_config(2);
    InstrumentConfig z;
    z.id = 3;
    z.symbol = "ZZZ";
    c.instruments.push_back(z);
    c.agents[0].instruments.push_back(3);
    Rig r = primed(c);
    r.step(kT0, {market(1, 1, 3, Side::BUY, Q(1))});
    CHECK(reason(r, 0, 1) == RejectReason::TRADING_HALTED);
    CHECK(r.state().instruments[2].status == abi::InstrumentStatus::HALTED);
}

TEST(bad_quantity_and_bad_price) {
    FundConfig c = default_config(2);
    c.instruments[0].lot_size = Q(100);  // overrides the market data's lot
    Rig r = primed(c);
    r.step(kT0, {market(1, 1, 1, Side::BUY, Q(150)), limit(1, 2, 1, Side::BUY, Q(100), P(1000) + 1),
                 market(1, 3, 1, Side::BUY, Q(200))});
    CHECK(reason(r, 0, 1) == RejectReason::BAD_QUANTITY);
    CHECK(reason(r, 0, 2) == RejectReason::BAD_PRICE);
    CHECK(accepted(r, 0, 3));
    CHECK_EQ(r.state().instruments[0].lot_size, Q(100));
}

TEST(rate_limit_sliding_window_of_simulated_time) {
    FundConfig c = default_config(2);
    c.agents[0].limits.max_intents_per_window = 2;
    c.agents[0].limits.rate_window_ns = kSec;
    Rig r = primed(c);
    r.step(kT0, {limit(1, 1, 1, Side::BUY, Q(1), P(900)), limit(1, 2, 1, Side::BUY, Q(1), P(900)),
                 limit(1, 3, 1, Side::BUY, Q(1), P(900)), limit(2, 1, 1, Side::BUY, Q(1), P(900))});
    CHECK(accepted(r, 0, 1));
    CHECK(accepted(r, 0, 2));
    CHECK(reason(r, 0, 3) == RejectReason::RATE_LIMIT);
    CHECK(accepted(r, 1, 1));  // another agent's window
    r.step(kT0 + kSec - 1, {limit(1, 4, 1, Side::BUY, Q(1), P(900))});
    CHECK(reason(r, 0, 4) == RejectReason::RATE_LIMIT);
    r.step(kT0 + kSec, {limit(1, 5, 1, Side::BUY, Q(1), P(900)), limit(1, 6, 1, Side::BUY, Q(1), P(900)),
                        limit(1, 7, 1, Side::BUY, Q(1), P(900))});
    CHECK(accepted(r, 0, 5));
    CHECK(accepted(r, 0, 6));
    CHECK(reason(r, 0, 7) == RejectReason::RATE_LIMIT);
}

TEST(rate_limit_fund_scope) {
    FundConfig c = default_config(2);
    c.limits.max_intents_per_window = 1;
    Rig r = primed(c);
    r.step(kT0, {limit(1, 1, 1, Side::BUY, Q(1), P(900)), limit(2, 1, 1, Side::BUY, Q(1), P(900))});
    CHECK(accepted(r, 0, 1));
    CHECK(reason(r, 1, 1) == RejectReason::RATE_LIMIT);
}

TEST(unknown_order_and_cancel) {
    Rig r = primed();
    r.step(kT0, {limit(1, 1, 1, Side::BUY, Q(10), P(900), TimeInForce::GTC), cancel(1, 2, 77)});
    CHECK(reason(r, 0, 2) == RejectReason::UNKNOWN_ORDER);
    CHECK_EQ(r.position(0, 1).working_qty, Q(10));
    r.step(kT0 + 1, {cancel(1, 3, 1), cancel(2, 1, 1)});  // agent 2 cannot cancel agent 1's order
    CHECK(accepted(r, 0, 3));
    CHECK(reason(r, 1, 1) == RejectReason::UNKNOWN_ORDER);
    const auto c = r.reports_of(0, 1, ReportKind::CANCELED);
    REQUIRE(c.size() == 1);
    CHECK(c[0].reason == RejectReason::NONE);
    CHECK_EQ(c[0].remaining_qty, 0);
    CHECK_EQ(r.position(0, 1).working_qty, 0);
    // canceling it again: no longer working
    r.step(kT0 + 2, {cancel(1, 4, 1)});
    CHECK(reason(r, 0, 4) == RejectReason::UNKNOWN_ORDER);
}

TEST(cancel_within_the_same_step_before_netting) {
    Rig r = primed();
    r.step(kT0, {market(1, 1, 1, Side::BUY, Q(10)), cancel(1, 2, 1), market(2, 1, 1, Side::SELL, Q(10))});
    CHECK(accepted(r, 0, 2));
    CHECK(r.sink.records<CrossRecord>(RecordType::kCross).empty());
    const auto orders = r.sink.records<OrderRecord>(RecordType::kOrder);
    REQUIRE(orders.size() == 1);
    CHECK_EQ(orders[0].agent_id, 2u);
}

TEST(kill_switch_agent_scope) {
    Rig r = primed();
    r.step(kT0, {market(1, 1, 1, Side::BUY, Q(50))});
    fill_all(r, kT0 + 1);
    r.step(kT0 + 2, {limit(1, 2, 1, Side::BUY, Q(5), P(900), TimeInForce::GTC)});
    r.engine->kill_switch(Scope::kAgent, 1, true);
    const auto c = r.reports_of(0, 2, ReportKind::CANCELED);
    REQUIRE(c.size() == 1);
    CHECK(c[0].reason == RejectReason::KILL_SWITCH);
    CHECK(r.engine->agent_trading_state(0) == abi::TradingState::HALTED);
    CHECK(r.engine->agent_trading_state(1) == abi::TradingState::ACTIVE);
    r.step(kT0 + 3, {market(1, 3, 1, Side::BUY, Q(1)), market(1, 4, 1, Side::SELL, Q(20)),
                     market(1, 5, 1, Side::SELL, Q(31)), market(2, 1, 1, Side::BUY, Q(1))});
    CHECK(reason(r, 0, 3) == RejectReason::KILL_SWITCH);
    CHECK(accepted(r, 0, 4));                               // reduces 50 -> 30 (incl. working)
    CHECK(reason(r, 0, 5) == RejectReason::KILL_SWITCH);  // would flip 30 -> -1
    CHECK(accepted(r, 1, 1));
    r.engine->kill_switch(Scope::kAgent, 1, false);
    CHECK(r.engine->agent_trading_state(0) == abi::TradingState::ACTIVE);
    r.step(kT0 + 4, {market(1, 6, 1, Side::BUY, Q(1))});
    CHECK(accepted(r, 0, 6));
    const auto ks = r.sink.records<KillSwitchRecord>(RecordType::kKillSwitch);
    REQUIRE(ks.size() == 2);
    CHECK_EQ(ks[0].on, 1);
    CHECK_EQ(ks[1].on, 0);
    CHECK_EQ(r.sink.records<TradingStateRecord>(RecordType::kTradingState).size(), 2u);
}

TEST(kill_switch_fund_and_instrument_scope) {
    Rig r = primed();
    r.market(quote(kT0, 2, P(499), P(501), Q(1000), Q(1000)));
    r.step(kT0, {limit(1, 1, 1, Side::BUY, Q(5), P(900), TimeInForce::GTC),
                 limit(2, 1, 2, Side::BUY, Q(5), P(400), TimeInForce::GTC)});
    r.engine->kill_switch(Scope::kInstrument, 1, true);
    CHECK(r.reports_of(0, 1, ReportKind::CANCELED).size() == 1);
    CHECK(r.reports_of(1, 1, ReportKind::CANCELED).empty());
    r.begin(kT0 + 1);
    CHECK(r.state().instruments[0].trading_state == abi::TradingState::HALTED);
    CHECK(r.state().instruments[1].trading_state == abi::TradingState::ACTIVE);
    r.engine->submit(0, market(1, 2, 1, Side::BUY, Q(1)));
    r.engine->submit(0, market(1, 3, 2, Side::BUY, Q(1)));
    r.engine->end_step();
    CHECK(reason(r, 0, 2) == RejectReason::KILL_SWITCH);
    CHECK(accepted(r, 0, 3));
    r.engine->kill_switch(Scope::kFund, 0, true);
    CHECK(r.reports_of(1, 1, ReportKind::CANCELED).size() == 1);
    r.begin(kT0 + 2);
    CHECK(r.state().trading_state == abi::TradingState::HALTED);
    r.engine->submit(1, market(2, 2, 2, Side::BUY, Q(1)));
    r.engine->submit(1, flatten(2, 3, 2));
    r.engine->end_step();
    CHECK(reason(r, 1, 2) == RejectReason::KILL_SWITCH);
    CHECK(accepted(r, 1, 3));
}

TEST(loss_limit_reducing_then_halted) {
    FundConfig c = default_config(2);
    c.agents[0].limits.reducing_loss = M(100);  // 1.00
    c.agents[0].limits.halt_loss = M(500);      // 5.00
    Rig r = primed(c);
    r.step(kT0, {market(1, 1, 1, Side::BUY, Q(100))});
    fill_all(r, kT0 + 1);  // bought at 10.01, marked at 10.00: loss 1.00
    r.begin(kT0 + 2);
    CHECK(r.engine->agent_trading_state(0) == abi::TradingState::REDUCING);
    r.engine->submit(0, market(1, 2, 1, Side::BUY, Q(1)));
    r.engine->submit(0, limit(1, 3, 1, Side::SELL, Q(10), P(1100), TimeInForce::GTC));
    r.engine->end_step();
    CHECK(reason(r, 0, 2) == RejectReason::LOSS_LIMIT);
    CHECK(accepted(r, 0, 3));
    auto states = r.sink.records<TradingStateRecord>(RecordType::kTradingState);
    REQUIRE(states.size() == 1);
    CHECK_EQ(states[0].to, static_cast<std::uint8_t>(abi::TradingState::REDUCING));
    CHECK_EQ(states[0].loss, M(100));
    r.market(quote(kT0 + 3, 1, P(994), P(996), Q(10), Q(10)));  // mid 9.95: loss 6.00
    r.step(kT0 + 4);
    CHECK(r.engine->agent_trading_state(0) == abi::TradingState::HALTED);
    const auto canceled = r.reports_of(0, 3, ReportKind::CANCELED);
    REQUIRE(canceled.size() == 1);
    CHECK(canceled[0].reason == RejectReason::LOSS_LIMIT);
    states = r.sink.records<TradingStateRecord>(RecordType::kTradingState);
    REQUIRE(states.size() == 2);
    CHECK_EQ(states[1].to, static_cast<std::uint8_t>(abi::TradingState::HALTED));
    // sticky, and risk-reducing orders still go
    r.market(quote(kT0 + 5, 1, P(1099), P(1101), Q(10), Q(10)));
    r.step(kT0 + 6, {market(1, 4, 1, Side::BUY, Q(1)), market(1, 5, 1, Side::SELL, Q(100))});
    CHECK(r.engine->agent_trading_state(0) == abi::TradingState::HALTED);
    CHECK(reason(r, 0, 4) == RejectReason::LOSS_LIMIT);
    CHECK(accepted(r, 0, 5));
    CHECK(r.engine->agent_trading_state(1) == abi::TradingState::ACTIVE);
}

TEST(loss_limit_fund_scope) {
    FundConfig c = default_config(2);
    c.limits.reducing_loss = M(100);
    Rig r = primed(c);
    r.step(kT0, {market(1, 1, 1, Side::BUY, Q(100))});
    fill_all(r, kT0 + 1);
    r.step(kT0 + 2, {market(2, 1, 1, Side::BUY, Q(1))});
    CHECK(reason(r, 1, 1) == RejectReason::LOSS_LIMIT);
    CHECK(r.state().trading_state == abi::TradingState::REDUCING);
    CHECK(r.engine->agent_trading_state(1) == abi::TradingState::REDUCING);
}

TEST(stale_market_data) {
    FundConfig c = default_config(2);
    c.simulation.stale_after_ns = 5 * kSec;
    Rig r = primed(c);
    r.step(kT0 + 5 * kSec, {market(1, 1, 1, Side::BUY, Q(1))});
    CHECK(accepted(r, 0, 1));
    r.begin(kT0 + 5 * kSec + 1);
    CHECK(r.state().instruments[0].status == abi::InstrumentStatus::STALE);
    CHECK(r.state().instruments[1].status == abi::InstrumentStatus::STALE);  // never had data
    r.engine->submit(0, market(1, 2, 1, Side::BUY, Q(1)));
    r.engine->submit(0, cancel(1, 3, 1));
    r.engine->end_step();
    CHECK(reason(r, 0, 2) == RejectReason::STALE_MARKET_DATA);
    CHECK(accepted(r, 0, 3));  // cancels are not guarded
    // no reference price at all (guard off): also STALE_MARKET_DATA
    Rig plain = primed();
    plain.step(kT0, {market(1, 1, 2, Side::BUY, Q(1))});
    CHECK(reason(plain, 0, 1) == RejectReason::STALE_MARKET_DATA);
}

TEST(restricted_only_risk_reducing) {
    FundConfig c = default_config(2);
    c.instruments[0].restricted = true;
    Rig r = primed(c);
    r.step(kT0, {market(1, 1, 1, Side::BUY, Q(1)), target(1, 2, 1, 0), flatten(1, 3, 1), target(1, 4, 1, -Q(1))});
    CHECK(reason(r, 0, 1) == RejectReason::RESTRICTED);
    CHECK(accepted(r, 0, 2));  // nothing to do
    CHECK(accepted(r, 0, 3));
    CHECK(reason(r, 0, 4) == RejectReason::RESTRICTED);
}

TEST(max_order_size_qty_and_notional) {
    FundConfig c = default_config(2);
    c.agents[0].limits.max_order_qty = Q(50);
    c.instruments[0].limits.max_order_notional = M(100'000);  // 1000.00 at reference 10.00 = 100 units
    Rig r = primed(c);
    r.step(kT0, {market(1, 1, 1, Side::BUY, Q(51)), market(1, 2, 1, Side::BUY, Q(50)), market(2, 1, 1, Side::BUY, Q(101)),
                 market(2, 2, 1, Side::BUY, Q(100))});
    CHECK(reason(r, 0, 1) == RejectReason::MAX_ORDER_SIZE);
    CHECK(accepted(r, 0, 2));
    CHECK(reason(r, 1, 1) == RejectReason::MAX_ORDER_SIZE);
    CHECK(accepted(r, 1, 2));
}

TEST(price_collar) {
    FundConfig c = default_config(2);
    c.instruments[0].price_collar_bps = 100;  // 1 %
    Rig r = primed(c);
    r.step(kT0, {limit(1, 1, 1, Side::BUY, Q(1), P(1011)), limit(1, 2, 1, Side::BUY, Q(1), P(1010)),
                 limit(1, 3, 1, Side::SELL, Q(1), P(989)), limit(1, 4, 1, Side::SELL, Q(1), P(990)),
                 market(1, 5, 1, Side::BUY, Q(1))});
    CHECK(reason(r, 0, 1) == RejectReason::PRICE_COLLAR);
    CHECK(accepted(r, 0, 2));
    CHECK(reason(r, 0, 3) == RejectReason::PRICE_COLLAR);
    CHECK(accepted(r, 0, 4));
    CHECK(accepted(r, 0, 5));
}

TEST(position_limit_agent_and_later_intents_see_earlier) {
    FundConfig c = default_config(2);
    c.agents[0].limits.max_position = Q(100);
    Rig r = primed(c);
    r.step(kT0, {market(1, 1, 1, Side::BUY, Q(60)), market(1, 2, 1, Side::BUY, Q(50)), market(1, 3, 1, Side::BUY, Q(40)),
                 target(1, 4, 1, Q(101)), target(1, 5, 1, -Q(100))});
    CHECK(accepted(r, 0, 1));
    CHECK(reason(r, 0, 2) == RejectReason::POSITION_LIMIT);  // 60 working + 50
    CHECK(accepted(r, 0, 3));                                 // 100
    CHECK(reason(r, 0, 4) == RejectReason::POSITION_LIMIT);
    CHECK(accepted(r, 0, 5));                                 // sell 200: |-100| within
}

TEST(position_limit_instrument_and_fund) {
    FundConfig c = default_config(3);
    c.instruments[0].limits.max_position = Q(100);
    c.limits.max_position = Q(50);
    Rig r = primed(c);
    r.market(quote(kT0, 2, P(499), P(501), Q(1000), Q(1000)));
    r.step(kT0, {market(1, 1, 1, Side::BUY, Q(40)), market(2, 1, 1, Side::BUY, Q(10)), market(3, 1, 1, Side::BUY, Q(1)),
                 market(1, 2, 2, Side::BUY, Q(50)), market(2, 2, 2, Side::SELL, Q(20)), market(3, 2, 2, Side::BUY, Q(21))});
    CHECK(accepted(r, 0, 1));
    CHECK(accepted(r, 1, 1));
    CHECK(reason(r, 2, 1) == RejectReason::POSITION_LIMIT);  // fund limit 50 in AAA
    CHECK(accepted(r, 0, 2));
    CHECK(accepted(r, 1, 2));                                 // fund 50 -> 30
    CHECK(reason(r, 2, 2) == RejectReason::POSITION_LIMIT);  // 30 + 21 > 50
    FundConfig c2 = default_config(2);
    c2.instruments[0].limits.max_position = Q(100);
    Rig r2 = primed(c2);
    r2.step(kT0, {market(1, 1, 1, Side::BUY, Q(70)), market(2, 1, 1, Side::BUY, Q(31)), market(2, 2, 1, Side::BUY, Q(30))});
    CHECK(accepted(r2, 0, 1));
    CHECK(reason(r2, 1, 1) == RejectReason::POSITION_LIMIT);
    CHECK(accepted(r2, 1, 2));
}

TEST(exposure_limit_gross_and_net) {
    FundConfig c = default_config(2);
    c.agents[0].limits.max_gross_exposure = M(100'000);  // 1000.00
    c.limits.max_net_exposure = M(150'000);             // 1500.00
    Rig r = primed(c);
    r.market(quote(kT0, 2, P(499), P(501), Q(1000), Q(1000)));  // BBB at 5.00
    r.step(kT0, {market(1, 1, 1, Side::BUY, Q(60)), market(1, 2, 2, Side::SELL, Q(80)), market(1, 3, 2, Side::SELL, Q(1)),
                 market(2, 1, 1, Side::BUY, Q(91)), market(2, 2, 1, Side::BUY, Q(90))});
    CHECK(accepted(r, 0, 1));                                 // gross 600
    CHECK(accepted(r, 0, 2));                                 // gross 600 + 400 = 1000
    CHECK(reason(r, 0, 3) == RejectReason::EXPOSURE_LIMIT);  // 1005
    // fund net: 600 - 400 = 200; + 910 = 1110 ok ... + 900 = 2010 > 1500
    CHECK(accepted(r, 1, 1));
    CHECK(reason(r, 1, 2) == RejectReason::EXPOSURE_LIMIT);
}

TEST(open_order_limit) {
    FundConfig c = default_config(2);
    c.agents[0].limits.max_open_orders = 2;
    Rig r = primed(c);
    r.step(kT0, {limit(1, 1, 1, Side::BUY, Q(1), P(900)), limit(1, 2, 1, Side::BUY, Q(1), P(900)),
                 limit(1, 3, 1, Side::BUY, Q(1), P(900)), cancel(1, 4, 1), limit(1, 5, 1, Side::BUY, Q(1), P(900))});
    CHECK(accepted(r, 0, 1));
    CHECK(accepted(r, 0, 2));
    CHECK(reason(r, 0, 3) == RejectReason::OPEN_ORDER_LIMIT);
    CHECK(accepted(r, 0, 5));
}

TEST(target_position_counts_working_quantity) {
    Rig r = primed();
    r.step(kT0, {limit(1, 1, 1, Side::BUY, Q(30), P(900), TimeInForce::GTC), target(1, 2, 1, Q(100))});
    const abi::IntentReport v = r.verdict(0, 2);
    CHECK(v.kind == ReportKind::ACCEPTED);
    CHECK(v.side == Side::BUY);
    CHECK_EQ(v.remaining_qty, Q(70));
    fill_all(r, kT0 + 1);
    CHECK_EQ(r.position(0, 1).qty, Q(70));
    CHECK_EQ(r.position(0, 1).working_qty, Q(30));
    r.step(kT0 + 2, {target(1, 3, 1, Q(100))});
    CHECK_EQ(r.verdict(0, 3).remaining_qty, 0);  // already at target incl. working
    CHECK(r.reports_of(0, 3, ReportKind::FILLED).empty());
}

TEST(flatten_cancels_and_closes) {
    Rig r = primed();
    r.step(kT0, {market(1, 1, 1, Side::SELL, Q(40))});
    fill_all(r, kT0 + 1);
    r.step(kT0 + 2, {limit(1, 2, 1, Side::SELL, Q(5), P(1100), TimeInForce::GTC), flatten(1, 3, 1)});
    CHECK_EQ(r.reports_of(0, 2, ReportKind::CANCELED).size(), 1u);
    CHECK_EQ(r.verdict(0, 3).remaining_qty, Q(40));
    CHECK(r.verdict(0, 3).side == Side::BUY);
    fill_all(r, kT0 + 3);
    CHECK_EQ(r.position(0, 1).qty, 0);
    CHECK_EQ(r.position(0, 1).working_qty, 0);
}

TEST(silent_policies) {
    FundConfig c = default_config(3);
    c.agents[0].silent_policy = SilentPolicy::kNoOp;
    c.agents[1].silent_policy = SilentPolicy::kCancelOrders;
    c.agents[2].silent_policy = SilentPolicy::kFlatten;
    Rig r = primed(c);
    r.step(kT0, {limit(1, 1, 1, Side::BUY, Q(5), P(900), TimeInForce::GTC), limit(2, 1, 1, Side::BUY, Q(5), P(900), TimeInForce::GTC),
                 market(3, 1, 1, Side::BUY, Q(20)), limit(3, 2, 1, Side::BUY, Q(5), P(900), TimeInForce::GTC)});
    fill_all(r, kT0 + 1);
    r.begin(kT0 + 2);
    r.engine->silent(2, "dead");
    r.engine->silent(0, "timeout");
    r.engine->silent(1, "late");
    r.engine->silent(1, "timeout");  // one policy per slot and step
    r.engine->end_step();
    const auto policies = r.sink.records<PolicyRecord>(RecordType::kPolicy);
    REQUIRE(policies.size() == 3);
    CHECK_EQ(policies[0].slot, 0);
    CHECK_EQ(policies[1].slot, 1);
    CHECK_EQ(policies[2].slot, 2);
    CHECK_EQ(policies[2].why_code, static_cast<std::uint8_t>(SilentWhy::kDead));
    CHECK_EQ(r.position(0, 1).working_qty, Q(5));
    const auto c1 = r.reports_of(1, 1, ReportKind::CANCELED);
    REQUIRE(c1.size() == 1);
    CHECK(c1[0].reason == RejectReason::AGENT_SILENT);
    const auto c2 = r.reports_of(2, 2, ReportKind::CANCELED);
    REQUIRE(c2.size() == 1);
    CHECK(c2[0].reason == RejectReason::AGENT_SILENT);
    CHECK_EQ(r.position(2, 1).working_qty, -Q(20));
    fill_all(r, kT0 + 3);
    CHECK_EQ(r.position(2, 1).qty, 0);
    const auto closes = r.reports_of(2, 0, ReportKind::FILLED);  // intent id 0: the Fund's own order
    REQUIRE(closes.size() == 1);
    CHECK(closes[0].side == Side::SELL);
}

TEST(end_of_answer_is_only_journaled) {
    Rig r = primed();
    abi::IntentRecord eoa = end_of_answer(1, 9);
    eoa.client_tag = 77;
    eoa.snapshot_seq = 1;
    eoa.commit = 5;  // a ring position: never journaled
    r.step(kT0, {eoa});
    CHECK(r.sink.for_slot(0).empty());
    CHECK(r.sink.records<IntentJournalRecord>(RecordType::kIntent).empty());
    const auto ends = r.sink.records<AnswerEndRecord>(RecordType::kAnswerEnd);
    REQUIRE(ends.size() == 1);
    CHECK_EQ(ends[0].slot, 0);
    CHECK_EQ(ends[0].agent_id, 1u);
    CHECK_EQ(ends[0].intent_id, 9u);
    CHECK_EQ(ends[0].client_tag, 77u);
    // The compact record stands for the whole copy (as journaled: commit 0).
    abi::IntentRecord journaled = eoa;
    journaled.commit = 0;
    const abi::IntentRecord back = answer_end_intent(ends[0]);
    CHECK(std::memcmp(&back, &journaled, sizeof back) == 0);
    CHECK_EQ(r.book(0).account.last_intent_id, 9u);
}

TEST(end_of_answer_with_other_fields_keeps_its_whole_copy) {
    // The transport refuses such a record; one handed to the engine directly is still journaled
    // whole, so the journal never loses a byte of an input.
    Rig r = primed();
    abi::IntentRecord eoa = end_of_answer(1, 9);
    eoa.qty = Q(1);
    CHECK(!is_plain_answer_end(eoa));
    r.step(kT0, {eoa});
    CHECK(r.sink.records<AnswerEndRecord>(RecordType::kAnswerEnd).empty());
    const auto intents = r.sink.records<IntentJournalRecord>(RecordType::kIntent);
    REQUIRE(intents.size() == 1);
    CHECK_EQ(intents[0].verdict, 0);
    CHECK_EQ(intents[0].intent.qty, Q(1));
}

FUNDOS_TEST_MAIN
