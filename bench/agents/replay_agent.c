/* The C agent of bench/bench_fund.py: the replay-throughput benchmark's strategy on the C SDK.
 *
 * At every snapshot (the Fund decides on every market event, so one snapshot per trade tick):
 * copy the FundState (fundos_wait_snapshot), read the first instrument's last trade price and
 * size (the state the strategy looks at), and every --every snapshots submit one ORDER MARKET DAY
 * of --qty units, alternately BUY and SELL so the position stays bounded; then END_OF_ANSWER for
 * the snapshot. Reports are drained on the snapshot after an order (ACCEPTED and FILLED), and a
 * heartbeat goes out every --every snapshots. Exits 0 when the Fund hangs up at the end of the
 * run and prints one JSON line: snapshots, orders, reports, rejects, and a checksum of the prices
 * read (so the reads cannot be optimised away).
 *
 *   replay_agent --socket PATH --agent-id N [--every 1000] [--qty 1] [--wait busy|spin|futex]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fundos/agent.h>

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
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--socket") == 0) {
            options.socket_path = argv[i + 1];
        } else if (strcmp(argv[i], "--agent-id") == 0) {
            options.agent_id = (uint32_t)strtoul(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--every") == 0) {
            every = strtoull(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--qty") == 0) {
            qty_units = strtoll(argv[i + 1], NULL, 10);
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
        fprintf(stderr, "usage: replay_agent --socket PATH --agent-id N [--every N] [--qty N] [--wait busy|spin|futex]\n");
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
    uint64_t seq = 0, price_sum = 0;
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
    printf("{\"snapshots\":%llu,\"orders\":%llu,\"reports\":%llu,\"rejects\":%llu,\"checksum\":%llu}\n", snapshots,
           orders, seen_reports, rejects, (unsigned long long)price_sum);
    return exit_code;
}
