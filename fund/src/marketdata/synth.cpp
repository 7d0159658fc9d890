#include "fundos/marketdata/synth.hpp"

#include <cmath>
#include <cstdio>
#include <vector>

#include "fundos/marketdata/civil_time.hpp"
#include "fundos/marketdata/csv_import.hpp"
#include "fundos/marketdata/prng.hpp"

namespace fundos::marketdata {

namespace {

constexpr int MINUTES_PER_SESSION = 390;  // 09:30 .. 16:00
constexpr int STEPS_PER_MINUTE = 6;
constexpr double TICK = 0.01;

struct SymbolState {
    std::uint32_t handle;
    double price;         // dollars, on the tick grid
    double sigma;         // per step, as a fraction of the price
    std::int64_t spread;  // typical spread in ticks
    double base_volume;   // shares per minute at midday
};

std::int64_t to_ticks(double dollars) { return std::llround(dollars / TICK); }

}  // namespace

Status synthesize(const SynthOptions& options, FmdWriter& out) {
    if (options.symbols < 1 || options.symbols > 999) {
        return Status::error("synth: --symbols must be 1..999");
    }
    if (options.days < 1 || options.days > 10000) {
        return Status::error("synth: --days must be 1..10000");
    }
    Xoshiro256 rng(options.seed);
    std::vector<SymbolState> symbols(options.symbols);
    const double steps_per_year = 252.0 * MINUTES_PER_SESSION * STEPS_PER_MINUTE;
    for (std::uint32_t i = 0; i < options.symbols; ++i) {
        char name[16];
        std::snprintf(name, sizeof name, "SYN%03u", i + 1);
        SymbolState& s = symbols[i];
        if (Status st = out.add_instrument(name, EQUITY_TICK_SIZE, EQUITY_LOT_SIZE, s.handle); !st.ok()) {
            return st;
        }
        s.price = static_cast<double>(to_ticks(rng.uniform(20.0, 400.0))) * TICK;
        s.sigma = rng.uniform(0.15, 0.60) / std::sqrt(steps_per_year);
        s.spread = 1 + static_cast<std::int64_t>(rng.below(4));
        s.base_volume = rng.uniform(2'000.0, 50'000.0);
    }
    std::int64_t day = days_from_civil({2024, 1, 2});
    for (std::uint32_t d = 0; d < options.days; ++day) {
        const unsigned wd = weekday_from_days(day);
        if (wd == 0 || wd == 6) {
            continue;
        }
        ++d;
        const CivilDate date = civil_from_days(day);
        const auto open_utc = us_eastern_to_utc_ns(date, (9 * 3600 + 30 * 60) * 1000LL);
        if (!open_utc) {
            return Status::error("synth: date out of range");
        }
        for (int m = 0; m < MINUTES_PER_SESSION; ++m) {
            const abi::Timestamp bar_end = *open_utc + static_cast<abi::Timestamp>(m + 1) * 60ULL * NS_PER_SECOND;
            // U-shaped intraday volume: 1 at midday, 2.5 at the open and the close.
            const double x = (m - (MINUTES_PER_SESSION - 1) / 2.0) / ((MINUTES_PER_SESSION - 1) / 2.0);
            const double profile = 1.0 + 1.5 * x * x;
            for (SymbolState& s : symbols) {
                std::int64_t price = to_ticks(s.price);
                const std::int64_t open = price;
                std::int64_t high = price;
                std::int64_t low = price;
                for (int k = 0; k < STEPS_PER_MINUTE; ++k) {
                    s.price += s.price * s.sigma * rng.normal();
                    if (s.price < 1.0) {
                        s.price = 1.0;
                    }
                    price = to_ticks(s.price);
                    high = price > high ? price : high;
                    low = price < low ? price : low;
                }
                s.price = static_cast<double>(price) * TICK;  // stay on the grid
                const double volume = s.base_volume * profile * rng.uniform(0.3, 1.7);
                const std::int64_t lots = std::llround(volume / 100.0);

                EventRecord bar_event{};
                bar_event.time = bar_end;
                bar_event.instrument_id = s.handle;
                bar_event.source = 0;
                bar_event.kind = EventKind::BAR;
                bar_event.period_s = 60;
                bar_event.v[bar::OPEN] = open * EQUITY_TICK_SIZE;
                bar_event.v[bar::HIGH] = high * EQUITY_TICK_SIZE;
                bar_event.v[bar::LOW] = low * EQUITY_TICK_SIZE;
                bar_event.v[bar::CLOSE] = price * EQUITY_TICK_SIZE;
                bar_event.v[bar::VOLUME] = (lots < 1 ? 1 : lots) * 100 * EQUITY_LOT_SIZE;
                out.add(bar_event);

                std::int64_t spread = s.spread + static_cast<std::int64_t>(rng.below(3)) - 1;
                spread = spread < 1 ? 1 : spread;
                const std::int64_t bid = price - spread / 2 - (spread % 2) * static_cast<std::int64_t>(rng.below(2));
                const std::int64_t ask = bid + spread;
                EventRecord quote_event{};
                quote_event.time = bar_end;
                quote_event.instrument_id = s.handle;
                quote_event.source = 1;
                quote_event.kind = EventKind::QUOTE;
                quote_event.v[quote::BID] = (bid < 1 ? 1 : bid) * EQUITY_TICK_SIZE;
                quote_event.v[quote::ASK] = (ask < 2 ? 2 : ask) * EQUITY_TICK_SIZE;
                quote_event.v[quote::BID_SIZE] = static_cast<std::int64_t>(1 + rng.below(20)) * 100 * EQUITY_LOT_SIZE;
                quote_event.v[quote::ASK_SIZE] = static_cast<std::int64_t>(1 + rng.below(20)) * 100 * EQUITY_LOT_SIZE;
                out.add(quote_event);
            }
        }
    }
    return {};
}

}  // namespace fundos::marketdata
