// The reader side of the snapshot region and of an agent's book, for the Fund's C++ tests and
// any C++ agent (the agent SDK in sdks/c has its own C implementation of the same protocol).
//
//   s  = control.latest.load(acquire); s == 0: nothing yet
//   slot = slots[s % SNAPSHOT_SLOTS]
//   v1 = slot.sequence.load(acquire); v1 != 2s: retry from the top
//   copy the head of slot.state (kStateHeadBytes), then the rows in use (counts from the copied
//   head, clamped to the maximum), as 8-byte relaxed atomic loads
//   fence(acquire)
//   v2 = slot.sequence.load(relaxed); v2 != v1: retry
//   zero the copy's rows past the counts (the Fund does not write them: the slot holds stale
//   rows there)
#pragma once

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ctime>

#include "fundos/abi.hpp"
#include "fundos/concurrent/backoff.hpp"
#include "fundos/concurrent/seqlock.hpp"
#include "fundos/transport/report_writer.hpp"
#include "fundos/transport/snapshot_publisher.hpp"

namespace fundos::transport {

enum class ReadStatus : std::uint8_t {
    kOk,       ///< `out` holds a consistent copy
    kEmpty,    ///< nothing published yet
    kRetry,    ///< the writer lapped the slot during the copy; call again
    kTimeout,  ///< wait_newer: the deadline passed
    kInterrupted,
};

class SnapshotReader {
public:
    SnapshotReader() = default;
    explicit SnapshotReader(const abi::SnapshotRegion* region) noexcept : region_(region) {}

    /// Newest published snapshot number (0: none yet).
    [[nodiscard]] abi::Sequence latest() const noexcept {
        // SYNC POINT: pairs with the publisher's release store of control.latest.
        return concurrent::shared_word(region_->control.latest).load(std::memory_order_acquire);
    }

    /// One attempt to copy the newest snapshot into `out` (out.seq is its number). On kOk the
    /// counts are at most MAX_INSTRUMENTS / MAX_AGENTS and every row past them is zero.
    [[nodiscard]] ReadStatus try_read(abi::FundState& out) const noexcept {
        const abi::Sequence s = latest();
        if (s == 0) {
            return ReadStatus::kEmpty;
        }
        const abi::SnapshotSlot& slot = region_->slots[s % abi::SNAPSHOT_SLOTS];
        auto sequence = concurrent::shared_word(slot.sequence);
        // SYNC POINT: pairs with the publisher's release store of 2s.
        const std::uint64_t v1 = sequence.load(std::memory_order_acquire);
        if (v1 != 2 * s) {
            return ReadStatus::kRetry;
        }
        // Counts from our copy of the head: garbage if the slot is being rewritten, so clamped
        // (the copy stays inside the slot); the re-check below then discards the copy.
        concurrent::load_range_relaxed(&out, &slot.state, kStateHeadBytes);
        const std::size_t instruments = std::min<std::size_t>(out.instrument_count, abi::MAX_INSTRUMENTS);
        const std::size_t agents = std::min<std::size_t>(out.agent_count, abi::MAX_AGENTS);
        concurrent::load_range_relaxed(out.instruments, slot.state.instruments, instruments * sizeof(abi::InstrumentEntry));
        concurrent::load_range_relaxed(out.agents, slot.state.agents, agents * sizeof(abi::AgentSlot));
        // SYNC POINT: orders the copy before the re-load; pairs with the publisher's release fence.
        std::atomic_thread_fence(std::memory_order_acquire);
        if (sequence.load(std::memory_order_relaxed) != v1) {
            return ReadStatus::kRetry;
        }
        out.instrument_count = static_cast<std::uint16_t>(instruments);
        out.agent_count = static_cast<std::uint16_t>(agents);
        std::memset(static_cast<void*>(out.instruments + instruments), 0,
                    (abi::MAX_INSTRUMENTS - instruments) * sizeof(abi::InstrumentEntry));
        std::memset(static_cast<void*>(out.agents + agents), 0, (abi::MAX_AGENTS - agents) * sizeof(abi::AgentSlot));
        return ReadStatus::kOk;
    }

    /// try_read until it is not kRetry (bounded: a retry means the Fund published
    /// SNAPSHOT_SLOTS - 1 snapshots during one copy).
    [[nodiscard]] ReadStatus read(abi::FundState& out, unsigned max_attempts = 1000) const noexcept {
        ReadStatus status = ReadStatus::kRetry;
        for (unsigned i = 0; i < max_attempts && status == ReadStatus::kRetry; ++i) {
            status = try_read(out);
        }
        return status;
    }

    /// Wait (by `policy`) until a snapshot newer than `after` is published or `deadline_ns`
    /// (CLOCK_MONOTONIC) passes, then read the newest.
    [[nodiscard]] ReadStatus wait_newer(abi::Sequence after, abi::FundState& out, std::uint64_t deadline_ns,
                                        concurrent::BackoffPolicy policy = {}) const noexcept {
        concurrent::Backoff backoff(policy);
        for (;;) {
            // Load the futex word before `latest`: a publish between the two loads changes the
            // word, so the futex_wait below returns at once instead of missing the wake.
            const std::uint32_t seen = concurrent::futex_word_load(region_->control.futex_word);
            if (latest() > after) {
                const ReadStatus status = read(out);
                if (status != ReadStatus::kRetry) {
                    return status;
                }
                continue;
            }
            const std::uint64_t now = now_ns();
            if (now >= deadline_ns) {
                return ReadStatus::kTimeout;
            }
            const std::uint64_t left = deadline_ns - now;
            struct timespec timeout{};
            timeout.tv_sec = static_cast<time_t>(left / 1'000'000'000ULL);
            timeout.tv_nsec = static_cast<long>(left % 1'000'000'000ULL);
            if (backoff.wait(&region_->control.futex_word, seen, &timeout) == -EINTR) {
                return ReadStatus::kInterrupted;
            }
        }
    }

    [[nodiscard]] static std::uint64_t now_ns() noexcept {
        struct timespec ts{};
        ::clock_gettime(CLOCK_MONOTONIC, &ts);
        return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
    }

private:
    const abi::SnapshotRegion* region_ = nullptr;
};

/// Reader of an agent's book (AgentBookSlot: one seqlock-guarded copy of the head and the
/// position rows in use; on kOk the rows past position_count are zero).
[[nodiscard]] inline ReadStatus read_book(const abi::AgentBookSlot& slot, abi::AgentBook& out,
                                          unsigned max_attempts = 1000) noexcept {
    const concurrent::SeqlockReader<abi::AgentBook> reader(slot.sequence, slot.book);
    for (unsigned i = 0; i < max_attempts; ++i) {
        std::uint64_t sequence = 0;
        std::size_t rows = 0;
        const bool ok = reader.try_read_with(sequence, [&](const abi::AgentBook& shared) noexcept {
            concurrent::load_range_relaxed(&out, &shared, kBookHeadBytes);
            rows = std::min<std::size_t>(out.position_count, abi::MAX_INSTRUMENTS);
            concurrent::load_range_relaxed(out.positions, shared.positions, rows * sizeof(abi::Position));
        });
        if (ok) {
            out.position_count = static_cast<std::uint16_t>(rows);
            std::memset(static_cast<void*>(out.positions + rows), 0,
                        (abi::MAX_INSTRUMENTS - rows) * sizeof(abi::Position));
            return ReadStatus::kOk;
        }
        if (concurrent::shared_word(slot.sequence).load(std::memory_order_acquire) == 0) {
            return ReadStatus::kEmpty;
        }
    }
    return ReadStatus::kRetry;
}

}  // namespace fundos::transport
