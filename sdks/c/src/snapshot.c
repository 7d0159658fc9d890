/* Snapshots (docs/TRANSPORT.md, "Snapshots: a seqlock latch of SNAPSHOT_SLOTS copies"):
 * the seqlock reader and the busy / spin-yield-futex waits. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "agent_internal.h"

/* A reader retries only while the Fund laps the slot it copies (it is SNAPSHOT_SLOTS - 1
 * snapshots late); this bound only stops a broken writer from holding us forever. */
#define MAX_READ_ATTEMPTS 100000u

int fundos_read_snapshot(fundos_agent *agent, fundos_fund_state_t *out) {
    if (agent == NULL || out == NULL) {
        return FUNDOS_E_INVALID_ARGUMENT;
    }
    const fundos_snapshot_region_t *region = agent->snapshot;
    for (unsigned attempt = 0; attempt < MAX_READ_ATTEMPTS; attempt++) {
        // SYNC POINT: pairs with the Fund's control.latest.store(s, release).
        uint64_t s = fundos_load_acquire_u64(&region->control.latest);
        if (s == 0) {
            return FUNDOS_E_AGAIN;
        }
        const fundos_snapshot_slot_t *slot = &region->slots[s % FUNDOS_SNAPSHOT_SLOTS];
        // SYNC POINT: pairs with the Fund's slot.sequence.store(2*s, release).
        uint64_t v1 = fundos_load_acquire_u64(&slot->sequence);
        if (v1 != 2 * s) {
            fundos_cpu_relax(); /* slot rewritten or being written: start again from latest */
            continue;
        }
        fundos_copy_relaxed(out, &slot->state, sizeof(*out));
        // SYNC POINT: orders the copy's loads before the re-check below (aarch64 may otherwise
        // satisfy them after it); pairs with the Fund's release fence after its odd store.
        atomic_thread_fence(memory_order_acquire);
        uint64_t v2 = fundos_load_relaxed_u64(&slot->sequence);
        if (v2 != v1) {
            continue;
        }
        agent->last_snapshot_seq = out->seq;
        return FUNDOS_OK;
    }
    return FUNDOS_E_AGAIN;
}

uint64_t fundos_snapshot_latest(const fundos_agent *agent) {
    if (agent == NULL) {
        return 0;
    }
    return fundos_load_acquire_u64(&agent->snapshot->control.latest);
}

/* FUTEX_WAIT (shared: the word lives in memory shared between processes, so not
 * FUTEX_WAIT_PRIVATE) while *word == expected, at most timeout_ns. Returns 0 or errno. */
static int futex_wait_shared(const uint32_t *word, uint32_t expected, uint64_t timeout_ns) {
    struct timespec ts;
    ts.tv_sec = (time_t)(timeout_ns / UINT64_C(1000000000));
    ts.tv_nsec = (long)(timeout_ns % UINT64_C(1000000000));
    long rc = syscall(SYS_futex, word, FUTEX_WAIT, expected, &ts, NULL, 0);
    return rc == 0 ? 0 : errno;
}

int fundos_wait_snapshot(fundos_agent *agent, uint64_t after_seq, fundos_fund_state_t *out, uint64_t timeout_ns) {
    if (agent == NULL || out == NULL) {
        return FUNDOS_E_INVALID_ARGUMENT;
    }
    const fundos_snapshot_control_t *control = &agent->snapshot->control;
    uint64_t start = fundos__now_ns();
    uint64_t deadline = timeout_ns == FUNDOS_WAIT_FOREVER || timeout_ns > UINT64_MAX - start ? UINT64_MAX
                                                                                               : start + timeout_ns;
    uint64_t next_hangup_check = start; /* at the first wait, then every 50 ms */
    uint32_t spins = 0, yields = 0;
    for (;;) {
        /* The futex word is loaded before latest: a publish after this load changes the word, so
         * the futex_wait below returns at once instead of sleeping through it. */
        // SYNC POINT: pairs with the Fund's control.futex_word.fetch_add(1, release).
        uint32_t word = fundos_load_acquire_u32(&control->futex_word);
        // SYNC POINT: pairs with the Fund's control.latest.store(s, release).
        uint64_t latest = fundos_load_acquire_u64(&control->latest);
        if (latest > after_seq) {
            int rc = fundos_read_snapshot(agent, out);
            if (rc != FUNDOS_E_AGAIN) {
                return rc;
            }
        }
        if (fundos__stop_requested(agent)) {
            return FUNDOS_E_INTERRUPTED;
        }
        uint64_t now = fundos__now_ns();
        if (now >= next_hangup_check) {
            if (fundos__hung_up(agent)) {
                return FUNDOS_E_DISCONNECTED;
            }
            next_hangup_check = now + FUNDOS_HANGUP_CHECK_NS;
        }
        if (now >= deadline) {
            return FUNDOS_E_TIMEOUT;
        }
        if (agent->wait == FUNDOS_WAIT_BUSY) {
            fundos_cpu_relax();
            continue;
        }
        if (agent->wait == FUNDOS_WAIT_SPIN) {
            if (spins < agent->spin_count) {
                spins++;
                fundos_cpu_relax();
                continue;
            }
            if (yields < agent->yield_count) {
                yields++;
                sched_yield();
                continue;
            }
        }
        /* Sleep in slices so a hang-up is seen even if no wake ever comes. */
        uint64_t slice = deadline - now;
        if (slice > FUNDOS_HANGUP_CHECK_NS) {
            slice = FUNDOS_HANGUP_CHECK_NS;
        }
        int err = futex_wait_shared(&control->futex_word, word, slice);
        if (err == EINTR) {
            return FUNDOS_E_INTERRUPTED;
        }
        /* 0 (woken), EAGAIN (the word changed), ETIMEDOUT (slice over): look again. */
    }
}
