// Session days in America/New_York (execution.hpp).
#include "fundos/engine/execution.hpp"

#include "fundos/marketdata/civil_time.hpp"

namespace fundos::engine {

namespace {

constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
    const std::int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

}  // namespace

std::int64_t session_day(abi::Timestamp t) noexcept {
    using namespace marketdata;
    const std::int64_t secs = static_cast<std::int64_t>(t / static_cast<abi::Timestamp>(NS_PER_SECOND));
    const std::int64_t est = secs - 5 * 3600;  // standard time first
    const std::int64_t day = floor_div(est, SECONDS_PER_DAY);
    const CivilDate date = civil_from_days(day);
    if (date.year >= 1987 && date.year <= 2200 && us_eastern_is_dst(date, est - day * SECONDS_PER_DAY)) {
        return floor_div(secs - 4 * 3600, SECONDS_PER_DAY);
    }
    return day;
}

abi::Timestamp session_day_start(std::int64_t day) noexcept {
    using namespace marketdata;
    const auto utc = us_eastern_to_utc_ns(civil_from_days(day), 0);
    if (utc) {
        return *utc;
    }
    const std::int64_t secs = day * SECONDS_PER_DAY + 5 * 3600;
    return secs <= 0 ? 0 : static_cast<abi::Timestamp>(secs) * static_cast<abi::Timestamp>(NS_PER_SECOND);
}

}  // namespace fundos::engine
