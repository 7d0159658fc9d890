// One attached agent, for one attach generation: its two per-attach regions, its intent ring
// consumer, its report writer, its heartbeat monitor and its quarantine state.
//
//   intent region  AgentIntentRegion  the agent maps it read-write; the Fund read-only
//   report region  AgentReportRegion  the Fund maps it read-write and seals it; the agent read-only
//
// Both are new memfds for every attach, so a stale process of an earlier generation can only
// write into memory nobody reads any more, and no agent ever holds another agent's fds.
//
// Heartbeat: AgentHeartbeat.counter is sampled on the Fund's own monotonic clock; only a change
// of value counts (the agent's numbers are never trusted as times). Unchanged for `lease` ns:
// LATE. Changed again: ACTIVE (recovered). Quarantine (SUSPENDED) outranks both.
#pragma once

#include <cstddef>
#include <cstdint>

#include "fundos/abi.hpp"
#include "fundos/transport/intent_ring_reader.hpp"
#include "fundos/transport/memfd_region.hpp"
#include "fundos/transport/report_writer.hpp"

namespace fundos::transport {

enum class Liveness : std::uint8_t {
    kSteady,      ///< no change of state
    kBecameLate,  ///< the heartbeat just exceeded the lease
    kRecovered,   ///< a late agent's heartbeat moved again
};

class AgentLink {
public:
    AgentLink() = default;
    AgentLink(AgentLink&&) noexcept = default;
    AgentLink& operator=(AgentLink&&) noexcept = default;
    AgentLink(const AgentLink&) = delete;
    AgentLink& operator=(const AgentLink&) = delete;
    ~AgentLink() = default;

    /// Create both regions for (agent_id, slot, generation): memfds, headers, seals
    /// (report region: F_SEAL_FUTURE_WRITE | F_SEAL_SEAL after the Fund's mapping exists),
    /// ReportControl.status = ACTIVE. `now_ns` (CLOCK_MONOTONIC) starts the lease.
    /// Returns 0 or -errno; on failure nothing is left open.
    [[nodiscard]] int open(std::uint32_t agent_id, std::uint16_t slot, abi::Sequence generation,
                           abi::Duration lease_ns, std::uint64_t now_ns) noexcept;

    /// Unmap both regions and close their fds (the agent keeps its own mappings).
    void close() noexcept;

    [[nodiscard]] bool is_open() const noexcept { return static_cast<bool>(reports_); }

    // ---- hot path
    /// Next record of the ring (see IntentRingReader). Call only while !quarantined().
    [[nodiscard]] RingPoll poll_intent(abi::IntentRecord& out) noexcept { return ring_.poll(out); }
    [[nodiscard]] ReportWriter& report_writer() noexcept { return writer_; }
    [[nodiscard]] abi::Sequence intents_consumed() const noexcept { return ring_.position(); }
    [[nodiscard]] const RingFault& ring_fault() const noexcept { return ring_.fault(); }

    // ---- liveness
    /// Sample heartbeat.counter at `now_ns` (the Fund's CLOCK_MONOTONIC).
    [[nodiscard]] Liveness sample_heartbeat(std::uint64_t now_ns) noexcept;
    [[nodiscard]] abi::Sequence heartbeat_seen() const noexcept { return heartbeat_seen_; }
    /// heartbeat.answered_seq as the agent wrote it: untrusted, for display after clamping.
    [[nodiscard]] abi::Sequence answered_seq_raw() const noexcept;
    [[nodiscard]] std::uint64_t silent_ns(std::uint64_t now_ns) const noexcept {
        return now_ns > last_change_ns_ ? now_ns - last_change_ns_ : 0;
    }
    [[nodiscard]] bool late() const noexcept { return late_; }

    // ---- status
    /// Stop reading the ring for good, ReportControl.status = SUSPENDED with `reason`.
    void quarantine(abi::RejectReason reason) noexcept;
    [[nodiscard]] bool quarantined() const noexcept { return quarantined_; }
    [[nodiscard]] abi::RejectReason quarantine_reason() const noexcept { return quarantine_reason_; }
    /// SUSPENDED if quarantined, else LATE or ACTIVE.
    [[nodiscard]] abi::AgentStatus status() const noexcept;

    [[nodiscard]] std::uint32_t agent_id() const noexcept { return agent_id_; }
    [[nodiscard]] std::uint16_t slot() const noexcept { return slot_; }
    [[nodiscard]] abi::Sequence generation() const noexcept { return generation_; }
    [[nodiscard]] abi::Duration lease_ns() const noexcept { return lease_ns_; }

    [[nodiscard]] int intent_fd() const noexcept { return intents_.fd(); }
    [[nodiscard]] int report_fd() const noexcept { return reports_.fd(); }
    [[nodiscard]] std::size_t intent_region_size() const noexcept { return intents_.size(); }
    [[nodiscard]] std::size_t report_region_size() const noexcept { return reports_.size(); }
    [[nodiscard]] const abi::AgentIntentRegion* intent_region() const noexcept {
        return intents_.as<const abi::AgentIntentRegion>();
    }
    [[nodiscard]] const abi::AgentReportRegion* report_region() const noexcept {
        return reports_.as<const abi::AgentReportRegion>();
    }

private:
    void publish_status() noexcept;

    MemfdRegion intents_;
    MemfdRegion reports_;
    IntentRingReader ring_;
    ReportWriter writer_;
    std::uint32_t agent_id_ = 0;
    std::uint16_t slot_ = 0;
    abi::Sequence generation_ = 0;
    abi::Duration lease_ns_ = 0;
    abi::Sequence heartbeat_seen_ = 0;
    std::uint64_t last_change_ns_ = 0;
    bool late_ = false;
    bool quarantined_ = false;
    abi::RejectReason quarantine_reason_ = abi::RejectReason::NONE;
};

}  // namespace fundos::transport
