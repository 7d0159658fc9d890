// FeedServer: replays .fmd files as a live feed (docs/FEED.md), so paper trading runs anywhere.
//
// The files are merged as the Fund merges them (ReplayMerge: the same instrument ids and order).
// A session sends every instrument's InstrumentDefinition, then each event as a Quote, Trade or
// Bar when it is due, then EndOfSession; every message takes the next sequence number (from 1
// in each session). Messages go out in UDP packets (PacketHeader + messages, at most
// `max_packet` bytes) to 127.0.0.1:port or to a multicast group; a Heartbeat goes out whenever
// nothing was sent for `heartbeat_interval_ns`, during the session and after its end.
//
// Pacing: an event of exchange time t is due at start + (t - first time) / speed of the wall
// clock; `max_speed` sends everything as fast as the socket takes it. Due events are packed
// together, so a packet holds the events due at once (up to the size limit).
//
// Recovery: a TCP listener on 127.0.0.1:recovery_port answers each SnapshotRequest with
// SnapshotBegin, one InstrumentSnapshot per instrument (its latest state) and SnapshotEnd, valid
// at the last sequence number assigned, then closes the connection. The state includes messages
// the fault injector dropped or holds back: it is the feed's truth, not what went out.
//
// Faults (deterministic from `seed` and the order of packets): each sequenced packet is counted
// (1, 2, ...); packet k is dropped when gap_every divides k or, with gap_rate, when the seeded
// generator says so (a gap); else held back and sent after the next packet when reorder_every
// divides k (reordering); and sent twice when duplicate_every divides k.
//
// run() is the whole loop on the calling thread; stop() (any thread, or a signal handler through
// a flag) makes it return. Not copyable; one run per open.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fundos/feed/market_state.hpp"
#include "fundos/feed/net.hpp"
#include "fundos/feed/packet.hpp"
#include "fundos/marketdata/prng.hpp"
#include "fundos/marketdata/replay_merge.hpp"
#include "fundos/marketdata/replay_reader.hpp"

namespace fundos::feed {

struct FaultConfig {
    double gap_rate = 0.0;             ///< probability that a packet is dropped, 0..1
    std::uint64_t gap_every = 0;       ///< drop every Nth packet; 0: never
    std::uint64_t duplicate_every = 0; ///< send every Nth packet twice; 0: never
    std::uint64_t reorder_every = 0;   ///< send every Nth packet after the one that follows it; 0: never
    std::uint64_t seed = 1;
};

struct FeedServerConfig {
    std::vector<std::string> data;           ///< .fmd files, merged
    double speed = 1.0;                      ///< 1: real time, 10: ten times as fast
    bool max_speed = false;                  ///< as fast as possible (speed ignored)
    std::string address = "127.0.0.1";       ///< where packets go: 127.0.0.1, or a multicast group
    std::string interface_address = "127.0.0.1";  ///< multicast: the interface (loopback)
    std::uint16_t port = 0;                  ///< UDP destination port
    std::uint16_t recovery_port = 0;         ///< TCP port on 127.0.0.1; 0: a free one (recovery_port())
    std::size_t max_packet = abi::FEED_MAX_PACKET;
    std::uint64_t heartbeat_interval_ns = 250'000'000;
    std::uint64_t session_id = 0;            ///< 0: the wall clock in ns when run() starts
    bool loop = false;                       ///< start a new session (id + 1) after each end
    std::int64_t linger_ns = -1;             ///< after the end (without loop): heartbeats and recovery this
                                             ///< long, then run() returns; < 0: until stop()
    FaultConfig faults;
};

struct FeedServerStats {
    std::uint64_t sessions = 0;
    std::uint64_t packets = 0;        ///< sequenced packets made (whatever the faults did to them)
    std::uint64_t datagrams = 0;      ///< datagrams sent (duplicates included, drops not)
    std::uint64_t messages = 0;       ///< sequence numbers assigned
    std::uint64_t market_messages = 0;
    std::uint64_t heartbeats = 0;
    std::uint64_t dropped = 0;        ///< packets dropped by the fault injector
    std::uint64_t duplicated = 0;
    std::uint64_t reordered = 0;
    std::uint64_t send_errors = 0;    ///< sendto failed (e.g. the kernel's buffer was full)
    std::uint64_t snapshots = 0;      ///< snapshot requests answered
    std::uint64_t bad_requests = 0;   ///< recovery connections closed without an answer
    std::uint64_t last_seq = 0;       ///< the last sequence number assigned
};

class FeedServer {
public:
    FeedServer();
    ~FeedServer();
    FeedServer(const FeedServer&) = delete;
    FeedServer& operator=(const FeedServer&) = delete;

    /// Opens the data files and the sockets. The error names the file, address or port.
    Status open(const FeedServerConfig& config);
    /// The TCP recovery port actually bound.
    [[nodiscard]] std::uint16_t recovery_port() const noexcept { return recovery_port_; }
    [[nodiscard]] const std::vector<marketdata::InstrumentRecord>& instruments() const noexcept {
        return merge_.instruments();
    }

    /// Serves until the data ends (and `linger_ns` passes) or stop(); an I/O failure is an error.
    Status run();
    /// Makes run() return soon; safe from any thread.
    void stop() noexcept { stop_.store(true, std::memory_order_relaxed); }

    /// The counters; read them after run() returns (or from run()'s thread).
    [[nodiscard]] const FeedServerStats& stats() const noexcept { return stats_; }

private:
    struct Client;

    void start_session(std::uint64_t now);
    void rewind();
    bool load_next() noexcept;
    [[nodiscard]] std::uint64_t due_at(std::uint64_t exchange_time) const noexcept;
    template <class Message>
    void queue(const Message& message, std::uint64_t now);
    void flush(std::uint64_t now);
    void transmit(std::span<const std::uint8_t> packet);
    void send_datagram(std::span<const std::uint8_t> datagram);
    void serve_recovery(std::uint64_t timeout_ns);
    void accept_clients(std::uint64_t now);
    bool service_client(Client& client, std::uint64_t now);
    void answer(Client& client, const wire::SnapshotRequest& request);

    FeedServerConfig config_;
    std::vector<std::unique_ptr<marketdata::ReplayReader>> readers_;
    marketdata::ReplayMerge merge_;
    marketdata::EventRecord next_event_{};
    bool have_event_ = false;
    std::uint64_t first_time_ = 0;
    std::uint64_t start_wall_ = 0;

    Fd udp_;
    Endpoint destination_;
    Fd listener_;
    std::uint16_t recovery_port_ = 0;
    std::vector<std::unique_ptr<Client>> clients_;

    MarketState state_;
    PacketWriter writer_;
    std::uint64_t session_id_ = 0;
    std::uint64_t next_seq_ = 1;
    bool ended_ = false;            // EndOfSession assigned in this session
    std::uint64_t ended_at_ = 0;    // monotonic time of the end
    std::uint64_t last_send_ = 0;   // monotonic time of the last packet made
    std::uint64_t market_messages_ = 0;  // in this session

    std::uint64_t packet_number_ = 0;
    std::vector<std::uint8_t> held_;  // a packet held back for reordering
    marketdata::Xoshiro256 random_{1};

    FeedServerStats stats_;
    std::atomic<bool> stop_{false};
};

}  // namespace fundos::feed
