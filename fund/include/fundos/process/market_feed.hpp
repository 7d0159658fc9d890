// MarketFeed: the ingestion thread. It merges the configured .fmd files (ReplayMerge, the one
// deterministic order) and hands each event, numbered by its position in the merged stream, to
// the sequencer through a bounded SPSC queue. The thread only decodes and copies; every decision
// is the sequencer's, so the thread's timing can change when an event arrives, never which or
// in what order.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fundos/concurrent/spsc_queue.hpp"
#include "fundos/engine/journal_replay.hpp"
#include "fundos/marketdata/fmd_format.hpp"
#include "fundos/marketdata/replay_merge.hpp"
#include "fundos/marketdata/replay_reader.hpp"
#include "fundos/marketdata/status.hpp"

namespace fundos::process {

/// One queue entry: an event and its position in the merged replay.
struct MarketItem {
    marketdata::EventRecord event;
    std::uint64_t index;  ///< kEndOfData marks the end of the stream
};
inline constexpr std::uint64_t kEndOfData = ~0ULL;

class MarketFeed {
public:
    static constexpr std::size_t kQueueCapacity = std::size_t{1} << 14;

    MarketFeed() = default;
    ~MarketFeed();
    MarketFeed(const MarketFeed&) = delete;
    MarketFeed& operator=(const MarketFeed&) = delete;

    /// Open every file and the merge; no thread yet. The error names the file.
    marketdata::Status open(const std::vector<std::string>& files);
    [[nodiscard]] const std::vector<marketdata::InstrumentRecord>& instruments() const noexcept {
        return merge_.instruments();
    }
    /// Sum of the files' record counts.
    [[nodiscard]] std::uint64_t total_events() const noexcept { return total_; }
    /// Sum of the files' checksums mixed in file order (for the journal's run record).
    [[nodiscard]] std::uint64_t data_checksum() const noexcept { return checksum_; }

    /// Skip the first `count` merged events (recovery resumes after what the journal consumed),
    /// then start the thread.
    void start(std::uint64_t skip = 0);
    /// Stop the thread early (it also stops by itself at the end of the data).
    void stop() noexcept;

    /// Consumer side (the sequencer's thread): the next item, waiting for the producer.
    [[nodiscard]] const MarketItem& front() noexcept;
    void pop() noexcept {
        queue_.pop();
        // One relaxed load of a line the producer writes only when it goes to sleep or wakes.
        if (std::atomic_ref<std::uint32_t>(producer_asleep_).load(std::memory_order_relaxed) != 0) [[unlikely]] {
            wake_producer();
        }
    }

private:
    void run(std::uint64_t skip) noexcept;
    void wake_producer() noexcept;

    std::vector<std::unique_ptr<marketdata::ReplayReader>> readers_;
    marketdata::ReplayMerge merge_;
    std::uint64_t total_ = 0;
    std::uint64_t checksum_ = 0;
    concurrent::SpscQueue<MarketItem> queue_{kQueueCapacity};
    // The producer, finding the queue full, sleeps (futex on this word, 1 ms at most) instead of
    // spinning on sched_yield: on a machine with fewer cores than busy threads (the sequencer and
    // busy-polling agents) a spinning producer takes their time. The consumer wakes it once half
    // the queue is free again, so it sleeps once per half a queue of events, not per event.
    alignas(concurrent::kFalseSharingRange) std::uint32_t producer_asleep_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

/// The market events a replay of a journal reads (a resumed run, `fund replay`), taken from the
/// feed itself: the replay consumes the merged stream up to the journal's last step, so a resumed
/// run continues with the very next event.
class FeedEvents final : public engine::MarketEvents {
public:
    explicit FeedEvents(MarketFeed& feed) : feed_(feed) {}
    bool event(std::uint64_t index, marketdata::EventRecord& out) noexcept override {
        for (;;) {
            const MarketItem& item = feed_.front();
            if (item.index == kEndOfData || item.index > index) {
                return false;  // the end stays in the queue for the run loop
            }
            const bool wanted = item.index == index;
            out = item.event;
            feed_.pop();
            if (wanted) {
                return true;
            }
        }
    }

private:
    MarketFeed& feed_;
};

}  // namespace fundos::process
