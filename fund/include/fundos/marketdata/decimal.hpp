// Exact decimal text -> fixed-point integer, for importers. No floating point: "123.45" with 8
// decimals is 12345000000 exactly. Accepts an optional '-', digits, an optional '.' and digits;
// rejects more fractional digits than `decimals` unless they are zeros, and overflow of i64.
#pragma once

#include <cstdint>
#include <optional>
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
    constexpr std::uint64_t limit = static_cast<std::uint64_t>(INT64_MAX);
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
    const auto signed_value = static_cast<std::int64_t>(value);
    return negative ? -signed_value : signed_value;
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

}  // namespace fundos::marketdata
