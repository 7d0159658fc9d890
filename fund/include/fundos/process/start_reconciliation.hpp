// Start-up reconciliation as the Fund runs it (production; docs/FUND.md, "Production mode"). The
// comparison itself is venue::reconcile (fundos/venue/reconcile.hpp, pure); this builds its
// journal side and writes what it found:
//
//   fresh start  the journal side is empty: no working parent and a flat position in every
//                configured symbol. So the venue must hold no working order for the account
//                and no position (in any symbol), or the Fund refuses to trade.
//   --resume     the engine rebuilt from the journal gives the working parents and positions
//                (Engine::venue_view); the journal's own records give what the view leaves out:
//                each parent's average fill price (its applied kVenueEvent fills) and the total
//                of a reduce asked for and not yet answered (its last kVenueCommand kReplace).
//
// RUN/reconciliation.json holds both views, the explained differences (applied as venue events
// before the first step) and every mismatch line; it is written whether or not trading starts.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "fundos/engine/config.hpp"
#include "fundos/engine/engine.hpp"
#include "fundos/engine/journal_replay.hpp"
#include "fundos/venue/reconcile.hpp"

namespace fundos::process {

/// Per parent, what the journal's venue records say beyond the engine's view.
struct JournalVenueFacts {
    struct Parent {
        __int128 notional = 0;          ///< sum of qty * price of its applied fills
        abi::Quantity filled = 0;       ///< their quantity
        abi::Quantity replace_qty = 0;  ///< the target of a reduce not yet answered; 0: none
    };
    std::map<std::uint64_t, Parent> parents;
};

/// Reads the kVenueCommand and kVenueEvent records of `records` (journal order).
[[nodiscard]] JournalVenueFacts collect_venue_facts(std::span<const engine::JournalEntry> records);

/// The journal's side: the engine's working parents and positions (symbols from `config`).
[[nodiscard]] venue::FundView fund_view(const engine::VenueView& view, const JournalVenueFacts& facts,
                                        const engine::FundConfig& config);
/// A fresh run's side: nothing working, flat in every configured symbol.
[[nodiscard]] venue::FundView flat_fund_view(const engine::FundConfig& config);

/// reconciliation.json's document. `at` is "start" or "resume".
[[nodiscard]] nlohmann::json reconciliation_json(const char* at, const std::string& run_token,
                                                 const venue::FundView& fund, const venue::VenueSnapshot& venue,
                                                 const venue::Reconciliation& result);

}  // namespace fundos::process
