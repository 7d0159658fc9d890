/* The seqlock reader against a writer thread that publishes as fast as it can (docs/TRANSPORT.md
 * writer protocol, C11 atomics; like the Fund, the writer stores only the head and the rows in
 * use). Every word of each published FundState is derived from its seq, and so are its counts,
 * which jump up and down from one snapshot to the next: the reader checks every word of every
 * copy it gets, so a torn copy is caught, and so is a stale row (left in the slot by an older
 * snapshot with larger counts) handed out past the counts, where the copy must hold zeros.
 * Then the futex wait: a slow writer, a reader sleeping in futex_wait for each snapshot. */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "fake_fund.h"

#define WORDS (sizeof(fundos_fund_state_t) / 8)

static uint64_t pattern(uint64_t seq, size_t word) {
    return (seq * UINT64_C(0x9E3779B97F4A7C15)) ^ (word * UINT64_C(0xD1B54A32D192ED03));
}

/* 0..MAX for most seqs, sometimes above MAX (the reader clamps), never monotonic. */
static uint16_t instrument_count(uint64_t seq) { return (uint16_t)((seq * 37) % (FUNDOS_MAX_INSTRUMENTS + 9)); }
static uint16_t agent_count(uint64_t seq) { return (uint16_t)((seq * 13) % (FUNDOS_MAX_AGENTS + 5)); }

static void fill(fundos_fund_state_t *state, uint64_t seq) {
    uint64_t words[WORDS];
    for (size_t i = 0; i < WORDS; i++) {
        words[i] = pattern(seq, i);
    }
    memcpy(state, words, sizeof(words));
    state->seq = seq; /* word 0 is seq itself */
    state->instrument_count = instrument_count(seq);
    state->agent_count = agent_count(seq);
}

/* What a reader must get for snapshot seq: the head and the rows in use as published, the counts
 * clamped, zeros past them. */
static void expected(fundos_fund_state_t *state, uint64_t seq) {
    fill(state, seq);
    size_t ni = state->instrument_count < FUNDOS_MAX_INSTRUMENTS ? state->instrument_count : FUNDOS_MAX_INSTRUMENTS;
    size_t na = state->agent_count < FUNDOS_MAX_AGENTS ? state->agent_count : FUNDOS_MAX_AGENTS;
    state->instrument_count = (uint16_t)ni;
    state->agent_count = (uint16_t)na;
    memset(&state->instruments[ni], 0, (FUNDOS_MAX_INSTRUMENTS - ni) * sizeof(state->instruments[0]));
    memset(&state->agents[na], 0, (FUNDOS_MAX_AGENTS - na) * sizeof(state->agents[0]));
}

static void verify(const fundos_fund_state_t *state) {
    static fundos_fund_state_t want_state; /* reader thread only */
    expected(&want_state, state->seq);
    uint64_t got[WORDS], want[WORDS];
    memcpy(got, state, sizeof(got));
    memcpy(want, &want_state, sizeof(want));
    for (size_t i = 1; i < WORDS; i++) {
        if (got[i] != want[i]) {
            fprintf(stderr, "%s snapshot: seq %llu (%u instruments, %u agents), word %zu is 0x%016llx, expected 0x%016llx\n",
                    i * 8 < offsetof(fundos_fund_state_t, instruments) || want[i] != 0 ? "torn" : "stale row in",
                    (unsigned long long)state->seq, (unsigned)want_state.instrument_count,
                    (unsigned)want_state.agent_count, i, (unsigned long long)got[i], (unsigned long long)want[i]);
            exit(1);
        }
    }
}

/* Single-threaded: a snapshot with every row in use into every slot, then snapshots with fewer
 * rows into every slot, read into a buffer full of 0xff bytes: only zeros past the counts. */
static void shrinking_counts_leave_no_stale_rows(fundos_agent *agent, fake_fund *fund) {
    static fundos_fund_state_t state, copy;
    uint64_t first = fundos_snapshot_latest(agent) + 1;
    for (uint64_t s = first; s < first + FUNDOS_SNAPSHOT_SLOTS; s++) {
        memset(&state, 0xA5, sizeof(state));
        state.instrument_count = FUNDOS_MAX_INSTRUMENTS;
        state.agent_count = FUNDOS_MAX_AGENTS;
        FAKE_FUND_CHECK(fake_fund_publish(fund, &state) == s);
    }
    for (uint16_t keep = 3; keep-- > 0;) {
        for (unsigned n = 0; n < FUNDOS_SNAPSHOT_SLOTS; n++) {
            memset(&state, 0, sizeof(state));
            state.instrument_count = keep;
            state.agent_count = keep;
            for (uint16_t i = 0; i < keep; i++) {
                state.instruments[i].instrument_id = 100u + i;
                state.agents[i].agent_id = 200u + i;
            }
            fake_fund_publish(fund, &state);
            memset(&copy, 0xFF, sizeof(copy));
            FAKE_FUND_CHECK(fundos_read_snapshot(agent, &copy) == FUNDOS_OK);
            FAKE_FUND_CHECK(memcmp(&copy, &state, sizeof(copy)) == 0); /* rows in use, then zeros */
        }
    }
    /* counts above the maximum: clamped, every row copied */
    memset(&state, 0x5A, sizeof(state));
    state.instrument_count = FUNDOS_MAX_INSTRUMENTS + 1;
    state.agent_count = UINT16_MAX;
    fake_fund_publish(fund, &state);
    memset(&copy, 0, sizeof(copy));
    FAKE_FUND_CHECK(fundos_read_snapshot(agent, &copy) == FUNDOS_OK);
    FAKE_FUND_CHECK(copy.instrument_count == FUNDOS_MAX_INSTRUMENTS && copy.agent_count == FUNDOS_MAX_AGENTS);
    state.instrument_count = FUNDOS_MAX_INSTRUMENTS;
    state.agent_count = FUNDOS_MAX_AGENTS;
    FAKE_FUND_CHECK(memcmp(&copy, &state, sizeof(copy)) == 0);
    printf("shrinking counts: no stale rows, counts clamped\n");
}

typedef struct writer_args {
    fake_fund *fund;
    atomic_int stop;
    uint64_t published;
    long pause_ns;
} writer_args;

static void *writer(void *arg) {
    writer_args *args = arg;
    static fundos_fund_state_t state;
    while (!atomic_load(&args->stop)) {
        uint64_t next = args->published + 1;
        fill(&state, next);
        FAKE_FUND_CHECK(fake_fund_publish(args->fund, &state) == next);
        args->published = next;
        if (args->pause_ns > 0) {
            struct timespec pause = {.tv_sec = 0, .tv_nsec = args->pause_ns};
            nanosleep(&pause, NULL);
        }
    }
    return NULL;
}

static double seconds_since(const struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static fundos_agent *attach(fake_fund *fund, fundos_wait_policy wait) {
    fake_fund_start(fund, NULL, NULL);
    fundos_attach_options options;
    fake_fund_options(fund, &options, 1);
    options.wait = wait;
    fundos_agent *agent = NULL;
    char why[256];
    int rc = fundos_attach(&options, &agent, why, sizeof(why));
    if (rc != FUNDOS_OK) {
        fprintf(stderr, "attach: %s\n", why);
        exit(1);
    }
    fake_fund_join(fund);
    return agent;
}

int main(void) {
    static fundos_fund_state_t copy;

    /* 1. racing reader: read_snapshot in a loop while the writer publishes flat out */
    fake_fund fund;
    fundos_agent *agent = attach(&fund, FUNDOS_WAIT_BUSY);
    shrinking_counts_leave_no_stale_rows(agent, &fund);
    writer_args args = {.fund = &fund, .published = fundos_snapshot_latest(agent), .pause_ns = 0};
    atomic_init(&args.stop, 0);
    /* Read before the writer starts: the writer thread updates args.published as it publishes. */
    const uint64_t before = args.published;
    pthread_t thread;
    FAKE_FUND_CHECK(pthread_create(&thread, NULL, writer, &args) == 0);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    uint64_t reads = 0, last = 0, distinct = 0;
    while (seconds_since(&start) < 1.0) {
        int rc = fundos_read_snapshot(agent, &copy);
        if (rc == FUNDOS_E_AGAIN) {
            continue;
        }
        FAKE_FUND_CHECK(rc == FUNDOS_OK);
        if (copy.seq <= before) {
            continue; /* the shrinking test's last snapshot, before the writer's first */
        }
        verify(&copy);
        FAKE_FUND_CHECK(copy.seq >= last); /* never older than what we saw */
        distinct += copy.seq != last;
        last = copy.seq;
        reads++;
    }
    atomic_store(&args.stop, 1);
    pthread_join(thread, NULL);
    printf("racing reads: %llu consistent copies (%llu distinct) while %llu snapshots were published\n",
           (unsigned long long)reads, (unsigned long long)distinct, (unsigned long long)args.published);
    FAKE_FUND_CHECK(reads > 100 && distinct > 10);

    /* 2. wait_snapshot busy: every copy newer than the previous one */
    atomic_store(&args.stop, 0);
    FAKE_FUND_CHECK(pthread_create(&thread, NULL, writer, &args) == 0);
    last = fundos_snapshot_latest(agent);
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int i = 0; i < 20000 && seconds_since(&start) < 0.5; i++) {
        FAKE_FUND_CHECK(fundos_wait_snapshot(agent, last, &copy, 2000000000) == FUNDOS_OK);
        verify(&copy);
        FAKE_FUND_CHECK(copy.seq > last);
        last = copy.seq;
    }
    atomic_store(&args.stop, 1);
    pthread_join(thread, NULL);
    /* a busy wait reads the clock only every few polls: its timeouts still end it on time */
    last = fundos_snapshot_latest(agent);
    FAKE_FUND_CHECK(fundos_wait_snapshot(agent, last, &copy, 0) == FUNDOS_E_TIMEOUT);
    clock_gettime(CLOCK_MONOTONIC, &start);
    FAKE_FUND_CHECK(fundos_wait_snapshot(agent, last, &copy, 20000000) == FUNDOS_E_TIMEOUT);
    double waited = seconds_since(&start);
    FAKE_FUND_CHECK(waited >= 0.019 && waited < 1.0);
    FAKE_FUND_CHECK(fundos_wait_snapshot(agent, last - 1, &copy, 0) == FUNDOS_OK && copy.seq == last);
    fundos_detach(agent);
    fake_fund_stop(&fund);

    /* 3. futex wait, and spin-yield-futex: slow writer (one snapshot per 200 us) */
    fundos_wait_policy policies[2] = {FUNDOS_WAIT_FUTEX, FUNDOS_WAIT_SPIN};
    for (int p = 0; p < 2; p++) {
        agent = attach(&fund, policies[p]);
        writer_args slow = {.fund = &fund, .published = 0, .pause_ns = 200000};
        atomic_init(&slow.stop, 0);
        FAKE_FUND_CHECK(pthread_create(&thread, NULL, writer, &slow) == 0);
        last = 0;
        int woken = 0;
        clock_gettime(CLOCK_MONOTONIC, &start);
        while (woken < 500) {
            /* whatever the buffer held, only the snapshot and zeros come out (the rows past the
             * last counts are zeroed while waiting, the others after the copy) */
            memset(&copy, woken % 2 ? 0xFF : 0x00, sizeof(copy));
            int rc = fundos_wait_snapshot(agent, last, &copy, 2000000000);
            FAKE_FUND_CHECK(rc == FUNDOS_OK);
            verify(&copy);
            FAKE_FUND_CHECK(copy.seq > last);
            last = copy.seq;
            woken++;
        }
        double elapsed = seconds_since(&start);
        atomic_store(&slow.stop, 1);
        pthread_join(thread, NULL);
        printf("%s wait: %d snapshots in %.3f s (writer published %llu)\n", p == 0 ? "futex" : "spin", woken, elapsed,
               (unsigned long long)slow.published);
        /* timeout with no writer */
        FAKE_FUND_CHECK(fundos_wait_snapshot(agent, last + 1000, &copy, 20000000) == FUNDOS_E_TIMEOUT);
        /* hang-up seen while waiting */
        fake_fund_hangup(&fund);
        FAKE_FUND_CHECK(fundos_wait_snapshot(agent, last + 1000, &copy, FUNDOS_WAIT_FOREVER) == FUNDOS_E_DISCONNECTED);
        fundos_detach(agent);
        fake_fund_stop(&fund);
    }
    printf("ok: seqlock\n");
    return 0;
}
