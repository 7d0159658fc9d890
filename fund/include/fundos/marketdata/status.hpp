// Status: the result of a market-data operation that can fail on bad input or I/O. Empty message
// means success; otherwise the message names the file (and line, for text input) and the problem.
// Importers and file I/O return it; nothing in marketdata throws.
#pragma once

#include <string>
#include <utility>

namespace fundos::marketdata {

class [[nodiscard]] Status {
public:
    Status() = default;
    static Status error(std::string message) { return Status(std::move(message)); }

    [[nodiscard]] bool ok() const noexcept { return message_.empty(); }
    [[nodiscard]] const std::string& message() const noexcept { return message_; }

private:
    explicit Status(std::string message) : message_(std::move(message)) {
        if (message_.empty()) {
            message_ = "unknown error";
        }
    }
    std::string message_;
};

}  // namespace fundos::marketdata
