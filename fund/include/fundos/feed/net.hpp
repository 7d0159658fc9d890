// Small POSIX socket helpers for the feed: an owning file descriptor, the UDP sender and
// receiver sockets (unicast 127.0.0.1 or an IPv4 multicast group on an interface, with loopback),
// TCP listen and a non-blocking connect, and the clocks. Every failure is a Status naming what
// could not be done and errno's text; nothing throws.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>

#include "fundos/marketdata/status.hpp"

namespace fundos::feed {

using marketdata::Status;

/// CLOCK_MONOTONIC in ns: what staleness, timeouts and pacing are measured in.
[[nodiscard]] std::uint64_t monotonic_ns() noexcept;
/// CLOCK_REALTIME in ns since the Unix epoch: PacketHeader.send_time.
[[nodiscard]] std::uint64_t realtime_ns() noexcept;

/// An owned file descriptor, closed on destruction; -1 when empty.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) noexcept : fd_(fd) {}
    ~Fd() { reset(); }
    Fd(Fd&& other) noexcept : fd_(other.release()) {}
    Fd& operator=(Fd&& other) noexcept {
        if (this != &other) {
            reset(other.release());
        }
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;

    [[nodiscard]] int get() const noexcept { return fd_; }
    [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
    int release() noexcept {
        const int fd = fd_;
        fd_ = -1;
        return fd;
    }
    void reset(int fd = -1) noexcept;

private:
    int fd_ = -1;
};

/// Where feed datagrams go: an IPv4 address and port.
struct Endpoint {
    sockaddr_in address{};
    [[nodiscard]] std::string text() const;
};

/// "a.b.c.d" and a port as an Endpoint; an error naming `what` when the address is not IPv4.
Status parse_endpoint(const std::string& host, std::uint16_t port, const char* what, Endpoint& out);
/// True for 224.0.0.0/4.
[[nodiscard]] bool is_multicast(const Endpoint& endpoint) noexcept;

/// A UDP socket for sending to `destination` (sendto): for a multicast group, sent out of
/// `interface_address` (127.0.0.1: the loopback interface) with IP_MULTICAST_LOOP on and TTL 0, so
/// datagrams never leave the host.
Status open_udp_sender(const Endpoint& destination, const std::string& interface_address, Fd& out);

/// A non-blocking UDP socket receiving what is sent to `endpoint`: bound to it for unicast; for
/// a multicast group bound to the group's port (SO_REUSEADDR, so several receivers may listen)
/// and joined on `interface_address`. `receive_buffer` bytes of SO_RCVBUF are asked for (the
/// kernel may give less).
Status open_udp_receiver(const Endpoint& endpoint, const std::string& interface_address, int receive_buffer,
                         Fd& out);

/// A non-blocking TCP socket listening on 127.0.0.1:`port` (0: a free port); `bound` is the port.
Status open_tcp_listener(std::uint16_t port, Fd& out, std::uint16_t& bound);

/// Starts a non-blocking TCP connect to `endpoint`; the socket becomes writable when it is done
/// (then check connect_result()).
Status start_tcp_connect(const Endpoint& endpoint, Fd& out);
/// 0 when the connect started by start_tcp_connect succeeded, else its errno.
[[nodiscard]] int connect_result(int fd) noexcept;

[[nodiscard]] std::string errno_text(int error);

}  // namespace fundos::feed
