// Calendar arithmetic and US/Eastern -> UTC without the system time-zone database, so results do
// not depend on the machine. Days from civil: Howard Hinnant's algorithm (proleptic Gregorian).
//
// US daylight saving time (Energy Policy Act of 2005, from 2007): from 02:00 local on the second
// Sunday of March to 02:00 local on the first Sunday of November. 1987..2006: first Sunday of
// April to last Sunday of October. Years before 1987 are rejected. Local times that do not exist
// (02:00..02:59 on the March change day) are read as daylight time; local times that occur twice
// (01:00..01:59 on the November change day) as the first, daylight, occurrence.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "fundos/abi.hpp"

namespace fundos::marketdata {

inline constexpr std::int64_t NS_PER_SECOND = 1'000'000'000;
inline constexpr std::int64_t SECONDS_PER_DAY = 86'400;

struct CivilDate {
    int year;
    unsigned month;  // 1..12
    unsigned day;    // 1..31
};

/// Days since 1970-01-01.
[[nodiscard]] constexpr std::int64_t days_from_civil(CivilDate date) noexcept {
    const int y = date.year - (date.month <= 2 ? 1 : 0);
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned mp = date.month > 2 ? date.month - 3 : date.month + 9;
    const unsigned doy = (153 * mp + 2) / 5 + date.day - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return static_cast<std::int64_t>(era) * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

[[nodiscard]] constexpr CivilDate civil_from_days(std::int64_t z) noexcept {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return CivilDate{static_cast<int>(era * 400 + yoe + (m <= 2 ? 1 : 0)), m, d};
}

/// 0 = Sunday .. 6 = Saturday.
[[nodiscard]] constexpr unsigned weekday_from_days(std::int64_t days) noexcept {
    return static_cast<unsigned>(((days % 7) + 7 + 4) % 7);
}

[[nodiscard]] constexpr bool valid_date(CivilDate date) noexcept {
    if (date.month < 1 || date.month > 12 || date.day < 1) {
        return false;
    }
    constexpr unsigned lengths[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (date.year % 4 == 0 && date.year % 100 != 0) || date.year % 400 == 0;
    const unsigned length = lengths[date.month - 1] + (date.month == 2 && leap ? 1 : 0);
    return date.day <= length;
}

/// Day number of the n-th (1-based) Sunday of a month; n = 0 means the last one.
[[nodiscard]] constexpr std::int64_t nth_sunday(int year, unsigned month, unsigned n) noexcept {
    if (n == 0) {
        const std::int64_t next_first = month == 12 ? days_from_civil({year + 1, 1, 1})
                                                    : days_from_civil({year, month + 1, 1});
        const std::int64_t last = next_first - 1;
        return last - weekday_from_days(last);
    }
    const std::int64_t first = days_from_civil({year, month, 1});
    return first + (7 - weekday_from_days(first)) % 7 + 7 * (n - 1);
}

/// True when `local_seconds_of_day` on `date` is US Eastern daylight time.
[[nodiscard]] constexpr bool us_eastern_is_dst(CivilDate date, std::int64_t local_seconds_of_day) noexcept {
    const std::int64_t day = days_from_civil(date);
    const std::int64_t start = date.year >= 2007 ? nth_sunday(date.year, 3, 2) : nth_sunday(date.year, 4, 1);
    const std::int64_t end = date.year >= 2007 ? nth_sunday(date.year, 11, 1) : nth_sunday(date.year, 10, 0);
    const std::int64_t local = day * SECONDS_PER_DAY + local_seconds_of_day;
    return local >= start * SECONDS_PER_DAY + 2 * 3600 && local < end * SECONDS_PER_DAY + 2 * 3600;
}

/// UTC epoch nanoseconds of `ms_since_midnight` US/Eastern local time on `date`; nullopt for an
/// invalid date, a year before 1987, or a negative time.
[[nodiscard]] constexpr std::optional<abi::Timestamp> us_eastern_to_utc_ns(CivilDate date,
                                                                           std::int64_t ms_since_midnight) noexcept {
    if (!valid_date(date) || date.year < 1987 || date.year > 2200 || ms_since_midnight < 0) {
        return std::nullopt;
    }
    const std::int64_t offset_hours = us_eastern_is_dst(date, ms_since_midnight / 1000) ? 4 : 5;
    const std::int64_t utc_ms = days_from_civil(date) * SECONDS_PER_DAY * 1000 + ms_since_midnight +
                                offset_hours * 3600 * 1000;
    return static_cast<abi::Timestamp>(utc_ms) * 1'000'000ULL;
}

/// How much of the second format_utc writes.
enum class TimeDigits : bool { kNanoseconds, kSeconds };

/// A timestamp (ns since the epoch, UTC) as ISO 8601: "2024-01-02T14:31:00.000000123Z", or
/// "2024-01-02T14:31:00Z" with kSeconds (progress lines and status, for people).
[[nodiscard]] inline std::string format_utc(abi::Timestamp ns, TimeDigits digits = TimeDigits::kNanoseconds) {
    const auto seconds = static_cast<std::int64_t>(ns / static_cast<std::uint64_t>(NS_PER_SECOND));
    const auto nanos = static_cast<unsigned long long>(ns % static_cast<std::uint64_t>(NS_PER_SECOND));
    const CivilDate date = civil_from_days(seconds / SECONDS_PER_DAY);
    const std::int64_t of_day = seconds % SECONDS_PER_DAY;
    const auto hh = static_cast<unsigned>(of_day / 3600);
    const auto mm = static_cast<unsigned>(of_day / 60 % 60);
    const auto ss = static_cast<unsigned>(of_day % 60);
    char text[48];
    if (digits == TimeDigits::kSeconds) {
        std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02u:%02u:%02uZ", date.year, date.month, date.day, hh, mm, ss);
    } else {
        std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02u:%02u:%02u.%09lluZ", date.year, date.month, date.day, hh,
                      mm, ss, nanos);
    }
    return text;
}

}  // namespace fundos::marketdata
