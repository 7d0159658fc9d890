// fund: the FundOS Fund process.
//
// Usage:
//   fund run --config SOURCE [--run-dir DIR] [--resume] [--quiet]
//   fund check-config SOURCE|- [--print] [--label NAME] [--running FILE]
//   fund journal FILE [--json]
//   fund replay --run-dir DIR [--out DIR2]
//   fund --help | --version
//
// See kUsage below (printed by --help); fund/include/fundos/process/fund_run.hpp for the run.
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fundos/abi.hpp"
#include "fundos/engine/journal_records.hpp"
#include "fundos/process/fund_run.hpp"
#include "fundos/process/replay_run.hpp"
#include "fundos/runtime/config_json.hpp"
#include "fundos/runtime/config_reload.hpp"
#include "fundos/runtime/config_source.hpp"
#include "fundos/runtime/journal.hpp"

namespace {

constexpr const char* kUsage = R"(NAME
    fund - the FundOS Fund process

SYNOPSIS
    fund run --config SOURCE [--run-dir DIR] [--resume] [--quiet]
    fund check-config SOURCE|- [--print] [--label NAME] [--running FILE]
    fund journal FILE [--json]
    fund replay --run-dir DIR [--out DIR2]
    fund --help | --version

DESCRIPTION
    run           Run the Fund in the mode SOURCE configures (simulation: replay the market data
                  on a deterministic clock, in lock-step with the configured agents; paper: take
                  the live feed of market_data, fill orders with the simulator, publish a
                  snapshot every publish_interval of wall clock and take intents as they
                  arrive; production: the same live loop, orders to the FIX 4.4 venue of
                  execution.venue, each sent once the journal holds it, after a start-up
                  reconciliation with the venue that refuses to trade on a difference it
                  cannot explain (exit 1, DIR/reconciliation.json); docs/FUND.md). The run
                  folder DIR (default runs/NAME, NAME from the configuration) receives
                  journal.fj, report.json, fills.csv and equity.csv (production also
                  reconciliation.json, latency.json and venue/), and holds the agents'
                  socket fund.sock and the operator's socket control.sock while it runs.
                  The agents are not started here: `fundos run` starts them, or attach them by
                  hand with FUNDOS_SOCKET=DIR/fund.sock and FUNDOS_AGENT_ID set.
                  stdout carries one JSON object per line: ready, agent, progress, config,
                  done (docs/FUND.md); stderr carries messages for people.
                  SIGTERM or SIGINT: the current step finishes, working orders are canceled,
                  the report is written, exit 0. SIGHUP (or {"cmd":"reload"} on
                  control.sock, or for a postgresql:// SOURCE a NOTIFY fundos_config with the
                  Fund's name): re-read SOURCE and apply its new risk limits and mappings at
                  the next step boundary, or reject it whole and keep the running
                  configuration (docs/CONFIG.md, "Changes while running"). A DIR that already holds a journal is refused
                  unless --resume is given.
    check-config  Load and check SOURCE (or, with -, a JSON document on stdin: messages name
                  it NAME, default <stdin>, and relative paths are relative to the current
                  folder); with --print, write its normalized form (every default filled in,
                  paths absolute) to stdout. With --running FILE (a normalized configuration,
                  e.g. a running Fund's: `fundos config set` asks the Fund for it), also check
                  that SOURCE may replace it while the Fund runs: only risk limits,
                  instruments' restricted and price_collar_bps, and agents' instruments may
                  differ (docs/CONFIG.md); each difference is printed on stderr as
                  "PATH: OLD -> NEW", any other difference is an error.
    replay        Rebuild a finished run from DIR/journal.fj and DIR/config.json alone (a
                  simulation's .fmd files are read again; a paper or production run's market
                  events and venue events are in its journal) and write report.json,
                  fills.csv and equity.csv into DIR2 (default DIR/replay): byte-identical to
                  the run's own (production: report.json's venue summary too). Every record the
                  replay writes must equal the journal's; the first difference is an error.
                  Prints {"event":"replayed",...} on stdout.
    journal       Print the journal FILE, one line per record (--json: one JSON object per
                  line). A torn last record (the Fund was killed mid-write) is reported, not
                  an error; corruption before the end is.

OPTIONS
    --config SOURCE the configuration: a JSON file (schema/fund-config.schema.json), or a
                    configuration database (docs/CONFIG.md):
                      sqlite:///ABSOLUTE/PATH.db[#SERVICE]   sqlite:RELATIVE/PATH.db[#SERVICE]
                      postgresql://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=...][#SERVICE]
                    SERVICE is the Fund's name; without it the database must hold exactly one.
                    The database's schema must be the version this Fund reads (3); run
                    `fundos config init URL` to create or migrate it.
    --run-dir DIR   the run folder (created if missing)
    --resume        recover a Fund that was killed: replay DIR/journal.fj (its torn tail and
                    any step not committed whole are dropped) into the engine, then go on with
                    the next market event, appending to the same journal. The market data must
                    be the journal's, and the configuration the run's (DIR/config.json) but for
                    the values that may change while running: the journal's changes are
                    replayed, and what SOURCE holds beyond them is applied as a new change.
                    A simulation goes on with the next market event of its data; a production
                    run with the live feed, after reconciling the journal with the venue (the
                    same FIX session and run token); a paper run is not resumed.
    --quiet         no progress events

EXIT STATUS
    0 success; 1 failure while running (I/O, agents missing at start; production: no logon
    to the venue, or a reconciliation that refuses to trade); 2 bad configuration
    (including a database that cannot be read: unreachable, wrong password, old schema), bad
    input or bad usage.
)";

int usage_error(const std::string& message) {
    std::fprintf(stderr, "fund: %s\n(see fund --help)\n", message.c_str());
    return 2;
}

int cmd_run(const std::vector<std::string>& args) {
    fundos::process::RunOptions options;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        const bool has_value = i + 1 < args.size();
        if (arg == "--config" && has_value) {
            options.config_path = args[++i];
        } else if (arg == "--run-dir" && has_value) {
            options.run_dir = args[++i];
        } else if (arg == "--quiet") {
            options.quiet_progress = true;
        } else if (arg == "--resume") {
            options.resume = true;
        } else {
            return usage_error("run: unexpected argument " + arg);
        }
    }
    if (options.config_path.empty()) {
        return usage_error("run: --config SOURCE is required");
    }
    return fundos::process::run_fund(options);
}

int cmd_replay(const std::vector<std::string>& args) {
    fundos::process::ReplayOptions options;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        const bool has_value = i + 1 < args.size();
        if (arg == "--run-dir" && has_value) {
            options.run_dir = args[++i];
        } else if (arg == "--out" && has_value) {
            options.out_dir = args[++i];
        } else {
            return usage_error("replay: unexpected argument " + arg);
        }
    }
    if (options.run_dir.empty()) {
        return usage_error("replay: --run-dir DIR is required");
    }
    return fundos::process::replay_run(options);
}

int cmd_check_config(const std::vector<std::string>& args) {
    std::string path;
    std::string label;
    std::string running;
    bool print = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--print") {
            print = true;
        } else if (arg == "--label" && i + 1 < args.size()) {
            label = args[++i];
        } else if (arg == "--running" && i + 1 < args.size()) {
            running = args[++i];
        } else if (path.empty() && (!arg.starts_with("--") || arg == "-")) {
            path = arg;
        } else {
            return usage_error("check-config: unexpected argument " + arg);
        }
    }
    if (path.empty()) {
        return usage_error("check-config: SOURCE is required");
    }
    if (!label.empty() && path != "-") {
        return usage_error("check-config: --label goes with - (a document on stdin)");
    }
    fundos::runtime::LoadResult loaded;
    if (path == "-") {
        std::string text;
        char buffer[65536];
        std::size_t got = 0;
        while ((got = std::fread(buffer, 1, sizeof buffer, stdin)) > 0) {
            text.append(buffer, got);
        }
        path = label.empty() ? "<stdin>" : label;
        loaded = fundos::runtime::load_config_text(text, path, "");
    } else {
        loaded = fundos::runtime::load_config_source(path);
        path = loaded.config.source.empty() ? path : loaded.config.source;
    }
    if (!loaded.ok()) {
        std::fprintf(stderr, "fund: %s\n", loaded.error.c_str());
        return 2;
    }
    if (!running.empty()) {
        const fundos::runtime::LoadResult before = fundos::runtime::load_config(running);
        if (!before.ok()) {
            std::fprintf(stderr, "fund: --running %s\n", before.error.c_str());
            return 2;
        }
        const fundos::runtime::ConfigDiff diff = fundos::runtime::diff_config(before.config, loaded.config);
        if (!diff.ok()) {
            std::fprintf(stderr, "fund: %s: %s\n", path.c_str(), diff.error.c_str());
            return 2;
        }
        for (const fundos::runtime::ChangeLine& line : diff.lines) {
            std::fprintf(stderr, "%s: %s -> %s\n", line.path.c_str(), line.old_value.c_str(), line.new_value.c_str());
        }
    }
    if (print) {
        std::printf("%s\n", fundos::runtime::config_to_json(loaded.config).c_str());
    } else {
        std::fprintf(stderr, "%s: ok (%zu instruments, %zu agents)\n", path.c_str(), loaded.config.instruments.size(),
                     loaded.config.agents.size());
    }
    return 0;
}

int cmd_journal(const std::vector<std::string>& args) {
    std::string path;
    bool as_json = false;
    for (const std::string& arg : args) {
        if (arg == "--json") {
            as_json = true;
        } else if (path.empty() && !arg.starts_with("--")) {
            path = arg;
        } else {
            return usage_error("journal: unexpected argument " + arg);
        }
    }
    if (path.empty()) {
        return usage_error("journal: FILE is required");
    }
    fundos::runtime::JournalReader reader;
    if (const fundos::runtime::Status status = reader.open(path); !status.ok()) {
        std::fprintf(stderr, "fund: %s\n", status.message().c_str());
        return 2;
    }
    fundos::runtime::JournalRecord record;
    while (reader.next(record)) {
        const std::string text = fundos::engine::describe_record(record.type, record.payload);
        if (as_json) {
            const nlohmann::json line = {{"index", record.index},
                                         {"type", static_cast<int>(record.type)},
                                         {"text", text}};
            std::printf("%s\n", line.dump().c_str());
        } else {
            std::printf("%8llu  %s\n", static_cast<unsigned long long>(record.index), text.c_str());
        }
    }
    if (!reader.status().ok()) {
        std::fprintf(stderr, "fund: %s\n", reader.status().message().c_str());
        return 2;
    }
    if (reader.torn_tail_bytes() != 0) {
        std::fprintf(stderr, "fund: %s: the last %llu bytes are a torn record (the Fund stopped mid-write); ignored\n",
                     path.c_str(), static_cast<unsigned long long>(reader.torn_tail_bytes()));
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fputs(kUsage, stderr);
        return 2;
    }
    const std::string_view command = argv[1];
    std::vector<std::string> args(argv + 2, argv + argc);
    if (command == "--help" || command == "-h" || command == "help") {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (command == "--version") {
        std::printf("fund (FundOS) ABI %u.%u layout 0x%016llx\n", fundos::abi::ABI_VERSION_MAJOR,
                    fundos::abi::ABI_VERSION_MINOR, static_cast<unsigned long long>(fundos::abi::ABI_LAYOUT_HASH));
        return 0;
    }
    if (command == "run") {
        return cmd_run(args);
    }
    if (command == "check-config") {
        return cmd_check_config(args);
    }
    if (command == "journal") {
        return cmd_journal(args);
    }
    if (command == "replay") {
        return cmd_replay(args);
    }
    return usage_error("unknown command " + std::string(command));
}
