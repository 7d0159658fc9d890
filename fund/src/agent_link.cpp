#include "fundos/transport/agent_link.hpp"

#include <atomic>

#include "fundos/concurrent/seqlock.hpp"
#include "fundos/transport/regions.hpp"

namespace fundos::transport {

int AgentLink::open(std::uint32_t agent_id, std::uint16_t slot, abi::Sequence generation, abi::Duration lease_ns,
                    std::uint64_t now_ns) noexcept {
    close();
    MemfdRegion intents;
    MemfdRegion reports;
    if (const int rc = intents.create("fundos-intents", kIntentRegionSize, RegionWriter::kAgent); rc != 0) {
        return rc;
    }
    if (const int rc = reports.create("fundos-reports", kReportRegionSize, RegionWriter::kFund); rc != 0) {
        return rc;
    }
    auto* report_region = reports.as<abi::AgentReportRegion>();
    // Written before the fd is shared: no reader yet.
    report_region->header =
        make_region_header(abi::RegionKind::AGENT_REPORTS, kReportRegionSize, generation, agent_id);
    report_region->control.status = abi::AgentStatus::ACTIVE;
    report_region->control.quarantine_reason = abi::RejectReason::NONE;
    if (const int rc = reports.seal_for_readers(); rc != 0) {
        return rc;
    }
    intents_ = std::move(intents);
    reports_ = std::move(reports);
    ring_ = IntentRingReader(intents_.as<const abi::AgentIntentRegion>(), &report_region->control.intents_consumed);
    writer_ = ReportWriter(report_region);
    agent_id_ = agent_id;
    slot_ = slot;
    generation_ = generation;
    lease_ns_ = lease_ns;
    heartbeat_seen_ = 0;
    last_change_ns_ = now_ns;
    late_ = false;
    quarantined_ = false;
    quarantine_reason_ = abi::RejectReason::NONE;
    return 0;
}

void AgentLink::close() noexcept {
    ring_ = IntentRingReader();
    writer_ = ReportWriter();
    intents_.reset();
    reports_.reset();
}

Liveness AgentLink::sample_heartbeat(std::uint64_t now_ns) noexcept {
    // SYNC POINT: pairs with the agent's relaxed store of counter + 1. Relaxed is enough: only
    // whether the value moved matters; it publishes no other data.
    const abi::Sequence counter =
        concurrent::shared_word(intent_region()->heartbeat.counter).load(std::memory_order_relaxed);
    if (counter != heartbeat_seen_) {
        heartbeat_seen_ = counter;
        last_change_ns_ = now_ns;
        if (late_) {
            late_ = false;
            publish_status();
            return Liveness::kRecovered;
        }
        return Liveness::kSteady;
    }
    if (!late_ && now_ns - last_change_ns_ >= lease_ns_) {
        late_ = true;
        publish_status();
        return Liveness::kBecameLate;
    }
    return Liveness::kSteady;
}

abi::Sequence AgentLink::answered_seq_raw() const noexcept {
    // SYNC POINT: pairs with the agent's release store of answered_seq (after its intents).
    return concurrent::shared_word(intent_region()->heartbeat.answered_seq).load(std::memory_order_acquire);
}

void AgentLink::quarantine(abi::RejectReason reason) noexcept {
    quarantined_ = true;
    quarantine_reason_ = reason;
    publish_status();
}

abi::AgentStatus AgentLink::status() const noexcept {
    if (quarantined_) {
        return abi::AgentStatus::SUSPENDED;
    }
    return late_ ? abi::AgentStatus::LATE : abi::AgentStatus::ACTIVE;
}

void AgentLink::publish_status() noexcept { writer_.set_status(status(), quarantine_reason_); }

}  // namespace fundos::transport
