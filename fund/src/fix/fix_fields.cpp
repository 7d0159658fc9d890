#include "fix_fields.hpp"

#include <charconv>
#include <cstdio>

#include "fundos/marketdata/civil_time.hpp"
#include "fundos/marketdata/decimal.hpp"

namespace fundos::fix::fields {

namespace md = fundos::marketdata;

std::string text(const FIX::FieldMap& map, int tag) {
    return map.isSetField(tag) ? map.getField(tag) : std::string();
}

char character(const FIX::FieldMap& map, int tag) {
    const std::string value = text(map, tag);
    return value.empty() ? '\0' : value.front();
}

std::optional<std::int64_t> fixed(const FIX::FieldMap& map, int tag, int decimals) {
    if (!map.isSetField(tag)) {
        return std::nullopt;
    }
    return md::parse_fixed(map.getField(tag), decimals);
}

std::int64_t fixed_or_zero(const FIX::FieldMap& map, int tag, int decimals) {
    return fixed(map, tag, decimals).value_or(0);
}

std::optional<std::int64_t> integer(const FIX::FieldMap& map, int tag) {
    if (!map.isSetField(tag)) {
        return std::nullopt;
    }
    const std::string value = map.getField(tag);
    std::int64_t out = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), out);
    if (error != std::errc{} || end != value.data() + value.size()) {
        return std::nullopt;
    }
    return out;
}

void set(FIX::FieldMap& map, int tag, std::string_view value) {
    // "1=" is no FIX value (the peer rejects the message: tag specified without a value): an
    // empty text, e.g. no Account, leaves the field out.
    if (!value.empty()) {
        map.setField(tag, std::string(value));
    }
}

void set_char(FIX::FieldMap& map, int tag, char value) { map.setField(tag, std::string(1, value)); }

void set_qty(FIX::FieldMap& map, int tag, abi::Quantity qty) {
    map.setField(tag, md::format_fixed(qty, abi::QUANTITY_DECIMALS, md::Zeros::kTrim));
}

void set_price(FIX::FieldMap& map, int tag, abi::Price price) {
    map.setField(tag, md::format_fixed(price, abi::PRICE_DECIMALS, md::Zeros::kTrim));
}

void set_time(FIX::FieldMap& map, int tag, abi::Timestamp ns) { map.setField(tag, utc_timestamp(ns)); }

std::string utc_timestamp(abi::Timestamp ns) {
    const auto seconds = static_cast<std::int64_t>(ns / 1'000'000'000ULL);
    const auto millis = static_cast<unsigned>(ns % 1'000'000'000ULL / 1'000'000ULL);
    const md::CivilDate date = md::civil_from_days(seconds / md::SECONDS_PER_DAY);
    const std::int64_t of_day = seconds % md::SECONDS_PER_DAY;
    char out[40];
    std::snprintf(out, sizeof out, "%04d%02u%02u-%02u:%02u:%02u.%03u", date.year, date.month, date.day,
                  static_cast<unsigned>(of_day / 3600), static_cast<unsigned>(of_day / 60 % 60),
                  static_cast<unsigned>(of_day % 60), millis);
    return out;
}

std::string date_of(abi::Timestamp ns) { return utc_timestamp(ns).substr(0, 8); }

namespace {

bool digits(std::string_view text, std::size_t at, std::size_t n, unsigned& out) {
    if (at + n > text.size()) {
        return false;
    }
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
        if (text[i] < '0' || text[i] > '9') {
            return false;
        }
        out = out * 10 + static_cast<unsigned>(text[i] - '0');
    }
    return true;
}

}  // namespace

std::optional<abi::Timestamp> parse_utc_timestamp(std::string_view text) {
    unsigned year = 0, month = 0, day = 0, hh = 0, mm = 0, ss = 0;
    if (text.size() < 17 || text[8] != '-' || text[11] != ':' || text[14] != ':' || !digits(text, 0, 4, year) ||
        !digits(text, 4, 2, month) || !digits(text, 6, 2, day) || !digits(text, 9, 2, hh) ||
        !digits(text, 12, 2, mm) || !digits(text, 15, 2, ss)) {
        return std::nullopt;
    }
    const md::CivilDate date{static_cast<int>(year), month, day};
    if (!md::valid_date(date) || hh > 23 || mm > 59 || ss > 60) {
        return std::nullopt;
    }
    std::uint64_t nanos = 0;
    if (text.size() > 17) {
        const std::size_t n = text.size() - 18;
        unsigned fraction = 0;
        if (text[17] != '.' || n == 0 || n > 9 || !digits(text, 18, n, fraction)) {
            return std::nullopt;
        }
        nanos = fraction;
        for (std::size_t i = n; i < 9; ++i) {
            nanos *= 10;
        }
    }
    const std::int64_t seconds = md::days_from_civil(date) * md::SECONDS_PER_DAY + hh * 3600 + mm * 60 + ss;
    if (seconds < 0) {
        return std::nullopt;
    }
    return static_cast<abi::Timestamp>(seconds) * 1'000'000'000ULL + nanos;
}

char side_code(abi::Side side) noexcept { return side == abi::Side::SELL ? '2' : '1'; }

abi::Side side_of(char code) noexcept {
    return code == '1' ? abi::Side::BUY : code == '2' ? abi::Side::SELL : abi::Side::NONE;
}

char ord_type_code(abi::OrderType type) noexcept { return type == abi::OrderType::LIMIT ? '2' : '1'; }

abi::OrderType ord_type_of(char code) noexcept {
    return code == '1' ? abi::OrderType::MARKET : code == '2' ? abi::OrderType::LIMIT : abi::OrderType::NONE;
}

char tif_code(abi::TimeInForce tif) noexcept {
    switch (tif) {
        case abi::TimeInForce::GTC: return '1';
        case abi::TimeInForce::IOC: return '3';
        case abi::TimeInForce::FOK: return '4';
        default: return '0';
    }
}

abi::TimeInForce tif_of(char code) noexcept {
    switch (code) {
        case '1': return abi::TimeInForce::GTC;
        case '3': return abi::TimeInForce::IOC;
        case '4': return abi::TimeInForce::FOK;
        default: return abi::TimeInForce::DAY;
    }
}

std::string msg_type(const FIX::Message& message) { return text(message.getHeader(), kMsgType); }

FIX::Message make(std::string_view type) {
    FIX::Message message;
    message.getHeader().setField(kMsgType, std::string(type));
    return message;
}

}  // namespace fundos::fix::fields
