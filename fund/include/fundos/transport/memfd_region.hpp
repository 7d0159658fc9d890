// RAII owners for file descriptors, mappings and sealed memfd regions.
//
// Every region of docs/TRANSPORT.md is a memfd_create(MFD_CLOEXEC | MFD_ALLOW_SEALING) file,
// sized with ftruncate, sealed F_SEAL_SHRINK | F_SEAL_GROW (a peer can neither truncate it
// under a reader, which would SIGBUS the reader, nor grow it). A Fund-written region is mapped
// writable by the Fund first, then sealed F_SEAL_FUTURE_WRITE | F_SEAL_SEAL (seal_for_readers):
// the Fund's mapping stays writable while every later mmap(PROT_WRITE, MAP_SHARED), write() or
// ftruncate() through any fd of the file fails with EPERM, and no seal can be added or removed.
// An agent-written region is mapped read-only by the Fund: the Fund never writes agent memory.
//
// Functions return 0 or -errno (liburing style); nothing here throws.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <utility>

namespace fundos::transport {

/// An owned file descriptor, closed on destruction.
class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) noexcept : fd_(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        if (this != &other) {
            reset(other.release());
        }
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    [[nodiscard]] int get() const noexcept { return fd_; }
    [[nodiscard]] explicit operator bool() const noexcept { return fd_ >= 0; }
    [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
    void reset(int fd = -1) noexcept;

private:
    int fd_ = -1;
};

/// An owned mmap, unmapped on destruction.
class Mapping {
public:
    Mapping() = default;
    Mapping(Mapping&& other) noexcept
        : addr_(std::exchange(other.addr_, nullptr)), size_(std::exchange(other.size_, 0)) {}
    Mapping& operator=(Mapping&& other) noexcept {
        if (this != &other) {
            reset();
            addr_ = std::exchange(other.addr_, nullptr);
            size_ = std::exchange(other.size_, 0);
        }
        return *this;
    }
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    ~Mapping() { reset(); }

    /// mmap(`size` bytes of `fd` from offset 0, `prot`, MAP_SHARED) into *this.
    [[nodiscard]] int map(int fd, std::size_t size, int prot) noexcept;
    void reset() noexcept;

    [[nodiscard]] void* data() const noexcept { return addr_; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] explicit operator bool() const noexcept { return addr_ != nullptr; }
    template <class T>
    [[nodiscard]] T* as() const noexcept {
        return static_cast<T*>(addr_);
    }

private:
    void* addr_ = nullptr;
    std::size_t size_ = 0;
};

/// Who writes a region, and so how the Fund maps it.
enum class RegionWriter : std::uint8_t {
    kFund,   ///< The Fund maps it read-write; seal_for_readers() before sharing it.
    kAgent,  ///< The Fund maps it read-only; the agent maps it read-write.
};

/// A memfd region: the file, its size and the Fund's own mapping.
class MemfdRegion {
public:
    MemfdRegion() = default;
    MemfdRegion(MemfdRegion&&) noexcept = default;
    MemfdRegion& operator=(MemfdRegion&&) noexcept = default;
    MemfdRegion(const MemfdRegion&) = delete;
    MemfdRegion& operator=(const MemfdRegion&) = delete;
    ~MemfdRegion() = default;

    /// memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING), ftruncate(size), seal
    /// F_SEAL_SHRINK | F_SEAL_GROW, then map it (read-write for kFund, read-only for kAgent).
    /// The file starts zero-filled, so every padding and reserved byte is zero.
    [[nodiscard]] int create(const char* name, std::size_t size, RegionWriter writer) noexcept;

    /// F_SEAL_FUTURE_WRITE | F_SEAL_SEAL, after the Fund's writable mapping exists: that mapping
    /// stays writable; any new writable shared mapping, write() and ftruncate() fail with EPERM.
    [[nodiscard]] int seal_for_readers() noexcept;

    /// The file's seals (F_GET_SEALS) or -errno.
    [[nodiscard]] int seals() const noexcept;

    void reset() noexcept;

    [[nodiscard]] int fd() const noexcept { return fd_.get(); }
    [[nodiscard]] std::size_t size() const noexcept { return mapping_.size(); }
    [[nodiscard]] void* data() const noexcept { return mapping_.data(); }
    [[nodiscard]] explicit operator bool() const noexcept { return static_cast<bool>(mapping_); }
    template <class T>
    [[nodiscard]] T* as() const noexcept {
        return mapping_.as<T>();
    }

private:
    UniqueFd fd_;
    Mapping mapping_;
};

/// F_GET_SEALS of any fd, or -errno.
[[nodiscard]] int get_seals(int fd) noexcept;

}  // namespace fundos::transport
