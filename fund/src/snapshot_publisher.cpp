#include "fundos/transport/snapshot_publisher.hpp"

#include <atomic>
#include <climits>

#include "fundos/concurrent/futex.hpp"
#include "fundos/concurrent/seqlock.hpp"
#include "fundos/transport/regions.hpp"

namespace fundos::transport {

int SnapshotPublisher::create() noexcept {
    shm_ = nullptr;
    latest_ = 0;
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
    concurrent::SeqlockWriter<abi::FundState>(slot.sequence, slot.state).write(state, s);
    // SYNC POINT: pairs with the reader's acquire load of control.latest; the slot's release
    // store of 2s happened before, so a reader that sees s finds the slot complete.
    std::atomic_ref<abi::Sequence>(shm_->control.latest).store(s, std::memory_order_release);
    latest_ = s;
    // SYNC POINT: pairs with the waiter's load of futex_word before futex_wait (the kernel
    // re-checks the word under its hash-bucket lock, so a wake cannot be lost).
    std::atomic_ref<std::uint32_t>(shm_->control.futex_word).fetch_add(1, std::memory_order_release);
    if (wake_) {
        concurrent::futex_wake_shared(&shm_->control.futex_word, INT_MAX);
    }
    return s;
}

}  // namespace fundos::transport
