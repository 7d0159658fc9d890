// The `fund run` loop: one run, from configuration to report. A simulation is described below; a
// paper run (mode "paper") shares everything but where events come from and when steps happen:
// its ingestion thread is a LiveFeed (live_feed.hpp) over the live feed, events are applied as
// they arrive, intents are taken as they arrive, and a step comes every publish interval of wall
// clock when the market moved (at least every heartbeat interval), its clock the feed's latest
// exchange time; every event and feed-status change is journaled (docs/FUND.md, "The live loop").
// A production run (mode "production") is a paper run whose fills come from a FIX venue: the engine
// in venue mode, its commands sent through a VenueLink (venue_link.hpp) once the step that made
// them is committed, the venue's events handed to the engine at each boundary, a start-up
// reconciliation (start_reconciliation.hpp) on a fresh start and on --resume, and a shutdown that
// waits (boundedly) for the venue to confirm every cancel (docs/FUND.md, "Production mode").
//
//   start-up   load and check the configuration; open the market data (MarketFeed); create the
//              run folder, the journal, the shared-memory transport and the control socket;
//              print the "ready" event; wait for the configured agents to attach
//   each step  apply market events up to the decision point (DecisionPolicy); publish the
//              snapshot; collect each attached agent's answer (its intents, then END_OF_ANSWER)
//              until all have answered or the wall-clock deadline passes; hand the answers to
//              the engine in slot order (the engine sequences them by agent id and intent id);
//              the silent ones get their policy; end the step; commit the journal
//   the end    end of data, max_steps, or SIGTERM/SIGINT (the current step finishes first):
//              cancel working orders, write report.json, fills.csv, equity.csv; "done" event
//
// Threads: the ingestion thread (MarketFeed) decodes and merges market data; this thread is the
// sequencer, the only writer of the Fund's state, and also polls the agents' rings (the
// transport is single-threaded by design). The configuration reloader's thread
// (config_reloader.hpp) re-reads the configuration on SIGHUP, {"cmd":"reload"} or a PostgreSQL
// NOTIFY and hands a validated change over; the sequencer applies it whole after a step's end
// and journals it (kConfigChange), so when it applies is in the journal, not in thread timing. What the agents answer is applied at the step
// boundary in a fixed order, so neither thread timing nor answer arrival order reaches the
// journal or the report. Wall clock is used only for deadlines and liveness, and a deadline that
// fires is journaled as the agent's silence.
//
// stdout carries one JSON object per line for `fundos run` (see fund/tools/fund_main.cpp);
// stderr carries messages for people.
#pragma once

#include <string>

namespace fundos::process {

struct RunOptions {
    std::string config_path;
    std::string run_dir;          ///< empty: runs/<config name> under the current folder
    bool resume = false;          ///< recover from run_dir/journal.fj and continue
    bool quiet_progress = false;  ///< no "progress" events
};

/// Exit status: 0 finished (or stopped by a signal), 1 failure at run time, 2 bad configuration
/// or bad input. Messages go to stderr.
int run_fund(const RunOptions& options);

}  // namespace fundos::process
