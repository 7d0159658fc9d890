#include "fundos/transport/snapshot_publisher.hpp"

#include "fundos/concurrent/seqlock.hpp"

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstring>

#include "fundos/concurrent/futex.hpp"
#include "fundos/transport/regions.hpp"

namespace fundos::transport {

int SnapshotPublisher::create(abi::Sequence first_seq) noexcept {
    shm_ = nullptr;
    // control.latest stays 0 (no snapshot yet) until the first publish; only the numbering moves.
    latest_ = first_seq == 0 ? 0 : first_seq - 1;
    if (const int rc = region_.create("fundos-snapshot", kSnapshotRegionSize, RegionWriter::kFund); rc != 0) {
        return rc;
    }
    shm_ = region_.as<abi::SnapshotRegion>();
    // Written once before the fd is shared: no reader can race with these plain stores.
    shm_->header = make_region_header(abi::RegionKind::SNAPSHOT, kSnapshotRegionSize, 0, 0);
    if (const int rc = region_.seal_for_readers(); rc != 0) {
        region_.reset();
        shm_ = nullptr;
        return rc;
    }
    return 0;
}

abi::Sequence SnapshotPublisher::publish(abi::FundState& state) noexcept {
    const abi::Sequence s = latest_ + 1;
    state.seq = s;
    abi::SnapshotSlot& slot = shm_->slots[s % abi::SNAPSHOT_SLOTS];
    // The seqlock writer protocol of concurrent::SeqlockWriter, over the head of FundState and
    // the rows in use only: rows at or past the counts are never read (readers zero them in
    // their copies), so they are not written either and keep whatever an older snapshot left.
    const std::size_t instruments = std::min<std::size_t>(state.instrument_count, abi::MAX_INSTRUMENTS);
    const std::size_t agents = std::min<std::size_t>(state.agent_count, abi::MAX_AGENTS);
    concurrent::SeqlockWriter<abi::FundState>(slot.sequence, slot.state)
        .write_with(s, [&](abi::FundState& shared) noexcept {
            concurrent::store_range_relaxed(&shared, &state, kStateHeadBytes);
            concurrent::store_range_relaxed(shared.instruments, state.instruments,
                                            instruments * sizeof(abi::InstrumentEntry));
            concurrent::store_range_relaxed(shared.agents, state.agents, agents * sizeof(abi::AgentSlot));
        });
    // SYNC POINT: pairs with the reader's acquire load of control.latest; the slot's release
    // store of 2s happened before, so a reader that sees s finds the slot complete.
    std::atomic_ref<abi::Sequence>(shm_->control.latest).store(s, std::memory_order_release);
    latest_ = s;
    // SYNC POINT: pairs with the waiter's load of futex_word before futex_wait (the kernel
    // re-checks the word under its hash-bucket lock, and FUTEX_WAKE orders this store before its
    // look at the waiters, so a wake cannot be lost). The Fund is the word's only writer: a
    // release store of word + 1 is the increment, without a locked read-modify-write that would
    // stall this thread until the slot's stores above have drained.
    std::atomic_ref<std::uint32_t> futex_word(shm_->control.futex_word);
    futex_word.store(futex_word.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    if (wake_) {
        concurrent::futex_wake_shared(&shm_->control.futex_word, INT_MAX);
    }
    return s;
}

}  // namespace fundos::transport
