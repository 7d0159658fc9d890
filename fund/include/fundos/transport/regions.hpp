// Region headers and sizes: what the Fund writes at the start of every region it creates, and
// the check a reader runs before reading anything else (docs/TRANSPORT.md, "Regions").
//
//   region            struct              written by   agent maps            one per
//   snapshot          SnapshotRegion      Fund         read-only, sealed     Fund
//   agent intents     AgentIntentRegion   agent        read-write            attach   (no header)
//   agent reports     AgentReportRegion   Fund         read-only, sealed     attach
#pragma once

#include <cstddef>
#include <cstdint>

#include "fundos/abi.hpp"
#include "fundos/concurrent/cache_line.hpp"

namespace fundos::transport {

/// Each region's file is exactly its struct's size; AttachReply carries these.
inline constexpr std::size_t kSnapshotRegionSize = sizeof(abi::SnapshotRegion);
inline constexpr std::size_t kIntentRegionSize = sizeof(abi::AgentIntentRegion);
inline constexpr std::size_t kReportRegionSize = sizeof(abi::AgentReportRegion);

static_assert((abi::INTENT_RING_SLOTS & (abi::INTENT_RING_SLOTS - 1)) == 0, "intent ring: power of two");
static_assert((abi::REPORT_RING_SLOTS & (abi::REPORT_RING_SLOTS - 1)) == 0, "report ring: power of two");
static_assert(abi::SNAPSHOT_SLOTS >= 2, "a latch needs at least two copies");

// The hot words each side writes sit alone in their own two cache lines (adjacent-line
// prefetch), and ring slots are whole cache lines.
static_assert(sizeof(abi::SnapshotControl) == concurrent::kFalseSharingRange);
static_assert(sizeof(abi::ReportControl) == concurrent::kFalseSharingRange);
static_assert(sizeof(abi::AgentHeartbeat) == concurrent::kFalseSharingRange);
static_assert(offsetof(abi::AgentIntentRegion, ring) % concurrent::kFalseSharingRange == 0);
static_assert(sizeof(abi::IntentRecord) % concurrent::kCacheLineSize == 0);
static_assert(sizeof(abi::IntentReport) % concurrent::kCacheLineSize == 0);
static_assert(offsetof(abi::SnapshotRegion, slots) % concurrent::kCacheLineSize == 0);
static_assert(offsetof(abi::SnapshotSlot, state) == concurrent::kCacheLineSize, "sequence alone on its line");

/// The RegionHeader the Fund writes once, before the region is shared.
[[nodiscard]] constexpr abi::RegionHeader make_region_header(abi::RegionKind kind, std::uint64_t region_size,
                                                             abi::Sequence generation,
                                                             std::uint32_t agent_id) noexcept {
    abi::RegionHeader header{};
    header.magic = abi::REGION_MAGIC;
    header.abi_major = abi::ABI_VERSION_MAJOR;
    header.abi_minor = abi::ABI_VERSION_MINOR;
    header.kind = kind;
    header.header_size = sizeof(abi::RegionHeader);
    header.layout_hash = abi::ABI_LAYOUT_HASH;
    header.region_size = region_size;
    header.generation = generation;
    header.agent_id = agent_id;
    return header;
}

/// What a reader found wrong with a header.
enum class HeaderCheck : std::uint8_t {
    kOk,
    kBadMagic,
    kBadVersion,  ///< major differs, or minor older than the reader's
    kBadLayout,
    kBadKind,
    kBadSize,  ///< header_size or region_size do not match the mapping / struct
};

[[nodiscard]] constexpr const char* to_string(HeaderCheck check) noexcept {
    switch (check) {
        case HeaderCheck::kOk: return "ok";
        case HeaderCheck::kBadMagic: return "bad magic";
        case HeaderCheck::kBadVersion: return "bad ABI version";
        case HeaderCheck::kBadLayout: return "bad layout hash";
        case HeaderCheck::kBadKind: return "bad region kind";
        case HeaderCheck::kBadSize: return "bad size";
    }
    return "?";
}

/// The reader's check of a header copied out of a region of `mapped_size` bytes that must hold
/// at least `struct_size` bytes of kind `kind`.
[[nodiscard]] constexpr HeaderCheck check_region_header(const abi::RegionHeader& header, abi::RegionKind kind,
                                                        std::uint64_t mapped_size,
                                                        std::uint64_t struct_size) noexcept {
    if (header.magic != abi::REGION_MAGIC) {
        return HeaderCheck::kBadMagic;
    }
    if (header.abi_major != abi::ABI_VERSION_MAJOR || header.abi_minor < abi::ABI_VERSION_MINOR) {
        return HeaderCheck::kBadVersion;
    }
    if (header.abi_minor == abi::ABI_VERSION_MINOR && header.layout_hash != abi::ABI_LAYOUT_HASH) {
        return HeaderCheck::kBadLayout;
    }
    if (header.kind != kind) {
        return HeaderCheck::kBadKind;
    }
    if (header.header_size != sizeof(abi::RegionHeader) || header.region_size != mapped_size ||
        header.region_size < struct_size) {
        return HeaderCheck::kBadSize;
    }
    return HeaderCheck::kOk;
}

}  // namespace fundos::transport
