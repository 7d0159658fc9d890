// Helpers to drive an Engine in tests and tools: fixed-point literals, market events, intents,
// a small default configuration and a Rig that numbers events and steps. Header-only; not used by
// the engine itself.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "fundos/abi.hpp"
#include "fundos/engine/config.hpp"
#include "fundos/engine/engine.hpp"
#include "fundos/engine/journal_replay.hpp"
#include "fundos/engine/recording_sink.hpp"
#include "fundos/marketdata/fmd_format.hpp"

namespace fundos::engine::testing {

using abi::Money;
using abi::Price;
using abi::Quantity;

/// Units -> raw quantity.
constexpr abi::Quantity Q(std::int64_t units) { return units * 1'000'000; }
/// Cents -> raw price (P(10050) is 100.50).
constexpr abi::Price P(std::int64_t cents) { return cents * 1'000'000; }
/// Cents -> raw money (M(150) is 1.50).
constexpr abi::Money M(std::int64_t cents) { return cents * 10'000; }

constexpr abi::Timestamp kSec = 1'000'000'000ULL;
/// 2024-01-02 15:00:00 UTC (10:00 New York): a Tuesday.
constexpr abi::Timestamp kT0 = 1'704'207'600ULL * kSec;

inline marketdata::EventRecord bar(abi::Timestamp t, std::uint32_t md_id, abi::Price o, abi::Price h, abi::Price l,
                                   abi::Price c, abi::Quantity v) {
    marketdata::EventRecord e{};
    e.time = t;
    e.instrument_id = md_id;
    e.kind = marketdata::EventKind::BAR;
    e.period_s = 60;
    e.v[0] = o;
    e.v[1] = h;
    e.v[2] = l;
    e.v[3] = c;
    e.v[4] = v;
    return e;
}

inline marketdata::EventRecord quote(abi::Timestamp t, std::uint32_t md_id, abi::Price bid, abi::Price ask,
                                     abi::Quantity bid_size, abi::Quantity ask_size) {
    marketdata::EventRecord e{};
    e.time = t;
    e.instrument_id = md_id;
    e.kind = marketdata::EventKind::QUOTE;
    e.source = 1;
    e.v[0] = bid;
    e.v[1] = ask;
    e.v[2] = bid_size;
    e.v[3] = ask_size;
    return e;
}

inline marketdata::EventRecord trade(abi::Timestamp t, std::uint32_t md_id, abi::Price price, abi::Quantity size) {
    marketdata::EventRecord e{};
    e.time = t;
    e.instrument_id = md_id;
    e.kind = marketdata::EventKind::TRADE;
    e.source = 2;
    e.v[0] = price;
    e.v[1] = size;
    return e;
}

inline abi::IntentRecord intent(std::uint32_t agent, std::uint64_t id, abi::IntentKind kind, std::uint32_t instrument) {
    abi::IntentRecord r{};
    r.agent_id = agent;
    r.intent_id = id;
    r.kind = kind;
    r.instrument_id = instrument;
    r.client_tag = id * 10;
    return r;
}

inline abi::IntentRecord market(std::uint32_t agent, std::uint64_t id, std::uint32_t instrument, abi::Side side,
                                abi::Quantity qty, abi::TimeInForce tif = abi::TimeInForce::DAY) {
    abi::IntentRecord r = intent(agent, id, abi::IntentKind::ORDER, instrument);
    r.side = side;
    r.order_type = abi::OrderType::MARKET;
    r.time_in_force = tif;
    r.qty = qty;
    return r;
}

inline abi::IntentRecord limit(std::uint32_t agent, std::uint64_t id, std::uint32_t instrument, abi::Side side,
                               abi::Quantity qty, abi::Price price, abi::TimeInForce tif = abi::TimeInForce::DAY) {
    abi::IntentRecord r = market(agent, id, instrument, side, qty, tif);
    r.order_type = abi::OrderType::LIMIT;
    r.limit_price = price;
    return r;
}

inline abi::IntentRecord target(std::uint32_t agent, std::uint64_t id, std::uint32_t instrument, abi::Quantity qty) {
    abi::IntentRecord r = intent(agent, id, abi::IntentKind::TARGET_POSITION, instrument);
    r.qty = qty;
    return r;
}

inline abi::IntentRecord cancel(std::uint32_t agent, std::uint64_t id, std::uint64_t ref, std::uint32_t instrument = 0) {
    abi::IntentRecord r = intent(agent, id, abi::IntentKind::CANCEL, instrument);
    r.ref_intent_id = ref;
    return r;
}

inline abi::IntentRecord flatten(std::uint32_t agent, std::uint64_t id, std::uint32_t instrument) {
    return intent(agent, id, abi::IntentKind::FLATTEN, instrument);
}

inline abi::IntentRecord end_of_answer(std::uint32_t agent, std::uint64_t id) {
    return intent(agent, id, abi::IntentKind::END_OF_ANSWER, 0);
}

inline marketdata::InstrumentRecord md_instrument(std::uint32_t id, const char* symbol, abi::Price tick = P(1),
                                                  abi::Quantity lot = Q(1)) {
    marketdata::InstrumentRecord r{};
    r.instrument_id = id;
    std::strncpy(r.symbol, symbol, sizeof r.symbol - 1);
    r.tick_size = tick;
    r.lot_size = lot;
    return r;
}

/// Two instruments (config ids 1 "AAA" and 2 "BBB", market-data ids 1 and 2; tick 0.01, lot 1)
/// and `agents` agents (ids 1..n, capital 100'000 each, mapped to both), fund capital 1'000'000,
/// no limits, latency 0, no slippage, no fees, participation 100 %.
inline FundConfig default_config(std::uint32_t agents = 2) {
    FundConfig c;
    c.name = "test";
    c.capital = M(100'000'000);  // 1'000'000.00
    for (std::uint32_t i = 1; i <= 2; ++i) {
        InstrumentConfig ic;
        ic.id = i;
        ic.symbol = i == 1 ? "AAA" : "BBB";
        c.instruments.push_back(ic);
    }
    for (std::uint32_t a = 1; a <= agents; ++a) {
        AgentConfig ac;
        ac.id = a;
        ac.name = "agent" + std::to_string(a);
        ac.capital = M(10'000'000);  // 100'000.00
        ac.instruments = {1, 2};
        c.agents.push_back(ac);
    }
    return c;
}

inline std::vector<marketdata::InstrumentRecord> default_md() {
    return {md_instrument(1, "AAA"), md_instrument(2, "BBB")};
}

/// An engine plus its sink, numbering market events and steps.
struct Rig {
    FundConfig config;
    std::vector<marketdata::InstrumentRecord> md;
    RecordingSink sink;
    std::unique_ptr<Engine> engine;
    std::uint64_t next_index = 0;
    abi::Sequence next_seq = 1;
    abi::Timestamp clock = 0;

    explicit Rig(FundConfig c, std::vector<marketdata::InstrumentRecord> m = default_md())
        : config(std::move(c)), md(std::move(m)) {
        engine = std::make_unique<Engine>(config, md, sink);
    }

    void market(const marketdata::EventRecord& e) { engine->on_market(e, next_index++); }

    void begin(abi::Timestamp t) {
        clock = t;
        engine->begin_step(next_seq++, t);
    }

    /// begin_step(t), submit every intent (slot = agent id - 1), end_step.
    void step(abi::Timestamp t, const std::vector<abi::IntentRecord>& intents = {}) {
        begin(t);
        for (const abi::IntentRecord& r : intents) {
            engine->submit(static_cast<std::uint16_t>(r.agent_id - 1), r);
        }
        engine->end_step();
    }

    [[nodiscard]] abi::AgentBook book(std::uint16_t slot) const {
        abi::AgentBook b{};
        engine->fill_book(slot, b);
        return b;
    }

    [[nodiscard]] abi::Position position(std::uint16_t slot, std::uint32_t instrument_id) const {
        const abi::AgentBook b = book(slot);
        for (std::uint16_t i = 0; i < b.position_count; ++i) {
            if (b.positions[i].instrument_id == instrument_id) {
                return b.positions[i];
            }
        }
        return abi::Position{};
    }

    [[nodiscard]] abi::FundState state() const {
        auto s = std::make_unique<abi::FundState>();
        engine->fill_state(*s);
        return *s;
    }

    /// The last report for (slot, intent id), or a zeroed one.
    [[nodiscard]] abi::IntentReport last_report(std::uint16_t slot, std::uint64_t intent_id) const {
        abi::IntentReport out{};
        for (const auto& r : sink.reports) {
            if (r.slot == slot && r.report.intent_id == intent_id) {
                out = r.report;
            }
        }
        return out;
    }

    /// The verdict report (ACCEPTED or REJECTED) for (slot, intent id), or a zeroed one.
    [[nodiscard]] abi::IntentReport verdict(std::uint16_t slot, std::uint64_t intent_id) const {
        for (const auto& r : sink.reports) {
            if (r.slot == slot && r.report.intent_id == intent_id &&
                (r.report.kind == abi::ReportKind::ACCEPTED || r.report.kind == abi::ReportKind::REJECTED)) {
                return r.report;
            }
        }
        return abi::IntentReport{};
    }

    [[nodiscard]] std::vector<abi::IntentReport> reports_of(std::uint16_t slot, std::uint64_t intent_id,
                                                            abi::ReportKind kind) const {
        std::vector<abi::IntentReport> out;
        for (const auto& r : sink.reports) {
            if (r.slot == slot && r.report.intent_id == intent_id && r.report.kind == kind) {
                out.push_back(r.report);
            }
        }
        return out;
    }
};

/// A recorded run's journal as the entries replay_journal reads (payloads stay in `sink`).
inline std::vector<JournalEntry> entries(const RecordingSink& sink) {
    std::vector<JournalEntry> out;
    for (const auto& j : sink.journals) {
        out.push_back({j.type, std::span<const std::byte>(j.payload)});
    }
    return out;
}

/// A scenario's market events by merged-replay index (what a resumed Fund re-reads).
class VectorEvents final : public MarketEvents {
public:
    explicit VectorEvents(const std::vector<marketdata::EventRecord>& events) : events_(events) {}
    bool event(std::uint64_t index, marketdata::EventRecord& out) noexcept override {
        if (index >= events_.size()) {
            return false;
        }
        out = events_[index];
        return true;
    }

private:
    const std::vector<marketdata::EventRecord>& events_;
};

}  // namespace fundos::engine::testing
