// fundos-transport-host: the Fund's transport alone, for tests and benchmarks driven from Python.
//
// Usage:
//   fundos-transport-host --run-dir DIR --agents ID[,ID...] [options]
//
//   --run-dir DIR          created with mode 0750; the socket is DIR/fund.sock (required)
//   --agents ID[,ID...]    configured agent ids, non-zero, at most 32; slot = position (required)
//   --allow-uid UID        peer uid allowed for every agent; repeatable (default: this process's uid)
//   --allow-gid GID        peer gid allowed for every agent; repeatable (default: any gid)
//   --lease-ms N           heartbeat lease in ms (default 1000)
//   --instruments N        synthetic instruments 1..N, 0..64 (default 4): id i, symbol "SYMi",
//                          TRADING, tick_size 1000000 (0.01), lot_size 1 (raw, 10^-6 units),
//                          last = i*100.00, bid = last - 0.01, ask = last + 0.01
//   --mode pingpong|stream pingpong (default): snapshot 1 is published before "ready"; after
//                          every intent taken from a ring its report is written and the next
//                          snapshot published at once, then the intent line is printed.
//                          stream: a snapshot every --publish-us (prices walk by one tick), and
//                          every intent is reported as it arrives.
//   --publish-us N         stream mode publish period in microseconds (default 1000)
//   --max-seq-lag N        an intent may answer a snapshot at most N older than the latest (default 16)
//   --handshake-ms N       a connection that sends no AttachRequest within N ms is refused (default 1000)
//   --intent-events all|rejected|none   which "intent" lines to print (default all)
//   --spin-us N            keep busy-polling the rings for N us after the last intent (default 2000);
//                          idle, the host sleeps in ppoll on its sockets up to --idle-us
//   --idle-us N            longest idle sleep in microseconds (default 1000)
//   --no-futex-wake        do not FUTEX_WAKE after a publish (for busy-polling benchmarks)
//
// Output: one JSON object per line on stdout for every event, flushed at once. Every line has
// "event" and "t_ns" (the host's CLOCK_MONOTONIC, ns). Fields per event:
//
//   ready        pid, socket, run_dir, mode, abi ("1.1"), layout_hash ("0x..."), agents [ids],
//                instruments, lease_ms, max_seq_lag, publish_us, snapshot_seq (latest published),
//                snapshot_region_size, intent_region_size, report_region_size.
//                Printed once the socket is listening and snapshot 1 is published.
//   attached     agent, slot, generation, abi_minor (negotiated), pid, uid, gid (SO_PEERCRED)
//   refused      agent (requested id; 0 if unreadable), status (AttachStatus name), status_code,
//                message (as sent in AttachReply.message), agent_abi ("M.m"; "" if unreadable),
//                pid, uid, gid
//   intent       agent, slot, generation, report (report ring position), intent_id, kind (name,
//                or "UNKNOWN"), kind_code, snapshot_seq (the one the intent answers),
//                result ("accepted" | "rejected"), reason (RejectReason name, "NONE" if accepted),
//                latest_seq (newest snapshot after handling it: pingpong publishes one per intent)
//   quarantined  agent, slot, generation, reason ("CORRUPT_SLOT"), position, index, commit
//                (the consumer position, ring index and impossible commit value found)
//   late         agent, slot, generation, silent_ms, lease_ms
//   recovered    agent, slot, generation
//   dead         agent, slot, generation, reason ("hangup")
//   detached     agent, slot, generation, reason ("hangup" | "shutdown"): regions unmapped, fds closed
//   stopped      signal ("SIGTERM" | "SIGINT"), snapshots, intents, accepted, rejected, quarantined
//   error        message; the host then exits 1 (startup failures)
//
// Exit status: 0 after SIGTERM/SIGINT (everything closed, socket file removed), 1 on a startup
// error, 2 on a usage error.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "fundos/abi.hpp"
#include "fundos/concurrent/seqlock.hpp"
#include "fundos/transport/regions.hpp"
#include "fundos/transport/transport.hpp"

namespace {

using namespace fundos;

volatile sig_atomic_t g_signal = 0;

void on_signal(int sig) { g_signal = sig; }

std::uint64_t realtime_ns() {
    struct timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

/// One JSON line, built in a fixed buffer (no allocation), written and flushed by emit().
class Line {
public:
    explicit Line(const char* event) {
        raw("{\"event\":\"");
        raw(event);
        raw("\"");
        num("t_ns", transport::monotonic_ns());
    }

    Line& num(const char* key, std::uint64_t value) {
        char text[32];
        std::snprintf(text, sizeof(text), "%" PRIu64, value);
        return field(key, text);
    }

    Line& str(const char* key, const char* value) {
        key_only(key);
        raw("\"");
        for (const char* p = value; *p != '\0'; ++p) {
            const auto c = static_cast<unsigned char>(*p);
            if (c == '"' || c == '\\') {
                const char esc[3] = {'\\', static_cast<char>(c), '\0'};
                raw(esc);
            } else if (c < 0x20 || c >= 0x7F) {
                char esc[8];
                std::snprintf(esc, sizeof(esc), "\\u%04x", c);
                raw(esc);
            } else {
                const char one[2] = {static_cast<char>(c), '\0'};
                raw(one);
            }
        }
        raw("\"");
        return *this;
    }

    /// `json` is already valid JSON (a number list, ...).
    Line& field(const char* key, const char* json) {
        key_only(key);
        raw(json);
        return *this;
    }

    void emit() {
        raw("}\n");
        std::fwrite(buffer_, 1, size_, stdout);
        std::fflush(stdout);
    }

private:
    void key_only(const char* key) {
        raw(",\"");
        raw(key);
        raw("\":");
    }
    void raw(const char* text) {
        const std::size_t len = std::strlen(text);
        const std::size_t room = sizeof(buffer_) - 3 - size_;  // keep room for "}\n"
        const std::size_t take = len < room ? len : room;
        std::memcpy(buffer_ + size_, text, take);
        size_ += take;
    }

    char buffer_[4096];
    std::size_t size_ = 0;
};

struct Options {
    std::string run_dir;
    std::vector<std::uint32_t> agents;
    std::vector<std::uint32_t> uids;
    std::vector<std::uint32_t> gids;
    std::uint64_t lease_ms = 1000;
    std::uint32_t instruments = 4;
    bool pingpong = true;
    std::uint64_t publish_us = 1000;
    std::uint64_t max_seq_lag = 16;
    std::uint64_t handshake_ms = 1000;
    int intent_events = 2;  // 2 all, 1 rejected, 0 none
    std::uint64_t spin_us = 2000;
    std::uint64_t idle_us = 1000;
    bool futex_wake = true;
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr,
                 "fundos-transport-host: %s\n"
                 "usage: fundos-transport-host --run-dir DIR --agents ID[,ID...] [--allow-uid UID]... "
                 "[--allow-gid GID]... [--lease-ms N] [--instruments N] [--mode pingpong|stream] "
                 "[--publish-us N] [--max-seq-lag N] [--handshake-ms N] [--intent-events all|rejected|none] "
                 "[--spin-us N] [--idle-us N] [--no-futex-wake]\n",
                 why);
    std::exit(2);
}

std::uint64_t parse_number(const char* option, const char* text, std::uint64_t max) {
    if (text == nullptr || *text == '\0') {
        usage((std::string(option) + " needs a number").c_str());
    }
    char* end = nullptr;
    errno = 0;
    const unsigned long long value = std::strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || text[0] == '-' || value > max) {
        usage((std::string(option) + ": not a number in range: " + text).c_str());
    }
    return value;
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= argc) {
                usage((arg + " needs a value").c_str());
            }
            return argv[++i];
        };
        if (arg == "--run-dir") {
            o.run_dir = value();
        } else if (arg == "--agents") {
            std::string list = value();
            std::size_t start = 0;
            while (start <= list.size()) {
                const std::size_t comma = list.find(',', start);
                const std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
                const auto id = static_cast<std::uint32_t>(parse_number("--agents", item.c_str(), UINT32_MAX));
                if (id == 0) {
                    usage("--agents: ids are not 0");
                }
                for (const std::uint32_t seen : o.agents) {
                    if (seen == id) {
                        usage("--agents: duplicate id");
                    }
                }
                o.agents.push_back(id);
                if (comma == std::string::npos) {
                    break;
                }
                start = comma + 1;
            }
        } else if (arg == "--allow-uid") {
            o.uids.push_back(static_cast<std::uint32_t>(parse_number("--allow-uid", value(), UINT32_MAX)));
        } else if (arg == "--allow-gid") {
            o.gids.push_back(static_cast<std::uint32_t>(parse_number("--allow-gid", value(), UINT32_MAX)));
        } else if (arg == "--lease-ms") {
            o.lease_ms = parse_number("--lease-ms", value(), 86'400'000);
        } else if (arg == "--instruments") {
            o.instruments = static_cast<std::uint32_t>(parse_number("--instruments", value(), abi::MAX_INSTRUMENTS));
        } else if (arg == "--mode") {
            const std::string mode = value();
            if (mode != "pingpong" && mode != "stream") {
                usage("--mode is pingpong or stream");
            }
            o.pingpong = mode == "pingpong";
        } else if (arg == "--publish-us") {
            o.publish_us = parse_number("--publish-us", value(), 60'000'000);
            if (o.publish_us == 0) {
                usage("--publish-us must be > 0");
            }
        } else if (arg == "--max-seq-lag") {
            o.max_seq_lag = parse_number("--max-seq-lag", value(), UINT32_MAX);
        } else if (arg == "--handshake-ms") {
            o.handshake_ms = parse_number("--handshake-ms", value(), 3'600'000);
        } else if (arg == "--intent-events") {
            const std::string which = value();
            if (which == "all") {
                o.intent_events = 2;
            } else if (which == "rejected") {
                o.intent_events = 1;
            } else if (which == "none") {
                o.intent_events = 0;
            } else {
                usage("--intent-events is all, rejected or none");
            }
        } else if (arg == "--spin-us") {
            o.spin_us = parse_number("--spin-us", value(), 60'000'000);
        } else if (arg == "--idle-us") {
            o.idle_us = parse_number("--idle-us", value(), 1'000'000);
        } else if (arg == "--no-futex-wake") {
            o.futex_wake = false;
        } else if (arg == "--help" || arg == "-h") {
            usage("help");
        } else {
            usage(("unknown option " + arg).c_str());
        }
    }
    if (o.run_dir.empty()) {
        usage("--run-dir is required");
    }
    if (o.agents.empty() || o.agents.size() > abi::MAX_AGENTS) {
        usage("--agents needs 1 to 32 ids");
    }
    if (o.uids.empty()) {
        o.uids.push_back(::getuid());
    }
    return o;
}

/// Prints every transport event as a JSON line.
class Printer final : public transport::TransportEvents {
public:
    std::uint64_t quarantined = 0;

    static void agent_fields(Line& line, const transport::AgentView& a) {
        line.num("agent", a.agent_id).num("slot", a.slot).num("generation", a.generation);
    }
    void on_attached(const transport::AgentView& a, std::uint16_t minor) override {
        Line line("attached");
        agent_fields(line, a);
        line.num("abi_minor", minor).num("pid", static_cast<std::uint64_t>(a.peer.pid)).num("uid", a.peer.uid).num("gid", a.peer.gid);
        line.emit();
    }
    void on_refused(const transport::AttachDecision& d, const abi::AttachRequest* request,
                    const transport::PeerCredentials& peer) override {
        Line line("refused");
        line.num("agent", d.agent_id);
        const char* name = abi::to_string(d.status);
        line.str("status", name != nullptr ? name : "UNKNOWN").num("status_code", static_cast<std::uint64_t>(d.status));
        line.str("message", d.message);
        char version[16] = "";
        if (request != nullptr) {
            std::snprintf(version, sizeof(version), "%u.%u", static_cast<unsigned>(request->abi_major),
                          static_cast<unsigned>(request->abi_minor));
        }
        line.str("agent_abi", version);
        line.num("pid", static_cast<std::uint64_t>(peer.pid)).num("uid", peer.uid).num("gid", peer.gid);
        line.emit();
    }
    void on_quarantined(const transport::AgentView& a, abi::RejectReason reason, const transport::RingFault& f) override {
        ++quarantined;
        Line line("quarantined");
        agent_fields(line, a);
        line.str("reason", abi::to_string(reason)).num("position", f.position).num("index", f.index).num("commit", f.commit);
        line.emit();
    }
    void on_late(const transport::AgentView& a, std::uint64_t silent_ns) override {
        Line line("late");
        agent_fields(line, a);
        line.num("silent_ms", silent_ns / 1'000'000).num("lease_ms", lease_ms);
        line.emit();
    }
    void on_recovered(const transport::AgentView& a) override {
        Line line("recovered");
        agent_fields(line, a);
        line.emit();
    }
    void on_dead(const transport::AgentView& a) override {
        Line line("dead");
        agent_fields(line, a);
        line.str("reason", "hangup");
        line.emit();
    }
    void on_detached(const transport::AgentView& a, const char* why) override {
        Line line("detached");
        agent_fields(line, a);
        line.str("reason", why);
        line.emit();
    }

    std::uint64_t lease_ms = 0;
};

void print_intent(const transport::IntentOutcome& out, abi::Sequence latest) {
    Line line("intent");
    Printer::agent_fields(line, out.agent);
    const char* kind = abi::to_string(out.record.kind);
    const bool accepted = out.reason == abi::RejectReason::NONE;
    line.num("report", out.report_number)
        .num("intent_id", out.record.intent_id)
        .str("kind", kind != nullptr ? kind : "UNKNOWN")
        .num("kind_code", static_cast<std::uint64_t>(out.record.kind))
        .num("snapshot_seq", out.record.snapshot_seq)
        .str("result", accepted ? "accepted" : "rejected")
        .str("reason", abi::to_string(out.reason))
        .num("latest_seq", latest);
    line.emit();
}

/// Whether `slot`'s intent ring may hold something for process_one(): its next slot's commit is
/// not the "nothing new" value at the consumer's position (docs/TRANSPORT.md, "Intents"). A hint
/// that keeps the clock reads and the call out of the empty busy-polling rounds, nothing more:
/// process_one() loads the commit again and decides (an impossible value goes there as well, to
/// be quarantined).
bool ring_may_have_work(const transport::FundTransport& fund, std::uint16_t slot) {
    if (!fund.attached(slot)) {
        return false;
    }
    const transport::AgentLink& link = fund.link(slot);
    if (link.quarantined()) {
        return false;
    }
    const abi::Sequence q = link.intents_consumed();
    const abi::IntentRecord& next = link.intent_region()->ring[q & (abi::INTENT_RING_SLOTS - 1)];
    // SYNC POINT: none; process_one() makes the acquire load the protocol needs.
    const abi::Sequence commit = concurrent::shared_word(next.commit).load(std::memory_order_relaxed);
    const abi::Sequence nothing_new = q >= abi::INTENT_RING_SLOTS ? q + 1 - abi::INTENT_RING_SLOTS : 0;
    return commit != nothing_new;
}

void fill_instruments(abi::FundState& state, std::uint32_t count) {
    state.mode = abi::Mode::SIMULATION;
    state.trading_state = abi::TradingState::ACTIVE;
    state.nav = 1'000'000'000'000'000;  // 10^9 in 10^-6 units
    state.cash = state.nav;
    state.instrument_count = static_cast<std::uint16_t>(count);
    for (std::uint32_t i = 0; i < count; ++i) {
        abi::InstrumentEntry& e = state.instruments[i];
        e.instrument_id = i + 1;
        e.status = abi::InstrumentStatus::TRADING;
        e.trading_state = abi::TradingState::ACTIVE;
        std::snprintf(e.symbol, sizeof(e.symbol), "SYM%u", i + 1);  // NUL-padded (zeroed state)
        e.tick_size = 1'000'000;
        e.lot_size = 1;
        e.last = static_cast<abi::Price>(i + 1) * 10'000'000'000LL;
        e.bid = e.last - e.tick_size;
        e.ask = e.last + e.tick_size;
        e.bid_size = e.ask_size = 100'000'000;
        e.last_size = 1'000'000;
    }
}

/// Stream mode: every price walks by one tick, deterministically.
void walk_prices(abi::FundState& state, std::uint64_t& rng, std::uint64_t now_ns) {
    for (std::uint32_t i = 0; i < state.instrument_count; ++i) {
        abi::InstrumentEntry& e = state.instruments[i];
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        const abi::Price step = ((rng >> 33) & 1U) != 0 ? e.tick_size : -e.tick_size;
        if (e.last + step > 2 * e.tick_size) {
            e.last += step;
        }
        e.bid = e.last - e.tick_size;
        e.ask = e.last + e.tick_size;
        e.quote_time = now_ns;
        e.session_volume += e.last_size;
    }
}

}  // namespace

int main(int argc, char** argv) {
    const Options o = parse(argc, argv);

    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: ppoll returns EINTR at once
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGINT, &sa, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    transport::TransportConfig config;
    config.run_dir = o.run_dir;
    for (const std::uint32_t id : o.agents) {
        config.agents.push_back({id, o.uids, o.gids, ~0ULL});
    }
    config.lease_ns = o.lease_ms * 1'000'000ULL;
    config.max_snapshot_lag = o.max_seq_lag;
    config.handshake_timeout_ns = o.handshake_ms * 1'000'000ULL;
    config.futex_wake = o.futex_wake;

    Printer printer;
    printer.lease_ms = o.lease_ms;
    auto fund = std::make_unique<transport::FundTransport>();
    if (const int rc = fund->start(config, &printer); rc != 0) {
        Line line("error");
        line.str("message", (std::string("cannot start the transport in ") + o.run_dir + ": " + std::strerror(-rc)).c_str());
        line.emit();
        return 1;
    }
    fill_instruments(fund->state(), o.instruments);
    fund->publish(realtime_ns());

    {
        std::string agents = "[";
        for (std::size_t i = 0; i < o.agents.size(); ++i) {
            if (i != 0) {
                agents += ',';
            }
            agents += std::to_string(o.agents[i]);
        }
        agents += "]";
        char hash[32];
        std::snprintf(hash, sizeof(hash), "0x%016" PRIx64, abi::ABI_LAYOUT_HASH);
        char version[16];
        std::snprintf(version, sizeof(version), "%u.%u", static_cast<unsigned>(abi::ABI_VERSION_MAJOR),
                      static_cast<unsigned>(abi::ABI_VERSION_MINOR));
        Line line("ready");
        line.num("pid", static_cast<std::uint64_t>(::getpid()))
            .str("socket", fund->socket_path().c_str())
            .str("run_dir", o.run_dir.c_str())
            .str("mode", o.pingpong ? "pingpong" : "stream")
            .str("abi", version)
            .str("layout_hash", hash)
            .field("agents", agents.c_str())
            .num("instruments", o.instruments)
            .num("lease_ms", o.lease_ms)
            .num("max_seq_lag", o.max_seq_lag)
            .num("publish_us", o.publish_us)
            .num("snapshot_seq", fund->publisher().latest())
            .num("snapshot_region_size", transport::kSnapshotRegionSize)
            .num("intent_region_size", transport::kIntentRegionSize)
            .num("report_region_size", transport::kReportRegionSize);
        line.emit();
    }

    const std::uint64_t publish_ns = o.publish_us * 1000ULL;
    const std::uint64_t spin_ns = o.spin_us * 1000ULL;
    const std::uint64_t idle_ns = o.idle_us * 1000ULL;
    // Sample heartbeats several times per lease, at most every 10 ms, at least every 1 ms.
    std::uint64_t liveness_ns = config.lease_ns / 4;
    liveness_ns = liveness_ns > 10'000'000ULL ? 10'000'000ULL : (liveness_ns < 1'000'000ULL ? 1'000'000ULL : liveness_ns);
    constexpr std::uint64_t kIoEveryNs = 50'000;  // socket check while spinning: hang-ups seen < 0.1 ms
    constexpr int kBatch = 32;                    // records per agent per round: no agent starves the others
    constexpr std::uint64_t kClockEveryRounds = 16;  // empty polling rounds between two clock reads

    std::uint64_t now = transport::monotonic_ns();
    std::uint64_t last_work = now;
    std::uint64_t last_io = now;
    std::uint64_t next_publish = now + publish_ns;
    std::uint64_t next_liveness = now + liveness_ns;
    std::uint64_t rng = 0x5DEECE66DULL;
    std::uint64_t intents = 0, accepted = 0;
    transport::IntentOutcome out;
    const auto slots = static_cast<std::uint16_t>(o.agents.size());

    std::uint64_t empty_rounds = 0;
    while (g_signal == 0) {
        bool work = false;
        for (std::uint16_t slot = 0; slot < slots; ++slot) {
            for (int n = 0; n < kBatch && ring_may_have_work(*fund, slot); ++n) {
                // One clock per step: the report's and (pingpong) the next snapshot's.
                const std::uint64_t clock = realtime_ns();
                if (!fund->process_one(slot, out, clock)) {
                    break;
                }
                work = true;
                if (out.poll == transport::RingPoll::kQuarantined) {
                    break;  // printed by the event; nothing to report
                }
                ++intents;
                const bool ok = out.reason == abi::RejectReason::NONE;
                accepted += ok ? 1 : 0;
                if (o.pingpong) {
                    fund->publish(clock);
                }
                if (o.intent_events == 2 || (o.intent_events == 1 && !ok)) {
                    print_intent(out, fund->publisher().latest());
                }
            }
        }
        if (!work && (++empty_rounds % kClockEveryRounds) != 0) {
            continue;  // busy-polling the rings: the clock (and what it schedules) every few rounds
        }
        now = transport::monotonic_ns();
        if (work) {
            last_work = now;
        }
        if (!o.pingpong && now >= next_publish) {
            walk_prices(fund->state(), rng, realtime_ns());
            fund->publish(realtime_ns());
            next_publish = now - next_publish > publish_ns ? now + publish_ns : next_publish + publish_ns;
        }
        if (now >= next_liveness) {
            fund->check_liveness(now);
            next_liveness = now + liveness_ns;
        }
        if (now - last_work >= spin_ns) {
            // Idle: sleep in ppoll on the sockets (a hang-up or an attach wakes it at once).
            std::uint64_t wait = idle_ns;
            if (!o.pingpong) {
                wait = std::min(wait, next_publish > now ? next_publish - now : 0);
            }
            wait = std::min(wait, next_liveness > now ? next_liveness - now : 0);
            fund->poll_io(static_cast<std::int64_t>(wait));
            last_io = transport::monotonic_ns();
        } else if (now - last_io >= kIoEveryNs) {
            fund->poll_io(0);
            last_io = now;
        }
    }

    fund->stop();
    Line line("stopped");
    line.str("signal", g_signal == SIGINT ? "SIGINT" : "SIGTERM")
        .num("snapshots", fund->publisher().latest())
        .num("intents", intents)
        .num("accepted", accepted)
        .num("rejected", intents - accepted)
        .num("quarantined", printer.quarantined);
    line.emit();
    return 0;
}
