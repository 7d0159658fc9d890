// The Fund's side of the snapshot region: the single writer of FundState.
//
//   SnapshotRegion = { header, control: SnapshotControl, slots: SnapshotSlot[SNAPSHOT_SLOTS] }
//
// Snapshot s >= 1 goes into slots[s % SNAPSHOT_SLOTS] under that slot's seqlock (sequence
// 2s-1 while written, 2s when complete): the head of FundState (everything before the row
// tables, kStateHeadBytes) and only the rows in use (instruments[0, instrument_count),
// agents[0, agent_count), counts clamped to MAX_INSTRUMENTS / MAX_AGENTS). Rows past the counts
// keep what an older snapshot of that slot left; readers never copy them and hand out zeros
// there (docs/TRANSPORT.md). Then control.latest = s (release), then
// control.futex_word += 1 (release) and FUTEX_WAKE of every waiter. The writer works
// SNAPSHOT_SLOTS - 1 slots away from the one a reader of `latest` copies, so a reader retries
// only when it is more than SNAPSHOT_SLOTS - 1 snapshots late.
#pragma once

#include <cstddef>
#include <cstdint>

#include "fundos/abi.hpp"
#include "fundos/transport/memfd_region.hpp"

namespace fundos::transport {

/// Bytes of FundState before its row tables (seq, clock, counts, fund-wide figures): the part
/// of a snapshot written and read whole.
inline constexpr std::size_t kStateHeadBytes = offsetof(abi::FundState, instruments);
static_assert(kStateHeadBytes % sizeof(std::uint64_t) == 0);
static_assert(offsetof(abi::FundState, agents) == kStateHeadBytes + sizeof(abi::FundState::instruments));
static_assert(sizeof(abi::FundState) == offsetof(abi::FundState, agents) + sizeof(abi::FundState::agents));
static_assert(sizeof(abi::InstrumentEntry) % sizeof(std::uint64_t) == 0 && sizeof(abi::AgentSlot) % sizeof(std::uint64_t) == 0);

class SnapshotPublisher {
public:
    /// Create the region (memfd, header, control zeroed, no snapshot yet) and seal it for
    /// readers. The first publish() is snapshot `first_seq` (a resumed Fund continues its
    /// numbering: agents and the journal know snapshots by seq). Returns 0 or -errno.
    [[nodiscard]] int create(abi::Sequence first_seq = 1) noexcept;

    /// Publish the next snapshot: stamps state.seq = s (the next number, from first_seq), writes the
    /// slot (head and rows in use), advances latest, bumps the futex word and wakes waiters. Returns s. Never blocks on
    /// a reader and never allocates. Single writer: call from one thread only.
    abi::Sequence publish(abi::FundState& state) noexcept;

    /// Whether publish() issues FUTEX_WAKE (default true). The ABI has no waiter count, so the
    /// Fund cannot know whether anyone sleeps; a benchmark with busy-polling readers only may
    /// turn the syscall off.
    void set_wake(bool wake) noexcept { wake_ = wake; }

    [[nodiscard]] abi::Sequence latest() const noexcept { return latest_; }
    [[nodiscard]] int fd() const noexcept { return region_.fd(); }
    [[nodiscard]] std::size_t size() const noexcept { return region_.size(); }
    [[nodiscard]] const abi::SnapshotRegion* region() const noexcept { return shm_; }
    [[nodiscard]] const MemfdRegion& memfd() const noexcept { return region_; }

private:
    MemfdRegion region_;
    abi::SnapshotRegion* shm_ = nullptr;
    abi::Sequence latest_ = 0;
    bool wake_ = true;
};

}  // namespace fundos::transport
