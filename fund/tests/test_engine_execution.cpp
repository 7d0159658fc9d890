// Simulated execution rules per event kind: latency, market prices (bar open, quote touch, trade),
// slippage, the participation cap (shared in time priority), IOC / FOK / DAY / GTC, limit
// orders trading through, session days.
#include <cstdint>

#include "check.hpp"
#include "fundos/engine/execution.hpp"
#include "fundos/engine/journal_records.hpp"
#include "fundos/engine/testing.hpp"

using namespace fundos;
using namespace fundos::engine;
using namespace fundos::engine::testing;
using abi::ReportKind;
using abi::Side;
using abi::TimeInForce;

namespace {

Rig rig(std::uint32_t latency = 0, std::uint32_t slippage = 0, std::uint32_t pct = 100) {
    FundConfig c = default_config(2);
    c.execution.latency_ns = latency;
    c.execution.slippage_bps = slippage;
    c.execution.participation_pct = pct;
    return Rig(c);
}

/// A rig with a reference price for AAA (quote 9.99 / 10.01) and a decision step at kT0.
Rig primed(std::uint32_t latency = 0, std::uint32_t slippage = 0, std::uint32_t pct = 100) {
    Rig r = rig(latency, slippage, pct);
    r.market(quote(kT0, 1, P(999), P(1001), Q(1000), Q(1000)));
    return r;
}

std::size_t count(const Rig& r, std::uint16_t slot, std::uint64_t id, ReportKind kind) {
    return r.reports_of(slot, id, kind).size();
}

}  // namespace

TEST(pure_rules_per_event_kind) {
    const auto b = bar(kT0, 1, P(1000), P(1010), P(990), P(1005), Q(500));
    CHECK_EQ(fill_price(b, +1, abi::OrderType::MARKET, 0, 0), P(1000));
    CHECK_EQ(fill_price(b, -1, abi::OrderType::MARKET, 0, 0), P(1000));
    CHECK_EQ(fill_price(b, +1, abi::OrderType::LIMIT, P(995), 0), P(995));  // low 9.90 < 9.95
    CHECK_EQ(fill_price(b, +1, abi::OrderType::LIMIT, P(990), 0), 0);       // low == limit: no
    CHECK_EQ(fill_price(b, -1, abi::OrderType::LIMIT, P(1009), 0), P(1009));
    CHECK_EQ(fill_price(b, -1, abi::OrderType::LIMIT, P(1010), 0), 0);
    const auto q = quote(kT0, 1, P(999), P(1001), Q(300), Q(200));
    CHECK_EQ(fill_price(q, +1, abi::OrderType::MARKET, 0, 0), P(1001));
    CHECK_EQ(fill_price(q, -1, abi::OrderType::MARKET, 0, 0), P(999));
    CHECK_EQ(fill_price(q, +1, abi::OrderType::LIMIT, P(1001), 0), P(1001));  // ask <= limit, at the ask
    CHECK_EQ(fill_price(q, +1, abi::OrderType::LIMIT, P(1005), 0), P(1001));
    CHECK_EQ(fill_price(q, +1, abi::OrderType::LIMIT, P(1000), 0), 0);
    CHECK_EQ(fill_price(q, -1, abi::OrderType::LIMIT, P(999), 0), P(999));
    CHECK_EQ(fill_price(q, -1, abi::OrderType::LIMIT, P(1000), 0), 0);
    CHECK_EQ(event_size(q, +1), Q(200));
    CHECK_EQ(event_size(q, -1), Q(300));
    const auto t = trade(kT0, 1, P(1000), Q(70));
    CHECK_EQ(fill_price(t, +1, abi::OrderType::MARKET, 0, 0), P(1000));
    CHECK_EQ(fill_price(t, +1, abi::OrderType::LIMIT, P(1001), 0), P(1001));
    CHECK_EQ(fill_price(t, +1, abi::OrderType::LIMIT, P(1000), 0), 0);
    CHECK_EQ(fill_price(t, -1, abi::OrderType::LIMIT, P(999), 0), P(999));
    // slippage: market only, worse for the side
    CHECK_EQ(fill_price(t, +1, abi::OrderType::MARKET, 0, 25), P(1000) + P(1000) / 400);
    CHECK_EQ(fill_price(t, -1, abi::OrderType::MARKET, 0, 25), P(1000) - P(1000) / 400);
    CHECK_EQ(fill_price(t, +1, abi::OrderType::LIMIT, P(1001), 25), P(1001));
    // participation cap in whole lots
    CHECK_EQ(fill_cap(t, +1, 10, Q(1)), Q(7));
    CHECK_EQ(fill_cap(t, +1, 10, Q(5)), Q(5));
    CHECK_EQ(fill_cap(b, -1, 33, Q(1)), Q(165));
    // a quote side of 0 does not fill a market order
    const auto one_sided = quote(kT0, 1, P(999), 0, Q(100), 0);
    CHECK_EQ(fill_price(one_sided, +1, abi::OrderType::MARKET, 0, 0), 0);
}

TEST(latency_delays_eligibility) {
    Rig r = primed(500);
    r.step(kT0, {market(1, 1, 1, Side::BUY, Q(10))});
    r.market(quote(kT0 + 499, 1, P(1000), P(1002), Q(1000), Q(1000)));
    CHECK_EQ(count(r, 0, 1, ReportKind::FILLED), 0u);
    r.market(quote(kT0 + 500, 1, P(1003), P(1005), Q(1000), Q(1000)));
    REQUIRE(count(r, 0, 1, ReportKind::FILLED) == 1);
    CHECK_EQ(r.last_report(0, 1).fill_price, P(1005));
    const auto orders = r.sink.records<OrderRecord>(RecordType::kOrder);
    REQUIRE(orders.size() == 1);
    CHECK_EQ(orders[0].eligible_time, kT0 + 500);
}

TEST(bar_market_fills_at_open_with_slippage) {
    Rig r = primed(0, 10);
    r.step(kT0, {market(1, 1, 1, Side::BUY, Q(10)), market(2, 1, 2, Side::SELL, Q(5))});
    r.market(bar(kT0 + 60 * kSec, 1, P(1000), P(1020), P(990), P(1010), Q(10'000)));
    REQUIRE(count(r, 0, 1, ReportKind::FILLED) == 1);
    CHECK_EQ(r.last_report(0, 1).fill_price, P(1001));  // 10.00 + 10 bps
    // BBB has no market data: the sell was rejected as stale (no reference price)
    CHECK(r.verdict(1, 1).reason == abi::RejectReason::STALE_MARKET_DATA);
}

TEST(quote_market_fills_at_touch) {
    Rig r = primed();
    r.step(kT0, {market(1, 1, 1, Side::BUY, Q(10)), market(2, 1, 1, Side::SELL, Q(30))});
    // netting crosses 10 at mid 10.00; the sell residual 20 hits the next quote's bid
    r.market(quote(kT0 + kSec, 1, P(1001), P(1003), Q(1000), Q(1000)));
    const auto fills = r.reports_of(1, 1, ReportKind::FILLED);
    REQUIRE(fills.size() == 2);
    CHECK_EQ(fills[0].fill_qty, Q(10));
    CHECK_EQ(fills[0].fill_price, P(1000));
    CHECK_EQ(fills[1].fill_qty, Q(20));
    CHECK_EQ(fills[1].fill_price, P(1001));
}

TEST(trade_market_fills_at_trade_price) {
    Rig r = primed();
    r.step(kT0, {market(1, 1, 1, Side::SELL, Q(10))});
    r.market(trade(kT0 + kSec, 1, P(1007), Q(100)));
    REQUIRE(count(r, 0, 1, ReportKind::FILLED) == 1);
    CHECK_EQ(r.last_report(0, 1).fill_price, P(1007));
}

TEST(participation_cap_and_remainder_keeps_working) {
    Rig r = primed(0, 0, 10);
    r.step(kT0, {market(1, 1, 1, Side::BUY, Q(25), TimeInForce::GTC)});
    r.market(bar(kT0 + 60 * kSec, 1, P(1000), P(1000), P(1000), P(1000), Q(100)));  // cap 10
    auto f = r.reports_of(0, 1, ReportKind::FILLED);
    REQUIRE(f.size() == 1);
    CHECK_EQ(f[0].fill_qty, Q(10));
    CHECK_EQ(f[0].remaining_qty, Q(15));
    CHECK_EQ(r.position(0, 1).working_qty, Q(15));
    r.market(trade(kT0 + 61 * kSec, 1, P(1001), Q(55)));  // cap 5 (5.5 floored to lots)
    r.market(quote(kT0 + 62 * kSec, 1, P(1000), P(1002), Q(0), Q(200)));  // ask size 200: cap 20
    f = r.reports_of(0, 1, ReportKind::FILLED);
    REQUIRE(f.size() == 3);
    CHECK_EQ(f[1].fill_qty, Q(5));
    CHECK_EQ(f[2].fill_qty, Q(10));
    CHECK_EQ(f[2].remaining_qty, 0);
    CHECK_EQ(r.position(0, 1).qty, Q(25));
    CHECK_EQ(r.position(0, 1).working_qty, 0);
}

TEST(cap_shared_in_time_priority) {
    Rig r = primed(0, 0, 50);
    r.step(kT0, {limit(1, 1, 1, Side::BUY, Q(30), P(1010))});
    r.step(kT0 + 1, {limit(2, 1, 1, Side::BUY, Q(30), P(1010))});
    r.market(trade(kT0 + kSec, 1, P(1000), Q(80)));  // cap 40: the older order takes 30, then 10
    CHECK_EQ(r.last_report(0, 1).fill_qty, Q(30));
    CHECK_EQ(r.last_report(1, 1).fill_qty, Q(10));
    CHECK_EQ(r.last_report(1, 1).remaining_qty, Q(20));
}

TEST(ioc_cancels_remainder_at_first_event) {
    Rig r = primed(0, 0, 10);
    r.step(kT0, {market(1, 1, 1, Side::BUY, Q(50), TimeInForce::IOC)});
    r.market(trade(kT0 + kSec, 1, P(1000), Q(100)));
    const auto filled = r.reports_of(0, 1, ReportKind::FILLED);
    REQUIRE(filled.size() == 1);
    CHECK_EQ(filled[0].fill_qty, Q(10));
    const auto c = r.reports_of(0, 1, ReportKind::CANCELED);
    REQUIRE(c.size() == 1);
    CHECK(c[0].reason == abi::RejectReason::NONE);
    CHECK_EQ(r.position(0, 1).working_qty, 0);
    const auto cancels = r.sink.records<CancelRecord>(RecordType::kCancel);
    REQUIRE(cancels.size() == 1);
    CHECK_EQ(cancels[0].cause, static_cast<std::uint8_t>(CancelCause::kIoc));
    CHECK_EQ(cancels[0].canceled_qty, Q(40));
    // IOC limit not marketable at its first event: canceled with nothing filled
    r.step(kT0 + 2 * kSec, {limit(1, 2, 1, Side::BUY, Q(5), P(990), TimeInForce::IOC)});
    r.market(trade(kT0 + 3 * kSec, 1, P(1000), Q(100)));
    CHECK_EQ(r.reports_of(0, 2, ReportKind::FILLED).size(), 0u);
    CHECK_EQ(r.reports_of(0, 2, ReportKind::CANCELED).size(), 1u);
}

TEST(fok_all_or_nothing) {
    Rig r = primed(0, 0, 10);
    r.step(kT0, {market(1, 1, 1, Side::BUY, Q(50), TimeInForce::FOK), market(2, 1, 1, Side::BUY, Q(10), TimeInForce::FOK)});
    r.market(trade(kT0 + kSec, 1, P(1000), Q(100)));  // cap 10: the 50 is killed, the 10 fills
    CHECK_EQ(r.reports_of(0, 1, ReportKind::FILLED).size(), 0u);
    CHECK_EQ(r.reports_of(0, 1, ReportKind::CANCELED).size(), 1u);
    const auto filled = r.reports_of(1, 1, ReportKind::FILLED);
    REQUIRE(filled.size() == 1);
    CHECK_EQ(filled[0].fill_qty, Q(10));
    const auto cancels = r.sink.records<CancelRecord>(RecordType::kCancel);
    REQUIRE(cancels.size() == 1);
    CHECK_EQ(cancels[0].cause, static_cast<std::uint8_t>(CancelCause::kFok));
}

TEST(fok_is_not_netted) {
    Rig r = primed();
    r.step(kT0, {market(1, 1, 1, Side::BUY, Q(10), TimeInForce::FOK), market(2, 1, 1, Side::SELL, Q(10))});
    CHECK(r.sink.records<CrossRecord>(RecordType::kCross).empty());
    CHECK_EQ(r.sink.records<OrderRecord>(RecordType::kOrder).size(), 2u);
}

TEST(limit_orders_trade_through) {
    Rig r = primed();
    r.step(kT0, {limit(1, 1, 1, Side::BUY, Q(10), P(995), TimeInForce::GTC),
                 limit(2, 1, 1, Side::SELL, Q(10), P(1005), TimeInForce::GTC)});
    // bar touching but not through either limit: nothing
    r.market(bar(kT0 + 60 * kSec, 1, P(1000), P(1005), P(995), P(1000), Q(1000)));
    CHECK_EQ(r.engine->fills().size(), 0u);
    // trade through the buy limit: buy fills at its limit 9.95
    r.market(trade(kT0 + 61 * kSec, 1, P(994), Q(100)));
    REQUIRE(r.reports_of(0, 1, ReportKind::FILLED).size() == 1);
    CHECK_EQ(r.last_report(0, 1).fill_price, P(995));
    // a quote whose bid reaches the sell limit: fills at the bid
    r.market(quote(kT0 + 62 * kSec, 1, P(1006), P(1008), Q(100), Q(100)));
    REQUIRE(r.reports_of(1, 1, ReportKind::FILLED).size() == 1);
    CHECK_EQ(r.last_report(1, 1).fill_price, P(1006));
}

TEST(day_orders_end_with_the_session_day_gtc_survive) {
    Rig r = primed();
    r.step(kT0, {limit(1, 1, 1, Side::BUY, Q(10), P(900), TimeInForce::DAY),
                 limit(2, 1, 1, Side::BUY, Q(10), P(900), TimeInForce::GTC)});
    // 23:59 New York on the same day: still working
    const abi::Timestamp late = kT0 + (13 * 3600 + 59 * 60) * kSec;
    r.market(quote(late, 1, P(999), P(1001), Q(10), Q(10)));
    CHECK_EQ(r.reports_of(0, 1, ReportKind::CANCELED).size(), 0u);
    // next New York day
    r.market(quote(late + 2 * 60 * kSec, 1, P(999), P(1001), Q(10), Q(10)));
    const auto c = r.reports_of(0, 1, ReportKind::CANCELED);
    REQUIRE(c.size() == 1);
    CHECK(c[0].reason == abi::RejectReason::NONE);
    CHECK_EQ(r.reports_of(1, 1, ReportKind::CANCELED).size(), 0u);
    CHECK_EQ(r.position(1, 1).working_qty, Q(10));
    // finish cancels the rest with SHUTDOWN
    r.engine->finish("end");
    const auto s = r.reports_of(1, 1, ReportKind::CANCELED);
    REQUIRE(s.size() == 1);
    CHECK(s[0].reason == abi::RejectReason::SHUTDOWN);
}

TEST(session_day_is_new_york_date) {
    // 2024-01-02 04:59:59 UTC is 2024-01-01 23:59:59 EST
    const abi::Timestamp jan2 = 1'704'153'600ULL * kSec;  // 2024-01-02 00:00 UTC
    CHECK_EQ(session_day(jan2 + (4 * 3600 + 3599) * kSec), session_day(jan2) );
    CHECK_EQ(session_day(jan2 + 5 * 3600 * kSec), session_day(jan2) + 1);
    CHECK_EQ(session_day_start(session_day(jan2) + 1), jan2 + 5 * 3600 * kSec);
    // summer: 2024-07-01 04:00 UTC is midnight EDT
    const abi::Timestamp jul1 = 1'719'792'000ULL * kSec;  // 2024-07-01 00:00 UTC
    CHECK_EQ(session_day(jul1 + 4 * 3600 * kSec), session_day(jul1 + 3 * 3600 * kSec) + 1);
    CHECK_EQ(session_day_start(session_day(jul1 + 4 * 3600 * kSec)), jul1 + 4 * 3600 * kSec);
}

TEST(session_volume_resets_each_day) {
    Rig r = primed();
    r.market(trade(kT0 + kSec, 1, P(1000), Q(100)));
    r.market(bar(kT0 + 60 * kSec, 1, P(1000), P(1000), P(1000), P(1000), Q(50)));
    r.begin(kT0 + 60 * kSec);
    CHECK_EQ(r.state().instruments[0].session_volume, Q(150));
    CHECK_EQ(r.state().instruments[0].last, P(1000));
    r.engine->end_step();
    r.market(trade(kT0 + 24 * 3600 * kSec, 1, P(1000), Q(7)));
    r.begin(kT0 + 24 * 3600 * kSec);
    CHECK_EQ(r.state().instruments[0].session_volume, Q(7));
    r.engine->end_step();
}

TEST(fees_charged_on_execution_not_on_crosses) {
    FundConfig c = default_config(2);
    c.execution.fee_per_share = 10'000;  // 0.01
    Rig r(c);
    r.market(quote(kT0, 1, P(999), P(1001), Q(1000), Q(1000)));
    r.step(kT0, {market(1, 1, 1, Side::BUY, Q(30)), market(2, 1, 1, Side::SELL, Q(10))});
    const auto crossed = r.reports_of(1, 1, ReportKind::FILLED);
    REQUIRE(crossed.size() == 1);
    CHECK_EQ(crossed[0].fee, 0);
    r.market(quote(kT0 + kSec, 1, P(999), P(1001), Q(1000), Q(1000)));
    const auto f = r.reports_of(0, 1, ReportKind::FILLED);
    REQUIRE(f.size() == 2);
    CHECK_EQ(f[0].fee, 0);
    CHECK_EQ(f[1].fill_qty, Q(20));
    CHECK_EQ(f[1].fee, M(20));
    CHECK(r.engine->fills()[0].internal);
    CHECK(!r.engine->fills().back().internal);
}

FUNDOS_TEST_MAIN
