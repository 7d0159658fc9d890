// Generic CSV importer. The file's first line must be exactly this header:
//
//   time_ns,symbol,kind,price,size,bid,ask,bid_size,ask_size,open,high,low,close,volume
//
// and every other line has those 14 fields (empty lines are skipped, a trailing '\r' is ignored,
// no quoting). Fields:
//
//   time_ns   UTC nanoseconds since the Unix epoch, unsigned decimal integer
//   symbol    1..15 printable ASCII characters, no comma; tick size 0.01 and lot size 1 are
//             assumed for every symbol
//   kind      BAR, QUOTE or TRADE; the fields of the other kinds must be empty
//   TRADE     price > 0, size >= 0
//   QUOTE     bid > 0, ask > 0, bid_size >= 0, ask_size >= 0
//   BAR       open, high, low, close > 0 with low <= open, close <= high; volume >= 0; time_ns is
//             the bar's END time (period unknown: period_s 0)
//
// Prices are exact decimals with at most 8 fractional digits (abi Price), sizes at most 6
// (abi Quantity); e.g. "101.25", "100", "0.5". Records keep the file's line order as seq and get
// `source`. Any bad line stops the import with "FILE:LINE: what" and adds nothing.
#pragma once

#include <cstdint>
#include <string>

#include "fundos/marketdata/fmd_writer.hpp"
#include "fundos/marketdata/status.hpp"

namespace fundos::marketdata {

inline constexpr const char* CSV_HEADER =
    "time_ns,symbol,kind,price,size,bid,ask,bid_size,ask_size,open,high,low,close,volume";

/// Default instrument sizes for CSV and LEAN equities: tick 0.01, lot 1 share.
inline constexpr abi::Price EQUITY_TICK_SIZE = 1'000'000;
inline constexpr abi::Quantity EQUITY_LOT_SIZE = 1'000'000;

Status import_csv(const std::string& path, std::uint16_t source, FmdWriter& out);

}  // namespace fundos::marketdata
