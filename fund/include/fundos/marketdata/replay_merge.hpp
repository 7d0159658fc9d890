// ReplayMerge: one deterministic stream out of several .fmd readers.
//
// The merged instrument table is the union of the files' tables by symbol, ids 1..n in symbol
// order (a symbol in two files must have the same tick and lot size). Each event is copied with
// its instrument_id rewritten to the merged id, and events come out in the order
// (time, source, merged instrument_id, seq, file index): file index (position in the list given
// to open) breaks the only ties the key leaves, so the output depends on the files and their
// order in the list, nothing else. A binary heap over the k readers; O(log k) per event.
#pragma once

#include <cstdint>
#include <vector>

#include "fundos/marketdata/fmd_format.hpp"
#include "fundos/marketdata/replay_reader.hpp"
#include "fundos/marketdata/status.hpp"

namespace fundos::marketdata {

class ReplayMerge {
public:
    /// The readers are borrowed and must outlive the merge; they are consumed from their
    /// current positions.
    Status open(std::vector<ReplayReader*> readers);

    [[nodiscard]] const std::vector<InstrumentRecord>& instruments() const noexcept { return instruments_; }

    /// The next merged event (a copy owned by the merge, valid until the next call), or nullptr.
    [[nodiscard]] const EventRecord* next() noexcept;
    /// Which reader the last event from next() came from.
    [[nodiscard]] std::size_t last_file() const noexcept { return last_file_; }

private:
    struct Head {
        EventRecord event;
        std::size_t file;
    };
    static bool after(const Head& a, const Head& b) noexcept;  // heap comparator (min-heap)
    bool load(std::size_t file) noexcept;

    std::vector<ReplayReader*> readers_;
    std::vector<std::vector<std::uint32_t>> id_maps_;  // per file: file id -> merged id
    std::vector<InstrumentRecord> instruments_;
    std::vector<Head> heap_;
    EventRecord current_{};
    std::size_t last_file_ = 0;
};

}  // namespace fundos::marketdata
