/* A momentum agent on the FundOS C SDK.
 *
 * For every snapshot: keep a moving average of each instrument's last price over the last
 * --window snapshots; when the price is more than --threshold-bps above it, BUY --lots lots at
 * the market, when it is as far below, SELL; then mark the snapshot answered (END_OF_ANSWER),
 * read the Fund's reports and heartbeat. Stops cleanly on SIGTERM or SIGINT (detach: the Fund
 * sees the hang-up), when the Fund goes away, or after --max-snapshots.
 *
 *   fundos_momentum_agent --socket RUN_DIR/fund.sock --agent-id 1 [--window 5] [--threshold-bps 5]
 *                         [--lots 1] [--wait spin|busy|futex] [--max-snapshots N] [--quiet]
 *
 * --socket, --agent-id and --wait default to FUNDOS_SOCKET, FUNDOS_AGENT_ID and FUNDOS_WAKE
 * (fundos_attach_options_from_env), which `fundos run` sets.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fundos/agent.h>

#define MAX_WINDOW 64

typedef struct average {
    uint32_t instrument_id;
    int used;
    double prices[MAX_WINDOW];
    unsigned count; /* prices seen, capped at the window */
    unsigned next;
    double sum;
} average;

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int signo) {
    (void)signo;
    stop_requested = 1;
}

static void usage(const char *argv0) {
    fprintf(stderr,
            "usage: %s --socket PATH --agent-id N [--window N] [--threshold-bps X] [--lots N]\n"
            "          [--wait spin|busy|futex] [--max-snapshots N] [--quiet]\n",
            argv0);
    exit(2);
}

static average *find_average(average *table, uint32_t instrument_id) {
    for (unsigned i = 0; i < FUNDOS_MAX_INSTRUMENTS; i++) {
        if (table[i].used && table[i].instrument_id == instrument_id) {
            return &table[i];
        }
    }
    for (unsigned i = 0; i < FUNDOS_MAX_INSTRUMENTS; i++) {
        if (!table[i].used) {
            memset(&table[i], 0, sizeof(table[i]));
            table[i].used = 1;
            table[i].instrument_id = instrument_id;
            return &table[i];
        }
    }
    return NULL;
}

/* Push price; return the average of the previous `window` prices (before this one), or 0. */
static double push(average *avg, double price, unsigned window) {
    double previous = avg->count == window ? avg->sum / window : 0.0;
    if (avg->count == window) {
        avg->sum -= avg->prices[avg->next];
    } else {
        avg->count++;
    }
    avg->prices[avg->next] = price;
    avg->sum += price;
    avg->next = (avg->next + 1) % window;
    return previous;
}

static void symbol_of(const fundos_instrument_entry_t *entry, char out[FUNDOS_SYMBOL_LEN + 1]) {
    memcpy(out, entry->symbol, FUNDOS_SYMBOL_LEN);
    out[FUNDOS_SYMBOL_LEN] = '\0';
}

int main(int argc, char **argv) {
    fundos_attach_options options;
    fundos_attach_options_init(&options);
    char why[512];
    if (fundos_attach_options_from_env(&options, why, sizeof(why)) != FUNDOS_OK) {
        fprintf(stderr, "%s: %s\n", argv[0], why);
        return 2;
    }
    unsigned window = 5;
    double threshold_bps = 5.0;
    long lots = 1;
    unsigned long long max_snapshots = 0;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(arg, "--quiet") == 0) {
            quiet = 1;
            continue;
        }
        if (value == NULL) {
            usage(argv[0]);
        }
        i++;
        if (strcmp(arg, "--socket") == 0) {
            options.socket_path = value;
        } else if (strcmp(arg, "--agent-id") == 0) {
            options.agent_id = (uint32_t)strtoul(value, NULL, 10);
        } else if (strcmp(arg, "--window") == 0) {
            window = (unsigned)strtoul(value, NULL, 10);
        } else if (strcmp(arg, "--threshold-bps") == 0) {
            threshold_bps = strtod(value, NULL);
        } else if (strcmp(arg, "--lots") == 0) {
            lots = strtol(value, NULL, 10);
        } else if (strcmp(arg, "--max-snapshots") == 0) {
            max_snapshots = strtoull(value, NULL, 10);
        } else if (strcmp(arg, "--wait") == 0) {
            if (fundos_wait_policy_parse(value, &options.wait) != FUNDOS_OK) {
                usage(argv[0]);
            }
        } else {
            usage(argv[0]);
        }
    }
    if (window < 1 || window > MAX_WINDOW || lots < 1) {
        fprintf(stderr, "--window must be 1..%d and --lots at least 1\n", MAX_WINDOW);
        return 2;
    }

    /* No SA_RESTART: the SDK's waits return FUNDOS_E_INTERRUPTED, and the loop sees the flag. */
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);

    options.stop_flag = &stop_requested; /* waits return FUNDOS_E_INTERRUPTED once it is set */

    fundos_agent *agent = NULL;
    int rc = fundos_attach(&options, &agent, why, sizeof(why));
    if (rc != FUNDOS_OK) {
        fprintf(stderr, "momentum_agent: cannot attach: %s\n", why);
        return 1;
    }
    fundos_agent_info info;
    fundos_agent_status(agent, &info);
    printf("attached as agent %u (slot %u, generation %llu, ABI %u.%u)\n", info.agent_id, info.slot,
           (unsigned long long)info.generation, info.abi_major, info.abi_minor);
    fflush(stdout);

    static fundos_fund_state_t state; /* 10 KB: not on the stack */
    static average averages[FUNDOS_MAX_INSTRUMENTS];
    static fundos_intent_report_t reports[64];
    uint64_t last_seq = 0;
    unsigned long long snapshots = 0, orders = 0, report_count = 0;
    int exit_code = 0;
    while (!stop_requested && (max_snapshots == 0 || snapshots < max_snapshots)) {
        rc = fundos_wait_snapshot(agent, last_seq, &state, UINT64_C(1000000000));
        if (rc == FUNDOS_E_TIMEOUT || rc == FUNDOS_E_INTERRUPTED) {
            fundos_heartbeat(agent, 0);
            continue;
        }
        if (rc == FUNDOS_E_DISCONNECTED) {
            printf("the Fund hung up; stopping\n");
            break;
        }
        if (rc != FUNDOS_OK) {
            fprintf(stderr, "momentum_agent: wait_snapshot: %s\n", fundos_strerror(rc));
            exit_code = 1;
            break;
        }
        snapshots++;
        last_seq = state.seq;

        unsigned count = state.instrument_count < FUNDOS_MAX_INSTRUMENTS ? state.instrument_count
                                                                         : FUNDOS_MAX_INSTRUMENTS;
        for (unsigned i = 0; i < count && !stop_requested; i++) {
            const fundos_instrument_entry_t *entry = &state.instruments[i];
            if (entry->status != FUNDOS_INSTRUMENT_STATUS_TRADING || entry->last <= 0) {
                continue;
            }
            average *avg = find_average(averages, entry->instrument_id);
            if (avg == NULL) {
                continue;
            }
            double last = fundos_fixed_to_double(entry->last, FUNDOS_PRICE_DECIMALS);
            double mean = push(avg, last, window);
            if (mean <= 0.0) {
                continue; /* window not full yet */
            }
            double move_bps = (last - mean) / mean * 1e4;
            fundos_side_t side = move_bps > threshold_bps    ? FUNDOS_SIDE_BUY
                                 : move_bps < -threshold_bps ? FUNDOS_SIDE_SELL
                                                             : FUNDOS_SIDE_NONE;
            if (side == FUNDOS_SIDE_NONE) {
                continue;
            }
            fundos_intent_record_t intent;
            memset(&intent, 0, sizeof(intent));
            intent.kind = FUNDOS_INTENT_KIND_ORDER;
            intent.instrument_id = entry->instrument_id;
            intent.side = side;
            intent.order_type = FUNDOS_ORDER_TYPE_MARKET;
            intent.time_in_force = FUNDOS_TIME_IN_FORCE_DAY;
            intent.qty = (entry->lot_size > 0 ? entry->lot_size : 1000000) * lots; /* lot_size is raw Quantity */
            intent.snapshot_seq = state.seq;
            rc = fundos_submit_intent(agent, &intent);
            if (rc == FUNDOS_E_RING_FULL) {
                continue; /* the Fund is behind; skip this signal */
            }
            if (rc != FUNDOS_OK) {
                fprintf(stderr, "momentum_agent: submit: %s\n", fundos_strerror(rc));
                stop_requested = 1;
                exit_code = 1;
                break;
            }
            orders++;
            if (!quiet) {
                char symbol[FUNDOS_SYMBOL_LEN + 1];
                symbol_of(entry, symbol);
                printf("seq %llu: %s %s at %.4f (average %.4f, %+.1f bps) intent %llu\n",
                       (unsigned long long)state.seq, side == FUNDOS_SIDE_BUY ? "BUY" : "SELL", symbol, last, mean,
                       move_bps, (unsigned long long)intent.intent_id);
            }
        }

        fundos_intent_record_t done;
        memset(&done, 0, sizeof(done));
        done.kind = FUNDOS_INTENT_KIND_END_OF_ANSWER;
        done.snapshot_seq = state.seq;
        rc = fundos_submit_intent(agent, &done);
        if (rc == FUNDOS_E_QUARANTINED) {
            fprintf(stderr, "momentum_agent: %s\n", fundos_strerror(rc));
            exit_code = 1;
            break;
        }

        size_t n = 0;
        do {
            rc = fundos_poll_reports(agent, reports, sizeof(reports) / sizeof(reports[0]), &n);
            if (rc == FUNDOS_E_REPORTS_LOST) {
                printf("some reports were lost (read too slowly)\n");
                continue;
            }
            for (size_t r = 0; r < n; r++) {
                const fundos_intent_report_t *report = &reports[r];
                const char *kind = fundos_report_kind_name(report->kind);
                const char *reason = fundos_reject_reason_name(report->reason);
                report_count++;
                if (!quiet) {
                    printf("report: intent %llu %s%s%s fill %.6f @ %.4f\n", (unsigned long long)report->intent_id,
                           kind != NULL ? kind : "UNKNOWN", report->reason != 0 ? " " : "",
                           report->reason != 0 ? (reason != NULL ? reason : "UNKNOWN_REASON") : "",
                           fundos_fixed_to_double(report->fill_qty, FUNDOS_QUANTITY_DECIMALS),
                           fundos_fixed_to_double(report->fill_price, FUNDOS_PRICE_DECIMALS));
                }
            }
        } while (rc == FUNDOS_E_REPORTS_LOST || n == sizeof(reports) / sizeof(reports[0]));

        fundos_heartbeat(agent, state.seq);
        if (!quiet) {
            fflush(stdout);
        }
    }

    fundos_agent_status(agent, &info);
    printf("momentum_agent: %llu snapshots, %llu orders, %llu reports, %llu reports lost; detaching\n", snapshots,
           orders, report_count, (unsigned long long)info.reports_lost);
    fundos_detach(agent);
    return exit_code;
}
