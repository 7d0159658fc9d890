// The one order of events in an .fmd file and in a merge: (time, source, instrument_id, seq),
// compared as unsigned integers. seq is unique within a file, so the order is total and a sort
// by it gives the same bytes whatever the sort algorithm or the input order.
#pragma once

#include <tuple>

#include "fundos/marketdata/fmd_format.hpp"

namespace fundos::marketdata {

[[nodiscard]] inline bool event_before(const EventRecord& a, const EventRecord& b) noexcept {
    return std::tie(a.time, a.source, a.instrument_id, a.seq) <
           std::tie(b.time, b.source, b.instrument_id, b.seq);
}

}  // namespace fundos::marketdata
