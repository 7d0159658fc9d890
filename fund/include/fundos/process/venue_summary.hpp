// report.json's "venue" object (production only): the engine's venue counters (engine.hpp,
// VenueCounters), whether the run needs a person (anomalous: a fill beyond what was working, or
// a reduce whose leaves differ), and the parents the venue had not confirmed done when the run
// closed its journal (the shutdown's bounded wait passed). All of it follows from the journal,
// so `fund run` and `fund replay` both append it, from the engine as the journal leaves it, and
// write the same bytes.
#pragma once

#include <string>

#include "fundos/engine/engine.hpp"
#include "fundos/runtime/run_report.hpp"

namespace fundos::process {

/// Adds "venue" to DIR/report.json (written by runtime::write_run_outputs just before).
[[nodiscard]] runtime::Status add_venue_summary(const std::string& dir, const engine::Engine& engine);

}  // namespace fundos::process
