// describe_record and the journal record tables (journal_records.hpp).
#include "fundos/engine/journal_records.hpp"

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "fundos/engine/config.hpp"
#include "fundos/marketdata/fmd_format.hpp"

namespace fundos::engine {

namespace {

template <class T>
T load(std::span<const std::byte> payload) noexcept {
    T value{};
    std::memcpy(static_cast<void*>(&value), payload.data(), sizeof(T));
    return value;
}

/// A fixed-point value as a decimal string ("-12.345" for raw -12345 with 3 decimals), trailing
/// zeros of the fraction kept to `decimals` digits only when non-zero.
std::string fixed(std::int64_t raw, int decimals) {
    char buf[48];
    const bool neg = raw < 0;
    const unsigned __int128 mag = neg ? static_cast<unsigned __int128>(-(static_cast<__int128>(raw)))
                                      : static_cast<unsigned __int128>(raw);
    std::uint64_t scale = 1;
    for (int i = 0; i < decimals; ++i) {
        scale *= 10;
    }
    const auto ip = static_cast<std::uint64_t>(mag / scale);
    auto fp = static_cast<std::uint64_t>(mag % scale);
    int digits = decimals;
    while (digits > 0 && fp % 10 == 0) {
        fp /= 10;
        --digits;
    }
    if (digits == 0) {
        std::snprintf(buf, sizeof buf, "%s%" PRIu64, neg ? "-" : "", ip);
    } else {
        std::snprintf(buf, sizeof buf, "%s%" PRIu64 ".%0*" PRIu64, neg ? "-" : "", ip, digits, fp);
    }
    return buf;
}

std::string px(std::int64_t v) { return fixed(v, 8); }
std::string qty(std::int64_t v) { return fixed(v, 6); }
std::string money(std::int64_t v) { return fixed(v, 6); }

const char* side_name(std::uint8_t s) noexcept {
    const char* n = abi::to_string(static_cast<abi::Side>(s));
    return n != nullptr ? n : "?";
}

const char* state_name(std::uint8_t s) noexcept {
    const char* n = abi::to_string(static_cast<abi::TradingState>(s));
    return n != nullptr ? n : "?";
}

const char* reason_name(std::uint16_t r) noexcept {
    const char* n = abi::to_string(static_cast<abi::RejectReason>(r));
    return n != nullptr ? n : "?";
}

const char* scope_name(std::uint8_t s) noexcept {
    switch (static_cast<Scope>(s)) {
        case Scope::kFund: return "fund";
        case Scope::kAgent: return "agent";
        case Scope::kInstrument: return "instrument";
    }
    return "?";
}

const char* state_cause_name(std::uint8_t c) noexcept {
    switch (static_cast<StateCause>(c)) {
        case StateCause::kLossLimit: return "loss_limit";
        case StateCause::kKillSwitchOn: return "kill_switch_on";
        case StateCause::kKillSwitchOff: return "kill_switch_off";
    }
    return "?";
}

const char* policy_name(std::uint8_t p) noexcept {
    switch (static_cast<SilentPolicy>(p)) {
        case SilentPolicy::kNoOp: return "noop";
        case SilentPolicy::kCancelOrders: return "cancel_orders";
        case SilentPolicy::kFlatten: return "flatten";
    }
    return "?";
}

std::string text(const char* chars, std::size_t n) { return std::string(chars, strnlen(chars, n)); }

class Line {
public:
    explicit Line(const char* name) : out_(name) {}
    Line& kv(const char* key, const std::string& value) {
        out_ += ' ';
        out_ += key;
        out_ += '=';
        out_ += value;
        return *this;
    }
    Line& kv(const char* key, const char* value) { return kv(key, std::string(value)); }
    Line& u(const char* key, std::uint64_t value) { return kv(key, std::to_string(value)); }
    Line& hex(const char* key, std::uint64_t value) {
        char buf[24];
        std::snprintf(buf, sizeof buf, "%016" PRIx64, value);
        return kv(key, buf);
    }
    std::string str() && { return std::move(out_); }

private:
    std::string out_;
};

}  // namespace

std::size_t record_size(RecordType type) noexcept {
    switch (type) {
        case RecordType::kRunStart: return sizeof(RunStartRecord);
        case RecordType::kMarketRange: return sizeof(MarketRangeRecord);
        case RecordType::kStepBegin: return sizeof(StepBeginRecord);
        case RecordType::kIntent: return sizeof(IntentJournalRecord);
        case RecordType::kOrder: return sizeof(OrderRecord);
        case RecordType::kCross: return sizeof(CrossRecord);
        case RecordType::kFill: return sizeof(FillRecord);
        case RecordType::kAllocation: return sizeof(AllocationRecord);
        case RecordType::kCancel: return sizeof(CancelRecord);
        case RecordType::kPolicy: return sizeof(PolicyRecord);
        case RecordType::kTradingState: return sizeof(TradingStateRecord);
        case RecordType::kKillSwitch: return sizeof(KillSwitchRecord);
        case RecordType::kStepEnd: return sizeof(StepEndRecord);
        case RecordType::kRunEnd: return sizeof(RunEndRecord);
    }
    return 0;
}

const char* record_type_name(RecordType type) noexcept {
    switch (type) {
        case RecordType::kRunStart: return "run_start";
        case RecordType::kMarketRange: return "market_range";
        case RecordType::kStepBegin: return "step_begin";
        case RecordType::kIntent: return "intent";
        case RecordType::kOrder: return "order";
        case RecordType::kCross: return "cross";
        case RecordType::kFill: return "fill";
        case RecordType::kAllocation: return "allocation";
        case RecordType::kCancel: return "cancel";
        case RecordType::kPolicy: return "policy";
        case RecordType::kTradingState: return "trading_state";
        case RecordType::kKillSwitch: return "kill_switch";
        case RecordType::kStepEnd: return "step_end";
        case RecordType::kRunEnd: return "run_end";
    }
    return "unknown";
}

const char* to_string(CancelCause cause) noexcept {
    switch (cause) {
        case CancelCause::kAgent: return "agent";
        case CancelCause::kIoc: return "ioc";
        case CancelCause::kFok: return "fok";
        case CancelCause::kDayEnd: return "day_end";
        case CancelCause::kSilent: return "silent";
        case CancelCause::kKillSwitch: return "kill_switch";
        case CancelCause::kLossLimit: return "loss_limit";
        case CancelCause::kShutdown: return "shutdown";
        case CancelCause::kFlatten: return "flatten";
    }
    return "?";
}

std::string describe_record(RecordType type, std::span<const std::byte> payload) {
    const std::size_t want = record_size(type);
    const char* name = record_type_name(type);
    if (want == 0) {
        return "unknown type=" + std::to_string(static_cast<unsigned>(type)) + " size=" + std::to_string(payload.size());
    }
    if (payload.size() != want) {
        return std::string(name) + " bad payload size " + std::to_string(payload.size()) + " (want " +
               std::to_string(want) + ")";
    }
    switch (type) {
        case RecordType::kRunStart: {
            const auto r = load<RunStartRecord>(payload);
            Line l(name);
            l.u("format", r.format_version).kv("mode", abi::to_string(static_cast<abi::Mode>(r.mode)) != nullptr
                                                            ? abi::to_string(static_cast<abi::Mode>(r.mode))
                                                            : "?");
            l.u("agents", r.agent_count).u("instruments", r.instrument_count);
            l.hex("config_hash", r.config_hash).hex("instruments_hash", r.instruments_hash);
            l.hex("data_checksum", r.data_checksum).kv("capital", money(r.capital));
            l.u("stale_after_ns", r.stale_after_ns).u("latency_ns", r.latency_ns);
            std::string table;
            for (std::uint16_t i = 0; i < r.instrument_count && i < abi::MAX_INSTRUMENTS; ++i) {
                const RunStartInstrument& row = r.instruments[i];
                if (!table.empty()) {
                    table += ',';
                }
                table += std::to_string(row.instrument_id) + ':' + text(row.symbol, sizeof row.symbol) + '@' +
                         std::to_string(row.md_id) + "/tick=" + px(row.tick_size) + "/lot=" + qty(row.lot_size) +
                         (row.restricted != 0 ? "/restricted" : "");
            }
            l.kv("table", "[" + table + "]");
            return std::move(l).str();
        }
        case RecordType::kMarketRange: {
            const auto r = load<MarketRangeRecord>(payload);
            return std::move(Line(name).u("first", r.first).u("count", r.count).hex("hash", r.hash).u("last_time",
                                                                                                       r.last_time))
                .str();
        }
        case RecordType::kStepBegin: {
            const auto r = load<StepBeginRecord>(payload);
            return std::move(Line(name).u("seq", r.seq).u("clock", r.clock)).str();
        }
        case RecordType::kIntent: {
            const auto r = load<IntentJournalRecord>(payload);
            const abi::IntentRecord& in = r.intent;
            const char* kind = abi::to_string(in.kind);
            const char* verdict = r.verdict == 1 ? "ACCEPTED" : (r.verdict == 2 ? "REJECTED" : "JOURNALED");
            Line l(name);
            l.u("seq", r.step_seq).u("slot", r.slot).u("agent", in.agent_id).u("id", in.intent_id);
            l.kv("kind", kind != nullptr ? kind : "?").u("instrument", in.instrument_id);
            if (in.kind == abi::IntentKind::ORDER) {
                const char* ot = abi::to_string(in.order_type);
                const char* tif = abi::to_string(in.time_in_force);
                l.kv("side", side_name(static_cast<std::uint8_t>(in.side))).kv("type", ot != nullptr ? ot : "?");
                l.kv("tif", tif != nullptr ? tif : "?").kv("qty", qty(in.qty));
                if (in.limit_price != 0) {
                    l.kv("limit", px(in.limit_price));
                }
            } else if (in.kind == abi::IntentKind::TARGET_POSITION) {
                l.kv("target", qty(in.qty));
            } else if (in.kind == abi::IntentKind::CANCEL) {
                l.u("ref", in.ref_intent_id);
            }
            l.u("snapshot", in.snapshot_seq).u("tag", in.client_tag).kv("verdict", verdict);
            if (r.verdict == 2) {
                l.kv("reason", reason_name(r.reason));
            }
            if (r.order_qty != 0) {
                l.kv("order_qty", qty(r.order_qty));
            }
            if (r.ref_price != 0) {
                l.kv("ref", px(r.ref_price));
            }
            return std::move(l).str();
        }
        case RecordType::kOrder: {
            const auto r = load<OrderRecord>(payload);
            const char* ot = abi::to_string(static_cast<abi::OrderType>(r.order_type));
            const char* tif = abi::to_string(static_cast<abi::TimeInForce>(r.tif));
            Line l(name);
            l.u("parent", r.parent_id).u("child", r.child_index).u("of", r.child_count).u("order", r.order_id);
            l.u("agent", r.agent_id).u("intent", r.intent_id).u("instrument", r.instrument_id);
            l.kv("side", side_name(r.side)).kv("type", ot != nullptr ? ot : "?").kv("tif", tif != nullptr ? tif : "?");
            l.kv("qty", qty(r.child_qty)).kv("parent_qty", qty(r.parent_qty));
            if (r.limit_price != 0) {
                l.kv("limit", px(r.limit_price));
            }
            l.u("eligible", r.eligible_time).u("seq", r.seq);
            return std::move(l).str();
        }
        case RecordType::kCross: {
            const auto r = load<CrossRecord>(payload);
            Line l(name);
            l.u("seq", r.seq).u("instrument", r.instrument_id).u("agent", r.agent_id).u("intent", r.intent_id);
            l.u("order", r.order_id).kv("side", side_name(r.side)).kv("qty", qty(r.qty)).kv("price", px(r.price));
            l.kv("buys", qty(r.buy_total)).kv("sells", qty(r.sell_total)).kv("crossed", qty(r.crossed));
            return std::move(l).str();
        }
        case RecordType::kFill: {
            const auto r = load<FillRecord>(payload);
            Line l(name);
            l.u("parent", r.parent_id).u("instrument", r.instrument_id).kv("side", side_name(r.side));
            l.kv("qty", qty(r.qty)).kv("price", px(r.price)).kv("parent_remaining", qty(r.parent_remaining));
            l.kv("event", marketdata::event_kind_name(static_cast<marketdata::EventKind>(r.event_kind)));
            l.u("event_index", r.event_index).u("time", r.time);
            return std::move(l).str();
        }
        case RecordType::kAllocation: {
            const auto r = load<AllocationRecord>(payload);
            Line l(name);
            l.u("parent", r.parent_id).u("order", r.order_id).u("agent", r.agent_id).u("intent", r.intent_id);
            l.u("instrument", r.instrument_id).kv("side", side_name(r.side)).kv("qty", qty(r.qty));
            l.kv("price", px(r.price)).kv("fee", money(r.fee)).kv("remaining", qty(r.remaining)).u("time", r.time);
            return std::move(l).str();
        }
        case RecordType::kCancel: {
            const auto r = load<CancelRecord>(payload);
            Line l(name);
            l.u("order", r.order_id).u("parent", r.parent_id).u("agent", r.agent_id).u("intent", r.intent_id);
            l.u("instrument", r.instrument_id).kv("side", side_name(r.side)).kv("canceled", qty(r.canceled_qty));
            l.kv("filled", qty(r.filled_qty)).kv("cause", to_string(static_cast<CancelCause>(r.cause)));
            l.kv("reason", reason_name(r.reason)).u("time", r.time);
            return std::move(l).str();
        }
        case RecordType::kPolicy: {
            const auto r = load<PolicyRecord>(payload);
            Line l(name);
            l.u("seq", r.seq).u("slot", r.slot).u("agent", r.agent_id).kv("policy", policy_name(r.policy));
            l.kv("why", text(r.why, sizeof r.why));
            return std::move(l).str();
        }
        case RecordType::kTradingState: {
            const auto r = load<TradingStateRecord>(payload);
            Line l(name);
            l.kv("scope", scope_name(r.scope)).u("id", r.id).kv("from", state_name(r.from)).kv("to", state_name(r.to));
            l.kv("cause", state_cause_name(r.cause));
            if (static_cast<StateCause>(r.cause) == StateCause::kLossLimit) {
                l.kv("loss", money(r.loss)).kv("equity", money(r.equity));
            }
            l.u("time", r.time);
            return std::move(l).str();
        }
        case RecordType::kKillSwitch: {
            const auto r = load<KillSwitchRecord>(payload);
            return std::move(Line(name).kv("scope", scope_name(r.scope)).u("id", r.id).kv("on", r.on != 0 ? "1" : "0").u(
                                 "time", r.time))
                .str();
        }
        case RecordType::kStepEnd: {
            const auto r = load<StepEndRecord>(payload);
            Line l(name);
            l.u("seq", r.seq).u("clock", r.clock).kv("nav", money(r.nav)).kv("cash", money(r.cash));
            l.kv("gross", money(r.gross)).kv("net", money(r.net)).kv("realized", money(r.realized));
            l.kv("unrealized", money(r.unrealized)).kv("fees", money(r.fees)).u("working", r.working_orders);
            l.u("parents", r.parents).hex("state_hash", r.state_hash);
            return std::move(l).str();
        }
        case RecordType::kRunEnd: {
            const auto r = load<RunEndRecord>(payload);
            Line l(name);
            l.kv("why", text(r.why, sizeof r.why)).u("time", r.time).kv("nav", money(r.nav));
            l.kv("realized", money(r.realized)).kv("fees", money(r.fees)).u("fills", r.fills);
            l.hex("state_hash", r.state_hash);
            return std::move(l).str();
        }
    }
    return name;
}

}  // namespace fundos::engine
