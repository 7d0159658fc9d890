// The transport end to end in one thread: attach, snapshot, intents validated from their private
// copies and answered in the report ring, the book, quarantine on an impossible ring, heartbeat
// leases on the Fund's clock, and intent ids that keep increasing across attach generations.
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "check.hpp"
#include "fundos/transport/transport.hpp"
#include "test_agent.hpp"

using namespace fundos;
using abi::RejectReason;
using test::TestAgent;

namespace {

struct Recorder : transport::TransportEvents {
    std::vector<std::string> log;
    void on_attached(const transport::AgentView& a, std::uint16_t) override {
        log.push_back("attached " + std::to_string(a.agent_id) + " g" + std::to_string(a.generation));
    }
    void on_quarantined(const transport::AgentView& a, abi::RejectReason r, const transport::RingFault& f) override {
        log.push_back("quarantined " + std::to_string(a.agent_id) + " " + abi::to_string(r) + " commit " +
                      std::to_string(f.commit));
    }
    void on_late(const transport::AgentView& a, std::uint64_t) override { log.push_back("late " + std::to_string(a.agent_id)); }
    void on_recovered(const transport::AgentView& a) override { log.push_back("recovered " + std::to_string(a.agent_id)); }
    void on_dead(const transport::AgentView& a) override { log.push_back("dead " + std::to_string(a.agent_id)); }
    void on_detached(const transport::AgentView& a, const char* why) override {
        log.push_back(std::string("detached ") + std::to_string(a.agent_id) + " " + why);
    }
    [[nodiscard]] bool has(const std::string& line) const {
        for (const auto& l : log) {
            if (l == line) {
                return true;
            }
        }
        return false;
    }
};

struct Fund {
    Recorder events;
    std::unique_ptr<transport::FundTransport> transport = std::make_unique<transport::FundTransport>();
    std::string run_dir;
    std::uint64_t clock = 1'700'000'000'000'000'000ULL;

    explicit Fund(std::uint64_t lease_ns = 1'000'000'000ULL) {
        char base[] = "/tmp/fundos-transport-XXXXXX";
        REQUIRE(::mkdtemp(base) != nullptr);
        run_dir = std::string(base) + "/run";
        transport::TransportConfig config;
        config.run_dir = run_dir;
        config.agents = {{11, {::getuid()}, {}, ~0ULL}, {12, {::getuid()}, {}, 0b1ULL}};
        config.lease_ns = lease_ns;
        config.max_snapshot_lag = 2;
        REQUIRE(transport->start(config, &events) == 0);
        abi::FundState& s = transport->state();
        s.mode = abi::Mode::SIMULATION;
        s.trading_state = abi::TradingState::ACTIVE;
        s.instrument_count = 2;
        for (std::uint32_t i = 0; i < 2; ++i) {
            s.instruments[i].instrument_id = i + 1;
            s.instruments[i].status = abi::InstrumentStatus::TRADING;
            s.instruments[i].tick_size = 1'000'000;
            s.instruments[i].lot_size = 1;
        }
        transport->publish(clock);
    }
    ~Fund() {
        transport->stop();
        ::rmdir(run_dir.c_str());
        ::rmdir(run_dir.substr(0, run_dir.size() - 4).c_str());
    }
    static void pump(void* self) { static_cast<Fund*>(self)->transport->poll_io(100'000'000); }
    void attach(TestAgent& agent, std::uint32_t id) {
        REQUIRE(agent.attach(transport->socket_path(), test::make_request(id), &Fund::pump, this) ==
                static_cast<int>(sizeof(abi::AttachReply)));
        REQUIRE(agent.reply.status == abi::AttachStatus::OK);
    }
    /// Process everything pending for `slot`; returns the outcomes.
    std::vector<transport::IntentOutcome> drain(std::uint16_t slot) {
        std::vector<transport::IntentOutcome> outcomes;
        transport::IntentOutcome out;
        while (transport->process_one(slot, out, ++clock)) {
            outcomes.push_back(out);
        }
        return outcomes;
    }
};

}  // namespace

TEST(intents_are_validated_and_reported) {
    Fund fund;
    TestAgent agent;
    fund.attach(agent, 11);
    const std::uint64_t seq = fund.transport->publisher().latest();
    REQUIRE(agent.submit(test::make_order(11, 1, seq, 1, 100, 150'000'000)));           // ok
    REQUIRE(agent.submit(test::make_order(11, 2, seq, 1, 0, 150'000'000)));             // qty 0
    REQUIRE(agent.submit(test::make_order(11, 2, seq, 1, 5, 150'000'000)));             // id not increasing
    REQUIRE(agent.submit(test::make_order(11, 3, seq, 99, 5, 150'000'000)));            // unknown instrument
    REQUIRE(agent.submit(test::make_order(12, 4, seq, 1, 5, 150'000'000)));             // another agent's id
    abi::IntentRecord eoa{};
    eoa.intent_id = 5;
    eoa.snapshot_seq = seq;
    eoa.agent_id = 11;
    eoa.kind = abi::IntentKind::END_OF_ANSWER;
    REQUIRE(agent.submit(eoa));
    const auto outcomes = fund.drain(0);
    REQUIRE(outcomes.size() == 6);
    const RejectReason expected[] = {RejectReason::NONE,
                                     RejectReason::BAD_QUANTITY,
                                     RejectReason::INTENT_ID_NOT_INCREASING,
                                     RejectReason::UNKNOWN_INSTRUMENT,
                                     RejectReason::BAD_AGENT_ID,
                                     RejectReason::NONE};
    for (std::size_t i = 0; i < 6; ++i) {
        CHECK(outcomes[i].reason == expected[i]);
        CHECK(outcomes[i].poll == transport::RingPoll::kRecord);
        CHECK_EQ(outcomes[i].report_number, i);
    }
    CHECK_EQ(agent.report_region()->control.intents_consumed, 6u);
    for (std::size_t i = 0; i < 6; ++i) {
        abi::IntentReport report{};
        REQUIRE(agent.next_report(report));
        CHECK_EQ(report.commit, i + 1);
        CHECK(report.reason == expected[i]);
        CHECK(report.kind == (expected[i] == RejectReason::NONE ? abi::ReportKind::ACCEPTED : abi::ReportKind::REJECTED));
        CHECK_EQ(report.snapshot_seq, seq);
    }
    abi::IntentReport first{};
    agent.reports_read = 0;
    REQUIRE(agent.next_report(first));
    CHECK_EQ(first.intent_id, 1u);
    CHECK_EQ(first.client_tag, 7u);
    CHECK_EQ(first.remaining_qty, 100);
    CHECK(first.side == abi::Side::BUY);

    // Stale: the window is 2 snapshots.
    for (int i = 0; i < 3; ++i) {
        fund.transport->publish(++fund.clock);
    }
    REQUIRE(agent.submit(test::make_order(11, 10, seq, 1, 5, 150'000'000)));
    auto stale = fund.drain(0);
    REQUIRE(stale.size() == 1);
    CHECK(stale[0].reason == RejectReason::STALE_SNAPSHOT);

    // Agent 12 may trade instrument 1 only (mapped bit 0).
    TestAgent other;
    fund.attach(other, 12);
    const std::uint64_t now_seq = fund.transport->publisher().latest();
    REQUIRE(other.submit(test::make_order(12, 1, now_seq, 2, 5, 150'000'000)));
    auto mapped = fund.drain(1);
    REQUIRE(mapped.size() == 1);
    CHECK(mapped[0].reason == RejectReason::INSTRUMENT_NOT_MAPPED);

    // The book and the FundState agent table.
    fund.transport->publish(++fund.clock);
    abi::AgentBook book{};
    REQUIRE(transport::read_book(agent.report_region()->book, book) == transport::ReadStatus::kOk);
    CHECK_EQ(book.account.intents_accepted, 2u);
    CHECK_EQ(book.account.intents_rejected, 5u);
    CHECK_EQ(book.account.last_intent_id, 10u);
    CHECK_EQ(book.seq, fund.transport->publisher().latest());
    auto state = std::make_unique<abi::FundState>();
    REQUIRE(transport::SnapshotReader(agent.snapshot_region()).read(*state) == transport::ReadStatus::kOk);
    CHECK_EQ(state->agent_count, 2);
    CHECK_EQ(state->agents[0].agent_id, 11u);
    CHECK(state->agents[0].status == abi::AgentStatus::ACTIVE);
    CHECK_EQ(state->agents[0].generation, 1u);
    CHECK_EQ(state->agents[0].last_answered_seq, seq);  // from END_OF_ANSWER
}

TEST(impossible_ring_quarantines_the_agent) {
    Fund fund;
    TestAgent agent;
    fund.attach(agent, 11);
    const std::uint64_t seq = fund.transport->publisher().latest();
    REQUIRE(agent.submit(test::make_order(11, 1, seq, 1, 5, 150'000'000)));
    agent.intent_region()->ring[1].commit = 12345;  // garbage in the next slot
    auto outcomes = fund.drain(0);
    REQUIRE(outcomes.size() == 2);
    CHECK(outcomes[0].reason == RejectReason::NONE);
    CHECK(outcomes[1].poll == transport::RingPoll::kQuarantined);
    CHECK(fund.events.has("quarantined 11 CORRUPT_SLOT commit 12345"));
    CHECK(agent.control_status() == abi::AgentStatus::SUSPENDED);
    CHECK(agent.report_region()->control.quarantine_reason == RejectReason::CORRUPT_SLOT);
    // The ring is never read again, whatever the agent writes.
    agent.intent_region()->ring[1].commit = 2;
    CHECK(fund.drain(0).empty());
    CHECK(fund.transport->status(0) == abi::AgentStatus::SUSPENDED);
    fund.transport->publish(++fund.clock);
    auto state = std::make_unique<abi::FundState>();
    REQUIRE(transport::SnapshotReader(agent.snapshot_region()).read(*state) == transport::ReadStatus::kOk);
    CHECK(state->agents[0].status == abi::AgentStatus::SUSPENDED);
    // Still attached: its socket is live.
    TestAgent again;
    REQUIRE(again.attach(fund.transport->socket_path(), test::make_request(11), &Fund::pump, &fund) > 0);
    CHECK(again.reply.status == abi::AttachStatus::ALREADY_ATTACHED);
}

TEST(heartbeat_lease_on_the_funds_clock) {
    Fund fund(20'000'000);  // 20 ms lease
    TestAgent agent;
    fund.attach(agent, 11);
    std::uint64_t now = transport::monotonic_ns();
    fund.transport->check_liveness(now);
    CHECK(fund.transport->status(0) == abi::AgentStatus::ACTIVE);
    // Beating keeps it active even across several leases.
    for (int i = 0; i < 5; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(8));
        agent.heartbeat();
        fund.transport->check_liveness(transport::monotonic_ns());
    }
    CHECK(fund.transport->status(0) == abi::AgentStatus::ACTIVE);
    CHECK(!fund.events.has("late 11"));
    // Silent for more than the lease: LATE, once.
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    fund.transport->check_liveness(transport::monotonic_ns());
    fund.transport->check_liveness(transport::monotonic_ns());
    CHECK(fund.transport->status(0) == abi::AgentStatus::LATE);
    CHECK(agent.control_status() == abi::AgentStatus::LATE);
    int lates = 0;
    for (const auto& l : fund.events.log) {
        lates += l == "late 11" ? 1 : 0;
    }
    CHECK_EQ(lates, 1);
    // The agent's answered_seq is taken only when it is not from the future.
    agent.heartbeat(999);
    fund.transport->check_liveness(transport::monotonic_ns());
    CHECK(fund.events.has("recovered 11"));
    CHECK(fund.transport->status(0) == abi::AgentStatus::ACTIVE);
    fund.transport->publish(++fund.clock);
    auto state = std::make_unique<abi::FundState>();
    REQUIRE(transport::SnapshotReader(agent.snapshot_region()).read(*state) == transport::ReadStatus::kOk);
    CHECK_EQ(state->agents[0].last_answered_seq, 0u);
    CHECK_EQ(state->agents[0].heartbeat_seen, 6u);
    CHECK_EQ(state->agents[0].lease, 20'000'000u);
}

TEST(intent_ids_keep_increasing_across_generations) {
    Fund fund;
    auto first = std::make_unique<TestAgent>();
    fund.attach(*first, 11);
    const std::uint64_t seq = fund.transport->publisher().latest();
    REQUIRE(first->submit(test::make_order(11, 40, seq, 1, 5, 150'000'000)));
    CHECK(fund.drain(0).size() == 1);
    first->socket.reset();  // crash
    fund.transport->poll_io(100'000'000);
    CHECK(fund.events.has("dead 11"));
    CHECK(fund.events.has("detached 11 hangup"));
    CHECK(fund.transport->status(0) == abi::AgentStatus::DEAD);

    TestAgent second;
    fund.attach(second, 11);
    CHECK_EQ(second.reply.generation, 2u);
    // The book in the fresh region carries the last id, so the agent can continue above it.
    abi::AgentBook book{};
    REQUIRE(transport::read_book(second.report_region()->book, book) == transport::ReadStatus::kOk);
    CHECK_EQ(book.account.last_intent_id, 40u);
    // The stale process writes a perfect record into its old ring: nobody reads it.
    REQUIRE(first->submit(test::make_order(11, 41, seq, 1, 5, 150'000'000)));
    CHECK(fund.drain(0).empty());
    REQUIRE(second.submit(test::make_order(11, 40, seq, 1, 5, 150'000'000)));
    REQUIRE(second.submit(test::make_order(11, 41, seq, 1, 5, 150'000'000)));
    auto outcomes = fund.drain(0);
    REQUIRE(outcomes.size() == 2);
    CHECK(outcomes[0].reason == RejectReason::INTENT_ID_NOT_INCREASING);
    CHECK(outcomes[1].reason == RejectReason::NONE);
    CHECK_EQ(outcomes[1].agent.generation, 2u);
}

TEST(report_ring_laps_without_waiting_for_the_agent) {
    Fund fund;
    TestAgent agent;
    fund.attach(agent, 11);
    const std::uint64_t seq = fund.transport->publisher().latest();
    const std::uint64_t total = abi::REPORT_RING_SLOTS + 10;
    for (std::uint64_t id = 1; id <= total; ++id) {
        REQUIRE(agent.submit(test::make_order(11, id, seq, 1, 5, 150'000'000)));
        CHECK_EQ(fund.drain(0).size(), 1u);  // the agent never reads a report
    }
    CHECK_EQ(agent.report_region()->control.reports_written, total);
    // The oldest reports are gone: slot 0 now holds report 256 (commit 257).
    abi::IntentReport report{};
    CHECK(!agent.next_report(report));
    CHECK_EQ(agent.report_region()->ring[0].commit, abi::REPORT_RING_SLOTS + 1);
    agent.reports_read = total - 1;
    REQUIRE(agent.next_report(report));
    CHECK_EQ(report.intent_id, total);
}

FUNDOS_TEST_MAIN
