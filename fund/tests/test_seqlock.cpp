// Seqlock writer/reader across threads with self-checking payloads: every copy a reader accepts
// is validated word by word, so a torn read (a copy mixing two versions) cannot go unnoticed.
// The negative control copies without the sequence protocol and must see torn copies: proof
// that the checker has teeth and that the protocol, not luck, keeps the accepted copies whole.
#include <sys/mman.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <thread>

#include "check.hpp"
#include "fundos/concurrent/backoff.hpp"
#include "fundos/concurrent/seqlock.hpp"
#include "fundos/transport/snapshot_publisher.hpp"
#include "fundos/transport/snapshot_reader.hpp"

using namespace fundos;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t mix(std::uint64_t version, std::uint64_t index) {
    std::uint64_t z = version * 0x9E3779B97F4A7C15ULL + index * 0xBF58476D1CE4E5B9ULL + 1;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

struct alignas(64) Payload {
    std::uint64_t version;
    std::uint64_t words[126];
    std::uint64_t checksum;
};
static_assert(sizeof(Payload) == 1024);

struct alignas(64) Slot {
    std::uint64_t sequence;
    std::uint8_t reserved[56];
    Payload payload;
};

void fill(Payload& p, std::uint64_t version) {
    p.version = version;
    std::uint64_t sum = version;
    for (std::uint64_t i = 0; i < 126; ++i) {
        p.words[i] = mix(version, i);
        sum ^= p.words[i];
    }
    p.checksum = sum;
}

bool intact(const Payload& p) {
    std::uint64_t sum = p.version;
    for (std::uint64_t i = 0; i < 126; ++i) {
        if (p.words[i] != mix(p.version, i)) {
            return false;
        }
        sum ^= p.words[i];
    }
    return sum == p.checksum;
}

bool two_cores() { return std::thread::hardware_concurrency() >= 2; }

}  // namespace

TEST(single_thread_write_then_read) {
    auto slot = std::make_unique<Slot>();
    concurrent::SeqlockWriter<Payload> writer(slot->sequence, slot->payload);
    concurrent::SeqlockReader<Payload> reader(slot->sequence, slot->payload);
    Payload out{};
    std::uint64_t seq = 0;
    CHECK(!reader.try_read(out, seq));  // nothing written
    Payload in{};
    fill(in, 7);
    writer.write(in, 7);
    CHECK_EQ(slot->sequence, 14u);
    CHECK(reader.try_read(out, seq));
    CHECK_EQ(seq, 14u);
    CHECK(intact(out));
    CHECK_EQ(out.version, 7u);
    CHECK(reader.try_read_exact(14, out));
    CHECK(!reader.try_read_exact(12, out));
    slot->sequence = 15;  // a writer in progress
    CHECK(!reader.try_read(out, seq));
    CHECK(!reader.try_read_exact(15, out));
}

TEST(two_threads_every_accepted_copy_is_whole) {
    auto slot = std::make_unique<Slot>();
    std::atomic<bool> stop{false};
    std::thread writer_thread([&] {
        concurrent::SeqlockWriter<Payload> writer(slot->sequence, slot->payload);
        Payload p{};
        for (std::uint64_t v = 1; !stop.load(std::memory_order_relaxed); ++v) {
            fill(p, v);
            writer.write(p, v);
            // A short gap (like a real writer between publishes) so readers also get whole
            // copies; the writes still overlap the readers' copies all the time.
            for (int i = 0; i < 200; ++i) {
                concurrent::cpu_relax();
            }
        }
    });
    concurrent::SeqlockReader<Payload> reader(slot->sequence, slot->payload);
    std::uint64_t ok = 0, retries = 0, torn = 0, last = 0, backwards = 0;
    Payload out{};
    const auto end = std::chrono::steady_clock::now() + 700ms;
    while (std::chrono::steady_clock::now() < end) {
        for (int i = 0; i < 256; ++i) {
            std::uint64_t seq = 0;
            if (!reader.try_read(out, seq)) {
                ++retries;
                continue;
            }
            ++ok;
            torn += intact(out) && seq == 2 * out.version ? 0 : 1;
            backwards += out.version < last ? 1 : 0;
            last = out.version;
        }
    }
    stop = true;
    writer_thread.join();
    std::printf("  seqlock: %llu whole copies, %llu retries, %llu torn accepted\n",
                static_cast<unsigned long long>(ok), static_cast<unsigned long long>(retries),
                static_cast<unsigned long long>(torn));
    CHECK(ok > 0);
    CHECK_EQ(torn, 0u);
    CHECK_EQ(backwards, 0u);
}

TEST(negative_control_copy_without_protocol_tears) {
    if (!two_cores()) {
        std::printf("  skipped: needs two cores\n");
        return;
    }
    auto slot = std::make_unique<Slot>();
    std::atomic<bool> stop{false};
    std::thread writer_thread([&] {
        concurrent::SeqlockWriter<Payload> writer(slot->sequence, slot->payload);
        Payload p{};
        for (std::uint64_t v = 1; !stop.load(std::memory_order_relaxed); ++v) {
            fill(p, v);
            writer.write(p, v);
        }
    });
    // The same relaxed word copy the reader uses, without the sequence check around it.
    std::uint64_t copies = 0, torn = 0;
    Payload out{};
    const auto end = std::chrono::steady_clock::now() + 3s;
    while (torn == 0 && std::chrono::steady_clock::now() < end) {
        for (int i = 0; i < 256; ++i) {
            concurrent::load_words_relaxed(out, slot->payload);
            ++copies;
            torn += intact(out) ? 0 : 1;
        }
    }
    stop = true;
    writer_thread.join();
    std::printf("  negative control: %llu torn of %llu unprotected copies\n", static_cast<unsigned long long>(torn),
                static_cast<unsigned long long>(copies));
    CHECK(torn > 0);
}

namespace {

void fill_state(abi::FundState& s, std::uint64_t v) {
    s.nav = static_cast<abi::Money>(mix(v, 1) >> 1);
    s.cash = static_cast<abi::Money>(mix(v, 2) >> 1);
    s.instrument_count = abi::MAX_INSTRUMENTS;
    s.agent_count = abi::MAX_AGENTS;  // rows past the counts are neither published nor copied
    for (std::uint32_t i = 0; i < abi::MAX_INSTRUMENTS; ++i) {
        s.instruments[i].instrument_id = i + 1;
        s.instruments[i].bid = static_cast<abi::Price>(mix(v, 100 + i) >> 1);
        s.instruments[i].session_volume = static_cast<abi::Quantity>(mix(v, 300 + i) >> 1);
    }
    for (std::uint32_t i = 0; i < abi::MAX_AGENTS; ++i) {
        s.agents[i].heartbeat_seen = mix(v, 500 + i);
    }
}

bool state_intact(const abi::FundState& s, std::uint64_t v) {
    bool ok = s.nav == static_cast<abi::Money>(mix(v, 1) >> 1) && s.cash == static_cast<abi::Money>(mix(v, 2) >> 1);
    for (std::uint32_t i = 0; i < abi::MAX_INSTRUMENTS; ++i) {
        ok = ok && s.instruments[i].bid == static_cast<abi::Price>(mix(v, 100 + i) >> 1) &&
             s.instruments[i].session_volume == static_cast<abi::Quantity>(mix(v, 300 + i) >> 1);
    }
    for (std::uint32_t i = 0; i < abi::MAX_AGENTS; ++i) {
        ok = ok && s.agents[i].heartbeat_seen == mix(v, 500 + i);
    }
    return ok;
}

}  // namespace

TEST(snapshot_latch_reader_through_read_only_mapping) {
    transport::SnapshotPublisher publisher;
    REQUIRE(publisher.create() == 0);
    publisher.set_wake(false);
    // The reader uses its own read-only mapping of the fd, as an agent does.
    transport::Mapping agent_view;
    REQUIRE(agent_view.map(publisher.fd(), publisher.size(), PROT_READ) == 0);
    transport::SnapshotReader reader(agent_view.as<const abi::SnapshotRegion>());
    auto out = std::make_unique<abi::FundState>();
    CHECK(reader.try_read(*out) == transport::ReadStatus::kEmpty);

    std::atomic<bool> stop{false};
    std::thread writer_thread([&] {
        auto state = std::make_unique<abi::FundState>();
        for (std::uint64_t v = 1; !stop.load(std::memory_order_relaxed); ++v) {
            fill_state(*state, v);
            const abi::Sequence s = publisher.publish(*state);
            if (s != v) {
                std::abort();
            }
        }
    });
    std::uint64_t ok = 0, retries = 0, torn = 0, last = 0, backwards = 0;
    const auto end = std::chrono::steady_clock::now() + 700ms;
    while (std::chrono::steady_clock::now() < end) {
        const transport::ReadStatus status = reader.try_read(*out);
        if (status == transport::ReadStatus::kOk) {
            ++ok;
            torn += state_intact(*out, out->seq) ? 0 : 1;
            backwards += out->seq < last ? 1 : 0;
            last = out->seq;
        } else if (status == transport::ReadStatus::kRetry) {
            ++retries;
        }
    }
    stop = true;
    writer_thread.join();
    std::printf("  latch: %llu whole snapshots (last %llu), %llu retries, %llu torn accepted\n",
                static_cast<unsigned long long>(ok), static_cast<unsigned long long>(last),
                static_cast<unsigned long long>(retries), static_cast<unsigned long long>(torn));
    CHECK(ok > 0);
    CHECK_EQ(torn, 0u);
    CHECK_EQ(backwards, 0u);
}

TEST(shrinking_counts_leave_no_stale_rows) {
    // The publisher writes the head and the rows in use only; every slot first holds full
    // tables, then fewer rows: a reader's copy must show zeros past the counts, never the rows an
    // older snapshot left in the slot, whatever its buffer held before.
    transport::SnapshotPublisher publisher;
    REQUIRE(publisher.create() == 0);
    publisher.set_wake(false);
    transport::Mapping agent_view;
    REQUIRE(agent_view.map(publisher.fd(), publisher.size(), PROT_READ) == 0);
    const transport::SnapshotReader reader(agent_view.as<const abi::SnapshotRegion>());
    auto state = std::make_unique<abi::FundState>();
    auto out = std::make_unique<abi::FundState>();
    fill_state(*state, 7);
    for (std::uint32_t i = 0; i < abi::SNAPSHOT_SLOTS; ++i) {
        publisher.publish(*state);
    }
    for (std::uint16_t keep : {3, 1, 0}) {
        for (std::uint32_t i = 0; i < abi::SNAPSHOT_SLOTS; ++i) {
            *state = abi::FundState{};
            state->instrument_count = keep;
            state->agent_count = keep;
            for (std::uint16_t row = 0; row < keep; ++row) {
                state->instruments[row].instrument_id = 100U + row;
                state->agents[row].agent_id = 200U + row;
            }
            publisher.publish(*state);
            std::memset(static_cast<void*>(out.get()), 0xFF, sizeof(*out));
            REQUIRE(reader.read(*out) == transport::ReadStatus::kOk);
            CHECK(std::memcmp(out.get(), state.get(), sizeof(*out)) == 0);
        }
    }
    state->instrument_count = abi::MAX_INSTRUMENTS + 1;  // clamped by writer and reader
    state->agent_count = 0xFFFF;
    publisher.publish(*state);
    REQUIRE(reader.read(*out) == transport::ReadStatus::kOk);
    CHECK_EQ(out->instrument_count, abi::MAX_INSTRUMENTS);
    CHECK_EQ(out->agent_count, abi::MAX_AGENTS);
}

TEST(futex_waiter_is_woken_by_publish) {
    transport::SnapshotPublisher publisher;
    REQUIRE(publisher.create() == 0);
    transport::Mapping agent_view;
    REQUIRE(agent_view.map(publisher.fd(), publisher.size(), PROT_READ) == 0);
    transport::SnapshotReader reader(agent_view.as<const abi::SnapshotRegion>());
    std::atomic<int> result{-1};
    std::atomic<std::uint64_t> seen_seq{0};
    std::thread waiter([&] {
        auto out = std::make_unique<abi::FundState>();
        const std::uint64_t deadline = transport::SnapshotReader::now_ns() + 5'000'000'000ULL;
        // Sleep in futex_wait at once: only FUTEX_WAKE (or the deadline) ends the wait.
        const auto status = reader.wait_newer(0, *out, deadline, concurrent::BackoffPolicy{0, 0, true});
        seen_seq = out->seq;
        result = static_cast<int>(status);
    });
    std::this_thread::sleep_for(30ms);
    auto state = std::make_unique<abi::FundState>();
    const auto t0 = std::chrono::steady_clock::now();
    publisher.publish(*state);
    waiter.join();
    const auto waited = std::chrono::steady_clock::now() - t0;
    CHECK_EQ(result.load(), static_cast<int>(transport::ReadStatus::kOk));
    CHECK_EQ(seen_seq.load(), 1u);
    CHECK(waited < 2s);
    CHECK_EQ(publisher.region()->control.futex_word, 1u);
}

FUNDOS_TEST_MAIN
