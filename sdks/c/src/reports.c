/* Reports and the book (docs/TRANSPORT.md, "Reports: Fund -> agent ring, and the agent's book").
 *
 * The Fund never waits for an agent, so a slow reader can be lapped while it copies a slot.
 * Report number r lives in ring[r & (REPORT_RING_SLOTS-1)] with commit == r + 1. A copy of r is
 * kept only if, after it (acquire fence), the slot's commit is still r + 1 and reports_written
 * is still below r + REPORT_RING_SLOTS: the Fund starts overwriting r's slot only after it has
 * published report r + REPORT_RING_SLOTS - 1 (reports_written == r + REPORT_RING_SLOTS), and it
 * marks nothing while it overwrites, so a reader a full ring behind counts the oldest slot as
 * lost rather than risk a torn copy. */
#include "agent_internal.h"

#include <stddef.h>
#include <string.h>

#define MAX_READ_ATTEMPTS 100000u
/* AgentBook up to its position table (the Fund's kBookHeadBytes). */
#define BOOK_HEAD_BYTES offsetof(fundos_agent_book_t, positions)
_Static_assert(BOOK_HEAD_BYTES % 8 == 0, "the book's head is copied in 8-byte words");

/* Jump to the oldest report still present and count the ones skipped. */
static int lost_reports(struct fundos_agent *agent) {
    const fundos_report_control_t *control = &agent->reports->control;
    uint64_t written = fundos_load_acquire_u64(&control->reports_written);
    /* The oldest slot, written - REPORT_RING_SLOTS, is the next one the Fund overwrites (and may be
     * overwriting now): the oldest report that can be read whole is the one after it. */
    uint64_t oldest = written >= FUNDOS_REPORT_RING_SLOTS ? written - FUNDOS_REPORT_RING_SLOTS + 1 : 0;
    if (oldest <= agent->report_pos) {
        oldest = agent->report_pos + 1; /* lapped while copying: the one being copied is gone */
    }
    agent->reports_lost += oldest - agent->report_pos;
    agent->report_pos = oldest;
    return FUNDOS_E_REPORTS_LOST;
}

int fundos_poll_reports(fundos_agent *agent, fundos_intent_report_t *out, size_t capacity, size_t *count) {
    if (count != NULL) {
        *count = 0;
    }
    if (agent == NULL || count == NULL || (out == NULL && capacity > 0)) {
        return FUNDOS_E_INVALID_ARGUMENT;
    }
    const fundos_agent_report_region_t *region = agent->reports;
    /* The next report's slot is written before reports_written: ask for its line together with
     * reports_written's, so that a new report costs one trip between the cores, not two. */
    fundos_prefetch(&region->ring[agent->report_pos & (FUNDOS_REPORT_RING_SLOTS - 1)]);
    // SYNC POINT: pairs with the Fund's reports_written.store(r + 1, release).
    uint64_t written = fundos_load_acquire_u64(&region->control.reports_written);
    if (written < agent->report_pos) {
        return FUNDOS_E_PROTOCOL; /* the counter went backwards */
    }
    if (written - agent->report_pos >= FUNDOS_REPORT_RING_SLOTS) {
        return lost_reports(agent);
    }
    size_t n = 0;
    while (n < capacity && agent->report_pos < written) {
        uint64_t r = agent->report_pos;
        const fundos_intent_report_t *slot = &region->ring[r & (FUNDOS_REPORT_RING_SLOTS - 1)];
        // SYNC POINT: pairs with the Fund's slot.commit.store(r + 1, release).
        uint64_t c1 = fundos_load_acquire_u64(&slot->commit);
        if (c1 != r + 1) {
            if (c1 < r + 1) {
                *count = n;
                return FUNDOS_E_PROTOCOL; /* reports_written covers r, but its slot was never committed */
            }
            if (n > 0) {
                break; /* hand out what we have; the loss is reported on the next call */
            }
            return lost_reports(agent);
        }
        fundos_copy_relaxed(&out[n], slot, sizeof(*slot));
        // SYNC POINT: orders the copy before the re-checks below.
        atomic_thread_fence(memory_order_acquire);
        uint64_t c2 = fundos_load_relaxed_u64(&slot->commit);
        uint64_t written_now = fundos_load_relaxed_u64(&region->control.reports_written);
        if (c2 != c1 || written_now >= r + FUNDOS_REPORT_RING_SLOTS) {
            if (n > 0) {
                break;
            }
            return lost_reports(agent);
        }
        agent->report_pos = r + 1;
        n++;
    }
    *count = n;
    return FUNDOS_OK;
}

int fundos_read_book(fundos_agent *agent, fundos_agent_book_t *out) {
    if (agent == NULL || out == NULL) {
        return FUNDOS_E_INVALID_ARGUMENT;
    }
    const fundos_agent_book_slot_t *slot = &agent->reports->book;
    for (unsigned attempt = 0; attempt < MAX_READ_ATTEMPTS; attempt++) {
        // SYNC POINT: pairs with the Fund's book.sequence.store(2*n, release).
        uint64_t v1 = fundos_load_acquire_u64(&slot->sequence);
        if (v1 == 0) {
            return FUNDOS_E_AGAIN;
        }
        if (v1 & 1) {
            fundos_cpu_relax(); /* being written */
            continue;
        }
        /* The head, then the position rows in use (the Fund writes no others). The count comes
         * from our copy: garbage if the book is being rewritten, so clamped, and the sequence
         * check below throws that copy away. */
        fundos_copy_relaxed(out, &slot->book, BOOK_HEAD_BYTES);
        size_t rows = out->position_count < FUNDOS_MAX_INSTRUMENTS ? out->position_count : FUNDOS_MAX_INSTRUMENTS;
        fundos_copy_relaxed(out->positions, slot->book.positions, rows * sizeof(out->positions[0]));
        // SYNC POINT: orders the copy before the re-check; pairs with the Fund's release fence
        // after its odd store.
        atomic_thread_fence(memory_order_acquire);
        if (fundos_load_relaxed_u64(&slot->sequence) == v1) {
            out->position_count = (uint16_t)rows;
            memset(&out->positions[rows], 0, (FUNDOS_MAX_INSTRUMENTS - rows) * sizeof(out->positions[0]));
            return FUNDOS_OK;
        }
    }
    return FUNDOS_E_AGAIN;
}
