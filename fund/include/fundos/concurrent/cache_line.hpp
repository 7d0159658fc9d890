// Cache-line facts used to keep words written by different sides apart.
//
// The ABI already places every hot word on its own 128 bytes (SnapshotControl, ReportControl,
// AgentHeartbeat); these constants and CachePadded are for the Fund's private structures.
#pragma once

#include <cstddef>

namespace fundos::concurrent {

/// One cache line on x86_64 and on the aarch64 cores FundOS runs on.
inline constexpr std::size_t kCacheLineSize = 64;

/// Two lines: the adjacent-line prefetcher fetches lines in pairs, so two words written by
/// different cores must be at least this far apart to never share a prefetch pair.
inline constexpr std::size_t kFalseSharingRange = 2 * kCacheLineSize;

/// A value alone in its own kFalseSharingRange bytes.
template <class T>
struct alignas(kFalseSharingRange) CachePadded {
    T value{};
};

static_assert(sizeof(CachePadded<char>) == kFalseSharingRange);
static_assert(alignof(CachePadded<long>) == kFalseSharingRange);

}  // namespace fundos::concurrent
