#include "fundos/process/live_feed.hpp"

#include <algorithm>
#include <utility>

#include "fundos/feed/net.hpp"

namespace fundos::process {

LiveFeed::~LiveFeed() { stop(); }

marketdata::Status LiveFeed::open(const engine::MarketDataConfig& config) {
    feed::FeedReceiverConfig rc;
    rc.address = config.address;
    rc.interface_address = config.interface_address;
    rc.port = config.port;
    rc.recovery_address = config.recovery_address;
    rc.recovery_port = config.recovery_port;
    rc.reorder_window = config.reorder_window;
    rc.reorder_timeout_ns = config.reorder_timeout_ns;
    rc.stale_after_ns = config.stale_after_ns;
    rc.recovery_timeout_ns = config.recovery_timeout_ns;
    return receiver_.open(rc);
}

void LiveFeed::start() {
    thread_ = std::thread([this] { run(); });
}

void LiveFeed::stop() noexcept {
    stop_.store(true, std::memory_order_relaxed);
    if (thread_.joinable()) {
        thread_.join();
    }
}

std::vector<marketdata::InstrumentRecord> LiveFeed::instruments() const {
    const std::lock_guard<std::mutex> lock(instruments_mutex_);
    return instruments_;
}

void LiveFeed::run() noexcept {
    constexpr std::uint64_t kWaitNs = 1'000'000;  // the receiver's socket wait: also how soon stop() is seen
    // Per instrument (the receiver's definition order): the tripped state last handed over. The
    // engine starts with every instrument trusted, so a tripped one is announced at once.
    std::vector<std::pair<std::uint32_t, bool>> sent;
    LiveItem held{};
    bool holding = false;
    bool end_sent = false;
    while (!stop_.load(std::memory_order_relaxed)) {
        const std::uint64_t now = feed::monotonic_ns();
        (void)receiver_.poll(now);
        const std::vector<marketdata::InstrumentRecord>& defined = receiver_.instruments();
        if (defined.size() != sent.size()) {
            const std::lock_guard<std::mutex> lock(instruments_mutex_);
            instruments_ = defined;
            for (std::size_t i = sent.size(); i < defined.size(); ++i) {
                sent.emplace_back(defined[i].instrument_id, false);
            }
        }
        bool progress = false;
        for (;;) {  // events first: a status change follows the events applied before it
            if (!holding) {
                held.kind = LiveItem::Kind::kEvent;
                if (!receiver_.next(held.event)) {
                    break;
                }
                held.received_ns = now;
                holding = true;
            }
            if (!push(held)) {
                break;
            }
            holding = false;
            progress = true;
        }
        for (auto& [md_id, tripped] : sent) {
            const bool now_tripped = receiver_.instrument_status(md_id, now).tripped();
            if (now_tripped == tripped || holding) {
                continue;
            }
            LiveItem status{};
            status.kind = LiveItem::Kind::kStatus;
            status.md_id = md_id;
            status.tripped = now_tripped;
            if (push(status)) {
                tripped = now_tripped;
                progress = true;
            }
        }
        if (receiver_.ended() && !holding && !end_sent) {
            marketdata::EventRecord spare{};
            if (!receiver_.next(spare)) {
                LiveItem end{};
                end.kind = LiveItem::Kind::kEnd;
                end_sent = push(end);
            } else {
                held.kind = LiveItem::Kind::kEvent;
                held.event = spare;
                held.received_ns = now;
                holding = true;
            }
        }
        if (!progress) {
            receiver_.wait(kWaitNs);
        }
    }
}

}  // namespace fundos::process
