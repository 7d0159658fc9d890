#include "fundos/transport/memfd_region.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

namespace fundos::transport {

void UniqueFd::reset(int fd) noexcept {
    if (fd_ >= 0) {
        ::close(fd_);
    }
    fd_ = fd;
}

int Mapping::map(int fd, std::size_t size, int prot) noexcept {
    if (size == 0) {
        return -EINVAL;
    }
    void* addr = ::mmap(nullptr, size, prot, MAP_SHARED, fd, 0);
    if (addr == MAP_FAILED) {
        return -errno;
    }
    reset();
    addr_ = addr;
    size_ = size;
    return 0;
}

void Mapping::reset() noexcept {
    if (addr_ != nullptr) {
        ::munmap(addr_, size_);
        addr_ = nullptr;
        size_ = 0;
    }
}

int MemfdRegion::create(const char* name, std::size_t size, RegionWriter writer) noexcept {
    reset();
    UniqueFd fd(::memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!fd) {
        return -errno;
    }
    if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
        return -errno;
    }
    if (::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) != 0) {
        return -errno;
    }
    const int prot = writer == RegionWriter::kFund ? (PROT_READ | PROT_WRITE) : PROT_READ;
    Mapping mapping;
    if (const int rc = mapping.map(fd.get(), size, prot); rc != 0) {
        return rc;
    }
    fd_ = std::move(fd);
    mapping_ = std::move(mapping);
    return 0;
}

int MemfdRegion::seal_for_readers() noexcept {
    if (::fcntl(fd_.get(), F_ADD_SEALS, F_SEAL_FUTURE_WRITE | F_SEAL_SEAL) != 0) {
        return -errno;
    }
    return 0;
}

int MemfdRegion::seals() const noexcept { return get_seals(fd_.get()); }

void MemfdRegion::reset() noexcept {
    mapping_.reset();
    fd_.reset();
}

int get_seals(int fd) noexcept {
    const int seals = ::fcntl(fd, F_GET_SEALS);
    return seals < 0 ? -errno : seals;
}

}  // namespace fundos::transport
