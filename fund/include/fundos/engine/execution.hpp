// Simulated execution: when and at what price a parent order fills against a market event.
//
// SPEC (docs/ENGINE.md quotes this block)
//
//   Eligibility. An order decided at step clock T becomes eligible at T + execution.latency_ns.
//   Market events of its instrument with time >= that instant are its eligible events; the
//   first one decides IOC and FOK orders, and every eligible event may fill DAY and GTC orders
//   until they are done. (A bar's time is its END, so with bar data an order decided at the end
//   of bar k fills against bar k+1 at its open: "next bar open".)
//
//   Price (fill_price below), for a buy (sell mirrored):
//     event  MARKET                            LIMIT at limit price L
//     BAR    the bar's open                    fills iff low < L (sell: high > L), at L
//     QUOTE  the ask (sell: the bid);          fills iff ask > 0 and ask <= L (sell: bid > 0 and
//            no fill when that side is 0       bid >= L), at min(ask, L) == ask (sell: bid)
//     TRADE  the trade price                   fills iff price < L (sell: price > L), at L
//   A zero or negative rule price means "no fill at this event". MARKET fills are then made
//   worse by execution.slippage_bps: buy at apply_bps(p, +slip), sell at apply_bps(p, -slip)
//   (fixed_point.hpp rounding; not rounded to the tick). LIMIT fills get no slippage.
//
//   Quantity (fill_cap below): at most participation_pct % of the event's size, rounded DOWN to
//   whole lots: BAR volume; QUOTE ask_size for buys, bid_size for sells; TRADE size. The cap is
//   per event and per side, SHARED by all of the instrument's working parent orders on that side
//   in time priority (the older parent takes first; the engine keeps parents in creation order).
//
//   Time in force, at each eligible event where the price rule fills:
//     DAY, GTC  fill min(remaining, cap left); the rest keeps working
//     IOC       at its first eligible event: fill min(remaining, cap left), cancel the rest
//               (also when the price rule does not fill: canceled with nothing filled)
//     FOK       at its first eligible event: fill the whole remaining quantity if the price
//               rule fills and cap left >= remaining, else cancel it all
//   DAY orders are canceled when a new session day begins: the session day of an event is the
//   America/New_York calendar date of its time (civil_time.hpp; US DST rules); the first event
//   of a later date cancels, before it is applied, every DAY order (CANCELED, reason NONE,
//   journal cause DAY_END) and resets every instrument's session volume. finish() cancels all
//   remaining orders (reason SHUTDOWN). TARGET_POSITION deltas, FLATTEN closes and the silent
//   flatten policy's closes are MARKET GTC orders: they work until filled.
#pragma once

#include <cstdint>

#include "fundos/abi.hpp"
#include "fundos/engine/fixed_point.hpp"
#include "fundos/marketdata/fmd_format.hpp"

namespace fundos::engine {

/// The price a parent order of `side` (+1 buy, -1 sell) and `type` fills at against `e`, or 0 if
/// it does not fill at this event. `limit` is used for LIMIT orders only.
[[nodiscard]] constexpr abi::Price fill_price(const marketdata::EventRecord& e, int side, abi::OrderType type,
                                              abi::Price limit, std::uint32_t slippage_bps) noexcept {
    namespace md = marketdata;
    const bool buy = side > 0;
    abi::Price p = 0;
    if (type == abi::OrderType::LIMIT) {
        if (limit <= 0) {
            return 0;
        }
        switch (e.kind) {
            case md::EventKind::BAR:
                if (buy ? (e.v[md::bar::LOW] > 0 && e.v[md::bar::LOW] < limit) : e.v[md::bar::HIGH] > limit) {
                    p = limit;
                }
                break;
            case md::EventKind::QUOTE:
                if (buy) {
                    const abi::Price ask = e.v[md::quote::ASK];
                    p = (ask > 0 && ask <= limit) ? ask : 0;
                } else {
                    const abi::Price bid = e.v[md::quote::BID];
                    p = (bid > 0 && bid >= limit) ? bid : 0;
                }
                break;
            case md::EventKind::TRADE: {
                const abi::Price t = e.v[md::trade::PRICE];
                if (t > 0 && (buy ? t < limit : t > limit)) {
                    p = limit;
                }
                break;
            }
        }
        return p;
    }
    switch (e.kind) {
        case md::EventKind::BAR: p = e.v[md::bar::OPEN]; break;
        case md::EventKind::QUOTE: p = buy ? e.v[md::quote::ASK] : e.v[md::quote::BID]; break;
        case md::EventKind::TRADE: p = e.v[md::trade::PRICE]; break;
    }
    if (p <= 0) {
        return 0;
    }
    const std::int64_t slip = static_cast<std::int64_t>(slippage_bps);
    const abi::Price moved = fx::apply_bps(p, buy ? slip : -slip);
    return moved > 0 ? moved : 0;
}

/// The event's size available to one side (+1 buy, -1 sell), before the participation cap.
[[nodiscard]] constexpr abi::Quantity event_size(const marketdata::EventRecord& e, int side) noexcept {
    namespace md = marketdata;
    abi::Quantity size = 0;
    switch (e.kind) {
        case md::EventKind::BAR: size = e.v[md::bar::VOLUME]; break;
        case md::EventKind::QUOTE: size = side > 0 ? e.v[md::quote::ASK_SIZE] : e.v[md::quote::BID_SIZE]; break;
        case md::EventKind::TRADE: size = e.v[md::trade::SIZE]; break;
    }
    return size > 0 ? size : 0;
}

/// participation_pct % of the event's size for `side`, rounded down to whole lots. pct outside
/// 1..100 is clamped into it.
[[nodiscard]] constexpr abi::Quantity fill_cap(const marketdata::EventRecord& e, int side, std::uint32_t pct,
                                               abi::Quantity lot) noexcept {
    const std::uint32_t p = pct < 1 ? 1 : (pct > 100 ? 100 : pct);
    const fx::i128 scaled = static_cast<fx::i128>(event_size(e, side)) * p / 100;
    return fx::floor_lots(fx::clamp64(scaled), lot);
}

/// Session day of an event time: days since 1970-01-01 of its America/New_York calendar date.
[[nodiscard]] std::int64_t session_day(abi::Timestamp t) noexcept;

/// First UTC instant (ns) of the America/New_York date `day` (days since 1970-01-01).
[[nodiscard]] abi::Timestamp session_day_start(std::int64_t day) noexcept;

}  // namespace fundos::engine
