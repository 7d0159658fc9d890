// The order state machine of the Fund's parent orders at a FIX venue, free of QuickFIX.
//
// FixVenue feeds it the facts of every ExecutionReport and OrderCancelReject (already parsed)
// and gets back the VenueEvents the engine must see. A venue may report a fill twice (a resend
// after a reconnect carries PossDupFlag=Y; some venues also resend without it), out of order (a
// fill before the order's acknowledgement), or after the order was canceled (the fill crossed the
// cancel on the wire). The rules, per parent order:
//
//   status          PendingNew -> New -> PartiallyFilled -> Filled
//                   New/PartiallyFilled -> PendingCancel -> Canceled (or back, on a cancel reject)
//                   New/PartiallyFilled -> PendingReplace -> New/PartiallyFilled (ExecType Replaced;
//                   the old ClOrdID is then Replaced) (or back, on a cancel reject)
//                   PendingNew -> Rejected
//   fills           ExecType F (Trade; 1 and 2 of older venues too) with LastQty > 0. Reported once:
//                   an ExecID already seen is a duplicate; a CumQty not above what was already
//                   reported is a resend of fills already counted (dropped); a CumQty above
//                   cum + LastQty means reports were missed, and the fill reported is the whole
//                   difference (CumQty is the venue's truth; the missed reports are dropped when
//                   they come). A fill is reported in every status, Canceled included: it happened.
//   inconsistent    a CumQty beyond the order's quantity, an unknown ClOrdID, a fill without a
//                   quantity: counted, logged (through the log hook), dropped; never a crash.
//   once            kAccepted, kCanceled, kRejected and kReplaced are emitted at most once per
//                   request; a fill before the acknowledgement emits kAccepted first.
//
// Threading: none; FixVenue serializes calls. Allocation: the maps grow with orders and ExecIDs
// (on FIX's thread, never the sequencer's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "fundos/venue/venue.hpp"

namespace fundos::fix {

/// FIX 4.4 ExecType (150) values the state machine reads.
namespace exec_type {
inline constexpr char kNew = '0';
inline constexpr char kPartialFill = '1';  ///< FIX 4.2; 4.4 says Trade
inline constexpr char kFill = '2';         ///< FIX 4.2; 4.4 says Trade
inline constexpr char kDoneForDay = '3';
inline constexpr char kCanceled = '4';
inline constexpr char kReplaced = '5';
inline constexpr char kPendingCancel = '6';
inline constexpr char kRejected = '8';
inline constexpr char kPendingNew = 'A';
inline constexpr char kExpired = 'C';
inline constexpr char kPendingReplace = 'E';
inline constexpr char kTrade = 'F';
inline constexpr char kOrderStatus = 'I';
}  // namespace exec_type

/// What one ExecutionReport (35=8) says, as FixVenue parsed it (quantities and prices in the
/// Fund's fixed point; absent numbers are 0, absent text empty).
struct ExecReportFacts {
    char exec_type = 0;                 ///< 150
    char ord_status = 0;                ///< 39
    std::string_view cl_ord_id;         ///< 11
    std::string_view orig_cl_ord_id;    ///< 41
    std::string_view exec_id;           ///< 17
    std::string_view text;              ///< 58
    abi::Quantity order_qty = 0;        ///< 38 (0: absent)
    abi::Quantity last_qty = 0;         ///< 32
    abi::Price last_px = 0;             ///< 31
    abi::Quantity cum_qty = 0;          ///< 14
    abi::Quantity leaves_qty = 0;       ///< 151
    abi::Money commission = 0;          ///< 12
    abi::Timestamp transact_time = 0;   ///< 60
    bool poss_dup = false;              ///< 43 (PossDupFlag) or 97 (PossResend)
};

/// What one OrderCancelReject (35=9) says.
struct CancelRejectFacts {
    std::string_view cl_ord_id;       ///< 11: the cancel or replace request's
    std::string_view orig_cl_ord_id;  ///< 41
    std::string_view text;            ///< 58
    char ord_status = 0;              ///< 39
    abi::Timestamp transact_time = 0; ///< 60 (0: absent)
};

enum class OrderStatus : std::uint8_t {
    kPendingNew,
    kNew,
    kPartiallyFilled,
    kFilled,
    kPendingCancel,
    kPendingReplace,
    kCanceled,
    kRejected,
};

[[nodiscard]] const char* to_string(OrderStatus status) noexcept;

/// Reports that were not turned into events, by reason.
struct OrderCounters {
    std::uint64_t reports = 0;          ///< ExecutionReports and OrderCancelRejects seen
    std::uint64_t duplicates = 0;       ///< an ExecID seen before, or a repeated acknowledgement
    std::uint64_t stale_fills = 0;      ///< a fill whose CumQty was already reported (resend)
    std::uint64_t catch_up_fills = 0;   ///< fills reported for missed reports (CumQty jumped)
    std::uint64_t late_fills = 0;       ///< fills after a cancel was asked or done (reported)
    std::uint64_t inconsistent = 0;     ///< CumQty beyond the order, a fill without quantity, ...
    std::uint64_t unknown = 0;          ///< a ClOrdID that names no order of this run
};

/// One parent order at the venue.
struct OrderState {
    std::uint64_t parent_id = 0;
    abi::Side side = abi::Side::NONE;
    abi::OrderType type = abi::OrderType::MARKET;
    abi::Price limit = 0;
    char symbol[abi::SYMBOL_LEN + 1] = {};
    abi::Quantity qty = 0;             ///< total quantity (a replace changes it)
    abi::Quantity cum = 0;             ///< filled so far, as reported to the engine
    OrderStatus status = OrderStatus::kPendingNew;
    OrderStatus before_request = OrderStatus::kPendingNew;  ///< status a rejected request returns to
    std::uint32_t version = 0;         ///< N of the latest ClOrdID made for it
    std::string cl_ord_id;             ///< the ClOrdID the venue knows the order by now
    std::string pending_cl_ord_id;     ///< the cancel/replace request in flight; empty: none
    abi::Quantity pending_qty = 0;     ///< the replace's new total
    bool cancel_asked = false;         ///< a cancel was sent at some point (late-fill accounting)

    [[nodiscard]] abi::Quantity leaves() const noexcept;
    /// Working at the venue (a cancel may still be asked).
    [[nodiscard]] bool working() const noexcept;
};

/// Every order of one FIX session of the Fund, by parent id and by each of its ClOrdIDs.
class OrderTracker {
public:
    /// At most this many events come out of one report.
    static constexpr std::size_t kMaxEvents = 2;
    using Log = std::function<void(std::string_view)>;

    OrderTracker(std::string tag, std::string run, Log log = {});

    /// Registers a new order; its ClOrdID in `cl_ord_id`. False (nothing registered) when the
    /// parent id is already known or the command is not a kNew.
    bool on_new(const venue::VenueCommand& command, std::string& cl_ord_id);
    /// Registers a cancel (kCancel) or cancel/replace (kReplace, new total qty) request: the new
    /// ClOrdID and the OrigClOrdID to send. False when the order is unknown, not working, or a
    /// request is already in flight (FIX allows one at a time per order).
    bool on_cancel(std::uint64_t parent_id, std::string& cl_ord_id, std::string& orig_cl_ord_id);
    bool on_replace(std::uint64_t parent_id, abi::Quantity qty, std::string& cl_ord_id, std::string& orig_cl_ord_id);
    /// The message with `cl_ord_id` could not be sent: forget the request (or the new order).
    void on_send_failed(std::uint64_t parent_id, std::string_view cl_ord_id);

    /// Takes over an order of this run the venue reports as working (start-up reconciliation after
    /// a restart), so its later reports are recognized: `cl_ord_id` is its current ClOrdID, whose
    /// tag and run must be this tracker's. False (nothing changed) otherwise, or when the parent
    /// is already known.
    bool adopt(std::string_view cl_ord_id, std::string_view symbol, abi::Side side, abi::Quantity qty,
               abi::Quantity cum);

    /// Applies a report; writes 0..kMaxEvents events into `out` and returns how many.
    std::size_t on_exec_report(const ExecReportFacts& report, std::span<venue::VenueEvent, kMaxEvents> out);
    std::size_t on_cancel_reject(const CancelRejectFacts& reject, std::span<venue::VenueEvent, kMaxEvents> out);

    /// Parent ids of the orders still working (kill switch: cancel each), ascending.
    [[nodiscard]] std::vector<std::uint64_t> working() const;
    [[nodiscard]] const OrderState* find(std::uint64_t parent_id) const noexcept;
    [[nodiscard]] const OrderCounters& counters() const noexcept { return counters_; }
    [[nodiscard]] const std::string& tag() const noexcept { return tag_; }
    [[nodiscard]] const std::string& run() const noexcept { return run_; }

private:
    OrderState* order_of(std::string_view cl_ord_id, std::string_view orig_cl_ord_id) noexcept;
    std::string next_id(OrderState& order);
    void note(std::string_view what, std::string_view cl_ord_id, std::string_view exec_id);
    venue::VenueEvent event(const OrderState& order, venue::VenueEvent::Kind kind, abi::Timestamp time) const noexcept;
    std::size_t fill(OrderState& order, const ExecReportFacts& report, std::span<venue::VenueEvent, kMaxEvents> out);

    std::string tag_;
    std::string run_;
    Log log_;
    std::map<std::uint64_t, OrderState> orders_;               // ordered: working() is deterministic
    std::unordered_map<std::string, std::uint64_t> by_cl_ord_id_;  // every ClOrdID ever made -> parent
    std::unordered_set<std::string> exec_ids_;
    OrderCounters counters_;
};

}  // namespace fundos::fix
