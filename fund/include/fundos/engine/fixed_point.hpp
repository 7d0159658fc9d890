// Fixed-point arithmetic of the engine: one rounding rule for every figure that reaches a report,
// the journal or the snapshot.
//
// SPEC (docs/ENGINE.md quotes this block)
//
//   Units are the ABI's: Price raw * 1e-8, Quantity raw * 1e-6, Money raw * 1e-6.
//   Every product is formed exactly in a 128-bit integer (__int128) and divided ONCE, rounding
//   half away from zero (round_div): 2.5 -> 3, -2.5 -> -3, 2.4999 -> 2. No floating point is used
//   for anything that reaches a report, the journal, the snapshot or the results, except ratios
//   derived at the very end by the caller.
//
//   notional(q, p)   = round(q * p / 1e8)                      Money of q units at price p (signed
//                                                              like q; notional(-q,p) == -notional(q,p))
//   mid(bid, ask)    = round((bid + ask) / 2)                  Price
//   apply_bps(p, b)  = round(p * (10000 + b) / 10000)          Price moved by b bps (b may be < 0)
//   fee(q, p, fps, c)= round((fps * |q| * 1e8 + |q| * p * c) / 1e14)
//                      fee_per_share fps (Money per 1.0 unit) times |q|, plus c hundredths of a
//                      basis point (centibps) of the notional |q| * p, summed exactly before the
//                      one rounding
//   floor_lots(q, L) = q rounded toward zero to a multiple of the lot L (participation caps)
//
//   A result outside int64 saturates at INT64_MIN / INT64_MAX (never reached with the
//   transport's bounds: |qty| <= 1e15 raw, price <= 1e15 raw).
#pragma once

#include <cstdint>
#include <limits>

#include "fundos/abi.hpp"

namespace fundos::engine::fx {

using i128 = __int128;

inline constexpr std::int64_t kPriceScale = 100'000'000;    // 1e8
inline constexpr std::int64_t kQtyScale = 1'000'000;        // 1e6
inline constexpr std::int64_t kBpsScale = 10'000;

/// Saturating narrowing of a 128-bit value.
[[nodiscard]] constexpr std::int64_t clamp64(i128 v) noexcept {
    if (v > static_cast<i128>(std::numeric_limits<std::int64_t>::max())) {
        return std::numeric_limits<std::int64_t>::max();
    }
    if (v < static_cast<i128>(std::numeric_limits<std::int64_t>::min())) {
        return std::numeric_limits<std::int64_t>::min();
    }
    return static_cast<std::int64_t>(v);
}

/// num / den rounded half away from zero; den > 0.
[[nodiscard]] constexpr i128 round_div128(i128 num, i128 den) noexcept {
    constexpr i128 kMin64 = std::numeric_limits<std::int64_t>::min();
    constexpr i128 kMax64 = std::numeric_limits<std::int64_t>::max();
    if (num >= kMin64 && num <= kMax64 && den <= kMax64) {
        // The same arithmetic in 64 bits, where it almost always fits: a 128-bit division is a
        // library call, a 64-bit one by a constant a multiplication. (r >= d - r is 2r >= d
        // without overflow.)
        const auto n = static_cast<std::int64_t>(num);
        const auto d = static_cast<std::int64_t>(den);
        std::int64_t q = n / d;
        std::int64_t r = n % d;
        if (r < 0) {
            r = -r;
        }
        if (r >= d - r) {
            q += n < 0 ? -1 : 1;
        }
        return q;
    }
    i128 q = num / den;
    i128 r = num % den;
    if (r < 0) {
        r = -r;
    }
    if (2 * r >= den) {
        q += num < 0 ? -1 : 1;
    }
    return q;
}

[[nodiscard]] constexpr std::int64_t round_div(i128 num, i128 den) noexcept { return clamp64(round_div128(num, den)); }

/// Money of `qty` units at `price`, signed like qty.
[[nodiscard]] constexpr abi::Money notional(abi::Quantity qty, abi::Price price) noexcept {
    return round_div(static_cast<i128>(qty) * price, kPriceScale);
}

[[nodiscard]] constexpr abi::Price mid(abi::Price bid, abi::Price ask) noexcept {
    return round_div(static_cast<i128>(bid) + ask, 2);
}

[[nodiscard]] constexpr abi::Price apply_bps(abi::Price price, std::int64_t bps) noexcept {
    return round_div(static_cast<i128>(price) * (kBpsScale + bps), kBpsScale);
}

[[nodiscard]] constexpr abi::Money fee(abi::Quantity qty, abi::Price price, abi::Money fee_per_share,
                                       std::uint32_t fee_centibps) noexcept {
    const i128 q = qty < 0 ? -static_cast<i128>(qty) : static_cast<i128>(qty);
    const i128 num = static_cast<i128>(fee_per_share) * q * kPriceScale + q * price * static_cast<i128>(fee_centibps);
    return round_div(num, static_cast<i128>(kPriceScale) * kQtyScale);
}

[[nodiscard]] constexpr abi::Quantity floor_lots(abi::Quantity qty, abi::Quantity lot) noexcept {
    return lot > 0 ? (qty / lot) * lot : qty;
}

[[nodiscard]] constexpr std::int64_t abs64(std::int64_t v) noexcept { return v < 0 ? -v : v; }
[[nodiscard]] constexpr int sign(std::int64_t v) noexcept { return (v > 0) - (v < 0); }

}  // namespace fundos::engine::fx
