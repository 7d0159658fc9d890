// FixVenue: the Fund's Venue over FIX 4.4 (QuickFIX, a SocketInitiator). docs/FIX.md.
//
// start() opens one FIX session to the venue and keeps it up: QuickFIX logs on, heartbeats,
// answers and asks resends, and reconnects every `reconnect_s` after a drop. Sequence numbers
// and every message sent live in a FileStore under `store_dir`, so a restart of the Fund resumes
// the session (a resend request after a reconnect is answered from the store; reports the venue
// sent while the Fund was away arrive as a resend, PossDupFlag=Y). `reset_on_logon` starts each
// logon from sequence number 1 instead (for venues that reset every day).
//
// send() turns a VenueCommand into a NewOrderSingle (D), OrderCancelRequest (F) or
// OrderCancelReplaceRequest (G); ExecutionReports (8) and OrderCancelRejects (9) go through the
// order state machine (order_state.hpp) and its events wait for poll() in a bounded SPSC queue
// (`event_capacity`); if the sequencer falls that far behind they spill, in order, into a list
// (which allocates): a fill is never dropped, and FIX's thread never waits for the sequencer.
//
// snapshot() is start-up reconciliation: an OrderMassStatusRequest (AF, MassStatusReqType 7: all
// orders) answered by one ExecutionReport (ExecType I) per working order carrying the
// MassStatusReqID, and a RequestForPositions (AN, PosReqType 0) answered by a
// RequestForPositionsAck (AO, TotalNumPosReports) and one PositionReport (AP) per position, and
// an OrderStatusRequest (H, ClOrdID TAG.RUN.PARENT.0: the venue finds an order by any ClOrdID of
// its chain) per parent asked about that the mass status did not list as working. The ClOrdIDs
// of a resumed run are found again only if its run_token is the same: keep it for the run.
//
// Threading: send(), poll(), cancel_all() and snapshot() from one thread (the sequencer); FIX
// callbacks on QuickFIX's thread. QuickFIX stays behind the pimpl: its headers throw and are heavy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fundos/fix/order_state.hpp"
#include "fundos/venue/venue.hpp"

namespace fundos::fix {

struct FixVenueConfig {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    std::string sender_comp_id = "FUND";       ///< 49 of what the Fund sends
    std::string target_comp_id = "FUNDOS-EX";  ///< 56: the venue
    std::string store_dir;                     ///< FileStore: sequence numbers and sent messages (required)
    std::string log_dir;                       ///< FileLog of every message; empty: no log
    std::uint32_t heartbeat_s = 30;            ///< HeartBtInt
    std::uint32_t reconnect_s = 5;             ///< ReconnectInterval
    bool reset_on_logon = false;               ///< ResetSeqNumFlag on each logon
    std::string account;                       ///< Account (1) on every order and request; may be empty
    std::string cl_ord_tag = "FUNDOS";         ///< TAG of the ClOrdIDs (cl_ord_id.hpp)
    std::string run_token;                     ///< RUN of the ClOrdIDs: unique per session (required)
    std::size_t event_capacity = 4096;         ///< events waiting for poll()
    std::function<void(std::string_view)> log; ///< anomalies and session changes, one line each; may be empty
};

/// Empty when usable; else what is wrong, naming the field.
[[nodiscard]] std::string validate(const FixVenueConfig& config);

class FixVenue final : public venue::Venue {
public:
    FixVenue();
    ~FixVenue() override;
    FixVenue(const FixVenue&) = delete;
    FixVenue& operator=(const FixVenue&) = delete;

    /// Starts the FIX session (connecting in the background). False with `error` set on a bad
    /// configuration or an unusable store folder.
    bool start(const FixVenueConfig& config, std::string& error);
    /// Logs out and stops QuickFIX's thread; also done by the destructor.
    void stop();

    bool send(const venue::VenueCommand& command) noexcept override;
    bool poll(venue::VenueEvent& event) noexcept override;
    [[nodiscard]] bool connected() const noexcept override;
    bool snapshot(const std::vector<std::uint64_t>& ask_about, venue::VenueSnapshot& out, std::uint64_t timeout_ms,
                  std::string& error) override;

    /// Waits until logged on; false after `timeout_ms`.
    bool wait_connected(std::uint64_t timeout_ms);
    /// Kill switch: an OrderCancelRequest for every working order without a request in flight.
    /// Returns how many were sent.
    std::size_t cancel_all() noexcept;
    /// The state machine's counters (a copy).
    [[nodiscard]] OrderCounters counters() const;
    /// Logons so far (a reconnect counts).
    [[nodiscard]] std::uint64_t logons() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace fundos::fix
