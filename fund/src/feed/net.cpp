#include "fundos/feed/net.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fundos::feed {

namespace {

Status failure(const std::string& what, int error) { return Status::error(what + ": " + errno_text(error)); }

}  // namespace

std::uint64_t monotonic_ns() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

std::uint64_t realtime_ns() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

std::string errno_text(int error) {
    char buffer[128];
    return ::strerror_r(error, buffer, sizeof(buffer));
}

void Fd::reset(int fd) noexcept {
    if (fd_ >= 0) {
        ::close(fd_);
    }
    fd_ = fd;
}

std::string Endpoint::text() const {
    char host[INET_ADDRSTRLEN] = "?";
    ::inet_ntop(AF_INET, &address.sin_addr, host, sizeof(host));
    return std::string(host) + ":" + std::to_string(ntohs(address.sin_port));
}

Status parse_endpoint(const std::string& host, std::uint16_t port, const char* what, Endpoint& out) {
    out = Endpoint{};
    out.address.sin_family = AF_INET;
    out.address.sin_port = htons(port);
    if (::inet_pton(AF_INET, host.c_str(), &out.address.sin_addr) != 1) {
        return Status::error(std::string(what) + " " + host + ": not an IPv4 address (e.g. 127.0.0.1 or 239.1.2.3)");
    }
    return {};
}

bool is_multicast(const Endpoint& endpoint) noexcept {
    return (ntohl(endpoint.address.sin_addr.s_addr) >> 28) == 0xE;
}

Status open_udp_sender(const Endpoint& destination, const std::string& interface_address, Fd& out) {
    Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) {
        return failure("UDP socket", errno);
    }
    const int buffer = 4 << 20;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &buffer, sizeof(buffer));
    if (is_multicast(destination)) {
        in_addr interface{};
        if (::inet_pton(AF_INET, interface_address.c_str(), &interface) != 1) {
            return Status::error("multicast interface " + interface_address + ": not an IPv4 address");
        }
        const unsigned char loop = 1;
        const unsigned char ttl = 0;  // the host only
        if (::setsockopt(fd.get(), IPPROTO_IP, IP_MULTICAST_IF, &interface, sizeof(interface)) != 0 ||
            ::setsockopt(fd.get(), IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop)) != 0 ||
            ::setsockopt(fd.get(), IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) != 0) {
            return failure("multicast to " + destination.text() + " on " + interface_address, errno);
        }
    }
    out = std::move(fd);
    return {};
}

Status open_udp_receiver(const Endpoint& endpoint, const std::string& interface_address, int receive_buffer,
                         Fd& out) {
    Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd.valid()) {
        return failure("UDP socket", errno);
    }
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer));
    const bool multicast = is_multicast(endpoint);
    if (multicast) {
        const int on = 1;
        ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    }
    // A multicast receiver binds the group address itself, so it gets that group's datagrams only.
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&endpoint.address), sizeof(endpoint.address)) != 0) {
        return failure("UDP bind to " + endpoint.text(), errno);
    }
    if (multicast) {
        ip_mreq request{};
        request.imr_multiaddr = endpoint.address.sin_addr;
        if (::inet_pton(AF_INET, interface_address.c_str(), &request.imr_interface) != 1) {
            return Status::error("multicast interface " + interface_address + ": not an IPv4 address");
        }
        if (::setsockopt(fd.get(), IPPROTO_IP, IP_ADD_MEMBERSHIP, &request, sizeof(request)) != 0) {
            return failure("joining multicast group " + endpoint.text() + " on " + interface_address, errno);
        }
    }
    out = std::move(fd);
    return {};
}

Status open_tcp_listener(std::uint16_t port, Fd& out, std::uint16_t& bound) {
    Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd.valid()) {
        return failure("TCP socket", errno);
    }
    const int on = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
        return failure("TCP bind to 127.0.0.1:" + std::to_string(port), errno);
    }
    if (::listen(fd.get(), 16) != 0) {
        return failure("TCP listen on 127.0.0.1:" + std::to_string(port), errno);
    }
    socklen_t length = sizeof(address);
    if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        return failure("getsockname", errno);
    }
    bound = ntohs(address.sin_port);
    out = std::move(fd);
    return {};
}

Status start_tcp_connect(const Endpoint& endpoint, Fd& out) {
    Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd.valid()) {
        return failure("TCP socket", errno);
    }
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&endpoint.address), sizeof(endpoint.address)) != 0 &&
        errno != EINPROGRESS) {
        return failure("TCP connect to " + endpoint.text(), errno);
    }
    out = std::move(fd);
    return {};
}

int connect_result(int fd) noexcept {
    int error = 0;
    socklen_t length = sizeof(error);
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) {
        return errno;
    }
    return error;
}

}  // namespace fundos::feed
