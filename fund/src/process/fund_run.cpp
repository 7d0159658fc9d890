#include "fundos/process/fund_run.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fundos/engine/engine.hpp"
#include "fundos/engine/journal_records.hpp"
#include "fundos/marketdata/civil_time.hpp"
#include "fundos/process/control_server.hpp"
#include "fundos/process/market_feed.hpp"
#include "fundos/runtime/config_json.hpp"
#include "fundos/runtime/journal.hpp"
#include "fundos/runtime/run_report.hpp"
#include "fundos/transport/transport.hpp"

namespace fundos::process {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

volatile sig_atomic_t g_stop_signal = 0;
extern "C" void on_stop_signal(int sig) { g_stop_signal = sig; }

void install_signal_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGINT, &sa, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
}

/// One JSON line on stdout for `fundos run`.
void emit(const json& event) {
    const std::string line = event.dump() + "\n";
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
}

/// "2024-01-02T14:31:00Z": for progress lines and status, never for the journal or report.
std::string iso_time(abi::Timestamp ns) {
    const auto seconds = static_cast<std::int64_t>(ns / 1'000'000'000ULL);
    const std::int64_t days = seconds / marketdata::SECONDS_PER_DAY;
    const std::int64_t of_day = seconds % marketdata::SECONDS_PER_DAY;
    const marketdata::CivilDate date = marketdata::civil_from_days(days);
    char text[32];
    std::snprintf(text, sizeof(text), "%04d-%02u-%02uT%02d:%02d:%02dZ", date.year, date.month, date.day,
                  static_cast<int>(of_day / 3600), static_cast<int>(of_day / 60 % 60), static_cast<int>(of_day % 60));
    return text;
}

const char* agent_status_name(abi::AgentStatus status) {
    switch (status) {
        case abi::AgentStatus::EMPTY: return "empty";
        case abi::AgentStatus::DETACHED: return "detached";
        case abi::AgentStatus::ACTIVE: return "active";
        case abi::AgentStatus::LATE: return "late";
        case abi::AgentStatus::DEAD: return "dead";
        case abi::AgentStatus::SUSPENDED: return "suspended";
    }
    return "unknown";
}

const char* trading_state_name(abi::TradingState state) {
    switch (state) {
        case abi::TradingState::ACTIVE: return "active";
        case abi::TradingState::REDUCING: return "reducing";
        case abi::TradingState::HALTED: return "halted";
    }
    return "unknown";
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
        (void)transport_.write_report(slot, report);
    }
    void journal(engine::RecordType type, std::span<const std::byte> payload) override {
        journal_.append(type, payload);
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
    bool wait_for_agents();
    void run_step(abi::Timestamp clock);
    void collect_answers();
    void poll_control();
    json status_json();
    json handle_control(const json& request);
    int finish(const char* why);

    RunOptions options_;
    engine::FundConfig config_;
    fs::path run_dir_;
    MarketFeed feed_;
    std::optional<engine::Engine> engine_;
    runtime::JournalWriter journal_;
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

    std::uint64_t steps_ = 0;
    std::uint64_t events_ = 0;
    abi::Timestamp clock_ = 0;
    abi::Timestamp first_time_ = 0;
    abi::Sequence seq_ = 0;
};

int FundRun::start() {
    runtime::LoadResult loaded = runtime::load_config(options_.config_path);
    if (!loaded.ok()) {
        std::fprintf(stderr, "fund: %s\n", loaded.error.c_str());
        return 2;
    }
    config_ = std::move(loaded.config);
    run_dir_ = options_.run_dir.empty() ? fs::path("runs") / config_.name : fs::path(options_.run_dir);
    std::error_code ec;
    fs::create_directories(run_dir_, ec);
    if (ec) {
        std::fprintf(stderr, "fund: cannot create the run folder %s: %s\n", run_dir_.c_str(), ec.message().c_str());
        return 1;
    }
    run_dir_ = fs::absolute(run_dir_);

    if (marketdata::Status status = feed_.open(config_.simulation.data_files); !status.ok()) {
        std::fprintf(stderr, "fund: %s\n", status.message().c_str());
        return 2;
    }
    // Every configured symbol must be in the market data; the engine maps them by symbol.
    for (const engine::InstrumentConfig& instrument : config_.instruments) {
        const auto& table = feed_.instruments();
        const bool found = std::any_of(table.begin(), table.end(), [&](const marketdata::InstrumentRecord& r) {
            return std::string_view(r.symbol, strnlen(r.symbol, sizeof(r.symbol))) == instrument.symbol;
        });
        if (!found) {
            std::fprintf(stderr, "fund: %s: instruments: symbol %s is in none of the market-data files\n",
                         options_.config_path.c_str(), instrument.symbol.c_str());
            return 2;
        }
    }

    const fs::path journal_path = run_dir_ / "journal.fj";
    if (const runtime::Status status = journal_.create(journal_path.string()); !status.ok()) {
        std::fprintf(stderr, "fund: %s\n", status.message().c_str());
        return 1;
    }
    engine_.emplace(config_, std::span<const marketdata::InstrumentRecord>(feed_.instruments()), *this);

    transport::TransportConfig tc;
    tc.run_dir = run_dir_.string();
    tc.max_snapshot_lag = 0;  // lock-step: an answer is for the snapshot of its step only
    tc.defer_accept_reports = true;
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
    if (const int rc = transport_.start(std::move(tc), this); rc != 0) {
        std::fprintf(stderr, "fund: cannot listen in %s: %s\n", run_dir_.c_str(), std::strerror(-rc));
        return 1;
    }
    if (const int rc = control_.listen((run_dir_ / "control.sock").string()); rc != 0) {
        std::fprintf(stderr, "fund: cannot listen on %s: %s\n", (run_dir_ / "control.sock").c_str(),
                     std::strerror(-rc));
        return 1;
    }
    transport_.state().mode = config_.mode;

    json agents = json::array();
    for (const engine::AgentConfig& agent : config_.agents) {
        const char* wake = agent.wake == engine::WakeMode::kBusy    ? "busy"
                           : agent.wake == engine::WakeMode::kFutex ? "futex"
                                                                     : "spin";
        agents.push_back({{"id", agent.id}, {"name", agent.name}, {"command", agent.command},
                          {"working_dir", agent.working_dir}, {"wake", wake}});
    }
    emit({{"event", "ready"}, {"run_dir", run_dir_.string()}, {"socket", transport_.socket_path()},
          {"control", control_.path()}, {"total_events", feed_.total_events()}, {"agents", agents}});
    return 0;
}

bool FundRun::wait_for_agents() {
    const std::uint64_t deadline = transport::monotonic_ns() + config_.simulation.start_timeout_ms * 1000000ULL;
    for (;;) {
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
        (void)transport_.poll_io(10'000'000);
        poll_control();
    }
}

void FundRun::run_step(abi::Timestamp clock) {
    for (const KillSwitchRequest& request : kill_switches_) {
        engine_->kill_switch(request.scope, request.id, request.on);
    }
    kill_switches_.clear();

    engine_->begin_step(seq_ + 1, clock);
    abi::FundState& state = transport_.state();
    engine_->fill_state(state);
    for (std::size_t slot = 0; slot < config_.agents.size(); ++slot) {
        book_scratch_ = abi::AgentBook{};
        engine_->fill_book(static_cast<std::uint16_t>(slot), book_scratch_);
        transport_.set_book(static_cast<std::uint16_t>(slot), book_scratch_);
    }
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
    seq_ = transport_.publish(clock);
    collect_answers();

    for (std::size_t slot = 0; slot < config_.agents.size(); ++slot) {
        AnswerState& answer = answers_[slot];
        const auto s = static_cast<std::uint16_t>(slot);
        if (answer.answered) {
            for (const abi::IntentRecord& intent : answer.pending) {
                engine_->submit(s, intent);
            }
            continue;
        }
        engine_->silent(s, answer.silent_why != nullptr ? answer.silent_why : "timeout");
        // An unfinished answer is void: nothing of it reaches the engine.
        for (const abi::IntentRecord& intent : answer.pending) {
            abi::IntentReport report{};
            report.intent_id = intent.intent_id;
            report.client_tag = intent.client_tag;
            report.snapshot_seq = seq_;
            report.clock = clock;
            report.instrument_id = intent.instrument_id;
            report.kind = abi::ReportKind::REJECTED;
            report.side = intent.side;
            report.reason = abi::RejectReason::AGENT_SILENT;
            (void)transport_.write_report(s, report);
        }
    }
    engine_->end_step();
    if (const runtime::Status status = journal_.commit(); !status.ok()) {
        std::fprintf(stderr, "fund: journal: %s\n", status.message().c_str());
        g_stop_signal = SIGTERM;  // cannot record what happens: stop at once, cleanly
    }
    ++steps_;
}

void FundRun::collect_answers() {
    const std::uint64_t start = transport::monotonic_ns();
    const std::uint64_t deadline = start + config_.simulation.answer_timeout_ms * 1000000ULL;
    std::uint64_t last_io = start;
    transport::IntentOutcome outcome;
    for (unsigned idle = 0;; ++idle) {
        bool waiting = false;
        for (std::size_t slot = 0; slot < config_.agents.size(); ++slot) {
            AnswerState& answer = answers_[slot];
            if (!answer.expected || answer.answered) {
                continue;
            }
            const auto s = static_cast<std::uint16_t>(slot);
            while (transport_.process_one(s, outcome, clock_)) {
                idle = 0;
                if (outcome.poll == transport::RingPoll::kQuarantined) {
                    answer.silent_why = "quarantined";
                    break;
                }
                if (outcome.reason != abi::RejectReason::NONE) {
                    continue;  // the transport reported the rejection
                }
                if (outcome.record.kind == abi::IntentKind::END_OF_ANSWER) {
                    answer.answered = outcome.record.snapshot_seq == seq_;
                    if (answer.answered) {
                        break;
                    }
                    continue;
                }
                if (answer.pending.size() < abi::INTENT_RING_SLOTS * 4) {
                    answer.pending.push_back(outcome.record);
                }
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
        const std::uint64_t now = transport::monotonic_ns();
        if (now >= deadline) {
            return;  // the rest are silent: "timeout"
        }
        if (now - last_io >= 1'000'000ULL) {  // attach/hang-up, liveness and operator at 1 kHz
            (void)transport_.poll_io(0);
            transport_.check_liveness(now);
            poll_control();
            last_io = now;
        }
        if (idle > 256) {
            ::sched_yield();
        }
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
                          {"status", agent_status_name(transport_.status(s))},
                          {"equity", static_cast<double>(book.account.equity) / 1e6},
                          {"position_count", book.position_count}});
    }
    const abi::FundState& state = transport_.state();
    return {{"ok", true},
            {"name", config_.name},
            {"step", steps_},
            {"events", events_},
            {"total_events", feed_.total_events()},
            {"clock", iso_time(clock_)},
            {"trading_state", trading_state_name(state.trading_state)},
            {"nav", static_cast<double>(state.nav) / 1e6},
            {"agents", agents}};
}

json FundRun::handle_control(const json& request) {
    const std::string cmd = request["cmd"].get<std::string>();
    if (cmd == "status") {
        return status_json();
    }
    if (cmd != "kill_switch") {
        return {{"ok", false}, {"error", "unknown cmd \"" + cmd + "\" (status, kill_switch)"}};
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
    engine_->finish(why);
    (void)journal_.commit();
    runtime::RunFacts facts;
    facts.steps = steps_;
    facts.events = events_;
    facts.first_time = first_time_;
    facts.last_time = clock_;
    facts.stopped_by = why;
    const runtime::Status written = runtime::write_run_outputs(run_dir_.string(), config_, facts, *engine_);
    transport_.stop();
    control_.close();
    (void)journal_.close();
    if (!written.ok()) {
        std::fprintf(stderr, "fund: %s\n", written.message().c_str());
        emit({{"event", "done"}, {"status", "failed"}, {"report", ""}, {"steps", steps_}, {"events", events_}});
        return 1;
    }
    emit({{"event", "done"},
          {"status", std::strcmp(why, "end of data") == 0 || std::strcmp(why, "max_steps") == 0 ? "ok" : "stopped"},
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
    feed_.start();
    DecisionClock decisions(config_.simulation.decision);
    std::uint64_t last_progress = 0;
    const char* why = "end of data";
    for (;;) {
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
        const MarketItem& next = feed_.front();
        if (!decisions.boundary(event, next.index == kEndOfData ? nullptr : &next.event)) {
            continue;
        }
        decisions.reset();
        run_step(clock_);
        if (!options_.quiet_progress && steps_ - last_progress >= 100) {
            last_progress = steps_;
            emit({{"event", "progress"}, {"step", steps_}, {"events", events_},
                  {"total_events", feed_.total_events()}, {"clock", iso_time(clock_)}});
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
    feed_.stop();
    return finish(why);
}

}  // namespace

int run_fund(const RunOptions& options) {
    FundRun run(options);
    return run.run();
}

}  // namespace fundos::process
