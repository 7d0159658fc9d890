#include "fundos/marketdata/replay_reader.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace fundos::marketdata {

ReplayReader::~ReplayReader() { unmap(); }

ReplayReader::ReplayReader(ReplayReader&& other) noexcept { *this = std::move(other); }

ReplayReader& ReplayReader::operator=(ReplayReader&& other) noexcept {
    if (this != &other) {
        unmap();
        path_ = std::move(other.path_);
        header_ = other.header_;
        instruments_ = std::move(other.instruments_);
        base_ = std::exchange(other.base_, nullptr);
        size_ = std::exchange(other.size_, 0);
        records_ = std::exchange(other.records_, nullptr);
        cursor_ = other.cursor_;
        page_ = other.page_;
        release_bytes_ = other.release_bytes_;
        released_upto_ = other.released_upto_;
        dontneed_calls_ = other.dontneed_calls_;
    }
    return *this;
}

void ReplayReader::unmap() noexcept {
    if (base_ != nullptr) {
        ::munmap(const_cast<unsigned char*>(base_), size_);
        base_ = nullptr;
        records_ = nullptr;
        size_ = 0;
    }
}

Status ReplayReader::open(const std::string& path, std::size_t release_bytes) {
    unmap();
    path_ = path;
    cursor_ = 0;
    released_upto_ = 0;
    dontneed_calls_ = 0;
    instruments_.clear();
    page_ = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    release_bytes_ = release_bytes < page_ ? page_ : (release_bytes + page_ - 1) / page_ * page_;

    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return Status::error(path + ": cannot open: " + std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const std::string why = std::strerror(errno);
        ::close(fd);
        return Status::error(path + ": cannot stat: " + why);
    }
    const auto size = static_cast<std::size_t>(st.st_size);
    if (size < sizeof(FmdHeader)) {
        ::close(fd);
        return Status::error(path + ": not an .fmd file (shorter than its header)");
    }
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    const int map_errno = errno;
    ::close(fd);
    if (map == MAP_FAILED) {
        return Status::error(path + ": mmap failed: " + std::strerror(map_errno));
    }
    base_ = static_cast<const unsigned char*>(map);
    size_ = size;
    std::memcpy(&header_, base_, sizeof header_);
    const FmdHeader& h = header_;
    const char* problem = nullptr;
    if (std::memcmp(h.magic, FMD_MAGIC, sizeof h.magic) != 0) {
        problem = "not an .fmd file (bad magic)";
    } else if (h.version != FMD_VERSION) {
        problem = "unsupported .fmd version";
    } else if (h.header_size != sizeof(FmdHeader) || h.record_size != sizeof(EventRecord) ||
               h.instrument_size != sizeof(InstrumentRecord)) {
        problem = "header, record or instrument size differs from this build's";
    } else if (h.instrument_offset < sizeof(FmdHeader) || h.instrument_offset > size ||
               h.instrument_count > (size - h.instrument_offset) / sizeof(InstrumentRecord) ||
               h.records_offset % FMD_RECORD_ALIGN != 0 ||
               h.records_offset < h.instrument_offset + std::uint64_t{h.instrument_count} * sizeof(InstrumentRecord) ||
               h.records_offset > size || (size - h.records_offset) / sizeof(EventRecord) != h.record_count ||
               (size - h.records_offset) % sizeof(EventRecord) != 0) {
        problem = "truncated or inconsistent (offsets and counts do not match the file size)";
    }
    if (problem != nullptr) {
        unmap();
        return Status::error(path + ": " + problem);
    }
    instruments_.resize(h.instrument_count);
    if (h.instrument_count > 0) {
        std::memcpy(instruments_.data(), base_ + h.instrument_offset, h.instrument_count * sizeof(InstrumentRecord));
    }
    records_ = reinterpret_cast<const EventRecord*>(base_ + h.records_offset);
    ::madvise(const_cast<unsigned char*>(base_), size_, MADV_SEQUENTIAL);
    return {};
}

void ReplayReader::release_behind(std::size_t byte_offset) noexcept {
    const std::size_t end = byte_offset / page_ * page_;
    if (end >= released_upto_ + release_bytes_) {
        ::madvise(const_cast<unsigned char*>(base_ + released_upto_), end - released_upto_, MADV_DONTNEED);
        released_upto_ = end;
        ++dontneed_calls_;
    }
}

const EventRecord* ReplayReader::next() noexcept {
    if (cursor_ >= header_.record_count) {
        return nullptr;
    }
    // Pages before the record now returned are behind the cursor: the previous record is no
    // longer referenced once the caller asks for the next one.
    release_behind(header_.records_offset + cursor_ * sizeof(EventRecord));
    return &records_[cursor_++];
}

const EventRecord* ReplayReader::peek() const noexcept {
    return cursor_ < header_.record_count ? &records_[cursor_] : nullptr;
}

void ReplayReader::rewind() noexcept {
    cursor_ = 0;
    released_upto_ = 0;
}

bool ReplayReader::verify_checksum() noexcept {
    std::uint64_t h = FMD_CHECKSUM_SEED;
    const std::size_t chunk = release_bytes_;
    const std::size_t total = header_.record_count * sizeof(EventRecord);
    const auto* bytes = reinterpret_cast<const unsigned char*>(records_);
    for (std::size_t done = 0; done < total;) {
        const std::size_t n = total - done < chunk ? total - done : chunk;
        h = fmd_checksum(h, bytes + done, n);
        done += n;
        // Clean private file pages: dropping them is always safe (a later touch reads the file).
        const std::size_t from = (header_.records_offset + done - n) / page_ * page_;
        const std::size_t to = (header_.records_offset + done) / page_ * page_;
        if (to > from) {
            ::madvise(const_cast<unsigned char*>(base_ + from), to - from, MADV_DONTNEED);
        }
    }
    return h == header_.checksum;
}

}  // namespace fundos::marketdata
