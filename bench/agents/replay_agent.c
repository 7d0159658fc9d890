/* The C agent of bench/bench_fund.py: the replay-throughput benchmark's strategy on the C SDK.
 *
 * At every snapshot (the Fund decides on every market event, so one snapshot per trade tick):
 * copy the FundState (fundos_wait_snapshot), read the first instrument's last trade price and
 * size (the state the strategy looks at), and every --every snapshots submit one ORDER MARKET DAY
 * of --qty units, alternately BUY and SELL so the position stays bounded; then END_OF_ANSWER for
 * the snapshot. Reports are drained on the snapshot after an order (ACCEPTED and FILLED), and a
 * heartbeat goes out every --every snapshots. Exits 0 when the Fund hangs up at the end of the
 * run and prints one JSON line: snapshots, orders, reports, rejects, a checksum of the prices read
 * (so the reads cannot be optimised away) and its peak RSS (maxrss_kb, getrusage).
 *
 * With --intervals 1 it also takes CLOCK_MONOTONIC at every snapshot and adds "step_ns": the
 * p50, p99 and p99.9 of the time between two consecutive snapshots it saw (from a histogram:
 * 10 ns buckets to 100 us, 1 us buckets to 10 ms, then one bucket), i.e. the Fund's lock-step
 * round trip as an agent sees it: snapshot seen -> answer -> every other agent's answer -> the
 * Fund's step and the next event -> next snapshot seen.
 *
 *   replay_agent --socket PATH --agent-id N [--every 1000] [--qty 1] [--wait busy|spin|futex]
 *                [--intervals 0|1]
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <fundos/agent.h>

enum { FINE_BUCKETS = 10000, COARSE_BUCKETS = 9900, BUCKETS = FINE_BUCKETS + COARSE_BUCKETS + 1 };
static uint64_t histogram[BUCKETS];

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

static void record_interval(uint64_t ns) {
    size_t bucket;
    if (ns < UINT64_C(100000)) {
        bucket = (size_t)(ns / 10);                                     /* 10 ns wide below 100 us */
    } else if (ns < UINT64_C(10000000)) {
        bucket = FINE_BUCKETS + (size_t)((ns - UINT64_C(100000)) / 1000);  /* 1 us wide below 10 ms */
    } else {
        bucket = BUCKETS - 1;
    }
    ++histogram[bucket];
}

/* The upper edge of the bucket holding the nearest-rank percentile p (0..100) of n values. */
static uint64_t percentile_ns(uint64_t n, double p) {
    uint64_t rank = (uint64_t)((double)n * p / 100.0 + 0.999999);
    rank = rank < 1 ? 1 : rank;
    uint64_t seen = 0;
    for (size_t b = 0; b < BUCKETS; b++) {
        seen += histogram[b];
        if (seen >= rank) {
            return b < FINE_BUCKETS ? (uint64_t)(b + 1) * 10
                                    : (b < BUCKETS - 1 ? UINT64_C(100000) + (uint64_t)(b - FINE_BUCKETS + 1) * 1000
                                                       : UINT64_C(10000000));
        }
    }
    return 0;
}

static int parse_wait(const char *text, fundos_wait_policy *out) {
    if (strcmp(text, "busy") == 0) {
        *out = FUNDOS_WAIT_BUSY;
    } else if (strcmp(text, "spin") == 0) {
        *out = FUNDOS_WAIT_SPIN;
    } else if (strcmp(text, "futex") == 0) {
        *out = FUNDOS_WAIT_FUTEX;
    } else {
        return -1;
    }
    return 0;
}

int main(int argc, char **argv) {
    fundos_attach_options options;
    fundos_attach_options_init(&options);
    options.wait = FUNDOS_WAIT_BUSY;
    options.ring_full = FUNDOS_RING_FULL_WAIT;
    unsigned long long every = 1000;
    long long qty_units = 1;
    int intervals = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--socket") == 0) {
            options.socket_path = argv[i + 1];
        } else if (strcmp(argv[i], "--agent-id") == 0) {
            options.agent_id = (uint32_t)strtoul(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--every") == 0) {
            every = strtoull(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--qty") == 0) {
            qty_units = strtoll(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--intervals") == 0) {
            intervals = atoi(argv[i + 1]) != 0;
        } else if (strcmp(argv[i], "--wait") == 0) {
            if (parse_wait(argv[i + 1], &options.wait) != 0) {
                fprintf(stderr, "replay_agent: --wait busy|spin|futex\n");
                return 2;
            }
        } else {
            fprintf(stderr, "replay_agent: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (options.socket_path == NULL || options.agent_id == 0 || every == 0 || qty_units <= 0) {
        fprintf(stderr, "usage: replay_agent --socket PATH --agent-id N [--every N] [--qty N] [--wait busy|spin|futex]"
                        " [--intervals 0|1]\n");
        return 2;
    }
    char why[512];
    fundos_agent *agent = NULL;
    int rc = fundos_attach(&options, &agent, why, sizeof(why));
    if (rc != FUNDOS_OK) {
        fprintf(stderr, "replay_agent: cannot attach: %s\n", why);
        return 1;
    }
    static fundos_fund_state_t state;
    static fundos_intent_report_t reports[FUNDOS_REPORT_RING_SLOTS];
    unsigned long long snapshots = 0, orders = 0, seen_reports = 0, rejects = 0;
    uint64_t seq = 0, price_sum = 0, last_seen = 0, timed = 0;
    int exit_code = 0;
    for (;;) {
        rc = fundos_wait_snapshot(agent, seq, &state, FUNDOS_WAIT_FOREVER);
        if (rc == FUNDOS_E_DISCONNECTED) {
            break;
        }
        if (rc != FUNDOS_OK) {
            fprintf(stderr, "replay_agent: wait_snapshot: %s\n", fundos_strerror(rc));
            exit_code = 1;
            break;
        }
        seq = state.seq;
        ++snapshots;
        if (intervals) {
            const uint64_t t = now_ns();
            if (last_seen != 0) {
                record_interval(t - last_seen);
                ++timed;
            }
            last_seen = t;
        }
        if (state.instrument_count > 0) {
            price_sum += (uint64_t)state.instruments[0].last + (uint64_t)state.instruments[0].last_size;
        }
        if (snapshots % every == 1 && snapshots > 1) {
            size_t n = 0;
            do {
                rc = fundos_poll_reports(agent, reports, FUNDOS_REPORT_RING_SLOTS, &n);
                for (size_t k = 0; k < n; k++) {
                    rejects += reports[k].kind == FUNDOS_REPORT_KIND_REJECTED;
                }
                seen_reports += n;
            } while (rc == FUNDOS_OK && n == FUNDOS_REPORT_RING_SLOTS);
        }
        fundos_intent_record_t intent;
        if (snapshots % every == 0 && state.instrument_count > 0) {
            memset(&intent, 0, sizeof intent);
            intent.kind = FUNDOS_INTENT_KIND_ORDER;
            intent.instrument_id = state.instruments[0].instrument_id;
            intent.side = (orders % 2 == 0) ? FUNDOS_SIDE_BUY : FUNDOS_SIDE_SELL;
            intent.order_type = FUNDOS_ORDER_TYPE_MARKET;
            intent.time_in_force = FUNDOS_TIME_IN_FORCE_DAY;
            intent.qty = qty_units * 1000000LL;
            intent.snapshot_seq = seq;
            if ((rc = fundos_submit_intent(agent, &intent)) != FUNDOS_OK) {
                fprintf(stderr, "replay_agent: submit: %s\n", fundos_strerror(rc));
                exit_code = 1;
                break;
            }
            ++orders;
            fundos_heartbeat(agent, 0);
        }
        memset(&intent, 0, sizeof intent);
        intent.kind = FUNDOS_INTENT_KIND_END_OF_ANSWER;
        intent.snapshot_seq = seq;
        if ((rc = fundos_submit_intent(agent, &intent)) != FUNDOS_OK) {
            if (rc == FUNDOS_E_DISCONNECTED) {
                break;
            }
            fprintf(stderr, "replay_agent: end of answer: %s\n", fundos_strerror(rc));
            exit_code = 1;
            break;
        }
    }
    fundos_detach(agent);
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    printf("{\"snapshots\":%llu,\"orders\":%llu,\"reports\":%llu,\"rejects\":%llu,\"checksum\":%llu,\"maxrss_kb\":%ld",
           snapshots, orders, seen_reports, rejects, (unsigned long long)price_sum, usage.ru_maxrss);
    if (intervals && timed > 0) {
        printf(",\"step_ns\":{\"n\":%llu,\"p50\":%llu,\"p99\":%llu,\"p99.9\":%llu}", (unsigned long long)timed,
               (unsigned long long)percentile_ns(timed, 50.0), (unsigned long long)percentile_ns(timed, 99.0),
               (unsigned long long)percentile_ns(timed, 99.9));
    }
    printf("}\n");
    return exit_code;
}
