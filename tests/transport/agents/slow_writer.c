/* A test agent that stops in the middle of writing an intent slot, so a test can SIGKILL it there.
 *
 *   transport_agent_slow --socket RUN_DIR/fund.sock --agent-id N [--before K] [--partial fields|half]
 *
 * Submits K valid ORDERs with the SDK and waits for their reports ("report" lines), then writes
 * the next ring slot by hand (its mapping found in /proc/self/maps) with plain stores, word by
 * word: every field but commit ("fields"), or only the first half of the record ("half"). It
 * never stores commit: it prints "paused" (position, intent_id) and sleeps until killed. */
#define _GNU_SOURCE
#include "agent_util.h"

static void usage(void) {
    fprintf(stderr, "usage: transport_agent_slow --socket PATH --agent-id N [--before K] [--partial fields|half]\n");
    exit(2);
}

int main(int argc, char **argv) {
    agent_setup();
    fundos_attach_options options;
    fundos_attach_options_init(&options);
    options.wait = FUNDOS_WAIT_FUTEX;
    unsigned long long before = 5;
    int half = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--socket") == 0) {
            options.socket_path = argv[i + 1];
        } else if (strcmp(argv[i], "--agent-id") == 0) {
            options.agent_id = (uint32_t)strtoul(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--before") == 0) {
            before = strtoull(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--partial") == 0) {
            half = strcmp(argv[i + 1], "half") == 0;
        } else {
            usage();
        }
    }
    if (argc % 2 == 0) {
        usage();
    }
    fundos_agent *agent = attach_or_exit(&options);
    fundos_agent_info info;
    fundos_agent_status(agent, &info);
    emit("\"event\":\"attached\",\"agent\":%u,\"slot\":%u,\"generation\":%" PRIu64 ",\"pid\":%d,\"last_intent_id\":%" PRIu64,
         info.agent_id, info.slot, info.generation, (int)getpid(), info.last_intent_id);

    static fundos_fund_state_t state;
    static fundos_intent_report_t reports[64];
    for (unsigned long long k = 0; k < before && !g_stop; k++) {
        if (fundos_read_snapshot(agent, &state) != FUNDOS_OK) {
            emit("\"event\":\"error\",\"message\":\"no snapshot\"");
            return 1;
        }
        fundos_intent_record_t intent;
        memset(&intent, 0, sizeof(intent));
        intent.kind = FUNDOS_INTENT_KIND_ORDER;
        intent.instrument_id = 1;
        intent.side = FUNDOS_SIDE_SELL;
        intent.order_type = FUNDOS_ORDER_TYPE_MARKET;
        intent.time_in_force = FUNDOS_TIME_IN_FORCE_DAY;
        intent.qty = 1000000;
        intent.snapshot_seq = state.seq;
        int rc = fundos_submit_intent(agent, &intent);
        if (rc != FUNDOS_OK) {
            emit("\"event\":\"submit_error\",\"code\":%d,\"name\":\"%s\"", rc, error_name(rc));
            return 1;
        }
        if (wait_reports(agent, reports, 1, 5000) == 1) {
            emit_report(&reports[0]);
        }
        fundos_heartbeat(agent, state.seq);
    }

    fundos_agent_intent_region_t *region = own_intent_region();
    fundos_agent_status(agent, &info);
    uint64_t p = info.intents_submitted;
    fundos_read_snapshot(agent, &state);
    fundos_intent_record_t r;
    memset(&r, 0, sizeof(r));
    r.intent_id = info.last_intent_id + 1;
    r.snapshot_seq = state.seq;
    r.agent_id = info.agent_id;
    r.instrument_id = 1;
    r.kind = FUNDOS_INTENT_KIND_ORDER;
    r.side = FUNDOS_SIDE_BUY;
    r.order_type = FUNDOS_ORDER_TYPE_MARKET;
    r.time_in_force = FUNDOS_TIME_IN_FORCE_DAY;
    r.qty = 7000000;
    fundos_intent_record_t *slot = &region->ring[p & (FUNDOS_INTENT_RING_SLOTS - 1)];
    const uint64_t *from = (const uint64_t *)(const void *)&r;
    uint64_t *to = (uint64_t *)(void *)slot;
    size_t words = sizeof(r) / 8;
    size_t last = half ? words / 2 : words;
    for (size_t w = 1; w < last; w++) { /* word 0 is commit: never written */
        __atomic_store_n(&to[w], from[w], __ATOMIC_RELAXED);
    }
    emit("\"event\":\"paused\",\"position\":%" PRIu64 ",\"intent_id\":%" PRIu64 ",\"words_written\":%zu", p, r.intent_id,
         last - 1);
    for (;;) {
        pause(); /* until SIGKILL; SIGTERM only sets g_stop */
        if (g_stop) {
            break;
        }
    }
    fundos_detach(agent);
    return 0;
}
