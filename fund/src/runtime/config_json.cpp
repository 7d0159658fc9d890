// JSON configuration loader and normalizer (fundos/runtime/config_json.hpp).
//
// Parsing goes through nlohmann's SAX interface into a small document tree of our own, for three
// reasons: JSON numbers keep their original text (so "0.1" converts exactly, never through a
// double), repeated keys stay visible (nlohmann's DOM keeps only the last one), and nesting depth
// is bounded. The checker then walks the tree once, collecting every fault with its JSON path;
// cross-field rules (unique ids, references, capital) run only when the structure was clean, so
// one typo does not cascade into several messages.
#include "fundos/runtime/config_json.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "fundos/engine/journal_records.hpp"
#include "fundos/marketdata/decimal.hpp"

namespace fundos::runtime {
namespace {

/// Config text for a fixed-point value: exact, without trailing zeros ("1250.5", "0").
std::string decimal_text(std::int64_t raw, int decimals) {
    return marketdata::format_fixed(raw, decimals, marketdata::Zeros::kTrim);
}

namespace fs = std::filesystem;
using engine::AgentConfig;
using engine::DecisionPolicy;
using engine::FundConfig;
using engine::InstrumentConfig;
using engine::RiskLimits;

constexpr std::size_t kMaxDepth = 64;
constexpr std::uintmax_t kMaxFileBytes = 16u << 20;
constexpr std::uint64_t kMaxTimeoutMs = 86'400'000;  // one day
constexpr int kFeeBpsDecimals = 2;                    // fee_bps "0.25" -> 25 centibps
constexpr std::size_t kMaxAddressLen = 256;           // execution.venue.endpoint, market_data.feed

// ------------------------------------------------------------------------------------------------
// Document tree

struct Node {
    enum class Kind : std::uint8_t { kNull, kBool, kInteger, kFloat, kString, kArray, kObject };
    Kind kind = Kind::kNull;
    bool boolean = false;
    bool negative = false;  ///< kInteger: the text starts with '-'
    std::string text;       ///< kString: the value; kInteger/kFloat: the number as written
    std::vector<Node> items;
    std::vector<std::string> keys;  ///< kObject: member names, in document order (repeats kept)
    std::vector<Node> values;       ///< kObject: member values, parallel to keys
};

class TreeBuilder final : public nlohmann::json_sax<nlohmann::json> {
public:
    Node root;
    std::string error;        ///< set on a parse error
    std::size_t error_byte = 0;
    bool too_deep = false;

    bool null() override { return add(Node{}); }
    bool boolean(bool value) override {
        Node n;
        n.kind = Node::Kind::kBool;
        n.boolean = value;
        return add(std::move(n));
    }
    bool number_integer(number_integer_t value) override {
        Node n;
        n.kind = Node::Kind::kInteger;
        n.negative = value < 0;
        n.text = std::to_string(value);
        return add(std::move(n));
    }
    bool number_unsigned(number_unsigned_t value) override {
        Node n;
        n.kind = Node::Kind::kInteger;
        n.text = std::to_string(value);
        return add(std::move(n));
    }
    bool number_float(number_float_t, const string_t& text) override {
        Node n;
        n.kind = Node::Kind::kFloat;
        n.text = text;
        n.negative = !text.empty() && text.front() == '-';
        return add(std::move(n));
    }
    bool string(string_t& value) override {
        Node n;
        n.kind = Node::Kind::kString;
        n.text = std::move(value);
        return add(std::move(n));
    }
    bool binary(binary_t&) override { return false; }
    bool start_object(std::size_t) override {
        Node n;
        n.kind = Node::Kind::kObject;
        return open(std::move(n));
    }
    bool key(string_t& value) override {
        pending_key_ = std::move(value);
        return true;
    }
    bool end_object() override {
        stack_.pop_back();
        return true;
    }
    bool start_array(std::size_t) override {
        Node n;
        n.kind = Node::Kind::kArray;
        return open(std::move(n));
    }
    bool end_array() override {
        stack_.pop_back();
        return true;
    }
    bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) override {
        error_byte = position;
        std::string what = ex.what();
        // "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error while ..."
        if (const auto column = what.find("column "); column != std::string::npos) {
            if (const auto colon = what.find(": ", column); colon != std::string::npos) {
                what.erase(0, colon + 2);
            }
        } else if (const auto bracket = what.find("] "); bracket != std::string::npos) {
            what.erase(0, bracket + 2);
        }
        error = what;
        return false;
    }

private:
    Node* place(Node&& n) {
        if (stack_.empty()) {
            root = std::move(n);
            return &root;
        }
        Node& parent = *stack_.back();
        if (parent.kind == Node::Kind::kArray) {
            parent.items.push_back(std::move(n));
            return &parent.items.back();
        }
        parent.keys.push_back(std::move(pending_key_));
        parent.values.push_back(std::move(n));
        pending_key_.clear();
        return &parent.values.back();
    }
    bool add(Node&& n) {
        place(std::move(n));
        return true;
    }
    bool open(Node&& n) {
        if (stack_.size() >= kMaxDepth) {
            error = "nesting deeper than " + std::to_string(kMaxDepth) + " levels";
            too_deep = true;
            return false;
        }
        stack_.push_back(place(std::move(n)));
        return true;
    }

    std::vector<Node*> stack_;
    std::string pending_key_;
};

// ------------------------------------------------------------------------------------------------
// Small helpers

std::string json_quoted(std::string_view s) {
    std::string json_text = nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (json_text.size() > 60) {
        json_text = json_text.substr(0, 56) + "...\"";
    }
    return json_text;
}

/// What a node holds, for "got ..." in messages.
std::string shown(const Node& n) {
    switch (n.kind) {
        case Node::Kind::kNull: return "null";
        case Node::Kind::kBool: return n.boolean ? "true" : "false";
        case Node::Kind::kInteger:
        case Node::Kind::kFloat: return n.text;
        case Node::Kind::kString: return json_quoted(n.text);
        case Node::Kind::kArray: return "an array";
        case Node::Kind::kObject: return "an object";
    }
    return "?";
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = up;
        }
    }
    return row[b.size()];
}

bool name_ok(std::string_view s, std::size_t max_len) {
    if (s.empty() || s.size() > max_len) {
        return false;
    }
    const auto word = [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    };
    if (!word(s.front())) {
        return false;
    }
    return std::all_of(s.begin(), s.end(), [&](char c) { return word(c) || c == '.' || c == '-'; });
}

bool symbol_ok(std::string_view s) {
    if (s.empty() || s.size() >= abi::SYMBOL_LEN) {
        return false;
    }
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
               c == '/' || c == '^' || c == '-';
    });
}

/// At most `max_len` printable ASCII characters (no controls, no spaces at either end).
bool printable_ok(std::string_view s, std::size_t max_len) {
    if (s.size() > max_len) {
        return false;
    }
    if (!s.empty() && (s.front() == ' ' || s.back() == ' ')) {
        return false;
    }
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

/// "[-]digits[.digits]" exactly; what the schema's decimal pattern accepts (plus the sign, which
/// the range check reports).
bool plain_decimal(std::string_view s) {
    if (!s.empty() && s.front() == '-') {
        s.remove_prefix(1);
    }
    const auto dot = s.find('.');
    const std::string_view whole = s.substr(0, dot);
    const std::string_view fraction = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
    const auto digits = [](std::string_view d) {
        return !d.empty() && std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    return digits(whole) && (dot == std::string_view::npos || digits(fraction));
}

/// Fractional digits of a plain decimal, trailing zeros not counted.
int significant_decimals(std::string_view s) {
    const auto dot = s.find('.');
    if (dot == std::string_view::npos) {
        return 0;
    }
    std::string_view fraction = s.substr(dot + 1);
    while (!fraction.empty() && fraction.back() == '0') {
        fraction.remove_suffix(1);
    }
    return static_cast<int>(fraction.size());
}

std::string path_of(const std::string& parent, std::string_view key) {
    return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

std::string path_of(const std::string& parent, std::size_t index) {
    return parent + "[" + std::to_string(index) + "]";
}

// ------------------------------------------------------------------------------------------------
// Checker

class Checker {
public:
    Checker(std::string file, fs::path base) : file_(std::move(file)), base_(std::move(base)) {}

    std::vector<std::string> errors;
    bool check_paths = true;  ///< LoadOptions::check_paths: look the data files and working folders up

    void fail(const std::string& path, const std::string& what) {
        if (errors.size() < LoadResult::kMaxErrors) {
            errors.push_back(file_ + ": " + (path.empty() ? std::string("(top level)") : path) + ": " + what);
        }
    }

    [[nodiscard]] bool full() const noexcept { return errors.size() >= LoadResult::kMaxErrors; }

    // ---- objects

    /// The members of an object, with unknown and repeated keys reported. nullptr when `n` is not
    /// an object (reported).
    class Object {
    public:
        Object(Checker& c, std::string path, const Node& n, std::initializer_list<std::string_view> keys)
            : c_(c), path_(std::move(path)), node_(n) {
            if (n.kind != Node::Kind::kObject) {
                c.fail(path_, "must be an object, got " + shown(n));
                valid_ = false;
                return;
            }
            // Repeated keys: every occurrence after the first (sorted, so a huge object stays cheap).
            std::vector<std::size_t> order(n.keys.size());
            for (std::size_t i = 0; i < order.size(); ++i) {
                order[i] = i;
            }
            std::stable_sort(order.begin(), order.end(),
                             [&](std::size_t a, std::size_t b) { return n.keys[a] < n.keys[b]; });
            std::vector<bool> repeats(n.keys.size(), false);
            for (std::size_t i = 1; i < order.size(); ++i) {
                repeats[order[i]] = n.keys[order[i]] == n.keys[order[i - 1]];
            }
            for (std::size_t i = 0; i < n.keys.size(); ++i) {
                const std::string& key = n.keys[i];
                if (repeats[i]) {
                    c.fail(path_of(path_, key), "key given more than once");
                    continue;
                }
                if (std::find(keys.begin(), keys.end(), key) != keys.end() || (path_.empty() && key == "$schema") ||
                    c.full()) {
                    continue;
                }
                std::string what = "unknown key";
                std::string_view best;
                std::size_t best_distance = 3;
                for (std::string_view k : keys) {
                    const std::size_t d = edit_distance(key, k);
                    if (d < best_distance) {
                        best_distance = d;
                        best = k;
                    }
                }
                if (!best.empty()) {
                    what += " (did you mean \"" + std::string(best) + "\"?)";
                }
                c.fail(path_of(path_, key), what);
            }
        }

        [[nodiscard]] bool valid() const noexcept { return valid_; }

        /// The first member named `key`, or nullptr.
        [[nodiscard]] const Node* get(std::string_view key) const {
            if (!valid_) {
                return nullptr;
            }
            for (std::size_t i = 0; i < node_.keys.size(); ++i) {
                if (node_.keys[i] == key) {
                    return &node_.values[i];
                }
            }
            return nullptr;
        }

        /// The member, or a "is required" fault and nullptr.
        const Node* need(std::string_view key) {
            const Node* n = get(key);
            if (n == nullptr && valid_) {
                c_.fail(path_of(path_, key), "is required");
            }
            return n;
        }

        [[nodiscard]] std::string at(std::string_view key) const { return path_of(path_, key); }

    private:
        Checker& c_;
        std::string path_;
        const Node& node_;
        bool valid_ = true;
    };

    // ---- scalars

    std::optional<std::string> text(const std::string& path, const Node& n) {
        if (n.kind != Node::Kind::kString) {
            fail(path, "must be a string, got " + shown(n));
            return std::nullopt;
        }
        return n.text;
    }

    std::optional<bool> boolean(const std::string& path, const Node& n) {
        if (n.kind != Node::Kind::kBool) {
            fail(path, "must be true or false, got " + shown(n));
            return std::nullopt;
        }
        return n.boolean;
    }

    /// An integer in [min, max]. Integral JSON numbers written with a fraction ("5.0") count.
    std::optional<std::uint64_t> integer(const std::string& path, const Node& n, std::uint64_t min, std::uint64_t max) {
        if (n.kind != Node::Kind::kInteger && n.kind != Node::Kind::kFloat) {
            fail(path, "must be an integer, got " + shown(n));
            return std::nullopt;
        }
        if (n.negative) {
            fail(path, "must be >= " + std::to_string(min) + ", got " + n.text);
            return std::nullopt;
        }
        std::optional<std::uint64_t> value = marketdata::parse_u64(n.text);
        if (!value && n.kind == Node::Kind::kFloat && plain_decimal(n.text)) {
            if (significant_decimals(n.text) != 0) {
                fail(path, "must be an integer, got " + n.text);
                return std::nullopt;
            }
            value = marketdata::parse_u64(n.text.substr(0, n.text.find('.')));
        }
        if (!value) {
            fail(path, n.kind == Node::Kind::kFloat && !plain_decimal(n.text)
                           ? "must be an integer in plain notation, got " + n.text
                           : "must be <= " + std::to_string(max) + ", got " + n.text);
            return std::nullopt;
        }
        if (*value < min) {
            fail(path, "must be >= " + std::to_string(min) + ", got " + n.text);
            return std::nullopt;
        }
        if (*value > max) {
            fail(path, "must be <= " + std::to_string(max) + ", got " + n.text);
            return std::nullopt;
        }
        return value;
    }

    std::optional<std::uint32_t> u32(const std::string& path, const Node& n, std::uint32_t min = 0,
                                     std::uint32_t max = UINT32_MAX) {
        const auto v = integer(path, n, min, max);
        return v ? std::optional<std::uint32_t>(static_cast<std::uint32_t>(*v)) : std::nullopt;
    }

    /// An exact decimal with at most `decimals` fractional digits, as a fixed-point integer >= 0
    /// (> 0 when `positive`).
    std::optional<std::int64_t> decimal(const std::string& path, const Node& n, int decimals, bool positive = false) {
        std::string_view s;
        std::string got;
        if (n.kind == Node::Kind::kString) {
            s = n.text;
            got = json_quoted(n.text);
        } else if (n.kind == Node::Kind::kInteger || n.kind == Node::Kind::kFloat) {
            s = n.text;
            got = n.text;
        } else {
            fail(path, "must be a decimal string like \"1234.5\" or a number, got " + shown(n));
            return std::nullopt;
        }
        if (!plain_decimal(s)) {
            fail(path, "must be a plain decimal like \"1234.5\" (digits, one optional '.'; no exponent), got " + got);
            return std::nullopt;
        }
        if (s.front() == '-') {
            fail(path, std::string("must be ") + (positive ? "> 0" : ">= 0") + ", got " + got);
            return std::nullopt;
        }
        if (significant_decimals(s) > decimals) {
            fail(path, "has more than " + std::to_string(decimals) + " decimal places, got " + got);
            return std::nullopt;
        }
        const std::optional<std::int64_t> value = marketdata::parse_fixed(s, decimals);
        if (!value) {
            fail(path, "is too large, got " + got);
            return std::nullopt;
        }
        if (positive && *value <= 0) {
            fail(path, "must be > 0, got " + got);
            return std::nullopt;
        }
        return *value;
    }

    /// A duration: "2s", "250ms", "1.5h" (ns, us, ms, s, m, h), or an integer of nanoseconds.
    std::optional<std::uint64_t> duration(const std::string& path, const Node& n, bool positive = false) {
        static constexpr const char* kForm =
            "must be a duration like \"2s\" or \"250ms\" (units ns, us, ms, s, m, h) or an integer of nanoseconds";
        std::optional<std::uint64_t> ns;
        std::string got;
        if (n.kind == Node::Kind::kInteger) {
            got = n.text;
            if (n.negative) {
                fail(path, std::string("must be ") + (positive ? "> 0" : ">= 0") + ", got " + got);
                return std::nullopt;
            }
            ns = marketdata::parse_u64(n.text);
            if (!ns || *ns > static_cast<std::uint64_t>(INT64_MAX)) {
                fail(path, "is too large, got " + got);
                return std::nullopt;
            }
        } else if (n.kind == Node::Kind::kString) {
            got = json_quoted(n.text);
            const std::string_view s = n.text;
            const auto unit_at = s.find_first_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
            if (unit_at == std::string_view::npos || unit_at == 0) {
                fail(path, std::string(kForm) + ", got " + got);
                return std::nullopt;
            }
            const std::string_view number = s.substr(0, unit_at);
            const std::string_view unit = s.substr(unit_at);
            static constexpr std::array<std::pair<std::string_view, std::uint64_t>, 6> kUnits{{
                {"ns", 1ULL},
                {"us", 1'000ULL},
                {"ms", 1'000'000ULL},
                {"s", 1'000'000'000ULL},
                {"m", 60'000'000'000ULL},
                {"h", 3'600'000'000'000ULL},
            }};
            const auto found = std::find_if(kUnits.begin(), kUnits.end(), [&](const auto& u) { return u.first == unit; });
            if (found == kUnits.end() || !plain_decimal(number)) {
                fail(path, std::string(kForm) + ", got " + got);
                return std::nullopt;
            }
            if (number.front() == '-') {
                fail(path, std::string("must be ") + (positive ? "> 0" : ">= 0") + ", got " + got);
                return std::nullopt;
            }
            // Exact: the number in billionths, times the unit, must be whole nanoseconds.
            const std::optional<std::int64_t> billionths =
                significant_decimals(number) <= 9 ? marketdata::parse_fixed(number, 9) : std::nullopt;
            if (!billionths) {
                fail(path, significant_decimals(number) > 9 ? "is not a whole number of nanoseconds, got " + got
                                                            : "is too large, got " + got);
                return std::nullopt;
            }
            const unsigned __int128 product =
                static_cast<unsigned __int128>(*billionths) * static_cast<unsigned __int128>(found->second);
            if (product % 1'000'000'000U != 0) {
                fail(path, "is not a whole number of nanoseconds, got " + got);
                return std::nullopt;
            }
            const unsigned __int128 whole = product / 1'000'000'000U;
            if (whole > static_cast<unsigned __int128>(INT64_MAX)) {
                fail(path, "is too large, got " + got);
                return std::nullopt;
            }
            ns = static_cast<std::uint64_t>(whole);
        } else {
            fail(path, std::string(kForm) + ", got " + shown(n));
            return std::nullopt;
        }
        if (positive && *ns == 0) {
            fail(path, "must be > 0, got " + got);
            return std::nullopt;
        }
        return ns;
    }

    /// One of `names`; the index into it.
    std::optional<std::size_t> choice(const std::string& path, const Node& n, std::initializer_list<std::string_view> names) {
        std::string expected;
        for (std::string_view name : names) {
            expected += (expected.empty() ? "" : ", ") + json_quoted(name);
        }
        if (n.kind == Node::Kind::kString) {
            std::size_t i = 0;
            for (std::string_view name : names) {
                if (n.text == name) {
                    return i;
                }
                ++i;
            }
        }
        fail(path, "must be one of " + expected + ", got " + shown(n));
        return std::nullopt;
    }

    /// An array's items, or nullptr (reported) when `n` is not an array or its length is outside
    /// [min, max].
    const std::vector<Node>* array(const std::string& path, const Node& n, std::size_t min, std::size_t max) {
        if (n.kind != Node::Kind::kArray) {
            fail(path, "must be an array, got " + shown(n));
            return nullptr;
        }
        if (n.items.size() < min) {
            fail(path, min == 1 ? std::string("must not be empty") : "must have at least " + std::to_string(min) + " items");
            return nullptr;
        }
        if (n.items.size() > max) {
            fail(path, "must have at most " + std::to_string(max) + " items, got " + std::to_string(n.items.size()));
            return nullptr;
        }
        return &n.items;
    }

    /// A list of u32 without repeats (uids, gids).
    std::vector<std::uint32_t> id_list(const std::string& path, const Node& n) {
        std::vector<std::uint32_t> out;
        const std::vector<Node>* items = array(path, n, 0, 1024);
        if (items == nullptr) {
            return out;
        }
        for (std::size_t i = 0; i < items->size(); ++i) {
            if (const auto v = u32(path_of(path, i), (*items)[i])) {
                if (std::find(out.begin(), out.end(), *v) != out.end()) {
                    fail(path_of(path, i), std::to_string(*v) + " is listed twice");
                }
                out.push_back(*v);
            }
        }
        return out;
    }

    /// A path relative to the configuration file's folder, made absolute and lexically normal.
    [[nodiscard]] std::string resolve(const std::string& p) const {
        fs::path result = fs::path(p).is_absolute() ? fs::path(p) : base_ / p;
        result = result.lexically_normal();
        std::string s = result.string();
        while (s.size() > 1 && s.back() == '/') {
            s.pop_back();
        }
        return s;
    }

private:
    std::string file_;
    fs::path base_;
};

// ------------------------------------------------------------------------------------------------
// Sections

void read_limits(Checker& c, const std::string& path, const Node& n, RiskLimits& out) {
    Checker::Object o(c, path, n,
                      {"max_order_qty", "max_order_notional", "max_position", "max_gross_exposure", "max_net_exposure",
                       "max_open_orders", "max_intents_per_window", "rate_window", "reducing_loss", "halt_loss"});
    if (!o.valid()) {
        return;
    }
    const auto qty = [&](std::string_view key, abi::Quantity& field) {
        if (const Node* v = o.get(key)) {
            if (const auto x = c.decimal(o.at(key), *v, abi::QUANTITY_DECIMALS)) {
                field = *x;
            }
        }
    };
    const auto money = [&](std::string_view key, abi::Money& field) {
        if (const Node* v = o.get(key)) {
            if (const auto x = c.decimal(o.at(key), *v, abi::MONEY_DECIMALS)) {
                field = *x;
            }
        }
    };
    qty("max_order_qty", out.max_order_qty);
    money("max_order_notional", out.max_order_notional);
    qty("max_position", out.max_position);
    money("max_gross_exposure", out.max_gross_exposure);
    money("max_net_exposure", out.max_net_exposure);
    if (const Node* v = o.get("max_open_orders")) {
        if (const auto x = c.u32(o.at("max_open_orders"), *v)) {
            out.max_open_orders = *x;
        }
    }
    if (const Node* v = o.get("max_intents_per_window")) {
        if (const auto x = c.u32(o.at("max_intents_per_window"), *v)) {
            out.max_intents_per_window = *x;
        }
    }
    if (const Node* v = o.get("rate_window")) {
        if (const auto x = c.duration(o.at("rate_window"), *v, true)) {
            out.rate_window_ns = *x;
        }
    }
    money("reducing_loss", out.reducing_loss);
    money("halt_loss", out.halt_loss);
    if (out.reducing_loss != 0 && out.halt_loss != 0 && out.halt_loss < out.reducing_loss) {
        c.fail(o.at("halt_loss"), "must be >= reducing_loss (" + json_quoted(decimal_text(out.reducing_loss, abi::MONEY_DECIMALS)) +
                                      "), got " + json_quoted(decimal_text(out.halt_loss, abi::MONEY_DECIMALS)));
    }
}

/// `data_required`: mode "simulation" replays simulation.data; the live modes take no data file.
void read_simulation(Checker& c, const std::string& path, const Node& n, engine::SimulationConfig& out,
                     bool data_required) {
    Checker::Object o(c, path, n,
                      {"data", "decision", "answer_timeout_ms", "start_timeout_ms", "stale_after", "max_steps"});
    if (!o.valid()) {
        return;
    }
    if (const Node* data = data_required ? o.need("data") : o.get("data")) {
        if (const std::vector<Node>* items = c.array(o.at("data"), *data, data_required ? 1 : 0, 256)) {
            for (std::size_t i = 0; i < items->size(); ++i) {
                const std::string at = path_of(o.at("data"), i);
                const auto file = c.text(at, (*items)[i]);
                if (!file) {
                    continue;
                }
                if (file->empty()) {
                    c.fail(at, "must not be empty");
                    continue;
                }
                out.data_files.push_back(c.resolve(*file));
            }
        }
    }
    if (const Node* d = o.get("decision")) {
        Checker::Object decision(c, o.at("decision"), *d, {"every", "events", "interval"});
        if (decision.valid()) {
            const Node* every = decision.get("every");
            const Node* events = decision.get("events");
            const Node* interval = decision.get("interval");
            const int given = (every != nullptr) + (events != nullptr) + (interval != nullptr);
            if (given != 1) {
                c.fail(o.at("decision"), "must have exactly one of \"every\", \"events\", \"interval\", got " +
                                             std::to_string(given));
            } else if (every != nullptr) {
                if (c.choice(decision.at("every"), *every, {"bar"})) {
                    out.decision.kind = DecisionPolicy::Kind::kEveryBar;
                }
            } else if (events != nullptr) {
                if (const auto x = c.integer(decision.at("events"), *events, 1, UINT32_MAX)) {
                    out.decision.kind = DecisionPolicy::Kind::kEveryEvents;
                    out.decision.events = *x;
                }
            } else if (const auto x = c.duration(decision.at("interval"), *interval, true)) {
                out.decision.kind = DecisionPolicy::Kind::kEveryInterval;
                out.decision.interval_ns = *x;
            }
        }
    }
    if (const Node* v = o.get("answer_timeout_ms")) {
        if (const auto x = c.integer(o.at("answer_timeout_ms"), *v, 1, kMaxTimeoutMs)) {
            out.answer_timeout_ms = *x;
        }
    }
    if (const Node* v = o.get("start_timeout_ms")) {
        if (const auto x = c.integer(o.at("start_timeout_ms"), *v, 1, kMaxTimeoutMs)) {
            out.start_timeout_ms = *x;
        }
    }
    if (const Node* v = o.get("stale_after")) {
        if (const auto x = c.duration(o.at("stale_after"), *v)) {
            out.stale_after_ns = *x;
        }
    }
    if (const Node* v = o.get("max_steps")) {
        if (const auto x = c.integer(o.at("max_steps"), *v, 0, static_cast<std::uint64_t>(INT64_MAX))) {
            out.max_steps = *x;
        }
    }
}

/// A printable text field of at most `max_len` characters (addresses, FIX ids).
void read_printable(Checker& c, const Checker::Object& o, std::string_view key, std::size_t max_len, std::string& out) {
    if (const Node* v = o.get(key)) {
        if (const auto s = c.text(o.at(key), *v)) {
            if (!printable_ok(*s, max_len)) {
                c.fail(o.at(key), "must be at most " + std::to_string(max_len) + " printable ASCII characters, got " +
                                      json_quoted(*s));
            } else {
                out = *s;
            }
        }
    }
}

/// A TCP or UDP port, 0..65535 (0: not given; check_modes says when one is required).
void read_port(Checker& c, const Checker::Object& o, std::string_view key, std::uint16_t& out) {
    if (const Node* v = o.get(key)) {
        if (const auto x = c.u32(o.at(key), *v, 0, 65535)) {
            out = static_cast<std::uint16_t>(*x);
        }
    }
}

void read_duration(Checker& c, const Checker::Object& o, std::string_view key, bool positive, abi::Duration& out) {
    if (const Node* v = o.get(key)) {
        if (const auto x = c.duration(o.at(key), *v, positive)) {
            out = *x;
        }
    }
}

/// execution.venue: the FIX 4.4 session of production mode (its checks against the mode are in
/// check_modes).
void read_venue(Checker& c, const std::string& path, const Node& n, engine::VenueConfig& out) {
    Checker::Object venue(c, path, n,
                          {"name", "endpoint", "host", "port", "sender_comp_id", "target_comp_id", "heartbeat_s",
                           "reset_on_logon", "account"});
    if (!venue.valid()) {
        return;
    }
    read_printable(c, venue, "endpoint", kMaxAddressLen, out.endpoint);
    read_printable(c, venue, "host", kMaxAddressLen, out.host);
    read_port(c, venue, "port", out.port);
    // The venue's name and its FIX identifiers: no SOH, no spaces, what QuickFIX takes in its settings.
    for (const auto& [key, field] : {std::pair<std::string_view, std::string*>{"name", &out.name},
                                     std::pair<std::string_view, std::string*>{"sender_comp_id", &out.sender_comp_id},
                                     std::pair<std::string_view, std::string*>{"target_comp_id", &out.target_comp_id},
                                     std::pair<std::string_view, std::string*>{"account", &out.account}}) {
        if (const Node* v = venue.get(key)) {
            if (const auto s = c.text(venue.at(key), *v)) {
                if (!s->empty() && !name_ok(*s, 64)) {
                    c.fail(venue.at(key), "must be empty or 1..64 characters of A-Z a-z 0-9 _ . - starting with a "
                                          "letter, digit or _, got " + json_quoted(*s));
                } else {
                    *field = *s;
                }
            }
        }
    }
    if (const Node* v = venue.get("heartbeat_s")) {
        if (const auto x = c.u32(venue.at("heartbeat_s"), *v, 1, 3600)) {
            out.heartbeat_s = *x;
        }
    }
    if (const Node* v = venue.get("reset_on_logon")) {
        if (const auto b = c.boolean(venue.at("reset_on_logon"), *v)) {
            out.reset_on_logon = *b;
        }
    }
}

void read_execution(Checker& c, const std::string& path, const Node& n, engine::ExecutionConfig& out) {
    Checker::Object o(c, path, n,
                      {"fill_model", "slippage_bps", "fee_per_share", "fee_bps", "latency", "participation_pct", "venue"});
    if (!o.valid()) {
        return;
    }
    if (const Node* v = o.get("fill_model")) {
        if (const auto i = c.choice(o.at("fill_model"), *v, {"simulated", "venue"})) {
            out.fill_model = *i == 0 ? engine::FillModel::kSimulated : engine::FillModel::kVenue;
        }
    }
    if (const Node* v = o.get("slippage_bps")) {
        if (const auto x = c.u32(o.at("slippage_bps"), *v, 0, 10'000)) {
            out.slippage_bps = *x;
        }
    }
    if (const Node* v = o.get("fee_per_share")) {
        if (const auto x = c.decimal(o.at("fee_per_share"), *v, abi::MONEY_DECIMALS)) {
            out.fee_per_share = *x;
        }
    }
    if (const Node* v = o.get("fee_bps")) {
        if (const auto x = c.decimal(o.at("fee_bps"), *v, kFeeBpsDecimals)) {
            if (*x > 1'000'000) {  // 10000 bps: the whole notional
                c.fail(o.at("fee_bps"), "must be <= 10000, got " + shown(*v));
            } else {
                out.fee_centibps = static_cast<std::uint32_t>(*x);
            }
        }
    }
    if (const Node* v = o.get("latency")) {
        if (const auto x = c.duration(o.at("latency"), *v)) {
            out.latency_ns = *x;
        }
    }
    if (const Node* v = o.get("participation_pct")) {
        if (const auto x = c.u32(o.at("participation_pct"), *v, 1, 100)) {
            out.participation_pct = *x;
        }
    }
    if (const Node* v = o.get("venue")) {
        read_venue(c, o.at("venue"), *v, out.venue);
    }
}

void read_market_data(Checker& c, const std::string& path, const Node& n, engine::MarketDataConfig& out) {
    Checker::Object o(c, path, n,
                      {"source", "feed", "address", "port", "interface", "recovery_address", "recovery_port",
                       "reorder_window", "reorder_timeout", "stale_after", "recovery_timeout", "publish_interval",
                       "heartbeat_interval", "max_snapshot_lag"});
    if (!o.valid()) {
        return;
    }
    if (const Node* v = o.get("source")) {
        if (const auto i = c.choice(o.at("source"), *v, {"replay", "live"})) {
            out.source = *i == 0 ? engine::MarketDataConfig::Source::kReplay : engine::MarketDataConfig::Source::kLive;
        }
    }
    read_printable(c, o, "feed", kMaxAddressLen, out.feed);
    read_printable(c, o, "address", kMaxAddressLen, out.address);
    read_port(c, o, "port", out.port);
    read_printable(c, o, "interface", kMaxAddressLen, out.interface_address);
    read_printable(c, o, "recovery_address", kMaxAddressLen, out.recovery_address);
    read_port(c, o, "recovery_port", out.recovery_port);
    if (const Node* v = o.get("reorder_window")) {
        if (const auto x = c.u32(o.at("reorder_window"), *v, 0, 1U << 16)) {
            out.reorder_window = *x;
        }
    }
    read_duration(c, o, "reorder_timeout", true, out.reorder_timeout_ns);
    read_duration(c, o, "stale_after", true, out.stale_after_ns);
    read_duration(c, o, "recovery_timeout", true, out.recovery_timeout_ns);
    read_duration(c, o, "publish_interval", true, out.publish_interval_ns);
    read_duration(c, o, "heartbeat_interval", true, out.heartbeat_interval_ns);
    if (out.heartbeat_interval_ns < out.publish_interval_ns && o.get("heartbeat_interval") != nullptr) {
        c.fail(o.at("heartbeat_interval"), "must be >= publish_interval (" + json_quoted(format_duration(out.publish_interval_ns)) +
                                               "), got " + json_quoted(format_duration(out.heartbeat_interval_ns)));
    }
    if (const Node* v = o.get("max_snapshot_lag")) {
        if (const auto x = c.u32(o.at("max_snapshot_lag"), *v, 1, 1024)) {
            out.max_snapshot_lag = *x;
        }
    }
}

/// What each mode needs of market_data and execution: simulation replays simulation.data and
/// fills with the simulator; paper takes a live feed and fills with the simulator; production
/// takes a live feed and fills at the venue over FIX.
void check_modes(Checker& c, const FundConfig& config) {
    const bool live = config.mode != abi::Mode::SIMULATION;
    const char* mode = config.mode == abi::Mode::PAPER ? "paper" : config.mode == abi::Mode::PRODUCTION ? "production"
                                                                                                        : "simulation";
    const engine::MarketDataConfig& md = config.market_data;
    if (!live && md.source != engine::MarketDataConfig::Source::kReplay) {
        c.fail("market_data.source", "must be \"replay\" in mode \"simulation\" (the Fund replays simulation.data), "
                                     "got \"live\"");
    }
    if (live) {
        if (md.source != engine::MarketDataConfig::Source::kLive) {
            c.fail("market_data.source", std::string("must be \"live\" in mode \"") + mode + "\"");
        } else if (md.port == 0) {
            c.fail("market_data.port", std::string("is required in mode \"") + mode + "\" (the feed's UDP port, 1..65535)");
        } else if (md.recovery_port == 0) {
            c.fail("market_data.recovery_port",
                   std::string("is required in mode \"") + mode + "\" (the feed server's TCP recovery port, 1..65535)");
        }
    }
    const engine::VenueConfig& venue = config.execution.venue;
    if (config.mode == abi::Mode::PRODUCTION) {
        if (config.execution.fill_model != engine::FillModel::kVenue) {
            c.fail("execution.fill_model", "must be \"venue\" in mode \"production\" (orders go to the venue)");
        } else if (venue.host.empty()) {
            c.fail("execution.venue.host", "is required in mode \"production\" (the FIX acceptor's host)");
        } else if (venue.port == 0) {
            c.fail("execution.venue.port", "is required in mode \"production\" (the FIX acceptor's port, 1..65535)");
        } else if (venue.sender_comp_id.empty()) {
            c.fail("execution.venue.sender_comp_id", "is required in mode \"production\"");
        } else if (venue.target_comp_id.empty()) {
            c.fail("execution.venue.target_comp_id", "is required in mode \"production\"");
        }
    } else if (config.execution.fill_model == engine::FillModel::kVenue) {
        c.fail("execution.fill_model", std::string("\"venue\" needs mode \"production\"; mode \"") + mode +
                                           "\" fills with the simulator (\"simulated\")");
    }
}

void read_instrument(Checker& c, const std::string& path, const Node& n, InstrumentConfig& out) {
    Checker::Object o(c, path, n,
                      {"id", "symbol", "currency", "status", "tick_size", "lot_size", "restricted", "price_collar_bps", "risk"});
    if (!o.valid()) {
        return;
    }
    if (const Node* v = o.need("id")) {
        if (const auto x = c.u32(o.at("id"), *v, 1)) {
            out.id = *x;
        }
    }
    if (const Node* v = o.need("symbol")) {
        if (const auto s = c.text(o.at("symbol"), *v)) {
            if (symbol_ok(*s)) {
                out.symbol = *s;
            } else {
                c.fail(o.at("symbol"), "must be 1..15 characters of A-Z a-z 0-9 . _ / ^ -, got " + json_quoted(*s));
            }
        }
    }
    if (const Node* v = o.get("currency")) {
        if (const auto s = c.text(o.at("currency"), *v)) {
            if (s->size() == 3 && std::all_of(s->begin(), s->end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; })) {
                out.currency = *s;
            } else {
                c.fail(o.at("currency"), "must be a currency code of 3 upper-case letters like \"USD\", got " + json_quoted(*s));
            }
        }
    }
    if (const Node* v = o.get("status")) {
        if (const auto i = c.choice(o.at("status"), *v, {"enabled", "disabled"})) {
            out.enabled = *i == 0;
        }
    }
    if (const Node* v = o.get("tick_size")) {
        if (const auto x = c.decimal(o.at("tick_size"), *v, abi::PRICE_DECIMALS)) {
            out.tick_size = *x;
        }
    }
    if (const Node* v = o.get("lot_size")) {
        if (const auto x = c.decimal(o.at("lot_size"), *v, abi::QUANTITY_DECIMALS)) {
            out.lot_size = *x;
        }
    }
    if (const Node* v = o.get("restricted")) {
        if (const auto x = c.boolean(o.at("restricted"), *v)) {
            out.restricted = *x;
        }
    }
    if (const Node* v = o.get("price_collar_bps")) {
        if (const auto x = c.u32(o.at("price_collar_bps"), *v, 0, 1'000'000)) {
            out.price_collar_bps = *x;
        }
    }
    if (const Node* v = o.get("risk")) {
        read_limits(c, o.at("risk"), *v, out.limits);
    }
}

/// The agent; its instrument symbols go to `symbols` (mapped to ids once all instruments are known).
void read_agent(Checker& c, const std::string& path, const Node& n, AgentConfig& out, std::vector<std::string>& symbols) {
    Checker::Object o(c, path, n,
                      {"id", "name", "command", "working_dir", "instruments", "capital", "allowed_uids", "allowed_gids",
                       "lease", "silent_policy", "wake", "restart", "max_restarts", "risk"});
    if (!o.valid()) {
        return;
    }
    if (const Node* v = o.need("id")) {
        if (const auto x = c.u32(o.at("id"), *v, 1)) {
            out.id = *x;
        }
    }
    if (const Node* v = o.need("name")) {
        if (const auto s = c.text(o.at("name"), *v)) {
            if (name_ok(*s, 64)) {
                out.name = *s;
            } else {
                c.fail(o.at("name"),
                       "must be 1..64 characters of A-Z a-z 0-9 _ . - starting with a letter, digit or _, got " + json_quoted(*s));
            }
        }
    }
    if (const Node* v = o.get("command")) {
        if (const std::vector<Node>* items = c.array(o.at("command"), *v, 0, 4096)) {
            for (std::size_t i = 0; i < items->size(); ++i) {
                if (const auto s = c.text(path_of(o.at("command"), i), (*items)[i])) {
                    if (i == 0 && s->empty()) {
                        c.fail(path_of(o.at("command"), i), "the program must not be empty");
                    }
                    out.command.push_back(*s);
                }
            }
        }
    }
    out.working_dir = c.resolve(".");
    if (const Node* v = o.get("working_dir")) {
        if (const auto s = c.text(o.at("working_dir"), *v)) {
            if (s->empty()) {
                c.fail(o.at("working_dir"), "must not be empty (leave it out for the configuration's folder)");
            } else {
                out.working_dir = c.resolve(*s);
            }
        }
    }
    if (const Node* v = o.need("instruments")) {
        if (const std::vector<Node>* items = c.array(o.at("instruments"), *v, 0, abi::MAX_INSTRUMENTS)) {
            for (std::size_t i = 0; i < items->size(); ++i) {
                const std::string at = path_of(o.at("instruments"), i);
                if (const auto s = c.text(at, (*items)[i])) {
                    if (std::find(symbols.begin(), symbols.end(), *s) != symbols.end()) {
                        c.fail(at, json_quoted(*s) + " is listed twice");
                    }
                    symbols.push_back(*s);
                }
            }
        }
    }
    if (const Node* v = o.need("capital")) {
        if (const auto x = c.decimal(o.at("capital"), *v, abi::MONEY_DECIMALS, true)) {
            out.capital = *x;
        }
    }
    if (const Node* v = o.get("allowed_uids")) {
        out.allowed_uids = c.id_list(o.at("allowed_uids"), *v);
    }
    if (const Node* v = o.get("allowed_gids")) {
        out.allowed_gids = c.id_list(o.at("allowed_gids"), *v);
    }
    if (const Node* v = o.get("lease")) {
        if (const auto x = c.duration(o.at("lease"), *v, true)) {
            out.lease_ns = *x;
        }
    }
    if (const Node* v = o.get("silent_policy")) {
        if (const auto i = c.choice(o.at("silent_policy"), *v, {"no_op", "cancel_orders", "flatten"})) {
            static constexpr std::array kPolicies{engine::SilentPolicy::kNoOp, engine::SilentPolicy::kCancelOrders,
                                                  engine::SilentPolicy::kFlatten};
            out.silent_policy = kPolicies[*i];
        }
    }
    if (const Node* v = o.get("wake")) {
        if (const auto i = c.choice(o.at("wake"), *v, {"spin", "busy", "futex"})) {
            static constexpr std::array kWakes{engine::WakeMode::kSpin, engine::WakeMode::kBusy, engine::WakeMode::kFutex};
            out.wake = kWakes[*i];
        }
    }
    if (const Node* v = o.get("restart")) {
        if (const auto i = c.choice(o.at("restart"), *v, {"no", "on_failure"})) {
            out.restart = *i == 0 ? engine::RestartPolicy::kNo : engine::RestartPolicy::kOnFailure;
        }
    }
    if (const Node* v = o.get("max_restarts")) {
        if (const auto x = c.u32(o.at("max_restarts"), *v, 0, 100)) {
            out.max_restarts = *x;
        }
    }
    if (const Node* v = o.get("risk")) {
        read_limits(c, o.at("risk"), *v, out.limits);
    }
}

/// Rules across fields, run once the structure is clean.
void check_whole(Checker& c, FundConfig& config, const std::vector<std::vector<std::string>>& agent_symbols) {
    for (std::size_t i = 0; i < config.simulation.data_files.size(); ++i) {
        const std::string& file = config.simulation.data_files[i];
        const std::string at = path_of("simulation.data", i);
        for (std::size_t j = 0; j < i; ++j) {
            if (config.simulation.data_files[j] == file) {
                c.fail(at, "same file as simulation.data[" + std::to_string(j) + "]: " + file);
            }
        }
        if (!c.check_paths) {
            continue;
        }
        std::error_code ec;
        const fs::file_status st = fs::status(file, ec);
        if (ec || !fs::exists(st)) {
            c.fail(at, "no such file: " + file);
        } else if (!fs::is_regular_file(st)) {
            c.fail(at, "not a regular file: " + file);
        }
    }
    for (std::size_t i = 0; i < config.instruments.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            if (config.instruments[j].id == config.instruments[i].id) {
                c.fail(path_of("instruments", i) + ".id",
                       std::to_string(config.instruments[i].id) + " is also the id of instruments[" + std::to_string(j) + "]");
            }
            if (config.instruments[j].symbol == config.instruments[i].symbol) {
                c.fail(path_of("instruments", i) + ".symbol",
                       json_quoted(config.instruments[i].symbol) + " is also the symbol of instruments[" + std::to_string(j) + "]");
            }
        }
    }
    __int128 total = 0;
    for (std::size_t i = 0; i < config.agents.size(); ++i) {
        AgentConfig& agent = config.agents[i];
        const std::string at = path_of("agents", i);
        for (std::size_t j = 0; j < i; ++j) {
            if (config.agents[j].id == agent.id) {
                c.fail(at + ".id", std::to_string(agent.id) + " is also the id of agents[" + std::to_string(j) + "]");
            }
            if (config.agents[j].name == agent.name) {
                c.fail(at + ".name", json_quoted(agent.name) + " is also the name of agents[" + std::to_string(j) + "]");
            }
        }
        const std::vector<std::string>& symbols = agent_symbols[i];
        for (std::size_t k = 0; k < symbols.size(); ++k) {
            const auto found = std::find_if(config.instruments.begin(), config.instruments.end(),
                                            [&](const InstrumentConfig& ins) { return ins.symbol == symbols[k]; });
            if (found == config.instruments.end()) {
                c.fail(path_of(at + ".instruments", k), "no instrument " + json_quoted(symbols[k]) + " in instruments");
            } else if (!found->enabled) {
                c.fail(path_of(at + ".instruments", k),
                       "instrument " + json_quoted(symbols[k]) + " is disabled (its status is \"disabled\")");
            } else {
                agent.instruments.push_back(found->id);
            }
        }
        std::error_code ec;
        if (c.check_paths && !fs::is_directory(agent.working_dir, ec)) {
            c.fail(at + ".working_dir", "no such folder: " + agent.working_dir);
        }
        total += agent.capital;
    }
    if (total > config.capital) {
        const bool fits = total <= static_cast<__int128>(INT64_MAX);
        c.fail("agents", "the agents' capital adds up to " +
                             (fits ? json_quoted(decimal_text(static_cast<std::int64_t>(total), abi::MONEY_DECIMALS))
                                   : std::string("more than can be held")) +
                             ", more than the fund's capital " + json_quoted(decimal_text(config.capital, abi::MONEY_DECIMALS)));
    }
}

LoadResult check(const Node& root, Checker& c, const std::string& source) {
    LoadResult result;
    FundConfig& config = result.config;
    config.source = source;
    std::vector<std::vector<std::string>> agent_symbols;

    Checker::Object o(c, "", root,
                      {"name", "mode", "capital", "risk", "simulation", "execution", "market_data", "instruments", "agents"});
    if (o.valid()) {
        if (const Node* v = o.get("$schema")) {
            (void)c.text("$schema", *v);
        }
        if (const Node* v = o.need("name")) {
            if (const auto s = c.text("name", *v)) {
                if (name_ok(*s, 64)) {
                    config.name = *s;
                } else {
                    c.fail("name",
                           "must be 1..64 characters of A-Z a-z 0-9 _ . - starting with a letter, digit or _, got " +
                               json_quoted(*s));
                }
            }
        }
        bool simulation_mode = true;
        if (const Node* v = o.get("mode")) {
            if (const auto i = c.choice("mode", *v, {"simulation", "paper", "production"})) {
                static constexpr std::array kModes{abi::Mode::SIMULATION, abi::Mode::PAPER, abi::Mode::PRODUCTION};
                config.mode = kModes[*i];
                simulation_mode = *i == 0;
            }
        }
        if (const Node* v = o.need("capital")) {
            if (const auto x = c.decimal("capital", *v, abi::MONEY_DECIMALS, true)) {
                config.capital = *x;
            }
        }
        if (const Node* v = o.get("risk")) {
            read_limits(c, "risk", *v, config.limits);
        }
        if (const Node* v = simulation_mode ? o.need("simulation") : o.get("simulation")) {
            read_simulation(c, "simulation", *v, config.simulation, simulation_mode);
        }
        if (const Node* v = o.get("execution")) {
            read_execution(c, "execution", *v, config.execution);
        }
        if (const Node* v = o.get("market_data")) {
            read_market_data(c, "market_data", *v, config.market_data);
        }
        if (const Node* v = o.need("instruments")) {
            if (const std::vector<Node>* items = c.array("instruments", *v, 1, abi::MAX_INSTRUMENTS)) {
                config.instruments.resize(items->size());
                for (std::size_t i = 0; i < items->size(); ++i) {
                    read_instrument(c, path_of("instruments", i), (*items)[i], config.instruments[i]);
                }
            }
        }
        if (const Node* v = o.get("agents")) {
            if (const std::vector<Node>* items = c.array("agents", *v, 0, abi::MAX_AGENTS)) {
                config.agents.resize(items->size());
                agent_symbols.resize(items->size());
                for (std::size_t i = 0; i < items->size(); ++i) {
                    read_agent(c, path_of("agents", i), (*items)[i], config.agents[i], agent_symbols[i]);
                }
            }
        }
    }
    if (c.errors.empty()) {
        check_modes(c, config);
    }
    if (c.errors.empty()) {
        check_whole(c, config, agent_symbols);
    }
    if (c.errors.empty()) {
        // The Fund's instrument table holds the enabled instruments, in the given order.
        std::vector<InstrumentConfig> all = std::move(config.instruments);
        config.instruments.clear();
        for (InstrumentConfig& ins : all) {
            (ins.enabled ? config.instruments : config.disabled_instruments).push_back(std::move(ins));
        }
        if (config.instruments.empty()) {
            c.fail("instruments", "every instrument is disabled; at least one must be enabled");
        }
    }
    result.errors = std::move(c.errors);
    for (const std::string& e : result.errors) {
        result.error += (result.error.empty() ? "" : "\n") + e;
    }
    if (!result.ok()) {
        result.config = FundConfig{};
        result.config.source = source;
    }
    return result;
}

// ------------------------------------------------------------------------------------------------
// Normalized output

using ordered = nlohmann::ordered_json;

std::string money_text(abi::Money v) { return decimal_text(v, abi::MONEY_DECIMALS); }
std::string qty_text(abi::Quantity v) { return decimal_text(v, abi::QUANTITY_DECIMALS); }

ordered limits_json(const RiskLimits& l) {
    ordered j = ordered::object();
    j["max_order_qty"] = qty_text(l.max_order_qty);
    j["max_order_notional"] = money_text(l.max_order_notional);
    j["max_position"] = qty_text(l.max_position);
    j["max_gross_exposure"] = money_text(l.max_gross_exposure);
    j["max_net_exposure"] = money_text(l.max_net_exposure);
    j["max_open_orders"] = l.max_open_orders;
    j["max_intents_per_window"] = l.max_intents_per_window;
    j["rate_window"] = format_duration(l.rate_window_ns);
    j["reducing_loss"] = money_text(l.reducing_loss);
    j["halt_loss"] = money_text(l.halt_loss);
    return j;
}

const char* mode_name(abi::Mode m) {
    switch (m) {
        case abi::Mode::SIMULATION: return "simulation";
        case abi::Mode::PAPER: return "paper";
        case abi::Mode::PRODUCTION: return "production";
    }
    return "unknown";
}

const char* policy_name(engine::SilentPolicy p) {
    switch (p) {
        case engine::SilentPolicy::kNoOp: return "no_op";
        case engine::SilentPolicy::kCancelOrders: return "cancel_orders";
        case engine::SilentPolicy::kFlatten: return "flatten";
    }
    return "unknown";
}

const char* wake_name(engine::WakeMode w) {
    switch (w) {
        case engine::WakeMode::kSpin: return "spin";
        case engine::WakeMode::kBusy: return "busy";
        case engine::WakeMode::kFutex: return "futex";
    }
    return "unknown";
}

}  // namespace

// ------------------------------------------------------------------------------------------------

std::string format_duration(std::uint64_t ns) {
    if (ns == 0) {
        return "0s";
    }
    static constexpr std::array<std::pair<const char*, std::uint64_t>, 6> kUnits{{
        {"h", 3'600'000'000'000ULL},
        {"m", 60'000'000'000ULL},
        {"s", 1'000'000'000ULL},
        {"ms", 1'000'000ULL},
        {"us", 1'000ULL},
        {"ns", 1ULL},
    }};
    for (const auto& [unit, size] : kUnits) {
        if (ns % size == 0) {
            return std::to_string(ns / size) + unit;
        }
    }
    return std::to_string(ns) + "ns";
}

std::uint64_t fnv1a64(std::string_view bytes) noexcept {
    return engine::fnv1a64(engine::kFnvOffset, bytes.data(), bytes.size());
}

std::uint64_t config_hash(const engine::FundConfig& config) { return fnv1a64(config_to_json(config)); }

LoadResult load_config_text(std::string_view text, const std::string& path) {
    std::error_code ec;
    fs::path absolute = fs::absolute(fs::path(path), ec);
    if (ec) {
        absolute = fs::path(path);
    }
    return load_config_text(text, path, absolute.lexically_normal().parent_path().string());
}

LoadResult load_config_text(std::string_view text, const std::string& source, const std::string& base_dir) {
    return load_config_text(text, source, base_dir, LoadOptions{});
}

LoadResult load_config_text(std::string_view text, const std::string& source, const std::string& base_dir,
                            const LoadOptions& options) {
    const std::string& path = source;
    try {
        std::error_code ec;
        fs::path base = fs::absolute(fs::path(base_dir.empty() ? "." : base_dir), ec);
        if (ec) {
            base = fs::path(base_dir);
        }
        Checker checker(path, base.lexically_normal());
        checker.check_paths = options.check_paths;

        TreeBuilder builder;
        const bool parsed = nlohmann::json::sax_parse(text.begin(), text.end(), &builder);
        if (!parsed) {
            if (builder.too_deep) {
                return LoadResult::failure(path + ": " + builder.error);
            }
            // nlohmann's position is the 1-based count of bytes read; the fault is at the last one.
            const std::size_t at = std::min(builder.error_byte == 0 ? 0 : builder.error_byte - 1, text.size());
            std::size_t line = 1;
            std::size_t line_start = 0;
            for (std::size_t i = 0; i < at; ++i) {
                if (text[i] == '\n') {
                    ++line;
                    line_start = i + 1;
                }
            }
            const std::size_t column = at - line_start + 1;
            std::string what = builder.error.empty() ? std::string("invalid JSON") : builder.error;
            if (what.rfind("syntax error", 0) != 0) {
                what = "syntax error: " + what;
            }
            return LoadResult::failure(path + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + what);
        }
        return check(builder.root, checker, path);
    } catch (const std::exception& ex) {
        return LoadResult::failure(path + ": " + ex.what());
    } catch (...) {
        return LoadResult::failure(path + ": unexpected failure while loading the configuration");
    }
}

LoadResult load_config(const std::string& path) { return load_config(path, LoadOptions{}); }

LoadResult load_config(const std::string& path, const LoadOptions& options) {
    try {
        std::error_code ec;
        const fs::file_status st = fs::status(path, ec);
        if (ec || !fs::exists(st)) {
            return LoadResult::failure(path + ": no such file");
        }
        if (!fs::is_regular_file(st)) {
            return LoadResult::failure(path + ": not a regular file");
        }
        const std::uintmax_t size = fs::file_size(path, ec);
        if (ec) {
            return LoadResult::failure(path + ": " + ec.message());
        }
        if (size > kMaxFileBytes) {
            return LoadResult::failure(path + ": larger than " + std::to_string(kMaxFileBytes >> 20) + " MiB; not a configuration");
        }
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            return LoadResult::failure(path + ": cannot open: " + std::strerror(errno));
        }
        std::ostringstream buffer;
        buffer << in.rdbuf();
        if (in.bad()) {
            return LoadResult::failure(path + ": read error");
        }
        std::error_code base_ec;
        const fs::path absolute = fs::absolute(fs::path(path), base_ec);
        return load_config_text(buffer.str(), path,
                                (base_ec ? fs::path(path) : absolute).lexically_normal().parent_path().string(), options);
    } catch (const std::exception& ex) {
        return LoadResult::failure(path + ": " + ex.what());
    }
}

std::string config_to_json(const engine::FundConfig& config) {
    ordered root = ordered::object();
    root["name"] = config.name;
    root["mode"] = mode_name(config.mode);
    root["capital"] = money_text(config.capital);
    root["risk"] = limits_json(config.limits);

    const engine::SimulationConfig& sim = config.simulation;
    ordered simulation = ordered::object();
    simulation["data"] = sim.data_files;
    ordered decision = ordered::object();
    switch (sim.decision.kind) {
        case DecisionPolicy::Kind::kEveryBar: decision["every"] = "bar"; break;
        case DecisionPolicy::Kind::kEveryEvents: decision["events"] = sim.decision.events; break;
        case DecisionPolicy::Kind::kEveryInterval: decision["interval"] = format_duration(sim.decision.interval_ns); break;
    }
    simulation["decision"] = decision;
    simulation["answer_timeout_ms"] = sim.answer_timeout_ms;
    simulation["start_timeout_ms"] = sim.start_timeout_ms;
    simulation["stale_after"] = format_duration(sim.stale_after_ns);
    simulation["max_steps"] = sim.max_steps;
    root["simulation"] = simulation;

    const engine::ExecutionConfig& ex = config.execution;
    ordered execution = ordered::object();
    execution["fill_model"] = ex.fill_model == engine::FillModel::kVenue ? "venue" : "simulated";
    execution["slippage_bps"] = ex.slippage_bps;
    execution["fee_per_share"] = money_text(ex.fee_per_share);
    execution["fee_bps"] = decimal_text(ex.fee_centibps, kFeeBpsDecimals);
    execution["latency"] = format_duration(ex.latency_ns);
    execution["participation_pct"] = ex.participation_pct;
    ordered venue = ordered::object();
    venue["name"] = ex.venue.name;
    venue["endpoint"] = ex.venue.endpoint;
    venue["host"] = ex.venue.host;
    venue["port"] = ex.venue.port;
    venue["sender_comp_id"] = ex.venue.sender_comp_id;
    venue["target_comp_id"] = ex.venue.target_comp_id;
    venue["heartbeat_s"] = ex.venue.heartbeat_s;
    venue["reset_on_logon"] = ex.venue.reset_on_logon;
    venue["account"] = ex.venue.account;
    execution["venue"] = venue;
    root["execution"] = execution;

    ordered market_data = ordered::object();
    market_data["source"] = config.market_data.source == engine::MarketDataConfig::Source::kLive ? "live" : "replay";
    const engine::MarketDataConfig& md = config.market_data;
    market_data["feed"] = md.feed;
    market_data["address"] = md.address;
    market_data["port"] = md.port;
    market_data["interface"] = md.interface_address;
    market_data["recovery_address"] = md.recovery_address;
    market_data["recovery_port"] = md.recovery_port;
    market_data["reorder_window"] = md.reorder_window;
    market_data["reorder_timeout"] = format_duration(md.reorder_timeout_ns);
    market_data["stale_after"] = format_duration(md.stale_after_ns);
    market_data["recovery_timeout"] = format_duration(md.recovery_timeout_ns);
    market_data["publish_interval"] = format_duration(md.publish_interval_ns);
    market_data["heartbeat_interval"] = format_duration(md.heartbeat_interval_ns);
    market_data["max_snapshot_lag"] = md.max_snapshot_lag;
    root["market_data"] = market_data;

    ordered instruments = ordered::array();
    std::vector<const InstrumentConfig*> listed;
    for (const InstrumentConfig& ins : config.instruments) {
        listed.push_back(&ins);
    }
    for (const InstrumentConfig& ins : config.disabled_instruments) {
        listed.push_back(&ins);
    }
    for (const InstrumentConfig* listed_ins : listed) {
        const InstrumentConfig& ins = *listed_ins;
        ordered i = ordered::object();
        i["id"] = ins.id;
        i["symbol"] = ins.symbol;
        i["currency"] = ins.currency;
        i["status"] = ins.enabled ? "enabled" : "disabled";
        i["tick_size"] = decimal_text(ins.tick_size, abi::PRICE_DECIMALS);
        i["lot_size"] = qty_text(ins.lot_size);
        i["restricted"] = ins.restricted;
        i["price_collar_bps"] = ins.price_collar_bps;
        i["risk"] = limits_json(ins.limits);
        instruments.push_back(std::move(i));
    }
    root["instruments"] = std::move(instruments);

    ordered agents = ordered::array();
    for (const AgentConfig& agent : config.agents) {
        ordered a = ordered::object();
        a["id"] = agent.id;
        a["name"] = agent.name;
        a["command"] = agent.command;
        a["working_dir"] = agent.working_dir;
        ordered symbols = ordered::array();
        for (const std::uint32_t id : agent.instruments) {
            const auto found = std::find_if(config.instruments.begin(), config.instruments.end(),
                                            [&](const InstrumentConfig& ins) { return ins.id == id; });
            symbols.push_back(found != config.instruments.end() ? found->symbol : std::string("#").append(std::to_string(id)));
        }
        a["instruments"] = std::move(symbols);
        a["capital"] = money_text(agent.capital);
        a["allowed_uids"] = agent.allowed_uids;
        a["allowed_gids"] = agent.allowed_gids;
        a["lease"] = format_duration(agent.lease_ns);
        a["silent_policy"] = policy_name(agent.silent_policy);
        a["wake"] = wake_name(agent.wake);
        a["restart"] = agent.restart == engine::RestartPolicy::kOnFailure ? "on_failure" : "no";
        a["max_restarts"] = agent.max_restarts;
        a["risk"] = limits_json(agent.limits);
        agents.push_back(std::move(a));
    }
    root["agents"] = std::move(agents);
    return root.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace fundos::runtime
