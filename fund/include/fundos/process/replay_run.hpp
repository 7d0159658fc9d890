// `fund replay`: a finished run rebuilt from its journal alone. The engine is a pure function of
// its configuration and its inputs, and the journal holds every input in the order it was applied
// (market events: as ranges of the .fmd replay in simulation, whole in paper and production, with
// the feed's status changes), so replaying DIR/journal.fj into a fresh engine built from
// DIR/config.json gives the run's report.json, fills.csv and equity.csv again, byte for byte; and
// every record the engine writes meanwhile must be the journal's (engine/journal_replay.hpp).
// It is how a paper session, whose market data existed only on the wire, is checked and audited.
#pragma once

#include <string>

namespace fundos::process {

struct ReplayOptions {
    std::string run_dir;  ///< holds journal.fj and config.json
    std::string out_dir;  ///< where report.json, fills.csv and equity.csv go; empty: RUN_DIR/replay
};

/// Exit status: 0 replayed and written; 1 an output could not be written; 2 a missing, damaged or
/// unfinished journal, or a replay that differs from it (the message names the record).
int replay_run(const ReplayOptions& options);

}  // namespace fundos::process
