#include "fundos/transport/transport.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "fundos/transport/regions.hpp"

namespace fundos::transport {

int FundTransport::start(TransportConfig config, TransportEvents* events) noexcept {
    if (config.agents.size() > kSlots) {
        return -E2BIG;
    }
    config_ = std::move(config);
    if (config_.layouts.empty()) {
        config_.layouts.assign(kServedLayouts.begin(), kServedLayouts.end());
    }
    events_ = events != nullptr ? events : &no_events_;
    for (std::size_t i = 0; i < kSlots; ++i) {
        records_[i] = AgentRecord{};
        records_[i].status = i < config_.agents.size() ? abi::AgentStatus::DETACHED : abi::AgentStatus::EMPTY;
    }
    if (const int rc = publisher_.create(config_.first_snapshot_seq); rc != 0) {
        return rc;
    }
    publisher_.set_wake(config_.futex_wake);
    AttachPolicy policy;
    policy.layouts = config_.layouts;
    policy.agents = config_.agents;
    server_.set_handshake_timeout_ns(config_.handshake_timeout_ns);
    return server_.listen(config_.run_dir, policy);
}

abi::AgentStatus FundTransport::status(std::uint16_t slot) const noexcept {
    const AgentRecord& record = records_[slot];
    return record.link.is_open() ? record.link.status() : record.status;
}

AgentView FundTransport::view(std::uint16_t slot) const noexcept {
    const AgentRecord& record = records_[slot];
    return AgentView{slot, slot < config_.agents.size() ? config_.agents[slot].agent_id : 0, record.generation,
                     record.peer};
}

abi::Sequence FundTransport::publish(abi::Timestamp clock_ns) noexcept {
    const std::size_t agents = config_.agents.size();
    state_.clock = clock_ns;
    state_.agent_count = static_cast<std::uint16_t>(agents);
    for (std::size_t i = 0; i < agents; ++i) {
        const AgentRecord& record = records_[i];
        abi::AgentSlot& row = state_.agents[i];
        row.agent_id = config_.agents[i].agent_id;
        row.status = status(static_cast<std::uint16_t>(i));
        row.trading_state = record.trading_state;
        row.generation = record.generation;
        row.lease = config_.lease_ns;
        row.heartbeat_seen = record.link.is_open() ? record.link.heartbeat_seen() : row.heartbeat_seen;
        row.last_answered_seq = record.last_answered_seq;
    }
    // Books first: an agent that sees snapshot s must find its book for s already there (its
    // decisions may read both; the other order let a fast agent see the book of s - 1).
    for (std::size_t i = 0; i < agents; ++i) {
        if (records_[i].book_dirty && records_[i].link.is_open()) {
            publish_book(static_cast<std::uint16_t>(i), publisher_.latest() + 1);
        }
    }
    return publisher_.publish(state_);
}

void FundTransport::publish_book(std::uint16_t slot, abi::Sequence seq) noexcept {
    AgentRecord& record = records_[slot];
    abi::AgentBook& book = book_scratch_;
    if (record.has_book_body) {
        // The head and the rows in use: the rest of the scratch book is never published.
        std::memcpy(static_cast<void*>(&book), &record.book_body, kBookHeadBytes);
        std::memcpy(static_cast<void*>(book.positions), record.book_body.positions,
                    std::min<std::size_t>(book.position_count, abi::MAX_INSTRUMENTS) * sizeof(abi::Position));
        book.account.intents_accepted += record.accepted;
        book.account.intents_rejected += record.rejected;
    } else {
        std::memset(static_cast<void*>(&book), 0, kBookHeadBytes);
        book.account.intents_accepted = record.accepted;
        book.account.intents_rejected = record.rejected;
    }
    book.seq = seq;
    book.account.agent_id = config_.agents[slot].agent_id;
    book.account.last_intent_id = std::max(book.account.last_intent_id, record.last_intent_id);
    record.link.report_writer().publish_book(book);
    record.book_dirty = false;
}

bool FundTransport::process_one(std::uint16_t slot, IntentOutcome& out, abi::Timestamp clock_ns) noexcept {
    AgentRecord& record = records_[slot];
    if (!record.link.is_open() || record.link.quarantined()) {
        return false;
    }
    out.poll = record.link.poll_intent(out.record);
    if (out.poll == RingPoll::kEmpty) {
        return false;
    }
    out.agent = view(slot);
    if (out.poll == RingPoll::kQuarantined) {
        out.reason = abi::RejectReason::CORRUPT_SLOT;
        record.link.quarantine(out.reason);
        events_->on_quarantined(out.agent, out.reason, record.link.ring_fault());
        return true;
    }
    const abi::IntentRecord& r = out.record;
    if (out.poll == RingPoll::kCorruptSlot) {
        out.reason = abi::RejectReason::CORRUPT_SLOT;
    } else {
        ValidationContext ctx;
        ctx.agent_id = out.agent.agent_id;
        ctx.expected_commit = record.link.intents_consumed();  // position already advanced: q + 1
        ctx.last_intent_id = record.last_intent_id;
        ctx.latest_snapshot = publisher_.latest();
        ctx.max_snapshot_lag = config_.max_snapshot_lag;
        ctx.instruments = std::span<const abi::InstrumentEntry>(
            state_.instruments, std::min<std::size_t>(state_.instrument_count, abi::MAX_INSTRUMENTS));
        ctx.mapped_instruments = config_.agents[slot].mapped_instruments;
        ctx.limits = config_.limits;
        const Verdict verdict = validate_intent(r, ctx);
        out.reason = verdict.reason;
        if (verdict.intent_id_consumed) {
            record.last_intent_id = r.intent_id;
        }
        if (out.reason == abi::RejectReason::NONE && r.kind == abi::IntentKind::END_OF_ANSWER) {
            record.last_answered_seq = std::max(record.last_answered_seq, r.snapshot_seq);
        }
    }
    const bool accepted = out.reason == abi::RejectReason::NONE;
    if (accepted && config_.defer_accept_reports) {
        return true;  // the sequencer answers it (write_report) after its own checks
    }
    abi::IntentReport report{};
    report.intent_id = r.intent_id;
    report.client_tag = r.client_tag;
    report.snapshot_seq = publisher_.latest();
    report.clock = clock_ns;
    report.instrument_id = r.instrument_id;
    report.kind = accepted ? abi::ReportKind::ACCEPTED : abi::ReportKind::REJECTED;
    report.side = abi::is_valid(r.side) ? r.side : abi::Side::NONE;  // never echo an unknown enum
    report.reason = out.reason;
    report.remaining_qty = accepted && r.kind == abi::IntentKind::ORDER ? r.qty : 0;
    out.report_number = record.link.report_writer().write(report);
    ++(accepted ? record.accepted : record.rejected);
    record.book_dirty = true;
    return true;
}

bool FundTransport::write_report(std::uint16_t slot, const abi::IntentReport& report) noexcept {
    AgentRecord& record = records_[slot];
    if (slot >= config_.agents.size() || !record.link.is_open()) {
        return false;
    }
    (void)record.link.report_writer().write(report);
    record.book_dirty = true;
    return true;
}

void FundTransport::set_book(std::uint16_t slot, const abi::AgentBook& book) noexcept {
    if (slot >= config_.agents.size()) {
        return;
    }
    AgentRecord& record = records_[slot];
    // The head and the rows in use: nothing else of a book is ever published.
    std::memcpy(static_cast<void*>(&record.book_body), &book, kBookHeadBytes);
    std::memcpy(static_cast<void*>(record.book_body.positions), book.positions,
                std::min<std::size_t>(book.position_count, abi::MAX_INSTRUMENTS) * sizeof(abi::Position));
    record.has_book_body = true;
    record.book_dirty = true;
}

void FundTransport::check_liveness(std::uint64_t now_ns) noexcept {
    const abi::Sequence latest = publisher_.latest();
    for (std::size_t i = 0; i < config_.agents.size(); ++i) {
        AgentRecord& record = records_[i];
        if (!record.link.is_open()) {
            continue;
        }
        const auto slot = static_cast<std::uint16_t>(i);
        switch (record.link.sample_heartbeat(now_ns)) {
            case Liveness::kBecameLate:
                events_->on_late(view(slot), record.link.silent_ns(now_ns));
                break;
            case Liveness::kRecovered:
                events_->on_recovered(view(slot));
                break;
            case Liveness::kSteady:
                break;
        }
        // Agent-written and untrusted: only a value that is not from the future and moves forward.
        const abi::Sequence answered = record.link.answered_seq_raw();
        if (answered <= latest && answered > record.last_answered_seq) {
            record.last_answered_seq = answered;
        }
    }
}

int FundTransport::grant(const AttachDecision& decision, const abi::AttachRequest& /*request*/,
                         const PeerCredentials& peer, AttachGrant& grant) {
    AgentRecord& record = records_[decision.slot];
    const abi::Sequence generation = record.generation + 1;
    if (const int rc = record.link.open(decision.agent_id, decision.slot, generation, config_.lease_ns, monotonic_ns());
        rc != 0) {
        return rc;
    }
    record.generation = generation;
    record.peer = peer;
    // The book is there before the agent maps it: it carries last_intent_id across attaches.
    publish_book(decision.slot, publisher_.latest());
    grant.generation = generation;
    grant.fds = {publisher_.fd(), record.link.intent_fd(), record.link.report_fd()};
    grant.sizes = {publisher_.size(), record.link.intent_region_size(), record.link.report_region_size()};
    return 0;
}

void FundTransport::attached(const AttachDecision& decision, const AttachGrant& /*grant*/,
                             const abi::AttachRequest& /*request*/, const PeerCredentials& /*peer*/) {
    records_[decision.slot].status = abi::AgentStatus::ACTIVE;
    events_->on_attached(view(decision.slot), decision.minor);
}

void FundTransport::abandoned(const AttachDecision& decision) {
    AgentRecord& record = records_[decision.slot];
    record.link.close();
    record.status = abi::AgentStatus::DETACHED;
}

void FundTransport::refused(const AttachDecision& decision, const abi::AttachRequest* request,
                            const PeerCredentials& peer) {
    events_->on_refused(decision, request, peer);
}

void FundTransport::hung_up(std::uint16_t slot) {
    AgentRecord& record = records_[slot];
    record.status = abi::AgentStatus::DEAD;
    const AgentView agent = view(slot);
    events_->on_dead(agent);
    record.link.close();
    events_->on_detached(agent, "hangup");
}

void FundTransport::detach(std::uint16_t slot, const char* why) noexcept {
    AgentRecord& record = records_[slot];
    if (!record.link.is_open()) {
        return;
    }
    server_.close_slot(slot);
    record.link.close();
    record.status = abi::AgentStatus::DETACHED;
    events_->on_detached(view(slot), why);
}

void FundTransport::stop() noexcept {
    server_.set_shutting_down();
    for (std::size_t i = 0; i < config_.agents.size(); ++i) {
        detach(static_cast<std::uint16_t>(i), "shutdown");
    }
    server_.close();
}

}  // namespace fundos::transport
