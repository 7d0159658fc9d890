/* A well-behaved test agent: it keeps trading and prints every report it reads.
 *
 *   transport_agent_trader --socket RUN_DIR/fund.sock --agent-id N [--count N] [--interval-us U]
 *                          [--wait-go] [--instrument ID] [--drain-ms MS] [--kind order|eoa]
 *
 * Each round: copy the newest snapshot, submit one intent answering it (an ORDER: BUY one lot of
 * --instrument at the market, DAY; or END_OF_ANSWER with --kind eoa), read the new reports
 * (one "report" line each, in ring order), heartbeat, sleep --interval-us. Stops after --count
 * intents (0: until SIGTERM), then waits up to --drain-ms for the reports of everything it
 * submitted and prints a "summary" line. With --wait-go it prints "ready" after attaching and
 * reads one line from stdin before trading (so a test can attach many agents, then start them
 * together); its "go" line counts the agents the next snapshot shows ACTIVE.
 *
 * Lines (JSON): attached, ready, go, report, submit_error, summary; attach_failed (exit 1). */
#define _GNU_SOURCE
#include "agent_util.h"

static void usage(void) {
    fprintf(stderr, "usage: transport_agent_trader --socket PATH --agent-id N [--count N] [--interval-us U] "
                    "[--wait-go] [--instrument ID] [--drain-ms MS] [--kind order|eoa]\n");
    exit(2);
}

int main(int argc, char **argv) {
    agent_setup();
    fundos_attach_options options;
    fundos_attach_options_init(&options);
    options.wait = FUNDOS_WAIT_FUTEX;
    options.ring_full = FUNDOS_RING_FULL_WAIT;
    options.ring_full_timeout_ns = UINT64_C(2000000000);
    unsigned long long count = 0, interval_us = 1000, drain_ms = 20000;
    uint32_t instrument = 1;
    int wait_go = 0, eoa = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--wait-go") == 0) {
            wait_go = 1;
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
        } else if (strcmp(arg, "--count") == 0) {
            count = strtoull(value, NULL, 10);
        } else if (strcmp(arg, "--interval-us") == 0) {
            interval_us = strtoull(value, NULL, 10);
        } else if (strcmp(arg, "--drain-ms") == 0) {
            drain_ms = strtoull(value, NULL, 10);
        } else if (strcmp(arg, "--instrument") == 0) {
            instrument = (uint32_t)strtoul(value, NULL, 10);
        } else if (strcmp(arg, "--kind") == 0) {
            eoa = strcmp(value, "eoa") == 0;
        } else {
            usage();
        }
    }

    fundos_agent *agent = attach_or_exit(&options);
    fundos_agent_info info;
    fundos_agent_status(agent, &info);
    static fundos_agent_book_t book;
    memset(&book, 0, sizeof(book));
    int book_rc = fundos_read_book(agent, &book);
    emit("\"event\":\"attached\",\"agent\":%u,\"slot\":%u,\"generation\":%" PRIu64 ",\"abi_minor\":%u,\"pid\":%d,"
         "\"book\":%s,\"book_accepted\":%" PRIu64 ",\"book_rejected\":%" PRIu64 ",\"book_last_intent_id\":%" PRIu64
         ",\"last_intent_id\":%" PRIu64,
         info.agent_id, info.slot, info.generation, info.abi_minor, (int)getpid(), book_rc == FUNDOS_OK ? "true" : "false",
         book.account.intents_accepted, book.account.intents_rejected, book.account.last_intent_id,
         info.last_intent_id);

    static fundos_fund_state_t state;
    if (wait_go) {
        emit("\"event\":\"ready\"");
        char line[64];
        if (fgets(line, sizeof(line), stdin) == NULL) {
            g_stop = 1;
        }
        /* A snapshot published after "go": every agent attached before it shows in it. */
        uint64_t after = fundos_snapshot_latest(agent);
        int rc = fundos_wait_snapshot(agent, after, &state, UINT64_C(5000000000));
        unsigned active = 0;
        for (unsigned i = 0; rc == FUNDOS_OK && i < state.agent_count && i < FUNDOS_MAX_AGENTS; i++) {
            active += state.agents[i].status == FUNDOS_AGENT_STATUS_ACTIVE;
        }
        emit("\"event\":\"go\",\"wait_rc\":\"%s\",\"active_agents\":%u,\"agent_count\":%u", error_name(rc), active,
             (unsigned)state.agent_count);
    }

    static fundos_intent_report_t reports[FUNDOS_REPORT_RING_SLOTS];
    unsigned long long submitted = 0, accepted = 0, rejected = 0, seen = 0;
    int exit_code = 0;
    while (!g_stop && (count == 0 || submitted < count)) {
        int rc = fundos_read_snapshot(agent, &state);
        if (rc != FUNDOS_OK) {
            emit("\"event\":\"snapshot_error\",\"code\":%d,\"name\":\"%s\"", rc, error_name(rc));
            exit_code = 1;
            break;
        }
        fundos_intent_record_t intent;
        memset(&intent, 0, sizeof(intent));
        if (eoa) {
            intent.kind = FUNDOS_INTENT_KIND_END_OF_ANSWER;
        } else {
            intent.kind = FUNDOS_INTENT_KIND_ORDER;
            intent.instrument_id = instrument;
            intent.side = FUNDOS_SIDE_BUY;
            intent.order_type = FUNDOS_ORDER_TYPE_MARKET;
            intent.time_in_force = FUNDOS_TIME_IN_FORCE_DAY;
            intent.qty = 1000000; /* one unit; the host's lot_size is 1 raw */
        }
        intent.snapshot_seq = state.seq;
        intent.client_tag = submitted + 1;
        rc = fundos_submit_intent(agent, &intent);
        if (rc == FUNDOS_E_INTERRUPTED) {
            break;
        }
        if (rc != FUNDOS_OK) {
            emit("\"event\":\"submit_error\",\"code\":%d,\"name\":\"%s\"", rc, error_name(rc));
            exit_code = 1;
            break;
        }
        submitted++;
        size_t n = 0;
        rc = fundos_poll_reports(agent, reports, FUNDOS_REPORT_RING_SLOTS, &n);
        if (rc == FUNDOS_E_REPORTS_LOST) {
            emit("\"event\":\"reports_lost\"");
        }
        for (size_t r = 0; r < n; r++) {
            emit_report(&reports[r]);
            seen++;
            accepted += reports[r].kind == FUNDOS_REPORT_KIND_ACCEPTED;
            rejected += reports[r].kind == FUNDOS_REPORT_KIND_REJECTED;
        }
        fundos_heartbeat(agent, state.seq);
        if (interval_us > 0 && !g_stop) {
            sleep_us(interval_us);
        }
    }

    /* Drain: the report of every intent this handle submitted. */
    uint64_t deadline = now_ns() + drain_ms * UINT64_C(1000000);
    for (;;) {
        fundos_agent_status(agent, &info);
        if (info.reports_read >= info.intents_submitted || now_ns() >= deadline) {
            break;
        }
        size_t n = 0;
        int rc = fundos_poll_reports(agent, reports, FUNDOS_REPORT_RING_SLOTS, &n);
        if (rc == FUNDOS_E_REPORTS_LOST) {
            emit("\"event\":\"reports_lost\"");
        }
        for (size_t r = 0; r < n; r++) {
            emit_report(&reports[r]);
            seen++;
            accepted += reports[r].kind == FUNDOS_REPORT_KIND_ACCEPTED;
            rejected += reports[r].kind == FUNDOS_REPORT_KIND_REJECTED;
        }
        if (n == 0) {
            fundos_heartbeat(agent, 0);
            sleep_us(100);
        }
    }
    int status_rc = fundos_agent_status(agent, &info);
    emit("\"event\":\"summary\",\"submitted\":%llu,\"reports\":%llu,\"accepted\":%llu,\"rejected\":%llu,"
         "\"reports_lost\":%" PRIu64 ",\"intents_consumed\":%" PRIu64 ",\"generation\":%" PRIu64
         ",\"last_intent_id\":%" PRIu64 ",\"status\":%u,\"quarantined\":%d,\"connected\":%d,\"status_rc\":\"%s\"",
         submitted, seen, accepted, rejected, info.reports_lost, info.intents_consumed, info.generation,
         info.last_intent_id, (unsigned)info.status, info.quarantined, info.connected, error_name(status_rc));
    fundos_detach(agent);
    return exit_code;
}
