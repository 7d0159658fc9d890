// The Fund's consumer of one agent's intent ring (AgentIntentRegion.ring), which the agent can
// write byte by byte at any time: nothing in it is believed.
//
// At its private position q the consumer looks at ring[q & (INTENT_RING_SLOTS-1)] only (the
// index comes from the Fund's own counter, masked; nothing agent-written is used as an index):
//
//   c = slot.commit.load(acquire)
//   c == q + 1:            copy the slot once into private memory (8-byte relaxed loads),
//                          fence(acquire), re-load commit; changed -> kCorruptSlot (the copy is
//                          rejected CORRUPT_SLOT); else kRecord. Either way q += 1 and
//                          ReportControl.intents_consumed = q (release).
//   c == q + 1 - SLOTS (q >= SLOTS) or c == 0 (q < SLOTS): kEmpty, nothing new
//   anything else:         kQuarantined: impossible value; the ring is never read again
//
// The copy is the only thing later code looks at (no double fetch). poll() never blocks,
// never allocates.
#pragma once

#include <cstdint>

#include "fundos/abi.hpp"

namespace fundos::transport {

enum class RingPoll : std::uint8_t {
    kEmpty,        ///< nothing new
    kRecord,       ///< `out` is a private copy of record q (out.commit == q + 1)
    kCorruptSlot,  ///< the commit changed while copying; reject the copy with CORRUPT_SLOT
    kQuarantined,  ///< the ring holds an impossible commit value (now or earlier)
};

[[nodiscard]] constexpr const char* to_string(RingPoll poll) noexcept {
    switch (poll) {
        case RingPoll::kEmpty: return "empty";
        case RingPoll::kRecord: return "record";
        case RingPoll::kCorruptSlot: return "corrupt_slot";
        case RingPoll::kQuarantined: return "quarantined";
    }
    return "?";
}

/// Where and what the impossible commit value was.
struct RingFault {
    abi::Sequence position = 0;  ///< q, the consumer position
    std::uint32_t index = 0;     ///< q & (INTENT_RING_SLOTS - 1)
    abi::Sequence commit = 0;    ///< the value found
};

class IntentRingReader {
public:
    IntentRingReader() = default;
    /// `ring`: the agent's region (the Fund's read-only mapping). `consumed`: the
    /// ReportControl.intents_consumed word in the agent's Fund-written report region.
    IntentRingReader(const abi::AgentIntentRegion* ring, abi::Sequence* consumed) noexcept
        : ring_(ring), consumed_(consumed) {}

    [[nodiscard]] RingPoll poll(abi::IntentRecord& out) noexcept;

    /// Records taken so far (the consumer position q).
    [[nodiscard]] abi::Sequence position() const noexcept { return position_; }
    [[nodiscard]] bool quarantined() const noexcept { return quarantined_; }
    [[nodiscard]] const RingFault& fault() const noexcept { return fault_; }

private:
    const abi::AgentIntentRegion* ring_ = nullptr;
    abi::Sequence* consumed_ = nullptr;
    abi::Sequence position_ = 0;
    bool quarantined_ = false;
    RingFault fault_{};
};

}  // namespace fundos::transport
