// Importer for QuantConnect LEAN equity data (zip files holding one CSV each; see
// ../shared/data/lean/README.md). The kind, symbol and date come from the path:
//
//   .../minute/SYM/YYYYMMDD_trade.zip   ms, open, high, low, close, volume     -> BAR, period 60 s
//   .../minute/SYM/YYYYMMDD_quote.zip   ms, bid o/h/l/c, last bid size, ask o/h/l/c, last ask size
//                                       -> QUOTE at the bar's end: bid close, ask close, sizes
//   .../tick/SYM/YYYYMMDD_trade.zip     ms, price, quantity, exchange, condition, suspicious
//                                       -> TRADE (flags FLAG_SUSPICIOUS when suspicious is 1)
//
// Prices are integers in 1/10000 dollar (-> Price * 10^4), sizes whole shares (-> Quantity
// * 10^6), times ms since midnight US/Eastern of the file's date (-> UTC by civil_time.hpp, no
// tz database). Minute bar times are the bar start; the record's time is start + 60 s. The zip is
// read with `unzip -p` (spawned without a shell). Symbols are upper-cased; tick 0.01, lot 1.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fundos/marketdata/fmd_writer.hpp"
#include "fundos/marketdata/status.hpp"

namespace fundos::marketdata {

/// Import one LEAN zip file.
Status import_lean_file(const std::string& path, std::uint16_t source, FmdWriter& out);

/// Expand `paths` (files, or folders searched recursively for *_trade.zip / *_quote.zip under
/// minute/ or tick/), sort them bytewise, and import each with source = its index in that order.
Status import_lean(const std::vector<std::string>& paths, FmdWriter& out, std::size_t* files_imported = nullptr);

}  // namespace fundos::marketdata
