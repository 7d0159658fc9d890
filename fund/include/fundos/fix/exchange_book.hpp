// ExchangeBook: the matching engine of fundos-exchange, the bundled exchange simulator
// (docs/FIX.md, "The exchange simulator"), free of QuickFIX.
//
// Client orders rest in a per-symbol book in price-time priority (market orders first, then the
// best limit, then arrival) and fill against the market data the simulator publishes: a buy is
// marketable when the ask is at or below its limit (a market order: any ask) and fills at the ask;
// a sell against the bid. A trade print fills resting limits it reaches at their limit. Liquidity
// at the touch is unlimited; the fill mode decides how an order fills:
//
//   immediate   everything at once, on arrival when marketable, else at the first event that is
//   partial     in fills of ceil(qty / pieces) rounded up to whole lots, one per later market event
//               (never on arrival); the last takes what is left
//   delayed     acknowledged at once; fills as immediate but not before `delay_ns` after arrival
//   reject      every NewOrderSingle is rejected (ExecType 8) with a reason text
//   disconnect  as immediate, and the FIX session is dropped after every `disconnect_every`
//               application messages received from it (the reports due meanwhile are stored and
//               resent by FIX when the client logs on again)
// IOC and FOK orders fill in full on arrival when marketable (any mode but reject), else are
// canceled. Positions are kept per account. Outputs are Outbound records in the order they must
// be sent; the caller sends them (no lock held: see exchange.cpp).
//
// Deterministic: ordered containers, ids from counters; only `now_ns` (delayed mode) is a clock.
// Not thread-safe: the caller serializes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "fundos/abi.hpp"
#include "fundos/marketdata/fmd_format.hpp"

namespace fundos::fix {

enum class FillMode : std::uint8_t { kImmediate, kPartial, kDelayed, kReject, kDisconnect };

[[nodiscard]] const char* to_string(FillMode mode) noexcept;

struct BookConfig {
    FillMode mode = FillMode::kImmediate;
    std::uint32_t pieces = 3;              ///< partial: fills per order
    std::uint64_t delay_ns = 200'000'000;  ///< delayed
    std::uint64_t disconnect_every = 5;    ///< disconnect: application messages per session drop
};

/// A NewOrderSingle as the book takes it.
struct NewOrder {
    std::uint32_t session = 0;  ///< the caller's index of the FIX session it came on
    std::string cl_ord_id;
    std::string account;
    std::string symbol;
    abi::Side side = abi::Side::NONE;
    abi::OrderType type = abi::OrderType::NONE;
    abi::TimeInForce tif = abi::TimeInForce::DAY;
    abi::Quantity qty = 0;
    abi::Price limit = 0;
    bool poss_dup = false;
};

/// One message to send (or, kDisconnect, a session to drop).
struct Outbound {
    enum class Kind : std::uint8_t { kExecReport, kCancelReject, kPositionAck, kPositionReport, kDisconnect };
    Kind kind = Kind::kExecReport;
    std::uint32_t session = 0;
    char exec_type = 0;
    char ord_status = 0;
    char cxl_rej_response_to = 0;  ///< kCancelReject: '1' cancel, '2' replace
    abi::Side side = abi::Side::NONE;
    abi::OrderType type = abi::OrderType::NONE;
    std::string cl_ord_id;
    std::string orig_cl_ord_id;
    std::string order_id;
    std::string exec_id;
    std::string symbol;
    std::string account;
    std::string text;
    std::string req_id;            ///< MassStatusReqID (ER) or PosReqID (AO, AP)
    std::string status_req_id;     ///< OrdStatusReqID (ER answering an OrderStatusRequest)
    bool unknown_order = false;    ///< the ER says the order is unknown (OrdRejReason 5)
    abi::Quantity order_qty = 0;
    abi::Quantity last_qty = 0;
    abi::Price last_px = 0;
    abi::Quantity cum = 0;
    abi::Quantity leaves = 0;
    abi::Price avg_px = 0;
    abi::Price limit = 0;
    abi::Timestamp time = 0;       ///< TransactTime: the exchange time of the latest market event
    std::int64_t total = -1;       ///< TotNumReports / TotalNumPosReports; -1: not a report of a request
    bool last = false;             ///< LastRptRequested
    abi::Quantity long_qty = 0;    ///< kPositionReport
    abi::Quantity short_qty = 0;
};

struct BookCounters {
    std::uint64_t orders = 0;
    std::uint64_t fills = 0;
    std::uint64_t rejects = 0;
    std::uint64_t cancels = 0;
    std::uint64_t replaces = 0;
    std::uint64_t cancel_rejects = 0;
    std::uint64_t duplicates = 0;   ///< resent requests (PossDup) already processed, ignored
    std::uint64_t disconnects = 0;
};

class ExchangeBook {
public:
    explicit ExchangeBook(BookConfig config) : config_(config) {}

    /// A symbol the book trades (the feed's instrument definitions); partial fills are whole lots.
    void define(std::uint32_t instrument_id, std::string_view symbol, abi::Quantity lot_size);
    /// A market event (QUOTE, TRADE; bars are ignored): fills what it makes marketable.
    void on_market(const marketdata::EventRecord& event, std::uint64_t now_ns, std::vector<Outbound>& out);
    /// Delayed mode: fills orders whose delay passed against the current quotes.
    void on_timer(std::uint64_t now_ns, std::vector<Outbound>& out);

    /// Counts an application message of `session`; in disconnect mode, every Nth adds a
    /// kDisconnect (before the message's own reports, so they are stored and resent).
    void on_application_message(std::uint32_t session, std::vector<Outbound>& out);
    void on_new(const NewOrder& order, std::uint64_t now_ns, std::vector<Outbound>& out);
    void on_cancel(std::uint32_t session, std::string_view cl_ord_id, std::string_view orig_cl_ord_id, bool poss_dup,
                   std::vector<Outbound>& out);
    /// `qty`: the new total; `limit`: the new limit (0: unchanged).
    void on_replace(std::uint32_t session, std::string_view cl_ord_id, std::string_view orig_cl_ord_id,
                    abi::Quantity qty, abi::Price limit, bool poss_dup, std::vector<Outbound>& out);
    /// OrderMassStatusRequest: every working order of `account` (all of the session's when empty).
    void on_mass_status(std::uint32_t session, std::string_view req_id, std::string_view account,
                        std::vector<Outbound>& out);
    /// OrderStatusRequest: the order named by any of its ClOrdIDs, or an "unknown order" report.
    void on_order_status(std::uint32_t session, std::string_view req_id, std::string_view cl_ord_id,
                         std::vector<Outbound>& out);
    /// RequestForPositions: an ack with the count, then one report per symbol held.
    void on_positions(std::uint32_t session, std::string_view req_id, std::string_view account,
                      std::vector<Outbound>& out);

    /// Signed position of `account` in `symbol`.
    [[nodiscard]] abi::Quantity position(const std::string& account, const std::string& symbol) const;
    [[nodiscard]] std::size_t working_orders() const noexcept;
    [[nodiscard]] const BookCounters& counters() const noexcept { return counters_; }

private:
    struct Order {
        std::uint64_t key = 0;       // its first arrival number: the key in orders_ and the books
        std::uint64_t seq = 0;       // time priority: arrival, renewed by a price change
        std::uint32_t session = 0;
        std::string order_id;
        std::string cl_ord_id;
        std::string account;
        std::string symbol;
        std::uint32_t instrument_id = 0;
        abi::Side side = abi::Side::NONE;
        abi::OrderType type = abi::OrderType::NONE;
        abi::TimeInForce tif = abi::TimeInForce::DAY;
        abi::Quantity qty = 0;
        abi::Quantity cum = 0;
        abi::Price limit = 0;
        __int128 notional = 0;       // sum of price * qty (raw units), for AvgPx
        std::uint64_t eligible_at = 0;
        bool done = false;
        bool canceled = false;
    };
    struct Market {
        std::string symbol;
        abi::Quantity lot = 1;
        abi::Price bid = 0;
        abi::Price ask = 0;
        std::vector<std::uint64_t> bids;  // resting buys in priority order (order keys)
        std::vector<std::uint64_t> asks;  // resting sells
    };

    [[nodiscard]] bool better(const Order& a, const Order& b) const noexcept;
    void rest(Order& order);
    void unrest(const Order& order);
    /// One fill of `order` at `price` if the mode and `now_ns` allow; true when it filled.
    bool fill(Order& order, abi::Price price, std::uint64_t now_ns, bool arrival, std::vector<Outbound>& out);
    /// Fills the resting orders of `market` the quote (or a trade at `trade`) makes marketable.
    void match(Market& market, abi::Price trade, std::uint64_t now_ns, std::vector<Outbound>& out);
    [[nodiscard]] Outbound report(const Order& order, char exec_type);
    [[nodiscard]] char status_of(const Order& order) const noexcept;
    [[nodiscard]] Order* find(std::string_view cl_ord_id);
    void cancel_reject(std::uint32_t session, std::string_view cl_ord_id, std::string_view orig_cl_ord_id,
                       const Order* order, char response_to, std::string_view text, std::vector<Outbound>& out);

    BookConfig config_;
    std::map<std::uint32_t, Market> markets_;
    std::map<std::string, std::uint32_t, std::less<>> symbols_;
    std::map<std::uint64_t, Order> orders_;                   // by the order's first seq (its key)
    std::map<std::string, std::uint64_t, std::less<>> ids_;   // every ClOrdID -> order key
    std::map<std::string, std::map<std::string, abi::Quantity>> positions_;  // account -> symbol -> qty
    std::map<std::uint32_t, std::uint64_t> messages_;         // session -> application messages
    std::uint64_t next_seq_ = 1;
    std::uint64_t next_exec_ = 1;
    abi::Timestamp clock_ = 0;
    BookCounters counters_;
};

}  // namespace fundos::fix
