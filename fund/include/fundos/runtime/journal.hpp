// The Fund's journal: an append-only, checksummed file of records (engine::RecordType plus the
// engine's POD payload), written once per decision step. It records what the Fund decided in the
// order it decided it; `fund journal FILE` prints it, and a resumed run continues it.
//
// File layout (little-endian):
//
//   offset 0      JournalHeader, 128 bytes
//   offset 128    records, back to back, each a multiple of 8 bytes
//
// JournalHeader:
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +---------------------------------------------------------------+
//   |                 magic "FUNDOSJ1" (8 bytes)                    |  0
//   +-------------------------------+-------------------------------+
//   |        version (u16) = 1      |     header_size (u16) = 128   |  8
//   +-------------------------------+-------------------------------+
//   |         abi_major (u16)       |        abi_minor (u16)        |  12
//   +-------------------------------+-------------------------------+
//   |                    abi_layout_hash (u64)                      |  16
//   +---------------------------------------------------------------+
//   |     created_by char[96]: build description, NUL-padded;       |  24
//   |     no wall-clock time (identical runs give identical files)  |
//   +---------------------------------------------------------------+
//   |        reserved (u32) = 0     |  crc32c of bytes 0..123 (u32) |  120
//   +-------------------------------+-------------------------------+
//
// Record:
//
//   +-------------------------------+---------------+---------------+
//   |      payload_size (u32)       |  type (u16)   | reserved = 0  |  0
//   +-------------------------------+---------------+---------------+
//   |              index (u64): 0, 1, 2, ... in file order          |  8
//   +---------------------------------------------------------------+
//   |              payload (payload_size bytes)                     |  16
//   +-------------------------------+-------------------------------+
//   |  crc32c of bytes [0, 16 + payload_size) of the record (u32)   |
//   +-------------------------------+-------------------------------+
//   |  zero padding to the next multiple of 8                       |
//   +---------------------------------------------------------------+
//
// Failure model. The writer appends whole steps, one or more per write(2); a crash (kill -9, power
// loss) can leave the last write short, or garbage/zeros after the last good record. The reader
// therefore distinguishes:
//   * torn tail: a record that is short, fails its checks or its CRC, with no valid record after
//     it anywhere in the file. Not an error: reported as torn_tail_bytes(); truncate_torn_tail()
//     cuts it off before a resumed run appends.
//   * corruption: a bad record followed by a valid one, or a valid record whose index is not the
//     next one. An error naming the byte offset and the record index.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fundos/engine/engine.hpp"
#include "fundos/runtime/status.hpp"

namespace fundos::runtime {

inline constexpr char kJournalMagic[8] = {'F', 'U', 'N', 'D', 'O', 'S', 'J', '1'};
inline constexpr std::uint16_t kJournalVersion = 1;
inline constexpr std::size_t kJournalHeaderSize = 128;
inline constexpr std::size_t kJournalCreatedByLen = 96;
inline constexpr std::size_t kRecordHeaderSize = 16;
inline constexpr std::size_t kRecordCrcSize = 4;
/// The largest payload a record may carry; a larger size field is taken for damage.
inline constexpr std::uint32_t kMaxRecordPayload = 1U << 20;

/// Bytes a record with `payload_size` bytes of payload takes in the file.
[[nodiscard]] constexpr std::size_t record_size(std::size_t payload_size) noexcept {
    return (kRecordHeaderSize + payload_size + kRecordCrcSize + 7) & ~std::size_t{7};
}

struct JournalOptions {
    /// Open an existing journal and append to it (a resumed run). It must end cleanly: run
    /// truncate_torn_tail() first if it may have a torn tail. Without it, an existing file is
    /// never overwritten.
    bool append = false;
    /// fdatasync(2) after every commit: the step is on disk when commit() returns.
    bool sync = false;
    /// Bytes of buffer to reserve up front (it grows if a step needs more, then stays).
    std::size_t reserve = 64 * 1024;
};

/// Appends records to a journal file. Single-threaded. append() only copies into a buffer (no
/// system call, no allocation once the buffer has reached its working size); seal() computes the
/// CRCs of appended records, a bounded amount at a time, so that the Fund can do it while it
/// waits for agents; commit() seals what is left and writes the buffer with write(2) (and
/// fdatasync with JournalOptions::sync).
class JournalWriter {
public:
    JournalWriter() = default;
    ~JournalWriter();
    JournalWriter(const JournalWriter&) = delete;
    JournalWriter& operator=(const JournalWriter&) = delete;

    /// Creates the journal at `path` (O_EXCL: fails if it exists) and writes its header, or with
    /// options.append opens an existing one and continues its index.
    [[nodiscard]] Status create(const std::string& path, const JournalOptions& options = {});

    /// Adds one record to the buffer. A failure (payload over kMaxRecordPayload, no memory, not
    /// open) is sticky and reported by the next commit(); nothing after it is written.
    void append(engine::RecordType type, std::span<const std::byte> payload) noexcept;

    /// Computes the CRCs of appended records not yet sealed, at least one record's and about
    /// `max_bytes` of records at most. Returns whether some are left unsealed. Optional:
    /// commit() seals every record before it writes.
    bool seal(std::size_t max_bytes) noexcept;

    /// Writes the buffered records. After an error the journal stays failed (its end may hold a
    /// partial step, which a reader sees as a torn tail).
    [[nodiscard]] Status commit() noexcept;

    /// commit() then close the file. Safe to call twice.
    Status close() noexcept;

    [[nodiscard]] bool is_open() const noexcept { return fd_ >= 0; }
    /// The index the next appended record gets.
    [[nodiscard]] std::uint64_t next_index() const noexcept { return next_index_; }
    /// Bytes in the file after the last successful commit.
    [[nodiscard]] std::uint64_t committed_bytes() const noexcept { return committed_bytes_; }
    /// Bytes appended and not yet committed.
    [[nodiscard]] std::size_t pending_bytes() const noexcept { return used_; }
    [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
    bool grow(std::size_t needed) noexcept;

    int fd_ = -1;
    std::string path_;
    bool sync_ = false;
    std::vector<std::byte> buffer_;  // buffer_.size() is the capacity; used_ bytes are in use
    std::size_t used_ = 0;
    std::size_t sealed_ = 0;         // bytes of the buffer whose records have their CRC
    std::uint64_t next_index_ = 0;
    std::uint64_t committed_bytes_ = 0;
    std::string failure_;            // sticky error
};

struct JournalRecord {
    engine::RecordType type{};
    std::uint64_t index = 0;
    std::uint64_t offset = 0;               ///< byte offset of the record in the file
    std::span<const std::byte> payload;     ///< valid while the reader is open
};

struct JournalHeaderInfo {
    std::uint16_t version = 0;
    std::uint16_t abi_major = 0;
    std::uint16_t abi_minor = 0;
    std::uint64_t abi_layout_hash = 0;
    std::string created_by;
};

/// Reads a journal front to back (memory-mapped).
class JournalReader {
public:
    JournalReader() = default;
    ~JournalReader();
    JournalReader(const JournalReader&) = delete;
    JournalReader& operator=(const JournalReader&) = delete;

    /// Maps the file and checks its header.
    [[nodiscard]] Status open(const std::string& path);

    /// The next record; false at the end, at a torn tail (torn_tail_bytes() > 0, status() ok) or
    /// on corruption (status() names the offset and index).
    [[nodiscard]] bool next(JournalRecord& out);

    [[nodiscard]] const Status& status() const noexcept { return status_; }
    /// Bytes after the last good record that form a torn tail; known once next() returned false.
    [[nodiscard]] std::uint64_t torn_tail_bytes() const noexcept { return torn_; }
    /// Offset just past the last good record read so far.
    [[nodiscard]] std::uint64_t valid_bytes() const noexcept { return offset_; }
    /// Records read so far (= the index the next record must have).
    [[nodiscard]] std::uint64_t records() const noexcept { return expected_index_; }
    [[nodiscard]] std::uint64_t file_size() const noexcept { return size_; }
    [[nodiscard]] const JournalHeaderInfo& header() const noexcept { return header_; }
    void close() noexcept;

private:
    const std::byte* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t offset_ = 0;
    std::uint64_t expected_index_ = 0;
    std::uint64_t torn_ = 0;
    bool done_ = false;
    std::string path_;
    Status status_;
    JournalHeaderInfo header_;
};

/// Where a journal ends.
struct JournalTail {
    std::uint64_t records = 0;      ///< good records (the next index)
    std::uint64_t valid_bytes = 0;  ///< file size once the torn tail is cut
    std::uint64_t torn_bytes = 0;   ///< bytes cut (0: the journal ended cleanly)
};

/// Recovery before appending: reads the whole journal and, if it ends in a torn tail, truncates
/// the file to its last good record (then fsyncs it). Corruption is an error and nothing is cut.
[[nodiscard]] Status truncate_torn_tail(const std::string& path, JournalTail* tail = nullptr);

/// Cuts the journal to its first `size` bytes (a record boundary found with a JournalReader: a
/// resumed run drops the records of a step that was not committed whole), then fsyncs it.
[[nodiscard]] Status truncate_journal(const std::string& path, std::uint64_t size);

/// The build description written into new journals' headers.
[[nodiscard]] std::string journal_created_by();

}  // namespace fundos::runtime
