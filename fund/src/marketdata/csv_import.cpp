#include "fundos/marketdata/csv_import.hpp"

#include <array>
#include <string_view>
#include <vector>

#include "fundos/marketdata/decimal.hpp"
#include "line_reader.hpp"

namespace fundos::marketdata {

namespace {

constexpr std::size_t FIELDS = 14;
enum Col { TIME, SYMBOL, KIND, PRICE, SIZE, BID, ASK, BID_SIZE, ASK_SIZE, OPEN, HIGH, LOW, CLOSE, VOLUME };
constexpr std::array<const char*, FIELDS> NAMES = {"time_ns", "symbol", "kind", "price", "size", "bid", "ask",
                                                   "bid_size", "ask_size", "open", "high", "low", "close", "volume"};

bool split(std::string_view line, std::array<std::string_view, FIELDS>& out) {
    std::size_t n = 0;
    while (true) {
        const std::size_t comma = line.find(',');
        if (n == FIELDS) {
            return false;
        }
        out[n++] = line.substr(0, comma);
        if (comma == std::string_view::npos) {
            break;
        }
        line.remove_prefix(comma + 1);
    }
    return n == FIELDS;
}

}  // namespace

Status import_csv(const std::string& path, std::uint16_t source, FmdWriter& out) {
    detail::LineReader in;
    if (Status s = in.open_file(path); !s.ok()) {
        return s;
    }
    std::string line;
    if (!in.next(line)) {
        Status s = in.finish();
        return s.ok() ? Status::error(path + ":1: empty file; expected the header " + CSV_HEADER) : s;
    }
    if (line != CSV_HEADER) {
        return Status::error(path + ":1: bad header; expected exactly " + CSV_HEADER);
    }
    // Parse everything first, then add: a bad line leaves `out` untouched.
    struct Row {
        std::string symbol;
        EventRecord event;
    };
    std::vector<Row> rows;
    std::size_t line_no = 1;
    std::array<std::string_view, FIELDS> f;
    while (in.next(line)) {
        ++line_no;
        if (line.empty()) {
            continue;
        }
        const std::string where = path + ":" + std::to_string(line_no) + ": ";
        if (!split(line, f)) {
            return Status::error(where + "expected " + std::to_string(FIELDS) + " comma-separated fields");
        }
        EventRecord e{};
        e.source = source;
        const auto time = parse_u64(f[TIME]);
        if (!time) {
            return Status::error(where + "time_ns '" + std::string(f[TIME]) + "' is not an unsigned integer");
        }
        e.time = *time;
        if (f[SYMBOL].empty() || f[SYMBOL].size() >= FMD_SYMBOL_LEN) {
            return Status::error(where + "symbol must be 1..15 characters");
        }
        for (char c : f[SYMBOL]) {
            if (c <= ' ' || c >= 127) {
                return Status::error(where + "symbol '" + std::string(f[SYMBOL]) + "' has a character that is not printable ASCII");
            }
        }
        std::vector<int> wanted;
        if (f[KIND] == "BAR") {
            e.kind = EventKind::BAR;
            wanted = {OPEN, HIGH, LOW, CLOSE, VOLUME};
        } else if (f[KIND] == "QUOTE") {
            e.kind = EventKind::QUOTE;
            wanted = {BID, ASK, BID_SIZE, ASK_SIZE};
        } else if (f[KIND] == "TRADE") {
            e.kind = EventKind::TRADE;
            wanted = {PRICE, SIZE};
        } else {
            return Status::error(where + "kind '" + std::string(f[KIND]) + "' is not BAR, QUOTE or TRADE");
        }
        for (int c = PRICE; c <= VOLUME; ++c) {
            bool is_wanted = false;
            for (std::size_t i = 0; i < wanted.size(); ++i) {
                if (wanted[i] == c) {
                    is_wanted = true;
                    const bool is_size = c == SIZE || c == BID_SIZE || c == ASK_SIZE || c == VOLUME;
                    const auto v = parse_fixed(f[c], is_size ? 6 : 8);
                    if (!v) {
                        return Status::error(where + NAMES[c] + " '" + std::string(f[c]) + "' is not a decimal with at most " +
                                             (is_size ? "6" : "8") + " fractional digits");
                    }
                    if (is_size ? *v < 0 : *v <= 0) {
                        return Status::error(where + NAMES[c] + " must be " + (is_size ? "zero or positive" : "positive"));
                    }
                    e.v[i] = *v;
                }
            }
            if (!is_wanted && !f[c].empty()) {
                return Status::error(where + NAMES[c] + " must be empty for a " + std::string(f[KIND]));
            }
        }
        if (e.kind == EventKind::BAR) {
            const auto& v = e.v;
            if (v[bar::LOW] > v[bar::HIGH] || v[bar::OPEN] < v[bar::LOW] || v[bar::OPEN] > v[bar::HIGH] ||
                v[bar::CLOSE] < v[bar::LOW] || v[bar::CLOSE] > v[bar::HIGH]) {
                return Status::error(where + "bar needs low <= open, close <= high");
            }
        }
        rows.push_back({std::string(f[SYMBOL]), e});
    }
    if (Status s = in.finish(); !s.ok()) {
        return s;
    }
    for (Row& row : rows) {
        std::uint32_t handle = 0;
        if (Status s = out.add_instrument(row.symbol, EQUITY_TICK_SIZE, EQUITY_LOT_SIZE, handle); !s.ok()) {
            return Status::error(path + ": " + s.message());
        }
        row.event.instrument_id = handle;
        out.add(row.event);
    }
    return {};
}

}  // namespace fundos::marketdata
