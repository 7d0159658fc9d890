// The feed's messages and the replay's events, one into the other, and MarketState: the latest
// state of every instrument, kept by the server (to answer snapshot requests) and by the receiver
// (to know what a snapshot changes). Each row is a wire::InstrumentSnapshot, the recovery
// message itself: definition, latest quote, trade and bar (a time of 0: none yet).
//
//   EventRecord (fmd_format.hpp)        wire message
//   BAR   time=end, period_s, v[0..4]   Bar   end_time, interval = period_s s, open..volume
//   QUOTE time, v[0..3]                 Quote exchange_time, bid, ask, bid_size, ask_size
//   TRADE time, v[0..1]                 Trade exchange_time, price, size
//
// An event made from a message has seq = the message's sequence number (low 32 bits), source =
// the adapter's source number and flags 0 (FLAG_SUSPICIOUS does not travel).
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "fundos/marketdata/fmd_format.hpp"
#include "fundos/wire.hpp"

namespace fundos::feed {

[[nodiscard]] wire::InstrumentDefinition to_definition(const marketdata::InstrumentRecord& record) noexcept;
[[nodiscard]] marketdata::InstrumentRecord from_definition(const wire::InstrumentDefinition& definition) noexcept;

[[nodiscard]] wire::Quote to_quote(const marketdata::EventRecord& event) noexcept;
[[nodiscard]] wire::Trade to_trade(const marketdata::EventRecord& event) noexcept;
[[nodiscard]] wire::Bar to_bar(const marketdata::EventRecord& event) noexcept;

[[nodiscard]] marketdata::EventRecord from_quote(const wire::Quote& quote) noexcept;
[[nodiscard]] marketdata::EventRecord from_trade(const wire::Trade& trade) noexcept;
[[nodiscard]] marketdata::EventRecord from_bar(const wire::Bar& bar) noexcept;

/// The latest quote, trade and bar of a snapshot row as messages (exchange_time 0: none).
[[nodiscard]] wire::Quote quote_of(const wire::InstrumentSnapshot& row) noexcept;
[[nodiscard]] wire::Trade trade_of(const wire::InstrumentSnapshot& row) noexcept;
[[nodiscard]] wire::Bar bar_of(const wire::InstrumentSnapshot& row) noexcept;

class MarketState {
public:
    void clear() noexcept;

    /// Defines `definition`'s instrument, or redefines it (keeping its latest state when the
    /// symbol is the same). Returns its row.
    wire::InstrumentSnapshot& define(const wire::InstrumentDefinition& definition);

    /// The row of `instrument_id`, or nullptr when it is not defined.
    [[nodiscard]] wire::InstrumentSnapshot* find(std::uint32_t instrument_id) noexcept;
    [[nodiscard]] const wire::InstrumentSnapshot* find(std::uint32_t instrument_id) const noexcept;

    /// Record a message as its instrument's latest; false (nothing changed) when not defined.
    bool apply(const wire::Quote& quote) noexcept;
    bool apply(const wire::Trade& trade) noexcept;
    bool apply(const wire::Bar& bar) noexcept;
    /// The same for a replay event (QUOTE, TRADE or BAR).
    bool apply(const marketdata::EventRecord& event) noexcept;

    /// Rows in the order they were defined.
    [[nodiscard]] const std::vector<wire::InstrumentSnapshot>& rows() const noexcept { return rows_; }
    /// Exchange time of the latest market message applied; 0: none.
    [[nodiscard]] std::uint64_t clock() const noexcept { return clock_; }

private:
    std::vector<wire::InstrumentSnapshot> rows_;
    std::unordered_map<std::uint32_t, std::size_t> index_;
    std::uint64_t clock_ = 0;
};

}  // namespace fundos::feed
