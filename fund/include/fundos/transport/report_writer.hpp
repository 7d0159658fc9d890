// The Fund's writer of one agent's report region (AgentReportRegion), which the agent maps
// read-only:
//
//   control.intents_consumed   the intent ring consumer position (IntentRingReader writes it)
//   control.reports_written    reports written so far
//   control.status / quarantine_reason
//   book                       seqlock-guarded AgentBook (same protocol as a snapshot slot: the
//                              head, kBookHeadBytes, then only positions[0, position_count))
//   ring[REPORT_RING_SLOTS]    IntentReport records
//
// Report r goes into ring[r & (REPORT_RING_SLOTS-1)] (docs/TRANSPORT.md, "Reports"):
//   fence(release)                                  only when the slot held report r - SLOTS
//   every field but commit, as 8-byte relaxed atomic stores
//   commit.store(r + 1, release)
//   control.reports_written.store(r + 1, release)
// The Fund never waits for the agent. Nothing marks a slot while it is rewritten: reports_written
// is the marker. Report r + SLOTS overwrites r's slot only after reports_written = r + SLOTS was
// stored, and the release fence orders that store before the field stores, so an agent that
// copies report r, fences (acquire) and then finds commit still r + 1 and reports_written below
// r + SLOTS holds a whole copy; otherwise it counts r as lost (the SDK's FUNDOS_E_REPORTS_LOST).
#pragma once

#include <cstddef>
#include <cstdint>

#include "fundos/abi.hpp"

namespace fundos::transport {

/// AgentBook up to its position table; readers copy this, then the rows in use.
inline constexpr std::size_t kBookHeadBytes = offsetof(abi::AgentBook, positions);
static_assert(kBookHeadBytes % sizeof(std::uint64_t) == 0);

class ReportWriter {
public:
    ReportWriter() = default;
    explicit ReportWriter(abi::AgentReportRegion* region) noexcept : region_(region) {}

    /// Write `report` (its commit is ignored) as the next report r; returns r.
    abi::Sequence write(const abi::IntentReport& report) noexcept;

    /// Publish `book` as the next version of the agent's book: its head and the position rows
    /// in use (rows past position_count are never read, so they are not written either).
    void publish_book(const abi::AgentBook& book) noexcept;

    /// ReportControl.status and quarantine_reason (reason first, then status, both released).
    void set_status(abi::AgentStatus status, abi::RejectReason quarantine_reason) noexcept;

    [[nodiscard]] abi::Sequence reports_written() const noexcept { return written_; }
    [[nodiscard]] abi::Sequence books_written() const noexcept { return books_; }
    /// The word IntentRingReader publishes its position into.
    [[nodiscard]] abi::Sequence* intents_consumed_word() const noexcept { return &region_->control.intents_consumed; }

private:
    abi::AgentReportRegion* region_ = nullptr;
    abi::Sequence written_ = 0;
    abi::Sequence books_ = 0;
};

}  // namespace fundos::transport
