// Start-up reconciliation (fundos/venue/reconcile.hpp): what it explains, what it refuses.
#include "fundos/venue/reconcile.hpp"

#include <string>

#include "check.hpp"

using namespace fundos;
using venue::FundParent;
using venue::FundView;
using venue::VenueEvent;
using venue::VenueOpenOrder;
using venue::VenuePosition;
using venue::VenueSnapshot;

namespace {

constexpr abi::Quantity kQ = 1'000'000;      // 1 share
constexpr abi::Price kP = 100'000'000;       // 1.0

FundParent parent(std::uint64_t id, abi::Quantity qty, abi::Quantity cum, abi::Price avg) {
    FundParent p;
    p.parent_id = id;
    p.symbol = "SPY";
    p.side = abi::Side::BUY;
    p.qty = qty;
    p.cum = cum;
    p.avg_price = avg;
    p.accepted = true;
    return p;
}

VenueOpenOrder order(std::uint64_t id, abi::Quantity qty, abi::Quantity cum, abi::Price avg, bool working = true) {
    VenueOpenOrder o;
    o.parent_id = id;
    o.cl_ord_id = "F1-" + std::to_string(id);
    o.symbol = "SPY";
    o.side = abi::Side::BUY;
    o.qty = qty;
    o.cum = cum;
    o.leaves = working ? qty - cum : 0;
    o.avg_price = avg;
    o.working = working;
    return o;
}

bool mentions(const std::vector<std::string>& lines, const std::string& text) {
    for (const std::string& line : lines) {
        if (line.find(text) != std::string::npos) {
            return true;
        }
    }
    return false;
}

}  // namespace

TEST(agreeing_views_reconcile_with_nothing_to_recover) {
    FundView fund;
    fund.parents.push_back(parent(7, 100 * kQ, 40 * kQ, 400 * kP));
    fund.positions.push_back({"SPY", 40 * kQ});
    VenueSnapshot venue;
    venue.orders.push_back(order(7, 100 * kQ, 40 * kQ, 400 * kP));
    venue.positions.push_back({"SPY", 40 * kQ});
    const venue::Reconciliation r = venue::reconcile(fund, venue);
    CHECK(r.ok());
    CHECK(r.recovered.empty());
    CHECK(r.explained.empty());
}

TEST(fills_after_the_last_commit_are_recovered_at_the_price_that_makes_the_average) {
    // The journal has 40 at 400; the venue 100 at an average of 401.2: 60 more at 402.
    FundView fund;
    fund.parents.push_back(parent(7, 100 * kQ, 40 * kQ, 400 * kP));
    fund.positions.push_back({"SPY", 40 * kQ});
    VenueSnapshot venue;
    venue.orders.push_back(order(7, 100 * kQ, 100 * kQ, 40120 * kP / 100, false));
    venue.positions.push_back({"SPY", 100 * kQ});
    const venue::Reconciliation r = venue::reconcile(fund, venue);
    CHECK(r.ok());
    REQUIRE(r.recovered.size() == 2);
    CHECK(r.recovered[0].kind == VenueEvent::Kind::kFill);
    CHECK_EQ(r.recovered[0].parent_id, 7u);
    CHECK_EQ(r.recovered[0].qty, 60 * kQ);
    CHECK_EQ(r.recovered[0].price, 402 * kP);
    CHECK_EQ(r.recovered[0].cum, 100 * kQ);
    CHECK(r.recovered[1].kind == VenueEvent::Kind::kCanceled);  // no longer working: nothing left of it
    CHECK_EQ(r.recovered[1].leaves, 0);
    CHECK_EQ(r.explained.size(), 2u);
}

TEST(a_reduce_that_took_effect_is_recovered_as_replaced) {
    FundView fund;
    FundParent p = parent(9, 100 * kQ, 0, 0);
    p.replace_qty = 30 * kQ;
    fund.parents.push_back(p);
    VenueSnapshot venue;
    venue.orders.push_back(order(9, 30 * kQ, 0, 0));
    const venue::Reconciliation r = venue::reconcile(fund, venue);
    CHECK(r.ok());
    REQUIRE(r.recovered.size() == 1);
    CHECK(r.recovered[0].kind == VenueEvent::Kind::kReplaced);
    CHECK_EQ(r.recovered[0].leaves, 30 * kQ);
}

TEST(an_order_the_venue_does_not_know_is_refused) {
    FundView fund;
    fund.parents.push_back(parent(7, 100 * kQ, 0, 0));
    VenueSnapshot venue;
    VenueOpenOrder unknown = order(7, 0, 0, 0, false);
    unknown.known = false;
    venue.orders.push_back(unknown);
    const venue::Reconciliation r = venue::reconcile(fund, venue);
    CHECK(!r.ok());
    CHECK(mentions(r.mismatches, "parent 7 (SPY BUY 100, 0 filled) is working in the journal; the venue does not know it"));
    CHECK(r.recovered.empty());
}

TEST(an_order_never_acknowledged_and_unknown_to_the_venue_never_left_the_fund) {
    FundView fund;
    FundParent p = parent(8, 100 * kQ, 0, 0);
    p.accepted = false;
    fund.parents.push_back(p);
    VenueSnapshot venue;
    VenueOpenOrder unknown = order(8, 0, 0, 0, false);
    unknown.known = false;
    venue.orders.push_back(unknown);
    const venue::Reconciliation r = venue::reconcile(fund, venue);
    CHECK(r.ok());
    REQUIRE(r.recovered.size() == 1);
    CHECK(r.recovered[0].kind == VenueEvent::Kind::kRejected);
    CHECK_EQ(r.recovered[0].parent_id, 8u);
    CHECK(mentions(r.explained, "journaled but not sent"));
}

TEST(fewer_fills_at_the_venue_than_in_the_journal_are_refused) {
    FundView fund;
    fund.parents.push_back(parent(7, 100 * kQ, 40 * kQ, 400 * kP));
    fund.positions.push_back({"SPY", 40 * kQ});
    VenueSnapshot venue;
    venue.orders.push_back(order(7, 100 * kQ, 20 * kQ, 400 * kP));
    venue.positions.push_back({"SPY", 20 * kQ});
    const venue::Reconciliation r = venue::reconcile(fund, venue);
    CHECK(!r.ok());
    CHECK(mentions(r.mismatches, "the venue reports only 20 filled"));
    CHECK(mentions(r.mismatches, "position in SPY: the journal (with recovered fills) holds 40, the venue 20"));
}

TEST(a_working_order_that_is_not_the_funds_or_is_finished_in_the_journal_is_refused) {
    FundView fund;
    VenueSnapshot venue;
    VenueOpenOrder foreign = order(0, 5 * kQ, 0, 0);
    foreign.cl_ord_id = "MANUAL-1";
    venue.orders.push_back(foreign);
    venue.orders.push_back(order(12, 5 * kQ, 0, 0));
    const venue::Reconciliation r = venue::reconcile(fund, venue);
    CHECK_EQ(r.mismatches.size(), 2u);
    CHECK(mentions(r.mismatches, "order MANUAL-1 (SPY BUY 5 working) is working at the venue and is not the Fund's"));
    CHECK(mentions(r.mismatches, "the journal holds it as finished"));
}

TEST(positions_must_agree_after_the_recovered_fills) {
    FundView fund;
    fund.positions.push_back({"SPY", 10 * kQ});
    fund.positions.push_back({"QQQ", -kQ / 2});
    VenueSnapshot venue;
    venue.positions.push_back({"SPY", 10 * kQ});
    venue.positions.push_back({"IWM", 3 * kQ});
    const venue::Reconciliation r = venue::reconcile(fund, venue);
    CHECK_EQ(r.mismatches.size(), 2u);
    CHECK(mentions(r.mismatches, "position in IWM: the journal (with recovered fills) holds 0, the venue 3"));
    CHECK(mentions(r.mismatches, "position in QQQ: the journal (with recovered fills) holds -0.5, the venue 0"));
}

TEST(a_different_side_or_quantity_is_refused) {
    FundView fund;
    fund.parents.push_back(parent(3, 10 * kQ, 0, 0));
    fund.parents.push_back(parent(4, 10 * kQ, 0, 0));
    VenueSnapshot venue;
    VenueOpenOrder sell = order(3, 10 * kQ, 0, 0);
    sell.side = abi::Side::SELL;
    venue.orders.push_back(sell);
    venue.orders.push_back(order(4, 12 * kQ, 0, 0));
    const venue::Reconciliation r = venue::reconcile(fund, venue);
    CHECK_EQ(r.mismatches.size(), 2u);
    CHECK(mentions(r.mismatches, "the venue has it as SPY SELL"));
    CHECK(mentions(r.mismatches, "the venue's order quantity is 12"));
}

FUNDOS_TEST_MAIN
