#include "fundos/process/control_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fundos::process {

ControlServer::~ControlServer() { close(); }

int ControlServer::listen(const std::string& path) {
    sockaddr_un addr{};
    if (path.size() >= sizeof(addr.sun_path)) {
        return -ENAMETOOLONG;
    }
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
        return -errno;
    }
    ::unlink(path.c_str());  // a stale socket of an earlier run in the same folder
    const mode_t old_mask = ::umask(0077);
    const int rc = ::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
    ::umask(old_mask);
    if (rc != 0 || ::listen(fd_, 8) != 0) {
        const int err = errno;
        close();
        return -err;
    }
    path_ = path;
    return 0;
}

void ControlServer::close() noexcept {
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
        ::unlink(path_.c_str());
    }
}

int ControlServer::poll(const Handler& handler) noexcept {
    int served = 0;
    while (fd_ >= 0) {
        const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) {
            break;
        }
        serve(client, handler);
        ::close(client);
        ++served;
    }
    return served;
}

void ControlServer::serve(int client, const Handler& handler) noexcept {
    std::string line;
    char buffer[1024];
    while (line.find('\n') == std::string::npos && line.size() < 65536) {
        pollfd pfd{client, POLLIN, 0};
        if (::poll(&pfd, 1, 200) <= 0) {
            break;
        }
        const ssize_t n = ::read(client, buffer, sizeof(buffer));
        if (n <= 0) {
            break;
        }
        line.append(buffer, static_cast<std::size_t>(n));
    }
    nlohmann::json reply;
    try {
        const nlohmann::json request = nlohmann::json::parse(line.substr(0, line.find('\n')));
        if (!request.is_object() || !request.contains("cmd") || !request["cmd"].is_string()) {
            reply = {{"ok", false}, {"error", "expected one JSON object with a \"cmd\" string"}};
        } else {
            reply = handler(request);
        }
    } catch (const std::exception& e) {
        reply = {{"ok", false}, {"error", std::string("bad request: ") + e.what()}};
    }
    std::string text = reply.dump() + "\n";
    std::size_t sent = 0;
    while (sent < text.size()) {
        const ssize_t n = ::send(client, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) {
            break;
        }
        sent += static_cast<std::size_t>(n);
    }
}

}  // namespace fundos::process
