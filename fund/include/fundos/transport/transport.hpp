// The Fund's transport, assembled: the snapshot publisher, the attach server and one AgentLink
// per configured agent, with each agent's state that outlives its attachments (generation,
// last intent id, counters). Single-threaded: one thread calls everything.
//
//   start()            snapshot region + socket
//   state()/publish()  edit the private FundState, publish it (agents table filled in here)
//   poll_io()          attach handshakes, hang-ups (AttachServer::poll)
//   process_one()      hot path: one intent of one agent -> private copy -> validate -> report
//   check_liveness()   heartbeat leases
//   stop()             detach everyone, close the socket
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "fundos/abi.hpp"
#include "fundos/transport/agent_link.hpp"
#include "fundos/transport/attach_server.hpp"
#include "fundos/transport/intent_validator.hpp"
#include "fundos/transport/snapshot_publisher.hpp"

namespace fundos::transport {

struct TransportConfig {
    std::string run_dir;                          ///< the socket is run_dir/fund.sock
    std::vector<AgentConfig> agents;              ///< slot = index; at most MAX_AGENTS
    std::vector<KnownLayout> layouts;             ///< layouts the Fund serves; empty: kServedLayouts
    abi::Duration lease_ns = 1'000'000'000ULL;    ///< heartbeat lease
    abi::Sequence max_snapshot_lag = 16;          ///< oldest accepted snapshot = latest - lag
    ValidationLimits limits{};
    std::uint64_t handshake_timeout_ns = 1'000'000'000ULL;
    bool futex_wake = true;                       ///< FUTEX_WAKE after each publish
    abi::Sequence first_snapshot_seq = 1;         ///< seq of the first snapshot (a resumed Fund continues)
    /// false: process_one() reports ACCEPTED for every record that passes validation (the
    /// transport host). true: only rejections are reported there; the Fund's sequencer answers
    /// the accepted records itself through write_report() after its risk checks.
    bool defer_accept_reports = false;
};

/// An agent as events describe it.
struct AgentView {
    std::uint16_t slot = 0;
    std::uint32_t agent_id = 0;
    abi::Sequence generation = 0;
    PeerCredentials peer{};
};

/// What process_one() did.
struct IntentOutcome {
    AgentView agent{};
    RingPoll poll = RingPoll::kEmpty;  ///< kRecord, kCorruptSlot or kQuarantined
    abi::IntentRecord record{};        ///< the private copy (garbage for kCorruptSlot)
    abi::RejectReason reason = abi::RejectReason::NONE;  ///< NONE: accepted
    abi::Sequence report_number = 0;   ///< position of the report in the agent's report ring
};

/// Notifications; every method has a no-op default. Called from the transport's thread.
class TransportEvents {
public:
    virtual ~TransportEvents() = default;
    virtual void on_attached(const AgentView& /*agent*/, std::uint16_t /*negotiated_minor*/) {}
    virtual void on_refused(const AttachDecision& /*decision*/, const abi::AttachRequest* /*request*/,
                            const PeerCredentials& /*peer*/) {}
    virtual void on_quarantined(const AgentView& /*agent*/, abi::RejectReason /*reason*/, const RingFault& /*fault*/) {}
    virtual void on_late(const AgentView& /*agent*/, std::uint64_t /*silent_ns*/) {}
    virtual void on_recovered(const AgentView& /*agent*/) {}
    virtual void on_dead(const AgentView& /*agent*/) {}
    /// The agent's regions are unmapped and closed. why: "hangup" or "shutdown".
    virtual void on_detached(const AgentView& /*agent*/, const char* /*why*/) {}
};

class FundTransport final : private AttachHandler {
public:
    FundTransport() = default;
    FundTransport(const FundTransport&) = delete;
    FundTransport& operator=(const FundTransport&) = delete;
    ~FundTransport() override = default;

    /// Create the snapshot region and listen. `events` may be null. Returns 0 or -errno.
    [[nodiscard]] int start(TransportConfig config, TransportEvents* events) noexcept;

    /// The Fund's private FundState: edit instruments, nav, ... then publish().
    [[nodiscard]] abi::FundState& state() noexcept { return state_; }

    /// Fill the agents table, stamp clock and seq, publish; then republish changed books.
    abi::Sequence publish(abi::Timestamp clock_ns) noexcept;

    /// Attach handshakes and hang-ups: AttachServer::poll. Returns its result.
    int poll_io(std::int64_t timeout_ns) noexcept { return server_.poll(timeout_ns, *this); }

    /// Take at most one record from `slot`'s ring: validate its private copy, write its report.
    /// false: nothing (not attached, quarantined, or empty). Never blocks, never allocates.
    bool process_one(std::uint16_t slot, IntentOutcome& out, abi::Timestamp clock_ns) noexcept;

    /// Write `report` into `slot`'s report ring (its commit is set by the writer). false: the
    /// agent is not attached (the report has nowhere to go; the journal keeps it).
    bool write_report(std::uint16_t slot, const abi::IntentReport& report) noexcept;

    /// The account and positions the agent's book shows from the next publish on (the Fund's
    /// ledger); the transport adds its own counters (last intent id, records it rejected). Only
    /// the head and rows [0, position_count) of `book` are read.
    void set_book(std::uint16_t slot, const abi::AgentBook& book) noexcept;

    /// AgentSlot.trading_state of `slot` from the next publish on (the engine's verdict: the
    /// transport has no risk state of its own). ACTIVE until set.
    void set_trading_state(std::uint16_t slot, abi::TradingState state) noexcept {
        if (slot < kSlots) {
            records_[slot].trading_state = state;
        }
    }

    /// The instrument rows `slot` may name in its intents from now on (bit i: row i; the
    /// validator refuses others INSTRUMENT_NOT_MAPPED): the Fund's mapping changed while running.
    void set_mapped_instruments(std::uint16_t slot, std::uint64_t rows) noexcept {
        if (slot < config_.agents.size()) {
            config_.agents[slot].mapped_instruments = rows;
        }
    }

    /// Sample every attached agent's heartbeat at `now_ns` (CLOCK_MONOTONIC).
    void check_liveness(std::uint64_t now_ns) noexcept;

    /// Detach `slot` (close its socket; the agent sees the hang-up). why: for the event.
    void detach(std::uint16_t slot, const char* why) noexcept;

    /// Detach everyone ("shutdown") and close the socket.
    void stop() noexcept;

    [[nodiscard]] std::size_t agent_count() const noexcept { return config_.agents.size(); }
    [[nodiscard]] bool attached(std::uint16_t slot) const noexcept { return slot < kSlots && records_[slot].link.is_open(); }
    [[nodiscard]] const AgentLink& link(std::uint16_t slot) const noexcept { return records_[slot].link; }
    [[nodiscard]] abi::AgentStatus status(std::uint16_t slot) const noexcept;
    [[nodiscard]] const SnapshotPublisher& publisher() const noexcept { return publisher_; }
    [[nodiscard]] const std::string& socket_path() const noexcept { return server_.socket_path(); }
    [[nodiscard]] const TransportConfig& config() const noexcept { return config_; }
    [[nodiscard]] AttachServer& server() noexcept { return server_; }

private:
    static constexpr std::size_t kSlots = abi::MAX_AGENTS;

    /// One configured agent; survives its attachments.
    struct AgentRecord {
        AgentLink link;
        PeerCredentials peer{};
        abi::AgentStatus status = abi::AgentStatus::EMPTY;  ///< when no link is open
        abi::Sequence generation = 0;
        std::uint64_t last_intent_id = 0;
        std::uint64_t accepted = 0;
        std::uint64_t rejected = 0;
        abi::Sequence last_answered_seq = 0;
        abi::TradingState trading_state = abi::TradingState::ACTIVE;
        bool book_dirty = false;
        bool has_book_body = false;
        abi::AgentBook book_body{};  ///< set_book(): the ledger's view of this agent
    };

    // AttachHandler
    int grant(const AttachDecision& decision, const abi::AttachRequest& request, const PeerCredentials& peer,
              AttachGrant& grant) override;
    void attached(const AttachDecision& decision, const AttachGrant& grant, const abi::AttachRequest& request,
                  const PeerCredentials& peer) override;
    void abandoned(const AttachDecision& decision) override;
    void refused(const AttachDecision& decision, const abi::AttachRequest* request,
                 const PeerCredentials& peer) override;
    void hung_up(std::uint16_t slot) override;

    [[nodiscard]] AgentView view(std::uint16_t slot) const noexcept;
    void publish_book(std::uint16_t slot, abi::Sequence seq) noexcept;

    TransportConfig config_;
    TransportEvents* events_ = nullptr;
    TransportEvents no_events_;
    SnapshotPublisher publisher_;
    AttachServer server_;
    std::array<AgentRecord, kSlots> records_{};
    abi::FundState state_{};
    abi::AgentBook book_scratch_{};  ///< publish_book's staging copy (4 KB: not on the stack)
};

}  // namespace fundos::transport
