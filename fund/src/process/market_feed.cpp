#include "fundos/process/market_feed.hpp"

#include <sched.h>

#include <atomic>
#include <ctime>

#include "fundos/concurrent/futex.hpp"

namespace fundos::process {

MarketFeed::~MarketFeed() { stop(); }

marketdata::Status MarketFeed::open(const std::vector<std::string>& files) {
    if (files.empty()) {
        return marketdata::Status::error("no market-data file configured (simulation.data is empty)");
    }
    std::vector<marketdata::ReplayReader*> borrowed;
    for (const std::string& path : files) {
        auto reader = std::make_unique<marketdata::ReplayReader>();
        if (marketdata::Status status = reader->open(path); !status.ok()) {
            return status;
        }
        total_ += reader->header().record_count;
        checksum_ = (checksum_ ^ reader->header().checksum) * 0x100000001b3ULL;
        borrowed.push_back(reader.get());
        readers_.push_back(std::move(reader));
    }
    return merge_.open(std::move(borrowed));
}

void MarketFeed::start(std::uint64_t skip) {
    thread_ = std::thread([this, skip] { run(skip); });
}

void MarketFeed::stop() noexcept {
    stop_.store(true, std::memory_order_relaxed);
    if (thread_.joinable()) {
        thread_.join();
    }
}

void MarketFeed::run(std::uint64_t skip) noexcept {
    std::uint64_t index = 0;
    for (; index < skip && merge_.next() != nullptr; ++index) {
    }
    MarketItem item{};
    for (;;) {
        const marketdata::EventRecord* event = merge_.next();
        if (event != nullptr) {
            item.event = *event;
            item.index = index++;
        } else {
            item = MarketItem{};
            item.index = kEndOfData;
        }
        while (!queue_.try_push(item)) {
            if (stop_.load(std::memory_order_relaxed)) {
                return;
            }
            // Full: sleep until the consumer has freed half the queue (it wakes us) or 1 ms has
            // passed (a wake-up lost to the race between this store and its last pop costs at
            // most that, with a full queue of events still buffered for the consumer).
            std::atomic_ref<std::uint32_t> asleep(producer_asleep_);
            asleep.store(1, std::memory_order_seq_cst);
            if (queue_.try_push(item)) {
                asleep.store(0, std::memory_order_relaxed);
                break;
            }
            const struct timespec timeout {0, 1'000'000};
            (void)concurrent::futex_wait_private(&producer_asleep_, 1, &timeout);  // bounded, rechecked
            asleep.store(0, std::memory_order_relaxed);
        }
        if (event == nullptr) {
            return;
        }
    }
}

void MarketFeed::wake_producer() noexcept {
    if (queue_.size_approx() > kQueueCapacity / 2) {
        return;  // not yet: it would only refill a few slots and sleep again
    }
    std::atomic_ref<std::uint32_t>(producer_asleep_).store(0, std::memory_order_relaxed);
    (void)concurrent::futex_wake_private(&producer_asleep_, 1);
}

const MarketItem& MarketFeed::front() noexcept {
    for (unsigned spins = 0;; ++spins) {
        if (const MarketItem* item = queue_.front(); item != nullptr) {
            return *item;
        }
        if (spins > 64) {
            sched_yield();
        }
    }
}

}  // namespace fundos::process
