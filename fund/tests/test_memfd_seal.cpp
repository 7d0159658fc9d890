// Sealing: a Fund-written region, once sealed for readers, cannot be written, grown or shrunk
// through its fd (EPERM) by anyone, while the Fund's own earlier mapping stays writable. An
// agent-written region can be written but never resized.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "check.hpp"
#include "fundos/transport/memfd_region.hpp"
#include "fundos/transport/regions.hpp"

using namespace fundos;
using transport::MemfdRegion;
using transport::RegionWriter;

namespace {

constexpr std::size_t kSize = 3 * 4096 + 100;  // not a page multiple, like the real regions

int errno_of_mmap(int fd, int prot, int flags) {
    void* p = ::mmap(nullptr, kSize, prot, flags, fd, 0);
    if (p == MAP_FAILED) {
        return errno;
    }
    ::munmap(p, kSize);
    return 0;
}

int errno_of(int rc) { return rc == 0 ? 0 : errno; }

}  // namespace

TEST(fund_region_sealed_for_readers) {
    MemfdRegion region;
    REQUIRE(region.create("test-fund-region", kSize, RegionWriter::kFund) == 0);
    auto* bytes = region.as<unsigned char>();
    bytes[0] = 0x11;  // the Fund writes before the seal
    REQUIRE(region.seal_for_readers() == 0);
    CHECK_EQ(region.seals(), F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL);
    const int fd = region.fd();

    // A new writable shared mapping, write(), pwrite(), ftruncate() (shrink and grow), fallocate().
    CHECK_EQ(errno_of_mmap(fd, PROT_READ | PROT_WRITE, MAP_SHARED), EPERM);
    CHECK_EQ(errno_of_mmap(fd, PROT_WRITE, MAP_SHARED), EPERM);
    const char data[4] = {1, 2, 3, 4};
    CHECK_EQ(errno_of(::write(fd, data, sizeof(data)) < 0 ? -1 : 0), EPERM);
    CHECK_EQ(errno_of(::pwrite(fd, data, sizeof(data), 16) < 0 ? -1 : 0), EPERM);
    CHECK_EQ(errno_of(::ftruncate(fd, 4096)), EPERM);
    CHECK_EQ(errno_of(::ftruncate(fd, 1 << 20)), EPERM);
    CHECK_EQ(errno_of(::ftruncate(fd, 0)), EPERM);
    CHECK_EQ(errno_of(::fallocate(fd, 0, 0, 1 << 20)), EPERM);
    // The seals themselves are frozen: none can be added (and none can ever be removed).
    CHECK_EQ(errno_of(::fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE)), EPERM);

    // A re-opened fd (/proc/self/fd, O_RDWR) is the same file: the same EPERMs.
    const std::string path = "/proc/self/fd/" + std::to_string(fd);
    transport::UniqueFd reopened(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    REQUIRE(static_cast<bool>(reopened));
    CHECK_EQ(errno_of(::write(reopened.get(), data, sizeof(data)) < 0 ? -1 : 0), EPERM);
    CHECK_EQ(errno_of_mmap(reopened.get(), PROT_READ | PROT_WRITE, MAP_SHARED), EPERM);
    CHECK_EQ(errno_of(::ftruncate(reopened.get(), 0)), EPERM);

    // A read-only mapping works, and cannot be turned writable.
    transport::Mapping reader;
    REQUIRE(reader.map(fd, kSize, PROT_READ) == 0);
    CHECK_EQ(errno_of(::mprotect(reader.data(), 4096, PROT_READ | PROT_WRITE)), EACCES);
    CHECK_EQ(reader.as<const unsigned char>()[0], 0x11);

    // The Fund's mapping made before the seal stays writable, and readers see its writes.
    bytes[1] = 0x22;
    bytes[kSize - 1] = 0x33;
    CHECK_EQ(reader.as<const unsigned char>()[1], 0x22);
    CHECK_EQ(reader.as<const unsigned char>()[kSize - 1], 0x33);

    // MAP_PRIVATE copy-on-write is allowed but changes only the mapper's private pages.
    void* priv = ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    REQUIRE(priv != MAP_FAILED);
    static_cast<unsigned char*>(priv)[0] = 0x99;
    CHECK_EQ(bytes[0], 0x11);
    CHECK_EQ(reader.as<const unsigned char>()[0], 0x11);
    ::munmap(priv, kSize);

    struct stat st{};
    REQUIRE(::fstat(fd, &st) == 0);
    CHECK_EQ(static_cast<std::size_t>(st.st_size), kSize);
}

TEST(agent_region_writable_never_resizable) {
    MemfdRegion region;
    REQUIRE(region.create("test-agent-region", kSize, RegionWriter::kAgent) == 0);
    CHECK_EQ(region.seals(), F_SEAL_SHRINK | F_SEAL_GROW);
    const int fd = region.fd();
    transport::Mapping agent;
    REQUIRE(agent.map(fd, kSize, PROT_READ | PROT_WRITE) == 0);
    agent.as<unsigned char>()[5] = 0x55;
    CHECK_EQ(region.as<const unsigned char>()[5], 0x55);  // the Fund's read-only view sees it
    CHECK_EQ(errno_of(::ftruncate(fd, 0)), EPERM);
    CHECK_EQ(errno_of(::ftruncate(fd, 1 << 20)), EPERM);
}

TEST(regions_start_zeroed_and_headers_check) {
    MemfdRegion region;
    REQUIRE(region.create("test-zero", transport::kReportRegionSize, RegionWriter::kFund) == 0);
    const auto* bytes = region.as<const unsigned char>();
    unsigned any = 0;
    for (std::size_t i = 0; i < region.size(); ++i) {
        any |= bytes[i];
    }
    CHECK_EQ(any, 0u);
    const abi::RegionHeader header =
        transport::make_region_header(abi::RegionKind::AGENT_REPORTS, transport::kReportRegionSize, 3, 42);
    using transport::HeaderCheck;
    CHECK(transport::check_region_header(header, abi::RegionKind::AGENT_REPORTS, transport::kReportRegionSize,
                                         sizeof(abi::AgentReportRegion)) == HeaderCheck::kOk);
    CHECK(transport::check_region_header(header, abi::RegionKind::SNAPSHOT, transport::kReportRegionSize,
                                         sizeof(abi::AgentReportRegion)) == HeaderCheck::kBadKind);
    CHECK(transport::check_region_header(header, abi::RegionKind::AGENT_REPORTS, transport::kReportRegionSize - 64,
                                         sizeof(abi::AgentReportRegion)) == HeaderCheck::kBadSize);
    abi::RegionHeader bad = header;
    bad.magic ^= 1;
    CHECK(transport::check_region_header(bad, abi::RegionKind::AGENT_REPORTS, transport::kReportRegionSize,
                                         sizeof(abi::AgentReportRegion)) == HeaderCheck::kBadMagic);
    bad = header;
    bad.layout_hash ^= 1;
    CHECK(transport::check_region_header(bad, abi::RegionKind::AGENT_REPORTS, transport::kReportRegionSize,
                                         sizeof(abi::AgentReportRegion)) == HeaderCheck::kBadLayout);
    bad = header;
    bad.abi_major = 2;
    CHECK(transport::check_region_header(bad, abi::RegionKind::AGENT_REPORTS, transport::kReportRegionSize,
                                         sizeof(abi::AgentReportRegion)) == HeaderCheck::kBadVersion);
}

FUNDOS_TEST_MAIN
