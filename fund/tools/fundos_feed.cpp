// fundos-feed: serve .fmd market data as a live binary feed on 127.0.0.1, and listen to one.
// See USAGE below or `fundos-feed --help`; the protocol is docs/FEED.md. Exit status: 0 success,
// 1 a failure while running (a socket), 2 a usage error or bad input (one line naming the flag
// or the file).
#include <signal.h>

#include <atomic>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fundos/feed/feed_receiver.hpp"
#include "fundos/feed/feed_server.hpp"
#include "fundos/marketdata/civil_time.hpp"
#include "fundos/marketdata/decimal.hpp"

namespace md = fundos::marketdata;
namespace feed = fundos::feed;

namespace {

constexpr const char* USAGE = R"(NAME
    fundos-feed - serve market data as a live binary feed, and listen to one

SYNOPSIS
    fundos-feed serve --data FILE.fmd [--data FILE.fmd ...] --port N [--recovery-port M]
                      [--speed 1x|10x|Nx|max] [--multicast GROUP] [--gap-rate R | --gap-every N]
                      [--duplicate-every N] [--reorder-every N] [--seed S] [--loop]
                      [--linger SECONDS] [--heartbeat-ms MS] [--session-id ID] [--max-packet BYTES]
                      [--quiet]
    fundos-feed listen --port N --recovery-port M [--multicast GROUP] [--reorder-window N]
                       [--reorder-timeout-ms MS] [--stale-after-ms MS] [--until-end]
                       [--duration SECONDS] [--json] [--quiet]
    fundos-feed --help

DESCRIPTION
    The FundOS live feed (docs/FEED.md): UDP packets of sequenced, big-endian messages declared
    in schema/abi.yaml (instrument definitions, quotes, trades, bars, heartbeats, end of
    session), and a TCP recovery channel answering snapshot requests. Everything stays on this
    host: unicast to 127.0.0.1, or a multicast group sent on the loopback interface.

    serve
        Replays the .fmd files (merged by time, as the Fund merges them) as a live feed: one
        session that defines every instrument, sends each event when it is due and ends with
        EndOfSession, then keeps sending heartbeats and answering snapshot requests until it is
        stopped (SIGINT, SIGTERM) or --linger passes; with --loop a new session follows each end.
        Prints one JSON line on stdout when ready ({"event":"ready",...,"recovery_port":M}) and one
        when done ({"event":"done",...} with its counters).

        --data FILE         an .fmd file (fundos-data makes them); repeat to merge several
        --port N            UDP port the packets go to (on 127.0.0.1, or on the group)
        --recovery-port M   TCP port on 127.0.0.1 for snapshot requests (default 0: a free port,
                            named in the ready line)
        --speed S           1x real time, 10x ten times as fast, any Nx (N a number > 0), or max
                            (as fast as the socket takes it). Default 1x
        --multicast GROUP   send to this IPv4 multicast group (e.g. 239.255.0.1) on 127.0.0.1
                            instead of unicast to 127.0.0.1
        --loop              start over (a new session id) after each end of session
        --linger SECONDS    after the end, keep heartbeating and answering this long, then exit 0
                            (default: until stopped)
        --heartbeat-ms MS   a heartbeat after MS of silence (default 250)
        --session-id ID     the first session's id (default: the wall clock in ns)
        --max-packet BYTES  largest datagram (default 1472, at least 256)
        --quiet             no messages on stderr

    Fault injection (deterministic: packets are numbered 1, 2, ... and the random draws come
    from --seed):
        --gap-rate R        drop each packet with probability R (0..1): gaps
        --gap-every N       drop every Nth packet: gaps (not with --gap-rate)
        --duplicate-every N send every Nth packet twice
        --reorder-every N   send every Nth packet after the packet that follows it
        --seed S            seed of --gap-rate's draws (default 1)

    listen
        Receives the feed as the Fund's FeedReceiver does (sequence checks, duplicates dropped,
        reordering repaired within the window, gaps recovered by a TCP snapshot) and prints each
        event, gap, recovery and staleness as it happens, then a summary with the counters and
        every instrument's latest state. The first line says where it listens (once the socket is
        bound). Stops at SIGINT or SIGTERM, after --duration, or with --until-end once the
        session has ended and nothing is missing.

        --port N            UDP port to receive on (127.0.0.1, or the group's port)
        --recovery-port M   the server's TCP recovery port (127.0.0.1)
        --multicast GROUP   join this group on 127.0.0.1 instead of unicast
        --reorder-window N  messages ahead of a hole still treated as reordering (default 64)
        --reorder-timeout-ms MS  a hole older than MS is a gap (default 20)
        --stale-after-ms MS stale after MS without a packet (default 1000)
        --until-end         exit once the session ended and nothing is pending
        --duration SECONDS  exit after SECONDS
        --json              one JSON object per line instead of text
        --quiet             no event lines (status changes and the summary still print)

EXIT STATUS
    0 success; 1 a failure while running (a socket); 2 a usage error or bad input (a missing or
    corrupt .fmd file, a bad option value), with one line naming the flag or file.

EXAMPLES
    fundos-data synth --out sample.fmd --symbols 4 --days 1
    fundos-feed serve --data sample.fmd --speed 10x --port 31001 --recovery-port 31002
    fundos-feed listen --port 31001 --recovery-port 31002
    fundos-feed serve --data sample.fmd --speed max --port 31001 --gap-every 50 --linger 5
    fundos-feed serve --data sample.fmd --port 31001 --multicast 239.255.0.1
)";

std::atomic<bool> g_stop{false};
feed::FeedServer* g_server = nullptr;

extern "C" void on_signal(int) {
    g_stop.store(true, std::memory_order_relaxed);
    if (g_server != nullptr) {
        g_server->stop();
    }
}

void install_signals() {
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
}

int usage_error(const std::string& message) {
    std::fprintf(stderr, "fundos-feed: %s (see fundos-feed --help)\n", message.c_str());
    return 2;
}

/// The options of one command: each "--name" with a value, or a flag.
class Options {
public:
    Options(int argc, char** argv, std::vector<std::string> valued, std::vector<std::string> flags)
        : valued_(std::move(valued)), flags_(std::move(flags)) {
        for (int i = 2; i < argc && error_.empty(); ++i) {
            const std::string name = argv[i];
            if (is(flags_, name)) {
                set_.emplace_back(name, "");
            } else if (is(valued_, name)) {
                if (i + 1 >= argc) {
                    error_ = name + " needs a value";
                } else {
                    set_.emplace_back(name, argv[++i]);
                }
            } else {
                error_ = name.starts_with("-") ? "unknown option " + name : "unexpected argument '" + name + "'";
            }
        }
    }

    [[nodiscard]] const std::string& error() const noexcept { return error_; }
    [[nodiscard]] bool has(const std::string& name) const {
        for (const auto& [n, v] : set_) {
            if (n == name) {
                return true;
            }
        }
        return false;
    }
    [[nodiscard]] std::optional<std::string> value(const std::string& name) const {
        std::optional<std::string> found;
        for (const auto& [n, v] : set_) {
            if (n == name) {
                found = v;
            }
        }
        return found;
    }
    [[nodiscard]] std::vector<std::string> all(const std::string& name) const {
        std::vector<std::string> out;
        for (const auto& [n, v] : set_) {
            if (n == name) {
                out.push_back(v);
            }
        }
        return out;
    }

private:
    static bool is(const std::vector<std::string>& names, const std::string& name) {
        for (const std::string& n : names) {
            if (n == name) {
                return true;
            }
        }
        return false;
    }
    std::vector<std::string> valued_;
    std::vector<std::string> flags_;
    std::vector<std::pair<std::string, std::string>> set_;
    std::string error_;
};

/// An unsigned option within [low, high]; an error message naming it otherwise.
std::string read_uint(const Options& options, const std::string& name, std::uint64_t low, std::uint64_t high,
                      std::uint64_t& out) {
    const auto text = options.value(name);
    if (!text) {
        return "";
    }
    const auto value = md::parse_u64(*text);
    if (!value || *value < low || *value > high) {
        return name + " " + *text + ": expected a whole number from " + std::to_string(low) + " to " +
               std::to_string(high);
    }
    out = *value;
    return "";
}

/// A non-negative decimal option (seconds, a rate).
std::string read_number(const Options& options, const std::string& name, double low, double high, double& out) {
    const auto text = options.value(name);
    if (!text) {
        return "";
    }
    char* end = nullptr;
    const double value = std::strtod(text->c_str(), &end);
    if (text->empty() || end != text->c_str() + text->size() || !std::isfinite(value) || value < low || value > high) {
        return name + " " + *text + ": expected a number from " + md::format_fixed(static_cast<std::int64_t>(low), 0) +
               " to " + md::format_fixed(static_cast<std::int64_t>(high), 0);
    }
    out = value;
    return "";
}

std::string multicast_group(const Options& options, std::string& address) {
    const auto group = options.value("--multicast");
    if (!group) {
        return "";
    }
    feed::Endpoint endpoint;
    if (!feed::parse_endpoint(*group, 1, "--multicast", endpoint).ok() || !feed::is_multicast(endpoint)) {
        return "--multicast " + *group + ": expected an IPv4 multicast group (224.0.0.0 to 239.255.255.255)";
    }
    address = *group;
    return "";
}

std::string symbol_of(const char (&symbol)[16]) { return {symbol, strnlen(symbol, sizeof(symbol))}; }

// ---- serve

int cmd_serve(int argc, char** argv) {
    const Options options(argc, argv,
                          {"--data", "--port", "--recovery-port", "--speed", "--multicast", "--gap-rate", "--gap-every",
                           "--duplicate-every", "--reorder-every", "--seed", "--linger", "--heartbeat-ms",
                           "--session-id", "--max-packet"},
                          {"--loop", "--quiet"});
    if (!options.error().empty()) {
        return usage_error("serve: " + options.error());
    }
    feed::FeedServerConfig config;
    config.data = options.all("--data");
    if (config.data.empty()) {
        return usage_error("serve: --data FILE is required");
    }
    if (!options.has("--port")) {
        return usage_error("serve: --port N is required");
    }
    std::uint64_t port = 0;
    std::uint64_t recovery_port = 0;
    std::uint64_t heartbeat_ms = 250;
    std::uint64_t max_packet = config.max_packet;
    double linger = -1;
    const bool quiet = options.has("--quiet");
    std::string speed_text = options.value("--speed").value_or("1x");
    for (const std::string& problem : {
             read_uint(options, "--port", 1, 65535, port),
             read_uint(options, "--recovery-port", 0, 65535, recovery_port),
             read_uint(options, "--gap-every", 1, UINT64_MAX, config.faults.gap_every),
             read_uint(options, "--duplicate-every", 1, UINT64_MAX, config.faults.duplicate_every),
             read_uint(options, "--reorder-every", 1, UINT64_MAX, config.faults.reorder_every),
             read_uint(options, "--seed", 0, UINT64_MAX, config.faults.seed),
             read_uint(options, "--heartbeat-ms", 1, 3'600'000, heartbeat_ms),
             read_uint(options, "--session-id", 1, UINT64_MAX, config.session_id),
             read_uint(options, "--max-packet", 256, 65507, max_packet),
             read_number(options, "--gap-rate", 0, 1, config.faults.gap_rate),
             read_number(options, "--linger", 0, 1e9, linger),
             multicast_group(options, config.address),
         }) {
        if (!problem.empty()) {
            return usage_error("serve: " + problem);
        }
    }
    if (options.has("--gap-rate") && options.has("--gap-every")) {
        return usage_error("serve: --gap-rate and --gap-every are two ways to make gaps; give one");
    }
    if (speed_text == "max") {
        config.max_speed = true;
    } else {
        char* end = nullptr;
        const double speed = speed_text.size() >= 2 && speed_text.back() == 'x'
                                 ? std::strtod(speed_text.c_str(), &end) : -1.0;
        if (end != speed_text.c_str() + speed_text.size() - 1 || !(speed > 0.0) || !std::isfinite(speed) || speed > 1e9) {
            return usage_error("serve: --speed " + speed_text + ": expected 1x, 10x, any Nx with N > 0, or max");
        }
        config.speed = speed;
    }
    config.port = static_cast<std::uint16_t>(port);
    config.recovery_port = static_cast<std::uint16_t>(recovery_port);
    config.heartbeat_interval_ns = heartbeat_ms * 1'000'000ULL;
    config.max_packet = max_packet;
    config.loop = options.has("--loop");
    config.linger_ns = linger < 0 ? -1 : static_cast<std::int64_t>(linger * 1e9);

    feed::FeedServer server;
    if (feed::Status s = server.open(config); !s.ok()) {
        // A missing or corrupt file, a bad address, a port in use: all are the caller's to fix.
        std::fprintf(stderr, "fundos-feed: serve: %s\n", s.message().c_str());
        return 2;
    }
    g_server = &server;
    install_signals();
    std::uint64_t events = 0;
    for (const std::string& path : config.data) {
        md::ReplayReader reader;
        if (reader.open(path).ok()) {
            events += reader.header().record_count;
        }
    }
    const std::string where = config.address + ":" + std::to_string(config.port);
    std::printf("{\"event\":\"ready\",\"address\":\"%s\",\"port\":%u,\"recovery_port\":%u,\"instruments\":%zu,"
                "\"events\":%" PRIu64 ",\"speed\":\"%s\"}\n",
                config.address.c_str(), static_cast<unsigned>(config.port), static_cast<unsigned>(server.recovery_port()),
                server.instruments().size(), events, speed_text.c_str());
    std::fflush(stdout);
    if (!quiet) {
        std::fprintf(stderr, "fundos-feed: serving %zu instruments, %" PRIu64 " events at %s to %s (UDP%s); recovery on "
                             "127.0.0.1:%u (TCP)\n",
                     server.instruments().size(), events, speed_text.c_str(), where.c_str(),
                     options.has("--multicast") ? ", multicast on 127.0.0.1" : "",
                     static_cast<unsigned>(server.recovery_port()));
    }
    const feed::Status result = server.run();
    g_server = nullptr;
    const feed::FeedServerStats& s = server.stats();
    std::printf("{\"event\":\"done\",\"sessions\":%" PRIu64 ",\"packets\":%" PRIu64 ",\"datagrams\":%" PRIu64
                ",\"messages\":%" PRIu64 ",\"market_messages\":%" PRIu64 ",\"heartbeats\":%" PRIu64
                ",\"dropped\":%" PRIu64 ",\"duplicated\":%" PRIu64 ",\"reordered\":%" PRIu64
                ",\"send_errors\":%" PRIu64 ",\"snapshots\":%" PRIu64 ",\"bad_requests\":%" PRIu64
                ",\"last_seq\":%" PRIu64 "}\n",
                s.sessions, s.packets, s.datagrams, s.messages, s.market_messages, s.heartbeats, s.dropped, s.duplicated,
                s.reordered, s.send_errors, s.snapshots, s.bad_requests, s.last_seq);
    std::fflush(stdout);
    if (!result.ok()) {
        std::fprintf(stderr, "fundos-feed: serve: %s\n", result.message().c_str());
        return 1;
    }
    return 0;
}

// ---- listen

std::string json_string(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char escaped[8];
            std::snprintf(escaped, sizeof(escaped), "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
            out += escaped;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

std::string symbol_for(const feed::FeedReceiver& receiver, std::uint32_t id) {
    for (const auto& row : receiver.latest()) {
        if (row.instrument_id == id) {
            return symbol_of(row.symbol);
        }
    }
    std::string unknown = "#";  // (not "#" + ...: GCC 12 warns falsely about that at -O2, -Wrestrict)
    unknown += std::to_string(id);
    return unknown;
}

void print_event(const feed::FeedReceiver& receiver, const md::EventRecord& e, bool json) {
    const std::string symbol = symbol_for(receiver, e.instrument_id);
    const bool recovered = (e.flags & feed::FLAG_RECOVERED) != 0;
    if (json) {
        std::printf("{\"type\":\"event\",\"kind\":\"%s\",\"seq\":%u,\"instrument_id\":%u,\"symbol\":%s,\"time\":%" PRIu64
                    ",\"period_s\":%u,\"v\":[%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 "],\"recovered\":%s}\n",
                    md::event_kind_name(e.kind), e.seq, e.instrument_id, json_string(symbol).c_str(), e.time, e.period_s,
                    e.v[0], e.v[1], e.v[2], e.v[3], e.v[4], recovered ? "true" : "false");
        return;
    }
    const std::string time = md::format_utc(e.time);
    const char* mark = recovered ? "  (recovered)" : "";
    switch (e.kind) {
        case md::EventKind::QUOTE:
            std::printf("%s  QUOTE  %-8s bid %s x %s  ask %s x %s%s\n", time.c_str(), symbol.c_str(),
                        md::format_fixed(e.v[0], 8, md::Zeros::kTrim).c_str(), md::format_fixed(e.v[2], 6, md::Zeros::kTrim).c_str(),
                        md::format_fixed(e.v[1], 8, md::Zeros::kTrim).c_str(), md::format_fixed(e.v[3], 6, md::Zeros::kTrim).c_str(), mark);
            break;
        case md::EventKind::TRADE:
            std::printf("%s  TRADE  %-8s %s x %s%s\n", time.c_str(), symbol.c_str(),
                        md::format_fixed(e.v[0], 8, md::Zeros::kTrim).c_str(), md::format_fixed(e.v[1], 6, md::Zeros::kTrim).c_str(), mark);
            break;
        case md::EventKind::BAR:
            std::printf("%s  BAR    %-8s o %s h %s l %s c %s v %s (%us)%s\n", time.c_str(), symbol.c_str(),
                        md::format_fixed(e.v[0], 8, md::Zeros::kTrim).c_str(), md::format_fixed(e.v[1], 8, md::Zeros::kTrim).c_str(),
                        md::format_fixed(e.v[2], 8, md::Zeros::kTrim).c_str(), md::format_fixed(e.v[3], 8, md::Zeros::kTrim).c_str(),
                        md::format_fixed(e.v[4], 6, md::Zeros::kTrim).c_str(), e.period_s, mark);
            break;
    }
}

void print_status(const feed::FeedStatus& status, bool json) {
    if (json) {
        std::printf("{\"type\":\"status\",\"health\":\"%s\",\"session_id\":%" PRIu64 ",\"next_seq\":%" PRIu64
                    ",\"gaps\":%" PRIu64 ",\"recoveries\":%" PRIu64 "}\n",
                    feed::to_string(status.health), status.session_id, status.next_seq, status.counters.gaps,
                    status.counters.recoveries);
    } else {
        std::printf("-- feed %s (session %" PRIu64 ", next seq %" PRIu64 ", %" PRIu64 " gaps, %" PRIu64 " recoveries)\n",
                    feed::to_string(status.health), status.session_id, status.next_seq, status.counters.gaps,
                    status.counters.recoveries);
    }
}

void print_summary(const feed::FeedReceiver& receiver, const feed::FeedStatus& status, bool json) {
    const feed::FeedCounters& c = status.counters;
    const std::pair<const char*, std::uint64_t> counters[] = {
        {"packets", c.packets}, {"bad_packets", c.bad_packets}, {"old_session_packets", c.old_session_packets},
        {"messages", c.messages}, {"applied", c.applied}, {"duplicates", c.duplicates}, {"reordered", c.reordered},
        {"gaps", c.gaps}, {"recovered_messages", c.recovered_messages}, {"recoveries", c.recoveries},
        {"recovery_failures", c.recovery_failures}, {"overflow", c.overflow}, {"unknown_messages", c.unknown_messages},
        {"unknown_instruments", c.unknown_instruments}, {"heartbeats", c.heartbeats}, {"sessions", c.sessions},
        {"stale_episodes", c.stale_episodes}, {"events", c.events},
    };
    if (json) {
        std::string line = "{\"type\":\"summary\",\"health\":\"" + std::string(feed::to_string(status.health)) +
                           "\",\"session_id\":" + std::to_string(status.session_id) +
                           ",\"next_seq\":" + std::to_string(status.next_seq) +
                           ",\"ended\":" + (receiver.ended() ? "true" : "false") + ",\"counters\":{";
        for (std::size_t i = 0; i < std::size(counters); ++i) {
            line += (i ? ",\"" : "\"") + std::string(counters[i].first) + "\":" + std::to_string(counters[i].second);
        }
        line += "},\"instruments\":[";
        bool first = true;
        for (const auto& r : receiver.latest()) {
            line += first ? "{" : ",{";
            first = false;
            line += "\"instrument_id\":" + std::to_string(r.instrument_id) + ",\"symbol\":" + json_string(symbol_of(r.symbol)) +
                    ",\"tick_size\":" + std::to_string(r.tick_size) + ",\"lot_size\":" + std::to_string(r.lot_size) +
                    ",\"quote_time\":" + std::to_string(r.quote_time) + ",\"bid\":" + std::to_string(r.bid) +
                    ",\"ask\":" + std::to_string(r.ask) + ",\"bid_size\":" + std::to_string(r.bid_size) +
                    ",\"ask_size\":" + std::to_string(r.ask_size) + ",\"trade_time\":" + std::to_string(r.trade_time) +
                    ",\"last_price\":" + std::to_string(r.last_price) + ",\"last_size\":" + std::to_string(r.last_size) +
                    ",\"bar_end_time\":" + std::to_string(r.bar_end_time) +
                    ",\"bar_interval\":" + std::to_string(r.bar_interval) + ",\"bar_open\":" + std::to_string(r.bar_open) +
                    ",\"bar_high\":" + std::to_string(r.bar_high) + ",\"bar_low\":" + std::to_string(r.bar_low) +
                    ",\"bar_close\":" + std::to_string(r.bar_close) + ",\"bar_volume\":" + std::to_string(r.bar_volume) + "}";
        }
        line += "]}";
        std::printf("%s\n", line.c_str());
        return;
    }
    std::printf("-- summary: feed %s, session %" PRIu64 ", next seq %" PRIu64 "%s\n", feed::to_string(status.health),
                status.session_id, status.next_seq, receiver.ended() ? ", session ended" : "");
    for (const auto& [name, value] : counters) {
        std::printf("   %-20s %" PRIu64 "\n", name, value);
    }
    for (const auto& r : receiver.latest()) {
        std::printf("   %-8s last %s  bid %s  ask %s  bar close %s\n", symbol_of(r.symbol).c_str(),
                    md::format_fixed(r.last_price, 8, md::Zeros::kTrim).c_str(), md::format_fixed(r.bid, 8, md::Zeros::kTrim).c_str(),
                    md::format_fixed(r.ask, 8, md::Zeros::kTrim).c_str(), md::format_fixed(r.bar_close, 8, md::Zeros::kTrim).c_str());
    }
}

int cmd_listen(int argc, char** argv) {
    const Options options(argc, argv,
                          {"--port", "--recovery-port", "--multicast", "--reorder-window", "--reorder-timeout-ms",
                           "--stale-after-ms", "--duration"},
                          {"--until-end", "--json", "--quiet"});
    if (!options.error().empty()) {
        return usage_error("listen: " + options.error());
    }
    if (!options.has("--port") || !options.has("--recovery-port")) {
        return usage_error("listen: --port N and --recovery-port M are required");
    }
    feed::FeedReceiverConfig config;
    std::uint64_t port = 0;
    std::uint64_t recovery_port = 0;
    std::uint64_t window = config.reorder_window;
    std::uint64_t reorder_ms = config.reorder_timeout_ns / 1'000'000;
    std::uint64_t stale_ms = config.stale_after_ns / 1'000'000;
    double duration = -1;
    for (const std::string& problem : {
             read_uint(options, "--port", 1, 65535, port),
             read_uint(options, "--recovery-port", 1, 65535, recovery_port),
             read_uint(options, "--reorder-window", 0, 1 << 20, window),
             read_uint(options, "--reorder-timeout-ms", 1, 3'600'000, reorder_ms),
             read_uint(options, "--stale-after-ms", 1, 3'600'000, stale_ms),
             read_number(options, "--duration", 0, 1e9, duration),
             multicast_group(options, config.address),
         }) {
        if (!problem.empty()) {
            return usage_error("listen: " + problem);
        }
    }
    config.port = static_cast<std::uint16_t>(port);
    config.recovery_port = static_cast<std::uint16_t>(recovery_port);
    config.reorder_window = static_cast<std::uint32_t>(window);
    config.pending_capacity = std::max<std::size_t>(config.pending_capacity, window + 2);
    config.reorder_timeout_ns = reorder_ms * 1'000'000ULL;
    config.stale_after_ns = stale_ms * 1'000'000ULL;
    const bool json = options.has("--json");
    const bool quiet = options.has("--quiet");
    const bool until_end = options.has("--until-end");

    feed::FeedReceiver receiver;
    if (feed::Status s = receiver.open(config); !s.ok()) {
        std::fprintf(stderr, "fundos-feed: listen: %s\n", s.message().c_str());
        return 2;
    }
    install_signals();
    if (json) {
        std::printf("{\"type\":\"listening\",\"address\":%s,\"port\":%u,\"recovery_port\":%u}\n",
                    json_string(config.address).c_str(), static_cast<unsigned>(receiver.port()),
                    static_cast<unsigned>(config.recovery_port));
    } else {
        std::printf("-- listening on %s:%u (UDP), recovery from 127.0.0.1:%u (TCP)\n", config.address.c_str(),
                    static_cast<unsigned>(receiver.port()), static_cast<unsigned>(config.recovery_port));
    }
    std::fflush(stdout);
    const std::uint64_t start = feed::monotonic_ns();
    const std::uint64_t deadline =
        duration < 0 ? UINT64_MAX : start + static_cast<std::uint64_t>(duration * 1e9);
    feed::FeedHealth shown = feed::FeedHealth::WAITING;
    md::EventRecord event;
    while (!g_stop.load(std::memory_order_relaxed)) {
        const std::uint64_t now = feed::monotonic_ns();
        receiver.poll(now);
        while (receiver.next(event)) {
            if (!quiet) {
                print_event(receiver, event, json);
            }
        }
        const feed::FeedStatus status = receiver.status(now);
        if (status.health != shown) {
            print_status(status, json);
            shown = status.health;
        }
        std::fflush(stdout);
        if (now >= deadline) {
            break;
        }
        if (until_end && receiver.ended() && status.health == feed::FeedHealth::ENDED && status.pending == 0) {
            break;
        }
        receiver.wait(std::min<std::uint64_t>(deadline - now, 50'000'000ULL));
    }
    print_summary(receiver, receiver.status(feed::monotonic_ns()), json);
    std::fflush(stdout);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        return usage_error("a command is needed: serve or listen");
    }
    const std::string command = argv[1];
    if (command == "--help" || command == "-h" || command == "help") {
        std::fputs(USAGE, stdout);
        return 0;
    }
    for (int i = 2; i < argc; ++i) {
        if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
            std::fputs(USAGE, stdout);
            return 0;
        }
    }
    if (command == "serve") {
        return cmd_serve(argc, argv);
    }
    if (command == "listen") {
        return cmd_listen(argc, argv);
    }
    return usage_error("unknown command '" + command + "' (expected serve or listen)");
}
