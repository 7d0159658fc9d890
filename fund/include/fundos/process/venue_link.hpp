// VenueLink: production mode's venue as the Fund's sequencer uses it (docs/FUND.md, "Production
// mode"). It owns the FixVenue (fix/fix_venue.hpp) and adds the three rules the run loop needs:
//
//   write-ahead  the commands the engine hands over during a step (Sink::venue) are held, and
//                sent only by send_held(), which the run loop calls once the step is committed
//                to the journal: the venue never holds an order the journal does not name.
//   refusals     a command that cannot be sent (not logged on, QuickFIX refused it) becomes what
//                the venue would have answered, kRejected for a new order and kCancelRejected
//                for a cancel or reduce, handed to the engine with the venue's own events at the
//                next boundary (next()): the engine is never called from inside its own Sink.
//   identity     the ClOrdIDs carry a run token kept in RUN/venue/run_token, and FIX's sequence
//                numbers and sent messages live in RUN/venue/store (QuickFIX FileStore): a
//                resumed run (--resume) is the same session with the same orders.
//
// Latency: for every new order sent, the time from the receive time of the last market event the
// step applied (LiveFeed's monotonic clock) to the return of FixVenue::send, which is when the
// NewOrderSingle has been handed to QuickFIX's socket write; kept by a LatencyRecorder for
// latency.json, never the journal.
//
// Threading: the sequencer's only (FixVenue's own thread stays behind it).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "fundos/engine/config.hpp"
#include "fundos/fix/fix_venue.hpp"
#include "fundos/process/latency_recorder.hpp"
#include "fundos/venue/venue.hpp"

namespace fundos::process {

class VenueLink {
public:
    /// Commands one step may hold before the vector grows (reserved once).
    static constexpr std::size_t kHeldCapacity = 4096;

    VenueLink();

    /// Starts the FIX session of config.execution.venue and waits (at most timeout_ms) for the
    /// logon. `resume`: reuse RUN/venue/run_token (it must exist); else write a new one.
    /// Returns "" or what went wrong, naming host:port or the file.
    [[nodiscard]] std::string open(const engine::FundConfig& config, const std::filesystem::path& run_dir,
                                   bool resume, std::uint64_t timeout_ms);
    /// Logs out and stops FIX's thread.
    void close();

    /// Sink::venue: held until send_held().
    void hold(const venue::VenueCommand& command) { held_.push_back(command); }
    /// After the commit of what made them: sends every held command, in order. `market_received_ns`
    /// is the receive time of the last market event applied before them (0: none).
    void send_held(std::uint64_t market_received_ns) noexcept;
    /// Drops the held commands unsent (a run refused before it traded).
    void drop_held() noexcept { held_.clear(); }
    [[nodiscard]] std::size_t held() const noexcept { return held_.size(); }

    /// The next event for the engine: refusals of failed sends first, then the venue's.
    [[nodiscard]] bool next(venue::VenueEvent& event) noexcept;

    [[nodiscard]] fix::FixVenue& fix() noexcept { return fix_; }
    [[nodiscard]] const std::string& run_token() const noexcept { return run_token_; }
    [[nodiscard]] const std::string& address() const noexcept { return address_; }
    [[nodiscard]] const LatencyRecorder& latency() const noexcept { return latency_; }

private:
    fix::FixVenue fix_;
    std::vector<venue::VenueCommand> held_;
    std::vector<venue::VenueEvent> refused_;  ///< events standing for failed sends
    std::size_t refused_next_ = 0;
    LatencyRecorder latency_;
    std::string run_token_;
    std::string address_;  ///< host:port, for messages
};

}  // namespace fundos::process
