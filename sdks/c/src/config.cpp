// An agent's own configuration (fundos/config.h): the Fund's loader (fundos::runtime::
// load_config_source) reads the source, then the agent's part is copied out into plain C rows and
// its JSON view. No C++ exception leaves this file: every entry point catches.
#include "fundos/config.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fundos/runtime/config_json.hpp"
#include "fundos/runtime/config_source.hpp"

struct fundos_agent_config {
    std::string service;
    std::string source;
    std::string fund;
    std::string agent_name;
    std::uint32_t agent_id = 0;
    fundos_money_t capital = 0;
    fundos_config_limits limits{};
    fundos_duration_t lease_ns = 0;
    fundos_silent_policy silent_policy = FUNDOS_SILENT_NO_OP;
    fundos_wait_policy wake = FUNDOS_WAIT_SPIN;
    std::vector<fundos_config_instrument> instruments;
    std::string json;
};

namespace {

namespace engine = fundos::engine;
namespace runtime = fundos::runtime;
using ordered = nlohmann::ordered_json;

/// Copy `text` into the caller's buffer (truncated, always NUL-terminated when len > 0).
int fail(int code, char* out, std::size_t len, const std::string& text) {
    if (out != nullptr && len > 0) {
        const std::size_t n = std::min(text.size(), len - 1);
        std::memcpy(out, text.data(), n);
        out[n] = '\0';
    }
    return code;
}

std::string json_quoted(std::string_view s) { return ordered(std::string(s)).dump(); }

fundos_config_limits limits_of(const engine::RiskLimits& l) {
    fundos_config_limits out{};
    out.max_order_qty = l.max_order_qty;
    out.max_order_notional = l.max_order_notional;
    out.max_position = l.max_position;
    out.max_gross_exposure = l.max_gross_exposure;
    out.max_net_exposure = l.max_net_exposure;
    out.max_open_orders = l.max_open_orders;
    out.max_intents_per_window = l.max_intents_per_window;
    out.rate_window_ns = l.rate_window_ns;
    out.reducing_loss = l.reducing_loss;
    out.halt_loss = l.halt_loss;
    return out;
}

/// `object` (a normalized JSON object) with the duration `key` replaced, in place, by `key_ns`
/// holding `ns`: the loader writes durations as "2s", the agent's view as integers of ns.
ordered with_ns(const ordered& object, std::string_view key, std::uint64_t ns) {
    ordered out = ordered::object();
    for (const auto& [k, v] : object.items()) {
        if (k == key) {
            out[k + "_ns"] = ns;
        } else {
            out[k] = v;
        }
    }
    return out;
}

ordered risk_view(const ordered& normalized, const engine::RiskLimits& limits) {
    return with_ns(normalized, "rate_window", limits.rate_window_ns);
}

/// The agent's view (fundos_agent_config_json): a projection of the loader's normalized
/// configuration (config_to_json), so keys, decimals and enum words are the loader's own.
std::string view_json(const engine::FundConfig& config, std::size_t agent_index, const std::string& service) {
    const ordered normalized = ordered::parse(runtime::config_to_json(config));
    const engine::AgentConfig& agent = config.agents[agent_index];
    ordered agent_view = with_ns(normalized.at("agents").at(agent_index), "lease", agent.lease_ns);
    agent_view["risk"] = risk_view(agent_view.at("risk"), agent.limits);

    ordered instruments = ordered::array();
    const ordered& all = normalized.at("instruments");  // the enabled ones first, in config.instruments' order
    for (const std::uint32_t id : agent.instruments) {
        for (std::size_t i = 0; i < config.instruments.size(); ++i) {
            if (config.instruments[i].id == id) {
                ordered row = all.at(i);
                row["risk"] = risk_view(row.at("risk"), config.instruments[i].limits);
                instruments.push_back(std::move(row));
            }
        }
    }
    ordered view = ordered::object();
    view["service"] = service;
    view["fund"] = normalized.at("name");
    view["mode"] = normalized.at("mode");
    view["agent"] = std::move(agent_view);
    view["instruments"] = std::move(instruments);
    return view.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string names_of(const engine::FundConfig& config) {
    std::string out;
    for (const engine::AgentConfig& a : config.agents) {
        out += (out.empty() ? "" : ", ") + a.name;
    }
    return out.empty() ? std::string("no agents") : out;
}

int load(const char* address_text, const char* service_text, fundos_agent_config** out, char* error,
         std::size_t error_len) {
    const std::string address_in = address_text;
    const std::string service = service_text;
    if (address_in.empty()) {
        return fail(FUNDOS_E_CONFIG, error, error_len,
                    "no configuration address: give a JSON file, sqlite:... or postgresql://... "
                    "(what the Fund was started with)");
    }
    runtime::ConfigAddress address;
    std::string why;
    if (!runtime::parse_config_address(address_in, address, why)) {
        return fail(FUNDOS_E_CONFIG, error, error_len, why);
    }
    // FUND/AGENT: the Fund's service id, a slash, the agent's name (both checked by what follows).
    const std::size_t slash = service.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == service.size() ||
        service.find('/', slash + 1) != std::string::npos) {
        return fail(FUNDOS_E_CONFIG, error, error_len,
                    address.label + ": service must be FUND/AGENT (the Fund's name, '/', the agent's name), got " +
                        json_quoted(service));
    }
    const std::string fund = service.substr(0, slash);
    const std::string agent_name = service.substr(slash + 1);

    std::string source_address = address_in;
    if (address.kind != runtime::ConfigAddress::Kind::kFile) {
        if (!address.service.empty() && address.service != fund && address.service != service) {
            return fail(FUNDOS_E_CONFIG, error, error_len,
                        address.label + "#" + address.service + ": the address names service " +
                            json_quoted(address.service) + ", not the Fund " + json_quoted(fund) + " of service " +
                            json_quoted(service));
        }
        // The database's service is the Fund's name.
        source_address = address_in.substr(0, address_in.find('#')) + "#" + fund;
    }
    runtime::LoadOptions options;
    options.check_paths = false;  // simulation data and working folders are not the agent's to check
    runtime::LoadResult loaded = runtime::load_config_source(source_address, options);
    if (!loaded.ok()) {
        return fail(FUNDOS_E_CONFIG, error, error_len, loaded.error);
    }
    const engine::FundConfig& config = loaded.config;
    const std::string& source = config.source.empty() ? address.label : config.source;
    if (config.name != fund) {
        return fail(FUNDOS_E_CONFIG, error, error_len,
                    source + ": this is the configuration of the Fund " + json_quoted(config.name) + ", not " +
                        json_quoted(fund) + " (service " + json_quoted(service) + ")");
    }
    const auto found = std::find_if(config.agents.begin(), config.agents.end(),
                                    [&](const engine::AgentConfig& a) { return a.name == agent_name; });
    if (found == config.agents.end()) {
        return fail(FUNDOS_E_CONFIG, error, error_len,
                    source + ": no agent " + json_quoted(agent_name) + " in this configuration (it has " +
                        names_of(config) + ")");
    }
    const engine::AgentConfig& agent = *found;

    auto result = std::make_unique<fundos_agent_config>();
    result->service = service;
    result->source = source;
    result->fund = config.name;
    result->agent_name = agent.name;
    result->agent_id = agent.id;
    result->capital = agent.capital;
    result->limits = limits_of(agent.limits);
    result->lease_ns = agent.lease_ns;
    result->silent_policy = static_cast<fundos_silent_policy>(agent.silent_policy);
    result->wake = agent.wake == engine::WakeMode::kBusy    ? FUNDOS_WAIT_BUSY
                   : agent.wake == engine::WakeMode::kFutex ? FUNDOS_WAIT_FUTEX
                                                            : FUNDOS_WAIT_SPIN;
    for (const std::uint32_t id : agent.instruments) {
        for (const engine::InstrumentConfig& ins : config.instruments) {
            if (ins.id != id) {
                continue;
            }
            fundos_config_instrument row{};
            row.instrument_id = ins.id;
            std::snprintf(row.symbol, sizeof row.symbol, "%s", ins.symbol.c_str());
            std::snprintf(row.currency, sizeof row.currency, "%s", ins.currency.c_str());
            row.tick_size = ins.tick_size;
            row.lot_size = ins.lot_size;
            row.restricted = ins.restricted ? 1 : 0;
            row.price_collar_bps = ins.price_collar_bps;
            row.limits = limits_of(ins.limits);
            result->instruments.push_back(row);
        }
    }
    result->json = view_json(config, static_cast<std::size_t>(found - config.agents.begin()), service);
    *out = result.release();
    return FUNDOS_OK;
}

}  // namespace

static_assert(static_cast<int>(engine::SilentPolicy::kNoOp) == FUNDOS_SILENT_NO_OP);
static_assert(static_cast<int>(engine::SilentPolicy::kCancelOrders) == FUNDOS_SILENT_CANCEL_ORDERS);
static_assert(static_cast<int>(engine::SilentPolicy::kFlatten) == FUNDOS_SILENT_FLATTEN);

extern "C" {

int fundos_agent_config_load(const char* address, const char* service, fundos_agent_config** out, char* error,
                             std::size_t error_len) {
    fail(FUNDOS_OK, error, error_len, "");
    if (out == nullptr) {
        return fail(FUNDOS_E_INVALID_ARGUMENT, error, error_len, "fundos_agent_config_load: out is NULL");
    }
    *out = nullptr;
    if (address == nullptr || service == nullptr) {
        return fail(FUNDOS_E_INVALID_ARGUMENT, error, error_len,
                    address == nullptr ? "fundos_agent_config_load: address is NULL"
                                       : "fundos_agent_config_load: service is NULL");
    }
    try {
        return load(address, service, out, error, error_len);
    } catch (const std::bad_alloc&) {
        errno = ENOMEM;
        return fail(FUNDOS_E_SYSTEM, error, error_len, std::string(address) + ": out of memory");
    } catch (const std::exception& ex) {
        return fail(FUNDOS_E_CONFIG, error, error_len, std::string(address) + ": " + ex.what());
    } catch (...) {
        return fail(FUNDOS_E_CONFIG, error, error_len, std::string(address) + ": cannot load the configuration");
    }
}

int fundos_agent_config_load_env(fundos_agent_config** out, char* error, std::size_t error_len) {
    fail(FUNDOS_OK, error, error_len, "");
    if (out == nullptr) {
        return fail(FUNDOS_E_INVALID_ARGUMENT, error, error_len, "fundos_agent_config_load_env: out is NULL");
    }
    *out = nullptr;
    const char* address = std::getenv("FUNDOS_CONFIG");
    if (address == nullptr || address[0] == '\0') {
        return FUNDOS_OK;
    }
    const char* service = std::getenv("FUNDOS_SERVICE");
    if (service == nullptr || service[0] == '\0') {
        return fail(FUNDOS_E_INVALID_ARGUMENT, error, error_len,
                    "FUNDOS_CONFIG is set but FUNDOS_SERVICE is not: set it to the agent's service id FUND/AGENT");
    }
    return fundos_agent_config_load(address, service, out, error, error_len);
}

void fundos_agent_config_free(fundos_agent_config* config) { delete config; }

int fundos_attach_options_from_config(fundos_attach_options* options, const fundos_agent_config* config, char* why,
                                      std::size_t why_len) {
    fail(FUNDOS_OK, why, why_len, "");
    if (options == nullptr || config == nullptr) {
        return fail(FUNDOS_E_INVALID_ARGUMENT, why, why_len,
                    options == nullptr ? "attach options are NULL" : "the agent's configuration is NULL");
    }
    if (options->agent_id != 0 && options->agent_id != config->agent_id) {
        try {
            return fail(FUNDOS_E_INVALID_ARGUMENT, why, why_len,
                        "agent id " + std::to_string(options->agent_id) + " is not the id of " + config->service +
                            ", which is " + std::to_string(config->agent_id) + " in " + config->source);
        } catch (...) {
            return FUNDOS_E_INVALID_ARGUMENT;
        }
    }
    options->agent_id = config->agent_id;
    return FUNDOS_OK;
}

const char* fundos_agent_config_service(const fundos_agent_config* config) {
    return config != nullptr ? config->service.c_str() : nullptr;
}

const char* fundos_agent_config_source(const fundos_agent_config* config) {
    return config != nullptr ? config->source.c_str() : nullptr;
}

const char* fundos_agent_config_fund(const fundos_agent_config* config) {
    return config != nullptr ? config->fund.c_str() : nullptr;
}

uint32_t fundos_agent_config_agent_id(const fundos_agent_config* config) {
    return config != nullptr ? config->agent_id : 0;
}

const char* fundos_agent_config_agent_name(const fundos_agent_config* config) {
    return config != nullptr ? config->agent_name.c_str() : nullptr;
}

fundos_money_t fundos_agent_config_capital(const fundos_agent_config* config) {
    return config != nullptr ? config->capital : 0;
}

const fundos_config_limits* fundos_agent_config_limits(const fundos_agent_config* config) {
    return config != nullptr ? &config->limits : nullptr;
}

fundos_duration_t fundos_agent_config_lease_ns(const fundos_agent_config* config) {
    return config != nullptr ? config->lease_ns : 0;
}

fundos_silent_policy fundos_agent_config_silent_policy(const fundos_agent_config* config) {
    return config != nullptr ? config->silent_policy : static_cast<fundos_silent_policy>(0);
}

fundos_wait_policy fundos_agent_config_wake(const fundos_agent_config* config) {
    return config != nullptr ? config->wake : FUNDOS_WAIT_SPIN;
}

size_t fundos_agent_config_instrument_count(const fundos_agent_config* config) {
    return config != nullptr ? config->instruments.size() : 0;
}

const fundos_config_instrument* fundos_agent_config_instrument(const fundos_agent_config* config, size_t index) {
    return config != nullptr && index < config->instruments.size() ? &config->instruments[index] : nullptr;
}

const fundos_config_instrument* fundos_agent_config_find_instrument(const fundos_agent_config* config,
                                                                    uint32_t instrument_id) {
    if (config == nullptr) {
        return nullptr;
    }
    for (const fundos_config_instrument& row : config->instruments) {
        if (row.instrument_id == instrument_id) {
            return &row;
        }
    }
    return nullptr;
}

const char* fundos_agent_config_json(const fundos_agent_config* config) {
    return config != nullptr ? config->json.c_str() : nullptr;
}

}  // extern "C"
