#include "fundos/runtime/journal.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <new>

#include "fundos/abi.hpp"
#include "fundos/runtime/crc32c.hpp"

namespace fundos::runtime {
namespace {

static_assert(std::endian::native == std::endian::little, "the journal is little-endian");

// Header field offsets (see the diagram in journal.hpp).
constexpr std::size_t kOffVersion = 8;
constexpr std::size_t kOffHeaderSize = 10;
constexpr std::size_t kOffAbiMajor = 12;
constexpr std::size_t kOffAbiMinor = 14;
constexpr std::size_t kOffLayoutHash = 16;
constexpr std::size_t kOffCreatedBy = 24;
constexpr std::size_t kOffReserved = 120;
constexpr std::size_t kOffHeaderCrc = 124;
static_assert(kOffCreatedBy + kJournalCreatedByLen == kOffReserved);

template <class T>
T load(const std::byte* p) noexcept {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

template <class T>
void store(std::byte* p, T v) noexcept {
    std::memcpy(p, &v, sizeof v);
}

std::string errno_text(int err) { return std::strerror(err); }

bool write_all(int fd, const std::byte* data, std::size_t size, int& err) noexcept {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            err = errno;
            return false;
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

/// Whether a complete, checksummed record (any index) starts at `off`.
bool record_ok_at(const std::byte* data, std::size_t size, std::size_t off) noexcept {
    if (size - off < kRecordHeaderSize + kRecordCrcSize) {
        return false;
    }
    const std::byte* r = data + off;
    const auto payload = load<std::uint32_t>(r);
    const auto type = load<std::uint16_t>(r + 4);
    const auto reserved = load<std::uint16_t>(r + 6);
    if (payload > kMaxRecordPayload || reserved != 0 || type == 0) {
        return false;
    }
    const std::size_t total = record_size(payload);
    if (total > size - off) {
        return false;
    }
    const std::size_t crc_at = kRecordHeaderSize + payload;
    if (crc32c(r, crc_at) != load<std::uint32_t>(r + crc_at)) {
        return false;
    }
    for (std::size_t i = crc_at + kRecordCrcSize; i < total; ++i) {
        if (r[i] != std::byte{0}) {
            return false;
        }
    }
    return true;
}

/// Opens `path` and reads every record, checking each: then the reader knows the journal's
/// record count, valid bytes and torn tail.
Status read_to_end(const std::string& path, JournalReader& reader) {
    if (Status s = reader.open(path); !s.ok()) {
        return s;
    }
    JournalRecord record;
    while (reader.next(record)) {
    }
    return reader.status();
}

}  // namespace

std::string journal_created_by() {
    std::string s = "FundOS journal v" + std::to_string(kJournalVersion) + ", ABI " +
                    std::to_string(abi::ABI_VERSION_MAJOR) + "." + std::to_string(abi::ABI_VERSION_MINOR);
#if defined(__clang__)
    s += ", clang " __clang_version__;
#elif defined(__GNUC__)
    s += ", gcc " __VERSION__;
#endif
    if (s.size() > kJournalCreatedByLen - 1) {
        s.resize(kJournalCreatedByLen - 1);
    }
    return s;
}

// ------------------------------------------------------------------------------------------------
// Writer

JournalWriter::~JournalWriter() { (void)close(); }

Status JournalWriter::create(const std::string& path, const JournalOptions& options) {
    if (fd_ >= 0) {
        return Status::error(path + ": journal writer already open on " + path_);
    }
    path_ = path;
    sync_ = options.sync;
    failure_.clear();
    used_ = 0;
    next_index_ = 0;
    committed_bytes_ = 0;
    if (!grow(std::max<std::size_t>(options.reserve, 4096))) {
        return Status::error(path + ": out of memory for the journal buffer");
    }

    if (options.append) {
        JournalReader reader;
        if (Status s = read_to_end(path, reader); !s.ok()) {
            return s;
        }
        if (reader.torn_tail_bytes() != 0) {
            return Status::error(path + ": ends in a torn record of " + std::to_string(reader.torn_tail_bytes()) +
                                 " bytes at offset " + std::to_string(reader.valid_bytes()) +
                                 "; cut it with truncate_torn_tail before appending");
        }
        if (reader.header().abi_layout_hash != abi::ABI_LAYOUT_HASH) {
            return Status::error(path + ": written with another ABI layout; cannot append");
        }
        next_index_ = reader.records();
        committed_bytes_ = reader.valid_bytes();
        reader.close();
        const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
        if (fd < 0) {
            return Status::error(path + ": cannot open for appending: " + errno_text(errno));
        }
        fd_ = fd;
        return {};
    }

    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        const int err = errno;
        if (err == EEXIST) {
            return Status::error(path + ": a journal already exists; refusing to overwrite it (resume to append)");
        }
        return Status::error(path + ": cannot create: " + errno_text(err));
    }
    std::byte header[kJournalHeaderSize] = {};
    std::memcpy(header, kJournalMagic, sizeof kJournalMagic);
    store<std::uint16_t>(header + kOffVersion, kJournalVersion);
    store<std::uint16_t>(header + kOffHeaderSize, static_cast<std::uint16_t>(kJournalHeaderSize));
    store<std::uint16_t>(header + kOffAbiMajor, static_cast<std::uint16_t>(abi::ABI_VERSION_MAJOR));
    store<std::uint16_t>(header + kOffAbiMinor, static_cast<std::uint16_t>(abi::ABI_VERSION_MINOR));
    store<std::uint64_t>(header + kOffLayoutHash, static_cast<std::uint64_t>(abi::ABI_LAYOUT_HASH));
    const std::string by = journal_created_by();
    std::memcpy(header + kOffCreatedBy, by.data(), by.size());
    store<std::uint32_t>(header + kOffReserved, 0);
    store<std::uint32_t>(header + kOffHeaderCrc, crc32c(header, kOffHeaderCrc));
    int err = 0;
    if (!write_all(fd, header, sizeof header, err) || (sync_ && ::fdatasync(fd) != 0 && (err = errno) != 0)) {
        ::close(fd);
        ::unlink(path.c_str());
        return Status::error(path + ": cannot write the journal header: " + errno_text(err));
    }
    fd_ = fd;
    committed_bytes_ = kJournalHeaderSize;
    return {};
}

bool JournalWriter::grow(std::size_t needed) noexcept {
    if (needed <= buffer_.size()) {
        return true;
    }
    try {
        buffer_.resize(std::max(needed, buffer_.size() * 2));
        return true;
    } catch (const std::bad_alloc&) {
        return false;
    }
}

void JournalWriter::append(engine::RecordType type, std::span<const std::byte> payload) noexcept {
    if (!failure_.empty()) {
        return;
    }
    if (fd_ < 0) {
        failure_ = (path_.empty() ? std::string("journal") : path_) + ": append on a journal that is not open";
        return;
    }
    if (payload.size() > kMaxRecordPayload) {
        failure_ = path_ + ": record " + std::to_string(next_index_) + " has a payload of " +
                   std::to_string(payload.size()) + " bytes, more than " + std::to_string(kMaxRecordPayload);
        return;
    }
    const std::size_t total = record_size(payload.size());
    if (!grow(used_ + total)) {
        failure_ = path_ + ": out of memory for the journal buffer";
        return;
    }
    std::byte* r = buffer_.data() + used_;
    store<std::uint32_t>(r, static_cast<std::uint32_t>(payload.size()));
    store<std::uint16_t>(r + 4, static_cast<std::uint16_t>(type));
    store<std::uint16_t>(r + 6, 0);
    store<std::uint64_t>(r + 8, next_index_);
    if (!payload.empty()) {
        std::memcpy(r + kRecordHeaderSize, payload.data(), payload.size());
    }
    const std::size_t crc_at = kRecordHeaderSize + payload.size();
    std::memset(r + crc_at, 0, total - crc_at);  // the CRC (seal()) and the padding
    used_ += total;
    ++next_index_;
}

bool JournalWriter::seal(std::size_t max_bytes) noexcept {
    std::size_t done = 0;
    while (sealed_ < used_ && (done == 0 || done < max_bytes)) {
        std::byte* r = buffer_.data() + sealed_;
        const std::size_t crc_at = kRecordHeaderSize + load<std::uint32_t>(r);
        store<std::uint32_t>(r + crc_at, crc32c(r, crc_at));
        const std::size_t total = record_size(crc_at - kRecordHeaderSize);
        sealed_ += total;
        done += total;
    }
    return sealed_ < used_;
}

Status JournalWriter::commit() noexcept {
    if (!failure_.empty()) {
        return Status::error(failure_);
    }
    (void)seal(SIZE_MAX);
    if (used_ == 0) {
        return {};
    }
    if (fd_ < 0) {
        failure_ = path_ + ": commit on a journal that is not open";
        return Status::error(failure_);
    }
    int err = 0;
    if (!write_all(fd_, buffer_.data(), used_, err)) {
        failure_ = path_ + ": write failed: " + errno_text(err);
        return Status::error(failure_);
    }
    if (sync_ && ::fdatasync(fd_) != 0) {
        failure_ = path_ + ": fdatasync failed: " + errno_text(errno);
        return Status::error(failure_);
    }
    committed_bytes_ += used_;
    used_ = 0;
    sealed_ = 0;
    return {};
}

Status JournalWriter::close() noexcept {
    if (fd_ < 0) {
        return {};
    }
    Status status = commit();
    if (::close(fd_) != 0 && status.ok()) {
        status = Status::error(path_ + ": close failed: " + errno_text(errno));
    }
    fd_ = -1;
    return status;
}

// ------------------------------------------------------------------------------------------------
// Reader

JournalReader::~JournalReader() { close(); }

void JournalReader::close() noexcept {
    if (data_ != nullptr) {
        ::munmap(const_cast<std::byte*>(data_), size_);
    }
    data_ = nullptr;
    size_ = 0;
}

Status JournalReader::open(const std::string& path) {
    close();
    path_ = path;
    offset_ = 0;
    expected_index_ = 0;
    torn_ = 0;
    done_ = false;
    status_ = Status{};
    header_ = JournalHeaderInfo{};

    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        status_ = Status::error(path + ": cannot open: " + errno_text(errno));
        return status_;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        status_ = Status::error(path + ": cannot stat: " + errno_text(errno));
        ::close(fd);
        return status_;
    }
    const auto size = static_cast<std::size_t>(st.st_size);
    if (size < kJournalHeaderSize) {
        ::close(fd);
        status_ = Status::error(path + ": not a FundOS journal (" + std::to_string(size) + " bytes, shorter than its header)");
        return status_;
    }
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (map == MAP_FAILED) {
        status_ = Status::error(path + ": cannot map: " + errno_text(errno));
        return status_;
    }
    data_ = static_cast<const std::byte*>(map);
    size_ = size;

    if (std::memcmp(data_, kJournalMagic, sizeof kJournalMagic) != 0) {
        status_ = Status::error(path + ": not a FundOS journal (bad magic)");
    } else if (load<std::uint32_t>(data_ + kOffHeaderCrc) != crc32c(data_, kOffHeaderCrc)) {
        status_ = Status::error(path + ": journal header checksum mismatch");
    } else if (load<std::uint16_t>(data_ + kOffVersion) != kJournalVersion) {
        status_ = Status::error(path + ": journal version " + std::to_string(load<std::uint16_t>(data_ + kOffVersion)) +
                                " is not supported (this build reads " + std::to_string(kJournalVersion) + ")");
    } else if (load<std::uint16_t>(data_ + kOffHeaderSize) != kJournalHeaderSize) {
        status_ = Status::error(path + ": journal header size " +
                                std::to_string(load<std::uint16_t>(data_ + kOffHeaderSize)) + " is not " +
                                std::to_string(kJournalHeaderSize));
    }
    if (!status_.ok()) {
        close();
        return status_;
    }
    header_.version = load<std::uint16_t>(data_ + kOffVersion);
    header_.abi_major = load<std::uint16_t>(data_ + kOffAbiMajor);
    header_.abi_minor = load<std::uint16_t>(data_ + kOffAbiMinor);
    header_.abi_layout_hash = load<std::uint64_t>(data_ + kOffLayoutHash);
    const auto* by = reinterpret_cast<const char*>(data_ + kOffCreatedBy);
    header_.created_by.assign(by, strnlen(by, kJournalCreatedByLen));
    offset_ = kJournalHeaderSize;
    return status_;
}

bool JournalReader::next(JournalRecord& out) {
    if (done_ || data_ == nullptr || !status_.ok()) {
        return false;
    }
    if (offset_ == size_) {
        done_ = true;
        return false;
    }
    const std::byte* r = data_ + offset_;
    if (record_ok_at(data_, size_, offset_)) {
        const auto index = load<std::uint64_t>(r + 8);
        if (index != expected_index_) {
            status_ = Status::error(path_ + ": record " + std::to_string(expected_index_) + " at offset " +
                                    std::to_string(offset_) + ": has index " + std::to_string(index) +
                                    " (records lost or repeated)");
            done_ = true;
            return false;
        }
        const auto payload = load<std::uint32_t>(r);
        out.type = static_cast<engine::RecordType>(load<std::uint16_t>(r + 4));
        out.index = index;
        out.offset = offset_;
        out.payload = std::span<const std::byte>(r + kRecordHeaderSize, payload);
        offset_ += record_size(payload);
        ++expected_index_;
        return true;
    }
    // A bad record: the torn end of the file, unless a valid record follows somewhere.
    done_ = true;
    for (std::size_t at = offset_ + 8; at + kRecordHeaderSize + kRecordCrcSize <= size_; at += 8) {
        if (record_ok_at(data_, size_, at)) {
            std::string what = "bad record";
            if (size_ - offset_ < kRecordHeaderSize + kRecordCrcSize) {
                what = "short record";
            } else if (load<std::uint32_t>(r) > kMaxRecordPayload) {
                what = "bad size field";
            } else if (load<std::uint16_t>(r + 6) != 0 || load<std::uint16_t>(r + 4) == 0) {
                what = "bad record header";
            } else {
                what = "checksum mismatch";
            }
            status_ = Status::error(path_ + ": corrupt journal: record " + std::to_string(expected_index_) +
                                    " at offset " + std::to_string(offset_) + ": " + what +
                                    ", with a valid record after it at offset " + std::to_string(at));
            return false;
        }
    }
    torn_ = size_ - offset_;
    return false;
}

// ------------------------------------------------------------------------------------------------

Status truncate_torn_tail(const std::string& path, JournalTail* tail) {
    JournalReader reader;
    if (Status s = read_to_end(path, reader); !s.ok()) {
        return s;
    }
    const std::uint64_t valid = reader.valid_bytes();
    const std::uint64_t torn = reader.torn_tail_bytes();
    if (tail != nullptr) {
        *tail = JournalTail{reader.records(), valid, torn};
    }
    reader.close();
    if (torn == 0) {
        return {};
    }
    return truncate_journal(path, valid);
}

Status truncate_journal(const std::string& path, std::uint64_t size) {
    if (size < kJournalHeaderSize) {
        return Status::error(path + ": cannot cut the journal to " + std::to_string(size) +
                             " bytes: shorter than its header");
    }
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        return Status::error(path + ": cannot open to cut the journal: " + errno_text(errno));
    }
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0 || ::fsync(fd) != 0) {
        const int err = errno;
        ::close(fd);
        return Status::error(path + ": cannot cut the journal to " + std::to_string(size) + " bytes: " +
                             errno_text(err));
    }
    ::close(fd);
    return {};
}

}  // namespace fundos::runtime
