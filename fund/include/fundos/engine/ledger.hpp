// Accounting of one agent's position in one instrument, and of its account.
//
// SPEC (docs/ENGINE.md quotes this block)
//
//   State per (agent, instrument): qty (signed), basis (signed Money: what the open position
//   cost; > 0 for a long, < 0 for a short), realized (Money), fees (Money). Per agent: capital
//   and cash (starts at capital). Rounding: fixed_point.hpp (half away from zero, once per
//   figure).
//
//   A fill of signed quantity d (> 0 buy, < 0 sell) at price p with fee f:
//     N   = notional(|d|, p)                         cash flow CF = -N for a buy, +N for a sell
//     cash -= N (buy) or += N (sell); cash -= f; fees += f
//     if qty == 0 or d has the sign of qty (opening / adding):
//         basis += sign(d) * N; qty += d
//     else (reducing, closing or flipping): k = min(|d|, |qty|)
//         Nk      = notional(k, p)                   the closing part's notional
//         removed = round(basis * k / |qty|)         the basis of the closed part
//         realized += -sign(d) * Nk - removed        (sell of a long: Nk - removed)
//         basis -= removed; qty += sign(d) * k       (k == |qty| removes the whole basis)
//         if |d| > k (flip): basis += sign(d) * (N - Nk); qty += sign(d) * (|d| - k)
//     The opening part of a flip takes N - Nk, so the position's cash flows sum exactly to N.
//
//   avg_cost   = round(|basis| * 1e8 / |qty|) as a Price; 0 when flat
//   market value MV = notional(qty, mark); unrealized = MV - basis
//   equity     = cash + sum MV over the agent's positions
//   Identity (exact, tested): equity == capital + realized + unrealized - fees.
//   Gross exposure = sum |MV|, net exposure = sum MV.
//   Realized PnL does not include fees; fees are reported separately.
//
//   The mark of an instrument (also the reference price of netting and risk checks) is the mid
//   of the last quote with both sides > 0, else the last trade price, else the last bar close,
//   else 0 (no market data yet).
#pragma once

#include <cstdint>

#include "fundos/abi.hpp"
#include "fundos/engine/fixed_point.hpp"

namespace fundos::engine {

struct PositionLedger {
    abi::Quantity qty = 0;
    abi::Money basis = 0;
    abi::Money realized = 0;
    abi::Money fees = 0;
};

/// What one fill changed.
struct FillEffect {
    abi::Money cash_delta = 0;      ///< CF - fee
    abi::Money realized_delta = 0;
};

/// Apply a fill of signed quantity `d` at `price` with `fee` to `pos`. d == 0 changes nothing.
[[nodiscard]] constexpr FillEffect apply_fill(PositionLedger& pos, abi::Quantity d, abi::Price price,
                                              abi::Money fee) noexcept {
    FillEffect effect;
    if (d == 0) {
        return effect;
    }
    const int s = d > 0 ? 1 : -1;
    const abi::Quantity ad = fx::abs64(d);
    const abi::Money n = fx::notional(ad, price);
    effect.cash_delta = -s * n - fee;
    pos.fees += fee;
    if (pos.qty == 0 || fx::sign(pos.qty) == s) {
        pos.basis += s * n;
        pos.qty += d;
        return effect;
    }
    const abi::Quantity held = fx::abs64(pos.qty);
    const abi::Quantity k = ad < held ? ad : held;
    const abi::Money nk = fx::notional(k, price);
    const abi::Money removed = fx::round_div(static_cast<fx::i128>(pos.basis) * k, held);
    const abi::Money realized = -s * nk - removed;
    pos.realized += realized;
    effect.realized_delta = realized;
    pos.basis -= removed;
    pos.qty += s * k;
    if (ad > k) {
        pos.basis += s * (n - nk);
        pos.qty += s * (ad - k);
    }
    return effect;
}

[[nodiscard]] constexpr abi::Price avg_cost(const PositionLedger& pos) noexcept {
    if (pos.qty == 0) {
        return 0;
    }
    return fx::round_div(static_cast<fx::i128>(fx::abs64(pos.basis)) * fx::kPriceScale, fx::abs64(pos.qty));
}

[[nodiscard]] constexpr abi::Money market_value(const PositionLedger& pos, abi::Price mark) noexcept {
    return fx::notional(pos.qty, mark);
}

[[nodiscard]] constexpr abi::Money unrealized(const PositionLedger& pos, abi::Price mark) noexcept {
    return pos.qty == 0 ? 0 : market_value(pos, mark) - pos.basis;
}

}  // namespace fundos::engine
