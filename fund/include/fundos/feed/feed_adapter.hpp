// FeedAdapter: what the Fund sees of any live market-data source (docs/FEED.md).
//
// An adapter turns a venue's messages into the replay's EventRecords (fmd_format.hpp: a quote,
// trade or bar with its exchange time and the feed's instrument id), in the feed's order, and says
// per instrument whether its data can be trusted: an instrument is *tripped* (the engine's
// stale-market-data guard should refuse new risk in it) while it is unknown, while the feed has a
// gap not yet recovered, or while the feed is stale (silent for longer than its stale limit).
//
// Threading: an adapter is driven by one thread (poll, wait, next and the queries); nothing here
// is safe to call from two threads at once. Nothing throws; poll() and next() do not allocate in
// the steady state (an adapter may grow its queue when its consumer falls behind).
//
// Clocks: `now_ns` is CLOCK_MONOTONIC (feed::monotonic_ns()); staleness is wall-clock time, never
// exchange time.
#pragma once

#include <cstdint>
#include <vector>

#include "fundos/marketdata/fmd_format.hpp"

namespace fundos::feed {

/// EventRecord.flags bit of an event made from a recovery snapshot (the instrument's latest state
/// at the snapshot, which replaces the messages the gap lost) rather than from its own message.
/// Beside marketdata::FLAG_SUSPICIOUS; never written into .fmd files.
inline constexpr std::uint8_t FLAG_RECOVERED = 0x02;
static_assert((FLAG_RECOVERED & marketdata::FLAG_SUSPICIOUS) == 0);

/// The feed as a whole.
enum class FeedHealth : std::uint8_t {
    WAITING = 0,     ///< nothing received yet
    LIVE = 1,        ///< in sequence, fresh
    RECOVERING = 2,  ///< a gap (or a late join) is being recovered by a snapshot: every instrument is gapped
    STALE = 3,       ///< nothing received for longer than the stale limit
    ENDED = 4,       ///< the session's EndOfSession was applied; no more market data in it
};

[[nodiscard]] constexpr const char* to_string(FeedHealth health) noexcept {
    switch (health) {
        case FeedHealth::WAITING: return "waiting";
        case FeedHealth::LIVE: return "live";
        case FeedHealth::RECOVERING: return "recovering";
        case FeedHealth::STALE: return "stale";
        case FeedHealth::ENDED: return "ended";
    }
    return "unknown";
}

/// One instrument as the feed knows it.
struct InstrumentFeedStatus {
    bool known = false;    ///< defined by the feed (a definition or a snapshot)
    bool gapped = false;   ///< messages may be missing since a gap; cleared by the recovery snapshot
    bool stale = false;    ///< the feed is silent past its stale limit (or has sent nothing yet)
    std::uint64_t last_update_ns = 0;  ///< monotonic time its last quote, trade or bar was applied; 0: none
    std::uint64_t exchange_time = 0;   ///< exchange time of that message; 0: none

    /// True when the stale-market-data guard should refuse new risk in the instrument.
    [[nodiscard]] bool tripped() const noexcept { return !known || gapped || stale; }
};

/// Counters since the adapter was opened; they only grow.
struct FeedCounters {
    std::uint64_t packets = 0;              ///< datagrams received
    std::uint64_t bad_packets = 0;          ///< wrong magic, version or size, or a malformed message (dropped)
    std::uint64_t old_session_packets = 0;  ///< of a session older than the one followed (dropped)
    std::uint64_t messages = 0;             ///< messages received (duplicates included)
    std::uint64_t applied = 0;              ///< messages applied in sequence
    std::uint64_t duplicates = 0;           ///< messages dropped as already seen
    std::uint64_t reordered = 0;            ///< messages that arrived ahead of a hole and were applied once it
                                            ///< filled (not those held while a snapshot was fetched)
    std::uint64_t gaps = 0;                 ///< gaps detected (each starts a recovery)
    std::uint64_t recovered_messages = 0;   ///< sequence numbers never received, covered by snapshots
    std::uint64_t recoveries = 0;           ///< snapshots applied
    std::uint64_t recovery_failures = 0;    ///< snapshot attempts that failed (refused, cut, timed out), retried
    std::uint64_t overflow = 0;             ///< messages dropped because the pending buffer was full
    std::uint64_t unknown_messages = 0;     ///< messages of an id this build does not know (skipped by size)
    std::uint64_t unknown_instruments = 0;  ///< market messages for an instrument not defined (dropped)
    std::uint64_t heartbeats = 0;           ///< heartbeats applied
    std::uint64_t sessions = 0;             ///< sessions followed (a new session id starts one)
    std::uint64_t stale_episodes = 0;       ///< times the feed went stale
    std::uint64_t events = 0;               ///< events handed out by next()
};

struct FeedStatus {
    FeedHealth health = FeedHealth::WAITING;
    std::uint64_t session_id = 0;  ///< the session followed; 0 before the first packet
    std::uint64_t next_seq = 0;    ///< the next sequence number expected in order; 0 before the first
    std::uint64_t pending = 0;     ///< messages held out of order (reorder window or recovery)
    FeedCounters counters;
};

class FeedAdapter {
public:
    virtual ~FeedAdapter() = default;

    /// Does the adapter's I/O without blocking: reads what has arrived, applies it in sequence,
    /// detects gaps and staleness, advances a recovery. Returns the events ready for next().
    virtual std::size_t poll(std::uint64_t now_ns) noexcept = 0;
    /// Blocks until something may have arrived, at most `timeout_ns`.
    virtual void wait(std::uint64_t timeout_ns) noexcept = 0;
    /// The next event in feed order; false when none is ready.
    virtual bool next(marketdata::EventRecord& event) noexcept = 0;

    /// The instruments defined so far, in the order they were defined; ids as in the events.
    [[nodiscard]] virtual const std::vector<marketdata::InstrumentRecord>& instruments() const noexcept = 0;
    [[nodiscard]] virtual InstrumentFeedStatus instrument_status(std::uint32_t instrument_id,
                                                                 std::uint64_t now_ns) const noexcept = 0;
    [[nodiscard]] virtual FeedStatus status(std::uint64_t now_ns) const noexcept = 0;
};

}  // namespace fundos::feed
