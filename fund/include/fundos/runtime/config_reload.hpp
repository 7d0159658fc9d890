// Changes while running (docs/CONFIG.md): what differs between the running configuration and a
// re-read one, as the entries the engine applies (engine/config_change.hpp), or why the re-read
// one cannot be applied at all. Pure functions of two loaded configurations; the Fund calls them
// off the sequencer (process/config_reloader.hpp) and when it resumes a run.
//
//   ConfigDiff d = diff_config(running, reread);   // both loaded by the loader (config_json.hpp)
//   if (!d.ok())          -> reject it whole: d.error names the first field that cannot change
//   else if (d.empty())   -> nothing to do
//   else                  -> apply_config_change(running, d.entries) gives the new configuration
//
// Paths are the loader's spelling (agents[1].risk.max_position, instruments[0].restricted,
// risk.halt_loss), and values are the normalized form's ("250", "1s", true, ["SPY", "QQQ"]), so
// a change reads as `fundos config diff` prints it. An agent's instruments are compared as a set
// (their order is not a change); an agent that gains an instrument lists it after the ones it
// kept, in the instrument table's order.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "fundos/engine/config.hpp"
#include "fundos/engine/config_change.hpp"

namespace fundos::runtime {

/// One changed value for people: `PATH: OLD -> NEW` (OLD and NEW as JSON text).
struct ChangeLine {
    std::string path;
    std::string old_value;
    std::string new_value;
};

struct ConfigDiff {
    /// Non-empty when `next` cannot be applied while running: "PATH: ... cannot change while the
    /// Fund runs ...", naming the first such field in document order.
    std::string error;
    std::vector<engine::ConfigChangeEntry> entries;  ///< in document order
    std::vector<ChangeLine> lines;                   ///< one per entry, same order
    [[nodiscard]] bool ok() const noexcept { return error.empty(); }
    [[nodiscard]] bool empty() const noexcept { return entries.empty(); }
    /// The lines as "PATH: OLD -> NEW", one a line (the journal record's text).
    [[nodiscard]] std::string text() const;
};

/// What differs between `running` and `next` (both valid, loaded by the loader).
[[nodiscard]] ConfigDiff diff_config(const engine::FundConfig& running, const engine::FundConfig& next);

/// Applies `entries` to `config` as the engine does (entries naming an agent or instrument
/// `config` does not have at that index are skipped).
void apply_config_change(engine::FundConfig& config, std::span<const engine::ConfigChangeEntry> entries);

}  // namespace fundos::runtime
