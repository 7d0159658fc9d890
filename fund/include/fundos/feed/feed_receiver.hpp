// FeedReceiver: the FeedAdapter for the FundOS binary feed (docs/FEED.md; the messages are
// schema/abi.yaml's, encoded by generated/cpp/fundos/wire.hpp).
//
// It reads UDP packets (unicast 127.0.0.1 or a multicast group, non-blocking) and applies their
// messages strictly in sequence order:
//   seq <  next expected       a duplicate: dropped (counted)
//   seq == next expected       applied, then every held message that now follows in order
//   seq >  next expected       held in the pending buffer; the hole is a *gap* once a message
//                              more than `reorder_window` ahead arrives or the hole is older
//                              than `reorder_timeout_ns`; until then it is reordering, repaired
//                              when the missing messages arrive
// On a gap (or when it joins a session late, first_seq > 1) it marks every instrument gapped and
// asks the server for a snapshot over TCP (SnapshotRequest with the last sequence number it
// applied). Meanwhile it keeps holding what arrives (up to `pending_capacity` messages ahead). The
// snapshot, valid at sequence S, replaces the lost messages: each instrument's definition and its
// latest quote, trade and bar become events (flagged FLAG_RECOVERED) where they differ from what
// the receiver had; held messages up to S are dropped, the rest applied in order; every
// instrument's gap clears. A failed snapshot (refused, cut, `recovery_timeout_ns`) is asked again
// after `retry_delay_ns`.
//
// A newer session id (the server restarted or looped) starts over: sequence from that packet's
// first_seq, instruments kept but gapped until its definitions or a snapshot arrive; packets of
// an older session are dropped. The feed is stale when nothing (heartbeats included) arrived for
// `stale_after_ns`.
//
// Everything is driven by poll(now) on one thread; see FeedAdapter. on_datagram() is the same
// path for a datagram the caller read itself (tests, or another transport).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fundos/feed/feed_adapter.hpp"
#include "fundos/feed/market_state.hpp"
#include "fundos/feed/net.hpp"
#include "fundos/feed/packet.hpp"

namespace fundos::feed {

struct FeedReceiverConfig {
    std::string address = "127.0.0.1";           ///< 127.0.0.1 (unicast) or a multicast group
    std::string interface_address = "127.0.0.1"; ///< multicast: the interface to join on
    std::uint16_t port = 0;                      ///< UDP port packets arrive on
    std::string recovery_address = "127.0.0.1";
    std::uint16_t recovery_port = 0;             ///< the server's TCP recovery port
    std::uint32_t reorder_window = 64;           ///< messages ahead of a hole that are still reordering
    std::uint64_t reorder_timeout_ns = 20'000'000;    ///< a hole older than this is a gap
    std::uint64_t stale_after_ns = 1'000'000'000;     ///< silence longer than this: stale
    std::uint64_t recovery_timeout_ns = 2'000'000'000;///< a snapshot taking longer is abandoned
    std::uint64_t retry_delay_ns = 100'000'000;       ///< before asking again after a failure
    std::size_t pending_capacity = 1 << 14;      ///< messages held ahead of the next expected
    std::size_t event_capacity = 1 << 14;        ///< events queued for next(): poll() stops reading the
                                                 ///< socket while this many wait (what the kernel then
                                                 ///< drops becomes a gap); bursts grow the queue
    std::size_t max_datagrams_per_poll = 512;
    int receive_buffer = 4 << 20;                ///< SO_RCVBUF asked for
    std::uint16_t source = 0;                    ///< EventRecord.source of the events
};

class FeedReceiver final : public FeedAdapter {
public:
    FeedReceiver();
    ~FeedReceiver() override;
    FeedReceiver(const FeedReceiver&) = delete;
    FeedReceiver& operator=(const FeedReceiver&) = delete;

    /// Opens the UDP socket (and checks the recovery address). The error names the address.
    /// Port 0 binds a free port (see port()).
    Status open(const FeedReceiverConfig& config);
    /// The UDP port bound.
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

    std::size_t poll(std::uint64_t now_ns) noexcept override;
    void wait(std::uint64_t timeout_ns) noexcept override;
    bool next(marketdata::EventRecord& event) noexcept override;
    [[nodiscard]] const std::vector<marketdata::InstrumentRecord>& instruments() const noexcept override {
        return instruments_;
    }
    [[nodiscard]] InstrumentFeedStatus instrument_status(std::uint32_t instrument_id,
                                                         std::uint64_t now_ns) const noexcept override;
    [[nodiscard]] FeedStatus status(std::uint64_t now_ns) const noexcept override;

    /// Apply one datagram received at `now_ns` (what poll() does with each it reads).
    void on_datagram(std::span<const std::uint8_t> datagram, std::uint64_t now_ns) noexcept;

    /// The latest state of each instrument, as the feed's snapshot rows (definition order).
    [[nodiscard]] const std::vector<wire::InstrumentSnapshot>& latest() const noexcept { return state_.rows(); }
    /// True once the session's EndOfSession was applied (or a snapshot said the session ended).
    [[nodiscard]] bool ended() const noexcept { return ended_; }

private:
    /// The largest message a feed packet carries (a Bar); a bigger one must be of an id this
    /// build does not know, and is held as a placeholder that only takes its sequence number.
    static constexpr std::size_t kSlotBytes = 64;
    struct Slot {
        std::uint64_t seq = 0;  // 0: empty
        std::uint16_t size = 0; // 0: a placeholder (an unknown message too big to keep)
        std::uint8_t bytes[kSlotBytes] = {};
    };
    struct Flags {
        bool gapped = true;
        std::uint64_t last_update_ns = 0;
        std::uint64_t exchange_time = 0;
    };
    struct Recovery;

    void handle(std::uint64_t seq, std::span<const std::uint8_t> message, std::uint64_t now) noexcept;
    void apply(std::uint64_t seq, std::span<const std::uint8_t> message, std::uint64_t now) noexcept;
    void drain(std::uint64_t now, bool reordered) noexcept;
    void hold(std::uint64_t seq, std::span<const std::uint8_t> message) noexcept;
    void drop_pending_through(std::uint64_t seq) noexcept;
    void clear_pending() noexcept;
    void new_session(std::uint64_t session_id, std::uint64_t first_seq, std::uint64_t now) noexcept;
    void start_recovery(std::uint64_t now) noexcept;
    void advance_recovery(std::uint64_t now) noexcept;
    void fail_recovery(std::uint64_t now) noexcept;
    bool parse_snapshot(std::uint64_t now) noexcept;
    void push(const marketdata::EventRecord& event) noexcept;
    void define(const wire::InstrumentDefinition& definition) noexcept;
    Flags* flags_of(std::uint32_t instrument_id) noexcept;
    const Flags* flags_of(std::uint32_t instrument_id) const noexcept;

    FeedReceiverConfig config_;
    Fd udp_;
    std::uint16_t port_ = 0;
    Endpoint recovery_endpoint_;
    std::vector<std::uint8_t> datagram_;
    PacketView view_;

    MarketState state_;
    std::vector<marketdata::InstrumentRecord> instruments_;
    std::vector<Flags> flags_;  // parallel to state_.rows()

    std::uint64_t session_id_ = 0;
    std::uint64_t next_seq_ = 0;       // 0: not synchronized (waiting for a snapshot)
    std::uint64_t late_base_ = 0;      // unsynchronized: the lowest sequence number held
    std::uint64_t highest_seq_ = 0;
    std::uint64_t last_packet_ns_ = 0; // 0: nothing yet
    std::uint64_t hole_since_ = 0;     // 0: no hole
    bool ended_ = false;
    bool was_stale_ = false;

    std::vector<Slot> pending_;
    std::size_t pending_count_ = 0;

    Recovery* recovery_ = nullptr;     // owned; the TCP exchange in progress
    std::uint64_t retry_at_ = 0;
    bool recovering_ = false;
    std::uint32_t request_id_ = 0;

    std::vector<marketdata::EventRecord> events_;  // a ring: head_ .. head_ + count_
    std::size_t events_head_ = 0;
    std::size_t events_count_ = 0;

    FeedCounters counters_;
};

}  // namespace fundos::feed
