// ControlServer: the operator's socket, <run-dir>/control.sock (mode 0600: the Fund's user only).
// A client connects, sends one JSON object on one line, reads one JSON line back, and the
// connection closes. poll() never blocks the sequencer for long: accept is non-blocking and a
// client gets 200 ms to send its line.
//
//   {"cmd":"status"}                                             -> the Fund's status
//   {"cmd":"kill_switch","scope":"fund"|"agent"|"instrument",
//    "id":N|"SYMBOL","on":true|false}                             -> {"ok":true} | {"ok":false,"error":...}
//   {"cmd":"reload"}                                             -> {"ok":true,"request":N} (as SIGHUP)
//   {"cmd":"config"}                                             -> the running configuration
//
// Requests are handed to a handler that returns the reply object; a malformed request gets
// {"ok":false,"error":"..."} without reaching it.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

namespace fundos::process {

class ControlServer {
public:
    using Handler = std::function<nlohmann::json(const nlohmann::json& request)>;

    ControlServer() = default;
    ~ControlServer();
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    /// Bind and listen at `path`. Returns 0 or -errno.
    [[nodiscard]] int listen(const std::string& path);
    /// Serve every client waiting now; returns how many were served.
    int poll(const Handler& handler) noexcept;
    void close() noexcept;
    [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
    void serve(int client, const Handler& handler) noexcept;

    int fd_ = -1;
    std::string path_;
};

}  // namespace fundos::process
