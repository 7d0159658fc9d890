// Arbitrary agent-written bytes through the path the Fund runs on every intent record: a real
// memfd intent ring (written through its own writable mapping, as an agent writes it), the
// Fund's read-only mapping, IntentRingReader::poll (the one private copy) and validate_intent.
//
// An input is a sequence of 128-byte IntentRecord images (a shorter tail is ignored). Each image
// goes into the slot at the reader's position; its commit word is the image's own when that is
// non-zero (a hostile commit), else position + 1 (what an honest producer stores). The context is
// fixed (kContext below, the table of test_intent_validator.cpp) except the agent's last intent
// id, which follows the verdicts. Every outcome is checked against the validator's contract
// (check_contract): a breach aborts, which is a finding for every driver below.
//
// One file, these drivers (tests/soak/test_soak_fuzz.py, docs/RELIABILITY.md):
//   - libFuzzer (clang -fsanitize=fuzzer, FUNDOS_LIBFUZZER): LLVMFuzzerTestOneInput only.
//   - `fund_fuzz_intent` (GCC, always built) reading stdin: one input per line in hex; one answer
//     line per input: each record's outcome, a RejectReason name (NONE: accepted), EMPTY or
//     QUARANTINED (the ring is then never read again, so the rest of the input is not either).
//     The hypothesis test compares these with its own model of docs/TRANSPORT.md's table.
//   - `fund_fuzz_intent --random N --seed S`: N records generated from S (mostly one field away
//     from valid), one JSON line of counts per outcome; deterministic for a given S.
//   - `fund_fuzz_intent --corpus DIR N --seed S`: N generated inputs as files, libFuzzer's seeds.
//   - `fund_fuzz_intent FILE...`: each file is one input (a libFuzzer corpus or crash replayed).
#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "fundos/abi.hpp"
#include "fundos/transport/intent_ring_reader.hpp"
#include "fundos/transport/intent_validator.hpp"
#include "fundos/transport/memfd_region.hpp"

using namespace fundos;
using abi::RejectReason;

namespace {

constexpr std::uint32_t kAgent = 7;
constexpr std::uint64_t kFirstLastIntentId = 10;
constexpr abi::Sequence kLatest = 100;
constexpr abi::Sequence kLag = 5;
constexpr std::size_t kRecord = sizeof(abi::IntentRecord);

struct Table {
    std::array<abi::InstrumentEntry, 4> rows{};
    Table() {
        rows[0].instrument_id = 1;  // mapped; tick 0.01, lot 100 units
        rows[0].status = abi::InstrumentStatus::TRADING;
        rows[0].tick_size = 1'000'000;
        rows[0].lot_size = 100'000'000;
        rows[1].instrument_id = 2;  // known, not mapped
        rows[1].status = abi::InstrumentStatus::TRADING;
        rows[1].tick_size = 1;
        rows[1].lot_size = 1;
        rows[2].instrument_id = 3;  // an empty row
        rows[2].status = abi::InstrumentStatus::UNUSED;
        rows[3].instrument_id = 4;  // mapped, no tick or lot constraint
        rows[3].status = abi::InstrumentStatus::HALTED;
    }
};

const Table kTable;

transport::ValidationContext context(std::uint64_t last_intent_id, abi::Sequence expected_commit) {
    transport::ValidationContext ctx;
    ctx.agent_id = kAgent;
    ctx.expected_commit = expected_commit;
    ctx.last_intent_id = last_intent_id;
    ctx.latest_snapshot = kLatest;
    ctx.max_snapshot_lag = kLag;
    ctx.instruments = kTable.rows;
    ctx.mapped_instruments = 0b1101;
    ctx.limits.max_abs_qty = 1'000'000'000'000;
    ctx.limits.max_price = 1'000'000'000'000;
    return ctx;
}

[[noreturn]] void breach(const char* what, const abi::IntentRecord& r, RejectReason reason) {
    std::fprintf(stderr,
                 "fund_fuzz_intent: contract breached: %s (reason %s, kind %u, id %" PRIu64 ", qty %" PRId64
                 ", price %" PRId64 ")\n",
                 what, abi::to_string(reason), static_cast<unsigned>(r.kind), r.intent_id, r.qty, r.limit_price);
    std::abort();
}

// What must hold whatever the record: written independently of the validator's table walk, so a
// change there that lets a bad record through is caught here.
void check_contract(const abi::IntentRecord& r, const transport::Verdict& v, std::uint64_t last_id) {
    if (v.reason == RejectReason::NONE) {
        if (r.agent_id != kAgent) breach("accepted another agent's id", r, v.reason);
        if (!abi::is_valid(r.kind) || !abi::is_valid(r.side) || !abi::is_valid(r.order_type) ||
            !abi::is_valid(r.time_in_force)) {
            breach("accepted an unknown enum", r, v.reason);
        }
        if (r.intent_id <= last_id) breach("accepted a used intent id", r, v.reason);
        if (r.snapshot_seq == 0 || r.snapshot_seq > kLatest || kLatest - r.snapshot_seq > kLag) {
            breach("accepted a stale or future snapshot", r, v.reason);
        }
        const abi::InstrumentEntry* row =
            v.instrument_index >= 0 ? &kTable.rows[static_cast<std::size_t>(v.instrument_index)] : nullptr;
        if (row != nullptr && (row->instrument_id != r.instrument_id || row->status == abi::InstrumentStatus::UNUSED ||
                               ((0b1101U >> v.instrument_index) & 1U) == 0)) {
            breach("accepted an unmapped instrument", r, v.reason);
        }
        if (row == nullptr && r.instrument_id != 0) breach("accepted an instrument without its row", r, v.reason);
        if (r.qty < -1'000'000'000'000 || r.qty > 1'000'000'000'000) breach("accepted a huge qty", r, v.reason);
        if (r.limit_price < 0 || r.limit_price > 1'000'000'000'000) breach("accepted a bad price", r, v.reason);
        if (row != nullptr && row->lot_size > 0 && r.qty % row->lot_size != 0) breach("qty off lot", r, v.reason);
        if (row != nullptr && row->tick_size > 0 && r.limit_price % row->tick_size != 0) {
            breach("price off tick", r, v.reason);
        }
        if (r.kind == abi::IntentKind::ORDER && (r.qty <= 0 || r.side == abi::Side::NONE)) {
            breach("accepted an order without side or quantity", r, v.reason);
        }
        for (std::size_t i = 0; i < sizeof r.pad_44; ++i) {
            if (r.pad_44[i] != 0) breach("accepted non-zero padding", r, v.reason);
        }
        for (std::size_t i = 0; i < sizeof r.reserved_72; ++i) {
            if (r.reserved_72[i] != 0) breach("accepted non-zero reserved bytes", r, v.reason);
        }
    }
    // An id is consumed exactly when it was above the last one and check 3 was reached.
    if (v.intent_id_consumed && r.intent_id <= last_id) breach("consumed a used intent id", r, v.reason);
    if (v.reason == RejectReason::NONE && !v.intent_id_consumed) breach("accepted without consuming", r, v.reason);
    if (v.reason != RejectReason::NONE && v.reason > RejectReason::CORRUPT_SLOT) {
        breach("a transport verdict outside the transport's reasons", r, v.reason);
    }
}

enum class Outcome : std::uint8_t { kVerdict, kEmpty, kQuarantined };

// The agent's writable view and the Fund's read-only one of the same memfd ring, made once and
// reset per input (a fresh reader at position 0 over a zeroed ring).
class Ring {
public:
    bool open() {
        if (region_.create("fuzz-intents", sizeof(abi::AgentIntentRegion), transport::RegionWriter::kAgent) != 0) {
            return false;
        }
        return agent_.map(region_.fd(), sizeof(abi::AgentIntentRegion), PROT_READ | PROT_WRITE) == 0;
    }

    void reset() {
        std::memset(agent_.data(), 0, sizeof(abi::AgentIntentRegion));
        reader_ = transport::IntentRingReader(region_.as<const abi::AgentIntentRegion>(), &consumed_);
        last_id_ = kFirstLastIntentId;
    }

    // One record image through the ring; `out` gets the verdict when there is one.
    Outcome push(const std::uint8_t* image, transport::Verdict& out) {
        const abi::Sequence q = reader_.position();
        auto* slot = &agent_.as<abi::AgentIntentRegion>()->ring[q & (abi::INTENT_RING_SLOTS - 1)];
        std::memcpy(static_cast<void*>(slot), image, kRecord);
        if (slot->commit == 0) {
            slot->commit = q + 1;
        }
        abi::IntentRecord copy{};
        switch (reader_.poll(copy)) {
            case transport::RingPoll::kEmpty:
                return Outcome::kEmpty;
            case transport::RingPoll::kQuarantined:
                return Outcome::kQuarantined;
            case transport::RingPoll::kCorruptSlot:  // only a concurrent writer can cause it
                breach("a torn copy with no writer running", copy, RejectReason::CORRUPT_SLOT);
            case transport::RingPoll::kRecord:
                break;
        }
        out = transport::validate_intent(copy, context(last_id_, q + 1));
        check_contract(copy, out, last_id_);
        if (out.intent_id_consumed) {
            last_id_ = copy.intent_id;
        }
        return Outcome::kVerdict;
    }

private:
    transport::MemfdRegion region_;
    transport::Mapping agent_;
    transport::IntentRingReader reader_;
    abi::Sequence consumed_ = 0;
    std::uint64_t last_id_ = kFirstLastIntentId;
};

Ring& ring() {
    static Ring r = [] {
        Ring made;
        if (!made.open()) {
            std::perror("fund_fuzz_intent: memfd ring");
            std::abort();
        }
        return made;
    }();
    return r;
}

// Runs one input; `each` sees every record's outcome. Stops at a quarantine.
template <class Each>
void run_input(const std::uint8_t* data, std::size_t size, Each&& each) {
    Ring& r = ring();
    r.reset();
    for (std::size_t at = 0; at + kRecord <= size; at += kRecord) {
        transport::Verdict verdict{};
        const Outcome outcome = r.push(data + at, verdict);
        each(outcome, verdict.reason);
        if (outcome == Outcome::kQuarantined) {
            return;
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    run_input(data, size, [](Outcome, RejectReason) {});
    return 0;
}

#ifndef FUNDOS_LIBFUZZER
namespace {

const char* outcome_name(Outcome outcome, RejectReason reason) {
    switch (outcome) {
        case Outcome::kEmpty: return "EMPTY";
        case Outcome::kQuarantined: return "QUARANTINED";
        case Outcome::kVerdict: break;
    }
    return abi::to_string(reason);
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int serve_lines() {
    std::string line;
    std::vector<std::uint8_t> bytes;
    std::string answer;
    for (int c = std::getchar(); c != EOF; c = std::getchar()) {
        if (c != '\n') {
            line.push_back(static_cast<char>(c));
            continue;
        }
        bytes.clear();
        for (std::size_t i = 0; i + 1 < line.size(); i += 2) {
            const int hi = hex_digit(line[i]);
            const int lo = hex_digit(line[i + 1]);
            if (hi < 0 || lo < 0) {
                std::fprintf(stderr, "fund_fuzz_intent: stdin: not hex: %s\n", line.c_str());
                return 2;
            }
            bytes.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
        }
        answer.clear();
        run_input(bytes.data(), bytes.size(), [&](Outcome outcome, RejectReason reason) {
            answer += answer.empty() ? "" : " ";
            answer += outcome_name(outcome, reason);
        });
        std::printf("%s\n", answer.c_str());
        std::fflush(stdout);
        line.clear();
    }
    return 0;
}

// splitmix64: a fixed, portable sequence for --random.
struct Random {
    std::uint64_t state;
    std::uint64_t next() {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    std::uint64_t below(std::uint64_t n) { return next() % n; }
};

// A valid record of a random kind for the current ring position, then (most of the time) one
// field replaced by a random or boundary value: the records sit near every check's edge.
abi::IntentRecord generate(Random& rng, std::uint64_t& next_id) {
    abi::IntentRecord r{};
    r.intent_id = next_id++;
    r.snapshot_seq = kLatest - rng.below(kLag + 1);
    r.agent_id = kAgent;
    r.kind = static_cast<abi::IntentKind>(1 + rng.below(5));
    const std::int64_t lot = 100'000'000;
    switch (r.kind) {
        case abi::IntentKind::TARGET_POSITION:
            r.instrument_id = 1;
            r.qty = lot * (static_cast<std::int64_t>(rng.below(21)) - 10);
            break;
        case abi::IntentKind::ORDER:
            r.instrument_id = rng.below(2) == 0 ? 1 : 4;
            r.side = rng.below(2) == 0 ? abi::Side::BUY : abi::Side::SELL;
            r.order_type = rng.below(2) == 0 ? abi::OrderType::MARKET : abi::OrderType::LIMIT;
            r.time_in_force = rng.below(2) == 0 ? abi::TimeInForce::DAY : abi::TimeInForce::IOC;
            r.qty = lot * static_cast<std::int64_t>(1 + rng.below(10));
            r.limit_price = r.order_type == abi::OrderType::LIMIT ? 1'000'000 * static_cast<std::int64_t>(1 + rng.below(50000)) : 0;
            break;
        case abi::IntentKind::CANCEL:
            r.ref_intent_id = 1 + rng.below(r.intent_id - 1);
            break;
        case abi::IntentKind::FLATTEN:
            r.instrument_id = 4;
            break;
        case abi::IntentKind::END_OF_ANSWER:
            break;
    }
    static constexpr std::array<std::int64_t, 8> kEdges = {0, -1, 1, INT64_MIN, INT64_MAX, 1'000'000'000'000,
                                                           1'000'000'000'001, 0x7FF8000000000000};
    const std::int64_t edge = kEdges[rng.below(kEdges.size())];
    switch (rng.below(16)) {
        case 0: r.kind = static_cast<abi::IntentKind>(rng.below(256)); break;
        case 1: r.side = static_cast<abi::Side>(rng.below(4)); break;
        case 2: r.order_type = static_cast<abi::OrderType>(rng.below(4)); break;
        case 3: r.time_in_force = static_cast<abi::TimeInForce>(rng.below(5)); break;
        case 4: r.intent_id = next_id - 1 - rng.below(4); break;
        case 5: r.snapshot_seq = rng.below(2) == 0 ? rng.below(kLatest * 2) : static_cast<abi::Sequence>(edge); break;
        case 6: r.instrument_id = static_cast<std::uint32_t>(rng.below(6)); break;
        case 7: r.qty = rng.below(2) == 0 ? edge : r.qty + static_cast<std::int64_t>(rng.below(lot)); break;
        case 8: r.limit_price = rng.below(2) == 0 ? edge : r.limit_price + static_cast<std::int64_t>(rng.below(1'000'000)); break;
        case 9: r.ref_intent_id = rng.below(2) == 0 ? r.intent_id + rng.below(3) : rng.next(); break;
        case 10: r.pad_44[rng.below(sizeof r.pad_44)] = static_cast<std::uint8_t>(1 + rng.below(255)); break;
        case 11: r.reserved_72[rng.below(sizeof r.reserved_72)] = static_cast<std::uint8_t>(1 + rng.below(255)); break;
        case 12: r.agent_id = static_cast<std::uint32_t>(rng.below(16)); break;
        default: break;  // left valid
    }
    return r;
}

// `records` generated records into `input`; `hostile`: the middle one carries a commit word no
// producer writes (the ring is quarantined there).
void fill_input(Random& rng, std::vector<std::uint8_t>& input, std::size_t records, bool hostile) {
    std::uint64_t next_id = kFirstLastIntentId + 1;
    input.resize(records * kRecord);
    for (std::size_t i = 0; i < records; ++i) {
        abi::IntentRecord r = generate(rng, next_id);
        if (hostile && i == records / 2) {
            r.commit = rng.next() | 1U;
        }
        std::memcpy(input.data() + i * kRecord, &r, kRecord);
    }
}

// A starting corpus for libFuzzer: `files` inputs of 1..32 generated records in `dir`, so it
// mutates records that reach every check rather than bytes the ring quarantines at once.
int write_corpus(const char* dir, std::uint64_t files, std::uint64_t seed) {
    Random rng{seed};
    std::vector<std::uint8_t> input;
    for (std::uint64_t n = 0; n < files; ++n) {
        fill_input(rng, input, 1 + static_cast<std::size_t>(rng.below(32)), n % 8 == 7);
        const std::string path = std::string(dir) + "/seed-" + std::to_string(n);
        std::FILE* f = std::fopen(path.c_str(), "wb");
        if (f == nullptr || std::fwrite(input.data(), 1, input.size(), f) != input.size()) {
            std::fprintf(stderr, "fund_fuzz_intent: %s: cannot write\n", path.c_str());
            if (f != nullptr) std::fclose(f);
            return 2;
        }
        std::fclose(f);
    }
    std::printf("%" PRIu64 " inputs written to %s\n", files, dir);
    return 0;
}

int random_run(std::uint64_t count, std::uint64_t seed) {
    Random rng{seed};
    std::array<std::uint64_t, 64> outcomes{};
    std::uint64_t empty = 0;
    std::uint64_t quarantined = 0;
    // Inputs of 64 records (a quarter of the ring); every 97th carries one hostile commit word.
    constexpr std::size_t kPerInput = 64;
    std::vector<std::uint8_t> input(kPerInput * kRecord);
    std::uint64_t done = 0;
    std::uint64_t processed = 0;  // records after a quarantine in the same input are never read
    for (std::uint64_t n = 0; done < count; ++n) {
        const std::size_t records = static_cast<std::size_t>(std::min<std::uint64_t>(kPerInput, count - done));
        fill_input(rng, input, records, n % 97 == 0);
        run_input(input.data(), records * kRecord, [&](Outcome outcome, RejectReason reason) {
            ++processed;
            if (outcome == Outcome::kEmpty) ++empty;
            else if (outcome == Outcome::kQuarantined) ++quarantined;
            else ++outcomes[static_cast<std::size_t>(reason) & 63U];
        });
        done += records;
    }
    std::printf("{\"records\": %" PRIu64 ", \"processed\": %" PRIu64 ", \"seed\": %" PRIu64 ", \"outcomes\": {",
                count, processed, seed);
    const char* sep = "";
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        if (outcomes[i] != 0) {
            std::printf("%s\"%s\": %" PRIu64, sep, abi::to_string(static_cast<RejectReason>(i)), outcomes[i]);
            sep = ", ";
        }
    }
    std::printf("%s\"EMPTY\": %" PRIu64 ", \"QUARANTINED\": %" PRIu64 "}}\n", sep, empty, quarantined);
    return 0;
}

int replay_files(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::FILE* f = std::fopen(argv[i], "rb");
        if (f == nullptr) {
            std::fprintf(stderr, "fund_fuzz_intent: %s: cannot open\n", argv[i]);
            return 2;
        }
        std::vector<std::uint8_t> bytes;
        for (int c = std::fgetc(f); c != EOF; c = std::fgetc(f)) {
            bytes.push_back(static_cast<std::uint8_t>(c));
        }
        std::fclose(f);
        LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
    }
    std::printf("%d inputs replayed\n", argc - 1);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 5 && std::strcmp(argv[1], "--random") == 0 && std::strcmp(argv[3], "--seed") == 0) {
        return random_run(std::strtoull(argv[2], nullptr, 10), std::strtoull(argv[4], nullptr, 10));
    }
    if (argc == 6 && std::strcmp(argv[1], "--corpus") == 0 && std::strcmp(argv[4], "--seed") == 0) {
        return write_corpus(argv[2], std::strtoull(argv[3], nullptr, 10), std::strtoull(argv[5], nullptr, 10));
    }
    if (argc >= 2 && argv[1][0] == '-') {
        std::fprintf(stderr,
                     "usage: fund_fuzz_intent [--random N --seed S | --corpus DIR N --seed S | FILE...]"
                     "  (no argument: hex lines on stdin)\n");
        return 2;
    }
    return argc >= 2 ? replay_files(argc, argv) : serve_lines();
}
#endif
