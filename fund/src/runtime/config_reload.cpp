// diff_config and apply_config_change (fundos/runtime/config_reload.hpp).
#include "fundos/runtime/config_reload.hpp"

#include <algorithm>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fundos/engine/engine.hpp"
#include "fundos/runtime/config_json.hpp"

namespace fundos::runtime {
namespace {

using engine::AgentConfig;
using engine::ConfigChangeEntry;
using engine::ConfigField;
using engine::FundConfig;
using engine::InstrumentConfig;
using engine::Scope;
using ordered = nlohmann::ordered_json;

constexpr const char* kWhatCan =
    "only risk limits, instruments' restricted and price_collar_bps, and agents' instruments can";

std::string shown(const ordered& value) {
    std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (text.size() > 60) {
        text = text.substr(0, 56) + "...";
    }
    return text;
}

/// The first path where `a` and `b` differ, as an error; "" when they are equal.
std::string first_difference(const ordered& a, const ordered& b, const std::string& path) {
    if (a.is_object() && b.is_object()) {
        for (const auto& [key, value] : a.items()) {
            const std::string at = path.empty() ? key : path + "." + key;
            if (!b.contains(key)) {
                return at + ": cannot be removed";
            }
            if (std::string found = first_difference(value, b.at(key), at); !found.empty()) {
                return found;
            }
        }
        for (const auto& [key, value] : b.items()) {
            if (!a.contains(key)) {
                return (path.empty() ? key : path + "." + key) + ": cannot be added";
            }
        }
        return {};
    }
    if (a.is_array() && b.is_array()) {
        for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
            const std::string at = path + "[" + std::to_string(i) + "]";
            if (i >= b.size()) {
                return at + ": cannot be removed (" + shown(a[i]) + ")";
            }
            if (i >= a.size()) {
                return at + ": cannot be added (" + shown(b[i]) + ")";
            }
            if (std::string found = first_difference(a[i], b[i], at); !found.empty()) {
                return found;
            }
        }
        return {};
    }
    if (a != b) {
        return (path.empty() ? std::string("(top level)") : path) + ": " + shown(a) + " -> " + shown(b) +
               " cannot change";
    }
    return {};
}

/// The value at `path` ("agents[1].risk.max_position") in a normalized document.
const ordered* at_path(const ordered& doc, std::string_view path) {
    const ordered* node = &doc;
    while (!path.empty()) {
        if (path.front() == '.') {
            path.remove_prefix(1);
        }
        if (path.front() == '[') {
            const std::size_t close = path.find(']');
            const std::size_t index = std::stoul(std::string(path.substr(1, close - 1)));
            if (!node->is_array() || index >= node->size()) {
                return nullptr;
            }
            node = &(*node)[index];
            path.remove_prefix(close + 1);
            continue;
        }
        const std::size_t end = path.find_first_of(".[");
        const std::string key(path.substr(0, end));
        if (!node->is_object() || !node->contains(key)) {
            return nullptr;
        }
        node = &node->at(key);
        path.remove_prefix(end == std::string_view::npos ? path.size() : end);
    }
    return node;
}

int row_of(const FundConfig& c, std::uint32_t id) {
    for (std::size_t i = 0; i < c.instruments.size(); ++i) {
        if (c.instruments[i].id == id) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

/// The rows of the instruments mapped to `agent`, as a mask over `table`'s rows.
std::uint64_t mapping_mask(const FundConfig& table, const AgentConfig& agent) {
    std::uint64_t mask = 0;
    for (const std::uint32_t id : agent.instruments) {
        const int row = row_of(table, id);
        if (row >= 0 && row < 64) {
            mask |= std::uint64_t{1} << row;
        }
    }
    return mask;
}

/// Which entries a path of the document's is for (the scope prefix: "risk",
/// "instruments[3]", "agents[1]").
std::string entry_path(const ConfigChangeEntry& e) {
    const auto field = static_cast<ConfigField>(e.field);
    const std::string name = engine::config_field_name(field);
    const std::string leaf = engine::is_limit_field(field) ? "risk." + name : name;
    switch (static_cast<Scope>(e.scope)) {
        case Scope::kFund: return leaf;
        case Scope::kAgent: return "agents[" + std::to_string(e.index) + "]." + leaf;
        case Scope::kInstrument: return "instruments[" + std::to_string(e.index) + "]." + leaf;
    }
    return leaf;
}

void add_limits(std::vector<ConfigChangeEntry>& out, const engine::RiskLimits& a, const engine::RiskLimits& b,
                Scope scope, std::uint32_t id, std::uint16_t index) {
    for (std::uint8_t f = static_cast<std::uint8_t>(ConfigField::kMaxOrderQty);
         f <= static_cast<std::uint8_t>(ConfigField::kHaltLoss); ++f) {
        const auto field = static_cast<ConfigField>(f);
        const std::int64_t old_value = engine::limit_value(a, field);
        const std::int64_t new_value = engine::limit_value(b, field);
        if (old_value != new_value) {
            out.push_back({old_value, new_value, id, index, static_cast<std::uint8_t>(scope), f});
        }
    }
}

}  // namespace

std::string ConfigDiff::text() const {
    std::string out;
    for (const ChangeLine& line : lines) {
        out += line.path + ": " + line.old_value + " -> " + line.new_value + "\n";
    }
    return out;
}

void apply_config_change(FundConfig& config, std::span<const ConfigChangeEntry> entries) {
    for (const ConfigChangeEntry& e : entries) {
        const auto field = static_cast<ConfigField>(e.field);
        switch (static_cast<Scope>(e.scope)) {
            case Scope::kFund:
                engine::set_limit_value(config.limits, field, e.new_value);
                break;
            case Scope::kAgent: {
                if (e.index >= config.agents.size() || config.agents[e.index].id != e.id) {
                    break;
                }
                AgentConfig& agent = config.agents[e.index];
                if (engine::is_limit_field(field)) {
                    engine::set_limit_value(agent.limits, field, e.new_value);
                } else if (field == ConfigField::kInstruments) {
                    const auto mask = static_cast<std::uint64_t>(e.new_value);
                    std::vector<std::uint32_t> kept;
                    for (const std::uint32_t id : agent.instruments) {  // the ones it keeps, in its order
                        const int row = row_of(config, id);
                        if (row >= 0 && row < 64 && ((mask >> row) & 1U) != 0) {
                            kept.push_back(id);
                        }
                    }
                    for (std::size_t row = 0; row < config.instruments.size() && row < 64; ++row) {  // then new ones
                        const std::uint32_t id = config.instruments[row].id;
                        if (((mask >> row) & 1U) != 0 && std::find(kept.begin(), kept.end(), id) == kept.end()) {
                            kept.push_back(id);
                        }
                    }
                    agent.instruments = std::move(kept);
                }
                break;
            }
            case Scope::kInstrument: {
                if (e.index >= config.instruments.size() || config.instruments[e.index].id != e.id) {
                    break;
                }
                InstrumentConfig& instrument = config.instruments[e.index];
                if (engine::is_limit_field(field)) {
                    engine::set_limit_value(instrument.limits, field, e.new_value);
                } else if (field == ConfigField::kRestricted) {
                    instrument.restricted = e.new_value != 0;
                } else if (field == ConfigField::kPriceCollarBps) {
                    instrument.price_collar_bps = static_cast<std::uint32_t>(e.new_value);
                }
                break;
            }
        }
    }
}

ConfigDiff diff_config(const FundConfig& running, const FundConfig& next) {
    ConfigDiff diff;
    // 1. Everything but the values that may change must be equal: compare the normalized forms
    //    with those values of `next` set to the running ones.
    FundConfig masked = next;
    masked.limits = running.limits;
    for (std::size_t i = 0; i < std::min(masked.instruments.size(), running.instruments.size()); ++i) {
        masked.instruments[i].limits = running.instruments[i].limits;
        masked.instruments[i].restricted = running.instruments[i].restricted;
        masked.instruments[i].price_collar_bps = running.instruments[i].price_collar_bps;
    }
    for (std::size_t i = 0; i < std::min(masked.agents.size(), running.agents.size()); ++i) {
        masked.agents[i].limits = running.agents[i].limits;
        masked.agents[i].instruments = running.agents[i].instruments;
    }
    const ordered before = ordered::parse(config_to_json(running));
    if (std::string found = first_difference(before, ordered::parse(config_to_json(masked)), ""); !found.empty()) {
        diff.error = found + " while the Fund runs (" + kWhatCan + ")";
        return diff;
    }
    // 2. The values that differ, in document order.
    add_limits(diff.entries, running.limits, next.limits, Scope::kFund, 0, 0);
    for (std::size_t i = 0; i < running.instruments.size(); ++i) {
        const InstrumentConfig& a = running.instruments[i];
        const InstrumentConfig& b = next.instruments[i];
        const auto index = static_cast<std::uint16_t>(i);
        if (a.restricted != b.restricted) {
            diff.entries.push_back({a.restricted ? 1 : 0, b.restricted ? 1 : 0, a.id, index,
                                    static_cast<std::uint8_t>(Scope::kInstrument),
                                    static_cast<std::uint8_t>(ConfigField::kRestricted)});
        }
        if (a.price_collar_bps != b.price_collar_bps) {
            diff.entries.push_back({a.price_collar_bps, b.price_collar_bps, a.id, index,
                                    static_cast<std::uint8_t>(Scope::kInstrument),
                                    static_cast<std::uint8_t>(ConfigField::kPriceCollarBps)});
        }
        add_limits(diff.entries, a.limits, b.limits, Scope::kInstrument, a.id, index);
    }
    for (std::size_t i = 0; i < running.agents.size(); ++i) {
        const AgentConfig& a = running.agents[i];
        const auto index = static_cast<std::uint16_t>(i);
        const std::uint64_t old_rows = mapping_mask(running, a);
        const std::uint64_t new_rows = mapping_mask(running, next.agents[i]);
        if (old_rows != new_rows) {
            diff.entries.push_back({static_cast<std::int64_t>(old_rows), static_cast<std::int64_t>(new_rows), a.id, index,
                                    static_cast<std::uint8_t>(Scope::kAgent),
                                    static_cast<std::uint8_t>(ConfigField::kInstruments)});
        }
        add_limits(diff.entries, a.limits, next.agents[i].limits, Scope::kAgent, a.id, index);
    }
    // 3. For people: each value before and after, as the normalized form spells it.
    FundConfig after = running;
    apply_config_change(after, diff.entries);
    const ordered changed = ordered::parse(config_to_json(after));
    for (const ConfigChangeEntry& e : diff.entries) {
        const std::string path = entry_path(e);
        const ordered* old_value = at_path(before, path);
        const ordered* new_value = at_path(changed, path);
        diff.lines.push_back({path, old_value != nullptr ? old_value->dump() : "?",
                              new_value != nullptr ? new_value->dump() : "?"});
    }
    return diff;
}

}  // namespace fundos::runtime
