#include "fundos/marketdata/lean_import.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <string_view>
#include <system_error>

#include "fundos/marketdata/civil_time.hpp"
#include "fundos/marketdata/csv_import.hpp"
#include "fundos/marketdata/decimal.hpp"
#include "line_reader.hpp"

namespace fundos::marketdata {

namespace {

enum class LeanKind { MINUTE_TRADE, MINUTE_QUOTE, TICK_TRADE };

struct LeanFile {
    LeanKind kind;
    std::string symbol;
    CivilDate date;
};

constexpr std::int64_t PRICE_SCALE = 10'000;       // 1/10000 dollar -> 1e-8
constexpr std::int64_t SHARE_SCALE = 1'000'000;    // shares -> 1e-6

Status parse_path(const std::string& path, LeanFile& out) {
    namespace fs = std::filesystem;
    const fs::path p(path);
    const std::string name = p.filename().string();
    const std::string symbol = p.parent_path().filename().string();
    const std::string resolution = p.parent_path().parent_path().filename().string();
    const bool trade = name.size() == 18 && name.ends_with("_trade.zip");
    const bool quote = name.size() == 18 && name.ends_with("_quote.zip");
    const auto ymd = parse_u64(std::string_view(name).substr(0, 8));
    if ((!trade && !quote) || !ymd || (resolution != "minute" && resolution != "tick") ||
        (resolution == "tick" && !trade)) {
        return Status::error(path + ": not a LEAN minute/SYM/YYYYMMDD_{trade,quote}.zip or tick/SYM/YYYYMMDD_trade.zip path");
    }
    out.date = CivilDate{static_cast<int>(*ymd / 10000), static_cast<unsigned>(*ymd / 100 % 100),
                         static_cast<unsigned>(*ymd % 100)};
    if (!valid_date(out.date) || out.date.year < 1987) {
        return Status::error(path + ": bad or unsupported date in the file name");
    }
    if (symbol.empty() || symbol.size() >= FMD_SYMBOL_LEN) {
        return Status::error(path + ": symbol folder name must be 1..15 characters");
    }
    out.symbol = symbol;
    std::transform(out.symbol.begin(), out.symbol.end(), out.symbol.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    out.kind = resolution == "tick" ? LeanKind::TICK_TRADE : trade ? LeanKind::MINUTE_TRADE : LeanKind::MINUTE_QUOTE;
    return {};
}

std::size_t split(std::string_view line, std::string_view* fields, std::size_t max) {
    std::size_t n = 0;
    while (n < max) {
        const std::size_t comma = line.find(',');
        fields[n++] = line.substr(0, comma);
        if (comma == std::string_view::npos) {
            return n;
        }
        line.remove_prefix(comma + 1);
    }
    return max + 1;  // too many
}

}  // namespace

Status import_lean_file(const std::string& path, std::uint16_t source, FmdWriter& out) {
    LeanFile file{};
    if (Status s = parse_path(path, file); !s.ok()) {
        return s;
    }
    if (!std::filesystem::is_regular_file(path)) {
        return Status::error(path + ": no such file");
    }
    detail::LineReader in;
    if (Status s = in.open_command({"unzip", "-p", "--", path}); !s.ok()) {
        return Status::error(path + ": " + s.message());
    }
    const std::size_t expected = file.kind == LeanKind::MINUTE_TRADE ? 6 : file.kind == LeanKind::MINUTE_QUOTE ? 11 : 6;
    std::vector<EventRecord> events;
    std::string line;
    std::size_t line_no = 0;
    std::array<std::string_view, 12> f;
    while (in.next(line)) {
        ++line_no;
        if (line.empty()) {
            continue;
        }
        const std::string where = path + ":" + std::to_string(line_no) + ": ";
        if (split(line, f.data(), expected) != expected) {
            return Status::error(where + "expected " + std::to_string(expected) + " comma-separated fields");
        }
        const auto ms = parse_u64(f[0]);
        if (!ms || *ms > 2 * SECONDS_PER_DAY * 1000) {
            return Status::error(where + "time '" + std::string(f[0]) + "' is not milliseconds since midnight");
        }
        const auto utc = us_eastern_to_utc_ns(file.date, static_cast<std::int64_t>(*ms));
        std::array<std::int64_t, 11> n{};
        for (std::size_t i = 1; i < expected; ++i) {
            if (file.kind == LeanKind::TICK_TRADE && (i == 3 || i == 4)) {
                continue;  // exchange, sale condition: not kept
            }
            const auto v = parse_u64(f[i]);
            if (!v || *v > static_cast<std::uint64_t>(INT64_MAX / PRICE_SCALE)) {
                return Status::error(where + "field " + std::to_string(i + 1) + " '" + std::string(f[i]) +
                                     "' is not a non-negative integer");
            }
            n[i] = static_cast<std::int64_t>(*v);
        }
        EventRecord e{};
        e.source = source;
        switch (file.kind) {
            case LeanKind::MINUTE_TRADE:
                e.kind = EventKind::BAR;
                e.period_s = 60;
                e.time = *utc + 60ULL * NS_PER_SECOND;
                for (int i = 0; i < 4; ++i) {
                    e.v[i] = n[1 + i] * PRICE_SCALE;
                }
                e.v[bar::VOLUME] = n[5] * SHARE_SCALE;
                if (e.v[bar::LOW] <= 0 || e.v[bar::LOW] > e.v[bar::HIGH] || e.v[bar::OPEN] < e.v[bar::LOW] ||
                    e.v[bar::OPEN] > e.v[bar::HIGH] || e.v[bar::CLOSE] < e.v[bar::LOW] || e.v[bar::CLOSE] > e.v[bar::HIGH]) {
                    return Status::error(where + "bar needs 0 < low <= open, close <= high");
                }
                break;
            case LeanKind::MINUTE_QUOTE:
                e.kind = EventKind::QUOTE;
                e.time = *utc + 60ULL * NS_PER_SECOND;
                e.v[quote::BID] = n[4] * PRICE_SCALE;
                e.v[quote::BID_SIZE] = n[5] * SHARE_SCALE;
                e.v[quote::ASK] = n[9] * PRICE_SCALE;
                e.v[quote::ASK_SIZE] = n[10] * SHARE_SCALE;
                break;
            case LeanKind::TICK_TRADE:
                e.kind = EventKind::TRADE;
                e.time = *utc;
                e.v[trade::PRICE] = n[1] * PRICE_SCALE;
                e.v[trade::SIZE] = n[2] * SHARE_SCALE;
                if (f[5] != "0" && f[5] != "1") {
                    return Status::error(where + "suspicious flag must be 0 or 1");
                }
                e.flags = f[5] == "1" ? FLAG_SUSPICIOUS : 0;
                if (e.v[trade::PRICE] <= 0) {
                    return Status::error(where + "trade price must be positive");
                }
                break;
        }
        events.push_back(e);
    }
    if (Status s = in.finish(); !s.ok()) {
        return Status::error(path + ": " + s.message());
    }
    std::uint32_t handle = 0;
    if (Status s = out.add_instrument(file.symbol, EQUITY_TICK_SIZE, EQUITY_LOT_SIZE, handle); !s.ok()) {
        return Status::error(path + ": " + s.message());
    }
    for (EventRecord& e : events) {
        e.instrument_id = handle;
        out.add(e);
    }
    return {};
}

Status import_lean(const std::vector<std::string>& paths, FmdWriter& out, std::size_t* files_imported) {
    namespace fs = std::filesystem;
    std::vector<std::string> files;
    for (const std::string& path : paths) {
        std::error_code ec;
        if (fs::is_directory(path, ec)) {
            for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
                 it.increment(ec)) {
                const std::string name = it->path().filename().string();
                const std::string resolution = it->path().parent_path().parent_path().filename().string();
                if (it->is_regular_file() && (name.ends_with("_trade.zip") || name.ends_with("_quote.zip")) &&
                    (resolution == "minute" || resolution == "tick")) {
                    files.push_back(it->path().string());
                }
            }
            if (ec) {
                return Status::error(path + ": " + ec.message());
            }
        } else {
            files.push_back(path);
        }
    }
    std::sort(files.begin(), files.end());
    files.erase(std::unique(files.begin(), files.end()), files.end());
    if (files.empty()) {
        return Status::error("no LEAN files found in the given paths");
    }
    if (files.size() > UINT16_MAX + 1u) {
        return Status::error("more than 65536 LEAN files in one import");
    }
    for (std::size_t i = 0; i < files.size(); ++i) {
        if (Status s = import_lean_file(files[i], static_cast<std::uint16_t>(i), out); !s.ok()) {
            return s;
        }
    }
    if (files_imported != nullptr) {
        *files_imported = files.size();
    }
    return {};
}

}  // namespace fundos::marketdata
