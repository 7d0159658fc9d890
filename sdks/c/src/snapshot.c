/* Snapshots (docs/TRANSPORT.md, "Snapshots: a seqlock latch of SNAPSHOT_SLOTS copies"):
 * the seqlock reader and the busy / spin-yield-futex waits. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "agent_internal.h"

/* A reader retries only while the Fund laps the slot it copies (it is SNAPSHOT_SLOTS - 1
 * snapshots late); this bound only stops a broken writer from holding us forever. */
#define MAX_READ_ATTEMPTS 100000u

/* The part of FundState before the row tables: seq, clock, counts, fund-wide figures. */
#define STATE_HEAD_BYTES offsetof(fundos_fund_state_t, instruments)
_Static_assert(STATE_HEAD_BYTES % 8 == 0, "FundState's head is copied in 8-byte words");
_Static_assert(sizeof(fundos_instrument_entry_t) % 8 == 0, "InstrumentEntry is copied in 8-byte words");
_Static_assert(sizeof(fundos_agent_slot_t) % 8 == 0, "AgentSlot is copied in 8-byte words");
_Static_assert(offsetof(fundos_fund_state_t, agents) ==
                   offsetof(fundos_fund_state_t, instruments) + sizeof(((fundos_fund_state_t *)0)->instruments),
               "FundState ends with its two row tables");

/* The Fund wrote every line of slot s before it published s, most of them in our cache before
 * (an older snapshot in that slot) and now invalidated: ask for them all at once, so that they
 * travel from the Fund's core together instead of one dependent load after another (latest, then
 * the sequence, then the head with the counts, then the rows). The rows are those the last copy
 * had in use; the loads below read what is there, whatever was prefetched. */
static void prefetch_slot(const fundos_agent *agent, const fundos_snapshot_slot_t *slot) {
    fundos_prefetch(&slot->sequence);
    for (size_t at = 0; at < STATE_HEAD_BYTES; at += 64) {
        fundos_prefetch((const char *)&slot->state + at);
    }
    const char *rows = (const char *)slot->state.instruments;
    for (size_t at = 0; at < agent->rows_hint_instruments * sizeof(slot->state.instruments[0]); at += 64) {
        fundos_prefetch(rows + at);
    }
    rows = (const char *)slot->state.agents;
    for (size_t at = 0; at < agent->rows_hint_agents * sizeof(slot->state.agents[0]); at += 64) {
        fundos_prefetch(rows + at);
    }
}

/* The seqlock read. Rows [count, *zero_instruments) and [count, *zero_agents) of *out are zeroed
 * after the copy; the caller knows the rows from there on are zero already (FUNDOS_MAX_*: zero
 * every row past the counts; 0: none). A copy that fails its sequence check may have written rows
 * past those bounds (its counts came from a torn head): the bounds are raised to cover them, so
 * that the copy that succeeds, or the caller's next zeroing, clears them. */
static int read_snapshot(fundos_agent *agent, fundos_fund_state_t *out, size_t *zero_instruments,
                         size_t *zero_agents) {
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
        prefetch_slot(agent, slot);
        // SYNC POINT: pairs with the Fund's slot.sequence.store(2*s, release).
        uint64_t v1 = fundos_load_acquire_u64(&slot->sequence);
        if (v1 != 2 * s) {
            fundos_cpu_relax(); /* slot rewritten or being written: start again from latest */
            continue;
        }
        /* The head, then only the rows in use. The counts come from our copy of the head: if the
         * Fund rewrote the slot meanwhile they may be garbage, so they are clamped (the copy stays
         * inside the slot) and the sequence check below throws the whole copy away. */
        fundos_copy_relaxed(out, &slot->state, STATE_HEAD_BYTES);
        size_t instruments = out->instrument_count < FUNDOS_MAX_INSTRUMENTS ? out->instrument_count
                                                                             : FUNDOS_MAX_INSTRUMENTS;
        size_t agents = out->agent_count < FUNDOS_MAX_AGENTS ? out->agent_count : FUNDOS_MAX_AGENTS;
        fundos_copy_relaxed(out->instruments, slot->state.instruments, instruments * sizeof(out->instruments[0]));
        fundos_copy_relaxed(out->agents, slot->state.agents, agents * sizeof(out->agents[0]));
        if (instruments > *zero_instruments) {
            *zero_instruments = instruments; /* written: no longer known to be zero */
        }
        if (agents > *zero_agents) {
            *zero_agents = agents;
        }
        // SYNC POINT: orders the copy's loads before the re-check below (aarch64 may otherwise
        // satisfy them after it); pairs with the Fund's release fence after its odd store.
        atomic_thread_fence(memory_order_acquire);
        uint64_t v2 = fundos_load_relaxed_u64(&slot->sequence);
        if (v2 != v1) {
            continue;
        }
        /* Consistent. The rows not in use are zero, whatever the caller's buffer held. */
        out->instrument_count = (uint16_t)instruments;
        out->agent_count = (uint16_t)agents;
        if (*zero_instruments > instruments) {
            memset(&out->instruments[instruments], 0, (*zero_instruments - instruments) * sizeof(out->instruments[0]));
        }
        if (*zero_agents > agents) {
            memset(&out->agents[agents], 0, (*zero_agents - agents) * sizeof(out->agents[0]));
        }
        agent->last_snapshot_seq = out->seq;
        agent->rows_hint_instruments = (uint16_t)instruments;
        agent->rows_hint_agents = (uint16_t)agents;
        return FUNDOS_OK;
    }
    return FUNDOS_E_AGAIN;
}

int fundos__read_snapshot(fundos_agent *agent, fundos_fund_state_t *out, int zero_unused_rows) {
    size_t zero_instruments = zero_unused_rows ? FUNDOS_MAX_INSTRUMENTS : 0;
    size_t zero_agents = zero_unused_rows ? FUNDOS_MAX_AGENTS : 0;
    return read_snapshot(agent, out, &zero_instruments, &zero_agents);
}

int fundos_read_snapshot(fundos_agent *agent, fundos_fund_state_t *out) {
    return fundos__read_snapshot(agent, out, 1);
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

/* While spinning, the clock (deadline, hang-up check) is read once every this many polls: a
 * clock read costs as much as a few polls, and the poll loop's period is the latency it adds. */
#define CLOCK_EVERY_POLLS 64u

int fundos_wait_snapshot(fundos_agent *agent, uint64_t after_seq, fundos_fund_state_t *out, uint64_t timeout_ns) {
    return fundos__wait_snapshot(agent, after_seq, out, timeout_ns, 1);
}

int fundos__wait_snapshot(fundos_agent *agent, uint64_t after_seq, fundos_fund_state_t *out, uint64_t timeout_ns,
                          int zero_unused_rows) {
    if (agent == NULL || out == NULL) {
        return FUNDOS_E_INVALID_ARGUMENT;
    }
    const fundos_snapshot_control_t *control = &agent->snapshot->control;
    const int busy = agent->wait == FUNDOS_WAIT_BUSY;
    uint64_t deadline = UINT64_MAX, next_hangup_check = 0;
    uint32_t spins = 0, yields = 0;
    int started = 0;
    /* The rows of *out to zero after the copy (see read_snapshot): all past the counts, until
     * the wait has to wait; then the rows past the last copy's counts are zeroed at once, while
     * nothing else is to be done, and after the copy only those between the new counts and the
     * last ones are left to zero. */
    size_t zero_instruments = zero_unused_rows ? FUNDOS_MAX_INSTRUMENTS : 0;
    size_t zero_agents = zero_unused_rows ? FUNDOS_MAX_AGENTS : 0;
    for (uint32_t poll = 0;; poll++) {
        /* The futex word is loaded before latest: a publish after this load changes the word, so
         * the futex_wait below returns at once instead of sleeping through it. A busy wait never
         * sleeps and skips it. */
        // SYNC POINT: pairs with the Fund's release store of control.futex_word (word + 1).
        uint32_t word = busy ? 0 : fundos_load_acquire_u32(&control->futex_word);
        // SYNC POINT: pairs with the Fund's control.latest.store(s, release).
        uint64_t latest = fundos_load_acquire_u64(&control->latest);
        if (latest > after_seq) {
            int rc = read_snapshot(agent, out, &zero_instruments, &zero_agents);
            if (rc != FUNDOS_E_AGAIN) {
                return rc;
            }
        }
        if (zero_instruments > agent->rows_hint_instruments || zero_agents > agent->rows_hint_agents) {
            zero_instruments = agent->rows_hint_instruments;
            zero_agents = agent->rows_hint_agents;
            memset(&out->instruments[zero_instruments], 0,
                   (FUNDOS_MAX_INSTRUMENTS - zero_instruments) * sizeof(out->instruments[0]));
            memset(&out->agents[zero_agents], 0, (FUNDOS_MAX_AGENTS - zero_agents) * sizeof(out->agents[0]));
        }
        if (fundos__stop_requested(agent)) {
            return FUNDOS_E_INTERRUPTED;
        }
        int spinning = busy || (agent->wait == FUNDOS_WAIT_SPIN && spins < agent->spin_count);
        if (!spinning || poll % CLOCK_EVERY_POLLS == 0) {
            uint64_t now = fundos__now_ns();
            if (!started) { /* the wait starts: nothing was there at the first look */
                started = 1;
                deadline = timeout_ns == FUNDOS_WAIT_FOREVER || timeout_ns > UINT64_MAX - now ? UINT64_MAX
                                                                                               : now + timeout_ns;
                next_hangup_check = now;
            }
            if (now >= next_hangup_check) {
                if (fundos__hung_up(agent)) {
                    return FUNDOS_E_DISCONNECTED;
                }
                next_hangup_check = now + FUNDOS_HANGUP_CHECK_NS;
            }
            if (now >= deadline) {
                return FUNDOS_E_TIMEOUT;
            }
            if (!spinning) {
                if (agent->wait == FUNDOS_WAIT_SPIN && yields < agent->yield_count) {
                    yields++;
                    sched_yield();
                    continue;
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
                continue;
            }
        }
        if (!busy) {
            spins++;
        }
        fundos_cpu_relax();
    }
}
