// LiveFeed: the ingestion thread of the live modes (paper, production). It drives a FeedReceiver
// (poll, next: fundos/feed/feed_receiver.hpp) and hands the sequencer, through a bounded SPSC
// queue, each market event in feed order and each change of an instrument's feed status (tripped:
// unknown, gapped or stale; or trustworthy again), then the end of the session. Like MarketFeed it
// only decodes and copies: the sequencer decides when each item reaches the engine, and what it
// applied is journaled (kMarketEvent, kFeedStatus), so the thread's timing never reaches a replay.
//
// A full queue is not waited on: the thread keeps the item and stops taking events from the
// receiver, whose own queue then fills and makes it stop reading the socket; what the kernel drops
// after that is a gap, recovered by a snapshot like any other.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "fundos/concurrent/spsc_queue.hpp"
#include "fundos/engine/config.hpp"
#include "fundos/feed/feed_receiver.hpp"
#include "fundos/marketdata/fmd_format.hpp"
#include "fundos/marketdata/status.hpp"

namespace fundos::process {

struct LiveItem {
    enum class Kind : std::uint8_t { kEvent = 1, kStatus = 2, kEnd = 3 };
    Kind kind = Kind::kEvent;
    bool tripped = false;        ///< kStatus: the stale guard should hold for the instrument
    std::uint32_t md_id = 0;     ///< kStatus: the feed's instrument id
    /// kEvent: when the thread read it off the socket (monotonic ns; the poll that received it).
    /// Wall clock for latency figures only: it never reaches the engine or the journal.
    std::uint64_t received_ns = 0;
    marketdata::EventRecord event{};  ///< kEvent
};

class LiveFeed {
public:
    static constexpr std::size_t kQueueCapacity = std::size_t{1} << 14;

    LiveFeed() = default;
    ~LiveFeed();
    LiveFeed(const LiveFeed&) = delete;
    LiveFeed& operator=(const LiveFeed&) = delete;

    /// Opens the receiver's socket with the configuration's market_data settings; the error names
    /// the address. No thread yet.
    marketdata::Status open(const engine::MarketDataConfig& config);
    void start();
    void stop() noexcept;

    /// The instruments the feed has defined so far (a copy: the thread owns the receiver).
    [[nodiscard]] std::vector<marketdata::InstrumentRecord> instruments() const;

    /// Consumer side (the sequencer's thread): the oldest item or nullptr; never waits.
    [[nodiscard]] const LiveItem* front() noexcept { return queue_.front(); }
    void pop() noexcept { queue_.pop(); }

private:
    void run() noexcept;
    bool push(const LiveItem& item) noexcept { return queue_.try_push(item); }

    feed::FeedReceiver receiver_;
    concurrent::SpscQueue<LiveItem> queue_{kQueueCapacity};
    mutable std::mutex instruments_mutex_;
    std::vector<marketdata::InstrumentRecord> instruments_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace fundos::process
