#include "fundos/feed/feed_server.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>

namespace fundos::feed {

namespace md = marketdata;

namespace {

constexpr std::uint64_t kClientIdleNs = 5'000'000'000ULL;  // a recovery client that says nothing is dropped
constexpr std::size_t kMaxClients = 32;
constexpr int kPacketsPerTurn = 64;                        // then the recovery channel gets a turn
constexpr std::uint64_t kMaxWaitNs = 20'000'000ULL;        // how long a wait may be, so stop() is seen

}  // namespace

struct FeedServer::Client {
    Fd fd;
    std::vector<std::uint8_t> in;
    std::vector<std::uint8_t> out;
    std::size_t sent = 0;
    std::uint64_t since = 0;
    bool answered = false;
};

FeedServer::FeedServer() = default;
FeedServer::~FeedServer() = default;

Status FeedServer::open(const FeedServerConfig& config) {
    config_ = config;
    if (config_.data.empty()) {
        return Status::error("no market-data file to serve");
    }
    if (!config_.max_speed && !(config_.speed > 0.0 && std::isfinite(config_.speed))) {
        return Status::error("the speed must be a positive number");
    }
    readers_.clear();
    std::vector<md::ReplayReader*> raw;
    for (const std::string& path : config_.data) {
        auto reader = std::make_unique<md::ReplayReader>();
        if (Status s = reader->open(path); !s.ok()) {
            return s;
        }
        raw.push_back(reader.get());
        readers_.push_back(std::move(reader));
    }
    if (Status s = merge_.open(raw); !s.ok()) {
        return s;
    }
    if (Status s = parse_endpoint(config_.address, config_.port, "feed address", destination_); !s.ok()) {
        return s;
    }
    if (Status s = open_udp_sender(destination_, config_.interface_address, udp_); !s.ok()) {
        return s;
    }
    if (Status s = open_tcp_listener(config_.recovery_port, listener_, recovery_port_); !s.ok()) {
        return s;
    }
    writer_ = PacketWriter(config_.max_packet);
    random_ = md::Xoshiro256(config_.faults.seed);
    return {};
}

void FeedServer::rewind() {
    std::vector<md::ReplayReader*> raw;
    for (auto& reader : readers_) {
        reader->rewind();
        raw.push_back(reader.get());
    }
    (void)merge_.open(raw);  // it opened with these files before; the tables are the same
}

bool FeedServer::load_next() noexcept {
    const md::EventRecord* event = merge_.next();
    if (event == nullptr) {
        return false;
    }
    next_event_ = *event;
    return true;
}

std::uint64_t FeedServer::due_at(std::uint64_t exchange_time) const noexcept {
    if (config_.max_speed || exchange_time <= first_time_) {
        return start_wall_;
    }
    const double offset = static_cast<double>(exchange_time - first_time_) / config_.speed;
    return start_wall_ + static_cast<std::uint64_t>(std::min(offset, 1e18));
}

void FeedServer::start_session(std::uint64_t now) {
    if (stats_.sessions == 0) {
        session_id_ = config_.session_id != 0 ? config_.session_id : realtime_ns();
    } else {
        ++session_id_;
        rewind();
    }
    ++stats_.sessions;
    next_seq_ = 1;
    ended_ = false;
    market_messages_ = 0;
    state_.clear();
    writer_.begin(session_id_, next_seq_);
    for (const md::InstrumentRecord& instrument : merge_.instruments()) {
        const wire::InstrumentDefinition definition = to_definition(instrument);
        state_.define(definition);
        queue(definition, now);
    }
    flush(now);
    have_event_ = load_next();
    first_time_ = have_event_ ? next_event_.time : 0;
    start_wall_ = now;
}

template <class Message>
void FeedServer::queue(const Message& message, std::uint64_t now) {
    if (!writer_.add(message)) {
        flush(now);
        (void)writer_.add(message);  // an empty packet holds any feed message
    }
    stats_.last_seq = next_seq_++;
    ++stats_.messages;
}

void FeedServer::flush(std::uint64_t now) {
    if (writer_.empty()) {
        return;
    }
    transmit(writer_.finish(realtime_ns()));
    last_send_ = now;
    writer_.begin(session_id_, next_seq_);
}

void FeedServer::transmit(std::span<const std::uint8_t> packet) {
    const std::uint64_t number = ++packet_number_;
    ++stats_.packets;
    const FaultConfig& f = config_.faults;
    bool drop = f.gap_every != 0 && number % f.gap_every == 0;
    if (f.gap_rate > 0.0 && random_.uniform() < f.gap_rate) {  // drawn for every packet: one stream per seed
        drop = true;
    }
    if (drop) {
        ++stats_.dropped;
        return;
    }
    if (f.reorder_every != 0 && number % f.reorder_every == 0 && held_.empty()) {
        held_.assign(packet.begin(), packet.end());
        ++stats_.reordered;
        return;
    }
    send_datagram(packet);
    if (f.duplicate_every != 0 && number % f.duplicate_every == 0) {
        send_datagram(packet);
        ++stats_.duplicated;
    }
    if (!held_.empty()) {
        send_datagram(held_);
        held_.clear();
    }
}

void FeedServer::send_datagram(std::span<const std::uint8_t> datagram) {
    const ssize_t sent = ::sendto(udp_.get(), datagram.data(), datagram.size(), 0,
                                  reinterpret_cast<const sockaddr*>(&destination_.address),
                                  sizeof(destination_.address));
    if (sent != static_cast<ssize_t>(datagram.size())) {
        ++stats_.send_errors;
        return;
    }
    ++stats_.datagrams;
}

Status FeedServer::run() {
    std::uint64_t now = monotonic_ns();
    start_session(now);
    while (!stop_.load(std::memory_order_relaxed)) {
        now = monotonic_ns();
        int packets = 0;
        while (have_event_ && due_at(next_event_.time) <= now && packets < kPacketsPerTurn) {
            const std::uint64_t before = stats_.packets;
            switch (next_event_.kind) {
                case md::EventKind::QUOTE: queue(to_quote(next_event_), now); break;
                case md::EventKind::TRADE: queue(to_trade(next_event_), now); break;
                case md::EventKind::BAR: queue(to_bar(next_event_), now); break;
            }
            state_.apply(next_event_);
            ++market_messages_;
            ++stats_.market_messages;
            packets += static_cast<int>(stats_.packets - before);
            have_event_ = load_next();
        }
        flush(now);
        if (!have_event_ && !ended_) {
            wire::EndOfSession end{};
            end.clock = state_.clock();
            end.market_messages = market_messages_;
            queue(end, now);
            flush(now);
            ended_ = true;
            ended_at_ = now;
        }
        if (ended_ && config_.loop) {
            start_session(now);
            continue;
        }
        if (ended_ && config_.linger_ns >= 0 && now - ended_at_ >= static_cast<std::uint64_t>(config_.linger_ns)) {
            break;
        }
        if (now - last_send_ >= config_.heartbeat_interval_ns) {
            wire::Heartbeat heartbeat{};
            heartbeat.clock = state_.clock();
            queue(heartbeat, now);
            ++stats_.heartbeats;
            flush(now);
        }
        std::uint64_t wake = last_send_ + config_.heartbeat_interval_ns;
        if (have_event_) {
            wake = std::min(wake, due_at(next_event_.time));
        }
        if (ended_ && config_.linger_ns >= 0) {
            wake = std::min(wake, ended_at_ + static_cast<std::uint64_t>(config_.linger_ns));
        }
        now = monotonic_ns();
        const bool busy = packets >= kPacketsPerTurn;
        serve_recovery(busy || wake <= now ? 0 : std::min(wake - now, kMaxWaitNs));
    }
    if (!held_.empty()) {
        send_datagram(held_);
        held_.clear();
    }
    return {};
}

void FeedServer::serve_recovery(std::uint64_t timeout_ns) {
    std::vector<pollfd> fds;
    fds.reserve(clients_.size() + 1);
    fds.push_back({listener_.get(), POLLIN, 0});
    for (const auto& client : clients_) {
        const bool writing = client->answered && client->sent < client->out.size();
        fds.push_back({client->fd.get(), static_cast<short>(writing ? POLLOUT : POLLIN), 0});
    }
    timespec timeout{static_cast<time_t>(timeout_ns / 1'000'000'000ULL),
                     static_cast<long>(timeout_ns % 1'000'000'000ULL)};
    const int ready = ::ppoll(fds.data(), fds.size(), &timeout, nullptr);
    const std::uint64_t now = monotonic_ns();
    if (ready > 0 && (fds[0].revents & POLLIN) != 0) {
        accept_clients(now);
    }
    // Every client is looked at (cheap, and it expires idle ones); a finished one is removed.
    std::erase_if(clients_, [&](const std::unique_ptr<Client>& client) { return !service_client(*client, now); });
}

void FeedServer::accept_clients(std::uint64_t now) {
    for (;;) {
        const int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            return;  // EAGAIN: none left (or a transient error: the client retries)
        }
        if (clients_.size() >= kMaxClients) {
            ::close(fd);
            ++stats_.bad_requests;
            continue;
        }
        auto client = std::make_unique<Client>();
        client->fd = Fd(fd);
        client->since = now;
        clients_.push_back(std::move(client));
    }
}

bool FeedServer::service_client(Client& client, std::uint64_t now) {
    if (!client.answered) {
        std::uint8_t buffer[wire::SnapshotRequest::WIRE_SIZE];
        const std::size_t wanted = wire::SnapshotRequest::WIRE_SIZE - client.in.size();
        const ssize_t got = ::recv(client.fd.get(), buffer, wanted, MSG_DONTWAIT);
        if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            ++stats_.bad_requests;
            return false;
        }
        if (got > 0) {
            client.in.insert(client.in.end(), buffer, buffer + got);
        }
        wire::Frame frame;
        if (wire::read_frame(client.in, frame) == wire::WireStatus::OK &&
            (frame.id != static_cast<std::uint16_t>(wire::MessageId::SNAPSHOT_REQUEST) ||
             frame.size != wire::SnapshotRequest::WIRE_SIZE)) {
            ++stats_.bad_requests;  // not a request: nothing else is asked on this channel
            return false;
        }
        wire::SnapshotRequest request;
        if (wire::decode(client.in, request) == wire::WireStatus::OK) {
            answer(client, request);
            ++stats_.snapshots;
        } else if (now - client.since > kClientIdleNs) {
            ++stats_.bad_requests;
            return false;
        }
    }
    if (client.answered) {
        while (client.sent < client.out.size()) {
            const ssize_t put = ::send(client.fd.get(), client.out.data() + client.sent, client.out.size() - client.sent,
                                       MSG_DONTWAIT | MSG_NOSIGNAL);
            if (put < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                    return now - client.since <= kClientIdleNs;
                }
                return false;  // the client went away
            }
            client.sent += static_cast<std::size_t>(put);
        }
        ::shutdown(client.fd.get(), SHUT_WR);
        return false;  // answered whole: the connection closes
    }
    return true;
}

void FeedServer::answer(Client& client, const wire::SnapshotRequest& request) {
    const bool version_ok = request.version == wire::WIRE_VERSION;
    const auto& rows = state_.rows();
    const auto count = static_cast<std::uint32_t>(version_ok ? rows.size() : 0);
    wire::SnapshotBegin begin{};
    begin.request_id = request.request_id;
    begin.status = version_ok ? abi::SnapshotStatus::OK : abi::SnapshotStatus::VERSION_MISMATCH;
    begin.session_ended = ended_ ? 1 : 0;
    begin.session_id = session_id_;
    begin.valid_at_seq = next_seq_ - 1;
    begin.instrument_count = count;
    begin.clock = state_.clock();
    wire::SnapshotEnd end{};
    end.request_id = begin.request_id;
    end.status = begin.status;
    end.session_id = begin.session_id;
    end.valid_at_seq = begin.valid_at_seq;
    end.instrument_count = count;
    client.out.resize(wire::SnapshotBegin::WIRE_SIZE + count * wire::InstrumentSnapshot::WIRE_SIZE +
                      wire::SnapshotEnd::WIRE_SIZE);
    std::span<std::uint8_t> out(client.out);
    std::size_t at = wire::encode(begin, out);
    for (std::uint32_t i = 0; i < count; ++i) {
        at += wire::encode(rows[i], out.subspan(at));
    }
    at += wire::encode(end, out.subspan(at));
    client.out.resize(at);
    client.answered = true;
}

}  // namespace fundos::feed
