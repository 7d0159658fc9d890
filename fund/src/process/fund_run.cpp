#include "fundos/process/fund_run.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fundos/engine/engine.hpp"
#include "fundos/engine/journal_records.hpp"
#include "fundos/engine/journal_replay.hpp"
#include "fundos/marketdata/civil_time.hpp"
#include "fundos/process/config_reloader.hpp"
#include "fundos/process/control_server.hpp"
#include "fundos/process/live_feed.hpp"
#include "fundos/process/market_feed.hpp"
#include "fundos/process/replay_run.hpp"
#include "fundos/process/start_reconciliation.hpp"
#include "fundos/process/venue_link.hpp"
#include "fundos/process/venue_summary.hpp"
#include "fundos/runtime/config_json.hpp"
#include "fundos/runtime/config_reload.hpp"
#include "fundos/runtime/config_source.hpp"
#include "fundos/runtime/enum_text.hpp"
#include "fundos/runtime/equity_recorder.hpp"
#include "fundos/runtime/journal.hpp"
#include "fundos/runtime/run_report.hpp"
#include "fundos/transport/transport.hpp"

namespace fundos::process {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

/// Journal bytes buffered before a commit (whole steps; FundRun::run_step).
constexpr std::size_t kJournalBatchBytes = 64 * 1024;

volatile sig_atomic_t g_stop_signal = 0;
extern "C" void on_stop_signal(int sig) { g_stop_signal = sig; }

void install_signal_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGINT, &sa, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    (void)ConfigReloader::install_signal_handler();  // SIGHUP: re-read the configuration
}

/// One JSON line on stdout for `fundos run`.
void emit(const json& event) {
    static std::mutex lines;  // the configuration reloader's thread emits too
    const std::lock_guard<std::mutex> lock(lines);
    const std::string line = event.dump() + "\n";
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
}

/// Is the step over after `event`, given the one that follows (nullptr: end of data)?
class DecisionClock {
public:
    explicit DecisionClock(const engine::DecisionPolicy& policy) : policy_(policy) {}

    bool boundary(const marketdata::EventRecord& event, const marketdata::EventRecord* next) noexcept {
        ++events_in_step_;
        if (next == nullptr) {
            return true;
        }
        switch (policy_.kind) {
            case engine::DecisionPolicy::Kind::kEveryBar:
                return event.kind == marketdata::EventKind::BAR &&
                       (next->time != event.time || next->kind != marketdata::EventKind::BAR);
            case engine::DecisionPolicy::Kind::kEveryEvents:
                return events_in_step_ >= policy_.events;
            case engine::DecisionPolicy::Kind::kEveryInterval:
                return next->time / policy_.interval_ns != event.time / policy_.interval_ns;
        }
        return true;
    }
    void reset() noexcept { events_in_step_ = 0; }

private:
    engine::DecisionPolicy policy_;
    std::uint64_t events_in_step_ = 0;
};

/// Whether the transport had used up the intent id of a record it refused (intent_validator.hpp:
/// the id is consumed once check 3 passes), so a resumed run's agent must start above it.
bool refusal_consumed_id(const engine::RefusalRecord& r) noexcept {
    switch (static_cast<engine::Refusal::Source>(r.source)) {
        case engine::Refusal::Source::kVoidAnswer:
        case engine::Refusal::Source::kOverflow: return true;
        case engine::Refusal::Source::kQuarantine: return false;
        case engine::Refusal::Source::kTransport: break;
    }
    switch (static_cast<abi::RejectReason>(r.reason)) {
        case abi::RejectReason::CORRUPT_SLOT:
        case abi::RejectReason::BAD_AGENT_ID:
        case abi::RejectReason::UNKNOWN_ENUM:
        case abi::RejectReason::INTENT_ID_NOT_INCREASING: return false;
        default: return true;
    }
}

/// Intents held per agent until its step boundary (reserved once: no allocation while running).
/// More in one answer are refused RATE_LIMIT (Refusal::Source::kOverflow) as they come.
constexpr std::size_t kMaxPending = abi::INTENT_RING_SLOTS * 4;

/// What happened to one agent during the step's wait for answers.
struct AnswerState {
    bool expected = false;  ///< attached and readable when the snapshot was published
    bool answered = false;  ///< END_OF_ANSWER for this step's snapshot seen
    const char* silent_why = nullptr;
    std::vector<abi::IntentRecord> pending;  ///< accepted by the transport, waiting for the answer's end
};

class FundRun final : public engine::Sink, public transport::TransportEvents {
public:
    explicit FundRun(RunOptions options) : options_(std::move(options)) {}
    int run();

    // engine::Sink
    void report(std::uint16_t slot, const abi::IntentReport& report) override {
        if (replay_check_ == nullptr) {  // a replay's reports went out before the crash
            (void)transport_.write_report(slot, report);
        }
    }
    void journal(engine::RecordType type, std::span<const std::byte> payload) override {
        if (replay_check_ != nullptr) {
            replay_check_->record(type, payload);  // already in the journal: must come out the same
            return;
        }
        journal_.append(type, payload);
    }
    void venue(const venue::VenueCommand& command) override {
        // Write-ahead: held until the step that made it is committed (run_step). A replay's
        // commands were sent before the crash, or never: reconciliation tells which.
        if (replay_check_ == nullptr && venue_) {
            venue_->hold(command);
        }
    }
    void equity(std::span<const engine::EquityPoint> fund_then_agents) override {
        // Replayed steps too (resume): the recorder starts empty in every process, so a resumed
        // run's equity.csv and report.json cover the whole run, as an uninterrupted one's.
        if (!equity_.opened()) {
            // Opened at the first step (or by finish()): a run refused before it leaves no file.
            (void)equity_.open(run_dir_.string(), config_);
        }
        equity_.record(fund_then_agents);
        check_equity();
    }
    void check_equity() {
        if (!equity_.status().ok() && !equity_failed_) {
            equity_failed_ = true;
            std::fprintf(stderr, "fund: %s\n", equity_.status().message().c_str());
            g_stop_signal = SIGTERM;  // equity.csv cannot be written: stop at once, cleanly
        }
    }

    // transport::TransportEvents
    void on_attached(const transport::AgentView& agent, std::uint16_t minor) override {
        emit({{"event", "agent"}, {"agent_id", agent.agent_id}, {"what", "attached"},
              {"detail", "generation " + std::to_string(agent.generation) + ", ABI 1." + std::to_string(minor)}});
    }
    void on_refused(const transport::AttachDecision& decision, const abi::AttachRequest* request,
                    const transport::PeerCredentials& peer) override {
        (void)peer;
        emit({{"event", "agent"}, {"agent_id", request != nullptr ? request->agent_id : 0}, {"what", "refused"},
              {"detail", decision.message}});
    }
    void on_quarantined(const transport::AgentView& agent, abi::RejectReason reason,
                        const transport::RingFault& fault) override {
        emit({{"event", "agent"}, {"agent_id", agent.agent_id}, {"what", "quarantined"},
              {"detail", "reason " + std::to_string(static_cast<int>(reason)) + " at ring position " +
                             std::to_string(fault.position)}});
    }
    void on_late(const transport::AgentView& agent, std::uint64_t silent_ns) override {
        emit({{"event", "agent"}, {"agent_id", agent.agent_id}, {"what", "late"},
              {"detail", "no heartbeat for " + std::to_string(silent_ns / 1000000) + " ms"}});
    }
    void on_dead(const transport::AgentView& agent) override {
        emit({{"event", "agent"}, {"agent_id", agent.agent_id}, {"what", "dead"}, {"detail", "socket hung up"}});
    }

private:
    int start();
    int check_run_dir(const fs::path& journal_path);
    int resume(const fs::path& journal_path);
    std::string replay(std::span<const engine::JournalEntry> records, std::size_t committed,
                       engine::ReplayPosition& at);
    void note_refused_ids(std::span<const engine::JournalEntry> records);
    int load_started_config();
    void note_config_changes(std::span<const engine::JournalEntry> records);
    int catch_up_config(const engine::FundConfig& source);
    bool wait_for_agents();
    int start_live();
    int begin_new_run();
    int start_venue();
    int start_serving();
    [[nodiscard]] std::span<const marketdata::InstrumentRecord> instrument_table() const noexcept {
        return live_mode_ ? std::span<const marketdata::InstrumentRecord>(live_table_)
                          : std::span<const marketdata::InstrumentRecord>(feed_.instruments());
    }
    int run_live();
    bool pump_live();
    bool take_intents();
    void take_venue_events();
    void commit_and_send();
    void settle_venue();
    void run_step(abi::Timestamp clock);
    void publish_snapshot(abi::Timestamp clock);
    void hand_over_answers();
    void collect_answers();
    bool drain_ring(std::uint16_t slot, transport::IntentOutcome& outcome);
    void hold(std::uint16_t slot, const abi::IntentRecord& record);
    void catch_up_outputs();
    void poll_io_at_1khz(std::uint64_t now);
    void poll_control();
    bool apply_config_changes(std::uint64_t steps_done);
    void start_reloader();
    json config_status() const;
    json status_json();
    json handle_control(const json& request);
    int finish(const char* why);

    RunOptions options_;
    engine::FundConfig config_;
    fs::path run_dir_;
    MarketFeed feed_;
    // Paper and production (docs/FUND.md, "The live loop"): the feed's ingestion thread, the
    // engine's instrument table built from its definitions, and what reached the sequencer since
    // the last step.
    bool live_mode_ = false;
    LiveFeed live_;
    std::vector<marketdata::InstrumentRecord> live_table_;  ///< config order: what kRunStart records
    std::vector<std::pair<std::uint32_t, bool>> feed_changes_;  ///< (config id, tripped), for the next boundary
    std::uint64_t last_received_ns_ = 0;  ///< receive time of the last event applied (latency only)
    // Production: the venue (write-ahead, refusals, FIX session) and, on --resume, what the
    // journal's venue records say beyond the engine's view (start-up reconciliation).
    std::optional<VenueLink> venue_;
    JournalVenueFacts venue_facts_;
    bool market_moved_ = false;   ///< events applied since the last step
    bool session_ended_ = false;  ///< the feed's session ended
    std::optional<engine::Engine> engine_;
    runtime::JournalWriter journal_;
    runtime::EquityRecorder equity_;  ///< equity.csv and the report's equity figures, step by step
    bool equity_failed_ = false;      ///< its failure was reported
    transport::FundTransport transport_;
    ControlServer control_;
    std::array<AnswerState, abi::MAX_AGENTS> answers_{};
    abi::AgentBook book_scratch_{};

    struct KillSwitchRequest {
        engine::Scope scope;
        std::uint32_t id;
        bool on;
    };
    std::vector<KillSwitchRequest> kill_switches_;  ///< applied at the next step boundary

    // Changes while running (docs/CONFIG.md): re-read off the sequencer, applied at a boundary.
    ConfigReloader reloader_;
    std::vector<ConfigReloader::Outcome> config_outcomes_;  ///< apply_config_changes' scratch
    std::uint64_t config_hash_ = 0;    ///< the running configuration's (report.json's config_hash)
    std::uint64_t reloads_done_ = 0;   ///< every re-read request up to this one is answered
    json last_reload_;                 ///< the last answer, for status
    /// Per slot, every instrument row the agent was ever mapped to in this run: the transport
    /// lets it name those (the engine then allows only reducing what it holds in an unmapped one).
    std::array<std::uint64_t, abi::MAX_AGENTS> ever_mapped_{};

    std::uint64_t steps_ = 0;
    std::uint64_t events_ = 0;
    abi::Timestamp clock_ = 0;              ///< the step clock: the latest event time applied
    abi::Timestamp last_event_time_ = 0;    ///< time of the last event applied (report.json's last_time)
    abi::Timestamp first_time_ = 0;
    abi::Sequence seq_ = 0;
    std::uint64_t last_io_ns_ = 0;  ///< poll_io_at_1khz: the last poll (monotonic wall clock)
    unsigned steps_since_clock_read_ = 0;  ///< collect_answers: steps since it last read the clock
    engine::ReplayOutputCheck* replay_check_ = nullptr;  ///< set while resume() replays the journal
    /// resume(): per slot, the highest intent id the transport refused after consuming it (the
    /// engine knows only the ids it processed).
    std::array<std::uint64_t, abi::MAX_AGENTS> refused_ids_{};
};

int FundRun::start() {
    runtime::LoadResult loaded = runtime::load_config_source(options_.config_path);  // file or database
    if (!loaded.ok()) {
        std::fprintf(stderr, "fund: %s\n", loaded.error.c_str());
        return 2;
    }
    config_ = std::move(loaded.config);
    run_dir_ = options_.run_dir.empty() ? fs::path("runs") / config_.name : fs::path(options_.run_dir);
    const fs::path journal_path = run_dir_ / "journal.fj";
    if (const int rc = check_run_dir(journal_path); rc != 0) {
        return rc;
    }
    live_mode_ = config_.mode != abi::Mode::SIMULATION;
    if (live_mode_) {
        return start_live();
    }
    // The configuration and the data are checked before the run folder exists: a refused
    // configuration leaves nothing behind (exit 2).
    if (marketdata::Status status = feed_.open(config_.simulation.data_files); !status.ok()) {
        std::fprintf(stderr, "fund: %s\n", status.message().c_str());
        return 2;
    }
    // Every configured symbol must be in the market data; the engine maps them by symbol.
    for (std::size_t row = 0; row < config_.instruments.size(); ++row) {
        const engine::InstrumentConfig& instrument = config_.instruments[row];
        const auto& table = feed_.instruments();
        const bool found = std::any_of(table.begin(), table.end(), [&](const marketdata::InstrumentRecord& r) {
            return std::string_view(r.symbol, strnlen(r.symbol, sizeof(r.symbol))) == instrument.symbol;
        });
        if (!found) {
            std::fprintf(stderr, "fund: %s: instruments[%zu].symbol: %s is in none of the market-data files\n",
                         config_.source.c_str(), row, instrument.symbol.c_str());
            return 2;
        }
    }
    std::error_code ec;
    fs::create_directories(run_dir_, ec);
    if (ec) {
        std::fprintf(stderr, "fund: cannot create the run folder %s: %s\n", run_dir_.c_str(), ec.message().c_str());
        return 1;
    }
    run_dir_ = fs::absolute(run_dir_);

    feed_.start();  // a resume replays the first events of the stream before the run goes on
    if (options_.resume) {
        if (const int rc = resume(run_dir_ / "journal.fj"); rc != 0) {
            return rc;
        }
    } else {
        if (const int rc = begin_new_run(); rc != 0) {
            return rc;
        }
    }
    return start_serving();
}

/// A run that is not resumed: its journal, its engine, and the configuration it starts with
/// (RUN/config.json: --resume rebuilds the engine from it and replays the journaled changes; the
/// source may since hold changed values).
int FundRun::begin_new_run() {
    if (const runtime::Status status = journal_.create((run_dir_ / "journal.fj").string()); !status.ok()) {
        std::fprintf(stderr, "fund: %s\n", status.message().c_str());
        return 1;
    }
    engine_.emplace(config_, instrument_table(), *this);
    const std::string started = (run_dir_ / "config.json").string();
    if (const runtime::Status status = runtime::write_file_atomic(started, runtime::config_to_json(config_));
        !status.ok()) {
        std::fprintf(stderr, "fund: %s\n", status.message().c_str());
        return 1;
    }
    return 0;
}

/// Paper and production start-up: the feed's socket is opened before the run folder exists (a
/// bad address is exit 2 and leaves nothing), then the Fund waits for the feed to define every
/// configured symbol (simulation.start_timeout_ms) and builds the engine's instrument table from
/// those definitions, in configuration order, with the configuration's tick and lot where it sets
/// them: so kRunStart's rows are the whole table, and `fund replay` rebuilds it from them.
/// Production then logs on to the venue and reconciles (start_venue) before the journal exists:
/// a refused start leaves no journal. A production --resume rebuilds the engine from the journal
/// (its table from kRunStart) and reconciles that with the venue.
int FundRun::start_live() {
    const bool production = config_.mode == abi::Mode::PRODUCTION;
    if (options_.resume && !production) {
        std::fprintf(stderr, "fund: %s: --resume: a paper run is not resumed live (its simulated fills would "
                             "differ from what the market did meanwhile); `fund replay --run-dir DIR` rebuilds its "
                             "outputs from the journal\n",
                     config_.source.c_str());
        return 2;
    }
    if (marketdata::Status status = live_.open(config_.market_data); !status.ok()) {
        std::fprintf(stderr, "fund: %s: market_data: %s\n", config_.source.c_str(), status.message().c_str());
        return 2;
    }
    std::error_code ec;
    fs::create_directories(run_dir_, ec);
    if (ec) {
        std::fprintf(stderr, "fund: cannot create the run folder %s: %s\n", run_dir_.c_str(), ec.message().c_str());
        return 1;
    }
    run_dir_ = fs::absolute(run_dir_);
    live_.start();
    if (options_.resume) {
        if (const int rc = resume(run_dir_ / "journal.fj"); rc != 0) {
            return rc;
        }
        if (const int rc = start_venue(); rc != 0) {
            return rc;
        }
        return start_serving();
    }
    const std::uint64_t deadline = transport::monotonic_ns() + config_.simulation.start_timeout_ms * 1000000ULL;
    for (;;) {
        const std::vector<marketdata::InstrumentRecord> defined = live_.instruments();
        live_table_.clear();
        std::string missing;
        for (const engine::InstrumentConfig& instrument : config_.instruments) {
            const auto found = std::find_if(defined.begin(), defined.end(), [&](const marketdata::InstrumentRecord& r) {
                return std::string_view(r.symbol, strnlen(r.symbol, sizeof(r.symbol))) == instrument.symbol;
            });
            if (found == defined.end()) {
                missing += (missing.empty() ? "" : ", ") + instrument.symbol;
                continue;
            }
            marketdata::InstrumentRecord row{};
            row.instrument_id = found->instrument_id;
            std::memcpy(row.symbol, found->symbol, sizeof row.symbol);
            row.tick_size = instrument.tick_size != 0 ? instrument.tick_size : found->tick_size;
            row.lot_size = instrument.lot_size != 0 ? instrument.lot_size : found->lot_size;
            live_table_.push_back(row);
        }
        if (missing.empty()) {
            break;
        }
        if (g_stop_signal != 0 || transport::monotonic_ns() > deadline) {
            std::fprintf(stderr, "fund: %s: %s: the feed at %s:%u has not defined %s (simulation.start_timeout_ms: %llu ms)\n",
                         config_.source.c_str(), g_stop_signal != 0 ? "stopped" : "start_timeout passed",
                         config_.market_data.address.c_str(), config_.market_data.port, missing.c_str(),
                         static_cast<unsigned long long>(config_.simulation.start_timeout_ms));
            return 1;
        }
        const struct timespec pause {0, 10'000'000};
        ::nanosleep(&pause, nullptr);
    }
    if (production) {
        if (const int rc = start_venue(); rc != 0) {
            return rc;
        }
    }
    if (const int rc = begin_new_run(); rc != 0) {
        return rc;
    }
    return start_serving();
}

/// Production: log on to the venue (simulation.start_timeout_ms bounds the logon and the venue's
/// answer), ask it what it holds, and compare that with what the journal holds (a fresh start: nothing
/// working, flat; --resume: the replayed engine). RUN/reconciliation.json says what was found. The
/// explained differences are applied as venue events (journaled, committed) before the first
/// step; one it cannot explain refuses the run (exit 1) before anything is sent.
int FundRun::start_venue() {
    const std::uint64_t timeout_ms = config_.simulation.start_timeout_ms;
    venue_.emplace();
    if (const std::string error = venue_->open(config_, run_dir_, options_.resume, timeout_ms); !error.empty()) {
        std::fprintf(stderr, "fund: %s: execution.venue: %s\n", config_.source.c_str(), error.c_str());
        return 1;
    }
    const bool resumed = engine_.has_value();
    const venue::FundView fund =
        resumed ? fund_view(engine_->venue_view(), venue_facts_, config_) : flat_fund_view(config_);
    std::vector<std::uint64_t> ask_about;
    for (const venue::FundParent& parent : fund.parents) {
        ask_about.push_back(parent.parent_id);
    }
    venue::VenueSnapshot held;
    std::string error;
    if (!venue_->fix().snapshot(ask_about, held, timeout_ms, error)) {
        std::fprintf(stderr, "fund: reconciliation with the venue at %s: %s; refusing to trade\n",
                     venue_->address().c_str(), error.c_str());
        return 1;
    }
    const venue::Reconciliation result = venue::reconcile(fund, held);
    const fs::path written = run_dir_ / "reconciliation.json";
    const json document = reconciliation_json(resumed ? "resume" : "start", venue_->run_token(), fund, held, result);
    if (const runtime::Status status = runtime::write_file_atomic(written.string(), document.dump(2) + "\n");
        !status.ok()) {
        std::fprintf(stderr, "fund: %s\n", status.message().c_str());
        return 1;
    }
    for (const std::string& line : result.explained) {
        std::fprintf(stderr, "fund: reconciliation: %s\n", line.c_str());
    }
    if (!result.ok()) {
        std::fprintf(stderr, "fund: reconciliation with the venue at %s: %zu difference(s) the journal cannot "
                             "explain; refusing to trade (both views in %s):\n",
                     venue_->address().c_str(), result.mismatches.size(), written.c_str());
        for (const std::string& line : result.mismatches) {
            std::fprintf(stderr, "  - %s\n", line.c_str());
        }
        venue_->close();
        return 1;
    }
    std::fprintf(stderr, "fund: reconciliation with the venue at %s: %s (%zu working order(s), %zu recovered "
                         "event(s))\n",
                 venue_->address().c_str(), result.recovered.empty() ? "in agreement" : "explained",
                 fund.parents.size(), result.recovered.size());
    for (const venue::VenueEvent& event : result.recovered) {
        engine_->venue_event(event);  // before the first step: journaled, then committed at once
    }
    if (!result.recovered.empty()) {
        if (const runtime::Status status = journal_.commit(); !status.ok()) {
            std::fprintf(stderr, "fund: journal: %s\n", status.message().c_str());
            return 1;
        }
    }
    return 0;
}

/// Both kinds of run, once the engine exists: the transport, the control socket, the reloader,
/// and the "ready" event.
int FundRun::start_serving() {
    for (AnswerState& answer : answers_) {
        answer.pending.reserve(kMaxPending + 1);  // and the answer's END_OF_ANSWER
    }
    config_hash_ = runtime::config_hash(config_);
    for (std::size_t slot = 0; slot < config_.agents.size() && slot < ever_mapped_.size(); ++slot) {
        for (const std::uint32_t id : config_.agents[slot].instruments) {
            for (std::size_t row = 0; row < config_.instruments.size(); ++row) {
                if (config_.instruments[row].id == id) {
                    ever_mapped_[slot] |= 1ULL << row;
                }
            }
        }
    }

    transport::TransportConfig tc;
    tc.run_dir = run_dir_.string();
    // Lock-step: an answer is for the snapshot of its step only. Live: intents are taken as they
    // arrive, and one answering a slightly older snapshot still counts.
    tc.max_snapshot_lag = live_mode_ ? config_.market_data.max_snapshot_lag : 0;
    tc.defer_accept_reports = true;
    // A futex wake per snapshot costs a system call; only agents that may sleep need it (busy
    // ones poll, and a spin agent's back-off ends in a futex wait).
    tc.futex_wake = std::any_of(config_.agents.begin(), config_.agents.end(),
                                [](const engine::AgentConfig& a) { return a.wake != engine::WakeMode::kBusy; });
    tc.first_snapshot_seq = seq_ + 1;  // a resumed run continues the numbering agents and the journal know
    for (const engine::AgentConfig& agent : config_.agents) {
        transport::AgentConfig ac;
        ac.agent_id = agent.id;
        ac.allowed_uids = agent.allowed_uids.empty() ? std::vector<std::uint32_t>{::getuid()} : agent.allowed_uids;
        ac.allowed_gids = agent.allowed_gids;
        ac.mapped_instruments = 0;
        for (const std::uint32_t id : agent.instruments) {
            for (std::size_t row = 0; row < config_.instruments.size(); ++row) {
                if (config_.instruments[row].id == id) {
                    ac.mapped_instruments |= 1ULL << row;
                }
            }
        }
        tc.agents.push_back(std::move(ac));
        tc.lease_ns = std::max<abi::Duration>(tc.lease_ns, agent.lease_ns);
    }
    for (std::size_t slot = 0; slot < tc.agents.size() && slot < ever_mapped_.size(); ++slot) {
        tc.agents[slot].mapped_instruments |= ever_mapped_[slot];  // a resumed run: what it lost too
    }
    if (const int rc = transport_.start(std::move(tc), this); rc != 0) {
        std::fprintf(stderr, "fund: cannot listen in %s: %s\n", run_dir_.c_str(), std::strerror(-rc));
        return 1;
    }
    if (const int rc = control_.listen((run_dir_ / "control.sock").string()); rc != 0) {
        std::fprintf(stderr, "fund: cannot listen on %s: %s\n", (run_dir_ / "control.sock").c_str(),
                     std::strerror(-rc));
        return 1;
    }
    start_reloader();
    transport_.state().mode = config_.mode;
    for (std::size_t slot = 0; options_.resume && slot < config_.agents.size(); ++slot) {
        // A restarted agent finds its positions and last intent id in the book it maps at attach.
        const auto s = static_cast<std::uint16_t>(slot);
        book_scratch_ = abi::AgentBook{};
        engine_->fill_book(s, book_scratch_);
        book_scratch_.account.last_intent_id = std::max(book_scratch_.account.last_intent_id, refused_ids_[slot]);
        transport_.set_book(s, book_scratch_);
    }

    json agents = json::array();
    for (const engine::AgentConfig& agent : config_.agents) {
        const char* wake = agent.wake == engine::WakeMode::kBusy    ? "busy"
                           : agent.wake == engine::WakeMode::kFutex ? "futex"
                                                                     : "spin";
        json symbols = json::array();  // the agent's mapped instruments (it reads them itself: FUNDOS_CONFIG)
        for (const std::uint32_t id : agent.instruments) {
            for (const engine::InstrumentConfig& instrument : config_.instruments) {
                if (instrument.id == id) {
                    symbols.push_back(instrument.symbol);
                }
            }
        }
        // Everything the launcher needs comes from here, whatever source held the configuration.
        agents.push_back({{"id", agent.id}, {"name", agent.name}, {"command", agent.command},
                          {"working_dir", agent.working_dir}, {"wake", wake}, {"instruments", symbols},
                          {"restart", agent.restart == engine::RestartPolicy::kOnFailure ? "on_failure" : "no"},
                          {"max_restarts", agent.max_restarts}});
    }
    // "fund": the Fund's name, the first half of each agent's service id FUND/AGENT (FUNDOS_SERVICE).
    json ready = {{"event", "ready"}, {"fund", config_.name}, {"run_dir", run_dir_.string()},
                  {"socket", transport_.socket_path()}, {"control", control_.path()},
                  {"total_events", feed_.total_events()}, {"agents", agents}};
    if (options_.resume) {
        char hash[24];
        std::snprintf(hash, sizeof hash, "0x%016llx", static_cast<unsigned long long>(engine_->state_hash()));
        ready["resumed"] = {{"step", steps_}, {"seq", seq_}, {"events", events_}, {"state_hash", hash}};
    }
    emit(ready);
    return 0;
}

int FundRun::check_run_dir(const fs::path& journal_path) {
    std::error_code ec;
    const bool exists = fs::exists(journal_path, ec);
    if (!options_.resume && exists) {
        std::fprintf(stderr, "fund: %s already holds a journal; use --resume or another --run-dir\n",
                     run_dir_.c_str());
        return 2;
    }
    if (options_.resume && !exists) {
        std::fprintf(stderr, "fund: --resume: %s: no journal to resume from\n", journal_path.c_str());
        return 2;
    }
    return 0;
}

/// Recovery (issue #5; journal_records.hpp): cut a torn tail and any step not committed whole,
/// replay the journal's inputs into a fresh engine (which must write the journal's records again,
/// byte for byte), and go on appending after the last committed step. Agents reattach afresh.
int FundRun::resume(const fs::path& journal_path) {
    const std::string path = journal_path.string();
    runtime::JournalTail tail;
    if (const runtime::Status status = runtime::truncate_torn_tail(path, &tail); !status.ok()) {
        std::fprintf(stderr, "fund: --resume: %s\n", status.message().c_str());
        return 2;
    }
    runtime::JournalReader reader;
    if (const runtime::Status status = reader.open(path); !status.ok()) {
        std::fprintf(stderr, "fund: --resume: %s\n", status.message().c_str());
        return 2;
    }
    std::vector<engine::JournalEntry> records;
    std::size_t committed = 0;                            // records up to the last kStepEnd
    std::uint64_t committed_bytes = runtime::kJournalHeaderSize;
    runtime::JournalRecord record;
    bool in_change = false;  // a configuration change's records, right after the committed ones
    while (reader.next(record)) {
        records.push_back({record.type, record.payload});
        // A configuration change is committed at once with the step before it (or before the
        // first step): it and the cancels it caused belong to the committed records.
        const bool at_boundary = records.size() - 1 == std::max<std::size_t>(committed, 1);
        if (record.type == engine::RecordType::kStepEnd ||
            (record.type == engine::RecordType::kConfigChange && at_boundary) ||
            (record.type == engine::RecordType::kCancel && in_change && at_boundary)) {
            in_change = record.type != engine::RecordType::kStepEnd;
            committed = records.size();
            committed_bytes = reader.valid_bytes();
        } else {
            in_change = false;
        }
    }
    if (!reader.status().ok()) {
        std::fprintf(stderr, "fund: --resume: %s\n", reader.status().message().c_str());
        return 2;
    }
    if (!records.empty() && records.front().type != engine::RecordType::kRunStart) {
        std::fprintf(stderr, "fund: --resume: %s: does not begin with a run_start record\n", path.c_str());
        return 2;
    }
    if (live_mode_) {
        // The feed's instrument ids may have changed since; the engine's table is the journal's.
        engine::RunStartRecord start{};
        if (records.empty() || records.front().payload.size() != sizeof start) {
            std::fprintf(stderr, "fund: --resume: %s: no run_start record to take the instruments from\n", path.c_str());
            return 2;
        }
        std::memcpy(static_cast<void*>(&start), records.front().payload.data(), sizeof start);
        live_table_ = live_instrument_table(start);
    }

    // The engine starts from the configuration the run started with (DIR/config.json), then
    // the journal's changes replay onto it; what the source holds beyond them is applied anew.
    const engine::FundConfig source = config_;
    if (const int rc = load_started_config(); rc != 0) {
        return rc;
    }
    engine::ReplayPosition at;
    // A Fund killed before its first commit leaves only the journal's header: nothing to replay
    // or check; the run starts over (below, as for a journal with no committed step).
    const std::string error = records.empty() ? std::string() : replay(records, committed, at);
    note_refused_ids(std::span(records).first(committed));
    note_config_changes(std::span(records).first(committed));
    if (config_.mode == abi::Mode::PRODUCTION) {
        venue_facts_ = collect_venue_facts(std::span(records).first(committed));
    }
    reader.close();  // the records' payloads are gone from here on
    if (!error.empty()) {
        std::fprintf(stderr, "fund: --resume: %s: %s\n", path.c_str(), error.c_str());
        return 2;
    }
    if (const int rc = catch_up_config(source); rc != 0) {
        return rc;
    }
    if (committed == 0) {
        engine_.reset();  // nothing was committed: start over, kRunStart included
    }
    if (const runtime::Status status = runtime::truncate_journal(path, committed_bytes); !status.ok()) {
        std::fprintf(stderr, "fund: --resume: %s\n", status.message().c_str());
        return 1;
    }
    runtime::JournalOptions append;
    append.append = true;
    if (const runtime::Status status = journal_.create(path, append); !status.ok()) {
        std::fprintf(stderr, "fund: --resume: %s\n", status.message().c_str());
        return 1;
    }
    if (committed == 0) {
        engine_.emplace(config_, instrument_table(), *this);
    }
    steps_ = at.steps;
    seq_ = at.seq;
    events_ = at.events;
    first_time_ = at.first_event_time;
    clock_ = at.last_event_time;
    last_event_time_ = at.last_event_time;
    std::fprintf(stderr, "fund: resuming %s after step %llu (%llu market events replayed)", path.c_str(),
                 static_cast<unsigned long long>(steps_), static_cast<unsigned long long>(events_));
    if (tail.torn_bytes != 0 || committed != records.size()) {
        std::fprintf(stderr, "; dropped %llu torn bytes and %zu records of an unfinished step",
                     static_cast<unsigned long long>(tail.torn_bytes), records.size() - committed);
    }
    std::fprintf(stderr, "\n");
    return 0;
}

/// A fresh engine, its kRunStart checked against the journal's (the configuration and the market
/// data must be the journal's), then the first `committed` records replayed into it; every record
/// it writes meanwhile must be the journal's. Returns "" or what differs.
std::string FundRun::replay(std::span<const engine::JournalEntry> records, std::size_t committed,
                            engine::ReplayPosition& at) {
    engine::ReplayOutputCheck check(records);
    replay_check_ = &check;
    engine_.emplace(config_, instrument_table(), *this);
    FeedEvents from_files(feed_);
    NoMarketEvents none;  // live: the events are in the journal (kMarketEvent)
    engine::MarketEvents& market = live_mode_ ? static_cast<engine::MarketEvents&>(none) : from_files;
    std::string error = check.ok() ? engine::replay_journal(*engine_, records.first(committed), market, at) : "";
    if (error.empty() && !check.ok()) {
        error = check.error();
    }
    if (error.empty() && committed != 0 && check.matched() != committed) {
        error = "the replay wrote " + std::to_string(check.matched()) + " records, the journal has " +
                std::to_string(committed);
    }
    if (error.empty() && !engine_->invariants_hold()) {  // also checked in release builds
        error = "the replayed state breaks the engine's invariants (agents' positions != the fund's)";
    }
    replay_check_ = nullptr;
    return error;
}

void FundRun::note_refused_ids(std::span<const engine::JournalEntry> records) {
    for (const engine::JournalEntry& entry : records) {
        engine::RefusalRecord r{};
        if (entry.type == engine::RecordType::kRefusal && entry.payload.size() == sizeof r) {
            std::memcpy(static_cast<void*>(&r), entry.payload.data(), sizeof r);
            if (r.slot < refused_ids_.size() && refusal_consumed_id(r)) {
                refused_ids_[r.slot] = std::max(refused_ids_[r.slot], r.intent.intent_id);
            }
        }
    }
}

/// --resume: the configuration the run started with is DIR/config.json (written by the run's
/// start); the source given must agree with it on everything that cannot change while running.
/// A run folder without one (an older Fund's) resumes from the source as it is.
int FundRun::load_started_config() {
    const fs::path started = run_dir_ / "config.json";
    std::error_code ec;
    if (!fs::exists(started, ec)) {
        return 0;
    }
    runtime::LoadResult first = runtime::load_config(started.string());
    if (!first.ok()) {
        std::fprintf(stderr, "fund: --resume: %s\n", first.error.c_str());
        return 2;
    }
    const runtime::ConfigDiff diff = runtime::diff_config(first.config, config_);
    if (!diff.ok()) {
        // As for a journal whose run_start names another configuration (replay), with the field.
        std::fprintf(stderr, "fund: --resume: %s: it was written with a different configuration (%s): %s: %s\n",
                     (run_dir_ / "journal.fj").c_str(), started.c_str(), config_.source.c_str(), diff.error.c_str());
        return 2;
    }
    first.config.source = config_.source;
    config_ = std::move(first.config);
    return 0;
}

/// The journal's configuration changes, replayed into the engine, applied to config_ too.
void FundRun::note_config_changes(std::span<const engine::JournalEntry> records) {
    for (const engine::JournalEntry& entry : records) {
        engine::ConfigChangeView view;
        if (entry.type != engine::RecordType::kConfigChange || !engine::read_config_change(entry.payload, view) ||
            view.change.status != engine::ConfigChangeStatus::kApplied) {
            continue;
        }
        runtime::apply_config_change(config_, view.change.entries);
        for (const engine::ConfigChangeEntry& e : view.change.entries) {
            if (static_cast<engine::ConfigField>(e.field) == engine::ConfigField::kInstruments &&
                e.index < ever_mapped_.size()) {
                ever_mapped_[e.index] |= static_cast<std::uint64_t>(e.old_value) | static_cast<std::uint64_t>(e.new_value);
            }
        }
    }
}

/// --resume: what the source holds beyond the journal's changes (changed while the Fund was down,
/// or before it applied a re-read) is one more change, applied at the first boundary (trigger
/// "resume") and journaled like any other.
int FundRun::catch_up_config(const engine::FundConfig& source) {
    runtime::ConfigDiff diff = runtime::diff_config(config_, source);
    if (!diff.ok()) {
        std::fprintf(stderr, "fund: --resume: %s: %s\n", source.source.c_str(), diff.error.c_str());
        return 2;
    }
    if (diff.empty()) {
        return 0;
    }
    ConfigReloader::Outcome outcome = ConfigReloader::applied(config_, std::move(diff), engine::ConfigTrigger::kResume);
    std::fprintf(stderr, "fund: --resume: %s holds %zu value(s) the journal has not applied; applying them at the "
                         "first step boundary\n", source.source.c_str(), outcome.change.entries.size());
    reloader_.queue(std::move(outcome));
    return 0;
}

bool FundRun::wait_for_agents() {
    const std::uint64_t deadline = transport::monotonic_ns() + config_.simulation.start_timeout_ms * 1000000ULL;
    for (;;) {
        if (apply_config_changes(steps_)) {  // before the first step: a boundary too
            (void)journal_.commit();
        }
        bool all = true;
        for (std::size_t slot = 0; slot < config_.agents.size(); ++slot) {
            all = all && transport_.attached(static_cast<std::uint16_t>(slot));
        }
        if (all) {
            return true;
        }
        if (g_stop_signal != 0 || transport::monotonic_ns() > deadline) {
            std::string missing;
            for (std::size_t slot = 0; slot < config_.agents.size(); ++slot) {
                if (!transport_.attached(static_cast<std::uint16_t>(slot))) {
                    missing += (missing.empty() ? "" : ", ") + config_.agents[slot].name + " (id " +
                               std::to_string(config_.agents[slot].id) + ")";
                }
            }
            std::fprintf(stderr, "fund: %s before every agent attached; missing: %s\n",
                         g_stop_signal != 0 ? "stopped" : "start_timeout passed", missing.c_str());
            return false;
        }
        if (live_mode_) {
            (void)pump_live();  // the market goes on meanwhile: its events reach the engine now
            (void)transport_.poll_io(1'000'000);
        } else {
            (void)transport_.poll_io(10'000'000);
        }
        poll_control();
    }
}

void FundRun::run_step(abi::Timestamp clock) {
    // Production: what the venue did since the last boundary (and the refusals of failed sends),
    // before anything else of this boundary: journaled by the engine as inputs.
    if (venue_) {
        take_venue_events();
    }
    // An operator's kill switch is committed with its step at once, never batched (see below).
    const bool operator_action = !kill_switches_.empty();
    for (const KillSwitchRequest& request : kill_switches_) {
        engine_->kill_switch(request.scope, request.id, request.on);
    }
    kill_switches_.clear();
    // Live: the feed's status changes since the last step, in the order they came, are inputs of
    // this boundary (journaled kFeedStatus), so the stale guard trips on the journal's time axis.
    for (const auto& [instrument_id, tripped] : feed_changes_) {
        engine_->feed_status(instrument_id, tripped);
    }
    feed_changes_.clear();

    engine_->begin_step(seq_ + 1, clock);
    if (!live_mode_) {
        // Lock-step: publish, then wait for every agent's answer to this very snapshot.
        for (std::size_t slot = 0; slot < config_.agents.size(); ++slot) {
            AnswerState& answer = answers_[slot];
            answer.answered = false;
            answer.silent_why = nullptr;
            answer.pending.clear();
            const auto s = static_cast<std::uint16_t>(slot);
            answer.expected = transport_.attached(s) && transport_.status(s) != abi::AgentStatus::SUSPENDED;
            if (!answer.expected) {
                answer.silent_why = transport_.status(s) == abi::AgentStatus::SUSPENDED ? "quarantined" : "dead";
            }
        }
        publish_snapshot(clock);
        collect_answers();
    }
    hand_over_answers();
    engine_->end_step();
    if (live_mode_) {
        // Live: the intents taken since the last step were handed over above; the snapshot shows
        // their outcome, and what the agents send next answers it.
        publish_snapshot(clock);
    }
    // Configuration changes apply here, between this step and the next one's market events, and
    // are committed with this step at once (resume keeps them: FundRun::resume).
    const bool reconfigured = apply_config_changes(steps_ + 1);
    // Whole steps are committed, kJournalBatchBytes of them at a time: a write(2) per step would
    // cost more than a step. In simulation nothing leaves the process before its step is in the
    // journal's buffer, so a kill -9 loses only steps that --resume redoes from the market data.
    // A live step's inputs exist nowhere else: each is committed at once (a few per second).
    if (live_mode_) {
        commit_and_send();
    } else if (journal_.pending_bytes() >= kJournalBatchBytes || operator_action || reconfigured) {
        if (const runtime::Status status = journal_.commit(); !status.ok()) {
            std::fprintf(stderr, "fund: journal: %s\n", status.message().c_str());
            g_stop_signal = SIGTERM;  // cannot record what happens: stop at once, cleanly
        }
    }
    ++steps_;
}

/// Live: commit what the journal holds; then (production) send the venue the commands it names.
/// A commit that fails sends nothing (write-ahead) and stops the run.
void FundRun::commit_and_send() {
    if (const runtime::Status status = journal_.commit(); !status.ok()) {
        std::fprintf(stderr, "fund: journal: %s\n", status.message().c_str());
        g_stop_signal = SIGTERM;  // cannot record what happens: stop at once, cleanly
        return;
    }
    if (venue_) {
        venue_->send_held(last_received_ns_);
    }
}

/// The venue's events waiting at a boundary, to the engine in the order they came (bounded: the
/// rest wait for the next boundary).
void FundRun::take_venue_events() {
    constexpr int kMaxEvents = 4096;
    venue::VenueEvent event;
    for (int n = 0; n < kMaxEvents && venue_->next(event); ++n) {
        engine_->venue_event(event);
    }
}

/// Production shutdown, after engine finish(): the shutdown's cancels are committed and sent,
/// then the venue's answers (and any late fill) are applied, journaled after kRunEnd, until no
/// parent is working or kSettleNs of wall clock passed. An order the venue answered a cancel
/// with a reject for works again and nobody else asks: every second without progress, each
/// order still working at the venue is asked to cancel once more (FixVenue::cancel_all; the
/// venue's answers come back through the journal as any other).
void FundRun::settle_venue() {
    constexpr std::uint64_t kSettleNs = 10'000'000'000ULL;
    constexpr std::uint64_t kRetryNs = 1'000'000'000ULL;
    commit_and_send();
    const std::uint64_t start = transport::monotonic_ns();
    std::uint64_t last_progress = start;
    std::size_t working = engine_->venue_view().parents.size();
    while (working != 0) {
        const std::uint64_t now = transport::monotonic_ns();
        if (now - start >= kSettleNs) {
            std::string ids;
            for (const engine::VenueParentView& p : engine_->venue_view().parents) {
                ids += (ids.empty() ? "" : ", ") + std::to_string(p.parent_id);
            }
            std::fprintf(stderr, "fund: shutdown: the venue at %s has not confirmed %zu parent order(s) done after "
                                 "%llu s: %s (report.json: venue.unconfirmed_parents)\n",
                         venue_->address().c_str(), working, static_cast<unsigned long long>(kSettleNs / 1'000'000'000ULL),
                         ids.c_str());
            return;
        }
        venue::VenueEvent event;
        bool any = false;
        while (venue_->next(event)) {
            engine_->venue_event(event);
            any = true;
        }
        if (any) {
            commit_and_send();
            working = engine_->venue_view().parents.size();
            last_progress = now;
            continue;
        }
        if (now - last_progress >= kRetryNs && venue_->fix().connected()) {
            (void)venue_->fix().cancel_all();
            last_progress = now;
        }
        const struct timespec nap {0, 2'000'000};
        ::nanosleep(&nap, nullptr);
    }
}

/// The snapshot of the step (FundState, each agent's book and trading state), published with the
/// next seq.
void FundRun::publish_snapshot(abi::Timestamp clock) {
    abi::FundState& state = transport_.state();
    engine_->fill_state(state);
    for (std::size_t slot = 0; slot < config_.agents.size(); ++slot) {
        const auto s = static_cast<std::uint16_t>(slot);
        engine_->fill_book(s, book_scratch_);  // the head and the rows in use: no 4 KB clear per step
        transport_.set_book(s, book_scratch_);
        // Loss limits and kill switches live in the engine: the agent sees REDUCING/HALTED here.
        transport_.set_trading_state(s, engine_->agent_trading_state(s));
    }
    seq_ = transport_.publish(clock);
}

/// The agents' intents to the engine, in slot order (it sequences them by agent id and intent id).
/// Lock-step: a complete answer's intents; an agent without one is silent and its unfinished
/// answer void. Live: every intent taken since the last step; an agent is silent only when dead,
/// quarantined or late on its lease.
void FundRun::hand_over_answers() {
    for (std::size_t slot = 0; slot < config_.agents.size(); ++slot) {
        AnswerState& answer = answers_[slot];
        const auto s = static_cast<std::uint16_t>(slot);
        if (live_mode_) {
            for (const abi::IntentRecord& intent : answer.pending) {
                engine_->submit(s, intent);
            }
            answer.pending.clear();
            const abi::AgentStatus status = transport_.status(s);
            if (!transport_.attached(s)) {
                engine_->silent(s, "dead");
            } else if (status == abi::AgentStatus::SUSPENDED) {
                engine_->silent(s, "quarantined");
            } else if (status == abi::AgentStatus::LATE) {
                engine_->silent(s, "late");
            }
            continue;
        }
        if (answer.answered) {
            for (const abi::IntentRecord& intent : answer.pending) {
                engine_->submit(s, intent);
            }
            continue;
        }
        engine_->silent(s, answer.silent_why != nullptr ? answer.silent_why : "timeout");
        // An unfinished answer is void: nothing of it reaches the risk checks; the engine
        // journals, counts and reports each intent (AGENT_SILENT).
        for (const abi::IntentRecord& intent : answer.pending) {
            engine::Refusal refusal{};
            refusal.source = engine::Refusal::Source::kVoidAnswer;
            refusal.reason = abi::RejectReason::AGENT_SILENT;
            refusal.copy = intent;
            engine_->refused(s, refusal);
        }
    }
}

/// Attach requests, hang-ups, heartbeats and the operator's socket, at most once per millisecond
/// of wall clock, whether or not anyone is waited for: across steps, so fast steps (quick agents,
/// or none) poll them too.
void FundRun::poll_io_at_1khz(std::uint64_t now) {
    if (now - last_io_ns_ < 1'000'000ULL) {
        return;
    }
    (void)transport_.poll_io(0);
    transport_.check_liveness(now);
    poll_control();
    last_io_ns_ = now;
}

void FundRun::collect_answers() {
    // Clock reads cost as much as a few polls of the rings, and a quick agent answers before a
    // read would matter: the deadline is set by the first read, after kPollsPerClockRead polls,
    // and a step that needs none reads the clock (for the 1 kHz I/O poll) only every
    // kStepsPerClockRead steps.
    constexpr unsigned kPollsPerClockRead = 64;
    constexpr unsigned kStepsPerClockRead = 64;
    if (++steps_since_clock_read_ >= kStepsPerClockRead) {
        steps_since_clock_read_ = 0;
        poll_io_at_1khz(transport::monotonic_ns());
    }
    const std::uint64_t timeout_ns = config_.simulation.answer_timeout_ms * 1000000ULL;
    std::uint64_t deadline = 0;  // 0: the clock was not read yet in this step
    transport::IntentOutcome outcome;
    for (unsigned idle = 0, polls = 1;; ++idle, ++polls) {
        bool waiting = false;
        for (std::size_t slot = 0; slot < config_.agents.size(); ++slot) {
            AnswerState& answer = answers_[slot];
            const auto s = static_cast<std::uint16_t>(slot);
            if (!answer.expected && !answer.answered && transport_.attached(s) &&
                transport_.status(s) != abi::AgentStatus::SUSPENDED) {
                // (Re)attached while this step collects (attaches are accepted only here): this
                // step's snapshot is the newest it can read, so it may answer it. Waiting for the
                // next snapshot instead would make its answer to this one arrive a step late.
                answer.expected = true;
                answer.silent_why = nullptr;
            }
            if (!answer.expected || answer.answered) {
                continue;
            }
            if (drain_ring(s, outcome)) {
                idle = 0;
            }
            if (!answer.answered && answer.silent_why == nullptr) {
                if (!transport_.attached(s)) {
                    answer.silent_why = "dead";
                } else if (transport_.status(s) == abi::AgentStatus::SUSPENDED) {
                    answer.silent_why = "quarantined";
                } else {
                    waiting = true;
                }
            }
        }
        if (!waiting) {
            return;
        }
        if (idle > 0) {
            catch_up_outputs();  // nothing came in the last pass: the agents are still deciding
        }
        // Counted apart from `idle`, which progress resets: an agent streaming intents without
        // END_OF_ANSWER still meets its deadline.
        if (polls % kPollsPerClockRead == 0) {
            const std::uint64_t now = transport::monotonic_ns();
            if (deadline == 0) {
                deadline = now + timeout_ns;
            } else if (now >= deadline) {
                return;  // the rest are silent: "timeout"
            }
            steps_since_clock_read_ = 0;
            poll_io_at_1khz(now);
        }
        if (idle > 256) {
            ::sched_yield();
        }
    }
}

/// Takes what the agent in `s` has sent: a record the transport refused goes to the engine
/// (journaled, counted), a quarantine makes the agent silent, the rest waits in its AnswerState.
/// Lock-step: up to this step's END_OF_ANSWER (one for another snapshot is dropped). Live: all of
/// it. Returns whether anything came.
bool FundRun::drain_ring(std::uint16_t s, transport::IntentOutcome& outcome) {
    AnswerState& answer = answers_[s];
    bool any = false;
    while (transport_.process_one(s, outcome, clock_)) {
        any = true;
        if (outcome.poll == transport::RingPoll::kQuarantined) {
            // Nothing was copied: the journal keeps where and what the impossible commit was.
            const transport::RingFault& fault = transport_.link(s).ring_fault();
            engine::Refusal refusal{};
            refusal.source = engine::Refusal::Source::kQuarantine;
            refusal.reason = outcome.reason;
            refusal.ring_position = fault.position;
            refusal.commit_seen = fault.commit;
            engine_->refused(s, refusal);
            answer.silent_why = "quarantined";
            break;
        }
        if (outcome.reason != abi::RejectReason::NONE) {
            // The transport reported it to the agent; the engine journals and counts it.
            engine::Refusal refusal{};
            refusal.source = engine::Refusal::Source::kTransport;
            refusal.reason = outcome.reason;
            refusal.copy = outcome.record;
            engine_->refused(s, refusal);
            continue;
        }
        if (outcome.record.kind == abi::IntentKind::END_OF_ANSWER) {
            if (live_mode_) {  // not awaited; journaled all the same (kAnswerEnd): its id is consumed
                hold(s, outcome.record);
                continue;
            }
            answer.answered = outcome.record.snapshot_seq == seq_;
            if (answer.answered) {
                // Journaled too (kAnswerEnd): its intent id is consumed, and a
                // resumed run must hand the agent the same last_intent_id.
                answer.pending.push_back(outcome.record);
                break;
            }
            continue;
        }
        hold(s, outcome.record);
    }
    return any;
}

/// Keeps a record the transport passed until the answer ends. Past kMaxPending it is refused
/// instead (RATE_LIMIT, reported to the agent): holding never allocates, and every intent whose
/// id the transport consumed still gets its one verdict.
void FundRun::hold(std::uint16_t s, const abi::IntentRecord& record) {
    AnswerState& answer = answers_[s];
    if (answer.pending.size() < kMaxPending) {
        answer.pending.push_back(record);
        return;
    }
    engine::Refusal refusal{};
    refusal.source = engine::Refusal::Source::kOverflow;
    refusal.reason = abi::RejectReason::RATE_LIMIT;
    refusal.copy = record;
    engine_->refused(s, refusal);
}

/// Work on what earlier steps left to finish (journal CRCs, equity rows), a small piece at a time
/// (a step's worth), while the agents decide: with a quick agent, the Fund's step is otherwise
/// its bookkeeping plus the agent's round trip, one after the other. What is left when no agent
/// keeps the Fund waiting is done by commit() and record() themselves: the outputs are the same.
void FundRun::catch_up_outputs() {
    constexpr std::size_t kSealBytes = 256;
    if (!journal_.seal(kSealBytes)) {
        (void)equity_.catch_up(1);
        check_equity();
    }
}

void FundRun::poll_control() {
    (void)control_.poll([this](const json& request) { return handle_control(request); });
}

json FundRun::status_json() {
    json agents = json::array();
    for (std::size_t slot = 0; slot < config_.agents.size(); ++slot) {
        const auto s = static_cast<std::uint16_t>(slot);
        abi::AgentBook book{};
        engine_->fill_book(s, book);
        agents.push_back({{"id", config_.agents[slot].id},
                          {"name", config_.agents[slot].name},
                          {"status", runtime::lower_name(transport_.status(s))},
                          {"equity", static_cast<double>(book.account.equity) / 1e6},
                          {"position_count", book.position_count},
                          {"trading_state", runtime::lower_name(engine_->agent_trading_state(s))}});
    }
    const abi::FundState& state = transport_.state();
    std::string halted;  // instruments under a kill switch (or not in the data): for people
    for (std::size_t row = 0; row < std::min<std::size_t>(state.instrument_count, abi::MAX_INSTRUMENTS); ++row) {
        if (state.instruments[row].trading_state == abi::TradingState::HALTED) {
            halted += (halted.empty() ? "" : ",") + config_.instruments[row].symbol;
        }
    }
    json result = {{"ok", true},
            {"name", config_.name},
            {"step", steps_},
            {"events", events_},
            {"total_events", feed_.total_events()},
            {"clock", marketdata::format_utc(clock_, marketdata::TimeDigits::kSeconds)},
            {"trading_state", runtime::lower_name(state.trading_state)},
            {"nav", static_cast<double>(state.nav) / 1e6},
            {"halted_instruments", halted},
            {"config", config_status()},
            {"agents", agents}};
    if (venue_) {  // production: the FIX session and the parents the engine holds as working there
        const engine::VenueView view = engine_->venue_view();
        result["venue"] = {{"address", venue_->address()},
                           {"connected", venue_->fix().connected()},
                           {"logons", venue_->fix().logons()},
                           {"working_parents", view.parents.size()},
                           {"acknowledged_parents", std::count_if(view.parents.begin(), view.parents.end(),
                                                                  [](const auto& p) { return p.accepted; })}};
    }
    return result;
}

std::string hex_hash(std::uint64_t h) {
    char text[24];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
    return text;
}

/// The configuration part of status: where it comes from, its hash, the re-read requests and
/// their answers (`fundos config set` waits for `done` to reach its request).
json FundRun::config_status() const {
    json c = {{"source", config_.source},
              {"hash", hex_hash(config_hash_)},
              {"requested", reloader_.requested()},
              {"prepared", reloader_.prepared()},
              {"done", reloads_done_}};
    if (reloader_.listens()) {
        c["listening"] = reloader_.listening();
    }
    if (!last_reload_.is_null()) {
        c["last"] = last_reload_;
    }
    return c;
}

void FundRun::start_reloader() {
    const auto notice = [](const char* what, const std::string& detail) {
        std::fprintf(stderr, "fund: configuration: %s\n", detail.c_str());
        emit({{"event", "config"}, {"status", what}, {"detail", detail}});
    };
    if (const int rc = reloader_.start(options_.config_path, config_, config_hash_, notice); rc != 0) {
        // Not fatal: the run goes on with its configuration; only changes while running are off.
        std::fprintf(stderr, "fund: configuration changes while running are off: %s\n", std::strerror(-rc));
    }
}

/// At a step boundary, after `steps_done` steps: the re-reads the reloader has finished, each
/// applied whole (or journaled as rejected), in order. Returns whether anything was journaled.
bool FundRun::apply_config_changes(std::uint64_t steps_done) {
    if (!reloader_.take(config_outcomes_)) {
        return false;
    }
    bool journaled = false;
    for (ConfigReloader::Outcome& o : config_outcomes_) {
        const char* trigger = engine::to_string(o.trigger);
        json event = {{"event", "config"}, {"trigger", trigger}, {"request", o.covers}};
        switch (o.kind) {
            case ConfigReloader::Outcome::Kind::kApply: {
                engine_->change_config(o.change);
                journaled = true;
                for (const engine::ConfigChangeEntry& e : o.change.entries) {
                    if (static_cast<engine::ConfigField>(e.field) == engine::ConfigField::kInstruments &&
                        e.index < ever_mapped_.size()) {
                        ever_mapped_[e.index] |= static_cast<std::uint64_t>(e.new_value);
                        transport_.set_mapped_instruments(e.index, ever_mapped_[e.index]);
                    }
                }
                const std::string source = config_.source;
                config_ = std::move(o.config);
                config_.source = source;
                config_hash_ = o.change.new_hash;
                json changes = json::array();
                std::string text;
                for (const runtime::ChangeLine& line : o.lines) {
                    changes.push_back({{"path", line.path}, {"old", line.old_value}, {"new", line.new_value}});
                    text += (text.empty() ? "" : "; ") + line.path + ": " + line.old_value + " -> " + line.new_value;
                }
                event["status"] = "applied";
                event["applies_from_step"] = steps_done + 1;
                event["config_hash"] = hex_hash(config_hash_);
                event["changes"] = changes;
                std::fprintf(stderr, "fund: configuration change (%s) applied from step %llu: %s\n", trigger,
                             static_cast<unsigned long long>(steps_done + 1), text.c_str());
                break;
            }
            case ConfigReloader::Outcome::Kind::kReject:
                engine_->change_config(o.change);
                journaled = true;
                event["status"] = "rejected";
                event["after_step"] = steps_done;
                event["error"] = o.change.text;
                std::fprintf(stderr, "fund: configuration change (%s) rejected; the Fund keeps its configuration: %s\n",
                             trigger, o.change.text.c_str());
                break;
            case ConfigReloader::Outcome::Kind::kUnchanged:
                event["status"] = "unchanged";
                std::fprintf(stderr, "fund: configuration re-read (%s): no change\n", trigger);
                break;
        }
        reloads_done_ = std::max(reloads_done_, o.covers);
        last_reload_ = event;
        last_reload_.erase("event");
        emit(event);
    }
    config_outcomes_.clear();
    return journaled;
}

json FundRun::handle_control(const json& request) {
    const std::string cmd = request["cmd"].get<std::string>();
    if (cmd == "status") {
        return status_json();
    }
    if (cmd == "reload") {  // as SIGHUP, but the answer says which request to wait for
        return {{"ok", true}, {"request", reloader_.request(engine::ConfigTrigger::kControl)}};
    }
    if (cmd == "config") {  // the running configuration (`fundos config set` checks a change against it)
        return {{"ok", true}, {"source", config_.source}, {"hash", hex_hash(config_hash_)},
                {"config", runtime::config_to_json(config_)}};
    }
    if (cmd != "kill_switch") {
        return {{"ok", false}, {"error", "unknown cmd \"" + cmd + "\" (status, kill_switch, reload, config)"}};
    }
    if (!request.contains("scope") || !request["scope"].is_string() || !request.contains("on") ||
        !request["on"].is_boolean()) {
        return {{"ok", false}, {"error", "kill_switch needs \"scope\" (fund|agent|instrument) and \"on\" (true|false)"}};
    }
    const std::string scope = request["scope"].get<std::string>();
    KillSwitchRequest ks{engine::Scope::kFund, 0, request["on"].get<bool>()};
    if (scope == "agent") {
        ks.scope = engine::Scope::kAgent;
        const auto it = request.find("id");
        if (it == request.end() || !it->is_number_unsigned()) {
            return {{"ok", false}, {"error", "kill_switch on an agent needs \"id\": the agent id"}};
        }
        ks.id = it->get<std::uint32_t>();
        if (std::none_of(config_.agents.begin(), config_.agents.end(), [&](const auto& a) { return a.id == ks.id; })) {
            return {{"ok", false}, {"error", "no agent with id " + std::to_string(ks.id)}};
        }
    } else if (scope == "instrument") {
        ks.scope = engine::Scope::kInstrument;
        const auto it = request.find("id");
        if (it == request.end() || !it->is_string()) {
            return {{"ok", false}, {"error", "kill_switch on an instrument needs \"id\": its symbol"}};
        }
        const std::string symbol = it->get<std::string>();
        const auto found = std::find_if(config_.instruments.begin(), config_.instruments.end(),
                                        [&](const auto& i) { return i.symbol == symbol; });
        if (found == config_.instruments.end()) {
            return {{"ok", false}, {"error", "no instrument " + symbol + " in this Fund"}};
        }
        ks.id = found->id;
    } else if (scope != "fund") {
        return {{"ok", false}, {"error", "scope must be fund, agent or instrument, not " + scope}};
    }
    kill_switches_.push_back(ks);
    return {{"ok", true}, {"applies_at_step", steps_ + 1}};
}

int FundRun::finish(const char* why) {
    reloader_.stop();  // a re-read not applied by now is not: the run is over
    engine_->finish(why);
    if (venue_) {
        settle_venue();
    } else {
        (void)journal_.commit();
    }
    runtime::RunFacts facts;
    facts.steps = steps_;
    facts.events = events_;
    facts.first_time = first_time_;
    facts.last_time = last_event_time_;
    facts.stopped_by = why;
    if (!equity_.opened()) {
        (void)equity_.open(run_dir_.string(), config_);  // no step: equity.csv is its header
    }
    runtime::Status written = equity_.finish();
    if (written.ok()) {
        written = runtime::write_run_outputs(run_dir_.string(), config_, facts, *engine_, equity_.summary());
    }
    if (written.ok() && venue_) {
        written = add_venue_summary(run_dir_.string(), *engine_);
    }
    if (venue_) {
        // Wall-clock figures: their own file, never the journal or report.json.
        const json latency = venue_->latency().summary("market data received to NewOrderSingle on the wire");
        if (const runtime::Status status =
                runtime::write_file_atomic((run_dir_ / "latency.json").string(), latency.dump(2) + "\n");
            !status.ok() && written.ok()) {
            written = status;
        }
        venue_->close();
    }
    transport_.stop();
    control_.close();
    (void)journal_.close();
    if (!written.ok()) {
        std::fprintf(stderr, "fund: %s\n", written.message().c_str());
        emit({{"event", "done"}, {"status", "failed"}, {"report", ""}, {"steps", steps_}, {"events", events_}});
        return 1;
    }
    emit({{"event", "done"},
          {"status", std::strcmp(why, "end of data") == 0 || std::strcmp(why, "end of session") == 0 ||
                             std::strcmp(why, "max_steps") == 0
                         ? "ok"
                         : "stopped"},
          {"report", (run_dir_ / "report.json").string()},
          {"steps", steps_},
          {"events", events_}});
    return 0;
}

int FundRun::run() {
    install_signal_handlers();
    if (const int rc = start(); rc != 0) {
        return rc;
    }
    if (!wait_for_agents()) {
        transport_.stop();
        return 1;
    }
    if (live_mode_) {
        return run_live();
    }
    DecisionClock decisions(config_.simulation.decision);
    std::uint64_t last_progress = steps_ - steps_ % 100;  // a resumed run reports at the same steps
    const char* why = "end of data";
    // A resumed run may already be at max_steps (it was killed while finishing).
    const bool at_max = config_.simulation.max_steps != 0 && steps_ >= config_.simulation.max_steps;
    if (at_max) {
        why = "max_steps";
    }
    // The replay loop's own wall time, for throughput figures (stdout only, never the journal).
    const std::uint64_t replay_start_ns = transport::monotonic_ns();
    const std::uint64_t replay_events_before = events_, replay_steps_before = steps_;
    while (!at_max) {
        const MarketItem& item = feed_.front();
        if (item.index == kEndOfData) {
            break;
        }
        const marketdata::EventRecord event = item.event;
        engine_->on_market(event, item.index);
        feed_.pop();
        if (events_++ == 0) {
            first_time_ = event.time;
        }
        clock_ = event.time;
        last_event_time_ = event.time;
        const MarketItem& next = feed_.front();
        if (!decisions.boundary(event, next.index == kEndOfData ? nullptr : &next.event)) {
            continue;
        }
        decisions.reset();
        run_step(clock_);
        if (!options_.quiet_progress && steps_ - last_progress >= 100) {
            last_progress = steps_;
            emit({{"event", "progress"}, {"step", steps_}, {"events", events_},
                  {"total_events", feed_.total_events()}, {"clock", marketdata::format_utc(clock_, marketdata::TimeDigits::kSeconds)}});
        }
        if (g_stop_signal != 0) {
            why = g_stop_signal == SIGINT ? "SIGINT" : "SIGTERM";
            break;
        }
        if (config_.simulation.max_steps != 0 && steps_ >= config_.simulation.max_steps) {
            why = "max_steps";
            break;
        }
    }
    const std::uint64_t replay_ns = transport::monotonic_ns() - replay_start_ns;
    feed_.stop();
    emit({{"event", "timing"}, {"events", events_ - replay_events_before}, {"steps", steps_ - replay_steps_before},
          {"wall_ns", replay_ns}});
    return finish(why);
}

/// The live loop (paper and production): events are applied as they arrive, intents are
/// taken as they arrive, and a step (the boundary where the taken intents reach the engine, then
/// a snapshot) comes every market_data.publish_interval of wall clock when the market moved, and
/// at least every heartbeat_interval. Wall clock decides only when a step happens; what each step
/// was (its events, feed statuses, intents, clock) is in the journal, which `fund replay` replays.
int FundRun::run_live() {
    const char* why = "end of session";
    const std::uint64_t publish_ns = config_.market_data.publish_interval_ns;
    const std::uint64_t heartbeat_ns = config_.market_data.heartbeat_interval_ns;
    const std::uint64_t start_ns = transport::monotonic_ns();
    const std::uint64_t events_before = events_;
    std::uint64_t last_step_ns = start_ns;
    std::uint64_t last_progress = 0;
    for (unsigned idle = 0;; ++idle) {
        const bool fed = pump_live();
        if (take_intents() || fed) {
            idle = 0;
        }
        const std::uint64_t now = transport::monotonic_ns();
        poll_io_at_1khz(now);
        const std::uint64_t since = now - last_step_ns;
        // No step before the first event: the step clock is the feed's (the latest exchange time).
        const bool due = events_ > 0 && ((market_moved_ && since >= publish_ns) || since >= heartbeat_ns ||
                                         session_ended_ || g_stop_signal != 0);
        if (due) {
            market_moved_ = false;
            last_step_ns = now;
            run_step(clock_);
            if (!options_.quiet_progress && steps_ - last_progress >= 10) {
                last_progress = steps_;
                emit({{"event", "progress"}, {"step", steps_}, {"events", events_}, {"total_events", 0},
                      {"clock", marketdata::format_utc(clock_, marketdata::TimeDigits::kSeconds)}});
            }
        }
        if (g_stop_signal != 0) {
            why = g_stop_signal == SIGINT ? "SIGINT" : "SIGTERM";
            break;
        }
        if (session_ended_ && (due || events_ == 0)) {
            break;  // the last step took everything that came before the end
        }
        if (config_.simulation.max_steps != 0 && steps_ >= config_.simulation.max_steps) {
            why = "max_steps";
            break;
        }
        if (idle > 64) {
            // Nothing came for a while: a short nap instead of a spin that would take a core from
            // the agents and the feed thread (an intent waits at most this much longer).
            const struct timespec nap {0, 200'000};
            ::nanosleep(&nap, nullptr);
        }
    }
    live_.stop();
    emit({{"event", "timing"}, {"events", events_ - events_before}, {"steps", steps_},
          {"wall_ns", transport::monotonic_ns() - start_ns}});
    return finish(why);
}

/// What the ingestion thread handed over, in its order: events to the engine at once (journaled
/// kMarketEvent), status changes kept for the next step boundary, the end of the session noted.
/// Returns whether anything came.
bool FundRun::pump_live() {
    constexpr int kMaxItems = 4096;  // then back to the agents' rings
    int taken = 0;
    for (; taken < kMaxItems; ++taken) {
        const LiveItem* item = live_.front();
        if (item == nullptr) {
            break;
        }
        switch (item->kind) {
            case LiveItem::Kind::kEvent: {
                const marketdata::EventRecord& event = item->event;
                engine_->on_market(event, events_);
                if (events_++ == 0) {
                    first_time_ = event.time;
                }
                last_received_ns_ = item->received_ns;
                last_event_time_ = event.time;
                clock_ = std::max(clock_, event.time);
                market_moved_ = true;
                break;
            }
            case LiveItem::Kind::kStatus:
                for (std::size_t row = 0; row < live_table_.size(); ++row) {
                    if (live_table_[row].instrument_id == item->md_id) {
                        feed_changes_.emplace_back(config_.instruments[row].id, item->tripped);
                    }
                }
                break;
            case LiveItem::Kind::kEnd: session_ended_ = true; break;
        }
        live_.pop();
    }
    return taken > 0;
}

/// Live: every attached agent's ring, drained (intents wait for the next step boundary).
bool FundRun::take_intents() {
    transport::IntentOutcome outcome;
    bool any = false;
    for (std::size_t slot = 0; slot < config_.agents.size(); ++slot) {
        const auto s = static_cast<std::uint16_t>(slot);
        if (transport_.attached(s) && transport_.status(s) != abi::AgentStatus::SUSPENDED) {
            any = drain_ring(s, outcome) || any;
        }
    }
    return any;
}

}  // namespace

int run_fund(const RunOptions& options) {
    FundRun run(options);
    return run.run();
}

}  // namespace fundos::process
