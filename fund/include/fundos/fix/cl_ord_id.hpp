// The Fund's FIX ClOrdIDs (docs/FIX.md, "ClOrdID scheme"): TAG.RUN.PARENT.N
//
//   TAG     names the Fund's orders at the venue (FixVenueConfig::cl_ord_tag); reconciliation
//           recognizes the Fund's working orders by it, across restarts
//   RUN     unique per FIX session of the Fund (FixVenueConfig::run_token), because venues want a
//           ClOrdID unique for the trading day and a new run numbers its parent orders from 1 again
//   PARENT  the engine's parent_id (decimal), so every report names its parent order
//   N       0 for the NewOrderSingle, then 1, 2, ... for each cancel or cancel/replace request of
//           the order: FIX wants a fresh ClOrdID per request (OrigClOrdID names the one it replaces)
//
// TAG and RUN are [A-Za-z0-9_-]+ (no '.'), so a ClOrdID parses from either end.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fundos::fix {

struct ClOrdIdParts {
    std::string_view tag;
    std::string_view run;
    std::uint64_t parent_id = 0;
    std::uint32_t version = 0;
};

/// True when `text` may be a TAG or RUN: 1 to 16 characters of [A-Za-z0-9_-].
[[nodiscard]] bool valid_cl_ord_token(std::string_view text) noexcept;

[[nodiscard]] std::string make_cl_ord_id(std::string_view tag, std::string_view run, std::uint64_t parent_id,
                                         std::uint32_t version);

/// The parts of a ClOrdID of this scheme; nullopt for anything else (another system's order).
[[nodiscard]] std::optional<ClOrdIdParts> parse_cl_ord_id(std::string_view text) noexcept;

}  // namespace fundos::fix
