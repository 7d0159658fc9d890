// Validation of one private copy of an IntentRecord: a pure function of the copy and a context,
// no shared memory, no allocation. docs/TRANSPORT.md fixes the order; the first failure wins:
//
//   #  check                                                       reason
//   1  commit == the expected ring position + 1                    CORRUPT_SLOT
//      agent_id == the sender's configured id                      BAD_AGENT_ID
//   2  kind, side, order_type, time_in_force are known values      UNKNOWN_ENUM
//   3  intent_id > the agent's last processed intent id           INTENT_ID_NOT_INCREASING
//   4  0 < snapshot_seq <= latest published, latest - seq <= lag   STALE_SNAPSHOT (also "future")
//   5  instrument known (in the table, not UNUSED)                 UNKNOWN_INSTRUMENT
//      and mapped to this agent                                    INSTRUMENT_NOT_MAPPED
//   6  side / order_type / time_in_force / ref fit the kind        BAD_FIELD_COMBINATION
//   7  qty as the kind requires, a multiple of the lot, in bounds  BAD_QUANTITY
//   8  limit_price as the kind and order type require, on tick     BAD_PRICE
//   9  pad_44 and reserved_72 all zero                             RESERVED_NOT_ZERO
//
// Per kind (kKindRules in the source):
//
//   kind             instrument  side       order_type  tif       ref_intent_id  qty        limit_price
//   TARGET_POSITION  required    NONE       NONE        NONE      0              any sign   0
//   ORDER            required    BUY/SELL   MKT/LIMIT   not NONE  0              > 0        MARKET: 0; LIMIT: > 0
//   CANCEL           0 or valid  NONE       NONE        NONE      0 < ref < id   0          0
//   FLATTEN          required    NONE       NONE        NONE      0              0          0
//   END_OF_ANSWER    0           NONE       NONE        NONE      0              0          0
//
// Every non-zero qty is a multiple of the instrument's lot_size and |qty| <= limits.max_abs_qty;
// every non-zero limit_price is a multiple of tick_size and <= limits.max_price.
// A "must be 0" qty or price that is not 0 is BAD_QUANTITY / BAD_PRICE; a "must be NONE/0"
// side, order_type, time_in_force, ref or instrument that is not is BAD_FIELD_COMBINATION.
//
// Intent ids: the agent's last id advances when a record passes check 3, whatever a later check
// says (Verdict::intent_id_consumed), so a rejected id is never accepted later.
#pragma once

#include <cstdint>
#include <span>

#include "fundos/abi.hpp"

namespace fundos::transport {

/// Sanity bounds of the transport (the risk engine has its own, tighter limits).
struct ValidationLimits {
    abi::Quantity max_abs_qty = 1'000'000'000'000'000;  ///< 10^9 units (x10^-6)
    abi::Price max_price = 1'000'000'000'000'000;       ///< 10^7 per unit (x10^-8)
};

struct ValidationContext {
    std::uint32_t agent_id = 0;            ///< the sender's configured id
    abi::Sequence expected_commit = 0;     ///< ring position of the record + 1
    std::uint64_t last_intent_id = 0;      ///< highest intent id processed for this agent
    abi::Sequence latest_snapshot = 0;     ///< newest snapshot published
    abi::Sequence max_snapshot_lag = 0;    ///< oldest accepted = latest - lag
    std::span<const abi::InstrumentEntry> instruments;  ///< the Fund's private instrument table
    std::uint64_t mapped_instruments = 0;  ///< bit i: instruments[i] is mapped to this agent
    ValidationLimits limits{};
};

struct Verdict {
    abi::RejectReason reason = abi::RejectReason::NONE;  ///< NONE: accepted
    bool intent_id_consumed = false;  ///< the record's intent_id is now the agent's last id
    std::int32_t instrument_index = -1;  ///< row of the instrument in ctx.instruments, or -1
};

/// Validate `copy` (private memory) against `ctx`. Pure; never reads shared memory.
[[nodiscard]] Verdict validate_intent(const abi::IntentRecord& copy, const ValidationContext& ctx) noexcept;

}  // namespace fundos::transport
