/* A hostile test agent: attaches with the SDK, then writes its own intent ring by hand (found
 * in /proc/self/maps: the SDK maps it read-write, and an untrusted agent can write every byte).
 *
 *   transport_agent_garbage --socket RUN_DIR/fund.sock --agent-id N [--max-seq-lag L]
 *                           [--skip-cases] [--then none|quarantine|scribble] [--hold]
 *
 * Cases (unless --skip-cases): one crafted record at a time, committed correctly (commit =
 * position + 1, release), each with an expected RejectReason ("NONE" for the valid controls);
 * for each it waits for the Fund's report and prints a "case" line: name, expected, kind,
 * reason, intent_id. Bad enums, wrong agent ids, non-increasing ids, snapshots from the future,
 * stale (needs --max-seq-lag, the host's) and 0, unknown instruments, impossible field
 * combinations, quantities and prices at INT64_MIN / INT64_MAX / over the limits / off tick,
 * non-zero padding and reserved bytes. Before the cases it stores a garbage heartbeat
 * (answered_seq = UINT64_MAX); after them an "answered_seq" line says what the next snapshot
 * shows for this agent.
 *
 * Then: "quarantine" commits slot p with an impossible commit value (p + 1 + 1000); "scribble"
 * fills the whole ring and the heartbeat with pseudo-random bytes. Either way it waits for the
 * Fund's verdict and prints "quarantined" (the SDK's view: status, reason) and "submit_after"
 * (what fundos_submit_intent returns now). With --hold it then stays attached, heartbeating,
 * until SIGTERM or stdin closes, and prints "done". */
#define _GNU_SOURCE
#include <poll.h>

#include "agent_util.h"

typedef struct ctx {
    fundos_agent *agent;
    fundos_agent_intent_region_t *region;
    uint32_t agent_id;
    uint64_t position;  /* our producer position p */
    uint64_t max_id;    /* highest intent id written */
    uint64_t host_last; /* highest id the Fund certainly consumed (passed its check 3) */
    uint64_t lag;
} ctx;

static fundos_intent_record_t base_order(ctx *c) {
    fundos_intent_record_t r;
    memset(&r, 0, sizeof(r));
    r.intent_id = ++c->max_id;
    r.snapshot_seq = fundos_snapshot_latest(c->agent);
    r.agent_id = c->agent_id;
    r.instrument_id = 1;
    r.kind = FUNDOS_INTENT_KIND_ORDER;
    r.side = FUNDOS_SIDE_BUY;
    r.order_type = FUNDOS_ORDER_TYPE_MARKET;
    r.time_in_force = FUNDOS_TIME_IN_FORCE_DAY;
    r.qty = 1000000;
    return r;
}

/* Every byte but commit with plain stores, then commit = position + 1 (release). */
static void write_slot(ctx *c, const fundos_intent_record_t *r, uint64_t commit) {
    fundos_intent_record_t *slot = &c->region->ring[c->position & (FUNDOS_INTENT_RING_SLOTS - 1)];
    memcpy((unsigned char *)slot + 8, (const unsigned char *)r + 8, sizeof(*r) - 8);
    store_commit(slot, commit);
}

static int reason_consumes_id(fundos_reject_reason_t reason) {
    return reason != FUNDOS_REJECT_REASON_CORRUPT_SLOT && reason != FUNDOS_REJECT_REASON_BAD_AGENT_ID &&
           reason != FUNDOS_REJECT_REASON_UNKNOWN_ENUM && reason != FUNDOS_REJECT_REASON_INTENT_ID_NOT_INCREASING;
}

static void run_case(ctx *c, const char *name, const char *expected, const fundos_intent_record_t *rec) {
    const fundos_intent_record_t r = *rec;
    write_slot(c, &r, c->position + 1);
    c->position++;
    fundos_intent_report_t report;
    memset(&report, 0, sizeof(report));
    size_t got = wait_reports(c->agent, &report, 1, 5000);
    if (got == 1 && report.kind == FUNDOS_REPORT_KIND_ACCEPTED) {
        c->host_last = r.intent_id;
    } else if (got == 1 && reason_consumes_id(report.reason)) {
        c->host_last = r.intent_id;
    }
    emit("\"event\":\"case\",\"name\":\"%s\",\"expected\":\"%s\",\"got\":%d,\"kind\":\"%s\",\"reason\":\"%s\","
         "\"intent_id\":%" PRIu64 ",\"report_intent_id\":%" PRIu64 ",\"snapshot_seq\":%" PRIu64,
         name, expected, got == 1, got == 1 ? report_kind(report.kind) : "NONE",
         got == 1 ? reject_reason(report.reason) : "NONE", r.intent_id, report.intent_id, r.snapshot_seq);
    fundos_heartbeat(c->agent, 0);
}

static void run_cases(ctx *c) {
    fundos_intent_record_t r = base_order(c);
    run_case(c, "valid_order_first", "NONE", &r);

    r = base_order(c), r.kind = 0, r.side = 0, r.order_type = 0, r.time_in_force = 0, r.instrument_id = 0, r.qty = 0;
    run_case(c, "kind_zero", "UNKNOWN_ENUM", &r);
    r = base_order(c), r.kind = 200;
    run_case(c, "kind_200", "UNKNOWN_ENUM", &r);
    r = base_order(c), r.side = 7;
    run_case(c, "side_7", "UNKNOWN_ENUM", &r);
    r = base_order(c), r.order_type = 9;
    run_case(c, "order_type_9", "UNKNOWN_ENUM", &r);
    r = base_order(c), r.time_in_force = 250;
    run_case(c, "time_in_force_250", "UNKNOWN_ENUM", &r);

    r = base_order(c), r.agent_id = c->agent_id + 1;
    run_case(c, "agent_id_other", "BAD_AGENT_ID", &r);
    r = base_order(c), r.agent_id = 0;
    run_case(c, "agent_id_zero", "BAD_AGENT_ID", &r);

    r = base_order(c), r.intent_id = c->host_last;
    run_case(c, "intent_id_repeated", "INTENT_ID_NOT_INCREASING", &r);
    r = base_order(c), r.intent_id = 0;
    run_case(c, "intent_id_zero", "INTENT_ID_NOT_INCREASING", &r);

    r = base_order(c), r.snapshot_seq = 0;
    run_case(c, "snapshot_zero", "STALE_SNAPSHOT", &r);
    r = base_order(c), r.snapshot_seq += 1000000;
    run_case(c, "snapshot_future", "STALE_SNAPSHOT", &r);
    r = base_order(c), r.snapshot_seq = UINT64_MAX;
    run_case(c, "snapshot_max", "STALE_SNAPSHOT", &r);
    if (c->lag > 0) {
        uint64_t deadline = now_ns() + UINT64_C(10000000000);
        while (fundos_snapshot_latest(c->agent) <= c->lag + 2 && now_ns() < deadline && !g_stop) {
            fundos_heartbeat(c->agent, 0);
            sleep_us(1000);
        }
        r = base_order(c), r.snapshot_seq = r.snapshot_seq - c->lag - 1;
        run_case(c, "snapshot_stale", "STALE_SNAPSHOT", &r);
    }

    r = base_order(c), r.instrument_id = 999;
    run_case(c, "instrument_999", "UNKNOWN_INSTRUMENT", &r);
    r = base_order(c), r.instrument_id = 0;
    run_case(c, "instrument_zero", "UNKNOWN_INSTRUMENT", &r);
    r = base_order(c), r.instrument_id = UINT32_MAX;
    run_case(c, "instrument_max", "UNKNOWN_INSTRUMENT", &r);

    r = base_order(c), r.side = FUNDOS_SIDE_NONE;
    run_case(c, "order_without_side", "BAD_FIELD_COMBINATION", &r);
    r = base_order(c), r.kind = FUNDOS_INTENT_KIND_END_OF_ANSWER, r.instrument_id = 0, r.side = 0, r.order_type = 0,
    r.time_in_force = 0, r.qty = 0, r.ref_intent_id = 1;
    run_case(c, "end_of_answer_with_ref", "BAD_FIELD_COMBINATION", &r);
    r = base_order(c), r.kind = FUNDOS_INTENT_KIND_CANCEL, r.side = 0, r.order_type = 0, r.time_in_force = 0,
    r.qty = 0, r.ref_intent_id = r.intent_id;
    run_case(c, "cancel_of_itself", "BAD_FIELD_COMBINATION", &r);

    r = base_order(c), r.qty = 0;
    run_case(c, "qty_zero", "BAD_QUANTITY", &r);
    r = base_order(c), r.qty = -1000000;
    run_case(c, "qty_negative", "BAD_QUANTITY", &r);
    r = base_order(c), r.qty = INT64_MAX;
    run_case(c, "qty_int64_max", "BAD_QUANTITY", &r);
    r = base_order(c), r.qty = INT64_MIN;
    run_case(c, "qty_int64_min", "BAD_QUANTITY", &r);
    r = base_order(c), r.kind = FUNDOS_INTENT_KIND_TARGET_POSITION, r.side = 0, r.order_type = 0, r.time_in_force = 0,
    r.qty = INT64_MIN;
    run_case(c, "target_int64_min", "BAD_QUANTITY", &r);
    r = base_order(c), r.qty = INT64_C(1000000000000000) + 1;
    run_case(c, "qty_over_limit", "BAD_QUANTITY", &r);
    r = base_order(c), r.kind = FUNDOS_INTENT_KIND_FLATTEN, r.side = 0, r.order_type = 0, r.time_in_force = 0, r.qty = 1;
    run_case(c, "flatten_with_qty", "BAD_QUANTITY", &r);

    r = base_order(c), r.limit_price = 10000000000;
    run_case(c, "market_with_price", "BAD_PRICE", &r);
    r = base_order(c), r.order_type = FUNDOS_ORDER_TYPE_LIMIT, r.limit_price = 0;
    run_case(c, "limit_price_zero", "BAD_PRICE", &r);
    r = base_order(c), r.order_type = FUNDOS_ORDER_TYPE_LIMIT, r.limit_price = -10000000000;
    run_case(c, "limit_price_negative", "BAD_PRICE", &r);
    r = base_order(c), r.order_type = FUNDOS_ORDER_TYPE_LIMIT, r.limit_price = INT64_MIN;
    run_case(c, "limit_price_int64_min", "BAD_PRICE", &r);
    r = base_order(c), r.order_type = FUNDOS_ORDER_TYPE_LIMIT, r.limit_price = INT64_MAX;
    run_case(c, "limit_price_int64_max", "BAD_PRICE", &r);
    r = base_order(c), r.order_type = FUNDOS_ORDER_TYPE_LIMIT, r.limit_price = 10000000001;
    run_case(c, "limit_price_off_tick", "BAD_PRICE", &r);

    r = base_order(c), r.reserved_72[55] = 1;
    run_case(c, "reserved_last_byte", "RESERVED_NOT_ZERO", &r);
    r = base_order(c), r.pad_44[3] = 0x80;
    run_case(c, "padding_byte", "RESERVED_NOT_ZERO", &r);
    r = base_order(c), memset(r.reserved_72, 0xFF, sizeof(r.reserved_72)), memset(r.pad_44, 0xFF, sizeof(r.pad_44));
    run_case(c, "reserved_all_ones", "RESERVED_NOT_ZERO", &r);

    r = base_order(c), r.order_type = FUNDOS_ORDER_TYPE_LIMIT, r.limit_price = 10000000000, r.side = FUNDOS_SIDE_SELL;
    uint64_t limit_id = r.intent_id;
    run_case(c, "valid_limit_order", "NONE", &r);
    r = base_order(c), r.kind = FUNDOS_INTENT_KIND_TARGET_POSITION, r.side = 0, r.order_type = 0, r.time_in_force = 0,
    r.qty = -5000000;
    run_case(c, "valid_target_position", "NONE", &r);
    r = base_order(c), r.kind = FUNDOS_INTENT_KIND_CANCEL, r.instrument_id = 0, r.side = 0, r.order_type = 0,
    r.time_in_force = 0, r.qty = 0, r.ref_intent_id = limit_id;
    run_case(c, "valid_cancel", "NONE", &r);
    r = base_order(c), r.kind = FUNDOS_INTENT_KIND_END_OF_ANSWER, r.instrument_id = 0, r.side = 0, r.order_type = 0,
    r.time_in_force = 0, r.qty = 0;
    run_case(c, "valid_end_of_answer", "NONE", &r);
}

static uint64_t next_random(uint64_t *state) {
    *state = *state * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
    uint64_t x = *state;
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    return x;
}

static void scribble(ctx *c) {
    uint64_t rng = 0x5EED5EEDULL;
    uint64_t *words = (uint64_t *)(void *)c->region;
    for (size_t i = 0; i < sizeof(*c->region) / 8; i++) {
        __atomic_store_n(&words[i], next_random(&rng), __ATOMIC_RELAXED);
    }
    /* The slot the Fund reads next must hold an impossible commit (a random one almost surely
     * is; make sure). */
    uint64_t p = c->position;
    fundos_intent_record_t *slot = &c->region->ring[p & (FUNDOS_INTENT_RING_SLOTS - 1)];
    uint64_t commit = __atomic_load_n(&slot->commit, __ATOMIC_RELAXED);
    if (commit == p + 1 || commit == 0 || (p >= FUNDOS_INTENT_RING_SLOTS && commit == p + 1 - FUNDOS_INTENT_RING_SLOTS)) {
        store_commit(slot, UINT64_C(0xDEADBEEFDEADBEEF));
    }
    emit("\"event\":\"scribbled\",\"position\":%" PRIu64 ",\"index\":%" PRIu64 ",\"commit\":%" PRIu64, p,
         p & (FUNDOS_INTENT_RING_SLOTS - 1), __atomic_load_n(&slot->commit, __ATOMIC_RELAXED));
}

static void await_quarantine(ctx *c) {
    fundos_agent_info info;
    memset(&info, 0, sizeof(info));
    uint64_t deadline = now_ns() + UINT64_C(5000000000);
    while (now_ns() < deadline && !g_stop) {
        fundos_agent_status(c->agent, &info);
        if (info.quarantined) {
            break;
        }
        sleep_us(500);
    }
    const char *status = fundos_agent_status_name(info.status);
    emit("\"event\":\"quarantined\",\"quarantined\":%d,\"status\":\"%s\",\"reason\":\"%s\",\"intents_consumed\":%" PRIu64,
         info.quarantined, status != NULL ? status : "UNKNOWN", reject_reason(info.quarantine_reason),
         info.intents_consumed);
    fundos_intent_record_t intent;
    memset(&intent, 0, sizeof(intent));
    intent.kind = FUNDOS_INTENT_KIND_END_OF_ANSWER;
    int rc = fundos_submit_intent(c->agent, &intent);
    emit("\"event\":\"submit_after\",\"code\":%d,\"name\":\"%s\"", rc, error_name(rc));
}

static void usage(void) {
    fprintf(stderr, "usage: transport_agent_garbage --socket PATH --agent-id N [--max-seq-lag L] [--skip-cases] "
                    "[--then none|quarantine|scribble] [--hold]\n");
    exit(2);
}

int main(int argc, char **argv) {
    agent_setup();
    fundos_attach_options options;
    fundos_attach_options_init(&options);
    options.wait = FUNDOS_WAIT_FUTEX;
    const char *then = "none";
    int skip_cases = 0, hold = 0;
    uint64_t lag = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--skip-cases") == 0) {
            skip_cases = 1;
            continue;
        }
        if (strcmp(arg, "--hold") == 0) {
            hold = 1;
            continue;
        }
        if (i + 1 >= argc) {
            usage();
        }
        const char *value = argv[++i];
        if (strcmp(arg, "--socket") == 0) {
            options.socket_path = value;
        } else if (strcmp(arg, "--agent-id") == 0) {
            options.agent_id = (uint32_t)strtoul(value, NULL, 10);
        } else if (strcmp(arg, "--max-seq-lag") == 0) {
            lag = strtoull(value, NULL, 10);
        } else if (strcmp(arg, "--then") == 0) {
            then = value;
        } else {
            usage();
        }
    }
    fundos_agent *agent = attach_or_exit(&options);
    fundos_agent_info info;
    fundos_agent_status(agent, &info);
    ctx c;
    memset(&c, 0, sizeof(c));
    c.agent = agent;
    c.region = own_intent_region();
    c.agent_id = info.agent_id;
    c.position = info.intents_submitted;
    c.max_id = info.last_intent_id;
    c.host_last = info.last_intent_id;
    c.lag = lag;
    emit("\"event\":\"attached\",\"agent\":%u,\"slot\":%u,\"generation\":%" PRIu64 ",\"pid\":%d", info.agent_id,
         info.slot, info.generation, (int)getpid());

    if (!skip_cases) {
        /* Garbage in the heartbeat: an answered_seq from the far future, a forged pid. */
        __atomic_store_n(&c.region->heartbeat.answered_seq, UINT64_MAX, __ATOMIC_RELEASE);
        c.region->heartbeat.pid = 1;
        run_cases(&c);
        static fundos_fund_state_t state;
        sleep_us(50000); /* the Fund samples heartbeats every few ms, publishes every --publish-us */
        uint64_t after = fundos_snapshot_latest(agent);
        int rc = fundos_wait_snapshot(agent, after, &state, UINT64_C(2000000000));
        emit("\"event\":\"answered_seq\",\"rc\":\"%s\",\"snapshot_seq\":%" PRIu64 ",\"last_answered_seq\":%" PRIu64,
             error_name(rc), state.seq, state.agents[info.slot].last_answered_seq);
    }
    if (strcmp(then, "quarantine") == 0) {
        fundos_intent_record_t r = base_order(&c);
        uint64_t p = c.position;
        write_slot(&c, &r, p + 1 + 1000);
        emit("\"event\":\"impossible_commit\",\"position\":%" PRIu64 ",\"index\":%" PRIu64 ",\"commit\":%" PRIu64, p,
             p & (FUNDOS_INTENT_RING_SLOTS - 1), p + 1 + 1000);
        await_quarantine(&c);
    } else if (strcmp(then, "scribble") == 0) {
        scribble(&c);
        await_quarantine(&c);
    }
    if (hold) {
        emit("\"event\":\"holding\"");
        while (!g_stop) {
            struct pollfd in = {STDIN_FILENO, POLLIN, 0};
            if (poll(&in, 1, 20) > 0) {
                char buf[64];
                if (read(STDIN_FILENO, buf, sizeof(buf)) <= 0) {
                    break;
                }
            }
            fundos_heartbeat(agent, 0);
        }
    }
    emit("\"event\":\"done\"");
    fundos_detach(agent);
    return 0;
}
