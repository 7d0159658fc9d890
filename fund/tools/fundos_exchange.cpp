// fundos-exchange: the bundled exchange simulator, a FIX 4.4 acceptor with a price-time matching
// engine fed by the FundOS live feed. See USAGE below or `fundos-exchange --help`; docs/FIX.md.
// Exit status: 0 stopped by a signal, 1 a failure while running, 2 a usage error or bad input.
#include <signal.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "fundos/fix/exchange.hpp"
#include "fundos/marketdata/decimal.hpp"

namespace {

constexpr const char* USAGE = R"(NAME
    fundos-exchange - a local exchange simulator: FIX 4.4 acceptor and price-time matching engine

SYNOPSIS
    fundos-exchange --feed-port N (--data FILE.fmd ... [--speed 1x|Nx|max] [--loop] |
                    --recovery-port M) [--multicast GROUP] [--fix-port P] [--comp-id ID]
                    [--client ID ...] [--mode immediate|partial|delayed|reject|disconnect]
                    [--pieces N] [--delay-ms MS] [--disconnect-every N] [--log-dir DIR] [--quiet]
    fundos-exchange --help

DESCRIPTION
    Accepts FIX 4.4 sessions (QuickFIX) from the CompIDs given with --client and matches their
    orders against the FundOS live feed (docs/FEED.md), the same market data the Fund sees.
    Orders rest in a per-symbol book in price-time priority: a buy fills at the ask once the ask
    is at or below its limit (a market order at any ask), a sell at the bid; a trade print fills
    the resting limits it reaches at their limit. Liquidity at the touch is unlimited; --mode
    decides how orders fill. IOC and FOK orders fill in full on arrival when marketable, else
    they are canceled.

    It takes NewOrderSingle (D), OrderCancelRequest (F), OrderCancelReplaceRequest (G),
    OrderMassStatusRequest (AF: one ExecutionReport per working order) and RequestForPositions
    (AN: RequestForPositionsAck and one PositionReport per symbol held by the account), and sends
    ExecutionReport (8) and OrderCancelReject (9). Positions are kept per Account. Nothing is
    written to disk (sequence numbers live in memory) unless --log-dir is given.

    Prints one JSON line on stdout when ready: {"event":"ready","fix_port":P,...}, and one with
    its counters when it stops (SIGINT, SIGTERM).

    Market data
        --feed-port N        UDP port of the feed (on 127.0.0.1, or of the multicast group)
        --recovery-port M    the feed server's TCP recovery port (when the feed runs elsewhere)
        --multicast GROUP    the feed's IPv4 multicast group on 127.0.0.1 (239.255.0.1 by default
                             with --data, so the Fund can join the same feed)
        --data FILE          run the feed too: replay this .fmd file (repeat to merge several),
                             as `fundos-feed serve` does, to GROUP:N on 127.0.0.1
        --speed S            with --data: 1x real time, Nx, or max (default 1x)
        --loop               with --data: start over after each end of session

    FIX
        --fix-port P         TCP port to accept on (default 0: a free one, named in the ready
                             line). QuickFIX 1.15 listens on every interface; use it on loopback.
        --comp-id ID         the exchange's CompID (default FUNDOS-EX)
        --client ID          a CompID allowed to log on (repeat; default FUND)
        --log-dir DIR        write QuickFIX's message log there

    Fill modes
        --mode immediate     fill everything at once when marketable (default)
        --mode partial       fill in --pieces fills (default 3; each rounded up to whole lots),
                             one per later market event
        --mode delayed       acknowledge at once, fill no sooner than --delay-ms (default 200)
        --mode reject        reject every new order (ExecType 8, with a reason in Text)
        --mode disconnect    as immediate, and drop the FIX session (no Logout) after every
                             --disconnect-every application messages received (default 5): the
                             reports due meanwhile are resent when the client logs on again
        --quiet              no messages on stderr

EXIT STATUS
    0 stopped by SIGINT or SIGTERM; 1 a failure while running; 2 a usage error or bad input (a
    missing .fmd file, a port in use, a bad option), with one line naming the flag or file.

EXAMPLES
    fundos-data synth --out sample.fmd --symbols 4 --days 1
    fundos-exchange --data sample.fmd --speed 10x --feed-port 31001 --fix-port 9878
    fundos-exchange --feed-port 31001 --recovery-port 31002 --multicast 239.255.0.1 --mode partial
)";

std::atomic<bool> g_stop{false};
fundos::fix::Exchange* g_exchange = nullptr;

extern "C" void on_signal(int) {
    g_stop.store(true, std::memory_order_relaxed);
    if (g_exchange != nullptr) {
        g_exchange->stop();
    }
}

int usage_error(const std::string& message) {
    std::fprintf(stderr, "fundos-exchange: %s (see fundos-exchange --help)\n", message.c_str());
    return 2;
}

bool is_one_of(const std::string& name, std::initializer_list<const char*> names) {
    for (const char* n : names) {
        if (name == n) {
            return true;
        }
    }
    return false;
}

std::optional<std::uint64_t> whole(const std::string& text, std::uint64_t low, std::uint64_t high) {
    const auto value = fundos::marketdata::parse_u64(text);
    if (!value || *value < low || *value > high) {
        return std::nullopt;
    }
    return value;
}

}  // namespace

int main(int argc, char** argv) {
    namespace fix = fundos::fix;
    fix::ExchangeConfig config;
    config.clients.clear();
    std::vector<std::string> data;
    std::string speed = "1x";
    std::optional<std::string> multicast;
    std::optional<std::uint64_t> feed_port;
    std::optional<std::uint64_t> recovery_port;
    bool loop = false;
    bool quiet = false;
    for (int i = 1; i < argc; ++i) {
        const std::string name = argv[i];
        if (name == "--help" || name == "-h") {
            std::fputs(USAGE, stdout);
            return 0;
        }
        if (name == "--loop") {
            loop = true;
            continue;
        }
        if (name == "--quiet") {
            quiet = true;
            continue;
        }
        if (!is_one_of(name, {"--feed-port", "--recovery-port", "--multicast", "--data", "--speed", "--fix-port",
                              "--comp-id", "--client", "--log-dir", "--mode", "--pieces", "--delay-ms",
                              "--disconnect-every"})) {
            return usage_error(name.starts_with("-") ? "unknown option " + name : "unexpected argument '" + name + "'");
        }
        if (i + 1 >= argc) {
            return usage_error(name + " needs a value");
        }
        const std::string value = argv[++i];
        const auto port = [&](std::uint64_t low) -> std::optional<std::uint64_t> { return whole(value, low, 65535); };
        if (name == "--feed-port") {
            if (!(feed_port = port(1))) {
                return usage_error("--feed-port " + value + ": expected a port from 1 to 65535");
            }
        } else if (name == "--recovery-port") {
            if (!(recovery_port = port(1))) {
                return usage_error("--recovery-port " + value + ": expected a port from 1 to 65535");
            }
        } else if (name == "--fix-port") {
            const auto p = port(0);
            if (!p) {
                return usage_error("--fix-port " + value + ": expected a port from 0 to 65535");
            }
            config.fix_port = static_cast<std::uint16_t>(*p);
        } else if (name == "--multicast") {
            multicast = value;
        } else if (name == "--data") {
            data.push_back(value);
        } else if (name == "--speed") {
            speed = value;
        } else if (name == "--comp-id") {
            config.comp_id = value;
        } else if (name == "--client") {
            config.clients.push_back(value);
        } else if (name == "--log-dir") {
            config.log_dir = value;
        } else if (name == "--mode") {
            const std::pair<const char*, fix::FillMode> modes[] = {
                {"immediate", fix::FillMode::kImmediate}, {"partial", fix::FillMode::kPartial},
                {"delayed", fix::FillMode::kDelayed},     {"reject", fix::FillMode::kReject},
                {"disconnect", fix::FillMode::kDisconnect}};
            bool found = false;
            for (const auto& [text, mode] : modes) {
                if (value == text) {
                    config.book.mode = mode;
                    found = true;
                }
            }
            if (!found) {
                return usage_error("--mode " + value + ": expected immediate, partial, delayed, reject or disconnect");
            }
        } else if (name == "--pieces") {
            const auto n = whole(value, 2, 1000);
            if (!n) {
                return usage_error("--pieces " + value + ": expected a whole number from 2 to 1000");
            }
            config.book.pieces = static_cast<std::uint32_t>(*n);
        } else if (name == "--delay-ms") {
            const auto n = whole(value, 0, 3'600'000);
            if (!n) {
                return usage_error("--delay-ms " + value + ": expected a whole number from 0 to 3600000");
            }
            config.book.delay_ns = *n * 1'000'000ULL;
        } else if (name == "--disconnect-every") {
            const auto n = whole(value, 1, 1'000'000);
            if (!n) {
                return usage_error("--disconnect-every " + value + ": expected a whole number from 1 to 1000000");
            }
            config.book.disconnect_every = *n;
        }
    }
    if (!feed_port) {
        return usage_error("--feed-port N is required (the feed's UDP port)");
    }
    if (data.empty() && !recovery_port) {
        return usage_error("give --data FILE (run the feed here) or --recovery-port M (the feed runs elsewhere)");
    }
    if (!data.empty() && recovery_port) {
        return usage_error("--recovery-port is for a feed that runs elsewhere; with --data the exchange runs it");
    }
    if (data.empty() && (loop || speed != "1x")) {
        return usage_error("--speed and --loop need --data");
    }
    if (config.clients.empty()) {
        config.clients.push_back("FUND");
    }
    config.market.port = static_cast<std::uint16_t>(*feed_port);
    config.market.recovery_port = recovery_port ? static_cast<std::uint16_t>(*recovery_port) : 0;
    if (!data.empty() && !multicast) {
        multicast = "239.255.0.1";  // the exchange and the Fund both listen: unicast reaches one
    }
    if (multicast) {
        config.market.address = *multicast;
    }
    if (!data.empty()) {
        fundos::feed::FeedServerConfig serve;
        serve.data = data;
        serve.address = *multicast;
        serve.port = config.market.port;
        serve.loop = loop;
        if (speed == "max") {
            serve.max_speed = true;
        } else {
            char* end = nullptr;
            const double value = speed.size() >= 2 && speed.back() == 'x' ? std::strtod(speed.c_str(), &end) : -1.0;
            if (end != speed.c_str() + speed.size() - 1 || !(value > 0.0) || value > 1e9) {
                return usage_error("--speed " + speed + ": expected 1x, 10x, any Nx with N > 0, or max");
            }
            serve.speed = value;
        }
        config.serve = serve;
    }

    fix::Exchange exchange;
    std::string error;
    if (!exchange.open(config, error)) {
        std::fprintf(stderr, "fundos-exchange: %s\n", error.c_str());
        return 2;
    }
    g_exchange = &exchange;
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    std::printf("{\"event\":\"ready\",\"fix_port\":%u,\"comp_id\":\"%s\",\"feed_port\":%u,\"recovery_port\":%u,"
                "\"mode\":\"%s\"}\n",
                static_cast<unsigned>(exchange.fix_port()), config.comp_id.c_str(),
                static_cast<unsigned>(config.market.port),
                static_cast<unsigned>(config.serve ? exchange.recovery_port() : config.market.recovery_port),
                fix::to_string(config.book.mode));
    std::fflush(stdout);
    if (!quiet) {
        std::fprintf(stderr, "fundos-exchange: FIX 4.4 on port %u as %s, mode %s\n",
                     static_cast<unsigned>(exchange.fix_port()), config.comp_id.c_str(),
                     fix::to_string(config.book.mode));
    }
    const bool ok = exchange.run(error);
    g_exchange = nullptr;
    const fix::ExchangeStats s = exchange.stats();
    std::printf("{\"event\":\"done\",\"orders\":%" PRIu64 ",\"fills\":%" PRIu64 ",\"rejects\":%" PRIu64
                ",\"cancels\":%" PRIu64 ",\"replaces\":%" PRIu64 ",\"cancel_rejects\":%" PRIu64
                ",\"duplicates\":%" PRIu64 ",\"disconnects\":%" PRIu64 ",\"market_events\":%" PRIu64
                ",\"messages_in\":%" PRIu64 ",\"messages_out\":%" PRIu64 ",\"logons\":%" PRIu64 "}\n",
                s.book.orders, s.book.fills, s.book.rejects, s.book.cancels, s.book.replaces, s.book.cancel_rejects,
                s.book.duplicates, s.book.disconnects, s.market_events, s.messages_in, s.messages_out, s.logons);
    std::fflush(stdout);
    if (!ok) {
        std::fprintf(stderr, "fundos-exchange: %s\n", error.c_str());
        return 1;
    }
    return 0;
}
