#include "fundos/process/replay_run.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fundos/engine/engine.hpp"
#include "fundos/engine/journal_records.hpp"
#include "fundos/engine/journal_replay.hpp"
#include "fundos/process/market_feed.hpp"
#include "fundos/process/venue_summary.hpp"
#include "fundos/runtime/config_json.hpp"
#include "fundos/runtime/equity_recorder.hpp"
#include "fundos/runtime/journal.hpp"
#include "fundos/runtime/run_report.hpp"

namespace fundos::process {
namespace {

namespace fs = std::filesystem;

/// The engine's outputs during the replay: journal records checked against the journal's,
/// equity points recorded for equity.csv and report.json, reports dropped (nobody reads them).
class ReplaySink final : public engine::Sink {
public:
    explicit ReplaySink(std::span<const engine::JournalEntry> records) : check(records) {}
    void report(std::uint16_t, const abi::IntentReport&) override {}
    void journal(engine::RecordType type, std::span<const std::byte> payload) override { check.record(type, payload); }
    void equity(std::span<const engine::EquityPoint> fund_then_agents) override { equity_rows.record(fund_then_agents); }

    engine::ReplayOutputCheck check;
    runtime::EquityRecorder equity_rows;
};

int fail(const std::string& message, int status = 2) {
    std::fprintf(stderr, "fund: replay: %s\n", message.c_str());
    return status;
}

}  // namespace

std::vector<marketdata::InstrumentRecord> live_instrument_table(const engine::RunStartRecord& start) {
    std::vector<marketdata::InstrumentRecord> table;
    for (std::size_t i = 0; i < start.instrument_count && i < abi::MAX_INSTRUMENTS; ++i) {
        const engine::RunStartInstrument& row = start.instruments[i];
        marketdata::InstrumentRecord r{};
        r.instrument_id = row.md_id;
        std::memcpy(r.symbol, row.symbol, sizeof r.symbol);
        r.tick_size = row.tick_size;
        r.lot_size = row.lot_size;
        table.push_back(r);
    }
    return table;
}

int replay_run(const ReplayOptions& options) {
    const fs::path run_dir(options.run_dir);
    const fs::path out_dir = options.out_dir.empty() ? run_dir / "replay" : fs::path(options.out_dir);
    const std::string journal_path = (run_dir / "journal.fj").string();
    runtime::LoadResult loaded = runtime::load_config((run_dir / "config.json").string());
    if (!loaded.ok()) {
        return fail(loaded.error);
    }
    const engine::FundConfig& config = loaded.config;
    runtime::JournalReader reader;
    if (const runtime::Status status = reader.open(journal_path); !status.ok()) {
        return fail(status.message());
    }
    std::vector<engine::JournalEntry> records;
    runtime::JournalRecord record;
    while (reader.next(record)) {
        records.push_back({record.type, record.payload});
    }
    if (!reader.status().ok()) {
        return fail(reader.status().message());
    }
    engine::RunStartRecord start{};
    if (records.empty() || records.front().type != engine::RecordType::kRunStart ||
        records.front().payload.size() != sizeof start) {
        return fail(journal_path + ": does not begin with a run_start record");
    }
    std::memcpy(static_cast<void*>(&start), records.front().payload.data(), sizeof start);
    // kRunEnd is the last record, but for the venue's answers that came after it (production).
    const auto run_end = std::find_if(records.rbegin(), records.rend(), [](const engine::JournalEntry& e) {
        return e.type == engine::RecordType::kRunEnd;
    });
    if (run_end == records.rend()) {
        return fail(journal_path + ": the run did not finish (no run_end record); `fund run --resume` finishes a "
                                   "simulation or a production run, a paper run's journal ends where it was killed");
    }
    engine::RunEndRecord end{};
    if (run_end->payload.size() == sizeof end) {
        std::memcpy(static_cast<void*>(&end), run_end->payload.data(), sizeof end);
    }

    // Simulation: the events are re-read from the .fmd files the configuration names (their
    // hashes are checked); live: they are in the journal.
    const bool live = config.mode != abi::Mode::SIMULATION;
    MarketFeed feed;
    std::vector<marketdata::InstrumentRecord> table;
    if (live) {
        table = live_instrument_table(start);
    } else {
        if (marketdata::Status status = feed.open(config.simulation.data_files); !status.ok()) {
            return fail(status.message());
        }
        table = feed.instruments();
        feed.start();
    }
    std::error_code ec;
    fs::create_directories(out_dir, ec);
    if (ec) {
        return fail("cannot create " + out_dir.string() + ": " + ec.message(), 1);
    }
    ReplaySink sink(records);
    (void)sink.equity_rows.open(out_dir.string(), config);
    std::optional<engine::Engine> engine;
    engine.emplace(config, std::span<const marketdata::InstrumentRecord>(table), sink);  // as FundRun builds it
    engine::ReplayPosition at;
    NoMarketEvents none;
    std::optional<FeedEvents> from_files;
    if (!live) {
        from_files.emplace(feed);
    }
    engine::MarketEvents& market = live ? static_cast<engine::MarketEvents&>(none) : *from_files;
    std::string error = sink.check.ok() ? engine::replay_journal(*engine, records, market, at) : "";
    if (error.empty() && !sink.check.ok()) {
        error = sink.check.error();
    }
    if (error.empty() && sink.check.matched() != records.size()) {
        error = "the replay wrote " + std::to_string(sink.check.matched()) + " records, the journal has " +
                std::to_string(records.size());
    }
    feed.stop();
    if (!error.empty()) {
        return fail(journal_path + ": " + error);
    }
    runtime::RunFacts facts;
    facts.steps = at.steps;
    facts.events = at.events;
    facts.first_time = at.first_event_time;
    facts.last_time = at.last_event_time;
    facts.stopped_by = std::string(end.why, strnlen(end.why, sizeof end.why));
    runtime::Status written = sink.equity_rows.finish();
    if (written.ok()) {
        written = runtime::write_run_outputs(out_dir.string(), config, facts, *engine, sink.equity_rows.summary());
    }
    if (written.ok() && config.mode == abi::Mode::PRODUCTION) {
        written = add_venue_summary(out_dir.string(), *engine);
    }
    if (!written.ok()) {
        return fail(written.message(), 1);
    }
    const nlohmann::json done = {{"event", "replayed"},
                                 {"run_dir", run_dir.string()},
                                 {"out", out_dir.string()},
                                 {"records", records.size()},
                                 {"steps", at.steps},
                                 {"events", at.events}};
    std::printf("%s\n", done.dump().c_str());
    return 0;
}

}  // namespace fundos::process
