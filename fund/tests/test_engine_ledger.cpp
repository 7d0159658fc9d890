// Fixed-point rounding, position accounting (buy, add, partial reduce, flip, fees, realized and
// unrealized PnL) checked against hand-computed figures, and the same through the Engine.
#include <cstdint>

#include "check.hpp"
#include "fundos/engine/engine.hpp"
#include "fundos/engine/fixed_point.hpp"
#include "fundos/engine/ledger.hpp"
#include "fundos/engine/testing.hpp"

using namespace fundos;
using namespace fundos::engine;
using namespace fundos::engine::testing;

TEST(round_half_away_from_zero) {
    CHECK_EQ(fx::round_div(5, 2), 3);
    CHECK_EQ(fx::round_div(-5, 2), -3);
    CHECK_EQ(fx::round_div(4, 2), 2);
    CHECK_EQ(fx::round_div(7, 3), 2);
    CHECK_EQ(fx::round_div(-7, 3), -2);
    CHECK_EQ(fx::round_div(8, 3), 3);
    CHECK_EQ(fx::round_div(-8, 3), -3);
    CHECK_EQ(fx::round_div(1, 3), 0);
    CHECK_EQ(fx::round_div(0, 7), 0);
}

TEST(round_div_64_bit_path_equals_the_128_bit_one) {
    // The reference: the 128-bit arithmetic alone.
    const auto reference = [](fx::i128 num, fx::i128 den) {
        fx::i128 q = num / den;
        fx::i128 r = num % den;
        r = r < 0 ? -r : r;
        return 2 * r >= den ? q + (num < 0 ? -1 : 1) : q;
    };
    const fx::i128 max64 = INT64_MAX;
    const fx::i128 min64 = INT64_MIN;
    const fx::i128 nums[] = {0, 1, -1, 49, 50, -50, 51, min64, min64 + 1, max64, max64 - 1, max64 / 2,
                             max64 / 2 + 1, min64 / 2, min64 / 2 - 1, max64 + 1, min64 - 1,
                             fx::i128{123'456'789} * 987'654'321'123LL};
    const fx::i128 dens[] = {1, 2, 3, 7, 100, 10'000, 100'000'000, 100'000'000'000'000LL, max64 / 2 + 1, max64,
                             max64 + 1};
    for (const fx::i128 num : nums) {
        for (const fx::i128 den : dens) {
            CHECK(fx::round_div128(num, den) == reference(num, den));
        }
    }
    std::uint64_t x = 88172645463325252ULL;  // xorshift: products of prices and quantities
    for (int i = 0; i < 100'000; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        const fx::i128 num = static_cast<fx::i128>(static_cast<std::int64_t>(x)) * static_cast<std::int32_t>(x >> 40);
        CHECK(fx::round_div128(num, fx::kPriceScale) == reference(num, fx::kPriceScale));
        CHECK(fx::round_div128(num, 3) == reference(num, 3));
    }
}

TEST(notional_mid_bps_and_fee) {
    // 100 units at 10.00 = 1000.00
    CHECK_EQ(fx::notional(Q(100), P(1000)), M(100'000));
    CHECK_EQ(fx::notional(-Q(100), P(1000)), -M(100'000));
    // 3 units at 0.00000001 = 0.00000003 -> rounds to 0.000000 (raw 0.03 -> 0)
    CHECK_EQ(fx::notional(Q(3), 1), 0);
    // 50 units at 0.00000001: 0.0000005 -> half rounds away: 0.000001
    CHECK_EQ(fx::notional(Q(50), 1), 1);
    CHECK_EQ(fx::notional(-Q(50), 1), -1);
    CHECK_EQ(fx::mid(P(1000), P(1001)), P(1000) + 500'000);
    CHECK_EQ(fx::mid(1, 2), 2);  // 1.5 -> 2
    CHECK_EQ(fx::apply_bps(P(10000), 10), P(10010));   // 100.00 + 10 bps = 100.10
    CHECK_EQ(fx::apply_bps(P(10000), -10), P(9990));
    // fee: 0.005 per share * 100 = 0.50, plus 0.5 bp (50 centibps) of 1000.00 = 0.05 -> 0.55
    CHECK_EQ(fx::fee(Q(100), P(1000), 5'000, 50), M(55));
    CHECK_EQ(fx::fee(-Q(100), P(1000), 5'000, 50), M(55));
    // fee rounding happens once on the exact sum: 1 unit * 0.0000004 + 1 unit at 1.00 * 1 centibp
    // (0.000001) = 0.0000014 -> 0.000001
    CHECK_EQ(fx::fee(Q(1), P(100), 0, 1), 1);
    CHECK_EQ(fx::floor_lots(Q(250), Q(100)), Q(200));
}

TEST(ledger_buy_add_reduce_flip) {
    PositionLedger p;
    // buy 100 @ 10.00
    FillEffect e = apply_fill(p, Q(100), P(1000), 0);
    CHECK_EQ(p.qty, Q(100));
    CHECK_EQ(p.basis, M(100'000));
    CHECK_EQ(e.cash_delta, -M(100'000));
    CHECK_EQ(avg_cost(p), P(1000));
    // add 50 @ 12.00: basis 1600.00, avg 10.6666666667 -> 10.66666667
    e = apply_fill(p, Q(50), P(1200), 0);
    CHECK_EQ(p.qty, Q(150));
    CHECK_EQ(p.basis, M(160'000));
    CHECK_EQ(avg_cost(p), 1'066'666'667);
    CHECK_EQ(e.cash_delta, -M(60'000));
    // sell 60 @ 11.00: removed basis 1600 * 60/150 = 640, proceeds 660, realized +20
    e = apply_fill(p, -Q(60), P(1100), 0);
    CHECK_EQ(p.qty, Q(90));
    CHECK_EQ(p.basis, M(96'000));
    CHECK_EQ(e.realized_delta, M(2'000));
    CHECK_EQ(p.realized, M(2'000));
    CHECK_EQ(e.cash_delta, M(66'000));
    // sell 120 @ 9.00: closes 90 (proceeds 810, basis 960, realized -150), opens short 30 at 9.00
    e = apply_fill(p, -Q(120), P(900), 0);
    CHECK_EQ(p.qty, -Q(30));
    CHECK_EQ(p.basis, -M(27'000));
    CHECK_EQ(e.realized_delta, -M(15'000));
    CHECK_EQ(p.realized, -M(13'000));
    CHECK_EQ(avg_cost(p), P(900));
    CHECK_EQ(e.cash_delta, M(108'000));
    // marked at 8.50: MV -255, unrealized +15
    CHECK_EQ(market_value(p, P(850)), -M(25'500));
    CHECK_EQ(unrealized(p, P(850)), M(1'500));
    // buy back 30 @ 8.00: realized +30, flat
    e = apply_fill(p, Q(30), P(800), 0);
    CHECK_EQ(p.qty, 0);
    CHECK_EQ(p.basis, 0);
    CHECK_EQ(e.realized_delta, M(3'000));
    CHECK_EQ(p.realized, -M(10'000));
    CHECK_EQ(avg_cost(p), 0);
}

TEST(ledger_fees_and_identity) {
    PositionLedger p;
    Money cash = M(1'000'000);  // 10'000.00
    const Money capital = cash;
    Money fees = 0;
    const struct {
        Quantity d;
        Price price;
    } fills[] = {{Q(7), P(1234)}, {Q(3), P(1301)}, {-Q(4), P(1299)}, {-Q(9), P(1111)}, {Q(2), P(1050)}, {Q(1), 1'050'000'001}};
    for (const auto& f : fills) {
        const Money fee = fx::fee(f.d, f.price, 3'500, 25);
        const FillEffect e = apply_fill(p, f.d, f.price, fee);
        cash += e.cash_delta;
        fees += fee;
        const Price mark = P(1200);
        const Money equity = cash + market_value(p, mark);
        CHECK_EQ(equity, capital + p.realized + unrealized(p, mark) - fees);
    }
    CHECK_EQ(p.fees, fees);
    CHECK_EQ(p.qty, 0);
}

namespace {

Rig quote_rig(std::uint32_t agents = 2) {
    FundConfig c = default_config(agents);
    c.execution.fee_per_share = 5'000;  // 0.005
    c.execution.fee_centibps = 50;      // 0.5 bp
    return Rig(c);
}

}  // namespace

TEST(engine_accounting_matches_hand_computation) {
    Rig r = quote_rig(1);
    r.market(quote(kT0, 1, P(999), P(1001), Q(1000), Q(1000)));
    r.step(kT0, {market(1, 1, 1, abi::Side::BUY, Q(100))});
    // eligible at kT0 (latency 0); the next quote decides: buy at its ask 10.02
    r.market(quote(kT0 + kSec, 1, P(1000), P(1002), Q(1000), Q(1000)));
    abi::IntentReport fill = r.last_report(0, 1);
    CHECK(fill.kind == abi::ReportKind::FILLED);
    CHECK_EQ(fill.fill_qty, Q(100));
    CHECK_EQ(fill.fill_price, P(1002));
    // fee 0.005 * 100 + 1002.00 * 0.00005 = 0.50 + 0.0501 = 0.5501
    CHECK_EQ(fill.fee, 550'100);
    CHECK_EQ(fill.remaining_qty, 0);
    abi::Position pos = r.position(0, 1);
    CHECK_EQ(pos.qty, Q(100));
    CHECK_EQ(pos.avg_cost, P(1002));
    CHECK_EQ(pos.working_qty, 0);
    // mark = mid 10.01: unrealized (10.01 - 10.02) * 100 = -1.00
    CHECK_EQ(pos.unrealized_pnl, -M(100));
    abi::AgentBook b = r.book(0);
    CHECK_EQ(b.account.cash, M(10'000'000) - M(100'200) - 550'100);
    CHECK_EQ(b.account.equity, b.account.cash + M(100'100));
    CHECK_EQ(b.account.fees, 550'100);
    CHECK_EQ(b.account.gross_exposure, M(100'100));
    CHECK_EQ(b.account.net_exposure, M(100'100));
    CHECK_EQ(b.account.intents_accepted, 1u);
    CHECK_EQ(b.account.last_intent_id, 1u);

    // sell 40 at the bid of the next quote (10.10): realized (10.10 - 10.02) * 40 = 3.20
    r.step(kT0 + kSec, {market(1, 2, 1, abi::Side::SELL, Q(40))});
    r.market(quote(kT0 + 2 * kSec, 1, P(1010), P(1012), Q(1000), Q(1000)));
    pos = r.position(0, 1);
    CHECK_EQ(pos.qty, Q(60));
    CHECK_EQ(pos.realized_pnl, M(320));
    CHECK_EQ(pos.avg_cost, P(1002));
    // fee of the sale: 0.20 + 404.00 * 0.00005 = 0.2202
    const Money fee2 = 220'200;
    CHECK_EQ(r.last_report(0, 2).fee, fee2);
    b = r.book(0);
    CHECK_EQ(b.account.realized_pnl, M(320));
    CHECK_EQ(b.account.fees, 550'100 + fee2);
    // unrealized at mid 10.11: (10.11 - 10.02) * 60 = 5.40
    CHECK_EQ(b.account.unrealized_pnl, M(540));
    CHECK_EQ(b.account.equity, b.account.capital + b.account.realized_pnl + b.account.unrealized_pnl - b.account.fees);

    // flip: sell 100 at 10.00 -> closes 60 (realized (10.00-10.02)*60 = -1.20), short 40
    r.step(kT0 + 2 * kSec, {market(1, 3, 1, abi::Side::SELL, Q(100))});
    r.market(trade(kT0 + 3 * kSec, 1, P(1000), Q(500)));
    pos = r.position(0, 1);
    CHECK_EQ(pos.qty, -Q(40));
    CHECK_EQ(pos.realized_pnl, M(320) - M(120));
    CHECK_EQ(pos.avg_cost, P(1000));
    CHECK(r.engine->invariants_hold());
    CHECK_EQ(r.engine->fund_position(1), -Q(40));

    // fund totals: nav = unallocated 900'000 + agent equity
    const abi::FundState s = r.state();
    b = r.book(0);
    CHECK_EQ(s.nav, M(90'000'000) + b.account.equity);
    CHECK_EQ(s.cash, M(90'000'000) + b.account.cash);
    CHECK_EQ(s.fees, b.account.fees);
    CHECK_EQ(s.realized_pnl, b.account.realized_pnl);
    CHECK_EQ(s.unrealized_pnl, b.account.unrealized_pnl);
    CHECK_EQ(s.net_exposure, b.account.net_exposure);
    CHECK_EQ(r.engine->fills().size(), 3u);
}

TEST(engine_fund_is_sum_of_agents) {
    Rig r = quote_rig(3);
    r.market(quote(kT0, 1, P(999), P(1001), Q(1000), Q(1000)));
    r.market(quote(kT0, 2, P(499), P(501), Q(1000), Q(1000)));
    r.step(kT0, {target(1, 1, 1, Q(10)), target(2, 1, 1, -Q(25)), target(3, 1, 2, Q(7)), target(1, 2, 2, -Q(3))});
    r.market(quote(kT0 + kSec, 1, P(1003), P(1005), Q(1000), Q(1000)));
    r.market(quote(kT0 + kSec, 2, P(497), P(499), Q(1000), Q(1000)));
    r.step(kT0 + kSec);
    const abi::FundState s = r.state();
    Money equity = 0, cash = 0, realized = 0, unreal = 0, fees = 0, capital = 0;
    for (std::uint16_t slot = 0; slot < 3; ++slot) {
        const abi::AgentBook b = r.book(slot);
        equity += b.account.equity;
        cash += b.account.cash;
        realized += b.account.realized_pnl;
        unreal += b.account.unrealized_pnl;
        fees += b.account.fees;
        capital += b.account.capital;
    }
    const Money unallocated = r.config.capital - capital;
    CHECK_EQ(s.nav, equity + unallocated);
    CHECK_EQ(s.cash, cash + unallocated);
    CHECK_EQ(s.realized_pnl, realized);
    CHECK_EQ(s.unrealized_pnl, unreal);
    CHECK_EQ(s.fees, fees);
    CHECK_EQ(r.engine->fund_position(1), -Q(15));
    CHECK_EQ(r.engine->fund_position(2), Q(4));
    // fund exposures are over the fund's positions: |-15 * 10.04| + |4 * 4.98|
    CHECK_EQ(s.gross_exposure, M(15'060) + M(1'992));
    CHECK_EQ(s.net_exposure, -M(15'060) + M(1'992));
    CHECK(r.engine->invariants_hold());
    // One call of Sink::equity per step, each with the fund's point then the three agents'.
    const auto& eq = r.sink.equity_steps;
    REQUIRE(eq.size() == 2);
    CHECK_EQ(eq.back().size(), 4u);
    CHECK_EQ(eq.back()[0].equity, s.nav);
    CHECK_EQ(eq.back()[0].time, r.clock);
    CHECK_EQ(eq.back()[1].equity, r.book(0).account.equity);
}

FUNDOS_TEST_MAIN
