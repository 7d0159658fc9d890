#include "fundos/process/venue_link.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string_view>

#include "fundos/fix/cl_ord_id.hpp"
#include "fundos/runtime/run_report.hpp"
#include "fundos/transport/transport.hpp"

namespace fundos::process {
namespace {

namespace fs = std::filesystem;

/// FIX reconnects this often after a drop: on a venue's loopback or LAN a second is plenty, and a
/// Fund that waits longer leaves its agents' orders refused meanwhile.
constexpr std::uint32_t kReconnectSeconds = 1;

/// A token no earlier run used: 16 hex digits of the system's entropy (never reaches the journal:
/// only the ClOrdIDs carry it).
std::string new_run_token() {
    std::random_device entropy;
    const std::uint64_t bits = (static_cast<std::uint64_t>(entropy()) << 32) | entropy();
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(bits));
    return text;
}

template <std::size_t N>
void copy_text(char (&out)[N], std::string_view text) {
    const std::size_t n = std::min(text.size(), N - 1);
    std::memcpy(out, text.data(), n);
    out[n] = '\0';
}

}  // namespace

VenueLink::VenueLink() {
    held_.reserve(kHeldCapacity);
    refused_.reserve(kHeldCapacity);
}

std::string VenueLink::open(const engine::FundConfig& config, const fs::path& run_dir, bool resume,
                            std::uint64_t timeout_ms) {
    const engine::VenueConfig& v = config.execution.venue;
    address_ = v.host + ":" + std::to_string(v.port);
    const fs::path folder = run_dir / "venue";
    const fs::path token_path = folder / "run_token";
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec) {
        return "cannot create " + folder.string() + ": " + ec.message();
    }
    if (resume) {
        std::ifstream in(token_path);
        std::getline(in, run_token_);
        if (!in && run_token_.empty()) {
            return token_path.string() + ": missing: without the run's token its orders at the venue cannot be "
                                         "recognised";
        }
        if (!fix::valid_cl_ord_token(run_token_)) {
            return token_path.string() + ": not a run token ('" + run_token_ + "')";
        }
    } else {
        run_token_ = new_run_token();
        if (const runtime::Status s = runtime::write_file_atomic(token_path.string(), run_token_ + "\n"); !s.ok()) {
            return s.message();
        }
    }
    fix::FixVenueConfig fc;
    fc.host = v.host;
    fc.port = v.port;
    fc.sender_comp_id = v.sender_comp_id;
    fc.target_comp_id = v.target_comp_id;
    fc.heartbeat_s = v.heartbeat_s;
    fc.reset_on_logon = v.reset_on_logon;
    fc.account = v.account;
    fc.store_dir = (folder / "store").string();
    fc.reconnect_s = kReconnectSeconds;
    fc.run_token = run_token_;
    fc.log = [](std::string_view line) {
        std::fprintf(stderr, "fund: venue: %.*s\n", static_cast<int>(line.size()), line.data());
    };
    std::string error;
    if (!fix_.start(fc, error)) {
        return error;
    }
    if (!fix_.wait_connected(timeout_ms)) {
        return "not logged on to the venue at " + address_ + " (FIX 4.4, " + v.sender_comp_id + " -> " +
               v.target_comp_id + ") within " + std::to_string(timeout_ms) + " ms (simulation.start_timeout_ms)";
    }
    return "";
}

void VenueLink::close() { fix_.stop(); }

void VenueLink::send_held(std::uint64_t market_received_ns) noexcept {
    for (const venue::VenueCommand& command : held_) {
        const bool sent = fix_.send(command);
        if (sent && command.kind == venue::VenueCommand::Kind::kNew) {
            const std::uint64_t now = transport::monotonic_ns();
            if (market_received_ns != 0 && now >= market_received_ns) {
                latency_.add(now - market_received_ns);
            }
            continue;
        }
        if (sent) {
            continue;
        }
        venue::VenueEvent refusal{};
        refusal.kind = command.kind == venue::VenueCommand::Kind::kNew ? venue::VenueEvent::Kind::kRejected
                                                                        : venue::VenueEvent::Kind::kCancelRejected;
        refusal.parent_id = command.parent_id;
        copy_text(refusal.text, fix_.connected() ? "not sent: the FIX session refused it"
                                                 : "not sent: not logged on to the venue");
        if (refused_next_ == refused_.size()) {
            refused_.clear();
            refused_next_ = 0;
        }
        refused_.push_back(refusal);
    }
    held_.clear();
}

bool VenueLink::next(venue::VenueEvent& event) noexcept {
    if (refused_next_ < refused_.size()) {
        event = refused_[refused_next_++];
        return true;
    }
    return fix_.poll(event);
}

}  // namespace fundos::process
