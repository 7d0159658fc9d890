// Table tests of validate_intent(): every RejectReason it can produce, the kind rules, the
// order in which checks apply (first failure wins) and when an intent id is consumed.
#include <climits>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <vector>

#include "check.hpp"
#include "fundos/transport/intent_validator.hpp"

using namespace fundos;
using abi::IntentKind;
using abi::OrderType;
using abi::RejectReason;
using abi::Side;
using abi::TimeInForce;
using transport::ValidationContext;
using transport::validate_intent;

namespace {

constexpr std::uint32_t kAgent = 7;

struct Table {
    abi::InstrumentEntry rows[4]{};
    Table() {
        rows[0].instrument_id = 1;  // mapped; tick 0.01, lot 100 units
        rows[0].status = abi::InstrumentStatus::TRADING;
        rows[0].tick_size = 1'000'000;
        rows[0].lot_size = 100'000'000;
        rows[1].instrument_id = 2;  // known, not mapped to the agent
        rows[1].status = abi::InstrumentStatus::TRADING;
        rows[1].tick_size = 1;
        rows[1].lot_size = 1;
        rows[2].instrument_id = 3;  // an empty row
        rows[2].status = abi::InstrumentStatus::UNUSED;
        rows[3].instrument_id = 4;  // mapped, no tick/lot constraints
        rows[3].status = abi::InstrumentStatus::HALTED;
    }
};

const Table& table() {
    static const Table t;
    return t;
}

ValidationContext context() {
    ValidationContext ctx;
    ctx.agent_id = kAgent;
    ctx.expected_commit = 42;
    ctx.last_intent_id = 10;
    ctx.latest_snapshot = 100;
    ctx.max_snapshot_lag = 5;
    ctx.instruments = table().rows;
    ctx.mapped_instruments = 0b1101;  // rows 0, 2, 3
    ctx.limits.max_abs_qty = 1'000'000'000'000;
    ctx.limits.max_price = 1'000'000'000'000;
    return ctx;
}

abi::IntentRecord base(IntentKind kind) {
    abi::IntentRecord r{};
    r.commit = 42;
    r.intent_id = 11;
    r.snapshot_seq = 100;
    r.agent_id = kAgent;
    r.kind = kind;
    r.client_tag = 0xC0FFEE;
    switch (kind) {
        case IntentKind::TARGET_POSITION:
            r.instrument_id = 1;
            r.qty = -300'000'000;
            break;
        case IntentKind::ORDER:
            r.instrument_id = 1;
            r.side = Side::BUY;
            r.order_type = OrderType::LIMIT;
            r.time_in_force = TimeInForce::DAY;
            r.qty = 500'000'000;
            r.limit_price = 150'000'000;
            break;
        case IntentKind::CANCEL:
            r.ref_intent_id = 9;
            break;
        case IntentKind::FLATTEN:
            r.instrument_id = 1;
            break;
        case IntentKind::END_OF_ANSWER:
            break;
    }
    return r;
}

struct Row {
    const char* name;
    IntentKind kind;
    std::function<void(abi::IntentRecord&)> mutate;
    RejectReason expected;
    bool id_consumed;
};

void run(const std::vector<Row>& rows) {
    const ValidationContext ctx = context();
    for (const Row& row : rows) {
        abi::IntentRecord r = base(row.kind);
        row.mutate(r);
        const transport::Verdict v = validate_intent(r, ctx);
        if (v.reason != row.expected || v.intent_id_consumed != row.id_consumed) {
            std::fprintf(stderr, "  case '%s': got %s (id consumed %d), want %s (id consumed %d)\n", row.name,
                         abi::to_string(v.reason), v.intent_id_consumed, abi::to_string(row.expected),
                         row.id_consumed);
        }
        CHECK(v.reason == row.expected);
        CHECK(v.intent_id_consumed == row.id_consumed);
    }
}

void none(abi::IntentRecord&) {}

}  // namespace

TEST(valid_intents_of_every_kind) {
    run({
        {"target position short", IntentKind::TARGET_POSITION, none, RejectReason::NONE, true},
        {"target position flat", IntentKind::TARGET_POSITION, [](auto& r) { r.qty = 0; }, RejectReason::NONE, true},
        {"limit order", IntentKind::ORDER, none, RejectReason::NONE, true},
        {"market order", IntentKind::ORDER,
         [](auto& r) { r.order_type = OrderType::MARKET; r.limit_price = 0; r.time_in_force = TimeInForce::IOC; },
         RejectReason::NONE, true},
        {"sell fok", IntentKind::ORDER, [](auto& r) { r.side = Side::SELL; r.time_in_force = TimeInForce::FOK; },
         RejectReason::NONE, true},
        {"cancel without instrument", IntentKind::CANCEL, none, RejectReason::NONE, true},
        {"cancel with instrument", IntentKind::CANCEL, [](auto& r) { r.instrument_id = 1; }, RejectReason::NONE, true},
        {"flatten", IntentKind::FLATTEN, none, RejectReason::NONE, true},
        {"end of answer", IntentKind::END_OF_ANSWER, none, RejectReason::NONE, true},
        {"oldest snapshot in the window", IntentKind::ORDER, [](auto& r) { r.snapshot_seq = 95; }, RejectReason::NONE, true},
        {"halted instrument passes transport checks", IntentKind::ORDER,
         [](auto& r) { r.instrument_id = 4; r.limit_price = 123; r.qty = 7; }, RejectReason::NONE, true},
        {"huge id gap is still increasing", IntentKind::ORDER, [](auto& r) { r.intent_id = UINT64_MAX; },
         RejectReason::NONE, true},
    });
}

TEST(corrupt_slot_and_bad_agent_id) {
    run({
        {"commit not the ring position", IntentKind::ORDER, [](auto& r) { r.commit = 43; }, RejectReason::CORRUPT_SLOT, false},
        {"commit zero", IntentKind::ORDER, [](auto& r) { r.commit = 0; }, RejectReason::CORRUPT_SLOT, false},
        {"other agent's id", IntentKind::ORDER, [](auto& r) { r.agent_id = kAgent + 1; }, RejectReason::BAD_AGENT_ID, false},
        {"agent id zero", IntentKind::END_OF_ANSWER, [](auto& r) { r.agent_id = 0; }, RejectReason::BAD_AGENT_ID, false},
    });
}

TEST(unknown_enums) {
    run({
        {"kind 0", IntentKind::ORDER, [](auto& r) { r.kind = static_cast<IntentKind>(0); }, RejectReason::UNKNOWN_ENUM, false},
        {"kind 6", IntentKind::ORDER, [](auto& r) { r.kind = static_cast<IntentKind>(6); }, RejectReason::UNKNOWN_ENUM, false},
        {"kind 255", IntentKind::ORDER, [](auto& r) { r.kind = static_cast<IntentKind>(255); }, RejectReason::UNKNOWN_ENUM, false},
        {"side 3", IntentKind::ORDER, [](auto& r) { r.side = static_cast<Side>(3); }, RejectReason::UNKNOWN_ENUM, false},
        {"order type 3", IntentKind::ORDER, [](auto& r) { r.order_type = static_cast<OrderType>(3); }, RejectReason::UNKNOWN_ENUM, false},
        {"tif 5", IntentKind::ORDER, [](auto& r) { r.time_in_force = static_cast<TimeInForce>(5); }, RejectReason::UNKNOWN_ENUM, false},
        {"side 200 on a target", IntentKind::TARGET_POSITION, [](auto& r) { r.side = static_cast<Side>(200); }, RejectReason::UNKNOWN_ENUM, false},
    });
}

TEST(intent_ids_strictly_increase) {
    run({
        {"same id as the last", IntentKind::ORDER, [](auto& r) { r.intent_id = 10; }, RejectReason::INTENT_ID_NOT_INCREASING, false},
        {"older id", IntentKind::ORDER, [](auto& r) { r.intent_id = 3; }, RejectReason::INTENT_ID_NOT_INCREASING, false},
        {"id zero", IntentKind::END_OF_ANSWER, [](auto& r) { r.intent_id = 0; }, RejectReason::INTENT_ID_NOT_INCREASING, false},
    });
}

TEST(stale_or_future_snapshots) {
    run({
        {"snapshot 0", IntentKind::ORDER, [](auto& r) { r.snapshot_seq = 0; }, RejectReason::STALE_SNAPSHOT, true},
        {"just outside the window", IntentKind::ORDER, [](auto& r) { r.snapshot_seq = 94; }, RejectReason::STALE_SNAPSHOT, true},
        {"from the future", IntentKind::ORDER, [](auto& r) { r.snapshot_seq = 101; }, RejectReason::STALE_SNAPSHOT, true},
        {"far future", IntentKind::ORDER, [](auto& r) { r.snapshot_seq = UINT64_MAX; }, RejectReason::STALE_SNAPSHOT, true},
    });
}

TEST(instrument_known_and_mapped) {
    run({
        {"no instrument on an order", IntentKind::ORDER, [](auto& r) { r.instrument_id = 0; }, RejectReason::UNKNOWN_INSTRUMENT, true},
        {"no such id", IntentKind::TARGET_POSITION, [](auto& r) { r.instrument_id = 999; }, RejectReason::UNKNOWN_INSTRUMENT, true},
        {"unused row", IntentKind::FLATTEN, [](auto& r) { r.instrument_id = 3; }, RejectReason::UNKNOWN_INSTRUMENT, true},
        {"cancel naming an unknown instrument", IntentKind::CANCEL, [](auto& r) { r.instrument_id = 77; }, RejectReason::UNKNOWN_INSTRUMENT, true},
        {"not mapped", IntentKind::ORDER, [](auto& r) { r.instrument_id = 2; }, RejectReason::INSTRUMENT_NOT_MAPPED, true},
        {"flatten not mapped", IntentKind::FLATTEN, [](auto& r) { r.instrument_id = 2; }, RejectReason::INSTRUMENT_NOT_MAPPED, true},
    });
}

TEST(field_combinations_per_kind) {
    run({
        {"order without side", IntentKind::ORDER, [](auto& r) { r.side = Side::NONE; }, RejectReason::BAD_FIELD_COMBINATION, true},
        {"order without type", IntentKind::ORDER, [](auto& r) { r.order_type = OrderType::NONE; }, RejectReason::BAD_FIELD_COMBINATION, true},
        {"order without tif", IntentKind::ORDER, [](auto& r) { r.time_in_force = TimeInForce::NONE; }, RejectReason::BAD_FIELD_COMBINATION, true},
        {"order with a ref", IntentKind::ORDER, [](auto& r) { r.ref_intent_id = 5; }, RejectReason::BAD_FIELD_COMBINATION, true},
        {"target with a side", IntentKind::TARGET_POSITION, [](auto& r) { r.side = Side::BUY; }, RejectReason::BAD_FIELD_COMBINATION, true},
        {"target with a tif", IntentKind::TARGET_POSITION, [](auto& r) { r.time_in_force = TimeInForce::GTC; }, RejectReason::BAD_FIELD_COMBINATION, true},
        {"cancel without ref", IntentKind::CANCEL, [](auto& r) { r.ref_intent_id = 0; }, RejectReason::BAD_FIELD_COMBINATION, true},
        {"cancel of itself", IntentKind::CANCEL, [](auto& r) { r.ref_intent_id = 11; }, RejectReason::BAD_FIELD_COMBINATION, true},
        {"cancel of a later id", IntentKind::CANCEL, [](auto& r) { r.ref_intent_id = 12; }, RejectReason::BAD_FIELD_COMBINATION, true},
        {"cancel with order type", IntentKind::CANCEL, [](auto& r) { r.order_type = OrderType::MARKET; }, RejectReason::BAD_FIELD_COMBINATION, true},
        {"flatten with side", IntentKind::FLATTEN, [](auto& r) { r.side = Side::SELL; }, RejectReason::BAD_FIELD_COMBINATION, true},
        {"end of answer with instrument", IntentKind::END_OF_ANSWER, [](auto& r) { r.instrument_id = 1; }, RejectReason::BAD_FIELD_COMBINATION, true},
        {"end of answer with ref", IntentKind::END_OF_ANSWER, [](auto& r) { r.ref_intent_id = 1; }, RejectReason::BAD_FIELD_COMBINATION, true},
    });
}

TEST(quantities) {
    run({
        {"order qty 0", IntentKind::ORDER, [](auto& r) { r.qty = 0; }, RejectReason::BAD_QUANTITY, true},
        {"order qty negative", IntentKind::ORDER, [](auto& r) { r.qty = -100'000'000; }, RejectReason::BAD_QUANTITY, true},
        {"order qty off lot", IntentKind::ORDER, [](auto& r) { r.qty = 150'000'000; }, RejectReason::BAD_QUANTITY, true},
        {"order qty above bound", IntentKind::ORDER, [](auto& r) { r.qty = 1'000'100'000'000; }, RejectReason::BAD_QUANTITY, true},
        {"order qty INT64_MAX", IntentKind::ORDER, [](auto& r) { r.qty = INT64_MAX; }, RejectReason::BAD_QUANTITY, true},
        {"target INT64_MIN", IntentKind::TARGET_POSITION, [](auto& r) { r.qty = INT64_MIN; }, RejectReason::BAD_QUANTITY, true},
        {"target below -bound", IntentKind::TARGET_POSITION, [](auto& r) { r.qty = -1'000'100'000'000; }, RejectReason::BAD_QUANTITY, true},
        {"target off lot", IntentKind::TARGET_POSITION, [](auto& r) { r.qty = -1; }, RejectReason::BAD_QUANTITY, true},
        {"flatten with qty", IntentKind::FLATTEN, [](auto& r) { r.qty = 100'000'000; }, RejectReason::BAD_QUANTITY, true},
        {"cancel with qty", IntentKind::CANCEL, [](auto& r) { r.qty = 1; }, RejectReason::BAD_QUANTITY, true},
        {"end of answer with qty", IntentKind::END_OF_ANSWER, [](auto& r) { r.qty = -5; }, RejectReason::BAD_QUANTITY, true},
    });
}

TEST(prices) {
    run({
        {"limit price 0", IntentKind::ORDER, [](auto& r) { r.limit_price = 0; }, RejectReason::BAD_PRICE, true},
        {"limit price negative", IntentKind::ORDER, [](auto& r) { r.limit_price = -1'000'000; }, RejectReason::BAD_PRICE, true},
        {"limit price off tick", IntentKind::ORDER, [](auto& r) { r.limit_price = 150'000'001; }, RejectReason::BAD_PRICE, true},
        {"limit price above bound", IntentKind::ORDER, [](auto& r) { r.limit_price = 2'000'000'000'000; }, RejectReason::BAD_PRICE, true},
        {"market order with a price", IntentKind::ORDER,
         [](auto& r) { r.order_type = OrderType::MARKET; r.limit_price = 150'000'000; }, RejectReason::BAD_PRICE, true},
        {"target with a price", IntentKind::TARGET_POSITION, [](auto& r) { r.limit_price = 1'000'000; }, RejectReason::BAD_PRICE, true},
        {"cancel with a price", IntentKind::CANCEL, [](auto& r) { r.limit_price = 1; }, RejectReason::BAD_PRICE, true},
    });
}

TEST(padding_and_reserved_bytes) {
    run({
        {"pad_44[0]", IntentKind::ORDER, [](auto& r) { r.pad_44[0] = 1; }, RejectReason::RESERVED_NOT_ZERO, true},
        {"pad_44[3]", IntentKind::END_OF_ANSWER, [](auto& r) { r.pad_44[3] = 0x80; }, RejectReason::RESERVED_NOT_ZERO, true},
        {"reserved_72[0]", IntentKind::ORDER, [](auto& r) { r.reserved_72[0] = 1; }, RejectReason::RESERVED_NOT_ZERO, true},
        {"reserved_72[55]", IntentKind::CANCEL, [](auto& r) { r.reserved_72[55] = 0xFF; }, RejectReason::RESERVED_NOT_ZERO, true},
    });
}

TEST(first_failure_wins) {
    run({
        {"bad agent beats bad enum", IntentKind::ORDER,
         [](auto& r) { r.agent_id = 1; r.kind = static_cast<IntentKind>(9); }, RejectReason::BAD_AGENT_ID, false},
        {"bad enum beats old id", IntentKind::ORDER,
         [](auto& r) { r.side = static_cast<Side>(9); r.intent_id = 1; }, RejectReason::UNKNOWN_ENUM, false},
        {"old id beats stale snapshot", IntentKind::ORDER,
         [](auto& r) { r.intent_id = 1; r.snapshot_seq = 1; }, RejectReason::INTENT_ID_NOT_INCREASING, false},
        {"stale snapshot beats unknown instrument", IntentKind::ORDER,
         [](auto& r) { r.snapshot_seq = 1; r.instrument_id = 999; }, RejectReason::STALE_SNAPSHOT, true},
        {"unknown instrument beats bad combination", IntentKind::ORDER,
         [](auto& r) { r.instrument_id = 999; r.side = Side::NONE; }, RejectReason::UNKNOWN_INSTRUMENT, true},
        {"bad combination beats bad qty", IntentKind::ORDER,
         [](auto& r) { r.side = Side::NONE; r.qty = 0; }, RejectReason::BAD_FIELD_COMBINATION, true},
        {"bad qty beats bad price", IntentKind::ORDER,
         [](auto& r) { r.qty = -1; r.limit_price = -1; }, RejectReason::BAD_QUANTITY, true},
        {"bad price beats reserved", IntentKind::ORDER,
         [](auto& r) { r.limit_price = -1; r.reserved_72[9] = 1; }, RejectReason::BAD_PRICE, true},
    });
}

FUNDOS_TEST_MAIN
