// The journal: round trip, torn tails at every byte of the last record, corruption in the middle,
// index continuity, recovery then append, and no allocation on append once warmed.
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include "check.hpp"
#include "counting_allocator.hpp"
#include "fundos/runtime/crc32c.hpp"
#include "fundos/runtime/journal.hpp"


namespace fs = std::filesystem;
using fundos::engine::RecordType;
using fundos::runtime::JournalOptions;
using fundos::runtime::JournalReader;
using fundos::runtime::JournalRecord;
using fundos::runtime::JournalWriter;
using fundos::runtime::record_size;

namespace {

const fs::path kTmp = FUNDOS_TEST_TMP_DIR;

fs::path fresh(const std::string& name) {
    fs::create_directories(kTmp);
    const fs::path p = kTmp / name;
    fs::remove(p);
    return p;
}

std::vector<std::byte> payload_for(std::uint64_t i) {
    // Sizes 0..37 so that every padding length occurs; content depends on the index.
    std::vector<std::byte> p((i * 7) % 38);
    for (std::size_t k = 0; k < p.size(); ++k) {
        p[k] = static_cast<std::byte>((i * 31 + k * 7 + 1) & 0xFF);
    }
    return p;
}

RecordType type_for(std::uint64_t i) { return static_cast<RecordType>(1 + i % 14); }

/// Writes `n` records in steps of `per_step`, sealing up to `seal_bytes` after each append when
/// not 0 (as the Fund does while it waits); returns the record offsets.
std::vector<std::uint64_t> write_journal(const fs::path& path, std::uint64_t n, std::uint64_t per_step = 3,
                                         std::size_t seal_bytes = 0) {
    JournalWriter w;
    REQUIRE(w.create(path.string()).ok());
    std::vector<std::uint64_t> offsets;
    std::uint64_t offset = fundos::runtime::kJournalHeaderSize;
    for (std::uint64_t i = 0; i < n; ++i) {
        const auto p = payload_for(i);
        w.append(type_for(i), p);
        if (seal_bytes != 0) {
            (void)w.seal(seal_bytes);
        }
        offsets.push_back(offset);
        offset += record_size(p.size());
        if ((i + 1) % per_step == 0) {
            REQUIRE(w.commit().ok());
        }
    }
    REQUIRE(w.close().ok());
    CHECK_EQ(fs::file_size(path), offset);
    return offsets;
}

std::string read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_bytes(const fs::path& p, const std::string& bytes) {
    fs::remove(p);
    std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

struct ReadAll {
    std::uint64_t records = 0;
    std::uint64_t torn = 0;
    bool ok = true;
    std::string message;
    bool contents_ok = true;
};

ReadAll read_all(const fs::path& path) {
    ReadAll r;
    JournalReader reader;
    if (const auto s = reader.open(path.string()); !s.ok()) {
        r.ok = false;
        r.message = s.message();
        return r;
    }
    JournalRecord rec;
    while (reader.next(rec)) {
        const auto expected = payload_for(rec.index);
        r.contents_ok = r.contents_ok && rec.index == r.records && rec.type == type_for(rec.index) &&
                        rec.payload.size() == expected.size() &&
                        (expected.empty() || std::memcmp(rec.payload.data(), expected.data(), expected.size()) == 0);
        ++r.records;
    }
    r.ok = reader.status().ok();
    r.message = reader.status().message();
    r.torn = reader.torn_tail_bytes();
    return r;
}

}  // namespace

TEST(crc32c_instruction_and_software_agree) {
    std::vector<unsigned char> bytes(1031);
    std::uint32_t x = 12345;
    for (unsigned char& b : bytes) {
        x = x * 1103515245U + 12345U;
        b = static_cast<unsigned char>(x >> 16);
    }
    CHECK_EQ(fundos::runtime::crc32c_portable("123456789", 9), 0xE3069283U);
    for (std::size_t offset = 0; offset < 9; ++offset) {  // every alignment and tail length
        for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{8},
                                       std::size_t{63}, std::size_t{1000}}) {
            CHECK_EQ(fundos::runtime::crc32c(bytes.data() + offset, size, 0xDEADBEEFU),
                     fundos::runtime::crc32c_portable(bytes.data() + offset, size, 0xDEADBEEFU));
        }
    }
}

TEST(crc32c_known_values) {
    CHECK_EQ(fundos::runtime::crc32c("123456789", 9), 0xE3069283U);
    CHECK_EQ(fundos::runtime::crc32c("", 0), 0U);
    // Incremental equals one shot, across the 8-byte fast path.
    const std::string s = "The quick brown fox jumps over the lazy dog";
    const std::uint32_t whole = fundos::runtime::crc32c(s.data(), s.size());
    CHECK_EQ(fundos::runtime::crc32c(s.data() + 13, s.size() - 13, fundos::runtime::crc32c(s.data(), 13)), whole);
    CHECK_EQ(whole, 0x22620404U);
}

TEST(round_trip) {
    const fs::path path = fresh("round_trip.fj");
    const auto offsets = write_journal(path, 100);
    JournalReader reader;
    REQUIRE(reader.open(path.string()).ok());
    CHECK_EQ(reader.header().version, fundos::runtime::kJournalVersion);
    CHECK_EQ(reader.header().abi_layout_hash, fundos::abi::ABI_LAYOUT_HASH);
    CHECK_EQ(reader.header().created_by, fundos::runtime::journal_created_by());
    JournalRecord rec;
    std::uint64_t n = 0;
    while (reader.next(rec)) {
        CHECK_EQ(rec.index, n);
        CHECK_EQ(rec.offset, offsets[n]);
        CHECK(rec.offset % 8 == 0);
        CHECK(rec.type == type_for(n));
        const auto expected = payload_for(n);
        REQUIRE(rec.payload.size() == expected.size());
        CHECK(expected.empty() || std::memcmp(rec.payload.data(), expected.data(), expected.size()) == 0);
        ++n;
    }
    CHECK_EQ(n, 100ULL);
    CHECK(reader.status().ok());
    CHECK_EQ(reader.torn_tail_bytes(), 0ULL);
    CHECK_EQ(reader.valid_bytes(), fs::file_size(path));
}

TEST(identical_input_gives_identical_files) {
    const fs::path a = fresh("same_a.fj");
    const fs::path b = fresh("same_b.fj");
    write_journal(a, 40, 5);
    write_journal(b, 40, 7);  // commit boundaries do not show in the file
    CHECK(read_bytes(a) == read_bytes(b));
}

TEST(sealing_early_changes_nothing_in_the_file) {
    const fs::path lazy = fresh("seal_lazy.fj");
    write_journal(lazy, 60, 7);  // commit() seals everything
    for (const std::size_t bytes : {std::size_t{1}, std::size_t{40}, std::size_t{256}, SIZE_MAX}) {
        const fs::path eager = fresh("seal_eager.fj");
        write_journal(eager, 60, 7, bytes);
        CHECK(read_bytes(eager) == read_bytes(lazy));
    }
    const ReadAll all = read_all(lazy);
    CHECK(all.ok);
    CHECK(all.contents_ok);
    CHECK_EQ(all.records, 60ULL);
    CHECK_EQ(all.torn, 0ULL);
}

TEST(seal_works_a_bounded_amount_at_a_time) {
    const fs::path path = fresh("seal_bounded.fj");
    JournalWriter w;
    REQUIRE(w.create(path.string()).ok());
    CHECK(!w.seal(1));  // nothing appended: nothing left
    for (std::uint64_t i = 0; i < 10; ++i) {
        w.append(RecordType::kStepBegin, payload_for(3));  // 21 bytes: 48 in the file
    }
    CHECK(w.seal(1));     // at least one record, at most about the bytes asked: 9 left
    CHECK(w.seal(100));   // 3 more (144 bytes): 6 left
    CHECK(w.seal(48 * 5));
    CHECK(!w.seal(48));   // the last one
    CHECK(!w.seal(48));
    REQUIRE(w.close().ok());
    const ReadAll all = read_all(path);
    CHECK(all.ok);
    CHECK_EQ(all.records, 10ULL);
}

TEST(refuses_to_overwrite) {
    const fs::path path = fresh("exists.fj");
    write_journal(path, 3);
    const auto before = read_bytes(path);
    JournalWriter w;
    const auto s = w.create(path.string());
    REQUIRE(!s.ok());
    CHECK(s.message().find("refusing to overwrite") != std::string::npos);
    CHECK(read_bytes(path) == before);
}

TEST(torn_tail_at_every_byte_of_the_last_record) {
    const fs::path path = fresh("torn_src.fj");
    const auto offsets = write_journal(path, 12);
    const std::string bytes = read_bytes(path);
    const std::uint64_t last = offsets.back();
    const fs::path cut = fresh("torn.fj");
    for (std::uint64_t end = last; end < bytes.size(); ++end) {
        write_bytes(cut, bytes.substr(0, end));
        const ReadAll r = read_all(cut);
        if (!r.ok || r.records != 11 || r.torn != end - last || !r.contents_ok) {
            fundos::test::fail(__FILE__, __LINE__,
                               "cut at " + std::to_string(end) + ": records " + std::to_string(r.records) + ", torn " +
                                   std::to_string(r.torn) + ", status " + r.message);
        }
    }
}

TEST(torn_tail_bad_crc_or_zeros) {
    const fs::path path = fresh("torn_crc.fj");
    const auto offsets = write_journal(path, 6);
    std::string bytes = read_bytes(path);
    // The last record complete but its CRC wrong (a write whose data reached disk only in part).
    std::string bad = bytes;
    bad[offsets.back() + 8] ^= 0x40;
    write_bytes(path, bad);
    ReadAll r = read_all(path);
    CHECK(r.ok);
    CHECK_EQ(r.records, 5ULL);
    CHECK_EQ(r.torn, bytes.size() - offsets.back());
    // Zeros after a clean end (a file extended without its data).
    write_bytes(path, bytes + std::string(4096, '\0'));
    r = read_all(path);
    CHECK(r.ok);
    CHECK_EQ(r.records, 6ULL);
    CHECK_EQ(r.torn, 4096ULL);
}

TEST(corruption_in_the_middle_is_an_error) {
    const fs::path path = fresh("corrupt_src.fj");
    const auto offsets = write_journal(path, 10);
    const std::string bytes = read_bytes(path);
    const fs::path bad = fresh("corrupt.fj");
    const std::uint64_t k = 4;  // flip every byte of record 4 in turn
    for (std::uint64_t at = offsets[k]; at < offsets[k + 1]; ++at) {
        std::string copy = bytes;
        copy[at] ^= 0x01;
        write_bytes(bad, copy);
        const ReadAll r = read_all(bad);
        const std::string want = "record 4 at offset " + std::to_string(offsets[k]);
        if (r.ok || r.records != k || r.message.find(want) == std::string::npos) {
            fundos::test::fail(__FILE__, __LINE__,
                               "flip at " + std::to_string(at) + ": ok " + std::to_string(r.ok) + ", records " +
                                   std::to_string(r.records) + ", message " + r.message);
        }
    }
    // The file is never cut when it is corrupt.
    std::string copy = bytes;
    copy[offsets[2] + 17] ^= 0x01;
    write_bytes(bad, copy);
    CHECK(!fundos::runtime::truncate_torn_tail(bad.string()).ok());
    CHECK_EQ(fs::file_size(bad), bytes.size());
}

TEST(index_continuity) {
    const fs::path path = fresh("gap_src.fj");
    const auto offsets = write_journal(path, 8);
    const std::string bytes = read_bytes(path);
    const fs::path bad = fresh("gap.fj");
    // Record 3 removed: record 4 follows record 2, checksums intact.
    write_bytes(bad, bytes.substr(0, offsets[3]) + bytes.substr(offsets[4]));
    ReadAll r = read_all(bad);
    CHECK(!r.ok);
    CHECK_EQ(r.records, 3ULL);
    CHECK(r.message.find("record 3 at offset " + std::to_string(offsets[3]) + ": has index 4") != std::string::npos);
    // Record 5 repeated.
    write_bytes(bad, bytes.substr(0, offsets[6]) + bytes.substr(offsets[5], offsets[6] - offsets[5]) +
                         bytes.substr(offsets[6]));
    r = read_all(bad);
    CHECK(!r.ok);
    CHECK(r.message.find("record 6 at offset " + std::to_string(offsets[6]) + ": has index 5") != std::string::npos);
    // Even as the last record: a whole, checksummed record with the wrong index is not a torn write.
    write_bytes(bad, bytes + bytes.substr(offsets[7]));
    r = read_all(bad);
    CHECK(!r.ok);
}

TEST(recover_then_append) {
    const fs::path path = fresh("resume.fj");
    const auto offsets = write_journal(path, 9);
    const std::string bytes = read_bytes(path);
    write_bytes(path, bytes.substr(0, offsets.back() + 5));  // killed mid-record 8

    JournalWriter refused;
    JournalOptions append;
    append.append = true;
    const auto s = refused.create(path.string(), append);
    REQUIRE(!s.ok());
    CHECK(s.message().find("torn") != std::string::npos);

    fundos::runtime::JournalTail tail;
    REQUIRE(fundos::runtime::truncate_torn_tail(path.string(), &tail).ok());
    CHECK_EQ(tail.records, 8ULL);
    CHECK_EQ(tail.valid_bytes, offsets.back());
    CHECK_EQ(tail.torn_bytes, 5ULL);
    CHECK_EQ(fs::file_size(path), offsets.back());

    JournalWriter w;
    append.sync = true;
    REQUIRE(w.create(path.string(), append).ok());
    CHECK_EQ(w.next_index(), 8ULL);
    for (std::uint64_t i = 8; i < 20; ++i) {
        w.append(type_for(i), payload_for(i));
    }
    REQUIRE(w.close().ok());
    const ReadAll r = read_all(path);
    CHECK(r.ok);
    CHECK_EQ(r.records, 20ULL);
    CHECK_EQ(r.torn, 0ULL);
    CHECK(r.contents_ok);
    // The resumed file equals one written in one go.
    const fs::path whole = fresh("resume_whole.fj");
    write_journal(whole, 20);
    CHECK(read_bytes(whole) == read_bytes(path));
    // A clean journal is left as it is.
    REQUIRE(fundos::runtime::truncate_torn_tail(path.string(), &tail).ok());
    CHECK_EQ(tail.torn_bytes, 0ULL);
}

TEST(bad_files_are_refused) {
    const fs::path path = fresh("bad_header.fj");
    write_journal(path, 2);
    std::string bytes = read_bytes(path);
    JournalReader reader;
    write_bytes(path, bytes.substr(0, 100));
    CHECK(reader.open(path.string()).message().find("shorter than its header") != std::string::npos);
    std::string copy = bytes;
    copy[0] = 'X';
    write_bytes(path, copy);
    CHECK(reader.open(path.string()).message().find("bad magic") != std::string::npos);
    copy = bytes;
    copy[30] ^= 1;  // inside created_by
    write_bytes(path, copy);
    CHECK(reader.open(path.string()).message().find("header checksum") != std::string::npos);
    CHECK(!reader.open((kTmp / "does_not_exist.fj").string()).ok());
    JournalRecord rec;
    CHECK(!reader.next(rec));
}

TEST(oversized_payload_fails_the_commit) {
    const fs::path path = fresh("oversized.fj");
    JournalWriter w;
    REQUIRE(w.create(path.string()).ok());
    w.append(RecordType::kRunStart, payload_for(1));
    std::vector<std::byte> huge(fundos::runtime::kMaxRecordPayload + 1);
    w.append(RecordType::kFill, huge);
    w.append(RecordType::kFill, payload_for(2));
    const auto s = w.commit();
    CHECK(!s.ok());
    CHECK(s.message().find("more than") != std::string::npos);
    CHECK(!w.commit().ok());  // sticky
    (void)w.close();
    CHECK_EQ(fs::file_size(path), fundos::runtime::kJournalHeaderSize);
    // append on a writer that was never opened is reported, not a crash.
    JournalWriter idle;
    idle.append(RecordType::kFill, payload_for(3));
    CHECK(!idle.commit().ok());
}

TEST(append_does_not_allocate_once_warm) {
    const fs::path path = fresh("alloc.fj");
    JournalWriter w;
    JournalOptions options;
    options.reserve = 4096;
    REQUIRE(w.create(path.string(), options).ok());
    std::vector<std::vector<std::byte>> step;
    for (std::uint64_t i = 0; i < 300; ++i) {
        step.push_back(payload_for(i));
    }
    const long cold = fundos::test::allocations();
    for (const auto& p : step) {  // warm: the buffer grows to one step's size
        w.append(RecordType::kIntent, p);
    }
    REQUIRE(w.commit().ok());
    const long before = fundos::test::allocations();
    CHECK(before > cold);  // the counter sees the growth, so the zero below means something
    for (int round = 0; round < 5; ++round) {
        for (const auto& p : step) {
            w.append(RecordType::kIntent, p);
        }
        REQUIRE(w.commit().ok());
    }
    CHECK_EQ(fundos::test::allocations() - before, 0L);
    REQUIRE(w.close().ok());
    CHECK_EQ(read_all(path).records, 1800ULL);
}

FUNDOS_TEST_MAIN
