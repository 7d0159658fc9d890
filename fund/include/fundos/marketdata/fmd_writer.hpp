// FmdWriter: collects instruments and events in memory, then writes one .fmd file.
//
//   FmdWriter w;
//   std::uint32_t spy = w.add_instrument("SPY", tick, lot);   // a handle, not the final id
//   EventRecord e{...}; e.instrument_id = spy; w.add(e);       // seq is assigned here
//   Status s = w.write("out.fmd");
//
// write() gives instruments ids 1..n in symbol order (bytewise), rewrites each event's handle to
// that id, sorts events by event_order.hpp, fills the header (counts, first/last time,
// checksum), and writes everything to "<path>.tmp.<pid>" which it fsyncs and renames onto
// <path>: a reader sees the old file or the whole new one, never half. Same input in the same
// order gives byte-identical files. Memory: 64 bytes per event (imports fit in RAM; an external
// sort is future work).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fundos/abi.hpp"
#include "fundos/marketdata/fmd_format.hpp"
#include "fundos/marketdata/status.hpp"

namespace fundos::marketdata {

class FmdWriter {
public:
    /// The handle of `symbol` (added if new). Symbols are 1..15 printable ASCII characters; an
    /// invalid symbol, or a known one with a different tick or lot size, is an error.
    Status add_instrument(std::string_view symbol, abi::Price tick_size, abi::Quantity lot_size,
                          std::uint32_t& handle);

    /// Append an event; its instrument_id must be a handle from add_instrument. Overwrites seq.
    void add(const EventRecord& event);

    [[nodiscard]] std::size_t event_count() const noexcept { return events_.size(); }
    [[nodiscard]] std::size_t instrument_count() const noexcept { return instruments_.size(); }

    /// Sort and write to `path` atomically (see above). The writer is left sorted and remapped;
    /// write it once.
    Status write(const std::string& path);

private:
    std::vector<InstrumentRecord> instruments_;  // by handle (insertion order)
    std::vector<EventRecord> events_;
};

/// Write `size` bytes of `data` to `path` through a temp file, fsync, and rename.
Status write_file_atomically(const std::string& path, const void* data, std::size_t size);

}  // namespace fundos::marketdata
