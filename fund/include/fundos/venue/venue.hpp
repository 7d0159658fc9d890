// The boundary between the Fund's engine and a live execution venue (production mode).
//
// In production the engine does not fill orders itself: after netting, each parent order leaves
// as a VenueCommand (new, cancel, or a cancel/replace that reduces it), and what the venue does
// comes back as VenueEvents, which the sequencer hands to the engine at a step boundary. Both are
// PODs of fixed size: the engine journals every command (an output) and every event (an input),
// so replaying a production journal rebuilds the same state without the venue.
//
//   engine --VenueCommand--> Venue (FixVenue: QuickFIX initiator thread) --FIX 4.4--> exchange
//   engine <--VenueEvent---- Venue <--ExecutionReport / OrderCancelReject-------------- exchange
//
// A Venue turns the venue's messages into clean events: a fill is reported once (duplicates and
// possible resends are dropped by exec id), quantities are the Fund's fixed point, and every
// event names the parent order by the id the engine gave it (the FIX ClOrdID carries it). The
// order's lifecycle at the venue is the Venue's state machine (fix/order_state.hpp); the engine
// sees only what changed.
//
// Threading: send() is called by the sequencer only; poll() too. A Venue may run its own threads
// (QuickFIX's), and hands events over through a queue: poll() never blocks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fundos/abi.hpp"

namespace fundos::venue {

/// What the engine asks the venue to do with one parent order.
struct VenueCommand {
    enum class Kind : std::uint8_t {
        kNew = 1,      ///< a new parent order: every field below
        kCancel = 2,   ///< cancel what is left of parent_id
        kReplace = 3,  ///< reduce parent_id: its total quantity becomes `qty` (filled + new leaves)
    };
    Kind kind = Kind::kNew;
    abi::Side side = abi::Side::NONE;
    abi::OrderType type = abi::OrderType::MARKET;
    abi::TimeInForce tif = abi::TimeInForce::GTC;
    std::uint32_t instrument_id = 0;      ///< the Fund's config id
    std::uint64_t parent_id = 0;          ///< the engine's id; unique for the run (journaled)
    abi::Quantity qty = 0;                ///< kNew: the order's quantity; kReplace: the new total
    abi::Price limit = 0;                 ///< LIMIT only
    abi::Timestamp time = 0;              ///< the step clock it was decided at
    char symbol[abi::SYMBOL_LEN] = {};    ///< the venue's symbol (the instrument's)
};

/// What happened to a parent order at the venue.
struct VenueEvent {
    enum class Kind : std::uint8_t {
        kAccepted = 1,       ///< working at the venue (ExecType NEW)
        kFill = 2,           ///< qty at price (a partial or the last fill: see leaves)
        kCanceled = 3,       ///< no longer working; leaves is 0 (a cancel, an IOC rest, expiry)
        kReplaced = 4,       ///< a kReplace took effect: leaves is the new remaining quantity
        kRejected = 5,       ///< the venue refused the new order; nothing of it works
        kCancelRejected = 6, ///< the venue refused a kCancel/kReplace (e.g. already filled)
    };
    Kind kind = Kind::kAccepted;
    std::uint8_t reserved[7] = {};
    std::uint64_t parent_id = 0;
    abi::Quantity qty = 0;         ///< kFill: the fill's quantity (> 0)
    abi::Price price = 0;          ///< kFill: its price
    abi::Money fee = 0;            ///< kFill: the venue's commission for it (0 if none reported)
    abi::Quantity leaves = 0;      ///< quantity still working at the venue after this event
    abi::Quantity cum = 0;         ///< quantity filled so far
    abi::Timestamp venue_time = 0; ///< the venue's TransactTime (ns since the epoch, UTC)
    char exec_id[32] = {};         ///< the venue's ExecID (kFill: unique per fill), for the journal
    char text[64] = {};            ///< the venue's reason (kRejected, kCancelRejected, kCanceled)
};
static_assert(sizeof(VenueEvent) == 160);

/// One order as the venue reports it (start-up reconciliation): every order it says is working,
/// and each order the Fund asked about by id (working or not).
struct VenueOpenOrder {
    std::uint64_t parent_id = 0;   ///< 0 when its ClOrdID is not one of the Fund's
    std::string cl_ord_id;
    std::string symbol;
    abi::Side side = abi::Side::NONE;
    abi::Quantity qty = 0;         ///< the order's total quantity
    abi::Quantity cum = 0;
    abi::Quantity leaves = 0;
    abi::Price avg_price = 0;      ///< AvgPx of what filled (0 when nothing did)
    bool working = true;           ///< false: filled, canceled, rejected or unknown to the venue
    bool known = true;             ///< false: the venue does not know the order the Fund asked about
};

/// One position the venue holds for the account (start-up reconciliation).
struct VenuePosition {
    std::string symbol;
    abi::Quantity qty = 0;         ///< signed: long > 0
};

/// What the venue says the account holds: its working orders and positions.
struct VenueSnapshot {
    std::vector<VenueOpenOrder> orders;
    std::vector<VenuePosition> positions;
};

/// The venue, as the sequencer sees it.
class Venue {
public:
    virtual ~Venue() = default;
    /// Queue a command; false if it cannot be sent now (not logged on, queue full): the caller
    /// treats the command as refused by the venue (the engine turns it into a kRejected event).
    virtual bool send(const VenueCommand& command) noexcept = 0;
    /// The next event, if any; never blocks.
    virtual bool poll(VenueEvent& event) noexcept = 0;
    /// Logged on and able to take orders.
    [[nodiscard]] virtual bool connected() const noexcept = 0;
    /// Start-up reconciliation: ask the venue for the account's working orders and positions, and
    /// for the status of each parent in `ask_about` (orders the Fund's journal holds as working:
    /// the venue may have filled or canceled them while the Fund was down; FIX OrderStatusRequest),
    /// and wait (at most timeout_ms) for the whole answer. False with `error` set when it did not
    /// come.
    virtual bool snapshot(const std::vector<std::uint64_t>& ask_about, VenueSnapshot& out, std::uint64_t timeout_ms,
                          std::string& error) = 0;
};

}  // namespace fundos::venue
