/* A channel-breakout agent on the FundOS C SDK.
 *
 * Strategy, for each instrument mapped to this agent, at every snapshot:
 *
 *   price     the mid when both sides are quoted, else the last trade; none: skipped
 *   channels  the highest and lowest price of the previous --entry snapshots (the entry channel)
 *             and of the previous --exit snapshots (the exit channel, shorter)
 *   flat      price above the entry channel: BUY --notional worth (rounded down to whole lots)
 *             with an ORDER MARKET (time in force DAY); below it: SELL as much (with --short)
 *   long      price below the exit channel (the channel reverses): FLATTEN
 *   short     price above the exit channel: FLATTEN
 *
 * The position (and whether an order still works) comes from the agent's book, which the Fund
 * publishes with each snapshot. Then END_OF_ANSWER for the snapshot (every snapshot read, even
 * with nothing to do), reports, heartbeat. Decisions depend only on the snapshots and the book:
 * no randomness, no wall clock.
 *
 * Which instruments: the ones the agent's configuration maps to it, read before attaching with
 * <fundos/config.h> from --config ADDRESS as service --service FUND/AGENT (FUNDOS_CONFIG and
 * FUNDOS_SERVICE, which `fundos run` sets: the Fund's own configuration source); --instruments,
 * comma-separated symbols or ids, narrows them. Without a configuration: the --instruments, or
 * every instrument in the snapshot, less each one the Fund rejects as INSTRUMENT_NOT_MAPPED.
 *
 *   fundos_breakout_agent [--socket PATH] [--agent-id N] [--config ADDRESS --service FUND/AGENT]
 *                         [--entry 20] [--exit 10] [--notional 10000] [--short]
 *                         [--instruments SPY,QQQ] [--wait spin|busy|futex] [--max-snapshots N] [--quiet]
 *
 * --socket, --agent-id, --wait, --config and --service default to FUNDOS_SOCKET, FUNDOS_AGENT_ID,
 * FUNDOS_WAKE, FUNDOS_CONFIG and FUNDOS_SERVICE (`fundos run` sets them); with a configuration the
 * agent id defaults to the configured one (another one is a usage error). Exit status: 0 when the
 * Fund hangs up at the end of the run (FUNDOS_E_DISCONNECTED), on SIGTERM/SIGINT or after
 * --max-snapshots; 1 when attaching fails, the agent is quarantined or the SDK fails; 2 on a usage
 * error or a configuration that cannot be read.
 */
#define _POSIX_C_SOURCE 200809L /* sigaction */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fundos/agent.h>
#include <fundos/config.h>

#define MAX_CHANNEL 256
#define HEARTBEAT_NS UINT64_C(500000000) /* heartbeat this often while no snapshot comes */
#define REPORT_BATCH 64

typedef struct channel {
    uint32_t instrument_id;
    int used;
    int not_mapped; /* the Fund rejected an intent as INSTRUMENT_NOT_MAPPED */
    double prices[MAX_CHANNEL];
    unsigned count; /* prices seen, capped at MAX_CHANNEL */
    unsigned next;
} channel;

typedef struct settings {
    unsigned entry;
    unsigned exit;
    double notional;
    int allow_short;
    int quiet;
    unsigned long long max_snapshots;
    const char *instruments; /* comma-separated symbols or ids; NULL or "": all */
    const fundos_agent_config *config; /* the agent's configuration; NULL: none read */
} settings;

typedef struct counters {
    unsigned long long snapshots, orders, flattens, fills, rejects;
} counters;

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int signo) {
    (void)signo;
    stop_requested = 1;
}

/* Print the usage (to stderr with `why` and exit status 2, or to stdout and 0 for --help). */
static void usage(const char *argv0, const char *why) {
    FILE *out = why != NULL ? stderr : stdout;
    if (why != NULL) {
        fprintf(stderr, "%s: %s\n", argv0, why);
    }
    fprintf(out,
            "usage: %s [--socket PATH] [--agent-id N] [--config ADDRESS --service FUND/AGENT]\n"
            "          [--entry N] [--exit N] [--notional X] [--short] [--instruments SYM,...]\n"
            "          [--wait spin|busy|futex] [--max-snapshots N] [--quiet]\n"
            "  --socket, --agent-id, --wait, --config and --service default to $FUNDOS_SOCKET,\n"
            "  $FUNDOS_AGENT_ID, $FUNDOS_WAKE, $FUNDOS_CONFIG and $FUNDOS_SERVICE\n",
            argv0);
    exit(why != NULL ? 2 : 0);
}

/* Parse a whole decimal number into *out; 0 on success, -1 otherwise. */
static int parse_ulong(const char *text, unsigned long long *out) {
    if (text == NULL || *text == '\0') {
        return -1;
    }
    char *end = NULL;
    unsigned long long value = strtoull(text, &end, 10);
    if (*end != '\0' || text[0] == '-') {
        return -1;
    }
    *out = value;
    return 0;
}

static void symbol_of(const fundos_instrument_entry_t *entry, char out[FUNDOS_SYMBOL_LEN + 1]) {
    memcpy(out, entry->symbol, FUNDOS_SYMBOL_LEN);
    out[FUNDOS_SYMBOL_LEN] = '\0';
}

/* Is the instrument (its symbol, its id) in the operator's list (symbols or ids, comma-separated)?
 * An empty list names every instrument. */
static int in_list(const char *list, const char *symbol, uint32_t instrument_id) {
    if (list == NULL || *list == '\0') {
        return 1;
    }
    char id[16];
    snprintf(id, sizeof(id), "%u", (unsigned)instrument_id);
    const char *token = list;
    while (*token != '\0') {
        const char *end = strchr(token, ',');
        size_t len = end != NULL ? (size_t)(end - token) : strlen(token);
        if ((len == strlen(symbol) && strncmp(token, symbol, len) == 0) ||
            (len == strlen(id) && strncmp(token, id, len) == 0)) {
            return 1;
        }
        if (end == NULL) {
            break;
        }
        token = end + 1;
    }
    return 0;
}

/* Does the agent trade this instrument: mapped to it by its configuration (when one was read) and
 * in the operator's list? */
static int listed(const settings *cfg, const fundos_instrument_entry_t *entry) {
    if (cfg->config != NULL && fundos_agent_config_find_instrument(cfg->config, entry->instrument_id) == NULL) {
        return 0;
    }
    char symbol[FUNDOS_SYMBOL_LEN + 1];
    symbol_of(entry, symbol);
    return in_list(cfg->instruments, symbol, entry->instrument_id);
}

/* With a configuration, every symbol or id in --instruments must be one of the agent's
 * instruments; NULL when they all are, else the first one that is not. */
static const char *unmapped_token(const settings *cfg, char *token, size_t token_len) {
    const char *list = cfg->instruments;
    while (list != NULL && *list != '\0') {
        const char *end = strchr(list, ',');
        size_t len = end != NULL ? (size_t)(end - list) : strlen(list);
        snprintf(token, token_len, "%.*s", (int)len, list);
        int found = len == 0;
        for (size_t i = 0; !found && i < fundos_agent_config_instrument_count(cfg->config); i++) {
            const fundos_config_instrument *ins = fundos_agent_config_instrument(cfg->config, i);
            found = in_list(token, ins->symbol, ins->instrument_id);
        }
        if (!found) {
            return token;
        }
        list = end != NULL ? end + 1 : "";
    }
    return NULL;
}

static channel *find_channel(channel *table, uint32_t instrument_id) {
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

/* Highest and lowest of the last `n` prices in the channel (n <= count). */
static void range_of(const channel *ch, unsigned n, double *high, double *low) {
    *high = -INFINITY;
    *low = INFINITY;
    for (unsigned k = 1; k <= n; k++) {
        double p = ch->prices[(ch->next + MAX_CHANNEL - k) % MAX_CHANNEL];
        *high = p > *high ? p : *high;
        *low = p < *low ? p : *low;
    }
}

static void push(channel *ch, double price) {
    ch->prices[ch->next] = price;
    ch->next = (ch->next + 1) % MAX_CHANNEL;
    if (ch->count < MAX_CHANNEL) {
        ch->count++;
    }
}

static const fundos_position_t *position_of(const fundos_agent_book_t *book, int have_book, uint32_t instrument_id) {
    if (!have_book) {
        return NULL;
    }
    unsigned rows = book->position_count < FUNDOS_MAX_INSTRUMENTS ? book->position_count : FUNDOS_MAX_INSTRUMENTS;
    for (unsigned i = 0; i < rows; i++) {
        if (book->positions[i].instrument_id == instrument_id) {
            return &book->positions[i];
        }
    }
    return NULL;
}

/* Submit one intent; 0, or the SDK's error (printed). */
static int submit(fundos_agent *agent, fundos_intent_record_t *intent) {
    int rc = fundos_submit_intent(agent, intent);
    if (rc != FUNDOS_OK && rc != FUNDOS_E_DISCONNECTED && rc != FUNDOS_E_INTERRUPTED) {
        fprintf(stderr, "breakout_agent: submit: %s\n", fundos_strerror(rc));
    }
    return rc;
}

/* Decide for one instrument; 0, or the SDK's error. */
static int decide(fundos_agent *agent, const settings *cfg, const fundos_fund_state_t *state,
                  const fundos_instrument_entry_t *entry, channel *ch, const fundos_position_t *position,
                  counters *count) {
    double bid = fundos_fixed_to_double(entry->bid, FUNDOS_PRICE_DECIMALS);
    double ask = fundos_fixed_to_double(entry->ask, FUNDOS_PRICE_DECIMALS);
    double price = bid > 0 && ask > 0 ? (bid + ask) / 2 : fundos_fixed_to_double(entry->last, FUNDOS_PRICE_DECIMALS);
    if (price <= 0) {
        return FUNDOS_OK;
    }
    int full = ch->count >= cfg->entry;
    double entry_high = 0, entry_low = 0, exit_high = 0, exit_low = 0;
    if (full) {
        range_of(ch, cfg->entry, &entry_high, &entry_low);
        range_of(ch, cfg->exit, &exit_high, &exit_low);
    }
    push(ch, price);
    int tradable = entry->status == FUNDOS_INSTRUMENT_STATUS_TRADING &&
                   state->trading_state != FUNDOS_TRADING_STATE_HALTED;
    if (!full || !tradable) {
        return FUNDOS_OK;
    }
    int64_t held = position != NULL ? position->qty : 0;
    int64_t working = position != NULL ? position->working_qty : 0;

    fundos_intent_record_t intent;
    memset(&intent, 0, sizeof(intent));
    intent.instrument_id = entry->instrument_id;
    intent.snapshot_seq = state->seq;
    const char *what = NULL;
    if (held == 0 && working == 0) {
        fundos_side_t side = price > entry_high                     ? FUNDOS_SIDE_BUY
                             : price < entry_low && cfg->allow_short ? FUNDOS_SIDE_SELL
                                                                     : FUNDOS_SIDE_NONE;
        if (side == FUNDOS_SIDE_NONE) {
            return FUNDOS_OK;
        }
        int64_t lot = entry->lot_size > 0 ? entry->lot_size : INT64_C(1000000); /* raw Quantity */
        double lots = floor(cfg->notional / (price * fundos_fixed_to_double(lot, FUNDOS_QUANTITY_DECIMALS)));
        if (lots < 1) {
            return FUNDOS_OK;
        }
        intent.kind = FUNDOS_INTENT_KIND_ORDER;
        intent.side = side;
        intent.order_type = FUNDOS_ORDER_TYPE_MARKET;
        intent.time_in_force = FUNDOS_TIME_IN_FORCE_DAY;
        intent.qty = (int64_t)lots * lot;
        what = side == FUNDOS_SIDE_BUY ? "BUY" : "SELL";
        count->orders++;
    } else if ((held > 0 && price < exit_low) || (held < 0 && price > exit_high)) {
        intent.kind = FUNDOS_INTENT_KIND_FLATTEN;
        what = "FLATTEN";
        count->flattens++;
    } else {
        return FUNDOS_OK;
    }
    int rc = submit(agent, &intent);
    if (rc == FUNDOS_OK && !cfg->quiet) {
        char symbol[FUNDOS_SYMBOL_LEN + 1];
        symbol_of(entry, symbol);
        printf("seq %llu: %s %s at %.4f (entry channel %.4f..%.4f, exit %.4f..%.4f) intent %llu\n",
               (unsigned long long)state->seq, what, symbol, price, entry_low, entry_high, exit_low, exit_high,
               (unsigned long long)intent.intent_id);
    }
    return rc;
}

/* Read every waiting report; mark instruments the Fund says are not ours. */
static void read_reports(fundos_agent *agent, channel *channels, const settings *cfg, counters *count) {
    static fundos_intent_report_t reports[REPORT_BATCH];
    size_t n = 0;
    int rc;
    do {
        rc = fundos_poll_reports(agent, reports, REPORT_BATCH, &n);
        if (rc == FUNDOS_E_REPORTS_LOST) {
            fprintf(stderr, "breakout_agent: some reports were lost (read too slowly)\n");
            continue;
        }
        if (rc != FUNDOS_OK) {
            return;
        }
        for (size_t r = 0; r < n; r++) {
            const fundos_intent_report_t *report = &reports[r];
            if (report->kind == FUNDOS_REPORT_KIND_FILLED) {
                count->fills++;
            } else if (report->kind == FUNDOS_REPORT_KIND_REJECTED) {
                count->rejects++;
                if (report->reason == FUNDOS_REJECT_REASON_INSTRUMENT_NOT_MAPPED) {
                    channel *ch = find_channel(channels, report->instrument_id);
                    if (ch != NULL) {
                        ch->not_mapped = 1;
                    }
                } else if (!cfg->quiet) {
                    const char *reason = fundos_reject_reason_name(report->reason);
                    printf("intent %llu rejected: %s\n", (unsigned long long)report->intent_id,
                           reason != NULL ? reason : "UNKNOWN_REASON");
                }
            }
        }
    } while (rc == FUNDOS_E_REPORTS_LOST || n == REPORT_BATCH);
}

int main(int argc, char **argv) {
    fundos_attach_options options;
    fundos_attach_options_init(&options);
    settings cfg = {.entry = 20, .exit = 10, .notional = 10000.0, .allow_short = 0, .quiet = 0,
                    .max_snapshots = 0, .instruments = NULL, .config = NULL};
    const char *config_address = getenv("FUNDOS_CONFIG");
    const char *service = getenv("FUNDOS_SERVICE");
    unsigned long long number = 0;
    char why[4096];
    if (fundos_attach_options_from_env(&options, why, sizeof(why)) != FUNDOS_OK) {
        usage(argv[0], why);
    }
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--quiet") == 0) {
            cfg.quiet = 1;
            continue;
        }
        if (strcmp(arg, "--short") == 0) {
            cfg.allow_short = 1;
            continue;
        }
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(argv[0], NULL);
        }
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (value == NULL) {
            usage(argv[0], "an option is missing its value");
        }
        i++;
        if (strcmp(arg, "--socket") == 0) {
            options.socket_path = value;
        } else if (strcmp(arg, "--agent-id") == 0) {
            if (parse_ulong(value, &number) != 0 || number == 0 || number > UINT32_MAX) {
                usage(argv[0], "--agent-id must be a whole number >= 1");
            }
            options.agent_id = (uint32_t)number;
        } else if (strcmp(arg, "--entry") == 0 || strcmp(arg, "--exit") == 0) {
            if (parse_ulong(value, &number) != 0 || number < 1 || number >= MAX_CHANNEL) {
                usage(argv[0], "--entry and --exit must be 1..255");
            }
            if (strcmp(arg, "--entry") == 0) {
                cfg.entry = (unsigned)number;
            } else {
                cfg.exit = (unsigned)number;
            }
        } else if (strcmp(arg, "--notional") == 0) {
            char *end = NULL;
            cfg.notional = strtod(value, &end);
            if (*end != '\0' || !(cfg.notional > 0) || !isfinite(cfg.notional)) {
                usage(argv[0], "--notional must be a positive number");
            }
        } else if (strcmp(arg, "--instruments") == 0) {
            cfg.instruments = value;
        } else if (strcmp(arg, "--config") == 0) {
            config_address = value;
        } else if (strcmp(arg, "--service") == 0) {
            service = value;
        } else if (strcmp(arg, "--max-snapshots") == 0) {
            if (parse_ulong(value, &cfg.max_snapshots) != 0) {
                usage(argv[0], "--max-snapshots must be a whole number");
            }
        } else if (strcmp(arg, "--wait") == 0) {
            if (fundos_wait_policy_parse(value, &options.wait) != FUNDOS_OK) {
                usage(argv[0], "--wait must be spin, busy or futex");
            }
        } else {
            usage(argv[0], "unknown option");
        }
    }
    /* The agent's configuration, from the Fund's own source, before attaching. */
    fundos_agent_config *config = NULL;
    if (config_address != NULL && *config_address != '\0') {
        if (service == NULL || *service == '\0') {
            usage(argv[0], "--config needs --service FUND/AGENT (or FUNDOS_SERVICE)");
        }
        if (fundos_agent_config_load(config_address, service, &config, why, sizeof(why)) != FUNDOS_OK) {
            fprintf(stderr, "breakout_agent: %s\n", why);
            return 2;
        }
        cfg.config = config;
        char token[64];
        int rc = fundos_attach_options_from_config(&options, config, why, sizeof(why));
        if (rc == FUNDOS_OK && unmapped_token(&cfg, token, sizeof(token)) != NULL) {
            snprintf(why, sizeof(why), "--instruments: %s is not one of the instruments of %s in %s", token,
                     service, fundos_agent_config_source(config));
            rc = FUNDOS_E_INVALID_ARGUMENT;
        }
        if (rc != FUNDOS_OK) {
            fundos_agent_config_free(config);
            usage(argv[0], why);
        }
    }
    if (options.socket_path == NULL || *options.socket_path == '\0') {
        usage(argv[0], "no socket: give --socket or set FUNDOS_SOCKET");
    }
    if (options.agent_id == 0) {
        usage(argv[0], "no agent id: give --agent-id or set FUNDOS_AGENT_ID");
    }
    if (cfg.exit > cfg.entry) {
        usage(argv[0], "--exit must not exceed --entry");
    }

    /* No SA_RESTART: the SDK's waits return FUNDOS_E_INTERRUPTED, and the loop sees the flag. */
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    options.stop_flag = &stop_requested;
    options.ring_full = FUNDOS_RING_FULL_WAIT; /* the Fund drains the ring every step */

    fundos_agent *agent = NULL;
    int rc = fundos_attach(&options, &agent, why, sizeof(why));
    if (rc != FUNDOS_OK) {
        fprintf(stderr, "breakout_agent: cannot attach to %s as agent %u: %s\n", options.socket_path,
                (unsigned)options.agent_id, why);
        fundos_agent_config_free(config);
        return 1;
    }
    if (!cfg.quiet) {
        printf("breakout_agent: attached as agent %u; entry %u, exit %u, notional %g\n", (unsigned)options.agent_id,
               cfg.entry, cfg.exit, cfg.notional);
        if (config != NULL) {
            printf("breakout_agent: %s from %s, instruments", fundos_agent_config_service(config),
                   fundos_agent_config_source(config));
            for (size_t i = 0; i < fundos_agent_config_instrument_count(config); i++) {
                printf("%s%s", i == 0 ? " " : ",", fundos_agent_config_instrument(config, i)->symbol);
            }
            printf("\n");
        }
        fflush(stdout);
    }

    static fundos_fund_state_t state; /* 10 KB: not on the stack */
    static fundos_agent_book_t book;
    static channel channels[FUNDOS_MAX_INSTRUMENTS];
    counters count = {0, 0, 0, 0, 0};
    uint64_t last_seq = 0;
    int exit_code = 0;
    while (!stop_requested && (cfg.max_snapshots == 0 || count.snapshots < cfg.max_snapshots)) {
        rc = fundos_wait_snapshot(agent, last_seq, &state, HEARTBEAT_NS);
        if (rc == FUNDOS_E_TIMEOUT || rc == FUNDOS_E_INTERRUPTED) {
            fundos_heartbeat(agent, 0);
            continue;
        }
        if (rc == FUNDOS_E_DISCONNECTED) {
            if (!cfg.quiet) {
                printf("breakout_agent: the Fund hung up (end of the run)\n");
            }
            break;
        }
        if (rc != FUNDOS_OK) {
            fprintf(stderr, "breakout_agent: wait_snapshot: %s\n", fundos_strerror(rc));
            exit_code = 1;
            break;
        }
        count.snapshots++;
        last_seq = state.seq;
        read_reports(agent, channels, &cfg, &count);
        int have_book = fundos_read_book(agent, &book) == FUNDOS_OK;

        unsigned rows = state.instrument_count < FUNDOS_MAX_INSTRUMENTS ? state.instrument_count
                                                                        : FUNDOS_MAX_INSTRUMENTS;
        for (unsigned i = 0; i < rows && rc == FUNDOS_OK; i++) {
            const fundos_instrument_entry_t *entry = &state.instruments[i];
            if (entry->status == FUNDOS_INSTRUMENT_STATUS_UNUSED || !listed(&cfg, entry)) {
                continue;
            }
            channel *ch = find_channel(channels, entry->instrument_id);
            if (ch == NULL || ch->not_mapped) {
                continue;
            }
            rc = decide(agent, &cfg, &state, entry, ch, position_of(&book, have_book, entry->instrument_id), &count);
        }
        if (rc == FUNDOS_OK) {
            fundos_intent_record_t done;
            memset(&done, 0, sizeof(done));
            done.kind = FUNDOS_INTENT_KIND_END_OF_ANSWER;
            done.snapshot_seq = state.seq;
            rc = submit(agent, &done);
        }
        if (rc == FUNDOS_E_DISCONNECTED || rc == FUNDOS_E_INTERRUPTED) {
            break; /* the end of the run, or a signal while the ring was full */
        }
        if (rc != FUNDOS_OK) {
            exit_code = 1; /* quarantined, or the ring stayed full */
            break;
        }
        fundos_heartbeat(agent, state.seq);
        if (!cfg.quiet) {
            fflush(stdout);
        }
    }

    printf("breakout_agent: %llu snapshots, %llu orders, %llu flattens, %llu fills, %llu rejects\n", count.snapshots,
           count.orders, count.flattens, count.fills, count.rejects);
    fundos_detach(agent);
    fundos_agent_config_free(config);
    return exit_code;
}
