// A change of the running Fund's configuration (docs/CONFIG.md, "Changes while running"): the
// values that may change, one entry per changed value, and how the engine applies them.
// Plain data and small inline helpers; the runtime builds the entries (runtime/config_reload.hpp:
// it diffs the running configuration against the re-read one), the engine applies them
// (Engine::change_config) and journals them (kConfigChange, journal_records.hpp).
//
// SPEC (docs/ENGINE.md quotes this block)
//
// What may change while the Fund runs: the risk limits of every scope (FundConfig.limits, each
// AgentConfig.limits, each InstrumentConfig.limits: the ten RiskLimits fields), each enabled
// instrument's `restricted` flag and `price_collar_bps`, and each agent's instruments (the
// mapping, a set of instrument rows). Anything else (instruments or agents added, removed or
// reordered, ids, names, symbols, capital, silent policies, simulation, execution, market data,
// disabled instruments) cannot: a re-read configuration that differs there is rejected whole.
//
// change_config(change) applies every entry at once, at a step boundary (the Fund calls it after
// end_step, before the next market event, or before the first step): no risk check ever sees
// part of a change. In entry order:
//   a limit      the scope's RiskLimits field takes the new value from the next intent on. A
//                rate window (max_intents_per_window, rate_window) keeps the admissions it holds
//                (the newest ones, up to the new maximum), so a lowered limit counts what was
//                already sent. Loss limits are evaluated at the next begin_step (states stay
//                sticky: raising a limit never brings a REDUCING or HALTED scope back).
//   restricted, price_collar_bps   the instrument's flag and collar, from the next intent on.
//   instruments (an agent's mapping)   the new set of instrument rows. Each instrument the agent
//                loses: its working orders there are canceled (CANCELED, reason
//                INSTRUMENT_NOT_MAPPED, journal cause UNMAPPED); its position stays (a
//                configuration change never trades) and shows in its book. From then on, in an
//                instrument not mapped to it, the agent may only reduce what it holds there:
//                CANCEL, FLATTEN, and ORDER or TARGET_POSITION intents that are risk-reducing
//                are checked as usual; anything else is REJECTED INSTRUMENT_NOT_MAPPED (also
//                when it holds nothing there, as before). An instrument it gains is tradable at
//                once.
// The change is journaled first (kConfigChange, before the records of the cancels it causes),
// with the step it follows, the old and new value of each entry and the configuration's hash
// before and after. A rejected change is journaled too (status REJECTED, the reason as text, no
// entries) and changes nothing. Recovery replays both (change_config again).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "fundos/engine/config.hpp"

namespace fundos::engine {

/// The value an entry changes. Stable numbers: journals outlive builds.
enum class ConfigField : std::uint8_t {
    kMaxOrderQty = 1,
    kMaxOrderNotional = 2,
    kMaxPosition = 3,
    kMaxGrossExposure = 4,
    kMaxNetExposure = 5,
    kMaxOpenOrders = 6,
    kMaxIntentsPerWindow = 7,
    kRateWindow = 8,
    kReducingLoss = 9,
    kHaltLoss = 10,
    kRestricted = 11,       ///< instrument scope: 0 or 1
    kPriceCollarBps = 12,   ///< instrument scope
    kInstruments = 13,      ///< agent scope: bit i = instrument row i is mapped to the agent
};

enum class ConfigChangeStatus : std::uint8_t { kApplied = 1, kRejected = 2 };

/// What made the Fund re-read its configuration.
enum class ConfigTrigger : std::uint8_t {
    kSignal = 1,   ///< SIGHUP
    kControl = 2,  ///< the control socket's {"cmd":"reload"}
    kNotify = 3,   ///< a PostgreSQL NOTIFY on the channel fundos_config
    kResume = 4,   ///< --resume found the source ahead of the journal
    kListen = 5,   ///< the LISTEN connection came back (a notification may have been missed)
};

/// One changed value (the journal's layout: little-endian, no padding byte).
struct ConfigChangeEntry {
    std::int64_t old_value = 0;  ///< raw fixed point, count, ns, 0/1, or a row mask (kInstruments)
    std::int64_t new_value = 0;
    std::uint32_t id = 0;        ///< the agent's or instrument's config id; 0 for the fund
    std::uint16_t index = 0;     ///< the agent's slot or the instrument's row; 0 for the fund
    std::uint8_t scope = 0;      ///< Scope (engine.hpp): kFund, kAgent, kInstrument
    std::uint8_t field = 0;      ///< ConfigField
    bool operator==(const ConfigChangeEntry&) const = default;
};
static_assert(sizeof(ConfigChangeEntry) == 24);
static_assert(std::is_trivially_copyable_v<ConfigChangeEntry> && std::has_unique_object_representations_v<ConfigChangeEntry>);

/// A change as the engine applies and journals it.
struct ConfigChange {
    ConfigChangeStatus status = ConfigChangeStatus::kApplied;
    ConfigTrigger trigger = ConfigTrigger::kSignal;
    std::uint64_t old_hash = 0;  ///< the running configuration's hash (runtime::config_hash, report.json's)
    std::uint64_t new_hash = 0;  ///< after the change; 0 when rejected
    std::vector<ConfigChangeEntry> entries;  ///< empty when rejected
    std::string text;  ///< for people: "PATH: OLD -> NEW" per entry, one a line; or the reason it was rejected
};

/// The RiskLimits fields in ConfigField order (kMaxOrderQty .. kHaltLoss).
inline constexpr std::array<const char*, 10> kLimitFieldNames{
    "max_order_qty",  "max_order_notional",     "max_position", "max_gross_exposure", "max_net_exposure",
    "max_open_orders", "max_intents_per_window", "rate_window",  "reducing_loss",      "halt_loss"};

[[nodiscard]] constexpr bool is_limit_field(ConfigField f) noexcept {
    return f >= ConfigField::kMaxOrderQty && f <= ConfigField::kHaltLoss;
}

/// The field's key in the configuration's JSON form ("max_position", "restricted", "instruments").
[[nodiscard]] constexpr const char* config_field_name(ConfigField f) noexcept {
    if (is_limit_field(f)) {
        return kLimitFieldNames[static_cast<std::size_t>(f) - 1];
    }
    switch (f) {
        case ConfigField::kRestricted: return "restricted";
        case ConfigField::kPriceCollarBps: return "price_collar_bps";
        case ConfigField::kInstruments: return "instruments";
        default: return "?";
    }
}

[[nodiscard]] constexpr const char* to_string(ConfigTrigger t) noexcept {
    switch (t) {
        case ConfigTrigger::kSignal: return "sighup";
        case ConfigTrigger::kControl: return "control";
        case ConfigTrigger::kNotify: return "notify";
        case ConfigTrigger::kResume: return "resume";
        case ConfigTrigger::kListen: return "listen";
    }
    return "?";
}

[[nodiscard]] constexpr const char* to_string(ConfigChangeStatus s) noexcept {
    switch (s) {
        case ConfigChangeStatus::kApplied: return "applied";
        case ConfigChangeStatus::kRejected: return "rejected";
    }
    return "?";
}

/// A RiskLimits field as an int64 (counts and durations fit: the loader bounds them).
[[nodiscard]] inline std::int64_t limit_value(const RiskLimits& l, ConfigField f) noexcept {
    switch (f) {
        case ConfigField::kMaxOrderQty: return l.max_order_qty;
        case ConfigField::kMaxOrderNotional: return l.max_order_notional;
        case ConfigField::kMaxPosition: return l.max_position;
        case ConfigField::kMaxGrossExposure: return l.max_gross_exposure;
        case ConfigField::kMaxNetExposure: return l.max_net_exposure;
        case ConfigField::kMaxOpenOrders: return l.max_open_orders;
        case ConfigField::kMaxIntentsPerWindow: return l.max_intents_per_window;
        case ConfigField::kRateWindow: return static_cast<std::int64_t>(l.rate_window_ns);
        case ConfigField::kReducingLoss: return l.reducing_loss;
        case ConfigField::kHaltLoss: return l.halt_loss;
        default: return 0;
    }
}

inline void set_limit_value(RiskLimits& l, ConfigField f, std::int64_t v) noexcept {
    switch (f) {
        case ConfigField::kMaxOrderQty: l.max_order_qty = v; break;
        case ConfigField::kMaxOrderNotional: l.max_order_notional = v; break;
        case ConfigField::kMaxPosition: l.max_position = v; break;
        case ConfigField::kMaxGrossExposure: l.max_gross_exposure = v; break;
        case ConfigField::kMaxNetExposure: l.max_net_exposure = v; break;
        case ConfigField::kMaxOpenOrders: l.max_open_orders = static_cast<std::uint32_t>(v); break;
        case ConfigField::kMaxIntentsPerWindow: l.max_intents_per_window = static_cast<std::uint32_t>(v); break;
        case ConfigField::kRateWindow: l.rate_window_ns = static_cast<abi::Duration>(v); break;
        case ConfigField::kReducingLoss: l.reducing_loss = v; break;
        case ConfigField::kHaltLoss: l.halt_loss = v; break;
        default: break;
    }
}

}  // namespace fundos::engine
