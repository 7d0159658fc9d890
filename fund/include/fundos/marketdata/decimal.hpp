// Exact decimal text -> fixed-point integer, for importers. No floating point: "123.45" with 8
// decimals is 12345000000 exactly. Accepts an optional '-', digits, an optional '.' and digits;
// rejects more fractional digits than `decimals` unless they are zeros, and overflow of i64.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fundos::marketdata {

[[nodiscard]] constexpr std::optional<std::int64_t> parse_fixed(std::string_view text, int decimals) noexcept {
    bool negative = false;
    if (!text.empty() && text.front() == '-') {
        negative = true;
        text.remove_prefix(1);
    }
    if (text.empty()) {
        return std::nullopt;
    }
    // A negative value may reach INT64_MIN, one more in magnitude than INT64_MAX.
    const std::uint64_t limit = static_cast<std::uint64_t>(INT64_MAX) + (negative ? 1U : 0U);
    std::uint64_t value = 0;
    int fraction_digits = -1;  // -1: no '.' seen
    bool any_digit = false;
    for (char c : text) {
        if (c == '.') {
            if (fraction_digits >= 0) {
                return std::nullopt;
            }
            fraction_digits = 0;
            continue;
        }
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        any_digit = true;
        if (fraction_digits >= 0) {
            if (fraction_digits == decimals) {
                if (c != '0') {
                    return std::nullopt;  // more precision than the type holds
                }
                continue;
            }
            ++fraction_digits;
        }
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (limit - digit) / 10) {
            return std::nullopt;
        }
        value = value * 10 + digit;
    }
    if (!any_digit) {
        return std::nullopt;
    }
    for (int i = fraction_digits < 0 ? 0 : fraction_digits; i < decimals; ++i) {
        if (value > limit / 10) {
            return std::nullopt;
        }
        value *= 10;
    }
    if (negative && value != 0) {
        return -static_cast<std::int64_t>(value - 1) - 1;  // INT64_MIN without overflowing
    }
    return static_cast<std::int64_t>(value);
}

/// An unsigned decimal integer (no sign, no '.'); nullopt on anything else or overflow.
[[nodiscard]] constexpr std::optional<std::uint64_t> parse_u64(std::string_view text) noexcept {
    if (text.empty()) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (UINT64_MAX - digit) / 10) {
            return std::nullopt;
        }
        value = value * 10 + digit;
    }
    return value;
}

/// Whether format_fixed writes every decimal or drops trailing zeros (and a bare '.').
enum class Zeros : bool { kKeep, kTrim };

/// A fixed-point integer as exact decimal text, `raw` * 10^-decimals: (1250500000, 6) is
/// "1250.500000" with kKeep (reports, CSV: columns line up) and "1250.5" with kTrim (configs,
/// the journal printer; "1250" when no fraction is left). The text reads back with parse_fixed.
[[nodiscard]] inline std::string format_fixed(std::int64_t raw, int decimals, Zeros zeros = Zeros::kKeep) {
    const bool negative = raw < 0;
    const std::uint64_t magnitude =
        negative ? static_cast<std::uint64_t>(-(raw + 1)) + 1 : static_cast<std::uint64_t>(raw);
    std::string digits = std::to_string(magnitude);
    if (decimals > 0) {
        const auto places = static_cast<std::size_t>(decimals);
        if (digits.size() <= places) {
            digits.insert(0, places + 1 - digits.size(), '0');
        }
        digits.insert(digits.size() - places, 1, '.');
        if (zeros == Zeros::kTrim) {
            while (digits.back() == '0') {
                digits.pop_back();
            }
            if (digits.back() == '.') {
                digits.pop_back();
            }
        }
    }
    if (negative) {
        digits.insert(digits.begin(), '-');
    }
    return digits;
}

}  // namespace fundos::marketdata
