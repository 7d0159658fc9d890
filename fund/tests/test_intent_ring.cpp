// The intent ring consumer against an agent that writes whatever it likes: good records,
// wrap-around, garbage commit values (-> quarantine, for good), and a concurrent producer whose
// every record must arrive whole and in order.
#include <sys/mman.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <thread>

#include "check.hpp"
#include "fundos/concurrent/backoff.hpp"
#include "fundos/concurrent/seqlock.hpp"
#include "fundos/transport/agent_link.hpp"
#include "fundos/transport/intent_ring_reader.hpp"
#include "fundos/transport/report_writer.hpp"

using namespace fundos;
using transport::IntentRingReader;
using transport::RingPoll;

namespace {

constexpr std::uint64_t kSlots = abi::INTENT_RING_SLOTS;

struct Fixture {
    std::unique_ptr<abi::AgentIntentRegion> ring = std::make_unique<abi::AgentIntentRegion>();
    std::unique_ptr<abi::ReportControl> control = std::make_unique<abi::ReportControl>();
    IntentRingReader reader{ring.get(), &control->intents_consumed};
    std::uint64_t produced = 0;

    Fixture() {
        *ring = abi::AgentIntentRegion{};
        *control = abi::ReportControl{};
    }

    abi::IntentRecord& slot(std::uint64_t p) { return ring->ring[p & (kSlots - 1)]; }

    void produce() {
        abi::IntentRecord& s = slot(produced);
        s = abi::IntentRecord{};
        s.intent_id = produced + 1000;
        s.client_tag = ~produced;
        s.commit = produced + 1;
        ++produced;
    }
};

}  // namespace

TEST(empty_ring_is_empty) {
    Fixture f;
    abi::IntentRecord out{};
    CHECK(f.reader.poll(out) == RingPoll::kEmpty);
    CHECK(f.reader.poll(out) == RingPoll::kEmpty);
    CHECK_EQ(f.reader.position(), 0u);
    CHECK(!f.reader.quarantined());
}

TEST(records_in_order_and_consumed_published) {
    Fixture f;
    abi::IntentRecord out{};
    for (int i = 0; i < 3; ++i) {
        f.produce();
    }
    for (std::uint64_t q = 0; q < 3; ++q) {
        REQUIRE(f.reader.poll(out) == RingPoll::kRecord);
        CHECK_EQ(out.commit, q + 1);
        CHECK_EQ(out.intent_id, q + 1000);
        CHECK_EQ(out.client_tag, ~q);
        CHECK_EQ(f.control->intents_consumed, q + 1);
    }
    CHECK(f.reader.poll(out) == RingPoll::kEmpty);
}

TEST(wrap_around_many_laps) {
    Fixture f;
    abi::IntentRecord out{};
    for (std::uint64_t lap = 0; lap < 5 * kSlots + 3; ++lap) {
        f.produce();
        REQUIRE(f.reader.poll(out) == RingPoll::kRecord);
        CHECK_EQ(out.intent_id, lap + 1000);
        // Past the first lap the next slot holds the previous lap's record: nothing new.
        CHECK(f.reader.poll(out) == RingPoll::kEmpty);
    }
    CHECK_EQ(f.reader.position(), 5 * kSlots + 3);
}

TEST(garbage_commit_values_quarantine) {
    struct Case {
        const char* name;
        std::uint64_t advance;  // records consumed before the garbage
        std::uint64_t commit;   // written into the next slot
    };
    const Case cases[] = {
        {"ahead by one at start", 0, 2},
        {"far ahead", 0, 5000},
        {"a full lap ahead", 0, 1 + kSlots},
        {"all ones", 0, UINT64_MAX},
        {"previous-lap value while on the first lap", 0, 1 - kSlots},  // wraps to a huge number
        {"zero on a reused slot", kSlots + 4, 0},
        {"two laps back", 2 * kSlots + 4, 2 * kSlots + 5 - 2 * kSlots},
        {"ahead on a later lap", kSlots + 4, kSlots + 6},
        {"one lap ahead on a later lap", kSlots + 4, kSlots + 5 + kSlots},
    };
    for (const Case& c : cases) {
        Fixture f;
        abi::IntentRecord out{};
        for (std::uint64_t i = 0; i < c.advance; ++i) {
            f.produce();
            REQUIRE(f.reader.poll(out) == RingPoll::kRecord);
        }
        f.slot(c.advance).commit = c.commit;
        const RingPoll got = f.reader.poll(out);
        if (got != RingPoll::kQuarantined) {
            std::fprintf(stderr, "  case '%s': got %s\n", c.name, transport::to_string(got));
        }
        CHECK(got == RingPoll::kQuarantined);
        CHECK(f.reader.quarantined());
        CHECK_EQ(f.reader.fault().position, c.advance);
        CHECK_EQ(f.reader.fault().index, static_cast<std::uint32_t>(c.advance & (kSlots - 1)));
        CHECK_EQ(f.reader.fault().commit, c.commit);
        // Never read again, even once the slot looks right.
        f.slot(c.advance).commit = c.advance + 1;
        CHECK(f.reader.poll(out) == RingPoll::kQuarantined);
        CHECK_EQ(f.control->intents_consumed, c.advance);
    }
}

TEST(agent_link_quarantine_is_visible_to_the_agent) {
    transport::AgentLink link;
    REQUIRE(link.open(9, 0, 1, 1'000'000'000ULL, 0) == 0);
    // The agent's mappings of its two regions.
    transport::Mapping intents;
    transport::Mapping reports;
    REQUIRE(intents.map(link.intent_fd(), link.intent_region_size(), PROT_READ | PROT_WRITE) == 0);
    REQUIRE(reports.map(link.report_fd(), link.report_region_size(), PROT_READ) == 0);
    const auto* control = &reports.as<const abi::AgentReportRegion>()->control;
    CHECK(control->status == abi::AgentStatus::ACTIVE);
    intents.as<abi::AgentIntentRegion>()->ring[0].commit = 77;  // garbage
    abi::IntentRecord out{};
    REQUIRE(link.poll_intent(out) == RingPoll::kQuarantined);
    link.quarantine(abi::RejectReason::CORRUPT_SLOT);
    CHECK(link.quarantined());
    CHECK(link.status() == abi::AgentStatus::SUSPENDED);
    CHECK(control->status == abi::AgentStatus::SUSPENDED);
    CHECK(control->quarantine_reason == abi::RejectReason::CORRUPT_SLOT);
}

TEST(concurrent_producer_every_record_whole_and_in_order) {
    Fixture f;
    constexpr std::uint64_t kRecords = 200'000;
    std::thread producer([&] {
        for (std::uint64_t p = 0; p < kRecords; ++p) {
            // SYNC POINT: pairs with the consumer's release store of intents_consumed.
            while (p - std::atomic_ref<std::uint64_t>(f.control->intents_consumed).load(std::memory_order_acquire) >=
                   kSlots) {
                concurrent::cpu_relax();
            }
            abi::IntentRecord record{};
            record.intent_id = p + 1;
            record.snapshot_seq = p * 3;
            record.qty = static_cast<abi::Quantity>(p * 5);
            record.client_tag = p ^ 0x5555'5555'5555'5555ULL;
            for (std::uint8_t& b : record.reserved_72) {
                b = static_cast<std::uint8_t>(p);
            }
            abi::IntentRecord& s = f.slot(p);
            auto* words = reinterpret_cast<std::uint64_t*>(&s);
            const auto* in = reinterpret_cast<const std::uint64_t*>(&record);
            for (std::size_t i = 1; i < sizeof(record) / 8; ++i) {
                std::atomic_ref<std::uint64_t>(words[i]).store(in[i], std::memory_order_relaxed);
            }
            std::atomic_ref<std::uint64_t>(s.commit).store(p + 1, std::memory_order_release);
        }
    });
    std::uint64_t got = 0, bad = 0, empty_polls = 0;
    abi::IntentRecord out{};
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (got < kRecords && std::chrono::steady_clock::now() < deadline) {
        const RingPoll r = f.reader.poll(out);
        if (r == RingPoll::kEmpty) {
            ++empty_polls;
            continue;
        }
        if (r != RingPoll::kRecord) {
            ++bad;
            break;
        }
        const std::uint64_t p = got;
        bool whole = out.commit == p + 1 && out.intent_id == p + 1 && out.snapshot_seq == p * 3 &&
                     out.qty == static_cast<abi::Quantity>(p * 5) && out.client_tag == (p ^ 0x5555'5555'5555'5555ULL);
        for (const std::uint8_t b : out.reserved_72) {
            whole = whole && b == static_cast<std::uint8_t>(p);
        }
        bad += whole ? 0 : 1;
        ++got;
    }
    producer.join();
    std::printf("  ring: %llu records, %llu empty polls, %llu bad\n", static_cast<unsigned long long>(got),
                static_cast<unsigned long long>(empty_polls), static_cast<unsigned long long>(bad));
    CHECK_EQ(got, kRecords);
    CHECK_EQ(bad, 0u);
}

TEST(commit_flipping_agent_is_rejected_or_quarantined) {
    // An agent that flips commit between the expected value and garbage while the Fund copies:
    // each poll either takes a whole record, rejects the copy (kCorruptSlot) or quarantines.
    std::uint64_t records = 0, corrupt = 0, quarantined = 0;
    for (int round = 0; round < 200 && corrupt == 0; ++round) {
        Fixture f;
        std::atomic<bool> stop{false};
        std::thread flipper([&] {
            auto commit = std::atomic_ref<std::uint64_t>(f.slot(0).commit);
            while (!stop.load(std::memory_order_relaxed)) {
                commit.store(1, std::memory_order_release);
                commit.store(1 + kSlots, std::memory_order_release);
            }
        });
        abi::IntentRecord out{};
        RingPoll r = RingPoll::kEmpty;
        while ((r = f.reader.poll(out)) == RingPoll::kEmpty) {
        }
        stop = true;
        flipper.join();
        records += r == RingPoll::kRecord ? 1 : 0;
        corrupt += r == RingPoll::kCorruptSlot ? 1 : 0;
        quarantined += r == RingPoll::kQuarantined ? 1 : 0;
        CHECK(r != RingPoll::kEmpty);
    }
    std::printf("  flipping commit: %llu taken, %llu corrupt (rejected), %llu quarantined\n",
                static_cast<unsigned long long>(records), static_cast<unsigned long long>(corrupt),
                static_cast<unsigned long long>(quarantined));
}

TEST(report_ring_lapping_reader_never_accepts_a_torn_report) {
    // The Fund writes reports as fast as it can and never waits; a reader that stays near the
    // oldest slot (the next to be overwritten) copies with the agent's protocol: commit == r + 1,
    // copy, fence(acquire), commit unchanged and reports_written < r + SLOTS. Every copy it keeps
    // must be whole.
    auto region = std::make_unique<abi::AgentReportRegion>();
    *region = abi::AgentReportRegion{};
    transport::ReportWriter writer(region.get());
    constexpr std::uint64_t kReportSlots = abi::REPORT_RING_SLOTS;
    std::atomic<bool> stop{false};
    std::thread fund([&] {
        abi::IntentReport report{};
        for (std::uint64_t r = 0; !stop.load(std::memory_order_relaxed); ++r) {
            report.intent_id = r;
            report.client_tag = r * 0x9E3779B97F4A7C15ULL;
            report.snapshot_seq = r + 1;
            report.fill_qty = static_cast<abi::Quantity>(r * 3);
            report.remaining_qty = -static_cast<abi::Quantity>(r);
            writer.write(report);
        }
    });
    std::uint64_t kept = 0, lost = 0, torn = 0;
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
    abi::IntentReport out{};
    while (std::chrono::steady_clock::now() < end) {
        const std::uint64_t written =
            concurrent::shared_word(region->control.reports_written).load(std::memory_order_acquire);
        if (written < kReportSlots) {
            continue;
        }
        const std::uint64_t r = written - kReportSlots + 1;  // the oldest still present
        const abi::IntentReport& slot = region->ring[r & (kReportSlots - 1)];
        const std::uint64_t c1 = concurrent::shared_word(slot.commit).load(std::memory_order_acquire);
        if (c1 != r + 1) {
            ++lost;
            continue;
        }
        concurrent::load_words_relaxed(out, slot);
        std::atomic_thread_fence(std::memory_order_acquire);
        if (concurrent::shared_word(slot.commit).load(std::memory_order_relaxed) != c1 ||
            concurrent::shared_word(region->control.reports_written).load(std::memory_order_relaxed) >= r + kReportSlots) {
            ++lost;
            continue;
        }
        ++kept;
        const bool whole = out.intent_id == r && out.client_tag == r * 0x9E3779B97F4A7C15ULL &&
                           out.snapshot_seq == r + 1 && out.fill_qty == static_cast<abi::Quantity>(r * 3) &&
                           out.remaining_qty == -static_cast<abi::Quantity>(r);
        torn += whole ? 0 : 1;
    }
    stop = true;
    fund.join();
    std::printf("  report ring: %llu kept, %llu lapped, %llu torn kept\n", static_cast<unsigned long long>(kept),
                static_cast<unsigned long long>(lost), static_cast<unsigned long long>(torn));
    CHECK(kept > 0);
    CHECK_EQ(torn, 0u);
}

FUNDOS_TEST_MAIN
