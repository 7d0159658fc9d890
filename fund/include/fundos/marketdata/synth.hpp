// A deterministic, realistic multi-symbol sample: minute bars and quotes over regular US equity
// sessions (09:30-16:00 US/Eastern, Monday-Friday, no holidays) from 2024-01-02 on.
//
// Everything comes from one xoshiro256** stream seeded by `seed` (prng.hpp), drawn in a fixed
// order; only IEEE basic arithmetic is used, so a seed gives byte-identical files everywhere.
// Per symbol i (name "SYN" + 3 digits, i from 1): a start price 20..400, an annual volatility
// 15%..60%, a typical spread of 1..4 ticks (tick 0.01, lot 1) and a base volume. Each minute the
// price takes six random-walk steps (Irwin-Hall normals, sigma = vol / sqrt(252 * 390 * 6) of the
// price) giving the bar's open/high/low/close on the tick grid; volume follows a U-shaped
// intraday profile times a random factor, in round lots of 100. At each bar's end comes a quote:
// bid/ask around the close, spread = the symbol's typical spread +- 1 tick (at least 1), sizes
// 100..2000 shares. Bars have source 0, quotes source 1.
#pragma once

#include <cstdint>

#include "fundos/marketdata/fmd_writer.hpp"
#include "fundos/marketdata/status.hpp"

namespace fundos::marketdata {

struct SynthOptions {
    std::uint32_t symbols = 4;  // 1..999
    std::uint32_t days = 5;     // trading days, 1..10000
    std::uint64_t seed = 1;
};

/// Add the sample to `out` (which should be empty for a sample file of its own).
Status synthesize(const SynthOptions& options, FmdWriter& out);

}  // namespace fundos::marketdata
