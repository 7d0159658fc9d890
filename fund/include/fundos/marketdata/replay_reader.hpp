// ReplayReader: streams the events of one .fmd file from a read-only private mapping.
//
// open() maps the whole file (MAP_PRIVATE, PROT_READ), checks the header against the file size
// and copies the header and the instrument table out, then madvise(MADV_SEQUENTIAL). next()
// returns a pointer into the mapping. Every `release_bytes` of records consumed, the pages
// wholly behind the cursor are dropped with madvise(MADV_DONTNEED): clean private file pages,
// so the kernel frees them and RSS stays near `release_bytes` + read-ahead whatever the length
// of the file. A pointer from next() stays valid until the following next() call.
//
// verify_checksum() streams the records the same way (from a separate pass, not moving the
// cursor) and compares the header's checksum. Nothing here allocates after open() or throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fundos/marketdata/fmd_format.hpp"
#include "fundos/marketdata/status.hpp"

namespace fundos::marketdata {

class ReplayReader {
public:
    static constexpr std::size_t DEFAULT_RELEASE_BYTES = 8u << 20;

    ReplayReader() = default;
    ~ReplayReader();
    ReplayReader(ReplayReader&& other) noexcept;
    ReplayReader& operator=(ReplayReader&& other) noexcept;
    ReplayReader(const ReplayReader&) = delete;
    ReplayReader& operator=(const ReplayReader&) = delete;

    /// Map `path`. `release_bytes` is rounded up to whole pages (minimum one page).
    Status open(const std::string& path, std::size_t release_bytes = DEFAULT_RELEASE_BYTES);

    [[nodiscard]] const FmdHeader& header() const noexcept { return header_; }
    [[nodiscard]] const std::vector<InstrumentRecord>& instruments() const noexcept { return instruments_; }
    [[nodiscard]] const std::string& path() const noexcept { return path_; }

    /// The next event in file order, or nullptr at the end.
    [[nodiscard]] const EventRecord* next() noexcept;
    /// The next event without consuming it, or nullptr at the end.
    [[nodiscard]] const EventRecord* peek() const noexcept;
    /// Go back to the first event.
    void rewind() noexcept;

    [[nodiscard]] std::uint64_t position() const noexcept { return cursor_; }
    [[nodiscard]] std::uint64_t dontneed_calls() const noexcept { return dontneed_calls_; }

    /// Stream all records and compare with header().checksum.
    [[nodiscard]] bool verify_checksum() noexcept;

private:
    void release_behind(std::size_t byte_offset) noexcept;
    void unmap() noexcept;

    std::string path_;
    FmdHeader header_{};
    std::vector<InstrumentRecord> instruments_;
    const unsigned char* base_ = nullptr;
    std::size_t size_ = 0;
    const EventRecord* records_ = nullptr;
    std::uint64_t cursor_ = 0;
    std::size_t page_ = 4096;
    std::size_t release_bytes_ = DEFAULT_RELEASE_BYTES;
    std::size_t released_upto_ = 0;  // bytes from base_ already dropped
    std::uint64_t dontneed_calls_ = 0;
};

}  // namespace fundos::marketdata
