// The Fund's deterministic engine (engine.hpp states the rules; execution.hpp, netting.hpp,
// ledger.hpp and fixed_point.hpp the details). Single-threaded; every container is a vector
// iterated in index order.
#include "fundos/engine/engine.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstring>
#include <new>

#include "fundos/engine/execution.hpp"
#include "fundos/engine/fixed_point.hpp"
#include "fundos/engine/journal_records.hpp"
#include "fundos/engine/ledger.hpp"
#include "fundos/engine/netting.hpp"

namespace fundos::engine {

namespace {

using abi::Money;
using abi::Price;
using abi::Quantity;
using abi::Timestamp;

constexpr std::size_t kReasonSlots = 64;
constexpr std::uint32_t kMaxDirectMdId = 65535;  // market-data ids up to this use a direct table

int rank(abi::TradingState s) noexcept {
    switch (s) {
        case abi::TradingState::ACTIVE: return 0;
        case abi::TradingState::REDUCING: return 1;
        case abi::TradingState::HALTED: return 2;
    }
    return 0;
}

abi::TradingState worse(abi::TradingState a, abi::TradingState b) noexcept { return rank(a) >= rank(b) ? a : b; }

abi::Side side_of(int s) noexcept { return s > 0 ? abi::Side::BUY : (s < 0 ? abi::Side::SELL : abi::Side::NONE); }

bool risk_reducing(Quantity e, Quantity d) noexcept {
    return e != 0 && d != 0 && fx::sign(d) == -fx::sign(e) && fx::abs64(d) <= fx::abs64(e);
}

/// Sliding window of simulated time: at most `max` admissions in (now - window, now].
class RateWindow {
public:
    void configure(std::uint32_t max, abi::Duration window) {
        max_ = max;
        window_ = window;
        ring_.assign(max, 0);
    }
    /// A limit changed while running (Engine::change_config): keep the newest admissions, up
    /// to the new maximum, in order, so what was already sent still counts.
    void reconfigure(std::uint32_t max, abi::Duration window) {
        std::vector<Timestamp> kept;
        for (std::size_t k = 0; k < size_; ++k) {
            kept.push_back(ring_[(head_ + k) % max_]);
        }
        if (kept.size() > max) {
            kept.erase(kept.begin(), kept.end() - static_cast<std::ptrdiff_t>(max));
        }
        configure(max, window);
        head_ = 0;
        size_ = kept.size();
        std::copy(kept.begin(), kept.end(), ring_.begin());
    }
    [[nodiscard]] bool allows(Timestamp now) const noexcept {
        if (max_ == 0 || size_ < max_) {
            return true;
        }
        const Timestamp oldest = ring_[head_];
        return oldest <= now && now - oldest >= window_;
    }
    void add(Timestamp now) noexcept {
        if (max_ == 0) {
            return;
        }
        if (size_ == max_) {
            head_ = (head_ + 1) % max_;
            --size_;
        }
        ring_[(head_ + size_) % max_] = now;
        ++size_;
    }

private:
    std::vector<Timestamp> ring_;
    std::size_t head_ = 0;
    std::size_t size_ = 0;
    std::uint32_t max_ = 0;
    abi::Duration window_ = 0;
};

struct Hasher {
    std::uint64_t h = kFnvOffset;
    // A word a step (fnv1a64_words): hash_state runs every step, and byte-wise FNV-1a's eight
    // dependent multiplies per value made it a twentieth of a step with one agent.
    void u64(std::uint64_t v) noexcept { h = fnv1a64_words(h, &v, sizeof v); }
    void i64(std::int64_t v) noexcept { h = fnv1a64_words(h, &v, sizeof v); }
    void str(const std::string& s) noexcept {
        u64(s.size());
        h = fnv1a64(h, s.data(), s.size());
    }
    void limits(const RiskLimits& l) noexcept {
        i64(l.max_order_qty);
        i64(l.max_order_notional);
        i64(l.max_position);
        i64(l.max_gross_exposure);
        i64(l.max_net_exposure);
        u64(l.max_open_orders);
        u64(l.max_intents_per_window);
        u64(l.rate_window_ns);
        i64(l.reducing_loss);
        i64(l.halt_loss);
    }
};

std::uint64_t config_hash(const FundConfig& c) noexcept {
    Hasher h;
    h.str(c.name);
    h.u64(static_cast<std::uint64_t>(c.mode));
    h.i64(c.capital);
    h.limits(c.limits);
    h.u64(c.simulation.stale_after_ns);
    h.u64(c.simulation.max_steps);
    h.u64(static_cast<std::uint64_t>(c.simulation.decision.kind));
    h.u64(c.simulation.decision.events);
    h.u64(c.simulation.decision.interval_ns);
    h.u64(c.execution.slippage_bps);
    h.i64(c.execution.fee_per_share);
    h.u64(c.execution.fee_centibps);
    h.u64(c.execution.latency_ns);
    h.u64(c.execution.participation_pct);
    if (c.execution.fill_model != FillModel::kSimulated) {
        // Only when not simulated, so that a simulation's kRunStart is what it always was; a
        // production journal does not replay under a simulated configuration.
        h.u64(static_cast<std::uint64_t>(c.execution.fill_model));
    }
    h.u64(c.instruments.size());
    for (const InstrumentConfig& i : c.instruments) {
        h.u64(i.id);
        h.str(i.symbol);
        h.i64(i.tick_size);
        h.i64(i.lot_size);
        h.u64(i.restricted ? 1 : 0);
        h.u64(i.price_collar_bps);
        h.limits(i.limits);
    }
    h.u64(c.agents.size());
    for (const AgentConfig& a : c.agents) {
        h.u64(a.id);
        h.str(a.name);
        h.i64(a.capital);
        h.u64(a.instruments.size());
        for (std::uint32_t id : a.instruments) {
            h.u64(id);
        }
        h.u64(static_cast<std::uint64_t>(a.silent_policy));
        h.limits(a.limits);
    }
    return h.h;
}

SilentWhy why_code(const char* why) noexcept {
    if (why == nullptr) {
        return SilentWhy::kOther;
    }
    if (std::strcmp(why, "timeout") == 0) {
        return SilentWhy::kTimeout;
    }
    if (std::strcmp(why, "dead") == 0) {
        return SilentWhy::kDead;
    }
    if (std::strcmp(why, "late") == 0) {
        return SilentWhy::kLate;
    }
    return SilentWhy::kOther;
}

template <std::size_t N>
void copy_text(char (&dst)[N], const char* src) noexcept {
    std::memset(dst, 0, N);
    if (src != nullptr) {
        std::strncpy(dst, src, N - 1);
    }
}

}  // namespace

struct Engine::Impl {
    struct Instrument {
        std::uint32_t id = 0;
        std::uint32_t md_id = 0;
        char symbol[abi::SYMBOL_LEN] = {};
        Price tick = 1;
        Quantity lot = 1;
        bool restricted = false;
        std::uint32_t collar_bps = 0;
        RiskLimits limits;
        bool in_data = false;
        // market
        Price bid = 0, ask = 0;
        Quantity bid_size = 0, ask_size = 0;
        Timestamp quote_time = 0;
        Price trade_price = 0;   // last TRADE
        Price bar_close = 0;     // last BAR
        Price last = 0;          // latest TRADE or BAR close (snapshot)
        Quantity last_size = 0;
        Timestamp last_time = 0;
        Timestamp event_time = 0;
        bool any_event = false;
        Quantity session_volume = 0;
        bool stale = false;
        bool feed_tripped = false;  // live modes: the feed's gap/stale state (feed_status)
        bool feed_tripped_since_step = false;  // tripped at some time since the last begin_step
        bool kill = false;
        // book
        Quantity fund_position = 0;
        Quantity fund_working = 0;
        std::uint32_t open_orders = 0;
        std::uint32_t parents = 0;  // working parents
        RateWindow rate;
        PositionLedger excess;      // venue mode: fills beyond what was working, owned by no agent

        [[nodiscard]] Price ref() const noexcept {
            if (bid > 0 && ask > 0) {
                return fx::mid(bid, ask);
            }
            if (trade_price > 0) {
                return trade_price;
            }
            return bar_close > 0 ? bar_close : 0;
        }
    };

    struct Agent {
        std::uint32_t id = 0;
        Money capital = 0;
        Money cash = 0;
        Money realized = 0;
        Money fees = 0;
        std::vector<PositionLedger> pos;
        std::vector<Quantity> working;
        std::uint32_t open_orders = 0;
        std::uint64_t last_intent_id = 0;
        std::uint64_t accepted = 0;
        std::uint64_t rejected = 0;
        abi::TradingState loss_state = abi::TradingState::ACTIVE;
        bool kill = false;
        std::uint64_t mapped = 0;  // bit i: instrument index i
        SilentPolicy policy = SilentPolicy::kNoOp;
        RiskLimits limits;
        RateWindow rate;
        std::array<std::uint64_t, kReasonSlots> rejects{};
    };

    struct Order {
        std::uint64_t id = 0;
        std::uint64_t parent_id = 0;  // 0: created this step, not yet netted
        std::uint64_t intent_id = 0;
        std::uint64_t client_tag = 0;
        abi::Sequence snapshot_seq = 0;
        Quantity qty = 0;
        Quantity remaining = 0;
        Price limit = 0;
        std::uint16_t agent = 0;
        std::uint16_t instr = 0;
        std::int8_t side = 0;
        abi::OrderType type = abi::OrderType::MARKET;
        abi::TimeInForce tif = abi::TimeInForce::GTC;
        bool netted = false;
        bool done = false;
        // Venue mode: a cancel asked for (queued until its parent's request goes out, then sent)
        // is not a fact until the venue confirms it; the child works until then.
        std::uint8_t cancel_state = kCancelNone;
        CancelCause pending_cause = CancelCause::kAgent;
        abi::RejectReason pending_reason = abi::RejectReason::NONE;
    };
    static constexpr std::uint8_t kCancelNone = 0;
    static constexpr std::uint8_t kCancelQueued = 1;
    static constexpr std::uint8_t kCancelSent = 2;

    struct Parent {
        std::uint64_t id = 0;
        std::uint64_t first_order = 0;  // children's order ids lie in [first_order, last_order]
        std::uint64_t last_order = 0;
        Quantity remaining = 0;  // sum of the working children's remaining quantities
        Timestamp eligible = 0;
        Price limit = 0;
        std::uint32_t working_children = 0;
        std::uint16_t instr = 0;
        std::int8_t side = 0;
        abi::OrderType type = abi::OrderType::MARKET;
        bool fok = false;
        bool decided = false;
        bool done = false;
        // venue mode
        abi::TimeInForce tif = abi::TimeInForce::GTC;
        Quantity total = 0;        // the order's quantity at the venue (after confirmed replaces)
        bool accepted = false;
        bool request_out = false;  // a kCancel / kReplace not yet answered (one at a time)
        bool dirty = false;        // children were queued for cancel during the current call
        venue::VenueCommand::Kind request_kind = venue::VenueCommand::Kind::kCancel;
    };

    /// Venue mode: what an event naming a parent needs after the parent itself is compacted away
    /// (a late fill of a finished parent still moves the fund's position). Indexed by id - 1.
    struct ParentTrace {
        Quantity filled = 0;          // the venue's cum as applied (excess included)
        std::uint64_t last_exec = 0;  // hash of the last applied fill's exec id (0: none)
        std::uint16_t instr = 0;
        std::int8_t side = 0;
        abi::OrderType type = abi::OrderType::MARKET;
    };

    struct Pending {
        abi::IntentRecord intent{};
        std::uint16_t slot = 0;
    };

    struct SilentCall {
        std::uint16_t slot = 0;
        char why[16] = {};
    };

    struct RefusalCall {
        Refusal refusal{};
        std::uint16_t slot = 0;
        std::uint32_t order = 0;  // call order within the step: an agent's ring order
    };

    // ---- configuration (a copy: the caller's object need not outlive the engine; its limits
    // change with change_config)
    FundConfig config;
    Sink& sink;
    std::vector<Instrument> instruments;
    std::vector<Agent> agents;
    Money unallocated = 0;
    RateWindow fund_rate;

    // ---- state
    abi::Sequence step_seq = 0;
    Timestamp clock = 0;
    Timestamp now = 0;
    bool fund_kill = false;
    abi::TradingState fund_loss_state = abi::TradingState::ACTIVE;
    std::uint32_t fund_open_orders = 0;
    std::uint64_t next_order_id = 1;
    std::uint64_t next_parent_id = 1;
    std::vector<Order> orders;  // working (and done until compacted), by id
    std::size_t orders_done = 0;  // done orders not yet compacted away
    std::vector<std::vector<Parent>> parents;  // per instrument: working (and done until compacted), by id
    std::vector<std::size_t> parents_done;     // per instrument: done parents not yet compacted away
    std::uint64_t step_first_order = 0;        // first order id created by the current end_step
    std::vector<Pending> pending;
    std::vector<SilentCall> silent_calls;
    std::vector<RefusalCall> refusals;
    std::vector<FillRow> fills;
    std::vector<EquityPoint> step_equity;  // this step's points for Sink::equity: [0] fund, then agents
    bool finished = false;
    bool faulted = false;

    // venue mode (config.execution.fill_model == kVenue; engine.hpp "Venue execution")
    bool venue_mode = false;
    std::vector<ParentTrace> traces;
    struct Dirty {
        std::uint64_t id = 0;
        std::uint16_t instr = 0;
    };
    std::vector<Dirty> dirty_;  // parents with children queued for cancel in the current call
    std::uint64_t venue_index = 0;
    VenueCounters counters;
    Money excess_cash = 0;      // cash flows of the excess rows' fills
    bool any_excess = false;

    // session day
    bool day_known = false;
    std::int64_t day = 0;
    Timestamp next_day_start = 0;

    // market range
    std::uint64_t range_first = 0;
    std::uint64_t range_count = 0;
    std::uint64_t range_hash = kFnvOffset;
    Timestamp range_last_time = 0;

    std::vector<std::int16_t> md_index;  // market-data id -> instrument index, -1: not configured

    // scratch (reserved up front; reused on the per-event path)
    std::vector<std::uint32_t> idx;
    std::vector<AllocationInput> alloc_in;
    std::vector<Quantity> alloc_out;
    AllocationScratch alloc_scratch;

    Impl(const FundConfig& cfg, std::span<const marketdata::InstrumentRecord> md, Sink& s, std::uint64_t checksum)
        : config(cfg), sink(s) {
        const std::size_t ni = std::min<std::size_t>(cfg.instruments.size(), abi::MAX_INSTRUMENTS);
        const std::size_t na = std::min<std::size_t>(cfg.agents.size(), abi::MAX_AGENTS);
        instruments.resize(ni);
        for (std::size_t i = 0; i < ni; ++i) {
            const InstrumentConfig& ic = cfg.instruments[i];
            Instrument& in = instruments[i];
            in.id = ic.id;
            std::memcpy(in.symbol, ic.symbol.data(), std::min<std::size_t>(ic.symbol.size(), abi::SYMBOL_LEN));
            in.restricted = ic.restricted;
            in.collar_bps = ic.price_collar_bps;
            in.limits = ic.limits;
            Price tick = ic.tick_size;
            Quantity lot = ic.lot_size;
            for (const marketdata::InstrumentRecord& r : md) {
                if (std::strncmp(r.symbol, in.symbol, abi::SYMBOL_LEN) == 0 && in.symbol[0] != '\0') {
                    in.md_id = r.instrument_id;
                    in.in_data = true;
                    tick = tick > 0 ? tick : r.tick_size;
                    lot = lot > 0 ? lot : r.lot_size;
                    break;
                }
            }
            in.tick = tick > 0 ? tick : 1;
            in.lot = lot > 0 ? lot : 1;
            in.rate.configure(ic.limits.max_intents_per_window, ic.limits.rate_window_ns);
        }
        std::uint32_t max_md = 0;
        for (const Instrument& in : instruments) {
            if (in.in_data && in.md_id <= kMaxDirectMdId) {
                max_md = std::max(max_md, in.md_id);
            }
        }
        md_index.assign(static_cast<std::size_t>(max_md) + 1, -1);
        for (std::size_t i = 0; i < ni; ++i) {
            if (instruments[i].in_data && instruments[i].md_id <= kMaxDirectMdId) {
                md_index[instruments[i].md_id] = static_cast<std::int16_t>(i);
            }
        }
        agents.resize(na);
        Money allocated = 0;
        for (std::size_t a = 0; a < na; ++a) {
            const AgentConfig& ac = cfg.agents[a];
            Agent& ag = agents[a];
            ag.id = ac.id;
            ag.capital = ac.capital;
            ag.cash = ac.capital;
            ag.policy = ac.silent_policy;
            ag.limits = ac.limits;
            ag.pos.assign(ni, PositionLedger{});
            ag.working.assign(ni, 0);
            ag.rate.configure(ac.limits.max_intents_per_window, ac.limits.rate_window_ns);
            for (std::uint32_t id : ac.instruments) {
                const int i = find_instrument(id);
                if (i >= 0) {
                    ag.mapped |= std::uint64_t{1} << i;
                }
            }
            allocated += ac.capital;
        }
        unallocated = cfg.capital - allocated;
        fund_rate.configure(cfg.limits.max_intents_per_window, cfg.limits.rate_window_ns);
        venue_mode = cfg.execution.fill_model == FillModel::kVenue;
        if (venue_mode) {
            traces.reserve(4096);
            dirty_.reserve(256);
        }
        step_equity.resize(1 + na);
        step_totals.resize(na);
        orders.reserve(4096);
        parents.resize(ni);
        parents_done.assign(ni, 0);
        for (auto& list : parents) {
            list.reserve(64);
        }
        pending.reserve(1024);
        silent_calls.reserve(abi::MAX_AGENTS);
        refusals.reserve(256);
        fills.reserve(1 << 16);
        idx.reserve(4096);
        alloc_in.reserve(4096);
        alloc_out.reserve(4096);
        alloc_scratch.order.reserve(4096);
        alloc_scratch.rem.reserve(4096);
        shares_.reserve(4096);
        tier_pos_.reserve(4096);

        RunStartRecord r{};
        r.instrument_count = static_cast<std::uint16_t>(ni);
        r.agent_count = static_cast<std::uint16_t>(na);
        r.mode = static_cast<std::uint8_t>(cfg.mode);
        r.config_hash = config_hash(cfg);
        r.instruments_hash = md.empty() ? kFnvOffset : fnv1a64(kFnvOffset, md.data(), md.size_bytes());
        r.data_checksum = checksum;
        r.capital = cfg.capital;
        r.stale_after_ns = cfg.simulation.stale_after_ns;
        r.latency_ns = cfg.execution.latency_ns;
        for (std::size_t i = 0; i < ni; ++i) {
            RunStartInstrument& row = r.instruments[i];
            row.instrument_id = instruments[i].id;
            row.md_id = instruments[i].md_id;
            std::memcpy(row.symbol, instruments[i].symbol, sizeof row.symbol);
            row.tick_size = instruments[i].tick;
            row.lot_size = instruments[i].lot;
            row.restricted = instruments[i].restricted ? 1 : 0;
        }
        sink.journal(RecordType::kRunStart, record_bytes(r));
    }

    // ---------------------------------------------------------------- lookups
    [[nodiscard]] int find_instrument(std::uint32_t id) const noexcept {
        for (std::size_t i = 0; i < instruments.size(); ++i) {
            if (instruments[i].id == id) {
                return static_cast<int>(i);
            }
        }
        return -1;
    }

    [[nodiscard]] int find_instrument_md(std::uint32_t md_id) const noexcept {
        if (md_id <= kMaxDirectMdId) {
            return md_id < md_index.size() ? md_index[md_id] : -1;
        }
        for (std::size_t i = 0; i < instruments.size(); ++i) {
            if (instruments[i].in_data && instruments[i].md_id == md_id) {
                return static_cast<int>(i);
            }
        }
        return -1;
    }

    /// Position in `orders` of the first order with id >= `id`.
    [[nodiscard]] std::size_t order_pos(std::uint64_t id) const noexcept {
        return static_cast<std::size_t>(
            std::lower_bound(orders.begin(), orders.end(), id, [](const Order& o, std::uint64_t v) { return o.id < v; }) -
            orders.begin());
    }

    Parent* find_parent(std::uint16_t instr, std::uint64_t id) noexcept {
        std::vector<Parent>& list = parents[instr];
        auto it = std::lower_bound(list.begin(), list.end(), id,
                                   [](const Parent& p, std::uint64_t v) { return p.id < v; });
        return (it != list.end() && it->id == id) ? &*it : nullptr;
    }

    // ---------------------------------------------------------------- output
    void report(const Order& o, abi::ReportKind kind, abi::RejectReason reason, Quantity fill_qty, Price price,
                Money fee, Timestamp t) noexcept {
        abi::IntentReport r{};
        r.intent_id = o.intent_id;
        r.client_tag = o.client_tag;
        r.snapshot_seq = step_seq;
        r.clock = t;
        r.instrument_id = instruments[o.instr].id;
        r.kind = kind;
        r.side = side_of(o.side);
        r.reason = reason;
        r.fill_qty = fill_qty;
        r.fill_price = price;
        r.fee = fee;
        r.remaining_qty = o.remaining;
        sink.report(o.agent, r);
    }

    void verdict_report(std::uint16_t slot, const abi::IntentRecord& in, abi::ReportKind kind,
                        abi::RejectReason reason, abi::Side side, Quantity qty) noexcept {
        abi::IntentReport r{};
        r.intent_id = in.intent_id;
        r.client_tag = in.client_tag;
        r.snapshot_seq = step_seq;
        r.clock = clock;
        r.instrument_id = in.instrument_id;
        r.kind = kind;
        r.side = side;
        r.reason = reason;
        r.remaining_qty = qty;
        sink.report(slot, r);
    }

    void flush_range() noexcept {
        if (range_count == 0) {
            return;
        }
        MarketRangeRecord r{};
        r.first = range_first;
        r.count = range_count;
        r.hash = range_hash;
        r.last_time = range_last_time;
        sink.journal(RecordType::kMarketRange, record_bytes(r));
        range_first += range_count;
        range_count = 0;
        range_hash = kFnvOffset;
    }

    // ---------------------------------------------------------------- book keeping
    void order_done(Order& o) noexcept {
        o.done = true;
        ++orders_done;
        Agent& a = agents[o.agent];
        --a.open_orders;
        --fund_open_orders;
        --instruments[o.instr].open_orders;
        if (o.parent_id != 0) {
            if (Parent* p = find_parent(o.instr, o.parent_id)) {
                if (--p->working_children == 0) {
                    p->done = true;
                    --instruments[p->instr].parents;
                    ++parents_done[p->instr];
                }
            }
        }
    }

    /// Stop an order: at once, or in venue mode, once it is at the venue, by asking the venue
    /// (request_cancel; the CANCELED report comes with the venue's confirmation).
    void cancel(Order& o, CancelCause cause, abi::RejectReason reason, Timestamp t) {
        if (o.done) {
            return;
        }
        if (venue_mode && o.parent_id != 0) {
            request_cancel(o, cause, reason);
            return;
        }
        cancel_now(o, cause, reason, t);
    }

    void cancel_now(Order& o, CancelCause cause, abi::RejectReason reason, Timestamp t) noexcept {
        if (o.done) {
            return;
        }
        const Quantity canceled = o.remaining;
        if (o.parent_id != 0) {
            if (Parent* p = find_parent(o.instr, o.parent_id)) {
                p->remaining -= canceled;
            }
        }
        agents[o.agent].working[o.instr] -= o.side * canceled;
        instruments[o.instr].fund_working -= o.side * canceled;
        o.remaining = 0;
        CancelRecord c{};
        c.order_id = o.id;
        c.parent_id = o.parent_id;
        c.intent_id = o.intent_id;
        c.time = t;
        c.canceled_qty = canceled;
        c.filled_qty = o.qty - canceled;
        c.agent_id = agents[o.agent].id;
        c.instrument_id = instruments[o.instr].id;
        c.reason = static_cast<std::uint16_t>(reason);
        c.cause = static_cast<std::uint8_t>(cause);
        c.side = static_cast<std::uint8_t>(side_of(o.side));
        sink.journal(RecordType::kCancel, record_bytes(c));
        report(o, abi::ReportKind::CANCELED, reason, 0, 0, 0, t);
        order_done(o);
    }

    /// Cancel every working order matching `pred`, in order-id order.
    template <class Pred>
    void cancel_where(Pred pred, CancelCause cause, abi::RejectReason reason, Timestamp t) {
        for (Order& o : orders) {
            if (!o.done && pred(o)) {
                cancel(o, cause, reason, t);
            }
        }
    }

    /// One share of a fill (internal cross or execution) to one child.
    void fill_child(Order& o, Quantity q, Price price, Money fee, bool internal, Timestamp t) {
        Agent& a = agents[o.agent];
        const FillEffect eff = apply_fill(a.pos[o.instr], o.side * q, price, fee);
        a.cash += eff.cash_delta;
        a.realized += eff.realized_delta;
        a.fees += fee;
        o.remaining -= q;
        a.working[o.instr] -= o.side * q;
        instruments[o.instr].fund_working -= o.side * q;
        report(o, abi::ReportKind::FILLED, abi::RejectReason::NONE, q, price, fee, t);
        FillRow row;
        row.time = t;
        row.agent_id = a.id;
        row.instrument_id = instruments[o.instr].id;
        row.intent_id = o.intent_id;
        row.side = side_of(o.side);
        row.qty = q;
        row.price = price;
        row.fee = fee;
        row.internal = internal;
        fills.push_back(row);
        if (o.remaining == 0) {
            order_done(o);
        }
    }

    Order& new_order(std::uint16_t agent, std::uint16_t instr, const abi::IntentRecord* in, Quantity d,
                     abi::OrderType type, abi::TimeInForce tif, Price limit, bool netted) {
        Order o;
        o.id = next_order_id++;
        o.intent_id = in != nullptr ? in->intent_id : 0;
        o.client_tag = in != nullptr ? in->client_tag : 0;
        o.snapshot_seq = step_seq;
        o.qty = fx::abs64(d);
        o.remaining = o.qty;
        o.limit = limit;
        o.agent = agent;
        o.instr = instr;
        o.side = static_cast<std::int8_t>(fx::sign(d));
        o.type = type;
        o.tif = tif;
        o.netted = netted;
        Agent& a = agents[agent];
        a.working[instr] += d;
        instruments[instr].fund_working += d;
        ++a.open_orders;
        ++fund_open_orders;
        ++instruments[instr].open_orders;
        orders.push_back(o);
        return orders.back();
    }

    /// Drop done orders and parents once they are a good part of their list (amortised O(1) per
    /// order; every loop skips done entries, so when this runs changes no output).
    void compact() noexcept {
        if (orders_done > 0 && (orders_done * 2 >= orders.size() || orders_done >= 1024)) {
            std::erase_if(orders, [](const Order& o) { return o.done; });
            orders_done = 0;
        }
        for (std::size_t i = 0; i < parents.size(); ++i) {
            if (parents_done[i] > 0 && (parents_done[i] * 2 >= parents[i].size() || parents_done[i] >= 256)) {
                std::erase_if(parents[i], [](const Parent& p) { return p.done; });
                parents_done[i] = 0;
            }
        }
    }

    // ---------------------------------------------------------------- valuation
    struct Totals {
        Money cash = 0, equity = 0, gross = 0, net = 0, realized = 0, unrealized = 0, fees = 0;
    };
    // Each agent's and the fund's totals as begin_step left them, valid until the state next
    // changes (on_market, submit, end_step, kill_switch, finish): fill_state and fill_book read
    // them instead of recomputing every position's value.
    std::vector<Totals> step_totals;
    Totals step_fund_totals;
    bool step_totals_valid = false;

    [[nodiscard]] Totals agent_totals(const Agent& a) const noexcept {
        Totals t;
        t.cash = a.cash;
        t.realized = a.realized;
        t.fees = a.fees;
        Money mv_sum = 0;
        for (std::size_t i = 0; i < instruments.size(); ++i) {
            const PositionLedger& p = a.pos[i];
            if (p.qty == 0) {
                continue;
            }
            const Price mark = instruments[i].ref();
            const Money mv = market_value(p, mark);
            mv_sum += mv;
            t.gross += fx::abs64(mv);
            t.net += mv;
            t.unrealized += mv - p.basis;
        }
        t.equity = a.cash + mv_sum;
        return t;
    }

    [[nodiscard]] Totals fund_totals() const noexcept {
        Totals t;
        t.cash = unallocated;
        t.equity = unallocated;
        for (const Agent& a : agents) {
            add_agent(t, agent_totals(a));
        }
        add_positions(t);
        return t;
    }

    /// The fund's totals from every agent's, computed once (`per_agent` in slot order).
    [[nodiscard]] Totals fund_totals(std::span<const Totals> per_agent) const noexcept {
        Totals t;
        t.cash = unallocated;
        t.equity = unallocated;
        for (const Totals& at : per_agent) {
            add_agent(t, at);
        }
        add_positions(t);
        return t;
    }

    static void add_agent(Totals& t, const Totals& at) noexcept {
        t.cash += at.cash;
        t.equity += at.equity;
        t.realized += at.realized;
        t.unrealized += at.unrealized;
        t.fees += at.fees;
    }

    void add_positions(Totals& t) const noexcept {
        for (const Instrument& in : instruments) {
            const Money mv = fx::notional(in.fund_position, in.ref());
            t.gross += fx::abs64(mv);
            t.net += mv;
        }
        if (!any_excess) {
            return;
        }
        // The venue excess rows are the fund's own (no agent's): their cash and value count in
        // its totals as an agent's would.
        t.cash += excess_cash;
        t.equity += excess_cash;
        for (const Instrument& in : instruments) {
            t.equity += market_value(in.excess, in.ref());
            t.realized += in.excess.realized;
            t.unrealized += unrealized(in.excess, in.ref());
            t.fees += in.excess.fees;
        }
    }

    [[nodiscard]] bool invariants() const noexcept {
        for (std::size_t i = 0; i < instruments.size(); ++i) {
            Quantity sum = 0;
            Quantity working = 0;
            for (const Agent& a : agents) {
                sum += a.pos[i].qty;
                working += a.working[i];
            }
            if (sum + instruments[i].excess.qty != instruments[i].fund_position ||
                working != instruments[i].fund_working) {
                return false;
            }
        }
        for (const Agent& a : agents) {
            const Totals t = agent_totals(a);
            if (t.equity != a.capital + t.realized + t.unrealized - t.fees) {
                return false;
            }
        }
        return true;
    }

    void debug_check() const noexcept { assert(invariants()); }

    [[nodiscard]] std::uint64_t hash_state() const noexcept {
        Hasher h;
        for (const Agent& a : agents) {
            h.i64(a.cash);
            h.i64(a.realized);
            h.i64(a.fees);
            for (const PositionLedger& p : a.pos) {
                h.i64(p.qty);
                h.i64(p.basis);
            }
        }
        for (const Instrument& in : instruments) {
            h.i64(in.fund_position);
        }
        for (const Order& o : orders) {
            if (!o.done) {
                h.u64(o.id);
                h.i64(o.remaining);
            }
        }
        return h.h;
    }

    [[nodiscard]] abi::TradingState agent_state(const Agent& a) const noexcept {
        if (fund_kill || a.kill) {
            return abi::TradingState::HALTED;
        }
        return worse(fund_loss_state, a.loss_state);
    }

    [[nodiscard]] abi::TradingState fund_state() const noexcept {
        return fund_kill ? abi::TradingState::HALTED : fund_loss_state;
    }

    // ---------------------------------------------------------------- market
    void on_market(const marketdata::EventRecord& e, std::uint64_t index) {
        step_totals_valid = false;
        if (config.mode != abi::Mode::SIMULATION) {
            // A live event is in no file a replay could re-read: the journal keeps it whole.
            MarketEventRecord r{};
            r.index = index;
            r.event = e;
            sink.journal(RecordType::kMarketEvent, record_bytes(r));
        } else if (range_count > 0 && index != range_first + range_count) {
            flush_range();
        }
        if (config.mode == abi::Mode::SIMULATION) {
            if (range_count == 0) {
                range_first = index;
            }
            ++range_count;
            range_hash = fnv1a64_words(range_hash, &e, sizeof e);
            range_last_time = e.time;
        }
        now = std::max(now, e.time);

        if (!day_known || e.time >= next_day_start) {
            const std::int64_t d = session_day(e.time);
            if (day_known && d > day) {
                cancel_where([](const Order& o) { return o.tif == abi::TimeInForce::DAY; }, CancelCause::kDayEnd,
                             abi::RejectReason::NONE, e.time);
                flush_venue_requests();
                for (Instrument& in : instruments) {
                    in.session_volume = 0;
                }
            }
            if (!day_known || d > day) {
                day = d;
                next_day_start = session_day_start(d + 1);
                day_known = true;
            }
        }

        const int ii = find_instrument_md(e.instrument_id);
        if (ii < 0) {
            return;
        }
        Instrument& in = instruments[static_cast<std::size_t>(ii)];
        namespace md = marketdata;
        switch (e.kind) {
            case md::EventKind::BAR:
                in.bar_close = e.v[md::bar::CLOSE];
                in.last = e.v[md::bar::CLOSE];
                in.last_size = e.v[md::bar::VOLUME];
                in.last_time = e.time;
                in.session_volume += std::max<Quantity>(0, e.v[md::bar::VOLUME]);
                break;
            case md::EventKind::QUOTE:
                in.bid = e.v[md::quote::BID];
                in.ask = e.v[md::quote::ASK];
                in.bid_size = e.v[md::quote::BID_SIZE];
                in.ask_size = e.v[md::quote::ASK_SIZE];
                in.quote_time = e.time;
                break;
            case md::EventKind::TRADE:
                in.trade_price = e.v[md::trade::PRICE];
                in.last = e.v[md::trade::PRICE];
                in.last_size = e.v[md::trade::SIZE];
                in.last_time = e.time;
                in.session_volume += std::max<Quantity>(0, e.v[md::trade::SIZE]);
                break;
        }
        in.event_time = e.time;
        in.any_event = true;
        if (in.parents > 0 && !venue_mode) {  // in venue mode the venue fills
            execute(static_cast<std::uint16_t>(ii), e, index);
            compact();
        }
    }

    /// Working parents of instrument `ii` against event `e` (execution.hpp).
    void execute(std::uint16_t ii, const marketdata::EventRecord& e, std::uint64_t index) {
        Instrument& in = instruments[ii];
        const ExecutionConfig& x = config.execution;
        Quantity cap_buy = fill_cap(e, +1, x.participation_pct, in.lot);
        Quantity cap_sell = fill_cap(e, -1, x.participation_pct, in.lot);
        std::vector<Parent>& list = parents[ii];
        for (std::size_t pi = 0; pi < list.size(); ++pi) {
            Parent& p = list[pi];
            if (p.done || p.eligible > e.time || p.remaining <= 0) {
                continue;
            }
            const bool first = !p.decided;
            p.decided = true;
            const Quantity rem = p.remaining;
            const Price price = fill_price(e, p.side, p.type, p.limit, x.slippage_bps);
            Quantity& cap = p.side > 0 ? cap_buy : cap_sell;
            Quantity q = price > 0 ? std::min(rem, cap) : 0;
            if (p.fok && q < rem) {
                q = 0;
            }
            if (q == 0 && !first) {
                continue;  // nothing fills and nothing is decided: the common case of a resting order
            }
            collect_children(p);
            if (q > 0) {
                cap -= q;
                fill_parent(p.instr, p.side, p.id, p.type, &p, q, price, 0, e.time, index,
                            static_cast<std::uint8_t>(e.kind));
            }
            if (first) {
                for (std::uint32_t oi : idx) {
                    Order& o = orders[oi];
                    if (o.done) {
                        continue;
                    }
                    if (o.tif == abi::TimeInForce::IOC) {
                        cancel(o, CancelCause::kIoc, abi::RejectReason::NONE, e.time);
                    } else if (o.tif == abi::TimeInForce::FOK) {
                        cancel(o, CancelCause::kFok, abi::RejectReason::NONE, e.time);
                    }
                }
            }
        }
    }

    void feed_status(std::uint32_t instrument_id, bool tripped) {
        FeedStatusRecord r{};
        r.instrument_id = instrument_id;
        r.tripped = tripped ? 1 : 0;
        sink.journal(RecordType::kFeedStatus, record_bytes(r));
        if (const int i = find_instrument(instrument_id); i >= 0) {
            Instrument& in = instruments[static_cast<std::size_t>(i)];
            in.feed_tripped = tripped;
            in.feed_tripped_since_step = in.feed_tripped_since_step || tripped;
        }
    }

    /// The working children of `p` into `idx`, in order-id order.
    void collect_children(const Parent& p) {
        idx.clear();
        [[maybe_unused]] Quantity scanned = 0;
        for (std::size_t oi = order_pos(p.first_order); oi < orders.size() && orders[oi].id <= p.last_order; ++oi) {
            if (!orders[oi].done && orders[oi].parent_id == p.id) {
                idx.push_back(static_cast<std::uint32_t>(oi));
                scanned += orders[oi].remaining;
            }
        }
        assert(scanned == p.remaining);
    }

    std::vector<Quantity> shares_;        // per idx entry: its share of the fill being allocated
    std::vector<std::uint32_t> tier_pos_; // scratch: idx positions taking part in one allocation

    /// Adds to shares_ `total` split pro rata (allocate_pro_rata) over the children in idx of a
    /// tier (-1 all; 0 those not sent for cancel; 1 those sent), by their remaining quantities.
    void allocate_tier(Quantity total, Quantity lot, int tier) {
        alloc_in.clear();
        tier_pos_.clear();
        bool whole_lots = total % lot == 0;
        for (std::size_t k = 0; k < idx.size(); ++k) {
            const Order& o = orders[idx[k]];
            if (tier >= 0 && (o.cancel_state == kCancelSent) != (tier == 1)) {
                continue;
            }
            alloc_in.push_back({o.remaining, agents[o.agent].id, o.intent_id});
            tier_pos_.push_back(static_cast<std::uint32_t>(k));
            whole_lots = whole_lots && o.remaining % lot == 0;
        }
        if (total == 0 || alloc_in.empty()) {
            return;
        }
        alloc_out.assign(alloc_in.size(), 0);
        // A venue may fill an odd lot: then the split is in raw quantity units.
        const AllocationError err =
            allocate_pro_rata(total, whole_lots ? lot : 1, alloc_in, alloc_out, alloc_scratch);
        assert(err == AllocationError::kOk);
        (void)err;
        for (std::size_t j = 0; j < tier_pos_.size(); ++j) {
            shares_[tier_pos_[j]] += alloc_out[j];
        }
    }

    /// One fill of q at price of the parent `parent_id` (netting.hpp 4): allocated to its
    /// working children (in idx: collect_children) pro rata; with a kReplace outstanding, to the
    /// children it keeps first. Venue mode only: what exceeds the working quantity (or all of
    /// it when `p` is null: the parent is finished) goes to the instrument's venue excess row,
    /// and a non-zero `venue_fee` is split over the shares instead of the fee model.
    void fill_parent(std::uint16_t ii, std::int8_t side, std::uint64_t parent_id, abi::OrderType type, Parent* p,
                     Quantity q, Price price, Money venue_fee, Timestamp t, std::uint64_t event_index,
                     std::uint8_t event_kind) {
        Instrument& in = instruments[ii];
        const ExecutionConfig& x = config.execution;
        const Quantity rem = p != nullptr ? p->remaining : 0;
        const Quantity applied = std::min(q, rem);
        const Quantity excess = q - applied;
        shares_.assign(idx.size(), 0);
        if (p != nullptr) {
            p->remaining -= applied;
            if (venue_mode && p->request_out && p->request_kind == venue::VenueCommand::Kind::kReplace) {
                Quantity kept = 0;
                for (std::uint32_t oi : idx) {
                    kept += orders[oi].cancel_state == kCancelSent ? 0 : orders[oi].remaining;
                }
                const Quantity first = std::min(applied, kept);
                allocate_tier(first, in.lot, 0);
                allocate_tier(applied - first, in.lot, 1);
            } else {
                allocate_tier(applied, in.lot, -1);
            }
        }
        in.fund_position += side * q;
        FillRecord f{};
        f.parent_id = parent_id;
        f.event_index = event_index;
        f.time = t;
        f.qty = q;
        f.price = price;
        f.parent_remaining = rem - applied;
        f.instrument_id = in.id;
        f.side = static_cast<std::uint8_t>(side_of(side));
        f.event_kind = event_kind;
        f.order_type = static_cast<std::uint8_t>(type);
        sink.journal(RecordType::kFill, record_bytes(f));
        // A venue's fee for the whole fill, split by cumulative rounding: the shares' fees sum
        // to it exactly.
        Quantity cum = 0;
        Money fee_done = 0;
        const auto fee_of = [&](Quantity share) -> Money {
            if (venue_fee == 0) {
                return fx::fee(share, price, x.fee_per_share, x.fee_centibps);
            }
            cum += share;
            const Money upto = fx::round_div(static_cast<fx::i128>(venue_fee) * cum, q);
            const Money fee = upto - fee_done;
            fee_done = upto;
            return fee;
        };
        for (std::size_t k = 0; k < idx.size(); ++k) {
            const Quantity share = shares_[k];
            if (share == 0) {
                continue;
            }
            Order& o = orders[idx[k]];
            const Money fee = fee_of(share);
            AllocationRecord a{};
            a.parent_id = parent_id;
            a.order_id = o.id;
            a.intent_id = o.intent_id;
            a.time = t;
            a.qty = share;
            a.price = price;
            a.fee = fee;
            a.remaining = o.remaining - share;
            a.agent_id = agents[o.agent].id;
            a.instrument_id = in.id;
            a.side = static_cast<std::uint8_t>(side_of(o.side));
            sink.journal(RecordType::kAllocation, record_bytes(a));
            fill_child(o, share, price, fee, false, t);
        }
        if (excess > 0) {
            const Money fee = fee_of(excess);
            AllocationRecord a{};  // agent 0, order 0: the venue excess row
            a.parent_id = parent_id;
            a.time = t;
            a.qty = excess;
            a.price = price;
            a.fee = fee;
            a.instrument_id = in.id;
            a.side = static_cast<std::uint8_t>(side_of(side));
            sink.journal(RecordType::kAllocation, record_bytes(a));
            excess_cash += apply_fill(in.excess, side * excess, price, fee).cash_delta;
            any_excess = true;
        }
        debug_check();
    }

    // ---------------------------------------------------------------- steps
    void begin_step(abi::Sequence seq, Timestamp clk) {
        flush_range();
        step_seq = seq;
        clock = clk;
        now = std::max(now, clk);
        StepBeginRecord r{};
        r.seq = seq;
        r.clock = clk;
        sink.journal(RecordType::kStepBegin, record_bytes(r));
        const abi::Duration stale_after = config.simulation.stale_after_ns;
        for (Instrument& in : instruments) {
            // A gap recovered before this boundary still marks the step: its data may be a snapshot's.
            in.stale = in.feed_tripped || in.feed_tripped_since_step || (stale_after > 0 && (!in.any_event || (clk > in.event_time &&
                                                                                 clk - in.event_time > stale_after)));
            in.feed_tripped_since_step = false;
        }
        evaluate_losses();
        flush_venue_requests();
        compact();
        step_totals_valid = true;
    }

    static abi::TradingState loss_state_for(const RiskLimits& l, Money loss, abi::TradingState old) noexcept {
        abi::TradingState s = abi::TradingState::ACTIVE;
        if (l.halt_loss > 0 && loss >= l.halt_loss) {
            s = abi::TradingState::HALTED;
        } else if (l.reducing_loss > 0 && loss >= l.reducing_loss) {
            s = abi::TradingState::REDUCING;
        }
        return worse(old, s);
    }

    void trading_state_record(Scope scope, std::uint32_t id, abi::TradingState from, abi::TradingState to,
                              StateCause cause, Money loss, Money eq) noexcept {
        TradingStateRecord r{};
        r.time = now;
        r.loss = loss;
        r.equity = eq;
        r.id = id;
        r.scope = static_cast<std::uint8_t>(scope);
        r.from = static_cast<std::uint8_t>(from);
        r.to = static_cast<std::uint8_t>(to);
        r.cause = static_cast<std::uint8_t>(cause);
        sink.journal(RecordType::kTradingState, record_bytes(r));
    }

    /// Loss limits against the current marks; leaves step_totals and step_fund_totals computed
    /// (a cancel for a loss limit changes no position, cash or mark).
    void evaluate_losses() {
        for (std::size_t ai = 0; ai < agents.size(); ++ai) {
            Agent& a = agents[ai];
            const Totals t = step_totals[ai] = agent_totals(a);
            const Money loss = a.capital - t.equity;
            const abi::TradingState next = loss_state_for(a.limits, loss, a.loss_state);
            if (next != a.loss_state) {
                const abi::TradingState from = a.loss_state;
                a.loss_state = next;
                trading_state_record(Scope::kAgent, a.id, from, next, StateCause::kLossLimit, loss, t.equity);
                if (next == abi::TradingState::HALTED) {
                    cancel_where([ai](const Order& o) { return o.agent == ai; }, CancelCause::kLossLimit,
                                 abi::RejectReason::LOSS_LIMIT, clock);
                }
            }
        }
        const Totals f = step_fund_totals = fund_totals(step_totals);
        const Money loss = config.capital - f.equity;
        const abi::TradingState next = loss_state_for(config.limits, loss, fund_loss_state);
        if (next != fund_loss_state) {
            const abi::TradingState from = fund_loss_state;
            fund_loss_state = next;
            trading_state_record(Scope::kFund, 0, from, next, StateCause::kLossLimit, loss, f.equity);
            if (next == abi::TradingState::HALTED) {
                cancel_where([](const Order&) { return true; }, CancelCause::kLossLimit, abi::RejectReason::LOSS_LIMIT,
                             clock);
            }
        }
    }

    void submit(std::uint16_t slot, const abi::IntentRecord& intent) {
        step_totals_valid = false;
        Pending p;
        p.intent = intent;
        p.intent.commit = 0;  // a ring position, not part of the decision (journal_records.hpp)
        p.slot = slot;
        pending.push_back(p);
    }

    void silent(std::uint16_t slot, const char* why) {
        SilentCall c;
        c.slot = slot;
        copy_text(c.why, why);
        silent_calls.push_back(c);
    }

    void refused(std::uint16_t slot, const Refusal& refusal) {
        RefusalCall c;
        c.refusal = refusal;
        c.refusal.copy.commit = 0;  // as in submit()
        c.slot = slot;
        c.order = static_cast<std::uint32_t>(refusals.size());
        refusals.push_back(c);
    }

    /// Journal and count the step's refusals: slot order, then call order (the agents' polling
    /// interleaving is wall-clock; each agent's own order is its ring's).
    void journal_refusals() {
        std::sort(refusals.begin(), refusals.end(), [](const RefusalCall& a, const RefusalCall& b) {
            return a.slot != b.slot ? a.slot < b.slot : a.order < b.order;
        });
        for (const RefusalCall& c : refusals) {
            RefusalRecord r{};
            r.intent = c.refusal.copy;
            r.step_seq = step_seq;
            r.clock = clock;
            r.ring_position = c.refusal.ring_position;
            r.commit_seen = c.refusal.commit_seen;
            r.slot = c.slot;
            r.reason = static_cast<std::uint16_t>(c.refusal.reason);
            r.source = static_cast<std::uint8_t>(c.refusal.source);
            if (c.slot < agents.size()) {
                Agent& a = agents[c.slot];
                r.agent_id = a.id;
                ++a.rejects[static_cast<std::size_t>(c.refusal.reason) % kReasonSlots];
                if (c.refusal.source != Refusal::Source::kTransport) {
                    ++a.rejected;  // the transport counted only the records it refused itself
                }
            }
            sink.journal(RecordType::kRefusal, record_bytes(r));
            if (c.refusal.source == Refusal::Source::kVoidAnswer ||
                c.refusal.source == Refusal::Source::kOverflow) {  // the transport accepted it: tell the agent
                verdict_report(c.slot, c.refusal.copy, abi::ReportKind::REJECTED, c.refusal.reason,
                               c.refusal.copy.side, 0);
            }
        }
        refusals.clear();
    }

    void end_step() {
        step_totals_valid = false;
        step_first_order = next_order_id;
        journal_refusals();
        std::sort(pending.begin(), pending.end(), [](const Pending& a, const Pending& b) {
            if (a.intent.agent_id != b.intent.agent_id) {
                return a.intent.agent_id < b.intent.agent_id;
            }
            if (a.intent.intent_id != b.intent.intent_id) {
                return a.intent.intent_id < b.intent.intent_id;
            }
            if (a.slot != b.slot) {
                return a.slot < b.slot;
            }
            return std::memcmp(&a.intent, &b.intent, sizeof a.intent) < 0;
        });
        for (const Pending& p : pending) {
            process_intent(p.slot, p.intent);
        }
        pending.clear();

        std::sort(silent_calls.begin(), silent_calls.end(), [](const SilentCall& a, const SilentCall& b) {
            if (a.slot != b.slot) {
                return a.slot < b.slot;
            }
            return std::memcmp(a.why, b.why, sizeof a.why) < 0;
        });
        for (std::size_t k = 0; k < silent_calls.size(); ++k) {
            if (k > 0 && silent_calls[k].slot == silent_calls[k - 1].slot) {
                continue;
            }
            apply_policy(silent_calls[k]);
        }
        silent_calls.clear();
        flush_venue_requests();  // the step's cancels go out before its new orders

        for (std::size_t i = 0; i < instruments.size(); ++i) {
            net_instrument(static_cast<std::uint16_t>(i));
        }
        debug_check();
        compact();

        for (std::size_t ai = 0; ai < agents.size(); ++ai) {
            step_totals[ai] = agent_totals(agents[ai]);
        }
        const Totals f = fund_totals(step_totals);
        // The step's points go to the sink and are overwritten next step: no series is kept
        // here, so a run of millions of steps needs no more memory than a run of one.
        const auto point = [this](const Totals& t) {
            EquityPoint p;
            p.time = clock;
            p.equity = t.equity;
            p.gross = t.gross;
            p.net = t.net;
            p.fees = t.fees;
            p.realized = t.realized;
            p.unrealized = t.unrealized;
            return p;
        };
        step_equity[0] = point(f);
        for (std::size_t ai = 0; ai < agents.size(); ++ai) {
            step_equity[1 + ai] = point(step_totals[ai]);
        }
        sink.equity(std::span<const EquityPoint>(step_equity));
        StepEndRecord r{};
        r.seq = step_seq;
        r.clock = clock;
        r.nav = f.equity;
        r.cash = f.cash;
        r.gross = f.gross;
        r.net = f.net;
        r.realized = f.realized;
        r.unrealized = f.unrealized;
        r.fees = f.fees;
        r.state_hash = hash_state();
        r.working_orders = fund_open_orders;
        std::uint32_t working_parents = 0;
        for (const Instrument& in : instruments) {
            working_parents += in.parents;
        }
        r.parents = working_parents;
        sink.journal(RecordType::kStepEnd, record_bytes(r));
    }

    // ---------------------------------------------------------------- intents
    [[nodiscard]] Money exposure_value(const std::vector<Quantity>& e, std::size_t changed, Quantity d, bool gross) const
        noexcept {
        Money total = 0;
        for (std::size_t i = 0; i < instruments.size(); ++i) {
            const Quantity q = e[i] + (i == changed ? d : 0);
            const Money v = fx::notional(q, instruments[i].ref());
            total += gross ? fx::abs64(v) : v;
        }
        return gross ? total : fx::abs64(total);
    }

    /// Exposure check of one scope given its per-instrument E; true when refused.
    [[nodiscard]] bool exposure_refused(const RiskLimits& l, const std::vector<Quantity>& e, std::size_t i,
                                        Quantity d) const noexcept {
        if (l.max_gross_exposure > 0) {
            const Money after = exposure_value(e, i, d, true);
            if (after > l.max_gross_exposure && after > exposure_value(e, i, 0, true)) {
                return true;
            }
        }
        if (l.max_net_exposure > 0) {
            const Money after = exposure_value(e, i, d, false);
            if (after > l.max_net_exposure && after > exposure_value(e, i, 0, false)) {
                return true;
            }
        }
        return false;
    }

    static bool position_refused(Quantity limit, Quantity e, Quantity d) noexcept {
        if (limit <= 0) {
            return false;
        }
        const Quantity after = fx::abs64(e + d);
        return after > limit && after > fx::abs64(e);
    }

    static bool size_refused(const RiskLimits& l, Quantity d, Price ref) noexcept {
        const Quantity q = fx::abs64(d);
        if (l.max_order_qty > 0 && q > l.max_order_qty) {
            return true;
        }
        return l.max_order_notional > 0 && fx::notional(q, ref) > l.max_order_notional;
    }

    static bool too_many_orders(std::uint32_t max, std::uint32_t open) noexcept { return max > 0 && open + 1 > max; }

    std::vector<Quantity> scope_e_;  // scratch: E per instrument of a scope

    void process_intent(std::uint16_t slot, const abi::IntentRecord& in) {
        using R = abi::RejectReason;
        IntentJournalRecord jr{};
        jr.intent = in;
        jr.step_seq = step_seq;
        jr.clock = clock;
        jr.slot = slot;
        if (slot >= agents.size()) {
            jr.verdict = 2;
            jr.reason = static_cast<std::uint16_t>(R::BAD_AGENT_ID);
            sink.journal(RecordType::kIntent, record_bytes(jr));
            return;
        }
        Agent& a = agents[slot];
        const auto reject = [&](R reason) {
            jr.verdict = 2;
            jr.reason = static_cast<std::uint16_t>(reason);
            ++a.rejected;
            ++a.rejects[static_cast<std::size_t>(reason) % kReasonSlots];
            sink.journal(RecordType::kIntent, record_bytes(jr));
            verdict_report(slot, in, abi::ReportKind::REJECTED, reason, abi::Side::NONE, 0);
        };
        if (in.agent_id != a.id) {
            reject(R::BAD_AGENT_ID);
            return;
        }
        if (in.intent_id <= a.last_intent_id) {
            reject(R::DUPLICATE);
            return;
        }
        a.last_intent_id = in.intent_id;
        const abi::IntentKind kind = in.kind;
        if (kind == abi::IntentKind::END_OF_ANSWER) {
            if (is_plain_answer_end(in)) {
                sink.journal(RecordType::kAnswerEnd, record_bytes(answer_end_record(slot, step_seq, in)));
            } else {
                sink.journal(RecordType::kIntent, record_bytes(jr));
            }
            return;
        }
        if (!abi::is_valid(kind) || !abi::is_valid(in.side) || !abi::is_valid(in.order_type) ||
            !abi::is_valid(in.time_in_force)) {
            reject(R::UNKNOWN_ENUM);
            return;
        }
        // 3. instrument
        int ii = -1;
        bool unmapped_held = false;  // not mapped to the agent, which holds a position or orders there
        if (!(kind == abi::IntentKind::CANCEL && in.instrument_id == 0)) {
            ii = find_instrument(in.instrument_id);
            if (ii < 0) {
                reject(R::UNKNOWN_INSTRUMENT);
                return;
            }
            if ((a.mapped & (std::uint64_t{1} << ii)) == 0) {
                // Unmapped while running (change_config): what it still holds there it may reduce.
                const auto held = static_cast<std::size_t>(ii);
                unmapped_held = a.pos[held].qty != 0 || a.working[held] != 0;
                if (!unmapped_held) {
                    reject(R::INSTRUMENT_NOT_MAPPED);
                    return;
                }
            }
            if (kind != abi::IntentKind::CANCEL && !instruments[static_cast<std::size_t>(ii)].in_data) {
                reject(R::TRADING_HALTED);
                return;
            }
        }
        // 4. quantity and price (the transport checked these; defensive)
        if (ii >= 0) {
            const Instrument& ins = instruments[static_cast<std::size_t>(ii)];
            if (kind == abi::IntentKind::ORDER) {
                if (in.qty <= 0 || in.qty % ins.lot != 0) {
                    reject(R::BAD_QUANTITY);
                    return;
                }
                if (in.side != abi::Side::BUY && in.side != abi::Side::SELL) {
                    reject(R::BAD_FIELD_COMBINATION);
                    return;
                }
                if (in.order_type == abi::OrderType::LIMIT) {
                    if (in.limit_price <= 0 || in.limit_price % ins.tick != 0) {
                        reject(R::BAD_PRICE);
                        return;
                    }
                } else if (in.order_type == abi::OrderType::MARKET) {
                    if (in.limit_price != 0) {
                        reject(R::BAD_PRICE);
                        return;
                    }
                } else {
                    reject(R::BAD_FIELD_COMBINATION);
                    return;
                }
                if (in.time_in_force == abi::TimeInForce::NONE) {
                    reject(R::BAD_FIELD_COMBINATION);
                    return;
                }
            } else if (kind == abi::IntentKind::TARGET_POSITION && in.qty % ins.lot != 0) {
                reject(R::BAD_QUANTITY);
                return;
            }
        }
        // 5. rate
        {
            const bool ok = fund_rate.allows(clock) && a.rate.allows(clock) &&
                            (ii < 0 || instruments[static_cast<std::size_t>(ii)].rate.allows(clock));
            if (!ok) {
                reject(R::RATE_LIMIT);
                return;
            }
            fund_rate.add(clock);
            a.rate.add(clock);
            if (ii >= 0) {
                instruments[static_cast<std::size_t>(ii)].rate.add(clock);
            }
        }
        if (kind == abi::IntentKind::CANCEL) {
            Order* target = nullptr;
            for (Order& o : orders) {
                if (!o.done && o.agent == slot && o.intent_id == in.ref_intent_id && o.intent_id != 0 &&
                    (ii < 0 || o.instr == ii)) {
                    target = &o;
                    break;
                }
            }
            if (target == nullptr) {
                reject(R::UNKNOWN_ORDER);
                return;
            }
            jr.verdict = 1;
            ++a.accepted;
            sink.journal(RecordType::kIntent, record_bytes(jr));
            verdict_report(slot, in, abi::ReportKind::ACCEPTED, R::NONE, side_of(target->side), 0);
            cancel(*target, CancelCause::kAgent, R::NONE, clock);
            return;
        }

        const auto i = static_cast<std::size_t>(ii);
        Instrument& ins = instruments[i];
        const Quantity pos = a.pos[i].qty;
        const Quantity e_agent = pos + a.working[i];
        Quantity d = 0;
        switch (kind) {
            case abi::IntentKind::ORDER: d = in.side == abi::Side::BUY ? in.qty : -in.qty; break;
            case abi::IntentKind::TARGET_POSITION: d = in.qty - e_agent; break;
            case abi::IntentKind::FLATTEN: d = -pos; break;
            default: break;
        }
        const bool flatten = kind == abi::IntentKind::FLATTEN;
        const bool reducing = flatten || risk_reducing(e_agent, d);
        const Price ref = ins.ref();
        jr.ref_price = ref;
        if (unmapped_held && d != 0 && !reducing) {
            reject(R::INSTRUMENT_NOT_MAPPED);
            return;
        }
        if (d != 0 && !flatten) {
            if ((fund_kill || a.kill || ins.kill) && !reducing) {
                reject(R::KILL_SWITCH);
                return;
            }
            if ((fund_loss_state != abi::TradingState::ACTIVE || a.loss_state != abi::TradingState::ACTIVE) &&
                !reducing) {
                reject(R::LOSS_LIMIT);
                return;
            }
        }
        if (d != 0 && (ins.stale || ref <= 0)) {
            reject(R::STALE_MARKET_DATA);
            return;
        }
        if (d != 0 && !flatten) {
            if (ins.restricted && !reducing) {
                reject(R::RESTRICTED);
                return;
            }
            if (size_refused(a.limits, d, ref) || size_refused(ins.limits, d, ref) ||
                size_refused(config.limits, d, ref)) {
                reject(R::MAX_ORDER_SIZE);
                return;
            }
            if (kind == abi::IntentKind::ORDER && in.order_type == abi::OrderType::LIMIT && ins.collar_bps > 0) {
                const fx::i128 diff = fx::abs64(in.limit_price - ref);
                if (diff * fx::kBpsScale > static_cast<fx::i128>(ins.collar_bps) * ref) {
                    reject(R::PRICE_COLLAR);
                    return;
                }
            }
            const Quantity e_fund = ins.fund_position + ins.fund_working;
            if (position_refused(a.limits.max_position, e_agent, d) ||
                position_refused(ins.limits.max_position, e_fund, d) ||
                position_refused(config.limits.max_position, e_fund, d)) {
                reject(R::POSITION_LIMIT);
                return;
            }
            // exposure: agent, fund, instrument
            scope_e_.resize(instruments.size());
            for (std::size_t k = 0; k < instruments.size(); ++k) {
                scope_e_[k] = a.pos[k].qty + a.working[k];
            }
            bool refused = exposure_refused(a.limits, scope_e_, i, d);
            if (!refused) {
                for (std::size_t k = 0; k < instruments.size(); ++k) {
                    scope_e_[k] = instruments[k].fund_position + instruments[k].fund_working;
                }
                refused = exposure_refused(config.limits, scope_e_, i, d);
                if (!refused) {
                    const Money before = fx::abs64(fx::notional(e_fund, ref));
                    const Money after = fx::abs64(fx::notional(e_fund + d, ref));
                    const Money lim_g = ins.limits.max_gross_exposure;
                    const Money lim_n = ins.limits.max_net_exposure;
                    refused = after > before && ((lim_g > 0 && after > lim_g) || (lim_n > 0 && after > lim_n));
                }
            }
            if (refused) {
                reject(R::EXPOSURE_LIMIT);
                return;
            }
            if (too_many_orders(a.limits.max_open_orders, a.open_orders) ||
                too_many_orders(ins.limits.max_open_orders, ins.open_orders) ||
                too_many_orders(config.limits.max_open_orders, fund_open_orders)) {
                reject(R::OPEN_ORDER_LIMIT);
                return;
            }
        }

        // accepted
        jr.verdict = 1;
        jr.order_qty = d;
        ++a.accepted;
        sink.journal(RecordType::kIntent, record_bytes(jr));
        verdict_report(slot, in, abi::ReportKind::ACCEPTED, R::NONE, side_of(fx::sign(d)), fx::abs64(d));
        if (flatten) {
            cancel_where([slot, i](const Order& o) { return o.agent == slot && o.instr == i; }, CancelCause::kFlatten,
                         R::NONE, clock);
        }
        if (d == 0) {
            return;
        }
        if (kind == abi::IntentKind::ORDER) {
            const bool netted = in.order_type == abi::OrderType::MARKET && in.time_in_force != abi::TimeInForce::FOK;
            new_order(slot, static_cast<std::uint16_t>(i), &in, d, in.order_type, in.time_in_force,
                      in.order_type == abi::OrderType::LIMIT ? in.limit_price : 0, netted);
        } else {
            new_order(slot, static_cast<std::uint16_t>(i), &in, d, abi::OrderType::MARKET, abi::TimeInForce::GTC, 0,
                      true);
        }
    }

    void apply_policy(const SilentCall& c) {
        if (c.slot >= agents.size()) {
            return;
        }
        Agent& a = agents[c.slot];
        PolicyRecord r{};
        r.seq = step_seq;
        r.clock = clock;
        r.agent_id = a.id;
        r.slot = c.slot;
        r.policy = static_cast<std::uint8_t>(a.policy);
        r.why_code = static_cast<std::uint8_t>(why_code(c.why));
        std::memcpy(r.why, c.why, sizeof r.why);
        sink.journal(RecordType::kPolicy, record_bytes(r));
        if (a.policy == SilentPolicy::kNoOp) {
            return;
        }
        const std::uint16_t slot = c.slot;
        cancel_where([slot](const Order& o) { return o.agent == slot; }, CancelCause::kSilent,
                     abi::RejectReason::AGENT_SILENT, clock);
        if (a.policy == SilentPolicy::kFlatten) {
            for (std::size_t i = 0; i < instruments.size(); ++i) {
                const Quantity q = a.pos[i].qty;
                if (q != 0) {
                    new_order(slot, static_cast<std::uint16_t>(i), nullptr, -q, abi::OrderType::MARKET,
                              abi::TimeInForce::GTC, 0, true);
                }
            }
        }
    }

    // ---------------------------------------------------------------- netting
    Parent& new_parent(std::uint16_t ii, std::int8_t side, abi::OrderType type, Price limit, bool fok) {
        Parent p;
        p.id = next_parent_id++;
        p.remaining = 0;
        p.eligible = clock + config.execution.latency_ns;
        p.limit = limit;
        p.instr = ii;
        p.side = side;
        p.type = type;
        p.fok = fok;
        parents[ii].push_back(p);
        ++instruments[ii].parents;
        if (venue_mode) {
            ParentTrace tr;  // ids are 1, 2, ...: traces[id - 1]
            tr.instr = ii;
            tr.side = side;
            tr.type = type;
            traces.push_back(tr);
        }
        return parents[ii].back();
    }

    /// A parent for `children` (journaled kOrder per child); in venue mode it leaves as a kNew.
    void make_parent(std::uint16_t ii, std::int8_t side, abi::OrderType type, Price limit, abi::TimeInForce tif,
                     const std::vector<std::uint32_t>& children) {
        Parent& p = new_parent(ii, side, type, limit, tif == abi::TimeInForce::FOK);
        p.tif = tif;
        attach_children(p, children);
        p.total = p.remaining;
        if (!venue_mode) {
            return;
        }
        venue::VenueCommand c{};
        c.kind = venue::VenueCommand::Kind::kNew;
        c.side = side_of(side);
        c.type = type;
        c.tif = tif;
        c.instrument_id = instruments[ii].id;
        c.parent_id = p.id;
        c.qty = p.total;
        c.limit = limit;
        c.time = clock;
        std::memcpy(c.symbol, instruments[ii].symbol, sizeof c.symbol);
        command(c);
    }

    void attach_children(Parent& p, const std::vector<std::uint32_t>& children) {
        Quantity total = 0;
        for (std::uint32_t oi : children) {
            total += orders[oi].remaining;
        }
        std::uint16_t k = 0;
        p.first_order = orders[children.front()].id;
        p.last_order = p.first_order;
        for (std::uint32_t oi : children) {
            Order& o = orders[oi];
            p.first_order = std::min(p.first_order, o.id);
            p.last_order = std::max(p.last_order, o.id);
            o.parent_id = p.id;
            ++p.working_children;
            p.remaining += o.remaining;
            OrderRecord r{};
            r.parent_id = p.id;
            r.order_id = o.id;
            r.intent_id = o.intent_id;
            r.seq = step_seq;
            r.eligible_time = p.eligible;
            r.parent_qty = total;
            r.child_qty = o.remaining;
            r.limit_price = o.limit;
            r.agent_id = agents[o.agent].id;
            r.instrument_id = instruments[o.instr].id;
            r.child_index = k++;
            r.child_count = static_cast<std::uint16_t>(children.size());
            r.side = static_cast<std::uint8_t>(side_of(o.side));
            r.order_type = static_cast<std::uint8_t>(o.type);
            r.tif = static_cast<std::uint8_t>(o.tif);
            sink.journal(RecordType::kOrder, record_bytes(r));
        }
    }

    void cross_side(const std::vector<std::uint32_t>& side_idx, Quantity crossed, Quantity buy_total,
                    Quantity sell_total, Price ref, Instrument& ins) {
        alloc_in.clear();
        for (std::uint32_t oi : side_idx) {
            const Order& o = orders[oi];
            alloc_in.push_back({o.remaining, agents[o.agent].id, o.intent_id});
        }
        alloc_out.assign(alloc_in.size(), 0);
        const AllocationError err = allocate_pro_rata(crossed, ins.lot, alloc_in, alloc_out, alloc_scratch);
        assert(err == AllocationError::kOk);
        (void)err;
        for (std::size_t k = 0; k < side_idx.size(); ++k) {
            const Quantity share = alloc_out[k];
            if (share == 0) {
                continue;
            }
            Order& o = orders[side_idx[k]];
            CrossRecord r{};
            r.seq = step_seq;
            r.clock = clock;
            r.order_id = o.id;
            r.intent_id = o.intent_id;
            r.qty = share;
            r.price = ref;
            r.buy_total = buy_total;
            r.sell_total = sell_total;
            r.crossed = crossed;
            r.agent_id = agents[o.agent].id;
            r.instrument_id = ins.id;
            r.side = static_cast<std::uint8_t>(side_of(o.side));
            sink.journal(RecordType::kCross, record_bytes(r));
            fill_child(o, share, ref, 0, true, clock);
        }
    }

    std::vector<std::uint32_t> buys_, sells_, own_, side_list_;

    void net_instrument(std::uint16_t ii) {
        Instrument& ins = instruments[ii];
        buys_.clear();
        sells_.clear();
        own_.clear();
        Quantity b = 0, s = 0;
        for (std::size_t oi = order_pos(step_first_order); oi < orders.size(); ++oi) {
            const Order& o = orders[oi];
            if (o.done || o.parent_id != 0 || o.instr != ii) {
                continue;
            }
            if (!o.netted) {
                own_.push_back(static_cast<std::uint32_t>(oi));
            } else if (o.side > 0) {
                buys_.push_back(static_cast<std::uint32_t>(oi));
                b += o.remaining;
            } else {
                sells_.push_back(static_cast<std::uint32_t>(oi));
                s += o.remaining;
            }
        }
        const Quantity c = std::min(b, s);
        const Price ref = ins.ref();
        if (c > 0 && ref > 0) {
            cross_side(buys_, c, b, s, ref, ins);
            cross_side(sells_, c, b, s, ref, ins);
            debug_check();
        }
        // Residual: one parent per side of the remaining marketable children. After a cross only
        // one side has any left; both sides remain only when no cross could happen (no
        // reference price, which risk checks make impossible for new orders). In venue mode one
        // per time in force: the venue enforces it.
        static constexpr std::array<abi::TimeInForce, 3> kVenueTifs{abi::TimeInForce::DAY, abi::TimeInForce::IOC,
                                                                    abi::TimeInForce::GTC};
        const std::size_t groups = venue_mode ? kVenueTifs.size() : 1;
        for (const std::vector<std::uint32_t>* list : {&buys_, &sells_}) {
            for (std::size_t g = 0; g < groups; ++g) {
                side_list_.clear();
                for (std::uint32_t oi : *list) {
                    if (!orders[oi].done && orders[oi].remaining > 0 &&
                        (!venue_mode || orders[oi].tif == kVenueTifs[g])) {
                        side_list_.push_back(oi);
                    }
                }
                if (!side_list_.empty()) {
                    make_parent(ii, orders[side_list_.front()].side, abi::OrderType::MARKET, 0,
                                venue_mode ? kVenueTifs[g] : abi::TimeInForce::GTC, side_list_);
                }
            }
        }
        for (std::uint32_t oi : own_) {
            const Order& o = orders[oi];
            if (o.done) {
                continue;
            }
            idx.clear();
            idx.push_back(oi);
            make_parent(ii, o.side, o.type, o.limit, o.tif, idx);
        }
    }

    // ---------------------------------------------------------------- operator
    void kill_switch(Scope scope, std::uint32_t id, bool on) {
        step_totals_valid = false;
        flush_range();
        KillSwitchRecord r{};
        r.time = now;
        r.id = id;
        r.scope = static_cast<std::uint8_t>(scope);
        r.on = on ? 1 : 0;
        sink.journal(RecordType::kKillSwitch, record_bytes(r));
        const StateCause cause = on ? StateCause::kKillSwitchOn : StateCause::kKillSwitchOff;
        switch (scope) {
            case Scope::kFund: {
                const abi::TradingState from = fund_state();
                fund_kill = on;
                if (from != fund_state()) {
                    trading_state_record(Scope::kFund, 0, from, fund_state(), cause, 0, 0);
                }
                if (on) {
                    cancel_where([](const Order&) { return true; }, CancelCause::kKillSwitch,
                                 abi::RejectReason::KILL_SWITCH, now);
                }
                break;
            }
            case Scope::kAgent: {
                for (std::size_t ai = 0; ai < agents.size(); ++ai) {
                    Agent& a = agents[ai];
                    if (a.id != id) {
                        continue;
                    }
                    const abi::TradingState from = agent_state(a);
                    a.kill = on;
                    if (from != agent_state(a)) {
                        trading_state_record(Scope::kAgent, id, from, agent_state(a), cause, 0, 0);
                    }
                    if (on) {
                        cancel_where([ai](const Order& o) { return o.agent == ai; }, CancelCause::kKillSwitch,
                                     abi::RejectReason::KILL_SWITCH, now);
                    }
                }
                break;
            }
            case Scope::kInstrument: {
                const int ii = find_instrument(id);
                if (ii >= 0) {
                    Instrument& in = instruments[static_cast<std::size_t>(ii)];
                    if (in.kill != on) {
                        trading_state_record(Scope::kInstrument, id,
                                             in.kill ? abi::TradingState::HALTED : abi::TradingState::ACTIVE,
                                             on ? abi::TradingState::HALTED : abi::TradingState::ACTIVE, cause, 0, 0);
                    }
                    in.kill = on;
                    if (on) {
                        const auto i = static_cast<std::uint16_t>(ii);
                        cancel_where([i](const Order& o) { return o.instr == i; }, CancelCause::kKillSwitch,
                                     abi::RejectReason::KILL_SWITCH, now);
                    }
                }
                break;
            }
        }
        flush_venue_requests();
        compact();
    }

    /// config_change.hpp: journal the change, then apply every entry (a rejected one: journal only).
    void change_config(const ConfigChange& change) {
        step_totals_valid = false;
        flush_range();
        const std::vector<std::byte> payload = config_change_payload(change, step_seq, clock);
        sink.journal(RecordType::kConfigChange, payload);
        if (change.status != ConfigChangeStatus::kApplied) {
            return;
        }
        for (const ConfigChangeEntry& e : change.entries) {
            const auto field = static_cast<ConfigField>(e.field);
            switch (static_cast<Scope>(e.scope)) {
                case Scope::kFund:
                    if (is_limit_field(field)) {
                        set_limit_value(config.limits, field, e.new_value);
                        fund_rate.reconfigure(config.limits.max_intents_per_window, config.limits.rate_window_ns);
                    }
                    break;
                case Scope::kAgent: {
                    if (e.index >= agents.size() || agents[e.index].id != e.id) {
                        break;
                    }
                    Agent& a = agents[e.index];
                    if (is_limit_field(field)) {
                        set_limit_value(a.limits, field, e.new_value);
                        a.rate.reconfigure(a.limits.max_intents_per_window, a.limits.rate_window_ns);
                    } else if (field == ConfigField::kInstruments) {
                        const std::uint64_t rows = instruments.size() >= 64 ? ~std::uint64_t{0}
                                                                            : (std::uint64_t{1} << instruments.size()) - 1;
                        const auto now_mapped = static_cast<std::uint64_t>(e.new_value) & rows;
                        const std::uint64_t lost = a.mapped & ~now_mapped;
                        a.mapped = now_mapped;
                        const std::uint16_t slot = e.index;
                        cancel_where(
                            [slot, lost](const Order& o) { return o.agent == slot && ((lost >> o.instr) & 1U) != 0; },
                            CancelCause::kUnmapped, abi::RejectReason::INSTRUMENT_NOT_MAPPED, clock);
                    }
                    break;
                }
                case Scope::kInstrument: {
                    if (e.index >= instruments.size() || instruments[e.index].id != e.id) {
                        break;
                    }
                    Instrument& in = instruments[e.index];
                    if (is_limit_field(field)) {
                        set_limit_value(in.limits, field, e.new_value);
                        in.rate.reconfigure(in.limits.max_intents_per_window, in.limits.rate_window_ns);
                    } else if (field == ConfigField::kRestricted) {
                        in.restricted = e.new_value != 0;
                    } else if (field == ConfigField::kPriceCollarBps) {
                        in.collar_bps = static_cast<std::uint32_t>(e.new_value);
                    }
                    break;
                }
            }
        }
        flush_venue_requests();
        compact();
    }

    void finish(const char* why) {
        step_totals_valid = false;
        if (finished) {
            return;
        }
        flush_range();
        cancel_where([](const Order&) { return true; }, CancelCause::kShutdown, abi::RejectReason::SHUTDOWN, now);
        flush_venue_requests();
        compact();
        finished = true;
        const Totals f = fund_totals();
        RunEndRecord r{};
        r.time = now;
        r.nav = f.equity;
        r.realized = f.realized;
        r.fees = f.fees;
        r.fills = fills.size();
        r.state_hash = hash_state();
        copy_text(r.why, why);
        sink.journal(RecordType::kRunEnd, record_bytes(r));
    }

    // ---------------------------------------------------------------- venue
    void command(const venue::VenueCommand& c) {
        sink.journal(RecordType::kVenueCommand, record_bytes(c));
        sink.venue(c);
    }

    void request_cancel(Order& o, CancelCause cause, abi::RejectReason reason) {
        if (o.cancel_state != kCancelNone) {
            return;  // already asked for: the first cause stands
        }
        o.cancel_state = kCancelQueued;
        o.pending_cause = cause;
        o.pending_reason = reason;
        Parent* p = find_parent(o.instr, o.parent_id);
        if (p != nullptr && !p->dirty) {
            p->dirty = true;
            dirty_.push_back({p->id, o.instr});
        }
    }

    /// Ask the venue about the parents whose children were queued for cancel, in parent id order.
    void flush_venue_requests() {
        if (dirty_.empty()) {
            return;
        }
        std::sort(dirty_.begin(), dirty_.end(), [](const Dirty& a, const Dirty& b) { return a.id < b.id; });
        for (const Dirty& d : dirty_) {
            if (Parent* p = find_parent(d.instr, d.id)) {
                p->dirty = false;
                send_request(*p);
            }
        }
        dirty_.clear();
    }

    /// The next cancel request of `p` for its queued children, unless one is in flight: kCancel
    /// when none of its children would be left working, else kReplace to filled + what is kept.
    void send_request(Parent& p) {
        if (p.done || p.request_out) {
            return;
        }
        collect_children(p);
        Quantity keep = 0;
        bool queued = false;
        for (std::uint32_t oi : idx) {
            const Order& o = orders[oi];
            queued = queued || o.cancel_state == kCancelQueued;
            keep += o.cancel_state == kCancelNone ? o.remaining : 0;
        }
        if (!queued) {
            return;
        }
        for (std::uint32_t oi : idx) {
            if (orders[oi].cancel_state == kCancelQueued) {
                orders[oi].cancel_state = kCancelSent;
            }
        }
        p.request_out = true;
        p.request_kind = keep == 0 ? venue::VenueCommand::Kind::kCancel : venue::VenueCommand::Kind::kReplace;
        venue::VenueCommand c{};
        c.kind = p.request_kind;
        c.side = side_of(p.side);
        c.type = p.type;
        c.tif = p.tif;
        c.instrument_id = instruments[p.instr].id;
        c.parent_id = p.id;
        c.qty = keep == 0 ? 0 : traces[p.id - 1].filled + keep;
        c.limit = p.limit;
        c.time = now;
        std::memcpy(c.symbol, instruments[p.instr].symbol, sizeof c.symbol);
        command(c);
    }

    static std::uint64_t exec_hash(const char (&exec_id)[32]) noexcept {
        const std::size_t n = strnlen(exec_id, sizeof exec_id);
        return n == 0 ? 0 : fnv1a64(kFnvOffset, exec_id, n);
    }

    void venue_event(const venue::VenueEvent& ev) {
        using K = venue::VenueEvent::Kind;
        step_totals_valid = false;
        flush_range();
        // Classify first: the verdict is journaled with the event, before it is applied.
        Parent* p = nullptr;
        ParentTrace* tr = nullptr;
        VenueVerdict verdict = VenueVerdict::kUnknown;
        const std::uint64_t exec = exec_hash(ev.exec_id);
        if (venue_mode && ev.parent_id >= 1 && ev.parent_id <= traces.size()) {
            tr = &traces[ev.parent_id - 1];
            p = find_parent(tr->instr, ev.parent_id);
            p = p != nullptr && !p->done ? p : nullptr;
            verdict = p != nullptr ? VenueVerdict::kApplied : VenueVerdict::kFinished;
            if (ev.kind == K::kFill) {
                if (ev.qty <= 0 || ev.price <= 0) {
                    verdict = VenueVerdict::kInvalid;
                } else if ((exec != 0 && exec == tr->last_exec) || (ev.cum != 0 && ev.cum <= tr->filled)) {
                    verdict = VenueVerdict::kDuplicate;
                } else if (p == nullptr || ev.qty > p->remaining) {
                    verdict = VenueVerdict::kExcess;
                }
            }
        }
        VenueEventRecord r{};
        r.event = ev;
        r.index = venue_index++;
        r.step_seq = step_seq;
        r.time = now;
        r.verdict = static_cast<std::uint8_t>(verdict);
        sink.journal(RecordType::kVenueEvent, record_bytes(r));
        ++counters.events;
        switch (verdict) {
            case VenueVerdict::kApplied: ++counters.applied; break;
            case VenueVerdict::kUnknown: ++counters.unknown; break;
            case VenueVerdict::kFinished: ++counters.finished; break;
            case VenueVerdict::kDuplicate: ++counters.duplicates; break;
            case VenueVerdict::kInvalid: ++counters.invalid; break;
            case VenueVerdict::kExcess: ++counters.excess_fills; break;
        }
        if (verdict != VenueVerdict::kApplied && verdict != VenueVerdict::kExcess) {
            return;
        }
        if (ev.kind == K::kFill) {
            tr->filled += ev.qty;
            tr->last_exec = exec;
            idx.clear();
            if (p != nullptr) {
                p->accepted = true;
                collect_children(*p);
            }
            fill_parent(tr->instr, tr->side, ev.parent_id, tr->type, p, ev.qty, ev.price, ev.fee, now, r.index, 0);
        } else if (ev.kind == K::kAccepted) {
            p->accepted = true;
        } else {
            apply_venue_state(*p, ev);
        }
        flush_venue_requests();
        compact();
    }

    /// kCanceled, kReplaced, kRejected, kCancelRejected of a working parent.
    void apply_venue_state(Parent& p, const venue::VenueEvent& ev) {
        using K = venue::VenueEvent::Kind;
        collect_children(p);
        const bool answer = ev.kind != K::kRejected;  // answers the request in flight, if any
        for (std::uint32_t oi : idx) {
            Order& o = orders[oi];
            switch (ev.kind) {
                case K::kCanceled:
                    if (o.cancel_state != kCancelNone) {
                        cancel_now(o, o.pending_cause, o.pending_reason, now);
                    } else {
                        cancel_now(o, CancelCause::kVenue, abi::RejectReason::NONE, now);
                    }
                    break;
                case K::kReplaced:
                    if (o.cancel_state == kCancelSent) {
                        cancel_now(o, o.pending_cause, o.pending_reason, now);
                    }
                    break;
                case K::kRejected:
                    cancel_now(o, CancelCause::kVenueReject, abi::RejectReason::VENUE_REJECT, now);
                    break;
                case K::kCancelRejected:
                    if (o.cancel_state == kCancelSent) {
                        o.cancel_state = kCancelNone;
                    }
                    break;
                default: break;
            }
        }
        if (answer) {
            p.request_out = false;
        }
        if (ev.kind == K::kReplaced) {
            if (ev.leaves != p.remaining) {
                ++counters.leaves_mismatch;
            }
            p.total = traces[p.id - 1].filled + p.remaining;
        }
        send_request(p);  // children queued while the answered request was in flight
    }

    [[nodiscard]] VenueView venue_view() const {
        VenueView v;
        for (std::size_t i = 0; i < instruments.size(); ++i) {
            for (const Parent& p : parents[i]) {
                if (p.done) {
                    continue;
                }
                VenueParentView pv;
                pv.parent_id = p.id;
                pv.instrument_id = instruments[i].id;
                pv.side = side_of(p.side);
                pv.accepted = p.accepted;
                pv.cancel_pending = p.request_out || p.dirty;
                pv.qty = p.total;
                pv.filled = p.id <= traces.size() ? traces[p.id - 1].filled : 0;
                pv.leaves = p.remaining;
                v.parents.push_back(pv);
            }
        }
        for (const Instrument& in : instruments) {
            VenuePositionView pos;
            pos.instrument_id = in.id;
            std::memcpy(pos.symbol, in.symbol, sizeof pos.symbol);
            pos.position = in.fund_position;
            pos.excess = in.excess.qty;
            v.positions.push_back(pos);
        }
        return v;
    }

    // ---------------------------------------------------------------- snapshot
    void fill_state(abi::FundState& state) const noexcept {
        state.mode = config.mode;
        state.trading_state = fund_state();
        state.instrument_count = static_cast<std::uint16_t>(instruments.size());
        std::memset(state.pad_22, 0, sizeof state.pad_22);
        const Totals f = step_totals_valid ? step_fund_totals : fund_totals();
        state.nav = f.equity;
        state.cash = f.cash;
        state.gross_exposure = f.gross;
        state.net_exposure = f.net;
        state.realized_pnl = f.realized;
        state.unrealized_pnl = f.unrealized;
        state.fees = f.fees;
        std::memset(state.reserved_80, 0, sizeof state.reserved_80);
        // Rows in use are built whole and stored; the rows past them are the caller's (clearing
        // 63 unused rows every step cost a quarter of a step).
        const std::size_t used = std::min<std::size_t>(instruments.size(), abi::MAX_INSTRUMENTS);
        for (std::size_t i = 0; i < used; ++i) {
            // Field by field in place (every byte of the row, padding included): building a
            // zeroed row and copying it cost twice as much.
            abi::InstrumentEntry& e = state.instruments[i];
            const Instrument& in = instruments[i];
            e.instrument_id = in.id;
            e.status = !in.in_data ? abi::InstrumentStatus::HALTED
                                   : (in.stale ? abi::InstrumentStatus::STALE : abi::InstrumentStatus::TRADING);
            e.trading_state = in.kill ? abi::TradingState::HALTED : abi::TradingState::ACTIVE;
            std::memcpy(e.symbol, in.symbol, sizeof e.symbol);
            e.tick_size = in.tick;
            e.lot_size = in.lot;
            e.bid = in.bid;
            e.ask = in.ask;
            e.last = in.last;
            e.bid_size = in.bid_size;
            e.ask_size = in.ask_size;
            e.last_size = in.last_size;
            e.quote_time = in.quote_time;
            e.trade_time = in.last_time;
            e.session_volume = in.session_volume;
            std::memset(e.pad_22, 0, sizeof e.pad_22);
            std::memset(e.reserved_112, 0, sizeof e.reserved_112);
        }
    }

    void fill_book(std::uint16_t slot, abi::AgentBook& book) const noexcept {
        std::memset(static_cast<void*>(&book), 0, offsetof(abi::AgentBook, positions));  // the head only
        book.seq = step_seq;
        if (slot >= agents.size()) {
            return;
        }
        const Agent& a = agents[slot];
        const Totals t = step_totals_valid ? step_totals[slot] : agent_totals(a);
        abi::AgentAccount& acc = book.account;
        acc.agent_id = a.id;
        acc.capital = a.capital;
        acc.cash = a.cash;
        acc.equity = t.equity;
        acc.gross_exposure = t.gross;
        acc.net_exposure = t.net;
        acc.realized_pnl = a.realized;
        acc.unrealized_pnl = t.unrealized;
        acc.fees = a.fees;
        acc.intents_accepted = a.accepted;
        acc.intents_rejected = a.rejected;
        acc.last_intent_id = a.last_intent_id;
        std::uint16_t n = 0;
        for (std::size_t i = 0; i < instruments.size(); ++i) {
            if ((a.mapped & (std::uint64_t{1} << i)) == 0 && a.pos[i].qty == 0 && a.working[i] == 0) {
                continue;
            }
            abi::Position& p = book.positions[n++];
            p = abi::Position{};
            const PositionLedger& l = a.pos[i];
            p.instrument_id = instruments[i].id;
            p.qty = l.qty;
            p.avg_cost = avg_cost(l);
            p.realized_pnl = l.realized;
            p.unrealized_pnl = unrealized(l, instruments[i].ref());
            p.fees = l.fees;
            p.working_qty = a.working[i];
        }
        book.position_count = n;
    }
};

// -------------------------------------------------------------------- facade

Engine::Engine(const FundConfig& config, std::span<const marketdata::InstrumentRecord> instruments, Sink& sink,
               std::uint64_t data_checksum)
    : impl_(std::make_unique<Impl>(config, instruments, sink, data_checksum)) {}

Engine::~Engine() = default;

#define FUNDOS_ENGINE_GUARDED(body)           \
    if (impl_->faulted) {                     \
        return;                               \
    }                                         \
    try {                                     \
        body;                                 \
    } catch (...) {                           \
        impl_->faulted = true;                \
    }

void Engine::on_market(const marketdata::EventRecord& event, std::uint64_t index) noexcept {
    if (impl_->finished) {
        return;
    }
    FUNDOS_ENGINE_GUARDED(impl_->on_market(event, index))
}

void Engine::feed_status(std::uint32_t instrument_id, bool tripped) noexcept {
    if (impl_->finished) {
        return;
    }
    FUNDOS_ENGINE_GUARDED(impl_->feed_status(instrument_id, tripped))
}

void Engine::begin_step(abi::Sequence seq, abi::Timestamp clock) noexcept {
    if (impl_->finished) {
        return;
    }
    FUNDOS_ENGINE_GUARDED(impl_->begin_step(seq, clock))
}

void Engine::fill_state(abi::FundState& state) const noexcept { impl_->fill_state(state); }

void Engine::fill_book(std::uint16_t slot, abi::AgentBook& book) const noexcept { impl_->fill_book(slot, book); }

void Engine::submit(std::uint16_t slot, const abi::IntentRecord& intent) noexcept {
    if (impl_->finished) {
        return;
    }
    FUNDOS_ENGINE_GUARDED(impl_->submit(slot, intent))
}

void Engine::silent(std::uint16_t slot, const char* why) noexcept {
    if (impl_->finished) {
        return;
    }
    FUNDOS_ENGINE_GUARDED(impl_->silent(slot, why))
}

void Engine::refused(std::uint16_t slot, const Refusal& refusal) noexcept {
    if (impl_->finished) {
        return;
    }
    FUNDOS_ENGINE_GUARDED(impl_->refused(slot, refusal))
}

void Engine::end_step() noexcept {
    if (impl_->finished) {
        return;
    }
    FUNDOS_ENGINE_GUARDED(impl_->end_step())
}

void Engine::kill_switch(Scope scope, std::uint32_t id, bool on) noexcept {
    if (impl_->finished) {
        return;
    }
    FUNDOS_ENGINE_GUARDED(impl_->kill_switch(scope, id, on))
}

void Engine::change_config(const ConfigChange& change) noexcept {
    if (impl_->finished) {
        return;
    }
    FUNDOS_ENGINE_GUARDED(impl_->change_config(change))
}

void Engine::finish(const char* why) noexcept { FUNDOS_ENGINE_GUARDED(impl_->finish(why)) }

// No `finished` guard: after finish() the venue still confirms the shutdown's cancels and may
// report late fills, which the ledger must take.
void Engine::venue_event(const venue::VenueEvent& event) noexcept { FUNDOS_ENGINE_GUARDED(impl_->venue_event(event)) }

#undef FUNDOS_ENGINE_GUARDED

std::span<const FillRow> Engine::fills() const noexcept { return impl_->fills; }

std::uint64_t Engine::rejects(std::size_t agent_index, abi::RejectReason reason) const noexcept {
    const auto r = static_cast<std::size_t>(reason);
    if (agent_index >= impl_->agents.size() || r >= kReasonSlots) {
        return 0;
    }
    return impl_->agents[agent_index].rejects[r];
}

abi::TradingState Engine::agent_trading_state(std::uint16_t slot) const noexcept {
    if (slot >= impl_->agents.size()) {
        return impl_->fund_state();
    }
    return impl_->agent_state(impl_->agents[slot]);
}

abi::Quantity Engine::fund_position(std::uint32_t instrument_id) const noexcept {
    const int i = impl_->find_instrument(instrument_id);
    return i < 0 ? 0 : impl_->instruments[static_cast<std::size_t>(i)].fund_position;
}

bool Engine::invariants_hold() const noexcept { return impl_->invariants(); }

VenueView Engine::venue_view() const { return impl_->venue_view(); }

VenueCounters Engine::venue_counters() const noexcept { return impl_->counters; }

bool Engine::faulted() const noexcept { return impl_->faulted; }

std::uint64_t Engine::state_hash() const noexcept { return impl_->hash_state(); }

}  // namespace fundos::engine
