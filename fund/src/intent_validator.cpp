#include "fundos/transport/intent_validator.hpp"

#include <array>
#include <cstddef>

namespace fundos::transport {
namespace {

using abi::IntentKind;
using abi::IntentRecord;
using abi::OrderType;
using abi::RejectReason;
using abi::Side;
using abi::TimeInForce;

enum class InstrumentRule : std::uint8_t { kRequired, kOptional, kZero };
enum class SideRule : std::uint8_t { kNone, kBuyOrSell };
enum class OrderRule : std::uint8_t { kNone, kOrder };  // order_type and time_in_force
enum class RefRule : std::uint8_t { kZero, kEarlierIntent };
enum class QtyRule : std::uint8_t { kZero, kSigned, kPositive };
enum class PriceRule : std::uint8_t { kZero, kByOrderType };

struct KindRule {
    InstrumentRule instrument;
    SideRule side;
    OrderRule order;
    RefRule ref;
    QtyRule qty;
    PriceRule price;
};

// Indexed by IntentKind value; index 0 is unused (no kind 0).
constexpr std::array<KindRule, 6> kKindRules = {{
    /* 0 (none)          */ {InstrumentRule::kZero, SideRule::kNone, OrderRule::kNone, RefRule::kZero, QtyRule::kZero, PriceRule::kZero},
    /* TARGET_POSITION   */ {InstrumentRule::kRequired, SideRule::kNone, OrderRule::kNone, RefRule::kZero, QtyRule::kSigned, PriceRule::kZero},
    /* ORDER             */ {InstrumentRule::kRequired, SideRule::kBuyOrSell, OrderRule::kOrder, RefRule::kZero, QtyRule::kPositive, PriceRule::kByOrderType},
    /* CANCEL            */ {InstrumentRule::kOptional, SideRule::kNone, OrderRule::kNone, RefRule::kEarlierIntent, QtyRule::kZero, PriceRule::kZero},
    /* FLATTEN           */ {InstrumentRule::kRequired, SideRule::kNone, OrderRule::kNone, RefRule::kZero, QtyRule::kZero, PriceRule::kZero},
    /* END_OF_ANSWER     */ {InstrumentRule::kZero, SideRule::kNone, OrderRule::kNone, RefRule::kZero, QtyRule::kZero, PriceRule::kZero},
}};
static_assert(static_cast<std::size_t>(IntentKind::END_OF_ANSWER) + 1 == kKindRules.size());

// What the checks share while walking the table.
struct Scratch {
    const IntentRecord& r;
    const ValidationContext& ctx;
    Verdict& verdict;
    const KindRule* rule = nullptr;  // set once check 2 passed
};

using Check = RejectReason (*)(Scratch&) noexcept;

RejectReason check_commit_and_agent(Scratch& s) noexcept {
    if (s.r.commit != s.ctx.expected_commit) {
        return RejectReason::CORRUPT_SLOT;
    }
    if (s.r.agent_id != s.ctx.agent_id) {
        return RejectReason::BAD_AGENT_ID;
    }
    return RejectReason::NONE;
}

RejectReason check_enums(Scratch& s) noexcept {
    if (!abi::is_valid(s.r.kind) || !abi::is_valid(s.r.side) || !abi::is_valid(s.r.order_type) ||
        !abi::is_valid(s.r.time_in_force)) {
        return RejectReason::UNKNOWN_ENUM;
    }
    s.rule = &kKindRules[static_cast<std::size_t>(s.r.kind)];
    return RejectReason::NONE;
}

RejectReason check_intent_id(Scratch& s) noexcept {
    if (s.r.intent_id <= s.ctx.last_intent_id) {
        return RejectReason::INTENT_ID_NOT_INCREASING;
    }
    s.verdict.intent_id_consumed = true;
    return RejectReason::NONE;
}

RejectReason check_snapshot(Scratch& s) noexcept {
    const abi::Sequence seq = s.r.snapshot_seq;
    const abi::Sequence latest = s.ctx.latest_snapshot;
    if (seq == 0 || seq > latest || latest - seq > s.ctx.max_snapshot_lag) {
        return RejectReason::STALE_SNAPSHOT;
    }
    return RejectReason::NONE;
}

RejectReason check_instrument(Scratch& s) noexcept {
    const std::uint32_t id = s.r.instrument_id;
    switch (s.rule->instrument) {
        case InstrumentRule::kZero:
            return id == 0 ? RejectReason::NONE : RejectReason::BAD_FIELD_COMBINATION;
        case InstrumentRule::kOptional:
            if (id == 0) {
                return RejectReason::NONE;
            }
            break;
        case InstrumentRule::kRequired:
            break;
    }
    if (id == 0) {
        return RejectReason::UNKNOWN_INSTRUMENT;
    }
    const auto& table = s.ctx.instruments;
    const std::size_t rows = table.size() < abi::MAX_INSTRUMENTS ? table.size() : abi::MAX_INSTRUMENTS;
    for (std::size_t i = 0; i < rows; ++i) {
        if (table[i].instrument_id == id && table[i].status != abi::InstrumentStatus::UNUSED) {
            if (((s.ctx.mapped_instruments >> i) & 1U) == 0) {
                return RejectReason::INSTRUMENT_NOT_MAPPED;
            }
            s.verdict.instrument_index = static_cast<std::int32_t>(i);
            return RejectReason::NONE;
        }
    }
    return RejectReason::UNKNOWN_INSTRUMENT;
}

RejectReason check_combination(Scratch& s) noexcept {
    const KindRule& rule = *s.rule;
    const bool side_ok = rule.side == SideRule::kNone ? s.r.side == Side::NONE : s.r.side != Side::NONE;
    const bool order_ok = rule.order == OrderRule::kNone
                              ? (s.r.order_type == OrderType::NONE && s.r.time_in_force == TimeInForce::NONE)
                              : (s.r.order_type != OrderType::NONE && s.r.time_in_force != TimeInForce::NONE);
    const bool ref_ok = rule.ref == RefRule::kZero
                            ? s.r.ref_intent_id == 0
                            : (s.r.ref_intent_id != 0 && s.r.ref_intent_id < s.r.intent_id);
    return side_ok && order_ok && ref_ok ? RejectReason::NONE : RejectReason::BAD_FIELD_COMBINATION;
}

const abi::InstrumentEntry* instrument_of(const Scratch& s) noexcept {
    return s.verdict.instrument_index >= 0 ? &s.ctx.instruments[static_cast<std::size_t>(s.verdict.instrument_index)]
                                           : nullptr;
}

RejectReason check_qty(Scratch& s) noexcept {
    const abi::Quantity qty = s.r.qty;
    switch (s.rule->qty) {
        case QtyRule::kZero:
            return qty == 0 ? RejectReason::NONE : RejectReason::BAD_QUANTITY;
        case QtyRule::kPositive:
            if (qty <= 0) {
                return RejectReason::BAD_QUANTITY;
            }
            break;
        case QtyRule::kSigned:
            if (qty == 0) {
                return RejectReason::NONE;  // target flat
            }
            break;
    }
    // qty != 0 here; -qty is safe once qty >= -max_abs_qty (max_abs_qty < INT64_MAX).
    if (qty < -s.ctx.limits.max_abs_qty || qty > s.ctx.limits.max_abs_qty) {
        return RejectReason::BAD_QUANTITY;
    }
    const abi::InstrumentEntry* instrument = instrument_of(s);
    if (instrument != nullptr && instrument->lot_size > 0 && qty % instrument->lot_size != 0) {
        return RejectReason::BAD_QUANTITY;
    }
    return RejectReason::NONE;
}

RejectReason check_price(Scratch& s) noexcept {
    const abi::Price price = s.r.limit_price;
    const bool needs_price = s.rule->price == PriceRule::kByOrderType && s.r.order_type == OrderType::LIMIT;
    if (!needs_price) {
        return price == 0 ? RejectReason::NONE : RejectReason::BAD_PRICE;  // includes MARKET with a price
    }
    if (price <= 0 || price > s.ctx.limits.max_price) {
        return RejectReason::BAD_PRICE;
    }
    const abi::InstrumentEntry* instrument = instrument_of(s);
    if (instrument != nullptr && instrument->tick_size > 0 && price % instrument->tick_size != 0) {
        return RejectReason::BAD_PRICE;
    }
    return RejectReason::NONE;
}

template <std::size_t N>
bool all_zero(const std::uint8_t (&bytes)[N]) noexcept {
    std::uint8_t any = 0;
    for (const std::uint8_t b : bytes) {
        any |= b;
    }
    return any == 0;
}

RejectReason check_reserved(Scratch& s) noexcept {
    return all_zero(s.r.pad_44) && all_zero(s.r.reserved_72) ? RejectReason::NONE : RejectReason::RESERVED_NOT_ZERO;
}

// The order of docs/TRANSPORT.md; the first failure wins.
constexpr std::array<Check, 9> kChecks = {
    check_commit_and_agent, check_enums, check_intent_id, check_snapshot, check_instrument,
    check_combination,      check_qty,   check_price,     check_reserved,
};

}  // namespace

Verdict validate_intent(const IntentRecord& copy, const ValidationContext& ctx) noexcept {
    Verdict verdict{};
    Scratch scratch{copy, ctx, verdict};
    for (const Check check : kChecks) {
        const RejectReason reason = check(scratch);
        if (reason != RejectReason::NONE) {
            verdict.reason = reason;
            return verdict;
        }
    }
    return verdict;
}

}  // namespace fundos::transport
