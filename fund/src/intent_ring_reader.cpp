#include "fundos/transport/intent_ring_reader.hpp"

#include <atomic>

#include "fundos/concurrent/seqlock.hpp"

namespace fundos::transport {

RingPoll IntentRingReader::poll(abi::IntentRecord& out) noexcept {
    if (quarantined_) {
        return RingPoll::kQuarantined;
    }
    constexpr abi::Sequence kSlots = abi::INTENT_RING_SLOTS;
    const abi::Sequence q = position_;
    const std::uint32_t index = static_cast<std::uint32_t>(q & (kSlots - 1));
    const abi::IntentRecord& slot = ring_->ring[index];
    auto commit = concurrent::shared_word(slot.commit);
    // SYNC POINT: pairs with the agent's release store of commit = p + 1.
    const abi::Sequence c = commit.load(std::memory_order_acquire);
    if (c == q + 1) {
        concurrent::load_words_relaxed(out, slot);
        // SYNC POINT: orders the copy before the re-load of commit (seqlock-style re-check).
        std::atomic_thread_fence(std::memory_order_acquire);
        const abi::Sequence again = commit.load(std::memory_order_relaxed);
        out.commit = c;
        position_ = q + 1;
        // SYNC POINT: pairs with the agent's acquire load of intents_consumed before it reuses
        // the slot; release orders our copy's loads before the agent may overwrite it.
        std::atomic_ref<abi::Sequence>(*consumed_).store(position_, std::memory_order_release);
        return again == c ? RingPoll::kRecord : RingPoll::kCorruptSlot;
    }
    if ((q >= kSlots && c == q + 1 - kSlots) || (q < kSlots && c == 0)) {
        return RingPoll::kEmpty;
    }
    quarantined_ = true;
    fault_ = RingFault{q, index, c};
    return RingPoll::kQuarantined;
}

}  // namespace fundos::transport
