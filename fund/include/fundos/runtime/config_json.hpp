// The Fund's JSON configuration: file (or a database's document, config_source.hpp) -> engine::FundConfig, checked completely, and back to a
// normalized JSON text whose hash identifies the configuration in the journal and the report.
//
// The JSON form is described once, in schema/fund-config.schema.json (JSON Schema 2020-12); the
// loader accepts exactly what the schema describes and additionally checks what a schema cannot
// (unique ids, names and symbols, agents mapped to known instruments, agents' capital within the
// fund's, halt_loss >= reducing_loss, data files present, supported mode).
//
// Conventions of the JSON form:
//   * Fixed-point values (capital, limits, fees, tick and lot sizes) are decimal strings
//     ("1000000", "0.005") or JSON numbers written in plain decimal notation; either way they are
//     converted exactly (no floating point) and rejected when they have more fractional digits
//     than the type holds (Money 6, Quantity 6, Price 8, fee_bps 2).
//   * Durations are strings with a unit, "250us", "2s", "5m", "1.5h" (ns, us, ms, s, m, h), or
//     integers of nanoseconds. A duration must be a whole number of nanoseconds.
//   * Relative paths (simulation.data, agents[].working_dir) are relative to the folder of the
//     configuration file; the loaded FundConfig holds absolute, lexically normal paths.
//   * Unknown keys and repeated keys are errors (typo protection), except "$schema" at the top.
//
// Messages name the file, the JSON path of the field and the fault:
//     demo.json: agents[1].risk.max_position: must be >= 0, got "-5"
//     demo.json:12:7: syntax error: ...            (JSON syntax: line and column, 1-based)
// Nothing here throws: every failure is a message in LoadResult.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fundos/engine/config.hpp"

namespace fundos::runtime {

struct LoadResult {
    engine::FundConfig config;        ///< valid only when ok()
    std::vector<std::string> errors;  ///< every fault found, in document order (capped at kMaxErrors)
    std::string error;                ///< the errors joined by '\n'; empty when ok()

    static constexpr std::size_t kMaxErrors = 50;
    [[nodiscard]] bool ok() const noexcept { return errors.empty(); }

    /// A result with one error, `message` (a source that could not be read at all).
    [[nodiscard]] static LoadResult failure(std::string message) {
        LoadResult result;
        result.errors.push_back(message);
        result.error = std::move(message);
        return result;
    }
};

/// What a load checks besides the document. The defaults are the Fund's.
struct LoadOptions {
    /// Whether simulation.data's files and the agents' working_dir folders must exist. Off for a
    /// reader that uses none of them, e.g. an agent reading its own configuration (the SDKs'
    /// fundos_agent_config_load, sdks/c/include/fundos/config.h), possibly on another machine:
    /// the paths are still resolved and normalized, only not looked up.
    bool check_paths = true;
};

/// Loads and checks the configuration file at `path`. Relative paths inside it are resolved
/// against the file's folder (made absolute with the current folder when `path` is relative).
[[nodiscard]] LoadResult load_config(const std::string& path);
[[nodiscard]] LoadResult load_config(const std::string& path, const LoadOptions& options);

/// The same for a configuration held in memory: `text` is parsed as if it had been read from
/// `path` (messages name `path`; relative paths resolve against its folder). The file itself
/// need not exist.
[[nodiscard]] LoadResult load_config_text(std::string_view text, const std::string& path);

/// The same for a document that comes from no file (a configuration database's document,
/// standard input): messages name `source` (e.g. "sqlite:///srv/fund.db#demo"), and relative
/// paths resolve against `base_dir` (made absolute with the current folder; "" is the current
/// folder).
[[nodiscard]] LoadResult load_config_text(std::string_view text, const std::string& source, const std::string& base_dir);
[[nodiscard]] LoadResult load_config_text(std::string_view text, const std::string& source, const std::string& base_dir,
                                          const LoadOptions& options);

/// The normalized JSON form of `config`: every field present with its default filled in, keys in
/// the schema's order, decimals in their shortest exact form, durations in the largest exact unit,
/// paths as given in `config` (absolute after loading), two-space indent, a final newline. Equal
/// configurations give identical text; loading the text gives the same configuration again.
[[nodiscard]] std::string config_to_json(const engine::FundConfig& config);

/// FNV-1a 64 of `bytes`.
[[nodiscard]] std::uint64_t fnv1a64(std::string_view bytes) noexcept;

/// The configuration's identity: fnv1a64(config_to_json(config)). Recorded in the journal's
/// RUN_START and in report.json.
[[nodiscard]] std::uint64_t config_hash(const engine::FundConfig& config);

/// "12s", "5m", "250us", "0s": a duration in the largest unit that holds it exactly.
[[nodiscard]] std::string format_duration(std::uint64_t ns);


}  // namespace fundos::runtime
