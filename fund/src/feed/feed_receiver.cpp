#include "fundos/feed/feed_receiver.hpp"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace fundos::feed {

namespace md = marketdata;

namespace {

constexpr std::size_t kMaxDatagram = 65536;
constexpr std::size_t kMaxSnapshotInstruments = 1 << 20;  // an answer announcing more is refused

static_assert(wire::InstrumentDefinition::WIRE_SIZE <= 64 && wire::Quote::WIRE_SIZE <= 64 &&
                  wire::Trade::WIRE_SIZE <= 64 && wire::Bar::WIRE_SIZE <= 64 && wire::Heartbeat::WIRE_SIZE <= 64 &&
                  wire::EndOfSession::WIRE_SIZE <= 64,
              "every message a feed packet carries fits a pending slot");

}  // namespace

struct FeedReceiver::Recovery {
    Fd fd;
    bool connected = false;
    bool sent = false;
    std::uint64_t started = 0;
    std::uint32_t request_id = 0;
    std::vector<std::uint8_t> in;
};

FeedReceiver::FeedReceiver() = default;

FeedReceiver::~FeedReceiver() { delete recovery_; }

Status FeedReceiver::open(const FeedReceiverConfig& config) {
    config_ = config;
    if (config_.pending_capacity < 2 || config_.event_capacity < 1) {
        return Status::error("the pending and event capacities must be at least 2 and 1");
    }
    config_.reorder_window = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(config_.reorder_window, config_.pending_capacity - 1));
    Endpoint endpoint;
    if (Status s = parse_endpoint(config_.address, config_.port, "feed address", endpoint); !s.ok()) {
        return s;
    }
    if (Status s = parse_endpoint(config_.recovery_address, config_.recovery_port, "recovery address",
                                  recovery_endpoint_);
        !s.ok()) {
        return s;
    }
    if (Status s = open_udp_receiver(endpoint, config_.interface_address, config_.receive_buffer, udp_); !s.ok()) {
        return s;
    }
    sockaddr_in bound{};
    socklen_t length = sizeof(bound);
    port_ = ::getsockname(udp_.get(), reinterpret_cast<sockaddr*>(&bound), &length) == 0 ? ntohs(bound.sin_port)
                                                                                          : config_.port;
    datagram_.assign(kMaxDatagram, 0);
    pending_.assign(config_.pending_capacity, Slot{});
    events_.assign(config_.event_capacity, md::EventRecord{});
    return {};
}

// ---- the event queue

void FeedReceiver::push(const md::EventRecord& event) noexcept {
    if (events_count_ == events_.size()) {
        // The consumer fell behind a burst (a snapshot, a drained reorder buffer): grow, in order.
        try {
            std::vector<md::EventRecord> bigger(events_.size() * 2);
            for (std::size_t i = 0; i < events_count_; ++i) {
                bigger[i] = events_[(events_head_ + i) % events_.size()];
            }
            events_ = std::move(bigger);
            events_head_ = 0;
        } catch (...) {
            return;  // out of memory: the event is lost, as if the network lost it
        }
    }
    events_[(events_head_ + events_count_) % events_.size()] = event;
    ++events_count_;
}

bool FeedReceiver::next(md::EventRecord& event) noexcept {
    if (events_count_ == 0) {
        return false;
    }
    event = events_[events_head_];
    events_head_ = (events_head_ + 1) % events_.size();
    --events_count_;
    ++counters_.events;
    return true;
}

// ---- instruments

FeedReceiver::Flags* FeedReceiver::flags_of(std::uint32_t instrument_id) noexcept {
    const wire::InstrumentSnapshot* row = state_.find(instrument_id);
    return row == nullptr ? nullptr : &flags_[static_cast<std::size_t>(row - state_.rows().data())];
}

const FeedReceiver::Flags* FeedReceiver::flags_of(std::uint32_t instrument_id) const noexcept {
    const wire::InstrumentSnapshot* row = state_.find(instrument_id);
    return row == nullptr ? nullptr : &flags_[static_cast<std::size_t>(row - state_.rows().data())];
}

void FeedReceiver::define(const wire::InstrumentDefinition& definition) noexcept {
    try {
        const bool known = state_.find(definition.instrument_id) != nullptr;
        state_.define(definition);
        if (!known) {
            flags_.push_back(Flags{});
            instruments_.push_back(from_definition(definition));
        } else {
            for (md::InstrumentRecord& record : instruments_) {
                if (record.instrument_id == definition.instrument_id) {
                    record = from_definition(definition);
                }
            }
        }
        flags_of(definition.instrument_id)->gapped = false;
    } catch (...) {
        // out of memory: the instrument stays unknown (tripped)
    }
}

InstrumentFeedStatus FeedReceiver::instrument_status(std::uint32_t instrument_id, std::uint64_t now_ns) const noexcept {
    InstrumentFeedStatus out;
    const Flags* flags = flags_of(instrument_id);
    out.stale = last_packet_ns_ == 0 || now_ns - last_packet_ns_ > config_.stale_after_ns;
    if (flags == nullptr) {
        out.gapped = recovering_ || next_seq_ == 0;
        return out;
    }
    out.known = true;
    out.gapped = flags->gapped || recovering_ || next_seq_ == 0;
    out.last_update_ns = flags->last_update_ns;
    out.exchange_time = flags->exchange_time;
    return out;
}

FeedStatus FeedReceiver::status(std::uint64_t now_ns) const noexcept {
    FeedStatus out;
    if (last_packet_ns_ == 0) {
        out.health = FeedHealth::WAITING;
    } else if (recovering_ || next_seq_ == 0) {
        out.health = FeedHealth::RECOVERING;
    } else if (ended_) {
        out.health = FeedHealth::ENDED;
    } else if (now_ns - last_packet_ns_ > config_.stale_after_ns) {
        out.health = FeedHealth::STALE;
    } else {
        out.health = FeedHealth::LIVE;
    }
    out.session_id = session_id_;
    out.next_seq = next_seq_;
    out.pending = pending_count_;
    out.counters = counters_;
    return out;
}

// ---- packets and sequencing

std::size_t FeedReceiver::poll(std::uint64_t now_ns) noexcept {
    for (std::size_t i = 0; i < config_.max_datagrams_per_poll && events_count_ < config_.event_capacity; ++i) {
        const ssize_t got = ::recv(udp_.get(), datagram_.data(), datagram_.size(), MSG_DONTWAIT | MSG_TRUNC);
        if (got < 0) {
            break;  // EAGAIN: nothing more for now (other errors: the next poll tries again)
        }
        if (static_cast<std::size_t>(got) > datagram_.size()) {
            ++counters_.packets;
            ++counters_.bad_packets;  // truncated: larger than any datagram
            continue;
        }
        on_datagram(std::span<const std::uint8_t>(datagram_.data(), static_cast<std::size_t>(got)), now_ns);
    }
    if (recovering_) {
        advance_recovery(now_ns);
    } else if (hole_since_ != 0 && now_ns - hole_since_ > config_.reorder_timeout_ns) {
        ++counters_.gaps;
        start_recovery(now_ns);
    }
    const bool stale = last_packet_ns_ != 0 && now_ns - last_packet_ns_ > config_.stale_after_ns;
    if (stale && !was_stale_) {
        ++counters_.stale_episodes;
    }
    was_stale_ = stale;
    return events_count_;
}

void FeedReceiver::wait(std::uint64_t timeout_ns) noexcept {
    const std::uint64_t now = monotonic_ns();
    std::uint64_t limit = timeout_ns;
    if (hole_since_ != 0 && !recovering_) {
        const std::uint64_t due = hole_since_ + config_.reorder_timeout_ns;
        limit = std::min(limit, due > now ? due - now : 0);
    }
    if (recovering_ && recovery_ == nullptr) {
        limit = std::min(limit, retry_at_ > now ? retry_at_ - now : 0);
    }
    pollfd fds[2] = {{udp_.get(), POLLIN, 0}, {-1, 0, 0}};
    nfds_t count = 1;
    if (recovery_ != nullptr) {
        fds[1] = {recovery_->fd.get(), static_cast<short>(recovery_->connected ? POLLIN : POLLOUT), 0};
        count = 2;
    }
    timespec timeout{static_cast<time_t>(limit / 1'000'000'000ULL), static_cast<long>(limit % 1'000'000'000ULL)};
    (void)::ppoll(fds, count, &timeout, nullptr);
}

void FeedReceiver::on_datagram(std::span<const std::uint8_t> datagram, std::uint64_t now_ns) noexcept {
    ++counters_.packets;
    if (read_packet(datagram, view_) != PacketError::OK) {
        ++counters_.bad_packets;
        return;
    }
    const wire::PacketHeader& header = view_.header;
    if (session_id_ != 0 && header.session_id < session_id_) {
        ++counters_.old_session_packets;
        return;
    }
    last_packet_ns_ = now_ns;
    if (session_id_ == 0 || header.session_id > session_id_) {
        new_session(header.session_id, header.first_seq, now_ns);
    }
    for (std::size_t i = 0; i < view_.count; ++i) {
        ++counters_.messages;
        handle(header.first_seq + i, view_.messages[i], now_ns);
    }
}

void FeedReceiver::new_session(std::uint64_t session_id, std::uint64_t first_seq, std::uint64_t now) noexcept {
    if (recovery_ != nullptr) {
        delete recovery_;
        recovery_ = nullptr;
    }
    recovering_ = false;
    clear_pending();
    for (Flags& flags : flags_) {
        flags.gapped = true;  // until the new session defines the instrument again, or a snapshot
    }
    ++counters_.sessions;
    session_id_ = session_id;
    ended_ = false;
    highest_seq_ = 0;
    hole_since_ = 0;
    if (first_seq == 1) {
        next_seq_ = 1;
        return;
    }
    // Joined late: what came before first_seq is known only from a snapshot.
    next_seq_ = 0;
    late_base_ = first_seq;
    ++counters_.gaps;
    start_recovery(now);
}

void FeedReceiver::handle(std::uint64_t seq, std::span<const std::uint8_t> message, std::uint64_t now) noexcept {
    highest_seq_ = std::max(highest_seq_, seq);
    if (next_seq_ != 0 && seq < next_seq_) {
        ++counters_.duplicates;
        return;
    }
    const std::uint64_t base = next_seq_ != 0 ? next_seq_ : late_base_;
    if (next_seq_ == 0 || recovering_) {
        if (seq < base) {
            return;  // before a late join: the snapshot covers it
        }
        if (pending_[seq % pending_.size()].seq == seq) {
            ++counters_.duplicates;
        } else if (seq - base >= pending_.size()) {
            ++counters_.overflow;  // beyond the buffer: a later snapshot (or recovery round) covers it
        } else {
            hold(seq, message);
        }
        return;
    }
    if (seq == next_seq_) {
        apply(seq, message, now);
        ++next_seq_;
        drain(now, true);
        hole_since_ = pending_count_ != 0 ? now : 0;
        return;
    }
    // Ahead of a hole.
    if (pending_[seq % pending_.size()].seq == seq) {
        ++counters_.duplicates;
        return;
    }
    if (seq - next_seq_ < pending_.size()) {
        hold(seq, message);
    } else {
        ++counters_.overflow;
    }
    if (hole_since_ == 0) {
        hole_since_ = now;
    }
    if (seq - next_seq_ > config_.reorder_window) {
        ++counters_.gaps;
        start_recovery(now);
    }
}

void FeedReceiver::hold(std::uint64_t seq, std::span<const std::uint8_t> message) noexcept {
    Slot& slot = pending_[seq % pending_.size()];
    slot.seq = seq;
    if (message.size() <= kSlotBytes) {
        slot.size = static_cast<std::uint16_t>(message.size());
        std::memcpy(slot.bytes, message.data(), message.size());
    } else {
        slot.size = 0;  // a message this build cannot apply anyway; it only takes its number
    }
    ++pending_count_;
}

void FeedReceiver::drain(std::uint64_t now, bool reordered) noexcept {
    while (pending_count_ != 0) {
        Slot& slot = pending_[next_seq_ % pending_.size()];
        if (slot.seq != next_seq_) {
            return;
        }
        apply(next_seq_, std::span<const std::uint8_t>(slot.bytes, slot.size), now);
        slot.seq = 0;
        --pending_count_;
        counters_.reordered += reordered ? 1 : 0;
        ++next_seq_;
    }
}

void FeedReceiver::drop_pending_through(std::uint64_t seq) noexcept {
    if (pending_count_ == 0) {
        return;
    }
    for (Slot& slot : pending_) {
        if (slot.seq != 0 && slot.seq <= seq) {
            slot.seq = 0;
            --pending_count_;
        }
    }
}

void FeedReceiver::clear_pending() noexcept {
    if (pending_count_ == 0) {
        return;
    }
    for (Slot& slot : pending_) {
        slot.seq = 0;
    }
    pending_count_ = 0;
}

void FeedReceiver::apply(std::uint64_t seq, std::span<const std::uint8_t> message, std::uint64_t now) noexcept {
    ++counters_.applied;
    wire::Frame frame;
    if (message.empty() || wire::read_frame(message, frame) != wire::WireStatus::OK) {
        ++counters_.unknown_messages;  // a placeholder
        return;
    }
    const auto market = [&](const md::EventRecord& made, bool known, std::uint32_t instrument, std::uint64_t time) {
        if (!known) {
            ++counters_.unknown_instruments;
            return;
        }
        md::EventRecord event = made;
        event.seq = static_cast<std::uint32_t>(seq);
        event.source = config_.source;
        Flags* flags = flags_of(instrument);
        flags->last_update_ns = now;
        flags->exchange_time = time;
        push(event);
    };
    bool decoded = true;
    switch (static_cast<wire::MessageId>(frame.id)) {
        case wire::MessageId::INSTRUMENT_DEFINITION: {
            wire::InstrumentDefinition m;
            if ((decoded = wire::decode(message, m) == wire::WireStatus::OK)) {
                define(m);
            }
            break;
        }
        case wire::MessageId::QUOTE: {
            wire::Quote m;
            if ((decoded = wire::decode(message, m) == wire::WireStatus::OK)) {
                market(from_quote(m), state_.apply(m), m.instrument_id, m.exchange_time);
            }
            break;
        }
        case wire::MessageId::TRADE: {
            wire::Trade m;
            if ((decoded = wire::decode(message, m) == wire::WireStatus::OK)) {
                market(from_trade(m), state_.apply(m), m.instrument_id, m.exchange_time);
            }
            break;
        }
        case wire::MessageId::BAR: {
            wire::Bar m;
            if ((decoded = wire::decode(message, m) == wire::WireStatus::OK)) {
                market(from_bar(m), state_.apply(m), m.instrument_id, m.end_time);
            }
            break;
        }
        case wire::MessageId::HEARTBEAT:
            ++counters_.heartbeats;
            break;
        case wire::MessageId::END_OF_SESSION:
            ended_ = true;
            break;
        default:
            ++counters_.unknown_messages;  // another channel's message, or a newer one: skipped
            break;
    }
    if (!decoded) {
        ++counters_.bad_packets;  // a known id with the wrong size
    }
}

// ---- recovery

void FeedReceiver::start_recovery(std::uint64_t now) noexcept {
    recovering_ = true;
    hole_since_ = 0;
    for (Flags& flags : flags_) {
        flags.gapped = true;
    }
    delete recovery_;
    recovery_ = nullptr;
    Recovery* recovery = nullptr;
    try {
        recovery = new Recovery;
    } catch (...) {
        fail_recovery(now);
        return;
    }
    if (!start_tcp_connect(recovery_endpoint_, recovery->fd).ok()) {
        delete recovery;
        fail_recovery(now);
        return;
    }
    recovery->started = now;
    recovery->request_id = ++request_id_;
    recovery_ = recovery;
}

void FeedReceiver::fail_recovery(std::uint64_t now) noexcept {
    ++counters_.recovery_failures;
    delete recovery_;
    recovery_ = nullptr;
    retry_at_ = now + config_.retry_delay_ns;
}

void FeedReceiver::advance_recovery(std::uint64_t now) noexcept {
    if (recovery_ == nullptr) {
        if (now >= retry_at_) {
            start_recovery(now);
        }
        return;
    }
    Recovery& r = *recovery_;
    if (now - r.started > config_.recovery_timeout_ns) {
        fail_recovery(now);
        return;
    }
    if (!r.connected) {
        pollfd fd{r.fd.get(), POLLOUT, 0};
        if (::poll(&fd, 1, 0) <= 0) {
            return;  // still connecting
        }
        if (connect_result(r.fd.get()) != 0) {
            fail_recovery(now);
            return;
        }
        r.connected = true;
    }
    if (!r.sent) {
        wire::SnapshotRequest request{};
        request.version = wire::WIRE_VERSION;
        request.request_id = r.request_id;
        request.session_id = session_id_;
        request.last_seq = next_seq_ != 0 ? next_seq_ - 1 : 0;
        std::uint8_t bytes[wire::SnapshotRequest::WIRE_SIZE];
        (void)wire::encode(request, bytes);
        const ssize_t put = ::send(r.fd.get(), bytes, sizeof(bytes), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (put != static_cast<ssize_t>(sizeof(bytes))) {  // 26 bytes into a fresh socket: all or an error
            fail_recovery(now);
            return;
        }
        r.sent = true;
    }
    std::uint8_t buffer[16384];
    for (;;) {
        const ssize_t got = ::recv(r.fd.get(), buffer, sizeof(buffer), MSG_DONTWAIT);
        if (got > 0) {
            try {
                r.in.insert(r.in.end(), buffer, buffer + got);
            } catch (...) {
                fail_recovery(now);
                return;
            }
            continue;
        }
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            break;
        }
        // EOF or an error: the answer is whatever arrived; it must be whole.
        if (!parse_snapshot(now) && recovery_ != nullptr) {
            fail_recovery(now);
        }
        return;
    }
    (void)parse_snapshot(now);  // applies it as soon as it is whole, before the server closes
}

bool FeedReceiver::parse_snapshot(std::uint64_t now) noexcept {
    if (recovery_ == nullptr) {
        return false;
    }
    const std::span<const std::uint8_t> in(recovery_->in);
    wire::SnapshotBegin begin;
    const wire::WireStatus head = wire::decode(in, begin);
    if (head == wire::WireStatus::TOO_SHORT) {
        return false;
    }
    if (head != wire::WireStatus::OK || begin.request_id != recovery_->request_id ||
        begin.instrument_count > kMaxSnapshotInstruments) {
        fail_recovery(now);
        return false;
    }
    const std::size_t total = wire::SnapshotBegin::WIRE_SIZE +
                              std::size_t{begin.instrument_count} * wire::InstrumentSnapshot::WIRE_SIZE +
                              wire::SnapshotEnd::WIRE_SIZE;
    if (in.size() < total) {
        return false;
    }
    wire::SnapshotEnd end;
    if (wire::decode(in.subspan(total - wire::SnapshotEnd::WIRE_SIZE), end) != wire::WireStatus::OK ||
        end.request_id != begin.request_id || end.session_id != begin.session_id ||
        end.valid_at_seq != begin.valid_at_seq || end.instrument_count != begin.instrument_count ||
        begin.status != abi::SnapshotStatus::OK || begin.session_id < session_id_) {
        fail_recovery(now);
        return false;
    }
    if (begin.session_id > session_id_) {
        // The server moved on to a newer session: follow it from this snapshot.
        session_id_ = begin.session_id;
        ++counters_.sessions;
        clear_pending();
        next_seq_ = 0;
        late_base_ = 0;
        highest_seq_ = 0;
    }
    const std::uint64_t valid = begin.valid_at_seq;
    const auto event_seq = static_cast<std::uint32_t>(valid);
    for (std::uint32_t i = 0; i < begin.instrument_count; ++i) {
        wire::InstrumentSnapshot row;
        const auto bytes = in.subspan(wire::SnapshotBegin::WIRE_SIZE + std::size_t{i} * wire::InstrumentSnapshot::WIRE_SIZE);
        if (wire::decode(bytes, row) != wire::WireStatus::OK) {
            fail_recovery(now);
            return false;
        }
        const wire::InstrumentSnapshot* known = state_.find(row.instrument_id);
        const wire::InstrumentSnapshot before = known != nullptr ? *known : wire::InstrumentSnapshot{};
        wire::InstrumentDefinition definition{};
        definition.instrument_id = row.instrument_id;
        std::memcpy(definition.symbol, row.symbol, sizeof(definition.symbol));
        definition.tick_size = row.tick_size;
        definition.lot_size = row.lot_size;
        define(definition);
        if (state_.find(row.instrument_id) == nullptr) {
            continue;  // out of memory while defining it: it stays unknown
        }
        // The latest bar, quote and trade, in time order, where they differ from what was applied.
        md::EventRecord made[3];
        std::size_t count = 0;
        if (row.bar_end_time != 0 && !(bar_of(row) == bar_of(before))) {
            state_.apply(bar_of(row));
            made[count++] = from_bar(bar_of(row));
        }
        if (row.quote_time != 0 && !(quote_of(row) == quote_of(before))) {
            state_.apply(quote_of(row));
            made[count++] = from_quote(quote_of(row));
        }
        if (row.trade_time != 0 && !(trade_of(row) == trade_of(before))) {
            state_.apply(trade_of(row));
            made[count++] = from_trade(trade_of(row));
        }
        std::stable_sort(made, made + count, [](const md::EventRecord& a, const md::EventRecord& b) {
            return a.time < b.time;
        });
        Flags* flags = flags_of(row.instrument_id);
        for (std::size_t k = 0; k < count; ++k) {
            made[k].seq = event_seq;
            made[k].source = config_.source;
            made[k].flags = FLAG_RECOVERED;
            flags->last_update_ns = now;
            flags->exchange_time = std::max(flags->exchange_time, made[k].time);
            push(made[k]);
        }
    }
    // Sequence numbers up to `valid` are settled by the snapshot; what was held beyond it follows.
    const std::uint64_t from = next_seq_ != 0 ? next_seq_ : 1;
    std::uint64_t held_covered = 0;
    for (const Slot& slot : pending_) {
        held_covered += slot.seq != 0 && slot.seq >= from && slot.seq <= valid ? 1 : 0;
    }
    if (valid + 1 > from) {
        counters_.recovered_messages += valid + 1 - from - held_covered;
    }
    drop_pending_through(valid);
    next_seq_ = std::max(next_seq_, valid + 1);
    ended_ = ended_ || begin.session_ended != 0;
    delete recovery_;
    recovery_ = nullptr;
    recovering_ = false;
    ++counters_.recoveries;
    drain(now, false);  // held while recovering: not reordering
    hole_since_ = pending_count_ != 0 ? now : 0;
    return true;
}

}  // namespace fundos::feed
