/* The C agent of bench/bench_transport.py (built by it, Release, against the C SDK).
 *
 *   transport_rt_agent rt   --socket PATH --agent-id N --count N --warmup N --out FILE [--wait busy|futex]
 *   transport_rt_agent read --socket PATH --agent-id N --count N --out FILE
 *
 * rt: busy-polling round trips against `fundos-transport-host --mode pingpong`. Each round:
 * wait (FUNDOS_WAIT_BUSY) for a snapshot newer than the last one answered and copy it
 * (fundos_wait_snapshot), submit one ORDER answering it (fundos_submit_intent), busy-poll
 * fundos_poll_reports until its report is there, and take CLOCK_MONOTONIC. The host publishes the
 * next snapshot as soon as it has validated an intent and written its report, so the time between
 * two consecutive report sightings is one full round trip: snapshot published -> agent copies it
 * -> intent written -> Fund copies and validates it -> report written (and the next snapshot
 * published) -> report seen. --warmup rounds first, then --count intervals (ns, little-endian
 * u64) are written to --out. Exits 1 if any intent is rejected.
 *
 * --wait futex (for several agents on few cores, where spinning agents starve the host): the
 * snapshot wait sleeps in futex_wait (FUNDOS_WAIT_FUTEX), and so does the wait for the report:
 * while its report is not there the agent sleeps until a snapshot newer than the last one it
 * copied (the host publishes one right after writing every report, so the report it waits for is
 * followed by a wake), then polls the reports again. With several agents each one's round trip
 * includes the host's work for the others' intents.
 *
 * --start-file PATH (for several agents started one after the other): once attached, print
 * "attached" on stdout and sleep until PATH exists (checked every 100 us, for at most 60 s), so
 * that every agent's rounds run at the same time.
 *
 * read: --count timed consistent copies of the newest FundState (fundos_read_snapshot), in
 * batches of 1000; --out gets the ns per copy of each batch (u64). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fundos/agent.h>

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

static int write_out(const char *path, const uint64_t *values, size_t n) {
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(values, sizeof(*values), n, f) != n) {
        perror(path);
        return 1;
    }
    return fclose(f) == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: transport_rt_agent rt|read --socket PATH --agent-id N --count N [--warmup N] --out FILE"
                        " [--wait busy|futex] [--start-file PATH]\n");
        return 2;
    }
    const char *mode = argv[1];
    fundos_attach_options options;
    fundos_attach_options_init(&options);
    options.wait = FUNDOS_WAIT_BUSY;
    size_t count = 100000, warmup = 10000;
    int futex = 0;
    const char *start_file = NULL;
    const char *out = NULL;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--socket") == 0) {
            options.socket_path = argv[i + 1];
        } else if (strcmp(argv[i], "--agent-id") == 0) {
            options.agent_id = (uint32_t)strtoul(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--count") == 0) {
            count = strtoull(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--warmup") == 0) {
            warmup = strtoull(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--out") == 0) {
            out = argv[i + 1];
        } else if (strcmp(argv[i], "--start-file") == 0) {
            start_file = argv[i + 1];
        } else if (strcmp(argv[i], "--wait") == 0) {
            futex = strcmp(argv[i + 1], "futex") == 0;
            options.wait = futex ? FUNDOS_WAIT_FUTEX : FUNDOS_WAIT_BUSY;
        }
    }
    if (out == NULL || count == 0) {
        fprintf(stderr, "transport_rt_agent: --out and a non-zero --count are required\n");
        return 2;
    }
    char why[512];
    fundos_agent *agent = NULL;
    int rc = fundos_attach(&options, &agent, why, sizeof(why));
    if (rc != FUNDOS_OK) {
        fprintf(stderr, "transport_rt_agent: cannot attach: %s\n", why);
        return 1;
    }
    if (start_file != NULL) {
        printf("attached\n");
        fflush(stdout);
        const struct timespec pause = {0, 100000};
        for (long waited = 0; access(start_file, F_OK) != 0; waited++) {
            if (waited > 600000) {
                fprintf(stderr, "transport_rt_agent: %s never appeared\n", start_file);
                return 1;
            }
            nanosleep(&pause, NULL);
        }
    }
    static fundos_fund_state_t state;
    uint64_t *values = calloc(count, sizeof(uint64_t));
    if (values == NULL) {
        return 1;
    }

    if (strcmp(mode, "read") == 0) {
        const size_t batch = 1000;
        size_t batches = count / batch > 0 ? count / batch : 1;
        for (size_t b = 0; b < batches; b++) {
            uint64_t t0 = now_ns();
            for (size_t k = 0; k < batch; k++) {
                if (fundos_read_snapshot(agent, &state) != FUNDOS_OK) {
                    fprintf(stderr, "transport_rt_agent: read failed\n");
                    return 1;
                }
            }
            values[b] = (now_ns() - t0) / batch;
        }
        fundos_detach(agent);
        return write_out(out, values, batches);
    }

    static fundos_intent_report_t reports[FUNDOS_REPORT_RING_SLOTS];
    uint64_t last_seq = 0, prev = 0, rejected = 0;
    for (size_t round = 0; round < warmup + count; round++) {
        rc = fundos_wait_snapshot(agent, last_seq, &state, UINT64_C(5000000000));
        if (rc != FUNDOS_OK) {
            fprintf(stderr, "transport_rt_agent: wait_snapshot: %s\n", fundos_strerror(rc));
            return 1;
        }
        last_seq = state.seq;
        const uint64_t answered = state.seq;
        fundos_intent_record_t intent;
        memset(&intent, 0, sizeof(intent));
        intent.kind = FUNDOS_INTENT_KIND_ORDER;
        intent.instrument_id = 1;
        intent.side = FUNDOS_SIDE_BUY;
        intent.order_type = FUNDOS_ORDER_TYPE_MARKET;
        intent.time_in_force = FUNDOS_TIME_IN_FORCE_DAY;
        intent.qty = 1000000;
        intent.snapshot_seq = answered;
        rc = fundos_submit_intent(agent, &intent);
        if (rc != FUNDOS_OK) {
            fprintf(stderr, "transport_rt_agent: submit: %s\n", fundos_strerror(rc));
            return 1;
        }
        size_t n = 0;
        for (;;) {
            rc = fundos_poll_reports(agent, reports, FUNDOS_REPORT_RING_SLOTS, &n);
            if (rc != FUNDOS_OK || n != 0) {
                break;
            }
            if (futex) {
                /* state.seq was the newest when copied, before the poll: a report written after
                 * the poll is followed by a publish newer than it, which wakes this wait. */
                rc = fundos_wait_snapshot(agent, state.seq, &state, UINT64_C(5000000000));
                if (rc != FUNDOS_OK) {
                    fprintf(stderr, "transport_rt_agent: wait for the report: %s\n", fundos_strerror(rc));
                    return 1;
                }
            }
        }
        uint64_t t = now_ns();
        if (rc != FUNDOS_OK || n != 1 || reports[0].intent_id != intent.intent_id) {
            fprintf(stderr, "transport_rt_agent: poll_reports: %s (%zu reports)\n", fundos_strerror(rc), n);
            return 1;
        }
        rejected += reports[0].kind != FUNDOS_REPORT_KIND_ACCEPTED;
        if (round >= warmup) {
            values[round - warmup] = t - prev;
        }
        prev = t;
        if ((round & 1023) == 0) {
            fundos_heartbeat(agent, answered);
        }
    }
    fundos_detach(agent);
    if (rejected != 0) {
        fprintf(stderr, "transport_rt_agent: %llu intents rejected\n", (unsigned long long)rejected);
        return 1;
    }
    return write_out(out, values, count);
}
