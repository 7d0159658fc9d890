// Futex wait/wake on a 32-bit word: shared, for memory mapped by several processes, or private,
// for threads of one process.
//
// Shared, not FUTEX_PRIVATE_FLAG, across processes: a private futex is keyed by (mm, address) and
// would never match a waiter in another process; a shared one is keyed by (inode, offset) of the
// memfd. FUTEX_WAIT works on a read-only mapping (it only reads the word). Between threads of one
// process the private form is cheaper (no inode lookup).
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <ctime>

namespace fundos::concurrent {

/// Load a futex word (possibly in a read-only mapping) before deciding to sleep on it.
[[nodiscard]] inline std::uint32_t futex_word_load(const std::uint32_t& word) noexcept {
    // SYNC POINT: pairs with the waker's release fetch_add on the same word.
    return std::atomic_ref<std::uint32_t>(const_cast<std::uint32_t&>(word)).load(std::memory_order_acquire);
}

/// Sleep while *word == expected, up to `relative_timeout` (nullptr: forever).
/// Returns 0 when woken (or the word already differed: -EAGAIN is folded into 0),
/// -ETIMEDOUT, -EINTR, or another -errno.
inline int futex_wait_shared(const std::uint32_t* word, std::uint32_t expected,
                             const struct timespec* relative_timeout) noexcept {
    const long rc = ::syscall(SYS_futex, word, FUTEX_WAIT, expected, relative_timeout, nullptr, 0);
    if (rc == 0) {
        return 0;
    }
    return errno == EAGAIN ? 0 : -errno;
}

/// Wake up to `count` waiters on `word` (INT_MAX: all). Returns how many were woken or -errno.
inline int futex_wake_shared(std::uint32_t* word, int count = INT_MAX) noexcept {
    const long rc = ::syscall(SYS_futex, word, FUTEX_WAKE, count, nullptr, nullptr, 0);
    return rc < 0 ? -errno : static_cast<int>(rc);
}

/// futex_wait_shared for a word only this process's threads use.
inline int futex_wait_private(const std::uint32_t* word, std::uint32_t expected,
                              const struct timespec* relative_timeout) noexcept {
    const long rc = ::syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, relative_timeout, nullptr, 0);
    if (rc == 0) {
        return 0;
    }
    return errno == EAGAIN ? 0 : -errno;
}

/// futex_wake_shared for a word only this process's threads use.
inline int futex_wake_private(std::uint32_t* word, int count = INT_MAX) noexcept {
    const long rc = ::syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, count, nullptr, nullptr, 0);
    return rc < 0 ? -errno : static_cast<int>(rc);
}

}  // namespace fundos::concurrent
