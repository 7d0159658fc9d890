// Netting and allocation: how the engine splits a quantity among several agents' orders.
//
// SPEC (docs/ENGINE.md quotes this block)
//
//   Netting, per instrument, per decision step (Engine::end_step, after the intents and the
//   silent-agent policies of the step):
//
//   1. The step's marketable children are the orders created in this step that are
//      MARKET with time in force DAY, GTC or IOC, the deltas of TARGET_POSITION intents, the
//      closes of FLATTEN intents and of the silent-agent flatten policy. (LIMIT orders and FOK
//      orders are never netted: each is its own parent order with one child.)
//   2. B = total quantity of the marketable buy children, S = of the sell children. C = min(B, S)
//      crosses internally at the reference price (mid of the last quote with both sides, else
//      the last trade, else the last bar close) with no fee. C is allocated within the buy side
//      pro rata to the children's quantities (allocate_pro_rata below), and within the sell
//      side the same way; each child's crossed share is a FILLED report (fee 0, price = the
//      reference price), a kCross journal record and a fills row marked internal. Every child
//      is on one side only; an agent with marketable children on both sides in the same
//      instrument and step (rare) may partly cross with itself: at one price and no fee that
//      changes neither its position nor its cash.
//   3. The residual (B - C buys or S - C sells; never both) goes to execution as ONE parent
//      order for the instrument, whose children are the agents' remaining quantities. A parent
//      is journaled as one kOrder record per child.
//   4. Each execution fill of a parent (execution.hpp) is allocated to its working children pro
//      rata to their remaining quantities (allocate_pro_rata); one kFill for the parent and one
//      kAllocation (plus a FILLED report and a fills row) per child share. Fees are computed on
//      each child's share (fixed_point.hpp), so a parent fill's fee is the sum of its shares'.
//
//   allocate_pro_rata(total T, lot L, weights w_1..w_n, keys) -> shares s_1..s_n:
//
//     Requires: T, every w_i are multiples of L (L > 0), 0 <= T <= W = sum w_i.
//     All arithmetic in whole lots t = T/L, u_i = w_i/L, exact in 128 bits:
//       base_i = floor(t * u_i / U)           (U = sum u_i)
//       rem_i  = (t * u_i) mod U              (the fractional part, in units of 1/U lot)
//       left   = t - sum base_i               (0 <= left < n)
//     The `left` lots go one each to the children with the largest rem_i; ties by the smaller
//     key (the engine's key is (agent id, intent id): lower agent id first). s_i = (base_i + 1
//     if chosen else base_i) * L.
//     Guarantees: sum s_i == T exactly; every s_i is a multiple of L; |s_i - T * w_i / W| < L
//     (each share within one lot of its exact pro-rata share); 0 <= s_i <= w_i; the result
//     depends only on (T, L, w, keys), not on the order of the inputs when keys are distinct.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "fundos/abi.hpp"

namespace fundos::engine {

/// One participant of an allocation.
struct AllocationInput {
    abi::Quantity weight = 0;  ///< >= 0, a multiple of the lot
    std::uint64_t key_hi = 0;  ///< tie-break, compared first (agent id)
    std::uint64_t key_lo = 0;  ///< then this (intent id)
};

/// Scratch space reused between calls so that allocating on the per-event path does not allocate
/// memory once warmed up.
struct AllocationScratch {
    std::vector<std::uint32_t> order;
    std::vector<__int128> rem;
};

enum class AllocationError : std::uint8_t {
    kOk = 0,
    kBadLot,        ///< lot <= 0
    kNotMultiple,   ///< total or a weight is not a multiple of the lot
    kNegative,      ///< total or a weight < 0
    kTooMuch,       ///< total > sum of weights
    kSizeMismatch,  ///< out.size() != inputs.size()
};

[[nodiscard]] const char* to_string(AllocationError error) noexcept;

/// Largest-remainder pro-rata allocation in whole lots (see the spec above). `out` must have
/// inputs.size() elements. On error `out` is left zeroed.
AllocationError allocate_pro_rata(abi::Quantity total, abi::Quantity lot, std::span<const AllocationInput> inputs,
                                  std::span<abi::Quantity> out, AllocationScratch& scratch);

}  // namespace fundos::engine
