// The exchange simulator's matching engine (fix/exchange_book.hpp) without FIX: orders in, the
// reports it would send out, against market events written here.
#include <string>
#include <vector>

#include "check.hpp"
#include "fundos/fix/exchange_book.hpp"
#include "fundos/fix/order_state.hpp"

namespace fix = fundos::fix;
namespace abi = fundos::abi;
namespace md = fundos::marketdata;
using Out = fix::Outbound;

namespace {

constexpr abi::Quantity kUnit = 1'000'000;
constexpr abi::Price kDollar = 100'000'000;

md::EventRecord quote(abi::Price bid, abi::Price ask) {
    md::EventRecord e{};
    e.time = 1'000;
    e.instrument_id = 7;
    e.kind = md::EventKind::QUOTE;
    e.v[0] = bid;
    e.v[1] = ask;
    return e;
}

md::EventRecord trade(abi::Price price) {
    md::EventRecord e{};
    e.time = 2'000;
    e.instrument_id = 7;
    e.kind = md::EventKind::TRADE;
    e.v[0] = price;
    e.v[1] = kUnit;
    return e;
}

fix::NewOrder order(const std::string& id, abi::Side side, abi::Quantity qty, abi::Price limit = 0,
                    abi::TimeInForce tif = abi::TimeInForce::GTC) {
    fix::NewOrder o;
    o.cl_ord_id = id;
    o.account = "ACC1";
    o.symbol = "AAA";
    o.side = side;
    o.type = limit > 0 ? abi::OrderType::LIMIT : abi::OrderType::MARKET;
    o.tif = tif;
    o.qty = qty;
    o.limit = limit;
    return o;
}

std::vector<Out> fills(const std::vector<Out>& out) {
    std::vector<Out> f;
    for (const Out& o : out) {
        if (o.kind == Out::Kind::kExecReport && o.exec_type == fix::exec_type::kTrade) {
            f.push_back(o);
        }
    }
    return f;
}

fix::ExchangeBook book_with(fix::BookConfig config = {}) {
    fix::ExchangeBook book(config);
    book.define(7, "AAA", kUnit);
    return book;
}

}  // namespace

TEST(a_marketable_order_fills_at_the_touch_on_arrival) {
    auto book = book_with();
    std::vector<Out> out;
    book.on_market(quote(99 * kDollar, 100 * kDollar), 0, out);
    book.on_new(order("b1", abi::Side::BUY, 5 * kUnit), 0, out);
    REQUIRE(out.size() == 2);
    CHECK_EQ(out[0].exec_type, fix::exec_type::kNew);
    CHECK_EQ(out[1].exec_type, fix::exec_type::kTrade);
    CHECK_EQ(out[1].last_px, 100 * kDollar);
    CHECK_EQ(out[1].ord_status, '2');
    CHECK_EQ(out[1].leaves, abi::Quantity{0});
    CHECK_EQ(book.position("ACC1", "AAA"), 5 * kUnit);
    CHECK_EQ(book.working_orders(), std::size_t{0});
}

TEST(resting_orders_fill_in_price_time_priority) {
    auto book = book_with();
    std::vector<Out> out;
    book.on_market(quote(99 * kDollar, 105 * kDollar), 0, out);
    book.on_new(order("early", abi::Side::BUY, kUnit, 101 * kDollar), 0, out);
    book.on_new(order("better", abi::Side::BUY, kUnit, 102 * kDollar), 0, out);
    book.on_new(order("late", abi::Side::BUY, kUnit, 101 * kDollar), 0, out);
    book.on_new(order("below", abi::Side::BUY, kUnit, 100 * kDollar), 0, out);
    out.clear();
    book.on_market(quote(99 * kDollar, 101 * kDollar), 0, out);
    const auto f = fills(out);
    REQUIRE(f.size() == 3);
    CHECK_EQ(f[0].cl_ord_id, std::string("better"));
    CHECK_EQ(f[1].cl_ord_id, std::string("early"));
    CHECK_EQ(f[2].cl_ord_id, std::string("late"));
    CHECK_EQ(f[0].last_px, 101 * kDollar);  // at the ask: price improvement
    CHECK_EQ(book.working_orders(), std::size_t{1});
    // A trade print through the last one fills it at its limit.
    out.clear();
    book.on_market(trade(99 * kDollar), 0, out);
    const auto through = fills(out);
    REQUIRE(through.size() == 1);
    CHECK_EQ(through[0].last_px, 100 * kDollar);
}

TEST(partial_mode_fills_one_piece_per_event_never_on_arrival) {
    auto book = book_with({fix::FillMode::kPartial, 4, 0, 0});
    std::vector<Out> out;
    book.on_market(quote(99 * kDollar, 100 * kDollar), 0, out);
    book.on_new(order("s1", abi::Side::SELL, 10 * kUnit), 0, out);
    CHECK(fills(out).empty());
    for (int i = 0; i < 6; ++i) {
        book.on_market(quote(99 * kDollar, 100 * kDollar), 0, out);
    }
    const auto f = fills(out);
    REQUIRE(f.size() == 4);  // ceil(2.5) = 3 whole lots, 3, 3, then the 1 left
    CHECK_EQ(f[0].last_qty, 3 * kUnit);
    CHECK_EQ(f[3].last_qty, 1 * kUnit);
    CHECK_EQ(f[3].cum, 10 * kUnit);
    CHECK_EQ(f[3].last_px, 99 * kDollar);
    CHECK_EQ(book.position("ACC1", "AAA"), -10 * kUnit);
}

TEST(delayed_mode_waits_for_its_delay) {
    auto book = book_with({fix::FillMode::kDelayed, 3, 1'000, 0});
    std::vector<Out> out;
    book.on_market(quote(99 * kDollar, 100 * kDollar), 0, out);
    book.on_new(order("b1", abi::Side::BUY, kUnit), 500, out);
    book.on_timer(1'499, out);
    CHECK(fills(out).empty());
    book.on_timer(1'500, out);
    CHECK_EQ(fills(out).size(), std::size_t{1});
}

TEST(reject_mode_and_bad_orders_are_rejected_with_a_reason) {
    auto book = book_with({fix::FillMode::kReject, 3, 0, 0});
    std::vector<Out> out;
    book.on_new(order("b1", abi::Side::BUY, kUnit), 0, out);
    REQUIRE(out.size() == 1);
    CHECK_EQ(out[0].exec_type, fix::exec_type::kRejected);
    CHECK_EQ(out[0].text, std::string("simulator: reject mode"));
    auto normal = book_with();
    out.clear();
    auto unknown = order("b2", abi::Side::BUY, kUnit);
    unknown.symbol = "ZZZ";
    normal.on_new(unknown, 0, out);
    normal.on_new(order("b3", abi::Side::BUY, 0), 0, out);
    REQUIRE(out.size() == 2);
    CHECK_EQ(out[0].text, std::string("unknown symbol ZZZ"));
    CHECK_EQ(out[1].exec_type, fix::exec_type::kRejected);
}

TEST(ioc_not_marketable_is_canceled) {
    auto book = book_with();
    std::vector<Out> out;
    book.on_market(quote(99 * kDollar, 100 * kDollar), 0, out);
    book.on_new(order("i1", abi::Side::BUY, kUnit, 98 * kDollar, abi::TimeInForce::IOC), 0, out);
    REQUIRE(out.size() == 2);
    CHECK_EQ(out[1].exec_type, fix::exec_type::kCanceled);
    CHECK_EQ(book.working_orders(), std::size_t{0});
}

TEST(cancel_replace_and_their_rejects) {
    auto book = book_with();
    std::vector<Out> out;
    book.on_new(order("b1", abi::Side::BUY, 10 * kUnit, 90 * kDollar), 0, out);
    out.clear();
    book.on_replace(0, "b1r", "b1", 4 * kUnit, 0, false, out);
    REQUIRE(out.size() == 1);
    CHECK_EQ(out[0].exec_type, fix::exec_type::kReplaced);
    CHECK_EQ(out[0].orig_cl_ord_id, std::string("b1"));
    CHECK_EQ(out[0].leaves, 4 * kUnit);
    out.clear();
    book.on_replace(0, "b1r", "b1", 3 * kUnit, 0, true, out);  // a resend of a request taken: ignored
    CHECK(out.empty());
    book.on_cancel(0, "b1c", "b1", false, out);  // by any ClOrdID of the chain
    REQUIRE(out.size() == 1);
    CHECK_EQ(out[0].exec_type, fix::exec_type::kCanceled);
    CHECK_EQ(out[0].ord_status, '4');
    out.clear();
    book.on_cancel(0, "b1c2", "b1r", false, out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].kind == Out::Kind::kCancelReject);
    CHECK_EQ(out[0].text, std::string("too late to cancel"));
    out.clear();
    book.on_cancel(0, "x", "nope", false, out);
    REQUIRE(out.size() == 1);
    CHECK_EQ(out[0].text, std::string("unknown order"));
}

TEST(mass_status_positions_and_order_status_answer_from_the_book) {
    auto book = book_with();
    std::vector<Out> out;
    book.on_market(quote(99 * kDollar, 100 * kDollar), 0, out);
    book.on_new(order("b1", abi::Side::BUY, 2 * kUnit), 0, out);
    book.on_new(order("s1", abi::Side::SELL, 3 * kUnit, 120 * kDollar), 0, out);
    out.clear();
    book.on_mass_status(0, "M1", "ACC1", out);
    REQUIRE(out.size() == 1);
    CHECK_EQ(out[0].cl_ord_id, std::string("s1"));
    CHECK_EQ(out[0].total, std::int64_t{1});
    CHECK(out[0].last);
    out.clear();
    book.on_positions(0, "P1", "ACC1", out);
    REQUIRE(out.size() == 2);
    CHECK(out[0].kind == Out::Kind::kPositionAck);
    CHECK_EQ(out[1].long_qty, 2 * kUnit);
    out.clear();
    book.on_order_status(0, "S1", "b1", out);
    book.on_order_status(0, "S2", "never", out);
    REQUIRE(out.size() == 2);
    CHECK_EQ(out[0].ord_status, '2');
    CHECK_EQ(out[0].cum, 2 * kUnit);
    CHECK(out[1].unknown_order);
    out.clear();
    book.on_mass_status(0, "M2", "other", out);
    REQUIRE(out.size() == 1);
    CHECK_EQ(out[0].total, std::int64_t{0});
}

TEST(disconnect_mode_drops_every_nth_message) {
    auto book = book_with({fix::FillMode::kDisconnect, 3, 0, 2});
    std::vector<Out> out;
    for (int i = 0; i < 5; ++i) {
        book.on_application_message(0, out);
    }
    CHECK_EQ(out.size(), std::size_t{2});
    CHECK(out[0].kind == Out::Kind::kDisconnect);
}

FUNDOS_TEST_MAIN
