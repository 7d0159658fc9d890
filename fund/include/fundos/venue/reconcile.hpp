// Start-up reconciliation (production): before it trades, the Fund compares what its journal says
// it has at the venue with what the venue says, and refuses to trade on a difference it cannot
// explain.
//
// The journal is written ahead: every command is in the committed journal before it is sent, so
// the venue never holds an order of the Fund's that the journal does not name. What the journal
// can miss is what the venue did after the Fund's last commit (a crash between an execution
// report's arrival and the next commit). Those differences are explained, and turned into the
// venue events the Fund missed, to be applied (and journaled) before the first step:
//
//   the venue reports more filled on a parent than the journal     a recovered kFill of the
//     (same order, cum grew)                                         difference, at the price
//                                                                    that makes the venue's AvgPx
//   the venue no longer works a parent the journal holds working    a recovered kCanceled (after
//     (filled or canceled meanwhile)                                 any recovered fill)
//   a reduce the Fund asked for took effect (qty = the target)      a recovered kReplaced
//   the venue does not know a parent it never acknowledged          a recovered kRejected: the
//     (the Fund stopped between the commit and the send)             order never left the Fund
//
// Everything else is a mismatch the Fund cannot explain, and each is a line of the report:
// a parent the venue does not know although it acknowledged it; fewer fills at the venue than in the journal; a working
// order the journal does not hold as working (not the Fund's, or finished in the journal);
// a different side, symbol or quantity; and, after the recovered fills, a position per symbol
// that differs from the venue's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fundos/abi.hpp"
#include "fundos/venue/venue.hpp"

namespace fundos::venue {

/// A parent order the journal holds as working.
struct FundParent {
    std::uint64_t parent_id = 0;
    std::string symbol;
    abi::Side side = abi::Side::NONE;
    abi::Quantity qty = 0;          ///< the order's total quantity as last confirmed by the venue
    abi::Quantity cum = 0;          ///< filled, per the journal
    abi::Price avg_price = 0;       ///< average price of those fills (0 when none)
    abi::Quantity replace_qty = 0;  ///< a reduce asked for and not yet confirmed: the new total; 0: none
    bool cancel_pending = false;    ///< a cancel asked for and not yet confirmed
    bool accepted = false;          ///< the venue acknowledged it (or filled some of it), per the journal
};

/// The journal's side of the comparison: working parents and the fund's position per symbol.
struct FundView {
    std::vector<FundParent> parents;
    std::vector<VenuePosition> positions;
};

struct Reconciliation {
    /// Venue events the journal missed, in parent-id order (fill before cancel), to apply before
    /// the first step. Their exec_id starts with "reconcile-".
    std::vector<VenueEvent> recovered;
    /// One line per mismatch the Fund cannot explain; empty: trading may start.
    std::vector<std::string> mismatches;
    /// One line per explained difference (what `recovered` holds), for the operator.
    std::vector<std::string> explained;
    [[nodiscard]] bool ok() const noexcept { return mismatches.empty(); }
};

/// Compares the journal's view with the venue's answer (Venue::snapshot, asked about every parent
/// of `fund`). Pure: the same inputs give the same result, in a fixed order.
[[nodiscard]] Reconciliation reconcile(const FundView& fund, const VenueSnapshot& venue);

}  // namespace fundos::venue
