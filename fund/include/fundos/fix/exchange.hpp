// Exchange: fundos-exchange, the bundled exchange simulator (docs/FIX.md). A FIX 4.4 acceptor
// (QuickFIX, one thread per connection) in front of ExchangeBook, fed by the FundOS live feed.
//
// Market data: the exchange reads the feed with the Fund's own FeedReceiver, so it matches
// against exactly the events the Fund sees (gaps recovered the same way). With `serve` set it
// also runs the feed itself (an embedded FeedServer replaying .fmd files to a multicast group on
// 127.0.0.1) and joins that group: the Fund joins it too.
//
// Threads: run() is the market loop (feed, timers, and every FIX message out); QuickFIX's
// connection threads only hand requests to the book under its mutex. One thread sends, so the
// reports of an order leave in the order the book made them, and no lock is held while QuickFIX
// sends (its session lock is held while it calls us: taking ours under it, and its under ours,
// would deadlock). Nothing is persisted: sequence numbers live in memory (MemoryStore).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fundos/feed/feed_receiver.hpp"
#include "fundos/feed/feed_server.hpp"
#include "fundos/fix/exchange_book.hpp"

namespace fundos::fix {

struct ExchangeConfig {
    std::uint16_t fix_port = 0;                      ///< 0: a free port (fix_port() says which)
    std::string comp_id = "FUNDOS-EX";               ///< the exchange's CompID
    std::vector<std::string> clients = {"FUND"};     ///< CompIDs allowed to log on
    std::string log_dir;                             ///< FileLog of every message; empty: none
    feed::FeedReceiverConfig market;                 ///< the feed it matches against
    std::optional<feed::FeedServerConfig> serve;     ///< run this feed too (its address must be `market`'s)
    BookConfig book;
};

struct ExchangeStats {
    BookCounters book;
    std::uint64_t market_events = 0;
    std::uint64_t messages_in = 0;   ///< application messages received
    std::uint64_t messages_out = 0;  ///< application messages sent (or stored for resend)
    std::uint64_t logons = 0;
};

class Exchange {
public:
    Exchange();
    ~Exchange();
    Exchange(const Exchange&) = delete;
    Exchange& operator=(const Exchange&) = delete;

    /// Opens the feed (and the embedded server) and starts accepting FIX connections. False with
    /// `error` naming the file, port or setting.
    bool open(const ExchangeConfig& config, std::string& error);
    [[nodiscard]] std::uint16_t fix_port() const noexcept;
    [[nodiscard]] std::uint16_t recovery_port() const noexcept;  ///< the embedded feed's
    /// The market loop, until stop(). False with `error` when the embedded feed failed.
    bool run(std::string& error);
    /// Makes run() return soon; safe from any thread and from a signal handler.
    void stop() noexcept { stop_.store(true, std::memory_order_relaxed); }
    [[nodiscard]] ExchangeStats stats() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::atomic<bool> stop_{false};
};

}  // namespace fundos::fix
