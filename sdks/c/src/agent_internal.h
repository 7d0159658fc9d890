/* Private to the C SDK: the handle's layout and the atomic helpers every source file shares.
 *
 * Shared-memory words that docs/TRANSPORT.md marks atomic are plain integers in the generated
 * structs (<fundos/abi.h> is C and C++). They are accessed here only through the helpers below,
 * which view them as C11 _Atomic objects of the same size and alignment (asserted). 8-byte
 * atomics are lock-free plain loads/stores on x86_64 and aarch64, so they work on read-only
 * mappings too. */
#ifndef FUNDOS_AGENT_INTERNAL_H
#define FUNDOS_AGENT_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include <fundos/agent.h>

#include "agent_binding.h"

_Static_assert(sizeof(_Atomic uint64_t) == sizeof(uint64_t), "_Atomic uint64_t must be a plain 8-byte word");
_Static_assert(_Alignof(_Atomic uint64_t) == _Alignof(uint64_t), "_Atomic uint64_t alignment");
_Static_assert(sizeof(_Atomic uint32_t) == sizeof(uint32_t), "_Atomic uint32_t must be a plain 4-byte word");
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "8-byte atomics must be lock-free (shared memory between processes)");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "4-byte atomics must be lock-free (shared memory between processes)");
_Static_assert((FUNDOS_INTENT_RING_SLOTS & (FUNDOS_INTENT_RING_SLOTS - 1)) == 0, "intent ring is a power of two");
_Static_assert((FUNDOS_REPORT_RING_SLOTS & (FUNDOS_REPORT_RING_SLOTS - 1)) == 0, "report ring is a power of two");
_Static_assert(sizeof(fundos_fund_state_t) % 8 == 0, "FundState is copied in 8-byte words");
_Static_assert(sizeof(fundos_agent_book_t) % 8 == 0, "AgentBook is copied in 8-byte words");
_Static_assert(sizeof(fundos_intent_report_t) % 8 == 0, "IntentReport is copied in 8-byte words");

struct fundos_agent {
    int fd;                     /* SOCK_SEQPACKET to the Fund; its hang-up is our crash signal */
    int connected;              /* 0 once a hang-up was seen */
    uint32_t agent_id;
    uint16_t slot;
    uint16_t abi_major;
    uint16_t abi_minor;
    uint64_t generation;

    fundos_wait_policy wait;
    uint32_t spin_count;
    uint32_t yield_count;
    fundos_ring_full_policy ring_full;
    uint64_t ring_full_timeout_ns;
    const volatile sig_atomic_t *stop_flag;

    const fundos_snapshot_region_t *snapshot; /* PROT_READ */
    size_t snapshot_len;
    fundos_agent_intent_region_t *intents;    /* PROT_READ | PROT_WRITE */
    size_t intents_len;
    const fundos_agent_report_region_t *reports; /* PROT_READ */
    size_t reports_len;

    uint64_t intent_pos;        /* producer position p in the intent ring */
    uint64_t last_intent_id;
    uint64_t report_pos;        /* consumer position in the report ring */
    uint64_t reports_lost;
    uint64_t last_snapshot_seq;
    uint64_t heartbeat_counter;
    uint16_t rows_hint_instruments; /* counts of the last snapshot copied: which rows to prefetch */
    uint16_t rows_hint_agents;
};

/* ---- atomics on shared words (see the file comment) */
static inline uint64_t fundos_load_acquire_u64(const uint64_t *word) {
    return atomic_load_explicit((const _Atomic uint64_t *)word, memory_order_acquire);
}
static inline uint64_t fundos_load_relaxed_u64(const uint64_t *word) {
    return atomic_load_explicit((const _Atomic uint64_t *)word, memory_order_relaxed);
}
static inline uint32_t fundos_load_acquire_u32(const uint32_t *word) {
    return atomic_load_explicit((const _Atomic uint32_t *)word, memory_order_acquire);
}
static inline uint16_t fundos_load_relaxed_u16(const uint16_t *word) {
    return atomic_load_explicit((const _Atomic uint16_t *)word, memory_order_relaxed);
}
static inline uint8_t fundos_load_acquire_u8(const uint8_t *word) {
    return atomic_load_explicit((const _Atomic uint8_t *)word, memory_order_acquire);
}
static inline void fundos_store_release_u64(uint64_t *word, uint64_t value) {
    atomic_store_explicit((_Atomic uint64_t *)word, value, memory_order_release);
}
static inline void fundos_store_relaxed_u64(uint64_t *word, uint64_t value) {
    atomic_store_explicit((_Atomic uint64_t *)word, value, memory_order_relaxed);
}

/* Copy `size` bytes (a multiple of 8, 8-aligned source) out of shared memory as relaxed 8-byte
 * atomic loads: a racing plain memcpy would be a data race (undefined behaviour). The caller
 * orders the copy with atomic_thread_fence(memory_order_acquire) before its re-check. */
static inline void fundos_copy_relaxed(void *dst, const void *src, size_t size) {
    const _Atomic uint64_t *from = (const _Atomic uint64_t *)src;
    unsigned char *to = (unsigned char *)dst;
    for (size_t i = 0; i < size / 8; i++) {
        uint64_t word = atomic_load_explicit(&from[i], memory_order_relaxed);
        memcpy(to + 8 * i, &word, 8);
    }
}

/* Ask for the cache line holding `address` ahead of a load (a hint: no effect on what is read). */
static inline void fundos_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/* A hint to the core that we are spinning (pause / yield); no memory effect. */
static inline void fundos_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    __asm__ __volatile__("yield" ::: "memory");
#else
    atomic_signal_fence(memory_order_seq_cst);
#endif
}

/* ---- shared helpers (internal linkage across the library's objects) */
uint64_t fundos__now_ns(void);
/* 1 when the Fund has hung up the socket (polls, never blocks); latches agent->connected = 0. */
int fundos__hung_up(struct fundos_agent *agent);
/* 1 when the caller's stop flag is set. */
static inline int fundos__stop_requested(const struct fundos_agent *agent) {
    return agent->stop_flag != NULL && *agent->stop_flag != 0;
}
/* 1 when ReportControl says the Fund quarantined this agent. */
int fundos__quarantined(const struct fundos_agent *agent);
/* snprintf into why (if why_len > 0), always NUL-terminated; returns code. */
int fundos__fail(int code, char *why, size_t why_len, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

#define FUNDOS_HANGUP_CHECK_NS UINT64_C(50000000) /* 50 ms */

#endif /* FUNDOS_AGENT_INTERNAL_H */
