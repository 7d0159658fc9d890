/* FundOS agent SDK: the C core every agent (C directly, Python through pybind11) uses to talk
 * to the Fund through shared memory, following docs/TRANSPORT.md.
 *
 * C11. One header, one opaque handle (fundos_agent), functions named fundos_<noun>_<verb>.
 *
 * Return values: every function that can fail returns 0 on success or a negative
 * fundos_error value (never -errno); fundos_strerror() turns it into a sentence. When a system
 * call failed (FUNDOS_E_SYSTEM, FUNDOS_E_CONNECT) errno is left as the call set it.
 *
 * Threads: one agent handle belongs to one thread at a time. No function locks; calling two
 * functions on the same handle concurrently is undefined. Different handles are independent.
 *
 * Ownership: the SDK never keeps a pointer the caller passed in after the call returns (the
 * socket path is copied at attach). Every out-parameter is caller-owned memory that the SDK
 * fills. The handle owns the socket and the three mappings; fundos_detach() releases them.
 *
 * Signals: blocking calls (fundos_wait_snapshot, fundos_submit_intent with the WAIT ring-full
 * policy) return FUNDOS_E_INTERRUPTED when a signal handler installed without SA_RESTART
 * interrupts their sleep, and, reliably, as soon as the attach option `stop_flag` is set (a
 * signal that lands between two sleeps is otherwise only seen at the timeout). The example agent
 * stops on SIGTERM that way.
 */
#ifndef FUNDOS_AGENT_H
#define FUNDOS_AGENT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <fundos/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- version of this SDK (not of the ABI: see FUNDOS_ABI_VERSION_* in <fundos/abi.h>) */
#define FUNDOS_SDK_VERSION_MAJOR 0
#define FUNDOS_SDK_VERSION_MINOR 1

/* ---- fixed point
 * The decimals of the ABI's fixed-point types come from <fundos/abi.h> (FUNDOS_PRICE_DECIMALS,
 * FUNDOS_QUANTITY_DECIMALS, FUNDOS_MONEY_DECIMALS): a raw value r means r * 10^-decimals. */

/** Wait forever (timeout argument of the waiting functions). */
#define FUNDOS_WAIT_FOREVER UINT64_MAX

/* ---- errors */
/** Every SDK function returns 0 (FUNDOS_OK) or one of these negative values. Values are stable:
 *  new codes are only appended below FUNDOS_E_LAST_. */
typedef enum fundos_error {
    FUNDOS_OK = 0,
    FUNDOS_E_INVALID_ARGUMENT = -1,  /**< A NULL pointer, an out-of-range option or field. */
    FUNDOS_E_SYSTEM = -2,            /**< A system call failed; errno says which way. */
    FUNDOS_E_CONNECT = -3,           /**< The Fund's socket cannot be reached (not running? wrong path? no permission?). */
    FUNDOS_E_PROTOCOL = -4,          /**< The Fund sent something docs/TRANSPORT.md does not allow. */
    FUNDOS_E_VERSION_MISMATCH = -5,  /**< The Fund's ABI major differs from the agent's (refused by either side). */
    FUNDOS_E_LAYOUT_MISMATCH = -6,   /**< Same ABI version, different layout hash (refused by either side). */
    FUNDOS_E_BAD_REGION = -7,        /**< A shared-memory region failed its checks (header, size, seals). */
    FUNDOS_E_BAD_REQUEST = -8,       /**< The Fund refused the attach request as malformed. */
    FUNDOS_E_UNKNOWN_AGENT = -9,     /**< The Fund has no agent with this id configured. */
    FUNDOS_E_NOT_PERMITTED = -10,    /**< The Fund does not allow this uid/gid to be this agent. */
    FUNDOS_E_ALREADY_ATTACHED = -11, /**< This agent id is attached already (another live process). */
    FUNDOS_E_FUND_FULL = -12,        /**< The Fund has no free agent slot. */
    FUNDOS_E_SHUTTING_DOWN = -13,    /**< The Fund is stopping and takes no new agents. */
    FUNDOS_E_AGAIN = -14,            /**< Nothing published yet (no snapshot, no book); try later. */
    FUNDOS_E_TIMEOUT = -15,          /**< The wait ended at its timeout. */
    FUNDOS_E_INTERRUPTED = -16,      /**< A signal interrupted the wait. */
    FUNDOS_E_RING_FULL = -17,        /**< The intent ring is full: the Fund has not consumed older intents yet. */
    FUNDOS_E_REPORTS_LOST = -18,     /**< Reports were overwritten before they were read (reported once per loss). */
    FUNDOS_E_QUARANTINED = -19,      /**< The Fund quarantined this agent; its intents are no longer read. */
    FUNDOS_E_DISCONNECTED = -20,     /**< The Fund hung up the agent's socket (stopped or crashed). */
    FUNDOS_E_RANGE = -21,            /**< A number is NaN, infinite or does not fit the fixed-point type. */
    FUNDOS_E_CONFIG = -22,           /**< The agent's configuration cannot be read or is invalid (<fundos/config.h>). */
    FUNDOS_E_LAST_ = -23             /**< Not an error: one below the last code, for iterating. */
} fundos_error;

/** A sentence describing `code` (0 or a fundos_error value); never NULL. Static storage;
 *  thread-safe. Unknown codes give "unknown fundos error code". */
const char *fundos_strerror(int code);

/** The enumerator's name ("FUNDOS_E_RING_FULL") for `code`, or NULL for an unknown code. Static
 *  storage; thread-safe. */
const char *fundos_error_name(int code);

/** For a refusal code (FUNDOS_E_BAD_REQUEST .. FUNDOS_E_SHUTTING_DOWN, and the two mismatch
 *  codes) the AttachStatus the Fund answers with for it; 0 for any other code. Thread-safe. */
fundos_attach_status_t fundos_error_attach_status(int code);

/* ---- attach options */
/** How fundos_wait_snapshot() waits for the next snapshot. */
typedef enum fundos_wait_policy {
    /** Spin `spin_count` times, then sched_yield() `yield_count` times, then sleep in
     *  futex_wait on SnapshotControl.futex_word. Default: low latency, idle when the Fund is. */
    FUNDOS_WAIT_SPIN = 0,
    /** Poll SnapshotControl.latest in a tight loop: lowest latency, one core at 100%. */
    FUNDOS_WAIT_BUSY = 1,
    /** Sleep in futex_wait at once: least CPU, a few microseconds more latency. */
    FUNDOS_WAIT_FUTEX = 2
} fundos_wait_policy;

/** What fundos_submit_intent() does when the intent ring is full. */
typedef enum fundos_ring_full_policy {
    FUNDOS_RING_FULL_FAIL = 0, /**< Return FUNDOS_E_RING_FULL at once (default). */
    FUNDOS_RING_FULL_WAIT = 1  /**< Wait up to ring_full_timeout_ns for the Fund to consume. */
} fundos_ring_full_policy;

/** Options of fundos_attach(). Initialise with fundos_attach_options_init(), then set at least
 *  socket_path and agent_id. Only read during fundos_attach(); the caller keeps ownership. */
typedef struct fundos_attach_options {
    const char *socket_path;            /**< `<run-dir>/fund.sock`; required, < 108 bytes. */
    uint32_t agent_id;                  /**< The agent's configured id; required, not 0. */
    fundos_wait_policy wait;            /**< Default FUNDOS_WAIT_SPIN. */
    uint32_t spin_count;                /**< FUNDOS_WAIT_SPIN: busy polls before yielding (default 2000). */
    uint32_t yield_count;               /**< FUNDOS_WAIT_SPIN: sched_yield()s before futex_wait (default 50). */
    fundos_ring_full_policy ring_full;  /**< Default FUNDOS_RING_FULL_FAIL. */
    uint64_t ring_full_timeout_ns;      /**< FUNDOS_RING_FULL_WAIT: longest wait; FUNDOS_WAIT_FOREVER allowed (default 1 s). */
    uint64_t attach_timeout_ns;         /**< Longest wait for the Fund's reply (default 5 s; 0 means the default). */
    /** Optional: a flag (set by a signal handler, say) that makes every blocking call return
     *  FUNDOS_E_INTERRUPTED once it is non-zero; checked between spins and sleep slices
     *  (at most every 50 ms). Caller-owned; must outlive the handle. NULL: none. */
    const volatile sig_atomic_t *stop_flag;
    /** Optional: where to copy the Fund's AttachReply (status, versions, message), whether the
     *  Fund accepted or refused. Caller-owned; NULL: not copied. Left untouched when no reply
     *  arrived. */
    fundos_attach_reply_t *reply_out;
} fundos_attach_options;

/** Fill `options` with the defaults above (socket_path NULL, agent_id 0). Thread-safe. */
void fundos_attach_options_init(fundos_attach_options *options);

/** Check `options` without connecting: 0, or FUNDOS_E_INVALID_ARGUMENT with a sentence in
 *  `why` (if why_len > 0; always NUL-terminated). fundos_attach() runs the same checks.
 *  Thread-safe. */
int fundos_attach_options_validate(const fundos_attach_options *options, char *why, size_t why_len);

/** Parse a wait policy's name: "spin", "busy" or "futex". 0, or FUNDOS_E_INVALID_ARGUMENT
 *  (then *out is untouched). */
int fundos_wait_policy_parse(const char *text, fundos_wait_policy *out);

/** Set socket_path, agent_id and wait from the environment `fundos run` gives every agent it
 *  starts: FUNDOS_SOCKET, FUNDOS_AGENT_ID (a whole number >= 1) and FUNDOS_WAKE (spin, busy or
 *  futex). A variable that is unset or empty leaves its field as it is; socket_path then points
 *  into the environment. 0, or FUNDOS_E_INVALID_ARGUMENT with a sentence naming the variable in
 *  `why`; nothing is changed then. Not thread-safe (getenv). The agent's configuration, which
 *  `fundos run` names in FUNDOS_CONFIG and FUNDOS_SERVICE, is read by
 *  fundos_agent_config_load_env() (<fundos/config.h>, library fundos_agent_config, which this
 *  library does not depend on); fundos_attach_options_from_config() then sets agent_id. */
int fundos_attach_options_from_env(fundos_attach_options *options, char *why, size_t why_len);

/* ---- attach / detach */
/** An attached agent: the socket to the Fund and the three mapped regions. Opaque. */
typedef struct fundos_agent fundos_agent;

/** Connect to the Fund at options->socket_path, send an AttachRequest with this build's ABI
 *  version and layout hash, receive the AttachReply and, when accepted, the three region fds;
 *  check every RegionHeader (magic, ABI version, layout hash, kind, size, generation, owner) and
 *  the seals, map the snapshot and report regions read-only and the intent region read-write.
 *
 *  On success returns 0 and stores a new handle in *out (release it with fundos_detach()).
 *  On failure *out is set to NULL, nothing is left open, and `why` (if why_len > 0) holds a
 *  NUL-terminated sentence for the user, e.g. "fund speaks ABI 2.0 (layout 0x...), this agent
 *  was built for ABI 1.1 (layout 0x...)". Refusals by the Fund return the code of its status
 *  (FUNDOS_E_UNKNOWN_AGENT, ...; see fundos_error_attach_status()) and quote its message.
 *  Blocks up to attach_timeout_ns. Thread-safe (touches no shared state). */
int fundos_attach(const fundos_attach_options *options, fundos_agent **out, char *why, size_t why_len);

/** Unmap the regions and close the socket (the Fund sees the hang-up and marks the agent
 *  DEAD). Accepts NULL. Call it exactly once per handle, from the handle's thread; the handle
 *  is invalid afterwards, whatever state it was in (disconnected, quarantined, ...). */
void fundos_detach(fundos_agent *agent);

/* ---- snapshots */
/** Copy the newest consistent FundState into *out (caller-owned, 64-byte aligned as its type
 *  requires) with the seqlock reader protocol of docs/TRANSPORT.md. Never blocks for long: it
 *  retries only while the Fund laps the slot being copied. Returns 0, or FUNDOS_E_AGAIN when
 *  the Fund has published nothing yet. out->seq is the snapshot number.
 *
 *  On 0, all of *out is defined: out->instrument_count and out->agent_count are at most
 *  FUNDOS_MAX_INSTRUMENTS and FUNDOS_MAX_AGENTS (a larger published count is clamped), the rows
 *  below them are the snapshot's, and every byte of the rows at and past them is zero, whatever
 *  *out held before (the Fund publishes only the rows in use, and only those are copied out of
 *  shared memory; so the copy costs the head plus the rows in use, not the whole 10 KB). On any
 *  other return *out is unspecified. */
int fundos_read_snapshot(fundos_agent *agent, fundos_fund_state_t *out);

/** Wait until a snapshot newer than `after_seq` is published, then copy the newest into *out as
 *  fundos_read_snapshot() does. How it waits is the attach option `wait`. `timeout_ns` bounds the
 *  wait (0: do not wait; FUNDOS_WAIT_FOREVER). Returns 0, FUNDOS_E_TIMEOUT, FUNDOS_E_INTERRUPTED
 *  (a signal interrupted the sleep, or the stop_flag is set) or FUNDOS_E_DISCONNECTED (the Fund
 *  hung up; checked when the wait starts, then every 50 ms). A snapshot already there is copied
 *  without reading the clock; while spinning (FUNDOS_WAIT_BUSY, and the spin phase of
 *  FUNDOS_WAIT_SPIN) the clock, and so the timeout and the hang-up check, is looked at once every
 *  64 polls. When it has to wait, it zeroes the rows of *out past the last copy's counts
 *  meanwhile, which leaves less to do once the snapshot is there; on any return but 0, *out is
 *  unspecified. */
int fundos_wait_snapshot(fundos_agent *agent, uint64_t after_seq, fundos_fund_state_t *out, uint64_t timeout_ns);

/** Number of the newest published snapshot (0: none yet), without copying it. */
uint64_t fundos_snapshot_latest(const fundos_agent *agent);

/* ---- intents */
/** Append *intent to the agent's intent ring. The caller fills kind, instrument_id, side,
 *  order_type, time_in_force, qty, limit_price, ref_intent_id and client_tag; the SDK
 *  - sets agent_id if it is 0 (any other value than the handle's id: FUNDOS_E_INVALID_ARGUMENT);
 *  - sets intent_id to the next id if it is 0 (else it must exceed every id used before: ids
 *    start above the book's last_intent_id at attach, so they keep increasing across restarts);
 *  - sets snapshot_seq to the newest snapshot this handle has read if it is 0;
 *  - ignores `commit` and writes zeros into every padding and reserved byte;
 *  and writes the chosen agent_id, intent_id and snapshot_seq back into *intent (caller-owned).
 *  The slot is written with plain stores, then its commit with a release store.
 *  When the ring is full: FUNDOS_E_RING_FULL at once, or after waiting (attach option
 *  ring_full). Returns FUNDOS_E_QUARANTINED when the Fund has quarantined the agent, and, while
 *  waiting, FUNDOS_E_INTERRUPTED (signal or stop_flag) or FUNDOS_E_DISCONNECTED. The Fund
 *  validates everything again and answers in the report ring. */
int fundos_submit_intent(fundos_agent *agent, fundos_intent_record_t *intent);

/** Tell the Fund the agent is alive: heartbeat.counter += 1 (relaxed store). If answered_seq is
 *  not 0 also store heartbeat.answered_seq = answered_seq (release: after the intents written for
 *  it). Call at least once per lease. Returns 0. */
int fundos_heartbeat(fundos_agent *agent, uint64_t answered_seq);

/* ---- reports and book */
/** Copy up to `capacity` new reports, oldest first, into out[0..*count) (caller-owned) and
 *  advance the handle's read position. Returns 0 (also when *count is 0: nothing new).
 *  When the Fund has overwritten reports this handle had not read yet, returns
 *  FUNDOS_E_REPORTS_LOST once with *count = 0 (fundos_agent_info.reports_lost says how many in
 *  all) and continues on the next call from the oldest report that can still be read whole (the
 *  very oldest slot of a full ring may be under rewrite, so it counts as lost too).
 *  Reports of an unknown kind are returned as they are (readers ignore unknown kinds). */
int fundos_poll_reports(fundos_agent *agent, fundos_intent_report_t *out, size_t capacity, size_t *count);

/** Copy the agent's current book (account and positions, seqlock-guarded) into *out
 *  (caller-owned). Returns 0, or FUNDOS_E_AGAIN when the Fund has not written one yet. */
int fundos_read_book(fundos_agent *agent, fundos_agent_book_t *out);

/* ---- status */
/** What the handle knows about its attachment. Filled by fundos_agent_status(). */
typedef struct fundos_agent_info {
    uint32_t agent_id;                        /**< This agent's id. */
    uint16_t slot;                            /**< Index in FundState.agents (AttachReply.slot). */
    uint16_t abi_major;                       /**< Negotiated ABI major.minor (AttachReply). */
    uint16_t abi_minor;
    fundos_agent_status_t status;             /**< ReportControl.status: the Fund's view. */
    int quarantined;                          /**< 1 when SUSPENDED with a quarantine reason. */
    fundos_reject_reason_t quarantine_reason; /**< ReportControl.quarantine_reason. */
    int connected;                            /**< 0 once the Fund has hung up the socket. */
    uint64_t generation;                      /**< This attach's generation. */
    uint64_t intents_submitted;               /**< Records this handle wrote into the ring. */
    uint64_t intents_consumed;                /**< Records the Fund took (ReportControl). */
    uint64_t reports_written;                 /**< Reports the Fund wrote (ReportControl). */
    uint64_t reports_read;                    /**< Read position of this handle in the report ring. */
    uint64_t reports_lost;                    /**< Reports overwritten before this handle read them. */
    uint64_t last_intent_id;                  /**< Highest intent id this handle submitted (or found in the book at attach). */
    uint64_t last_snapshot_seq;               /**< Newest snapshot this handle has copied out. */
} fundos_agent_info;

/** Fill *out (caller-owned) from ReportControl and the handle, and poll the socket for a
 *  hang-up (no blocking). Returns 0, or FUNDOS_E_DISCONNECTED (with *out filled) once the Fund
 *  has hung up. */
int fundos_agent_status(fundos_agent *agent, fundos_agent_info *out);

/** The socket's file descriptor, for an event loop (poll for POLLHUP/POLLRDHUP to learn that the
 *  Fund is gone). Owned by the handle: do not read, write or close it. */
int fundos_agent_fd(const fundos_agent *agent);

/* ---- fixed point helpers (pure functions; thread-safe) */
/** raw * 10^-decimals as the nearest double. decimals <= 18. */
double fundos_fixed_to_double(int64_t raw, unsigned decimals);

/** Round value * 10^decimals to the nearest integer (ties to even) into *out. Returns 0, or
 *  FUNDOS_E_RANGE for NaN, infinities and values outside int64_t, FUNDOS_E_INVALID_ARGUMENT
 *  for decimals > 18 or out == NULL. (Python's fundos package converts through Decimal instead,
 *  exactly.) */
int fundos_fixed_from_double(double value, unsigned decimals, int64_t *out);

#ifdef __cplusplus
}
#endif

#endif /* FUNDOS_AGENT_H */
