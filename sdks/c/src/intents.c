/* Intents (docs/TRANSPORT.md, "Intents: one SPSC ring per agent"): the producer side, and the
 * heartbeat (docs/TRANSPORT.md, "Liveness"). */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <time.h>

#include "agent_internal.h"

/* Back off while the ring is full: spin a little, then yield, then sleep 50 us at a time (the
 * Fund polls rings; there is nothing to wake us). Returns 0 or FUNDOS_E_INTERRUPTED. */
static int backoff(unsigned round) {
    if (round < 64) {
        fundos_cpu_relax();
        return FUNDOS_OK;
    }
    if (round < 128) {
        sched_yield();
        return FUNDOS_OK;
    }
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 50000};
    if (nanosleep(&pause, NULL) != 0 && errno == EINTR) {
        return FUNDOS_E_INTERRUPTED;
    }
    return FUNDOS_OK;
}

/* Wait until ring position p is free: p - intents_consumed < INTENT_RING_SLOTS. */
static int wait_for_room(struct fundos_agent *agent, uint64_t p) {
    const fundos_report_control_t *control = &agent->reports->control;
    uint64_t deadline = 0, next_hangup_check = 0;
    for (unsigned round = 0;; round++) {
        // SYNC POINT: pairs with the Fund's intents_consumed.store(q, release), after its copy.
        uint64_t consumed = fundos_load_acquire_u64(&control->intents_consumed);
        if (consumed > p) {
            return FUNDOS_E_PROTOCOL; /* the Fund claims to have consumed records never written */
        }
        if (p - consumed < FUNDOS_INTENT_RING_SLOTS) {
            return FUNDOS_OK;
        }
        if (fundos__quarantined(agent)) {
            return FUNDOS_E_QUARANTINED; /* the ring is no longer read: it would never drain */
        }
        if (agent->ring_full == FUNDOS_RING_FULL_FAIL) {
            return FUNDOS_E_RING_FULL;
        }
        if (fundos__stop_requested(agent)) {
            return FUNDOS_E_INTERRUPTED;
        }
        uint64_t now = fundos__now_ns();
        if (round == 0) {
            deadline = agent->ring_full_timeout_ns > UINT64_MAX - now ? UINT64_MAX : now + agent->ring_full_timeout_ns;
            next_hangup_check = now;
        }
        if (now >= next_hangup_check) {
            if (fundos__hung_up(agent)) {
                return FUNDOS_E_DISCONNECTED;
            }
            next_hangup_check = now + FUNDOS_HANGUP_CHECK_NS;
        }
        if (round > 0 && now >= deadline) {
            return FUNDOS_E_RING_FULL;
        }
        int rc = backoff(round);
        if (rc != FUNDOS_OK) {
            return rc;
        }
    }
}

int fundos_submit_intent(fundos_agent *agent, fundos_intent_record_t *intent) {
    if (agent == NULL || intent == NULL) {
        return FUNDOS_E_INVALID_ARGUMENT;
    }
    if (intent->agent_id != 0 && intent->agent_id != agent->agent_id) {
        return FUNDOS_E_INVALID_ARGUMENT;
    }
    uint64_t intent_id = intent->intent_id != 0 ? intent->intent_id : agent->last_intent_id + 1;
    if (intent_id <= agent->last_intent_id) {
        return FUNDOS_E_INVALID_ARGUMENT; /* ids strictly increase per agent */
    }
    if (fundos__quarantined(agent)) {
        return FUNDOS_E_QUARANTINED;
    }
    uint64_t p = agent->intent_pos;
    int rc = wait_for_room(agent, p);
    if (rc != FUNDOS_OK) {
        return rc;
    }

    /* Every field but commit, from the caller's named fields only: padding and reserved bytes
     * are zero whatever the caller's struct held. */
    fundos_intent_record_t record;
    memset(&record, 0, sizeof(record));
    record.intent_id = intent_id;
    record.snapshot_seq = intent->snapshot_seq != 0 ? intent->snapshot_seq : agent->last_snapshot_seq;
    record.ref_intent_id = intent->ref_intent_id;
    record.agent_id = agent->agent_id;
    record.instrument_id = intent->instrument_id;
    record.kind = intent->kind;
    record.side = intent->side;
    record.order_type = intent->order_type;
    record.time_in_force = intent->time_in_force;
    record.qty = intent->qty;
    record.limit_price = intent->limit_price;
    record.client_tag = intent->client_tag;

    fundos_intent_record_t *slot = &agent->intents->ring[p & (FUNDOS_INTENT_RING_SLOTS - 1)];
    _Static_assert(offsetof(fundos_intent_record_t, commit) == 0, "commit is the record's first word");
    /* Plain stores: the Fund reads these bytes only after it has seen the commit below. */
    memcpy((unsigned char *)slot + sizeof(slot->commit), (const unsigned char *)&record + sizeof(record.commit),
           sizeof(record) - sizeof(record.commit));
    // SYNC POINT: pairs with the Fund's slot.commit.load(acquire); publishes the fields above.
    fundos_store_release_u64(&slot->commit, p + 1);

    agent->intent_pos = p + 1;
    agent->last_intent_id = intent_id;
    intent->agent_id = record.agent_id;
    intent->intent_id = record.intent_id;
    intent->snapshot_seq = record.snapshot_seq;
    return FUNDOS_OK;
}

int fundos_heartbeat(fundos_agent *agent, uint64_t answered_seq) {
    if (agent == NULL) {
        return FUNDOS_E_INVALID_ARGUMENT;
    }
    fundos_agent_heartbeat_t *heartbeat = &agent->intents->heartbeat;
    if (answered_seq != 0) {
        // SYNC POINT: release: the intents written for this snapshot are visible before it.
        fundos_store_release_u64(&heartbeat->answered_seq, answered_seq);
    }
    agent->heartbeat_counter++;
    /* The Fund only looks for a change, on its own clock. */
    fundos_store_relaxed_u64(&heartbeat->counter, agent->heartbeat_counter);
    return FUNDOS_OK;
}
