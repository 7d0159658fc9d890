#include "fundos/transport/report_writer.hpp"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstring>

#include "fundos/concurrent/seqlock.hpp"

namespace fundos::transport {

abi::Sequence ReportWriter::write(const abi::IntentReport& report) noexcept {
    const abi::Sequence r = written_;
    abi::IntentReport& slot = region_->ring[r & (abi::REPORT_RING_SLOTS - 1)];
    if (r >= abi::REPORT_RING_SLOTS) {
        // SYNC POINT: the slot still holds report r - SLOTS, and reports_written (= r) already
        // tells a reader of that report it may be overwritten. The fence orders that earlier
        // release store before the field stores below; pairs with the agent's acquire fence
        // after its copy, before it re-checks commit and reports_written.
        std::atomic_thread_fence(std::memory_order_release);
    }
    // Every field but commit (the slot's first word), as relaxed 8-byte atomic stores.
    static_assert(offsetof(abi::IntentReport, commit) == 0);
    auto* words = reinterpret_cast<std::uint64_t*>(&slot);
    const auto* in = reinterpret_cast<const unsigned char*>(&report);
    for (std::size_t i = 1; i < sizeof(abi::IntentReport) / sizeof(std::uint64_t); ++i) {
        std::uint64_t word;
        std::memcpy(&word, in + i * sizeof(word), sizeof(word));
        std::atomic_ref<std::uint64_t>(words[i]).store(word, std::memory_order_relaxed);
    }
    // SYNC POINT: pairs with the agent's acquire load of the slot's commit.
    std::atomic_ref<abi::Sequence>(slot.commit).store(r + 1, std::memory_order_release);
    written_ = r + 1;
    // SYNC POINT: pairs with the agent's acquire load of reports_written.
    std::atomic_ref<abi::Sequence>(region_->control.reports_written).store(written_, std::memory_order_release);
    return r;
}

void ReportWriter::publish_book(const abi::AgentBook& book) noexcept {
    ++books_;
    const std::size_t rows = std::min<std::size_t>(book.position_count, abi::MAX_INSTRUMENTS);
    concurrent::SeqlockWriter<abi::AgentBook>(region_->book.sequence, region_->book.book)
        .write_with(books_, [&](abi::AgentBook& shared) noexcept {
            concurrent::store_range_relaxed(&shared, &book, kBookHeadBytes);
            concurrent::store_range_relaxed(shared.positions, book.positions, rows * sizeof(abi::Position));
        });
}

void ReportWriter::set_status(abi::AgentStatus status, abi::RejectReason quarantine_reason) noexcept {
    // Plain (non-atomic) ABI fields written while the agent may read them: stored as atomics so
    // the Fund's side is race-free; the agent reads them as plain or relaxed loads.
    std::atomic_ref<abi::RejectReason>(region_->control.quarantine_reason)
        .store(quarantine_reason, std::memory_order_relaxed);
    // SYNC POINT: an agent that loads status (acquire) sees the reason stored before it.
    std::atomic_ref<abi::AgentStatus>(region_->control.status).store(status, std::memory_order_release);
}

}  // namespace fundos::transport
