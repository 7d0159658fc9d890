// Netting: internal crossing at the reference price, the residual as one parent per instrument,
// pro-rata largest-remainder allocation of crosses and fills (ties: lower agent id), LIMIT
// orders not netted, and the invariant sum(agent positions) == fund position under a long
// random run.
#include <cstdint>
#include <vector>

#include "check.hpp"
#include "fundos/engine/journal_records.hpp"
#include "fundos/engine/netting.hpp"
#include "fundos/engine/testing.hpp"
#include "fundos/marketdata/prng.hpp"

using namespace fundos;
using namespace fundos::engine;
using namespace fundos::engine::testing;
using abi::ReportKind;
using abi::Side;

namespace {

std::vector<Quantity> alloc(Quantity total, Quantity lot, const std::vector<Quantity>& weights,
                            const std::vector<std::uint64_t>& keys = {}) {
    std::vector<AllocationInput> in;
    for (std::size_t i = 0; i < weights.size(); ++i) {
        in.push_back({weights[i], keys.empty() ? i + 1 : keys[i], 0});
    }
    std::vector<Quantity> out(weights.size());
    AllocationScratch scratch;
    const AllocationError err = allocate_pro_rata(total, lot, in, out, scratch);
    CHECK(err == AllocationError::kOk);
    return out;
}

}  // namespace

TEST(allocation_largest_remainder) {
    CHECK((alloc(Q(100), Q(1), {Q(100), Q(100), Q(100)}) == std::vector<Quantity>{Q(34), Q(33), Q(33)}));
    // ties go to the lower key whatever the input order
    CHECK((alloc(Q(100), Q(1), {Q(100), Q(100), Q(100)}, {3, 1, 2}) == std::vector<Quantity>{Q(33), Q(34), Q(33)}));
    // 7 lots over 30/70: exact 2.1 / 4.9 -> 2 / 5
    CHECK((alloc(Q(7), Q(1), {Q(30), Q(70)}) == std::vector<Quantity>{Q(2), Q(5)}));
    // lots of 100: 500 over 100/200/300 -> exact 83.3/166.7/250 -> 1/2/2 lots... floor 0,1,2 + 2 left
    const auto s = alloc(Q(500), Q(100), {Q(100), Q(200), Q(300)});
    CHECK((s == std::vector<Quantity>{Q(100), Q(200), Q(200)}));
    CHECK((alloc(Q(0), Q(1), {Q(5), Q(5)}) == std::vector<Quantity>{0, 0}));
    CHECK((alloc(Q(10), Q(1), {Q(5), Q(5)}) == std::vector<Quantity>{Q(5), Q(5)}));
    CHECK((alloc(Q(1), Q(1), {0, Q(5), 0}) == std::vector<Quantity>{0, Q(1), 0}));
}

TEST(allocation_errors) {
    AllocationScratch scratch;
    std::vector<AllocationInput> in{{Q(5), 1, 0}, {Q(5), 2, 0}};
    std::vector<Quantity> out(2);
    CHECK(allocate_pro_rata(Q(11), Q(1), in, out, scratch) == AllocationError::kTooMuch);
    CHECK(allocate_pro_rata(Q(3), Q(2), in, out, scratch) == AllocationError::kNotMultiple);
    CHECK(allocate_pro_rata(Q(3), 0, in, out, scratch) == AllocationError::kBadLot);
    CHECK(allocate_pro_rata(-Q(3), Q(1), in, out, scratch) == AllocationError::kNegative);
    std::vector<Quantity> short_out(1);
    CHECK(allocate_pro_rata(Q(3), Q(1), in, short_out, scratch) == AllocationError::kSizeMismatch);
}

TEST(allocation_properties_random) {
    marketdata::Xoshiro256 rng(42);
    AllocationScratch scratch;
    for (int round = 0; round < 2000; ++round) {
        const Quantity lot = static_cast<Quantity>(1 + rng.next() % 100);
        const std::size_t n = 1 + rng.next() % 12;
        std::vector<AllocationInput> in(n);
        Quantity sum = 0;
        for (std::size_t i = 0; i < n; ++i) {
            in[i] = {static_cast<Quantity>(rng.next() % 50) * lot, rng.next() % 4, i};
            sum += in[i].weight;
        }
        const Quantity total = sum == 0 ? 0 : static_cast<Quantity>(rng.next() % (sum / lot + 1)) * lot;
        std::vector<Quantity> out(n);
        REQUIRE(allocate_pro_rata(total, lot, in, out, scratch) == AllocationError::kOk);
        Quantity got = 0;
        for (std::size_t i = 0; i < n; ++i) {
            got += out[i];
            CHECK(out[i] % lot == 0);
            CHECK(out[i] >= 0 && out[i] <= in[i].weight);
            if (sum > 0) {
                // |s_i - T w_i / W| < lot  <=>  |s_i W - T w_i| < lot W
                const __int128 diff = static_cast<__int128>(out[i]) * sum - static_cast<__int128>(total) * in[i].weight;
                CHECK((diff < 0 ? -diff : diff) < static_cast<__int128>(lot) * sum);
            }
        }
        CHECK_EQ(got, total);
    }
}

TEST(cross_at_reference_price_residual_to_one_parent) {
    Rig r(default_config(3));
    r.market(quote(kT0, 1, P(999), P(1003), Q(1000), Q(1000)));  // mid 10.01
    r.step(kT0, {target(1, 1, 1, Q(100)), target(2, 1, 1, -Q(60)), market(3, 1, 1, Side::BUY, Q(20))});
    // buys 120 (agents 1 and 3), sells 60: 60 crosses; buy side pro rata 100:20 -> 50 / 10
    const auto crosses = r.sink.records<CrossRecord>(RecordType::kCross);
    REQUIRE(crosses.size() == 3);
    CHECK_EQ(crosses[0].agent_id, 1u);
    CHECK_EQ(crosses[0].qty, Q(50));
    CHECK_EQ(crosses[1].agent_id, 3u);
    CHECK_EQ(crosses[1].qty, Q(10));
    CHECK_EQ(crosses[2].agent_id, 2u);
    CHECK_EQ(crosses[2].qty, Q(60));
    for (const auto& c : crosses) {
        CHECK_EQ(c.price, P(1001));
        CHECK_EQ(c.crossed, Q(60));
    }
    CHECK_EQ(r.position(0, 1).qty, Q(50));
    CHECK_EQ(r.position(1, 1).qty, -Q(60));
    CHECK_EQ(r.position(2, 1).qty, Q(10));
    CHECK_EQ(r.engine->fund_position(1), 0);
    // one parent with the two buy children's remainders 50 + 10
    const auto orders = r.sink.records<OrderRecord>(RecordType::kOrder);
    REQUIRE(orders.size() == 2);
    CHECK_EQ(orders[0].parent_id, orders[1].parent_id);
    CHECK_EQ(orders[0].parent_qty, Q(60));
    CHECK_EQ(orders[0].child_qty, Q(50));
    CHECK_EQ(orders[1].child_qty, Q(10));
    CHECK_EQ(orders[0].child_count, 2);
    // the parent fills 30 (cap): 25 / 5 pro rata
    r.market(quote(kT0 + kSec, 1, P(1000), P(1002), Q(1000), Q(30)));
    const auto allocs = r.sink.records<AllocationRecord>(RecordType::kAllocation);
    REQUIRE(allocs.size() == 2);
    CHECK_EQ(allocs[0].agent_id, 1u);
    CHECK_EQ(allocs[0].qty, Q(25));
    CHECK_EQ(allocs[1].agent_id, 3u);
    CHECK_EQ(allocs[1].qty, Q(5));
    const auto fillrecs = r.sink.records<FillRecord>(RecordType::kFill);
    REQUIRE(fillrecs.size() == 1);
    CHECK_EQ(fillrecs[0].qty, Q(30));
    CHECK_EQ(fillrecs[0].parent_remaining, Q(30));
    CHECK_EQ(r.engine->fund_position(1), Q(30));
    CHECK(r.engine->invariants_hold());
    // reports: agent 1 got ACCEPTED, cross FILLED (remaining 50), exec FILLED (remaining 25)
    const auto f1 = r.reports_of(0, 1, ReportKind::FILLED);
    REQUIRE(f1.size() == 2);
    CHECK_EQ(f1[0].remaining_qty, Q(50));
    CHECK_EQ(f1[1].remaining_qty, Q(25));
}

TEST(cross_ties_lower_agent_first) {
    Rig r(default_config(4));
    r.market(quote(kT0, 1, P(999), P(1001), Q(1000), Q(1000)));
    // three buyers of 1 each, one seller of 2: two lots cross, tie -> agents 1 and 2
    r.step(kT0, {market(3, 1, 1, Side::BUY, Q(1)), market(2, 1, 1, Side::BUY, Q(1)), market(1, 1, 1, Side::BUY, Q(1)),
                 market(4, 1, 1, Side::SELL, Q(2))});
    CHECK_EQ(r.position(0, 1).qty, Q(1));
    CHECK_EQ(r.position(1, 1).qty, Q(1));
    CHECK_EQ(r.position(2, 1).qty, 0);
    CHECK_EQ(r.position(2, 1).working_qty, Q(1));
    CHECK_EQ(r.position(3, 1).qty, -Q(2));
}

TEST(parent_fill_ties_lower_agent_first) {
    Rig r(default_config(3));
    r.market(quote(kT0, 1, P(999), P(1001), Q(1000), Q(1000)));
    r.step(kT0, {market(3, 1, 1, Side::SELL, Q(1)), market(1, 1, 1, Side::SELL, Q(1)), market(2, 1, 1, Side::SELL, Q(1))});
    r.market(trade(kT0 + kSec, 1, P(1000), Q(2)));
    CHECK_EQ(r.position(0, 1).qty, -Q(1));
    CHECK_EQ(r.position(1, 1).qty, -Q(1));
    CHECK_EQ(r.position(2, 1).qty, 0);
    CHECK(r.engine->invariants_hold());
}

TEST(limit_orders_are_not_netted) {
    Rig r(default_config(2));
    r.market(quote(kT0, 1, P(999), P(1001), Q(1000), Q(1000)));
    r.step(kT0, {limit(1, 1, 1, Side::BUY, Q(10), P(1001)), limit(2, 1, 1, Side::SELL, Q(10), P(999))});
    CHECK(r.sink.records<CrossRecord>(RecordType::kCross).empty());
    const auto orders = r.sink.records<OrderRecord>(RecordType::kOrder);
    REQUIRE(orders.size() == 2);
    CHECK(orders[0].parent_id != orders[1].parent_id);
    CHECK_EQ(orders[0].child_count, 1);
}

TEST(full_cross_leaves_no_parent) {
    Rig r(default_config(2));
    r.market(quote(kT0, 1, P(999), P(1001), Q(1000), Q(1000)));
    r.step(kT0, {target(1, 1, 1, Q(40)), target(2, 1, 1, -Q(40))});
    CHECK(r.sink.records<OrderRecord>(RecordType::kOrder).empty());
    CHECK_EQ(r.position(0, 1).qty, Q(40));
    CHECK_EQ(r.position(1, 1).qty, -Q(40));
    CHECK_EQ(r.position(0, 1).avg_cost, P(1000));
    CHECK_EQ(r.engine->fund_position(1), 0);
    // then both flatten: crossed again at the new mid
    r.market(quote(kT0 + kSec, 1, P(1009), P(1011), Q(1000), Q(1000)));
    r.step(kT0 + kSec, {flatten(1, 2, 1), flatten(2, 2, 1)});
    CHECK_EQ(r.position(0, 1).qty, 0);
    CHECK_EQ(r.position(1, 1).qty, 0);
    CHECK_EQ(r.book(0).account.realized_pnl, M(400));
    CHECK_EQ(r.book(1).account.realized_pnl, -M(400));
}

TEST(invariant_holds_in_a_long_random_run) {
    FundConfig c = default_config(5);
    c.execution.participation_pct = 30;
    c.execution.fee_per_share = 1'000;
    c.execution.fee_centibps = 7;
    c.execution.slippage_bps = 3;
    c.execution.latency_ns = 100;
    Rig r(c);
    marketdata::Xoshiro256 rng(7);
    std::uint64_t ids[6] = {};
    Price mid[2] = {P(1000), P(500)};
    abi::Timestamp t = kT0;
    for (int step = 0; step < 300; ++step) {
        for (std::uint32_t md = 1; md <= 2; ++md) {
            Price& m = mid[md - 1];
            m += static_cast<Price>(rng.next() % 21) * P(1) - 10 * P(1);
            if (m < P(100)) {
                m = P(100);
            }
            const auto kind = rng.next() % 3;
            if (kind == 0) {
                r.market(quote(t, md, m - P(1), m + P(1), Q(1 + rng.next() % 300), Q(1 + rng.next() % 300)));
            } else if (kind == 1) {
                r.market(trade(t, md, m, Q(rng.next() % 200)));
            } else {
                r.market(bar(t, md, m, m + P(3), m - P(3), m, Q(rng.next() % 500)));
            }
        }
        std::vector<abi::IntentRecord> intents;
        for (std::uint32_t a = 1; a <= 5; ++a) {
            const int n = static_cast<int>(rng.next() % 3);
            for (int k = 0; k < n; ++k) {
                const std::uint32_t ins = 1 + static_cast<std::uint32_t>(rng.next() % 2);
                const std::uint64_t id = ++ids[a];
                switch (rng.next() % 6) {
                    case 0: intents.push_back(target(a, id, ins, Q(static_cast<std::int64_t>(rng.next() % 201) - 100))); break;
                    case 1: intents.push_back(market(a, id, ins, rng.next() % 2 ? Side::BUY : Side::SELL, Q(1 + rng.next() % 50),
                                                     static_cast<abi::TimeInForce>(1 + rng.next() % 4)));
                        break;
                    case 2: intents.push_back(limit(a, id, ins, rng.next() % 2 ? Side::BUY : Side::SELL, Q(1 + rng.next() % 50),
                                                    mid[ins - 1] + static_cast<Price>(rng.next() % 5) * P(1) - 2 * P(1),
                                                    static_cast<abi::TimeInForce>(1 + rng.next() % 4)));
                        break;
                    case 3: intents.push_back(flatten(a, id, ins)); break;
                    case 4: intents.push_back(cancel(a, id, id > 3 ? id - 1 - rng.next() % 3 : 1)); break;
                    default: intents.push_back(target(a, id, ins, 0)); break;
                }
            }
        }
        r.step(t, intents);
        REQUIRE(r.engine->invariants_hold());
        for (std::uint32_t ins = 1; ins <= 2; ++ins) {
            Quantity sum = 0;
            for (std::uint16_t slot = 0; slot < 5; ++slot) {
                sum += r.position(slot, ins).qty;
            }
            CHECK_EQ(sum, r.engine->fund_position(ins));
        }
        t += 60 * kSec;
    }
    CHECK(!r.engine->faulted());
    CHECK(r.engine->fills().size() > 100);
    r.engine->finish("done");
    CHECK(r.engine->invariants_hold());
}

FUNDOS_TEST_MAIN
