#include "fundos/feed/market_state.hpp"

#include <algorithm>
#include <cstring>

namespace fundos::feed {

namespace md = marketdata;

namespace {

constexpr std::uint64_t kNsPerSecond = 1'000'000'000ULL;

}  // namespace

wire::InstrumentDefinition to_definition(const md::InstrumentRecord& record) noexcept {
    wire::InstrumentDefinition d{};
    d.instrument_id = record.instrument_id;
    std::memcpy(d.symbol, record.symbol, sizeof(d.symbol));
    d.tick_size = record.tick_size;
    d.lot_size = record.lot_size;
    return d;
}

md::InstrumentRecord from_definition(const wire::InstrumentDefinition& definition) noexcept {
    md::InstrumentRecord r{};
    r.instrument_id = definition.instrument_id;
    std::memcpy(r.symbol, definition.symbol, sizeof(r.symbol));
    r.tick_size = definition.tick_size;
    r.lot_size = definition.lot_size;
    return r;
}

wire::Quote to_quote(const md::EventRecord& event) noexcept {
    wire::Quote q{};
    q.instrument_id = event.instrument_id;
    q.exchange_time = event.time;
    q.bid = event.v[md::quote::BID];
    q.ask = event.v[md::quote::ASK];
    q.bid_size = event.v[md::quote::BID_SIZE];
    q.ask_size = event.v[md::quote::ASK_SIZE];
    return q;
}

wire::Trade to_trade(const md::EventRecord& event) noexcept {
    wire::Trade t{};
    t.instrument_id = event.instrument_id;
    t.exchange_time = event.time;
    t.price = event.v[md::trade::PRICE];
    t.size = event.v[md::trade::SIZE];
    return t;
}

wire::Bar to_bar(const md::EventRecord& event) noexcept {
    wire::Bar b{};
    b.instrument_id = event.instrument_id;
    b.end_time = event.time;
    b.interval = std::uint64_t{event.period_s} * kNsPerSecond;
    b.open = event.v[md::bar::OPEN];
    b.high = event.v[md::bar::HIGH];
    b.low = event.v[md::bar::LOW];
    b.close = event.v[md::bar::CLOSE];
    b.volume = event.v[md::bar::VOLUME];
    return b;
}

md::EventRecord from_quote(const wire::Quote& quote) noexcept {
    md::EventRecord e{};
    e.time = quote.exchange_time;
    e.instrument_id = quote.instrument_id;
    e.kind = md::EventKind::QUOTE;
    e.v[md::quote::BID] = quote.bid;
    e.v[md::quote::ASK] = quote.ask;
    e.v[md::quote::BID_SIZE] = quote.bid_size;
    e.v[md::quote::ASK_SIZE] = quote.ask_size;
    return e;
}

md::EventRecord from_trade(const wire::Trade& trade) noexcept {
    md::EventRecord e{};
    e.time = trade.exchange_time;
    e.instrument_id = trade.instrument_id;
    e.kind = md::EventKind::TRADE;
    e.v[md::trade::PRICE] = trade.price;
    e.v[md::trade::SIZE] = trade.size;
    return e;
}

md::EventRecord from_bar(const wire::Bar& bar) noexcept {
    md::EventRecord e{};
    e.time = bar.end_time;
    e.instrument_id = bar.instrument_id;
    e.kind = md::EventKind::BAR;
    // A bar length that is not whole seconds, or too long for period_s, reads as unknown (0).
    const std::uint64_t seconds = bar.interval / kNsPerSecond;
    e.period_s = bar.interval % kNsPerSecond == 0 && seconds <= 0xFFFFFFFFULL ? static_cast<std::uint32_t>(seconds) : 0;
    e.v[md::bar::OPEN] = bar.open;
    e.v[md::bar::HIGH] = bar.high;
    e.v[md::bar::LOW] = bar.low;
    e.v[md::bar::CLOSE] = bar.close;
    e.v[md::bar::VOLUME] = bar.volume;
    return e;
}

wire::Quote quote_of(const wire::InstrumentSnapshot& row) noexcept {
    wire::Quote q{};
    q.instrument_id = row.instrument_id;
    q.exchange_time = row.quote_time;
    q.bid = row.bid;
    q.ask = row.ask;
    q.bid_size = row.bid_size;
    q.ask_size = row.ask_size;
    return q;
}

wire::Trade trade_of(const wire::InstrumentSnapshot& row) noexcept {
    wire::Trade t{};
    t.instrument_id = row.instrument_id;
    t.exchange_time = row.trade_time;
    t.price = row.last_price;
    t.size = row.last_size;
    return t;
}

wire::Bar bar_of(const wire::InstrumentSnapshot& row) noexcept {
    wire::Bar b{};
    b.instrument_id = row.instrument_id;
    b.end_time = row.bar_end_time;
    b.interval = row.bar_interval;
    b.open = row.bar_open;
    b.high = row.bar_high;
    b.low = row.bar_low;
    b.close = row.bar_close;
    b.volume = row.bar_volume;
    return b;
}

void MarketState::clear() noexcept {
    rows_.clear();
    index_.clear();
    clock_ = 0;
}

wire::InstrumentSnapshot& MarketState::define(const wire::InstrumentDefinition& definition) {
    if (wire::InstrumentSnapshot* row = find(definition.instrument_id)) {
        if (std::memcmp(row->symbol, definition.symbol, sizeof(row->symbol)) != 0) {
            *row = wire::InstrumentSnapshot{};  // another instrument under the same id: start over
            row->instrument_id = definition.instrument_id;
        }
        std::memcpy(row->symbol, definition.symbol, sizeof(row->symbol));
        row->tick_size = definition.tick_size;
        row->lot_size = definition.lot_size;
        return *row;
    }
    wire::InstrumentSnapshot row{};
    row.instrument_id = definition.instrument_id;
    std::memcpy(row.symbol, definition.symbol, sizeof(row.symbol));
    row.tick_size = definition.tick_size;
    row.lot_size = definition.lot_size;
    index_.emplace(definition.instrument_id, rows_.size());
    rows_.push_back(row);
    return rows_.back();
}

wire::InstrumentSnapshot* MarketState::find(std::uint32_t instrument_id) noexcept {
    const auto it = index_.find(instrument_id);
    return it == index_.end() ? nullptr : &rows_[it->second];
}

const wire::InstrumentSnapshot* MarketState::find(std::uint32_t instrument_id) const noexcept {
    const auto it = index_.find(instrument_id);
    return it == index_.end() ? nullptr : &rows_[it->second];
}

bool MarketState::apply(const wire::Quote& quote) noexcept {
    wire::InstrumentSnapshot* row = find(quote.instrument_id);
    if (row == nullptr) {
        return false;
    }
    row->quote_time = quote.exchange_time;
    row->bid = quote.bid;
    row->ask = quote.ask;
    row->bid_size = quote.bid_size;
    row->ask_size = quote.ask_size;
    clock_ = std::max(clock_, quote.exchange_time);
    return true;
}

bool MarketState::apply(const wire::Trade& trade) noexcept {
    wire::InstrumentSnapshot* row = find(trade.instrument_id);
    if (row == nullptr) {
        return false;
    }
    row->trade_time = trade.exchange_time;
    row->last_price = trade.price;
    row->last_size = trade.size;
    clock_ = std::max(clock_, trade.exchange_time);
    return true;
}

bool MarketState::apply(const wire::Bar& bar) noexcept {
    wire::InstrumentSnapshot* row = find(bar.instrument_id);
    if (row == nullptr) {
        return false;
    }
    row->bar_end_time = bar.end_time;
    row->bar_interval = bar.interval;
    row->bar_open = bar.open;
    row->bar_high = bar.high;
    row->bar_low = bar.low;
    row->bar_close = bar.close;
    row->bar_volume = bar.volume;
    clock_ = std::max(clock_, bar.end_time);
    return true;
}

bool MarketState::apply(const md::EventRecord& event) noexcept {
    switch (event.kind) {
        case md::EventKind::QUOTE: return apply(to_quote(event));
        case md::EventKind::TRADE: return apply(to_trade(event));
        case md::EventKind::BAR: return apply(to_bar(event));
    }
    return false;
}

}  // namespace fundos::feed
