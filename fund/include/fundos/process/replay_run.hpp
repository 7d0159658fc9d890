// `fund replay`: a finished run rebuilt from its journal alone. The engine is a pure function of
// its configuration and its inputs, and the journal holds every input in the order it was applied
// (market events: as ranges of the .fmd replay in simulation, whole in paper and production, with
// the feed's status changes), so replaying DIR/journal.fj into a fresh engine built from
// DIR/config.json gives the run's report.json, fills.csv and equity.csv again, byte for byte; and
// every record the engine writes meanwhile must be the journal's (engine/journal_replay.hpp).
// A production journal goes on after kRunEnd: the venue's answers to the shutdown's cancels (and
// any late fill) are journaled as they come, and replayed too.
// It is how a paper session, whose market data existed only on the wire, is checked and audited.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fundos/engine/journal_records.hpp"
#include "fundos/engine/journal_replay.hpp"
#include "fundos/marketdata/fmd_format.hpp"

namespace fundos::process {

/// A live run's instrument table, from its kRunStart rows: the Fund built the table it gave the
/// engine from exactly these fields (FundRun::start_live), so the rebuilt one hashes the same
/// (`fund replay`, and `fund run --resume` in production).
[[nodiscard]] std::vector<marketdata::InstrumentRecord> live_instrument_table(const engine::RunStartRecord& start);

/// The market events a live journal's replay asks for: none (its kMarketEvent records hold them).
class NoMarketEvents final : public engine::MarketEvents {
public:
    bool event(std::uint64_t, marketdata::EventRecord&) noexcept override { return false; }
};

struct ReplayOptions {
    std::string run_dir;  ///< holds journal.fj and config.json
    std::string out_dir;  ///< where report.json, fills.csv and equity.csv go; empty: RUN_DIR/replay
};

/// Exit status: 0 replayed and written; 1 an output could not be written; 2 a missing, damaged or
/// unfinished journal, or a replay that differs from it (the message names the record).
int replay_run(const ReplayOptions& options);

}  // namespace fundos::process
