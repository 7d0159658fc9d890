// The order state machine (fix/order_state.hpp) and the ClOrdID scheme, without FIX: reports are
// written as the facts FixVenue would parse, in the orders a venue may send them.
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "check.hpp"
#include "fundos/fix/cl_ord_id.hpp"
#include "fundos/fix/order_state.hpp"

namespace fix = fundos::fix;
namespace abi = fundos::abi;
using fundos::venue::VenueCommand;
using fundos::venue::VenueEvent;
using Kind = VenueEvent::Kind;

namespace {

constexpr abi::Quantity kUnit = 1'000'000;     // one share
constexpr abi::Price kPx = 100'00000000;       // 100.00

struct Rig {
    std::vector<std::string> log;
    fix::OrderTracker tracker{"FUNDOS", "r1", [this](std::string_view line) { log.emplace_back(line); }};
    std::vector<VenueEvent> events;
    std::vector<std::string> ids;  // ClOrdIDs made, in order

    std::string add(std::uint64_t parent, abi::Quantity qty) {
        VenueCommand c;
        c.kind = VenueCommand::Kind::kNew;
        c.side = abi::Side::BUY;
        c.parent_id = parent;
        c.qty = qty;
        std::memcpy(c.symbol, "AAA", 3);
        std::string id;
        REQUIRE(tracker.on_new(c, id));
        return id;
    }
    void report(char exec_type, const std::string& cl, const std::string& exec_id, abi::Quantity last,
                abi::Quantity cum, bool poss_dup = false, const std::string& orig = "", abi::Quantity order_qty = 0) {
        fix::ExecReportFacts r;
        r.exec_type = exec_type;
        r.cl_ord_id = cl;
        r.orig_cl_ord_id = orig;
        r.exec_id = exec_id;
        r.last_qty = last;
        r.last_px = last > 0 ? kPx : 0;
        r.cum_qty = cum;
        r.order_qty = order_qty;
        r.poss_dup = poss_dup;
        r.text = "why";
        VenueEvent out[fix::OrderTracker::kMaxEvents];
        const std::size_t n = tracker.on_exec_report(r, out);
        events.insert(events.end(), out, out + n);
    }
    void cancel_reject(const std::string& cl, const std::string& orig) {
        fix::CancelRejectFacts r;
        r.cl_ord_id = cl;
        r.orig_cl_ord_id = orig;
        r.text = "too late";
        VenueEvent out[fix::OrderTracker::kMaxEvents];
        const std::size_t n = tracker.on_cancel_reject(r, out);
        events.insert(events.end(), out, out + n);
    }
    abi::Quantity filled() const {
        abi::Quantity sum = 0;
        for (const VenueEvent& e : events) {
            sum += e.kind == Kind::kFill ? e.qty : 0;
        }
        return sum;
    }
    std::vector<Kind> kinds() const {
        std::vector<Kind> out;
        for (const VenueEvent& e : events) {
            out.push_back(e.kind);
        }
        return out;
    }
};

}  // namespace

TEST(cl_ord_id_round_trips_and_rejects_foreign_ids) {
    const std::string id = fix::make_cl_ord_id("FUNDOS", "r-7", 42, 3);
    CHECK_EQ(id, std::string("FUNDOS.r-7.42.3"));
    const auto parts = fix::parse_cl_ord_id(id);
    REQUIRE(parts.has_value());
    CHECK_EQ(parts->parent_id, std::uint64_t{42});
    CHECK_EQ(parts->version, std::uint32_t{3});
    CHECK(parts->tag == "FUNDOS");
    CHECK(parts->run == "r-7");
    for (const char* foreign : {"12345", "A.B.C.D", "FUNDOS.r.01.0", "FUNDOS..1.0", "X.Y.1.2.3", "", "T.r.1."}) {
        CHECK(!fix::parse_cl_ord_id(foreign).has_value());
    }
    CHECK(!fix::valid_cl_ord_token("has.dot"));
    CHECK(fix::valid_cl_ord_token("ok_-9"));
}

TEST(partial_fills_then_filled) {
    Rig rig;
    const std::string id = rig.add(1, 10 * kUnit);
    rig.report(fix::exec_type::kNew, id, "E1", 0, 0);
    rig.report(fix::exec_type::kTrade, id, "E2", 3 * kUnit, 3 * kUnit);
    rig.report(fix::exec_type::kTrade, id, "E3", 7 * kUnit, 10 * kUnit);
    REQUIRE(rig.events.size() == 3);
    CHECK(rig.kinds() == (std::vector<Kind>{Kind::kAccepted, Kind::kFill, Kind::kFill}));
    CHECK_EQ(rig.events[1].leaves, 7 * kUnit);
    CHECK_EQ(rig.events[2].leaves, abi::Quantity{0});
    CHECK_EQ(rig.events[2].cum, 10 * kUnit);
    CHECK_EQ(std::string(rig.events[2].exec_id), std::string("E3"));
    CHECK(rig.tracker.find(1)->status == fix::OrderStatus::kFilled);
    CHECK(rig.tracker.working().empty());
}

TEST(duplicate_exec_ids_and_poss_dup_resends_count_once) {
    Rig rig;
    const std::string id = rig.add(1, 10 * kUnit);
    rig.report(fix::exec_type::kNew, id, "E1", 0, 0);
    rig.report(fix::exec_type::kTrade, id, "E2", 4 * kUnit, 4 * kUnit);
    rig.report(fix::exec_type::kTrade, id, "E2", 4 * kUnit, 4 * kUnit);        // duplicate
    rig.report(fix::exec_type::kTrade, id, "E2", 4 * kUnit, 4 * kUnit, true);  // resend
    rig.report(fix::exec_type::kNew, id, "E1", 0, 0, true);                   // resent ack
    // The same fill under a new ExecID (a venue that re-reports): CumQty did not grow.
    rig.report(fix::exec_type::kTrade, id, "E2b", 4 * kUnit, 4 * kUnit);
    CHECK_EQ(rig.filled(), 4 * kUnit);
    CHECK_EQ(rig.events.size(), std::size_t{2});
    CHECK_EQ(rig.tracker.counters().duplicates, std::uint64_t{3});
    CHECK_EQ(rig.tracker.counters().stale_fills, std::uint64_t{1});
}

TEST(a_fill_before_the_ack_accepts_first_and_the_late_ack_is_dropped) {
    Rig rig;
    const std::string id = rig.add(1, 10 * kUnit);
    rig.report(fix::exec_type::kTrade, id, "E2", 2 * kUnit, 2 * kUnit);
    rig.report(fix::exec_type::kNew, id, "E1", 0, 0);
    CHECK(rig.kinds() == (std::vector<Kind>{Kind::kAccepted, Kind::kFill}));
    CHECK(rig.tracker.find(1)->status == fix::OrderStatus::kPartiallyFilled);
}

TEST(missed_reports_are_caught_up_by_cum_qty_and_dropped_when_they_come) {
    Rig rig;
    const std::string id = rig.add(1, 10 * kUnit);
    rig.report(fix::exec_type::kNew, id, "E1", 0, 0);
    rig.report(fix::exec_type::kTrade, id, "E3", 3 * kUnit, 5 * kUnit);  // E2 (2 units) was missed
    rig.report(fix::exec_type::kTrade, id, "E2", 2 * kUnit, 2 * kUnit, true);  // resent late
    CHECK_EQ(rig.filled(), 5 * kUnit);
    CHECK_EQ(rig.tracker.counters().catch_up_fills, std::uint64_t{1});
    CHECK_EQ(rig.tracker.counters().stale_fills, std::uint64_t{1});
}

TEST(late_fill_after_cancel_is_reported) {
    Rig rig;
    const std::string id = rig.add(1, 10 * kUnit);
    rig.report(fix::exec_type::kNew, id, "E1", 0, 0);
    std::string cancel_id;
    std::string orig;
    REQUIRE(rig.tracker.on_cancel(1, cancel_id, orig));
    CHECK_EQ(orig, id);
    CHECK_EQ(cancel_id, std::string("FUNDOS.r1.1.1"));
    CHECK(rig.tracker.find(1)->status == fix::OrderStatus::kPendingCancel);
    rig.report(fix::exec_type::kTrade, id, "E2", 1 * kUnit, 1 * kUnit);  // crossed the cancel
    rig.report(fix::exec_type::kCanceled, cancel_id, "E3", 0, 1 * kUnit, false, id);
    rig.report(fix::exec_type::kTrade, id, "E4", 2 * kUnit, 3 * kUnit);  // after Canceled: it happened
    rig.report(fix::exec_type::kCanceled, cancel_id, "E3", 0, 1 * kUnit, true, id);  // resend
    CHECK(rig.kinds() == (std::vector<Kind>{Kind::kAccepted, Kind::kFill, Kind::kCanceled, Kind::kFill}));
    CHECK_EQ(rig.filled(), 3 * kUnit);
    CHECK_EQ(rig.events[2].leaves, abi::Quantity{0});
    CHECK_EQ(rig.tracker.counters().late_fills, std::uint64_t{2});
    CHECK(rig.tracker.find(1)->status == fix::OrderStatus::kCanceled);
    CHECK(!rig.tracker.on_cancel(1, cancel_id, orig));  // nothing left to cancel
}

TEST(replace_changes_the_quantity_and_the_clordid) {
    Rig rig;
    const std::string id = rig.add(1, 10 * kUnit);
    rig.report(fix::exec_type::kNew, id, "E1", 0, 0);
    rig.report(fix::exec_type::kTrade, id, "E2", 2 * kUnit, 2 * kUnit);
    std::string replace_id;
    std::string orig;
    CHECK(!rig.tracker.on_replace(1, 2 * kUnit, replace_id, orig));  // not above the filled quantity
    REQUIRE(rig.tracker.on_replace(1, 6 * kUnit, replace_id, orig));
    std::string another;
    CHECK(!rig.tracker.on_cancel(1, another, orig));  // one request in flight at a time
    rig.report(fix::exec_type::kReplaced, replace_id, "E3", 0, 2 * kUnit, false, id, 6 * kUnit);
    rig.report(fix::exec_type::kReplaced, replace_id, "E3", 0, 2 * kUnit, true, id, 6 * kUnit);  // resend
    rig.report(fix::exec_type::kTrade, replace_id, "E4", 4 * kUnit, 6 * kUnit);
    CHECK(rig.kinds() == (std::vector<Kind>{Kind::kAccepted, Kind::kFill, Kind::kReplaced, Kind::kFill}));
    CHECK_EQ(rig.events[2].leaves, 4 * kUnit);
    CHECK_EQ(rig.tracker.find(1)->cl_ord_id, replace_id);
    CHECK(rig.tracker.find(1)->status == fix::OrderStatus::kFilled);
}

TEST(cancel_reject_returns_to_the_working_status_once) {
    Rig rig;
    const std::string id = rig.add(1, 10 * kUnit);
    rig.report(fix::exec_type::kNew, id, "E1", 0, 0);
    rig.report(fix::exec_type::kTrade, id, "E2", 1 * kUnit, 1 * kUnit);
    std::string cancel_id;
    std::string orig;
    REQUIRE(rig.tracker.on_cancel(1, cancel_id, orig));
    rig.cancel_reject(cancel_id, id);
    rig.cancel_reject(cancel_id, id);  // a resend
    CHECK(rig.kinds() == (std::vector<Kind>{Kind::kAccepted, Kind::kFill, Kind::kCancelRejected}));
    CHECK_EQ(std::string(rig.events[2].text), std::string("too late"));
    CHECK(rig.tracker.find(1)->status == fix::OrderStatus::kPartiallyFilled);
    CHECK(rig.tracker.on_cancel(1, cancel_id, orig));  // may ask again
}

TEST(rejected_new_order) {
    Rig rig;
    const std::string id = rig.add(1, 10 * kUnit);
    rig.report(fix::exec_type::kRejected, id, "E1", 0, 0);
    rig.report(fix::exec_type::kRejected, id, "E1", 0, 0, true);
    CHECK(rig.kinds() == (std::vector<Kind>{Kind::kRejected}));
    CHECK_EQ(std::string(rig.events[0].text), std::string("why"));
    CHECK(rig.tracker.working().empty());
}

TEST(inconsistent_and_unknown_reports_are_counted_logged_and_dropped) {
    Rig rig;
    const std::string id = rig.add(1, 10 * kUnit);
    rig.report(fix::exec_type::kNew, id, "E1", 0, 0);
    rig.report(fix::exec_type::kTrade, id, "E2", 11 * kUnit, 11 * kUnit);  // beyond the order
    rig.report(fix::exec_type::kTrade, id, "E3", 0, 0);                    // no quantity
    rig.report(fix::exec_type::kTrade, "FUNDOS.r1.99.0", "E4", kUnit, kUnit);  // not an order of ours
    rig.report(fix::exec_type::kTrade, "", "E5", kUnit, kUnit);
    CHECK_EQ(rig.events.size(), std::size_t{1});
    CHECK_EQ(rig.tracker.counters().inconsistent, std::uint64_t{2});
    CHECK_EQ(rig.tracker.counters().unknown, std::uint64_t{2});
    CHECK_EQ(rig.log.size(), std::size_t{4});
    CHECK_EQ(rig.filled(), abi::Quantity{0});
}

TEST(a_send_that_failed_is_forgotten) {
    Rig rig;
    const std::string id = rig.add(1, 10 * kUnit);
    rig.tracker.on_send_failed(1, id);
    CHECK(rig.tracker.find(1) == nullptr);
    rig.report(fix::exec_type::kNew, id, "E1", 0, 0);
    CHECK(rig.events.empty());
    const std::string again = rig.add(1, 10 * kUnit);  // the parent may be sent again
    CHECK_EQ(again, id);
}

FUNDOS_TEST_MAIN
