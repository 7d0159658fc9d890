// describe_record and the journal record tables (journal_records.hpp).
#include "fundos/engine/journal_records.hpp"

#include <array>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "fundos/engine/config.hpp"
#include "fundos/marketdata/decimal.hpp"
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
std::string px(std::int64_t v) { return marketdata::format_fixed(v, abi::PRICE_DECIMALS, marketdata::Zeros::kTrim); }
std::string qty(std::int64_t v) { return marketdata::format_fixed(v, abi::QUANTITY_DECIMALS, marketdata::Zeros::kTrim); }
std::string money(std::int64_t v) { return marketdata::format_fixed(v, abi::MONEY_DECIMALS, marketdata::Zeros::kTrim); }

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

const char* refusal_source_name(std::uint8_t s) noexcept {
    switch (static_cast<Refusal::Source>(s)) {
        case Refusal::Source::kTransport: return "transport";
        case Refusal::Source::kQuarantine: return "quarantine";
        case Refusal::Source::kVoidAnswer: return "void_answer";
        case Refusal::Source::kOverflow: return "answer_overflow";
    }
    return "?";
}

const char* venue_command_name(venue::VenueCommand::Kind k) noexcept {
    switch (k) {
        case venue::VenueCommand::Kind::kNew: return "new";
        case venue::VenueCommand::Kind::kCancel: return "cancel";
        case venue::VenueCommand::Kind::kReplace: return "replace";
    }
    return "?";
}

const char* venue_event_name(venue::VenueEvent::Kind k) noexcept {
    switch (k) {
        case venue::VenueEvent::Kind::kAccepted: return "accepted";
        case venue::VenueEvent::Kind::kFill: return "fill";
        case venue::VenueEvent::Kind::kCanceled: return "canceled";
        case venue::VenueEvent::Kind::kReplaced: return "replaced";
        case venue::VenueEvent::Kind::kRejected: return "rejected";
        case venue::VenueEvent::Kind::kCancelRejected: return "cancel_rejected";
    }
    return "?";
}

const char* venue_verdict_name(std::uint8_t v) noexcept {
    switch (static_cast<VenueVerdict>(v)) {
        case VenueVerdict::kApplied: return "applied";
        case VenueVerdict::kUnknown: return "unknown";
        case VenueVerdict::kFinished: return "finished";
        case VenueVerdict::kDuplicate: return "duplicate";
        case VenueVerdict::kInvalid: return "invalid";
        case VenueVerdict::kExcess: return "excess";
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

namespace {

/// Every record type's name and payload size, in value order (checked below): the one table
/// record_size, record_type_name and so `fund journal` read.
struct RecordTypeInfo {
    RecordType type;
    const char* name;
    std::size_t size;
};
constexpr std::array<RecordTypeInfo, 21> kRecordTypes{{
    {RecordType::kRunStart, "run_start", sizeof(RunStartRecord)},
    {RecordType::kMarketRange, "market_range", sizeof(MarketRangeRecord)},
    {RecordType::kStepBegin, "step_begin", sizeof(StepBeginRecord)},
    {RecordType::kIntent, "intent", sizeof(IntentJournalRecord)},
    {RecordType::kOrder, "order", sizeof(OrderRecord)},
    {RecordType::kCross, "cross", sizeof(CrossRecord)},
    {RecordType::kFill, "fill", sizeof(FillRecord)},
    {RecordType::kAllocation, "allocation", sizeof(AllocationRecord)},
    {RecordType::kCancel, "cancel", sizeof(CancelRecord)},
    {RecordType::kPolicy, "policy", sizeof(PolicyRecord)},
    {RecordType::kTradingState, "trading_state", sizeof(TradingStateRecord)},
    {RecordType::kKillSwitch, "kill_switch", sizeof(KillSwitchRecord)},
    {RecordType::kStepEnd, "step_end", sizeof(StepEndRecord)},
    {RecordType::kRunEnd, "run_end", sizeof(RunEndRecord)},
    {RecordType::kRefusal, "refusal", sizeof(RefusalRecord)},
    {RecordType::kConfigChange, "config_change", sizeof(ConfigChangeRecord)},  // + entries + text
    {RecordType::kAnswerEnd, "answer_end", sizeof(AnswerEndRecord)},
    {RecordType::kMarketEvent, "market_event", sizeof(MarketEventRecord)},
    {RecordType::kFeedStatus, "feed_status", sizeof(FeedStatusRecord)},
    {RecordType::kVenueCommand, "venue_command", sizeof(venue::VenueCommand)},
    {RecordType::kVenueEvent, "venue_event", sizeof(VenueEventRecord)},
}};
static_assert([] {
    for (std::size_t i = 0; i < kRecordTypes.size(); ++i) {
        if (static_cast<std::size_t>(kRecordTypes[i].type) != i + 1) {
            return false;
        }
    }
    return static_cast<std::size_t>(RecordType::kVenueEvent) == kRecordTypes.size();
}(), "kRecordTypes: one row per RecordType, in value order, the last type last");

const RecordTypeInfo* info(RecordType type) noexcept {
    const auto value = static_cast<std::size_t>(type);
    return value >= 1 && value <= kRecordTypes.size() ? &kRecordTypes[value - 1] : nullptr;
}

}  // namespace

std::size_t record_size(RecordType type) noexcept {
    const RecordTypeInfo* row = info(type);
    return row != nullptr ? row->size : 0;
}

bool record_size_ok(RecordType type, std::span<const std::byte> payload) noexcept {
    const std::size_t fixed = record_size(type);
    if (fixed == 0 || payload.size() < fixed) {
        return false;
    }
    if (type != RecordType::kConfigChange) {
        return payload.size() == fixed;
    }
    const auto head = load<ConfigChangeRecord>(payload);
    return payload.size() == fixed + std::size_t{head.entry_count} * sizeof(ConfigChangeEntry) + head.text_size;
}

bool is_plain_answer_end(const abi::IntentRecord& in) noexcept {
    abi::IntentRecord kept{};
    kept.kind = abi::IntentKind::END_OF_ANSWER;
    kept.intent_id = in.intent_id;
    kept.snapshot_seq = in.snapshot_seq;
    kept.agent_id = in.agent_id;
    kept.client_tag = in.client_tag;
    kept.commit = in.commit;  // never journaled (see above): whatever it is
    return std::memcmp(&kept, &in, sizeof in) == 0;
}

AnswerEndRecord answer_end_record(std::uint16_t slot, abi::Sequence step_seq, const abi::IntentRecord& in) noexcept {
    AnswerEndRecord r{};
    r.step_seq = step_seq;
    r.intent_id = in.intent_id;
    r.snapshot_seq = in.snapshot_seq;
    r.client_tag = in.client_tag;
    r.agent_id = in.agent_id;
    r.slot = slot;
    return r;
}

abi::IntentRecord answer_end_intent(const AnswerEndRecord& r) noexcept {
    abi::IntentRecord in{};
    in.kind = abi::IntentKind::END_OF_ANSWER;
    in.intent_id = r.intent_id;
    in.snapshot_seq = r.snapshot_seq;
    in.agent_id = r.agent_id;
    in.client_tag = r.client_tag;
    return in;
}

bool read_config_change(std::span<const std::byte> payload, ConfigChangeView& out) {
    if (!record_size_ok(RecordType::kConfigChange, payload)) {
        return false;
    }
    out.head = load<ConfigChangeRecord>(payload);
    out.change = ConfigChange{};
    out.change.status = static_cast<ConfigChangeStatus>(out.head.status);
    out.change.trigger = static_cast<ConfigTrigger>(out.head.trigger);
    out.change.old_hash = out.head.old_hash;
    out.change.new_hash = out.head.new_hash;
    std::size_t at = sizeof(ConfigChangeRecord);
    out.change.entries.resize(out.head.entry_count);
    for (ConfigChangeEntry& e : out.change.entries) {
        std::memcpy(static_cast<void*>(&e), payload.data() + at, sizeof e);
        at += sizeof e;
    }
    out.change.text.assign(reinterpret_cast<const char*>(payload.data() + at), out.head.text_size);
    return true;
}

std::vector<std::byte> config_change_payload(const ConfigChange& change, abi::Sequence after_seq,
                                             abi::Timestamp clock) {
    ConfigChangeRecord head{};
    head.after_seq = after_seq;
    head.clock = clock;
    head.old_hash = change.old_hash;
    head.new_hash = change.new_hash;
    head.entry_count = static_cast<std::uint32_t>(change.entries.size());
    head.text_size = static_cast<std::uint32_t>(change.text.size());
    head.status = static_cast<std::uint8_t>(change.status);
    head.trigger = static_cast<std::uint8_t>(change.trigger);
    std::vector<std::byte> out(sizeof head + change.entries.size() * sizeof(ConfigChangeEntry) + change.text.size());
    std::memcpy(out.data(), &head, sizeof head);
    std::size_t at = sizeof head;
    for (const ConfigChangeEntry& e : change.entries) {
        std::memcpy(out.data() + at, &e, sizeof e);
        at += sizeof e;
    }
    if (!change.text.empty()) {
        std::memcpy(out.data() + at, change.text.data(), change.text.size());
    }
    return out;
}

const char* record_type_name(RecordType type) noexcept {
    const RecordTypeInfo* row = info(type);
    return row != nullptr ? row->name : "unknown";
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
        case CancelCause::kUnmapped: return "unmapped";
        case CancelCause::kVenue: return "venue";
        case CancelCause::kVenueReject: return "venue_reject";
    }
    return "?";
}

std::string describe_record(RecordType type, std::span<const std::byte> payload) {
    const std::size_t want = record_size(type);
    const char* name = record_type_name(type);
    if (want == 0) {
        return "unknown type=" + std::to_string(static_cast<unsigned>(type)) + " size=" + std::to_string(payload.size());
    }
    if (!record_size_ok(type, payload)) {
        return std::string(name) + " bad payload size " + std::to_string(payload.size()) + " (want " +
               std::to_string(want) + (type == RecordType::kConfigChange ? " plus its entries and text)" : ")");
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
        case RecordType::kMarketEvent: {
            const auto r = load<MarketEventRecord>(payload);
            Line l(name);
            l.u("index", r.index).u("time", r.event.time).u("instrument", r.event.instrument_id);
            l.u("kind", static_cast<std::uint64_t>(r.event.kind)).u("flags", r.event.flags);
            static constexpr std::array<const char*, 5> kValues{"v0", "v1", "v2", "v3", "v4"};
            for (std::size_t i = 0; i < kValues.size(); ++i) {
                l.kv(kValues[i], std::to_string(r.event.v[i]));
            }
            return std::move(l).str();
        }
        case RecordType::kFeedStatus: {
            const auto r = load<FeedStatusRecord>(payload);
            return std::move(Line(name).u("instrument", r.instrument_id).kv("feed", r.tripped != 0 ? "tripped" : "ok"))
                .str();
        }
        case RecordType::kVenueCommand: {
            const auto c = load<venue::VenueCommand>(payload);
            const char* ot = abi::to_string(c.type);
            const char* tif = abi::to_string(c.tif);
            Line l(name);
            l.kv("kind", venue_command_name(c.kind)).u("parent", c.parent_id).u("instrument", c.instrument_id);
            l.kv("symbol", text(c.symbol, sizeof c.symbol));
            if (c.kind == venue::VenueCommand::Kind::kNew) {
                l.kv("side", side_name(static_cast<std::uint8_t>(c.side))).kv("type", ot != nullptr ? ot : "?");
                l.kv("tif", tif != nullptr ? tif : "?").kv("qty", qty(c.qty));
                if (c.limit != 0) {
                    l.kv("limit", px(c.limit));
                }
            } else if (c.kind == venue::VenueCommand::Kind::kReplace) {
                l.kv("qty", qty(c.qty));
            }
            l.u("time", c.time);
            return std::move(l).str();
        }
        case RecordType::kVenueEvent: {
            const auto r = load<VenueEventRecord>(payload);
            const venue::VenueEvent& e = r.event;
            Line l(name);
            l.u("index", r.index).u("seq", r.step_seq).kv("kind", venue_event_name(e.kind)).u("parent", e.parent_id);
            if (e.kind == venue::VenueEvent::Kind::kFill) {
                l.kv("qty", qty(e.qty)).kv("price", px(e.price)).kv("fee", money(e.fee));
                l.kv("exec_id", text(e.exec_id, sizeof e.exec_id));
            }
            l.kv("leaves", qty(e.leaves)).kv("cum", qty(e.cum)).u("venue_time", e.venue_time).u("time", r.time);
            if (e.text[0] != '\0') {
                l.kv("text", "{" + text(e.text, sizeof e.text) + "}");
            }
            l.kv("verdict", venue_verdict_name(r.verdict));
            return std::move(l).str();
        }
        case RecordType::kAnswerEnd: {
            const auto r = load<AnswerEndRecord>(payload);
            Line l(name);
            l.u("seq", r.step_seq).u("slot", r.slot).u("agent", r.agent_id).u("id", r.intent_id);
            l.kv("kind", "END_OF_ANSWER").u("snapshot", r.snapshot_seq).u("tag", r.client_tag);
            return std::move(l).str();
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
            l.kv("event", r.event_kind == 0 ? "venue"  // venue mode: event_index is the venue event's number
                                            : marketdata::event_kind_name(static_cast<marketdata::EventKind>(r.event_kind)));
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
        case RecordType::kRefusal: {
            const auto r = load<RefusalRecord>(payload);
            const abi::IntentRecord& in = r.intent;
            Line l(name);
            l.u("seq", r.step_seq).u("slot", r.slot).u("agent", r.agent_id).kv("source", refusal_source_name(r.source));
            l.kv("reason", reason_name(r.reason));
            if (static_cast<Refusal::Source>(r.source) == Refusal::Source::kQuarantine) {
                l.u("ring_position", r.ring_position).hex("commit", r.commit_seen);
                return std::move(l).str();
            }
            // The copy as the agent wrote it: raw numbers, since any field may be garbage.
            const char* kind = abi::to_string(in.kind);
            l.u("id", in.intent_id).u("claimed_agent", in.agent_id);
            l.kv("kind", kind != nullptr ? kind : std::to_string(static_cast<unsigned>(in.kind)));
            l.u("instrument", in.instrument_id).u("side", static_cast<std::uint8_t>(in.side));
            l.u("type", static_cast<std::uint8_t>(in.order_type)).u("tif", static_cast<std::uint8_t>(in.time_in_force));
            l.kv("qty", std::to_string(in.qty)).kv("limit", std::to_string(in.limit_price));
            l.u("snapshot", in.snapshot_seq).u("tag", in.client_tag);
            return std::move(l).str();
        }
        case RecordType::kConfigChange: {
            ConfigChangeView v;
            (void)read_config_change(payload, v);
            Line l(name);
            l.u("after_seq", v.head.after_seq).u("clock", v.head.clock);
            l.kv("status", to_string(v.change.status)).kv("trigger", to_string(v.change.trigger));
            l.hex("old_hash", v.head.old_hash);
            if (v.change.status == ConfigChangeStatus::kApplied) {
                l.hex("new_hash", v.head.new_hash).u("changes", v.head.entry_count);
            }
            // The text is for people: its lines joined with "; " keep the record on one line.
            std::string text;
            for (const char c : v.change.text) {
                if (c == '\n') {
                    text += "; ";
                } else {
                    text += c;
                }
            }
            while (text.size() >= 2 && text.ends_with("; ")) {
                text.resize(text.size() - 2);
            }
            l.kv(v.change.status == ConfigChangeStatus::kApplied ? "values" : "reason", "{" + text + "}");
            return std::move(l).str();
        }
    }
    return name;
}

}  // namespace fundos::engine
