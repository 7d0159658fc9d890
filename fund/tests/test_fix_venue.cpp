// FixVenue against real fundos-exchange processes, all on loopback: FIX 4.4 over TCP on
// 127.0.0.1, the exchange's embedded feed on a multicast group on 127.0.0.1. Each case starts an
// exchange in one fill mode on a .fmd it writes (one symbol quoted 99.99 / 100.00 every 10 ms),
// trades through the Venue interface, and checks the events (and the exchange's own answers to
// the reconciliation requests). Waits are bounded (a failure, not a timing assertion).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "check.hpp"
#include "fundos/fix/fix_venue.hpp"
#include "fundos/marketdata/fmd_writer.hpp"

extern char** environ;

namespace fix = fundos::fix;
namespace abi = fundos::abi;
namespace md = fundos::marketdata;
using fundos::venue::VenueCommand;
using fundos::venue::VenueEvent;
using Kind = VenueEvent::Kind;

namespace {

constexpr abi::Quantity kUnit = 1'000'000;
constexpr abi::Price kBid = 99'99000000;
constexpr abi::Price kAsk = 100'00000000;
constexpr abi::Timestamp kStart = 1'700'000'000'000'000'000ULL;  // the data's first event
constexpr abi::Timestamp kEnd = kStart + 200'000'000'000ULL;        // and past its last

std::string scratch(const std::string& name) {
    std::filesystem::create_directories(FUNDOS_TEST_TMP_DIR);
    return std::string(FUNDOS_TEST_TMP_DIR) + "/" + name;
}

std::string quotes_file() {
    const std::string path = scratch("quotes.fmd");
    md::FmdWriter writer;
    std::uint32_t handle = 0;
    REQUIRE(writer.add_instrument("AAA", 1'000'000, 1'000'000, handle).ok());
    for (int i = 0; i < 20'000; ++i) {  // 200 s at 1x: longer than any case
        md::EventRecord e{};
        e.time = kStart + static_cast<std::uint64_t>(i) * 10'000'000ULL;
        e.instrument_id = handle;
        e.source = 1;
        e.kind = md::EventKind::QUOTE;
        e.v[0] = kBid;
        e.v[1] = kAsk;
        e.v[2] = 100 * kUnit;
        e.v[3] = 100 * kUnit;
        writer.add(e);
    }
    REQUIRE(writer.write(path).ok());
    return path;
}

/// A UDP port free on 127.0.0.1 now, for the exchange's feed.
std::uint16_t free_udp_port() {
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(address);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0);
    ::close(fd);
    return ntohs(address.sin_port);
}

/// A fundos-exchange process, stopped (SIGTERM) and reaped by the destructor.
struct ExchangeProcess {
    pid_t pid = -1;
    std::uint16_t fix_port = 0;

    explicit ExchangeProcess(const std::vector<std::string>& mode_args) {
        static int instance = 0;
        ++instance;
        const int me = static_cast<int>(::getpid());
        const std::string group = "239.255." + std::to_string(60 + instance) + "." + std::to_string(me % 250 + 1);
        const std::string feed_port = std::to_string(free_udp_port());
        const std::string log_dir = scratch("exchange-log-" + std::to_string(instance));
        std::error_code ignored;  // (a leftover folder is overwritten; never a reason to stop here)
        std::filesystem::remove_all(log_dir, ignored);
        std::vector<std::string> args = {FUNDOS_EXCHANGE_TOOL, "--data", quotes_file(), "--feed-port", feed_port,
                                         "--multicast", group, "--quiet", "--log-dir", log_dir};
        args.insert(args.end(), mode_args.begin(), mode_args.end());
        std::vector<char*> argv;
        for (std::string& a : args) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        int out[2];
        REQUIRE(::pipe(out) == 0);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, out[1], 1);
        posix_spawn_file_actions_addclose(&actions, out[0]);
        REQUIRE(::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) == 0);
        posix_spawn_file_actions_destroy(&actions);
        ::close(out[1]);
        std::string line;
        char c = 0;
        while (::read(out[0], &c, 1) == 1 && c != '\n') {
            line += c;
        }
        ::close(out[0]);
        const auto at = line.find("\"fix_port\":");
        REQUIRE(at != std::string::npos);
        fix_port = static_cast<std::uint16_t>(std::stoi(line.substr(at + 11)));
    }
    ~ExchangeProcess() {
        if (pid > 0) {
            ::kill(pid, SIGTERM);
            int status = 0;
            ::waitpid(pid, &status, 0);
        }
    }
};

/// A fresh session's configuration (its store emptied), unless `keep_store`.
fix::FixVenueConfig venue_config(std::uint16_t port, const std::string& name, bool keep_store = false) {
    fix::FixVenueConfig c;
    c.port = port;
    const std::string dir = scratch(name);
    if (!keep_store) {
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    }
    c.store_dir = dir + "/store";
    c.log_dir = dir + "/log";  // QuickFIX's message log: what to read when a case fails
    c.log = [](std::string_view line) { std::fprintf(stderr, "  %.*s\n", static_cast<int>(line.size()), line.data()); };
    c.heartbeat_s = 5;
    c.reconnect_s = 1;
    c.account = "ACC1";
    c.run_token = "t1";
    return c;
}

VenueCommand order(std::uint64_t parent, abi::Side side, abi::Quantity qty, abi::OrderType type = abi::OrderType::MARKET,
                   abi::Price limit = 0) {
    VenueCommand c;
    c.kind = VenueCommand::Kind::kNew;
    c.side = side;
    c.type = type;
    c.tif = abi::TimeInForce::GTC;
    c.parent_id = parent;
    c.qty = qty;
    c.limit = limit;
    std::memcpy(c.symbol, "AAA", 3);
    return c;
}

VenueCommand request(VenueCommand::Kind kind, std::uint64_t parent, abi::Quantity qty = 0) {
    VenueCommand c;
    c.kind = kind;
    c.parent_id = parent;
    c.qty = qty;
    return c;
}

/// Polls into `events` until `done` holds (true) or 20 s pass (false).
bool pump(fix::FixVenue& venue, std::vector<VenueEvent>& events, const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
        VenueEvent e;
        while (venue.poll(e)) {
            events.push_back(e);
        }
        if (done()) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
}

std::size_t count(const std::vector<VenueEvent>& events, Kind kind, std::uint64_t parent = 0) {
    std::size_t n = 0;
    for (const VenueEvent& e : events) {
        n += e.kind == kind && (parent == 0 || e.parent_id == parent) ? 1 : 0;
    }
    return n;
}

abi::Quantity filled(const std::vector<VenueEvent>& events, std::uint64_t parent = 0) {
    abi::Quantity sum = 0;
    for (const VenueEvent& e : events) {
        sum += e.kind == Kind::kFill && (parent == 0 || e.parent_id == parent) ? e.qty : 0;
    }
    return sum;
}

}  // namespace

TEST(immediate_fill_cancel_replace_snapshot_and_cancel_all) {
    ExchangeProcess exchange({"--mode", "immediate"});
    fix::FixVenue venue;
    std::string error;
    REQUIRE(venue.start(venue_config(exchange.fix_port, "immediate"), error));
    REQUIRE(venue.wait_connected(20'000));
    std::vector<VenueEvent> events;

    // A market buy fills at the ask at once (once the feed has quoted).
    REQUIRE(venue.send(order(1, abi::Side::BUY, 10 * kUnit)));
    REQUIRE(pump(venue, events, [&] { return filled(events, 1) == 10 * kUnit; }));
    CHECK_EQ(count(events, Kind::kAccepted, 1), std::size_t{1});
    for (const VenueEvent& e : events) {
        if (e.kind == Kind::kFill) {
            CHECK_EQ(e.price, kAsk);
            CHECK_EQ(e.leaves, abi::Quantity{0});
            CHECK(e.venue_time >= kStart && e.venue_time < kEnd);  // the exchange's clock is the data's
        }
    }
    CHECK(!venue.send(order(1, abi::Side::BUY, kUnit)));  // a parent id is sent once

    // A limit far below the market rests; cancel it.
    REQUIRE(venue.send(order(2, abi::Side::BUY, 5 * kUnit, abi::OrderType::LIMIT, 50'00000000)));
    REQUIRE(pump(venue, events, [&] { return count(events, Kind::kAccepted, 2) == 1; }));
    REQUIRE(venue.send(request(VenueCommand::Kind::kCancel, 2)));
    REQUIRE(pump(venue, events, [&] { return count(events, Kind::kCanceled, 2) == 1; }));
    // Canceling it again: nothing to cancel, refused before it reaches the wire.
    CHECK(!venue.send(request(VenueCommand::Kind::kCancel, 2)));

    // A resting sell above the market, reduced from 8 to 3.
    REQUIRE(venue.send(order(3, abi::Side::SELL, 8 * kUnit, abi::OrderType::LIMIT, 150'00000000)));
    REQUIRE(pump(venue, events, [&] { return count(events, Kind::kAccepted, 3) == 1; }));
    REQUIRE(venue.send(request(VenueCommand::Kind::kReplace, 3, 3 * kUnit)));
    REQUIRE(pump(venue, events, [&] { return count(events, Kind::kReplaced, 3) == 1; }));
    for (const VenueEvent& e : events) {
        if (e.kind == Kind::kReplaced) {
            CHECK_EQ(e.leaves, 3 * kUnit);
        }
    }

    // Reconciliation: one working order (3) and a position of +10; parent 2 is asked about
    // (canceled meanwhile) and 77 (never sent).
    fundos::venue::VenueSnapshot snapshot;
    REQUIRE(venue.snapshot({2, 3, 77}, snapshot, 20'000, error));
    std::size_t working = 0;
    for (const auto& o : snapshot.orders) {
        if (o.parent_id == 3) {
            CHECK(o.working);
            CHECK_EQ(o.qty, 3 * kUnit);
            CHECK_EQ(o.leaves, 3 * kUnit);
            CHECK(o.side == abi::Side::SELL);
            CHECK_EQ(o.symbol, std::string("AAA"));
            ++working;
        } else if (o.parent_id == 2) {
            CHECK(!o.working);
            CHECK(o.known);
        } else if (o.parent_id == 77) {
            CHECK(!o.known);
        }
    }
    CHECK_EQ(working, std::size_t{1});
    CHECK_EQ(snapshot.orders.size(), std::size_t{3});
    REQUIRE(snapshot.positions.size() == 1);
    CHECK_EQ(snapshot.positions[0].symbol, std::string("AAA"));
    CHECK_EQ(snapshot.positions[0].qty, 10 * kUnit);

    // Kill switch.
    CHECK_EQ(venue.cancel_all(), std::size_t{1});
    REQUIRE(pump(venue, events, [&] { return count(events, Kind::kCanceled, 3) == 1; }));
    CHECK_EQ(filled(events), 10 * kUnit);
    CHECK_EQ(venue.counters().inconsistent, std::uint64_t{0});
}

TEST(partial_mode_fills_in_pieces_and_a_slow_poller_loses_nothing) {
    ExchangeProcess exchange({"--mode", "partial", "--pieces", "3"});
    fix::FixVenue venue;
    std::string error;
    auto config = venue_config(exchange.fix_port, "partial");
    config.event_capacity = 2;  // the 4 events overflow the queue: nobody polls until all arrived
    REQUIRE(venue.start(config, error));
    REQUIRE(venue.wait_connected(20'000));
    std::vector<VenueEvent> events;
    REQUIRE(venue.send(order(1, abi::Side::SELL, 9 * kUnit)));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (venue.counters().reports < 4 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    REQUIRE(venue.counters().reports == 4);  // New and 3 fills, none polled yet
    REQUIRE(pump(venue, events, [&] { return filled(events, 1) == 9 * kUnit; }));
    CHECK_EQ(events.size(), std::size_t{4});
    CHECK(events[0].kind == Kind::kAccepted);
    CHECK_EQ(count(events, Kind::kFill, 1), std::size_t{3});
    abi::Quantity cum = 0;
    for (const VenueEvent& e : events) {
        if (e.kind == Kind::kFill) {
            cum += e.qty;
            CHECK_EQ(e.qty, 3 * kUnit);
            CHECK_EQ(e.cum, cum);
            CHECK_EQ(e.leaves, 9 * kUnit - cum);
            CHECK_EQ(e.price, kBid);
        }
    }
}

TEST(reject_mode_rejects_with_a_reason) {
    ExchangeProcess exchange({"--mode", "reject"});
    fix::FixVenue venue;
    std::string error;
    REQUIRE(venue.start(venue_config(exchange.fix_port, "reject"), error));
    REQUIRE(venue.wait_connected(20'000));
    std::vector<VenueEvent> events;
    REQUIRE(venue.send(order(1, abi::Side::BUY, kUnit)));
    REQUIRE(pump(venue, events, [&] { return count(events, Kind::kRejected, 1) == 1; }));
    CHECK_EQ(events.size(), std::size_t{1});
    CHECK(std::string(events[0].text).find("reject mode") != std::string::npos);
    fundos::venue::VenueSnapshot snapshot;
    REQUIRE(venue.snapshot({}, snapshot, 20'000, error));
    CHECK(snapshot.orders.empty());
    CHECK(snapshot.positions.empty());
}

TEST(disconnect_mode_reconnects_and_resends_without_loss_or_duplicates) {
    ExchangeProcess exchange({"--mode", "disconnect", "--disconnect-every", "2"});
    fix::FixVenue venue;
    std::string error;
    REQUIRE(venue.start(venue_config(exchange.fix_port, "disconnect"), error));
    REQUIRE(venue.wait_connected(20'000));
    std::vector<VenueEvent> events;
    abi::Quantity sent = 0;
    for (std::uint64_t parent = 1; parent <= 6; ++parent) {
        // The session drops after every 2nd order: wait for the reconnect before the next.
        REQUIRE(venue.wait_connected(20'000));
        const abi::Quantity qty = static_cast<abi::Quantity>(parent) * kUnit;
        REQUIRE(venue.send(order(parent, parent % 2 == 0 ? abi::Side::SELL : abi::Side::BUY, qty)));
        sent += qty;
        REQUIRE(pump(venue, events, [&] { return filled(events, parent) == qty; }));
    }
    CHECK_EQ(filled(events), sent);
    for (std::uint64_t parent = 1; parent <= 6; ++parent) {
        CHECK_EQ(count(events, Kind::kFill, parent), std::size_t{1});
        CHECK_EQ(count(events, Kind::kAccepted, parent), std::size_t{1});
    }
    CHECK(venue.logons() >= 3);
    fundos::venue::VenueSnapshot snapshot;
    REQUIRE(venue.wait_connected(20'000));
    REQUIRE(venue.snapshot({}, snapshot, 20'000, error));
    REQUIRE(snapshot.positions.size() == 1);
    CHECK_EQ(snapshot.positions[0].qty, (1 - 2 + 3 - 4 + 5 - 6) * kUnit);
}

TEST(delayed_mode_acknowledges_then_fills) {
    ExchangeProcess exchange({"--mode", "delayed", "--delay-ms", "300"});
    fix::FixVenue venue;
    std::string error;
    REQUIRE(venue.start(venue_config(exchange.fix_port, "delayed"), error));
    REQUIRE(venue.wait_connected(20'000));
    std::vector<VenueEvent> events;
    REQUIRE(venue.send(order(1, abi::Side::BUY, 2 * kUnit)));
    REQUIRE(pump(venue, events, [&] { return filled(events, 1) == 2 * kUnit; }));
    REQUIRE(events.size() == 2);
    CHECK(events[0].kind == Kind::kAccepted);
    CHECK(events[1].kind == Kind::kFill);
}

TEST(a_restarted_session_resumes_its_sequence_numbers_and_reconciles) {
    ExchangeProcess exchange({"--mode", "delayed", "--delay-ms", "500"});
    std::string error;
    std::vector<VenueEvent> events;
    {
        fix::FixVenue first;
        REQUIRE(first.start(venue_config(exchange.fix_port, "restart"), error));
        REQUIRE(first.wait_connected(20'000));
        REQUIRE(first.send(order(1, abi::Side::BUY, 5 * kUnit)));
        REQUIRE(first.send(order(2, abi::Side::SELL, 4 * kUnit, abi::OrderType::LIMIT, 150'00000000)));
        REQUIRE(pump(first, events, [&] { return count(events, Kind::kAccepted) == 2; }));
        CHECK_EQ(filled(events), abi::Quantity{0});
    }  // stopped (Logout) before parent 1's delay passed: its fill happens while the Fund is away
    events.clear();
    fix::FixVenue second;
    // The same store: with a fresh one the logon's sequence number would be too low for the venue.
    REQUIRE(second.start(venue_config(exchange.fix_port, "restart", true), error));
    REQUIRE(second.wait_connected(20'000));
    fundos::venue::VenueSnapshot snapshot;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    const auto order_of = [&](std::uint64_t parent) -> const fundos::venue::VenueOpenOrder* {
        for (const auto& o : snapshot.orders) {
            if (o.parent_id == parent) {
                return &o;
            }
        }
        return nullptr;
    };
    do {
        snapshot = {};
        REQUIRE(second.snapshot({1, 2}, snapshot, 20'000, error));
    } while ((order_of(1) == nullptr || order_of(1)->cum != 5 * kUnit) && std::chrono::steady_clock::now() < deadline);
    REQUIRE(order_of(1) != nullptr);
    REQUIRE(order_of(2) != nullptr);
    CHECK(!order_of(1)->working);
    CHECK_EQ(order_of(1)->cum, 5 * kUnit);
    CHECK_EQ(order_of(1)->avg_price, kAsk);
    CHECK(order_of(2)->working);
    CHECK_EQ(order_of(2)->leaves, 4 * kUnit);
    REQUIRE(snapshot.positions.size() == 1);
    CHECK_EQ(snapshot.positions[0].qty, 5 * kUnit);
    // The working order was taken over: the new session can cancel it and hears the answer.
    REQUIRE(second.send(request(VenueCommand::Kind::kCancel, 2)));
    REQUIRE(pump(second, events, [&] { return count(events, Kind::kCanceled, 2) == 1; }));
    // A fill that came while the Fund was away is reconciliation's to recover (no event); one that
    // came after a snapshot took the order over is an event. Either way once, never twice.
    VenueEvent e;
    while (second.poll(e)) {
        events.push_back(e);
    }
    CHECK(filled(events, 1) == 0 || filled(events, 1) == 5 * kUnit);
    CHECK(count(events, Kind::kFill, 1) <= 1);
}

FUNDOS_TEST_MAIN
