// The live feed over real sockets on 127.0.0.1: a FeedServer (on its own thread) replaying a
// small .fmd file, and a FeedReceiver polled here. Ordered delivery; gaps, duplicates and
// reordering injected by the server and what the receiver makes of them (snapshot recovery over
// TCP, duplicates dropped, reordering repaired within the window and a gap beyond it); staleness
// when the server stops; a late join; sessions; multicast on the loopback interface. One test
// sends hand-made packets and answers the snapshot request itself, to pin the protocol down.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "check.hpp"
#include "fundos/feed/feed_receiver.hpp"
#include "fundos/feed/feed_server.hpp"
#include "fundos/marketdata/fmd_writer.hpp"
#include "fundos/marketdata/replay_reader.hpp"

namespace feed = fundos::feed;
namespace md = fundos::marketdata;
namespace wire = fundos::wire;
namespace abi = fundos::abi;

namespace {

constexpr std::uint64_t kMs = 1'000'000ULL;
constexpr abi::Timestamp kStart = 1'704'205'800'000'000'000ULL;  // 2024-01-02T14:30:00Z

std::string scratch(const std::string& name) {
    std::filesystem::create_directories(FUNDOS_TEST_TMP_DIR);
    return std::string(FUNDOS_TEST_TMP_DIR) + "/" + name;
}

/// An .fmd file of `events` events over `symbols` symbols, one every `spacing_ns` of exchange
/// time, cycling over the symbols and, for each symbol, over quote, trade, bar.
std::string make_data(const std::string& name, int symbols, int events, std::uint64_t spacing_ns) {
    md::FmdWriter writer;
    std::vector<std::uint32_t> handles;
    for (int s = 0; s < symbols; ++s) {
        std::uint32_t handle = 0;
        const std::string symbol = "SYM" + std::to_string(s);
        REQUIRE(writer.add_instrument(symbol, 1'000'000, 1'000'000, handle).ok());
        handles.push_back(handle);
    }
    for (int i = 0; i < events; ++i) {
        md::EventRecord e{};
        e.time = kStart + static_cast<std::uint64_t>(i) * spacing_ns;
        e.instrument_id = handles[static_cast<std::size_t>(i % symbols)];
        const std::int64_t price = 100'00000000LL + i * 1'000'000LL;
        switch (i / symbols % 3) {
            case 0:
                e.kind = md::EventKind::QUOTE;
                e.source = 1;
                e.v[0] = price;
                e.v[1] = price + 1'000'000;
                e.v[2] = 100'000'000 + i;
                e.v[3] = 200'000'000 + i;
                break;
            case 1:
                e.kind = md::EventKind::TRADE;
                e.source = 2;
                e.v[0] = price;
                e.v[1] = 1'000'000 + i;
                break;
            default:
                e.kind = md::EventKind::BAR;
                e.period_s = 60;
                e.v[0] = price;
                e.v[1] = price + 2;
                e.v[2] = price - 2;
                e.v[3] = price + 1;
                e.v[4] = 5'000'000 + i;
                break;
        }
        writer.add(e);
    }
    const std::string path = scratch(name);
    REQUIRE(writer.write(path).ok());
    return path;
}

/// Every event of the file, in its order.
std::vector<md::EventRecord> events_of(const std::string& path) {
    md::ReplayReader reader;
    REQUIRE(reader.open(path).ok());
    std::vector<md::EventRecord> out;
    while (const md::EventRecord* e = reader.next()) {
        out.push_back(*e);
    }
    return out;
}

bool same_market_event(const md::EventRecord& a, const md::EventRecord& b) {
    return a.time == b.time && a.instrument_id == b.instrument_id && a.kind == b.kind && a.period_s == b.period_s &&
           std::memcmp(a.v, b.v, sizeof(a.v)) == 0;
}

/// The state each instrument ends in after the file: what a receiver must hold at the end.
std::map<std::uint32_t, wire::InstrumentSnapshot> final_state(const std::string& path) {
    md::ReplayReader reader;
    REQUIRE(reader.open(path).ok());
    feed::MarketState state;
    for (const md::InstrumentRecord& r : reader.instruments()) {
        state.define(feed::to_definition(r));
    }
    while (const md::EventRecord* e = reader.next()) {
        state.apply(*e);
    }
    std::map<std::uint32_t, wire::InstrumentSnapshot> out;
    for (const auto& row : state.rows()) {
        out[row.instrument_id] = row;
    }
    return out;
}

void check_final_state(const feed::FeedReceiver& receiver, const std::string& path) {
    const auto want = final_state(path);
    CHECK_EQ(receiver.latest().size(), want.size());
    for (const auto& row : receiver.latest()) {
        const auto it = want.find(row.instrument_id);
        REQUIRE(it != want.end());
        CHECK(row == it->second);
    }
}

/// A server on its own thread: opened (its recovery port bound) at construction, run by start(),
/// stopped and joined by stop() or on destruction.
class ServerThread {
public:
    explicit ServerThread(const feed::FeedServerConfig& config) { REQUIRE(server_.open(config).ok()); }
    ~ServerThread() { stop(); }
    void start() {
        thread_ = std::thread([this] { status_ = server_.run(); });
    }
    void stop() {
        server_.stop();
        if (thread_.joinable()) {
            thread_.join();
        }
    }
    void join() {
        if (thread_.joinable()) {
            thread_.join();
        }
    }
    [[nodiscard]] std::uint16_t recovery_port() const { return server_.recovery_port(); }
    [[nodiscard]] const feed::FeedServerStats& stats() const { return server_.stats(); }  // after stop()/join()

private:
    feed::FeedServer server_;
    feed::Status status_;
    std::thread thread_;
};

feed::FeedServerConfig server_config(const std::string& data, std::uint16_t port) {
    feed::FeedServerConfig config;
    config.data = {data};
    config.port = port;
    config.recovery_port = 0;
    config.heartbeat_interval_ns = 20 * kMs;
    config.session_id = 1000;
    return config;
}

feed::FeedReceiverConfig receiver_config(std::uint16_t port, std::uint16_t recovery_port) {
    feed::FeedReceiverConfig config;
    config.port = port;
    config.recovery_port = recovery_port;
    config.reorder_timeout_ns = 5 * kMs;
    config.stale_after_ns = 150 * kMs;
    config.retry_delay_ns = 10 * kMs;
    return config;
}

/// Polls until `done` or `timeout_ms`; every event goes to `events`.
bool pump(feed::FeedReceiver& receiver, std::vector<md::EventRecord>& events, const std::function<bool()>& done,
          int timeout_ms = 10'000) {
    const std::uint64_t deadline = feed::monotonic_ns() + static_cast<std::uint64_t>(timeout_ms) * kMs;
    md::EventRecord event;
    while (feed::monotonic_ns() < deadline) {
        receiver.poll(feed::monotonic_ns());
        while (receiver.next(event)) {
            events.push_back(event);
        }
        if (done()) {
            return true;
        }
        receiver.wait(2 * kMs);
    }
    return false;
}

bool ended_cleanly(const feed::FeedReceiver& receiver) {
    const feed::FeedStatus s = receiver.status(feed::monotonic_ns());
    return receiver.ended() && s.health == feed::FeedHealth::ENDED && s.pending == 0;
}

/// A UDP port free right now on 127.0.0.1 (the server must know it before the receiver opens).
std::uint16_t free_udp_port() {
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    (void)::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    socklen_t length = sizeof(address);
    (void)::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    return ntohs(address.sin_port);
}

/// A server for `data` and a receiver for it, opened; the server not started yet.
struct Rig {
    Rig(const std::string& data, const std::function<void(feed::FeedServerConfig&)>& tune_server,
        const std::function<void(feed::FeedReceiverConfig&)>& tune_receiver = {}) {
        const std::uint16_t port = free_udp_port();
        feed::FeedServerConfig sc = server_config(data, port);
        tune_server(sc);
        server = std::make_unique<ServerThread>(sc);
        feed::FeedReceiverConfig rc = receiver_config(port, server->recovery_port());
        if (tune_receiver) {
            tune_receiver(rc);
        }
        REQUIRE(receiver.open(rc).ok());
    }
    std::unique_ptr<ServerThread> server;
    feed::FeedReceiver receiver;
    std::vector<md::EventRecord> events;
};

/// Every event of the file arrived once, in order, none made from a snapshot.
void check_all_events_in_order(const std::vector<md::EventRecord>& events, const std::string& data) {
    const auto want = events_of(data);
    REQUIRE(events.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        CHECK(same_market_event(events[i], want[i]));
        CHECK_EQ(events[i].flags, std::uint8_t{0});
    }
}

/// The events are the file's events in order, some missing (lost in gaps) and some made from
/// snapshots (flagged) in their place; every event not flagged is the file's own.
void check_events_are_a_recovered_subsequence(const std::vector<md::EventRecord>& events, const std::string& data) {
    const auto want = events_of(data);
    std::size_t at = 0;
    for (const md::EventRecord& e : events) {
        if ((e.flags & feed::FLAG_RECOVERED) != 0) {
            continue;
        }
        while (at < want.size() && !same_market_event(e, want[at])) {
            ++at;
        }
        REQUIRE(at < want.size());
        ++at;
    }
}

}  // namespace

TEST(ordered_delivery_gives_every_event_in_file_order) {
    const std::string data = make_data("ordered.fmd", 3, 300, 1 * kMs);
    Rig rig(data, [](feed::FeedServerConfig& c) { c.speed = 20.0; });  // 300 events 1 ms apart: 15 ms
    rig.server->start();
    REQUIRE(pump(rig.receiver, rig.events, [&] { return ended_cleanly(rig.receiver); }));
    check_all_events_in_order(rig.events, data);
    for (std::size_t i = 0; i < rig.events.size(); ++i) {
        CHECK_EQ(rig.events[i].seq, static_cast<std::uint32_t>(3 + i + 1));  // after 3 definitions
    }
    const feed::FeedStatus s = rig.receiver.status(feed::monotonic_ns());
    CHECK_EQ(s.counters.gaps, std::uint64_t{0});
    CHECK_EQ(s.counters.duplicates, std::uint64_t{0});
    CHECK_EQ(s.counters.recoveries, std::uint64_t{0});
    CHECK_EQ(s.counters.events, std::uint64_t{300});
    CHECK_EQ(s.session_id, std::uint64_t{1000});
    CHECK_EQ(rig.receiver.instruments().size(), std::size_t{3});
    for (const auto& instrument : rig.receiver.instruments()) {
        const feed::InstrumentFeedStatus is = rig.receiver.instrument_status(instrument.instrument_id, feed::monotonic_ns());
        CHECK(is.known && !is.gapped && !is.stale && !is.tripped());
    }
    check_final_state(rig.receiver, data);
}

TEST(injected_gaps_are_recovered_by_a_tcp_snapshot) {
    const std::string data = make_data("gaps.fmd", 4, 240, 1 * kMs);
    Rig rig(data, [](feed::FeedServerConfig& c) {
        c.speed = 1.0;  // a packet every 1 ms, one event each (unless the server wakes late)
        c.faults.gap_every = 7;
    });
    rig.server->start();
    bool saw_gap = false;
    REQUIRE(pump(rig.receiver, rig.events, [&] {
        const auto now = feed::monotonic_ns();
        if (rig.receiver.status(now).health == feed::FeedHealth::RECOVERING) {
            saw_gap = true;
            CHECK(rig.receiver.instrument_status(1, now).gapped);
            CHECK(rig.receiver.instrument_status(1, now).tripped());
        }
        return ended_cleanly(rig.receiver);
    }));
    rig.server->stop();
    const feed::FeedStatus s = rig.receiver.status(feed::monotonic_ns());
    CHECK(saw_gap);
    CHECK(s.counters.gaps >= 1);
    CHECK(s.counters.recoveries >= 1);
    CHECK(s.counters.recovered_messages >= 1);
    CHECK_EQ(rig.server->stats().dropped, rig.server->stats().packets / 7);
    CHECK(rig.server->stats().dropped >= 5);
    CHECK(rig.server->stats().snapshots >= 1);
    check_final_state(rig.receiver, data);
    check_events_are_a_recovered_subsequence(rig.events, data);
    bool recovered_event = false;
    for (const auto& e : rig.events) {
        recovered_event = recovered_event || (e.flags & feed::FLAG_RECOVERED) != 0;
    }
    CHECK(recovered_event);
    for (std::uint32_t id = 1; id <= 4; ++id) {
        const feed::InstrumentFeedStatus is = rig.receiver.instrument_status(id, feed::monotonic_ns());
        CHECK(is.known && !is.gapped);  // the gap state is cleared by the snapshot
    }
}

TEST(random_gaps_from_a_seed_are_recovered_too) {
    const std::string data = make_data("random_gaps.fmd", 2, 200, 1 * kMs);
    Rig rig(data, [](feed::FeedServerConfig& c) {
        c.max_speed = true;
        c.max_packet = 256;  // several packets even at full speed
        c.faults.gap_rate = 0.2;
        c.faults.seed = 7;
        c.linger_ns = static_cast<std::int64_t>(300 * kMs);
    });
    rig.server->start();
    REQUIRE(pump(rig.receiver, rig.events, [&] { return ended_cleanly(rig.receiver); }));
    rig.server->join();
    CHECK(rig.server->stats().dropped >= 1);
    CHECK(rig.receiver.status(feed::monotonic_ns()).counters.recoveries >= 1);
    check_final_state(rig.receiver, data);
    check_events_are_a_recovered_subsequence(rig.events, data);
}

TEST(duplicates_are_dropped) {
    const std::string data = make_data("duplicates.fmd", 2, 150, 1 * kMs);
    Rig rig(data, [](feed::FeedServerConfig& c) {
        c.speed = 1.0;
        c.faults.duplicate_every = 2;
    });
    rig.server->start();
    REQUIRE(pump(rig.receiver, rig.events, [&] { return ended_cleanly(rig.receiver); }));
    rig.server->stop();
    const feed::FeedStatus s = rig.receiver.status(feed::monotonic_ns());
    CHECK_EQ(rig.server->stats().duplicated, rig.server->stats().packets / 2);
    CHECK(rig.server->stats().duplicated >= 5);
    CHECK(s.counters.duplicates >= 5);
    CHECK_EQ(s.counters.gaps, std::uint64_t{0});
    check_all_events_in_order(rig.events, data);
}

TEST(reordering_within_the_window_is_repaired) {
    const std::string data = make_data("reorder.fmd", 2, 150, 1 * kMs);
    Rig rig(data, [](feed::FeedServerConfig& c) {
        c.speed = 1.0;
        c.faults.reorder_every = 5;
    }, [](feed::FeedReceiverConfig& c) { c.reorder_timeout_ns = 500 * kMs; });
    rig.server->start();
    REQUIRE(pump(rig.receiver, rig.events, [&] { return ended_cleanly(rig.receiver); }));
    rig.server->stop();
    const feed::FeedStatus s = rig.receiver.status(feed::monotonic_ns());
    CHECK_EQ(rig.server->stats().reordered, rig.server->stats().packets / 5);
    CHECK(rig.server->stats().reordered >= 5);
    CHECK(s.counters.reordered >= 5);
    CHECK_EQ(s.counters.gaps, std::uint64_t{0});
    CHECK_EQ(s.counters.recoveries, std::uint64_t{0});
    check_all_events_in_order(rig.events, data);
}

TEST(reordering_beyond_the_window_is_a_gap) {
    const std::string data = make_data("reorder_gap.fmd", 2, 150, 1 * kMs);
    Rig rig(data, [](feed::FeedServerConfig& c) {
        c.speed = 1.0;
        c.faults.reorder_every = 5;
    }, [](feed::FeedReceiverConfig& c) { c.reorder_window = 0; });  // any message ahead is a gap
    rig.server->start();
    REQUIRE(pump(rig.receiver, rig.events, [&] { return ended_cleanly(rig.receiver); }));
    rig.server->stop();
    const feed::FeedStatus s = rig.receiver.status(feed::monotonic_ns());
    CHECK(s.counters.gaps >= 1);
    CHECK(s.counters.recoveries >= 1);
    check_final_state(rig.receiver, data);
    check_events_are_a_recovered_subsequence(rig.events, data);
}

TEST(the_feed_goes_stale_when_the_server_stops) {
    const std::string data = make_data("stale.fmd", 2, 1000, 10 * kMs);  // 10 s of data at 1x
    Rig rig(data, [](feed::FeedServerConfig& c) { c.speed = 1.0; });
    rig.server->start();
    REQUIRE(pump(rig.receiver, rig.events, [&] { return rig.events.size() >= 5; }));
    const std::uint64_t live = feed::monotonic_ns();
    CHECK(rig.receiver.status(live).health == feed::FeedHealth::LIVE);
    CHECK(!rig.receiver.instrument_status(1, live).tripped());
    rig.server->stop();
    REQUIRE(pump(rig.receiver, rig.events, [&] {
        return rig.receiver.status(feed::monotonic_ns()).health == feed::FeedHealth::STALE;
    }, 2'000));
    const std::uint64_t now = feed::monotonic_ns();
    const feed::InstrumentFeedStatus is = rig.receiver.instrument_status(1, now);
    CHECK(is.stale && is.tripped() && !is.gapped);
    CHECK(is.last_update_ns != 0 && is.exchange_time >= kStart);
    CHECK_EQ(rig.receiver.status(now).counters.stale_episodes, std::uint64_t{1});
}

TEST(heartbeats_keep_a_quiet_feed_fresh) {
    const std::string data = make_data("quiet.fmd", 1, 2, 5'000 * kMs);  // the second event 5 s later
    Rig rig(data, [](feed::FeedServerConfig& c) { c.speed = 1.0; });
    rig.server->start();
    REQUIRE(pump(rig.receiver, rig.events, [&] { return !rig.events.empty(); }));
    const std::uint64_t until = feed::monotonic_ns() + 400 * kMs;  // longer than stale_after (150 ms)
    REQUIRE(!pump(rig.receiver, rig.events, [&] { return feed::monotonic_ns() >= until && false; }, 400));
    const feed::FeedStatus s = rig.receiver.status(feed::monotonic_ns());
    CHECK(s.health == feed::FeedHealth::LIVE);
    CHECK(s.counters.heartbeats >= 5);
    CHECK_EQ(s.counters.stale_episodes, std::uint64_t{0});
    CHECK_EQ(rig.events.size(), std::size_t{1});
}

TEST(a_late_joiner_recovers_from_a_snapshot) {
    const std::string data = make_data("late.fmd", 3, 90, 1 * kMs);
    const std::uint16_t port = free_udp_port();
    feed::FeedServerConfig sc = server_config(data, port);
    sc.max_speed = true;
    ServerThread server(sc);
    server.start();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the session has ended: heartbeats only
    feed::FeedReceiver receiver;
    REQUIRE(receiver.open(receiver_config(port, server.recovery_port())).ok());
    std::vector<md::EventRecord> events;
    REQUIRE(pump(receiver, events, [&] { return ended_cleanly(receiver); }));
    const feed::FeedStatus s = receiver.status(feed::monotonic_ns());
    CHECK_EQ(s.counters.recoveries, std::uint64_t{1});
    CHECK_EQ(receiver.instruments().size(), std::size_t{3});
    check_final_state(receiver, data);
    CHECK_EQ(events.size(), std::size_t{9});  // each instrument's latest quote, trade and bar
    for (const auto& e : events) {
        CHECK_EQ(e.flags, feed::FLAG_RECOVERED);
    }
}

TEST(a_new_session_starts_over) {
    const std::string data = make_data("loop.fmd", 2, 30, 1 * kMs);
    Rig rig(data, [](feed::FeedServerConfig& c) {
        c.speed = 10.0;
        c.loop = true;
    });
    rig.server->start();
    REQUIRE(pump(rig.receiver, rig.events, [&] {
        return rig.receiver.status(feed::monotonic_ns()).counters.sessions >= 3;
    }));
    rig.server->stop();
    const feed::FeedStatus s = rig.receiver.status(feed::monotonic_ns());
    CHECK(s.session_id >= 1002);
    CHECK(rig.events.size() >= 60);
    CHECK_EQ(s.counters.gaps, std::uint64_t{0});
}

TEST(multicast_on_the_loopback_interface) {
    const std::string data = make_data("multicast.fmd", 2, 120, 1 * kMs);
    const std::string group = "239.255.42.17";
    feed::FeedReceiverConfig rc = receiver_config(0, 0);
    rc.address = group;
    feed::FeedReceiver receiver;
    REQUIRE(receiver.open(rc).ok());  // joins the group on 127.0.0.1, on a free port
    feed::FeedServerConfig sc = server_config(data, receiver.port());
    sc.address = group;
    sc.speed = 10.0;
    ServerThread server(sc);
    server.start();
    std::vector<md::EventRecord> events;
    REQUIRE(pump(receiver, events, [&] { return ended_cleanly(receiver); }));
    check_all_events_in_order(events, data);
}

// ---- the protocol by hand: packets sent from a plain socket, the snapshot answered here

namespace {

struct HandFeed {
    int udp = -1;
    sockaddr_in to{};
    std::uint64_t session = 5;

    explicit HandFeed(std::uint16_t port) {
        udp = ::socket(AF_INET, SOCK_DGRAM, 0);
        to.sin_family = AF_INET;
        to.sin_port = htons(port);
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    }
    ~HandFeed() { ::close(udp); }

    template <class... Messages>
    void send(std::uint64_t first_seq, const Messages&... messages) {
        feed::PacketWriter writer;
        writer.begin(session, first_seq);
        const bool all_fit = (writer.add(messages) && ...);
        REQUIRE(all_fit);
        const auto packet = writer.finish(0);
        REQUIRE(::sendto(udp, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)) ==
                static_cast<ssize_t>(packet.size()));
    }
};

wire::Quote quote(std::uint32_t id, std::int64_t bid) {
    wire::Quote q;
    q.instrument_id = id;
    q.exchange_time = kStart + static_cast<std::uint64_t>(bid);
    q.bid = bid;
    q.ask = bid + 1;
    return q;
}

wire::InstrumentDefinition definition(std::uint32_t id, const char* symbol) {
    wire::InstrumentDefinition d;
    d.instrument_id = id;
    std::strncpy(d.symbol, symbol, sizeof(d.symbol));
    d.tick_size = 1;
    d.lot_size = 1;
    return d;
}

std::vector<std::int64_t> bids(feed::FeedReceiver& receiver) {
    std::vector<std::int64_t> out;
    md::EventRecord e;
    receiver.poll(feed::monotonic_ns());
    while (receiver.next(e)) {
        out.push_back(e.v[0]);
    }
    return out;
}

/// Waits for a datagram to be processed: polls until `done`.
void settle(feed::FeedReceiver& receiver, const std::function<bool()>& done) {
    const std::uint64_t deadline = feed::monotonic_ns() + 2'000 * kMs;
    while (!done() && feed::monotonic_ns() < deadline) {
        receiver.wait(1 * kMs);
        receiver.poll(feed::monotonic_ns());
    }
}

}  // namespace

TEST(hand_made_packets_reorder_window_gap_and_snapshot_answer) {
    // The snapshot server: a plain TCP listener answered by hand.
    feed::Fd listener;
    std::uint16_t recovery_port = 0;
    REQUIRE(feed::open_tcp_listener(0, listener, recovery_port).ok());
    feed::FeedReceiverConfig rc = receiver_config(0, recovery_port);
    rc.reorder_window = 2;
    rc.reorder_timeout_ns = 60'000 * kMs;  // only the window decides here
    feed::FeedReceiver receiver;
    REQUIRE(receiver.open(rc).ok());
    HandFeed hand(receiver.port());

    hand.send(1, definition(1, "AAA"));
    hand.send(2, quote(1, 2));
    settle(receiver, [&] { return receiver.status(feed::monotonic_ns()).next_seq == 3; });
    CHECK(bids(receiver) == (std::vector<std::int64_t>{2}));

    // 4 before 3: within the window, held, then repaired; 3 again: a duplicate.
    hand.send(4, quote(1, 4));
    settle(receiver, [&] { return receiver.status(feed::monotonic_ns()).pending == 1; });
    CHECK(bids(receiver).empty());
    hand.send(3, quote(1, 3), quote(1, 4));  // 4 is a duplicate here too
    settle(receiver, [&] { return receiver.status(feed::monotonic_ns()).next_seq == 5; });
    CHECK(bids(receiver) == (std::vector<std::int64_t>{3, 4}));
    auto s = receiver.status(feed::monotonic_ns());
    CHECK_EQ(s.counters.reordered, std::uint64_t{1});
    CHECK_EQ(s.counters.duplicates, std::uint64_t{1});
    hand.send(3, quote(1, 3));
    settle(receiver, [&] { return receiver.status(feed::monotonic_ns()).counters.duplicates == 2; });
    CHECK(bids(receiver).empty());

    // 8 while 5 is expected: 3 ahead of the hole, beyond the window of 2: a gap, and a request.
    hand.send(8, quote(1, 8));
    settle(receiver, [&] { return receiver.status(feed::monotonic_ns()).health == feed::FeedHealth::RECOVERING; });
    CHECK_EQ(receiver.status(feed::monotonic_ns()).counters.gaps, std::uint64_t{1});
    CHECK(receiver.instrument_status(1, feed::monotonic_ns()).gapped);
    pollfd pfd{listener.get(), POLLIN, 0};
    std::uint64_t deadline = feed::monotonic_ns() + 2'000 * kMs;
    while (::poll(&pfd, 1, 1) <= 0 && feed::monotonic_ns() < deadline) {
        receiver.poll(feed::monotonic_ns());
    }
    feed::Fd client(::accept(listener.get(), nullptr, nullptr));
    REQUIRE(client.valid());
    std::uint8_t request_bytes[wire::SnapshotRequest::WIRE_SIZE];
    std::size_t got = 0;
    deadline = feed::monotonic_ns() + 2'000 * kMs;
    while (got < sizeof(request_bytes) && feed::monotonic_ns() < deadline) {
        receiver.poll(feed::monotonic_ns());  // the receiver sends its request once connected
        const ssize_t n = ::recv(client.get(), request_bytes + got, sizeof(request_bytes) - got, MSG_DONTWAIT);
        if (n > 0) {
            got += static_cast<std::size_t>(n);
        }
    }
    wire::SnapshotRequest request;
    REQUIRE(wire::decode(request_bytes, request) == wire::WireStatus::OK);
    CHECK_EQ(request.version, wire::WIRE_VERSION);
    CHECK_EQ(request.session_id, std::uint64_t{5});
    CHECK_EQ(request.last_seq, std::uint64_t{4});
    // 9 arrives while recovering: held for after the snapshot.
    hand.send(9, quote(1, 9));
    settle(receiver, [&] { return receiver.status(feed::monotonic_ns()).pending == 2; });

    // The answer: valid at 8, so 8 (held) is dropped and 9 applied after the snapshot's state.
    wire::SnapshotBegin begin;
    begin.request_id = request.request_id;
    begin.status = abi::SnapshotStatus::OK;
    begin.session_id = 5;
    begin.valid_at_seq = 8;
    begin.instrument_count = 1;
    wire::InstrumentSnapshot row;
    row.instrument_id = 1;
    std::strncpy(row.symbol, "AAA", sizeof(row.symbol));
    const wire::Quote q7 = quote(1, 7);
    row.quote_time = q7.exchange_time;
    row.bid = q7.bid;
    row.ask = q7.ask;
    wire::SnapshotEnd end;
    end.request_id = begin.request_id;
    end.status = begin.status;
    end.session_id = 5;
    end.valid_at_seq = 8;
    end.instrument_count = 1;
    std::vector<std::uint8_t> answer(wire::SnapshotBegin::WIRE_SIZE + wire::InstrumentSnapshot::WIRE_SIZE +
                                     wire::SnapshotEnd::WIRE_SIZE);
    std::span<std::uint8_t> out(answer);
    std::size_t at = wire::encode(begin, out);
    at += wire::encode(row, out.subspan(at));
    at += wire::encode(end, out.subspan(at));
    REQUIRE(at == answer.size());
    REQUIRE(::send(client.get(), answer.data(), answer.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(answer.size()));
    client.reset();
    settle(receiver, [&] { return receiver.status(feed::monotonic_ns()).health == feed::FeedHealth::LIVE; });
    s = receiver.status(feed::monotonic_ns());
    CHECK_EQ(s.next_seq, std::uint64_t{10});
    CHECK_EQ(s.counters.recoveries, std::uint64_t{1});
    CHECK_EQ(s.counters.recovered_messages, std::uint64_t{3});  // 5, 6, 7 never arrived; 8 did
    CHECK(!receiver.instrument_status(1, feed::monotonic_ns()).gapped);
    md::EventRecord e;
    REQUIRE(receiver.next(e));
    CHECK_EQ(e.v[0], 7);
    CHECK_EQ(e.flags, feed::FLAG_RECOVERED);
    CHECK_EQ(e.seq, 8u);
    REQUIRE(receiver.next(e));
    CHECK_EQ(e.v[0], 9);
    CHECK_EQ(e.flags, std::uint8_t{0});
    CHECK(!receiver.next(e));

    // Foreign datagrams are counted and dropped; an older session is ignored.
    const std::uint8_t junk[40] = {'N', 'O', 'P', 'E'};
    REQUIRE(::sendto(hand.udp, junk, sizeof(junk), 0, reinterpret_cast<sockaddr*>(&hand.to), sizeof(hand.to)) == 40);
    hand.session = 4;
    hand.send(10, quote(1, 10));
    settle(receiver, [&] { return receiver.status(feed::monotonic_ns()).counters.old_session_packets == 1; });
    s = receiver.status(feed::monotonic_ns());
    CHECK_EQ(s.counters.bad_packets, std::uint64_t{1});
    CHECK_EQ(s.next_seq, std::uint64_t{10});
}

TEST(the_recovery_channel_refuses_another_version) {
    const std::string data = make_data("version.fmd", 1, 3, 1 * kMs);
    feed::FeedServerConfig sc = server_config(data, free_udp_port());
    sc.max_speed = true;
    ServerThread server(sc);
    server.start();
    feed::Endpoint endpoint;
    REQUIRE(feed::parse_endpoint("127.0.0.1", server.recovery_port(), "recovery", endpoint).ok());
    const auto ask = [&](std::uint16_t version) {
        feed::Fd fd(::socket(AF_INET, SOCK_STREAM, 0));
        REQUIRE(::connect(fd.get(), reinterpret_cast<const sockaddr*>(&endpoint.address), sizeof(endpoint.address)) == 0);
        wire::SnapshotRequest request;
        request.version = version;
        request.request_id = 42;
        std::uint8_t bytes[wire::SnapshotRequest::WIRE_SIZE];
        (void)wire::encode(request, bytes);
        REQUIRE(::send(fd.get(), bytes, sizeof(bytes), MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof(bytes)));
        std::vector<std::uint8_t> in;
        std::uint8_t buffer[4096];
        for (ssize_t n; (n = ::recv(fd.get(), buffer, sizeof(buffer), 0)) > 0;) {
            in.insert(in.end(), buffer, buffer + n);
        }
        return in;
    };
    const auto refused = ask(99);
    wire::SnapshotBegin begin;
    REQUIRE(wire::decode(refused, begin) == wire::WireStatus::OK);
    CHECK(begin.status == abi::SnapshotStatus::VERSION_MISMATCH);
    CHECK_EQ(begin.request_id, 42u);
    CHECK_EQ(begin.instrument_count, 0u);
    CHECK_EQ(refused.size(), wire::SnapshotBegin::WIRE_SIZE + wire::SnapshotEnd::WIRE_SIZE);
    const auto answered = ask(wire::WIRE_VERSION);
    REQUIRE(wire::decode(answered, begin) == wire::WireStatus::OK);
    CHECK(begin.status == abi::SnapshotStatus::OK);
    CHECK_EQ(begin.instrument_count, 1u);
    CHECK_EQ(answered.size(), wire::SnapshotBegin::WIRE_SIZE + wire::InstrumentSnapshot::WIRE_SIZE +
                                  wire::SnapshotEnd::WIRE_SIZE);
    server.stop();
    CHECK_EQ(server.stats().snapshots, std::uint64_t{2});
}

FUNDOS_TEST_MAIN
